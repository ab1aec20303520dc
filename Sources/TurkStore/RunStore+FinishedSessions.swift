import Foundation

// What serve-chat needs to answer a join for a finished assignment after it dropped the session from memory.

/// The page state of a finished assignment when serve-chat dropped its session from memory: the status, role,
/// conversation and last command that a later join is shown.
///
/// The assignment row alone is not enough: after onboarding the page shows no conversation and the role `waiting`
/// while the row keeps the onboarding conversation, and a custom final text (an idle timeout, a worker limit) is
/// only in the command.
public struct FinishedSessionRecord: Sendable, Equatable {
    public var assignmentId: String
    public var workerId: String
    /// The assignment's status when the session was saved. A later change (a submission, a return) makes the
    /// stored command out of date.
    public var status: AssignmentLifecycle
    public var agentId: String?
    /// The conversation whose messages the page replays, or nil when it shows none.
    public var conversationId: String?
    /// The last command frame sent to the page, as a JSON object with its `type`.
    public var lastCommandJSON: String?
    public var savedAt: Date

    public init(
        assignmentId: String, workerId: String, status: AssignmentLifecycle, agentId: String?,
        conversationId: String?, lastCommandJSON: String?, savedAt: Date
    ) {
        self.assignmentId = assignmentId
        self.workerId = workerId
        self.status = status
        self.agentId = agentId
        self.conversationId = conversationId
        self.lastCommandJSON = lastCommandJSON
        self.savedAt = savedAt
    }
}

extension RunStore {
    /// Inserts or replaces the finished-session row of an assignment and worker.
    public func saveFinishedSession(_ record: FinishedSessionRecord) throws {
        try database.run(
            """
            INSERT INTO finished_sessions (assignment_id, worker_id, status, agent_id, conversation_id,
                                           last_command_json, saved_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (assignment_id, worker_id) DO UPDATE SET
                status = excluded.status,
                agent_id = excluded.agent_id,
                conversation_id = excluded.conversation_id,
                last_command_json = excluded.last_command_json,
                saved_at = excluded.saved_at
            """,
            [record.assignmentId, record.workerId, record.status.rawValue, record.agentId, record.conversationId,
             record.lastCommandJSON, record.savedAt])
    }

    /// Returns the finished-session row of an assignment and worker, or nil.
    public func finishedSession(assignmentId: String, workerId: String) throws -> FinishedSessionRecord? {
        try database.queryOne(
            "SELECT * FROM finished_sessions WHERE assignment_id = ? AND worker_id = ?", [assignmentId, workerId]
        ).map { row in
            FinishedSessionRecord(
                assignmentId: try row.required("assignment_id"),
                workerId: try row.required("worker_id"),
                status: try row.enumValue("status"),
                agentId: row.string("agent_id"),
                conversationId: row.string("conversation_id"),
                lastCommandJSON: row.string("last_command_json"),
                savedAt: try row.requiredDate("saved_at"))
        }
    }
}
