import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// A bonus that a worker already received, or may have received, for an assignment.
struct EarlierBonus: Equatable, Sendable {
    var amount: USD
    var reason: String
    /// The place it was found, such as `bonus ledger: paid 2026-05-01T10:00:00Z, from old.csv line 2`.
    var source: String

    var summary: String { "\(amount) with reason '\(reason)' (\(source))" }
}

/// A row that would pay a worker a second bonus for the same assignment.
///
/// The request token derives from the row's content, so a row whose amount or reason was edited after it was paid
/// gets a new token, and MTurk would pay it again without complaint. MTurk cannot take a bonus back.
struct RepeatedBonus: Equatable, Sendable {
    var bonus: PlannedBonus
    /// Payments found in the bonus ledger or by ListBonusPayments, excluding those of this file's own rows.
    var earlier: [EarlierBonus]
    /// The line of an identical row earlier in the same file, when this row duplicates it.
    var duplicateOfLine: Int?

    /// One sentence naming the earlier payments and what this row would pay.
    var message: String {
        let row = "\(bonus.amount) with reason '\(bonus.reason)'"
        var parts: [String] = []
        if let first = duplicateOfLine {
            parts.append("it repeats line \(first) exactly, so worker \(bonus.workerId) would be paid \(row) twice "
                + "for assignment \(bonus.assignmentId)")
        }
        if !earlier.isEmpty {
            let list = earlier.map(\.summary).joined(separator: " and ")
            parts.append("worker \(bonus.workerId) already received "
                + "\(Plural.count(earlier.count, "bonus", "bonuses")) for assignment \(bonus.assignmentId): "
                + "\(list), and this row would pay \(row) on top")
        }
        return parts.joined(separator: ", and ")
    }
}

extension BonusJob {
    /// The hint printed with rejected repeats.
    static let repeatHint = "MTurk cannot take a bonus back: if a row corrects an earlier payment, remove it; to pay "
        + "it as well, pass --allow-repeat-bonus"

    /// Finds the rows of `planned` that would pay a worker again for the same assignment: identical rows after the
    /// first, and rows whose worker and assignment already have a bonus with another token in the bonus ledger or in
    /// ListBonusPayments. Rows already paid under their own token are reruns and never repeats.
    ///
    /// Bonuses of other rows of the same file are not earlier payments, so resuming a file after a crash between two
    /// rows for one assignment is not mistaken for a repeat.
    func findRepeats(_ planned: [PlannedBonus]) async throws -> [RepeatedBonus] {
        let fileTokens = Set(planned.map(\.token))
        var firstLine: [[String]: Int] = [:]
        var listedByAssignment: [String: [BonusPayment]] = [:]
        var repeats: [RepeatedBonus] = []

        for bonus in planned {
            let key = [bonus.workerId, bonus.assignmentId, bonus.amount.mturkString, bonus.reason]
            let duplicateOf = firstLine[key]
            if duplicateOf == nil { firstLine[key] = bonus.line }
            if try context.runStore.bonus(token: bonus.token)?.state == .paid { continue }

            let recorded = try context.runStore.bonuses(assignmentId: bonus.assignmentId)
                .filter { $0.workerId == bonus.workerId }
            var earlier = recorded
                .filter { !fileTokens.contains($0.token) && $0.state != .failed }
                .map { EarlierBonus(amount: $0.amount, reason: $0.reason, source: Self.describeLedgerRow($0)) }

            if listedByAssignment[bonus.assignmentId] == nil {
                listedByAssignment[bonus.assignmentId] = try await listedPayments(assignmentId: bonus.assignmentId)
            }
            let listed = (listedByAssignment[bonus.assignmentId] ?? []).filter { $0.workerId == bonus.workerId }
            earlier += Self.unexplainedPayments(listed, ledger: recorded).map { payment in
                let granted = payment.grantTime.map { "granted \(ReviewReport.isoTime($0)), " } ?? ""
                return EarlierBonus(
                    amount: payment.bonusAmount.flatMap(USD.init(mturkString:)) ?? .zero,
                    reason: payment.reason ?? "",
                    source: "ListBonusPayments on the \(context.target.rawValue) marketplace: \(granted)not in the "
                        + "bonus ledger")
            }

            if duplicateOf != nil || !earlier.isEmpty {
                repeats.append(RepeatedBonus(bonus: bonus, earlier: earlier, duplicateOfLine: duplicateOf))
            }
        }
        return repeats
    }

    /// Lists an assignment's bonus payments. An assignment that MTurk does not show yet (accepted, not submitted)
    /// has none.
    private func listedPayments(assignmentId: String) async throws -> [BonusPayment] {
        do {
            return try await context.marketplace.allBonusPayments(assignmentId: assignmentId)
        } catch let error as MTurkError where error.isNotFound || error.isAssignmentNotSubmitted {
            return []
        }
    }

    /// Returns the listed payments that no ledger row of the same worker and assignment accounts for. Each paid or
    /// pending ledger row (a pending row may have been paid before a crash) explains one listed payment with the same
    /// amount and reason.
    static func unexplainedPayments(_ listed: [BonusPayment], ledger: [BonusRecord]) -> [BonusPayment] {
        var unmatched = ledger.filter { $0.state == .paid || $0.state == .pending }
        var result: [BonusPayment] = []
        for payment in listed {
            let amount = payment.bonusAmount.flatMap(USD.init(mturkString:))
            if let index = unmatched.firstIndex(where: { $0.amount == amount && $0.reason == payment.reason }) {
                unmatched.remove(at: index)
            } else {
                result.append(payment)
            }
        }
        return result
    }

    static func describeLedgerRow(_ record: BonusRecord) -> String {
        var details: [String] = []
        switch record.state {
        case .paid: details.append("paid" + (record.paidAt.map { " \(ReviewReport.isoTime($0))" } ?? ""))
        case .pending: details.append("pending since \(ReviewReport.isoTime(record.createdAt)), possibly paid")
        case .waiting: details.append("waiting for submission since \(ReviewReport.isoTime(record.createdAt))")
        case .failed: details.append("failed")
        }
        if let file = record.sourceFile {
            details.append("from \(file)" + (record.sourceLine.map { " line \($0)" } ?? ""))
        }
        return "bonus ledger: " + details.joined(separator: ", ")
    }
}
