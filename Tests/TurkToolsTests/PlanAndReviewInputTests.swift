import Foundation
import Testing
import TurkModel
@testable import TurkTools

@Suite struct HITPlanTests {
    @Test func countFollowsConversationsAndAgents() {
        let plan = HITPlan(conversations: 5, agentsPerConversation: 2, reward: USD(cents: 50))
        #expect(plan.baseHITs == 10)
        #expect(plan.extraHITs == 0)
        #expect(plan.totalHITs == 10)
        #expect(plan.initialHITs == 10)
    }

    @Test func overRecruitingRoundsUp() {
        let plan = HITPlan(conversations: 3, agentsPerConversation: 1, overRecruitPercent: 50, reward: USD(cents: 50))
        #expect(plan.extraHITs == 2)  // ⌈3 × 0.5⌉
        #expect(plan.totalHITs == 5)
    }

    @Test func maxConnectionsLimitsTheFirstBatch() {
        let plan = HITPlan(conversations: 10, agentsPerConversation: 2, maxConnections: 4, reward: USD(cents: 50))
        #expect(plan.initialHITs == 4)
        #expect(plan.totalHITs == 20)
        let small = HITPlan(conversations: 1, agentsPerConversation: 2, maxConnections: 4, reward: USD(cents: 50))
        #expect(small.initialHITs == 2)
    }

    @Test(arguments: [
        // reward cents, HITs, expected rewards, expected fees
        (50, 3, 150, 30),  // 20 % of $0.50 is $0.10 per HIT
        (1, 4, 4, 4),  // the $0.01 minimum fee per assignment
        (3, 2, 6, 2),  // 20 % of 3 cents is 0.6, rounded half up to 1 cent
        (1234, 10, 12340, 2470),  // 20 % of $12.34 is $2.468, rounded to $2.47
        (97, 1, 97, 19),  // 19.4 cents rounds down
    ])
    func exactCost(rewardCents: Int, hits: Int, rewards: Int, fees: Int) {
        let plan = HITPlan(conversations: hits, agentsPerConversation: 1, reward: USD(cents: Int64(rewardCents)))
        #expect(plan.rewards == USD(cents: Int64(rewards)))
        #expect(plan.fees == USD(cents: Int64(fees)))
        #expect(plan.totalCost == USD(cents: Int64(rewards + fees)))
    }

    @Test func costSummaryNamesEveryFigure() {
        let plan = HITPlan(conversations: 2, agentsPerConversation: 1, reward: USD(cents: 50))
        #expect(plan.costSummary == "2 HITs × $0.50 reward = $1.00, MTurk fees $0.20 ($0.10 per assignment), total $1.20")
    }
}

@Suite struct ReviewInputTests {
    @Test func idsFromPlainLinesAndJSONLines() {
        let text = "3AAA\n\n# comment\n{\"assignment_id\": \"3BBB\", \"status\": \"Submitted\"}\r\n 3CCC \n3AAA\n"
        let result = ReviewInput.assignmentIds(from: text, source: "stdin")
        #expect(result.problems.isEmpty)
        #expect(result.ids == ["3AAA", "3BBB", "3CCC"])
    }

    @Test func malformedIdsAreReportedWithLines() {
        let result = ReviewInput.assignmentIds(from: "3AAA\nnot an id\n{\"x\": 1}\n{broken\n", source: "stdin")
        #expect(result.ids == ["3AAA"])
        #expect(result.problems.map(\.line) == [2, 3, 4])
        #expect(result.problems[0].description.hasPrefix("stdin:2: malformed assignment id 'not an id'"))
    }

    @Test func decisionsParse() {
        let text = """
            {"assignment_id": "3AAA", "decision": "approve"}
            {"assignment_id": "3BBB", "decision": "Rejected", "feedback": "The answer does not match the paragraph."}
            {"assignment_id": "3CCC", "decision": "skip", "feedback": "  "}
            """
        let result = ReviewInput.decisions(from: text, source: "decisions.jsonl")
        #expect(result.problems.isEmpty)
        #expect(result.decisions.map(\.action) == [.approve, .reject, .skip])
        #expect(result.decisions[1].feedback == "The answer does not match the paragraph.")
        #expect(result.decisions[2].feedback == nil)
    }

    @Test func rejectWithoutFeedbackIsAProblem() {
        let result = ReviewInput.decisions(
            from: #"{"assignment_id": "3AAA", "decision": "reject"}"#, source: "decisions.jsonl")
        #expect(result.decisions.isEmpty)
        #expect(result.problems.first?.reason.contains("needs a \"feedback\"") == true)
    }

    @Test func badDecisionLines() {
        let text = """
            {"assignment_id": "3AAA", "decision": "maybe"}
            {"decision": "approve"}
            not json
            {"assignment_id": "3BBB", "decision": "approve"}
            {"assignment_id": "3BBB", "decision": "reject", "feedback": "changed my mind"}
            {"assignment_id": "3CCC", "decision": "approve", "feedback": 5}
            """
        let result = ReviewInput.decisions(from: text, source: "d")
        #expect(result.decisions.map(\.assignmentId) == ["3BBB"])
        #expect(result.problems.map(\.line) == [1, 2, 3, 5, 6])
        #expect(result.problems[3].reason.contains("second decision"))
    }
}

@Suite struct ReviewOutputTests {
    static func sampleItems() -> [ReviewItem] {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let conversation = ReviewConversation(
            id: "t_1", runId: "r1", task: "qa_data_collection", status: "done",
            taskDataJSON: #"{"context": "Paris is the capital of France.", "title": "Paris"}"#,
            resultJSON: #"{"question": "What is the capital?", "answer": "Paris"}"#,
            messages: [
                ReviewMessage(sequence: 1, agentId: "QA Collector", text: "Please ask a question."),
                ReviewMessage(sequence: 2, agentId: "Worker", workerId: "A1", assignmentId: "3AS1",
                              text: "What is the <b>capital</b>?"),
                ReviewMessage(sequence: 3, agentId: "QA Collector", text: "Now the answer."),
                ReviewMessage(sequence: 4, agentId: "Worker", workerId: "A1", assignmentId: "3AS1", text: "Paris",
                              episodeDone: true),
                ReviewMessage(sequence: 5, agentId: "QA Collector", text: "Thanks!"),
            ])
        return [
            ReviewItem(assignmentId: "3AS1", workerId: "A1", hitId: "3HIT1", status: "Submitted",
                       acceptTime: start, submitTime: start.addingTimeInterval(95), agentId: "Worker",
                       conversation: conversation),
            ReviewItem(assignmentId: "3AS2", workerId: "A2", hitId: "3HIT2", status: "Approved",
                       acceptTime: start, submitTime: start.addingTimeInterval(400)),
            ReviewItem(assignmentId: "3AS3", workerId: "A2", hitId: "3HIT3", status: "Rejected",
                       acceptTime: start, submitTime: start.addingTimeInterval(30)),
        ]
    }

    @Test func exportUsesParlAIConversationLayout() throws {
        let text = try ConversationExport.jsonLines(for: Self.sampleItems())
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let dialog = try #require(object["dialog"] as? [[[String: Any]]])
        #expect(dialog.map(\.count) == [2, 2, 1])
        #expect(dialog[0][1]["id"] as? String == "Worker")
        #expect(dialog[0][1]["text"] as? String == "What is the <b>capital</b>?")
        #expect(dialog[1][1]["episode_done"] as? Bool == true)
        let context = try #require(object["context"] as? [[String: Any]])
        #expect(context.first?["text"] as? String == "Paris is the capital of France.")
        #expect((object["result"] as? [String: Any])?["answer"] as? String == "Paris")
        let workers = try #require(object["workers"] as? [[String: Any]])
        #expect(workers.first?["worker_id"] as? String == "A1")
        #expect(workers.first?["assignment_id"] as? String == "3AS1")
    }

    @Test func histogramBinsAreRound() {
        let bins = ReviewReport.histogram([95, 400, 30])
        #expect(bins.first?.lower == 0)
        #expect(bins.count <= 12)
        #expect(bins.reduce(0) { $0 + $1.count } == 3)
        let width = bins[0].upper - bins[0].lower
        #expect([10.0, 30, 60, 120, 300, 600].contains(width))
        #expect(ReviewReport.histogram([]).isEmpty)
    }

    @Test func workerStatisticsCountStatusesAndMessages() {
        let statistics = ReviewReport.workerStatistics(Self.sampleItems())
        #expect(statistics.map(\.workerId) == ["A1", "A2"])
        #expect(statistics[0].messages == 2)
        #expect(statistics[0].submitted == 1)
        #expect(statistics[1].approved == 1)
        #expect(statistics[1].rejected == 1)
        #expect(statistics[1].medianWorkingSeconds == 215)
    }

    @Test func reportEscapesWorkerTextAndHasTheHistogram() {
        let html = ReviewReport.html(title: "Run <r1>", items: Self.sampleItems())
        #expect(html.contains("What is the &lt;b&gt;capital&lt;/b&gt;?"))
        #expect(!html.contains("<b>capital</b>"))
        #expect(html.contains("<title>Run &lt;r1&gt;</title>"))
        #expect(html.contains("<svg id=\"working-time-histogram\""))
        #expect(html.components(separatedBy: "<rect class=\"bar\"").count - 1
            == ReviewReport.histogram([95, 400, 30]).count)
        #expect(html.contains("Paris is the capital of France."))
        #expect(html.contains("<td>A2</td>"))
    }
}
