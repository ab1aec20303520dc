import Foundation
import TurkCLI
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkTools

/// A temporary state directory and task directory in which tests run the tools in-process.
final class ToolHarness: Sendable {
    let root: URL
    let stateDirectory: URL
    let taskDirectory: URL

    /// What one command run returned and wrote.
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String

        /// The standard output lines parsed as JSON objects.
        var jsonLines: [[String: Any]] {
            standardOutput.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("turktools-\(UUID().uuidString.prefix(8))", isDirectory: true)
        stateDirectory = root.appendingPathComponent("state", isDirectory: true)
        taskDirectory = root.appendingPathComponent("qa_task", isDirectory: true)
        try FileManager.default.createDirectory(
            at: taskDirectory.appendingPathComponent("data"), withIntermediateDirectories: true)
        try Self.writeTask(to: taskDirectory)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// Writes a QA task with a two-paragraph SQuAD file in the nested v1.1 layout.
    static func writeTask(to directory: URL, reward: String = "0.50") throws {
        let task: [String: Any] = [
            "title": "Ask and answer a question about a paragraph",
            "description": "Read a short paragraph, write a question about it, then answer it.",
            "keywords": "chat,question,answer", "reward": reward, "kind": "qa_data_collection",
            "data_file": "data/squad.json", "agent_ids": ["Worker"],
        ]
        try JSONSerialization.data(withJSONObject: task).write(to: directory.appendingPathComponent("task.json"))
        let squad: [String: Any] = [
            "version": "1.1",
            "data": [[
                "title": "Paris",
                "paragraphs": [
                    ["context": "Paris is the capital and largest city of France.", "qas": []],
                    ["context": "The Seine flows through Paris.", "qas": []],
                ],
            ]],
        ]
        try JSONSerialization.data(withJSONObject: squad)
            .write(to: directory.appendingPathComponent("data/squad.json"))
    }

    var environment: [String: String] {
        ["TURKCHAT_STATE_DIR": stateDirectory.path, "HOME": root.path]
    }

    /// Runs one tool's `main` in-process with a capturing console.
    func run(
        _ tool: (([String], [String: String], Console?) async -> Int32), _ arguments: [String], input: String = "",
        terminal: Bool = false, environment extra: [String: String] = [:]
    ) async -> Result {
        let (console, captured) = Console.capturing(toolName: "tool", input: input, isTerminal: terminal)
        let status = await tool(arguments, environment.merging(extra) { $1 }, console)
        return Result(status: status, standardOutput: captured.standardOutput, standardError: captured.standardError)
    }

    /// Returns `arguments` with `--json` first, unless `json` is false or the arguments have it already, so that
    /// tests of the results read JSON Lines and the tests of text output pass `json: false`.
    static func withJSON(_ arguments: [String], _ json: Bool) -> [String] {
        json && !arguments.contains("--json") ? ["--json"] + arguments : arguments
    }

    func createHits(_ arguments: [String], input: String = "", terminal: Bool = false, json: Bool = true) async
        -> Result
    {
        await run({ await CreateHitsCommand.main(arguments: $0, environment: $1, console: $2) },
                  Self.withJSON(arguments, json), input: input, terminal: terminal)
    }

    func review(_ arguments: [String], input: String = "", terminal: Bool = false) async -> Result {
        await run({ await ReviewCommand.main(arguments: $0, environment: $1, console: $2) }, arguments,
                  input: input, terminal: terminal)
    }

    func bonusWorkers(_ arguments: [String], input: String = "", json: Bool = true) async -> Result {
        await run({ await BonusWorkersCommand.main(arguments: $0, environment: $1, console: $2) },
                  Self.withJSON(arguments, json), input: input)
    }

    func deleteHits(_ arguments: [String], json: Bool = true) async -> Result {
        await run({ await DeleteHitsCommand.main(arguments: $0, environment: $1, console: $2) },
                  Self.withJSON(arguments, json))
    }

    func block(_ arguments: [String], input: String = "") async -> Result {
        await run({ await BlockCommand.main(arguments: $0, environment: $1, console: $2) }, arguments, input: input)
    }

    /// Opens the local marketplace of the state directory.
    func marketplace() throws -> LocalMarketplace {
        try LocalMarketplace(stateDirectory: StateDirectory(url: stateDirectory), environment: [:])
    }

    /// Opens the run store of the state directory.
    func runStore() throws -> RunStore {
        try RunStore(stateDirectory: StateDirectory(url: stateDirectory))
    }

    /// Creates a run of `conversations` HITs and returns its id and HIT ids.
    func createRun(conversations: Int = 2, extra: [String] = []) async throws -> (runId: String, hitIds: [String]) {
        let result = await createHits(["--task", taskDirectory.path, "-n", String(conversations)] + extra)
        guard result.status == 0 else {
            throw ToolError("create-hits failed with \(result.status): \(result.standardError)")
        }
        let lines = result.jsonLines
        guard let runId = lines.first?["run_id"] as? String else {
            throw ToolError("create-hits printed no run id: \(result.standardOutput)")
        }
        return (runId, lines.compactMap { $0["hit_id"] as? String })
    }

    /// Has a worker accept a HIT and, unless `submit` is false, submit it. The assignment and a short conversation
    /// go into the run store as serve-chat writes them. Returns the assignment id.
    @discardableResult
    func work(hitId: String, runId: String, workerId: String, submit: Bool = true) throws -> String {
        let marketplace = try marketplace()
        defer { marketplace.close() }
        let assignment = try marketplace.acceptHIT(hitId: hitId, workerId: workerId)
        let store = try runStore()
        defer { store.close() }
        let conversation = try store.createConversation(
            run: runId, task: "qa_task", taskDataJSON: #"{"context": "Paris is the capital and largest city of France."}"#,
            status: .active)
        try store.upsertAssignment(AssignmentRecord(
            assignmentId: assignment.assignmentId, workerId: workerId, hitId: hitId, runId: runId, agentId: "Worker",
            conversationId: conversation.id, status: .inTask, acceptedAt: Date()))
        for (sender, text) in [("QA Collector", "Please ask a question about the paragraph."),
                               ("Worker", "What is the capital of France?"),
                               ("QA Collector", "Now answer it."), ("Worker", "Paris")] {
            try store.appendMessage(NewMessage(
                conversationId: conversation.id, senderAgentId: sender,
                workerId: sender == "Worker" ? workerId : nil,
                assignmentId: sender == "Worker" ? assignment.assignmentId : nil, text: text))
        }
        if submit {
            try store.setConversationStatus(conversation.id, .done)
            try store.setConversationResult(
                conversation.id, resultJSON: #"{"question": "What is the capital of France?", "answer": "Paris"}"#)
            try store.setAssignmentStatus(assignmentId: assignment.assignmentId, workerId: workerId, .submitted)
            try marketplace.submitAssignment(
                assignmentId: assignment.assignmentId, workerId: workerId,
                answers: [(name: "assignmentId", value: assignment.assignmentId), (name: "conversation", value: conversation.id)])
        }
        return assignment.assignmentId
    }
}
