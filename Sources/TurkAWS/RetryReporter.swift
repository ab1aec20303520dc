import Foundation
import Synchronization

/// Reports an MTurk client's retries through its log hook without flooding it.
///
/// The first retry gets a line of its own. Later retries are counted, and at most one line per `interval` reports
/// how many there were since the previous line, how long they waited in all, and the latest one. `flush` reports
/// retries still counted when the client goes away. Lines name the operation, the attempt and the error code and
/// message, never a request body or a credential.
final class RetryReporter: Sendable {
    private struct State {
        /// When the last line went out, nil before the first retry.
        var lastLine: ContinuousClock.Instant?
        /// Retries since the last line.
        var unreported = 0
        /// Seconds those retries waited in all.
        var unreportedWait: TimeInterval = 0
        /// The description of the latest of them.
        var latest = ""
    }

    let interval: Duration
    private let log: @Sendable (String) -> Void
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    /// - Parameters:
    ///   - interval: the least time between two lines after the first.
    ///   - log: receives each line, without a trailing newline.
    ///   - now: the clock; tests pass one they move by hand.
    init(
        interval: Duration, log: @escaping @Sendable (String) -> Void,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.interval = interval
        self.log = log
        self.now = now
    }

    /// Records a retry that is about to wait `wait` seconds, and logs a line when one is due.
    func retrying(operation: String, attempt: Int, maxAttempts: Int, wait: TimeInterval, failure: String) {
        let detail = String(
            format: "%@ in %.2f s (attempt %d of %d) after %@", operation, wait, attempt, maxAttempts, failure)
        let time = now()
        let line: String? = state.withLock { state in
            guard let last = state.lastLine else {
                state.lastLine = time
                return "retrying \(detail); further retries are counted and reported at most every "
                    + "\(Self.seconds(interval)) s"
            }
            state.unreported += 1
            state.unreportedWait += wait
            state.latest = detail
            guard last.duration(to: time) >= interval else { return nil }
            // After a quiet spell, a lone retry reads better in full than as "1 more retry".
            let text = state.unreported == 1 ? "retrying \(detail)" : Self.summary(state, since: last, now: time)
            state = State(lastLine: time)
            return text
        }
        if let line { log(line) }
    }

    /// Logs the retries counted since the last line, if any.
    func flush() {
        let time = now()
        let line: String? = state.withLock { state in
            guard state.unreported > 0, let last = state.lastLine else { return nil }
            let text = Self.summary(state, since: last, now: time)
            state = State(lastLine: time)
            return text
        }
        if let line { log(line) }
    }

    private static func summary(_ state: State, since last: ContinuousClock.Instant, now: ContinuousClock.Instant)
        -> String
    {
        let count = state.unreported == 1 ? "1 more retry" : "\(state.unreported) more retries"
        return "\(count) in the last \(seconds(last.duration(to: now))) s, "
            + String(format: "%.1f s spent waiting; latest: retrying ", state.unreportedWait) + state.latest
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        return String(format: value == value.rounded() ? "%.0f" : "%.1f", value)
    }
}
