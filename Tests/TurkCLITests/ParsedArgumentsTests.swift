import Foundation
import Testing
import TurkModel
@testable import TurkCLI

/// Parses `arguments` against the sample spec and fails the test when the parser does not return arguments.
func parsed(_ arguments: [String], environment: [String: String] = [:], spec: CommandSpec = sampleSpec) throws
    -> ParsedArguments
{
    let outcome = try CommandLineParser.parse(arguments, spec: spec, environment: environment)
    guard case .arguments(let parsed) = outcome else {
        throw ToolError("expected parsed arguments, got \(outcome)")
    }
    return parsed
}

/// Returns the message of the `UsageError` that `body` throws, or nil when it throws nothing.
func usageMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as UsageError {
        return error.message
    } catch {
        return "unexpected error: \(error)"
    }
}

@Suite struct ParsedArgumentsTests {
    // MARK: - Raw access

    @Test func rawAccessors() throws {
        let arguments = try parsed(["--dry-run", "--locale", "US", "--locale", "CA", "-r", "1.00", "x", "y"])
        #expect(arguments.flag("dry-run"))
        #expect(!arguments.flag("yes"))
        #expect(arguments.value("reward") == "1.00")
        #expect(arguments.value("reason") == nil)
        #expect(arguments.values("locale") == ["US", "CA"])
        #expect(arguments.values("reason") == [])
        #expect(arguments.positionals == ["x", "y"])
        #expect(arguments.arguments("ITEM") == ["x", "y"])
        #expect(arguments.argument("ITEM") == "x")
        #expect(arguments.isPresent("reward"))
        #expect(!arguments.isPresent("target"))
    }

    // MARK: - Integers

    @Test func intParsesInRange() throws {
        let arguments = try parsed(["-n", "5"])
        #expect(try arguments.int("num-conversations", in: 1...10) == 5)
        #expect(try parsed([]).int("num-conversations") == nil)
    }

    @Test(arguments: [
        ("abc", "invalid value 'abc' for --num-conversations: expected a whole number from 1 to 10"),
        ("0", "invalid value '0' for --num-conversations: too small; expected a whole number from 1 to 10"),
        ("11", "invalid value '11' for --num-conversations: too large; expected a whole number from 1 to 10"),
        ("1.5", "invalid value '1.5' for --num-conversations: expected a whole number from 1 to 10"),
        ("99999999999999999999",
         "invalid value '99999999999999999999' for --num-conversations: too large; expected a whole number from 1 "
            + "to 10"),
    ])
    func intRejects(_ text: String, _ message: String) throws {
        let arguments = try parsed(["-n", text])
        #expect(usageMessage { _ = try arguments.int("num-conversations", in: 1...10) } == message)
    }

    @Test func intRangeWording() throws {
        let arguments = try parsed(["-n", "-3"])
        #expect(
            usageMessage { _ = try arguments.int("num-conversations", in: 0...Int.max) }
                == "invalid value '-3' for --num-conversations: too small; expected a whole number of at least 0")
        #expect(
            usageMessage { _ = try arguments.int("num-conversations", in: Int.min...(-5)) }
                == "invalid value '-3' for --num-conversations: too large; expected a whole number of at most -5")
    }

    // MARK: - Money

    @Test func usdParses() throws {
        #expect(try parsed(["-r", "0.5"]).usd("reward") == USD(cents: 50))
        #expect(try parsed([]).usd("reward") == nil)
    }

    @Test(arguments: ["0.9752", "$1", "-1", "0", "abc"])
    func usdRejects(_ text: String) throws {
        let arguments = try parsed(["--reward=\(text)"])
        let message = usageMessage { _ = try arguments.usd("reward") }
        #expect(message?.hasPrefix("invalid value '\(text)' for --reward: ") == true)
    }

    // MARK: - Durations

    @Test(arguments: [("3600", 3600), ("90s", 90), ("30m", 1800), ("2h", 7200), ("7d", 604_800), (" 10 ", 10)])
    func secondsParses(_ text: String, _ seconds: Int) throws {
        #expect(try parsed(["--lifetime", text]).seconds("lifetime") == seconds)
    }

    @Test(arguments: ["", "m", "1.5h", "-5", "5w", "1h30m"])
    func secondsRejects(_ text: String) throws {
        let arguments = try parsed(["--lifetime=\(text)"])
        #expect(
            usageMessage { _ = try arguments.seconds("lifetime") }
                == "invalid value '\(text)' for --lifetime: expected a whole number of seconds, or a number with a "
                + "unit s, m, h or d such as 30m")
    }

    @Test func secondsTooLargeForInt() throws {
        let arguments = try parsed(["--lifetime=99999999999999999d"])
        #expect(
            usageMessage { _ = try arguments.seconds("lifetime") }
                == "invalid value '99999999999999999d' for --lifetime: too large; expected a whole number of seconds, "
                + "or a number with a unit s, m, h or d such as 30m")
        #expect(
            usageMessage { _ = try arguments.seconds("lifetime", in: 30...31_536_000) }
                == "invalid value '99999999999999999d' for --lifetime: too large; expected a duration from 30 to "
                + "31536000 seconds")
    }

    @Test func secondsChecksRange() throws {
        let arguments = try parsed(["--lifetime", "10"])
        #expect(
            usageMessage { _ = try arguments.seconds("lifetime", in: 30...31_536_000) }
                == "invalid value '10' for --lifetime: too small; expected a duration from 30 to 31536000 seconds")
        #expect(
            usageMessage { _ = try parsed(["--lifetime", "400d"]).seconds("lifetime", in: 30...31_536_000) }
                == "invalid value '400d' for --lifetime: too large; expected a duration from 30 to 31536000 seconds")
    }

    // MARK: - URLs

    @Test(arguments: ["http://127.0.0.1:8080", "https://chat.example.org/base", "HTTP://localhost"])
    func urlParses(_ text: String) throws {
        #expect(try parsed(["--endpoint-url", text]).url("endpoint-url")?.absoluteString == text)
    }

    @Test(arguments: ["127.0.0.1:8080", "ftp://example.org", "http://", "not a url", "https:///path"])
    func urlRejects(_ text: String) throws {
        let arguments = try parsed(["--endpoint-url", text])
        #expect(
            usageMessage { _ = try arguments.url("endpoint-url") }
                == "invalid value '\(text)' for --endpoint-url: expected an http or https URL such as "
                + "https://chat.example.org:8443")
    }

    // MARK: - Validation helpers

    @Test func requiredNamesTheOption() throws {
        let arguments = try parsed([])
        #expect(usageMessage { _ = try arguments.required("reward") } == "missing required option --reward USD")
        #expect(try parsed(["-r", "1"]).required("reward") == "1")
    }

    @Test func exclusiveOptions() throws {
        #expect(usageMessage { try parsed(["--dry-run", "-y"]).checkExclusive("dry-run", "yes", "verbose") }
            == "options --dry-run and --yes cannot be used together")
        #expect(usageMessage { try parsed(["--dry-run"]).checkExclusive("dry-run", "yes") } == nil)
    }

    @Test func exclusiveIgnoresEnvironment() throws {
        let arguments = try parsed(["--reason", "x"], environment: ["SAMPLE_TARGET": "local"])
        #expect(usageMessage { try arguments.checkExclusive("target", "reason") } == nil)
    }

    @Test func requiresOtherOption() throws {
        #expect(usageMessage { try parsed(["--reason", "x"]).checkRequires("reason", "dry-run") }
            == "option --reason requires --dry-run")
        #expect(usageMessage { try parsed(["--reason", "x", "--dry-run"]).checkRequires("reason", "dry-run") } == nil)
        #expect(usageMessage { try parsed([]).checkRequires("reason", "dry-run") } == nil)
    }
}
