import Foundation
import Testing
import TurkStore
@testable import TurkChat

extension ServerTests {
    @Suite struct ProtocolTests {
        @Test func reconnectReplaysOnlyMissedMessages() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let worker = "A1RECONNECT"
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: worker)
            let join = joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker)

            let first = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": join],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "question-1", "text": "Who won Super Bowl 50?"]],
                ["until": ["type": "ack", "client_id": "question-1"]],
                ["close": true],
            ])
            #expect(!first.timedOut, "\(first.frames) \(first.stderr)")
            let joined = try #require(first.frames.first { $0["type"] as? String == "joined" })
            let conversation = try #require(
                first.frames.first { $0["command"] as? String == "change_conversation" }?["conversation"] as? String
                    ?? joined["conversation"] as? String)
            let ack = try #require(first.frames.first { $0["type"] as? String == "ack" })
            #expect(ack["seq"] as? Int == 2)
            let seenFirst = first.frames.compactMap { $0["type"] as? String == "message" ? $0["seq"] as? Int : nil }
            let lastSeen = max(seenFirst.max() ?? 0, 2)

            // The server sends the next prompt after the ack; the second connection gets exactly what the first missed.
            let second = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker,
                                   conversation: conversation, lastSeq: lastSeen)],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "question-1", "text": "Who won Super Bowl 50?"]],
                ["until": ["type": "ack", "client_id": "question-1"]],
                ["send": ["type": "message", "client_id": "answer-1", "text": "The Denver Broncos"]],
                ["until": ["type": "command", "command": "inactive"]],
                ["close": true],
            ])
            #expect(!second.timedOut, "\(second.frames) \(second.stderr)")
            let replayed = second.frames.compactMap { $0["type"] as? String == "message" ? $0["seq"] as? Int : nil }
            #expect(replayed.allSatisfy { $0 > lastSeen }, "replayed \(replayed) after \(lastSeen)")
            #expect(Set(seenFirst + [2] + replayed).count == seenFirst.count + 1 + replayed.count,
                    "a message was shown twice: \(seenFirst) \(replayed)")
            let acks = second.frames.filter { $0["type"] as? String == "ack" }
            #expect(acks.first { $0["client_id"] as? String == "question-1" }?["seq"] as? Int == 2)
            #expect(acks.first { $0["client_id"] as? String == "answer-1" }?["seq"] as? Int == 4)
            let inactive = try #require(second.frames.last { $0["command"] as? String == "inactive" })
            #expect(inactive["show_done"] as? Bool == true)

            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let messages = try store.messages(conversation: conversation)
            #expect(messages.map(\.seq) == [1, 2, 3, 4, 5])
            #expect(messages.filter { $0.messageId == "w:\(worker):question-1" }.count == 1)
            let allSeen = Set(seenFirst + [2] + replayed + [4])
            #expect(allSeen == Set(1...5), "the worker did not see every message exactly once: \(allSeen.sorted())")
        }

        @Test func badFramesLeaveOtherConversationsAlone() async throws {
            let server = try RunningServer { configuration in
                configuration.limits.maxWebSocketMessageBytes = 32 * 1024
            }
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2)
            let good = "A1GOODWORKER"
            let goodAssignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: good)
            let other = "A1OTHERWORKER"
            let otherAssignment = try acceptHIT(server: server.url, hitId: run.hitIds[1], workerId: other)
            let url = webSocketURL(server.url)

            let result = try runWebSocketProbe([
                ["connect": url],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: goodAssignment, worker: good)],
                ["until": ["type": "command", "command": "send_message"]],
                // Connection 1: invalid JSON, an unknown type, a message before joining, then a binary frame.
                ["connect": url],
                ["conn": 1, "send_raw": "this is not JSON"],
                ["conn": 1, "until": ["type": "error", "code": "invalid_json"]],
                ["conn": 1, "send": ["type": "dance"]],
                ["conn": 1, "until": ["type": "error", "code": "unknown_type"]],
                ["conn": 1, "send": ["type": "message", "client_id": "x", "text": "hello"]],
                ["conn": 1, "until": ["type": "error", "code": "not_joined"]],
                ["conn": 1, "send_binary": "binary"],
                ["conn": 1, "wait_close": true],
                // Connection 2: a frame over the size limit.
                ["connect": url],
                ["conn": 2, "send_raw": String(repeating: "x", count: 40 * 1024)],
                ["conn": 2, "wait_close": true],
                // Connection 3: a worker id that arrived twice in the URL.
                ["connect": url],
                ["conn": 3, "send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: goodAssignment,
                                              worker: "A1B2,A1B2")],
                ["conn": 3, "wait_close": true],
                // Connection 4: another worker tries to take over the good worker's assignment.
                ["connect": url],
                ["conn": 4, "send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: goodAssignment,
                                              worker: other)],
                ["conn": 4, "wait_close": true],
                // Connection 5: an unknown run.
                ["connect": url],
                ["conn": 5, "send": joinFrame(run: "r-unknown", hit: run.hitIds[1], assignment: otherAssignment,
                                              worker: other)],
                ["conn": 5, "wait_close": true],
                // The good worker's conversation goes on.
                ["send": ["type": "message", "client_id": "q", "text": "What is the question?"]],
                ["until": ["type": "ack", "client_id": "q"]],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "a", "text": "This is the answer."]],
                ["until": ["type": "command", "command": "inactive"]],
            ])
            #expect(!result.timedOut, "\(result.frames) \(result.stderr)")
            #expect(result.closeCode(conn: 1) == 1003)
            #expect(result.closeCode(conn: 2) == 1009)
            #expect(result.closeCode(conn: 3) == 4001)
            #expect(result.closeCode(conn: 4) == 4003)
            #expect(result.closeCode(conn: 5) == 4004)
            #expect(result.closeCode(conn: 0) == nil)
            #expect(result.frames(conn: 0).contains { $0["type"] as? String == "ack" && $0["client_id"] as? String == "a" })
            #expect(server.logLines.contains("binary frame"))
            #expect(server.logLines.contains("larger than the limit"))
            #expect(server.logLines.contains("rejected a join"))
        }

        @Test func silentSocketIsClosedAfterJoinTimeout() throws {
            let server = try RunningServer { configuration in
                configuration.limits.joinTimeoutSeconds = 1
            }
            defer { server.stop() }
            let result = try runWebSocketProbe([["connect": webSocketURL(server.url)], ["wait_close": true]])
            #expect(result.closeCode(conn: 0) == 4008)
            #expect(server.logLines.contains("did not join in time"))
        }

        @Test func slowHandshakeIsDropped() throws {
            let server = try RunningServer { configuration in
                configuration.limits.handshakeTimeoutSeconds = 2
            }
            defer { server.stop() }
            let port = server.url.port!
            let script = """
            import socket, time
            s = socket.create_connection(("127.0.0.1", \(port)))
            s.sendall(b"GET /ws HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n")
            s.settimeout(15)
            start = time.monotonic()
            data = s.recv(100)
            print("closed" if data == b"" else "data", round(time.monotonic() - start, 1))
            """
            let output = try runProcess("/usr/bin/python3", ["-c", script], timeout: 30)
            #expect(output.stdout.hasPrefix("closed"), "\(output.stdout) \(output.stderr)")
            let seconds = Double(output.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99
            #expect(seconds < 10)

            // The server still serves others.
            let health = try runProcess("/usr/bin/curl", ["-sS", server.url.absoluteString + "/healthz"])
            #expect(health.stdout.contains("ok"))
        }

        @Test func malformedJoinClosesWith4001() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let started = Date()
            var join = joinFrame(run: "rnosuch", hit: "3AAA", assignment: "3BBB", worker: "A1MALFORMED")
            join["last_seq"] = -5
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)], ["send": join], ["wait_close": true],
            ])
            #expect(result.closeCode(conn: 0) == 4001, "\(result.closes)")
            #expect(result.frames.first?["code"] as? String == "invalid_join")
            #expect(Date().timeIntervalSince(started) < 8, "the socket must not wait for the join timeout")
            #expect(server.logLines.contains("rejected a malformed join"))
        }

        @Test func unknownRunClosesWith4004() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: "rnosuch", hit: "3AAA", assignment: "3BBB", worker: "A1UNKNOWNRUN")],
                ["wait_close": true],
            ])
            #expect(result.closeCode(conn: 0) == 4004, "\(result.closes)")
        }

        @Test func otherRunOfJoinedAssignmentClosesWith4004() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let worker = "A1OTHERRUN"
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: worker)
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: worker)],
                ["until": ["type": "command", "command": "send_message"]],
                ["connect": webSocketURL(server.url)],
                ["conn": 1, "send": joinFrame(run: "rnosuch", hit: run.hitIds[0], assignment: assignment, worker: worker)],
                ["conn": 1, "wait_close": true],
            ])
            #expect(result.closeCode(conn: 1) == 4004, "\(result.closes)")
            #expect(result.closeCode(conn: 0) == nil, "the first connection stays open: \(result.closes)")
        }

        @Test func singleWorkerTaskWaitsForNoPartner() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1ALONE")
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1ALONE")],
                ["until": ["type": "command", "command": "send_message"]],
            ])
            let waits = result.frames.filter { $0["command"] as? String == "wait" }.compactMap { $0["text"] as? String }
            #expect(waits.first == "Starting the task…", "\(result.frames)")
            #expect(!waits.contains { $0.contains("partner") }, "\(waits)")
        }

        @Test func pairedTaskWaitsForPartner() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = repositoryRoot.appendingPathComponent("tasks/deal_or_no_deal")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                        conversations: 1, taskDirectory: task)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1PAIRED")
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignment, worker: "A1PAIRED")],
                ["until": ["type": "command", "command": "wait"]],
            ])
            let wait = result.frames.last { $0["command"] as? String == "wait" }
            #expect(wait?["text"] as? String == "Waiting for a partner to join…", "\(result.frames)")
        }

        /// A worker who sent a message and reconnects before the partner's turn is over gets `wait` again, not the
        /// `send_message` that enabled the input for the message already sent.
        @Test func rejoinAfterOwnTurnWaits() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let task = repositoryRoot.appendingPathComponent("bench/task/bench_chat")
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                        conversations: 1, taskDirectory: task)
            let first = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1FIRST")
            let second = try acceptHIT(server: server.url, hitId: run.hitIds[1], workerId: "A2SECOND")
            let firstJoin = joinFrame(run: run.runId, hit: run.hitIds[0], assignment: first, worker: "A1FIRST")
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["conn": 0, "send": firstJoin],
                ["connect": webSocketURL(server.url)],
                ["conn": 1, "send": joinFrame(run: run.runId, hit: run.hitIds[1], assignment: second,
                                              worker: "A2SECOND")],
                ["conn": 0, "until": ["type": "command", "command": "send_message"]],
                ["conn": 0, "send": ["type": "message", "client_id": "turn-1", "text": "Hello there"]],
                ["conn": 0, "until": ["type": "ack", "client_id": "turn-1"]],
                ["conn": 1, "until": ["type": "command", "command": "send_message"]],
                ["conn": 0, "close": true],
                ["connect": webSocketURL(server.url)],
                ["conn": 2, "send": firstJoin],
                ["conn": 2, "until": ["type": "command"]],
                ["conn": 2, "close": true],
                ["conn": 1, "close": true],
            ])
            #expect(!result.timedOut, "\(result.frames) \(result.stderr)")
            let commands = result.frames.filter { $0["_conn"] as? Int == 2 && $0["type"] as? String == "command" }
                .compactMap { $0["command"] as? String }
            #expect(commands == ["wait"], "\(result.frames)")
        }

        @Test func pingGetsPong() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let result = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)], ["send": ["type": "ping", "id": 7]], ["until": ["type": "pong"]],
            ])
            #expect(result.frames.first?["id"] as? Int == 7)
        }
    }
}
