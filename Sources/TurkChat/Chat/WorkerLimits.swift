import Foundation
import TurkModel
import TurkStore

/// A worker's standing in a run at join time, read from the run store.
struct WorkerStanding: Sendable {
    var completedInRun: Int
    var workingSecondsToday: TimeInterval
}

/// The run's worker limits (from create-hits' run configuration), checked when a worker joins and applied when
/// an assignment ends.
///
/// - `unique` and `max_hits_per_worker`: a worker who completed that many assignments of the run is turned away,
///   and gets the run's unique qualification when they reach the limit, so MTurk hides the HITs from them.
/// - `allowed_conversations`: how many assignments a worker may hold at once (checked in the engine's join).
/// - `max_time_seconds`: working time per UTC day; over it the worker is turned away and gets the max-time
///   qualification.
/// - Disconnects: more than `maxDisconnectsPerDay` in 24 hours gets a hard block (`hard_block`) or the
///   disconnect qualification.
enum WorkerLimits {
    /// Disconnects in 24 hours that a worker may have before the block; the next one blocks.
    static let maxDisconnectsPerDay = 5

    /// Returns the text that turns a worker away, or nil when they may work.
    static func refusal(config: RunConfig?, standing: WorkerStanding) -> String? {
        guard let config else { return nil }
        let limit = config.unique ? 1 : config.maxHITsPerWorker
        if limit > 0 && standing.completedInRun >= limit {
            return "You have done the most HITs of this task that one worker may do (\(limit)). Please return this "
                + "HIT; thank you for your work."
        }
        if config.maxTimeSeconds > 0 && standing.workingSecondsToday >= Double(config.maxTimeSeconds) {
            return "You have worked on this task for the most time allowed today. Please return this HIT and come "
                + "back tomorrow (UTC)."
        }
        return nil
    }
}

extension ChatEngine {
    /// Applies the run's limits after a worker's assignment reached `done`: the unique qualification at the HIT
    /// limit, and the max-time qualification past the daily time.
    func applyLimitsAfterCompletion(_ session: WorkerSession) {
        guard let config = session.run.config else { return }
        let limit = config.unique ? 1 : config.maxHITsPerWorker
        let workerId = session.key.workerId
        let runId = session.run.id
        storeWriter.perform({ store in
            WorkerStanding(completedInRun: try store.completedAssignments(workerId: workerId, run: runId),
                           workingSecondsToday: try store.workingSeconds(workerId: workerId, day: Date()))
        }) { [weak self] result in
            guard let self, case .success(let standing) = result else { return }
            if limit > 0, standing.completedInRun >= limit, let qualification = config.uniqueQualification {
                self.grant(qualification, to: session, reason: "reached the HIT limit of \(limit)")
            }
            if config.maxTimeSeconds > 0, standing.workingSecondsToday >= Double(config.maxTimeSeconds),
               let qualification = config.maxTimeQualification {
                self.grant(qualification, to: session, reason: "worked the daily time limit")
            }
        }
    }

    /// Counts a disconnect and blocks a worker who disconnects too often.
    func applyLimitsAfterDisconnect(_ session: WorkerSession) {
        guard let config = session.run.config, config.hardBlock || config.disconnectQualification != nil else {
            return
        }
        let workerId = session.key.workerId
        storeWriter.perform({ store in try store.disconnectsInLastDay(workerId: workerId) }) { [weak self] result in
            guard let self, case .success(let count) = result, count > WorkerLimits.maxDisconnectsPerDay else { return }
            if config.hardBlock {
                self.hardBlock(session, reason: "This worker disconnected from live chat HITs \(count) times in 24 "
                               + "hours, which leaves partners without a conversation.")
            } else if let qualification = config.disconnectQualification {
                self.grant(qualification, to: session, reason: "disconnected \(count) times in 24 hours")
            }
        }
    }

    /// Grants a qualification type that create-hits created for the run.
    func grant(_ qualification: NamedQualification, to session: WorkerSession, reason: String) {
        guard let marketplace = core.marketplace else { return }
        let logger = self.logger
        let metadata = session.metadata.merging(["qualification": qualification.name, "reason": reason]) { a, _ in a }
        let workerId = session.key.workerId
        Task {
            do {
                _ = try await marketplace.associateQualificationWithWorker(AssociateQualificationWithWorkerRequest(
                    qualificationTypeId: qualification.id, workerId: workerId, integerValue: 1,
                    sendNotification: false))
                logger.notice("granted a worker-limit qualification", metadata)
            } catch {
                logger.error("could not grant a worker-limit qualification",
                             metadata.merging(["error": String(describing: error)]) { a, _ in a })
            }
        }
    }

    private func hardBlock(_ session: WorkerSession, reason: String) {
        guard let marketplace = core.marketplace else { return }
        let logger = self.logger
        let metadata = session.metadata
        let workerId = session.key.workerId
        Task {
            do {
                _ = try await marketplace.createWorkerBlock(CreateWorkerBlockRequest(workerId: workerId, reason: reason))
                logger.notice("blocked a worker who disconnects too often", metadata)
            } catch {
                logger.error("could not block a worker", metadata.merging(["error": String(describing: error)]) { a, _ in a })
            }
        }
    }
}
