import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// `block`: hard and soft blocks, their removal, and lists of blocked workers.
public enum BlockCommand {
    /// Runs the tool and returns its exit status.
    public static func main(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        console: Console? = nil
    ) async -> Int32 {
        await ToolRunner.run(spec: BlockSpec.spec, arguments: arguments, environment: environment,
                             console: console) { parsed, console in
            let settings = try BlockSettings(parsed: parsed, console: console)
            let context = try MarketplaceFactory.context(parsed: parsed, console: console)
            defer { context.runStore.close() }
            try await BlockJob(context: context, settings: settings).run()
        }
    }
}

/// The options of one block call, with the worker ids read and checked.
public struct BlockSettings: Sendable {
    public enum Action: String, Sendable {
        case block
        case unblock
        case softBlock = "soft-block"
        case softUnblock = "soft-unblock"
        case list
    }

    public var action: Action
    /// Whether `list` shows soft blocks (the qualification's holders) instead of hard blocks.
    public var listsSoftBlocks: Bool
    public var workerIds: [String]
    public var reason: String?
    public var qualification: String?

    public init(parsed: ParsedArguments, console: Console) throws {
        let soft = parsed.flag("soft")
        let unblock = parsed.flag("unblock")
        try parsed.checkExclusive("hard", "soft")
        try parsed.checkExclusive("unblock", "list")
        let fromFlags: Action = parsed.flag("list") ? .list
            : soft ? (unblock ? .softUnblock : .softBlock)
            : (unblock ? .unblock : .block)
        // The parser leaves a first word that is no action to WORKER_ID. A lower-case word there is a mistyped
        // action rather than a worker id, which is upper-case.
        if parsed.argument("ACTION") == nil, let first = parsed.arguments("WORKER_ID").first,
           !MTurkID.isWorkerID(first), first.allSatisfy({ $0.isLowercase || $0 == "-" || $0 == "_" }) {
            let valid = BlockSpec.actions.dropLast().joined(separator: ", ") + " or " + (BlockSpec.actions.last ?? "")
            throw UsageError("unknown action '\(first)': use \(valid)",
                             hint: "a worker id is 'A' followed by upper-case letters and digits, such as A1B2C3D4E5")
        }
        if let word = parsed.argument("ACTION") {
            guard let named = Action(rawValue: word) else {
                throw UsageError("invalid action '\(word)': use block, unblock, soft-block, soft-unblock or list")
            }
            let flagsGiven = ["hard", "soft", "unblock", "list"].filter { parsed.flag($0) }
            let agrees: Bool = switch named {
            case .block: !soft && !unblock && !parsed.flag("list")
            case .unblock: !soft && !parsed.flag("list")
            case .softBlock: !parsed.flag("hard") && !unblock && !parsed.flag("list")
            case .softUnblock: !parsed.flag("hard") && !parsed.flag("list")
            case .list: !unblock
            }
            if !agrees {
                throw UsageError("the action '\(word)' contradicts --\(flagsGiven.joined(separator: " --"))")
            }
            action = named
            listsSoftBlocks = named == .list && (soft || parsed.isPresent("qualification"))
        } else {
            action = fromFlags
            listsSoftBlocks = fromFlags == .list && (soft || parsed.isPresent("qualification"))
        }

        reason = parsed.value("reason")?.trimmingCharacters(in: .whitespacesAndNewlines)
        qualification = parsed.value("qualification")
        if let qualification { try QualificationDirectory.validateName(qualification, option: "--qualification") }

        workerIds = []
        if action == .list {
            if !parsed.arguments("WORKER_ID").isEmpty || parsed.isPresent("file") {
                throw UsageError("list takes no worker ids")
            }
        } else {
            // Ids on the command line and in --file are checked before the other options, so that a mistyped id is
            // reported first. Standard input is read only after the options are known to be complete.
            var sources: [(text: String, name: String)] = []
            let arguments = parsed.arguments("WORKER_ID")
            if !arguments.isEmpty { sources.append((arguments.joined(separator: "\n"), "the command line")) }
            if let path = try parsed.nonEmptyValue("file") {
                do {
                    sources.append((try String(contentsOfFile: path, encoding: .utf8), path))
                } catch {
                    throw ToolError("cannot read worker ids from \(path): \(FileErrorText.reason(error, path: path))")
                }
            }
            try addWorkerIds(from: sources, console: console)
        }

        if action == .block, (reason ?? "").isEmpty {
            throw UsageError("a hard block needs --reason TEXT: MTurk requires a reason, which the worker does not see")
        }
        if (action == .softBlock || action == .softUnblock || listsSoftBlocks) && qualification == nil {
            throw UsageError("a soft block needs --qualification NAME, the qualification that create-hits "
                + "--block-qualification keeps out")
        }
        guard action != .list else { return }

        if parsed.arguments("WORKER_ID").isEmpty && !parsed.isPresent("file") {
            if console.isInputTerminal {
                console.note("reading worker ids from standard input, one per line; end with Ctrl-D")
            }
            var lines: [String] = []
            while let line = console.readLine() { lines.append(line) }
            try addWorkerIds(from: [(lines.joined(separator: "\n"), "stdin")], console: console)
        }
        if workerIds.isEmpty {
            throw UsageError("no worker id given: pass ids as arguments, with --file, or one per line on standard input")
        }
    }

    /// Adds the worker ids of each source, one per line, skipping blank lines and `#` comments.
    /// - Throws: `ToolError` after printing every malformed id with its place.
    private mutating func addWorkerIds(from sources: [(text: String, name: String)], console: Console) throws {
        var problems: [String] = []
        for source in sources {
            let lines = source.text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            for (index, raw) in lines.enumerated() {
                let id = raw.trimmingCharacters(in: .whitespaces)
                if id.isEmpty || id.hasPrefix("#") { continue }
                guard MTurkID.isWorkerID(id) else {
                    let malformed = "malformed worker id '\(TerminalText.escape(id))'"
                    let expected = "expected 'A' followed by upper-case letters and digits"
                    problems.append(source.name == "the command line"
                        ? "\(malformed) on the command line: \(expected)"
                        : "\(source.name):\(index + 1): \(malformed): \(expected)")
                    continue
                }
                if !workerIds.contains(id) { workerIds.append(id) }
            }
        }
        if !problems.isEmpty {
            for problem in problems { console.error(problem) }
            throw ToolError("\(Plural.count(problems.count, "malformed worker id")); nothing was changed")
        }
    }
}

/// The outcome for one worker, printed as one line.
public struct BlockOutcome: Codable, Sendable, Equatable {
    public var workerId: String
    public var action: String
    /// `blocked`, `already blocked`, `unblocked`, `was not blocked` or `failed`.
    public var outcome: String
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case action, outcome, message
        case workerId = "worker_id"
    }
}

/// One block call.
public struct BlockJob: Sendable {
    public let context: ToolContext
    public let settings: BlockSettings

    public init(context: ToolContext, settings: BlockSettings) {
        self.context = context
        self.settings = settings
    }

    public func run() async throws {
        switch settings.action {
        case .list:
            try await list()
        case .block, .unblock:
            let blocked = Set(try await context.marketplace.allWorkerBlocks().compactMap(\.workerId))
            try await each { workerId in
                try await hard(workerId, isBlocked: blocked.contains(workerId))
            }
        case .softBlock, .softUnblock:
            let name = settings.qualification ?? ""
            let directory = QualificationDirectory(marketplace: context.marketplace)
            let qualificationId: String?
            if settings.action == .softBlock {
                let (id, created) = try await directory.findOrCreate(
                    name: name, description: "A soft block from these HITs at the requester's discretion.")
                if created { context.console.note("created qualification type '\(name)' (\(id))") }
                qualificationId = id
            } else {
                qualificationId = try await directory.find(name: name)
            }
            var holders: Set<String> = []
            if let qualificationId {
                let granted = try await context.marketplace.allWorkers(
                    withQualificationType: qualificationId, status: .granted)
                holders = Set(granted.compactMap(\.workerId))
            }
            try await each { workerId in
                try await soft(workerId, qualificationId: qualificationId, hasQualification: holders.contains(workerId))
            }
        }
    }

    private func each(_ body: (String) async throws -> BlockOutcome) async throws {
        var failures = 0
        for workerId in settings.workerIds {
            let outcome: BlockOutcome
            do {
                outcome = try await body(workerId)
            } catch {
                let (message, hint) = context.describe(error)
                context.console.error("worker \(workerId): \(message)", hint: hint)
                outcome = BlockOutcome(workerId: workerId, action: settings.action.rawValue, outcome: "failed",
                                       message: message)
                failures += 1
            }
            if context.json {
                try context.console.writeJSON(outcome)
            } else {
                context.console.write(TerminalText.escape("\(workerId)  \(outcome.outcome)"))
            }
        }
        if failures > 0 {
            let workers = Plural.count(failures, "worker")
            context.console.error("\(workers) \(Plural.verb(failures, "was", "were")) not changed")
            throw ExitCode.failure
        }
    }

    private func hard(_ workerId: String, isBlocked: Bool) async throws -> BlockOutcome {
        let action = settings.action.rawValue
        if settings.action == .block {
            if isBlocked { return BlockOutcome(workerId: workerId, action: action, outcome: "already blocked") }
            _ = try await context.marketplace.createWorkerBlock(
                CreateWorkerBlockRequest(workerId: workerId, reason: settings.reason ?? ""))
            return BlockOutcome(workerId: workerId, action: action, outcome: "blocked")
        }
        if !isBlocked { return BlockOutcome(workerId: workerId, action: action, outcome: "was not blocked") }
        _ = try await context.marketplace.deleteWorkerBlock(
            DeleteWorkerBlockRequest(workerId: workerId, reason: settings.reason.flatMap { $0.isEmpty ? nil : $0 }))
        return BlockOutcome(workerId: workerId, action: action, outcome: "unblocked")
    }

    private func soft(_ workerId: String, qualificationId: String?, hasQualification: Bool) async throws -> BlockOutcome {
        let action = settings.action.rawValue
        if settings.action == .softBlock {
            if hasQualification { return BlockOutcome(workerId: workerId, action: action, outcome: "already blocked") }
            guard let qualificationId else { throw ToolError("qualification type not found") }
            _ = try await context.marketplace.associateQualificationWithWorker(AssociateQualificationWithWorkerRequest(
                qualificationTypeId: qualificationId, workerId: workerId, integerValue: 1, sendNotification: false))
            return BlockOutcome(workerId: workerId, action: action, outcome: "blocked")
        }
        guard let qualificationId, hasQualification else {
            return BlockOutcome(workerId: workerId, action: action, outcome: "was not blocked")
        }
        _ = try await context.marketplace.disassociateQualificationFromWorker(DisassociateQualificationFromWorkerRequest(
            workerId: workerId, qualificationTypeId: qualificationId,
            reason: settings.reason.flatMap { $0.isEmpty ? nil : $0 }))
        return BlockOutcome(workerId: workerId, action: action, outcome: "unblocked")
    }

    private func list() async throws {
        struct Entry: Encodable {
            var workerId: String
            var kind: String
            var reason: String?
            var qualification: String?

            enum CodingKeys: String, CodingKey {
                case kind, reason, qualification
                case workerId = "worker_id"
            }
        }
        var entries: [Entry] = []
        if settings.listsSoftBlocks {
            let name = settings.qualification ?? ""
            guard let id = try await QualificationDirectory(marketplace: context.marketplace).find(name: name) else {
                throw ToolError("qualification type '\(name)' not found on the \(context.target.rawValue) marketplace",
                                hint: context.unknownIdHint)
            }
            for holder in try await context.marketplace.allWorkers(withQualificationType: id, status: .granted) {
                guard let workerId = holder.workerId else { continue }
                entries.append(Entry(workerId: workerId, kind: "soft", qualification: name))
            }
        } else {
            for block in try await context.marketplace.allWorkerBlocks() {
                guard let workerId = block.workerId else { continue }
                entries.append(Entry(workerId: workerId, kind: "hard", reason: block.reason))
            }
        }
        for entry in entries.sorted(by: { $0.workerId < $1.workerId }) {
            if context.json {
                try context.console.writeJSON(entry)
            } else {
                // The reason is free text from the marketplace.
                context.console.write(TerminalText.escape(entry.workerId + (entry.reason.map { "  \($0)" } ?? "")))
            }
        }
        if entries.isEmpty && !context.json { context.console.note("no worker is blocked") }
    }
}
