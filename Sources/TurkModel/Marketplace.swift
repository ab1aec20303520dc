import Foundation

/// The operations of a crowd marketplace that the tools use, in the shapes of the MTurk Requester API.
///
/// Implementations: `LocalMarketplace` (an offline marketplace in SQLite, in TurkLocal) and `MTurkClient`
/// (the signed HTTPS client for sandbox and live, in TurkAWS). A second provider implements this protocol and
/// maps its own model onto these shapes.
///
/// Requirements for implementers:
/// - Throw `MTurkError` with MTurk's code (`RequestError`, `ServiceFault`, ...) and `TurkErrorCode`.
/// - Keep MTurk's state rules. A HIT can be deleted only when it is `Reviewable` or `Reviewing` and every
///   submitted assignment is approved or rejected. A reused `UniqueRequestToken` fails with
///   `AWS.MechanicalTurk.HitAlreadyExists` (HITs) or `AWS.MechanicalTurk.DuplicateRequest` (bonuses).
/// - Page every `List` operation with `NextToken`, at most 100 results a page.
public protocol Marketplace: Sendable {
    func createHITType(_ request: CreateHITTypeRequest) async throws -> CreateHITTypeResponse
    func createHITWithHITType(_ request: CreateHITWithHITTypeRequest) async throws -> CreateHITWithHITTypeResponse
    func getHIT(_ request: GetHITRequest) async throws -> GetHITResponse
    func listHITs(_ request: ListHITsRequest) async throws -> ListHITsResponse
    func updateExpirationForHIT(_ request: UpdateExpirationForHITRequest) async throws -> EmptyResponse
    func deleteHIT(_ request: DeleteHITRequest) async throws -> EmptyResponse
    func listAssignmentsForHIT(_ request: ListAssignmentsForHITRequest) async throws -> ListAssignmentsForHITResponse
    func getAssignment(_ request: GetAssignmentRequest) async throws -> GetAssignmentResponse
    func approveAssignment(_ request: ApproveAssignmentRequest) async throws -> EmptyResponse
    func rejectAssignment(_ request: RejectAssignmentRequest) async throws -> EmptyResponse
    func sendBonus(_ request: SendBonusRequest) async throws -> EmptyResponse
    func listBonusPayments(_ request: ListBonusPaymentsRequest) async throws -> ListBonusPaymentsResponse
    func createWorkerBlock(_ request: CreateWorkerBlockRequest) async throws -> EmptyResponse
    func deleteWorkerBlock(_ request: DeleteWorkerBlockRequest) async throws -> EmptyResponse
    func listWorkerBlocks(_ request: ListWorkerBlocksRequest) async throws -> ListWorkerBlocksResponse
    func createQualificationType(_ request: CreateQualificationTypeRequest) async throws
        -> CreateQualificationTypeResponse
    func listQualificationTypes(_ request: ListQualificationTypesRequest) async throws
        -> ListQualificationTypesResponse
    func associateQualificationWithWorker(_ request: AssociateQualificationWithWorkerRequest) async throws
        -> EmptyResponse
    func disassociateQualificationFromWorker(_ request: DisassociateQualificationFromWorkerRequest) async throws
        -> EmptyResponse
    func listWorkersWithQualificationType(_ request: ListWorkersWithQualificationTypeRequest) async throws
        -> ListWorkersWithQualificationTypeResponse
    func getAccountBalance(_ request: GetAccountBalanceRequest) async throws -> GetAccountBalanceResponse
}

/// A marketplace that also implements requester operations the turkchat tools do not call, so that boto3 and AWS
/// CLI users of the local wire endpoint can call them too. `LocalMarketplace` and `MTurkClient` conform.
///
/// The operations are kept out of `Marketplace` so that wrappers of a `Marketplace` need not forward them. The
/// wire service serves them when the marketplace behind it conforms, and returns `UnknownOperationException`
/// otherwise.
public protocol ExtendedMarketplace: Marketplace {
    /// Creates a HIT type (or reuses an identical one) and one HIT of it. A reused `UniqueRequestToken` fails as
    /// in CreateHITWithHITType.
    func createHIT(_ request: CreateHITRequest) async throws -> CreateHITResponse
    func listReviewableHITs(_ request: ListReviewableHITsRequest) async throws -> ListReviewableHITsResponse
    func updateHITReviewStatus(_ request: UpdateHITReviewStatusRequest) async throws -> EmptyResponse
    /// Raises a HIT's MaxAssignments. A HIT with fewer than 10 cannot reach 10 or more
    /// (`AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease`).
    func createAdditionalAssignmentsForHIT(_ request: CreateAdditionalAssignmentsForHITRequest) async throws
        -> EmptyResponse
    /// Sends an e-mail to workers. Workers who cannot be notified come back in the response, not as an error.
    func notifyWorkers(_ request: NotifyWorkersRequest) async throws -> NotifyWorkersResponse
    func getQualificationType(_ request: GetQualificationTypeRequest) async throws -> GetQualificationTypeResponse
    func deleteQualificationType(_ request: DeleteQualificationTypeRequest) async throws -> EmptyResponse
    func getQualificationScore(_ request: GetQualificationScoreRequest) async throws -> GetQualificationScoreResponse
}

// MARK: - Pagination

extension Marketplace {
    /// Lists every HIT on the account, following `NextToken` until it is missing or a page comes back empty.
    public func allHITs() async throws -> [HIT] {
        try await collectPages { token in
            let page = try await listHITs(ListHITsRequest(nextToken: token, maxResults: 100))
            return (page.hits ?? [], page.nextToken)
        }
    }

    /// Lists every assignment of a HIT with one of `statuses` (all three when nil).
    public func allAssignments(hitId: String, statuses: [AssignmentStatus]? = nil) async throws -> [Assignment] {
        try await collectPages { token in
            let page = try await listAssignmentsForHIT(
                ListAssignmentsForHITRequest(hitId: hitId, nextToken: token, maxResults: 100, assignmentStatuses: statuses))
            return (page.assignments ?? [], page.nextToken)
        }
    }

    /// Lists every bonus paid for one assignment.
    public func allBonusPayments(assignmentId: String) async throws -> [BonusPayment] {
        try await collectPages { token in
            let page = try await listBonusPayments(
                ListBonusPaymentsRequest(assignmentId: assignmentId, nextToken: token, maxResults: 100))
            return (page.bonusPayments ?? [], page.nextToken)
        }
    }

    /// Lists every worker block on the account.
    public func allWorkerBlocks() async throws -> [WorkerBlock] {
        try await collectPages { token in
            let page = try await listWorkerBlocks(ListWorkerBlocksRequest(nextToken: token, maxResults: 100))
            return (page.workerBlocks ?? [], page.nextToken)
        }
    }

    /// Lists every qualification type owned by the caller whose name or keywords match `query`.
    public func allQualificationTypes(query: String?) async throws -> [QualificationType] {
        try await collectPages { token in
            let page = try await listQualificationTypes(ListQualificationTypesRequest(
                query: query, mustBeRequestable: false, mustBeOwnedByCaller: true, nextToken: token, maxResults: 100))
            return (page.qualificationTypes ?? [], page.nextToken)
        }
    }

    /// Lists every worker who has a qualification type, with the given status (granted when nil).
    public func allWorkers(withQualificationType id: String, status: QualificationStatus? = nil) async throws
        -> [Qualification]
    {
        try await collectPages { token in
            let page = try await listWorkersWithQualificationType(ListWorkersWithQualificationTypeRequest(
                qualificationTypeId: id, status: status, nextToken: token, maxResults: 100))
            return (page.qualifications ?? [], page.nextToken)
        }
    }
}

/// Calls `fetch` with each page token in turn and concatenates the items, stopping when the token is missing or a
/// page is empty (MTurk has been seen to end with an empty page that still carries a token).
public func collectPages<Item>(
    _ fetch: (String?) async throws -> (items: [Item], nextToken: String?)
) async throws -> [Item] {
    var items: [Item] = []
    var token: String? = nil
    var seenTokens: Set<String> = []
    repeat {
        let page = try await fetch(token)
        items += page.items
        guard !page.items.isEmpty, let next = page.nextToken, !next.isEmpty, seenTokens.insert(next).inserted else {
            break
        }
        token = next
    } while true
    return items
}

/// Lets a caller see why its marketplace calls are still running. A marketplace that retries failed calls reports
/// each failed attempt here before it waits to retry.
public enum MarketplaceRetryObserver {
    /// Receives the error of each attempt that will be retried, for calls made in the task that binds it (with
    /// `$onRetry.withValue`) and in tasks it creates.
    @TaskLocal public static var onRetry: (@Sendable (MTurkError) -> Void)?
}
