// Requests and responses of the MTurk Requester API operations that the tools use.
// Each request names its operation, so one generic client can send any of them.

import Foundation

// MARK: - CreateHITType

public struct CreateHITTypeRequest: MTurkOperation {
    public typealias Response = CreateHITTypeResponse
    public static let operationName = "CreateHITType"

    public var autoApprovalDelayInSeconds: Int64?
    public var assignmentDurationInSeconds: Int64
    public var reward: String
    public var title: String
    public var keywords: String?
    public var description: String
    public var qualificationRequirements: [QualificationRequirement]?

    public init(autoApprovalDelayInSeconds: Int64? = nil, assignmentDurationInSeconds: Int64, reward: String, title: String, keywords: String? = nil, description: String, qualificationRequirements: [QualificationRequirement]? = nil) {
        self.autoApprovalDelayInSeconds = autoApprovalDelayInSeconds
        self.assignmentDurationInSeconds = assignmentDurationInSeconds
        self.reward = reward
        self.title = title
        self.keywords = keywords
        self.description = description
        self.qualificationRequirements = qualificationRequirements
    }

    enum CodingKeys: String, CodingKey {
        case autoApprovalDelayInSeconds = "AutoApprovalDelayInSeconds"
        case assignmentDurationInSeconds = "AssignmentDurationInSeconds"
        case reward = "Reward"
        case title = "Title"
        case keywords = "Keywords"
        case description = "Description"
        case qualificationRequirements = "QualificationRequirements"
    }
}

public struct CreateHITTypeResponse: Codable, Sendable {
    public var hitTypeId: String?

    public init(hitTypeId: String? = nil) {
        self.hitTypeId = hitTypeId
    }

    enum CodingKeys: String, CodingKey {
        case hitTypeId = "HITTypeId"
    }
}

// MARK: - CreateHITWithHITType

public struct CreateHITWithHITTypeRequest: MTurkOperation {
    public typealias Response = CreateHITWithHITTypeResponse
    public static let operationName = "CreateHITWithHITType"

    public var hitTypeId: String
    public var maxAssignments: Int?
    public var lifetimeInSeconds: Int64
    public var question: String?
    public var requesterAnnotation: String?
    public var uniqueRequestToken: String?

    public init(hitTypeId: String, maxAssignments: Int? = nil, lifetimeInSeconds: Int64, question: String? = nil, requesterAnnotation: String? = nil, uniqueRequestToken: String? = nil) {
        self.hitTypeId = hitTypeId
        self.maxAssignments = maxAssignments
        self.lifetimeInSeconds = lifetimeInSeconds
        self.question = question
        self.requesterAnnotation = requesterAnnotation
        self.uniqueRequestToken = uniqueRequestToken
    }

    enum CodingKeys: String, CodingKey {
        case hitTypeId = "HITTypeId"
        case maxAssignments = "MaxAssignments"
        case lifetimeInSeconds = "LifetimeInSeconds"
        case question = "Question"
        case requesterAnnotation = "RequesterAnnotation"
        case uniqueRequestToken = "UniqueRequestToken"
    }
}

public struct CreateHITWithHITTypeResponse: Codable, Sendable {
    public var hit: HIT?

    public init(hit: HIT? = nil) {
        self.hit = hit
    }

    enum CodingKeys: String, CodingKey {
        case hit = "HIT"
    }
}

// MARK: - GetHIT

public struct GetHITRequest: MTurkOperation {
    public typealias Response = GetHITResponse
    public static let operationName = "GetHIT"

    public var hitId: String

    public init(hitId: String) {
        self.hitId = hitId
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
    }
}

public struct GetHITResponse: Codable, Sendable {
    public var hit: HIT?

    public init(hit: HIT? = nil) {
        self.hit = hit
    }

    enum CodingKeys: String, CodingKey {
        case hit = "HIT"
    }
}

// MARK: - ListHITs

public struct ListHITsRequest: MTurkOperation {
    public typealias Response = ListHITsResponse
    public static let operationName = "ListHITs"

    public var nextToken: String?
    public var maxResults: Int?

    public init(nextToken: String? = nil, maxResults: Int? = nil) {
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }
}

public struct ListHITsResponse: Codable, Sendable {
    public var nextToken: String?
    public var numResults: Int?
    public var hits: [HIT]?

    public init(nextToken: String? = nil, numResults: Int? = nil, hits: [HIT]? = nil) {
        self.nextToken = nextToken
        self.numResults = numResults
        self.hits = hits
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case numResults = "NumResults"
        case hits = "HITs"
    }
}

// MARK: - UpdateExpirationForHIT

public struct UpdateExpirationForHITRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "UpdateExpirationForHIT"

    public var hitId: String
    public var expireAt: Date

    public init(hitId: String, expireAt: Date) {
        self.hitId = hitId
        self.expireAt = expireAt
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
        case expireAt = "ExpireAt"
    }
}

// MARK: - DeleteHIT

public struct DeleteHITRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "DeleteHIT"

    public var hitId: String

    public init(hitId: String) {
        self.hitId = hitId
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
    }
}

// MARK: - ListAssignmentsForHIT

public struct ListAssignmentsForHITRequest: MTurkOperation {
    public typealias Response = ListAssignmentsForHITResponse
    public static let operationName = "ListAssignmentsForHIT"

    public var hitId: String
    public var nextToken: String?
    public var maxResults: Int?
    public var assignmentStatuses: [AssignmentStatus]?

    public init(hitId: String, nextToken: String? = nil, maxResults: Int? = nil, assignmentStatuses: [AssignmentStatus]? = nil) {
        self.hitId = hitId
        self.nextToken = nextToken
        self.maxResults = maxResults
        self.assignmentStatuses = assignmentStatuses
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
        case assignmentStatuses = "AssignmentStatuses"
    }
}

public struct ListAssignmentsForHITResponse: Codable, Sendable {
    public var nextToken: String?
    public var numResults: Int?
    public var assignments: [Assignment]?

    public init(nextToken: String? = nil, numResults: Int? = nil, assignments: [Assignment]? = nil) {
        self.nextToken = nextToken
        self.numResults = numResults
        self.assignments = assignments
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case numResults = "NumResults"
        case assignments = "Assignments"
    }
}

// MARK: - GetAssignment

public struct GetAssignmentRequest: MTurkOperation {
    public typealias Response = GetAssignmentResponse
    public static let operationName = "GetAssignment"

    public var assignmentId: String

    public init(assignmentId: String) {
        self.assignmentId = assignmentId
    }

    enum CodingKeys: String, CodingKey {
        case assignmentId = "AssignmentId"
    }
}

public struct GetAssignmentResponse: Codable, Sendable {
    public var assignment: Assignment?
    public var hit: HIT?

    public init(assignment: Assignment? = nil, hit: HIT? = nil) {
        self.assignment = assignment
        self.hit = hit
    }

    enum CodingKeys: String, CodingKey {
        case assignment = "Assignment"
        case hit = "HIT"
    }
}

// MARK: - ApproveAssignment

public struct ApproveAssignmentRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "ApproveAssignment"

    public var assignmentId: String
    public var requesterFeedback: String?
    public var overrideRejection: Bool?

    public init(assignmentId: String, requesterFeedback: String? = nil, overrideRejection: Bool? = nil) {
        self.assignmentId = assignmentId
        self.requesterFeedback = requesterFeedback
        self.overrideRejection = overrideRejection
    }

    enum CodingKeys: String, CodingKey {
        case assignmentId = "AssignmentId"
        case requesterFeedback = "RequesterFeedback"
        case overrideRejection = "OverrideRejection"
    }
}

// MARK: - RejectAssignment

public struct RejectAssignmentRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "RejectAssignment"

    public var assignmentId: String
    public var requesterFeedback: String

    public init(assignmentId: String, requesterFeedback: String) {
        self.assignmentId = assignmentId
        self.requesterFeedback = requesterFeedback
    }

    enum CodingKeys: String, CodingKey {
        case assignmentId = "AssignmentId"
        case requesterFeedback = "RequesterFeedback"
    }
}

// MARK: - SendBonus

public struct SendBonusRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "SendBonus"

    public var workerId: String
    public var bonusAmount: String
    public var assignmentId: String
    public var reason: String
    public var uniqueRequestToken: String?

    public init(workerId: String, bonusAmount: String, assignmentId: String, reason: String, uniqueRequestToken: String? = nil) {
        self.workerId = workerId
        self.bonusAmount = bonusAmount
        self.assignmentId = assignmentId
        self.reason = reason
        self.uniqueRequestToken = uniqueRequestToken
    }

    enum CodingKeys: String, CodingKey {
        case workerId = "WorkerId"
        case bonusAmount = "BonusAmount"
        case assignmentId = "AssignmentId"
        case reason = "Reason"
        case uniqueRequestToken = "UniqueRequestToken"
    }
}

// MARK: - ListBonusPayments

public struct ListBonusPaymentsRequest: MTurkOperation {
    public typealias Response = ListBonusPaymentsResponse
    public static let operationName = "ListBonusPayments"

    public var hitId: String?
    public var assignmentId: String?
    public var nextToken: String?
    public var maxResults: Int?

    public init(hitId: String? = nil, assignmentId: String? = nil, nextToken: String? = nil, maxResults: Int? = nil) {
        self.hitId = hitId
        self.assignmentId = assignmentId
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
        case assignmentId = "AssignmentId"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }
}

public struct ListBonusPaymentsResponse: Codable, Sendable {
    public var numResults: Int?
    public var nextToken: String?
    public var bonusPayments: [BonusPayment]?

    public init(numResults: Int? = nil, nextToken: String? = nil, bonusPayments: [BonusPayment]? = nil) {
        self.numResults = numResults
        self.nextToken = nextToken
        self.bonusPayments = bonusPayments
    }

    enum CodingKeys: String, CodingKey {
        case numResults = "NumResults"
        case nextToken = "NextToken"
        case bonusPayments = "BonusPayments"
    }
}

// MARK: - CreateWorkerBlock

public struct CreateWorkerBlockRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "CreateWorkerBlock"

    public var workerId: String
    public var reason: String

    public init(workerId: String, reason: String) {
        self.workerId = workerId
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case workerId = "WorkerId"
        case reason = "Reason"
    }
}

// MARK: - DeleteWorkerBlock

public struct DeleteWorkerBlockRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "DeleteWorkerBlock"

    public var workerId: String
    public var reason: String?

    public init(workerId: String, reason: String? = nil) {
        self.workerId = workerId
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case workerId = "WorkerId"
        case reason = "Reason"
    }
}

// MARK: - ListWorkerBlocks

public struct ListWorkerBlocksRequest: MTurkOperation {
    public typealias Response = ListWorkerBlocksResponse
    public static let operationName = "ListWorkerBlocks"

    public var nextToken: String?
    public var maxResults: Int?

    public init(nextToken: String? = nil, maxResults: Int? = nil) {
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }
}

public struct ListWorkerBlocksResponse: Codable, Sendable {
    public var nextToken: String?
    public var numResults: Int?
    public var workerBlocks: [WorkerBlock]?

    public init(nextToken: String? = nil, numResults: Int? = nil, workerBlocks: [WorkerBlock]? = nil) {
        self.nextToken = nextToken
        self.numResults = numResults
        self.workerBlocks = workerBlocks
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case numResults = "NumResults"
        case workerBlocks = "WorkerBlocks"
    }
}

// MARK: - CreateQualificationType

public struct CreateQualificationTypeRequest: MTurkOperation {
    public typealias Response = CreateQualificationTypeResponse
    public static let operationName = "CreateQualificationType"

    public var name: String
    public var keywords: String?
    public var description: String
    public var qualificationTypeStatus: QualificationTypeStatus
    public var retryDelayInSeconds: Int64?
    public var test: String?
    public var answerKey: String?
    public var testDurationInSeconds: Int64?
    public var autoGranted: Bool?
    public var autoGrantedValue: Int?

    public init(name: String, keywords: String? = nil, description: String, qualificationTypeStatus: QualificationTypeStatus, retryDelayInSeconds: Int64? = nil, test: String? = nil, answerKey: String? = nil, testDurationInSeconds: Int64? = nil, autoGranted: Bool? = nil, autoGrantedValue: Int? = nil) {
        self.name = name
        self.keywords = keywords
        self.description = description
        self.qualificationTypeStatus = qualificationTypeStatus
        self.retryDelayInSeconds = retryDelayInSeconds
        self.test = test
        self.answerKey = answerKey
        self.testDurationInSeconds = testDurationInSeconds
        self.autoGranted = autoGranted
        self.autoGrantedValue = autoGrantedValue
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case keywords = "Keywords"
        case description = "Description"
        case qualificationTypeStatus = "QualificationTypeStatus"
        case retryDelayInSeconds = "RetryDelayInSeconds"
        case test = "Test"
        case answerKey = "AnswerKey"
        case testDurationInSeconds = "TestDurationInSeconds"
        case autoGranted = "AutoGranted"
        case autoGrantedValue = "AutoGrantedValue"
    }
}

public struct CreateQualificationTypeResponse: Codable, Sendable {
    public var qualificationType: QualificationType?

    public init(qualificationType: QualificationType? = nil) {
        self.qualificationType = qualificationType
    }

    enum CodingKeys: String, CodingKey {
        case qualificationType = "QualificationType"
    }
}

// MARK: - ListQualificationTypes

public struct ListQualificationTypesRequest: MTurkOperation {
    public typealias Response = ListQualificationTypesResponse
    public static let operationName = "ListQualificationTypes"

    public var query: String?
    public var mustBeRequestable: Bool
    public var mustBeOwnedByCaller: Bool?
    public var nextToken: String?
    public var maxResults: Int?

    public init(query: String? = nil, mustBeRequestable: Bool, mustBeOwnedByCaller: Bool? = nil, nextToken: String? = nil, maxResults: Int? = nil) {
        self.query = query
        self.mustBeRequestable = mustBeRequestable
        self.mustBeOwnedByCaller = mustBeOwnedByCaller
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case query = "Query"
        case mustBeRequestable = "MustBeRequestable"
        case mustBeOwnedByCaller = "MustBeOwnedByCaller"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }
}

public struct ListQualificationTypesResponse: Codable, Sendable {
    public var numResults: Int?
    public var nextToken: String?
    public var qualificationTypes: [QualificationType]?

    public init(numResults: Int? = nil, nextToken: String? = nil, qualificationTypes: [QualificationType]? = nil) {
        self.numResults = numResults
        self.nextToken = nextToken
        self.qualificationTypes = qualificationTypes
    }

    enum CodingKeys: String, CodingKey {
        case numResults = "NumResults"
        case nextToken = "NextToken"
        case qualificationTypes = "QualificationTypes"
    }
}

// MARK: - AssociateQualificationWithWorker

public struct AssociateQualificationWithWorkerRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "AssociateQualificationWithWorker"

    public var qualificationTypeId: String
    public var workerId: String
    public var integerValue: Int?
    public var sendNotification: Bool?

    public init(qualificationTypeId: String, workerId: String, integerValue: Int? = nil, sendNotification: Bool? = nil) {
        self.qualificationTypeId = qualificationTypeId
        self.workerId = workerId
        self.integerValue = integerValue
        self.sendNotification = sendNotification
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
        case workerId = "WorkerId"
        case integerValue = "IntegerValue"
        case sendNotification = "SendNotification"
    }
}

// MARK: - DisassociateQualificationFromWorker

public struct DisassociateQualificationFromWorkerRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "DisassociateQualificationFromWorker"

    public var workerId: String
    public var qualificationTypeId: String
    public var reason: String?

    public init(workerId: String, qualificationTypeId: String, reason: String? = nil) {
        self.workerId = workerId
        self.qualificationTypeId = qualificationTypeId
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case workerId = "WorkerId"
        case qualificationTypeId = "QualificationTypeId"
        case reason = "Reason"
    }
}

// MARK: - ListWorkersWithQualificationType

public struct ListWorkersWithQualificationTypeRequest: MTurkOperation {
    public typealias Response = ListWorkersWithQualificationTypeResponse
    public static let operationName = "ListWorkersWithQualificationType"

    public var qualificationTypeId: String
    public var status: QualificationStatus?
    public var nextToken: String?
    public var maxResults: Int?

    public init(qualificationTypeId: String, status: QualificationStatus? = nil, nextToken: String? = nil, maxResults: Int? = nil) {
        self.qualificationTypeId = qualificationTypeId
        self.status = status
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
        case status = "Status"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }
}

public struct ListWorkersWithQualificationTypeResponse: Codable, Sendable {
    public var nextToken: String?
    public var numResults: Int?
    public var qualifications: [Qualification]?

    public init(nextToken: String? = nil, numResults: Int? = nil, qualifications: [Qualification]? = nil) {
        self.nextToken = nextToken
        self.numResults = numResults
        self.qualifications = qualifications
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case numResults = "NumResults"
        case qualifications = "Qualifications"
    }
}

// MARK: - GetAccountBalance

public struct GetAccountBalanceRequest: MTurkOperation {
    public typealias Response = GetAccountBalanceResponse
    public static let operationName = "GetAccountBalance"

    public init() {}
}

public struct GetAccountBalanceResponse: Codable, Sendable {
    public var availableBalance: String?
    public var onHoldBalance: String?

    public init(availableBalance: String? = nil, onHoldBalance: String? = nil) {
        self.availableBalance = availableBalance
        self.onHoldBalance = onHoldBalance
    }

    enum CodingKeys: String, CodingKey {
        case availableBalance = "AvailableBalance"
        case onHoldBalance = "OnHoldBalance"
    }
}

// MARK: - CreateHIT

/// CreateHIT: a HIT type and one HIT in one call. MTurk reuses the HIT type of an identical property set, as
/// CreateHITType does.
public struct CreateHITRequest: MTurkOperation {
    public typealias Response = CreateHITResponse
    public static let operationName = "CreateHIT"

    public var maxAssignments: Int?
    public var autoApprovalDelayInSeconds: Int64?
    public var lifetimeInSeconds: Int64
    public var assignmentDurationInSeconds: Int64
    public var reward: String
    public var title: String
    public var keywords: String?
    public var description: String
    public var question: String?
    public var requesterAnnotation: String?
    public var qualificationRequirements: [QualificationRequirement]?
    public var uniqueRequestToken: String?
    /// A layout made on the requester website, which MTurk accepts in place of `Question`.
    public var hitLayoutId: String?

    public init(
        maxAssignments: Int? = nil, autoApprovalDelayInSeconds: Int64? = nil, lifetimeInSeconds: Int64,
        assignmentDurationInSeconds: Int64, reward: String, title: String, keywords: String? = nil,
        description: String, question: String? = nil, requesterAnnotation: String? = nil,
        qualificationRequirements: [QualificationRequirement]? = nil, uniqueRequestToken: String? = nil,
        hitLayoutId: String? = nil
    ) {
        self.maxAssignments = maxAssignments
        self.autoApprovalDelayInSeconds = autoApprovalDelayInSeconds
        self.lifetimeInSeconds = lifetimeInSeconds
        self.assignmentDurationInSeconds = assignmentDurationInSeconds
        self.reward = reward
        self.title = title
        self.keywords = keywords
        self.description = description
        self.question = question
        self.requesterAnnotation = requesterAnnotation
        self.qualificationRequirements = qualificationRequirements
        self.uniqueRequestToken = uniqueRequestToken
        self.hitLayoutId = hitLayoutId
    }

    /// The HIT type part of the request, in CreateHITType's shape.
    public var hitTypeRequest: CreateHITTypeRequest {
        CreateHITTypeRequest(
            autoApprovalDelayInSeconds: autoApprovalDelayInSeconds,
            assignmentDurationInSeconds: assignmentDurationInSeconds, reward: reward, title: title, keywords: keywords,
            description: description, qualificationRequirements: qualificationRequirements)
    }

    /// Returns the HIT part of the request in CreateHITWithHITType's shape, for the HIT type `hitTypeId`.
    public func hitRequest(hitTypeId: String) -> CreateHITWithHITTypeRequest {
        CreateHITWithHITTypeRequest(
            hitTypeId: hitTypeId, maxAssignments: maxAssignments, lifetimeInSeconds: lifetimeInSeconds,
            question: question, requesterAnnotation: requesterAnnotation, uniqueRequestToken: uniqueRequestToken)
    }

    enum CodingKeys: String, CodingKey {
        case maxAssignments = "MaxAssignments"
        case autoApprovalDelayInSeconds = "AutoApprovalDelayInSeconds"
        case lifetimeInSeconds = "LifetimeInSeconds"
        case assignmentDurationInSeconds = "AssignmentDurationInSeconds"
        case reward = "Reward"
        case title = "Title"
        case keywords = "Keywords"
        case description = "Description"
        case question = "Question"
        case requesterAnnotation = "RequesterAnnotation"
        case qualificationRequirements = "QualificationRequirements"
        case uniqueRequestToken = "UniqueRequestToken"
        case hitLayoutId = "HITLayoutId"
    }
}

public struct CreateHITResponse: Codable, Sendable {
    public var hit: HIT?

    public init(hit: HIT? = nil) {
        self.hit = hit
    }

    enum CodingKeys: String, CodingKey {
        case hit = "HIT"
    }
}

// MARK: - ListReviewableHITs

public struct ListReviewableHITsRequest: MTurkOperation {
    public typealias Response = ListReviewableHITsResponse
    public static let operationName = "ListReviewableHITs"

    /// Only HITs of this HIT type, when given.
    public var hitTypeId: String?
    /// `Reviewable` (the default) or `Reviewing`.
    public var status: HITStatus?
    public var nextToken: String?
    public var maxResults: Int?

    public init(hitTypeId: String? = nil, status: HITStatus? = nil, nextToken: String? = nil, maxResults: Int? = nil) {
        self.hitTypeId = hitTypeId
        self.status = status
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case hitTypeId = "HITTypeId"
        case status = "Status"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }
}

public struct ListReviewableHITsResponse: Codable, Sendable {
    public var nextToken: String?
    public var numResults: Int?
    public var hits: [HIT]?

    public init(nextToken: String? = nil, numResults: Int? = nil, hits: [HIT]? = nil) {
        self.nextToken = nextToken
        self.numResults = numResults
        self.hits = hits
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case numResults = "NumResults"
        case hits = "HITs"
    }
}

// MARK: - UpdateHITReviewStatus

public struct UpdateHITReviewStatusRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "UpdateHITReviewStatus"

    public var hitId: String
    /// False or absent moves a Reviewable HIT to Reviewing; true moves a Reviewing HIT back to Reviewable.
    public var revert: Bool?

    public init(hitId: String, revert: Bool? = nil) {
        self.hitId = hitId
        self.revert = revert
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
        case revert = "Revert"
    }
}

// MARK: - CreateAdditionalAssignmentsForHIT

public struct CreateAdditionalAssignmentsForHITRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "CreateAdditionalAssignmentsForHIT"

    public var hitId: String
    public var numberOfAdditionalAssignments: Int
    public var uniqueRequestToken: String?

    public init(hitId: String, numberOfAdditionalAssignments: Int, uniqueRequestToken: String? = nil) {
        self.hitId = hitId
        self.numberOfAdditionalAssignments = numberOfAdditionalAssignments
        self.uniqueRequestToken = uniqueRequestToken
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
        case numberOfAdditionalAssignments = "NumberOfAdditionalAssignments"
        case uniqueRequestToken = "UniqueRequestToken"
    }
}

// MARK: - NotifyWorkers

public struct NotifyWorkersRequest: MTurkOperation {
    public typealias Response = NotifyWorkersResponse
    public static let operationName = "NotifyWorkers"

    /// The e-mail subject, at most 200 characters.
    public var subject: String
    /// The e-mail text, at most 4,096 characters.
    public var messageText: String
    /// 1 to 100 worker ids.
    public var workerIds: [String]

    public init(subject: String, messageText: String, workerIds: [String]) {
        self.subject = subject
        self.messageText = messageText
        self.workerIds = workerIds
    }

    enum CodingKeys: String, CodingKey {
        case subject = "Subject"
        case messageText = "MessageText"
        case workerIds = "WorkerIds"
    }
}

public struct NotifyWorkersResponse: Codable, Sendable {
    /// One entry per worker who could not be notified. The others were.
    public var notifyWorkersFailureStatuses: [NotifyWorkersFailureStatus]?

    public init(notifyWorkersFailureStatuses: [NotifyWorkersFailureStatus]? = nil) {
        self.notifyWorkersFailureStatuses = notifyWorkersFailureStatuses
    }

    enum CodingKeys: String, CodingKey {
        case notifyWorkersFailureStatuses = "NotifyWorkersFailureStatuses"
    }
}

// MARK: - GetQualificationType

public struct GetQualificationTypeRequest: MTurkOperation {
    public typealias Response = GetQualificationTypeResponse
    public static let operationName = "GetQualificationType"

    public var qualificationTypeId: String

    public init(qualificationTypeId: String) {
        self.qualificationTypeId = qualificationTypeId
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
    }
}

public struct GetQualificationTypeResponse: Codable, Sendable {
    public var qualificationType: QualificationType?

    public init(qualificationType: QualificationType? = nil) {
        self.qualificationType = qualificationType
    }

    enum CodingKeys: String, CodingKey {
        case qualificationType = "QualificationType"
    }
}

// MARK: - DeleteQualificationType

public struct DeleteQualificationTypeRequest: MTurkOperation {
    public typealias Response = EmptyResponse
    public static let operationName = "DeleteQualificationType"

    public var qualificationTypeId: String

    public init(qualificationTypeId: String) {
        self.qualificationTypeId = qualificationTypeId
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
    }
}

// MARK: - GetQualificationScore

public struct GetQualificationScoreRequest: MTurkOperation {
    public typealias Response = GetQualificationScoreResponse
    public static let operationName = "GetQualificationScore"

    public var qualificationTypeId: String
    public var workerId: String

    public init(qualificationTypeId: String, workerId: String) {
        self.qualificationTypeId = qualificationTypeId
        self.workerId = workerId
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
        case workerId = "WorkerId"
    }
}

public struct GetQualificationScoreResponse: Codable, Sendable {
    public var qualification: Qualification?

    public init(qualification: Qualification? = nil) {
        self.qualification = qualification
    }

    enum CodingKeys: String, CodingKey {
        case qualification = "Qualification"
    }
}
