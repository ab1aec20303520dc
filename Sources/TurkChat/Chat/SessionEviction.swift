import Foundation
import Synchronization
import TurkModel
import TurkStore

// Eviction: a finished assignment's session, and its conversation once every member's session goes, leave memory
// a while after the last socket closed. A later join reads them back from the run store and gets the same status,
// replay and close code as from memory.

/// The stage of a session on its way out of memory.
enum SessionEvictionState {
    /// Active, connected, or not yet finished long enough.
    case none
    /// Finished and without a socket. The timer marks it ready when the delay passes.
    case scheduled(timer: UInt64)
    /// The delay passed. The session waits for the other sessions of its conversation.
    case ready
    /// Its page state is being written to the run store. It leaves memory when the write succeeds.
    case saving
}

/// A count of live objects, changed from `init` and `deinit` on any thread.
final class InstanceCounter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() { count.add(1, ordering: .relaxed) }
    func decrement() { count.subtract(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The sessions and conversations in the engine's memory, for tests and diagnostics.
struct ChatMemoryCounts: Sendable, Equatable {
    /// Worker sessions, active and finished.
    var sessions: Int
    /// Conversation objects alive, open or ended, including the read-back copies of finished ones.
    var conversations: Int
    /// Conversations that have not ended.
    var openConversations: Int
}

/// Join lookups in flight on the store queue, by assignment key, with the evictions of that key seen meanwhile.
struct JoinLookupTracker {
    private var inFlight: [AssignmentKey: (lookups: Int, evictions: Int)] = [:]

    /// Records a lookup that starts now and returns the mark to pass to `end`.
    mutating func begin(_ key: AssignmentKey) -> Int {
        var entry = inFlight[key] ?? (lookups: 0, evictions: 0)
        entry.lookups += 1
        inFlight[key] = entry
        return entry.evictions
    }

    /// Records the end of a lookup and returns whether the key's session left memory since it began.
    mutating func end(_ key: AssignmentKey, mark: Int) -> Bool {
        guard var entry = inFlight[key] else { return false }
        entry.lookups -= 1
        inFlight[key] = entry.lookups == 0 ? nil : entry
        return entry.evictions != mark
    }

    mutating func noteEviction(_ key: AssignmentKey) {
        inFlight[key]?.evictions += 1
    }
}

extension ServerFrame {
    /// Rebuilds a frame from the JSON object that `data` produced. Returns nil for anything else.
    init?(jsonText: String) {
        guard case .object(var fields)? = JSONValue.parse(jsonText), let type = fields["type"]?.stringValue else {
            return nil
        }
        fields["type"] = nil
        self.init(type: type, fields: fields)
    }
}

extension ChatEngine {
    /// A finished assignment read back from the run store: its row, its saved page state and the conversation that
    /// the page replays.
    struct FinishedSession: Sendable {
        var assignment: AssignmentRecord
        var record: FinishedSessionRecord
        var conversation: PastConversation?
    }

    var memoryCounts: ChatMemoryCounts {
        ChatMemoryCounts(sessions: sessions.count, conversations: conversationInstances.value,
                         openConversations: conversations.count)
    }

    // MARK: - Leaving memory

    /// Starts the eviction delay of a session whose assignment is finished and that has no socket. Does nothing
    /// for any other session, or while the server stops.
    func scheduleEviction(_ session: WorkerSession) {
        guard case .none = session.eviction, isEvictable(session) else { return }
        let delay = core.configuration.sessionEvictionDelaySeconds
        let timer = transport.schedule(after: delay) { [weak self, weak session] in
            guard let self, let session, case .scheduled = session.eviction else { return }
            if self.awaitsPolledSubmission(session) {
                session.eviction = .none
                self.scheduleEviction(session)
                return
            }
            session.eviction = .ready
            self.evictIfReady(session)
        }
        session.eviction = .scheduled(timer: timer)
    }

    /// Keeps a session in memory because a socket attached to it. A write of its page state that is running
    /// stays harmless: the session does not leave when the write completes.
    func cancelEviction(_ session: WorkerSession) {
        if case .scheduled(let timer) = session.eviction { transport.cancelTimer(timer) }
        session.eviction = .none
    }

    /// Returns whether the session waits for a submission that only the submission poller can notice. On sandbox and live
    /// the page submits to MTurk, and the poller polls the sessions in memory, so such a session stays until MTurk
    /// lists the submission or can no longer take it.
    private func awaitsPolledSubmission(_ session: WorkerSession) -> Bool {
        core.marketplaceChecks != nil && InactiveText.forStatus(session.status).showDone
            && ChatServerCore.maySubmit(session, at: Date())
    }

    private func isEvictable(_ session: WorkerSession) -> Bool {
        !session.status.isActive && session.socket == nil && !core.isStopping
            && sessions[session.key] === session
    }

    /// Evicts a ready session, together with the other sessions of its conversation when they are all ready.
    private func evictIfReady(_ session: WorkerSession) {
        guard case .ready = session.eviction, isEvictable(session) else { return }
        guard let conversation = session.conversation,
              conversation.members.contains(where: { $0.session === session })
        else {
            evict([session])
            return
        }
        evictMembersIfReady(conversation)
    }

    /// Evicts the sessions of an ended conversation when every one of them is ready, so the conversation leaves
    /// memory with them. A conversation whose member is still connected or active stays whole.
    func evictMembersIfReady(_ conversation: Conversation) {
        guard !conversation.isOpen else { return }
        let group = conversation.members.map(\.session).filter { member in
            sessions[member.key] === member && member.conversation === conversation
        }
        guard !group.isEmpty else { return }
        for member in group {
            guard case .ready = member.eviction, isEvictable(member) else { return }
        }
        evict(group)
    }

    /// Writes the page state of `group` to the run store, then drops the sessions when none of them changed
    /// meanwhile. When the write fails, they stay in memory and try again after another delay.
    private func evict(_ group: [WorkerSession]) {
        let now = Date()
        let records = group.map { finishedSessionRecord($0, savedAt: now) }
        for session in group { session.eviction = .saving }
        storeWriter.perform({ store in
            for record in records { try store.saveFinishedSession(record) }
        }) { [weak self] result in
            guard let self else { return }
            if case .failure(let error) = result {
                self.logger.error("saving finished sessions failed, so they stay in memory until the next attempt", [
                    "error": String(describing: error),
                    "assignments": group.map(\.key.description).joined(separator: ","),
                ])
                self.retryEviction(group)
                return
            }
            // A socket that attached during the write, or a status that changed (a submission), keeps the whole
            // group in memory. The sessions that did not change wait for another delay.
            let unchanged = zip(group, records).allSatisfy { session, record in
                guard case .saving = session.eviction, self.isEvictable(session) else { return false }
                return self.finishedSessionRecord(session, savedAt: record.savedAt) == record
            }
            guard unchanged else {
                self.retryEviction(group)
                return
            }
            for session in group { self.drop(session) }
        }
    }

    /// Starts the delay again for the sessions of a group whose eviction did not finish. A session that a socket
    /// took back in the meantime is left alone.
    private func retryEviction(_ group: [WorkerSession]) {
        for session in group {
            guard case .saving = session.eviction else { continue }
            session.eviction = .none
            scheduleEviction(session)
        }
    }

    private func finishedSessionRecord(_ session: WorkerSession, savedAt: Date) -> FinishedSessionRecord {
        FinishedSessionRecord(
            assignmentId: session.key.assignmentId, workerId: session.key.workerId, status: session.status,
            agentId: session.agentId, conversationId: session.conversation?.id,
            lastCommandJSON: session.lastCommand.map { String(decoding: $0.data, as: UTF8.self) }, savedAt: savedAt)
    }

    private func drop(_ session: WorkerSession) {
        sessions[session.key] = nil
        joinLookups.noteEviction(session.key)
        session.eviction = .none
        for timer in [session.idleTimer, session.graceTimer].compactMap({ $0 }) { transport.cancelTimer(timer) }
        session.idleTimer = nil
        session.graceTimer = nil
        // The conversation keeps its members alive and each member keeps the conversation alive, so neither is
        // freed until this link is cut.
        session.conversation = nil
        logger.debug("session left memory", session.metadata.merging(["status": session.status.rawValue]) { a, _ in a })
    }

    // MARK: - Reading back

    /// Reads the saved page state of a finished assignment and the conversation it replays. Runs on the store
    /// queue. Returns nil for an active assignment or one whose session never left memory.
    static func finishedSession(of assignment: AssignmentRecord?, in store: RunStore) throws -> FinishedSession? {
        guard let assignment, !assignment.status.isActive,
              let record = try store.finishedSession(assignmentId: assignment.assignmentId,
                                                     workerId: assignment.workerId)
        else { return nil }
        var conversation: PastConversation?
        if let id = record.conversationId, let stored = try store.conversation(id: id) {
            conversation = PastConversation(record: stored, messages: try store.messages(conversation: id))
        }
        return FinishedSession(assignment: assignment, record: record, conversation: conversation)
    }

    /// Rebuilds an evicted session from the run store and attaches `socket`, as a join of the session in memory
    /// would: the same run and HIT checks, status, role, replay and last command.
    func restoreFinishedSession(_ socket: WebSocket, _ request: JoinRequest, _ run: RunRuntime,
                                _ finished: FinishedSession) {
        let assignment = finished.assignment
        if let mismatch = Self.joinMismatch(runId: assignment.runId, hitId: assignment.hitId, request) {
            rejectJoin(socket, code: mismatch.code, reason: mismatch.reason, request)
            return
        }
        let key = AssignmentKey(workerId: assignment.workerId, assignmentId: assignment.assignmentId)
        let session = WorkerSession(key: key, hitId: assignment.hitId, run: run, status: assignment.status,
                                    acceptedAt: assignment.acceptedAt)
        session.agentId = finished.record.agentId
        // A status that changed after the save (a submission or a return) shows its own fixed text, as in memory.
        if finished.record.status == assignment.status, let json = finished.record.lastCommandJSON {
            session.lastCommand = ServerFrame(jsonText: json)
        }
        if let past = finished.conversation {
            session.conversation = archivedConversation(past, for: session, run: run)
        }
        sessions[key] = session
        logger.debug("read a finished session back from the run store",
                     session.metadata.merging(["status": session.status.rawValue]) { a, _ in a })
        attach(socket, to: session, request)
    }

    /// Handles a join that the assignment authority rejected. A session in memory is joined without that check,
    /// so a finished session that left memory is joined without it too. Any other join is rejected with the
    /// authority's reason.
    func rejectUnlessFinished(_ socket: WebSocket, _ request: JoinRequest, _ run: RunRuntime, code: UInt16,
                              reason: String) {
        let key = AssignmentKey(workerId: request.workerId, assignmentId: request.assignmentId)
        let mark = joinLookups.begin(key)
        storeWriter.perform({ store in
            try Self.finishedSession(of: try store.assignment(id: key.assignmentId, workerId: key.workerId),
                                     in: store)
        }) { [weak self] result in
            guard let self else { return }
            let sawEviction = self.joinLookups.end(key, mark: mark)
            guard !socket.isClosed else { return }
            if let session = self.sessions[key], !session.status.isActive {
                self.attachIfSame(socket, to: session, request)
                return
            }
            if sawEviction && self.sessions[key] == nil {
                self.rejectUnlessFinished(socket, request, run, code: code, reason: reason)
                return
            }
            switch result {
            case .success(let finished?) where self.sessions[key] == nil:
                self.restoreFinishedSession(socket, request, run, finished)
            case .failure(let error):
                self.logger.error("run store lookup for a rejected join failed",
                                  ["assignment": key.assignmentId, "worker": key.workerId,
                                   "error": String(describing: error)])
                self.rejectJoin(socket, code: code, reason: reason, request)
            default:
                self.rejectJoin(socket, code: code, reason: reason, request)
            }
        }
    }
}
