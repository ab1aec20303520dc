import Foundation
import Synchronization
import TurkModel

/// A `Marketplace` that records each call and returns fixed values, for tests of the wire service without
/// the local marketplace. `failure` makes every call throw.
final class StubMarketplace: Marketplace {
    let calls = Mutex<[String]>([])
    let failure = Mutex<(any Error)?>(nil)
    let hit: HIT

    init() {
        var hit = HIT(hitId: "3STUBHITID000000000000000000")
        hit.hitTypeId = "3STUBHITTYPE0000000000000000"
        hit.title = "Stub"
        hit.hitStatus = .assignable
        hit.creationTime = Date(timeIntervalSince1970: 1_420_070_400)
        hit.maxAssignments = 1
        hit.reward = "0.50"
        self.hit = hit
    }

    var callNames: [String] { calls.withLock { $0 } }

    private func record<Response>(_ name: String, _ response: Response) throws -> Response {
        calls.withLock { $0.append(name) }
        if let error = failure.withLock({ $0 }) { throw error }
        return response
    }

    func createHITType(_ request: CreateHITTypeRequest) async throws -> CreateHITTypeResponse {
        try record("CreateHITType", CreateHITTypeResponse(hitTypeId: hit.hitTypeId))
    }

    func createHITWithHITType(_ request: CreateHITWithHITTypeRequest) async throws -> CreateHITWithHITTypeResponse {
        try record("CreateHITWithHITType", CreateHITWithHITTypeResponse(hit: hit))
    }

    func getHIT(_ request: GetHITRequest) async throws -> GetHITResponse {
        try record("GetHIT", GetHITResponse(hit: hit))
    }

    func listHITs(_ request: ListHITsRequest) async throws -> ListHITsResponse {
        try record("ListHITs", ListHITsResponse(numResults: 1, hits: [hit]))
    }

    func updateExpirationForHIT(_ request: UpdateExpirationForHITRequest) async throws -> EmptyResponse {
        try record("UpdateExpirationForHIT", EmptyResponse())
    }

    func deleteHIT(_ request: DeleteHITRequest) async throws -> EmptyResponse {
        try record("DeleteHIT", EmptyResponse())
    }

    func listAssignmentsForHIT(_ request: ListAssignmentsForHITRequest) async throws -> ListAssignmentsForHITResponse {
        try record("ListAssignmentsForHIT", ListAssignmentsForHITResponse(numResults: 0, assignments: []))
    }

    func getAssignment(_ request: GetAssignmentRequest) async throws -> GetAssignmentResponse {
        try record("GetAssignment", GetAssignmentResponse(assignment: Assignment(assignmentId: request.assignmentId)))
    }

    func approveAssignment(_ request: ApproveAssignmentRequest) async throws -> EmptyResponse {
        try record("ApproveAssignment", EmptyResponse())
    }

    func rejectAssignment(_ request: RejectAssignmentRequest) async throws -> EmptyResponse {
        try record("RejectAssignment", EmptyResponse())
    }

    func sendBonus(_ request: SendBonusRequest) async throws -> EmptyResponse {
        try record("SendBonus", EmptyResponse())
    }

    func listBonusPayments(_ request: ListBonusPaymentsRequest) async throws -> ListBonusPaymentsResponse {
        try record("ListBonusPayments", ListBonusPaymentsResponse(numResults: 0, bonusPayments: []))
    }

    func createWorkerBlock(_ request: CreateWorkerBlockRequest) async throws -> EmptyResponse {
        try record("CreateWorkerBlock", EmptyResponse())
    }

    func deleteWorkerBlock(_ request: DeleteWorkerBlockRequest) async throws -> EmptyResponse {
        try record("DeleteWorkerBlock", EmptyResponse())
    }

    func listWorkerBlocks(_ request: ListWorkerBlocksRequest) async throws -> ListWorkerBlocksResponse {
        try record("ListWorkerBlocks", ListWorkerBlocksResponse(numResults: 0, workerBlocks: []))
    }

    func createQualificationType(_ request: CreateQualificationTypeRequest) async throws
        -> CreateQualificationTypeResponse
    {
        try record("CreateQualificationType", CreateQualificationTypeResponse())
    }

    func listQualificationTypes(_ request: ListQualificationTypesRequest) async throws -> ListQualificationTypesResponse {
        try record("ListQualificationTypes", ListQualificationTypesResponse(numResults: 0, qualificationTypes: []))
    }

    func associateQualificationWithWorker(_ request: AssociateQualificationWithWorkerRequest) async throws
        -> EmptyResponse
    {
        try record("AssociateQualificationWithWorker", EmptyResponse())
    }

    func disassociateQualificationFromWorker(_ request: DisassociateQualificationFromWorkerRequest) async throws
        -> EmptyResponse
    {
        try record("DisassociateQualificationFromWorker", EmptyResponse())
    }

    func listWorkersWithQualificationType(_ request: ListWorkersWithQualificationTypeRequest) async throws
        -> ListWorkersWithQualificationTypeResponse
    {
        try record("ListWorkersWithQualificationType", ListWorkersWithQualificationTypeResponse(qualifications: []))
    }

    func getAccountBalance(_ request: GetAccountBalanceRequest) async throws -> GetAccountBalanceResponse {
        try record("GetAccountBalance", GetAccountBalanceResponse(availableBalance: "10000.00", onHoldBalance: "0.00"))
    }
}
