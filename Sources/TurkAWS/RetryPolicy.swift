import Foundation

/// The MTurk client's retry schedule: capped exponential backoff with "equal jitter" that honours `Retry-After`.
///
/// The wait before retry `n` (the first retry is 1) is `d/2 + random(0, d/2)` with
/// `d = min(maxDelay, baseDelay * 2^(n-1))`. With the defaults (0.25 s, 20 s) the waits are 0.13–0.25, 0.25–0.5,
/// 0.5–1, 1–2, 2–4, 4–8 and 8–16 s, then 10–20 s. The nine waits between ten attempts add up to 36–72 s.
/// A `Retry-After` longer than that wait replaces it, up to `maxRetryAfter`.
///
/// The initialiser clamps values out of range (see `init`), so no setting can stop a tool. Code that takes the
/// settings from a user calls `checked` instead, which rejects them with a `ClientSettingError`.
public struct RetryPolicy: Sendable, Equatable {
    /// The longest wait, in seconds, that any delay or `Retry-After` can reach: one hour.
    public static let maximumDelay: TimeInterval = 3_600

    /// Attempts in all, including the first; 1 disables retries.
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// The longest `Retry-After` that is honoured; a longer one is cut to this.
    public var maxRetryAfter: TimeInterval

    /// Creates a policy, clamping values out of range: `maxAttempts` to at least 1, each delay (in seconds) to
    /// 0 through `maximumDelay` with NaN read as 0, and `maxDelay` to at least `baseDelay`.
    public init(
        maxAttempts: Int = 10, baseDelay: TimeInterval = 0.25, maxDelay: TimeInterval = 20,
        maxRetryAfter: TimeInterval = 60
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = Self.clampedDelay(baseDelay)
        self.maxDelay = max(Self.clampedDelay(maxDelay), self.baseDelay)
        self.maxRetryAfter = Self.clampedDelay(maxRetryAfter)
    }

    /// Creates a policy from settings a user gave, rejecting any value that `init` would have to clamp.
    /// - Throws: `ClientSettingError` naming the first invalid setting, its value and the accepted range.
    public static func checked(
        maxAttempts: Int = 10, baseDelay: TimeInterval = 0.25, maxDelay: TimeInterval = 20,
        maxRetryAfter: TimeInterval = 60
    ) throws(ClientSettingError) -> RetryPolicy {
        guard maxAttempts >= 1 else {
            throw ClientSettingError(setting: "maxAttempts", value: String(maxAttempts), accepted: "a whole number of at least 1")
        }
        let delayRange = "a number of seconds from 0 to \(Int(maximumDelay))"
        for (name, value) in [("baseDelay", baseDelay), ("maxDelay", maxDelay), ("maxRetryAfter", maxRetryAfter)] {
            guard value.isFinite, (0...maximumDelay).contains(value) else {
                throw ClientSettingError(setting: name, value: String(value), accepted: delayRange)
            }
        }
        guard maxDelay >= baseDelay else {
            throw ClientSettingError(
                setting: "maxDelay", value: String(maxDelay),
                accepted: "a number of seconds no smaller than baseDelay (\(baseDelay))")
        }
        return RetryPolicy(
            maxAttempts: maxAttempts, baseDelay: baseDelay, maxDelay: maxDelay, maxRetryAfter: maxRetryAfter)
    }

    private static func clampedDelay(_ seconds: TimeInterval) -> TimeInterval {
        seconds.isNaN ? 0 : min(max(seconds, 0), maximumDelay)
    }

    /// Returns the wait in seconds before retry number `retry` (1 for the first retry).
    public func delay<Generator: RandomNumberGenerator>(
        beforeRetry retry: Int, retryAfter: TimeInterval?, using generator: inout Generator
    ) -> TimeInterval {
        // The properties are public and may have been set out of range after `init`, so clamp them again here:
        // a random number in an infinite range, or a sleep of NaN seconds, would stop the program.
        let base = Self.clampedDelay(baseDelay)
        let cap = max(Self.clampedDelay(maxDelay), base)
        // Cap the exponent before computing, so a large retry number cannot overflow.
        let exponential = min(cap, base * pow(2, Double(min(max(retry - 1, 0), 30))))
        let half = exponential / 2
        var wait = half + (half > 0 ? Double.random(in: 0...half, using: &generator) : 0)
        if let retryAfter, retryAfter > wait {
            wait = min(retryAfter, Self.clampedDelay(maxRetryAfter))
        }
        return Self.clampedDelay(wait)
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
    /// The lowest rate a bucket accepts: one request an hour. A lower one would make waits too long to sleep.
    public static let minimumRate = 1.0 / 3_600
    /// The largest burst a bucket accepts.
    public static let maximumCapacity = 1_000_000.0

    public nonisolated let rate: Double
    public nonisolated let capacity: Double
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    /// Creates a bucket, clamping values out of range so that no setting can stop a tool: a rate that is NaN, zero
    /// or negative turns limiting off (as `.infinity` does), a positive rate below `minimumRate` is raised to it,
    /// and the capacity is clamped to 1 through `maximumCapacity` (NaN reads as 1). Code that takes the values
    /// from a user calls `check(rate:capacity:)` first.
    /// - Parameters:
    ///   - rate: requests per second; `.infinity` turns limiting off.
    ///   - capacity: the largest burst.
    public init(rate: Double, capacity: Double) {
        let rate = rate.isNaN || rate <= 0 ? Double.infinity : max(rate, Self.minimumRate)
        let capacity = capacity.isNaN ? 1 : min(max(capacity, 1), Self.maximumCapacity)
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = ContinuousClock.now
    }

    /// Checks a rate and a burst capacity that a user gave, rejecting any value that `init` would clamp.
    /// - Throws: `ClientSettingError` naming the setting, its value and the accepted range.
    public static func check(rate: Double, capacity: Double) throws(ClientSettingError) {
        guard rate == .infinity || (rate.isFinite && rate >= minimumRate) else {
            throw ClientSettingError(
                setting: "requestsPerSecond", value: String(rate),
                accepted: "a number of requests per second of at least 1/3600 (one an hour), or infinity for no limit")
        }
        guard capacity.isFinite, (1...maximumCapacity).contains(capacity) else {
            throw ClientSettingError(
                setting: "burst", value: String(capacity),
                accepted: "a number of requests from 1 to \(Int(maximumCapacity))")
        }
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

/// An MTurk client setting outside the range it accepts, such as a negative delay or a rate of zero.
public struct ClientSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name of the setting, as the type that holds it spells it.
    public var setting: String
    /// The rejected value, as text.
    public var value: String
    /// The values that are accepted, in words.
    public var accepted: String

    public init(setting: String, value: String, accepted: String) {
        self.setting = setting
        self.value = value
        self.accepted = accepted
    }

    public var description: String {
        "invalid value \(value) for \(setting): expected \(accepted)"
    }
}
