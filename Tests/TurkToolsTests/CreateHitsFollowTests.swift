import Foundation
import Testing
import TurkCLI
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkTools

/// `create-hits --follow`: opening HITs as others close, until the run's target is met.
@Suite struct CreateHitsFollowTests {
    /// Waits up to 30 seconds until the run's ledger has `count` created HITs, and returns their ids in order.
    func waitForCreatedHITs(_ harness: ToolHarness, runId: String, count: Int) async throws -> [String] {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let store = try harness.runStore()
            let created = try store.hits(run: runId).filter { $0.state == .created }.compactMap(\.hitId)
            store.close()
            if created.count >= count { return created }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ToolError("run \(runId) did not reach \(count) created HITs within 30 s")
    }

    @Test func followOpensHITsUntilTargetMet() async throws {
        let harness = try ToolHarness()
        let (runId, first) = try await harness.createRun(conversations: 3, extra: ["--max-connections", "1"])
        #expect(first.count == 1)

        let follower = Task {
            await harness.createHits(["--run-id", runId, "--follow", "--poll-interval", "1"])
        }
        // Each worker submits the one open HIT; only then may the follower open the next.
        for index in 0..<3 {
            let hitIds = try await waitForCreatedHITs(harness, runId: runId, count: index + 1)
            #expect(hitIds.count == index + 1, "more than --max-connections 1 HIT opened at once")
            try harness.work(hitId: hitIds[index], runId: runId, workerId: "A\(index + 1)FOLLOWED")
        }
        let result = await follower.value

        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.map { $0["seq"] as? Int } == [2, 3])
        #expect(result.standardError.contains(
            "following run \(runId): checking every 1 s and opening a HIT whenever one is submitted or expires "
                + "(at most 1 open at once), until 3 conversations have started"), "\(result.standardError)")
        #expect(result.standardError.contains("reached its target: 3 of 3 conversations started; no HIT is open"),
                "\(result.standardError)")
        let store = try harness.runStore()
        defer { store.close() }
        #expect(try store.hits(run: runId).count == 3)
        #expect(try store.run(id: runId)?.status == .finished)
    }

    @Test func followFailsWhenNoHITCanOpen() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 1)
        let marketplace = try harness.marketplace()
        _ = try await marketplace.updateExpirationForHIT(UpdateExpirationForHITRequest(
            hitId: hitIds[0], expireAt: Date(timeIntervalSince1970: 1_420_070_400)))
        marketplace.close()

        let result = await harness.createHits(["--run-id", runId, "--follow", "--poll-interval", "1"])
        #expect(result.status == 1)
        #expect(result.standardError.contains(
            "run \(runId) created all 1 HIT and none is open, but only 0 of 1 conversation started"),
                "\(result.standardError)")
        #expect(result.standardError.contains("create-hits --task DIR -n 1"))
    }

    @Test func followWithCountCompleteWaitsForDoneConversations() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 1, extra: ["--count-complete"])
        // The worker is still in the chat, so the conversation has started but is not done.
        try harness.work(hitId: hitIds[0], runId: runId, workerId: "A1STILLCHATTING", submit: false)

        let follower = Task {
            await harness.createHits(["--run-id", runId, "--follow", "--poll-interval", "1"])
        }
        try await Task.sleep(for: .seconds(2))
        let store = try harness.runStore()
        #expect(try store.run(id: runId)?.status == .active)
        let conversation = try #require(try store.conversations(run: runId).first)
        try store.setConversationStatus(conversation.id, .done)
        store.close()

        let result = await follower.value
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("0 of 1 conversation completed, 1 HIT open"), "\(result.standardError)")
        #expect(result.standardError.contains("reached its target: 1 of 1 conversation completed; 1 HIT is still open"))
        #expect(result.standardError.contains("delete-hits --run \(runId)"))
    }

    @Test func followOptionsAreChecked() async throws {
        let harness = try ToolHarness()
        let interval = await harness.createHits(["--task", harness.taskDirectory.path, "--poll-interval", "5"])
        #expect(interval.status == 64)
        #expect(interval.standardError.contains("--poll-interval needs --follow"))

        let dry = await harness.createHits(["--task", harness.taskDirectory.path, "--follow", "--dry-run"])
        #expect(dry.status == 64)
        #expect(dry.standardError.contains("--follow and --dry-run cannot be used together"))

        let zero = await harness.createHits(["--run-id", "r1", "--follow", "--poll-interval", "0"])
        #expect(zero.status == 64)
        #expect(zero.standardError.contains("from 1 to 3600 seconds"), "\(zero.standardError)")
    }

    @Test func newRunWithMaxConnectionsNamesFollow() async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(
            ["--task", harness.taskDirectory.path, "-n", "3", "--max-connections", "1"])
        #expect(result.status == 0, "\(result.standardError)")
        let runId = try #require(result.jsonLines.first?["run_id"] as? String)
        #expect(result.standardError.contains(
            "created 1 of 3 HITs because --max-connections is 1; to open the rest as workers finish, run: "
                + "create-hits --run-id \(runId) --follow"), "\(result.standardError)")
    }
}
