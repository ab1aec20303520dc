import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `create-hits --follow` as a process: SIGINT and SIGTERM end it cleanly, and a second call continues the run.
@Suite struct CreateHitsFollowEndToEndTests {
    @Test(arguments: [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")])
    func followStopsOnSignal(number: Int32, name: String) async throws {
        let sandbox = try ToolSandbox()
        let created = try await sandbox.run(
            "create-hits", ["--task", sandbox.taskDirectory.path, "-n", "3", "--max-connections", "1", "--json"])
        #expect(created.status == 0, "\(created.standardError)")
        let runId = try #require(created.jsonLines.first?["run_id"] as? String)

        let (process, _, errorFile) = try sandbox.start(
            "create-hits", ["--run-id", runId, "--follow", "--poll-interval", "1"])
        var log = ""
        let started = Date().addingTimeInterval(30)
        while Date() < started && !log.contains("checking again every 1 s") && process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
            log = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        }
        #expect(log.contains("following run \(runId)"), "\(log)")

        kill(process.processIdentifier, number)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("create-hits --follow did not stop within 10 s of \(name)")
            return
        }
        log = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(log.contains("received \(name)"), "\(log)")
        #expect(log.contains("stopped by \(name): run \(runId) has 1 of 3 HITs created; continue with: "
            + "create-hits --run-id \(runId) --follow"), "\(log)")
    }

    @Test(.enabled(if: ScriptedWorkerPython.path != nil, "needs Debian's python3-websockets"))
    func followOpensHITsForServeChatWorkers() async throws {
        let sandbox = try ToolSandbox()
        let (server, url) = try await sandbox.startServer()
        defer { sandbox.stop(server) }
        let (follower, outputFile, errorFile) = try sandbox.start(
            "create-hits", ["--task", sandbox.taskDirectory.path, "-n", "3", "--max-connections", "1",
                            "--server-url", url, "--follow", "--poll-interval", "1", "--json"])
        defer { sandbox.stop(follower) }

        // Each worker waits until the follower has opened its HIT: with --max-connections 1 there is one at a time.
        var runId = ""
        for number in 1...3 {
            var lines: [[String: Any]] = []
            let deadline = Date().addingTimeInterval(30)
            while lines.count < number && Date() < deadline && follower.isRunning {
                try await Task.sleep(for: .milliseconds(50))
                let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
                lines = text.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            }
            try #require(lines.count == number, "create-hits opened \(lines.count) HITs, expected \(number)")
            runId = try #require(lines.first?["run_id"] as? String)
            let worker = try await sandbox.finishWorker(try sandbox.startWorker(
                ["--server", url, "--run", runId, "--worker-id", "A\(number)FOLLOWED"]))
            #expect(worker.status == 0, "\(worker.standardError)")
            #expect(worker.result["hit_id"] as? String == lines[number - 1]["hit_id"] as? String)
        }

        let deadline = Date().addingTimeInterval(30)
        while follower.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let log = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        #expect(!follower.isRunning, "create-hits --follow still runs after the target was met: \(log)")
        #expect(follower.terminationStatus == 0, "\(log)")
        #expect(log.contains("run \(runId) reached its target: 3 of 3 conversations started; no HIT is open"),
                "\(log)")
    }
}
