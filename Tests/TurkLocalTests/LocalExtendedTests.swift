import Foundation
import Testing
import TurkModel
import TurkStore
@testable import TurkLocal

/// The requester operations that the tools do not call: CreateHIT, ListReviewableHITs, UpdateHITReviewStatus,
/// CreateAdditionalAssignmentsForHIT, NotifyWorkers and the qualification type look-ups.
@Suite struct LocalExtendedTests {
    static let question = ExternalQuestion(externalURL: "http://127.0.0.1:8080/chat").xml

    func createHITRequest(
        title: String = "Chat about a paragraph", maxAssignments: Int? = 2, token: String? = nil,
        requirements: [QualificationRequirement]? = nil
    ) -> CreateHITRequest {
        CreateHITRequest(
            maxAssignments: maxAssignments, autoApprovalDelayInSeconds: 3_600, lifetimeInSeconds: 3_600,
            assignmentDurationInSeconds: 600, reward: "1.00", title: title, keywords: "chat, qa",
            description: "Ask and answer a question about a paragraph.", question: Self.question,
            requesterAnnotation: "run=r1", qualificationRequirements: requirements, uniqueRequestToken: token)
    }

    func hitTypeCount(_ fixture: Fixture) throws -> Int {
        try fixture.market.database.queryOne("SELECT COUNT(*) AS count FROM hit_types")?.int("count") ?? -1
    }
}

// MARK: - CreateHIT

extension LocalExtendedTests {
    @Test func createHITReusesIdenticalHITType() async throws {
        let fixture = try Fixture()
        let typeId = try await fixture.hitType()
        let hit = try #require(try await fixture.market.createHIT(createHITRequest()).hit)

        #expect(hit.hitTypeId == typeId)
        #expect(hit.maxAssignments == 2)
        #expect(hit.hitStatus == .assignable)
        #expect(hit.reward == "1.00")
        #expect(hit.requesterAnnotation == "run=r1")
        #expect(hit.question == Self.question)
        #expect(try hitTypeCount(fixture) == 1)

        let other = try #require(try await fixture.market.createHIT(createHITRequest(title: "Another task")).hit)
        #expect(other.hitTypeId != typeId)
        #expect(try hitTypeCount(fixture) == 2)
        #expect(try await fixture.status(try #require(other.hitId)) == .assignable)
    }

    @Test func createHITRepeatedTokenFails() async throws {
        let fixture = try Fixture()
        let first = try #require(try await fixture.market.createHIT(createHITRequest(token: "run1-0")).hit)
        let firstId = try #require(first.hitId)

        // A new title would make a new HIT type, but the failed call leaves none behind.
        let error = await mturkError { _ = try await fixture.market.createHIT(createHITRequest(title: "New", token: "run1-0")) }
        #expect(error?.code == "RequestError")
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.HitAlreadyExists")
        #expect(error?.message.hasPrefix("The HIT with ID \"\(firstId)\" already exists.") == true)
        #expect(try hitTypeCount(fixture) == 1)
        #expect(try await fixture.market.allHITs().count == 1)
    }

    @Test func createHITSharesTokensWithCreateHITWithHITType() async throws {
        let fixture = try Fixture()
        let hit = try await fixture.hit(type: try await fixture.hitType(), token: "shared-token")
        let error = await mturkError { _ = try await fixture.market.createHIT(createHITRequest(token: "shared-token")) }
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.HitAlreadyExists")
        #expect(error?.message.contains(try #require(hit.hitId)) == true)
    }

    /// Returns the default request with one field broken as the case names it.
    func brokenRequest(_ name: String) -> CreateHITRequest {
        var request = createHITRequest()
        switch name {
        case "duration 29 s": request.assignmentDurationInSeconds = 29
        case "lifetime 29 s": request.lifetimeInSeconds = 29
        case "no question": request.question = nil
        case "layout": request.hitLayoutId = "3LAYOUT"
        case "title of 129 characters": request.title = String(repeating: "t", count: 129)
        case "annotation of 256 characters": request.requesterAnnotation = String(repeating: "a", count: 256)
        case "zero assignments": request.maxAssignments = 0
        default: Issue.record("unknown case \(name)")
        }
        return request
    }

    @Test(arguments: [
        ("duration 29 s", "AssignmentDurationInSeconds"), ("lifetime 29 s", "LifetimeInSeconds"),
        ("no question", "Either Question or HITLayoutId"), ("layout", "HITLayoutId 3LAYOUT"),
        ("title of 129 characters", "Title"), ("annotation of 256 characters", "RequesterAnnotation"),
        ("zero assignments", "MaxAssignments"),
    ])
    func createHITAppliesBothRuleSets(_ name: String, _ text: String) async throws {
        let fixture = try Fixture()
        let request = brokenRequest(name)
        let error = await mturkError { _ = try await fixture.market.createHIT(request) }
        #expect(error?.code == "RequestError", "\(name)")
        #expect(error?.message.contains(text) == true, "\(name): \(error?.message ?? "no error")")
        #expect(try hitTypeCount(fixture) == 0, "\(name)")
    }
}

// MARK: - ListReviewableHITs, UpdateHITReviewStatus

extension LocalExtendedTests {
    @Test func reviewableListMatchesHITStatus() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        let open = try #require(try await fixture.hit(type: type).hitId)
        let full = try #require(try await fixture.hit(type: type).hitId)
        let expired = try #require(try await fixture.hit(type: type, maxAssignments: 2).hitId)
        let pending = try #require(try await fixture.hit(type: type).hitId)
        let deleted = try #require(try await fixture.hit(type: type).hitId)
        _ = try fixture.submitWork(full, worker: "A1FULL")
        _ = try fixture.submitWork(expired, worker: "A1EXPIRED")
        _ = try fixture.market.acceptHIT(hitId: pending, workerId: "A1PENDING")
        for hitId in [expired, pending, deleted] {
            _ = try await fixture.market.updateExpirationForHIT(
                UpdateExpirationForHITRequest(hitId: hitId, expireAt: fixture.clock.now.addingTimeInterval(-1)))
        }
        _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: deleted))

        let listed = try await fixture.market.listReviewableHITs(ListReviewableHITsRequest())
        #expect(listed.hits?.compactMap(\.hitId) == [full, expired])
        #expect(listed.numResults == 2)
        #expect(listed.hits?.allSatisfy { $0.hitStatus == .reviewable } == true)
        #expect(try await fixture.status(open) == .assignable)
        #expect(try await fixture.status(pending) == .unassignable)
        let reviewing = try await fixture.market.listReviewableHITs(ListReviewableHITsRequest(status: .reviewing))
        #expect(reviewing.hits?.isEmpty == true)
    }

    @Test func reviewableListFiltersAndPages() async throws {
        let fixture = try Fixture()
        let typeA = try await fixture.hitType(title: "A")
        let typeB = try await fixture.hitType(title: "B")
        var hitsOfA: [String] = []
        for index in 0..<5 {
            let hitId = try #require(try await fixture.hit(type: index == 2 ? typeB : typeA).hitId)
            if index != 2 { hitsOfA.append(hitId) }
            _ = try fixture.submitWork(hitId, worker: "A1WORKER\(index)")
        }

        var pages: [[String]] = []
        var token: String? = nil
        repeat {
            let page = try await fixture.market.listReviewableHITs(
                ListReviewableHITsRequest(hitTypeId: typeA, nextToken: token, maxResults: 3))
            pages.append(page.hits?.compactMap(\.hitId) ?? [])
            token = page.nextToken
        } while token != nil
        #expect(pages.count == 2)
        #expect(pages.flatMap { $0 } == hitsOfA)

        let unknownType = try await fixture.market.listReviewableHITs(ListReviewableHITsRequest(hitTypeId: "3NOSUCHTYPE"))
        #expect(unknownType.hits?.isEmpty == true)
        let badStatus = await mturkError {
            _ = try await fixture.market.listReviewableHITs(ListReviewableHITsRequest(status: .assignable))
        }
        #expect(badStatus?.code == "ValidationException")
        let otherToken = await mturkError {
            _ = try await fixture.market.listReviewableHITs(
                ListReviewableHITsRequest(nextToken: PageToken.make("ListHITs", after: 1)))
        }
        #expect(otherToken?.code == "RequestError")
    }

    @Test func reviewStatusMovesBothWays() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        _ = try fixture.submitWork(hitId, worker: "A1REVIEWED")

        _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId))
        #expect(try await fixture.status(hitId) == .reviewing)
        let reviewing = try await fixture.market.listReviewableHITs(ListReviewableHITsRequest(status: .reviewing))
        #expect(reviewing.hits?.compactMap(\.hitId) == [hitId])
        #expect(try await fixture.market.listReviewableHITs(ListReviewableHITsRequest()).hits?.isEmpty == true)

        let again = await mturkError { _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId)) }
        #expect(again?.message.hasPrefix(
            "This HIT is currently in the state 'Reviewing'. This operation can be called with a status of: Reviewable")
            == true)

        _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId, revert: true))
        #expect(try await fixture.status(hitId) == .reviewable)
        let revertTwice = await mturkError {
            _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId, revert: true))
        }
        #expect(revertTwice?.message.hasPrefix("This HIT is currently in the state 'Reviewable'.") == true)
    }

    @Test func reviewStatusNeedsReviewableHIT() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let error = await mturkError { _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId)) }
        #expect(error?.message.hasPrefix("This HIT is currently in the state 'Assignable'.") == true)
        let missing = await mturkError {
            _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: "3NOSUCHHIT"))
        }
        #expect(missing?.isNotFound == true)
    }

    @Test func reviewingHITCanBeDeleted() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(hitId, worker: "A1DELETE")
        _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId))
        let unreviewed = await mturkError { _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId)) }
        #expect(unreviewed?.message.hasPrefix("This HIT is currently in the state 'Reviewing'.") == true)
        _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: assignmentId))
        _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId))
        #expect(try await fixture.market.allHITs().isEmpty)
    }
}

// MARK: - CreateAdditionalAssignmentsForHIT

extension LocalExtendedTests {
    func extend(_ fixture: Fixture, _ hitId: String, by count: Int, token: String? = nil) async throws {
        _ = try await fixture.market.createAdditionalAssignmentsForHIT(CreateAdditionalAssignmentsForHITRequest(
            hitId: hitId, numberOfAdditionalAssignments: count, uniqueRequestToken: token))
    }

    func maxAssignments(_ fixture: Fixture, _ hitId: String) async throws -> Int? {
        try await fixture.market.getHIT(GetHITRequest(hitId: hitId)).hit?.maxAssignments
    }

    @Test func extensionAddsSlots() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 2).hitId)
        _ = try fixture.submitWork(hitId, worker: "A1FIRST")
        _ = try fixture.submitWork(hitId, worker: "A1SECOND")
        #expect(try await fixture.status(hitId) == .reviewable)
        let before = try fixture.market.accountBalance()

        try await extend(fixture, hitId, by: 3)
        #expect(try await maxAssignments(fixture, hitId) == 5)
        #expect(try await fixture.status(hitId) == .assignable)
        let hit = try await fixture.market.getHIT(GetHITRequest(hitId: hitId)).hit
        #expect(hit?.numberOfAssignmentsAvailable == 3)
        // Three more slots of $1.00 with the 20 % fee are held.
        #expect(try fixture.market.accountBalance().onHold - before.onHold == USD(cents: 360))
        _ = try fixture.submitWork(hitId, worker: "A1THIRD")
    }

    @Test(arguments: [(9, 1, false), (5, 4, true), (5, 5, false), (10, 5, true), (1, 8, true)])
    func extensionKeepsTenAssignmentRule(_ start: Int, _ extra: Int, _ allowed: Bool) async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: start).hitId)
        if allowed {
            try await extend(fixture, hitId, by: extra)
            #expect(try await maxAssignments(fixture, hitId) == start + extra)
        } else {
            let error = await mturkError { try await extend(fixture, hitId, by: extra) }
            #expect(error?.code == "RequestError")
            #expect(error?.turkErrorCode == "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease")
            #expect(try await maxAssignments(fixture, hitId) == start)
        }
    }

    @Test func extensionTokenIsRemembered() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 1).hitId)
        try await extend(fixture, hitId, by: 2, token: "extend-1")
        let repeated = await mturkError { try await extend(fixture, hitId, by: 2, token: "extend-1") }
        #expect(repeated?.turkErrorCode == "AWS.MechanicalTurk.DuplicateRequest")
        #expect(repeated?.message.contains("extend-1") == true)
        #expect(try await maxAssignments(fixture, hitId) == 3)

        // The token is forgotten after 24 hours, as MTurk's are.
        fixture.clock.advance(LocalMarketplace.requestTokenLifetime + 1)
        _ = try await fixture.market.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: fixture.clock.now.addingTimeInterval(3_600)))
        try await extend(fixture, hitId, by: 2, token: "extend-1")
        #expect(try await maxAssignments(fixture, hitId) == 5)
    }

    @Test(arguments: [0, -1, 1_000_000, Int.max])
    func extensionCountOutOfRangeFails(_ count: Int) async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 10).hitId)
        let error = await mturkError { try await extend(fixture, hitId, by: count) }
        #expect(error?.code == "RequestError")
        #expect(try await maxAssignments(fixture, hitId) == 10)
    }

    @Test func extensionOfOldHITFails() async throws {
        let fixture = try Fixture(clock: TestClock(Date(timeIntervalSince1970: 1_420_070_400)))  // 2015-01-01
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 1).hitId)
        let error = await mturkError { try await extend(fixture, hitId, by: 1) }
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.HITTooOldForExtension")
    }

    @Test func extensionOfExpiredHITStaysExpired() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 1).hitId)
        _ = try fixture.submitWork(hitId, worker: "A1EXPIRED")
        _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId))
        _ = try await fixture.market.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: fixture.clock.now.addingTimeInterval(-1)))
        try await extend(fixture, hitId, by: 1)
        #expect(try await fixture.status(hitId) == .reviewing)
        #expect(try await maxAssignments(fixture, hitId) == 2)
    }

    @Test func extensionClearsReviewingWhenReopened() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 1).hitId)
        _ = try fixture.submitWork(hitId, worker: "A1REOPEN")
        _ = try await fixture.market.updateHITReviewStatus(UpdateHITReviewStatusRequest(hitId: hitId))
        try await extend(fixture, hitId, by: 1)
        #expect(try await fixture.status(hitId) == .assignable)
        _ = try fixture.submitWork(hitId, worker: "A1SECOND")
        #expect(try await fixture.status(hitId) == .reviewable)
    }

    @Test func extensionNeedsFunds() async throws {
        let fixture = try Fixture()
        // Eight slots of $1,000.00 with the 20 % fee hold $9,600.00, so a ninth ($1,200.00) does not fit.
        let hitId = try #require(try await fixture.hit(type: try await fixture.hitType(reward: "1000.00"), maxAssignments: 8).hitId)
        let error = await mturkError { try await extend(fixture, hitId, by: 1) }
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.InsufficientFunds")
        #expect(try await maxAssignments(fixture, hitId) == 8)
    }
}

// MARK: - NotifyWorkers

extension LocalExtendedTests {
    @Test func notifyReachesOnlyReviewedWorkers() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        let approved = try fixture.submitWork(try #require(try await fixture.hit(type: type).hitId), worker: "A1APPROVED")
        let rejected = try fixture.submitWork(try #require(try await fixture.hit(type: type).hitId), worker: "A1REJECTED")
        _ = try fixture.submitWork(try #require(try await fixture.hit(type: type).hitId), worker: "A1SUBMITTED")
        _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: approved))
        _ = try await fixture.market.rejectAssignment(RejectAssignmentRequest(assignmentId: rejected, requesterFeedback: "empty"))

        let response = try await fixture.market.notifyWorkers(NotifyWorkersRequest(
            subject: "New HITs", messageText: "We posted more chats.",
            workerIds: ["A1APPROVED", "A1REJECTED", "A1SUBMITTED", "A1STRANGER", "A1APPROVED"]))
        let failures = try #require(response.notifyWorkersFailureStatuses)
        #expect(failures.map(\.workerId) == ["A1SUBMITTED", "A1STRANGER"])
        #expect(failures.allSatisfy { $0.notifyWorkersFailureCode == .hardFailure })
        #expect(failures.first?.notifyWorkersFailureMessage?.contains("A1SUBMITTED") == true)

        let sent = try fixture.market.notifications(workerId: "A1APPROVED")
        #expect(sent.count == 1)
        #expect(sent.first?.subject == "New HITs")
        #expect(sent.first?.messageText == "We posted more chats.")
        #expect(sent.first?.sentAt == fixture.clock.now)
        #expect(try fixture.market.notifications(workerId: "A1REJECTED").count == 1)
        #expect(try fixture.market.notifications(workerId: "A1SUBMITTED").isEmpty)
        #expect(try fixture.market.notifications(workerId: "A1STRANGER").isEmpty)
    }

    @Test func autoApprovedWorkerCanBeNotified() async throws {
        let fixture = try Fixture()
        _ = try fixture.submitWork(try #require(try await fixture.simpleHIT().hitId), worker: "A1AUTO")
        fixture.clock.advance(3_601)
        let response = try await fixture.market.notifyWorkers(
            NotifyWorkersRequest(subject: "Thanks", messageText: "Thank you.", workerIds: ["A1AUTO"]))
        #expect(response.notifyWorkersFailureStatuses == [])
        #expect(try fixture.market.notifications(workerId: "A1AUTO").count == 1)
    }

    @Test(arguments: [
        ("long subject", NotifyWorkersRequest(subject: String(repeating: "s", count: 201), messageText: "m", workerIds: ["A1X"]),
         "RequestError", "Subject"),
        ("empty subject", NotifyWorkersRequest(subject: " ", messageText: "m", workerIds: ["A1X"]), "RequestError", "Subject"),
        ("long text", NotifyWorkersRequest(subject: "s", messageText: String(repeating: "m", count: 4_097), workerIds: ["A1X"]),
         "RequestError", "MessageText"),
        ("no workers", NotifyWorkersRequest(subject: "s", messageText: "m", workerIds: []), "RequestError", "WorkerIds"),
        ("101 workers", NotifyWorkersRequest(subject: "s", messageText: "m", workerIds: (0..<101).map { "A1W\($0)" }),
         "RequestError", "it lists 101"),
        ("malformed id", NotifyWorkersRequest(subject: "s", messageText: "m", workerIds: ["A1OK", "bad id"]),
         "ValidationException", "workerIds.member"),
    ])
    func notifyRejectsBadRequest(_ name: String, _ request: NotifyWorkersRequest, _ code: String, _ text: String)
        async throws
    {
        let fixture = try Fixture()
        let error = await mturkError { _ = try await fixture.market.notifyWorkers(request) }
        #expect(error?.code == code, "\(name)")
        #expect(error?.message.contains(text) == true, "\(name): \(error?.message ?? "no error")")
    }
}

// MARK: - Qualification types

extension LocalExtendedTests {
    func createQualificationType(_ fixture: Fixture, name: String = "turkchat-soft-block") async throws -> String {
        let response = try await fixture.market.createQualificationType(CreateQualificationTypeRequest(
            name: name, description: "Soft block", qualificationTypeStatus: .active))
        return try #require(response.qualificationType?.qualificationTypeId)
    }

    @Test func qualificationTypeIsFound() async throws {
        let fixture = try Fixture()
        let id = try await createQualificationType(fixture)
        let owned = try await fixture.market.getQualificationType(GetQualificationTypeRequest(qualificationTypeId: id))
        #expect(owned.qualificationType?.name == "turkchat-soft-block")
        #expect(owned.qualificationType?.qualificationTypeStatus == .active)
        #expect(owned.qualificationType?.creationTime == fixture.clock.now)

        let locale = try await fixture.market.getQualificationType(
            GetQualificationTypeRequest(qualificationTypeId: SystemQualification.locale))
        #expect(locale.qualificationType?.name == "Worker_Locale")
        let missing = await mturkError {
            _ = try await fixture.market.getQualificationType(GetQualificationTypeRequest(qualificationTypeId: "3NOSUCHQUAL"))
        }
        #expect(missing?.message.hasPrefix("QualificationType 3NOSUCHQUAL does not exist.") == true)
    }

    @Test func deletedQualificationTypeIsGone() async throws {
        let fixture = try Fixture()
        let id = try await createQualificationType(fixture)
        _ = try await fixture.market.associateQualificationWithWorker(
            AssociateQualificationWithWorkerRequest(qualificationTypeId: id, workerId: "A1HOLDER", integerValue: 7))
        let requirement = QualificationRequirement(qualificationTypeId: id, comparator: .exists)
        let type = try await fixture.hitType(requirements: [requirement])
        let existing = try #require(try await fixture.hit(type: type).hitId)

        _ = try await fixture.market.deleteQualificationType(DeleteQualificationTypeRequest(qualificationTypeId: id))

        let lookup = await mturkError {
            _ = try await fixture.market.getQualificationType(GetQualificationTypeRequest(qualificationTypeId: id))
        }
        #expect(lookup?.isNotFound == true)
        #expect(try await fixture.market.allQualificationTypes(query: "soft-block").isEmpty)
        let newType = await mturkError { _ = try await fixture.hitType(title: "Other", requirements: [requirement]) }
        #expect(newType?.message.hasPrefix("QualificationType \(id) does not exist.") == true)
        let newHIT = await mturkError { _ = try await fixture.hit(type: type) }
        #expect(newHIT?.message.hasPrefix("HITType \(type) does not exist.") == true)
        let twice = await mturkError {
            _ = try await fixture.market.deleteQualificationType(DeleteQualificationTypeRequest(qualificationTypeId: id))
        }
        #expect(twice?.isNotFound == true)

        // The granted qualification still counts for the HIT that requires it, and the name is free again.
        #expect(try fixture.market.availableHITs(workerId: "A1HOLDER").map(\.hit.hitId) == [existing])
        #expect(try fixture.market.availableHITs(workerId: "A1OTHER").isEmpty)
        _ = try await createQualificationType(fixture)
    }

    @Test func systemQualificationTypeIsNotDeleted() async throws {
        let fixture = try Fixture()
        let error = await mturkError {
            _ = try await fixture.market.deleteQualificationType(
                DeleteQualificationTypeRequest(qualificationTypeId: SystemQualification.mastersSandbox))
        }
        #expect(error?.code == "RequestError")
        #expect(error?.message.contains("system types") == true)
    }

    @Test func qualificationScoreShowsValueAndStatus() async throws {
        let fixture = try Fixture()
        let id = try await createQualificationType(fixture)
        _ = try await fixture.market.associateQualificationWithWorker(
            AssociateQualificationWithWorkerRequest(qualificationTypeId: id, workerId: "A1SCORED", integerValue: 42))
        let granted = try await fixture.market.getQualificationScore(
            GetQualificationScoreRequest(qualificationTypeId: id, workerId: "A1SCORED"))
        #expect(granted.qualification?.integerValue == 42)
        #expect(granted.qualification?.status == .granted)
        #expect(granted.qualification?.workerId == "A1SCORED")
        #expect(granted.qualification?.grantTime == fixture.clock.now)

        _ = try await fixture.market.disassociateQualificationFromWorker(
            DisassociateQualificationFromWorkerRequest(workerId: "A1SCORED", qualificationTypeId: id))
        let revoked = try await fixture.market.getQualificationScore(
            GetQualificationScoreRequest(qualificationTypeId: id, workerId: "A1SCORED"))
        #expect(revoked.qualification?.status == .revoked)

        let none = await mturkError {
            _ = try await fixture.market.getQualificationScore(
                GetQualificationScoreRequest(qualificationTypeId: id, workerId: "A1NOBODY"))
        }
        #expect(none?.message.hasPrefix("You requested a Qualification that does not exist.") == true)
        let system = await mturkError {
            _ = try await fixture.market.getQualificationScore(
                GetQualificationScoreRequest(qualificationTypeId: SystemQualification.locale, workerId: "A1SCORED"))
        }
        #expect(system?.isNotFound == true)
    }
}

// MARK: - Schema upgrade

extension LocalExtendedTests {
    @Test func versionOneFileIsUpgraded() async throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("marketplace.sqlite").path
        let old = try SQLiteDatabase(path: path)
        try old.migrate(Array(LocalSchema.migrations.prefix(1)))
        #expect(try old.schemaVersion() == 1)
        old.close()

        let market = try LocalMarketplace(path: path)
        #expect(try market.database.schemaVersion() == LocalSchema.migrations.count)
        let response = try await market.createHIT(createHITRequest())
        #expect(response.hit?.hitStatus == .assignable)
    }
}
