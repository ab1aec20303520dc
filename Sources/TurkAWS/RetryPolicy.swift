import Foundation

/// The MTurk client's retry schedule: capped exponential backoff with "equal jitter" that honours `Retry-After`.
///
/// The wait before retry `n` (the first retry is 1) is `d/2 + random(0, d/2)` with
/// `d = min(maxDelay, baseDelay * 2^(n-1))`. With the defaults (0.25 s, 20 s) the waits are 0.13–0.25, 0.25–0.5,
/// 0.5–1, 1–2, 2–4, 4–8 and 8–16 s, then 10–20 s. The nine waits between ten attempts add up to 36–72 s.
/// A `Retry-After` longer than that wait replaces it, up to `maxRetryAfter`.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, including the first; 1 disables retries.
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// The longest `Retry-After` that is honoured; a longer one is cut to this.
    public var maxRetryAfter: TimeInterval

    public init(
        maxAttempts: Int = 10, baseDelay: TimeInterval = 0.25, maxDelay: TimeInterval = 20,
        maxRetryAfter: TimeInterval = 60
    ) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        precondition(baseDelay >= 0 && maxDelay >= baseDelay, "delays must satisfy 0 <= baseDelay <= maxDelay")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Returns the wait in seconds before retry number `retry` (1 for the first retry).
    public func delay<Generator: RandomNumberGenerator>(
        beforeRetry retry: Int, retryAfter: TimeInterval?, using generator: inout Generator
    ) -> TimeInterval {
        // Cap the exponent before computing, so a large retry number cannot overflow.
        let exponential = min(maxDelay, baseDelay * pow(2, Double(min(max(retry - 1, 0), 30))))
        let half = exponential / 2
        var wait = half + (half > 0 ? Double.random(in: 0...half, using: &generator) : 0)
        if let retryAfter, retryAfter > wait {
            wait = min(retryAfter, maxRetryAfter)
        }
        return wait
    }

    /// Parses a `Retry-After` header: delay seconds ("2", also "1.5") or an HTTP date. Returns nil when it is
    /// neither, and 0 for a date in the past.
    public static func parseRetryAfter(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 {
            return seconds
        }
        let formatter = DateFormatter()
        formatter.locale = Foundation.Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}

/// A client-side token bucket: at most `rate` requests a second on average, with bursts of up to `capacity`.
///
/// A caller reserves a token at once and then sleeps until the token is due, so concurrent callers are served in
/// the order they asked.
public actor TokenBucket {
    public nonisolated let rate: Double
    public nonisolated let capacity: Double
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    /// - Parameters:
    ///   - rate: requests per second; `.infinity` turns limiting off.
    ///   - capacity: the largest burst, at least 1.
    public init(rate: Double, capacity: Double) {
        precondition(rate > 0, "the request rate must be positive")
        self.rate = rate
        self.capacity = max(1, capacity)
        self.tokens = max(1, capacity)
        self.updated = ContinuousClock.now
    }

    /// Waits until the caller may send one request.
    public func acquire() async throws {
        let wait = reserve(at: ContinuousClock.now)
        if wait > .zero {
            try await Task.sleep(for: wait)
        }
    }

    /// Takes one token at `now` and returns how long the caller must wait before using it (zero when a token was
    /// free). Tokens taken ahead of time make the balance negative, so later callers wait longer.
    func reserve(at now: ContinuousClock.Instant) -> Duration {
        guard rate.isFinite else { return .zero }
        let elapsed = max(.zero, updated.duration(to: now))
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        tokens = min(capacity, tokens + seconds * rate)
        updated = max(updated, now)
        tokens -= 1
        return tokens < 0 ? .seconds(-tokens / rate) : .zero
    }
}
