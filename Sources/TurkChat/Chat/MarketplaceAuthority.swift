import Dispatch
import Foundation
import Synchronization
import TurkModel
import TurkStore

/// The authority for sandbox and live: checks a join against the run store's HIT ledger and against MTurk.
///
/// MTurk does not tell a requester who accepted an assignment until the worker submits it, so serve-chat checks
/// what it can, in this order:
/// 1. The HIT is in the run store's HIT ledger as a HIT of the joining run; otherwise 4004, with no MTurk call.
///    A ledger row that delete-hits marked deleted gives 4011.
/// 2. GetHIT finds the HIT (otherwise 4004), it is not `Disposed` (4011), and its expiration plus its assignment
///    duration lies ahead (4011): after that moment no assignment of the HIT can still be in progress.
/// 3. ListAssignmentsForHIT does not show the assignment submitted, approved or rejected by another worker (4003).
///    When it shows the assignment submitted by this worker, the join is allowed only if the run store has the
///    worker's record of it, so that the engine replays the finished assignment instead of starting a new one.
///
/// A failed call fails closed, but never for good. When MTurk cannot be reached, returns an error that is not
/// about the HIT (throttling past the client's retries, a service fault, a rejected signature), or sends no
/// response within `checkTimeout`, the join is rejected with 1013 (try again later). The chat page reconnects after
/// 1013 with a growing delay of at most 10 s. The MTurk call itself goes on after the join gives up, and its
/// answer is cached, so the next attempt is decided at once. A failure is never cached. A worker is therefore kept
/// out only while serve-chat cannot get an answer from MTurk, and a worker who was not checked is never let in.
///
/// GetHIT and ListAssignmentsForHIT answers are cached per HIT for `cacheLifetime`, and callers that check the
/// same HIT at the same time share one pair of calls, so a crowd joining at once does not run into MTurk's rate
/// limit. The client's own rate limit spaces out the calls that remain. Submissions seen by the submission poller
/// are recorded here too (`recordSubmitted`), so a stale cache cannot let a second worker onto a submitted
/// assignment once the poller has seen it.
///
/// Nothing here blocks a thread of Swift's task pool: the MTurk calls are async, and the run store reads run on a
/// serial queue of their own.
final class MarketplaceAuthority: AssignmentAuthority, Sendable {
    /// How long the responses about a HIT are reused: 30 s. A HIT's expiration and status rarely change within that
    /// time, and MTurk reuses an assignment id only after the worker returned it, which the engine's binding
    /// check covers.
    static let defaultCacheLifetime: TimeInterval = 30
    /// How long a join waits for MTurk before it is rejected with 1013: 10 s, the same as the time a new
    /// WebSocket has to send its join.
    static let defaultCheckTimeout: TimeInterval = 10

    let marketplace: any Marketplace
    let runStore: RunStore
    let target: Target
    let cacheLifetime: TimeInterval
    let checkTimeout: TimeInterval
    let failureLog: MarketplaceFailureLog
    private let clock: @Sendable () -> Date
    private let state = Mutex(CacheState())
    /// The queue of the run store reads, which may wait for SQLite's busy timeout. A serial queue gets a thread of
    /// its own from Dispatch, so the wait never blocks a thread that Swift's tasks need.
    private let storeQueue = DispatchQueue(label: "turkchat.marketplace-authority.store")

    /// MTurk's responses about one HIT.
    enum HITSnapshot: Sendable {
        case found(HIT, assignments: [Assignment])
        /// GetHIT failed with "does not exist"; the message is MTurk's.
        case notFound(message: String)
    }

    private struct CacheState {
        var snapshots: [String: (snapshot: HITSnapshot, fetchedAt: Date)] = [:]
        var fetches: [String: (task: Task<HITSnapshot, any Error>, retries: RetryTrace)] = [:]
        /// The worker who submitted each assignment, as MTurk listed it. An assignment id is not reused once its
        /// assignment was submitted, so entries never go stale.
        var submitters: [String: String] = [:]
        var isStopped = false
    }

    init(
        marketplace: any Marketplace, runStore: RunStore, target: Target, logger: ChatLogger,
        cacheLifetime: TimeInterval = defaultCacheLifetime, checkTimeout: TimeInterval = defaultCheckTimeout,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.marketplace = marketplace
        self.runStore = runStore
        self.target = target
        self.cacheLifetime = cacheLifetime
        self.checkTimeout = checkTimeout
        self.failureLog = MarketplaceFailureLog(logger: logger, activity: "join check")
        self.clock = clock
    }

    func check(runId: String, hitId: String, assignmentId: String, workerId: String,
               completion: @escaping @Sendable (AuthorityVerdict) -> Void) {
        Task {
            completion(await verdict(runId: runId, hitId: hitId, assignmentId: assignmentId, workerId: workerId))
        }
    }

    /// Checks a join, waiting at most `checkTimeout` for MTurk.
    func verdict(runId: String, hitId: String, assignmentId: String, workerId: String) async -> AuthorityVerdict {
        if let verdict = await onStoreQueue({ self.checkLedger(runId: runId, hitId: hitId) }) {
            return verdict
        }

        let snapshot: HITSnapshot
        switch await waitForSnapshot(hitId: hitId) {
        case .success(let value):
            snapshot = value
        case .failure(let error):
            return .rejected(code: CloseCode.tryAgainLater, reason: unavailableReason(error))
        }

        switch snapshot {
        case .notFound:
            return .rejected(code: CloseCode.notFound, reason: "HIT \(hitId) does not exist on MTurk \(target.rawValue)")
        case .found(let hit, let assignments):
            if let verdict = checkHIT(hit, hitId: hitId) {
                return verdict
            }
            return await onStoreQueue {
                self.checkSubmitter(assignments: assignments, hitId: hitId, assignmentId: assignmentId,
                                    workerId: workerId)
            }
        }
    }

    /// Records assignments that MTurk listed as submitted, approved or rejected, from the submission poller.
    func recordSubmitted(_ assignments: [Assignment]) {
        state.withLock { state in
            for assignment in assignments {
                guard let id = assignment.assignmentId, let worker = assignment.workerId,
                      assignment.assignmentStatus != nil
                else { continue }
                state.submitters[id] = worker
            }
        }
    }

    /// Cancels the MTurk calls in flight; later checks fail with 1013. Called when the server stops.
    func stop() {
        let fetches = state.withLock { state in
            state.isStopped = true
            let fetches = state.fetches.values.map(\.task)
            state.fetches.removeAll()
            return fetches
        }
        for fetch in fetches { fetch.cancel() }
    }

    // MARK: - Checks

    /// Returns the verdict when the ledger alone decides the join, or nil when MTurk must be asked.
    private func checkLedger(runId: String, hitId: String) -> AuthorityVerdict? {
        let entry: HITLedgerEntry?
        do {
            entry = try runStore.hitEntry(hitId: hitId)
        } catch {
            failureLog.record(kind: "run store", error: String(describing: error), ["hit": hitId])
            return .rejected(code: CloseCode.internalError, reason: "the server could not read its run store")
        }
        guard let entry, entry.runId == runId else {
            return .rejected(code: CloseCode.notFound, reason: "HIT \(hitId) is not a HIT of run \(runId)")
        }
        if entry.state == .deleted {
            return .rejected(code: CloseCode.inactive, reason: "HIT \(hitId) was deleted by its requester")
        }
        return nil
    }

    /// Returns the verdict when the HIT can no longer be worked on, or nil when it can.
    private func checkHIT(_ hit: HIT, hitId: String) -> AuthorityVerdict? {
        if hit.hitStatus == .disposed {
            return .rejected(code: CloseCode.inactive, reason: "HIT \(hitId) was disposed of and takes no more work")
        }
        if let expiration = hit.expiration {
            let lastDeadline = expiration.addingTimeInterval(TimeInterval(hit.assignmentDurationInSeconds ?? 0))
            if lastDeadline < clock() {
                return .rejected(code: CloseCode.inactive,
                                 reason: "HIT \(hitId) expired and the deadlines of its assignments have passed")
            }
        }
        return nil
    }

    private func checkSubmitter(assignments: [Assignment], hitId: String, assignmentId: String, workerId: String)
        -> AuthorityVerdict
    {
        let listed = assignments.first { $0.assignmentId == assignmentId }?.workerId
        let known = state.withLock { $0.submitters[assignmentId] }
        guard let submitter = known ?? listed else { return .allowed }
        guard submitter == workerId else {
            return .rejected(code: CloseCode.forbidden,
                             reason: "assignment \(assignmentId) was submitted by another worker")
        }
        let record: AssignmentRecord?
        do {
            record = try runStore.assignment(id: assignmentId, workerId: workerId)
        } catch {
            failureLog.record(kind: "run store", error: String(describing: error), ["assignment": assignmentId])
            return .rejected(code: CloseCode.internalError, reason: "the server could not read its run store")
        }
        guard record != nil else {
            return .rejected(code: CloseCode.inactive,
                             reason: "you already submitted assignment \(assignmentId) of HIT \(hitId)")
        }
        return .allowed
    }

    private func unavailableReason(_ error: any Error) -> String {
        "MTurk \(target.rawValue) did not confirm the HIT (\(MarketplaceFailureLog.kind(of: error))); the page "
            + "connects again by itself"
    }

    // MARK: - Cache

    private func onStoreQueue<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            storeQueue.async { continuation.resume(returning: work()) }
        }
    }

    /// Waits up to `checkTimeout` for the HIT's snapshot: a cached one, the one being fetched, or a new fetch. The
    /// fetch goes on when the wait gives up, so its result is cached for the next join.
    private func waitForSnapshot(hitId: String) async -> Result<HITSnapshot, any Error> {
        let fetch: Task<HITSnapshot, any Error>
        let retries: RetryTrace
        switch cachedOrFetch(hitId: hitId) {
        case .cached(let snapshot):
            return .success(snapshot)
        case .stopped:
            return .failure(CancellationError())
        case .fetching(let task, let trace):
            fetch = task
            retries = trace
        }

        let timeout = checkTimeout
        let first = FirstResult<Result<HITSnapshot, any Error>>()
        let result = await withCheckedContinuation { continuation in
            first.start(continuation)
            Task { first.resume(with: await fetch.result) }
            Task {
                try? await Task.sleep(for: .seconds(timeout))
                first.resume(with: .failure(MarketplaceCheckTimeout(seconds: timeout, retrying: retries.latest)))
            }
        }
        if case .failure(let error) = result, error is MarketplaceCheckTimeout {
            failureLog.record(kind: MarketplaceFailureLog.kind(of: error), error: String(describing: error),
                              ["hit": hitId])
        }
        return result
    }

    private enum Lookup {
        case cached(HITSnapshot)
        case fetching(Task<HITSnapshot, any Error>, retries: RetryTrace)
        case stopped
    }

    private func cachedOrFetch(hitId: String) -> Lookup {
        let now = clock()
        return state.withLock { state in
            if state.isStopped { return .stopped }
            if let entry = state.snapshots[hitId], now.timeIntervalSince(entry.fetchedAt) < cacheLifetime {
                return .cached(entry.snapshot)
            }
            if let running = state.fetches[hitId] {
                return .fetching(running.task, retries: running.retries)
            }
            let retries = RetryTrace()
            let task = Task {
                try await MarketplaceRetryObserver.$onRetry.withValue({ retries.record($0) }) {
                    try await self.fetch(hitId: hitId)
                }
            }
            state.fetches[hitId] = (task, retries)
            return .fetching(task, retries: retries)
        }
    }

    /// Calls GetHIT and ListAssignmentsForHIT (every page), caches the result and forgets the fetch.
    private func fetch(hitId: String) async throws -> HITSnapshot {
        let result: Result<HITSnapshot, any Error>
        do {
            result = .success(try await Self.snapshot(hitId: hitId, marketplace: marketplace))
        } catch {
            result = .failure(error)
        }
        let now = clock()
        state.withLock { state in
            state.fetches[hitId] = nil
            if case .success(let snapshot) = result, !state.isStopped {
                state.snapshots[hitId] = (snapshot, now)
                if case .found(_, let assignments) = snapshot {
                    for assignment in assignments {
                        if let id = assignment.assignmentId, let worker = assignment.workerId {
                            state.submitters[id] = worker
                        }
                    }
                }
            }
        }
        switch result {
        case .success(let snapshot):
            failureLog.recordSuccess()
            return snapshot
        case .failure(let error):
            if !(error is CancellationError) {
                failureLog.record(kind: MarketplaceFailureLog.kind(of: error), error: String(describing: error),
                                  ["hit": hitId])
            }
            throw error
        }
    }

    static func snapshot(hitId: String, marketplace: any Marketplace) async throws -> HITSnapshot {
        let hit: HIT?
        do {
            hit = try await marketplace.getHIT(GetHITRequest(hitId: hitId)).hit
        } catch let error as MTurkError where error.isNotFound {
            return .notFound(message: error.message)
        }
        guard let hit else {
            return .notFound(message: "GetHIT returned no HIT for \(hitId)")
        }
        let assignments = try await marketplace.allAssignments(hitId: hitId)
        return .found(hit, assignments: assignments)
    }
}

/// A continuation that the first of several racing tasks resumes; later results are dropped.
private final class FirstResult<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func start(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(with value: Value) {
        let waiting = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        waiting?.resume(returning: value)
    }
}

/// The join check gave up waiting for MTurk, perhaps while the client was retrying a failed call.
struct MarketplaceCheckTimeout: Error, CustomStringConvertible {
    var seconds: TimeInterval
    /// The error of the latest attempt that the client retried, nil when no attempt had failed.
    var retrying: MTurkError?

    var description: String {
        guard let retrying else { return "MTurk sent no response within \(Int(seconds)) s" }
        return "MTurk sent no response within \(Int(seconds)) s; the client is still retrying after "
            + "\(retrying.code): \(retrying.message)"
    }
}

/// The error of the latest retried attempt of one fetch's MTurk calls.
final class RetryTrace: Sendable {
    private let error = Mutex<MTurkError?>(nil)

    func record(_ failure: MTurkError) {
        error.withLock { $0 = failure }
    }

    var latest: MTurkError? { error.withLock { $0 } }
}

/// Failures of MTurk calls, logged once per kind of failure while they last, not once per call.
///
/// The first failure of a kind logs a warning with the error. Later failures of that kind are only counted,
/// until a call succeeds: then one line reports that calls succeed again, with the count of each kind.
final class MarketplaceFailureLog: Sendable {
    private let logger: ChatLogger
    /// The purpose of the calls, such as `join check`, which starts each line.
    private let activity: String
    private let counts = Mutex<[String: Int]>([:])

    init(logger: ChatLogger, activity: String) {
        self.logger = logger
        self.activity = activity
    }

    /// Counts one failure of `kind`, and logs it when it is the first of its kind since the last success.
    func record(kind: String, error: String, _ metadata: [String: String] = [:]) {
        let isFirst = counts.withLock { counts in
            counts[kind, default: 0] += 1
            return counts[kind] == 1
        }
        guard isFirst else { return }
        var fields = metadata
        fields["kind"] = kind
        fields["error"] = error
        logger.warning("\(activity) failed; further failures of this kind are counted, not logged", fields)
    }

    /// Ends the current run of failures, logging how many there were of each kind.
    func recordSuccess() {
        let ended = counts.withLock { counts in
            let ended = counts
            counts.removeAll()
            return ended
        }
        guard !ended.isEmpty else { return }
        let summary = ended.keys.sorted().map { "\($0)=\(ended[$0]!)" }.joined(separator: ",")
        logger.notice("\(activity) calls succeed again", ["failures": summary])
    }

    /// Returns the number of failures of `kind` since the last success.
    func count(of kind: String) -> Int {
        counts.withLock { $0[kind] ?? 0 }
    }

    /// Returns a short name for the kind of a failed MTurk call, used as the log key and in close reasons.
    static func kind(of error: any Error) -> String {
        if let timeout = error as? MarketplaceCheckTimeout {
            // A check that waited out retries of a failed call failed the way that call did.
            return timeout.retrying.map { kind(of: $0) } ?? "timed out"
        }
        if error is CancellationError { return "server stopping" }
        guard let error = error as? MTurkError else { return "other error" }
        switch error.code {
        case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
            return "throttled"
        case "ConnectionError", "RequestTimeout", "TLSError":
            return "unreachable"
        case "ServiceFault", "ServiceUnavailable", "InternalFailure":
            return "service fault"
        default:
            if error.httpStatus == 429 { return "throttled" }
            if let status = error.httpStatus, status >= 500 { return "service fault" }
            return "request rejected"
        }
    }
}
