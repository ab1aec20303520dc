import Foundation
import TurkModel
import TurkStore

/// The join checks and the submission poller of sandbox and live, which share one MTurk client.
struct MarketplaceChecks: Sendable {
    let authority: MarketplaceAuthority
    let poller: SubmissionPoller

    /// Builds both from the command's MTurk client in `configuration.remoteMarketplace`.
    /// - Throws: `ChatServerError` when there is no client or a setting is out of range.
    init(configuration: ChatServerConfiguration, runStore: RunStore) throws {
        guard let marketplace = configuration.remoteMarketplace else {
            throw ChatServerError("serve-chat needs an MTurk client for the \(configuration.target.rawValue) target; "
                                  + "the serve-chat command builds it from --profile or the AWS environment")
        }
        let pollSeconds = configuration.submissionPollSeconds
        guard pollSeconds.isFinite, pollSeconds >= 0.1, pollSeconds <= SubmissionPoller.maximumInterval else {
            throw ChatServerError("invalid submission poll interval \(pollSeconds) s: it must be from 0.1 to "
                                  + "\(Int(SubmissionPoller.maximumInterval)) seconds")
        }
        let checkSeconds = configuration.marketplaceCheckSeconds
        guard checkSeconds.isFinite, checkSeconds >= 0.1, checkSeconds <= 60 else {
            throw ChatServerError("invalid MTurk check timeout \(checkSeconds) s: it must be from 0.1 to 60 seconds")
        }
        authority = MarketplaceAuthority(
            marketplace: marketplace, runStore: runStore, target: configuration.target,
            logger: configuration.logger, checkTimeout: checkSeconds)
        poller = SubmissionPoller(marketplace: marketplace, authority: authority, logger: configuration.logger,
                                  interval: pollSeconds)
    }

    /// Cancels the MTurk calls in flight and keeps new ones from starting.
    func stop() {
        authority.stop()
        poller.stop()
    }
}

extension ChatServerCore {
    /// Schedules the next submission poll on sandbox and live; does nothing on the local target, where the worker
    /// site reports submissions itself.
    func scheduleSubmissionPoll() {
        guard let poller = marketplaceChecks?.poller, !poller.isStopped else { return }
        transport.schedule(after: poller.nextDelay) { [weak self] in
            self?.startSubmissionPoll()
        }
    }

    /// Collects the watched sessions on the service thread and polls MTurk for their HITs off it.
    private func startSubmissionPoll() {
        guard let poller = marketplaceChecks?.poller, !isStopping else { return }
        let now = Date()
        let sessions = engine.sessionsAwaitingSubmission().filter { Self.maySubmit($0, at: now) }
        guard !sessions.isEmpty else {
            scheduleSubmissionPoll()
            return
        }
        var byHIT: [String: [AssignmentKey]] = [:]
        var order: [String] = []
        for session in sessions.sorted(by: { $0.acceptedAt < $1.acceptedAt }) {
            if byHIT[session.hitId] == nil { order.append(session.hitId) }
            byHIT[session.hitId, default: []].append(session.key)
        }
        let watches = order.map { SubmissionWatch(hitId: $0, assignments: byHIT[$0]!) }
        let inbox = self.inbox
        poller.start(watches) { result in
            inbox.post { core in
                core.applySubmissionPoll(result)
                core.scheduleSubmissionPoll()
            }
        }
    }

    /// Returns whether MTurk may still take the session's submission. An assignment that passed its deadline is
    /// abandoned and can no longer be submitted, so polling for it would only spend the rate limit. The deadline is
    /// estimated from the time the worker joined, which is no earlier than MTurk's accept time, plus the run's
    /// assignment duration and a minute for clock skew. A run without a stored duration is polled without end.
    static func maySubmit(_ session: WorkerSession, at now: Date) -> Bool {
        guard let duration = session.run.config?.assignmentDurationSeconds else { return true }
        return now < session.acceptedAt.addingTimeInterval(TimeInterval(duration) + 60)
    }

    /// Applies what a poll found, as the worker site's externalSubmit does on the local target.
    private func applySubmissionPoll(_ result: SubmissionPollResult) {
        guard !isStopping else { return }
        let sessions = Dictionary(engine.sessionsAwaitingSubmission().map { ($0.key, $0) }) { first, _ in first }
        for key in result.submitted {
            guard let session = sessions[key] else { continue }
            logger.info("MTurk lists the assignment as submitted", session.metadata)
            engine.assignmentSubmitted(workerId: key.workerId, assignmentId: key.assignmentId)
        }
        for (key, submitter) in result.submittedByOthers {
            guard let session = sessions[key] else { continue }
            logger.warning("MTurk lists the assignment as submitted by another worker; ending this worker's hold",
                           session.metadata.merging(["submitter": submitter]) { current, _ in current })
            engine.leave(session, status: .returned, text: SubmissionPoller.submittedByAnotherText)
        }
    }
}
