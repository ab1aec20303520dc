import Foundation
import Testing
import TurkModel
@testable import TurkLocal

/// Several processes on one marketplace file, as serve-chat's worker site and create-hits use it. The parent test
/// starts this test binary again, filtered to `acceptInChildProcess`, which runs only when the parent's environment
/// variables are set.
@Suite struct LocalProcessTests {
    static let pathVariable = "TURKCHAT_TEST_MARKETPLACE_PATH"
    static let hitVariable = "TURKCHAT_TEST_HIT_ID"
    static let workerPrefixVariable = "TURKCHAT_TEST_WORKER_PREFIX"
    static let attempts = 15

    /// The child side: tries to accept the parent's HIT for `attempts` workers. Every failure must be the error for
    /// a HIT with no free slot.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[pathVariable] != nil))
    func acceptInChildProcess() throws {
        let environment = ProcessInfo.processInfo.environment
        let market = try LocalMarketplace(path: try #require(environment[Self.pathVariable]))
        let hitId = try #require(environment[Self.hitVariable])
        let prefix = try #require(environment[Self.workerPrefixVariable])
        for number in 0..<Self.attempts {
            do {
                _ = try market.acceptHIT(hitId: hitId, workerId: "\(prefix)\(number)")
            } catch let error as MTurkError {
                #expect(error.message.contains("its status is Unassignable"), "\(error)")
            }
        }
        market.close()
    }

    @Test func acceptsFromThreeProcesses() async throws {
        let fixture = try Fixture(clock: TestClock(Date()))
        // The parent uses the real clock, as the children do.
        let parent = try LocalMarketplace(path: fixture.path)
        let type = try await fixture.hitType(duration: 3_600)
        let hitId = try #require(try await fixture.hit(type: type, maxAssignments: 20, lifetime: 3_600).hitId)
        let executable = CommandLine.arguments[0]
        try #require(FileManager.default.isExecutableFile(atPath: executable), "test binary not found at \(executable)")

        var children: [Process] = []
        for prefix in ["APROCESSONE", "APROCESSTWO"] {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = [
                "--testing-library", "swift-testing", "--filter", "LocalProcessTests/acceptInChildProcess",
            ]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.pathVariable] = fixture.path
            environment[Self.hitVariable] = hitId
            environment[Self.workerPrefixVariable] = prefix
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            children.append(child)
        }

        // The parent accepts for its own workers while the children run.
        var parentAccepted = 0
        for number in 0..<Self.attempts {
            if (try? parent.acceptHIT(hitId: hitId, workerId: "APARENT\(number)")) != nil {
                parentAccepted += 1
            }
        }

        let deadline = Date().addingTimeInterval(120)
        while children.contains(where: \.isRunning) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        for child in children where child.isRunning {
            child.terminate()
            Issue.record("child process \(child.processIdentifier) did not finish within 120 seconds")
        }
        for child in children {
            child.waitUntilExit()
            #expect(child.terminationStatus == 0, "child process failed; rerun its filter to see why")
        }

        let hit = try await parent.getHIT(GetHITRequest(hitId: hitId)).hit
        #expect(hit?.numberOfAssignmentsPending == 20)
        #expect(hit?.hitStatus == .unassignable)
        let rows = try parent.database.query(
            "SELECT assignment_id, worker_id FROM assignments WHERE hit_id = ?", [hitId])
        #expect(rows.count == 20)
        #expect(Set(rows.compactMap { $0.string("assignment_id") }).count == 20)
        let fromChildren = rows.filter { $0.string("worker_id")?.hasPrefix("APROCESS") == true }.count
        #expect(fromChildren + parentAccepted == 20)
    }
}
