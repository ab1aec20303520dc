import Foundation
import Testing
import TurkModel
@testable import TurkCLI

/// The outcome of one in-process run.
struct RunResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs `body` through the runner against the sample spec with a capturing console.
func runSample(
    _ arguments: [String], environment: [String: String] = [:], input: String = "",
    body: @escaping (ParsedArguments, Console) async throws -> Void = { _, _ in }
) async -> RunResult {
    let (console, captured) = Console.capturing(toolName: "sample", input: input)
    let status = await ToolRunner.run(
        spec: sampleSpec, arguments: arguments, environment: environment, console: console, body: body)
    return RunResult(status: status, standardOutput: captured.standardOutput, standardError: captured.standardError)
}

struct PlainError: Error, CustomStringConvertible {
    var description: String { "the disk is full" }
}

@Suite struct ToolRunnerTests {
    @Test func successReturnsZero() async {
        let result = await runSample(["-r", "1"]) { parsed, console in
            console.write("reward \(parsed.value("reward") ?? "")")
        }
        #expect(result.status == 0)
        #expect(result.standardOutput == "reward 1\n")
        #expect(result.standardError == "")
    }

    @Test func helpGoesToStandardOutput() async {
        let result = await runSample(["--help"]) { _, _ in Issue.record("the body ran for --help") }
        #expect(result.status == 0)
        #expect(result.standardOutput == HelpFormatter.help(for: sampleSpec))
        #expect(result.standardError == "")
    }

    @Test func versionLine() async {
        let result = await runSample(["--version"]) { _, _ in Issue.record("the body ran for --version") }
        #expect(result.status == 0)
        #expect(result.standardOutput == "sample (turkchat) 0.1.0\n")
    }

    @Test func usageErrorReturnsSixtyFour() async {
        let result = await runSample(["--rewrd", "1"]) { _, _ in Issue.record("the body ran after a usage error") }
        #expect(result.status == 64)
        #expect(result.standardOutput == "")
        #expect(
            result.standardError
                == "sample: error: unknown option '--rewrd'\n"
                + "hint: did you mean '--reward'?\n"
                + "Usage: sample [OPTIONS] [ITEM...]\n"
                + "Run 'sample --help' for more information.\n")
    }

    @Test func usageErrorFromBody() async {
        let result = await runSample(["-n", "zero"]) { parsed, _ in
            _ = try parsed.int("num-conversations", in: 1...10)
        }
        #expect(result.status == 64)
        #expect(result.standardError.hasPrefix(
            "sample: error: invalid value 'zero' for --num-conversations: expected a whole number from 1 to 10\n"))
        #expect(result.standardError.hasSuffix("Run 'sample --help' for more information.\n"))
    }

    @Test func userFacingErrorPrintsHint() async {
        let result = await runSample([]) { _, _ in
            throw ToolError("HIT 3XYZ does not exist", hint: "pass --target sandbox to look there")
        }
        #expect(result.status == 1)
        #expect(result.standardError == "sample: error: HIT 3XYZ does not exist\nhint: pass --target sandbox to look there\n")
    }

    @Test func otherErrorUsesDescription() async {
        let result = await runSample([]) { _, _ in throw PlainError() }
        #expect(result.status == 1)
        #expect(result.standardError == "sample: error: the disk is full\n")
    }

    @Test func marketplaceErrorKeepsCodeAndHint() async {
        let result = await runSample([]) { _, _ in
            throw MTurkError(
                code: "RequestError", message: "Hit 3X does not exist.", requestId: "req-1", hint: "check the target")
        }
        #expect(result.status == 1)
        #expect(
            result.standardError
                == "sample: error: RequestError: Hit 3X does not exist. (request id req-1)\nhint: check the target\n")
    }

    @Test func thrownExitCodeIsSilent() async {
        let result = await runSample([]) { _, console in
            console.warning("row 3 failed")
            throw ExitCode.failure
        }
        #expect(result.status == 1)
        #expect(result.standardError == "sample: warning: row 3 failed\n")
    }

    @Test func fileErrorReadsWell() async {
        let result = await runSample([]) { _, _ in
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/turkchat-test-file"))
        }
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("sample: error: "))
        #expect(!result.standardError.contains("Domain="), "raw NSError text: \(result.standardError)")
    }
}
