// The schema of `marketplace.sqlite`, one entry per version (see `SQLiteDatabase.migrate`).
//
// Times are Unix seconds (REAL). Money is whole cents. Assignment rows are keyed by an autoincrement `seq`, not by
// the assignment id, because an assignment id comes back for the next worker after a return or an abandonment. At
// most one row per assignment id is live (not Returned or Abandoned) at a time.

enum LocalSchema {
    static let migrations: [String] = [
        """
        CREATE TABLE account (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            starting_cents INTEGER NOT NULL
        );
        INSERT INTO account (id, starting_cents) VALUES (1, 1000000);
        CREATE TABLE hit_types (
            hit_type_id TEXT PRIMARY KEY,
            properties_key TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            keywords TEXT,
            reward_cents INTEGER NOT NULL,
            assignment_duration INTEGER NOT NULL,
            auto_approval_delay INTEGER NOT NULL,
            qualification_requirements_json TEXT,
            created_at REAL NOT NULL
        );
        CREATE TABLE hits (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            hit_id TEXT NOT NULL UNIQUE,
            hit_type_id TEXT NOT NULL REFERENCES hit_types(hit_type_id),
            question TEXT NOT NULL,
            max_assignments INTEGER NOT NULL,
            requester_annotation TEXT,
            created_at REAL NOT NULL,
            expiration REAL NOT NULL,
            disposed_at REAL
        );
        CREATE TABLE request_tokens (
            operation TEXT NOT NULL,
            token TEXT NOT NULL,
            result_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (operation, token)
        );
        CREATE TABLE assignments (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            assignment_id TEXT NOT NULL,
            hit_id TEXT NOT NULL REFERENCES hits(hit_id),
            worker_id TEXT NOT NULL,
            status TEXT NOT NULL,
            accept_time REAL NOT NULL,
            deadline REAL NOT NULL,
            submit_time REAL,
            auto_approval_time REAL,
            approval_time REAL,
            rejection_time REAL,
            end_time REAL,
            answer TEXT,
            requester_feedback TEXT
        );
        CREATE UNIQUE INDEX assignments_live_id ON assignments(assignment_id)
            WHERE status NOT IN ('Returned', 'Abandoned');
        CREATE INDEX assignments_by_hit ON assignments(hit_id, status);
        CREATE INDEX assignments_by_worker ON assignments(worker_id);
        CREATE INDEX assignments_by_deadline ON assignments(status, deadline);
        CREATE INDEX assignments_by_auto_approval ON assignments(status, auto_approval_time);
        CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            assignment_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            paid_at REAL NOT NULL
        );
        CREATE TABLE bonuses (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            worker_id TEXT NOT NULL,
            assignment_id TEXT NOT NULL,
            hit_id TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            reason TEXT NOT NULL,
            grant_time REAL NOT NULL,
            request_id TEXT NOT NULL
        );
        CREATE INDEX bonuses_by_assignment ON bonuses(assignment_id);
        CREATE INDEX bonuses_by_hit ON bonuses(hit_id);
        CREATE TABLE worker_blocks (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            worker_id TEXT NOT NULL UNIQUE,
            reason TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE qualification_types (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            qualification_type_id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL,
            keywords TEXT,
            status TEXT NOT NULL,
            retry_delay INTEGER,
            test TEXT,
            answer_key TEXT,
            test_duration INTEGER,
            auto_granted INTEGER NOT NULL DEFAULT 0,
            auto_granted_value INTEGER,
            created_at REAL NOT NULL
        );
        CREATE TABLE qualifications (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            qualification_type_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            integer_value INTEGER,
            status TEXT NOT NULL,
            grant_time REAL NOT NULL,
            UNIQUE (qualification_type_id, worker_id)
        );
        CREATE TABLE workers (
            worker_id TEXT PRIMARY KEY,
            locale_country TEXT NOT NULL,
            locale_subdivision TEXT
        );
        """,
        // Version 2: the Reviewing status of UpdateHITReviewStatus, and the e-mails of NotifyWorkers.
        """
        ALTER TABLE hits ADD COLUMN reviewing INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE worker_notifications (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            worker_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            message_text TEXT NOT NULL,
            sent_at REAL NOT NULL
        );
        CREATE INDEX worker_notifications_by_worker ON worker_notifications(worker_id);
        """,
    ]
}
