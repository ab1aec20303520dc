import Foundation
import TurkModel

// The HIT ledger and the bonus ledger. A row is written before the marketplace call it stands for, so a rerun after
// a crash finds it and repeats the call with the same UniqueRequestToken instead of creating or paying twice.

extension RunStore {
    // MARK: - HIT ledger

    /// Writes the ledger row for HIT `seq` of a run in state `pending`, or returns the existing row unchanged.
    ///
    /// Fails with `RunStoreError.conflict` when the row exists with another token, or the token belongs to another
    /// row, because that means the caller derived tokens differently between runs.
    @discardableResult
    public func reserveHIT(run runId: String, seq: Int, token: String) throws -> HITLedgerEntry {
        guard seq > 0 else { throw RunStoreError.invalidArgument("HIT sequence number \(seq) must be 1 or more") }
        return try database.transaction {
            if let existing = try hitEntry(run: runId, seq: seq) {
                guard existing.token == token else {
                    throw RunStoreError.conflict(
                        "HIT \(seq) of run \(runId) is already reserved with token \(existing.token), not \(token)")
                }
                return existing
            }
            if let other = try database.queryOne("SELECT run_id, seq FROM hits WHERE token = ?", [token]) {
                throw RunStoreError.conflict(
                    "token \(token) is already used by HIT \(other.int("seq") ?? 0) of run \(other.string("run_id") ?? "?")")
            }
            let now = clock()
            try database.run(
                """
                INSERT INTO hits (run_id, seq, token, state, reserved_at, updated_at)
                VALUES (?, ?, ?, 'pending', ?, ?)
                """,
                [runId, seq, token, now, now])
            guard let entry = try hitEntry(run: runId, seq: seq) else {
                throw RunStoreError.notFound(kind: "HIT ledger row", id: "\(runId)/\(seq)")
            }
            return entry
        }
    }

    /// Records the HIT id the marketplace returned (or reported as already existing) for a ledger row.
    public func markHITCreated(run runId: String, seq: Int, hitId: String) throws {
        let now = clock()
        try requireChange(
            database.run(
                """
                UPDATE hits SET state = 'created', hit_id = ?, error = NULL, created_at = COALESCE(created_at, ?),
                                updated_at = ?
                WHERE run_id = ? AND seq = ?
                """,
                [hitId, now, now, runId, seq]),
            kind: "HIT ledger row", id: "\(runId)/\(seq)")
    }

    /// Records that the create call for a ledger row failed with an error that a retry will not fix.
    public func markHITFailed(run runId: String, seq: Int, error: String) throws {
        try requireChange(
            database.run(
                "UPDATE hits SET state = 'failed', error = ?, updated_at = ? WHERE run_id = ? AND seq = ?",
                [error, clock(), runId, seq]),
            kind: "HIT ledger row", id: "\(runId)/\(seq)")
    }

    /// Records that a HIT was disposed of. Returns false when the ledger does not know the HIT id.
    @discardableResult
    public func markHITDeleted(hitId: String) throws -> Bool {
        try database.run(
            "UPDATE hits SET state = 'deleted', updated_at = ? WHERE hit_id = ?", [clock(), hitId]) > 0
    }

    /// Returns one ledger row, or nil.
    public func hitEntry(run runId: String, seq: Int) throws -> HITLedgerEntry? {
        try database.queryOne("SELECT * FROM hits WHERE run_id = ? AND seq = ?", [runId, seq]).map(Self.hitEntry)
    }

    /// Returns the ledger row of a created HIT, or nil.
    public func hitEntry(hitId: String) throws -> HITLedgerEntry? {
        try database.queryOne("SELECT * FROM hits WHERE hit_id = ?", [hitId]).map(Self.hitEntry)
    }

    /// Returns a run's ledger rows in sequence order.
    public func hits(run runId: String) throws -> [HITLedgerEntry] {
        try database.query("SELECT * FROM hits WHERE run_id = ? ORDER BY seq", [runId]).map(Self.hitEntry)
    }

    /// Returns every ledger row of every run, by run and sequence.
    public func allHITs() throws -> [HITLedgerEntry] {
        try database.query("SELECT * FROM hits ORDER BY run_id, seq").map(Self.hitEntry)
    }

    /// Returns a run's rows still in state `pending`: the create call may or may not have reached the marketplace.
    public func pendingHITs(run runId: String) throws -> [HITLedgerEntry] {
        try database.query("SELECT * FROM hits WHERE run_id = ? AND state = 'pending' ORDER BY seq", [runId])
            .map(Self.hitEntry)
    }

    static func hitEntry(_ row: SQLiteRow) throws -> HITLedgerEntry {
        HITLedgerEntry(
            runId: try row.required("run_id"),
            seq: row.int("seq") ?? 0,
            token: try row.required("token"),
            state: try row.enumValue("state"),
            hitId: row.string("hit_id"),
            error: row.string("error"),
            reservedAt: try row.requiredDate("reserved_at"),
            createdAt: row.date("created_at"),
            updatedAt: try row.requiredDate("updated_at"))
    }

    // MARK: - Bonus ledger

    /// Writes a bonus row in state `pending`, or returns the existing row with this token unchanged.
    ///
    /// The second value is true when this call wrote the row. Fails with `RunStoreError.conflict` when the token is
    /// stored for another worker, assignment or amount.
    public func reserveBonus(
        token: String, run runId: String? = nil, workerId: String, assignmentId: String, amount: USD, reason: String,
        sourceFile: String? = nil, sourceLine: Int? = nil
    ) throws -> (bonus: BonusRecord, inserted: Bool) {
        guard amount.cents > 0 else { throw RunStoreError.invalidArgument("bonus amount \(amount) must be positive") }
        return try database.transaction {
            if let existing = try bonus(token: token) {
                guard existing.workerId == workerId, existing.assignmentId == assignmentId, existing.amount == amount
                else {
                    throw RunStoreError.conflict(
                        "bonus token \(token) is stored for worker \(existing.workerId), assignment "
                            + "\(existing.assignmentId), \(existing.amount), not for \(workerId), \(assignmentId), \(amount)")
                }
                return (existing, false)
            }
            let now = clock()
            try database.run(
                """
                INSERT INTO bonuses (token, run_id, worker_id, assignment_id, amount_cents, reason, source_file,
                                     source_line, state, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """,
                [token, runId, workerId, assignmentId, amount.cents, reason, sourceFile, sourceLine, now, now])
            guard let stored = try bonus(token: token) else { throw RunStoreError.notFound(kind: "bonus", id: token) }
            return (stored, true)
        }
    }

    /// Records that the marketplace paid a bonus (or reported the token as already used).
    public func markBonusPaid(token: String) throws {
        let now = clock()
        try requireChange(
            database.run(
                """
                UPDATE bonuses SET state = 'paid', error = NULL, paid_at = COALESCE(paid_at, ?), updated_at = ?
                WHERE token = ?
                """,
                [now, now, token]),
            kind: "bonus", id: token)
    }

    /// Records that SendBonus failed with an error that a retry will not fix. A paid bonus stays paid.
    public func markBonusFailed(token: String, error: String) throws {
        try requireChange(
            database.run(
                "UPDATE bonuses SET state = CASE state WHEN 'paid' THEN 'paid' ELSE 'failed' END, error = ?, "
                    + "updated_at = ? WHERE token = ?",
                [error, clock(), token]),
            kind: "bonus", id: token)
    }

    /// Records that a bonus waits because its assignment is not submitted yet. A paid bonus stays paid.
    public func markBonusWaiting(token: String, message: String) throws {
        try requireChange(
            database.run(
                "UPDATE bonuses SET state = CASE state WHEN 'paid' THEN 'paid' ELSE 'waiting' END, error = ?, "
                    + "updated_at = ? WHERE token = ?",
                [message, clock(), token]),
            kind: "bonus", id: token)
    }

    /// Returns the bonus with this token, or nil.
    public func bonus(token: String) throws -> BonusRecord? {
        try database.queryOne("SELECT * FROM bonuses WHERE token = ?", [token]).map(Self.bonusRecord)
    }

    /// Returns the bonuses in one state (every bonus when nil), oldest first.
    public func bonuses(state: BonusState? = nil) throws -> [BonusRecord] {
        if let state {
            return try database.query(
                "SELECT * FROM bonuses WHERE state = ? ORDER BY created_at, token", [state.rawValue]
            ).map(Self.bonusRecord)
        }
        return try database.query("SELECT * FROM bonuses ORDER BY created_at, token").map(Self.bonusRecord)
    }

    /// Returns the bonuses recorded for one assignment, oldest first.
    public func bonuses(assignmentId: String) throws -> [BonusRecord] {
        try database.query(
            "SELECT * FROM bonuses WHERE assignment_id = ? ORDER BY created_at, token", [assignmentId]
        ).map(Self.bonusRecord)
    }

    static func bonusRecord(_ row: SQLiteRow) throws -> BonusRecord {
        BonusRecord(
            token: try row.required("token"),
            runId: row.string("run_id"),
            workerId: try row.required("worker_id"),
            assignmentId: try row.required("assignment_id"),
            amount: USD(cents: row.int64("amount_cents") ?? 0),
            reason: try row.required("reason"),
            sourceFile: row.string("source_file"),
            sourceLine: row.int("source_line"),
            state: try row.enumValue("state"),
            error: row.string("error"),
            createdAt: try row.requiredDate("created_at"),
            updatedAt: try row.requiredDate("updated_at"),
            paidAt: row.date("paid_at"))
    }
}
