import Foundation
import Synchronization
import Testing
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkChat

extension ServerTests {
    @Suite struct ClassicTaskTests {
        func join(_ run: TestRun, _ index: Int, worker: String, assignment: String) -> [String: Any] {
            joinFrame(run: run.runId, hit: run.hitIds[index], assignment: assignment, worker: worker)
        }

        @Test func dealOrNoDealWorkersReachAgreement() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = repositoryRoot.appendingPathComponent("tasks/deal_or_no_deal")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                        conversations: 1, taskDirectory: task)
            let first = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1DEALONE")
            let second = try acceptHIT(server: server.url, hitId: run.hitIds[1], workerId: "A1DEALTWO")
            let workers = try runChatDriver(url: server.url, workers: [
                ["join": join(run, 0, worker: "A1DEALONE", assignment: first), "say": ["I want the books."],
                 "take_all_but_last": true],
                ["join": join(run, 1, worker: "A1DEALTWO", assignment: second), "say": ["Fine, I take the rest."],
                 "take_last": true],
            ])
            for worker in workers {
                #expect(!worker.timedOut, "\(worker.frames)")
                #expect(worker.inactive?["show_done"] as? Bool == true)
                let privateMessage = worker.messages.first { ($0["data"] as? [String: Any])?["values"] != nil }
                #expect(privateMessage != nil, "each worker sees its own values")
            }
            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let conversation = try #require(try store.conversations(run: run.runId).first)
            let result = try #require(conversation.resultJSON.flatMap(JSONValue.parse))
            #expect(result["agreement"]?.boolValue == true, "\(result.jsonText)")
            #expect(conversation.status == .done)
            let messages = try store.messages(conversation: conversation.id)
            #expect(messages.map(\.seq) == Array(1...messages.count))
        }

        @Test func partnerDisconnectLetsTheOtherSubmit() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = try copyTask("deal_or_no_deal", changes: ["reconnect_grace_seconds": 1])
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                        conversations: 1, taskDirectory: task)
            let stay = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1STAYS")
            let leave = try acceptHIT(server: server.url, hitId: run.hitIds[1], workerId: "A1LEAVES")
            let workers = try runChatDriver(url: server.url, workers: [
                ["join": join(run, 0, worker: "A1STAYS", assignment: stay), "say": ["hello", "anyone?", "still here"]],
                ["join": join(run, 1, worker: "A1LEAVES", assignment: leave), "say": ["bye"], "leave_after": 1],
            ])
            let stayer = workers[0]
            #expect(!stayer.timedOut, "\(stayer.frames)")
            #expect(stayer.inactive?["show_done"] as? Bool == true)
            #expect((stayer.inactive?["text"] as? String)?.contains("partner left") == true)

            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            #expect(try store.assignment(id: stay, workerId: "A1STAYS")?.status == .partnerDisconnect)
            #expect(try store.assignment(id: leave, workerId: "A1LEAVES")?.status == .disconnect)
            #expect(try store.disconnectsInLastDay(workerId: "A1LEAVES") == 1)
            let conversation = try #require(try store.conversations(run: run.runId).first)
            #expect(conversation.status == .partnerDisconnect)
        }

        @Test func modelEvaluatorBotRepliesAndWorkerRates() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = repositoryRoot.appendingPathComponent("tasks/model_evaluator")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: task)
            let worker = try runScriptedWorker(server: server.url, arguments: [
                "--worker-id", "A1RATER", "--run", run.runId, "--say", "seven", "--say", "7"])
            #expect(worker.status == 0, "\(worker.stderr) \(server.logLines.all)")
            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let conversation = try #require(try store.conversations(run: run.runId).first)
            let result = try #require(conversation.resultJSON.flatMap(JSONValue.parse))
            #expect(result["rating"]?.intValue == 7)
            #expect(result["response"]?.stringValue?.isEmpty == false)
            let messages = try store.messages(conversation: conversation.id)
            #expect(messages.contains { $0.senderAgentId == "Model" })
            #expect(messages.contains { $0.text == "Please send a whole number from 0 to 10." })
        }

        /// Runs the model evaluator with a bot that misbehaves and checks that the conversation ends cleanly.
        func misbehavingBot(_ command: [String], timeout: Double = 30) async throws -> (RunningServer, DriverWorker) {
            let server = try RunningServer()
            let task = try copyTask("model_evaluator", settings: [
                "bots": [["agent_id": "Model", "command": command, "timeout_seconds": timeout]]])
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: task)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1BOTVICTIM")
            let workers = try runChatDriver(url: server.url, workers: [
                ["join": join(run, 0, worker: "A1BOTVICTIM", assignment: assignment), "say": ["5"]]])
            return (server, workers[0])
        }

        @Test(arguments: [
            (["python3", "-c", "import sys; sys.exit(3)"], "exited"),
            (["python3", "-c", "import sys\nfor line in sys.stdin:\n    print('this is not json', flush=True)"],
             "not a JSON object"),
            (["python3", "-c", "import time; time.sleep(60)"], "did not answer"),
        ])
        func misbehavingBotEndsConversationCleanly(command: [String], reason: String) async throws {
            let (server, worker) = try await misbehavingBot(command, timeout: 1)
            defer { server.stop() }
            #expect(!worker.timedOut, "\(worker.frames)")
            #expect(worker.inactive?["show_done"] as? Bool == true)
            #expect(server.logLines.contains("agent process failed"))
            #expect(server.logLines.all.contains { $0.contains("conversation failed") && $0.contains(reason) },
                    "\(server.logLines.all)")
            let health = try runProcess("/usr/bin/curl", ["-sS", server.url.absoluteString + "/healthz"])
            #expect(health.stdout.contains("ok"))
        }

        @Test func externalWorldRunsTheConversation() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let directory = try makeTemporaryDirectory().appendingPathComponent("echo_world")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let world = """
            import json, sys
            for line in sys.stdin:
                event = json.loads(line)
                conversation = event["conversation"]
                def out(message):
                    message["conversation"] = conversation
                    print(json.dumps(message), flush=True)
                if event["type"] in ("start", "restore"):
                    worker = [a for a in event["agents"]][0]
                    out({"type": "send", "text": "Tell me your favourite colour.", "to": [worker]})
                    out({"type": "request", "agent_id": worker})
                elif event["type"] == "message" and event["message"].get("from_worker"):
                    out({"type": "send", "text": "You said: " + event["message"]["text"]})
                    out({"type": "done", "result": {"colour": event["message"]["text"]}})
            """
            try Data(world.utf8).write(to: directory.appendingPathComponent("world.py"))
            let taskJSON = """
            {"title": "Echo", "description": "Say a colour.", "reward": "0.01", "kind": "external",
             "agent_ids": ["Worker"], "settings": {"world": {"command": ["python3", "world.py"]}}}
            """
            try Data(taskJSON.utf8).write(to: directory.appendingPathComponent("task.json"))
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: directory)
            let worker = try runScriptedWorker(server: server.url, arguments: [
                "--worker-id", "A1COLOUR", "--run", run.runId, "--say", "teal"])
            #expect(worker.status == 0, "\(worker.stderr) \(server.logLines.all)")
            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let conversation = try #require(try store.conversations(run: run.runId).first)
            #expect(conversation.resultJSON.flatMap(JSONValue.parse)?["colour"]?.stringValue == "teal")
            let texts = try store.messages(conversation: conversation.id).map(\.text)
            #expect(texts == ["Tell me your favourite colour.", "teal", "You said: teal"])
        }

        @Test func qualificationFlowTestsFirstHITAndBlocksFailures() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = repositoryRoot.appendingPathComponent("tasks/qualification_flow")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                        taskDirectory: task)
            let passer = try runScriptedWorker(server: server.url, arguments: [
                "--worker-id", "A1PASSES", "--run", run.runId, "--say", "ready",
                "--say", " 2 ", "--say", "5", "--say", "12", "--say", "2", "--say", "24"])
            #expect(passer.status == 0, "\(passer.stderr)")
            let failer = try runScriptedWorker(server: server.url, arguments: [
                "--worker-id", "A1FAILS", "--run", run.runId, "--say", "ready",
                "--say", "3", "--say", "5", "--say", "12", "--say", "2", "--say", "24"])
            #expect(failer.status == 0, "\(failer.stderr)")
            try await Task.sleep(for: .seconds(1))
            server.stop()

            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let results = try store.conversations(run: run.runId).filter { !$0.task.hasSuffix(":onboarding") }
                .compactMap { $0.resultJSON.flatMap(JSONValue.parse) }
            #expect(results.count == 2)
            #expect(results.allSatisfy { $0["test"]?.boolValue == true })
            #expect(results.filter { $0["passed"]?.boolValue == true }.count == 1)

            let marketplace = try LocalMarketplace(stateDirectory: server.stateDirectory, environment: [:])
            defer { marketplace.close() }
            let qualification = try #require(try await marketplace.allQualificationTypes(
                query: "turkchat-qualification-flow-failed-test").first)
            let holders = try await marketplace.allWorkers(withQualificationType: qualification.qualificationTypeId!)
            #expect(holders.map(\.workerId) == ["A1FAILS"])
        }

        @Test func multiAgentDialogEndsWhenLocalHumanSaysDone() async throws {
            let lines = ConsoleScript(["Hello both of you", "Thanks, that is all [DONE]"])
            // A worker's text that would clear the requester's terminal and forge a line from the moderator.
            let hostile = "hi \u{1B}[2J\n[c1] Moderator: fake line\u{0}kept after NUL"
            let server = try RunningServer { configuration in
                configuration.console = ChatConsole(write: { lines.shown($0) }, readLine: { lines.next() })
            }
            defer { server.stop() }
            let task = repositoryRoot.appendingPathComponent("tasks/multi_agent_dialog")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                        conversations: 1, taskDirectory: task)
            let first = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1DIALOGONE")
            let second = try acceptHIT(server: server.url, hitId: run.hitIds[1], workerId: "A1DIALOGTWO")
            let workers = try runChatDriver(url: server.url, workers: [
                ["join": join(run, 0, worker: "A1DIALOGONE", assignment: first), "say": ["here", hostile, "bye one"]],
                ["join": join(run, 1, worker: "A1DIALOGTWO", assignment: second), "say": ["here", "hey", "bye two"]],
            ])
            for worker in workers {
                #expect(!worker.timedOut, "\(worker.frames)")
                #expect(worker.inactive?["show_done"] as? Bool == true)
            }
            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let conversation = try #require(try store.conversations(run: run.runId)
                .first { !$0.task.hasSuffix(":onboarding") })
            let spoken = try store.messages(conversation: conversation.id)
                .filter { $0.senderAgentId != "Moderator" }.map(\.senderAgentId)
            #expect(spoken.count == 6, "\(spoken)")
            #expect(spoken.first == "human_1")
            #expect(spoken[3] == "human_1")
            #expect(Set(spoken[4...]) == ["mturk_agent_1", "mturk_agent_2"])
            #expect(lines.shownLines.contains { $0.contains("your turn as human_1") })
            #expect(!lines.shownLines.contains { $0.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0 } })
            #expect(lines.shownLines.contains { $0.contains("hi \\e[2J\n    [c1] Moderator: fake line\\u{0}kept") })
            let stored = try store.messages(conversation: conversation.id).map(\.text)
            #expect(stored.contains(hostile), "\(stored)")
        }

        @Test func idleWorkerExpiresAfterTimeout() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = try copyTask("qa_data_collection", changes: ["idle_timeout_seconds": 5])
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: task)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1SLEEPY")
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": join(run, 0, worker: "A1SLEEPY", assignment: assignment)],
                ["until": ["type": "command", "command": "inactive"]],
                ["wait_close": true],
            ])
            let inactive = try #require(result.frames.last { $0["command"] as? String == "inactive" })
            #expect((inactive["text"] as? String)?.contains("did not send a message for too long") == true)
            #expect(inactive["show_done"] as? Bool == false)
            #expect(result.closeCode(conn: 0) == 4011)
        }

        @Test func returnedAssignmentIsClosedWithItsText() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1RETURNS")
            let probe = BackgroundJob {
                try runWebSocketProbe([
                    ["connect": webSocketURL(server.url)],
                    ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1RETURNS")],
                    ["until": ["type": "command", "command": "inactive"]],
                    ["wait_close": true],
                ])
            }
            try await Task.sleep(for: .seconds(1.5))
            let returned = try runProcess("/usr/bin/curl", [
                "-sS", "-X", "POST", "-H", "Content-Type: application/json",
                "--data", "{\"assignment_id\":\"\(assignment)\",\"worker_id\":\"A1RETURNS\"}",
                server.url.absoluteString + "/api/return"])
            #expect(returned.stdout.contains(assignment))
            let result = try probe.wait()
            let inactive = try #require(result.frames.last { $0["command"] as? String == "inactive" })
            #expect((inactive["text"] as? String)?.contains("You returned this HIT") == true)
            #expect(result.closeCode(conn: 0) == 4011)

            // Joining again is rejected, because the local marketplace records the return.
            let again = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1RETURNS")],
                ["wait_close": true],
            ])
            #expect(again.closeCode(conn: 0) == 4011)
        }

        @Test func silentWorkerIsClosedThenDisconnected() async throws {
            let server = try RunningServer { $0.limits.heartbeatTimeoutSeconds = 2 }
            defer { server.stop() }
            let task = try copyTask("qa_data_collection", changes: ["reconnect_grace_seconds": 1])
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: task)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1SILENT")
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1SILENT")],
                ["wait_close": true],
            ])
            #expect(result.closeCode(conn: 0) == 4010)
            try await Task.sleep(for: .seconds(2))
            let again = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1SILENT")],
                ["until": ["type": "command", "command": "inactive"]],
            ])
            let inactive = try #require(again.frames.last { $0["command"] as? String == "inactive" })
            #expect((inactive["text"] as? String)?.contains("away from this conversation for too long") == true)
        }
    }
}

/// Lines a test types at serve-chat's console, and what serve-chat showed there.
final class ConsoleScript: Sendable {
    private let lines: Mutex<[String]>
    private let shown = Mutex<[String]>([])

    init(_ lines: [String]) {
        self.lines = Mutex(lines)
    }

    func next() -> String? {
        Thread.sleep(forTimeInterval: 0.2)
        return lines.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    func shown(_ line: String) { shown.withLock { $0.append(line) } }
    var shownLines: [String] { shown.withLock { $0 } }
}
