import Foundation
import TurkModel
import TurkStore

// Worker blocks, qualification types, and the qualifications of workers: CreateWorkerBlock, DeleteWorkerBlock,
// ListWorkerBlocks, CreateQualificationType, ListQualificationTypes, AssociateQualificationWithWorker,
// DisassociateQualificationFromWorker, ListWorkersWithQualificationType. Also the checks of a HIT's
// qualification requirements against one worker.

/// A worker's value for one qualification type.
enum QualificationValue: Equatable {
    case integer(Int)
    case locale(WorkerLocale)
}

extension LocalMarketplace {
    /// The qualification types that MTurk defines for every requester, as ListQualificationTypes shows them.
    static let systemQualificationTypes: [(id: String, name: String, description: String)] = [
        (SystemQualification.mastersLive, "Masters", "Workers who have shown high quality across many HITs."),
        (SystemQualification.mastersSandbox, "Masters (sandbox)", "The sandbox's Masters qualification."),
        (SystemQualification.locale, "Worker_Locale", "The worker's country and subdivision."),
        (SystemQualification.percentAssignmentsApproved, "Worker_PercentAssignmentsApproved",
         "The percentage of the worker's reviewed assignments that were approved."),
        (SystemQualification.numberHITsApproved, "Worker_NumberHITsApproved",
         "The number of the worker's assignments that were approved."),
    ]

    static func isMasters(_ id: String) -> Bool {
        id == SystemQualification.mastersLive || id == SystemQualification.mastersSandbox
    }

    // MARK: - Worker blocks

    public func createWorkerBlock(_ request: CreateWorkerBlockRequest) async throws -> EmptyResponse {
        try write { now in
            try LocalValidation.workerID(request.workerId)
            try LocalValidation.length(request.reason, "Reason", max: 4_096, required: true, now)
            try database.run(
                """
                INSERT INTO worker_blocks (worker_id, reason, created_at) VALUES (?, ?, ?)
                ON CONFLICT (worker_id) DO UPDATE SET reason = excluded.reason
                """,
                [request.workerId, request.reason, now])
            return EmptyResponse()
        }
    }

    /// Removes a block. Succeeds when the worker was not blocked, as MTurk documents.
    public func deleteWorkerBlock(_ request: DeleteWorkerBlockRequest) async throws -> EmptyResponse {
        try write { _ in
            try LocalValidation.workerID(request.workerId)
            try database.run("DELETE FROM worker_blocks WHERE worker_id = ?", [request.workerId])
            return EmptyResponse()
        }
    }

    public func listWorkerBlocks(_ request: ListWorkerBlocksRequest) async throws -> ListWorkerBlocksResponse {
        try write { now in
            let size = try LocalValidation.pageSize(request.maxResults)
            let after = try PageToken.parse(request.nextToken, "ListWorkerBlocks", now)
            let rows = try database.query(
                "SELECT * FROM worker_blocks WHERE seq > ? ORDER BY seq LIMIT ?", [after, size + 1])
            let page = Array(rows.prefix(size))
            let next = rows.count > size
                ? page.last.flatMap { $0.int64("seq") }.map { PageToken.make("ListWorkerBlocks", after: $0) } : nil
            return ListWorkerBlocksResponse(
                nextToken: next, numResults: page.count,
                workerBlocks: page.map { WorkerBlock(workerId: $0.string("worker_id"), reason: $0.string("reason")) })
        }
    }

    func isBlocked(_ workerId: String) throws -> Bool {
        try database.queryOne("SELECT 1 AS blocked FROM worker_blocks WHERE worker_id = ?", [workerId]) != nil
    }

    // MARK: - Qualification types

    public func createQualificationType(_ request: CreateQualificationTypeRequest) async throws
        -> CreateQualificationTypeResponse
    {
        try write { now in
            try LocalValidation.length(request.name, "Name", max: 1_000, required: true, now)
            try LocalValidation.length(request.description, "Description", max: 2_000, required: true, now)
            try LocalValidation.length(request.keywords, "Keywords", max: 1_000, required: false, now)
            guard [QualificationTypeStatus.active, .inactive].contains(request.qualificationTypeStatus) else {
                throw LocalError.validation(
                    request.qualificationTypeStatus.rawValue, at: "qualificationTypeStatus",
                    "Member must satisfy enum value set: [Active, Inactive]")
            }
            if let test = request.test {
                guard request.autoGranted != true else {
                    throw LocalError.request("Test cannot be given when AutoGranted is true.", now)
                }
                guard request.testDurationInSeconds != nil else {
                    throw LocalError.request("TestDurationInSeconds is required when Test is given.", now)
                }
                guard test.utf8.count <= 65_535 else {
                    throw LocalError.request("Test must be at most 65535 bytes.", now)
                }
            }
            if try database.queryOne("SELECT 1 AS taken FROM qualification_types WHERE name = ?", [request.name]) != nil {
                throw LocalError.request(
                    "You have already created a QualificationType with this name. A QualificationType's name must "
                        + "be unique among all of the QualificationTypes created by the same user.", now)
            }
            let id = Self.newEntityID()
            try database.run(
                """
                INSERT INTO qualification_types (qualification_type_id, name, description, keywords, status,
                    retry_delay, test, answer_key, test_duration, auto_granted, auto_granted_value, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [id, request.name, request.description, request.keywords, request.qualificationTypeStatus.rawValue,
                 request.retryDelayInSeconds, request.test, request.answerKey, request.testDurationInSeconds,
                 request.autoGranted ?? false, request.autoGrantedValue, now])
            return CreateQualificationTypeResponse(qualificationType: try ownedQualificationType(id))
        }
    }

    /// Lists qualification types. `Query` matches a substring of the name, ignoring case. Without
    /// `MustBeOwnedByCaller`, MTurk's system types (Masters, locale, approval rate, approved HITs) come first.
    public func listQualificationTypes(_ request: ListQualificationTypesRequest) async throws
        -> ListQualificationTypesResponse
    {
        try write { now in
            let size = try LocalValidation.pageSize(request.maxResults)
            let after = Int(try PageToken.parse(request.nextToken, "ListQualificationTypes", now))
            var types: [QualificationType] = []
            if request.mustBeOwnedByCaller != true && !request.mustBeRequestable {
                types += Self.systemQualificationTypes.compactMap { Self.systemQualificationType($0.id) }
            }
            types += try database.query("SELECT * FROM qualification_types ORDER BY seq").map(Self.qualificationType)
            if request.mustBeRequestable {
                types = types.filter { $0.isRequestable == true }
            }
            if let query = request.query?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
                types = types.filter { ($0.name ?? "").range(of: query, options: .caseInsensitive) != nil }
            }
            let page = Array(types.dropFirst(after).prefix(size))
            let next = after + page.count < types.count
                ? PageToken.make("ListQualificationTypes", after: Int64(after + page.count)) : nil
            return ListQualificationTypesResponse(numResults: page.count, nextToken: next, qualificationTypes: page)
        }
    }

    /// Returns one of MTurk's system qualification types in the requester API's shape, or nil for another id.
    static func systemQualificationType(_ id: String) -> QualificationType? {
        guard let system = systemQualificationTypes.first(where: { $0.id == id }) else { return nil }
        var type = QualificationType(qualificationTypeId: system.id)
        type.name = system.name
        type.description = system.description
        type.qualificationTypeStatus = .active
        type.isRequestable = false
        type.autoGranted = false
        return type
    }

    func ownedQualificationType(_ id: String) throws -> QualificationType? {
        try database.queryOne("SELECT * FROM qualification_types WHERE qualification_type_id = ?", [id])
            .map(Self.qualificationType)
    }

    static func qualificationType(_ row: SQLiteRow) -> QualificationType {
        var type = QualificationType(qualificationTypeId: row.string("qualification_type_id"))
        type.creationTime = row.date("created_at")
        type.name = row.string("name")
        type.description = row.string("description")
        type.keywords = row.string("keywords")
        type.qualificationTypeStatus = row.string("status").map(QualificationTypeStatus.init(rawValue:))
        type.test = row.string("test")
        type.testDurationInSeconds = row.int64("test_duration")
        type.answerKey = row.string("answer_key")
        type.retryDelayInSeconds = row.int64("retry_delay")
        let autoGranted = row.bool("auto_granted") ?? false
        type.autoGranted = autoGranted
        type.autoGrantedValue = row.int("auto_granted_value")
        type.isRequestable = autoGranted || type.test != nil
        return type
    }

    // MARK: - Qualifications of workers

    /// Grants a qualification to a worker, or changes the value of one already granted. The value defaults to 1.
    /// Masters can be granted here, so that tests and demos can have Masters workers.
    public func associateQualificationWithWorker(_ request: AssociateQualificationWithWorkerRequest) async throws
        -> EmptyResponse
    {
        try write { now in
            try LocalValidation.entityID(request.qualificationTypeId, "qualificationTypeId")
            try LocalValidation.workerID(request.workerId)
            try requireGrantableType(request.qualificationTypeId, now)
            try database.run(
                """
                INSERT INTO qualifications (qualification_type_id, worker_id, integer_value, status, grant_time)
                VALUES (?, ?, ?, 'Granted', ?)
                ON CONFLICT (qualification_type_id, worker_id) DO UPDATE SET
                    integer_value = excluded.integer_value, status = 'Granted', grant_time = excluded.grant_time
                """,
                [request.qualificationTypeId, request.workerId, request.integerValue ?? 1, now])
            return EmptyResponse()
        }
    }

    /// Revokes a granted qualification. The worker then shows up with status Revoked.
    public func disassociateQualificationFromWorker(_ request: DisassociateQualificationFromWorkerRequest) async throws
        -> EmptyResponse
    {
        try write { now in
            try LocalValidation.entityID(request.qualificationTypeId, "qualificationTypeId")
            try LocalValidation.workerID(request.workerId)
            try requireGrantableType(request.qualificationTypeId, now)
            let changed = try database.run(
                """
                UPDATE qualifications SET status = 'Revoked'
                WHERE qualification_type_id = ? AND worker_id = ? AND status = 'Granted'
                """,
                [request.qualificationTypeId, request.workerId])
            guard changed > 0 else {
                throw LocalError.request("You requested a Qualification that does not exist.", now)
            }
            return EmptyResponse()
        }
    }

    public func listWorkersWithQualificationType(_ request: ListWorkersWithQualificationTypeRequest) async throws
        -> ListWorkersWithQualificationTypeResponse
    {
        try write { now in
            try LocalValidation.entityID(request.qualificationTypeId, "qualificationTypeId")
            let size = try LocalValidation.pageSize(request.maxResults)
            let after = try PageToken.parse(request.nextToken, "ListWorkersWithQualificationType", now)
            try requireGrantableType(request.qualificationTypeId, now)
            let status = request.status ?? .granted
            let rows = try database.query(
                """
                SELECT * FROM qualifications WHERE qualification_type_id = ? AND status = ? AND seq > ?
                ORDER BY seq LIMIT ?
                """,
                [request.qualificationTypeId, status.rawValue, after, size + 1])
            let page = Array(rows.prefix(size))
            let qualifications = page.map(Self.qualification)
            let next = rows.count > size
                ? page.last.flatMap { $0.int64("seq") }.map {
                    PageToken.make("ListWorkersWithQualificationType", after: $0)
                } : nil
            return ListWorkersWithQualificationTypeResponse(
                nextToken: next, numResults: qualifications.count, qualifications: qualifications)
        }
    }

    /// Returns a row of the `qualifications` table in the requester API's shape.
    static func qualification(_ row: SQLiteRow) -> Qualification {
        var qualification = Qualification(
            qualificationTypeId: row.string("qualification_type_id"), workerId: row.string("worker_id"))
        qualification.grantTime = row.date("grant_time")
        qualification.integerValue = row.int("integer_value")
        qualification.status = row.string("status").map(QualificationStatus.init(rawValue:))
        return qualification
    }

    /// Fails unless the type is one of the caller's own or Masters.
    func requireGrantableType(_ id: String, _ now: Date) throws {
        if Self.isMasters(id) { return }
        guard try ownedQualificationType(id) != nil else { throw LocalError.qualificationTypeNotFound(id, now) }
    }

    // MARK: - Qualification requirements

    /// Checks a HIT type's qualification requirements as MTurk does: at most 10, of known types, with values that
    /// fit the comparator. Exists and DoesNotExist take no value, In and NotIn take up to 15 integers or 30
    /// locales, and the others take one value. Locales go only with the locale type.
    func validateRequirements(_ requirements: [QualificationRequirement], _ now: Date) throws {
        guard requirements.count <= 10 else {
            throw LocalError.request(
                "A HIT can have at most 10 QualificationRequirements; this one has \(requirements.count).", now)
        }
        for requirement in requirements {
            let id = requirement.qualificationTypeId
            try LocalValidation.entityID(id, "qualificationRequirements.member.qualificationTypeId")
            let isSystem = Self.systemQualificationTypes.contains { $0.id == id }
            if !isSystem, try ownedQualificationType(id) == nil {
                throw LocalError.qualificationTypeNotFound(id, now)
            }
            try validateValues(requirement, isLocale: id == SystemQualification.locale, now)
        }
    }

    private func validateValues(_ requirement: QualificationRequirement, isLocale: Bool, _ now: Date) throws {
        let integers = requirement.integerValues ?? []
        let locales = requirement.localeValues ?? []
        let comparator = requirement.comparator
        let id = requirement.qualificationTypeId
        func fail(_ reason: String) -> MTurkError {
            LocalError.request(
                "QualificationRequirement \(id) with comparator \(comparator.rawValue) is invalid: \(reason).", now)
        }
        for locale in locales where locale.country.count != 2 {
            throw LocalError.validation(
                locale.country, at: "qualificationRequirements.member.localeValues.member.country",
                "Member must have length between 2 and 2")
        }
        if isLocale && !integers.isEmpty { throw fail("the locale qualification takes LocaleValues, not IntegerValues") }
        if !isLocale && !locales.isEmpty { throw fail("LocaleValues can only be used with the locale qualification") }
        let count = isLocale ? locales.count : integers.count
        switch comparator {
        case .exists, .doesNotExist:
            guard integers.isEmpty && locales.isEmpty else { throw fail("it takes no values") }
        case .in, .notIn:
            let limit = isLocale ? 30 : 15
            guard (1...limit).contains(count) else { throw fail("it takes 1 to \(limit) values; got \(count)") }
        case .equalTo, .notEqualTo:
            guard count == 1 else { throw fail("it takes exactly one value; got \(count)") }
        case .lessThan, .lessThanOrEqualTo, .greaterThan, .greaterThanOrEqualTo:
            if isLocale { throw fail("locales can only be compared with EqualTo, NotEqualTo, In and NotIn") }
            guard count == 1 else { throw fail("it takes exactly one value; got \(count)") }
        default:
            throw LocalError.validation(
                comparator.rawValue, at: "qualificationRequirements.member.comparator",
                "Member must satisfy enum value set: [LessThan, LessThanOrEqualTo, GreaterThan, "
                    + "GreaterThanOrEqualTo, EqualTo, NotEqualTo, Exists, DoesNotExist, In, NotIn]")
        }
    }

    /// Returns a worker's value for a qualification type, or nil when the worker does not have it.
    ///
    /// The locale defaults to `defaultWorkerLocale`. The approval rate and the approved count come from the
    /// worker's reviewed assignments in this marketplace. A worker with none reviewed has a rate of 100.
    func qualificationValue(workerId: String, typeId: String) throws -> QualificationValue? {
        switch typeId {
        case SystemQualification.locale:
            return .locale(try workerLocale(workerId))
        case SystemQualification.percentAssignmentsApproved, SystemQualification.numberHITsApproved:
            let counts = try database.queryOne(
                """
                SELECT COUNT(CASE WHEN status = 'Approved' THEN 1 END) AS approved,
                       COUNT(CASE WHEN status = 'Rejected' THEN 1 END) AS rejected
                FROM assignments WHERE worker_id = ?
                """,
                [workerId])
            let approved = counts?.int("approved") ?? 0
            let rejected = counts?.int("rejected") ?? 0
            if typeId == SystemQualification.numberHITsApproved { return .integer(approved) }
            return .integer(approved + rejected == 0 ? 100 : approved * 100 / (approved + rejected))
        default:
            return try database.queryOne(
                """
                SELECT integer_value FROM qualifications
                WHERE qualification_type_id = ? AND worker_id = ? AND status = 'Granted'
                """,
                [typeId, workerId]
            ).map { .integer($0.int("integer_value") ?? 1) }
        }
    }

    /// Returns whether a worker meets one requirement. Every comparator except DoesNotExist needs the worker to have the
    /// qualification.
    func meets(_ requirement: QualificationRequirement, workerId: String) throws -> Bool {
        let value = try qualificationValue(workerId: workerId, typeId: requirement.qualificationTypeId)
        let comparator = requirement.comparator
        if comparator == .doesNotExist { return value == nil }
        guard let value else { return false }
        if comparator == .exists { return true }
        switch value {
        case .integer(let have):
            let wanted = requirement.integerValues ?? []
            guard let first = wanted.first else { return false }
            switch comparator {
            case .lessThan: return have < first
            case .lessThanOrEqualTo: return have <= first
            case .greaterThan: return have > first
            case .greaterThanOrEqualTo: return have >= first
            case .equalTo: return have == first
            case .notEqualTo: return have != first
            case .in: return wanted.contains(have)
            case .notIn: return !wanted.contains(have)
            default: return false
            }
        case .locale(let have):
            let matches = (requirement.localeValues ?? []).contains { Self.locale(have, matches: $0) }
            switch comparator {
            case .equalTo, .in: return matches
            case .notEqualTo, .notIn: return !matches
            default: return false
            }
        }
    }

    /// Returns whether a worker's locale matches a required locale: the same country, and the same subdivision when the
    /// requirement names one.
    static func locale(_ have: WorkerLocale, matches wanted: WorkerLocale) -> Bool {
        guard have.country.uppercased() == wanted.country.uppercased() else { return false }
        guard let subdivision = wanted.subdivision else { return true }
        return have.subdivision?.uppercased() == subdivision.uppercased()
    }
}
