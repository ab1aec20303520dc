import Foundation
import TurkModel

/// One line of a cost summary, such as the rewards or MTurk's fee.
public struct CostLine: Sendable, Equatable {
    public var label: String
    public var amount: USD

    public init(_ label: String, _ amount: USD) {
        self.label = label
        self.amount = amount
    }
}

/// The terminal that a confirmation prompt talks to.
public protocol ConfirmationConsole: Sendable {
    /// Whether stdin is a terminal, so a person can type a reply.
    var isInteractive: Bool { get }
    /// Writes text to stderr, keeping stdout for data.
    func write(_ text: String)
    /// Reads one line from stdin, or nil at end of input.
    func readLine() -> String?
}

/// The process's own stdin and stderr.
public struct StandardConsole: ConfirmationConsole {
    public init() {}

    public var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    public func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    public func readLine() -> String? {
        Swift.readLine(strippingNewline: true)
    }
}

/// The reasons that spending stops before any money moves.
public enum SpendingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The total is more than the account's available balance.
    case insufficientBalance(total: USD, balance: USD, target: Target)
    /// Live spending needs `--yes` when stdin is not a terminal.
    case confirmationRequired(total: USD)
    /// The person at the terminal did not confirm.
    case declined

    public var description: String {
        switch self {
        case .insufficientBalance(let total, let balance, let target):
            return "the cost \(total) is more than the available balance \(balance) on the \(target.rawValue) "
                + "target; add funds to the requester account or lower the number of HITs or bonuses"
        case .confirmationRequired(let total):
            return "stdin is not a terminal, so spending \(total) on live MTurk cannot be confirmed by typing; "
                + "pass --yes to confirm it"
        case .declined:
            return "spending was not confirmed; nothing was spent"
        }
    }
}

/// The summary and confirmation that come before any call that spends money.
///
/// Every target gets the summary and the balance check. Only the live target prompts: a total below
/// `typedAmountThreshold` is confirmed with `y`, and a larger one by typing the amount. `--yes` (`assumeYes`) skips the question, and is
/// required on live when stdin is not a terminal.
public enum SpendingConfirmation {
    /// Totals from $100.00 up must be typed out on live.
    public static let defaultTypedAmountThreshold = USD(cents: 10_000)

    /// Prints the summary to the console and returns when spending may go ahead; throws `SpendingError` otherwise.
    ///
    /// - Parameter balance: the account's available balance, or nil when it is unknown (it is then not checked).
    public static func confirm(
        target: Target, lines: [CostLine], balance: USD?, assumeYes: Bool,
        typedAmountThreshold: USD = defaultTypedAmountThreshold, console: any ConfirmationConsole = StandardConsole()
    ) throws(SpendingError) {
        let total = lines.reduce(USD.zero) { $0 + $1.amount }
        console.write(summary(target: target, lines: lines, total: total, balance: balance))

        if let balance, total > balance {
            throw .insufficientBalance(total: total, balance: balance, target: target)
        }
        guard target == .live, total > .zero, !assumeYes else { return }
        guard console.isInteractive else {
            throw .confirmationRequired(total: total)
        }

        if total >= typedAmountThreshold {
            console.write("Type the total, \(total.mturkString), to spend it on live MTurk: ")
            let reply = console.readLine()?.trimmingCharacters(in: .whitespaces) ?? ""
            let typed = reply.hasPrefix("$") ? String(reply.dropFirst()) : reply
            guard USD(mturkString: typed) == total else { throw .declined }
        } else {
            console.write("Spend \(total) on live MTurk? [y/N] ")
            let reply = console.readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            guard reply == "y" || reply == "yes" else { throw .declined }
        }
    }

    /// Renders the cost lines, the total and, when known, the balance before and after, with aligned amounts.
    public static func summary(target: Target, lines: [CostLine], total: USD, balance: USD?) -> String {
        var rows = lines.map { ($0.label, $0.amount.description) }
        rows.append(("Total", total.description))
        if let balance {
            rows.append(("Available balance", balance.description))
            rows.append(("Balance afterwards", (balance - total).description))
        }
        let labelWidth = rows.map(\.0.count).max() ?? 0
        let amountWidth = rows.map(\.1.count).max() ?? 0
        var text = "Cost on the \(target.rawValue) target:\n"
        for (label, amount) in rows {
            let labelPadding = String(repeating: " ", count: labelWidth - label.count)
            let amountPadding = String(repeating: " ", count: amountWidth - amount.count)
            text += "  \(label)\(labelPadding)  \(amountPadding)\(amount)\n"
        }
        return text
    }
}
