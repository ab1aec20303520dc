import Foundation
import Synchronization
import Testing
import TurkModel
@testable import TurkLocal

/// Two marketplace instances on one file, each used by its own thread or task, as create-hits and serve-chat's
/// worker site use one file from two processes. Each instance has its own SQLite connection, so they contend for
/// SQLite's file locks as two processes would.
@Suite struct LocalConcurrencyTests {
    /// Runs `body` on two threads at once, with instance 0 and instance 1, and waits up to 60 seconds for both.
    /// The wait suspends instead of blocking, so the test leaves Swift's small thread pool free.
    func onTwoThreads(
        _ instances: [LocalMarketplace], _ body: @escaping @Sendable (Int, LocalMarketplace) -> Void
    ) async throws {
        let finished = Atomic<Int>(0)
        for (index, instance) in instances.enumerated() {
            let thread = Thread {
                body(index, instance)
                finished.add(1, ordering: .sequentiallyConsistent)
            }
            thread.start()
        }
        let deadline = Date().addingTimeInterval(60)
        while finished.load(ordering: .sequentiallyConsistent) < instances.count && Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(finished.load(ordering: .sequentiallyConsistent) == instances.count, "threads did not finish in 60 s")
    }

    @Test func racingAcceptsFillEachSlotOnce() async throws {
        let fixture = try Fixture()
        let hitId = try #require(try await fixture.simpleHIT(maxAssignments: 5).hitId)
        let accepted = Mutex<[WorkerAssignment]>([])
        let failures = Mutex<[String]>([])

        try await onTwoThreads([fixture.market, try fixture.secondInstance()]) { index, market in
            for worker in 0..<10 {
                do {
                    let assignment = try market.acceptHIT(hitId: hitId, workerId: "AT\(index)W\(worker)")
                    accepted.withLock { $0.append(assignment) }
                } catch let error as MTurkError {
                    failures.withLock { $0.append(error.message) }
                } catch {
                    failures.withLock { $0.append("unexpected: \(error)") }
                }
            }
        }

        let assignments = accepted.withLock { $0 }
        #expect(assignments.count == 5)
        #expect(Set(assignments.map(\.assignmentId)).count == 5)
        let messages = failures.withLock { $0 }
        #expect(messages.count == 15)
        #expect(messages.allSatisfy { $0.contains("its status is Unassignable") }, "\(messages)")
        #expect(try await fixture.status(hitId) == .unassignable)
    }

    @Test func racingCreatesWithOneTokenMakeOneHIT() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        let question = ExternalQuestion(externalURL: "http://127.0.0.1:1/task").xml
        let second = try fixture.secondInstance()

        // Each task returns the HIT ids it created, its duplicate-token errors and any other error.
        let outcomes = try await withThrowingTaskGroup(of: ([String], Int, [String]).self) { group in
            for market in [fixture.market, second] {
                group.addTask {
                    var created: [String] = []
                    var duplicates = 0
                    var others: [String] = []
                    for seq in 0..<20 {
                        let request = CreateHITWithHITTypeRequest(
                            hitTypeId: type, lifetimeInSeconds: 600, question: question,
                            uniqueRequestToken: "run-r1-seq-\(seq)")
                        do {
                            let response = try await market.createHITWithHITType(request)
                            created.append(response.hit?.hitId ?? "")
                        } catch let error as MTurkError where error.isDuplicateRequest {
                            duplicates += 1
                        } catch {
                            others.append("\(error)")
                        }
                    }
                    return (created, duplicates, others)
                }
            }
            return try await group.reduce(into: [([String], Int, [String])]()) { $0.append($1) }
        }

        let others = outcomes.flatMap(\.2)
        #expect(others.isEmpty, "\(others)")
        #expect(outcomes.flatMap(\.0).count == 20)
        #expect(outcomes.map(\.1).reduce(0, +) == 20)
        #expect(try await fixture.market.allHITs().count == 20)
    }
    @Test func workerSideAndRequesterSideAtOnce() async throws {
        let fixture = try Fixture()
        let type = try await fixture.hitType()
        for _ in 0..<10 { _ = try await fixture.hit(type: type) }
        let worker = try fixture.secondInstance()
        let errors = Mutex<[String]>([])

        await withThrowingTaskGroup(of: Void.self) { group in
            // The requester side keeps creating and listing while workers accept and submit.
            group.addTask {
                for _ in 0..<10 {
                    _ = try await fixture.market.createHITWithHITType(CreateHITWithHITTypeRequest(
                        hitTypeId: type, lifetimeInSeconds: 600,
                        question: ExternalQuestion(externalURL: "http://127.0.0.1:1/task").xml))
                    _ = try await fixture.market.allHITs()
                }
            }
            group.addTask {
                for number in 0..<10 {
                    let hit = try #require(try worker.availableHITs(workerId: "AW\(number)").first)
                    let assignment = try worker.acceptHIT(hitId: hit.hit.hitId ?? "", workerId: "AW\(number)")
                    try worker.submitAssignment(
                        assignmentId: assignment.assignmentId, workerId: "AW\(number)", answers: [("n", "\(number)")])
                }
            }
            do {
                try await group.waitForAll()
            } catch {
                errors.withLock { $0.append("\(error)") }
            }
        }

        #expect(errors.withLock { $0 }.isEmpty, "\(errors.withLock { $0 })")
        let hits = try await fixture.market.allHITs()
        #expect(hits.count == 20)
        #expect(hits.filter { $0.hitStatus == .reviewable }.count == 10)
    }
}
