import Foundation
import Testing
@testable import TurkStore

@Suite struct SQLiteStatementCacheTests {
    private func database() throws -> SQLiteDatabase {
        let folder = try makeTemporaryDirectory()
        return try SQLiteDatabase(path: folder.appendingPathComponent("cache.sqlite").path)
    }

    @Test func repeatedStatementSeesNewRowsAndParameters() throws {
        let db = try database()
        try db.execute("CREATE TABLE items (name TEXT NOT NULL, size INTEGER)")
        for size in 1...5 {
            try db.run("INSERT INTO items (name, size) VALUES (?, ?)", ["item\(size)", size])
        }
        for size in 1...5 {
            let row = try db.queryOne("SELECT name FROM items WHERE size = ?", [size])
            #expect(row?.string("name") == "item\(size)")
        }
        // A statement left with a row unread must not keep its old bindings or position.
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM items WHERE size > ?", [2])?.int("n") == 3)
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM items WHERE size > ?", [4])?.int("n") == 1)
    }

    @Test func sameStatementNestedInsideItselfRuns() throws {
        let db = try database()
        try db.execute("CREATE TABLE items (size INTEGER)")
        try db.run("INSERT INTO items (size) VALUES (?)", [1])
        let total = try db.transaction {
            let outer = try db.queryOne("SELECT SUM(size) AS total FROM items")?.int("total") ?? 0
            try db.run("INSERT INTO items (size) VALUES (?)", [outer + 1])
            return try db.queryOne("SELECT SUM(size) AS total FROM items")?.int("total")
        }
        #expect(total == 3)
    }

    @Test func cachedStatementFollowsSchemaChange() throws {
        let db = try database()
        try db.execute("CREATE TABLE items (size INTEGER)")
        try db.run("INSERT INTO items (size) VALUES (?)", [7])
        #expect(try db.query("SELECT * FROM items").first?.columns.count == 1)
        try db.execute("ALTER TABLE items ADD COLUMN label TEXT DEFAULT 'x'")
        let row = try #require(try db.query("SELECT * FROM items").first)
        #expect(row.columns.count == 2)
        #expect(row.string("label") == "x")
    }

    @Test func moreDistinctStatementsThanTheCacheHolds() throws {
        let db = try database()
        try db.execute("CREATE TABLE items (size INTEGER)")
        for size in 0..<400 {
            try db.run("INSERT INTO items (size) VALUES (\(size))")
        }
        for size in stride(from: 0, to: 400, by: 37) {
            #expect(try db.queryOne("SELECT size FROM items WHERE size = \(size)")?.int("size") == size)
        }
    }

    @Test func failedStatementLeavesTheCacheUsable() throws {
        let db = try database()
        try db.execute("CREATE TABLE items (size INTEGER NOT NULL UNIQUE)")
        let insert = "INSERT INTO items (size) VALUES (?)"
        try db.run(insert, [1])
        #expect(throws: SQLiteError.self) { try db.run(insert, [1]) }
        try db.run(insert, [2])
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM items")?.int("n") == 2)
    }

    @Test func closedDatabaseFails() throws {
        let db = try database()
        try db.execute("CREATE TABLE items (size INTEGER)")
        try db.run("INSERT INTO items (size) VALUES (?)", [1])
        db.close()
        #expect(throws: SQLiteError.self) { try db.run("INSERT INTO items (size) VALUES (?)", [2]) }
    }

    @Test func checkpointAndCacheSizesAreSet() throws {
        let db = try database()
        try db.setAutomaticCheckpoint(pages: 128)
        try db.setCacheSize(kibibytes: 32 * 1024)
        #expect(try db.queryOne("PRAGMA wal_autocheckpoint")?.int("wal_autocheckpoint") == 128)
        #expect(try db.queryOne("PRAGMA cache_size")?.int("cache_size") == -32 * 1024)
    }

    @Test func textWithNULRoundTrips() throws {
        let db = try database()
        try db.execute("CREATE TABLE items (text TEXT NOT NULL)")
        let text = "before\u{0}after NUL, é 😀"
        try db.run("INSERT INTO items (text) VALUES (?)", [text])
        #expect(try db.queryOne("SELECT text FROM items")?.string("text") == text)
        #expect(try db.queryOne("SELECT length(CAST(text AS BLOB)) AS bytes FROM items")?.int("bytes")
                == text.utf8.count)
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM items WHERE text = ?", [text])?.int("n") == 1)
        try db.run("INSERT INTO items (text) VALUES (?)", [""])
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM items WHERE text = ''")?.int("n") == 1)
    }
}
