import Dispatch
import Foundation
import Synchronization
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
    /// The batch of message appends that later appends may still join; nil once another call was queued after it.
    private let openBatch = Mutex<AppendBatch?>(nil)

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
        closeBatch()
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

    /// Stores a chat message, then calls `completion` on the service thread. Messages queued back to back share one
    /// transaction; any other call queued in between starts a new batch, so the order of all calls is kept.
    func appendMessage(_ message: NewMessage, then completion: @escaping (Result<AppendedMessage, any Error>) -> Void) {
        let token = nextToken
        nextToken += 1
        completions[token] = { result in
            completion(result.map { $0 as! AppendedMessage })
        }
        let newBatch: AppendBatch? = openBatch.withLock { open in
            if let batch = open, batch.add(token, message) { return nil }
            let batch = AppendBatch(first: (token, message))
            open = batch
            return batch
        }
        guard let newBatch else { return }
        let store = self.store
        let inbox = self.inbox
        queue.async {
            let items = newBatch.close()
            let results = Self.append(items.map(\.message), store: store)
            inbox.post { core in
                for (item, result) in zip(items, results) { core.storeWriter.complete(item.token, result) }
            }
        }
    }

    /// Appends a batch in one transaction; when that fails, appends one message at a time so that one bad message
    /// does not lose the others.
    private static func append(_ messages: [NewMessage], store: RunStore) -> [Result<any Sendable, any Error>] {
        if messages.count > 1, let stored = try? store.appendMessages(messages) {
            return stored.map { .success($0) }
        }
        return messages.map { message in Result<any Sendable, any Error> { try store.appendMessage(message) } }
    }

    private func closeBatch() {
        openBatch.withLock { $0 = nil }
    }

    /// Runs `work` on the store queue and logs a failure, for writes whose result no caller waits for.
    func write(_ what: String, logger: ChatLogger, _ work: @escaping @Sendable (RunStore) throws -> Void) {
        closeBatch()
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

/// Message appends that run in one transaction. Appends join it until the store queue starts it or another call is
/// queued after it; its lock keeps the two threads from racing on that.
private final class AppendBatch: Sendable {
    private let state: Mutex<(items: [(token: UInt64, message: NewMessage)], closed: Bool)>

    init(first: (token: UInt64, message: NewMessage)) {
        state = Mutex(([first], false))
    }

    /// Adds a message; returns false when the batch already started.
    func add(_ token: UInt64, _ message: NewMessage) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.items.append((token, message))
            return true
        }
    }

    /// Closes the batch to new messages and returns its messages.
    func close() -> [(token: UInt64, message: NewMessage)] {
        state.withLock { state in
            state.closed = true
            return state.items
        }
    }
}
