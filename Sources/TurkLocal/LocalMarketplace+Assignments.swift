import Foundation
import TurkModel
import TurkStore

// Assignments and money: ListAssignmentsForHIT, GetAssignment, ApproveAssignment, RejectAssignment, SendBonus,
// ListBonusPayments, GetAccountBalance.

/// A stored assignment row.
struct AssignmentRow {
    var seq: Int64
    var assignmentId: String
    var hitId: String
    var workerId: String
    var status: LocalAssignmentStatus
    var acceptTime: Date
    var deadline: Date
    var submitTime: Date?
    var autoApprovalTime: Date?
    var approvalTime: Date?
    var rejectionTime: Date?
    var endTime: Date?
    var answer: String?
    var requesterFeedback: String?

    init(_ row: SQLiteRow) throws {
        seq = row.int64("seq") ?? 0
        assignmentId = row.string("assignment_id") ?? ""
        hitId = row.string("hit_id") ?? ""
        workerId = row.string("worker_id") ?? ""
        let rawStatus = row.string("status") ?? ""
        guard let status = LocalAssignmentStatus(rawValue: rawStatus) else {
            throw MTurkError.serviceFault("the local marketplace has an assignment with unknown status '\(rawStatus)'")
        }
        self.status = status
        acceptTime = row.date("accept_time") ?? Date(timeIntervalSince1970: 0)
        deadline = row.date("deadline") ?? Date(timeIntervalSince1970: 0)
        submitTime = row.date("submit_time")
        autoApprovalTime = row.date("auto_approval_time")
        approvalTime = row.date("approval_time")
        rejectionTime = row.date("rejection_time")
        endTime = row.date("end_time")
        answer = row.string("answer")
        requesterFeedback = row.string("requester_feedback")
    }

    /// The assignment as the requester API shows it.
    var assignment: Assignment {
        var assignment = Assignment(assignmentId: assignmentId)
        assignment.workerId = workerId
        assignment.hitId = hitId
        assignment.assignmentStatus = status.apiStatus
        assignment.autoApprovalTime = autoApprovalTime
        assignment.acceptTime = acceptTime
        assignment.submitTime = submitTime
        assignment.approvalTime = approvalTime
        assignment.rejectionTime = rejectionTime
        assignment.deadline = deadline
        assignment.answer = answer
        assignment.requesterFeedback = requesterFeedback
        return assignment
    }

    var workerAssignment: WorkerAssignment {
        WorkerAssignment(
            assignmentId: assignmentId, hitId: hitId, workerId: workerId, status: status, acceptTime: acceptTime,
            deadline: deadline, submitTime: submitTime, answer: answer)
    }
}

/// The statuses of an assignment inside the local marketplace. The requester API shows only the last three of
/// MTurk's life cycle (Submitted, Approved, Rejected). The others exist only on the worker side.
public enum LocalAssignmentStatus: String, Sendable, CaseIterable, Codable {
    /// Accepted by a worker and not yet submitted, returned or abandoned.
    case accepted = "Accepted"
    case submitted = "Submitted"
    case approved = "Approved"
    case rejected = "Rejected"
    /// Given back by the worker, so the slot is free again.
    case returned = "Returned"
    /// Not submitted before its deadline, so the slot is free again.
    case abandoned = "Abandoned"

    /// The requester API's status, nil for work that the requester API never shows.
    public var apiStatus: AssignmentStatus? {
        switch self {
        case .submitted: return .submitted
        case .approved: return .approved
        case .rejected: return .rejected
        case .accepted, .returned, .abandoned: return nil
        }
    }
}

/// The available money of the local account and the money held for work that may still be paid.
public struct LocalBalance: Sendable, Equatable {
    /// The starting balance minus every reward, bonus and fee paid.
    public var ledger: USD
    /// Rewards and fees held for pending, submitted and still open assignment slots.
    public var onHold: USD
    /// The amount that new HITs and bonuses may spend: `ledger` minus `onHold`.
    public var available: USD { ledger - onHold }
}

extension LocalMarketplace {
    // MARK: - ListAssignmentsForHIT, GetAssignment

    public func listAssignmentsForHIT(_ request: ListAssignmentsForHITRequest) async throws
        -> ListAssignmentsForHITResponse
    {
        try write { now in
            try LocalValidation.entityID(request.hitId, "hitId")
            let size = try LocalValidation.pageSize(request.maxResults)
            let after = try PageToken.parse(request.nextToken, "ListAssignmentsForHIT", now)
            _ = try requireHIT(request.hitId, now)
            let statuses = request.assignmentStatuses ?? [.submitted, .approved, .rejected]
            for status in statuses where ![AssignmentStatus.submitted, .approved, .rejected].contains(status) {
                throw LocalError.validation(
                    status.rawValue, at: "assignmentStatuses",
                    "Member must satisfy enum value set: [Submitted, Approved, Rejected]")
            }
            let placeholders = statuses.map { _ in "?" }.joined(separator: ", ")
            let rows = try database.query(
                """
                SELECT * FROM assignments WHERE hit_id = ? AND status IN (\(placeholders)) AND seq > ?
                ORDER BY seq LIMIT ?
                """,
                [request.hitId as any SQLiteBindable] + statuses.map(\.rawValue) + [after, size + 1]
            ).map(AssignmentRow.init)
            let page = Array(rows.prefix(size))
            let next = rows.count > size ? page.last.map { PageToken.make("ListAssignmentsForHIT", after: $0.seq) } : nil
            return ListAssignmentsForHITResponse(
                nextToken: next, numResults: page.count, assignments: page.map(\.assignment))
        }
    }

    public func getAssignment(_ request: GetAssignmentRequest) async throws -> GetAssignmentResponse {
        try write { now in
            try LocalValidation.entityID(request.assignmentId, "assignmentId")
            let row = try requireReviewableAssignment(request.assignmentId, now)
            return GetAssignmentResponse(assignment: row.assignment, hit: try requireHIT(row.hitId, now).hit(now))
        }
    }

    /// Returns the live row of an assignment id (not returned or abandoned), or nil.
    func liveAssignment(_ assignmentId: String) throws -> AssignmentRow? {
        try database.queryOne(
            "SELECT * FROM assignments WHERE assignment_id = ? AND status NOT IN ('Returned', 'Abandoned')",
            [assignmentId]
        ).map(AssignmentRow.init)
    }

    /// Loads an assignment the requester may see: submitted, approved or rejected, of a HIT not disposed of.
    func requireReviewableAssignment(_ assignmentId: String, _ now: Date) throws -> AssignmentRow {
        guard let row = try liveAssignment(assignmentId),
              try loadHIT(row.hitId)?.disposedAt == nil
        else { throw LocalError.assignmentNotFound(assignmentId, now) }
        if row.status == .accepted {
            throw LocalError.assignmentStatus(allowed: "Reviewable,Approved,Rejected", now)
        }
        return row
    }

    // MARK: - ApproveAssignment, RejectAssignment

    public func approveAssignment(_ request: ApproveAssignmentRequest) async throws -> EmptyResponse {
        try write { now in
            try LocalValidation.entityID(request.assignmentId, "assignmentId")
            try LocalValidation.length(request.requesterFeedback, "RequesterFeedback", max: 1_024, required: false, now)
            guard let row = try liveAssignment(request.assignmentId),
                  let hit = try loadHIT(row.hitId), hit.disposedAt == nil
            else { throw LocalError.assignmentNotFound(request.assignmentId, now) }

            switch row.status {
            case .submitted:
                break
            case .rejected where request.overrideRejection == true:
                let submitted = row.submitTime ?? row.acceptTime
                guard now.timeIntervalSince(submitted) <= Self.overrideRejectionWindow else {
                    throw LocalError.request(
                        "Assignment \(row.assignmentId) was submitted more than 30 days ago, so its rejection "
                            + "can no longer be overridden.", now)
                }
            default:
                throw LocalError.assignmentStatus(allowed: "Submitted", now)
            }

            let cost = hit.reward + MTurkFees.assignmentFee(reward: hit.reward, maxAssignments: hit.maxAssignments)
            let ledger = try balance(now).ledger
            guard cost <= ledger else { throw LocalError.insufficientFunds(needed: cost, available: ledger, now) }
            try database.run(
                """
                UPDATE assignments SET status = 'Approved', approval_time = ?, requester_feedback = ?
                WHERE seq = ?
                """,
                [now, request.requesterFeedback, row.seq])
            try recordRewardPayment(
                assignmentId: row.assignmentId, workerId: row.workerId, reward: hit.reward,
                maxAssignments: hit.maxAssignments, at: now)
            return EmptyResponse()
        }
    }

    public func rejectAssignment(_ request: RejectAssignmentRequest) async throws -> EmptyResponse {
        try write { now in
            try LocalValidation.entityID(request.assignmentId, "assignmentId")
            try LocalValidation.length(request.requesterFeedback, "RequesterFeedback", max: 1_024, required: true, now)
            guard let row = try liveAssignment(request.assignmentId),
                  try loadHIT(row.hitId)?.disposedAt == nil
            else { throw LocalError.assignmentNotFound(request.assignmentId, now) }
            guard row.status == .submitted else { throw LocalError.assignmentStatus(allowed: "Submitted", now) }
            try database.run(
                "UPDATE assignments SET status = 'Rejected', rejection_time = ?, requester_feedback = ? WHERE seq = ?",
                [now, request.requesterFeedback, row.seq])
            return EmptyResponse()
        }
    }

    // MARK: - SendBonus, ListBonusPayments

    public func sendBonus(_ request: SendBonusRequest) async throws -> EmptyResponse {
        try write { now in
            try LocalValidation.workerID(request.workerId)
            try LocalValidation.entityID(request.assignmentId, "assignmentId")
            try LocalValidation.requestToken(request.uniqueRequestToken)
            let amount = try LocalValidation.currency(request.bonusAmount, "bonusAmount")
            if let token = request.uniqueRequestToken,
               let requestId = try rememberedToken(operation: "SendBonus", token: token, now)
            {
                throw LocalError.duplicateBonus(token: token, requestId: requestId, now)
            }
            guard amount.cents >= 1 else { throw LocalError.request("BonusAmount must be at least 0.01.", now) }
            try LocalValidation.length(request.reason, "Reason", max: 4_096, required: true, now)

            // MTurk rejects a bonus for work still in progress with the error for an assignment that does not exist.
            // NOTE: a bonus for an assignment of a deleted HIT fails the same way here. Whether MTurk still pays it
            // is not documented.
            guard let row = try liveAssignment(request.assignmentId), row.workerId == request.workerId,
                  row.status == .submitted || row.status == .approved,
                  try loadHIT(row.hitId)?.disposedAt == nil
            else { throw LocalError.assignmentNotFound(request.assignmentId, now) }

            let cost = amount + MTurkFees.bonusFee(amount)
            let available = try balance(now).available
            guard cost <= available else { throw LocalError.insufficientFunds(needed: cost, available: available, now) }

            let requestId = UUID().uuidString.lowercased()
            try database.run(
                """
                INSERT INTO bonuses (worker_id, assignment_id, hit_id, amount_cents, reason, grant_time, request_id)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [request.workerId, request.assignmentId, row.hitId, amount.cents, request.reason, now, requestId])
            for (kind, cents) in [("bonus", amount.cents), ("bonus fee", MTurkFees.bonusFee(amount).cents)] {
                try database.run(
                    "INSERT INTO payments (kind, assignment_id, worker_id, amount_cents, paid_at) VALUES (?, ?, ?, ?, ?)",
                    [kind, request.assignmentId, request.workerId, cents, now])
            }
            if let token = request.uniqueRequestToken {
                try rememberToken(operation: "SendBonus", token: token, resultId: requestId, now)
            }
            return EmptyResponse()
        }
    }

    public func listBonusPayments(_ request: ListBonusPaymentsRequest) async throws -> ListBonusPaymentsResponse {
        try write { now in
            let size = try LocalValidation.pageSize(request.maxResults)
            let after = try PageToken.parse(request.nextToken, "ListBonusPayments", now)
            let column: String
            let value: String
            switch (request.hitId, request.assignmentId) {
            case (let hitId?, nil):
                try LocalValidation.entityID(hitId, "hitId")
                _ = try requireHIT(hitId, now)
                (column, value) = ("hit_id", hitId)
            case (nil, let assignmentId?):
                try LocalValidation.entityID(assignmentId, "assignmentId")
                (column, value) = ("assignment_id", assignmentId)
            default:
                throw LocalError.request("Provide either HITId or AssignmentId, not both and not neither.", now)
            }
            let rows = try database.query(
                "SELECT * FROM bonuses WHERE \(column) = ? AND seq > ? ORDER BY seq LIMIT ?", [value, after, size + 1])
            let page = Array(rows.prefix(size))
            let payments = page.map { row in
                BonusPayment(
                    workerId: row.string("worker_id"),
                    bonusAmount: USD(cents: row.int64("amount_cents") ?? 0).mturkString,
                    assignmentId: row.string("assignment_id"), reason: row.string("reason"),
                    grantTime: row.date("grant_time"))
            }
            let next = rows.count > size
                ? page.last.flatMap { $0.int64("seq") }.map { PageToken.make("ListBonusPayments", after: $0) } : nil
            return ListBonusPaymentsResponse(numResults: payments.count, nextToken: next, bonusPayments: payments)
        }
    }

    // MARK: - GetAccountBalance

    public func getAccountBalance(_ request: GetAccountBalanceRequest) async throws -> GetAccountBalanceResponse {
        try write { now in
            let balance = try balance(now)
            return GetAccountBalanceResponse(
                availableBalance: balance.available.mturkString, onHoldBalance: balance.onHold.mturkString)
        }
    }

    /// Returns the account's balance: what was paid out, and what is held for work that may still be paid.
    public func accountBalance() throws -> LocalBalance {
        try write { now in try balance(now) }
    }

    /// Computes the balance in SQL, in one pass over the HITs and assignments.
    ///
    /// A HIT holds reward plus fee for each slot that may still be paid: pending and submitted work, and the free
    /// slots while the HIT has not expired. Before expiry that is `max - reviewed` (or more, if pending and
    /// submitted work exceeds it), after expiry `pending + submitted`. Disposed HITs hold nothing.
    func balance(_ now: Date) throws -> LocalBalance {
        let starting = try database.queryOne("SELECT starting_cents FROM account WHERE id = 1")?.int64("starting_cents")
            ?? Self.startingBalance.cents
        let paid = try database.queryOne("SELECT COALESCE(SUM(amount_cents), 0) AS paid FROM payments")?.int64("paid") ?? 0
        let groups = try database.query(
            """
            SELECT hit_types.reward_cents AS reward_cents, hits.max_assignments AS max_assignments,
                SUM(CASE WHEN hits.expiration > ?
                    THEN MAX(hits.max_assignments - COALESCE(counts.reviewed, 0),
                             COALESCE(counts.pending, 0) + COALESCE(counts.submitted, 0))
                    ELSE COALESCE(counts.pending, 0) + COALESCE(counts.submitted, 0) END) AS slots
            FROM hits JOIN hit_types USING (hit_type_id)
            LEFT JOIN (
                SELECT hit_id, SUM(status = 'Accepted') AS pending, SUM(status = 'Submitted') AS submitted,
                       SUM(status IN ('Approved', 'Rejected')) AS reviewed
                FROM assignments GROUP BY hit_id
            ) AS counts USING (hit_id)
            WHERE hits.disposed_at IS NULL
            GROUP BY hit_types.reward_cents, hits.max_assignments
            """,
            [now])
        var onHold = USD.zero
        for group in groups {
            let reward = USD(cents: group.int64("reward_cents") ?? 0)
            let maxAssignments = group.int("max_assignments") ?? 1
            let fee = MTurkFees.assignmentFee(reward: reward, maxAssignments: maxAssignments)
            onHold += (reward + fee) * (group.int("slots") ?? 0)
        }
        return LocalBalance(ledger: USD(cents: starting - paid), onHold: onHold)
    }
}
