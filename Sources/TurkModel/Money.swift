import Foundation

/// An amount of US dollars, held as a whole number of cents so that sums and fees are exact.
public struct USD: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var cents: Int64

    public init(cents: Int64) {
        self.cents = cents
    }

    public static let zero = USD(cents: 0)

    /// Parses MTurk's `CurrencyAmount` form: digits, an optional point, at most two decimals ("0.50", "5").
    /// Returns nil for anything else, including a sign, a `$` or a third decimal.
    public init?(mturkString text: String) {
        guard !text.isEmpty, text.utf8.count <= 20 else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.count <= 2, fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
              let dollars = Int64(whole), dollars < 1_000_000_000
        else { return nil }
        var cents = dollars * 100
        if fraction.count == 1 { cents += Int64(fraction)! * 10 }
        if fraction.count == 2 { cents += Int64(fraction)! }
        self.cents = cents
    }

    /// The amount as MTurk expects it on the wire: always two decimals, no symbol ("0.50").
    public var mturkString: String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// The amount for people: "$0.50".
    public var description: String {
        cents < 0 ? "-$" + USD(cents: -cents).mturkString : "$" + mturkString
    }

    public static func < (lhs: USD, rhs: USD) -> Bool { lhs.cents < rhs.cents }
    public static func + (lhs: USD, rhs: USD) -> USD { USD(cents: lhs.cents + rhs.cents) }
    public static func - (lhs: USD, rhs: USD) -> USD { USD(cents: lhs.cents - rhs.cents) }
    public static func * (lhs: USD, rhs: Int) -> USD { USD(cents: lhs.cents * Int64(rhs)) }
    public static func += (lhs: inout USD, rhs: USD) { lhs.cents += rhs.cents }
}

/// An error for a money amount typed by a person, with the reason in words.
public struct AmountError: Error, Equatable, CustomStringConvertible {
    public var value: String
    public var reason: String
    public var description: String { "invalid amount '\(value)': \(reason)" }
}

extension USD {
    /// Parses an amount a person typed on the command line, such as `--reward 0.50`.
    ///
    /// The rules are MTurk's: a positive number of dollars with at most two decimals. A `$` sign is rejected here
    /// (write `1.00`, not `$1`); `allowDollarSign` relaxes that for spreadsheets, whose cells often carry one.
    public static func parseUserAmount(_ raw: String, allowDollarSign: Bool = false) -> Result<USD, AmountError> {
        var text = raw.trimmingCharacters(in: .whitespaces)
        func failure(_ reason: String) -> Result<USD, AmountError> { .failure(AmountError(value: raw, reason: reason)) }
        if text.isEmpty { return failure("it is empty; write a dollar amount such as 0.50") }
        if text.hasPrefix("$") {
            guard allowDollarSign else { return failure("write the number of dollars without a '$' sign, such as 1.00") }
            text.removeFirst()
            text = text.trimmingCharacters(in: .whitespaces)
        }
        if text.hasPrefix("-") { return failure("it is negative; amounts must be greater than zero") }
        if text.hasPrefix("+") { text.removeFirst() }
        if let point = text.firstIndex(of: "."), text[text.index(after: point)...].count > 2,
           text.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
            return failure("it has more than two decimals; MTurk pays whole cents, such as 0.97")
        }
        guard let amount = USD(mturkString: text) else {
            let whole = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if text.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }), !whole.isEmpty,
               text.filter({ $0 == "." }).count <= 1 {
                // USD(mturkString:) takes at most 999,999,999.99, far above any reward or bonus.
                return failure("it is too large; amounts are at most 999999999.99")
            }
            return failure("it is not a dollar amount; write digits with at most two decimals, such as 0.50")
        }
        if amount.cents == 0 { return failure("it is zero; amounts must be greater than zero") }
        return .success(amount)
    }
}

/// MTurk's commission, as published on its pricing page (read October 2026).
///
/// 20 % of each reward and bonus; a further 20 % of the reward for a HIT with 10 or more assignments;
/// at least $0.01 per assignment and per bonus. Fractions of a cent are rounded half up.
public enum MTurkFees {
    /// Returns the fee for one assignment of a HIT with `maxAssignments` assignments.
    public static func assignmentFee(reward: USD, maxAssignments: Int) -> USD {
        let percent: Int64 = maxAssignments >= 10 ? 40 : 20
        return USD(cents: max(1, roundedPercent(reward.cents, percent)))
    }

    /// Returns the fee for one bonus payment.
    public static func bonusFee(_ bonus: USD) -> USD {
        USD(cents: max(1, roundedPercent(bonus.cents, 20)))
    }

    /// Returns the whole cost of `hits` HITs with `maxAssignments` assignments each: rewards plus fees.
    public static func hitCost(reward: USD, maxAssignments: Int, hits: Int) -> (rewards: USD, fees: USD) {
        let assignments = maxAssignments * hits
        return (reward * assignments, assignmentFee(reward: reward, maxAssignments: maxAssignments) * assignments)
    }

    private static func roundedPercent(_ cents: Int64, _ percent: Int64) -> Int64 {
        (cents * percent + 50) / 100
    }
}
