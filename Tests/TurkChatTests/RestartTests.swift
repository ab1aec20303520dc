import Foundation
import Testing
import TurkStore
@testable import TurkChat

extension ServerTests {
    @Suite struct RestartTests {
        /// Asks the question on one server, then answers it on a second server over the same state directory.
        func askThenAnswerAcrossRestart(stopFirst: (RunningServer) -> Void) async throws {
            let directory = try StateDirectory(url: makeTemporaryDirectory())
            let first = try RunningServer(stateDirectory: directory)
            let run = try await makeRun(stateDirectory: directory, serverURL: first.url, hits: 1)
            let worker = "A1RESTART"
            let assignment = try acceptHIT(server: first.url, hitId: run.hitIds[0], workerId: worker)
            let join = joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker)
            let before = try runWebSocketProbe([
                ["connect": webSocketURL(first.url)], ["send": join],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "q1", "text": "Which team won?"]],
                ["until": ["type": "ack", "client_id": "q1"]],
            ])
            #expect(!before.timedOut, "\(before.frames)")
            let conversation = try #require(
                before.frames.first { $0["command"] as? String == "change_conversation" }?["conversation"] as? String)
            stopFirst(first)

            let second = try RunningServer(stateDirectory: directory)
            defer { second.stop() }
            #expect(second.logLines.contains("resumed an open conversation"))
            let after = try runWebSocketProbe([
                ["connect": webSocketURL(second.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker,
                                   conversation: conversation, lastSeq: 2)],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "a1", "text": "Denver"]],
                ["until": ["type": "command", "command": "inactive"]],
            ])
            #expect(!after.timedOut, "\(after.frames) \(second.logLines.all)")
            let seqs = after.frames.compactMap { $0["type"] as? String == "message" ? $0["seq"] as? Int : nil }
            #expect(seqs == [3, 5], "expected the answer prompt and the closing message, got \(seqs)")
            #expect(after.frames.contains { $0["type"] as? String == "ack" && $0["seq"] as? Int == 4 })

            second.stop()
            let store = try RunStore(stateDirectory: directory)
            defer { store.close() }
            let messages = try store.messages(conversation: conversation)
            #expect(messages.map(\.seq) == [1, 2, 3, 4, 5])
            let record = try #require(try store.conversation(id: conversation))
            #expect(record.status == .done)
            #expect(record.resultJSON.flatMap(JSONValue.parse)?["answer"]?.stringValue == "Denver")
        }

        @Test func secondServerOnStateDirectoryRefuses() throws {
            let directory = try StateDirectory(url: makeTemporaryDirectory())
            let first = try RunningServer(stateDirectory: directory)
            #expect(performing: { _ = try RunningServer(stateDirectory: directory) }, throws: { error in
                String(describing: error) == "another serve-chat (process \(getpid())) is serving the state directory "
                    + "\(directory.url.path); stop it first, or give this one another --state-dir"
            })
            first.stop()

            // Stopping the first server releases the lock.
            let second = try RunningServer(stateDirectory: directory)
            second.stop()
        }

        @Test func gracefulRestartResumesConversation() async throws {
            try await askThenAnswerAcrossRestart { server in server.stop() }
        }

        @Test func finishedConversationReplaysAfterRestart() async throws {
            let directory = try StateDirectory(url: makeTemporaryDirectory())
            let first = try RunningServer(stateDirectory: directory)
            let run = try await makeRun(stateDirectory: directory, serverURL: first.url, hits: 1)
            let worker = "A1DONEREPLAY"
            let assignment = try acceptHIT(server: first.url, hitId: run.hitIds[0], workerId: worker)
            let join = joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker)
            let done = try runWebSocketProbe([
                ["connect": webSocketURL(first.url)], ["send": join],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "q1", "text": "Which team won?"]],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "a1", "text": "Denver"]],
                ["until": ["type": "command", "command": "inactive"]],
            ])
            #expect(!done.timedOut, "\(done.frames)")
            let before = done.frames.compactMap { $0["type"] as? String == "message" ? $0["text"] as? String : nil }
            first.stop()

            let second = try RunningServer(stateDirectory: directory)
            defer { second.stop() }
            let after = try runWebSocketProbe([
                ["connect": webSocketURL(second.url)], ["send": join],
                ["until": ["type": "command", "command": "inactive"]],
            ])
            #expect(!after.timedOut, "\(after.frames) \(second.logLines.all)")
            let messages = after.frames.filter { $0["type"] as? String == "message" }
            #expect(messages.compactMap { $0["seq"] as? Int } == [1, 2, 3, 4, 5])
            let answer = messages.first { $0["text"] as? String == "Denver" }
            #expect(answer != nil, "\(messages)")
            #expect(answer?["own"] as? Bool == true)
            let replayed = messages.compactMap { $0["text"] as? String }
            #expect(before.allSatisfy { replayed.contains($0) }, "\(before) not all in \(replayed)")
            let joined = try #require(after.frames.first { $0["type"] as? String == "joined" })
            #expect(joined["status"] as? String == "done")
            #expect(joined["conversation"] as? String == messages.first?["conversation"] as? String)
            let inactive = after.frames.last { $0["command"] as? String == "inactive" }
            #expect(inactive?["show_done"] as? Bool == true)
        }

        @Test func disconnectedAssignmentReplaysAfterRestart() async throws {
            let directory = try StateDirectory(url: makeTemporaryDirectory())
            let first = try RunningServer(stateDirectory: directory)
            let task = try copyTask("qa_data_collection", changes: ["reconnect_grace_seconds": 1])
            let run = try await makeRun(stateDirectory: directory, serverURL: first.url, hits: 1, taskDirectory: task)
            let worker = "A1GONEREPLAY"
            let assignment = try acceptHIT(server: first.url, hitId: run.hitIds[0], workerId: worker)
            let join = joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker)
            let left = try runWebSocketProbe([
                ["connect": webSocketURL(first.url)], ["send": join],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "q1", "text": "Who sang?"]],
                ["until": ["type": "ack", "client_id": "q1"]],
                ["close": true],
            ])
            #expect(!left.timedOut, "\(left.frames)")
            try waitUntil(timeout: 10) { first.logLines.contains("did not reconnect in time") }
            first.stop()

            let second = try RunningServer(stateDirectory: directory)
            defer { second.stop() }
            let after = try runWebSocketProbe([
                ["connect": webSocketURL(second.url)], ["send": join], ["wait_close": true],
            ])
            #expect(after.closeCode(conn: 0) == 4011, "\(after.closes)")
            let joined = after.frames.first { $0["type"] as? String == "joined" }
            #expect(joined?["status"] as? String == "disconnect")
            let texts = after.frames.compactMap { $0["type"] as? String == "message" ? $0["text"] as? String : nil }
            #expect(texts.contains("Who sang?"), "\(after.frames)")
            #expect(texts.count >= 3, "prompt, question and answer prompt: \(texts)")
            let inactive = after.frames.last { $0["command"] as? String == "inactive" }
            #expect((inactive?["text"] as? String)?.contains("away from this conversation") == true)
        }

        @Test func stopClosesSocketsWithGoingAway() async throws {
            let server = try RunningServer()
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1STOPPING")
            let probe = BackgroundJob {
                try runWebSocketProbe([
                    ["connect": webSocketURL(server.url)],
                    ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1STOPPING")],
                    ["until": ["type": "command", "command": "send_message"]],
                    ["wait_close": true],
                ])
            }
            try await Task.sleep(for: .seconds(2))
            server.stop()
            #expect(server.hasFinished)
            let result = try probe.wait()
            #expect(result.closeCode(conn: 0) == 1001)
            #expect(result.frames.contains { ($0["text"] as? String)?.contains("restarting") == true })
        }
    }
}

/// serve-chat as a separate process, started from the built executable.
final class ServeChatProcess {
    let process: Process
    let url: URL

    static var executable: URL { repositoryRoot.appendingPathComponent(".build/debug/serve-chat") }

    init(stateDirectory: StateDirectory) throws {
        process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--state-dir", stateDirectory.url.path, "--port", "0", "--json"]
        var environment = ProcessInfo.processInfo.environment
        environment["TURKCHAT_STATE_DIR"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = output.fileHandleForReading.readLine(timeout: 20)
        guard let line, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let text = object["url"] as? String, let url = URL(string: text)
        else {
            process.terminate()
            throw ChatServerError("serve-chat printed no URL: \(line ?? "nothing")")
        }
        self.url = url
    }

    func kill9() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }
}

extension FileHandle {
    /// Reads one line, waiting at most `timeout` seconds.
    func readLine(timeout: Double) -> String? {
        let box = DataBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var bytes = Data()
            while true {
                let chunk = self.readData(ofLength: 1)
                if chunk.isEmpty || chunk == Data([10]) { break }
                bytes.append(chunk)
            }
            box.data.withLock { $0 = bytes }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return String(decoding: box.data.withLock { $0 }, as: UTF8.self)
    }
}

extension ServerTests {
    @Suite struct KillRestartTests {
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: ServeChatProcess.executable.path),
                       "build serve-chat first (swift build)"))
        func killNineLosesNoAcknowledgedMessage() async throws {
            let directory = try StateDirectory(url: makeTemporaryDirectory())
            let first = try ServeChatProcess(stateDirectory: directory)
            let run = try await makeRun(stateDirectory: directory, serverURL: first.url, hits: 1)
            let worker = "A1KILLNINE"
            let assignment = try acceptHIT(server: first.url, hitId: run.hitIds[0], workerId: worker)
            let before = try runWebSocketProbe([
                ["connect": webSocketURL(first.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker)],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "q1", "text": "Who played?"]],
                ["until": ["type": "ack", "client_id": "q1"]],
            ])
            let conversation = try #require(
                before.frames.first { $0["command"] as? String == "change_conversation" }?["conversation"] as? String)
            first.kill9()

            let second = try ServeChatProcess(stateDirectory: directory)
            defer { second.terminate() }
            let after = try runWebSocketProbe([
                ["connect": webSocketURL(second.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker,
                                   conversation: conversation, lastSeq: 2)],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "a1", "text": "Broncos and Panthers"]],
                ["until": ["type": "command", "command": "inactive"]],
            ])
            #expect(!after.timedOut, "\(after.frames)")

            second.terminate()
            let store = try RunStore(stateDirectory: directory)
            defer { store.close() }
            let messages = try store.messages(conversation: conversation)
            #expect(messages.filter { $0.messageId == "w:\(worker):q1" }.count == 1)
            #expect(messages.map(\.seq) == Array(1...messages.count))
            #expect(messages.contains { $0.text == "Broncos and Panthers" })
        }
    }
}
