import Dispatch
import Foundation
import Synchronization
import TurkAWS
import TurkCLI
import TurkModel
import TurkStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request to stop a long-running command between two steps, made by SIGINT, SIGTERM or a test.
public final class StopRequest: Sendable {
    private let storedCause = Mutex<String?>(nil)

    public init() {}

    /// Records the stop and its cause, such as `SIGTERM`. A later request keeps the first cause.
    public func request(_ cause: String) {
        storedCause.withLock { current in
            if current == nil { current = cause }
        }
    }

    /// The cause of the stop, or nil while no stop was requested.
    public var cause: String? { storedCause.withLock { $0 } }

    public var isRequested: Bool { cause != nil }

    /// Sleeps for `seconds`, waking every 100 ms so that it returns soon after a stop request. Returns whether a stop
    /// was requested.
    public func sleep(seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
        while ContinuousClock.now < deadline {
            if isRequested { return true }
            try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
        }
        return isRequested
    }
}

/// Turns SIGINT and SIGTERM into a `StopRequest` until `cancel()`, which restores their default actions.
final class SignalStopper: @unchecked Sendable {
    // Dispatch sources are thread-safe but not marked Sendable; they are only created here and cancelled once.
    private let sources: [DispatchSourceSignal]
    private static let handled: [(number: Int32, name: String)] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")]

    init(stop: StopRequest, console: Console) {
        sources = Self.handled.map { handled in
            // The default action would end the process at once, in the middle of a create call.
            signal(handled.number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: handled.number, queue: .global())
            source.setEventHandler {
                if !stop.isRequested {
                    console.note("received \(handled.name); stopping after the current marketplace call")
                }
                stop.request(handled.name)
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        for handled in Self.handled { signal(handled.number, SIG_DFL) }
    }
}

// `create-hits --follow`: keeps a run's HITs open up to --max-connections until its target is met.
extension CreateHitsJob {
    /// Polls in a row that may fail before --follow gives up.
    static let maxFailedPolls = 5

    /// Counts the conversations of a run that count towards its target, by serve-chat's rule: every conversation,
    /// or only those that ended normally (`done`) with `countComplete`. Onboarding conversations never count.
    static func countedConversations(_ store: RunStore, runId: String, countComplete: Bool) throws -> Int {
        let conversations = try store.conversations(run: runId).filter { !$0.task.hasSuffix(":onboarding") }
        return countComplete ? conversations.filter { $0.status == .done }.count : conversations.count
    }

    /// Shows the cost of every HIT the run has not created yet and confirms it once, so that following the run
    /// does not ask again for each HIT it opens.
    func confirmRemainingCost(run: RunRecord, config: RunConfig, ledger: [HITLedgerEntry]) async throws {
        let createdCount = ledger.filter { $0.state == .created || $0.state == .deleted }.count
        let left = max(0, config.totalHITs - createdCount)
        guard left > 0 else { return }
        let plan = HITPlan(conversations: config.conversations, agentsPerConversation: config.agentIds.count,
                           reward: USD(mturkString: config.reward) ?? run.reward)
        try await Spending.confirm(
            context: context,
            lines: [
                CostLine("Rewards (\(Plural.count(left, "more HIT")) × \(plan.reward))", plan.reward * left),
                CostLine("MTurk fees", plan.feePerAssignment * left),
            ],
            typedAmountThreshold: settings.confirmThreshold)
    }

    /// Opens HITs whenever open ones close, keeping at most `maxConnections` open, until the run's target is met.
    ///
    /// Each check reads the run's conversations from the run store and the status of every HIT that may still be
    /// open from the marketplace. A HIT counts as open while it is `Assignable` or `Unassignable` (a worker has
    /// accepted it). A returned HIT becomes `Assignable` again, so it stays open and is not replaced. New HITs go
    /// through the ledger and the same tokens as every other create-hits call, and the run never exceeds its total
    /// HITs.
    /// - Throws: `ToolError` when every HIT was created and none is open but the target is not met, or when the
    ///   marketplace fails `maxFailedPolls` checks in a row.
    func follow(runId: String) async throws {
        guard let initial = try context.runStore.run(id: runId) else {
            throw ToolError("run \(runId) not found in the run store \(context.stateDirectory.runStorePath)")
        }
        let config = try initial.config(as: RunConfig.self)
        let counting = config.countComplete ? "completed" : "started"
        let target = Plural.count(config.conversations, "conversation")
        context.console.note(
            "following run \(runId): checking every \(settings.pollInterval) s and opening a HIT whenever one is "
                + "submitted or expires"
                + (config.maxConnections > 0 ? " (at most \(config.maxConnections) open at once)" : "")
                + ", until \(target) \(Plural.verb(config.conversations, "has", "have")) \(counting); "
                + "stop with Ctrl-C or SIGTERM")

        var closed: Set<String> = []
        var hitTypeId = initial.hitTypeId
        var lastStatus = ""
        var failedPolls = 0
        while true {
            if let cause = stop.cause {
                try reportStop(runId: runId, config: config, cause: cause)
                return
            }

            let counted = try Self.countedConversations(context.runStore, runId: runId,
                                                        countComplete: config.countComplete)
            let ledger = try context.runStore.hits(run: runId)
            let open: Int
            do {
                open = try await openHITCount(ledger, closed: &closed)
                failedPolls = 0
            } catch {
                failedPolls += 1
                let message = context.describe(error).message
                guard failedPolls < Self.maxFailedPolls else {
                    throw ToolError(
                        "checking the HITs of run \(runId) failed \(failedPolls) times in a row: \(message)",
                        hint: "continue with: create-hits --run-id \(runId) --follow")
                }
                context.console.warning("checking the HITs of run \(runId) failed (\(failedPolls) of "
                    + "\(Self.maxFailedPolls) attempts); retrying in \(settings.pollInterval) s: \(message)")
                _ = await stop.sleep(seconds: Double(settings.pollInterval))
                continue
            }

            if counted >= config.conversations {
                try context.runStore.setRunStatus(runId, .finished)
                let leftOpen = open == 0 ? "no HIT is open"
                    : "\(Plural.count(open, "HIT")) \(Plural.verb(open, "is", "are")) still open; delete "
                        + "\(Plural.verb(open, "it", "them")) with: delete-hits --run \(runId)"
                context.console.note("run \(runId) reached its target: \(counted) of \(target) \(counting); "
                    + leftOpen)
                return
            }

            let unfinished = ledger.filter { $0.state == .pending || $0.state == .failed }.map(\.seq)
            let remaining = max(0, config.totalHITs - ledger.count)
            var room = remaining
            if config.maxConnections > 0 {
                room = min(remaining, max(0, config.maxConnections - open - unfinished.count))
            }
            let nextSeq = (ledger.map(\.seq).max() ?? 0) + 1
            let seqs = unfinished + Array(nextSeq..<(nextSeq + room))

            if !seqs.isEmpty {
                guard var run = try context.runStore.run(id: runId) else {
                    throw ToolError(
                        "run \(runId) disappeared from the run store \(context.stateDirectory.runStorePath)")
                }
                if hitTypeId == nil {
                    let requirements = try await requirementsForResume(run: run, config: config)
                    hitTypeId = try await HITCreator(context: context).ensureHITType(
                        run: run, config: config, requirements: requirements)
                }
                guard let hitTypeId else { continue }
                run.hitTypeId = hitTypeId
                context.console.note("run \(runId): \(Plural.count(open, "HIT")) open, opening "
                    + "\(Plural.count(seqs.count, "more HIT", "more HITs"))")
                do {
                    try await createBatch(run: run, config: config, hitTypeId: hitTypeId, seqs: seqs)
                } catch {
                    context.console.note("run \(runId): creating a HIT failed; after fixing the cause, continue "
                        + "with: create-hits --run-id \(runId) --follow")
                    throw error
                }
                if try context.runStore.hits(run: runId).count >= config.totalHITs {
                    try context.runStore.setRunStatus(runId, .active)
                }
                continue
            }

            let created = ledger.filter { $0.state == .created || $0.state == .deleted }.count
            if open == 0 && remaining == 0 && unfinished.isEmpty {
                throw ToolError(
                    "run \(runId) created all \(Plural.count(config.totalHITs, "HIT")) and none is open, but only "
                        + "\(counted) of \(target) \(counting)",
                    hint: "collect the rest in a new run, such as: create-hits --task DIR -n "
                        + "\(config.conversations - counted)")
            }

            let status = "run \(runId): \(counted) of \(target) \(counting), \(Plural.count(open, "HIT")) open, "
                + "\(created) of \(Plural.count(config.totalHITs, "HIT")) created"
            if status != lastStatus {
                context.console.note(status + "; checking again every \(settings.pollInterval) s")
                lastStatus = status
            }
            _ = await stop.sleep(seconds: Double(settings.pollInterval))
        }
    }

    /// Counts the HITs of `entries` that still take workers, and adds those that no longer can to `closed`, so that
    /// later checks skip them: a Reviewable or Disposed HIT does not become open again.
    func openHITCount(_ entries: [HITLedgerEntry], closed: inout Set<String>) async throws -> Int {
        var open = 0
        for entry in entries where entry.state == .created {
            guard let hitId = entry.hitId, !closed.contains(hitId) else { continue }
            let hit: HIT?
            do {
                hit = try await context.marketplace.getHIT(GetHITRequest(hitId: hitId)).hit
            } catch let error as MTurkError where error.isNotFound {
                hit = nil
            }
            if let status = hit?.hitStatus, status == .assignable || status == .unassignable {
                open += 1
            } else {
                closed.insert(hitId)
            }
        }
        return open
    }

    private func reportStop(runId: String, config: RunConfig, cause: String) throws {
        let ledger = try context.runStore.hits(run: runId)
        let created = ledger.filter { $0.state == .created || $0.state == .deleted }.count
        context.console.note(
            "stopped by \(cause): run \(runId) has \(created) of \(Plural.count(config.totalHITs, "HIT")) created; "
                + "continue with: create-hits --run-id \(runId) --follow")
    }
}
