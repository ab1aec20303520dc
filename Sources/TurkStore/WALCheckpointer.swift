import Dispatch
import Foundation

/// Copies a database's WAL into the database file on a background queue, so that the writer's own checkpoints find
/// little left to copy.
///
/// SQLite checkpoints in the commit that takes the WAL past `wal_autocheckpoint` pages, and that commit waits for
/// the copy. serve-chat relays a chat message only after its commit, so a long copy delays relays. This type runs
/// passive checkpoints on a second connection at a fixed interval. The writer keeps its automatic checkpoint, which
/// then copies only the frames of the last moments, and which lets SQLite restart the WAL from its beginning: a
/// WAL that keeps growing costs more per write, because the file system zeroes each new block.
public final class WALCheckpointer {
    private let database: SQLiteDatabase
    private let timer: DispatchSourceTimer
    private let queue = DispatchQueue(label: "turkchat.wal-checkpoint")

    /// Opens a second connection to `path` and checkpoints every `interval` seconds. `onError` gets a failed
    /// checkpoint, on the background queue.
    public init(path: String, interval: Double, onError: @escaping @Sendable (any Error) -> Void) throws {
        database = try SQLiteDatabase(path: path)
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(10))
        let database = self.database
        timer.setEventHandler {
            // A turn that meets the writer's own checkpoint copies nothing and reports no error.
            do {
                try database.checkpoint()
            } catch {
                onError(error)
            }
        }
        timer.resume()
    }

    /// Stops checkpointing and closes the second connection.
    public func stop() {
        timer.cancel()
        queue.sync { database.close() }
    }
}
