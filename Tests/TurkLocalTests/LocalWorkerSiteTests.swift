import Foundation
import Testing
import TurkModel
@testable import TurkLocal

@Suite struct LocalWorkerSiteTests {}

// MARK: - Accept, submit, return

extension LocalWorkerSiteTests {
    @Test func acceptSetsTheDeadline() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignment = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER")

        #expect(assignment.status == .accepted)
        #expect(assignment.assignmentId.count == 30)
        #expect(assignment.deadline == fixture.clock.now.addingTimeInterval(600))
        #expect(try fixture.market.currentAssignment(assignmentId: assignment.assignmentId) == assignment)
        #expect(try fixture.market.workerAssignments(workerId: "AWORKER") == [assignment])
    }

    @Test func submitBuildsQuestionFormAnswers() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignment = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER")

        let submitted = try fixture.market.submitAssignment(
            assignmentId: assignment.assignmentId, workerId: "AWORKER",
            answers: [("assignmentId", assignment.assignmentId), ("conversation_id", "c1"), ("note", "a & b <c>")])

        #expect(submitted.status == .submitted)
        let answers = try #require(QuestionFormAnswers(xml: submitted.answer ?? ""))
        #expect(answers.answers.map(\.identifier) == ["conversation_id", "note"])
        #expect(answers["note"] == "a & b <c>")
    }

    @Test func workerCannotTakeAHITTwice() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 3).hitId)
        let assignment = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER")

        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER") }
        try fixture.market.submitAssignment(assignmentId: assignment.assignmentId, workerId: "AWORKER", answers: [])
        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER") }
        #expect(try fixture.market.availableHITs(workerId: "AWORKER").isEmpty)
        #expect(try fixture.market.availableHITs(workerId: "AOTHER").count == 1)
    }

    @Test func onlyTheHolderCanSubmit() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignment = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER")

        #expect(throws: MTurkError.self) {
            try fixture.market.submitAssignment(assignmentId: assignment.assignmentId, workerId: "AINTRUDER", answers: [])
        }
        try fixture.market.submitAssignment(assignmentId: assignment.assignmentId, workerId: "AWORKER", answers: [])
        #expect(throws: MTurkError.self) {
            try fixture.market.submitAssignment(assignmentId: assignment.assignmentId, workerId: "AWORKER", answers: [])
        }
    }

    @Test func returnedSlotReusesTheAssignmentID() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let first = try fixture.market.acceptHIT(hitId: hitId, workerId: "AFIRST")
        #expect(try await fixture.status(hitId) == .unassignable)

        try fixture.market.returnAssignment(assignmentId: first.assignmentId, workerId: "AFIRST")
        #expect(try await fixture.status(hitId) == .assignable)
        #expect(try fixture.market.currentAssignment(assignmentId: first.assignmentId) == nil)
        let second = try fixture.market.acceptHIT(hitId: hitId, workerId: "ASECOND")

        #expect(second.assignmentId == first.assignmentId)
        #expect(try fixture.market.workerAssignment(assignmentId: first.assignmentId, workerId: "AFIRST")?.status
            == .returned)
        #expect(try fixture.market.currentAssignment(assignmentId: first.assignmentId)?.workerId == "ASECOND")
        #expect(throws: MTurkError.self) {
            try fixture.market.submitAssignment(assignmentId: first.assignmentId, workerId: "AFIRST", answers: [])
        }
        try fixture.market.submitAssignment(assignmentId: second.assignmentId, workerId: "ASECOND", answers: [])
        let listed = try await fixture.market.allAssignments(hitId: hitId)
        #expect(listed.map(\.workerId) == ["ASECOND"])
    }

    @Test func returningWorkerMayAcceptAgain() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let first = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER")
        try fixture.market.returnAssignment(assignmentId: first.assignmentId, workerId: "AWORKER")
        let again = try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER")
        #expect(again.assignmentId == first.assignmentId)
        #expect(again.status == .accepted)
    }

    @Test func deadlineAbandonsTheAssignment() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignment = try fixture.market.acceptHIT(hitId: hitId, workerId: "ASLOW")

        fixture.clock.advance(600)
        #expect(try await fixture.status(hitId) == .assignable)
        #expect(try fixture.market.workerAssignment(assignmentId: assignment.assignmentId, workerId: "ASLOW")?.status
            == .abandoned)
        do {
            try fixture.market.submitAssignment(assignmentId: assignment.assignmentId, workerId: "ASLOW", answers: [])
            Issue.record("a submission after the deadline was accepted")
        } catch let error as MTurkError {
            #expect(error.message.contains("abandoned"))
        }
        let next = try fixture.market.acceptHIT(hitId: hitId, workerId: "AFAST")
        #expect(next.assignmentId == assignment.assignmentId)
    }

    @Test func acceptChecksItsInput() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: hitId, workerId: "not-a-worker") }
        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: hitId, workerId: "A1B2,A1B2") }
        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: "3NOSUCHHIT", workerId: "AWORKER") }
    }

    @Test func newWorkerIDsHaveMTurkForm() {
        let id = LocalMarketplace.newWorkerID()
        #expect(MTurkID.isWorkerID(id))
        #expect(id.count == 14)
    }
}

// MARK: - Qualification gating

extension LocalWorkerSiteTests {
    /// A worker's situation and whether a requirement lets them accept.
    struct GateCase: Sendable, CustomStringConvertible {
        var name: String
        var comparator: TurkModel.Comparator
        var integers: [Int]? = nil
        var locales: [WorkerLocale]? = nil
        /// The value of the custom qualification granted to the worker, nil for none.
        var granted: Int? = nil
        var workerLocale: WorkerLocale? = nil
        var usesLocale = false
        var canAccept: Bool

        var description: String { name }
    }

    static let gateCases: [GateCase] = [
        GateCase(name: "DoesNotExist without it", comparator: .doesNotExist, canAccept: true),
        GateCase(name: "DoesNotExist with it", comparator: .doesNotExist, granted: 1, canAccept: false),
        GateCase(name: "Exists with it", comparator: .exists, granted: 0, canAccept: true),
        GateCase(name: "Exists without it", comparator: .exists, canAccept: false),
        GateCase(name: "GreaterThan above", comparator: .greaterThan, integers: [5], granted: 6, canAccept: true),
        GateCase(name: "GreaterThan equal", comparator: .greaterThan, integers: [5], granted: 5, canAccept: false),
        GateCase(name: "GreaterThan without it", comparator: .greaterThan, integers: [5], canAccept: false),
        GateCase(name: "LessThanOrEqualTo equal", comparator: .lessThanOrEqualTo, integers: [5], granted: 5, canAccept: true),
        GateCase(name: "NotEqualTo without it", comparator: .notEqualTo, integers: [1], canAccept: false),
        GateCase(name: "In listed", comparator: .in, integers: [1, 3], granted: 3, canAccept: true),
        GateCase(name: "NotIn listed", comparator: .notIn, integers: [1, 3], granted: 3, canAccept: false),
        GateCase(name: "default locale US", comparator: .equalTo, locales: [WorkerLocale(country: "US")],
                 usesLocale: true, canAccept: true),
        GateCase(name: "locale GB wanted", comparator: .equalTo, locales: [WorkerLocale(country: "GB")],
                 usesLocale: true, canAccept: false),
        GateCase(name: "locale set to GB", comparator: .in, locales: [WorkerLocale(country: "GB"), WorkerLocale(country: "IE")],
                 workerLocale: WorkerLocale(country: "GB"), usesLocale: true, canAccept: true),
        GateCase(name: "subdivision mismatch", comparator: .equalTo,
                 locales: [WorkerLocale(country: "US", subdivision: "NY")],
                 workerLocale: WorkerLocale(country: "US", subdivision: "CA"), usesLocale: true, canAccept: false),
        GateCase(name: "locale NotEqualTo", comparator: .notEqualTo, locales: [WorkerLocale(country: "IN")],
                 usesLocale: true, canAccept: true),
    ]

    @Test(arguments: gateCases)
    func requirementGatesTheWorker(_ gate: GateCase) async throws {
        let fixture = try Fixture()
        let custom = try await fixture.market.createQualificationType(CreateQualificationTypeRequest(
            name: "gate", description: "test gate", qualificationTypeStatus: .active)).qualificationType?
            .qualificationTypeId
        let typeId = gate.usesLocale ? SystemQualification.locale : try #require(custom)
        if let value = gate.granted {
            _ = try await fixture.market.associateQualificationWithWorker(
                AssociateQualificationWithWorkerRequest(qualificationTypeId: typeId, workerId: "AWORKER", integerValue: value))
        }
        if let locale = gate.workerLocale { try fixture.market.setWorkerLocale(workerId: "AWORKER", locale) }
        let requirement = QualificationRequirement(
            qualificationTypeId: typeId, comparator: gate.comparator, integerValues: gate.integers,
            localeValues: gate.locales, actionsGuarded: .discoverPreviewAndAccept)
        let hitId = try #require(try await fixture.simpleHIT(requirements: [requirement]).hitId)

        let visible = try fixture.market.availableHITs(workerId: "AWORKER").compactMap(\.hit.hitId)
        #expect(visible == (gate.canAccept ? [hitId] : []))
        if gate.canAccept {
            #expect(try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER").status == .accepted)
        } else {
            #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: hitId, workerId: "AWORKER") }
        }
    }

    @Test func guardedActionsDecideWhatIsShown() async throws {
        let fixture = try Fixture()
        let type = try #require(try await fixture.market.createQualificationType(CreateQualificationTypeRequest(
            name: "trained", description: "passed training", qualificationTypeStatus: .active)).qualificationType?
            .qualificationTypeId)
        func hit(_ guarded: HITAccessActions?) async throws -> String {
            try #require(try await fixture.simpleHIT(requirements: [QualificationRequirement(
                qualificationTypeId: type, comparator: .exists, actionsGuarded: guarded)]).hitId)
        }
        let acceptOnly = try await hit(.accept)
        let previewToo = try await hit(.previewAndAccept)
        let hidden = try await hit(.discoverPreviewAndAccept)
        let unguarded = try await hit(nil)

        #expect(try fixture.market.availableHITs(workerId: "ANEW").isEmpty)
        let shown = try fixture.market.availableHITs(workerId: "ANEW", includeUnqualified: true)
        #expect(shown.compactMap(\.hit.hitId) == [acceptOnly, previewToo, unguarded])
        #expect(shown.map(\.canPreview) == [true, false, true])
        #expect(shown.map(\.canAccept) == [false, false, false])
        #expect(throws: MTurkError.self) { try fixture.market.previewHIT(hitId: previewToo, workerId: "ANEW") }
        #expect(throws: MTurkError.self) { try fixture.market.previewHIT(hitId: hidden, workerId: "ANEW") }
        #expect(try fixture.market.previewHIT(hitId: acceptOnly, workerId: "ANEW").hitId == acceptOnly)
        #expect(try fixture.market.previewHIT(hitId: acceptOnly, workerId: nil).hitId == acceptOnly)

        _ = try await fixture.market.associateQualificationWithWorker(
            AssociateQualificationWithWorkerRequest(qualificationTypeId: type, workerId: "ANEW"))
        #expect(try fixture.market.availableHITs(workerId: "ANEW").count == 4)
    }

    @Test func approvalRateGatesTheWorker() async throws {
        let fixture = try Fixture()
        let first = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(first, worker: "AWORKER")
        _ = try await fixture.market.rejectAssignment(RejectAssignmentRequest(assignmentId: assignmentId, requesterFeedback: "no"))
        let gated = try #require(try await fixture.hit(type: try await fixture.hitType(
            title: "gated", requirements: [QualificationRequirement(
                qualificationTypeId: SystemQualification.percentAssignmentsApproved, comparator: .greaterThanOrEqualTo,
                integerValues: [95])])).hitId)

        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: gated, workerId: "AWORKER") }
        #expect(try fixture.market.acceptHIT(hitId: gated, workerId: "AFRESH").status == .accepted)
    }

    @Test func blockedWorkerSeesNothing() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        _ = try await fixture.market.createWorkerBlock(CreateWorkerBlockRequest(workerId: "ABLOCKED", reason: "spam"))

        #expect(try fixture.market.availableHITs(workerId: "ABLOCKED").isEmpty)
        #expect(try fixture.market.isWorkerBlocked(workerId: "ABLOCKED"))
        #expect(throws: MTurkError.self) { try fixture.market.acceptHIT(hitId: hitId, workerId: "ABLOCKED") }
        #expect(throws: MTurkError.self) { try fixture.market.previewHIT(hitId: hitId, workerId: "ABLOCKED") }

        _ = try await fixture.market.deleteWorkerBlock(DeleteWorkerBlockRequest(workerId: "ABLOCKED"))
        #expect(try fixture.market.availableHITs(workerId: "ABLOCKED").count == 1)
    }
}
