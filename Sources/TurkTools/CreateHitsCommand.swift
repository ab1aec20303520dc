import Foundation
import Synchronization
import TurkAWS
import TurkCLI
import TurkModel
import TurkStore

/// `create-hits`: creates a run's HIT type and HITs whose ExternalQuestion points at serve-chat.
public enum CreateHitsCommand {
    /// Runs the tool and returns its exit status.
    public static func main(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        console: Console? = nil
    ) async -> Int32 {
        await ToolRunner.run(spec: CreateHitsSpec.spec, arguments: arguments, environment: environment,
                             console: console) { parsed, console in
            let settings = try CreateHitsSettings(parsed: parsed)
            let context = try MarketplaceFactory.context(parsed: parsed, console: console)
            defer { context.runStore.close() }
            // --follow runs until the target is met, so SIGINT and SIGTERM ask it to stop between two calls.
            let stop = StopRequest()
            let signals = settings.follow ? SignalStopper(stop: stop, console: console) : nil
            defer { signals?.cancel() }
            try await CreateHitsJob(context: context, settings: settings, stop: stop).run()
        }
    }
}

/// The options of one create-hits call, checked before any marketplace call.
public struct CreateHitsSettings: Sendable {
    /// The run to resume, or nil for a new run.
    public var runId: String?
    public var taskDirectory: String?
    public var conversations: Int
    public var reward: USD?
    public var serverURL: URL?
    public var dryRun: Bool
    public var lifetime: Int?
    public var assignmentDuration: Int?
    public var autoApprovalDelay: Int?
    public var overRecruitPercent: Int
    public var maxConnections: Int
    public var countComplete: Bool
    public var unique: Bool
    public var uniqueQualName: String?
    public var maxHITsPerWorker: Int
    public var allowedConversations: Int
    public var maxTime: Int
    public var maxTimeQual: String?
    public var disconnectQualification: String?
    public var hardBlock: Bool
    public var blockQualification: String?
    public var locales: [TurkModel.Locale]
    public var minApprovalRate: Int?
    public var minApprovedHITs: Int?
    public var masters: Bool
    public var confirmThreshold: USD
    /// Whether to keep running and open HITs as others close, until the run's target is met.
    public var follow: Bool
    /// Seconds between two checks of the run store and the marketplace with `follow`.
    public var pollInterval: Int

    /// The default of `--poll-interval`: often enough that a closed HIT is replaced within a minute, seldom enough
    /// that 100 open HITs cost MTurk about 3 GetHIT calls per second.
    public static let defaultPollInterval = 30

    /// The options that shape a new run; a resumed run keeps the values it was created with.
    static let newRunOptions = [
        "task", "num-conversations", "reward", "server-url", "lifetime", "assignment-duration", "auto-approve-delay",
        "over-recruit", "max-connections", "count-complete", "unique", "unique-qual-name", "max-hits-per-worker",
        "allowed-conversations", "max-time", "max-time-qual", "disconnect-qualification", "hard-block",
        "block-qualification", "locale", "min-approval-rate", "min-approved-hits", "masters",
    ]


    public init(parsed: ParsedArguments) throws {
        runId = try parsed.nonEmptyValue("run-id")
        if let runId {
            let given = Self.newRunOptions.filter { parsed.isPresent($0) }
            if let first = given.first {
                throw UsageError(
                    "option --\(first) cannot change run \(runId), which keeps the settings it was created with",
                    hint: "leave out --\(first), or start a new run without --run-id")
            }
        } else if try parsed.nonEmptyValue("task") == nil {
            throw UsageError("missing required option --task DIR (or --run-id ID to resume a run)")
        }
        taskDirectory = try parsed.nonEmptyValue("task")
        conversations = try parsed.int("num-conversations", in: 1...100_000) ?? 1
        reward = try parsed.usd("reward")
        serverURL = try parsed.url("server-url")
        dryRun = parsed.flag("dry-run")
        lifetime = try parsed.seconds("lifetime", in: HITLimits.lifetime)
        assignmentDuration = try parsed.seconds("assignment-duration", in: HITLimits.assignmentDuration)
        autoApprovalDelay = try parsed.seconds("auto-approve-delay", in: HITLimits.autoApprovalDelay)
        overRecruitPercent = try parsed.int("over-recruit", in: 0...1_000) ?? 0
        maxConnections = try parsed.int("max-connections", in: 0...100_000) ?? 0
        countComplete = parsed.flag("count-complete")
        unique = parsed.flag("unique")
        uniqueQualName = try parsed.nonEmptyValue("unique-qual-name")
        maxHITsPerWorker = try parsed.int("max-hits-per-worker", in: 0...1_000_000) ?? 0
        allowedConversations = try parsed.int("allowed-conversations", in: 0...1_000_000) ?? 0
        maxTime = try parsed.seconds("max-time", in: 0...86_400) ?? 0
        maxTimeQual = try parsed.nonEmptyValue("max-time-qual")
        disconnectQualification = try parsed.nonEmptyValue("disconnect-qualification")
        hardBlock = parsed.flag("hard-block")
        blockQualification = try parsed.nonEmptyValue("block-qualification")
        locales = try parsed.values("locale").map(parseLocale)
        minApprovalRate = try parsed.int("min-approval-rate", in: 0...100)
        minApprovedHITs = try parsed.int("min-approved-hits", in: 0...Int(Int32.max))
        masters = parsed.flag("masters")
        confirmThreshold = try parsed.usd("confirm-threshold") ?? SpendingConfirmation.defaultTypedAmountThreshold
        follow = parsed.flag("follow")
        pollInterval = try parsed.seconds("poll-interval", in: 1...3_600) ?? Self.defaultPollInterval
        if parsed.isPresent("poll-interval") && !follow {
            throw UsageError("option --poll-interval needs --follow")
        }
        try parsed.checkExclusive("follow", "dry-run")

        for (option, name) in [("unique-qual-name", uniqueQualName), ("max-time-qual", maxTimeQual),
                               ("disconnect-qualification", disconnectQualification),
                               ("block-qualification", blockQualification)] {
            if let name { try QualificationDirectory.validateName(name, option: "--\(option)") }
        }
        if maxTimeQual != nil && maxTime == 0 {
            throw UsageError("option --max-time-qual needs --max-time SECONDS")
        }
        if uniqueQualName != nil && !unique && maxHITsPerWorker == 0 {
            throw UsageError("option --unique-qual-name needs --unique or --max-hits-per-worker N")
        }
        // As in ParlAI, --unique allows one conversation at a time, and --max-hits-per-worker N caps concurrent
        // conversations at N unless --allowed-conversations sets another value.
        if unique {
            allowedConversations = 1
        } else if maxHITsPerWorker > 0 && allowedConversations == 0 {
            allowedConversations = maxHITsPerWorker
        }
    }
}

/// One create-hits call: a new run, or the resumption of a run with `--run-id`.
public struct CreateHitsJob: Sendable {
    public let context: ToolContext
    public let settings: CreateHitsSettings
    /// Set by SIGINT or SIGTERM (or a test) to end `--follow` between two marketplace calls.
    public let stop: StopRequest

    public init(context: ToolContext, settings: CreateHitsSettings, stop: StopRequest = StopRequest()) {
        self.context = context
        self.settings = settings
        self.stop = stop
    }

    public func run() async throws {
        if let runId = settings.runId {
            try await resume(runId: runId)
        } else {
            try await startNewRun()
        }
    }

    // MARK: - New run

    private func startNewRun() async throws {
        guard let taskPath = settings.taskDirectory else { throw UsageError("missing required option --task DIR") }
        let task = try TaskLoading.load(directory: taskPath)
        guard let reward = settings.reward ?? task.reward else {
            throw UsageError(
                "no reward is set: task.json in \(task.directory.path) has none and --reward is absent",
                hint: "pass --reward USD, such as --reward 0.50")
        }
        let serverURL = try resolveServerURL()
        let config = try makeConfig(task: task, reward: reward, serverURL: serverURL, runId: "")
        let plan = HITPlan(
            conversations: settings.conversations, agentsPerConversation: task.agentIds.count,
            overRecruitPercent: settings.overRecruitPercent, maxConnections: settings.maxConnections, reward: reward)

        let runId = RunStore.newRunID(at: context.clock())
        var runConfig = config
        runConfig.externalURL = HITCreator.externalURL(serverURL: serverURL, runId: runId)
        runConfig.totalHITs = plan.totalHITs
        try validateHITFields(runConfig)

        if settings.dryRun {
            let requirements = try await qualificationRequirements(runId: runId, task: task, create: false)
            try printPlan(plan: plan, config: runConfig, task: task, requirements: requirements.list,
                          missing: requirements.missing)
            return
        }

        try await Spending.confirm(
            context: context,
            lines: [
                CostLine("Rewards (\(Plural.count(plan.totalHITs, "HIT")) × \(plan.reward))", plan.rewards),
                CostLine("MTurk fees (\(plan.feePerAssignment) per assignment)", plan.fees),
            ],
            typedAmountThreshold: settings.confirmThreshold)
        let requirements = try await qualificationRequirements(runId: runId, task: task, create: true)
        runConfig.uniqueQualification = requirements.unique
        runConfig.maxTimeQualification = requirements.maxTime
        runConfig.disconnectQualification = requirements.disconnect
        runConfig.blockQualification = requirements.block
        runConfig.taskQualification = requirements.task

        let run = RunRecord(
            id: runId, taskName: task.name, taskDirectory: task.directory.path, taskKind: task.kind,
            target: context.target, endpoint: context.endpoint?.absoluteString, serverURL: serverURL.absoluteString,
            reward: reward, configJSON: try runConfig.jsonString(), createdAt: context.clock(), status: .creating)
        try context.runStore.createRun(run)
        context.console.note("run \(runId) started; if it stops early, resume it with: create-hits --run-id \(runId)")

        let creator = HITCreator(context: context)
        let hitTypeId = try await creator.ensureHITType(run: run, config: runConfig, requirements: requirements.list)
        var stored = run
        stored.hitTypeId = hitTypeId
        try await createBatch(run: stored, config: runConfig, hitTypeId: hitTypeId, seqs: Array(1...plan.initialHITs))
        try context.runStore.setRunStatus(runId, .active)
        if settings.follow {
            try await follow(runId: runId)
        } else if plan.initialHITs < plan.totalHITs {
            context.console.note(
                "created \(plan.initialHITs) of \(Plural.count(plan.totalHITs, "HIT")) because --max-connections is "
                    + "\(plan.maxConnections); to open the rest as workers finish, run: "
                    + "create-hits --run-id \(runId) --follow")
        }
    }

    private func resolveServerURL() throws -> URL {
        if let url = settings.serverURL {
            if context.target != .local, url.scheme?.lowercased() != "https" {
                throw UsageError(
                    "invalid value '\(url.absoluteString)' for --server-url: MTurk shows ExternalQuestion pages only "
                        + "over HTTPS",
                    hint: "run serve-chat with --tls-cert and --tls-key behind a host name with a trusted certificate")
            }
            return url
        }
        guard context.target == .local else {
            throw UsageError("missing required option --server-url URL: the HTTPS address of serve-chat")
        }
        return URL(string: "http://127.0.0.1:8080")!
    }

    private func makeConfig(task: TaskSummary, reward: USD, serverURL: URL, runId: String) throws -> RunConfig {
        RunConfig(
            conversations: settings.conversations, agentIds: task.agentIds,
            overRecruitPercent: settings.overRecruitPercent, totalHITs: 0, maxConnections: settings.maxConnections,
            countComplete: settings.countComplete, unique: settings.unique,
            maxHITsPerWorker: settings.maxHITsPerWorker, allowedConversations: settings.allowedConversations,
            maxTimeSeconds: settings.maxTime, hardBlock: settings.hardBlock, title: task.title,
            description: task.description, keywords: task.keywords, reward: reward.mturkString,
            lifetimeSeconds: settings.lifetime ?? task.lifetimeSeconds,
            assignmentDurationSeconds: settings.assignmentDuration ?? task.assignmentDurationSeconds,
            autoApprovalDelaySeconds: settings.autoApprovalDelay ?? task.autoApprovalDelaySeconds,
            frameHeight: task.frameHeight ?? 650,
            externalURL: HITCreator.externalURL(serverURL: serverURL, runId: runId))
    }

    private func validateHITFields(_ config: RunConfig) throws {
        func check(_ value: Int, _ range: ClosedRange<Int>, _ what: String) throws {
            guard range.contains(value) else {
                throw ToolError("the \(what) \(value) s is outside MTurk's range \(range.lowerBound)–\(range.upperBound) s")
            }
        }
        try check(config.lifetimeSeconds, HITLimits.lifetime, "HIT lifetime")
        try check(config.assignmentDurationSeconds, HITLimits.assignmentDuration, "assignment duration")
        try check(config.autoApprovalDelaySeconds, HITLimits.autoApprovalDelay, "auto-approval delay")
        if config.title.isEmpty || config.title.count > HITLimits.titleLength {
            throw ToolError("the task title has \(config.title.count) characters; MTurk needs 1 to "
                + "\(HITLimits.titleLength)")
        }
        if config.description.isEmpty || config.description.count > HITLimits.descriptionLength {
            throw ToolError("the task description has \(config.description.count) characters; MTurk needs 1 to "
                + "\(HITLimits.descriptionLength)")
        }
        if let keywords = config.keywords, keywords.count > HITLimits.keywordsLength {
            throw ToolError("the task keywords have \(keywords.count) characters; MTurk allows "
                + "\(HITLimits.keywordsLength)")
        }
    }

    // MARK: - Resume

    private func resume(runId: String) async throws {
        guard let run = try context.runStore.run(id: runId) else {
            throw ToolError("run \(runId) not found in the run store \(context.stateDirectory.runStorePath)",
                            hint: "list runs with 'review --list', or check --state-dir")
        }
        guard run.target == context.target else {
            throw ToolError(
                "run \(runId) was created on the \(run.target.rawValue) target, not \(context.target.rawValue)",
                hint: run.target == .live ? "pass --live" : "pass --target \(run.target.rawValue)")
        }
        let config = try run.config(as: RunConfig.self)
        let ledger = try context.runStore.hits(run: runId)
        let unfinished = ledger.filter { $0.state == .pending || $0.state == .failed }.map(\.seq)
        if settings.follow {
            try await confirmRemainingCost(run: run, config: config, ledger: ledger)
            try await follow(runId: runId)
            return
        }

        // With --max-connections, only as many HITs as are free slots open now.
        var newSeqs: [Int] = []
        let nextSeq = (ledger.map(\.seq).max() ?? 0) + 1
        let remaining = max(0, config.totalHITs - ledger.count)
        var openNow = remaining
        if config.maxConnections > 0, remaining > 0 {
            let open = try await openHITCount(ledger.filter { $0.state == .created })
            openNow = min(remaining, max(0, config.maxConnections - open - unfinished.count))
        }
        if openNow > 0 { newSeqs = Array(nextSeq..<(nextSeq + openNow)) }

        let plan = HITPlan(conversations: config.conversations, agentsPerConversation: config.agentIds.count,
                           overRecruitPercent: config.overRecruitPercent, maxConnections: config.maxConnections,
                           reward: USD(mturkString: config.reward) ?? run.reward)
        if settings.dryRun {
            let created = ledger.count - unfinished.count
            if context.json {
                try context.console.writeJSON([
                    "run_id": runId, "hits": String(config.totalHITs), "created": String(created),
                    "to_retry": String(unfinished.count), "to_add_now": String(newSeqs.count),
                    "left_for_later": String(remaining - newSeqs.count), "reward": plan.reward.mturkString,
                    "rewards": plan.rewards.mturkString, "fees": plan.fees.mturkString,
                    "total": plan.totalCost.mturkString, "target": context.target.rawValue,
                ])
                return
            }
            context.console.write("dry run: nothing is created")
            context.console.write("run \(runId): \(created) of \(Plural.count(config.totalHITs, "HIT")) created, "
                + "\(unfinished.count) to retry, \(newSeqs.count) to add now, "
                + "\(remaining - newSeqs.count) left for later")
            context.console.write("cost of the whole run: \(plan.costSummary)")
            return
        }
        if unfinished.isEmpty && newSeqs.isEmpty {
            let exist = ledger.count == 1 ? "the 1 HIT exists" : "all \(ledger.count) HITs exist"
            let open = " and \(config.maxConnections) \(Plural.verb(config.maxConnections, "is", "are")) open"
            context.console.note("run \(runId): nothing to do; \(exist)" + (remaining > 0 ? open : ""))
            if remaining == 0 { try context.runStore.setRunStatus(runId, .active) }
            return
        }
        if !newSeqs.isEmpty {
            try await Spending.confirm(
                context: context,
                lines: [
                    CostLine("Rewards (\(Plural.count(newSeqs.count, "more HIT")) × \(plan.reward))",
                             plan.reward * newSeqs.count),
                    CostLine("MTurk fees", plan.feePerAssignment * newSeqs.count),
                ],
                typedAmountThreshold: settings.confirmThreshold)
        }

        let requirements = try await requirementsForResume(run: run, config: config)
        let creator = HITCreator(context: context)
        let hitTypeId = try await creator.ensureHITType(run: run, config: config, requirements: requirements)
        context.console.note("run \(runId): retrying \(Plural.count(unfinished.count, "HIT")) and adding "
            + "\(newSeqs.count)")
        try await createBatch(run: run, config: config, hitTypeId: hitTypeId, seqs: unfinished + newSeqs)
        if try context.runStore.hits(run: runId).count >= config.totalHITs {
            try context.runStore.setRunStatus(runId, .active)
        }
    }

    /// Counts the HITs that still take workers: `Assignable`, or `Unassignable` while a worker has accepted them.
    func openHITCount(_ entries: [HITLedgerEntry]) async throws -> Int {
        var open = 0
        for entry in entries {
            guard let hitId = entry.hitId else { continue }
            let hit = try await context.marketplace.getHIT(GetHITRequest(hitId: hitId)).hit
            if let status = hit?.hitStatus, status == .assignable || status == .unassignable { open += 1 }
        }
        return open
    }

    /// Rebuilds the qualification requirements of a run whose HIT type was never created.
    func requirementsForResume(run: RunRecord, config: RunConfig) async throws -> [QualificationRequirement] {
        guard run.hitTypeId == nil else { return [] }
        var list = systemRequirements()
        for qualification in [config.uniqueQualification, config.maxTimeQualification,
                              config.disconnectQualification, config.blockQualification,
                              config.taskQualification].compactMap({ $0 }) {
            list.append(softBlockRequirement(qualification.id))
        }
        return list
    }

    // MARK: - Creating

    func createBatch(run: RunRecord, config: RunConfig, hitTypeId: String, seqs: [Int]) async throws {
        let creator = HITCreator(context: context)
        let progress = ProgressBar(console: context.console, total: seqs.count, label: "HITs")
        for seq in seqs {
            // Only --follow installs the signal handlers that request a stop; the ledger keeps the rest resumable.
            if stop.isRequested { break }
            let created = try await creator.createHIT(run: run, config: config, hitTypeId: hitTypeId, seq: seq)
            progress.clear()
            try context.writeResult(created, text: created.textLine)
            progress.advance()
        }
        progress.finish()
    }

    // MARK: - Qualifications

    struct Requirements {
        var list: [QualificationRequirement] = []
        var unique: NamedQualification?
        var maxTime: NamedQualification?
        var disconnect: NamedQualification?
        var block: NamedQualification?
        var task: NamedQualification?
        /// Names that a dry run would create.
        var missing: [String] = []
    }

    private func systemRequirements() -> [QualificationRequirement] {
        var list: [QualificationRequirement] = []
        if !settings.locales.isEmpty {
            list.append(QualificationRequirement(
                qualificationTypeId: SystemQualification.locale,
                comparator: settings.locales.count == 1 ? .equalTo : .in, localeValues: settings.locales))
        }
        if let rate = settings.minApprovalRate {
            list.append(QualificationRequirement(
                qualificationTypeId: SystemQualification.percentAssignmentsApproved,
                comparator: .greaterThanOrEqualTo, integerValues: [rate]))
        }
        if let count = settings.minApprovedHITs {
            list.append(QualificationRequirement(
                qualificationTypeId: SystemQualification.numberHITsApproved,
                comparator: .greaterThanOrEqualTo, integerValues: [count]))
        }
        if settings.masters {
            list.append(QualificationRequirement(
                qualificationTypeId: context.target.mastersQualificationId, comparator: .exists))
        }
        return list
    }

    /// Builds the HIT type's requirements, finding (and unless `create` is false, creating) named qualifications.
    private func qualificationRequirements(runId: String, task: TaskSummary, create: Bool) async throws
        -> Requirements
    {
        var result = Requirements(list: systemRequirements())
        let directory = QualificationDirectory(marketplace: context.marketplace)

        func resolve(_ name: String, _ description: String) async throws -> NamedQualification? {
            if create {
                let (id, created) = try await directory.findOrCreate(name: name, description: description)
                if created { context.console.note("created qualification type '\(name)' (\(id))") }
                result.list.append(softBlockRequirement(id))
                return NamedQualification(name: name, id: id)
            }
            if let id = try await directory.find(name: name) {
                result.list.append(softBlockRequirement(id))
                return NamedQualification(name: name, id: id)
            }
            result.missing.append(name)
            return nil
        }

        if settings.unique || settings.maxHITsPerWorker > 0 {
            result.unique = try await resolve(
                settings.uniqueQualName ?? "\(runId)-max-submissions",
                "Given to workers who completed as many of these HITs as the requester allows.")
        }
        if settings.maxTime > 0 {
            result.maxTime = try await resolve(
                settings.maxTimeQual ?? "\(runId)-max-daily-time",
                "Given to workers who reached the daily working time the requester allows for these HITs.")
        }
        if let name = settings.disconnectQualification {
            result.disconnect = try await resolve(
                name, "A soft block from these chat HITs for workers who disconnected from conversations often.")
        }
        if let name = settings.blockQualification {
            result.block = try await resolve(name, "A soft block from these HITs at the requester's discretion.")
        }
        if let name = task.exclusionQualification {
            result.task = try await resolve(
                name, "Given by the task \(task.name) to workers it excludes, such as those who failed its test.")
        }
        let count = result.list.count + result.missing.count
        if count > HITLimits.qualificationRequirements {
            let requested = Plural.count(count, "qualification requirement")
            throw UsageError("the options ask for \(requested); MTurk allows at most "
                + "\(HITLimits.qualificationRequirements) per HIT")
        }
        return result
    }

    // MARK: - Dry run

    private func printPlan(
        plan: HITPlan, config: RunConfig, task: TaskSummary, requirements: [QualificationRequirement],
        missing: [String]
    ) throws {
        if context.json {
            var object: [String: String] = [
                "task": task.name, "hits": String(plan.totalHITs), "hits_now": String(plan.initialHITs),
                "reward": plan.reward.mturkString, "rewards": plan.rewards.mturkString, "fees": plan.fees.mturkString,
                "total": plan.totalCost.mturkString, "external_url": config.externalURL,
                "target": context.target.rawValue,
            ]
            if !missing.isEmpty { object["qualifications_to_create"] = missing.joined(separator: ",") }
            try context.console.writeJSON(object)
            return
        }
        let console = context.console
        console.write("dry run: nothing is created")
        console.write("task: \(task.name) (\(task.kind)), \(task.directory.path)")
        console.write("target: \(context.target.rawValue)")
        console.write("HITs: \(Plural.count(plan.conversations, "conversation")) × "
            + "\(Plural.count(plan.agentsPerConversation, "agent")) per "
            + "conversation = "
            + "\(plan.baseHITs), plus \(plan.extraHITs) over-recruited = \(plan.totalHITs); \(plan.initialHITs) now")
        console.write("cost: \(plan.costSummary)")
        console.write("ExternalQuestion URL: \(config.externalURL)")
        console.write("lifetime \(config.lifetimeSeconds) s, assignment duration \(config.assignmentDurationSeconds) s, "
            + "auto-approval after \(config.autoApprovalDelaySeconds) s")
        console.write("qualification requirements: \(requirements.count + missing.count)")
        for name in missing {
            console.write("  would create qualification type '\(name)'")
        }
    }
}

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
final class ProgressBar: Sendable {
    let console: Console
    let total: Int
    let label: String
    private let done = Mutex(0)

    init(console: Console, total: Int, label: String) {
        self.console = console
        self.total = total
        self.label = label
        draw(0)
    }

    func advance() {
        let value = done.withLock { count -> Int in
            count += 1
            return count
        }
        draw(value)
    }

    /// Erases the bar so that a line written to the terminal does not mix with it.
    func clear() {
        guard console.isErrorTerminal && console.isOutputTerminal else { return }
        console.writeErrorText("\r\u{1B}[K")
    }

    func finish() {
        guard console.isErrorTerminal, total > 0 else { return }
        console.writeErrorText("\n")
    }

    private func draw(_ value: Int) {
        guard console.isErrorTerminal, total > 0 else { return }
        let width = 30
        let filled = min(width, value * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        console.writeErrorText("\r[\(bar)] \(value)/\(total) \(label)")
    }
}
