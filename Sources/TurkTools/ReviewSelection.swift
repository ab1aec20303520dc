import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// The selection of assignments that `review` acts on: by run, task, worker and status.
public struct ReviewFilter: Sendable, Equatable {
    public var runId: String?
    public var task: String?
    public var workerId: String?
    public var status: AssignmentStatus?

    public init(runId: String? = nil, task: String? = nil, workerId: String? = nil, status: AssignmentStatus? = nil) {
        self.runId = runId
        self.task = task
        self.workerId = workerId
        self.status = status
    }

    /// Whether any of run, task or worker narrows the selection.
    public var isNarrowed: Bool { runId != nil || task != nil || workerId != nil }

    func accepts(_ item: ReviewItem) -> Bool {
        if let runId, item.runId != runId { return false }
        if let task, item.task != task { return false }
        if let workerId, item.workerId != workerId { return false }
        if let status, item.status != status.rawValue { return false }
        return true
    }
}

/// Gathers assignments from the marketplace and joins them with the run store's conversations.
public struct ReviewCollector: Sendable {
    public let context: ToolContext

    public init(context: ToolContext) {
        self.context = context
    }

    /// Returns the assignments of every HIT the run store's ledger holds for the filter's runs, filtered.
    public func items(matching filter: ReviewFilter) async throws -> [ReviewItem] {
        var runs: [RunRecord]
        if let runId = filter.runId {
            guard let run = try context.runStore.run(id: runId) else {
                throw ToolError("run \(runId) not found in the run store \(context.stateDirectory.runStorePath)",
                                hint: "check the run id and --state-dir")
            }
            runs = [run]
        } else if let task = filter.task {
            runs = try context.runStore.runs(task: task)
            if runs.isEmpty { throw ToolError("no run of task '\(task)' is in the run store") }
        } else {
            runs = try context.runStore.runs()
        }
        runs = runs.filter { $0.target == context.target }

        var items: [ReviewItem] = []
        for run in runs {
            for entry in try context.runStore.hits(run: run.id) {
                guard let hitId = entry.hitId, entry.state == .created || entry.state == .deleted else { continue }
                var found: [ReviewItem]
                if entry.state == .deleted {
                    found = try storedItems(hitId: hitId, run: run)
                } else {
                    do {
                        let assignments = try await context.marketplace.allAssignments(hitId: hitId)
                        found = try assignments.map { try item(for: $0, run: run) }
                    } catch let error as MTurkError where error.isNotFound {
                        found = try storedItems(hitId: hitId, run: run)
                    }
                }
                items += found.filter(filter.accepts)
            }
        }
        return items.sorted { ($0.submitTime ?? .distantPast, $0.assignmentId) < ($1.submitTime ?? .distantPast, $1.assignmentId) }
    }

    /// Returns one assignment by id, or nil when the marketplace does not know it.
    public func item(id assignmentId: String) async throws -> ReviewItem? {
        do {
            let response = try await context.marketplace.getAssignment(GetAssignmentRequest(assignmentId: assignmentId))
            guard let assignment = response.assignment else { return nil }
            let run = try assignment.hitId.flatMap { try context.runStore.run(forHIT: $0) }
            return try item(for: assignment, run: run)
        } catch let error as MTurkError where error.isNotFound {
            return nil
        } catch let error as MTurkError where error.isAssignmentNotSubmitted {
            throw ToolError("assignment \(assignmentId) is not submitted yet; review it after the worker submits it")
        }
    }

    /// Rebuilds the assignments of a HIT that the marketplace no longer has (deleted or disposed) from the run
    /// store, so a run's conversations can be exported and reported after delete-hits. The status is the last
    /// review decision that took effect, or `Submitted` when there was none. MTurk's times are gone with the HIT,
    /// so the run store's accept and finish times replace them.
    func storedItems(hitId: String, run: RunRecord) throws -> [ReviewItem] {
        var items: [ReviewItem] = []
        for record in try context.runStore.assignments(hitId: hitId) where record.status == .submitted {
            var assignment = Assignment(assignmentId: record.assignmentId)
            assignment.workerId = record.workerId
            assignment.hitId = hitId
            assignment.acceptTime = record.acceptedAt
            assignment.submitTime = record.finishedAt
            let outcomes = try context.runStore.reviewLog(assignmentId: record.assignmentId)
                .filter { $0.workerId == nil || $0.workerId == record.workerId }
                .map(\.outcome)
            let last = outcomes.last { Self.approvedOutcome($0) || Self.rejectedOutcome($0) }
            if let last, Self.approvedOutcome(last) {
                assignment.assignmentStatus = .approved
            } else if last != nil {
                assignment.assignmentStatus = .rejected
            } else {
                assignment.assignmentStatus = .submitted
            }
            items.append(try item(for: assignment, run: run))
        }
        return items
    }

    static func approvedOutcome(_ outcome: String) -> Bool {
        outcome.hasPrefix("approved") || outcome.hasPrefix("already approved")
    }

    static func rejectedOutcome(_ outcome: String) -> Bool {
        outcome.hasPrefix("rejected") || outcome.hasPrefix("already rejected")
    }

    /// Joins an assignment with the run store's record of it and its conversation.
    public func item(for assignment: Assignment, run: RunRecord?) throws -> ReviewItem {
        let assignmentId = assignment.assignmentId ?? ""
        let workerId = assignment.workerId ?? ""
        var item = ReviewItem(
            assignmentId: assignmentId, workerId: workerId, hitId: assignment.hitId ?? "",
            status: assignment.assignmentStatus?.rawValue ?? "", acceptTime: assignment.acceptTime,
            submitTime: assignment.submitTime, autoApprovalTime: assignment.autoApprovalTime,
            requesterFeedback: assignment.requesterFeedback, runId: run?.id, task: run?.taskName)
        let record = try context.runStore.assignment(id: assignmentId, workerId: workerId)
        item.agentId = record?.agentId
        if item.runId == nil { item.runId = record?.runId }
        if let conversationId = record?.conversationId, let conversation = try context.runStore.conversation(id: conversationId) {
            let messages = try context.runStore.messages(conversation: conversationId).map { message in
                ReviewMessage(
                    sequence: message.seq, agentId: message.senderAgentId, workerId: message.workerId,
                    assignmentId: message.assignmentId, text: message.text, episodeDone: message.episodeDone,
                    time: message.createdAt)
            }
            item.conversation = ReviewConversation(
                id: conversation.id, runId: conversation.runId, task: conversation.task,
                status: conversation.status.rawValue, startedAt: conversation.startedAt, endedAt: conversation.endedAt,
                taskDataJSON: conversation.taskDataJSON, resultJSON: conversation.resultJSON, messages: messages)
        }
        return item
    }
}

/// One line of `review --list --json`.
struct ReviewListing: Encodable {
    var assignmentId: String
    var workerId: String
    var hitId: String
    var status: String
    var runId: String?
    var task: String?
    var agentId: String?
    var acceptTime: Date?
    var submitTime: Date?
    var autoApprovalTime: Date?
    var conversationId: String?
    var messages: [Message]

    struct Message: Encodable {
        var sequence: Int
        var agentId: String
        var text: String

        enum CodingKeys: String, CodingKey {
            case sequence, text
            case agentId = "agent_id"
        }
    }

    init(_ item: ReviewItem) {
        assignmentId = item.assignmentId
        workerId = item.workerId
        hitId = item.hitId
        status = item.status
        runId = item.runId
        task = item.task
        agentId = item.agentId
        acceptTime = item.acceptTime
        submitTime = item.submitTime
        autoApprovalTime = item.autoApprovalTime
        conversationId = item.conversation?.id
        messages = item.conversation?.messages.map {
            Message(sequence: $0.sequence, agentId: $0.agentId, text: $0.text)
        } ?? []
    }

    enum CodingKeys: String, CodingKey {
        case status, task, messages
        case assignmentId = "assignment_id"
        case workerId = "worker_id"
        case hitId = "hit_id"
        case runId = "run_id"
        case agentId = "agent_id"
        case acceptTime = "accept_time"
        case submitTime = "submit_time"
        case autoApprovalTime = "auto_approval_time"
        case conversationId = "conversation_id"
    }
}
