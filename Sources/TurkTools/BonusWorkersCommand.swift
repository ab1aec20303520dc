import Foundation
import TurkAWS
import TurkCLI
import TurkModel
import TurkStore

/// `bonus-workers`: pays bonuses from a CSV file. The bonus ledger and per-row request tokens keep a rerun from
/// paying a row twice.
public enum BonusWorkersCommand {
    /// Runs the tool and returns its exit status.
    public static func main(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        console: Console? = nil
    ) async -> Int32 {
        await ToolRunner.run(spec: BonusWorkersSpec.spec, arguments: arguments, environment: environment,
                             console: console) { parsed, console in
            let settings = try BonusSettings(parsed: parsed)
            let input = try settings.readInput(console: console)
            let context = try MarketplaceFactory.context(parsed: parsed, console: console)
            defer { context.runStore.close() }
            try await BonusJob(context: context, settings: settings).run(input: input)
        }
    }
}

/// The options of one bonus-workers call.
public struct BonusSettings: Sendable {
    /// The CSV path, or nil for standard input.
    public var path: String?
    public var columns: [BonusColumn]?
    public var defaultReason: String?
    public var limits: BonusLimits
    public var dryRun: Bool
    /// The run whose assignments name the assignment of a file without an assignment column.
    public var runId: String?
    /// Whether to pay the ledger's waiting and pending bonuses instead of a file.
    public var payWaiting: Bool
    /// The total from which the live marketplace requires the amount to be typed.
    public var confirmThreshold: USD
    /// Whether rows may pay a worker again for an assignment that already has a bonus, and identical rows may each
    /// pay.
    public var allowRepeatBonus: Bool

    public init(parsed: ParsedArguments) throws {
        let argument = parsed.argument("CSV")
        path = argument == "-" ? nil : argument
        dryRun = parsed.flag("dry-run")
        runId = try parsed.nonEmptyValue("run")
        payWaiting = parsed.flag("pay-waiting")
        allowRepeatBonus = parsed.flag("allow-repeat-bonus")
        confirmThreshold = try parsed.usd("confirm-threshold") ?? SpendingConfirmation.defaultTypedAmountThreshold
        if payWaiting && argument != nil {
            throw UsageError("--pay-waiting pays the bonuses recorded in the run store and takes no CSV file")
        }
        if let text = try parsed.nonEmptyValue("columns") {
            var list: [BonusColumn] = []
            for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard let column = BonusColumn.named(trimmed) else {
                    throw UsageError(
                        "invalid column '\(trimmed)' in --columns \(text): use worker_id, assignment_id, amount "
                            + "and reason, such as --columns worker_id,amount")
                }
                guard !list.contains(column) else {
                    throw UsageError("--columns \(text) names the \(column.rawValue) column twice")
                }
                list.append(column)
            }
            columns = list
        }
        defaultReason = parsed.value("reason")
        if let reason = defaultReason, reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw UsageError("--reason needs text; workers see it with the bonus")
        }
        limits = BonusLimits(
            maxPerPayment: try parsed.usd("max-per-payment") ?? BonusLimits.defaultMaxPerPayment,
            maxTotal: try parsed.usd("max-total") ?? BonusLimits.defaultMaxTotal,
            allowOverMax: parsed.flag("allow-over-max"))
    }

    /// The name that messages use for the input: the path, or `stdin`.
    public var sourceName: String { path ?? "stdin" }

    /// Reads the whole CSV file, or standard input.
    func readInput(console: Console) throws -> Data? {
        if payWaiting { return nil }
        guard let path else {
            if console.isInputTerminal { console.note("reading the CSV file from standard input; end it with Ctrl-D") }
            var lines: [String] = []
            while let line = console.readLine() { lines.append(line) }
            return Data(lines.joined(separator: "\n").utf8)
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ToolError("cannot read bonus file \(path): \(FileErrorText.reason(error, path: path))")
        }
    }
}

/// The outcome of one bonus, printed as one line of text, or of JSON with `--json`.
public struct BonusOutcome: Codable, Sendable, Equatable {
    public var line: Int?
    public var workerId: String
    public var assignmentId: String
    public var amount: String
    public var fee: String
    public var reason: String
    public var token: String
    /// `paid`, `already paid`, `waiting`, `failed`, `pending` (not known whether the call took effect) or, in a dry
    /// run, `would pay`, `already paid` or `repeat` (a second bonus for the assignment that needs
    /// `--allow-repeat-bonus`).
    public var outcome: String
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case line, amount, fee, reason, token, outcome, message
        case workerId = "worker_id"
        case assignmentId = "assignment_id"
    }

    /// The line for people: `line 2  A1B2C3  3ABC…  $0.50 + fee $0.10  paid`, and the message in parentheses.
    public var textLine: String {
        var text = line.map { "line \($0)  " } ?? ""
        text += "\(workerId)  \(assignmentId)  $\(amount) + fee $\(fee)  \(outcome)"
        if let message { text += "  (\(message))" }
        return text
    }
}

/// One bonus-workers call.
public struct BonusJob: Sendable {
    public let context: ToolContext
    public let settings: BonusSettings

    public init(context: ToolContext, settings: BonusSettings) {
        self.context = context
        self.settings = settings
    }

    public func run(input: Data?) async throws {
        let planned: [PlannedBonus]
        if let input {
            planned = try await plan(from: input)
        } else {
            planned = try waitingFromLedger()
            if planned.isEmpty {
                context.console.note("no waiting or pending bonus in the run store")
                return
            }
        }

        let toPay = try planned.filter { try context.runStore.bonus(token: $0.token)?.state != .paid }
        let amount = toPay.reduce(USD.zero) { $0 + $1.amount }
        let fees = toPay.reduce(USD.zero) { $0 + $1.fee }
        let summary = "\(toPay.count) of \(Plural.count(planned.count, "bonus", "bonuses")) to pay: \(amount) + "
            + "MTurk fees \(fees) = \(amount + fees)"

        // Bonuses from the ledger (--pay-waiting) were checked when their file was paid.
        let repeats = input == nil ? [] : try await findRepeats(planned)
        let repeatsByToken = Dictionary(repeats.map { ($0.bonus.token, $0) }, uniquingKeysWith: { first, _ in first })

        if settings.dryRun {
            for bonus in planned {
                let repeated = repeatsByToken[bonus.token]
                let result = !toPay.contains(bonus) ? "already paid"
                    : repeated != nil && !settings.allowRepeatBonus ? "repeat" : "would pay"
                try write(outcome(bonus, result, message: repeated?.message))
            }
            context.console.note("dry run: " + summary + "; nothing was paid")
            if !repeats.isEmpty && !settings.allowRepeatBonus {
                reportRepeats(repeats)
                throw ToolError(
                    "\(Plural.count(repeats.count, "row")) would pay a worker a second bonus for the same "
                        + "assignment, so a real run would pay nothing", hint: Self.repeatHint)
            }
            return
        }
        if !repeats.isEmpty {
            guard settings.allowRepeatBonus else {
                reportRepeats(repeats)
                throw ToolError(
                    "\(Plural.count(repeats.count, "row")) would pay a worker a second bonus for the same "
                        + "assignment; nothing was paid", hint: Self.repeatHint)
            }
            for repeated in repeats {
                context.console.warning("\(place(repeated.bonus.line)): paying it because of --allow-repeat-bonus: "
                    + repeated.message)
            }
        }
        guard !toPay.isEmpty else {
            for bonus in planned { try write(outcome(bonus, "already paid", message: nil)) }
            context.console.note("every bonus in the file was paid before")
            return
        }

        try await Spending.confirm(
            context: context,
            lines: [CostLine("Bonuses (\(toPay.count))", amount), CostLine("MTurk fees", fees)],
            typedAmountThreshold: settings.confirmThreshold)

        var failures = 0
        var waiting = 0
        for bonus in planned {
            let result = await pay(bonus)
            if result.outcome == "failed" || result.outcome == "pending" { failures += 1 }
            if result.outcome == "waiting" { waiting += 1 }
            try write(result)
        }
        if waiting > 0 {
            let bonuses = Plural.count(waiting, "bonus", "bonuses")
            context.console.note("\(bonuses) \(Plural.verb(waiting, "waits", "wait")) for "
                + "\(Plural.verb(waiting, "its", "their")) assignment to be submitted; run bonus-workers "
                + "again later (with the same file or --pay-waiting) to pay them")
        }
        if failures > 0 {
            let bonuses = Plural.count(failures, "bonus", "bonuses")
            context.console.error("\(bonuses) \(Plural.verb(failures, "was", "were")) not paid; see the lines above, "
                + "then rerun to retry \(Plural.verb(failures, "it", "them"))")
            throw ExitCode.failure
        }
    }

    // MARK: - Planning

    /// Validates the file, resolves missing ids and checks every assignment, all before any payment.
    func plan(from data: Data) async throws -> [PlannedBonus] {
        let file = BonusFile.parse(
            data: data, columns: settings.columns, defaultReason: settings.defaultReason, limits: settings.limits)
        for warning in file.warnings { context.console.warning("\(settings.sourceName): \(warning)") }
        if !file.problems.isEmpty {
            report(file.problems)
        }

        var rows: [(line: Int, workerId: String, assignmentId: String, amount: USD, reason: String)] = []
        var problems: [BonusFileProblem] = []
        for line in file.lines {
            do {
                let (workerId, assignmentId) = try await resolveIds(line)
                rows.append((line.line, workerId, assignmentId, line.amount, line.reason))
            } catch let problem as BonusFileProblem {
                problems.append(problem)
            }
        }
        if !problems.isEmpty { report(problems) }
        if !file.problems.isEmpty || !problems.isEmpty {
            let count = Set((file.problems + problems).map { $0.line ?? 0 }).count
            let what = Plural.count(count, "bad row or file problem", "bad rows or file problems")
            throw ToolError("\(settings.sourceName) has \(what); nothing was paid",
                            hint: problems.contains { $0.reason.contains("not found") } ? context.unknownIdHint : nil)
        }
        return PlannedBonus.plan(rows)
    }

    private func write(_ outcome: BonusOutcome) throws {
        try context.writeResult(outcome, text: outcome.textLine)
    }

    private func reportRepeats(_ repeats: [RepeatedBonus]) {
        for repeated in repeats {
            context.console.error("\(place(repeated.bonus.line)): \(repeated.message)")
        }
    }

    /// Returns `file:line`, or the file's name alone for a bonus that has no line (one from the ledger).
    private func place(_ line: Int) -> String {
        line > 0 ? "\(settings.sourceName):\(line)" : settings.sourceName
    }

    private func report(_ problems: [BonusFileProblem]) {
        for problem in problems {
            let place = problem.line.map { "\(settings.sourceName):\($0)" } ?? settings.sourceName
            context.console.error("\(place): \(problem.reason)")
        }
    }

    /// Fills in the worker or assignment id a file leaves out, and checks that the assignment exists and belongs
    /// to the worker. An assignment that is accepted but not submitted is accepted here: it is paid as waiting.
    private func resolveIds(_ line: BonusLine) async throws -> (String, String) {
        func problem(_ reason: String) -> BonusFileProblem { BonusFileProblem(line: line.line, reason: reason) }

        var assignmentId = line.assignmentId
        if assignmentId == nil, let workerId = line.workerId {
            assignmentId = try assignmentFromRunStore(workerId: workerId, line: line.line)
        }
        guard let assignmentId else { throw problem("missing assignment id") }

        let assignment: Assignment?
        do {
            assignment = try await context.marketplace.getAssignment(GetAssignmentRequest(assignmentId: assignmentId))
                .assignment
        } catch let error as MTurkError where error.isNotFound || error.isAssignmentNotSubmitted {
            // MTurk does not show work in progress, but the run store records it once serve-chat has seen the worker.
            let known = try context.runStore.assignments(id: assignmentId)
            if let workerId = line.workerId ?? (known.count == 1 ? known.first?.workerId : nil),
               known.contains(where: { $0.workerId == workerId }) {
                return (workerId, assignmentId)
            }
            throw problem("assignment \(assignmentId) not found on the \(context.target.rawValue) marketplace")
        }
        guard let owner = assignment?.workerId else {
            throw problem("the marketplace returned assignment \(assignmentId) without its worker")
        }
        if let workerId = line.workerId, workerId != owner {
            throw problem("assignment \(assignmentId) belongs to worker \(owner), not \(workerId)")
        }
        return (owner, assignmentId)
    }

    private func assignmentFromRunStore(workerId: String, line: Int) throws -> String {
        var candidates = try context.runStore.assignments(workerId: workerId)
        if let runId = settings.runId { candidates = candidates.filter { $0.runId == runId } }
        let ids = Array(Set(candidates.map(\.assignmentId))).sorted()
        guard ids.count == 1, let id = ids.first else {
            let scope = settings.runId.map { "run \($0)" } ?? "the run store"
            let reason = ids.isEmpty
                ? "worker \(workerId) has no assignment in \(scope), so the bonus has no assignment to go with"
                : "worker \(workerId) has \(ids.count) assignments in \(scope) (\(ids.joined(separator: ", "))); "
                    + "add an assignment_id column" + (settings.runId == nil ? " or pass --run" : "")
            throw BonusFileProblem(line: line, reason: reason)
        }
        return id
    }

    /// Returns the ledger's bonuses that wait for their assignment or were interrupted, for `--pay-waiting`.
    private func waitingFromLedger() throws -> [PlannedBonus] {
        let records = try context.runStore.bonuses(state: .waiting) + context.runStore.bonuses(state: .pending)
        return records.map { record in
            PlannedBonus(
                line: record.sourceLine ?? 0, workerId: record.workerId, assignmentId: record.assignmentId,
                amount: record.amount, reason: record.reason, ordinal: 0, token: record.token)
        }
    }

    // MARK: - Paying

    /// Pays one bonus: ledger row first, then SendBonus with the row's token.
    func pay(_ bonus: PlannedBonus) async -> BonusOutcome {
        let record: BonusRecord
        let inserted: Bool
        do {
            (record, inserted) = try context.runStore.reserveBonus(
                token: bonus.token, run: settings.runId, workerId: bonus.workerId, assignmentId: bonus.assignmentId,
                amount: bonus.amount, reason: bonus.reason, sourceFile: settings.path ?? "stdin",
                sourceLine: bonus.line)
        } catch {
            return outcome(bonus, "failed", message: "the run store failed before paying: \(error)")
        }
        if record.state == .paid { return outcome(bonus, "already paid", message: nil) }

        do {
            // A row left pending by a crash may have been paid more than 24 hours ago, when MTurk has forgotten
            // the token, so the payments list decides first.
            if !inserted, record.state == .pending, try await paymentIsListed(bonus) {
                try context.runStore.markBonusPaid(token: bonus.token)
                return outcome(bonus, "paid", message: "found in ListBonusPayments from an interrupted run")
            }
            _ = try await context.marketplace.sendBonus(SendBonusRequest(
                workerId: bonus.workerId, bonusAmount: bonus.amount.mturkString, assignmentId: bonus.assignmentId,
                reason: bonus.reason, uniqueRequestToken: bonus.token))
            try context.runStore.markBonusPaid(token: bonus.token)
            return outcome(bonus, "paid", message: nil)
        } catch let error as MTurkError where error.isDuplicateRequest {
            try? context.runStore.markBonusPaid(token: bonus.token)
            return outcome(bonus, "paid", message: "the token was used by an earlier run, which paid it")
        } catch let error as MTurkError where error.isNotFound || error.isAssignmentNotSubmitted {
            let message = "assignment \(bonus.assignmentId) is not submitted yet, so MTurk cannot pay a bonus on it; "
                + "the bonus is recorded and a later run pays it"
            try? context.runStore.markBonusWaiting(token: bonus.token, message: error.message)
            return outcome(bonus, "waiting", message: message)
        } catch let error as MTurkError where !error.isRetryable {
            try? context.runStore.markBonusFailed(token: bonus.token, error: error.description)
            return outcome(bonus, "failed", message: context.describe(error).message)
        } catch {
            // A retryable error after the client's retries: the call may or may not have taken effect, so the
            // row stays pending and a rerun repeats it with the same token.
            return outcome(bonus, "pending", message: "\(context.describe(error).message); rerun to retry")
        }
    }

    /// Checks whether MTurk lists more payments matching this bonus than the ledger counts as paid.
    private func paymentIsListed(_ bonus: PlannedBonus) async throws -> Bool {
        let listed = try await context.marketplace.allBonusPayments(assignmentId: bonus.assignmentId).filter {
            $0.workerId == bonus.workerId && $0.reason == bonus.reason
                && $0.bonusAmount.flatMap(USD.init(mturkString:)) == bonus.amount
        }
        let paidInLedger = try context.runStore.bonuses(assignmentId: bonus.assignmentId).filter {
            $0.token != bonus.token && $0.state == .paid && $0.workerId == bonus.workerId && $0.reason == bonus.reason
                && $0.amount == bonus.amount
        }
        return listed.count > paidInLedger.count
    }

    private func outcome(_ bonus: PlannedBonus, _ result: String, message: String?) -> BonusOutcome {
        BonusOutcome(
            line: bonus.line > 0 ? bonus.line : nil, workerId: bonus.workerId, assignmentId: bonus.assignmentId,
            amount: bonus.amount.mturkString, fee: bonus.fee.mturkString, reason: bonus.reason, token: bonus.token,
            outcome: result, message: message)
    }
}

extension MTurkError {
    /// Whether MTurk rejected an assignment operation because the work is not submitted yet. For accepted work,
    /// GetAssignment fails with `This operation can be called with a status of: Reviewable,Approved,Rejected`, and
    /// SendBonus with `Assignment ... does not exist`.
    var isAssignmentNotSubmitted: Bool {
        turkErrorCode == "AWS.MechanicalTurk.InvalidAssignmentState"
            || message.contains("can be called with a status of")
    }
}
