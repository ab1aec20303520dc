import Foundation
import Testing
import TurkCLI
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkTools

@Suite struct CreateHitsCommandTests {
    @Test func createsOneHITPerSeat() async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(["--task", harness.taskDirectory.path, "-n", "3"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.jsonLines
        #expect(lines.count == 3)
        #expect(lines.map { $0["seq"] as? Int } == [1, 2, 3])
        #expect(lines.allSatisfy { ($0["outcome"] as? String) == "created" })
        let runId = try #require(lines.first?["run_id"] as? String)

        let store = try harness.runStore()
        defer { store.close() }
        let ledger = try store.hits(run: runId)
        #expect(ledger.map(\.state) == [.created, .created, .created])
        #expect(try store.run(id: runId)?.status == .active)

        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let hits = try await marketplace.allHITs()
        #expect(hits.count == 3)
        #expect(hits.allSatisfy { $0.requesterAnnotation?.hasPrefix("turkchat run=\(runId) seq=") == true })
        let question = try #require(hits.first?.question.flatMap(ExternalQuestion.init(xml:)))
        #expect(question.externalURL == "http://127.0.0.1:8080/chat?run=\(runId)")
        #expect(hits.first?.reward == "0.50")
        #expect(hits.first?.maxAssignments == 1)
    }

    @Test func progressBarOnATerminal() async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(["--task", harness.taskDirectory.path, "-n", "3"], terminal: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("3/3 HITs"))
        #expect(result.standardError.contains("[##############################]"))
        #expect(result.standardError.contains("Cost on the local target:"))
        let quiet = await harness.createHits(["--task", harness.taskDirectory.path, "-n", "1"])
        #expect(!quiet.standardError.contains("HITs\r"))
        #expect(!quiet.standardError.contains("[#"))
    }

    @Test func dryRunCreatesNothing() async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(
            ["--task", harness.taskDirectory.path, "-n", "4", "-r", "0.25", "--dry-run"], json: false)
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("4 HITs × $0.25 reward = $1.00, MTurk fees $0.20"))
        #expect(result.standardOutput.contains("total $1.20"))
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        #expect(try await marketplace.allHITs().isEmpty)
        let store = try harness.runStore()
        defer { store.close() }
        #expect(try store.runs().isEmpty)
    }

    @Test(arguments: [["-r", "0.9752"], ["-r", "$1"], ["--reward=-1"], ["-r", "0"], ["--bogus"], ["-n", "0"]])
    func badInputIsAUsageError(_ extra: [String]) async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(["--task", harness.taskDirectory.path] + extra)
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.contains("error:"))
        let store = try harness.runStore()
        defer { store.close() }
        #expect(try store.runs().isEmpty)
    }

    @Test func badTaskDataCreatesNothing() async throws {
        let harness = try ToolHarness()
        try Data(#"{"data": [{"title": "x", "context": "flat", "question": "q"}]}"#.utf8)
            .write(to: harness.taskDirectory.appendingPathComponent("data/squad.json"))
        let result = await harness.createHits(["--task", harness.taskDirectory.path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("flat layout"))
        #expect(result.standardError.contains("squad.json"))
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        #expect(try await marketplace.allHITs().isEmpty)
    }

    @Test func httpsIsRequiredOutsideTheLocalTarget() async throws {
        let harness = try ToolHarness()
        let result = await harness.run(
            { await CreateHitsCommand.main(arguments: $0, environment: $1, console: $2) },
            ["--target", "sandbox", "--task", harness.taskDirectory.path, "--server-url", "http://example.org"],
            environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("HTTPS"))
    }

    @Test func resumeAfterCrashBeforeTheCreateCall() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 2)
        // A crash right after the ledger row for HIT 3 was written and before the call: the row is pending.
        let store = try harness.runStore()
        var run = try #require(try store.run(id: runId))
        var config = try run.config(as: RunConfig.self)
        config.totalHITs = 3
        try store.setRunConfig(runId, configJSON: try config.jsonString())
        try store.reserveHIT(run: runId, seq: 3, token: HITCreator.token(runId: runId, seq: 3))
        store.close()

        let result = await harness.createHits(["--run-id", runId])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.map { $0["seq"] as? Int } == [3])
        #expect(result.jsonLines.first?["outcome"] as? String == "created")

        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let hits = try await marketplace.allHITs()
        #expect(hits.count == 3)
        #expect(Set(hits.compactMap(\.hitId)).isSuperset(of: hitIds))
        let reopened = try harness.runStore()
        defer { reopened.close() }
        run = try #require(try reopened.run(id: runId))
        #expect(try reopened.hits(run: runId).allSatisfy { $0.state == .created })
    }

    @Test func resumeAfterCrashAfterTheCreateCall() async throws {
        let harness = try ToolHarness()
        let (runId, _) = try await harness.createRun(conversations: 1)
        let store = try harness.runStore()
        let run = try #require(try store.run(id: runId))
        var config = try run.config(as: RunConfig.self)
        config.totalHITs = 2
        try store.setRunConfig(runId, configJSON: try config.jsonString())
        // The call for HIT 2 reached the marketplace, and the process died before the ledger recorded the id.
        let token = HITCreator.token(runId: runId, seq: 2)
        try store.reserveHIT(run: runId, seq: 2, token: token)
        store.close()
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let created = try await marketplace.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: try #require(run.hitTypeId), maxAssignments: 1, lifetimeInSeconds: 3600,
            question: ExternalQuestion(externalURL: config.externalURL).xml,
            requesterAnnotation: HITCreator.annotation(runId: runId, seq: 2), uniqueRequestToken: token))

        let result = await harness.createHits(["--run-id", runId])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.first?["outcome"] as? String == "recovered")
        #expect(result.jsonLines.first?["hit_id"] as? String == created.hit?.hitId)
        #expect(try await marketplace.allHITs().count == 2)

        // A third run finds nothing to do.
        let again = await harness.createHits(["--run-id", runId])
        #expect(again.status == 0)
        #expect(again.jsonLines.isEmpty)
        #expect(try await marketplace.allHITs().count == 2)
    }

    @Test func resumeRejectsSettingsThatChangeTheRun() async throws {
        let harness = try ToolHarness()
        let (runId, _) = try await harness.createRun(conversations: 1)
        let result = await harness.createHits(["--run-id", runId, "-n", "5"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("--num-conversations"))
    }

    @Test func unknownRunIdIsAnError() async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(["--run-id", "r20260101T000000-dead"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("run r20260101T000000-dead not found"))
    }

    @Test func maxConnectionsOpensTheRestLater() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 4, extra: ["--max-connections", "2"])
        #expect(hitIds.count == 2)

        // Both HITs are still open, so a rerun adds none.
        let idle = await harness.createHits(["--run-id", runId])
        #expect(idle.status == 0, "\(idle.standardError)")
        #expect(idle.jsonLines.isEmpty)

        // One worker finishes; one seat frees up.
        try harness.work(hitId: hitIds[0], runId: runId, workerId: "A1WORKER")
        let topUp = await harness.createHits(["--run-id", runId])
        #expect(topUp.status == 0, "\(topUp.standardError)")
        #expect(topUp.jsonLines.map { $0["seq"] as? Int } == [3])

        let store = try harness.runStore()
        defer { store.close() }
        let config = try #require(try store.run(id: runId)).config(as: RunConfig.self)
        #expect(config.totalHITs == 4)
        #expect(config.maxConnections == 2)
    }

    @Test func workerLimitFlagsBecomeQualificationRequirements() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 1, extra: [
            "--unique", "--unique-qual-name", "qa-once", "--block-qualification", "qa-blocked",
            "--disconnect-qualification", "qa-disconnects", "--max-time", "1h", "--locale", "US", "--locale", "CA",
            "--min-approval-rate", "95", "--min-approved-hits", "100", "--masters",
        ])
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let hit = try #require(try await marketplace.getHIT(GetHITRequest(hitId: hitIds[0])).hit)
        let requirements = try #require(hit.qualificationRequirements)
        #expect(requirements.count == 8)
        let names = try await marketplace.allQualificationTypes(query: nil).compactMap(\.name)
        for name in ["qa-once", "qa-blocked", "qa-disconnects", "\(runId)-max-daily-time"] {
            #expect(names.contains(name), "missing qualification type \(name)")
        }
        #expect(requirements.filter { $0.comparator == .doesNotExist }.count == 4)
        let locale = requirements.first { $0.qualificationTypeId == SystemQualification.locale }
        #expect(locale?.comparator == .in)
        #expect(locale?.localeValues?.map(\.country) == ["US", "CA"])

        let store = try harness.runStore()
        defer { store.close() }
        let config = try #require(try store.run(id: runId)).config(as: RunConfig.self)
        #expect(config.unique)
        #expect(config.allowedConversations == 1)
        #expect(config.uniqueQualification?.name == "qa-once")
        #expect(config.maxTimeSeconds == 3600)
    }

    @Test func taskExclusionQualificationIsRequired() async throws {
        let harness = try ToolHarness()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let task = repository.appendingPathComponent("tasks/qualification_flow").path
        let result = await harness.createHits(["--task", task, "-n", "1"])
        #expect(result.status == 0, "\(result.standardError)")
        let hitId = try #require(result.jsonLines.first?["hit_id"] as? String)

        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let types = try await marketplace.allQualificationTypes(query: "turkchat-qualification-flow-failed-test")
        let type = try #require(types.first { $0.name == "turkchat-qualification-flow-failed-test" })
        let hit = try #require(try await marketplace.getHIT(GetHITRequest(hitId: hitId)).hit)
        let requirement = hit.qualificationRequirements?.first { $0.qualificationTypeId == type.qualificationTypeId }
        #expect(requirement?.comparator == .doesNotExist)
    }

    @Test func runSettingsAreStoredForServeChat() async throws {
        let harness = try ToolHarness()
        let (runId, hitIds) = try await harness.createRun(conversations: 2, extra: [
            "--max-hits-per-worker", "3", "--count-complete", "--hard-block", "--max-time", "2h",
            "--max-time-qual", "qa-daily", "--auto-approve-delay", "2d", "--lifetime", "6h",
            "--assignment-duration", "20m", "--over-recruit", "50",
        ])
        #expect(hitIds.count == 3)  // 2 seats plus 50 % rounded up

        let store = try harness.runStore()
        defer { store.close() }
        let config = try #require(try store.run(id: runId)).config(as: RunConfig.self)
        #expect(config.maxHITsPerWorker == 3)
        #expect(config.allowedConversations == 3)
        #expect(config.countComplete)
        #expect(config.hardBlock)
        #expect(config.maxTimeSeconds == 7200)
        #expect(config.maxTimeQualification?.name == "qa-daily")
        #expect(config.uniqueQualification?.name == "\(runId)-max-submissions")
        #expect(config.totalHITs == 3)
        #expect(config.overRecruitPercent == 50)

        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let hit = try #require(try await marketplace.getHIT(GetHITRequest(hitId: hitIds[0])).hit)
        #expect(hit.autoApprovalDelayInSeconds == 172_800)
        #expect(hit.assignmentDurationInSeconds == 1_200)
        let creation = try #require(hit.creationTime)
        let lifetime = try #require(hit.expiration?.timeIntervalSince(creation))
        #expect(abs(lifetime - 21_600) < 5)
    }

    @Test func outOfRangeDurationsAreUsageErrors() async throws {
        let harness = try ToolHarness()
        for extra in [["--lifetime", "10"], ["--auto-approve-delay", "31d"], ["--assignment-duration", "abc"],
                      ["--min-approval-rate", "101"], ["--locale", "USA"], ["--max-time-qual", "x"]] {
            let result = await harness.createHits(["--task", harness.taskDirectory.path] + extra)
            #expect(result.status == 64, "\(extra): \(result.standardError)")
        }
    }

    @Test func existingQualificationIsReused() async throws {
        let harness = try ToolHarness()
        _ = try await harness.createRun(conversations: 1, extra: ["--block-qualification", "qa-blocked"])
        _ = try await harness.createRun(conversations: 1, extra: ["--block-qualification", "qa-blocked"])
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let types = try await marketplace.allQualificationTypes(query: "qa-blocked")
        #expect(types.filter { $0.name == "qa-blocked" }.count == 1)
    }

    @Test func tokensAreDeterministic() {
        #expect(HITCreator.token(runId: "r1", seq: 1) == HITCreator.token(runId: "r1", seq: 1))
        #expect(HITCreator.token(runId: "r1", seq: 1) != HITCreator.token(runId: "r1", seq: 2))
        #expect(HITCreator.token(runId: "r1", seq: 1) != HITCreator.token(runId: "r2", seq: 1))
        #expect(HITCreator.token(runId: "r20261204T203000-3f9a", seq: 99_999).count <= 64)
    }

    @Test func quotedHITIdIsFoundInTheDuplicateMessage() {
        let message = #"The HIT with ID "3ABCDEF123" already exists. (1563311902391 s)"#
        #expect(HITCreator.quotedEntityId(in: message) == "3ABCDEF123")
        #expect(HITCreator.quotedEntityId(in: "no id here") == nil)
    }

    @Test func liveNeedsYesWithoutATerminal() async throws {
        let harness = try ToolHarness()
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let store = try harness.runStore()
        defer { store.close() }
        let (console, captured) = Console.capturing(toolName: "create-hits")
        let context = ToolContext(
            console: console, marketplace: marketplace, target: .live, endpoint: nil,
            stateDirectory: StateDirectory(url: harness.stateDirectory), runStore: store, environment: [:],
            json: false, assumeYes: false)
        var settings = try CreateHitsSettingsFixture.settings(task: harness.taskDirectory.path)
        settings.serverURL = URL(string: "https://chat.example.org")
        await #expect(throws: (any Error).self) {
            try await CreateHitsJob(context: context, settings: settings).run()
        }
        #expect(captured.standardError.contains("$1.20"))
        #expect(try await marketplace.allHITs().isEmpty)
        #expect(try store.runs().isEmpty)
    }
}

extension CreateHitsCommandTests {
    /// Returns a context on the live target over the local marketplace, with a terminal that types `input`.
    func liveContext(_ harness: ToolHarness, input: String, marketplace: LocalMarketplace, store: RunStore)
        -> (ToolContext, CapturedOutput)
    {
        let (console, captured) = Console.capturing(toolName: "create-hits", input: input, isTerminal: true)
        let context = ToolContext(
            console: console, marketplace: marketplace, target: .live, endpoint: nil,
            stateDirectory: StateDirectory(url: harness.stateDirectory), runStore: store, environment: [:],
            json: false, assumeYes: false)
        return (context, captured)
    }

    @Test func liveAboveThresholdNeedsTheTypedAmount() async throws {
        let harness = try ToolHarness()
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let store = try harness.runStore()
        defer { store.close() }
        var settings = try CreateHitsSettingsFixture.settings(
            task: harness.taskDirectory.path, extra: ["--confirm-threshold", "1.00"])
        settings.serverURL = URL(string: "https://chat.example.org")

        let (wrong, wrongOutput) = liveContext(harness, input: "1.00\n", marketplace: marketplace, store: store)
        await #expect(throws: (any Error).self) {
            try await CreateHitsJob(context: wrong, settings: settings).run()
        }
        #expect(wrongOutput.standardError.contains("Type the total, 1.20"))
        #expect(try await marketplace.allHITs().isEmpty)

        let (right, rightOutput) = liveContext(harness, input: "1.20\n", marketplace: marketplace, store: store)
        try await CreateHitsJob(context: right, settings: settings).run()
        #expect(try await marketplace.allHITs().count == 2)
        #expect(rightOutput.standardOutput.contains("https://www.mturk.com/mturk/preview?groupId="))
    }

    @Test func liveBelowThresholdNeedsYes() async throws {
        let harness = try ToolHarness()
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        let store = try harness.runStore()
        defer { store.close() }
        var settings = try CreateHitsSettingsFixture.settings(task: harness.taskDirectory.path)
        settings.serverURL = URL(string: "https://chat.example.org")
        let (context, _) = liveContext(harness, input: "y\n", marketplace: marketplace, store: store)
        try await CreateHitsJob(context: context, settings: settings).run()
        #expect(try await marketplace.allHITs().count == 2)
    }
}

/// Builds create-hits settings through the real parser.
enum CreateHitsSettingsFixture {
    static func settings(task: String, extra: [String] = []) throws -> CreateHitsSettings {
        try CreateHitsSettings(parsed: parse(["--task", task, "-n", "2"] + extra, spec: CreateHitsSpec.spec))
    }

    /// Parses a command line against a tool's spec.
    static func parse(_ arguments: [String], spec: CommandSpec) throws -> ParsedArguments {
        let outcome = try TurkCLI.CommandLineParser.parse(arguments, spec: spec, environment: [:])
        guard case .arguments(let parsed) = outcome else { throw ToolError("parser returned no arguments") }
        return parsed
    }
}
