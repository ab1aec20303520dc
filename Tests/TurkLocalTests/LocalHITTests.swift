import Foundation
import Testing
import TurkModel
@testable import TurkLocal

@Suite struct LocalHITTests {}

// MARK: - HIT types

extension LocalHITTests {
    @Test func identicalHITTypeIsReused() async throws {
        let fixture = try Fixture()
        let first = try await fixture.hitType()
        let same = try await fixture.hitType()
        let other = try await fixture.hitType(reward: "1.01")

        #expect(first == same)
        #expect(first != other)
        #expect(first.count == 30)
        #expect(MTurkID.isEntityID(first))
    }

    @Test func rewardSpellingsShareOneHITType() async throws {
        let fixture = try Fixture()
        #expect(try await fixture.hitType(reward: "5") == fixture.hitType(reward: "5.00"))
    }

    @Test(arguments: [
        ("duration 29 s", CreateHITTypeRequest(assignmentDurationInSeconds: 29, reward: "1", title: "t", description: "d"),
         "AssignmentDurationInSeconds"),
        ("duration over a year",
         CreateHITTypeRequest(assignmentDurationInSeconds: 31_536_001, reward: "1", title: "t", description: "d"),
         "AssignmentDurationInSeconds"),
        ("auto-approval over 30 days",
         CreateHITTypeRequest(
            autoApprovalDelayInSeconds: 2_592_001, assignmentDurationInSeconds: 60, reward: "1", title: "t",
            description: "d"),
         "AutoApprovalDelayInSeconds"),
        ("title of 129 characters",
         CreateHITTypeRequest(
            assignmentDurationInSeconds: 60, reward: "1", title: String(repeating: "t", count: 129), description: "d"),
         "Title"),
        ("empty title", CreateHITTypeRequest(assignmentDurationInSeconds: 60, reward: "1", title: " ", description: "d"),
         "Title"),
        ("description of 2001 characters",
         CreateHITTypeRequest(
            assignmentDurationInSeconds: 60, reward: "1", title: "t", description: String(repeating: "d", count: 2_001)),
         "Description"),
        ("keywords of 1001 characters",
         CreateHITTypeRequest(
            assignmentDurationInSeconds: 60, reward: "1", title: "t", keywords: String(repeating: "k", count: 1_001),
            description: "d"),
         "Keywords"),
        ("zero reward", CreateHITTypeRequest(assignmentDurationInSeconds: 60, reward: "0.00", title: "t", description: "d"),
         "Reward"),
        ("eleven requirements",
         CreateHITTypeRequest(
            assignmentDurationInSeconds: 60, reward: "1", title: "t", description: "d",
            qualificationRequirements: Array(
                repeating: QualificationRequirement(
                    qualificationTypeId: SystemQualification.numberHITsApproved, comparator: .greaterThan,
                    integerValues: [10]),
                count: 11)),
         "at most 10"),
        ("Exists with a value",
         CreateHITTypeRequest(
            assignmentDurationInSeconds: 60, reward: "1", title: "t", description: "d",
            qualificationRequirements: [QualificationRequirement(
                qualificationTypeId: SystemQualification.numberHITsApproved, comparator: .exists, integerValues: [1])]),
         "takes no values"),
        ("integer for the locale",
         CreateHITTypeRequest(
            assignmentDurationInSeconds: 60, reward: "1", title: "t", description: "d",
            qualificationRequirements: [QualificationRequirement(
                qualificationTypeId: SystemQualification.locale, comparator: .equalTo, integerValues: [1])]),
         "LocaleValues"),
        ("unknown qualification type",
         CreateHITTypeRequest(
            assignmentDurationInSeconds: 60, reward: "1", title: "t", description: "d",
            qualificationRequirements: [QualificationRequirement(qualificationTypeId: "3NOSUCHTYPE", comparator: .exists)]),
         "QualificationType 3NOSUCHTYPE does not exist."),
    ])
    func hitTypeRejects(_ name: String, _ request: CreateHITTypeRequest, _ fragment: String) async throws {
        let fixture = try Fixture()
        let error = await mturkError { _ = try await fixture.market.createHITType(request) }
        #expect(error?.code == "RequestError", "\(name)")
        #expect(error?.message.contains(fragment) == true, "\(name): \(error?.message ?? "")")
        #expect(error?.message.hasSuffix(mturkMessageSuffix(fixture.clock.now)) == true, "\(name)")
    }

    @Test(arguments: ["0.001", "$1", "-1", "1,00", ""])
    func hitTypeRejectsRewardSpelling(_ reward: String) async throws {
        let fixture = try Fixture()
        let error = await mturkError {
            _ = try await fixture.market.createHITType(
                CreateHITTypeRequest(assignmentDurationInSeconds: 60, reward: reward, title: "t", description: "d"))
        }
        #expect(error?.code == "ValidationException")
        #expect(error?.message.contains("'\(reward)' at 'reward'") == true)
    }
}

// MARK: - Creating HITs

extension LocalHITTests {
    @Test func createdHITHasMTurkFields() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        let hit = try await fixture.hit(type: type, maxAssignments: 3, lifetime: 7_200)

        #expect(hit.hitId?.count == 30)
        #expect(hit.hitTypeId == type)
        #expect(hit.hitStatus == .assignable)
        #expect(hit.maxAssignments == 3)
        #expect(hit.reward == "1.00")
        #expect(hit.expiration == fixture.clock.now.addingTimeInterval(7_200))
        #expect(hit.creationTime == fixture.clock.now)
        #expect(hit.requesterAnnotation == "run=r1")
        #expect(hit.numberOfAssignmentsAvailable == 3)
        #expect(hit.numberOfAssignmentsPending == 0)
        #expect(hit.numberOfAssignmentsCompleted == 0)
        #expect(hit.autoApprovalDelayInSeconds == 3_600)
        #expect(hit.assignmentDurationInSeconds == 600)
        #expect(ExternalQuestion(xml: hit.question ?? "")?.externalURL == "http://127.0.0.1:8080/task?x=1&y=2")
    }

    @Test func maxAssignmentsDefaultsToOne() async throws {
        let fixture = try Fixture()
        let hit = try await fixture.hit(type: try await fixture.hitType(), maxAssignments: nil)
        #expect(hit.maxAssignments == 1)
    }

    @Test(arguments: [
        ("lifetime 29 s", 29 as Int64, 1, ExternalQuestion(externalURL: "http://x").xml as String?, nil as String?,
         "LifetimeInSeconds"),
        ("lifetime over a year", 31_536_001, 1, ExternalQuestion(externalURL: "http://x").xml, nil, "LifetimeInSeconds"),
        ("zero assignments", 60, 0, ExternalQuestion(externalURL: "http://x").xml, nil, "MaxAssignments"),
        ("no question", 60, 1, nil, nil, "Either Question or HITLayoutId"),
        ("malformed question", 60, 1, "<ExternalQuestion><ExternalURL>", nil, "not well-formed XML"),
        ("plain text question", 60, 1, "What is 1 + 1?", nil, "not well-formed XML"),
        ("wrong root", 60, 1, "<Survey/>", nil, "root element is <Survey>"),
        ("question over 65535 bytes", 60, 1,
         "<HTMLQuestion>" + String(repeating: "x", count: 65_536) + "</HTMLQuestion>", nil, "at most 65535 bytes"),
        ("annotation of 256 characters", 60, 1, ExternalQuestion(externalURL: "http://x").xml,
         String(repeating: "a", count: 256), "RequesterAnnotation"),
    ])
    func hitRejects(
        _ name: String, _ lifetime: Int64, _ maxAssignments: Int, _ question: String?, _ annotation: String?,
        _ fragment: String
    ) async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        let error = await mturkError {
            _ = try await fixture.market.createHITWithHITType(CreateHITWithHITTypeRequest(
                hitTypeId: type, maxAssignments: maxAssignments, lifetimeInSeconds: lifetime, question: question,
                requesterAnnotation: annotation))
        }
        #expect(error?.code == "RequestError", "\(name)")
        #expect(error?.message.contains(fragment) == true, "\(name): \(error?.message ?? "")")
        #expect(try await fixture.market.allHITs().isEmpty, "\(name)")
    }

    @Test(arguments: ["QuestionForm", "HTMLQuestion"])
    func otherQuestionKindsAreAccepted(_ root: String) async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        let response = try await fixture.market.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: type, lifetimeInSeconds: 60,
            question: "<\(root) xmlns=\"http://example.invalid/schema\"><Content/></\(root)>"))
        #expect(response.hit?.hitStatus == .assignable)
    }

    @Test func unknownHITTypeFails() async throws {
        let fixture = try Fixture()
        let error = await mturkError { _ = try await fixture.hit(type: "3NOSUCHTYPE") }
        #expect(error?.message.hasPrefix("HITType 3NOSUCHTYPE does not exist.") == true)
    }

    @Test func repeatedTokenNamesTheExistingHIT() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        let first = try await fixture.hit(type: type, token: "run-r1-seq-1")

        let error = await mturkError { _ = try await fixture.hit(type: type, token: "run-r1-seq-1") }
        #expect(error?.code == "RequestError")
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.HitAlreadyExists")
        #expect(error?.isDuplicateRequest == true)
        #expect(error?.message.contains("The HIT with ID \"\(first.hitId ?? "")\" already exists.") == true)
        #expect(try await fixture.market.allHITs().count == 1)
    }

    @Test func tokenIsForgottenAfterADay() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType(duration: 60)
        _ = try await fixture.hit(type: type, lifetime: 31_536_000, token: "tok")

        fixture.clock.advance(86_400 - 1)
        #expect(await mturkError { _ = try await fixture.hit(type: type, token: "tok") }?.turkErrorCode
            == "AWS.MechanicalTurk.HitAlreadyExists")
        fixture.clock.advance(2)
        _ = try await fixture.hit(type: type, token: "tok")
        #expect(try await fixture.market.allHITs().count == 2)
    }

    @Test func hitBeyondTheBalanceFails() async throws {
        let fixture = try Fixture()
        // $100.00 reward plus $40.00 fee (10 or more assignments) times 100 assignments is $14,000.00.
        let type = try await fixture.hitType(reward: "100.00")
        let error = await mturkError { _ = try await fixture.hit(type: type, maxAssignments: 100) }
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.InsufficientFunds")
        #expect(try await fixture.market.allHITs().isEmpty)
    }
}

// MARK: - Reading and paging

extension LocalHITTests {
    @Test func unknownHITDoesNotExist() async throws {
        let fixture = try Fixture()
        let error = await mturkError { _ = try await fixture.market.getHIT(GetHITRequest(hitId: "3ABC")) }
        #expect(error?.message == "Hit 3ABC does not exist. \(mturkMessageSuffix(fixture.clock.now))")
        #expect(error?.isNotFound == true)
    }

    @Test func malformedIDIsAValidationError() async throws {
        let fixture = try Fixture()
        let error = await mturkError { _ = try await fixture.market.getHIT(GetHITRequest(hitId: "3abc")) }
        #expect(error?.code == "ValidationException")
    }

    @Test func listHITsPagesThroughEveryHIT() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        var created: [String] = []
        for _ in 0..<25 { created.append(try #require(try await fixture.hit(type: type).hitId)) }

        var seen: [String] = []
        var token: String? = nil
        var pages = 0
        repeat {
            let page = try await fixture.market.listHITs(ListHITsRequest(nextToken: token, maxResults: 10))
            pages += 1
            #expect(page.numResults == page.hits?.count)
            seen += (page.hits ?? []).compactMap(\.hitId)
            token = page.nextToken
        } while token != nil && pages < 10

        #expect(pages == 3)
        #expect(seen == created)
    }

    @Test func pageOfExactSizeHasNoToken() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        for _ in 0..<3 { _ = try await fixture.hit(type: type) }
        let page = try await fixture.market.listHITs(ListHITsRequest(maxResults: 3))
        #expect(page.numResults == 3)
        #expect(page.nextToken == nil)
    }

    @Test(arguments: [0, 101, -5])
    func maxResultsOutOfRangeFails(_ size: Int) async throws {
        let fixture = try Fixture()
        let error = await mturkError { _ = try await fixture.market.listHITs(ListHITsRequest(maxResults: size)) }
        #expect(error?.code == "ValidationException")
        #expect(error?.message.contains("'\(size)' at 'maxResults'") == true)
    }

    @Test func tokenOfAnotherListFails() async throws {
        let fixture = try Fixture()
        let foreign = PageToken.make("ListWorkerBlocks", after: 3)
        let error = await mturkError { _ = try await fixture.market.listHITs(ListHITsRequest(nextToken: foreign)) }
        #expect(error?.code == "RequestError")
        let garbage = await mturkError { _ = try await fixture.market.listHITs(ListHITsRequest(nextToken: "%%%")) }
        #expect(garbage?.code == "RequestError")
    }
}

// MARK: - HIT status, expiry and deletion

extension LocalHITTests {
    @Test func statusFollowsTheAssignments() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 2).hitId)
        #expect(try await fixture.status(hitId) == .assignable)

        let first = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKERONE")
        #expect(try await fixture.status(hitId) == .assignable)
        let second = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKERTWO")
        #expect(try await fixture.status(hitId) == .unassignable)

        try fixture.market.submitAssignment(assignmentId: first.assignmentId, workerId: "AWORKERONE", answers: [])
        #expect(try await fixture.status(hitId) == .unassignable)
        try fixture.market.submitAssignment(assignmentId: second.assignmentId, workerId: "AWORKERTWO", answers: [])
        #expect(try await fixture.status(hitId) == .reviewable)

        let hit = try #require(try await fixture.market.getHIT(GetHITRequest(hitId: hitId)).hit)
        #expect(hit.numberOfAssignmentsAvailable == 0)
        #expect(hit.numberOfAssignmentsPending == 0)
        #expect(hit.numberOfAssignmentsCompleted == 0)
        _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: first.assignmentId))
        #expect(try await fixture.market.getHIT(GetHITRequest(hitId: hitId)).hit?.numberOfAssignmentsCompleted == 1)
    }

    @Test func lifetimeEndMakesHITReviewable() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.hit(type: try await fixture.hitType(), lifetime: 60).hitId)
        fixture.clock.advance(59)
        #expect(try await fixture.status(hitId) == .assignable)
        fixture.clock.advance(1)
        #expect(try await fixture.status(hitId) == .reviewable)
    }

    @Test func pastExpirationExpiresAtOnceButPendingWorkFinishes() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 3).hitId)
        let held = try fixture.market.acceptHIT(hitId: hitId, workerId: "AHOLDER")

        _ = try await fixture.market.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: Date(timeIntervalSince1970: 1_420_070_400)))
        let hit = try #require(try await fixture.market.getHIT(GetHITRequest(hitId: hitId)).hit)
        #expect(hit.expiration == fixture.clock.now)
        #expect(hit.hitStatus == .unassignable)
        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: hitId, workerId: "ALATECOMER") }
        #expect(try fixture.market.availableHITs(workerId: "ALATECOMER").isEmpty)

        try fixture.market.submitAssignment(assignmentId: held.assignmentId, workerId: "AHOLDER", answers: [])
        #expect(try await fixture.status(hitId) == .reviewable)
    }

    @Test func expirationCanBeExtended() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.hit(type: try await fixture.hitType(), lifetime: 60).hitId)
        fixture.clock.advance(120)
        #expect(try await fixture.status(hitId) == .reviewable)

        _ = try await fixture.market.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: fixture.clock.now.addingTimeInterval(600)))
        #expect(try await fixture.status(hitId) == .assignable)
    }

    @Test func deleteNeedsAReviewableHIT() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)

        let error = await mturkError { _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId)) }
        #expect(error?.message == "This HIT is currently in the state 'Assignable'. This operation can be called "
            + "with a status of: Reviewing, Reviewable \(mturkMessageSuffix(fixture.clock.now))")

        _ = try fixture.market.acceptHIT(hitId: hitId, workerId: "AHOLDER")
        _ = try await fixture.market.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: Date(timeIntervalSince1970: 0)))
        let pending = await mturkError { _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId)) }
        #expect(pending?.message.contains("in the state 'Unassignable'") == true)
    }

    @Test func deleteNeedsEverySubmissionReviewed() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(hitId, worker: "AWORKER")

        let error = await mturkError { _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId)) }
        #expect(error?.message.contains("in the state 'Reviewable'") == true)

        _ = try await fixture.market.rejectAssignment(
            RejectAssignmentRequest(assignmentId: assignmentId, requesterFeedback: "The answer was empty."))
        _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId))

        #expect(try await fixture.market.allHITs().isEmpty)
        let gone = await mturkError { _ = try await fixture.market.getHIT(GetHITRequest(hitId: hitId)) }
        #expect(gone?.isNotFound == true)
        let again = await mturkError { _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId)) }
        #expect(again?.isNotFound == true)
        // A rejection of a disposed HIT can no longer be overridden.
        let override = await mturkError {
            _ = try await fixture.market.approveAssignment(
                ApproveAssignmentRequest(assignmentId: assignmentId, overrideRejection: true))
        }
        #expect(override?.isNotFound == true)
    }

    @Test func expiredEmptyHITCanBeDeleted() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        _ = try await fixture.market.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: Date(timeIntervalSince1970: 0)))
        _ = try await fixture.market.deleteHIT(DeleteHITRequest(hitId: hitId))
        #expect(try await fixture.market.allHITs().isEmpty)
    }
}
