import Foundation
import TurkModel
import TurkStore

// The requester operations the tools do not call, for boto3 and AWS CLI users of the wire endpoint: CreateHIT,
// ListReviewableHITs, UpdateHITReviewStatus, CreateAdditionalAssignmentsForHIT, NotifyWorkers,
// GetQualificationType, DeleteQualificationType, GetQualificationScore.

/// An e-mail that NotifyWorkers sent to one worker. The local marketplace stores it instead of sending it.
public struct WorkerNotification: Sendable, Equatable {
    public var workerId: String
    public var subject: String
    public var messageText: String
    public var sentAt: Date
}

extension LocalMarketplace: ExtendedMarketplace {
    /// The day before which MTurk created HITs that cannot be extended: 2015-07-22 (UTC).
    public static let oldestExtendableHIT = Date(timeIntervalSince1970: 1_437_523_200)
    /// The maximum number of workers in one NotifyWorkers call, as MTurk documents.
    public static let maximumNotifiedWorkers = 100

    // MARK: - CreateHIT

    /// Creates a HIT type as CreateHITType does (reusing an identical one) and one HIT of it as
    /// CreateHITWithHITType does, in one transaction: a failure, such as a reused `UniqueRequestToken`, leaves no
    /// new HIT type behind.
    public func createHIT(_ request: CreateHITRequest) async throws -> CreateHITResponse {
        try write { now in
            if let layout = request.hitLayoutId {
                throw LocalError.request(
                    "HITLayoutId \(layout) cannot be used here, because the local marketplace has no layouts; "
                        + "pass the HIT's Question instead.", now)
            }
            let hitTypeId = try insertHITType(request.hitTypeRequest, now)
            return CreateHITResponse(hit: try insertHIT(request.hitRequest(hitTypeId: hitTypeId), now))
        }
    }

    // MARK: - ListReviewableHITs, UpdateHITReviewStatus

    /// Lists the HITs in status Reviewable (the default) or Reviewing, oldest first, optionally of one HIT type. An
    /// unknown HIT type gives an empty list.
    public func listReviewableHITs(_ request: ListReviewableHITsRequest) async throws -> ListReviewableHITsResponse {
        try write { now in
            let size = try LocalValidation.pageSize(request.maxResults)
            let after = try PageToken.parse(request.nextToken, "ListReviewableHITs", now)
            let status = request.status ?? .reviewable
            guard status == .reviewable || status == .reviewing else {
                throw LocalError.validation(
                    status.rawValue, at: "status", "Member must satisfy enum value set: [Reviewable, Reviewing]")
            }
            var condition = HITRow.reviewableCondition + " AND hits.reviewing = ?"
            var parameters: [any SQLiteBindable] = [now, status == .reviewing]
            if let hitTypeId = request.hitTypeId {
                try LocalValidation.entityID(hitTypeId, "hitTypeId")
                condition += " AND hits.hit_type_id = ?"
                parameters.append(hitTypeId)
            }
            let rows = try HITRow.load(
                database, where: condition + " AND hits.seq > ? ORDER BY hits.seq LIMIT ?",
                parameters + [after, size + 1])
            let page = Array(rows.prefix(size))
            let next = rows.count > size ? page.last.map { PageToken.make("ListReviewableHITs", after: $0.seq) } : nil
            return ListReviewableHITsResponse(nextToken: next, numResults: page.count, hits: page.map { $0.hit(now) })
        }
    }

    /// Moves a Reviewable HIT to Reviewing, or with `Revert` a Reviewing HIT back to Reviewable. Other statuses
    /// fail with the message MTurk gives for DeleteHIT in the wrong status.
    public func updateHITReviewStatus(_ request: UpdateHITReviewStatusRequest) async throws -> EmptyResponse {
        try write { now in
            try LocalValidation.entityID(request.hitId, "hitId")
            let status = try requireHIT(request.hitId, now).status(now)
            let revert = request.revert ?? false
            let required: HITStatus = revert ? .reviewing : .reviewable
            guard status == required else {
                throw LocalError.hitState(status, allowed: required.rawValue, now)
            }
            try database.run("UPDATE hits SET reviewing = ? WHERE hit_id = ?", [!revert, request.hitId])
            return EmptyResponse()
        }
    }

    // MARK: - CreateAdditionalAssignmentsForHIT

    /// Adds assignment slots to a HIT, with MTurk's rules. A HIT with fewer than 10 cannot reach 10 or more, and
    /// HITs created before 2015-07-22 cannot be extended. A `UniqueRequestToken` used in the last 24 hours fails
    /// with `AWS.MechanicalTurk.DuplicateRequest` and adds nothing.
    ///
    /// An expired HIT gets its slots but stays expired until UpdateExpirationForHIT moves its expiration on.
    /// A Reviewing HIT that the new slots make Assignable loses its Reviewing mark.
    public func createAdditionalAssignmentsForHIT(_ request: CreateAdditionalAssignmentsForHITRequest) async throws
        -> EmptyResponse
    {
        try write { now in
            try LocalValidation.entityID(request.hitId, "hitId")
            try LocalValidation.requestToken(request.uniqueRequestToken)
            let row = try requireHIT(request.hitId, now)
            let operation = CreateAdditionalAssignmentsForHITRequest.operationName
            if let token = request.uniqueRequestToken,
               let requestId = try rememberedToken(operation: operation, token: token, now)
            {
                throw LocalError.duplicateExtension(token: token, requestId: requestId, now)
            }

            let extra = request.numberOfAdditionalAssignments
            let limit = 1_000_000
            guard extra >= 1 else {
                throw LocalError.request("NumberOfAdditionalAssignments must be at least 1; got \(extra).", now)
            }
            guard extra <= limit - row.maxAssignments else {
                throw LocalError.request(
                    "MaxAssignments must be from 1 to \(limit); this HIT has \(row.maxAssignments) and "
                        + "\(extra) more would exceed that.", now)
            }
            let total = row.maxAssignments + extra
            if row.maxAssignments < 10 && total >= 10 {
                throw LocalError.request(
                    "HITs created with fewer than 10 assignments cannot be extended to 10 or more; this HIT has "
                        + "\(row.maxAssignments) and \(extra) more would make \(total).", now,
                    turkErrorCode: "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease")
            }
            guard row.createdAt >= Self.oldestExtendableHIT else {
                throw LocalError.request(
                    "HIT \(row.hitId) was created before July 22, 2015 and cannot be extended.", now,
                    turkErrorCode: "AWS.MechanicalTurk.HITTooOldForExtension")
            }

            // The fee rate is the same before and after, because a HIT cannot cross 10 assignments here.
            let cost = (row.reward + MTurkFees.assignmentFee(reward: row.reward, maxAssignments: total)) * extra
            let available = try balance(now).available
            guard cost <= available else { throw LocalError.insufficientFunds(needed: cost, available: available, now) }

            try database.run(
                """
                UPDATE hits SET max_assignments = ?, reviewing = CASE WHEN expiration > ? THEN 0 ELSE reviewing END
                WHERE hit_id = ?
                """,
                [total, now, row.hitId])
            if let token = request.uniqueRequestToken {
                try rememberToken(
                    operation: operation, token: token, resultId: UUID().uuidString.lowercased(), now)
            }
            return EmptyResponse()
        }
    }

    // MARK: - NotifyWorkers

    /// Stores an e-mail for each listed worker whose work this requester has approved or rejected, as MTurk sends
    /// mail only to those. Each other worker comes back as a `HardFailure`. A worker listed twice gets one e-mail.
    ///
    /// NOTE: MTurk documents the rule and the failure codes but not the failure text, so the message here is
    /// this project's wording, and whether MTurk reports this case as a hard or a soft failure is a guess.
    public func notifyWorkers(_ request: NotifyWorkersRequest) async throws -> NotifyWorkersResponse {
        try write { now in
            try LocalValidation.length(request.subject, "Subject", max: 200, required: true, now)
            try LocalValidation.length(request.messageText, "MessageText", max: 4_096, required: true, now)
            let count = request.workerIds.count
            guard (1...Self.maximumNotifiedWorkers).contains(count) else {
                throw LocalError.request(
                    "WorkerIds must list 1 to \(Self.maximumNotifiedWorkers) workers; it lists \(count).", now)
            }
            for workerId in request.workerIds {
                try LocalValidation.workerID(workerId, "workerIds.member")
            }

            var failures: [NotifyWorkersFailureStatus] = []
            var seen: Set<String> = []
            for workerId in request.workerIds where seen.insert(workerId).inserted {
                let reviewed = try database.queryOne(
                    "SELECT 1 AS found FROM assignments WHERE worker_id = ? AND status IN ('Approved', 'Rejected')",
                    [workerId]) != nil
                guard reviewed else {
                    failures.append(NotifyWorkersFailureStatus(
                        notifyWorkersFailureCode: .hardFailure,
                        notifyWorkersFailureMessage: "Worker \(workerId) cannot be notified, because you have not "
                            + "approved or rejected any of their work.",
                        workerId: workerId))
                    continue
                }
                try database.run(
                    """
                    INSERT INTO worker_notifications (worker_id, subject, message_text, sent_at)
                    VALUES (?, ?, ?, ?)
                    """,
                    [workerId, request.subject, request.messageText, now])
            }
            return NotifyWorkersResponse(notifyWorkersFailureStatuses: failures)
        }
    }

    /// Returns the e-mails NotifyWorkers stored for a worker, oldest first.
    public func notifications(workerId: String) throws -> [WorkerNotification] {
        try write { _ in
            try database.query(
                "SELECT * FROM worker_notifications WHERE worker_id = ? ORDER BY seq", [workerId]
            ).map { row in
                WorkerNotification(
                    workerId: row.string("worker_id") ?? workerId, subject: row.string("subject") ?? "",
                    messageText: row.string("message_text") ?? "",
                    sentAt: row.date("sent_at") ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    // MARK: - GetQualificationType, DeleteQualificationType, GetQualificationScore

    /// Returns one of the caller's qualification types, or one of MTurk's system types.
    public func getQualificationType(_ request: GetQualificationTypeRequest) async throws
        -> GetQualificationTypeResponse
    {
        try write { now in
            let id = request.qualificationTypeId
            try LocalValidation.entityID(id, "qualificationTypeId")
            guard let type = try ownedQualificationType(id) ?? Self.systemQualificationType(id) else {
                throw LocalError.qualificationTypeNotFound(id, now)
            }
            return GetQualificationTypeResponse(qualificationType: type)
        }
    }

    /// Deletes one of the caller's qualification types at once, so its name is free again; MTurk may take up to
    /// 48 hours for both. Granted qualifications stay, as MTurk keeps them for HITs that already require the
    /// type, but new HIT types cannot use it and HIT types that do can no longer get new HITs.
    public func deleteQualificationType(_ request: DeleteQualificationTypeRequest) async throws -> EmptyResponse {
        try write { now in
            let id = request.qualificationTypeId
            try LocalValidation.entityID(id, "qualificationTypeId")
            if Self.systemQualificationType(id) != nil {
                throw LocalError.request(
                    "QualificationType \(id) is one of MTurk's system types, which cannot be deleted.", now)
            }
            let deleted = try database.run("DELETE FROM qualification_types WHERE qualification_type_id = ?", [id])
            guard deleted > 0 else { throw LocalError.qualificationTypeNotFound(id, now) }
            return EmptyResponse()
        }
    }

    /// Returns a worker's qualification of one of the caller's types (or Masters, which the local marketplace lets
    /// the requester grant), granted or revoked.
    public func getQualificationScore(_ request: GetQualificationScoreRequest) async throws
        -> GetQualificationScoreResponse
    {
        try write { now in
            try LocalValidation.entityID(request.qualificationTypeId, "qualificationTypeId")
            try LocalValidation.workerID(request.workerId)
            try requireGrantableType(request.qualificationTypeId, now)
            guard let row = try database.queryOne(
                "SELECT * FROM qualifications WHERE qualification_type_id = ? AND worker_id = ?",
                [request.qualificationTypeId, request.workerId])
            else {
                throw LocalError.request("You requested a Qualification that does not exist.", now)
            }
            return GetQualificationScoreResponse(qualification: Self.qualification(row))
        }
    }
}
