import Foundation
import Testing
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkTools

@Suite struct ReviewCommandTests {
    func submittedRun(_ count: Int = 2) async throws -> (ToolHarness, String, [String]) {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: count)
        var assignments: [String] = []
        for (index, hitId) in hits.enumerated() {
            assignments.append(try harness.work(hitId: hitId, runId: runId, workerId: "A\(index + 1)WORKER"))
        }
        return (harness, runId, assignments)
    }

    func status(_ harness: ToolHarness, _ assignmentId: String) async throws -> AssignmentStatus? {
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        return try await marketplace.getAssignment(GetAssignmentRequest(assignmentId: assignmentId)).assignment?
            .assignmentStatus
    }

    @Test func listShowsStatusAutoApprovalAndConversation() async throws {
        let (harness, runId, assignments) = try await submittedRun()
        let text = await harness.review(["--run", runId])
        #expect(text.status == 0, "\(text.standardError)")
        #expect(text.standardOutput.contains(assignments[0]))
        #expect(text.standardOutput.contains("auto-approves"))
        #expect(text.standardOutput.contains("Worker: What is the capital of France?"))

        let json = await harness.review(["--run", runId, "--list", "--json"])
        let lines = json.jsonLines
        #expect(lines.count == 2)
        #expect(lines.first?["status"] as? String == "Submitted")
        #expect(lines.first?["auto_approval_time"] is String)
        #expect((lines.first?["messages"] as? [Any])?.count == 4)
    }

    @Test func approveTwiceIsDone() async throws {
        let (harness, _, assignments) = try await submittedRun(1)
        let first = await harness.review(["--approve", "--json", assignments[0]])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.jsonLines.first?["outcome"] as? String == "approved")
        let second = await harness.review(["--approve", "--json", assignments[0]])
        #expect(second.status == 0)
        #expect(second.jsonLines.first?["outcome"] as? String == "already approved")
        #expect(try await status(harness, assignments[0]) == .approved)

        let store = try harness.runStore()
        defer { store.close() }
        let log = try store.reviewLog(assignmentId: assignments[0])
        #expect(log.map(\.outcome) == ["approved", "already approved"])
    }

    @Test func rejectNeedsAReason() async throws {
        let (harness, _, assignments) = try await submittedRun(1)
        let refused = await harness.review(["--reject", assignments[0]])
        #expect(refused.status == 64)
        #expect(refused.standardError.contains("--reason"))
        #expect(try await status(harness, assignments[0]) == .submitted)

        let rejected = await harness.review(["--reject", "--reason", "The answer is not in the paragraph.", assignments[0]])
        #expect(rejected.status == 0, "\(rejected.standardError)")
        #expect(try await status(harness, assignments[0]) == .rejected)
    }

    @Test func overrideRejection() async throws {
        let (harness, _, assignments) = try await submittedRun(1)
        _ = await harness.review(["--reject", "--reason", "Too short.", assignments[0]])
        let plain = await harness.review(["--approve", assignments[0]])
        #expect(plain.status == 1)
        #expect(plain.standardError.contains("--override-rejection"))
        let overridden = await harness.review(["--override-rejection", "--json", assignments[0]])
        #expect(overridden.status == 0, "\(overridden.standardError)")
        #expect(overridden.jsonLines.first?["decision"] as? String == "override")
        #expect(try await status(harness, assignments[0]) == .approved)
    }

    @Test func unknownIdFailsAfterTheOthers() async throws {
        let (harness, _, assignments) = try await submittedRun(2)
        let result = await harness.review(["--approve", assignments[0], "3NOSUCHASSIGNMENT", assignments[1]])
        #expect(result.status == 1)
        #expect(result.standardError.contains("assignment 3NOSUCHASSIGNMENT not found on the local marketplace"))
        #expect(result.standardError.contains("hint:"))
        #expect(try await status(harness, assignments[0]) == .approved)
        #expect(try await status(harness, assignments[1]) == .approved)
    }

    @Test func idsFromStandardInput() async throws {
        let (harness, _, assignments) = try await submittedRun(2)
        let input = "\(assignments[0])\n{\"assignment_id\": \"\(assignments[1])\"}\n"
        let result = await harness.review(["--approve"], input: input)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try await status(harness, assignments[1]) == .approved)
    }

    @Test func decisionsFromJSONLines() async throws {
        let (harness, _, assignments) = try await submittedRun(2)
        let input = """
            {"assignment_id": "\(assignments[0])", "decision": "approve", "feedback": "Thanks!"}
            {"assignment_id": "\(assignments[1])", "decision": "reject", "feedback": "Off topic."}
            """
        let result = await harness.review(["--decisions", "-"], input: input)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try await status(harness, assignments[0]) == .approved)
        #expect(try await status(harness, assignments[1]) == .rejected)
    }

    @Test func invalidDecisionsApplyNothing() async throws {
        let (harness, _, assignments) = try await submittedRun(2)
        let input = """
            {"assignment_id": "\(assignments[0])", "decision": "approve"}
            {"assignment_id": "\(assignments[1])", "decision": "reject"}
            """
        let result = await harness.review(["--decisions", "-"], input: input)
        #expect(result.status == 1)
        #expect(result.standardError.contains("stdin:2:"))
        #expect(try await status(harness, assignments[0]) == .submitted)
    }

    @Test func approveAllNeedsAFilter() async throws {
        let (harness, runId, assignments) = try await submittedRun(2)
        let refused = await harness.review(["--approve-all"])
        #expect(refused.status == 64)
        let result = await harness.review(["--approve-all", "--run", runId, "--worker", "A2WORKER"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try await status(harness, assignments[0]) == .submitted)
        #expect(try await status(harness, assignments[1]) == .approved)
    }

    @Test func interactiveKeys() async throws {
        let (harness, runId, assignments) = try await submittedRun(2)
        let result = await harness.review(
            ["--interactive", "--run", runId], input: "x\nr\nThe question is missing.\na\n", terminal: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("context: Paris is the capital and largest city of France."))
        #expect(result.standardError.contains("press a, r, s or q"))
        #expect(try await status(harness, assignments[0]) == .rejected)
        #expect(try await status(harness, assignments[1]) == .approved)
    }

    @Test func interactiveNeedsATerminal() async throws {
        let harness = try ToolHarness()
        let result = await harness.review(["--interactive"])
        #expect(result.status == 64)
    }

    @Test func exportWorksAfterDeletion() async throws {
        let (harness, runId, assignments) = try await submittedRun(2)
        _ = await harness.review(["--reject", "--reason", "Off topic.", assignments[1]])
        let deleted = await harness.deleteHits(["--run", runId, "--approve-submitted"])
        #expect(deleted.status == 0, "\(deleted.standardError)")

        let list = await harness.review(["--run", runId, "--json"])
        #expect(list.status == 0, "\(list.standardError)")
        #expect(list.jsonLines.compactMap { $0["status"] as? String } == ["Approved", "Rejected"])
        let export = harness.root.appendingPathComponent("after.jsonl")
        let exported = await harness.review(["--run", runId, "--export", export.path])
        #expect(exported.status == 0)
        #expect(try String(contentsOf: export, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func filtersNarrowTheList() async throws {
        let (harness, runId, assignments) = try await submittedRun(2)
        _ = await harness.review(["--approve", assignments[0]])
        let submitted = await harness.review(["--run", runId, "--status", "Submitted", "--json"])
        #expect(submitted.jsonLines.compactMap { $0["assignment_id"] as? String } == [assignments[1]])
        let byWorker = await harness.review(["--worker", "A1WORKER", "--json"])
        #expect(byWorker.jsonLines.compactMap { $0["assignment_id"] as? String } == [assignments[0]])
        let byTask = await harness.review(["--task", "qa_task", "--json"])
        #expect(byTask.jsonLines.count == 2)
        let unknownTask = await harness.review(["--task", "no_such_task"])
        #expect(unknownTask.status == 1)
        #expect(unknownTask.standardError.contains("no run of task 'no_such_task'"))
    }

    @Test func exportAndReport() async throws {
        let (harness, runId, _) = try await submittedRun(2)
        let export = harness.root.appendingPathComponent("out.jsonl")
        let report = harness.root.appendingPathComponent("report.html")
        let result = await harness.review(["--run", runId, "--export", export.path, "--report", report.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        let lines = try String(contentsOf: export, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect((first["dialog"] as? [[Any]])?.count == 2)
        #expect((first["result"] as? [String: Any])?["answer"] as? String == "Paris")
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("working-time-histogram"))
        #expect(html.contains("A1WORKER"))
    }
}
