import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// `delete-hits`: expires and deletes HITs, including orphans that a crash left out of the ledger.
public enum DeleteHitsCommand {
    /// Runs the tool and returns its exit status.
    public static func main(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        console: Console? = nil
    ) async -> Int32 {
        await ToolRunner.run(spec: DeleteHitsSpec.spec, arguments: arguments, environment: environment,
                             console: console) { parsed, console in
            let settings = try DeleteHitsSettings(parsed: parsed)
            let context = try MarketplaceFactory.context(parsed: parsed, console: console)
            defer { context.runStore.close() }
            try await DeleteHitsJob(context: context, settings: settings).run()
        }
    }
}

/// The options of one delete-hits call.
public struct DeleteHitsSettings: Sendable {
    public var runId: String?
    /// HITs named with `--hit`.
    public var hitIds: [String]
    public var all: Bool
    public var account: Bool
    public var title: String?
    public var annotation: String?
    public var olderThan: Int?
    public var dryRun: Bool
    public var waitSeconds: Int
    public var approveSubmitted: Bool
    public var rejectReason: String?

    public init(parsed: ParsedArguments) throws {
        runId = try parsed.nonEmptyValue("run")

        hitIds = []
        for id in parsed.values("hit") {
            let trimmed = id.trimmingCharacters(in: .whitespaces)
            guard MTurkID.isEntityID(trimmed) else {
                throw UsageError("invalid HIT id '\(id)' for --hit: expected upper-case letters and digits")
            }
            if !hitIds.contains(trimmed) { hitIds.append(trimmed) }
        }

        all = parsed.flag("all")
        account = parsed.flag("account")
        title = try parsed.nonEmptyValue("title")
        annotation = try parsed.nonEmptyValue("annotation")
        olderThan = try parsed.seconds("older-than")
        dryRun = parsed.flag("dry-run")
        waitSeconds = try parsed.seconds("wait", in: 0...86_400) ?? 0
        approveSubmitted = parsed.flag("approve-submitted")
        rejectReason = parsed.value("reject-submitted")?.trimmingCharacters(in: .whitespacesAndNewlines)

        try parsed.checkExclusive("run", "all")
        try parsed.checkExclusive("approve-submitted", "reject-submitted")
        if let reason = rejectReason, reason.isEmpty {
            throw UsageError("--reject-submitted needs a reason, which the workers see")
        }
        guard runId != nil || !hitIds.isEmpty || all || account else {
            throw UsageError("choose the HITs: --run ID, --hit ID, --all (every HIT in the run store) or --account")
        }
        if account && runId == nil && title == nil && annotation == nil && olderThan == nil {
            throw UsageError(
                "--account needs --run, --title, --annotation or --older-than, so it cannot delete every HIT of the "
                    + "account by accident",
                hint: "HITs created by turkchat carry the annotation 'turkchat run=<id>', so --annotation turkchat "
                    + "selects all of them")
        }
    }
}

/// The outcome for one HIT, printed as one line of text, or of JSON with `--json`.
public struct DeleteHitsOutcome: Codable, Sendable, Equatable {
    public var hitId: String
    public var runId: String?
    public var title: String?
    /// The HIT's status before delete-hits acted.
    public var status: String?
    /// Steps taken, such as `expired`, `approved 2`, `deleted`; in a dry run, the steps it would take.
    public var actions: [String]
    /// `deleted`, `already deleted`, `not deleted`, `not found`, or `would delete` and `would not delete` in a dry
    /// run.
    public var outcome: String
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case title, status, actions, outcome, reason
        case hitId = "hit_id"
        case runId = "run_id"
    }

    /// The line for people: `3ABC…  deleted  run r2026…  was Assignable: expired, deleted`, and the reason in
    /// parentheses.
    public var textLine: String {
        var text = "\(hitId)  \(outcome)"
        if let runId { text += "  run \(runId)" }
        if let status { text += "  was \(status)" }
        if !actions.isEmpty { text += ": " + actions.joined(separator: ", ") }
        if let reason { text += "  (\(reason))" }
        return text
    }
}

/// One delete-hits call.
public struct DeleteHitsJob: Sendable {
    public let context: ToolContext
    public let settings: DeleteHitsSettings
    /// Seconds between checks for pending assignments while waiting.
    public var pollInterval: Double = 5

    public init(context: ToolContext, settings: DeleteHitsSettings) {
        self.context = context
        self.settings = settings
    }

    /// A HIT to process, with the run the ledger or its annotation names.
    struct Candidate {
        var hit: HIT
        var runId: String?
    }

    public func run() async throws {
        var outcomes: [String: DeleteHitsOutcome] = [:]
        let candidates = try await select(&outcomes)
        if candidates.isEmpty && outcomes.isEmpty {
            context.console.note("no HIT matches")
            return
        }

        // Expire every open HIT first, so no new worker accepts one while the others are handled.
        var hits: [Candidate] = []
        for candidate in candidates {
            var outcome = DeleteHitsOutcome(
                hitId: candidate.hit.hitId ?? "", runId: candidate.runId, title: candidate.hit.title,
                status: candidate.hit.hitStatus?.rawValue, actions: [], outcome: "")
            var current = candidate
            if isOpen(candidate.hit) {
                if settings.dryRun {
                    outcome.actions.append("would expire")
                } else {
                    do {
                        current.hit = try await expire(candidate.hit)
                        outcome.actions.append("expired")
                    } catch {
                        outcome.outcome = "not deleted"
                        outcome.reason = "expiring failed: \(context.describe(error).message)"
                    }
                }
            }
            outcomes[outcome.hitId] = outcome
            if outcome.outcome.isEmpty { hits.append(current) }
        }

        if settings.waitSeconds > 0 && !settings.dryRun {
            hits = try await waitForPendingWork(hits)
        }

        var failures = 0
        for candidate in hits {
            guard var outcome = outcomes[candidate.hit.hitId ?? ""] else { continue }
            await finish(candidate, &outcome)
            outcomes[outcome.hitId] = outcome
        }

        let ordered = (candidates.map { $0.hit.hitId ?? "" } + outcomes.keys.sorted()).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        for hitId in ordered {
            guard let outcome = outcomes[hitId] else { continue }
            try context.writeResult(outcome, text: outcome.textLine)
            if outcome.outcome == "not found" {
                failures += 1
                context.console.error(
                    "HIT \(hitId) not found on the \(context.target.rawValue) marketplace", hint: context.unknownIdHint)
            } else if outcome.outcome == "not deleted" {
                failures += 1
                context.console.error("HIT \(hitId) was not deleted: \(outcome.reason ?? "unknown reason")")
            }
        }
        try markRunsDeleted(candidates)
        if failures > 0 {
            let remain = Plural.verb(failures, "remains", "remain")
            context.console.note("\(Plural.count(failures, "HIT")) \(remain); rerun delete-hits once the reasons above "
                + "are resolved")
            throw ExitCode.failure
        }
    }

    // MARK: - Selection

    private func select(_ outcomes: inout [String: DeleteHitsOutcome]) async throws -> [Candidate] {
        var byId: [String: Candidate] = [:]
        var order: [String] = []
        func add(_ hit: HIT, runId: String?) {
            guard let id = hit.hitId, byId[id] == nil else { return }
            byId[id] = Candidate(hit: hit, runId: runId)
            order.append(id)
        }

        // The ledger: HITs this state directory created.
        var ledger: [HITLedgerEntry] = []
        var ledgerHasGaps = false
        if let runId = settings.runId {
            guard let run = try context.runStore.run(id: runId) else {
                throw ToolError("run \(runId) not found in the run store \(context.stateDirectory.runStorePath)",
                                hint: "to find its HITs on the marketplace anyway, pass --account --annotation "
                                    + "'run=\(runId)'")
            }
            guard run.target == context.target else {
                throw ToolError("run \(runId) was created on the \(run.target.rawValue) target, not "
                    + "\(context.target.rawValue)", hint: run.target == .live ? "pass --live" : "pass --target "
                        + run.target.rawValue)
            }
            ledger = try context.runStore.hits(run: runId)
        } else if settings.all {
            let runs = Set(try context.runStore.runs().filter { $0.target == context.target }.map(\.id))
            ledger = try context.runStore.allHITs().filter { runs.contains($0.runId) }
        }
        for entry in ledger {
            guard entry.state == .created, let hitId = entry.hitId else {
                if entry.state == .pending || entry.state == .failed { ledgerHasGaps = true }
                continue
            }
            do {
                if let hit = try await context.marketplace.getHIT(GetHITRequest(hitId: hitId)).hit {
                    add(hit, runId: entry.runId)
                }
            } catch let error as MTurkError where error.isNotFound {
                if !settings.dryRun { _ = try context.runStore.markHITDeleted(hitId: hitId) }
                outcomes[hitId] = DeleteHitsOutcome(
                    hitId: hitId, runId: entry.runId, actions: [], outcome: "already deleted",
                    reason: "the marketplace no longer has it")
            }
        }

        // HITs named on the command line, which need not be in the ledger.
        for hitId in settings.hitIds {
            do {
                if let hit = try await context.marketplace.getHIT(GetHITRequest(hitId: hitId)).hit {
                    add(hit, runId: try context.runStore.hitEntry(hitId: hitId)?.runId
                        ?? hit.requesterAnnotation.flatMap { Self.runId(fromAnnotation: $0 + " ") })
                }
            } catch let error as MTurkError where error.isNotFound {
                outcomes[hitId] = DeleteHitsOutcome(
                    hitId: hitId, actions: [], outcome: "not found",
                    reason: "the \(context.target.rawValue) marketplace does not have it")
            }
        }

        // The account: every HIT, for orphans whose create call the ledger never saw confirmed.
        if settings.account || ledgerHasGaps {
            if ledgerHasGaps && !settings.account {
                context.console.note("the ledger has HITs whose creation was interrupted; searching the account "
                    + "for them by annotation")
            }
            let runMarker = settings.runId.map { "run=\($0) " }
            for hit in try await context.marketplace.allHITs() {
                let annotation = (hit.requesterAnnotation ?? "") + " "
                if let runMarker {
                    guard annotation.contains(runMarker) else { continue }
                } else if !settings.account {
                    // --all without --account: only HITs of this state directory's runs.
                    guard let runId = Self.runId(fromAnnotation: annotation),
                          try context.runStore.run(id: runId)?.target == context.target
                    else { continue }
                }
                add(hit, runId: Self.runId(fromAnnotation: annotation))
                try repairLedger(hit)
            }
        }

        return order.compactMap { byId[$0] }.filter(matchesFilters)
    }

    /// Records a HIT found on the account in its ledger row when the row's create call was interrupted.
    private func repairLedger(_ hit: HIT) throws {
        guard !settings.dryRun, let hitId = hit.hitId, let annotation = hit.requesterAnnotation,
              let runId = Self.runId(fromAnnotation: annotation + " "),
              let seqText = annotation.range(of: "seq=").map({ annotation[$0.upperBound...].prefix { $0.isNumber } }),
              let seq = Int(seqText),
              let entry = try context.runStore.hitEntry(run: runId, seq: seq),
              entry.state == .pending || entry.state == .failed
        else { return }
        try context.runStore.markHITCreated(run: runId, seq: seq, hitId: hitId)
    }

    private func matchesFilters(_ candidate: Candidate) -> Bool {
        let hit = candidate.hit
        if let title = settings.title, !(hit.title ?? "").localizedCaseInsensitiveContains(title) { return false }
        if let annotation = settings.annotation, !(hit.requesterAnnotation ?? "").contains(annotation) { return false }
        if let olderThan = settings.olderThan {
            guard let created = hit.creationTime,
                  context.clock().timeIntervalSince(created) > Double(olderThan) else { return false }
        }
        return true
    }

    /// Returns the run id in an annotation written by create-hits (`turkchat run=<id> seq=<n>`).
    static func runId(fromAnnotation annotation: String) -> String? {
        guard let range = annotation.range(of: "run=") else { return nil }
        let rest = annotation[range.upperBound...]
        let id = rest.prefix { !$0.isWhitespace }
        return id.isEmpty ? nil : String(id)
    }

    // MARK: - Steps

    private func isOpen(_ hit: HIT) -> Bool {
        guard let status = hit.hitStatus else { return false }
        if status != .assignable && status != .unassignable { return false }
        guard let expiration = hit.expiration else { return true }
        return expiration > context.clock()
    }

    /// Expires a HIT at once, as peers do, by moving its expiration into the past, and returns the HIT afterwards.
    private func expire(_ hit: HIT) async throws -> HIT {
        guard let hitId = hit.hitId else { return hit }
        _ = try await context.marketplace.updateExpirationForHIT(UpdateExpirationForHITRequest(
            hitId: hitId, expireAt: Date(timeIntervalSince1970: 1_420_070_400)))
        return try await context.marketplace.getHIT(GetHITRequest(hitId: hitId)).hit ?? hit
    }

    /// Polls the HITs until none has pending (accepted, unsubmitted) work or the wait runs out.
    private func waitForPendingWork(_ hits: [Candidate]) async throws -> [Candidate] {
        var current = hits
        let deadline = context.clock().addingTimeInterval(Double(settings.waitSeconds))
        while current.contains(where: { ($0.hit.numberOfAssignmentsPending ?? 0) > 0 }) {
            let remaining = deadline.timeIntervalSince(context.clock())
            guard remaining > 0 else { break }
            let pending = current.reduce(0) { $0 + ($1.hit.numberOfAssignmentsPending ?? 0) }
            context.console.note("waiting for \(Plural.count(pending, "assignment")) in progress "
                + "(\(Int(remaining.rounded())) s left)")
            try await Task.sleep(for: .seconds(min(pollInterval, remaining)))
            for index in current.indices where (current[index].hit.numberOfAssignmentsPending ?? 0) > 0 {
                guard let hitId = current[index].hit.hitId else { continue }
                if let hit = try await context.marketplace.getHIT(GetHITRequest(hitId: hitId)).hit {
                    current[index].hit = hit
                }
            }
        }
        return current
    }

    /// Approves or rejects a HIT's submitted work as --approve-submitted or --reject-submitted request, then deletes
    /// the HIT, or records why it cannot be deleted.
    private func finish(_ candidate: Candidate, _ outcome: inout DeleteHitsOutcome) async {
        let hit = candidate.hit
        guard let hitId = hit.hitId else { return }
        let pending = hit.numberOfAssignmentsPending ?? 0
        if pending > 0 {
            outcome.outcome = settings.dryRun ? "would not delete" : "not deleted"
            let one = pending == 1
            outcome.reason = "\(Plural.count(pending, "assignment")) \(one ? "is" : "are") still in progress; rerun "
                + "after \(one ? "it is" : "they are") submitted or \(one ? "its" : "their") deadline passes, or pass "
                + "--wait SECONDS"
            return
        }
        do {
            let submitted = try await context.marketplace.allAssignments(hitId: hitId, statuses: [.submitted])
            if !submitted.isEmpty {
                guard settings.approveSubmitted || settings.rejectReason != nil else {
                    outcome.outcome = settings.dryRun ? "would not delete" : "not deleted"
                    outcome.reason = "\(Plural.count(submitted.count, "submitted assignment")) "
                        + "\(Plural.verb(submitted.count, "awaits", "await")) review; review "
                        + "\(Plural.verb(submitted.count, "it", "them")), or pass "
                        + "--approve-submitted or --reject-submitted REASON"
                    return
                }
                if settings.dryRun {
                    let verb = settings.approveSubmitted ? "approve" : "reject"
                    outcome.actions.append("would \(verb) \(submitted.count)")
                } else {
                    try await review(submitted, runId: candidate.runId)
                    let done = settings.approveSubmitted ? "approved" : "rejected"
                    outcome.actions.append("\(done) \(submitted.count)")
                }
            }
            if settings.dryRun {
                let status = hit.hitStatus
                let expiresNow = outcome.actions.contains("would expire")
                if status == .reviewable || status == .reviewing || expiresNow {
                    outcome.outcome = "would delete"
                } else {
                    outcome.outcome = "would not delete"
                    outcome.reason = "it is \(status?.rawValue ?? "in an unknown state")"
                }
                return
            }
            _ = try await context.marketplace.deleteHIT(DeleteHITRequest(hitId: hitId))
            _ = try context.runStore.markHITDeleted(hitId: hitId)
            outcome.actions.append("deleted")
            outcome.outcome = "deleted"
        } catch let error as MTurkError where error.isNotFound {
            _ = try? context.runStore.markHITDeleted(hitId: hitId)
            outcome.outcome = "already deleted"
            outcome.reason = "the marketplace no longer has it"
        } catch {
            outcome.outcome = "not deleted"
            outcome.reason = context.describe(error).message
        }
    }

    private func review(_ assignments: [Assignment], runId: String?) async throws {
        for assignment in assignments {
            guard let assignmentId = assignment.assignmentId else { continue }
            if let reason = settings.rejectReason {
                _ = try await context.marketplace.rejectAssignment(
                    RejectAssignmentRequest(assignmentId: assignmentId, requesterFeedback: reason))
                try context.runStore.logReview(
                    assignmentId: assignmentId, workerId: assignment.workerId, hitId: assignment.hitId, run: runId,
                    decision: .reject, feedback: reason, outcome: "rejected by delete-hits")
            } else {
                _ = try await context.marketplace.approveAssignment(ApproveAssignmentRequest(assignmentId: assignmentId))
                try context.runStore.logReview(
                    assignmentId: assignmentId, workerId: assignment.workerId, hitId: assignment.hitId, run: runId,
                    decision: .approve, outcome: "approved by delete-hits")
            }
        }
    }

    /// Marks each run whose ledger HITs are all deleted.
    private func markRunsDeleted(_ candidates: [Candidate]) throws {
        guard !settings.dryRun else { return }
        let runIds = Set(candidates.compactMap(\.runId) + (settings.runId.map { [$0] } ?? []))
        for runId in runIds {
            guard try context.runStore.run(id: runId) != nil else { continue }
            let entries = try context.runStore.hits(run: runId)
            if !entries.isEmpty && entries.allSatisfy({ $0.state == .deleted }) {
                try context.runStore.setRunStatus(runId, .deleted)
            }
        }
    }
}
