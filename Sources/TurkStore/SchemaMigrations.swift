import Foundation

/// An error for a database file whose schema this build cannot use.
public struct SchemaVersionError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var found: Int
    public var supported: Int

    public var description: String {
        "\(path) has schema version \(found), but this build of turkchat supports at most version \(supported); "
            + "upgrade turkchat or use another state directory"
    }
}

extension SQLiteDatabase {
    /// The schema version stored in `PRAGMA user_version`.
    public func schemaVersion() throws -> Int {
        try queryOne("PRAGMA user_version")?.int("user_version") ?? 0
    }

    /// Brings the schema up to date by running the migrations after the stored `user_version`, in order.
    ///
    /// `migrations[0]` creates version 1, `migrations[1]` turns version 1 into version 2, and so on. Each step runs
    /// in its own `BEGIN IMMEDIATE` transaction together with the version bump, so two processes that open a new
    /// file at the same time cannot both run a step. A file written by a newer build fails with `SchemaVersionError`.
    public func migrate(_ migrations: [String]) throws {
        while true {
            let done = try transaction { () throws -> Bool in
                let version = try schemaVersion()
                if version > migrations.count {
                    throw SchemaVersionError(path: path, found: version, supported: migrations.count)
                }
                if version == migrations.count { return true }
                try execute(migrations[version])
                try execute("PRAGMA user_version = \(version + 1)")
                return false
            }
            if done { return }
        }
    }
}
