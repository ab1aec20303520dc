import CSQLite
import Foundation
import Synchronization

/// An error from SQLite, with the result code, SQLite's message and the statement that failed.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        "SQLite error \(code): \(message)" + (sql.map { " in: \($0)" } ?? "")
    }

    /// Whether the error is a violated UNIQUE or PRIMARY KEY constraint.
    public var isConstraintViolation: Bool { code & 0xff == SQLITE_CONSTRAINT }
}

/// A value bound to a statement parameter or read from a result column.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// Types that bind to a statement parameter.
public protocol SQLiteBindable: Sendable {
    var sqliteValue: SQLiteValue { get }
}

extension Int: SQLiteBindable { public var sqliteValue: SQLiteValue { .integer(Int64(self)) } }
extension Int64: SQLiteBindable { public var sqliteValue: SQLiteValue { .integer(self) } }
extension Int32: SQLiteBindable { public var sqliteValue: SQLiteValue { .integer(Int64(self)) } }
extension Double: SQLiteBindable { public var sqliteValue: SQLiteValue { .real(self) } }
extension String: SQLiteBindable { public var sqliteValue: SQLiteValue { .text(self) } }
extension Data: SQLiteBindable { public var sqliteValue: SQLiteValue { .blob(self) } }
extension Bool: SQLiteBindable { public var sqliteValue: SQLiteValue { .integer(self ? 1 : 0) } }
extension SQLiteValue: SQLiteBindable { public var sqliteValue: SQLiteValue { self } }
extension Date: SQLiteBindable {
    /// Dates are stored as Unix time in seconds, with fractions.
    public var sqliteValue: SQLiteValue { .real(timeIntervalSince1970) }
}
extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    public var sqliteValue: SQLiteValue { self?.sqliteValue ?? .null }
}

/// One result row, with columns by name.
public struct SQLiteRow: Sendable {
    public var columns: [String: SQLiteValue]

    public subscript(_ name: String) -> SQLiteValue { columns[name] ?? .null }

    public func string(_ name: String) -> String? {
        switch self[name] {
        case .text(let text): return text
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .blob(let data): return String(decoding: data, as: UTF8.self)
        case .null: return nil
        }
    }

    public func int(_ name: String) -> Int? {
        switch self[name] {
        case .integer(let value): return Int(value)
        case .real(let value): return Int(value)
        case .text(let text): return Int(text)
        default: return nil
        }
    }

    public func int64(_ name: String) -> Int64? { int(name).map(Int64.init) }

    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        case .text(let text): return Double(text)
        default: return nil
        }
    }

    public func bool(_ name: String) -> Bool? { int(name).map { $0 != 0 } }

    public func date(_ name: String) -> Date? { double(name).map(Date.init(timeIntervalSince1970:)) }

    public func data(_ name: String) -> Data? {
        switch self[name] {
        case .blob(let data): return data
        case .text(let text): return Data(text.utf8)
        default: return nil
        }
    }
}

/// A SQLite database file, opened in WAL mode with a busy timeout so that several processes can share it.
///
/// All calls are serialised by a lock, so one instance may be used from several threads. Nested calls from
/// inside `transaction` on the same thread are allowed.
public final class SQLiteDatabase: @unchecked Sendable {
    // The lock guards `handle`; it is recursive so `transaction` bodies can run statements.
    private let lock = NSRecursiveLock()
    private var handle: OpaquePointer?
    public let path: String
    /// Prepared statements by their SQL text, kept for reuse: preparing costs more than running most statements.
    /// A statement in use is taken out while it runs, so a nested call with the same SQL prepares its own.
    private var statementCache: [String: OpaquePointer] = [:]
    /// How many statements the cache keeps; SQL built with a varying number of placeholders is not worth more.
    private static let statementCacheLimit = 128

    /// Opens or creates the database at `path`. `busyTimeoutMilliseconds` is how long a writer waits for another
    /// process's lock before failing with `SQLITE_BUSY`.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw SQLiteError(code: status, message: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        try enableWriteAheadLog(waitingUpTo: busyTimeoutMilliseconds)
        try execute("PRAGMA synchronous=NORMAL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        close()
    }

    /// Switches the file to write-ahead logging, retrying for up to `milliseconds`. While another connection opens
    /// the same new file, SQLite can return `SQLITE_BUSY` here without calling the busy handler.
    private func enableWriteAheadLog(waitingUpTo milliseconds: Int32) throws {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        var pause: UInt32 = 1_000
        while true {
            do {
                try execute("PRAGMA journal_mode=WAL")
                return
            } catch let error as SQLiteError where error.code & 0xFF == SQLITE_BUSY && Date() < deadline {
                usleep(pause)
                pause = min(pause * 2, 50_000)
            }
        }
    }

    /// Closes the database. Later calls fail.
    public func close() {
        lock.withLock {
            for statement in statementCache.values { sqlite3_finalize(statement) }
            statementCache.removeAll()
            if let handle {
                sqlite3_close_v2(handle)
            }
            handle = nil
        }
    }

    /// Runs one or more statements that take no parameters and return no rows.
    public func execute(_ sql: String) throws {
        try lock.withLock {
            let db = try openHandle()
            var errorMessage: UnsafeMutablePointer<CChar>?
            let status = sqlite3_exec(db, sql, nil, nil, &errorMessage)
            if status != SQLITE_OK {
                let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
                sqlite3_free(errorMessage)
                throw failure(status, message, sql: sql)
            }
        }
    }

    /// Runs one statement with parameters and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ parameters: [any SQLiteBindable] = []) throws -> Int {
        try lock.withLock {
            let db = try openHandle()
            try withStatement(db, sql, parameters) { statement in
                let status = sqlite3_step(statement)
                guard status == SQLITE_DONE || status == SQLITE_ROW else {
                    throw failure(status, String(cString: sqlite3_errmsg(db)), sql: sql)
                }
            }
            return Int(sqlite3_changes(db))
        }
    }

    /// Runs one query and returns every row.
    public func query(_ sql: String, _ parameters: [any SQLiteBindable] = []) throws -> [SQLiteRow] {
        try lock.withLock {
            let db = try openHandle()
            var rows: [SQLiteRow] = []
            try withStatement(db, sql, parameters) { statement in
                // The columns are read after the first step: a reused statement that SQLite prepared again after a
                // schema change (a `SELECT *` after ALTER TABLE) only has its new columns then.
                var names: [String] = []
                while true {
                    let status = sqlite3_step(statement)
                    if status == SQLITE_DONE { break }
                    guard status == SQLITE_ROW else {
                        throw failure(status, String(cString: sqlite3_errmsg(db)), sql: sql)
                    }
                    if names.isEmpty {
                        names = (0..<sqlite3_column_count(statement)).map {
                            String(cString: sqlite3_column_name(statement, $0))
                        }
                    }
                    var columns: [String: SQLiteValue] = [:]
                    for index in 0..<Int32(names.count) {
                        columns[names[Int(index)]] = Self.columnValue(statement, index)
                    }
                    rows.append(SQLiteRow(columns: columns))
                }
            }
            return rows
        }
    }

    /// Runs one query and returns its first row, or nil.
    public func queryOne(_ sql: String, _ parameters: [any SQLiteBindable] = []) throws -> SQLiteRow? {
        try query(sql, parameters).first
    }

    /// Sets how many WAL pages a commit on this connection may leave before the commit itself copies them into the
    /// database file (`PRAGMA wal_autocheckpoint`; SQLite's default is 1,000).
    public func setAutomaticCheckpoint(pages: Int) throws {
        try execute("PRAGMA wal_autocheckpoint=\(max(1, pages))")
    }

    /// Sets the most memory this connection's page cache may use (`PRAGMA cache_size`; SQLite's default is 2 MiB).
    public func setCacheSize(kibibytes: Int) throws {
        try execute("PRAGMA cache_size=-\(max(1, kibibytes))")
    }

    /// The row id of the last insert on this connection.
    public var lastInsertRowID: Int64 {
        lock.withLock { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }
    }

    /// Runs `body` in a transaction that takes the write lock at once (`BEGIN IMMEDIATE`), so two processes
    /// cannot both read a value and then both write from it. Commits when `body` returns, rolls back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock {
            try execute("BEGIN IMMEDIATE")
            do {
                let result = try body()
                try execute("COMMIT")
                return result
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
        }
    }

    // MARK: - Internals

    /// Returns the error of a failed statement. A write to a file that this process may only read (SQLITE_READONLY,
    /// such as after a `chmod` or on a read-only mount) also names the file and what to check, because SQLite's
    /// own message names neither.
    private func failure(_ status: Int32, _ message: String, sql: String?) -> SQLiteError {
        guard status & 0xff == SQLITE_READONLY else { return SQLiteError(code: status, message: message, sql: sql) }
        let file = URL(fileURLWithPath: path)
        let name = file.lastPathComponent
        let explained = "\(message): \(path) is read-only for this process; check the permissions of the directory "
            + "\(file.deletingLastPathComponent().path) and of its files \(name), \(name)-wal and \(name)-shm"
        return SQLiteError(code: status, message: explained, sql: sql)
    }

    private func openHandle() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database \(path) is closed") }
        return handle
    }

    private func withStatement(
        _ db: OpaquePointer, _ sql: String, _ parameters: [any SQLiteBindable], _ body: (OpaquePointer) throws -> Void
    ) throws {
        let statement: OpaquePointer
        if let cached = statementCache.removeValue(forKey: sql) {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            let status = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard status == SQLITE_OK, let prepared else {
                throw SQLiteError(code: status, message: String(cString: sqlite3_errmsg(db)), sql: sql)
            }
            statement = prepared
        }
        defer {
            // A statement that was never stepped or ran to its end resets cleanly; keep it for the next call.
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            if statementCache[sql] == nil && statementCache.count < Self.statementCacheLimit {
                statementCache[sql] = statement
            } else {
                sqlite3_finalize(statement)
            }
        }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch parameter.sqliteValue {
            case .null: result = sqlite3_bind_null(statement, index)
            case .integer(let value): result = sqlite3_bind_int64(statement, index, value)
            case .real(let value): result = sqlite3_bind_double(statement, index, value)
            case .text(let text):
                // The byte count, not -1: with -1 SQLite stops at the first NUL, and a chat message may contain one.
                var text = text
                result = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { characters in
                        // An empty buffer may have no address, and a null pointer would bind NULL, not "".
                        guard let start = characters.baseAddress, !characters.isEmpty else {
                            return sqlite3_bind_text(statement, index, "", 0, csqlite_transient())
                        }
                        return sqlite3_bind_text(statement, index, start, Int32(characters.count), csqlite_transient())
                    }
                }
            case .blob(let data):
                result = data.withUnsafeBytes { buffer in
                    sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
                }
            }
            guard result == SQLITE_OK else {
                throw SQLiteError(code: result, message: String(cString: sqlite3_errmsg(db)), sql: sql)
            }
        }
        try body(statement)
    }

    private static func columnValue(_ statement: OpaquePointer, _ index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            // Read by length, so a NUL inside the text does not end it.
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let pointer = sqlite3_column_text(statement, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return .blob(Data()) }
            return .blob(Data(bytes: pointer, count: count))
        default: return .null
        }
    }
}
