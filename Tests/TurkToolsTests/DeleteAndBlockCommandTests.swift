import Foundation
import Testing
import TurkCLI
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkTools

@Suite struct DeleteHitsCommandTests {
    func hitCount(_ harness: ToolHarness) async throws -> Int {
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        return try await marketplace.allHITs().count
    }

    @Test func expiresAndDeletesOpenHITs() async throws {
        let harness = try ToolHarness()
        let (runId, _) = try await harness.createRun(conversations: 2)
        let dry = await harness.deleteHits(["--run", runId, "--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.jsonLines.map { $0["outcome"] as? String } == ["would delete", "would delete"])
        #expect(try await hitCount(harness) == 2)

        let result = await harness.deleteHits(["--run", runId])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.map { $0["outcome"] as? String } == ["deleted", "deleted"])
        #expect(result.jsonLines.first?["actions"] as? [String] == ["expired", "deleted"])
        #expect(try await hitCount(harness) == 0)
        let store = try harness.runStore()
        defer { store.close() }
        #expect(try store.run(id: runId)?.status == .deleted)
        #expect(try store.hits(run: runId).allSatisfy { $0.state == .deleted })
    }

    @Test func submittedWorkBlocksDeletionUntilReviewed() async throws {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: 2)
        try harness.work(hitId: hits[0], runId: runId, workerId: "A1WORKER")

        let first = await harness.deleteHits(["--run", runId])
        #expect(first.status == 1)
        let outcomes = Dictionary(uniqueKeysWithValues: first.jsonLines.compactMap { line in
            (line["hit_id"] as? String).map { ($0, line) }
        })
        #expect(outcomes[hits[0]]?["outcome"] as? String == "not deleted")
        #expect((outcomes[hits[0]]?["reason"] as? String)?.hasPrefix("1 submitted assignment awaits review; review it")
            == true)
        #expect(outcomes[hits[1]]?["outcome"] as? String == "deleted")

        let second = await harness.deleteHits(["--run", runId, "--approve-submitted"])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.jsonLines.first?["actions"] as? [String] == ["approved 1", "deleted"])
        #expect(try await hitCount(harness) == 0)
    }

    @Test func rejectSubmittedThenDelete() async throws {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: 1)
        let assignment = try harness.work(hitId: hits[0], runId: runId, workerId: "A1WORKER")
        let result = await harness.deleteHits(["--run", runId, "--reject-submitted", "The task was cancelled."])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.first?["actions"] as? [String] == ["rejected 1", "deleted"])
        let store = try harness.runStore()
        defer { store.close() }
        #expect(try store.reviewLog(assignmentId: assignment).first?.decision == .reject)
    }

    @Test func olderThanFiltersNewHITs() async throws {
        let harness = try ToolHarness()
        let (runId, _) = try await harness.createRun(conversations: 1)
        let result = await harness.deleteHits(["--run", runId, "--older-than", "1d"])
        #expect(result.status == 0)
        #expect(result.standardError.contains("no HIT matches"))
        #expect(try await hitCount(harness) == 1)
    }

    @Test func pendingWorkIsReported() async throws {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: 1)
        try harness.work(hitId: hits[0], runId: runId, workerId: "A1WORKER", submit: false)
        let result = await harness.deleteHits(["--run", runId])
        #expect(result.status == 1)
        #expect((result.jsonLines.first?["reason"] as? String)?.contains("still in progress") == true)
        #expect(result.jsonLines.first?["actions"] as? [String] == ["expired"])
    }

    @Test func waitsForWorkInProgress() async throws {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: 1)
        let assignment = try harness.work(hitId: hits[0], runId: runId, workerId: "A1WORKER", submit: false)

        let outcome = try CreateHitsSettingsFixture.parse(
            ["--run", runId, "--wait", "20", "--approve-submitted"], spec: DeleteHitsSpec.spec)
        let settings = try DeleteHitsSettings(parsed: outcome)
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let store = try harness.runStore()
        defer { store.close() }
        let (console, captured) = Console.capturing(toolName: "delete-hits")
        let context = ToolContext(
            console: console, marketplace: marketplace, target: .local, endpoint: nil,
            stateDirectory: StateDirectory(url: harness.stateDirectory), runStore: store, environment: [:],
            json: false, assumeYes: false)
        var job = DeleteHitsJob(context: context, settings: settings)
        job.pollInterval = 0.1

        // The worker submits while delete-hits waits.
        let submitter = Task {
            try await Task.sleep(for: .milliseconds(400))
            let worker = try harness.marketplace()
            defer { worker.close() }
            try worker.submitAssignment(assignmentId: assignment, workerId: "A1WORKER", answers: [])
        }
        try await job.run()
        try await submitter.value
        #expect(captured.standardError.contains("waiting for 1 assignment in progress"))
        #expect(captured.standardOutput == "\(hits[0])  deleted  run \(runId)  was Unassignable: expired, approved 1, "
            + "deleted\n")
        #expect(try await marketplace.allHITs().isEmpty)
    }

    @Test func orphanFromAnInterruptedCreateIsFoundOnTheAccount() async throws {
        let harness = try ToolHarness()
        let (runId, _) = try await harness.createRun(conversations: 1)
        let store = try harness.runStore()
        let run = try #require(try store.run(id: runId))
        let config = try run.config(as: RunConfig.self)
        let token = HITCreator.token(runId: runId, seq: 2)
        try store.reserveHIT(run: runId, seq: 2, token: token)
        store.close()
        let marketplace = try harness.marketplace()
        _ = try await marketplace.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: try #require(run.hitTypeId), maxAssignments: 1, lifetimeInSeconds: 3600,
            question: ExternalQuestion(externalURL: config.externalURL).xml,
            requesterAnnotation: HITCreator.annotation(runId: runId, seq: 2), uniqueRequestToken: token))
        // A HIT that turkchat did not create, with another kind of question and no keywords.
        let foreignType = try await marketplace.createHITType(CreateHITTypeRequest(
            assignmentDurationInSeconds: 600, reward: "0.10", title: "Someone else's survey", description: "Other"))
        _ = try await marketplace.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: try #require(foreignType.hitTypeId), lifetimeInSeconds: 3600,
            question: "<HTMLQuestion xmlns=\"http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd\"><HTMLContent><![CDATA[<p>hi</p>]]></HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>"))
        marketplace.close()

        let result = await harness.deleteHits(["--run", runId])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.count == 2)
        #expect(try await hitCount(harness) == 1)

        let account = await harness.deleteHits(["--account", "--title", "survey", "--dry-run"])
        #expect(account.status == 0)
        #expect(account.jsonLines.first?["title"] as? String == "Someone else's survey")
    }

    @Test func hitsByIdIncludeUnknownOnes() async throws {
        let harness = try ToolHarness()
        let (_, hits) = try await harness.createRun(conversations: 2)
        let result = await harness.deleteHits(["--hit", hits[1], "--hit", "3UNKNOWNHIT"])
        #expect(result.status == 1)
        let outcomes = result.jsonLines.map { $0["outcome"] as? String }
        #expect(outcomes == ["deleted", "not found"])
        #expect(result.standardError.contains("HIT 3UNKNOWNHIT not found"))
        #expect(try await hitCount(harness) == 1)
    }

    @Test func accountNeedsAFilter() async throws {
        let harness = try ToolHarness()
        let result = await harness.deleteHits(["--account"])
        #expect(result.status == 64)
        let none = await harness.deleteHits([])
        #expect(none.status == 64)
    }

    @Test func runIdFromAnnotation() {
        #expect(DeleteHitsJob.runId(fromAnnotation: "turkchat run=r1-ab seq=3") == "r1-ab")
        #expect(DeleteHitsJob.runId(fromAnnotation: "batch=xyz") == nil)
    }
}

@Suite struct BlockCommandTests {
    @Test func hardBlockAndUnblockAreRepeatable() async throws {
        let harness = try ToolHarness()
        let first = await harness.block(["block", "--reason", "Spam answers.", "A1SPAM", "A2SPAM"])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput == "A1SPAM  blocked\nA2SPAM  blocked\n")
        let again = await harness.block(["--hard", "--reason", "Spam answers.", "A1SPAM"])
        #expect(again.standardOutput == "A1SPAM  already blocked\n")

        let list = await harness.block(["list", "--json"])
        #expect(list.jsonLines.compactMap { $0["worker_id"] as? String } == ["A1SPAM", "A2SPAM"])

        let unblock = await harness.block(["unblock", "A1SPAM"])
        #expect(unblock.standardOutput == "A1SPAM  unblocked\n")
        let unblockAgain = await harness.block(["--unblock", "A1SPAM"])
        #expect(unblockAgain.status == 0)
        #expect(unblockAgain.standardOutput == "A1SPAM  was not blocked\n")
    }

    @Test func hardBlockNeedsAReason() async throws {
        let harness = try ToolHarness()
        let result = await harness.block(["block", "A1SPAM"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("--reason"))
    }

    @Test func softBlockCreatesTheQualification() async throws {
        let harness = try ToolHarness()
        let file = harness.root.appendingPathComponent("workers.txt")
        try Data("A1SLOW\n\n# a comment\nA2SLOW\n".utf8).write(to: file)
        let result = await harness.block(["soft-block", "--qualification", "qa-blocked", "--file", file.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "A1SLOW  blocked\nA2SLOW  blocked\n")
        let again = await harness.block(["--soft", "--qualification", "qa-blocked"], input: "A1SLOW\n")
        #expect(again.standardOutput == "A1SLOW  already blocked\n")

        let list = await harness.block(["list", "--soft", "--qualification", "qa-blocked", "--json"])
        #expect(list.jsonLines.count == 2)

        let unblock = await harness.block(["soft-unblock", "--qualification", "qa-blocked", "A1SLOW", "A3NEVER"])
        #expect(unblock.standardOutput == "A1SLOW  unblocked\nA3NEVER  was not blocked\n")
    }

    @Test func malformedIdsChangeNothing() async throws {
        let harness = try ToolHarness()
        let result = await harness.block(["block", "--reason", "x"], input: "A1GOOD\nnot-a-worker\n")
        #expect(result.status == 1)
        #expect(result.standardError.contains("stdin:2: malformed worker id 'not-a-worker'"))
        let list = await harness.block(["list", "--json"])
        #expect(list.jsonLines.isEmpty)
    }

    @Test func contradictoryActionIsAUsageError() async throws {
        let harness = try ToolHarness()
        let result = await harness.block(["block", "--unblock", "A1X"])
        #expect(result.status == 64)
    }
}
