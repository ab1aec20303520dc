import Foundation
import Testing
import TurkModel
@testable import TurkStore

@Suite struct RunStoreTests {}

// MARK: - Schema and runs

extension RunStoreTests {
    @Test func schemaVersionIsStored() throws {
        let (store, path) = try makeStore()
        #expect(try store.database.schemaVersion() == RunStore.schemaVersion)
        store.close()

        let reopened = try RunStore(path: path)
        #expect(try reopened.database.schemaVersion() == RunStore.schemaVersion)
    }

    @Test func newerSchemaIsRejected() throws {
        let (store, path) = try makeStore()
        try store.database.execute("PRAGMA user_version = 99")
        store.close()

        #expect(throws: SchemaVersionError.self) { try RunStore(path: path) }
    }

    @Test func runRoundTrip() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)

        #expect(try store.run(id: run.id) == run)
        try store.setRunHITType(run.id, hitTypeId: "3TYPE")
        try store.setRunStatus(run.id, .active)
        let changed = try #require(try store.run(id: run.id))
        #expect(changed.hitTypeId == "3TYPE")
        #expect(changed.status == .active)
        #expect(try store.runs(task: "qa").map(\.id) == [run.id])
        #expect(try store.runs(task: "other").isEmpty)
    }

    @Test func runConfigDecodes() throws {
        struct Config: Decodable { var conversations: Int }
        let (store, _) = try makeStore()
        let run = try addRun(store)

        #expect(try #require(try store.run(id: run.id)).config(as: Config.self).conversations == 2)
    }

    @Test func setStatusOfUnknownRunFails() throws {
        let (store, _) = try makeStore()
        #expect(throws: RunStoreError.notFound(kind: "run", id: "r-missing")) {
            try store.setRunStatus("r-missing", .finished)
        }
    }

    @Test func runIDsSortByTime() throws {
        let early = RunStore.newRunID(at: Date(timeIntervalSince1970: 1_796_000_000))
        let late = RunStore.newRunID(at: Date(timeIntervalSince1970: 1_796_000_001))
        #expect(early.count == "r20261204T203000-3f9a".count)
        #expect(early.hasPrefix("r2026"))
        #expect(early < late)
        #expect(RunStore.newConversationID(at: Date()).hasPrefix("c"))
    }
}

// MARK: - HIT ledger

extension RunStoreTests {
    @Test func reserveHITIsIdempotent() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)

        let first = try store.reserveHIT(run: run.id, seq: 1, token: "tok-1")
        let again = try store.reserveHIT(run: run.id, seq: 1, token: "tok-1")
        #expect(first == again)
        #expect(first.state == .pending)
        #expect(try store.hits(run: run.id).count == 1)
    }

    @Test func reserveHITRejectsOtherToken() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)
        try store.reserveHIT(run: run.id, seq: 1, token: "tok-1")

        #expect(throws: RunStoreError.self) { try store.reserveHIT(run: run.id, seq: 1, token: "tok-other") }
        #expect(throws: RunStoreError.self) { try store.reserveHIT(run: run.id, seq: 2, token: "tok-1") }
        #expect(throws: RunStoreError.self) { try store.reserveHIT(run: run.id, seq: 0, token: "tok-0") }
    }

    @Test func reserveHITNeedsKnownRun() throws {
        let (store, _) = try makeStore()
        #expect(throws: SQLiteError.self) { try store.reserveHIT(run: "r-missing", seq: 1, token: "tok") }
    }

    @Test func ledgerStates() throws {
        let clock = TestClock()
        let (store, _) = try makeStore(clock: clock)
        let run = try addRun(store)
        for seq in 1...3 { try store.reserveHIT(run: run.id, seq: seq, token: "tok-\(seq)") }

        clock.advance(5)
        try store.markHITCreated(run: run.id, seq: 1, hitId: "3HITONE")
        try store.markHITFailed(run: run.id, seq: 2, error: "RequestError: bad question")

        let entries = try store.hits(run: run.id)
        #expect(entries.map(\.state) == [.created, .failed, .pending])
        #expect(entries[0].hitId == "3HITONE")
        #expect(entries[0].createdAt == clock.now)
        #expect(entries[0].reservedAt == clock.now.addingTimeInterval(-5))
        #expect(entries[1].error == "RequestError: bad question")
        #expect(try store.pendingHITs(run: run.id).map(\.seq) == [3])
        #expect(try store.hitEntry(hitId: "3HITONE")?.seq == 1)
        #expect(try store.run(forHIT: "3HITONE")?.id == run.id)
        #expect(try store.allHITs().count == 3)

        // A failed row can still be created by a later retry with the same token.
        try store.markHITCreated(run: run.id, seq: 2, hitId: "3HITTWO")
        #expect(try store.hitEntry(run: run.id, seq: 2)?.error == nil)

        #expect(try store.markHITDeleted(hitId: "3HITONE"))
        #expect(try !store.markHITDeleted(hitId: "3UNKNOWN"))
        #expect(try store.hitEntry(hitId: "3HITONE")?.state == .deleted)
    }

    @Test func markUnknownHITFails() throws {
        let (store, _) = try makeStore()
        #expect(throws: RunStoreError.self) { try store.markHITCreated(run: "r-x", seq: 1, hitId: "3H") }
    }
}

// MARK: - Bonus ledger

extension RunStoreTests {
    @Test func reserveBonusIsIdempotent() throws {
        let (store, _) = try makeStore()
        let first = try store.reserveBonus(
            token: "bonus-1", workerId: "AWORKER1", assignmentId: "3ASSIGN", amount: USD(cents: 125),
            reason: "great chat", sourceFile: "bonus.csv", sourceLine: 2)
        let again = try store.reserveBonus(
            token: "bonus-1", workerId: "AWORKER1", assignmentId: "3ASSIGN", amount: USD(cents: 125),
            reason: "great chat", sourceFile: "bonus.csv", sourceLine: 2)

        #expect(first.inserted)
        #expect(!again.inserted)
        #expect(first.bonus == again.bonus)
        #expect(first.bonus.state == .pending)
        #expect(first.bonus.sourceLine == 2)
        #expect(try store.bonuses().count == 1)
    }

    @Test func reserveBonusRejectsChangedRow() throws {
        let (store, _) = try makeStore()
        _ = try store.reserveBonus(
            token: "bonus-1", workerId: "AWORKER1", assignmentId: "3ASSIGN", amount: USD(cents: 125), reason: "r")

        #expect(throws: RunStoreError.self) {
            try store.reserveBonus(
                token: "bonus-1", workerId: "AWORKER1", assignmentId: "3ASSIGN", amount: USD(cents: 126), reason: "r")
        }
        #expect(throws: RunStoreError.self) {
            try store.reserveBonus(
                token: "bonus-2", workerId: "AWORKER1", assignmentId: "3ASSIGN", amount: .zero, reason: "r")
        }
    }

    @Test func bonusStates() throws {
        let clock = TestClock()
        let (store, _) = try makeStore(clock: clock)
        for token in ["b1", "b2", "b3"] {
            _ = try store.reserveBonus(
                token: token, workerId: "AWORKER1", assignmentId: "3ASSIGN", amount: USD(cents: 10), reason: "r")
        }

        try store.markBonusPaid(token: "b1")
        try store.markBonusFailed(token: "b2", error: "RequestError: no such worker")
        try store.markBonusWaiting(token: "b3", message: "assignment not submitted yet")

        #expect(try store.bonuses(state: .paid).map(\.token) == ["b1"])
        #expect(try store.bonuses(state: .failed).map(\.token) == ["b2"])
        #expect(try store.bonuses(state: .waiting).map(\.token) == ["b3"])
        #expect(try store.bonuses(state: .pending).isEmpty)
        #expect(try store.bonus(token: "b1")?.paidAt == clock.now)
        #expect(try store.bonuses(assignmentId: "3ASSIGN").count == 3)

        // A later failure report does not undo a payment.
        try store.markBonusFailed(token: "b1", error: "late error")
        #expect(try store.bonus(token: "b1")?.state == .paid)

        // A waiting bonus is paid by a later run.
        try store.markBonusPaid(token: "b3")
        #expect(try store.bonus(token: "b3")?.state == .paid)
        #expect(try store.bonus(token: "b3")?.error == nil)
    }
}

// MARK: - Several processes

extension RunStoreTests {
    /// The switch to WAL mode can return `SQLITE_BUSY` at once while another connection opens the same new file.
    /// The race is repeated because a single run rarely hits it.
    @Test func concurrentOpensOfANewFile() async throws {
        let directory = try makeTemporaryDirectory()
        for attempt in 0..<100 {
            let path = directory.appendingPathComponent("runs-\(attempt).sqlite").path
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let store = try RunStore(path: path)
                        defer { store.close() }
                        return try store.database.schemaVersion()
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(versions == Array(repeating: RunStore.schemaVersion, count: 4), "attempt \(attempt)")
        }
    }
}
