import Foundation
import TurkAWS
import TurkCLI
import TurkModel

/// The cost summary, balance check and live confirmation that come before create-hits and bonus-workers spend.
enum Spending {
    /// Prints the cost on standard error, checks it against the account's available balance, and on the live
    /// target requests confirmation (the typed amount from `typedAmountThreshold` up).
    /// - Throws: `ToolError` when the balance is too low or the person does not confirm.
    static func confirm(
        context: ToolContext, lines: [CostLine], typedAmountThreshold: USD = SpendingConfirmation.defaultTypedAmountThreshold
    ) async throws {
        let response = try await context.marketplace.getAccountBalance(GetAccountBalanceRequest())
        let balance = response.availableBalance.flatMap(USD.init(mturkString:))
        do {
            try SpendingConfirmation.confirm(
                target: context.target, lines: lines, balance: balance, assumeYes: context.assumeYes,
                typedAmountThreshold: typedAmountThreshold, console: ConsoleConfirmation(console: context.console))
        } catch {
            throw ToolError(error.description)
        }
    }
}

/// Lets `SpendingConfirmation` prompt through a tool's console, so tests can answer the prompt.
struct ConsoleConfirmation: ConfirmationConsole {
    let console: Console

    var isInteractive: Bool { console.isInputTerminal }

    func write(_ text: String) {
        console.writeErrorText(text)
    }

    func readLine() -> String? {
        console.readLine()
    }
}
