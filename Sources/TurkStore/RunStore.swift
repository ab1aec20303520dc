import Foundation
import TurkModel

/// The run store: runs, the HIT and bonus ledgers, assignments, conversations, messages and the review log, in the
/// state directory's `runs.sqlite`.
///
/// Several processes use the file at once (create-hits, serve-chat and review), so every change is one statement
/// or one `BEGIN IMMEDIATE` transaction, and SQLite's WAL mode with a busy timeout serialises the writers.
public final class RunStore: Sendable {
    public let database: SQLiteDatabase
    /// The time source for stored timestamps. Tests pass a clock they control.
    public let clock: @Sendable () -> Date

    /// The schema, one entry per version, as `SQLiteDatabase.migrate` takes it.
    static let migrations: [String] = [
        """
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            task_name TEXT NOT NULL,
            task_directory TEXT NOT NULL,
            task_kind TEXT NOT NULL,
            target TEXT NOT NULL,
            endpoint TEXT,
            server_url TEXT,
            hit_type_id TEXT,
            reward_cents INTEGER NOT NULL,
            config_json TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            status TEXT NOT NULL
        );
        CREATE TABLE hits (
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            seq INTEGER NOT NULL CHECK (seq > 0),
            token TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL,
            hit_id TEXT,
            error TEXT,
            reserved_at REAL NOT NULL,
            created_at REAL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (run_id, seq)
        );
        CREATE INDEX hits_by_hit_id ON hits(hit_id);
        CREATE TABLE conversations (
            conversation_id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            task TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL,
            task_data_json TEXT NOT NULL DEFAULT '{}',
            result_json TEXT
        );
        CREATE INDEX conversations_by_run ON conversations(run_id);
        CREATE TABLE assignments (
            assignment_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            hit_id TEXT NOT NULL,
            run_id TEXT,
            agent_id TEXT,
            conversation_id TEXT,
            status TEXT NOT NULL,
            accepted_at REAL NOT NULL,
            finished_at REAL,
            disconnect_count INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL,
            PRIMARY KEY (assignment_id, worker_id)
        );
        CREATE INDEX assignments_by_run ON assignments(run_id);
        CREATE INDEX assignments_by_worker ON assignments(worker_id);
        CREATE INDEX assignments_by_conversation ON assignments(conversation_id);
        CREATE INDEX assignments_by_hit ON assignments(hit_id);
        CREATE TABLE disconnects (
            id INTEGER PRIMARY KEY,
            assignment_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            run_id TEXT,
            disconnected_at REAL NOT NULL
        );
        CREATE INDEX disconnects_by_worker ON disconnects(worker_id, disconnected_at);
        CREATE TABLE messages (
            conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id),
            seq INTEGER NOT NULL CHECK (seq > 0),
            message_id TEXT NOT NULL,
            sender_agent_id TEXT NOT NULL,
            worker_id TEXT,
            assignment_id TEXT,
            text TEXT NOT NULL,
            extra_json TEXT,
            episode_done INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            PRIMARY KEY (conversation_id, seq),
            UNIQUE (conversation_id, message_id)
        );
        CREATE TABLE bonuses (
            token TEXT PRIMARY KEY,
            run_id TEXT,
            worker_id TEXT NOT NULL,
            assignment_id TEXT NOT NULL,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            reason TEXT NOT NULL,
            source_file TEXT,
            source_line INTEGER,
            state TEXT NOT NULL,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            paid_at REAL
        );
        CREATE INDEX bonuses_by_state ON bonuses(state);
        CREATE INDEX bonuses_by_assignment ON bonuses(assignment_id);
        CREATE TABLE review_log (
            id INTEGER PRIMARY KEY,
            assignment_id TEXT NOT NULL,
            worker_id TEXT,
            hit_id TEXT,
            run_id TEXT,
            decision TEXT NOT NULL,
            feedback TEXT,
            reviewed_at REAL NOT NULL,
            outcome TEXT NOT NULL
        );
        CREATE INDEX review_log_by_assignment ON review_log(assignment_id);
        CREATE INDEX review_log_by_run ON review_log(run_id);
        """,
        // Version 2: what serve-chat last showed on the page of a finished assignment that it dropped from memory.
        """
        CREATE TABLE finished_sessions (
            assignment_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            status TEXT NOT NULL,
            agent_id TEXT,
            conversation_id TEXT,
            last_command_json TEXT,
            saved_at REAL NOT NULL,
            PRIMARY KEY (assignment_id, worker_id)
        );
        """,
        // Version 3: messages are numbered from a counter per conversation, and the index on (conversation_id, seq)
        // is gone. Each stored message then changes one index page instead of two, because the messages of many
        // conversations land on different pages of each index. Queries by sequence number sort a conversation's rows.
        """
        CREATE TABLE message_counters (
            conversation_id TEXT PRIMARY KEY,
            last_seq INTEGER NOT NULL CHECK (last_seq > 0)
        ) WITHOUT ROWID;
        INSERT INTO message_counters (conversation_id, last_seq)
            SELECT conversation_id, MAX(seq) FROM messages GROUP BY conversation_id;
        CREATE TABLE messages_v3 (
            conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id),
            seq INTEGER NOT NULL CHECK (seq > 0),
            message_id TEXT NOT NULL,
            sender_agent_id TEXT NOT NULL,
            worker_id TEXT,
            assignment_id TEXT,
            text TEXT NOT NULL,
            extra_json TEXT,
            episode_done INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            UNIQUE (conversation_id, message_id)
        );
        INSERT INTO messages_v3 (conversation_id, seq, message_id, sender_agent_id, worker_id, assignment_id, text,
                                 extra_json, episode_done, created_at)
            SELECT conversation_id, seq, message_id, sender_agent_id, worker_id, assignment_id, text, extra_json,
                   episode_done, created_at
            FROM messages ORDER BY rowid;
        DROP TABLE messages;
        ALTER TABLE messages_v3 RENAME TO messages;
        """,
        // Version 4: a trigger moves a conversation's counter on every insert, from this code or older code. A
        // serve-chat of version 2 that still runs after another process upgraded the file numbers messages with
        // MAX(seq) + 1 and ignores the counters, so the next counted message would repeat its seq. The upgrade
        // first sets every counter to its conversation's highest seq.
        """
        INSERT OR REPLACE INTO message_counters (conversation_id, last_seq)
            SELECT conversation_id, MAX(seq) FROM messages GROUP BY conversation_id;
        CREATE TRIGGER messages_advance_counter AFTER INSERT ON messages
        BEGIN
            INSERT OR REPLACE INTO message_counters (conversation_id, last_seq)
            VALUES (NEW.conversation_id, MAX(NEW.seq, COALESCE(
                (SELECT last_seq FROM message_counters WHERE conversation_id = NEW.conversation_id), 0)));
        END;
        """,
    ]

    /// The schema version this build writes.
    public static var schemaVersion: Int { migrations.count }

    /// Opens the run store at `path`, creating the file and its schema if needed.
    public init(path: String, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        database = try SQLiteDatabase(path: path)
        self.clock = clock
        try database.migrate(Self.migrations)
    }

    /// Opens `runs.sqlite` in the state directory, creating the directory if needed.
    public convenience init(stateDirectory: StateDirectory, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        try stateDirectory.create()
        try self.init(path: stateDirectory.runStorePath, clock: clock)
    }

    /// Closes the database file. Later calls fail.
    public func close() {
        database.close()
    }

    // MARK: - Ids

    /// Returns a new run id: `r`, the UTC time to the second, and four random hex digits, such as
    /// `r20261204T203000-3f9a`. Ids sort by creation time.
    public static func newRunID(at date: Date) -> String {
        "r" + compactTimestamp(date) + "-" + randomHex(4)
    }

    /// Returns a new conversation id such as `c20261204T203000-3f9a0c`, which sorts by creation time.
    public static func newConversationID(at date: Date) -> String {
        "c" + compactTimestamp(date) + "-" + randomHex(6)
    }

    static func compactTimestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2) + "T"
            + pad(parts.hour, 2) + pad(parts.minute, 2) + pad(parts.second, 2)
    }

    static func randomHex(_ digits: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(digits + 1) / 2).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return String(hexString(bytes).prefix(digits))
    }

    // MARK: - Runs

    /// Inserts a new run. Fails with a constraint error when the id exists.
    public func createRun(_ run: RunRecord) throws {
        try database.run(
            """
            INSERT INTO runs (run_id, task_name, task_directory, task_kind, target, endpoint, server_url, hit_type_id,
                              reward_cents, config_json, created_at, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [run.id, run.taskName, run.taskDirectory, run.taskKind, run.target.rawValue, run.endpoint, run.serverURL,
             run.hitTypeId, run.reward.cents, run.configJSON, run.createdAt, run.status.rawValue])
    }

    /// Returns the run with this id, or nil.
    public func run(id: String) throws -> RunRecord? {
        try database.queryOne("SELECT * FROM runs WHERE run_id = ?", [id]).map(Self.runRecord)
    }

    /// Returns every run, oldest first.
    public func runs() throws -> [RunRecord] {
        try database.query("SELECT * FROM runs ORDER BY created_at, run_id").map(Self.runRecord)
    }

    /// Returns the runs of one task, oldest first.
    public func runs(task: String) throws -> [RunRecord] {
        try database.query("SELECT * FROM runs WHERE task_name = ? ORDER BY created_at, run_id", [task])
            .map(Self.runRecord)
    }

    /// Returns the run that created a HIT, from the HIT ledger.
    public func run(forHIT hitId: String) throws -> RunRecord? {
        try database.queryOne(
            "SELECT runs.* FROM runs JOIN hits ON hits.run_id = runs.run_id WHERE hits.hit_id = ? LIMIT 1", [hitId]
        ).map(Self.runRecord)
    }

    /// Sets a run's status.
    public func setRunStatus(_ id: String, _ status: RunStatus) throws {
        try requireChange(
            database.run("UPDATE runs SET status = ? WHERE run_id = ?", [status.rawValue, id]), kind: "run", id: id)
    }

    /// Records the HIT type that the marketplace returned for a run.
    public func setRunHITType(_ id: String, hitTypeId: String) throws {
        try requireChange(
            database.run("UPDATE runs SET hit_type_id = ? WHERE run_id = ?", [hitTypeId, id]), kind: "run", id: id)
    }

    /// Replaces a run's configuration JSON.
    public func setRunConfig(_ id: String, configJSON: String) throws {
        try requireChange(
            database.run("UPDATE runs SET config_json = ? WHERE run_id = ?", [configJSON, id]), kind: "run", id: id)
    }

    func requireChange(_ changes: Int, kind: String, id: String) throws {
        if changes == 0 { throw RunStoreError.notFound(kind: kind, id: id) }
    }

    static func runRecord(_ row: SQLiteRow) throws -> RunRecord {
        RunRecord(
            id: try row.required("run_id"),
            taskName: try row.required("task_name"),
            taskDirectory: try row.required("task_directory"),
            taskKind: try row.required("task_kind"),
            target: try row.enumValue("target"),
            endpoint: row.string("endpoint"),
            serverURL: row.string("server_url"),
            hitTypeId: row.string("hit_type_id"),
            reward: USD(cents: row.int64("reward_cents") ?? 0),
            configJSON: row.string("config_json") ?? "{}",
            createdAt: try row.requiredDate("created_at"),
            status: try row.enumValue("status"))
    }
}

// MARK: - Row decoding

extension SQLiteRow {
    func required(_ column: String) throws -> String {
        guard let value = string(column) else { throw RunStoreError.invalidValue(column: column, value: "NULL") }
        return value
    }

    func requiredDate(_ column: String) throws -> Date {
        guard let value = date(column) else { throw RunStoreError.invalidValue(column: column, value: "NULL") }
        return value
    }

    func enumValue<Value: RawRepresentable>(_ column: String) throws -> Value where Value.RawValue == String {
        let raw = try required(column)
        guard let value = Value(rawValue: raw) else { throw RunStoreError.invalidValue(column: column, value: raw) }
        return value
    }
}
