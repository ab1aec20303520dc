import Foundation

/// `TURKCHAT_LOCAL_THROTTLE`: the test switch that makes the local marketplace's wire endpoint answer a share of
/// requests with `ThrottlingException`, so that client retries can be tried out offline.
///
/// It lives here rather than in TurkLocal so that the command-line layer can check it before a tool starts.
public enum LocalThrottle {
    public static let environmentVariable = "TURKCHAT_LOCAL_THROTTLE"

    /// Reads the share of requests to throttle from `environment`: a number from 0 to 1, or 0 when the variable
    /// is unset, empty or blank.
    /// - Throws: `InvalidLocalThrottle` for any other value, such as `1.5`, `-0.1`, `nan` or `30%`.
    public static func fraction(environment: [String: String]) throws(InvalidLocalThrottle) -> Double {
        guard let raw = environment[environmentVariable] else { return 0 }
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Double(text), value.isFinite, (0...1).contains(value) else {
            throw InvalidLocalThrottle(value: raw)
        }
        return value
    }
}

/// A value of `TURKCHAT_LOCAL_THROTTLE` that is not a fraction from 0 to 1.
public struct InvalidLocalThrottle: Error, Sendable, Equatable, CustomStringConvertible {
    /// The variable's value as it was set.
    public var value: String

    public init(value: String) {
        self.value = value
    }

    /// The message for the person running the tool: the variable, the value and the accepted range.
    public var message: String {
        "invalid value '\(value)' for environment variable \(LocalThrottle.environmentVariable): expected a "
            + "fraction from 0 to 1, such as 0.3 for 30 % of requests"
    }

    /// What to do next.
    public var hint: String {
        "unset \(LocalThrottle.environmentVariable) or set it to 0 to turn throttling off"
    }

    public var description: String { message }
}
