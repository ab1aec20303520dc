import Foundation
import TurkModel
import TurkStore

// HIT types and HITs: CreateHITType, CreateHITWithHITType, GetHIT, ListHITs, UpdateExpirationForHIT, DeleteHIT.

/// A stored HIT with its HIT type and the counts of its assignments.
struct HITRow {
    var seq: Int64
    var hitId: String
    var hitTypeId: String
    var question: String
    var maxAssignments: Int
    var requesterAnnotation: String?
    var createdAt: Date
    var expiration: Date
    var disposedAt: Date?
    /// Set by UpdateHITReviewStatus: the HIT shows as Reviewing instead of Reviewable.
    var reviewing: Bool
    var title: String
    var description: String
    var keywords: String?
    var reward: USD
    var assignmentDuration: Int64
    var autoApprovalDelay: Int64
    var qualificationRequirements: [QualificationRequirement]
    /// Accepted and neither submitted, returned nor abandoned.
    var pending: Int
    /// Submitted and not yet approved or rejected.
    var submitted: Int
    /// Approved or rejected.
    var reviewed: Int

    /// Slots that no worker has accepted or filled.
    var available: Int { max(0, maxAssignments - pending - submitted - reviewed) }

    func isExpired(_ now: Date) -> Bool { now >= expiration }

    /// MTurk's HIT status. A HIT is Unassignable while pending work fills its free slots or outlives its
    /// expiration, and Reviewable once it has expired or every slot is submitted and no work is pending (Reviewing
    /// instead after UpdateHITReviewStatus). `reviewableCondition` is the same rule in SQL.
    func status(_ now: Date) -> HITStatus {
        if disposedAt != nil { return .disposed }
        if pending > 0 && (available == 0 || isExpired(now)) { return .unassignable }
        if isExpired(now) || available == 0 { return reviewing ? .reviewing : .reviewable }
        return .assignable
    }

    /// The SQL condition, on the columns of `selectSQL`, for HITs whose status is Reviewable or Reviewing. Its one
    /// parameter is the current time.
    static let reviewableCondition = """
        hits.disposed_at IS NULL AND hits.pending = 0
        AND (hits.expiration <= ? OR hits.max_assignments <= hits.pending + hits.submitted + hits.reviewed)
        """

    func hit(_ now: Date) -> HIT {
        var hit = HIT(hitId: hitId)
        hit.hitTypeId = hitTypeId
        hit.hitGroupId = hitTypeId
        hit.creationTime = createdAt
        hit.title = title
        hit.description = description
        hit.question = question
        hit.keywords = keywords
        hit.hitStatus = status(now)
        hit.maxAssignments = maxAssignments
        hit.reward = reward.mturkString
        hit.autoApprovalDelayInSeconds = autoApprovalDelay
        hit.expiration = expiration
        hit.assignmentDurationInSeconds = assignmentDuration
        hit.requesterAnnotation = requesterAnnotation
        hit.qualificationRequirements = qualificationRequirements.isEmpty ? nil : qualificationRequirements
        hit.hitReviewStatus = .notReviewed
        hit.numberOfAssignmentsPending = pending
        hit.numberOfAssignmentsAvailable = available
        hit.numberOfAssignmentsCompleted = reviewed
        return hit
    }

    static let selectSQL = """
        SELECT hits.*, hit_types.title, hit_types.description, hit_types.keywords, hit_types.reward_cents,
               hit_types.assignment_duration, hit_types.auto_approval_delay,
               hit_types.qualification_requirements_json,
               (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = hits.hit_id AND a.status = 'Accepted') AS pending,
               (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = hits.hit_id AND a.status = 'Submitted')
                   AS submitted,
               (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = hits.hit_id
                   AND a.status IN ('Approved', 'Rejected')) AS reviewed
        FROM hits JOIN hit_types USING (hit_type_id)
        """

    /// Loads the HITs that `condition` selects, decoding each distinct requirements list once. The condition is the
    /// SQL after `WHERE`, on the columns of `selectSQL`, and may end with `ORDER BY` and `LIMIT`.
    static func load(_ database: SQLiteDatabase, where condition: String, _ parameters: [any SQLiteBindable]) throws
        -> [HITRow]
    {
        var decoded: [String: [QualificationRequirement]] = [:]
        return try database.query("SELECT * FROM (\(selectSQL)) AS hits WHERE \(condition)", parameters).map { row in
            let json = row.string("qualification_requirements_json") ?? ""
            if decoded[json] == nil {
                decoded[json] = json.isEmpty
                    ? [] : try MTurkJSON.decoder().decode([QualificationRequirement].self, from: Data(json.utf8))
            }
            return try HITRow(row, requirements: decoded[json] ?? [])
        }
    }

    init(_ row: SQLiteRow) throws {
        let json = row.string("qualification_requirements_json") ?? ""
        let requirements = json.isEmpty
            ? [] : try MTurkJSON.decoder().decode([QualificationRequirement].self, from: Data(json.utf8))
        try self.init(row, requirements: requirements)
    }

    init(_ row: SQLiteRow, requirements: [QualificationRequirement]) throws {
        seq = row.int64("seq") ?? 0
        hitId = row.string("hit_id") ?? ""
        hitTypeId = row.string("hit_type_id") ?? ""
        question = row.string("question") ?? ""
        maxAssignments = row.int("max_assignments") ?? 1
        requesterAnnotation = row.string("requester_annotation")
        createdAt = row.date("created_at") ?? Date(timeIntervalSince1970: 0)
        expiration = row.date("expiration") ?? Date(timeIntervalSince1970: 0)
        disposedAt = row.date("disposed_at")
        reviewing = row.bool("reviewing") ?? false
        title = row.string("title") ?? ""
        description = row.string("description") ?? ""
        keywords = row.string("keywords")
        reward = USD(cents: row.int64("reward_cents") ?? 0)
        assignmentDuration = row.int64("assignment_duration") ?? 0
        autoApprovalDelay = row.int64("auto_approval_delay") ?? 0
        qualificationRequirements = requirements
        pending = row.int("pending") ?? 0
        submitted = row.int("submitted") ?? 0
        reviewed = row.int("reviewed") ?? 0
    }
}

extension LocalMarketplace {
    /// The auto-approval delay of a HIT type created without one: 30 days, MTurk's default and maximum.
    public static let defaultAutoApprovalDelay: Int64 = 2_592_000
    /// The maximum lifetime and assignment duration MTurk accepts: 365 days.
    public static let maximumDuration: Int64 = 31_536_000

    // MARK: - CreateHITType

    public func createHITType(_ request: CreateHITTypeRequest) async throws -> CreateHITTypeResponse {
        try write { now in CreateHITTypeResponse(hitTypeId: try insertHITType(request, now)) }
    }

    /// Returns the id of the HIT type with the request's properties, creating it when there is none. Runs inside a
    /// transaction.
    func insertHITType(_ request: CreateHITTypeRequest, _ now: Date) throws -> String {
        let autoApprovalDelay = request.autoApprovalDelayInSeconds ?? Self.defaultAutoApprovalDelay
        try LocalValidation.seconds(
            request.assignmentDurationInSeconds, "AssignmentDurationInSeconds", 30...Self.maximumDuration, now)
        try LocalValidation.seconds(
            autoApprovalDelay, "AutoApprovalDelayInSeconds", 0...Self.defaultAutoApprovalDelay, now)
        let reward = try LocalValidation.currency(request.reward, "reward")
        guard reward.cents >= 1 else { throw LocalError.request("Reward must be at least 0.01.", now) }
        try LocalValidation.length(request.title, "Title", max: 128, required: true, now)
        try LocalValidation.length(request.description, "Description", max: 2_000, required: true, now)
        try LocalValidation.length(request.keywords, "Keywords", max: 1_000, required: false, now)
        let requirements = request.qualificationRequirements ?? []
        try validateRequirements(requirements, now)

        let requirementsJSON = requirements.isEmpty ? nil : try encodeJSON(requirements)
        let key = try propertiesKey(
            request, reward: reward, autoApprovalDelay: autoApprovalDelay, requirementsJSON: requirementsJSON)
        if let existing = try database.queryOne(
            "SELECT hit_type_id FROM hit_types WHERE properties_key = ?", [key])?.string("hit_type_id")
        {
            return existing
        }
        let id = Self.newEntityID()
        try database.run(
            """
            INSERT INTO hit_types (hit_type_id, properties_key, title, description, keywords, reward_cents,
                                   assignment_duration, auto_approval_delay, qualification_requirements_json,
                                   created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [id, key, request.title, request.description, request.keywords, reward.cents,
             request.assignmentDurationInSeconds, autoApprovalDelay, requirementsJSON, now])
        return id
    }

    /// Returns a canonical text of a HIT type's properties, so that identical property sets map to one HIT type.
    private func propertiesKey(
        _ request: CreateHITTypeRequest, reward: USD, autoApprovalDelay: Int64, requirementsJSON: String?
    ) throws -> String {
        let properties: [String: String] = [
            "AssignmentDurationInSeconds": String(request.assignmentDurationInSeconds),
            "AutoApprovalDelayInSeconds": String(autoApprovalDelay),
            "Description": request.description,
            "Keywords": request.keywords ?? "",
            "QualificationRequirements": requirementsJSON ?? "[]",
            "Reward": reward.mturkString,
            "Title": request.title,
        ]
        return try encodeJSON(properties)
    }

    func encodeJSON<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try MTurkJSON.encoder().encode(value), as: UTF8.self)
    }

    // MARK: - CreateHITWithHITType

    public func createHITWithHITType(_ request: CreateHITWithHITTypeRequest) async throws
        -> CreateHITWithHITTypeResponse
    {
        try write { now in CreateHITWithHITTypeResponse(hit: try insertHIT(request, now)) }
    }

    /// Creates a HIT of an existing HIT type and returns it. Runs inside a transaction.
    func insertHIT(_ request: CreateHITWithHITTypeRequest, _ now: Date) throws -> HIT {
        try LocalValidation.entityID(request.hitTypeId, "hitTypeId")
        try LocalValidation.requestToken(request.uniqueRequestToken)
        guard let type = try database.queryOne(
            "SELECT reward_cents, qualification_requirements_json FROM hit_types WHERE hit_type_id = ?",
            [request.hitTypeId])
        else { throw LocalError.hitTypeNotFound(request.hitTypeId, now) }
        // MTurk deletes the HIT types that use a deleted qualification type, so such a type is gone here too.
        if try usesDeletedQualificationType(type.string("qualification_requirements_json")) {
            throw LocalError.hitTypeNotFound(request.hitTypeId, now)
        }

        if let token = request.uniqueRequestToken,
           let previous = try rememberedToken(operation: "CreateHIT", token: token, now)
        {
            throw LocalError.hitAlreadyExists(previous, now)
        }
        let maxAssignments = request.maxAssignments ?? 1
        guard (1...1_000_000).contains(maxAssignments) else {
            throw LocalError.request("MaxAssignments must be from 1 to 1000000; got \(maxAssignments).", now)
        }
        try LocalValidation.seconds(request.lifetimeInSeconds, "LifetimeInSeconds", 30...Self.maximumDuration, now)
        guard let question = request.question else {
            throw LocalError.request("Either Question or HITLayoutId must be provided.", now)
        }
        try LocalValidation.question(question, now)
        try LocalValidation.length(request.requesterAnnotation, "RequesterAnnotation", max: 255, required: false, now)

        let reward = USD(cents: type.int64("reward_cents") ?? 0)
        let cost = (reward + MTurkFees.assignmentFee(reward: reward, maxAssignments: maxAssignments))
            * maxAssignments
        let available = try balance(now).available
        guard cost <= available else { throw LocalError.insufficientFunds(needed: cost, available: available, now) }

        let hitId = Self.newEntityID()
        try database.run(
            """
            INSERT INTO hits (hit_id, hit_type_id, question, max_assignments, requester_annotation, created_at,
                              expiration)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [hitId, request.hitTypeId, question, maxAssignments, request.requesterAnnotation, now,
             now.addingTimeInterval(TimeInterval(request.lifetimeInSeconds))])
        if let token = request.uniqueRequestToken {
            try rememberToken(operation: "CreateHIT", token: token, resultId: hitId, now)
        }
        return try requireHIT(hitId, now).hit(now)
    }

    /// Returns whether a HIT type's stored requirements name a qualification type that no longer exists.
    private func usesDeletedQualificationType(_ requirementsJSON: String?) throws -> Bool {
        guard let requirementsJSON, !requirementsJSON.isEmpty else { return false }
        let requirements = try MTurkJSON.decoder().decode(
            [QualificationRequirement].self, from: Data(requirementsJSON.utf8))
        for requirement in requirements {
            let id = requirement.qualificationTypeId
            if Self.systemQualificationTypes.contains(where: { $0.id == id }) { continue }
            if try ownedQualificationType(id) == nil { return true }
        }
        return false
    }

    /// Returns the id stored with a token used in the last 24 hours, or nil.
    func rememberedToken(operation: String, token: String, _ now: Date) throws -> String? {
        try database.queryOne(
            "SELECT result_id FROM request_tokens WHERE operation = ? AND token = ? AND created_at > ?",
            [operation, token, now.addingTimeInterval(-Self.requestTokenLifetime)]
        )?.string("result_id")
    }

    func rememberToken(operation: String, token: String, resultId: String, _ now: Date) throws {
        try database.run(
            """
            INSERT INTO request_tokens (operation, token, result_id, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (operation, token) DO UPDATE SET result_id = excluded.result_id, created_at = excluded.created_at
            """,
            [operation, token, resultId, now])
    }

    // MARK: - GetHIT, ListHITs

    public func getHIT(_ request: GetHITRequest) async throws -> GetHITResponse {
        try write { now in
            try LocalValidation.entityID(request.hitId, "hitId")
            return GetHITResponse(hit: try requireHIT(request.hitId, now).hit(now))
        }
    }

    public func listHITs(_ request: ListHITsRequest) async throws -> ListHITsResponse {
        try write { now in
            let size = try LocalValidation.pageSize(request.maxResults)
            let after = try PageToken.parse(request.nextToken, "ListHITs", now)
            let rows = try HITRow.load(
                database, where: "hits.disposed_at IS NULL AND hits.seq > ? ORDER BY hits.seq LIMIT ?", [after, size + 1])
            let page = Array(rows.prefix(size))
            let next = rows.count > size ? page.last.map { PageToken.make("ListHITs", after: $0.seq) } : nil
            return ListHITsResponse(nextToken: next, numResults: page.count, hits: page.map { $0.hit(now) })
        }
    }

    /// Loads a HIT that has not been disposed of, or fails with MTurk's "does not exist" error.
    func requireHIT(_ hitId: String, _ now: Date) throws -> HITRow {
        guard let row = try loadHIT(hitId), row.disposedAt == nil else { throw LocalError.hitNotFound(hitId, now) }
        return row
    }

    func loadHIT(_ hitId: String) throws -> HITRow? {
        try database.queryOne(HITRow.selectSQL + " WHERE hits.hit_id = ?", [hitId]).map(HITRow.init)
    }

    // MARK: - UpdateExpirationForHIT, DeleteHIT

    public func updateExpirationForHIT(_ request: UpdateExpirationForHITRequest) async throws -> EmptyResponse {
        try write { now in
            try LocalValidation.entityID(request.hitId, "hitId")
            _ = try requireHIT(request.hitId, now)
            // A time in the past expires the HIT at once, but pending work may still be submitted until its deadline.
            let expiration = max(request.expireAt, now)
            try database.run("UPDATE hits SET expiration = ? WHERE hit_id = ?", [expiration, request.hitId])
            return EmptyResponse()
        }
    }

    public func deleteHIT(_ request: DeleteHITRequest) async throws -> EmptyResponse {
        try write { now in
            try LocalValidation.entityID(request.hitId, "hitId")
            let row = try requireHIT(request.hitId, now)
            let status = row.status(now)
            guard status == .reviewable || status == .reviewing else { throw LocalError.deleteHITState(status, now) }
            // MTurk gives the same text when the HIT is Reviewable but has submitted work not yet reviewed.
            guard row.submitted == 0 else { throw LocalError.deleteHITState(status, now) }
            try database.run("UPDATE hits SET disposed_at = ? WHERE hit_id = ?", [now, request.hitId])
            return EmptyResponse()
        }
    }
}
