import Foundation
import Synchronization
import Testing
import TurkAWS
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkChat

/// A marketplace that forwards to another one, counts the GetHIT and ListAssignmentsForHIT calls, and can change
/// the HIT that GetHIT returns.
final class CountingMarketplace: Marketplace {
    let base: any Marketplace
    let getHITCalls = Atomic<Int>(0)
    let listAssignmentsCalls = Atomic<Int>(0)
    private let changeHIT: @Sendable (HIT) -> HIT

    init(_ base: any Marketplace, changeHIT: @escaping @Sendable (HIT) -> HIT = { $0 }) {
        self.base = base
        self.changeHIT = changeHIT
    }

    func getHIT(_ request: GetHITRequest) async throws -> GetHITResponse {
        getHITCalls.add(1, ordering: .relaxed)
        var response = try await base.getHIT(request)
        response.hit = response.hit.map(changeHIT)
        return response
    }

    func listAssignmentsForHIT(_ request: ListAssignmentsForHITRequest) async throws -> ListAssignmentsForHITResponse {
        listAssignmentsCalls.add(1, ordering: .relaxed)
        return try await base.listAssignmentsForHIT(request)
    }

    func createHITType(_ request: CreateHITTypeRequest) async throws -> CreateHITTypeResponse {
        try await base.createHITType(request)
    }
    func createHITWithHITType(_ request: CreateHITWithHITTypeRequest) async throws -> CreateHITWithHITTypeResponse {
        try await base.createHITWithHITType(request)
    }
    func listHITs(_ request: ListHITsRequest) async throws -> ListHITsResponse { try await base.listHITs(request) }
    func updateExpirationForHIT(_ request: UpdateExpirationForHITRequest) async throws -> EmptyResponse {
        try await base.updateExpirationForHIT(request)
    }
    func deleteHIT(_ request: DeleteHITRequest) async throws -> EmptyResponse { try await base.deleteHIT(request) }
    func getAssignment(_ request: GetAssignmentRequest) async throws -> GetAssignmentResponse {
        try await base.getAssignment(request)
    }
    func approveAssignment(_ request: ApproveAssignmentRequest) async throws -> EmptyResponse {
        try await base.approveAssignment(request)
    }
    func rejectAssignment(_ request: RejectAssignmentRequest) async throws -> EmptyResponse {
        try await base.rejectAssignment(request)
    }
    func sendBonus(_ request: SendBonusRequest) async throws -> EmptyResponse { try await base.sendBonus(request) }
    func listBonusPayments(_ request: ListBonusPaymentsRequest) async throws -> ListBonusPaymentsResponse {
        try await base.listBonusPayments(request)
    }
    func createWorkerBlock(_ request: CreateWorkerBlockRequest) async throws -> EmptyResponse {
        try await base.createWorkerBlock(request)
    }
    func deleteWorkerBlock(_ request: DeleteWorkerBlockRequest) async throws -> EmptyResponse {
        try await base.deleteWorkerBlock(request)
    }
    func listWorkerBlocks(_ request: ListWorkerBlocksRequest) async throws -> ListWorkerBlocksResponse {
        try await base.listWorkerBlocks(request)
    }
    func createQualificationType(_ request: CreateQualificationTypeRequest) async throws
        -> CreateQualificationTypeResponse
    {
        try await base.createQualificationType(request)
    }
    func listQualificationTypes(_ request: ListQualificationTypesRequest) async throws
        -> ListQualificationTypesResponse
    {
        try await base.listQualificationTypes(request)
    }
    func associateQualificationWithWorker(_ request: AssociateQualificationWithWorkerRequest) async throws
        -> EmptyResponse
    {
        try await base.associateQualificationWithWorker(request)
    }
    func disassociateQualificationFromWorker(_ request: DisassociateQualificationFromWorkerRequest) async throws
        -> EmptyResponse
    {
        try await base.disassociateQualificationFromWorker(request)
    }
    func listWorkersWithQualificationType(_ request: ListWorkersWithQualificationTypeRequest) async throws
        -> ListWorkersWithQualificationTypeResponse
    {
        try await base.listWorkersWithQualificationType(request)
    }
    func getAccountBalance(_ request: GetAccountBalanceRequest) async throws -> GetAccountBalanceResponse {
        try await base.getAccountBalance(request)
    }
}

/// A run with HITs in a local marketplace, and an authority that checks joins against that marketplace.
struct AuthorityFixture {
    let directory: StateDirectory
    let run: TestRun
    let store: RunStore
    let local: LocalMarketplace
    let counting: CountingMarketplace
    let authority: MarketplaceAuthority
    let logLines: LogCollector

    init(hits: Int = 2, changeHIT: @escaping @Sendable (HIT) -> HIT = { $0 }) async throws {
        directory = try StateDirectory(url: makeTemporaryDirectory())
        run = try await makeRun(stateDirectory: directory, serverURL: URL(string: "http://127.0.0.1:9")!, hits: hits)
        store = try RunStore(stateDirectory: directory)
        local = try LocalMarketplace(stateDirectory: directory, environment: [:])
        counting = CountingMarketplace(local, changeHIT: changeHIT)
        let collector = LogCollector()
        logLines = collector
        authority = MarketplaceAuthority(
            marketplace: counting, runStore: store, target: .sandbox,
            logger: ChatLogger(minimumLevel: .debug) { collector.append($0) }, checkTimeout: 5)
    }

    func close() {
        authority.stop()
        store.close()
        local.close()
    }
}

@Suite struct MarketplaceAuthorityTests {
    @Test func allowsHolderOfRunHIT() async throws {
        let fixture = try await AuthorityFixture()
        defer { fixture.close() }
        let accepted = try fixture.local.acceptHIT(hitId: fixture.run.hitIds[0], workerId: "A1HOLDER")
        let verdict = await fixture.authority.verdict(runId: fixture.run.runId, hitId: fixture.run.hitIds[0],
                                               assignmentId: accepted.assignmentId, workerId: "A1HOLDER")
        #expect(verdict == .allowed)
    }

    @Test func rejectsHITOutsideRunWithoutCallingMTurk() async throws {
        let fixture = try await AuthorityFixture()
        defer { fixture.close() }
        let other = try await makeRun(stateDirectory: fixture.directory, serverURL: URL(string: "http://127.0.0.1:9")!,
                                      hits: 1)
        let accepted = try fixture.local.acceptHIT(hitId: other.hitIds[0], workerId: "A1OTHER")
        let verdict = await fixture.authority.verdict(runId: fixture.run.runId, hitId: other.hitIds[0],
                                               assignmentId: accepted.assignmentId, workerId: "A1OTHER")
        #expect(verdict == .rejected(code: CloseCode.notFound,
                                     reason: "HIT \(other.hitIds[0]) is not a HIT of run \(fixture.run.runId)"))
        let unknown = await fixture.authority.verdict(runId: fixture.run.runId, hitId: "3UNKNOWNHIT0000000000000000000",
                                               assignmentId: accepted.assignmentId, workerId: "A1OTHER")
        #expect(unknown == .rejected(
            code: CloseCode.notFound,
            reason: "HIT 3UNKNOWNHIT0000000000000000000 is not a HIT of run \(fixture.run.runId)"))
        #expect(fixture.counting.getHITCalls.load(ordering: .relaxed) == 0)
        #expect(fixture.counting.listAssignmentsCalls.load(ordering: .relaxed) == 0)
    }

    @Test func rejectsDeletedLedgerHIT() async throws {
        let fixture = try await AuthorityFixture()
        defer { fixture.close() }
        _ = try fixture.store.markHITDeleted(hitId: fixture.run.hitIds[1])
        let verdict = await fixture.authority.verdict(runId: fixture.run.runId, hitId: fixture.run.hitIds[1],
                                               assignmentId: "3ASSIGNMENT00000000000000000001", workerId: "A1LATE")
        #expect(verdict == .rejected(code: CloseCode.inactive,
                                     reason: "HIT \(fixture.run.hitIds[1]) was deleted by its requester"))
    }

    @Test func rejectsAssignmentSubmittedByOther() async throws {
        let fixture = try await AuthorityFixture()
        defer { fixture.close() }
        let hitId = fixture.run.hitIds[0]
        let accepted = try fixture.local.acceptHIT(hitId: hitId, workerId: "A1FIRST")
        _ = try fixture.local.submitAssignment(assignmentId: accepted.assignmentId, workerId: "A1FIRST",
                                               answers: [(name: "answer", value: "done")])

        let other = await fixture.authority.verdict(runId: fixture.run.runId, hitId: hitId,
                                             assignmentId: accepted.assignmentId, workerId: "A2SECOND")
        #expect(other == .rejected(code: CloseCode.forbidden,
                                   reason: "assignment \(accepted.assignmentId) was submitted by another worker"))

        // The submitter has no record in the run store, so serve-chat never ran this assignment.
        let submitter = await fixture.authority.verdict(runId: fixture.run.runId, hitId: hitId,
                                                 assignmentId: accepted.assignmentId, workerId: "A1FIRST")
        #expect(submitter == .rejected(
            code: CloseCode.inactive, reason: "you already submitted assignment \(accepted.assignmentId) of HIT \(hitId)"))

        try fixture.store.upsertAssignment(AssignmentRecord(
            assignmentId: accepted.assignmentId, workerId: "A1FIRST", hitId: hitId, runId: fixture.run.runId,
            status: .done, acceptedAt: Date()))
        let replay = await fixture.authority.verdict(runId: fixture.run.runId, hitId: hitId,
                                              assignmentId: accepted.assignmentId, workerId: "A1FIRST")
        #expect(replay == .allowed)
    }

    @Test func rejectsDisposedHIT() async throws {
        let fixture = try await AuthorityFixture { hit in
            var changed = hit
            changed.hitStatus = .disposed
            return changed
        }
        defer { fixture.close() }
        let verdict = await fixture.authority.verdict(runId: fixture.run.runId, hitId: fixture.run.hitIds[0],
                                               assignmentId: "3ASSIGNMENT00000000000000000001", workerId: "A1LATE")
        #expect(verdict == .rejected(code: CloseCode.inactive,
                                     reason: "HIT \(fixture.run.hitIds[0]) was disposed of and takes no more work"))
    }

    @Test func expiredHITKeepsOpenAssignmentsUntilDeadline() async throws {
        // Expired 10 minutes ago with 30-minute assignments: an assignment accepted just before may still run.
        let recent = try await AuthorityFixture { hit in
            var changed = hit
            changed.expiration = Date().addingTimeInterval(-600)
            changed.assignmentDurationInSeconds = 1800
            return changed
        }
        defer { recent.close() }
        let open = await recent.authority.verdict(runId: recent.run.runId, hitId: recent.run.hitIds[0],
                                           assignmentId: "3ASSIGNMENT00000000000000000001", workerId: "A1LATE")
        #expect(open == .allowed)

        let old = try await AuthorityFixture { hit in
            var changed = hit
            changed.expiration = Date().addingTimeInterval(-3600)
            changed.assignmentDurationInSeconds = 1800
            return changed
        }
        defer { old.close() }
        let closed = await old.authority.verdict(runId: old.run.runId, hitId: old.run.hitIds[0],
                                          assignmentId: "3ASSIGNMENT00000000000000000001", workerId: "A1LATE")
        #expect(closed == .rejected(
            code: CloseCode.inactive,
            reason: "HIT \(old.run.hitIds[0]) expired and the deadlines of its assignments have passed"))
    }

    @Test func crowdJoiningOneHITSharesCalls() async throws {
        let fixture = try await AuthorityFixture()
        defer { fixture.close() }
        let hitId = fixture.run.hitIds[0]
        let runId = fixture.run.runId
        let authority = fixture.authority
        let verdicts = await withTaskGroup(of: AuthorityVerdict.self) { group in
            for index in 0..<20 {
                group.addTask {
                    await authority.verdict(runId: runId, hitId: hitId,
                                            assignmentId: String(format: "3ASSIGNMENT%020d", index),
                                            workerId: String(format: "A%08d", index + 1))
                }
            }
            var collected: [AuthorityVerdict] = []
            for await verdict in group { collected.append(verdict) }
            return collected
        }
        #expect(verdicts.count == 20)
        #expect(verdicts.allSatisfy { $0 == .allowed })
        #expect(fixture.counting.getHITCalls.load(ordering: .relaxed) == 1)
        #expect(fixture.counting.listAssignmentsCalls.load(ordering: .relaxed) == 1)

        // A second HIT is fetched on its own.
        let second = await authority.verdict(runId: runId, hitId: fixture.run.hitIds[1],
                                      assignmentId: "3ASSIGNMENT00000000000000000099", workerId: "A1LATE")
        #expect(second == .allowed)
        #expect(fixture.counting.getHITCalls.load(ordering: .relaxed) == 2)
    }

    @Test func cacheExpiresAfterLifetime() async throws {
        let directory = try StateDirectory(url: makeTemporaryDirectory())
        let run = try await makeRun(stateDirectory: directory, serverURL: URL(string: "http://127.0.0.1:9")!, hits: 1)
        let store = try RunStore(stateDirectory: directory)
        let local = try LocalMarketplace(stateDirectory: directory, environment: [:])
        defer {
            store.close()
            local.close()
        }
        let counting = CountingMarketplace(local)
        let now = Mutex(Date())
        let authority = MarketplaceAuthority(
            marketplace: counting, runStore: store, target: .sandbox, logger: .discarding,
            cacheLifetime: 30, checkTimeout: 5, clock: { now.withLock { $0 } })
        defer { authority.stop() }
        let accepted = try local.acceptHIT(hitId: run.hitIds[0], workerId: "A1FIRST")
        #expect(await authority.verdict(runId: run.runId, hitId: run.hitIds[0], assignmentId: accepted.assignmentId,
                                 workerId: "A1FIRST") == .allowed)
        now.withLock { $0 = $0.addingTimeInterval(29) }
        #expect(await authority.verdict(runId: run.runId, hitId: run.hitIds[0], assignmentId: accepted.assignmentId,
                                 workerId: "A1FIRST") == .allowed)
        #expect(counting.getHITCalls.load(ordering: .relaxed) == 1)
        now.withLock { $0 = $0.addingTimeInterval(2) }
        #expect(await authority.verdict(runId: run.runId, hitId: run.hitIds[0], assignmentId: accepted.assignmentId,
                                 workerId: "A1FIRST") == .allowed)
        #expect(counting.getHITCalls.load(ordering: .relaxed) == 2)
    }

    @Test func pollerSubmissionBeatsStaleCache() async throws {
        let fixture = try await AuthorityFixture()
        defer { fixture.close() }
        let hitId = fixture.run.hitIds[0]
        let accepted = try fixture.local.acceptHIT(hitId: hitId, workerId: "A1FIRST")
        #expect(await fixture.authority.verdict(runId: fixture.run.runId, hitId: hitId,
                                         assignmentId: accepted.assignmentId, workerId: "A2SECOND") == .allowed)
        _ = try fixture.local.submitAssignment(assignmentId: accepted.assignmentId, workerId: "A1FIRST",
                                               answers: [(name: "answer", value: "done")])
        let poller = SubmissionPoller(marketplace: fixture.counting, authority: fixture.authority,
                                      logger: .discarding, interval: 1)
        let result = await poller.poll([SubmissionWatch(
            hitId: hitId, assignments: [AssignmentKey(workerId: "A2SECOND", assignmentId: accepted.assignmentId)])])
        #expect(result.submittedByOthers.map(\.submitter) == ["A1FIRST"])
        // The GetHIT response is still cached, but the poll recorded the submitter in the authority.
        #expect(await fixture.authority.verdict(runId: fixture.run.runId, hitId: hitId,
                                         assignmentId: accepted.assignmentId, workerId: "A2SECOND")
                == .rejected(code: CloseCode.forbidden,
                             reason: "assignment \(accepted.assignmentId) was submitted by another worker"))
        #expect(fixture.counting.getHITCalls.load(ordering: .relaxed) == 1)
    }

    @Test func failureKindNames() {
        #expect(MarketplaceFailureLog.kind(of: MTurkError(code: "ThrottlingException", message: "Rate exceeded"))
                == "throttled")
        #expect(MarketplaceFailureLog.kind(of: MTurkError(code: "ConnectionError", message: "refused")) == "unreachable")
        #expect(MarketplaceFailureLog.kind(of: MTurkError.serviceFault("busy")) == "service fault")
        #expect(MarketplaceFailureLog.kind(of: MTurkError(code: "Unknown", message: "x", httpStatus: 503))
                == "service fault")
        #expect(MarketplaceFailureLog.kind(of: MTurkError(code: "InvalidSignatureException", message: "bad"))
                == "request rejected")
        #expect(MarketplaceFailureLog.kind(of: MarketplaceCheckTimeout(seconds: 10)) == "timed out")
        let throttledTimeout = MarketplaceCheckTimeout(
            seconds: 10, retrying: MTurkError(code: "ThrottlingException", message: "Rate exceeded"))
        #expect(MarketplaceFailureLog.kind(of: throttledTimeout) == "throttled")
        #expect(throttledTimeout.description
                == "MTurk sent no response within 10 s; the client is still retrying after ThrottlingException: "
                + "Rate exceeded")
    }

    @Test func failureLogWritesOneLinePerKind() {
        let collector = LogCollector()
        let log = MarketplaceFailureLog(logger: ChatLogger(minimumLevel: .debug) { collector.append($0) },
                                        activity: "join check")
        for _ in 0..<5 {
            log.record(kind: "throttled", error: "ThrottlingException: Rate exceeded")
        }
        log.record(kind: "unreachable", error: "ConnectionError: refused")
        #expect(collector.all.count == 2)
        #expect(log.count(of: "throttled") == 5)
        log.recordSuccess()
        #expect(collector.all.count == 3)
        #expect(collector.all.last?.contains("failures=\"throttled=5,unreachable=1\"") == true)
        log.recordSuccess()
        #expect(collector.all.count == 3)
        log.record(kind: "throttled", error: "ThrottlingException: Rate exceeded")
        #expect(collector.all.count == 4)
    }
}
