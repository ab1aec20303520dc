import Foundation

// The data `review` gathers about a run's assignments and conversations from the marketplace and the run
// store. The listing, the export and the HTML report all read these values, so none of them touches a database.

/// One message of a conversation.
public struct ReviewMessage: Equatable, Sendable {
    public var sequence: Int
    /// The sender's role in the conversation (ParlAI's agent id), such as `Worker` or `QA Collector`.
    public var agentId: String
    public var workerId: String?
    public var assignmentId: String?
    public var text: String
    public var episodeDone: Bool
    public var time: Date?

    public init(
        sequence: Int, agentId: String, workerId: String? = nil, assignmentId: String? = nil, text: String,
        episodeDone: Bool = false, time: Date? = nil
    ) {
        self.sequence = sequence
        self.agentId = agentId
        self.workerId = workerId
        self.assignmentId = assignmentId
        self.text = text
        self.episodeDone = episodeDone
        self.time = time
    }
}

/// One conversation with its messages.
public struct ReviewConversation: Equatable, Sendable {
    public var id: String
    public var runId: String
    public var task: String
    public var status: String
    public var startedAt: Date?
    public var endedAt: Date?
    /// The task's data shown to the workers, as JSON text (for QA data collection: the paragraph).
    public var taskDataJSON: String?
    /// The task's result, as JSON text (for QA data collection: the question and the answer).
    public var resultJSON: String?
    public var messages: [ReviewMessage]

    public init(
        id: String, runId: String, task: String, status: String, startedAt: Date? = nil, endedAt: Date? = nil,
        taskDataJSON: String? = nil, resultJSON: String? = nil, messages: [ReviewMessage] = []
    ) {
        self.id = id
        self.runId = runId
        self.task = task
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.taskDataJSON = taskDataJSON
        self.resultJSON = resultJSON
        self.messages = messages
    }
}

/// One assignment as `review` shows it: MTurk's fields plus the run store's.
public struct ReviewItem: Equatable, Sendable {
    public var assignmentId: String
    public var workerId: String
    public var hitId: String
    /// MTurk's status: `Submitted`, `Approved` or `Rejected`.
    public var status: String
    public var acceptTime: Date?
    public var submitTime: Date?
    public var autoApprovalTime: Date?
    public var requesterFeedback: String?
    public var runId: String?
    public var task: String?
    public var agentId: String?
    public var conversation: ReviewConversation?

    public init(
        assignmentId: String, workerId: String, hitId: String, status: String, acceptTime: Date? = nil,
        submitTime: Date? = nil, autoApprovalTime: Date? = nil, requesterFeedback: String? = nil,
        runId: String? = nil, task: String? = nil, agentId: String? = nil, conversation: ReviewConversation? = nil
    ) {
        self.assignmentId = assignmentId
        self.workerId = workerId
        self.hitId = hitId
        self.status = status
        self.acceptTime = acceptTime
        self.submitTime = submitTime
        self.autoApprovalTime = autoApprovalTime
        self.requesterFeedback = requesterFeedback
        self.runId = runId
        self.task = task
        self.agentId = agentId
        self.conversation = conversation
    }

    /// Seconds from accepting to submitting, when both are known.
    public var workingSeconds: Double? {
        guard let acceptTime, let submitTime else { return nil }
        return max(0, submitTime.timeIntervalSince(acceptTime))
    }
}
