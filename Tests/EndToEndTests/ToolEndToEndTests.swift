import Foundation
import Testing
import TurkLocal
import TurkModel
import TurkStore

/// The built executables, run as separate processes against a temporary state directory.
@Suite(.serialized) struct ToolEndToEndTests {
    // MARK: - Bad input

    @Test(arguments: [
        (["-r", "0.9752"], "more than two decimals"),
        (["-r", "$1"], "'$' sign"),
        (["--reward=-1"], "negative"),
        (["--rewrad", "0.50"], "did you mean '--reward'"),
    ])
    func createHitsRejectsBadInput(_ extra: [String], _ expected: String) async throws {
        let sandbox = try ToolSandbox()
        let result = try await sandbox.run("create-hits", ["--task", sandbox.taskDirectory.path] + extra)
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("create-hits: error: "))
        #expect(result.standardError.contains(expected), "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        let store = try sandbox.runStore()
        defer { store.close() }
        #expect(try store.runs().isEmpty)
    }

    @Test func everyToolAnswersHelpAndRejectsUnknownOptions() async throws {
        let sandbox = try ToolSandbox()
        for tool in ["create-hits", "serve-chat", "review", "bonus-workers", "delete-hits", "block"] {
            let help = try await sandbox.run(tool, ["--help"])
            #expect(help.status == 0, "\(tool)")
            #expect(help.standardOutput.contains("Usage: \(tool)"), "\(tool)")
            let unknown = try await sandbox.run(tool, ["--no-such-option"])
            #expect(unknown.status == 64, "\(tool)")
            #expect(unknown.standardError.hasPrefix("\(tool): error: "), "\(tool): \(unknown.standardError)")
        }
    }

    @Test func bonusFileWithOneBadRowPaysNothing() async throws {
        let sandbox = try ToolSandbox()
        let (runId, assignments) = try await submittedRun(sandbox, count: 2)
        _ = runId
        let csv = sandbox.root.appendingPathComponent("bonus.csv")
        try Data(("worker_id,assignment_id,amount,reason\n"
            + "A1WORKER,\(assignments[0]),0.50,Thanks\n"
            + "A2WORKER,\(assignments[1]),0.50,\n").utf8).write(to: csv)
        let result = try await sandbox.run("bonus-workers", [csv.path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("bonus.csv:3: missing reason"))
        #expect(result.standardOutput.isEmpty)
        let marketplace = try sandbox.marketplace()
        defer { marketplace.close() }
        for assignment in assignments {
            #expect(try await marketplace.allBonusPayments(assignmentId: assignment).isEmpty)
        }
    }

    @Test func unknownIdsFailWithAHint() async throws {
        let sandbox = try ToolSandbox()
        _ = try await submittedRun(sandbox, count: 1)
        let review = try await sandbox.run("review", ["--approve", "3NOSUCHASSIGNMENT0000000000000"])
        #expect(review.status == 1)
        #expect(review.standardError.contains("assignment 3NOSUCHASSIGNMENT0000000000000 not found"))
        #expect(review.standardError.contains("hint: "))

        let hit = try await sandbox.run("delete-hits", ["--hit", "3NOSUCHHIT0000000000000000000"])
        #expect(hit.status == 1)
        #expect(hit.standardError.contains("HIT 3NOSUCHHIT0000000000000000000 not found on the local marketplace"))
        #expect(hit.standardError.contains("hint: "))

        let delete = try await sandbox.run("delete-hits", ["--run", "r20200101T000000-0000"])
        #expect(delete.status == 1)
        #expect(delete.standardError.contains("run r20200101T000000-0000 not found"))
    }

    // MARK: - Crash and rerun

    @Test(arguments: [(1, 0.0), (3, 0.0), (2, 0.15)])
    func createHitsKilledMidBatchThenResumed(afterLines: Int, extraDelay: Double) async throws {
        // Enough HITs that the kill lands mid-batch even when a loaded machine is slow to read the output.
        let total = 20
        let sandbox = try ToolSandbox()
        let output = try await sandbox.killAfter(
            lines: afterLines, extraDelay: extraDelay, "create-hits",
            ["--task", sandbox.taskDirectory.path, "-n", String(total), "--json"],
            environment: ["TURKCHAT_TEST_CALL_DELAY_MS": "200"])
        let firstLines = output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let runId = try #require(firstLines.first?["run_id"] as? String)
        #expect(firstLines.count < total, "the kill landed after the batch finished")

        let rerun = try await sandbox.run("create-hits", ["--run-id", runId, "--json"])
        #expect(rerun.status == 0, "\(rerun.standardError)")

        let marketplace = try sandbox.marketplace()
        defer { marketplace.close() }
        let hits = try await marketplace.allHITs()
        #expect(hits.count == total, "expected \(total) HITs, found \(hits.count)")
        let annotations = hits.compactMap(\.requesterAnnotation)
        #expect(Set(annotations).count == total, "a HIT was created twice: \(annotations.sorted())")
        let store = try sandbox.runStore()
        defer { store.close() }
        let ledger = try store.hits(run: runId)
        #expect(ledger.count == total)
        #expect(ledger.allSatisfy { $0.state == .created })
        #expect(Set(ledger.compactMap(\.hitId)) == Set(hits.compactMap(\.hitId)))
    }

    @Test(arguments: [(1, 0.0), (3, 0.0), (2, 0.1)])
    func bonusWorkersKilledMidFileThenRerun(afterLines: Int, extraDelay: Double) async throws {
        let sandbox = try ToolSandbox()
        let (_, assignments) = try await submittedRun(sandbox, count: 5)
        var csv = "worker_id,assignment_id,amount,reason\n"
        for (index, assignment) in assignments.enumerated() {
            csv += "A\(index + 1)WORKER,\(assignment),0.\(index + 1)0,\"Thanks, round \(index + 1)\"\n"
        }
        // The first worker gets the same bonus twice, on purpose and with --allow-repeat-bonus: both rows must be
        // paid, once each.
        csv += "A1WORKER,\(assignments[0]),0.10,\"Thanks, round 1\"\n"
        let file = sandbox.root.appendingPathComponent("bonus.csv")
        try Data(csv.utf8).write(to: file)

        let output = try await sandbox.killAfter(
            lines: afterLines, extraDelay: extraDelay, "bonus-workers", ["--allow-repeat-bonus", "--json", file.path],
            // Slow enough that the kill lands mid-file even when a loaded machine is slow to read the output.
            environment: ["TURKCHAT_TEST_CALL_DELAY_MS": "400"])
        #expect(output.split(separator: "\n").count < 6, "the kill landed after the file was paid")

        let rerun = try await sandbox.run("bonus-workers", ["--allow-repeat-bonus", "--json", file.path])
        #expect(rerun.status == 0, "\(rerun.standardError)")
        #expect(rerun.jsonLines.count == 6)

        let marketplace = try sandbox.marketplace()
        defer { marketplace.close() }
        for (index, assignment) in assignments.enumerated() {
            let payments = try await marketplace.allBonusPayments(assignmentId: assignment)
            #expect(payments.count == (index == 0 ? 2 : 1), "assignment \(index + 1): \(payments.count) payments")
        }

        // Every row is paid under its own token, so a third run needs no flag.
        let third = try await sandbox.run("bonus-workers", ["--json", file.path])
        #expect(third.status == 0, "\(third.standardError)")
        #expect(third.jsonLines.allSatisfy { ($0["outcome"] as? String) == "already paid" })
    }

    // MARK: - Whole flow

    @Test func runReviewBonusAndCleanUp() async throws {
        let sandbox = try ToolSandbox()
        let (runId, assignments) = try await submittedRun(sandbox, count: 2)
        let list = try await sandbox.run("review", ["--run", runId, "--json"])
        #expect(list.jsonLines.count == 2)
        let approve = try await sandbox.run("review", ["--approve-all", "--run", runId, "--json"])
        #expect(approve.status == 0, "\(approve.standardError)")
        #expect(approve.jsonLines.allSatisfy { ($0["outcome"] as? String) == "approved" })

        let csv = sandbox.root.appendingPathComponent("bonus.csv")
        try Data("worker_id,assignment_id,amount,reason\nA1WORKER,\(assignments[0]),0.25,Nice question\n".utf8)
            .write(to: csv)
        let bonus = try await sandbox.run("bonus-workers", [csv.path])
        #expect(bonus.status == 0, "\(bonus.standardError)")

        let delete = try await sandbox.run("delete-hits", ["--run", runId])
        #expect(delete.status == 0, "\(delete.standardError)")
        let marketplace = try sandbox.marketplace()
        defer { marketplace.close() }
        #expect(try await marketplace.allHITs().isEmpty)
    }

    // MARK: - Helpers

    /// Creates a run with `create-hits` and has one worker per HIT accept and submit it, recording the assignment
    /// in the run store as serve-chat does.
    func submittedRun(_ sandbox: ToolSandbox, count: Int) async throws -> (String, [String]) {
        let created = try await sandbox.run(
            "create-hits", ["--task", sandbox.taskDirectory.path, "-n", String(count), "--json"])
        guard created.status == 0 else { throw ProcessFailure("create-hits failed: \(created.standardError)") }
        let runId = try #require(created.jsonLines.first?["run_id"] as? String)
        let hitIds = created.jsonLines.compactMap { $0["hit_id"] as? String }
        let marketplace = try sandbox.marketplace()
        defer { marketplace.close() }
        let store = try sandbox.runStore()
        defer { store.close() }
        var assignments: [String] = []
        for (index, hitId) in hitIds.enumerated() {
            let workerId = "A\(index + 1)WORKER"
            let assignment = try marketplace.acceptHIT(hitId: hitId, workerId: workerId)
            try store.upsertAssignment(AssignmentRecord(
                assignmentId: assignment.assignmentId, workerId: workerId, hitId: hitId, runId: runId,
                agentId: "Worker", status: .submitted, acceptedAt: Date()))
            try marketplace.submitAssignment(assignmentId: assignment.assignmentId, workerId: workerId, answers: [])
            assignments.append(assignment.assignmentId)
        }
        return (runId, assignments)
    }
}
