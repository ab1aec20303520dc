import Foundation
import Synchronization
import Testing
import TurkModel
import TurkStore
@testable import TurkLocal

/// A clock that tests set and move by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_796_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    var function: @Sendable () -> Date { { self.now } }
}

/// Returns a new empty folder under the system's temporary folder.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("turklocal-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A marketplace in a new temporary file, with its clock and path.
struct Fixture {
    let clock: TestClock
    let market: LocalMarketplace
    let path: String

    init(clock: TestClock = TestClock()) throws {
        self.clock = clock
        path = try makeTemporaryDirectory().appendingPathComponent("marketplace.sqlite").path
        market = try LocalMarketplace(path: path, clock: clock.function)
    }

    /// Opens a second marketplace on the same file with the same clock, as another process would.
    func secondInstance() throws -> LocalMarketplace {
        try LocalMarketplace(path: path, clock: clock.function)
    }

    func hitType(
        reward: String = "1.00", duration: Int64 = 600, autoApproval: Int64? = 3_600, title: String = "Chat about a paragraph",
        requirements: [QualificationRequirement]? = nil
    ) async throws -> String {
        let response = try await market.createHITType(CreateHITTypeRequest(
            autoApprovalDelayInSeconds: autoApproval, assignmentDurationInSeconds: duration, reward: reward,
            title: title, keywords: "chat, qa", description: "Ask and answer a question about a paragraph.",
            qualificationRequirements: requirements))
        return try #require(response.hitTypeId)
    }

    func hit(
        type: String, maxAssignments: Int? = 1, lifetime: Int64 = 3_600, token: String? = nil,
        annotation: String? = "run=r1"
    ) async throws -> HIT {
        let response = try await market.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: type, maxAssignments: maxAssignments, lifetimeInSeconds: lifetime,
            question: ExternalQuestion(externalURL: "http://127.0.0.1:8080/task?x=1&y=2").xml,
            requesterAnnotation: annotation, uniqueRequestToken: token))
        return try #require(response.hit)
    }

    /// Creates a HIT type and one HIT with default settings.
    func simpleHIT(maxAssignments: Int = 1, requirements: [QualificationRequirement]? = nil) async throws -> HIT {
        try await hit(type: try await hitType(requirements: requirements), maxAssignments: maxAssignments)
    }

    func status(_ hitId: String) async throws -> HITStatus? {
        try await market.getHIT(GetHITRequest(hitId: hitId)).hit?.hitStatus
    }

    /// Accepts and submits a HIT for a worker, and returns the assignment id.
    func submitWork(_ hitId: String, worker: String, answer: String = "done") throws -> String {
        let assignment = try market.acceptHIT(hitId: hitId, workerId: worker)
        try market.submitAssignment(
            assignmentId: assignment.assignmentId, workerId: worker,
            answers: [("assignmentId", assignment.assignmentId), ("answer", answer)])
        return assignment.assignmentId
    }

    func balance() async throws -> (available: String?, onHold: String?) {
        let response = try await market.getAccountBalance(GetAccountBalanceRequest())
        return (response.availableBalance, response.onHoldBalance)
    }
}

/// Runs `body` and returns the `MTurkError` it throws, recording an issue when it throws nothing or another error.
func mturkError(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> MTurkError? {
    do {
        try await body()
        Issue.record("expected an MTurkError, but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as MTurkError {
        return error
    } catch {
        Issue.record("expected an MTurkError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
