import Foundation
import Testing
import TurkModel
import TurkStore
@testable import TurkTools

/// Control characters that workers type are escaped in text output and kept exactly in JSON and exports.
@Suite struct TerminalTextTests {
    /// A chat message that recolours the terminal, sets its title (OSC ending in BEL), overwrites the line with a
    /// carriage return, and uses a C1 CSI, DEL and a bidi override, around a tab and a newline that stay.
    static let hostile = "ok\u{1B}[31mred\u{1B}]0;pwned\u{07}\rgone\u{9B}2J\u{7F}\u{202E}txt\tcol\nnext"
    static let escaped = #"ok\e[31mred\e]0;pwned\a\rgone\u{9B}2J\u{7F}\u{202E}txt"# + "\tcol\n"

    @Test(arguments: [
        ("plain text", "plain text"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\u{1B}[2J", #"\e[2J"#),
        ("a\rb", #"a\rb"#),
        ("bell\u{07}", #"bell\a"#),
        ("back\u{08}", #"back\b"#),
        ("nul\u{00}", #"nul\u{0}"#),
        ("c1\u{85}", #"c1\u{85}"#),
        ("del\u{7F}", #"del\u{7F}"#),
        ("isolate\u{2066}", #"isolate\u{2066}"#),
        ("émoji 🙂 stays", "émoji 🙂 stays"),
    ])
    func escapeTable(input: String, expected: String) {
        #expect(TerminalText.escape(input) == expected)
    }

    /// Adds the hostile message to the conversation of `assignmentId`.
    func addHostileMessage(_ harness: ToolHarness, assignmentId: String, workerId: String) throws {
        let store = try harness.runStore()
        defer { store.close() }
        let assignment = try #require(try store.assignments(id: assignmentId).first)
        let conversationId = try #require(assignment.conversationId)
        try store.appendMessage(NewMessage(
            conversationId: conversationId, senderAgentId: "Worker", workerId: workerId, assignmentId: assignmentId,
            text: Self.hostile))
    }

    @Test func reviewListEscapesControls() async throws {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: 1)
        let assignmentId = try harness.work(hitId: hits[0], runId: runId, workerId: "A1HOSTILE")
        try addHostileMessage(harness, assignmentId: assignmentId, workerId: "A1HOSTILE")

        let text = await harness.review(["--run", runId, "--list"])
        #expect(text.status == 0, "\(text.standardError)")
        #expect(!text.standardOutput.unicodeScalars.contains { TerminalText.needsEscape($0) })
        #expect(text.standardOutput.contains("    Worker: " + Self.escaped + "    next\n"), "\(text.standardOutput)")

        let json = await harness.review(["--run", runId, "--list", "--json"])
        let messages = try #require(json.jsonLines.first?["messages"] as? [[String: Any]])
        #expect(messages.last?["text"] as? String == Self.hostile)

        let export = harness.root.appendingPathComponent("export.jsonl")
        let exported = await harness.review(["--run", runId, "--export", export.path])
        #expect(exported.status == 0, "\(exported.standardError)")
        let line = try String(contentsOf: export, encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let dialog = try #require(object["dialog"] as? [[[String: Any]]])
        #expect(dialog.flatMap { $0 }.last?["text"] as? String == Self.hostile)
    }

    @Test func interactiveReviewEscapesControls() async throws {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: 1)
        let assignmentId = try harness.work(hitId: hits[0], runId: runId, workerId: "A1HOSTILE")
        try addHostileMessage(harness, assignmentId: assignmentId, workerId: "A1HOSTILE")

        let result = await harness.review(["--interactive", "--run", runId], input: "q\n", terminal: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardOutput.unicodeScalars.contains { TerminalText.needsEscape($0) })
        #expect(result.standardOutput.contains("  Worker: " + Self.escaped + "next\n"), "\(result.standardOutput)")
    }
}
