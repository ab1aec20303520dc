import Foundation
import TurkModel

/// A column of a bonus file.
public enum BonusColumn: String, CaseIterable, Sendable {
    case workerId = "worker_id"
    case assignmentId = "assignment_id"
    case amount
    case reason

    /// Header spellings accepted for each column, compared after lower-casing and removing everything that is not
    /// a letter or a digit (so `Worker ID`, `workerId` and `worker-id` all match `workerid`).
    static let spellings: [String: BonusColumn] = [
        "workerid": .workerId, "worker": .workerId,
        "assignmentid": .assignmentId, "assignment": .assignmentId,
        "amount": .amount, "bonus": .amount, "bonusamount": .amount, "amountusd": .amount, "usd": .amount,
        "reason": .reason, "bonusreason": .reason, "message": .reason,
    ]

    /// Returns the column a header cell names, or nil.
    public static func named(_ header: String) -> BonusColumn? {
        let key = String(header.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
        return spellings[key]
    }

    /// The accepted spellings of this column, for error messages.
    var acceptedNames: String {
        switch self {
        case .workerId: return "worker_id, worker"
        case .assignmentId: return "assignment_id, assignment"
        case .amount: return "amount, bonus, bonus_amount"
        case .reason: return "reason, bonus_reason, message"
        }
    }
}

/// Limits that stop a mistyped file from paying far more than meant. Both can be exceeded only with an explicit flag.
public struct BonusLimits: Sendable, Equatable {
    /// The default maximum for one payment: large enough for generous bonuses, small enough to catch `50` typed for
    /// `0.50`. It is this tool's choice, not an MTurk limit.
    public static let defaultMaxPerPayment = USD(cents: 20_00)
    /// The default maximum for the sum of a file's bonuses, before fees. Also this tool's choice.
    public static let defaultMaxTotal = USD(cents: 200_00)

    public var maxPerPayment: USD
    public var maxTotal: USD
    public var allowOverMax: Bool

    public init(
        maxPerPayment: USD = BonusLimits.defaultMaxPerPayment, maxTotal: USD = BonusLimits.defaultMaxTotal,
        allowOverMax: Bool = false
    ) {
        self.maxPerPayment = maxPerPayment
        self.maxTotal = maxTotal
        self.allowOverMax = allowOverMax
    }
}

/// One valid row of a bonus file. A worker or assignment id is nil when the file has no such column, and the
/// command fills it in from the marketplace or the run store before paying.
public struct BonusLine: Equatable, Sendable {
    public var line: Int
    public var workerId: String?
    public var assignmentId: String?
    public var amount: USD
    public var reason: String
}

/// Something wrong with a bonus file. `line` is nil for a problem with the file as a whole.
public struct BonusFileProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int?
    public var reason: String

    public var description: String {
        if let line { return "line \(line): \(reason)" }
        return reason
    }
}

/// A bonus file after validation: its valid rows, every problem found, and warnings that do not stop payment.
public struct BonusFile: Sendable {
    public var lines: [BonusLine]
    public var problems: [BonusFileProblem]
    public var warnings: [String]

    /// The sum of all amounts, before MTurk's fee.
    public var total: USD { lines.reduce(.zero) { $0 + $1.amount } }

    /// Reads and validates a whole bonus file.
    ///
    /// - Parameters:
    ///   - data: the file's bytes (UTF-8, with or without a byte order mark).
    ///   - columns: the columns of a file without a header, in order; nil when the first non-blank row is a header.
    ///   - defaultReason: the reason for every row of a file without a reason column.
    ///   - limits: the per-payment and per-file maximums.
    public static func parse(
        data: Data, columns: [BonusColumn]? = nil, defaultReason: String? = nil, limits: BonusLimits = BonusLimits()
    ) -> BonusFile {
        var file = BonusFile(lines: [], problems: [], warnings: [])
        let document: CSVDocument
        do {
            document = try CSVReader.parse(data: data)
        } catch {
            file.problems.append(BonusFileProblem(line: error.line, reason: error.reason))
            return file
        }
        file.problems += document.errors.map { BonusFileProblem(line: $0.line, reason: $0.reason) }

        var records = document.records.filter { !$0.isBlank }
        guard !records.isEmpty else {
            if file.problems.isEmpty {
                file.problems.append(BonusFileProblem(line: nil, reason: "the file has no rows"))
            }
            return file
        }

        let layout: [BonusColumn?]
        if let columns {
            if looksLikeHeader(records[0]) {
                file.problems.append(BonusFileProblem(
                    line: records[0].line,
                    reason: "this row looks like a header, but --columns says the file has none; "
                        + "drop --columns to use the header"))
                return file
            }
            layout = columns
        } else {
            let header = records.removeFirst()
            switch headerLayout(header) {
            case .success(let (mapped, ignored)):
                layout = mapped
                if !ignored.isEmpty {
                    file.warnings.append(
                        "line \(header.line): ignoring column(s) \(ignored.map { "'\($0)'" }.joined(separator: ", "))")
                }
            case .failure(let problem):
                file.problems.append(problem)
                return file
            }
        }

        let present = Set(layout.compactMap { $0 })
        if let problem = missingColumnProblem(present: present, defaultReason: defaultReason, hasHeader: columns == nil) {
            file.problems.append(problem)
            return file
        }
        if records.isEmpty {
            if file.problems.isEmpty {
                file.problems.append(BonusFileProblem(line: nil, reason: "the file has a header but no bonus rows"))
            }
            return file
        }

        for record in records {
            let result = validate(record, layout: layout, defaultReason: defaultReason, limits: limits)
            if let line = result.line { file.lines.append(line) }
            file.problems += result.problems
        }
        file.problems.sort { ($0.line ?? 0) < ($1.line ?? 0) }

        let total = file.total
        if file.problems.isEmpty, total > limits.maxTotal, !limits.allowOverMax {
            file.problems.append(BonusFileProblem(
                line: nil,
                reason: "the bonuses add up to \(total), above the per-file maximum \(limits.maxTotal); "
                    + "raise it with --max-total or pass --allow-over-max"))
        }
        return file
    }

    // MARK: - Header

    private static func looksLikeHeader(_ record: CSVRecord) -> Bool {
        let named = record.fields.filter { BonusColumn.named($0) != nil }
        return named.count >= 2 && named.count == record.fields.filter { !$0.isEmpty }.count
    }

    private static func headerLayout(_ header: CSVRecord)
        -> Result<([BonusColumn?], ignored: [String]), BonusFileProblem>
    {
        var layout: [BonusColumn?] = []
        var ignored: [String] = []
        var seen: [BonusColumn: String] = [:]
        for cell in header.fields {
            let name = cell.trimmingCharacters(in: .whitespaces)
            guard let column = BonusColumn.named(name) else {
                layout.append(nil)
                if !name.isEmpty { ignored.append(name) }
                continue
            }
            if let earlier = seen[column] {
                return .failure(BonusFileProblem(
                    line: header.line,
                    reason: "the header names the \(column.rawValue) column twice ('\(earlier)' and '\(name)')"))
            }
            seen[column] = name
            layout.append(column)
        }
        if seen.isEmpty {
            let looksLikeData = header.fields.contains { MTurkID.isWorkerID($0.trimmingCharacters(in: .whitespaces)) }
            let hint = looksLikeData
                ? "; it looks like data, so add a header row or pass --columns worker_id,assignment_id,amount,reason"
                : "; accepted names are worker_id, assignment_id, amount and reason"
            return .failure(BonusFileProblem(
                line: header.line, reason: "the first row is not a header: no column name is known" + hint))
        }
        return .success((layout, ignored))
    }

    private static func missingColumnProblem(
        present: Set<BonusColumn>, defaultReason: String?, hasHeader: Bool
    ) -> BonusFileProblem? {
        var missing: [String] = []
        if !present.contains(.amount) {
            missing.append("amount (\(BonusColumn.amount.acceptedNames))")
        }
        if !present.contains(.reason), (defaultReason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            missing.append("reason (\(BonusColumn.reason.acceptedNames), or pass --reason TEXT)")
        }
        if !present.contains(.workerId), !present.contains(.assignmentId) {
            missing.append("worker_id or assignment_id")
        }
        guard !missing.isEmpty else { return nil }
        let place = hasHeader ? "the header" : "--columns"
        return BonusFileProblem(line: nil, reason: "\(place) has no column for " + missing.joined(separator: "; "))
    }

    // MARK: - Rows

    private static func validate(
        _ record: CSVRecord, layout: [BonusColumn?], defaultReason: String?, limits: BonusLimits
    ) -> (line: BonusLine?, problems: [BonusFileProblem]) {
        var problems: [String] = []
        if record.fields.count > layout.count {
            problems.append(
                "\(Plural.count(record.fields.count, "field")), but there "
                    + "\(Plural.verb(layout.count, "is", "are")) \(Plural.count(layout.count, "column")); "
                    + "a value that contains a comma must be in double quotes")
        }
        var cells: [BonusColumn: String] = [:]
        for (index, column) in layout.enumerated() {
            guard let column else { continue }
            cells[column] = index < record.fields.count ? record.fields[index] : nil
        }

        var workerId: String?
        if layout.contains(.workerId) {
            let value = (cells[.workerId] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if value.isEmpty {
                problems.append("missing worker id")
            } else if !MTurkID.isWorkerID(value) {
                problems.append("malformed worker id '\(value)': a worker id is 'A' followed by upper-case "
                    + "letters and digits, such as A1B2C3D4E5F6G7")
            } else {
                workerId = value
            }
        }

        var assignmentId: String?
        if layout.contains(.assignmentId) {
            let value = (cells[.assignmentId] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if value.isEmpty {
                problems.append("missing assignment id")
            } else if !MTurkID.isEntityID(value) {
                problems.append("malformed assignment id '\(value)': an assignment id has only upper-case "
                    + "letters and digits")
            } else {
                assignmentId = value
            }
        }

        var amount: USD?
        let rawAmount = cells[.amount] ?? ""
        switch USD.parseUserAmount(rawAmount, allowDollarSign: true) {
        case .success(let value):
            amount = value
            if value > limits.maxPerPayment, !limits.allowOverMax {
                problems.append("amount \(value) is above the per-payment maximum \(limits.maxPerPayment); "
                    + "raise it with --max-per-payment or pass --allow-over-max")
            }
        case .failure(let error):
            problems.append(rawAmount.trimmingCharacters(in: .whitespaces).isEmpty ? "missing amount" : error.description)
        }

        var reason = defaultReason ?? ""
        if layout.contains(.reason) {
            reason = cells[.reason] ?? ""
        }
        reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.isEmpty {
            problems.append("missing reason: MTurk requires one and shows it to the worker")
        }

        guard problems.isEmpty, let amount else {
            return (nil, problems.map { BonusFileProblem(line: record.line, reason: $0) })
        }
        let line = BonusLine(
            line: record.line, workerId: workerId, assignmentId: assignmentId, amount: amount, reason: reason)
        return (line, [])
    }
}

/// A bonus ready to pay: every id known, with its deterministic `UniqueRequestToken`.
public struct PlannedBonus: Equatable, Sendable {
    public var line: Int
    public var workerId: String
    public var assignmentId: String
    public var amount: USD
    public var reason: String
    /// 1 for the first of several identical rows (same worker, assignment, amount and reason), 2 for the next, ...
    public var ordinal: Int
    public var token: String

    /// Returns the token for one payment. It depends only on the row's values and its ordinal among identical rows,
    /// so a rerun of the same file (or of a file with rows added or reordered) sends the same token for the same
    /// payment.
    public static func token(workerId: String, assignmentId: String, amount: USD, reason: String, ordinal: Int)
        -> String
    {
        RequestToken.derive(prefix: "bonus", [workerId, assignmentId, amount.mturkString, reason, String(ordinal)])
    }

    /// Numbers identical rows and derives each row's token.
    public static func plan(_ rows: [(line: Int, workerId: String, assignmentId: String, amount: USD, reason: String)])
        -> [PlannedBonus]
    {
        var counts: [[String]: Int] = [:]
        return rows.map { row in
            let key = [row.workerId, row.assignmentId, row.amount.mturkString, row.reason]
            let ordinal = (counts[key] ?? 0) + 1
            counts[key] = ordinal
            return PlannedBonus(
                line: row.line, workerId: row.workerId, assignmentId: row.assignmentId, amount: row.amount,
                reason: row.reason, ordinal: ordinal,
                token: token(
                    workerId: row.workerId, assignmentId: row.assignmentId, amount: row.amount, reason: row.reason,
                    ordinal: ordinal))
        }
    }

    /// MTurk's fee for this payment.
    public var fee: USD { MTurkFees.bonusFee(amount) }
}
