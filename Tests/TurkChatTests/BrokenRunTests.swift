import Foundation
import Testing
import TurkStore
@testable import TurkChat

extension ServerTests {
    /// Runs whose task file or stored configuration went bad after create-hits: serve-chat must turn their workers
    /// away with a clear close code and keep serving everyone else.
    @Suite struct BrokenRunTests {
        /// Replaces `key` in a task directory's task.json with `rawValue`, written as JSON text as it is.
        func setRaw(_ key: String, _ rawValue: String, in directory: URL) throws {
            let file = directory.appendingPathComponent("task.json")
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            object[key] = nil
            var text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            text.insert(contentsOf: "\"\(key)\": \(rawValue), ", at: text.index(after: text.startIndex))
            try Data(text.utf8).write(to: file)
        }

        @Test func editedTaskFileRejectsJoinsWithoutCrash() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = try copyTask("qa_data_collection")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                        taskDirectory: task)
            try setRaw("idle_timeout_seconds", "1e20", in: task)

            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1EDITEDTASK")
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1EDITEDTASK")],
                ["wait_close": true],
            ])
            #expect(result.closeCode(conn: 0) == 4012, "\(result.closes) \(result.frames)")
            let error = result.frames.first { $0["type"] as? String == "error" }
            #expect((error?["message"] as? String)?.contains("not available") == true)
            #expect((error?["message"] as? String)?.contains(task.path) == false, "no server paths to workers")

            let logged = server.logLines.all.first { $0.contains("cannot serve run") }
            #expect(logged?.contains("idle_timeout_seconds") == true, "\(server.logLines.all)")
            #expect(logged?.contains("1e+20") == true)
            #expect(logged?.contains("from 5 to 86400") == true)
            #expect(logged?.contains("task.json") == true)
            let rejection = server.logLines.all.first { $0.contains("rejected a join") }
            #expect(rejection?.contains("code=4012") == true, "\(server.logLines.all)")

            let page = try runProcess("/usr/bin/curl", [
                "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                server.url.absoluteString + "/chat?run=\(run.runId)&assignmentId=\(assignment)&hitId=\(run.hitIds[0])"
                    + "&workerId=A1EDITEDTASK"])
            #expect(page.stdout == "503")
            let health = try runProcess("/usr/bin/curl", ["-sS", server.url.absoluteString + "/healthz"])
            #expect(health.stdout.contains("ok"), "the server keeps running")
        }

        @Test func fixedTaskFileServesAgain() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = try copyTask("qa_data_collection")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: task)
            try setRaw("reconnect_grace_seconds", "-1e20", in: task)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1FIXEDTASK")
            let join = joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1FIXEDTASK")
            let broken = try runWebSocketProbe([["connect": webSocketURL(server.url)], ["send": join],
                                                ["wait_close": true]])
            #expect(broken.closeCode(conn: 0) == 4012)

            try setRaw("reconnect_grace_seconds", "30", in: task)
            let fixed = try runWebSocketProbe([["connect": webSocketURL(server.url)], ["send": join],
                                               ["until": ["type": "command", "command": "send_message"]]])
            #expect(!fixed.timedOut, "\(fixed.frames)")
        }

        @Test func oversizedRunConfigRejectsJoins() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = try copyTask("deal_or_no_deal")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: task)
            let store = try RunStore(stateDirectory: server.stateDirectory)
            // 2^62 conversations of two agents each overflows Int when the missing HIT total is derived.
            try store.setRunConfig(run.runId, configJSON: #"{"conversations": 4611686018427387904, "agent_ids": ["A", "B"]}"#)
            store.close()

            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1HUGECONFIG")
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1HUGECONFIG")],
                ["wait_close": true],
            ])
            #expect(result.closeCode(conn: 0) == 4012, "\(result.closes)")
            let logged = server.logLines.all.first { $0.contains("cannot serve run") }
            #expect(logged?.contains("configuration of run \(run.runId)") == true, "\(server.logLines.all)")
        }
    }
}
