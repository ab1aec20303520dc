import Foundation
import Testing
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkChat

@Suite struct WorkerLimitRuleTests {
    func config(_ change: (inout RunConfig) -> Void) -> RunConfig {
        var config = RunConfig(conversations: 5, agentIds: ["Worker"], totalHITs: 5, title: "T", description: "D",
                               reward: "0.10", lifetimeSeconds: 60, assignmentDurationSeconds: 60,
                               autoApprovalDelaySeconds: 60, externalURL: "http://127.0.0.1/chat?run=r1")
        change(&config)
        return config
    }

    @Test func noLimitsLetEveryoneIn() {
        #expect(WorkerLimits.refusal(config: config { _ in },
                                     standing: WorkerStanding(completedInRun: 9, workingSecondsToday: 99_999)) == nil)
    }

    @Test func uniqueTurnsAwayAfterOne() {
        let unique = config { $0.unique = true }
        #expect(WorkerLimits.refusal(config: unique, standing: WorkerStanding(completedInRun: 0, workingSecondsToday: 0))
                == nil)
        #expect(WorkerLimits.refusal(config: unique, standing: WorkerStanding(completedInRun: 1, workingSecondsToday: 0))?
                .contains("(1)") == true)
    }

    @Test func maxHITsPerWorkerCountsCompletedAssignments() {
        let limited = config { $0.maxHITsPerWorker = 3 }
        #expect(WorkerLimits.refusal(config: limited, standing: WorkerStanding(completedInRun: 2, workingSecondsToday: 0))
                == nil)
        #expect(WorkerLimits.refusal(config: limited, standing: WorkerStanding(completedInRun: 3, workingSecondsToday: 0))
                != nil)
    }

    @Test func dailyTimeLimitTurnsAway() {
        let limited = config { $0.maxTimeSeconds = 600 }
        #expect(WorkerLimits.refusal(config: limited, standing: WorkerStanding(completedInRun: 0, workingSecondsToday: 599))
                == nil)
        #expect(WorkerLimits.refusal(config: limited, standing: WorkerStanding(completedInRun: 0, workingSecondsToday: 600))?
                .contains("tomorrow") == true)
    }
}

extension ServerTests {
    @Suite struct WorkerLimitTests {
        @Test func uniqueWorkerGetsQualificationAndIsTurnedAway() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let marketplace = try LocalMarketplace(stateDirectory: server.stateDirectory, environment: [:])
            defer { marketplace.close() }
            let qualification = try await marketplace.createQualificationType(CreateQualificationTypeRequest(
                name: "test-unique", description: "Workers who did this task", qualificationTypeStatus: .active))
            let qualificationId = try #require(qualification.qualificationType?.qualificationTypeId)
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2) {
                $0.unique = true
                $0.uniqueQualification = NamedQualification(name: "test-unique", id: qualificationId)
            }
            let first = try runScriptedWorker(server: server.url, arguments: [
                "--worker-id", "A1ONCEONLY", "--run", run.runId, "--hit-id", run.hitIds[0]])
            #expect(first.status == 0, "\(first.stderr)")
            try await Task.sleep(for: .seconds(1))
            let holders = try await marketplace.allWorkers(withQualificationType: qualificationId)
            #expect(holders.map(\.workerId) == ["A1ONCEONLY"])

            let second = try runScriptedWorker(server: server.url, arguments: [
                "--worker-id", "A1ONCEONLY", "--run", run.runId, "--hit-id", run.hitIds[1]])
            #expect(second.status == 1)
            #expect((second.result["error"] as? String)?.contains("most HITs of this task") == true,
                    "\(second.result)")
        }
    }
}
