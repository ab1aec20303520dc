import Foundation
import Synchronization
import TurkModel

/// A HIT and the assignments on it whose submission serve-chat waits to see.
struct SubmissionWatch: Sendable {
    var hitId: String
    var assignments: [AssignmentKey]
}

/// The outcome of one poll for the watched assignments.
struct SubmissionPollResult: Sendable {
    /// Watched assignments that MTurk lists as submitted, approved or rejected by the session's own worker.
    var submitted: [AssignmentKey] = []
    /// Watched assignments that MTurk lists as submitted by another worker, with that worker's id.
    var submittedByOthers: [(key: AssignmentKey, submitter: String)] = []
    /// Whether a call failed in a way that calls for a longer pause (throttling, MTurk unreachable, a fault).
    var shouldBackOff = false
}

/// Notices submissions on sandbox and live, where the chat page posts to MTurk's externalSubmit and serve-chat
/// never receives the form.
///
/// Each poll calls ListAssignmentsForHIT (every page) for the HITs of the sessions the engine still waits on, one
/// HIT after another, and returns what changed; the caller applies it on the service thread. Calls go through the
/// marketplace client, whose rate limit and retries apply. Polls start `interval` seconds after the previous one
/// ended. After a poll that failed with throttling, an unreachable MTurk or a service fault, the pause doubles, up
/// to `maximumInterval`; a poll without such a failure brings it back to `interval`. Failures are logged once per
/// kind while they last (`MarketplaceFailureLog`).
final class SubmissionPoller: Sendable {
    /// 30 s between polls. MTurk's own page confirms a submission to the worker at once, so the delay only matters
    /// for the run store and the logs. A run of 30 HITs then uses about a third of the client's default rate of 3
    /// requests a second, and the rest is left for join checks.
    static let defaultInterval: TimeInterval = 30
    /// The maximum pause between polls after repeated failures: 10 minutes.
    static let maximumInterval: TimeInterval = 600

    /// The text a page shows when MTurk lists its assignment as submitted by another worker.
    static let submittedByAnotherText =
        "MTurk shows this assignment as submitted by another worker, so it is no longer yours (the HIT was returned "
        + "or its time ran out). You may accept a new HIT."

    let marketplace: any Marketplace
    let interval: TimeInterval
    let failureLog: MarketplaceFailureLog
    /// The join checks, which record each submission that a poll finds.
    private let authority: MarketplaceAuthority?
    private let state = Mutex(PollState())

    private struct PollState {
        var backOffPolls = 0
        var running: Task<SubmissionPollResult, Never>?
        var isStopped = false
    }

    init(marketplace: any Marketplace, authority: MarketplaceAuthority?, logger: ChatLogger,
         interval: TimeInterval = defaultInterval) {
        self.marketplace = marketplace
        self.authority = authority
        self.interval = interval
        self.failureLog = MarketplaceFailureLog(logger: logger, activity: "submission poll")
    }

    /// The pause before the next poll: `interval`, doubled for each poll in a row that backed off, at most
    /// `maximumInterval` (or `interval` when that is longer).
    var nextDelay: TimeInterval {
        let polls = state.withLock { $0.backOffPolls }
        let doubled = interval * pow(2, Double(min(polls, 20)))
        return min(doubled, max(interval, Self.maximumInterval))
    }

    var isStopped: Bool { state.withLock { $0.isStopped } }

    /// Polls MTurk for `watches` on a task of its own and calls `completion` (from that task) with the result.
    /// Does nothing after `stop`.
    func start(_ watches: [SubmissionWatch], completion: @escaping @Sendable (SubmissionPollResult) -> Void) {
        state.withLock { state in
            guard !state.isStopped else { return }
            let task = Task {
                let result = await self.poll(watches)
                self.finished(result)
                completion(result)
                return result
            }
            state.running = task
        }
    }

    /// Cancels the poll in flight; no later poll starts.
    func stop() {
        let running = state.withLock { state in
            state.isStopped = true
            return state.running
        }
        running?.cancel()
    }

    private func finished(_ result: SubmissionPollResult) {
        state.withLock { state in
            state.running = nil
            state.backOffPolls = result.shouldBackOff ? state.backOffPolls + 1 : 0
        }
    }

    /// Asks MTurk about each watched HIT in turn. Stops early when a call backs off, because the next HIT's call
    /// would meet the same throttling or outage.
    func poll(_ watches: [SubmissionWatch]) async -> SubmissionPollResult {
        var result = SubmissionPollResult()
        for watch in watches {
            if Task.isCancelled { break }
            let assignments: [Assignment]
            do {
                assignments = try await marketplace.allAssignments(hitId: watch.hitId)
            } catch is CancellationError {
                break
            } catch let error as MTurkError where error.isNotFound {
                // A HIT deleted on MTurk while a worker still had it; the worker cannot submit it any more.
                failureLog.record(kind: "HIT not found", error: error.message, ["hit": watch.hitId])
                continue
            } catch {
                let kind = MarketplaceFailureLog.kind(of: error)
                failureLog.record(kind: kind, error: String(describing: error), ["hit": watch.hitId])
                if kind != "request rejected" {
                    result.shouldBackOff = true
                    break
                }
                continue
            }
            failureLog.recordSuccess()
            authority?.recordSubmitted(assignments)
            Self.match(watch, against: assignments, into: &result)
        }
        return result
    }

    /// Adds to `result` the watched assignments that `assignments` lists, by who submitted them.
    static func match(_ watch: SubmissionWatch, against assignments: [Assignment],
                      into result: inout SubmissionPollResult) {
        for key in watch.assignments {
            guard let listed = assignments.first(where: { $0.assignmentId == key.assignmentId }),
                  let status = listed.assignmentStatus,
                  [.submitted, .approved, .rejected].contains(status),
                  let submitter = listed.workerId
            else { continue }
            if submitter == key.workerId {
                result.submitted.append(key)
            } else {
                result.submittedByOthers.append((key, submitter))
            }
        }
    }
}
