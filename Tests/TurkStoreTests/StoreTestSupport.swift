import Foundation
import Synchronization
import TurkModel
@testable import TurkStore

/// A clock that tests set and move by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_796_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    func set(_ date: Date) {
        current.withLock { $0 = date }
    }

    var function: @Sendable () -> Date { { self.now } }
}

/// Returns a new empty folder under the system's temporary folder.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("turkstore-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Opens a run store in a new temporary folder, with a test clock.
func makeStore(clock: TestClock = TestClock()) throws -> (store: RunStore, path: String) {
    let path = try makeTemporaryDirectory().appendingPathComponent("runs.sqlite").path
    return (try RunStore(path: path, clock: clock.function), path)
}

/// Inserts a run with the given id and task and returns it.
@discardableResult
func addRun(_ store: RunStore, id: String = "r20261204T203000-aaaa", task: String = "qa") throws -> RunRecord {
    let run = RunRecord(
        id: id, taskName: task, taskDirectory: "/tasks/\(task)", taskKind: "qa_data_collection", target: .local,
        serverURL: "http://127.0.0.1:8080", reward: USD(cents: 50),
        configJSON: #"{"conversations":2,"agentsPerConversation":2}"#, createdAt: store.clock())
    try store.createRun(run)
    return run
}
