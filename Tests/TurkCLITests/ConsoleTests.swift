import Foundation
import Testing
@testable import TurkCLI

struct JSONSample: Encodable {
    var zeta: Int
    var alpha: String
    var url: String
    var when: Date
}

@Suite struct ConsoleTests {
    @Test func diagnosticsCarryToolName() {
        let (console, captured) = Console.capturing(toolName: "review")
        console.note("3 assignments")
        console.warning("assignment 3A is already approved")
        console.error("approval failed", hint: "retry later")
        #expect(
            captured.standardError
                == "review: 3 assignments\nreview: warning: assignment 3A is already approved\n"
                + "review: error: approval failed\nhint: retry later\n")
        #expect(captured.standardOutput == "")
    }

    @Test func jsonLinesHaveSortedKeys() throws {
        let (console, captured) = Console.capturing(toolName: "review")
        try console.writeJSON(
            JSONSample(zeta: 1, alpha: "a", url: "https://x/y", when: Date(timeIntervalSince1970: 0)))
        #expect(captured.standardOutput == #"{"alpha":"a","url":"https://x/y","when":"1970-01-01T00:00:00Z","zeta":1}"# + "\n")
    }

    @Test func readsLinesWithEitherEnding() {
        let (console, _) = Console.capturing(toolName: "block", input: "A1\r\nA2\n\nA3")
        #expect(console.readLine() == "A1")
        #expect(console.readLine() == "A2")
        #expect(console.readLine() == "")
        #expect(console.readLine() == "A3")
        #expect(console.readLine() == nil)
    }

    @Test func emptyInputHasNoLines() {
        let (console, _) = Console.capturing(toolName: "block", input: "")
        #expect(console.readLine() == nil)
    }

    @Test func confirmNeedsTerminal() {
        let (console, _) = Console.capturing(toolName: "create-hits", input: "y\n", isTerminal: false)
        #expect(throws: ToolError.self) { try console.confirm("Create 4 HITs for $2.40?", assumeYes: false) }
        #expect((try? console.confirm("Create 4 HITs for $2.40?", assumeYes: true)) == true)
    }

    @Test(arguments: [("y\n", true), ("YES\n", true), (" yes \n", true), ("n\n", false), ("\n", false), ("", false)])
    func confirmReadsAnswer(_ input: String, _ expected: Bool) throws {
        let (console, captured) = Console.capturing(toolName: "create-hits", input: input, isTerminal: true)
        #expect(try console.confirm("Create 4 HITs?", assumeYes: false) == expected)
        #expect(captured.standardError == "Create 4 HITs? [y/N] ")
    }

    @Test func confirmByTypingNeedsExactText() throws {
        let (console, captured) = Console.capturing(toolName: "create-hits", input: "12.00\n12\n", isTerminal: true)
        #expect(try console.confirmByTyping("12.00", prompt: "This run costs $12.00.", assumeYes: false))
        #expect(try !console.confirmByTyping("12.00", prompt: "This run costs $12.00.", assumeYes: false))
        #expect(captured.standardError.hasPrefix("This run costs $12.00. Type 12.00 to confirm: "))
    }

    @Test func closedPipeDropsOutput() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        let sink = FileDescriptorSink(fileDescriptor: descriptors[1])
        close(descriptors[0])
        // SIGPIPE is ignored by Console.standard; do the same here so the write returns EPIPE.
        signal(SIGPIPE, SIG_IGN)
        sink.write(Array("line\n".utf8))
        #expect(sink.isClosed)
        sink.write(Array("more\n".utf8))
        close(descriptors[1])
    }

    @Test func fileSinkWritesEverything() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        let sink = FileDescriptorSink(fileDescriptor: descriptors[1])
        let text = String(repeating: "x", count: 10_000) + "\n"
        sink.write(Array(text.utf8))
        close(descriptors[1])
        let data = FileHandle(fileDescriptor: descriptors[0], closeOnDealloc: true).readDataToEndOfFile()
        #expect(data.count == 10_001)
        #expect(!sink.isClosed)
    }
}
