import Foundation

// Worker statistics for serve-chat's worker limits, and the review log.

extension RunStore {
    // MARK: - Worker statistics

    /// Returns how many of a worker's assignments in a run reached `done` or `submitted`.
    public func completedAssignments(workerId: String, run runId: String) throws -> Int {
        try database.queryOne(
            """
            SELECT COUNT(*) AS n FROM assignments
            WHERE worker_id = ? AND run_id = ? AND status IN ('done', 'submitted')
            """,
            [workerId, runId])?.int("n") ?? 0
    }

    /// Returns how many of a worker's assignments in any run of a task reached `done` or `submitted`.
    public func completedAssignments(workerId: String, task: String) throws -> Int {
        try database.queryOne(
            """
            SELECT COUNT(*) AS n FROM assignments JOIN runs ON runs.run_id = assignments.run_id
            WHERE assignments.worker_id = ? AND runs.task_name = ? AND assignments.status IN ('done', 'submitted')
            """,
            [workerId, task])?.int("n") ?? 0
    }

    /// Returns how many assignments a worker holds in `onboarding`, `waiting` or `in task`, in any run.
    public func activeAssignments(workerId: String) throws -> Int {
        try database.queryOne(
            """
            SELECT COUNT(*) AS n FROM assignments
            WHERE worker_id = ? AND status IN ('onboarding', 'waiting', 'in task')
            """,
            [workerId])?.int("n") ?? 0
    }

    /// Returns the seconds a worker spent on assignments during the UTC day that contains `day`.
    ///
    /// An assignment counts from its accept time to its finish time, or to now while it is active, clipped to the
    /// day. Overlapping assignments each count, because a worker paid for two at once used both.
    public func workingSeconds(workerId: String, day: Date) throws -> TimeInterval {
        let start = Self.startOfUTCDay(day)
        let end = start.addingTimeInterval(86_400)
        let now = clock()
        let rows = try database.query(
            """
            SELECT accepted_at, finished_at FROM assignments
            WHERE worker_id = ? AND accepted_at < ? AND (finished_at IS NULL OR finished_at > ?)
            """,
            [workerId, end, start])
        var total: TimeInterval = 0
        for row in rows {
            guard let accepted = row.date("accepted_at") else { continue }
            let finished = row.date("finished_at") ?? now
            let overlap = min(finished, end).timeIntervalSince(max(accepted, start))
            if overlap > 0 { total += overlap }
        }
        return total
    }

    /// Returns how many times a worker's assignments went to `disconnect` at or after `since`.
    public func disconnects(workerId: String, since: Date) throws -> Int {
        try database.queryOne(
            "SELECT COUNT(*) AS n FROM disconnects WHERE worker_id = ? AND disconnected_at >= ?", [workerId, since]
        )?.int("n") ?? 0
    }

    /// Returns how many times a worker disconnected in the 24 hours before now.
    public func disconnectsInLastDay(workerId: String) throws -> Int {
        try disconnects(workerId: workerId, since: clock().addingTimeInterval(-86_400))
    }

    static func startOfUTCDay(_ date: Date) -> Date {
        let seconds = date.timeIntervalSince1970
        return Date(timeIntervalSince1970: (seconds / 86_400).rounded(.down) * 86_400)
    }

    // MARK: - Review log

    /// Appends one review step and returns the stored entry.
    @discardableResult
    public func logReview(
        assignmentId: String, workerId: String? = nil, hitId: String? = nil, run runId: String? = nil,
        decision: ReviewDecision, feedback: String? = nil, outcome: String
    ) throws -> ReviewLogEntry {
        let now = clock()
        return try database.transaction {
            try database.run(
                """
                INSERT INTO review_log (assignment_id, worker_id, hit_id, run_id, decision, feedback, reviewed_at,
                                        outcome)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [assignmentId, workerId, hitId, runId, decision.rawValue, feedback, now, outcome])
            return ReviewLogEntry(
                id: database.lastInsertRowID, assignmentId: assignmentId, workerId: workerId, hitId: hitId,
                runId: runId, decision: decision, feedback: feedback, reviewedAt: now, outcome: outcome)
        }
    }

    /// Returns the review steps for one assignment, oldest first.
    public func reviewLog(assignmentId: String) throws -> [ReviewLogEntry] {
        try database.query("SELECT * FROM review_log WHERE assignment_id = ? ORDER BY id", [assignmentId])
            .map(Self.reviewLogEntry)
    }

    /// Returns the review steps of one run, oldest first.
    public func reviewLog(run runId: String) throws -> [ReviewLogEntry] {
        try database.query("SELECT * FROM review_log WHERE run_id = ? ORDER BY id", [runId]).map(Self.reviewLogEntry)
    }

    static func reviewLogEntry(_ row: SQLiteRow) throws -> ReviewLogEntry {
        ReviewLogEntry(
            id: row.int64("id") ?? 0,
            assignmentId: try row.required("assignment_id"),
            workerId: row.string("worker_id"),
            hitId: row.string("hit_id"),
            runId: row.string("run_id"),
            decision: try row.enumValue("decision"),
            feedback: row.string("feedback"),
            reviewedAt: try row.requiredDate("reviewed_at"),
            outcome: try row.required("outcome"))
    }
}
