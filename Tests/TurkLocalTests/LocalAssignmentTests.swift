import Foundation
import Testing
import TurkModel
@testable import TurkLocal

@Suite struct LocalAssignmentTests {}

// MARK: - Listing and reading

extension LocalAssignmentTests {
    @Test func acceptedWorkIsNeverListed() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 2).hitId)
        let held = try fixture.market.acceptHIT(hitId: hitId, workerId: "AHOLDER")
        let submitted = try fixture.submitWork(hitId, worker: "ASUBMITTER")

        let listed = try await fixture.market.allAssignments(hitId: hitId)
        #expect(listed.map(\.assignmentId) == [submitted])
        #expect(listed.first?.assignmentStatus == .submitted)

        let error = await mturkError {
            _ = try await fixture.market.getAssignment(GetAssignmentRequest(assignmentId: held.assignmentId))
        }
        #expect(error?.message.contains("This operation can be called with a status of: Reviewable,Approved,Rejected")
            == true)
    }

    @Test func listFiltersByStatus() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 3).hitId)
        let approved = try fixture.submitWork(hitId, worker: "AONE")
        let rejected = try fixture.submitWork(hitId, worker: "ATWO")
        let waiting = try fixture.submitWork(hitId, worker: "ATHREE")
        _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: approved))
        _ = try await fixture.market.rejectAssignment(RejectAssignmentRequest(assignmentId: rejected, requesterFeedback: "no"))

        #expect(try await fixture.market.allAssignments(hitId: hitId, statuses: [.submitted]).map(\.assignmentId) == [waiting])
        #expect(try await fixture.market.allAssignments(hitId: hitId, statuses: [.approved, .rejected]).count == 2)
        let firstPage = try await fixture.market.listAssignmentsForHIT(
            ListAssignmentsForHITRequest(hitId: hitId, maxResults: 2))
        #expect(firstPage.numResults == 2)
        let secondPage = try await fixture.market.listAssignmentsForHIT(
            ListAssignmentsForHITRequest(hitId: hitId, nextToken: firstPage.nextToken, maxResults: 2))
        #expect(secondPage.assignments?.map(\.assignmentId) == [waiting])
        #expect(secondPage.nextToken == nil)
    }

    @Test func getAssignmentReturnsTheAnswerAndHIT() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(hitId, worker: "AWORKER", answer: "Paris <capital>")

        let response = try await fixture.market.getAssignment(GetAssignmentRequest(assignmentId: assignmentId))
        let assignment = try #require(response.assignment)
        #expect(response.hit?.hitId == hitId)
        #expect(assignment.workerId == "AWORKER")
        #expect(assignment.submitTime == fixture.clock.now)
        #expect(assignment.autoApprovalTime == fixture.clock.now.addingTimeInterval(3_600))
        #expect(assignment.deadline == fixture.clock.now.addingTimeInterval(600))
        let answers = try #require(QuestionFormAnswers(xml: assignment.answer ?? ""))
        #expect(answers["answer"] == "Paris <capital>")
        #expect(answers["assignmentId"] == nil)
    }

    @Test func unknownAssignmentDoesNotExist() async throws {
        let fixture = try Fixture()
        let error = await mturkError {
            _ = try await fixture.market.getAssignment(GetAssignmentRequest(assignmentId: "3NOSUCHASSIGNMENT"))
        }
        #expect(error?.message == "Assignment 3NOSUCHASSIGNMENT does not exist. \(mturkMessageSuffix(fixture.clock.now))")
    }
}

// MARK: - Review rules

extension LocalAssignmentTests {
    /// One review step and the outcome expected from it.
    enum Step: Sendable, CustomStringConvertible {
        case approve
        case reject(String)
        case override
        case advance(TimeInterval)

        var description: String {
            switch self {
            case .approve: return "approve"
            case .reject(let feedback): return "reject(\(feedback))"
            case .override: return "override"
            case .advance(let seconds): return "advance(\(Int(seconds)))"
            }
        }
    }

    @Test(arguments: [
        ([Step.approve], [nil as String?], AssignmentStatus.approved),
        ([.approve, .approve], [nil, "status of: Submitted"], .approved),
        ([.reject("Off topic.")], [nil], .rejected),
        ([.reject("")], ["RequesterFeedback is required"], .submitted),
        ([.reject("Off topic."), .approve], [nil, "status of: Submitted"], .rejected),
        ([.approve, .reject("Off topic.")], [nil, "status of: Submitted"], .approved),
        ([.reject("Off topic."), .override], [nil, nil], .approved),
        ([.reject("Off topic."), .advance(30 * 86_400 + 1), .override], [nil, nil, "more than 30 days ago"], .rejected),
        ([.override], [nil], .approved),
        ([.advance(3_600), .reject("late")], [nil, "status of: Submitted"], .approved),
    ])
    func reviewStep(_ steps: [Step], _ expected: [String?], _ final: AssignmentStatus) async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(hitId, worker: "AWORKER")

        for (step, fragment) in zip(steps, expected) {
            do {
                switch step {
                case .approve:
                    _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: assignmentId))
                case .reject(let feedback):
                    _ = try await fixture.market.rejectAssignment(
                        RejectAssignmentRequest(assignmentId: assignmentId, requesterFeedback: feedback))
                case .override:
                    _ = try await fixture.market.approveAssignment(
                        ApproveAssignmentRequest(assignmentId: assignmentId, overrideRejection: true))
                case .advance(let seconds):
                    fixture.clock.advance(seconds)
                }
                #expect(fragment == nil, "\(step) succeeded but should fail with '\(fragment ?? "")'")
            } catch let error as MTurkError {
                #expect(error.code == "RequestError", "\(step)")
                #expect(fragment.map { error.message.contains($0) } == true, "\(step) failed: \(error.message)")
            }
        }
        let response = try await fixture.market.getAssignment(GetAssignmentRequest(assignmentId: assignmentId))
        #expect(response.assignment?.assignmentStatus == final)
    }

    @Test func approveTwiceNamesTheAssignmentState() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(hitId, worker: "AWORKER")
        _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: assignmentId))

        let error = await mturkError {
            _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: assignmentId))
        }
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.InvalidAssignmentState")
        #expect(error?.message == "This operation can be called with a status of: Submitted "
            + mturkMessageSuffix(fixture.clock.now))
    }

    @Test func autoApprovalHappensOnTheNextRead() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let submittedAt = fixture.clock.now
        let assignmentId = try fixture.submitWork(hitId, worker: "AWORKER")

        fixture.clock.advance(3_599)
        #expect(try await fixture.market.getAssignment(GetAssignmentRequest(assignmentId: assignmentId))
            .assignment?.assignmentStatus == .submitted)
        fixture.clock.advance(1)
        let assignment = try #require(
            try await fixture.market.getAssignment(GetAssignmentRequest(assignmentId: assignmentId)).assignment)
        #expect(assignment.assignmentStatus == .approved)
        #expect(assignment.approvalTime == submittedAt.addingTimeInterval(3_600))
        // $1.00 reward and $0.20 fee were paid.
        #expect(try await fixture.balance().available == "9998.80")
        #expect(try await fixture.balance().onHold == "0.00")
    }

    @Test func zeroAutoApprovalDelayApprovesAtOnce() async throws {
        let fixture = try Fixture()
        let hit = try await fixture.hit(type: try await fixture.hitType(autoApproval: 0))
        let assignmentId = try fixture.submitWork(try #require(hit.hitId), worker: "AWORKER")
        #expect(try await fixture.market.getAssignment(GetAssignmentRequest(assignmentId: assignmentId))
            .assignment?.assignmentStatus == .approved)
    }
}

// MARK: - Money

extension LocalAssignmentTests {
    @Test func newAccountHasTenThousandDollars() async throws {
        let fixture = try Fixture()
        let balance = try await fixture.balance()
        #expect(balance.available == "10000.00")
        #expect(balance.onHold == "0.00")
    }

    @Test func rewardsAreHeldThenPaidAtApproval() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 3).hitId)
        // Three slots of $1.00 reward plus $0.20 fee are held.
        #expect(try await fixture.balance().onHold == "3.60")
        #expect(try await fixture.balance().available == "9996.40")

        let approved = try fixture.submitWork(hitId, worker: "AONE")
        let rejected = try fixture.submitWork(hitId, worker: "ATWO")
        _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: approved))
        _ = try await fixture.market.rejectAssignment(RejectAssignmentRequest(assignmentId: rejected, requesterFeedback: "no"))
        #expect(try await fixture.balance().onHold == "1.20")
        #expect(try fixture.market.accountBalance().ledger == USD(cents: 1_000_000 - 120))

        // Expiring the HIT releases the free slot; rejected work costs nothing.
        _ = try await fixture.market.updateExpirationForHIT(
            UpdateExpirationForHITRequest(hitId: hitId, expireAt: Date(timeIntervalSince1970: 0)))
        #expect(try await fixture.balance().onHold == "0.00")
        #expect(try await fixture.balance().available == "9998.80")
    }

    @Test func tenAssignmentsPayTheHigherFee() async throws {
        let fixture = try Fixture()
        _ = try await fixture.simpleHIT(maxAssignments: 10)
        // $1.00 reward plus 40 % fee, ten times.
        #expect(try await fixture.balance().onHold == "14.00")
    }

    @Test func bonusNeedsSubmittedWorkOfThatWorker() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 2).hitId)
        let held = try fixture.market.acceptHIT(hitId: hitId, workerId: "AHOLDER")
        let submitted = try fixture.submitWork(hitId, worker: "ASUBMITTER")

        let inFlight = await mturkError {
            _ = try await fixture.market.sendBonus(SendBonusRequest(
                workerId: "AHOLDER", bonusAmount: "0.50", assignmentId: held.assignmentId, reason: "thanks"))
        }
        #expect(inFlight?.message.hasPrefix("Assignment \(held.assignmentId) does not exist.") == true)
        let wrongWorker = await mturkError {
            _ = try await fixture.market.sendBonus(SendBonusRequest(
                workerId: "AHOLDER", bonusAmount: "0.50", assignmentId: submitted, reason: "thanks"))
        }
        #expect(wrongWorker?.isNotFound == true)
        let noReason = await mturkError {
            _ = try await fixture.market.sendBonus(SendBonusRequest(
                workerId: "ASUBMITTER", bonusAmount: "0.50", assignmentId: submitted, reason: ""))
        }
        #expect(noReason?.message.contains("Reason") == true)
        let badAmount = await mturkError {
            _ = try await fixture.market.sendBonus(SendBonusRequest(
                workerId: "ASUBMITTER", bonusAmount: "0.505", assignmentId: submitted, reason: "thanks"))
        }
        #expect(badAmount?.code == "ValidationException")

        _ = try await fixture.market.sendBonus(SendBonusRequest(
            workerId: "ASUBMITTER", bonusAmount: "0.50", assignmentId: submitted, reason: "thanks"))
        let payments = try await fixture.market.allBonusPayments(assignmentId: submitted)
        #expect(payments.count == 1)
        #expect(payments.first?.bonusAmount == "0.50")
        #expect(payments.first?.workerId == "ASUBMITTER")
        #expect(payments.first?.grantTime == fixture.clock.now)
    }

    @Test func repeatedBonusTokenPaysOnce() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(hitId, worker: "AWORKER")
        _ = try await fixture.market.approveAssignment(ApproveAssignmentRequest(assignmentId: assignmentId))
        let request = SendBonusRequest(
            workerId: "AWORKER", bonusAmount: "2.50", assignmentId: assignmentId, reason: "long chat",
            uniqueRequestToken: "bonus-row-2")

        _ = try await fixture.market.sendBonus(request)
        let available = try await fixture.balance().available
        let error = await mturkError { _ = try await fixture.market.sendBonus(request) }

        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.DuplicateRequest")
        #expect(error?.isDuplicateRequest == true)
        #expect(try await fixture.market.allBonusPayments(assignmentId: assignmentId).count == 1)
        #expect(try await fixture.balance().available == available)
        // $1.00 + $0.20 for the approval, $2.50 + $0.50 for the bonus.
        #expect(available == "9995.80")
        let byHIT = try await fixture.market.listBonusPayments(ListBonusPaymentsRequest(hitId: hitId))
        #expect(byHIT.numResults == 1)
    }

    @Test func bonusBeyondTheBalanceFails() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT().hitId)
        let assignmentId = try fixture.submitWork(hitId, worker: "AWORKER")
        let error = await mturkError {
            _ = try await fixture.market.sendBonus(SendBonusRequest(
                workerId: "AWORKER", bonusAmount: "9000.00", assignmentId: assignmentId, reason: "too much"))
        }
        #expect(error?.turkErrorCode == "AWS.MechanicalTurk.InsufficientFunds")
        #expect(try await fixture.market.allBonusPayments(assignmentId: assignmentId).isEmpty)
    }

    @Test func listBonusPaymentsNeedsOneKey() async throws {
        let fixture = try Fixture()
        let error = await mturkError { _ = try await fixture.market.listBonusPayments(ListBonusPaymentsRequest()) }
        #expect(error?.code == "RequestError")
    }
}
