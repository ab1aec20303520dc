import Dispatch
import Foundation
import TurkStore

/// Runs run-store calls in order on one background queue and hands each result back to the service thread.
///
/// SQLite calls can wait up to the busy timeout for another process (create-hits, review), so they never run on
/// the service thread. One serial queue keeps them in the order the service thread issued them: a conversation
/// is created before its first message, and messages are stored in the order they arrived. Completions stay on
/// the service thread: only a token and the Sendable result cross to the queue and back.
final class StoreWriter {
    let store: RunStore
    private let queue = DispatchQueue(label: "turkchat.store")
    private let inbox: Inbox<ChatServerCore>
    private var completions: [UInt64: (Result<any Sendable, any Error>) -> Void] = [:]
    private var nextToken: UInt64 = 1

    init(store: RunStore, inbox: Inbox<ChatServerCore>) {
        self.store = store
        self.inbox = inbox
    }

    /// Runs `work` on the store queue, then `completion` on the service thread with its result. Call on the
    /// service thread.
    func perform<Value: Sendable>(
        _ work: @escaping @Sendable (RunStore) throws -> Value,
        then completion: @escaping (Result<Value, any Error>) -> Void
    ) {
        let token = nextToken
        nextToken += 1
        completions[token] = { result in
            completion(result.map { $0 as! Value })
        }
        let store = self.store
        let inbox = self.inbox
        queue.async {
            let result = Result<any Sendable, any Error> { try work(store) }
            inbox.post { core in core.storeWriter.complete(token, result) }
        }
    }

    private func complete(_ token: UInt64, _ result: Result<any Sendable, any Error>) {
        completions.removeValue(forKey: token)?(result)
    }

    /// Runs `work` on the store queue and logs a failure, for writes whose result no caller waits for.
    func write(_ what: String, logger: ChatLogger, _ work: @escaping @Sendable (RunStore) throws -> Void) {
        let store = self.store
        queue.async {
            do {
                try work(store)
            } catch {
                logger.error("run store write failed", ["what": what, "error": String(describing: error)])
            }
        }
    }

    /// Waits until every call queued so far has run. Their completions are then waiting in the inbox.
    func flush() {
        queue.sync {}
    }
}
