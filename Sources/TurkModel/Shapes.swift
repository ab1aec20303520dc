import Foundation

// Data shapes of the MTurk Requester API, version 2017-01-17. Swift names are lower camel case; the coding keys
// keep MTurk's field names, so these values encode to and decode from the wire format unchanged. Enumerations
// are string structs rather than Swift enums, so a value that a later API version adds still decodes.

/// A string value from one of MTurk's enumerations.
public protocol MTurkEnumeration: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible
where RawValue == String {
    init(rawValue: String)
}

extension MTurkEnumeration {
    public init(from decoder: Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

public struct HITStatus: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let assignable = HITStatus(rawValue: "Assignable")
    public static let unassignable = HITStatus(rawValue: "Unassignable")
    public static let reviewable = HITStatus(rawValue: "Reviewable")
    public static let reviewing = HITStatus(rawValue: "Reviewing")
    public static let disposed = HITStatus(rawValue: "Disposed")
}

public struct HITReviewStatus: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let notReviewed = HITReviewStatus(rawValue: "NotReviewed")
    public static let markedForReview = HITReviewStatus(rawValue: "MarkedForReview")
}

public struct AssignmentStatus: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let submitted = AssignmentStatus(rawValue: "Submitted")
    public static let approved = AssignmentStatus(rawValue: "Approved")
    public static let rejected = AssignmentStatus(rawValue: "Rejected")
}

public struct Comparator: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let lessThan = Comparator(rawValue: "LessThan")
    public static let lessThanOrEqualTo = Comparator(rawValue: "LessThanOrEqualTo")
    public static let greaterThan = Comparator(rawValue: "GreaterThan")
    public static let greaterThanOrEqualTo = Comparator(rawValue: "GreaterThanOrEqualTo")
    public static let equalTo = Comparator(rawValue: "EqualTo")
    public static let notEqualTo = Comparator(rawValue: "NotEqualTo")
    public static let exists = Comparator(rawValue: "Exists")
    public static let doesNotExist = Comparator(rawValue: "DoesNotExist")
    public static let `in` = Comparator(rawValue: "In")
    public static let notIn = Comparator(rawValue: "NotIn")
}

public struct HITAccessActions: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let accept = HITAccessActions(rawValue: "Accept")
    public static let previewAndAccept = HITAccessActions(rawValue: "PreviewAndAccept")
    public static let discoverPreviewAndAccept = HITAccessActions(rawValue: "DiscoverPreviewAndAccept")
}

public struct QualificationTypeStatus: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let active = QualificationTypeStatus(rawValue: "Active")
    public static let inactive = QualificationTypeStatus(rawValue: "Inactive")
}

public struct QualificationStatus: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let granted = QualificationStatus(rawValue: "Granted")
    public static let revoked = QualificationStatus(rawValue: "Revoked")
}

public struct Locale: Codable, Hashable, Sendable {
    public var country: String
    public var subdivision: String?

    public init(country: String, subdivision: String? = nil) {
        self.country = country
        self.subdivision = subdivision
    }

    enum CodingKeys: String, CodingKey {
        case country = "Country"
        case subdivision = "Subdivision"
    }
}

public struct QualificationRequirement: Codable, Hashable, Sendable {
    public var qualificationTypeId: String
    public var comparator: Comparator
    public var integerValues: [Int]?
    public var localeValues: [Locale]?
    public var requiredToPreview: Bool?
    public var actionsGuarded: HITAccessActions?

    public init(
        qualificationTypeId: String, comparator: Comparator, integerValues: [Int]? = nil,
        localeValues: [Locale]? = nil, requiredToPreview: Bool? = nil, actionsGuarded: HITAccessActions? = nil
    ) {
        self.qualificationTypeId = qualificationTypeId
        self.comparator = comparator
        self.integerValues = integerValues
        self.localeValues = localeValues
        self.requiredToPreview = requiredToPreview
        self.actionsGuarded = actionsGuarded
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
        case comparator = "Comparator"
        case integerValues = "IntegerValues"
        case localeValues = "LocaleValues"
        case requiredToPreview = "RequiredToPreview"
        case actionsGuarded = "ActionsGuarded"
    }
}

/// Qualification type ids that MTurk defines for every requester.
public enum SystemQualification {
    public static let percentAssignmentsApproved = "000000000000000000L0"
    public static let numberHITsApproved = "00000000000000000040"
    public static let locale = "00000000000000000071"
    public static let mastersLive = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"
    public static let mastersSandbox = "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"
}

public struct HIT: Codable, Hashable, Sendable {
    public var hitId: String?
    public var hitTypeId: String?
    public var hitGroupId: String?
    public var hitLayoutId: String?
    public var creationTime: Date?
    public var title: String?
    public var description: String?
    public var question: String?
    public var keywords: String?
    public var hitStatus: HITStatus?
    public var maxAssignments: Int?
    public var reward: String?
    public var autoApprovalDelayInSeconds: Int64?
    public var expiration: Date?
    public var assignmentDurationInSeconds: Int64?
    public var requesterAnnotation: String?
    public var qualificationRequirements: [QualificationRequirement]?
    public var hitReviewStatus: HITReviewStatus?
    public var numberOfAssignmentsPending: Int?
    public var numberOfAssignmentsAvailable: Int?
    public var numberOfAssignmentsCompleted: Int?

    public init(hitId: String? = nil) {
        self.hitId = hitId
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "HITId"
        case hitTypeId = "HITTypeId"
        case hitGroupId = "HITGroupId"
        case hitLayoutId = "HITLayoutId"
        case creationTime = "CreationTime"
        case title = "Title"
        case description = "Description"
        case question = "Question"
        case keywords = "Keywords"
        case hitStatus = "HITStatus"
        case maxAssignments = "MaxAssignments"
        case reward = "Reward"
        case autoApprovalDelayInSeconds = "AutoApprovalDelayInSeconds"
        case expiration = "Expiration"
        case assignmentDurationInSeconds = "AssignmentDurationInSeconds"
        case requesterAnnotation = "RequesterAnnotation"
        case qualificationRequirements = "QualificationRequirements"
        case hitReviewStatus = "HITReviewStatus"
        case numberOfAssignmentsPending = "NumberOfAssignmentsPending"
        case numberOfAssignmentsAvailable = "NumberOfAssignmentsAvailable"
        case numberOfAssignmentsCompleted = "NumberOfAssignmentsCompleted"
    }
}

public struct Assignment: Codable, Hashable, Sendable {
    public var assignmentId: String?
    public var workerId: String?
    public var hitId: String?
    public var assignmentStatus: AssignmentStatus?
    public var autoApprovalTime: Date?
    public var acceptTime: Date?
    public var submitTime: Date?
    public var approvalTime: Date?
    public var rejectionTime: Date?
    public var deadline: Date?
    public var answer: String?
    public var requesterFeedback: String?

    public init(assignmentId: String? = nil) {
        self.assignmentId = assignmentId
    }

    enum CodingKeys: String, CodingKey {
        case assignmentId = "AssignmentId"
        case workerId = "WorkerId"
        case hitId = "HITId"
        case assignmentStatus = "AssignmentStatus"
        case autoApprovalTime = "AutoApprovalTime"
        case acceptTime = "AcceptTime"
        case submitTime = "SubmitTime"
        case approvalTime = "ApprovalTime"
        case rejectionTime = "RejectionTime"
        case deadline = "Deadline"
        case answer = "Answer"
        case requesterFeedback = "RequesterFeedback"
    }
}

public struct BonusPayment: Codable, Hashable, Sendable {
    public var workerId: String?
    public var bonusAmount: String?
    public var assignmentId: String?
    public var reason: String?
    public var grantTime: Date?

    public init(workerId: String?, bonusAmount: String?, assignmentId: String?, reason: String?, grantTime: Date?) {
        self.workerId = workerId
        self.bonusAmount = bonusAmount
        self.assignmentId = assignmentId
        self.reason = reason
        self.grantTime = grantTime
    }

    enum CodingKeys: String, CodingKey {
        case workerId = "WorkerId"
        case bonusAmount = "BonusAmount"
        case assignmentId = "AssignmentId"
        case reason = "Reason"
        case grantTime = "GrantTime"
    }
}

public struct WorkerBlock: Codable, Hashable, Sendable {
    public var workerId: String?
    public var reason: String?

    public init(workerId: String?, reason: String?) {
        self.workerId = workerId
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case workerId = "WorkerId"
        case reason = "Reason"
    }
}

public struct QualificationType: Codable, Hashable, Sendable {
    public var qualificationTypeId: String?
    public var creationTime: Date?
    public var name: String?
    public var description: String?
    public var keywords: String?
    public var qualificationTypeStatus: QualificationTypeStatus?
    public var test: String?
    public var testDurationInSeconds: Int64?
    public var answerKey: String?
    public var retryDelayInSeconds: Int64?
    public var isRequestable: Bool?
    public var autoGranted: Bool?
    public var autoGrantedValue: Int?

    public init(qualificationTypeId: String? = nil) {
        self.qualificationTypeId = qualificationTypeId
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
        case creationTime = "CreationTime"
        case name = "Name"
        case description = "Description"
        case keywords = "Keywords"
        case qualificationTypeStatus = "QualificationTypeStatus"
        case test = "Test"
        case testDurationInSeconds = "TestDurationInSeconds"
        case answerKey = "AnswerKey"
        case retryDelayInSeconds = "RetryDelayInSeconds"
        case isRequestable = "IsRequestable"
        case autoGranted = "AutoGranted"
        case autoGrantedValue = "AutoGrantedValue"
    }
}

public struct Qualification: Codable, Hashable, Sendable {
    public var qualificationTypeId: String?
    public var workerId: String?
    public var grantTime: Date?
    public var integerValue: Int?
    public var localeValue: Locale?
    public var status: QualificationStatus?

    public init(qualificationTypeId: String? = nil, workerId: String? = nil) {
        self.qualificationTypeId = qualificationTypeId
        self.workerId = workerId
    }

    enum CodingKeys: String, CodingKey {
        case qualificationTypeId = "QualificationTypeId"
        case workerId = "WorkerId"
        case grantTime = "GrantTime"
        case integerValue = "IntegerValue"
        case localeValue = "LocaleValue"
        case status = "Status"
    }
}

public struct NotifyWorkersFailureCode: MTurkEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let softFailure = NotifyWorkersFailureCode(rawValue: "SoftFailure")
    public static let hardFailure = NotifyWorkersFailureCode(rawValue: "HardFailure")
}

/// A worker that NotifyWorkers could not notify, and why.
public struct NotifyWorkersFailureStatus: Codable, Hashable, Sendable {
    public var notifyWorkersFailureCode: NotifyWorkersFailureCode?
    public var notifyWorkersFailureMessage: String?
    public var workerId: String?

    public init(
        notifyWorkersFailureCode: NotifyWorkersFailureCode?, notifyWorkersFailureMessage: String?, workerId: String?
    ) {
        self.notifyWorkersFailureCode = notifyWorkersFailureCode
        self.notifyWorkersFailureMessage = notifyWorkersFailureMessage
        self.workerId = workerId
    }

    enum CodingKeys: String, CodingKey {
        case notifyWorkersFailureCode = "NotifyWorkersFailureCode"
        case notifyWorkersFailureMessage = "NotifyWorkersFailureMessage"
        case workerId = "WorkerId"
    }
}
