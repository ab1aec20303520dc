import Foundation

// Assignments, conversations and messages: what serve-chat writes while workers chat.

extension RunStore {
    // MARK: - Assignments

    /// Inserts an assignment row, or updates the row with the same assignment id and worker id.
    ///
    /// An update keeps the stored `acceptedAt` and disconnect count, and keeps the stored run, agent and
    /// conversation where the new record has nil. Returns the stored row. A `disconnect` status written here is not
    /// counted as a disconnect, because only `setAssignmentStatus` counts them.
    @discardableResult
    public func upsertAssignment(_ record: AssignmentRecord) throws -> AssignmentRecord {
        try database.transaction {
            let now = clock()
            let finishedAt = record.status.isActive ? nil : (record.finishedAt ?? now)
            try database.run(
                """
                INSERT INTO assignments (assignment_id, worker_id, hit_id, run_id, agent_id, conversation_id, status,
                                         accepted_at, finished_at, disconnect_count, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (assignment_id, worker_id) DO UPDATE SET
                    hit_id = excluded.hit_id,
                    run_id = COALESCE(excluded.run_id, run_id),
                    agent_id = COALESCE(excluded.agent_id, agent_id),
                    conversation_id = COALESCE(excluded.conversation_id, conversation_id),
                    status = excluded.status,
                    finished_at = CASE WHEN excluded.finished_at IS NULL THEN NULL
                                       ELSE COALESCE(finished_at, excluded.finished_at) END,
                    updated_at = excluded.updated_at
                """,
                [record.assignmentId, record.workerId, record.hitId, record.runId, record.agentId,
                 record.conversationId, record.status.rawValue, record.acceptedAt, finishedAt,
                 record.disconnectCount, now])
            return try requireAssignment(record.assignmentId, workerId: record.workerId)
        }
    }

    /// Changes an assignment's life-cycle status and returns the stored row.
    ///
    /// Leaving the active statuses sets `finishedAt` once, and returning to one (a reconnect) clears it. A change to
    /// `disconnect` from another status adds one to the disconnect count and records the time, for the
    /// disconnects-per-day limit.
    @discardableResult
    public func setAssignmentStatus(assignmentId: String, workerId: String, _ status: AssignmentLifecycle) throws
        -> AssignmentRecord
    {
        try database.transaction {
            let old = try requireAssignment(assignmentId, workerId: workerId)
            let now = clock()
            let finishedAt: Date? = status.isActive ? nil : (old.finishedAt ?? now)
            var disconnects = old.disconnectCount
            if status == .disconnect && old.status != .disconnect {
                disconnects += 1
                try database.run(
                    """
                    INSERT INTO disconnects (assignment_id, worker_id, run_id, disconnected_at) VALUES (?, ?, ?, ?)
                    """,
                    [assignmentId, workerId, old.runId, now])
            }
            try database.run(
                """
                UPDATE assignments SET status = ?, finished_at = ?, disconnect_count = ?, updated_at = ?
                WHERE assignment_id = ? AND worker_id = ?
                """,
                [status.rawValue, finishedAt, disconnects, now, assignmentId, workerId])
            return try requireAssignment(assignmentId, workerId: workerId)
        }
    }

    /// Puts an assignment's worker into a conversation with a role.
    public func setAssignmentConversation(
        assignmentId: String, workerId: String, conversationId: String, agentId: String
    ) throws {
        try requireChange(
            database.run(
                """
                UPDATE assignments SET conversation_id = ?, agent_id = ?, updated_at = ?
                WHERE assignment_id = ? AND worker_id = ?
                """,
                [conversationId, agentId, clock(), assignmentId, workerId]),
            kind: "assignment", id: "\(assignmentId) of worker \(workerId)")
    }

    /// Returns one worker's row for an assignment, or nil.
    public func assignment(id assignmentId: String, workerId: String) throws -> AssignmentRecord? {
        try database.queryOne(
            "SELECT * FROM assignments WHERE assignment_id = ? AND worker_id = ?", [assignmentId, workerId]
        ).map(Self.assignmentRecord)
    }

    /// Returns every worker's row for an assignment id, oldest first (more than one after a return).
    public func assignments(id assignmentId: String) throws -> [AssignmentRecord] {
        try assignments(where: "assignment_id = ?", assignmentId)
    }

    /// Returns a run's assignments, oldest first.
    public func assignments(run runId: String) throws -> [AssignmentRecord] {
        try assignments(where: "run_id = ?", runId)
    }

    /// Returns a worker's assignments, oldest first.
    public func assignments(workerId: String) throws -> [AssignmentRecord] {
        try assignments(where: "worker_id = ?", workerId)
    }

    /// Returns the assignments in a conversation, oldest first.
    public func assignments(conversation conversationId: String) throws -> [AssignmentRecord] {
        try assignments(where: "conversation_id = ?", conversationId)
    }

    /// Returns the assignments of one HIT, oldest first.
    public func assignments(hitId: String) throws -> [AssignmentRecord] {
        try assignments(where: "hit_id = ?", hitId)
    }

    private func assignments(where condition: String, _ value: String) throws -> [AssignmentRecord] {
        try database.query(
            "SELECT * FROM assignments WHERE \(condition) ORDER BY accepted_at, assignment_id, worker_id", [value]
        ).map(Self.assignmentRecord)
    }

    private func requireAssignment(_ assignmentId: String, workerId: String) throws -> AssignmentRecord {
        guard let record = try assignment(id: assignmentId, workerId: workerId) else {
            throw RunStoreError.notFound(kind: "assignment", id: "\(assignmentId) of worker \(workerId)")
        }
        return record
    }

    static func assignmentRecord(_ row: SQLiteRow) throws -> AssignmentRecord {
        AssignmentRecord(
            assignmentId: try row.required("assignment_id"),
            workerId: try row.required("worker_id"),
            hitId: try row.required("hit_id"),
            runId: row.string("run_id"),
            agentId: row.string("agent_id"),
            conversationId: row.string("conversation_id"),
            status: try row.enumValue("status"),
            acceptedAt: try row.requiredDate("accepted_at"),
            finishedAt: row.date("finished_at"),
            disconnectCount: row.int("disconnect_count") ?? 0,
            updatedAt: try row.requiredDate("updated_at"))
    }

    // MARK: - Conversations

    /// Inserts a conversation and returns it. A nil `id` gets a new id from `newConversationID`.
    @discardableResult
    public func createConversation(
        id: String? = nil, run runId: String, task: String, taskDataJSON: String = "{}",
        status: ConversationStatus = .waiting
    ) throws -> ConversationRecord {
        let now = clock()
        let conversationId = id ?? Self.newConversationID(at: now)
        try database.run(
            """
            INSERT INTO conversations (conversation_id, run_id, task, status, started_at, ended_at, task_data_json)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [conversationId, runId, task, status.rawValue, now, status.isFinal ? now : nil, taskDataJSON])
        return ConversationRecord(
            id: conversationId, runId: runId, task: task, status: status, startedAt: now,
            endedAt: status.isFinal ? now : nil, taskDataJSON: taskDataJSON, resultJSON: nil)
    }

    /// Changes a conversation's status. The first change to a final status sets `endedAt`.
    public func setConversationStatus(_ id: String, _ status: ConversationStatus) throws {
        try requireChange(
            database.run(
                """
                UPDATE conversations SET status = ?,
                    ended_at = CASE WHEN ? THEN COALESCE(ended_at, ?) ELSE NULL END
                WHERE conversation_id = ?
                """,
                [status.rawValue, status.isFinal, clock(), id]),
            kind: "conversation", id: id)
    }

    /// Stores what a conversation collected, as a JSON object.
    public func setConversationResult(_ id: String, resultJSON: String) throws {
        try requireChange(
            database.run("UPDATE conversations SET result_json = ? WHERE conversation_id = ?", [resultJSON, id]),
            kind: "conversation", id: id)
    }

    /// Returns a conversation, or nil.
    public func conversation(id: String) throws -> ConversationRecord? {
        try database.queryOne("SELECT * FROM conversations WHERE conversation_id = ?", [id])
            .map(Self.conversationRecord)
    }

    /// Returns a run's conversations, oldest first.
    public func conversations(run runId: String) throws -> [ConversationRecord] {
        try database.query(
            "SELECT * FROM conversations WHERE run_id = ? ORDER BY started_at, conversation_id", [runId]
        ).map(Self.conversationRecord)
    }

    /// Returns the conversations that have not ended (waiting or active), of one run or of every run.
    public func openConversations(run runId: String? = nil) throws -> [ConversationRecord] {
        let open = "status IN ('waiting', 'active')"
        if let runId {
            return try database.query(
                "SELECT * FROM conversations WHERE run_id = ? AND \(open) ORDER BY started_at, conversation_id",
                [runId]
            ).map(Self.conversationRecord)
        }
        return try database.query("SELECT * FROM conversations WHERE \(open) ORDER BY started_at, conversation_id")
            .map(Self.conversationRecord)
    }

    static func conversationRecord(_ row: SQLiteRow) throws -> ConversationRecord {
        ConversationRecord(
            id: try row.required("conversation_id"),
            runId: try row.required("run_id"),
            task: try row.required("task"),
            status: try row.enumValue("status"),
            startedAt: try row.requiredDate("started_at"),
            endedAt: row.date("ended_at"),
            taskDataJSON: row.string("task_data_json") ?? "{}",
            resultJSON: row.string("result_json"))
    }

    // MARK: - Messages

    /// Stores a message with the next sequence number of its conversation and returns the stored row.
    ///
    /// A message whose id is already stored in the conversation is not stored again: the existing row comes back
    /// with `isDuplicate` set, so a client that resends after a lost acknowledgement gets the same sequence number.
    public func appendMessage(_ message: NewMessage) throws -> AppendedMessage {
        guard !message.messageId.isEmpty else { throw RunStoreError.invalidArgument("message id must not be empty") }
        return try database.transaction { try appendInTransaction(message) }
    }

    /// Stores several messages in one transaction, in order, with the same rules as `appendMessage`.
    ///
    /// One commit for many messages is what lets serve-chat keep up with busy conversations. When any message
    /// fails, nothing of the batch is stored and the error is thrown; the caller can then append one at a time.
    public func appendMessages(_ messages: [NewMessage]) throws -> [AppendedMessage] {
        for message in messages where message.messageId.isEmpty {
            throw RunStoreError.invalidArgument("message id must not be empty")
        }
        return try database.transaction { try messages.map(appendInTransaction) }
    }

    private func appendInTransaction(_ message: NewMessage) throws -> AppendedMessage {
        // One statement numbers and inserts the message, or inserts nothing when its id is stored already. A trigger
        // moves the conversation's counter. The lookups that explain a failure run only when the insert fails or
        // returns no row.
        let createdAt = clock()
        let inserted: SQLiteRow?
        do {
            inserted = try database.queryOne(
                """
                INSERT INTO messages (conversation_id, seq, message_id, sender_agent_id, worker_id, assignment_id,
                                      text, extra_json, episode_done, created_at)
                VALUES (?1, COALESCE((SELECT last_seq FROM message_counters WHERE conversation_id = ?1), 0) + 1,
                        ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                ON CONFLICT (conversation_id, message_id) DO NOTHING
                RETURNING seq
                """,
                [message.conversationId, message.messageId, message.senderAgentId, message.workerId,
                 message.assignmentId, message.text, message.extraJSON, message.episodeDone, createdAt])
        } catch let error as SQLiteError where error.isConstraintViolation {
            // The foreign key on conversation_id is the likely cause.
            if try database.queryOne("SELECT 1 AS found FROM conversations WHERE conversation_id = ?",
                                     [message.conversationId]) == nil {
                throw RunStoreError.notFound(kind: "conversation", id: message.conversationId)
            }
            throw error
        }
        guard let seq = inserted?.int("seq") else {
            guard let existing = try storedMessage(conversation: message.conversationId, messageId: message.messageId)
            else {
                throw RunStoreError.notFound(kind: "message", id: message.messageId)
            }
            return AppendedMessage(message: existing, isDuplicate: true)
        }
        let stored = MessageRecord(
            conversationId: message.conversationId, seq: seq, messageId: message.messageId,
            senderAgentId: message.senderAgentId, workerId: message.workerId, assignmentId: message.assignmentId,
            text: message.text, extraJSON: message.extraJSON, episodeDone: message.episodeDone, createdAt: createdAt)
        return AppendedMessage(message: stored, isDuplicate: false)
    }

    /// Returns a conversation's messages with a sequence number above `seq`, in order.
    public func messages(conversation conversationId: String, after seq: Int = 0) throws -> [MessageRecord] {
        try database.query(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq", [conversationId, seq]
        ).map(Self.messageRecord)
    }

    /// Returns the message with a client-given id, or nil.
    public func storedMessage(conversation conversationId: String, messageId: String) throws -> MessageRecord? {
        try database.queryOne(
            "SELECT * FROM messages WHERE conversation_id = ? AND message_id = ?", [conversationId, messageId]
        ).map(Self.messageRecord)
    }

    static func messageRecord(_ row: SQLiteRow) throws -> MessageRecord {
        MessageRecord(
            conversationId: try row.required("conversation_id"),
            seq: row.int("seq") ?? 0,
            messageId: try row.required("message_id"),
            senderAgentId: try row.required("sender_agent_id"),
            workerId: row.string("worker_id"),
            assignmentId: row.string("assignment_id"),
            text: row.string("text") ?? "",
            extraJSON: row.string("extra_json"),
            episodeDone: row.bool("episode_done") ?? false,
            createdAt: try row.requiredDate("created_at"))
    }
}
