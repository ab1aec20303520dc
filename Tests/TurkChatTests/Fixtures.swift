import Foundation
import Testing
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkChat

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The shipped QA task directory.
let qaTaskDirectory = repositoryRoot.appendingPathComponent("tasks/qa_data_collection")

/// A run of the QA task with HITs in the local marketplace, as create-hits leaves it.
struct TestRun {
    var runId: String
    var hitIds: [String]
}

/// Creates a run in the run store and its HITs in the local marketplace, pointing at `serverURL`.
func makeRun(
    stateDirectory: StateDirectory, serverURL: URL, hits: Int, conversations: Int? = nil,
    taskDirectory: URL = qaTaskDirectory, configure: (inout RunConfig) -> Void = { _ in }
) async throws -> TestRun {
    let store = try RunStore(stateDirectory: stateDirectory)
    defer { store.close() }
    let marketplace = try LocalMarketplace(stateDirectory: stateDirectory, environment: [:])
    defer { marketplace.close() }
    let task = try TaskDefinition.load(directory: taskDirectory)
    let runId = RunStore.newRunID(at: Date())
    let externalURL = serverURL.absoluteString + "/chat?run=" + runId
    var config = RunConfig(
        conversations: conversations ?? hits, agentIds: task.agentIds, totalHITs: hits, title: task.title,
        description: task.description, keywords: task.keywords, reward: task.reward, lifetimeSeconds: 3600,
        assignmentDurationSeconds: 1800, autoApprovalDelaySeconds: 3600, externalURL: externalURL)
    configure(&config)
    let configJSON = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
    try store.createRun(RunRecord(
        id: runId, taskName: task.name, taskDirectory: task.directory.path, taskKind: task.kind, target: .local,
        serverURL: serverURL.absoluteString, reward: USD(cents: 50), configJSON: configJSON, createdAt: Date(),
        status: .active))
    let hitType = try await marketplace.createHITType(CreateHITTypeRequest(
        autoApprovalDelayInSeconds: 3600, assignmentDurationInSeconds: 1800, reward: task.reward, title: task.title,
        keywords: task.keywords, description: task.description))
    var hitIds: [String] = []
    for seq in 1...hits {
        let token = RequestToken.derive(prefix: "test", [runId, String(seq)])
        _ = try store.reserveHIT(run: runId, seq: seq, token: token)
        let created = try await marketplace.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: hitType.hitTypeId!, maxAssignments: 1, lifetimeInSeconds: 3600,
            question: ExternalQuestion(externalURL: externalURL).xml, requesterAnnotation: "run=\(runId)",
            uniqueRequestToken: token))
        let hitId = created.hit!.hitId!
        try store.markHITCreated(run: runId, seq: seq, hitId: hitId)
        hitIds.append(hitId)
    }
    return TestRun(runId: runId, hitIds: hitIds)
}

/// Returns a Python interpreter that has the `websockets` package: Debian's first, then /usr/local's.
func pythonWithWebSockets() -> String? {
    for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] {
        guard FileManager.default.isExecutableFile(atPath: candidate),
              let result = try? runProcess(candidate, ["-c", "import websockets"], timeout: 20),
              result.status == 0
        else { continue }
        return candidate
    }
    return nil
}

/// Runs `scripts/chat_worker.py` and decodes the JSON object it prints.
func runScriptedWorker(
    server: URL, arguments: [String], timeout: Double = 60
) throws -> (status: Int32, result: [String: Any], stderr: String) {
    guard let python = pythonWithWebSockets() else {
        throw ChatServerError("no python3 with the websockets package; install Debian's python3-websockets")
    }
    let script = repositoryRoot.appendingPathComponent("scripts/chat_worker.py").path
    let output = try runProcess(python, [script, "--server", server.absoluteString] + arguments, timeout: timeout)
    let line = output.stdout.split(separator: "\n").last.map(String.init) ?? ""
    let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    return (output.status, object, output.stderr)
}
