import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// `review`: lists, approves and rejects assignments, and exports what they collected.
public enum ReviewCommand {
    /// Runs the tool and returns its exit status.
    public static func main(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        console: Console? = nil
    ) async -> Int32 {
        await ToolRunner.run(spec: ReviewSpec.spec, arguments: arguments, environment: environment,
                             console: console) { parsed, console in
            let settings = try ReviewSettings(parsed: parsed, console: console)
            let context = try MarketplaceFactory.context(parsed: parsed, console: console)
            defer { context.runStore.close() }
            try await ReviewJob(context: context, settings: settings).run()
        }
    }
}

/// The options of one review call, with ids and decisions read and checked before any marketplace call.
public struct ReviewSettings: Sendable {
    public enum Action: Sendable, Equatable {
        case list
        case approve
        case reject(reason: String)
        case approveAll
        case decisions([DecisionLine])
        case interactive
    }

    public var action: Action
    public var ids: [String]
    public var filter: ReviewFilter
    public var feedback: String?
    public var overrideRejection: Bool
    public var exportPath: String?
    public var reportPath: String?
    /// Whether the listing goes to standard output: with --list, or when no file is written instead.
    public var printsList: Bool

    public init(parsed: ParsedArguments, console: Console) throws {
        try parsed.checkExclusive("list", "approve", "reject", "approve-all", "decisions", "interactive")
        filter = ReviewFilter(
            runId: try parsed.nonEmptyValue("run"), task: try parsed.nonEmptyValue("task"),
            workerId: try parsed.nonEmptyValue("worker"),
            status: parsed.value("status").map(AssignmentStatus.init(rawValue:)))
        feedback = parsed.value("feedback").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        overrideRejection = parsed.flag("override-rejection")
        exportPath = try parsed.nonEmptyValue("export")
        reportPath = try parsed.nonEmptyValue("report")
        printsList = parsed.flag("list") || (exportPath == nil && reportPath == nil)

        var ids: [String] = []
        for id in parsed.arguments("ASSIGNMENT_ID") {
            let trimmed = id.trimmingCharacters(in: .whitespaces)
            guard MTurkID.isEntityID(trimmed) else {
                throw UsageError("invalid assignment id '\(id)': expected upper-case letters and digits")
            }
            if !ids.contains(trimmed) { ids.append(trimmed) }
        }

        let reason = parsed.value("reason")?.trimmingCharacters(in: .whitespacesAndNewlines)
        if parsed.flag("reject") {
            guard let reason, !reason.isEmpty else {
                throw UsageError("--reject needs --reason TEXT: MTurk shows the reason to the worker")
            }
            action = .reject(reason: reason)
        } else if parsed.isPresent("reason") {
            throw UsageError("--reason is the reason for --reject; for approved work use --feedback")
        } else if parsed.flag("approve") || (overrideRejection && !parsed.flag("approve-all")
                                               && !parsed.isPresent("decisions") && !parsed.flag("interactive")) {
            action = .approve
        } else if parsed.flag("approve-all") {
            guard filter.isNarrowed || !ids.isEmpty else {
                throw UsageError("--approve-all needs --run, --task or --worker, so it cannot approve every run by "
                    + "accident")
            }
            action = .approveAll
        } else if let source = try parsed.nonEmptyValue("decisions") {
            let text: String
            if source == "-" {
                text = Self.readAll(console)
            } else {
                do {
                    text = try String(contentsOfFile: source, encoding: .utf8)
                } catch {
                    throw ToolError(
                        "cannot read decisions file \(source): \(FileErrorText.reason(error, path: source))")
                }
            }
            let parsedDecisions = ReviewInput.decisions(from: text, source: source == "-" ? "stdin" : source)
            if !parsedDecisions.problems.isEmpty {
                for problem in parsedDecisions.problems { console.error(problem.description) }
                throw ToolError(
                    "\(Plural.count(parsedDecisions.problems.count, "invalid decision")); nothing was applied")
            }
            action = .decisions(parsedDecisions.decisions)
        } else if parsed.flag("interactive") {
            guard console.isInputTerminal else {
                throw UsageError("--interactive needs a terminal on standard input",
                                 hint: "use --decisions FILE for decisions from a script")
            }
            action = .interactive
        } else {
            action = .list
        }

        // --approve and --reject read ids from standard input when none is on the command line.
        let readsIds: Bool
        switch action {
        case .approve, .reject: readsIds = ids.isEmpty
        default: readsIds = false
        }
        if readsIds {
            if console.isInputTerminal {
                console.note("reading assignment ids from standard input, one per line; end with Ctrl-D")
            }
            let result = ReviewInput.assignmentIds(from: Self.readAll(console), source: "stdin")
            if !result.problems.isEmpty {
                for problem in result.problems { console.error(problem.description) }
                throw ToolError("\(Plural.count(result.problems.count, "invalid assignment id")) on standard input; "
                    + "nothing was done")
            }
            ids = result.ids
            if ids.isEmpty {
                throw UsageError("no assignment id given: pass ids as arguments or one per line on standard input")
            }
        }
        self.ids = ids
    }

    private static func readAll(_ console: Console) -> String {
        var lines: [String] = []
        while let line = console.readLine() { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}

/// The result of one review decision, printed as one line.
public struct ReviewOutcome: Codable, Sendable, Equatable {
    public var assignmentId: String
    public var workerId: String?
    public var decision: String
    /// `approved`, `already approved`, `rejected`, `already rejected`, `skipped`, `not found` or `failed`.
    public var outcome: String
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case decision, outcome, message
        case assignmentId = "assignment_id"
        case workerId = "worker_id"
    }
}

/// One review call.
public struct ReviewJob: Sendable {
    public let context: ToolContext
    public let settings: ReviewSettings

    public init(context: ToolContext, settings: ReviewSettings) {
        self.context = context
        self.settings = settings
    }

    public func run() async throws {
        let collector = ReviewCollector(context: context)
        var failures = 0

        switch settings.action {
        case .list:
            let items = try await selectedItems(collector, failures: &failures)
            if settings.printsList { try list(items) }
            try writeFiles(items)
        case .approve:
            for id in settings.ids {
                let outcome = try await decide(id: id, collector: collector, decision: .approve, feedback: settings.feedback)
                if isFailure(outcome) { failures += 1 }
            }
        case .reject(let reason):
            for id in settings.ids {
                let outcome = try await decide(id: id, collector: collector, decision: .reject, feedback: reason)
                if isFailure(outcome) { failures += 1 }
            }
        case .approveAll:
            var filter = settings.filter
            filter.status = .submitted
            let items = try await selectedItems(collector, filter: filter, failures: &failures)
            if items.isEmpty { context.console.note("no submitted assignment matches the filters") }
            for item in items {
                let outcome = try await apply(.approve, to: item, feedback: settings.feedback)
                if isFailure(outcome) { failures += 1 }
            }
        case .decisions(let decisions):
            for decision in decisions {
                let action: ReviewDecision = switch decision.action {
                case .approve: .approve
                case .reject: .reject
                case .skip: .skip
                }
                let outcome = try await decide(
                    id: decision.assignmentId, collector: collector, decision: action,
                    feedback: decision.feedback ?? (action == .approve ? settings.feedback : nil))
                if isFailure(outcome) { failures += 1 }
            }
        case .interactive:
            var filter = settings.filter
            if filter.status == nil { filter.status = .submitted }
            let items = try await selectedItems(collector, filter: filter, failures: &failures)
            failures += try await InteractiveReview(job: self).run(items)
        }

        if failures > 0 {
            context.console.error("\(Plural.count(failures, "assignment")) could not be reviewed; see the messages above")
            throw ExitCode.failure
        }
    }

    // MARK: - Selection

    private func selectedItems(_ collector: ReviewCollector, filter: ReviewFilter? = nil, failures: inout Int)
        async throws -> [ReviewItem]
    {
        let filter = filter ?? settings.filter
        guard !settings.ids.isEmpty else { return try await collector.items(matching: filter) }
        var items: [ReviewItem] = []
        for id in settings.ids {
            let found: ReviewItem?
            do {
                found = try await collector.item(id: id)
            } catch {
                let (message, hint) = context.describe(error)
                context.console.error(message, hint: hint)
                failures += 1
                continue
            }
            guard let item = found else {
                reportNotFound(id)
                failures += 1
                continue
            }
            if filter.accepts(item) { items.append(item) }
        }
        return items
    }

    private func reportNotFound(_ id: String) {
        context.console.error("assignment \(id) not found on the \(context.target.rawValue) marketplace",
                              hint: context.unknownIdHint)
    }

    // MARK: - Listing and files

    private func list(_ items: [ReviewItem]) throws {
        if context.json {
            for item in items { try context.console.writeJSON(ReviewListing(item)) }
            return
        }
        if items.isEmpty {
            context.console.note("no assignment matches")
            return
        }
        // Ids and statuses come from the marketplace and messages from workers, so all of it is escaped.
        for item in items {
            var line = "\(item.assignmentId)  \(item.status)  worker \(item.workerId)  HIT \(item.hitId)"
            if let runId = item.runId { line += "  run \(runId)" }
            if item.status == "Submitted", let time = item.autoApprovalTime {
                line += "  auto-approves \(ReviewReport.isoTime(time))"
            }
            context.console.write(TerminalText.escape(line))
            for message in item.conversation?.messages ?? [] {
                let text = TerminalText.escape(message.text).replacingOccurrences(of: "\n", with: "\n    ")
                context.console.write("    \(TerminalText.escape(message.agentId)): \(text)")
            }
        }
    }

    private func writeFiles(_ items: [ReviewItem]) throws {
        if let path = settings.exportPath {
            let text = try ConversationExport.jsonLines(for: items)
            try write(text, to: path, what: "export")
            let count = text.split(separator: "\n").count
            context.console.note("wrote \(Plural.count(count, "conversation")) to \(path)")
        }
        if let path = settings.reportPath {
            let title = settings.filter.runId.map { "Run \($0)" } ?? settings.filter.task.map { "Task \($0)" }
                ?? "Review report"
            try write(ReviewReport.html(title: title, items: items, generatedAt: context.clock()), to: path,
                      what: "report")
            context.console.note("wrote the report of \(Plural.count(items.count, "assignment")) to \(path)")
        }
    }

    private func write(_ text: String, to path: String, what: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ToolError("cannot write the \(what) to \(path): \(FileErrorText.reason(error, path: path))")
        }
    }

    // MARK: - Decisions

    private func isFailure(_ outcome: ReviewOutcome) -> Bool {
        outcome.outcome == "failed" || outcome.outcome == "not found"
    }

    private func decide(id: String, collector: ReviewCollector, decision: ReviewDecision, feedback: String?)
        async throws -> ReviewOutcome
    {
        let found: ReviewItem?
        do {
            found = try await collector.item(id: id)
        } catch {
            let (message, hint) = context.describe(error)
            context.console.error(message, hint: hint)
            let outcome = ReviewOutcome(assignmentId: id, decision: decision.rawValue, outcome: "failed", message: message)
            if context.json { try context.console.writeJSON(outcome) }
            return outcome
        }
        guard let item = found else {
            reportNotFound(id)
            let outcome = ReviewOutcome(assignmentId: id, decision: decision.rawValue, outcome: "not found",
                                        message: "not found on the \(context.target.rawValue) marketplace")
            if context.json { try context.console.writeJSON(outcome) }
            return outcome
        }
        return try await apply(decision, to: item, feedback: feedback)
    }

    /// Applies one decision, logs it in the run store and prints the outcome.
    func apply(_ decision: ReviewDecision, to item: ReviewItem, feedback: String?) async throws -> ReviewOutcome {
        var logged = decision
        var result: (outcome: String, message: String?)
        switch decision {
        case .approve, .overrideRejection:
            if item.status == "Rejected" && settings.overrideRejection { logged = .overrideRejection }
            result = await approve(item, feedback: feedback)
        case .reject:
            result = await reject(item, reason: feedback ?? "")
        case .skip:
            result = ("skipped", nil)
        }
        try context.runStore.logReview(
            assignmentId: item.assignmentId, workerId: item.workerId, hitId: item.hitId, run: item.runId,
            decision: logged, feedback: feedback, outcome: result.message.map { "\(result.outcome): \($0)" }
                ?? result.outcome)
        let outcome = ReviewOutcome(
            assignmentId: item.assignmentId, workerId: item.workerId, decision: logged.rawValue,
            outcome: result.outcome, message: result.message)
        if context.json {
            try context.console.writeJSON(outcome)
        } else {
            context.console.write(TerminalText.escape(
                "\(item.assignmentId)  \(result.outcome)" + (result.message.map { "  (\($0))" } ?? "")))
        }
        if result.outcome == "failed" {
            let described = result.message ?? "failed"
            context.console.error("assignment \(item.assignmentId): \(described)")
        }
        return outcome
    }

    private func approve(_ item: ReviewItem, feedback: String?) async -> (String, String?) {
        switch item.status {
        case "Approved":
            return ("already approved", nil)
        case "Rejected" where !settings.overrideRejection:
            return ("failed", "it was rejected; pass --override-rejection to approve it, which MTurk allows within "
                + "30 days")
        default:
            break
        }
        do {
            _ = try await context.marketplace.approveAssignment(ApproveAssignmentRequest(
                assignmentId: item.assignmentId, requesterFeedback: feedback,
                overrideRejection: item.status == "Rejected" ? true : nil))
            return ("approved", nil)
        } catch {
            if await currentStatus(item.assignmentId) == .approved { return ("already approved", nil) }
            return ("failed", context.describe(error).message)
        }
    }

    private func reject(_ item: ReviewItem, reason: String) async -> (String, String?) {
        guard !reason.isEmpty else {
            return ("failed", "a rejection needs a reason, which the worker sees")
        }
        switch item.status {
        case "Rejected": return ("already rejected", nil)
        case "Approved": return ("failed", "it is already approved, and MTurk cannot reject approved work")
        default: break
        }
        do {
            _ = try await context.marketplace.rejectAssignment(RejectAssignmentRequest(
                assignmentId: item.assignmentId, requesterFeedback: reason))
            return ("rejected", nil)
        } catch {
            switch await currentStatus(item.assignmentId) {
            case .rejected: return ("already rejected", nil)
            case .approved: return ("failed", "it was approved meanwhile (possibly by auto-approval)")
            default: return ("failed", context.describe(error).message)
            }
        }
    }

    /// Reads an assignment's status again after a failed call, to tell a race from a real failure.
    private func currentStatus(_ id: String) async -> AssignmentStatus? {
        try? await context.marketplace.getAssignment(GetAssignmentRequest(assignmentId: id)).assignment?
            .assignmentStatus
    }
}
