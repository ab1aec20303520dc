import Foundation
import Testing
import TurkLocal
import TurkModel
@testable import TurkAWS

/// The real client against the local marketplace served by the wire service over loopback HTTP: the path that
/// `--endpoint-url` takes.
@Suite(.serialized) struct LocalWireTests {
    let localCredentials = AWSCredentials(
        accessKeyId: LocalMarketplace.accessKeyId, secretAccessKey: LocalMarketplace.secretAccessKey)

    /// A fresh local marketplace in a temporary folder, served over HTTP on 127.0.0.1.
    final class Fixture: Sendable {
        let folder: URL
        let marketplace: LocalMarketplace
        let server: LoopbackHTTPServer

        init(throttle: Double = 0) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("turkchat-wire-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let marketplace = try LocalMarketplace(path: folder.appendingPathComponent("marketplace.sqlite").path)
            let service = MTurkWireService(
                marketplace: marketplace,
                credentials: [AWSCredentials(
                    accessKeyId: LocalMarketplace.accessKeyId, secretAccessKey: LocalMarketplace.secretAccessKey)],
                region: LocalMarketplace.region, throttleFraction: throttle, log: { _ in })
            self.marketplace = marketplace
            server = try LoopbackHTTPServer { request in
                let response = await service.handle(
                    method: request.method, path: request.target,
                    headers: request.headers.map { HTTPHeader($0.name, $0.value) }, body: request.body)
                return LoopbackResponse(
                    status: response.status, headers: response.headers.map { ($0.name, $0.value) }, body: response.body)
            }
        }

        func tearDown() {
            server.stop()
            marketplace.close()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    func createHITType(_ client: MTurkClient) async throws -> String {
        let response = try await client.createHITType(CreateHITTypeRequest(
            autoApprovalDelayInSeconds: 3600, assignmentDurationInSeconds: 600, reward: "0.50", title: "Chat",
            keywords: "chat", description: "Chat with another worker"))
        return try #require(response.hitTypeId)
    }

    func createHIT(_ client: MTurkClient, type: String, token: String, annotation: String = "run=test") async throws -> HIT {
        let question = ExternalQuestion(externalURL: "http://127.0.0.1:8080/chat").xml
        let response = try await client.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: type, maxAssignments: 1, lifetimeInSeconds: 3600, question: question,
            requesterAnnotation: annotation, uniqueRequestToken: token))
        return try #require(response.hit)
    }

    @Test func reviewFlowThroughClient() async throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let client = makeClient(endpoint: fixture.server.url, credentials: localCredentials)

        let type = try await createHITType(client)
        let first = try await createHIT(client, type: type, token: "t-1")
        let second = try await createHIT(client, type: type, token: "t-2")
        let firstId = try #require(first.hitId)
        let secondId = try #require(second.hitId)
        #expect(Set(try await client.allHITs().compactMap(\.hitId)) == [firstId, secondId])

        // Two workers do the work on the worker side of the local marketplace.
        let workerA = "A1WORKERAAAA", workerB = "A1WORKERBBBB"
        let assignmentA = try fixture.marketplace.acceptHIT(hitId: firstId, workerId: workerA)
        try fixture.marketplace.submitAssignment(assignmentId: assignmentA.assignmentId, workerId: workerA, answers: [("done", "yes")])
        let assignmentB = try fixture.marketplace.acceptHIT(hitId: secondId, workerId: workerB)
        try fixture.marketplace.submitAssignment(assignmentId: assignmentB.assignmentId, workerId: workerB, answers: [("done", "no")])

        let assignments = try await client.allAssignments(hitId: firstId)
        #expect(assignments.map(\.assignmentId) == [assignmentA.assignmentId])
        #expect(assignments.first?.assignmentStatus == .submitted)
        #expect(assignments.first?.answer?.contains("<FreeText>yes</FreeText>") == true)

        _ = try await client.approveAssignment(ApproveAssignmentRequest(assignmentId: assignmentA.assignmentId))
        _ = try await client.rejectAssignment(RejectAssignmentRequest(assignmentId: assignmentB.assignmentId, requesterFeedback: "empty chat"))
        let rejected = try await client.getAssignment(GetAssignmentRequest(assignmentId: assignmentB.assignmentId))
        #expect(rejected.assignment?.assignmentStatus == .rejected)
        #expect(rejected.assignment?.requesterFeedback == "empty chat")

        let bonus = SendBonusRequest(workerId: workerA, bonusAmount: "1.25", assignmentId: assignmentA.assignmentId,
                                     reason: "good chat", uniqueRequestToken: "bonus-1")
        _ = try await client.sendBonus(bonus)
        let payments = try await client.allBonusPayments(assignmentId: assignmentA.assignmentId)
        #expect(payments.map(\.bonusAmount) == ["1.25"])
        #expect(payments.first?.grantTime != nil)

        // A repeated token is rejected on a first attempt, and nothing is paid twice.
        let repeated = await #expect(throws: MTurkError.self) { try await client.sendBonus(bonus) }
        #expect(repeated?.isDuplicateRequest == true)
        #expect(try await client.allBonusPayments(assignmentId: assignmentA.assignmentId).count == 1)

        _ = try await client.deleteHIT(DeleteHITRequest(hitId: firstId))
        _ = try await client.deleteHIT(DeleteHITRequest(hitId: secondId))
        #expect(try await client.allHITs().isEmpty)

        // $10,000.00 less the approved reward with its fee ($0.60) and the bonus with its fee ($1.50). The rejected
        // assignment costs nothing.
        let balance = try await client.getAccountBalance(GetAccountBalanceRequest())
        #expect(balance.availableBalance == "9997.90")
    }

    @Test func documentedErrorsArriveThroughClient() async throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let client = makeClient(endpoint: fixture.server.url, credentials: localCredentials)
        let type = try await createHITType(client)
        let hit = try await createHIT(client, type: type, token: "dup-1")
        let hitId = try #require(hit.hitId)

        let duplicate = await #expect(throws: MTurkError.self) { try await createHIT(client, type: type, token: "dup-1") }
        #expect(duplicate?.turkErrorCode == "AWS.MechanicalTurk.HitAlreadyExists")
        #expect(duplicate?.message.contains(hitId) == true)
        #expect(MTurkClient.hitIdCandidates(in: duplicate?.message ?? "").first == hitId)

        let worker = "A1PENDINGWORKER"
        _ = try fixture.marketplace.acceptHIT(hitId: hitId, workerId: worker)
        _ = try await client.updateExpirationForHIT(UpdateExpirationForHITRequest(hitId: hitId, expireAt: Date(timeIntervalSince1970: 1_420_070_400)))
        let pending = await #expect(throws: MTurkError.self) { try await client.deleteHIT(DeleteHITRequest(hitId: hitId)) }
        #expect(pending?.code == "RequestError")
        #expect(pending?.httpStatus == 400)
        #expect(pending?.message.hasPrefix("This HIT is currently in the state 'Unassignable'.") == true)

        let missing = await #expect(throws: MTurkError.self) {
            try await client.getHIT(GetHITRequest(hitId: "3NOSUCHHIT00000000000000000"))
        }
        #expect(missing?.message.hasPrefix("Hit 3NOSUCHHIT00000000000000000 does not exist.") == true)
        #expect(missing?.hint?.contains("local marketplace does not know this id") == true)
        #expect(missing?.requestId?.isEmpty == false)
    }

    @Test func blocksAndQualificationsThroughClient() async throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let client = makeClient(endpoint: fixture.server.url, credentials: localCredentials)
        let worker = "A1BLOCKEDWORKER"

        _ = try await client.createWorkerBlock(CreateWorkerBlockRequest(workerId: worker, reason: "spam"))
        #expect(try await client.allWorkerBlocks().map(\.workerId) == [worker])
        _ = try await client.deleteWorkerBlock(DeleteWorkerBlockRequest(workerId: worker, reason: "appeal"))
        #expect(try await client.allWorkerBlocks().isEmpty)

        let created = try await client.createQualificationType(CreateQualificationTypeRequest(
            name: "turkchat-soft-block", description: "Soft block", qualificationTypeStatus: .active))
        let typeId = try #require(created.qualificationType?.qualificationTypeId)
        _ = try await client.associateQualificationWithWorker(AssociateQualificationWithWorkerRequest(
            qualificationTypeId: typeId, workerId: worker, integerValue: 1, sendNotification: false))
        #expect(try await client.allWorkers(withQualificationType: typeId).map(\.workerId) == [worker])
        #expect(try await client.allQualificationTypes(query: "soft-block").map(\.qualificationTypeId) == [typeId])
        _ = try await client.disassociateQualificationFromWorker(DisassociateQualificationFromWorkerRequest(
            workerId: worker, qualificationTypeId: typeId))
        #expect(try await client.allWorkers(withQualificationType: typeId).isEmpty)
    }

    @Test func extendedOperationsThroughClient() async throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let client = makeClient(endpoint: fixture.server.url, credentials: localCredentials)
        let question = ExternalQuestion(externalURL: "http://127.0.0.1:8080/chat").xml

        // CreateHIT makes the same HIT type as CreateHITType for the same properties.
        let type = try await createHITType(client)
        let created = try await client.createHIT(CreateHITRequest(
            maxAssignments: 1, autoApprovalDelayInSeconds: 3600, lifetimeInSeconds: 3600,
            assignmentDurationInSeconds: 600, reward: "0.50", title: "Chat", keywords: "chat",
            description: "Chat with another worker", question: question, uniqueRequestToken: "create-1"))
        let hit = try #require(created.hit)
        let hitId = try #require(hit.hitId)
        #expect(hit.hitTypeId == type)

        // Two more slots, then one worker's work makes the HIT reviewable once it has expired.
        _ = try await client.createAdditionalAssignmentsForHIT(
            CreateAdditionalAssignmentsForHITRequest(hitId: hitId, numberOfAdditionalAssignments: 2))
        #expect(try await client.getHIT(GetHITRequest(hitId: hitId)).hit?.maxAssignments == 3)
        let worker = "A1EXTENDEDWORKER"
        let assignment = try fixture.marketplace.acceptHIT(hitId: hitId, workerId: worker)
        try fixture.marketplace.submitAssignment(assignmentId: assignment.assignmentId, workerId: worker, answers: [("a", "b")])
        _ = try await client.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: Date(timeIntervalSince1970: 1_420_070_400)))
        let reviewable = try await client.listReviewableHITs(ListReviewableHITsRequest(hitTypeId: type))
        #expect(reviewable.hits?.compactMap(\.hitId) == [hitId])
        _ = try await client.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId))
        #expect(try await client.getHIT(GetHITRequest(hitId: hitId)).hit?.hitStatus == .reviewing)

        // Only a worker whose work was reviewed can be notified.
        _ = try await client.approveAssignment(ApproveAssignmentRequest(assignmentId: assignment.assignmentId))
        let notified = try await client.notifyWorkers(NotifyWorkersRequest(
            subject: "Thanks", messageText: "More chats tomorrow.", workerIds: [worker, "A1UNKNOWNWORKER"]))
        #expect(notified.notifyWorkersFailureStatuses?.map(\.workerId) == ["A1UNKNOWNWORKER"])
        #expect(notified.notifyWorkersFailureStatuses?.first?.notifyWorkersFailureCode == .hardFailure)
        #expect(try fixture.marketplace.notifications(workerId: worker).map(\.subject) == ["Thanks"])

        let qualification = try await client.createQualificationType(CreateQualificationTypeRequest(
            name: "turkchat-extended", description: "Extended", qualificationTypeStatus: .active))
        let qualificationId = try #require(qualification.qualificationType?.qualificationTypeId)
        _ = try await client.associateQualificationWithWorker(AssociateQualificationWithWorkerRequest(
            qualificationTypeId: qualificationId, workerId: worker, integerValue: 3, sendNotification: false))
        let score = try await client.getQualificationScore(
            GetQualificationScoreRequest(qualificationTypeId: qualificationId, workerId: worker))
        #expect(score.qualification?.integerValue == 3)
        let fetched = try await client.getQualificationType(GetQualificationTypeRequest(qualificationTypeId: qualificationId))
        #expect(fetched.qualificationType?.name == "turkchat-extended")
        _ = try await client.deleteQualificationType(DeleteQualificationTypeRequest(qualificationTypeId: qualificationId))
        let gone = await #expect(throws: MTurkError.self) {
            try await client.getQualificationType(GetQualificationTypeRequest(qualificationTypeId: qualificationId))
        }
        #expect(gone?.isNotFound == true)
    }

    /// With 30 % of requests throttled, every create still happens exactly once.
    @Test func throttledCreatesMakeNoDuplicates() async throws {
        let fixture = try Fixture(throttle: 0.3)
        defer { fixture.tearDown() }
        let configuration = MTurkClientConfiguration(
            endpoint: fixture.server.url, target: .local, credentials: localCredentials,
            retry: RetryPolicy(maxAttempts: 25, baseDelay: 0.002, maxDelay: 0.02), requestsPerSecond: .infinity,
            log: { _ in })
        let client = MTurkClient(configuration: configuration)

        let type = try await createHITType(client)
        var created: [String] = []
        for index in 0..<200 {
            created.append(try #require(try await createHIT(client, type: type, token: "throttle-\(index)").hitId))
        }
        let listed = try await client.allHITs().compactMap(\.hitId)
        #expect(Set(created).count == 200)
        #expect(listed.count == 200)
        #expect(Set(listed) == Set(created))
        #expect(fixture.server.requests.count > 250)
    }
}
