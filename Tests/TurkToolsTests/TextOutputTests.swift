import Foundation
import Testing
@testable import TurkTools

/// Without `--json`, create-hits, bonus-workers and delete-hits print text lines for people, not JSON.
@Suite struct TextOutputTests {
    func isJSON(_ line: Substring) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil
    }

    @Test func createHitsPrintsTextLines() async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(["--task", harness.taskDirectory.path, "-n", "2"], json: false)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(!lines.contains(where: isJSON))

        let store = try harness.runStore()
        defer { store.close() }
        let run = try #require(try store.runs().first)
        let ledger = try store.hits(run: run.id)
        for (line, entry) in zip(lines, ledger) {
            let hitId = try #require(entry.hitId)
            #expect(line == "\(hitId)  created  run \(run.id)  seq \(entry.seq)  preview "
                + "http://127.0.0.1:8080/preview?hitId=\(hitId)")
        }
    }

    @Test func bonusWorkersPrintsTextLines() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 1)
        let assignmentId = try harness.work(hitId: hitIds[0], runId: runId, workerId: "A1TEXT")
        let path = harness.root.appendingPathComponent("bonus.csv")
        try Data("worker_id,assignment_id,amount,reason\nA1TEXT,\(assignmentId),0.50,Thanks\n".utf8).write(to: path)

        let dry = await harness.bonusWorkers(["--dry-run", path.path], json: false)
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput == "line 2  A1TEXT  \(assignmentId)  $0.50 + fee $0.10  would pay\n")

        let paid = await harness.bonusWorkers([path.path], json: false)
        #expect(paid.status == 0, "\(paid.standardError)")
        #expect(paid.standardOutput == "line 2  A1TEXT  \(assignmentId)  $0.50 + fee $0.10  paid\n")

        let json = await harness.bonusWorkers([path.path])
        #expect(json.jsonLines.first?["outcome"] as? String == "already paid")
        #expect(json.jsonLines.first?["reason"] as? String == "Thanks")
    }

    @Test func deleteHitsPrintsTextLines() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 1)
        let result = await harness.deleteHits(["--run", runId], json: false)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "\(hitIds[0])  deleted  run \(runId)  was Assignable: expired, deleted\n")
    }
}
