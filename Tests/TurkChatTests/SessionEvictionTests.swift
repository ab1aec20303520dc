import Foundation
import Testing
import TurkStore
@testable import TurkChat

/// Polls the server's memory counts until `condition` is true, for up to `timeout` seconds, and returns the last
/// counts read (nil when the server did not respond).
func waitForMemoryCounts(_ server: RunningServer, timeout: Double = 15,
                         until condition: (ChatMemoryCounts) -> Bool) async throws -> ChatMemoryCounts? {
    let deadline = Date().addingTimeInterval(timeout)
    var counts = server.server.memoryCounts()
    while Date() < deadline {
        if let counts, condition(counts) { return counts }
        try await Task.sleep(for: .milliseconds(50))
        counts = server.server.memoryCounts()
    }
    return counts
}

/// Returns the frames of one connection as sorted-key JSON, so two joins can be compared frame by frame.
func canonicalFrames(_ result: ProbeResult, conn: Int = 0) -> [String] {
    result.frames(conn: conn).map { frame in
        var copy = frame
        copy["_conn"] = nil
        let data = (try? JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

func messageSeqs(_ result: ProbeResult, conn: Int = 0) -> [Int] {
    result.frames(conn: conn).compactMap { $0["type"] as? String == "message" ? $0["seq"] as? Int : nil }
}

/// Runs one QA assignment to its end (a question, then its answer) and returns the assignment id, the
/// conversation id and what the worker saw.
/// Accepts the HITs at `hits` as workers named `prefix` and the HIT's index, and returns their assignments and
/// chat-driver specs in which each worker asks and answers a question of the QA task.
func acceptQAWorkers(server: RunningServer, run: TestRun, hits: Range<Int>, prefix: String) throws
    -> (assignments: [String], specs: [[String: Any]])
{
    var assignments: [String] = []
    var specs: [[String: Any]] = []
    for hit in hits {
        let worker = "\(prefix)\(hit)"
        let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[hit], workerId: worker)
        assignments.append(assignment)
        specs.append(["join": joinFrame(run: run.runId, hit: run.hitIds[hit], assignment: assignment, worker: worker),
                      "say": ["Which river is the longest?", "The Nile"]])
    }
    return (assignments, specs)
}

func finishQAAssignment(server: RunningServer, run: TestRun, hit: Int, worker: String) throws
    -> (assignment: String, conversation: String, result: ProbeResult)
{
    let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[hit], workerId: worker)
    let result = try runWebSocketProbe([
        ["connect": webSocketURL(server.url)],
        ["send": joinFrame(run: run.runId, hit: run.hitIds[hit], assignment: assignment, worker: worker)],
        ["until": ["type": "command", "command": "send_message"]],
        ["send": ["type": "message", "client_id": "question", "text": "Which team won Super Bowl 50?"]],
        ["until": ["type": "ack", "client_id": "question"]],
        ["until": ["type": "command", "command": "send_message"]],
        ["send": ["type": "message", "client_id": "answer", "text": "The Denver Broncos"]],
        ["until": ["type": "command", "command": "inactive"]],
        ["close": true],
    ])
    let conversation = result.frames.first { $0["command"] as? String == "change_conversation" }?["conversation"]
    guard !result.timedOut, let conversation = conversation as? String else {
        throw ChatServerError("the QA assignment of \(worker) did not finish: \(result.frames) \(result.stderr)")
    }
    return (assignment, conversation, result)
}

/// Joins once more and reads until the `inactive` command. With `untilClosed`, also waits for the server to
/// close the socket; otherwise the client closes it.
func rejoin(server: RunningServer, run: TestRun, hit: Int, assignment: String, worker: String,
            conversation: String? = nil, lastSeq: Int = 0, untilClosed: Bool) throws -> ProbeResult {
    var steps: [[String: Any]] = [
        ["connect": webSocketURL(server.url)],
        ["send": joinFrame(run: run.runId, hit: run.hitIds[hit], assignment: assignment, worker: worker,
                           conversation: conversation, lastSeq: lastSeq)],
        ["until": ["type": "command", "command": "inactive"]],
    ]
    steps.append(untilClosed ? ["wait_close": true] : ["close": true])
    return try runWebSocketProbe(steps)
}

extension ServerTests {
    @Suite struct SessionEvictionTests {
        @Test func finishedSessionRejoinsFromStore() async throws {
            let server = try RunningServer { $0.sessionEvictionDelaySeconds = 3 }
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let worker = "A1EVICTED"
            let finished = try finishQAAssignment(server: server, run: run, hit: 0, worker: worker)

            let fromMemory = try rejoin(server: server, run: run, hit: 0, assignment: finished.assignment,
                                        worker: worker, untilClosed: false)
            #expect(!fromMemory.timedOut, "\(fromMemory.frames)")
            let inMemory = try #require(server.server.memoryCounts())
            #expect(inMemory.sessions == 1)
            #expect(inMemory.conversations == 1)

            let evicted = try await waitForMemoryCounts(server) { $0.sessions == 0 && $0.conversations == 0 }
            #expect(evicted == ChatMemoryCounts(sessions: 0, conversations: 0, openConversations: 0))

            let fromStore = try rejoin(server: server, run: run, hit: 0, assignment: finished.assignment,
                                       worker: worker, untilClosed: false)
            #expect(!fromStore.timedOut, "\(fromStore.frames)")
            #expect(server.logLines.contains("read a finished session back from the run store"))
            #expect(canonicalFrames(fromStore) == canonicalFrames(fromMemory))
            let joined = try #require(fromStore.frames.first { $0["type"] as? String == "joined" })
            #expect(joined["status"] as? String == "done")
            #expect(joined["conversation"] as? String == finished.conversation)
            #expect(joined["agent_id"] as? String == "Worker")
            let inactive = try #require(fromStore.frames.last { $0["command"] as? String == "inactive" })
            #expect(inactive["text"] as? String == InactiveText.forStatus(.done).text)
            #expect(inactive["show_done"] as? Bool == true)
            #expect(messageSeqs(fromStore) == messageSeqs(fromMemory))
            #expect(messageSeqs(fromStore) == Array(1...5))

            // A page that saw the first three messages gets only the two after them.
            let partial = try rejoin(server: server, run: run, hit: 0, assignment: finished.assignment,
                                     worker: worker, conversation: finished.conversation, lastSeq: 3,
                                     untilClosed: false)
            #expect(messageSeqs(partial) == [4, 5])
            let ownAnswer = try #require(partial.frames.first { $0["seq"] as? Int == 4 })
            #expect(ownAnswer["own"] as? Bool == true)
            #expect(ownAnswer["client_id"] as? String == "answer")

            let again = try await waitForMemoryCounts(server) { $0.sessions == 0 && $0.conversations == 0 }
            #expect(again?.sessions == 0)
            #expect(again?.conversations == 0)
        }

        @Test func idleTimeoutTextSurvivesEviction() async throws {
            let server = try RunningServer { $0.sessionEvictionDelaySeconds = 0.5 }
            defer { server.stop() }
            let task = try copyTask("qa_data_collection", changes: ["idle_timeout_seconds": 5])
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1,
                                        taskDirectory: task)
            let worker = "A1IDLEEVICTED"
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: worker)
            let timedOut = try rejoin(server: server, run: run, hit: 0, assignment: assignment, worker: worker,
                                      untilClosed: true)
            let firstText = timedOut.frames.last { $0["command"] as? String == "inactive" }?["text"] as? String
            #expect(firstText == InactiveText.idleTimeout)
            #expect(timedOut.closeCode(conn: 0) == Int(CloseCode.inactive))

            let evicted = try await waitForMemoryCounts(server) { $0.sessions == 0 && $0.conversations == 0 }
            #expect(evicted?.sessions == 0)
            #expect(evicted?.conversations == 0)

            let fromStore = try rejoin(server: server, run: run, hit: 0, assignment: assignment, worker: worker,
                                       untilClosed: true)
            let joined = try #require(fromStore.frames.first { $0["type"] as? String == "joined" })
            #expect(joined["status"] as? String == "expired")
            let inactive = try #require(fromStore.frames.last { $0["command"] as? String == "inactive" })
            #expect(inactive["text"] as? String == InactiveText.idleTimeout)
            #expect(InactiveText.idleTimeout != InactiveText.forStatus(.expired).text)
            #expect(inactive["show_done"] as? Bool == false)
            #expect(fromStore.closeCode(conn: 0) == Int(CloseCode.inactive))
            #expect(messageSeqs(fromStore) == messageSeqs(timedOut))
            #expect(!messageSeqs(fromStore).isEmpty)
        }

        @Test func returnedAssignmentRejoinsAsInMemory() async throws {
            let server = try RunningServer { $0.sessionEvictionDelaySeconds = 3 }
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let worker = "A1RETURNEVICT"
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: worker)
            let probe = BackgroundJob {
                try rejoin(server: server, run: run, hit: 0, assignment: assignment, worker: worker,
                           untilClosed: true)
            }
            try await Task.sleep(for: .seconds(1.5))
            let returned = try runProcess("/usr/bin/curl", [
                "-sS", "-X", "POST", "-H", "Content-Type: application/json",
                "--data", "{\"assignment_id\":\"\(assignment)\",\"worker_id\":\"\(worker)\"}",
                server.url.absoluteString + "/api/return"])
            #expect(returned.stdout.contains(assignment))
            let first = try probe.wait()
            #expect(first.closeCode(conn: 0) == Int(CloseCode.inactive))

            let fromMemory = try rejoin(server: server, run: run, hit: 0, assignment: assignment, worker: worker,
                                        untilClosed: true)
            let evicted = try await waitForMemoryCounts(server) { $0.sessions == 0 && $0.conversations == 0 }
            #expect(evicted?.sessions == 0)

            // The local marketplace rejects a join for a returned assignment; a session in memory was joined
            // without that check, and the evicted one still is.
            let fromStore = try rejoin(server: server, run: run, hit: 0, assignment: assignment, worker: worker,
                                       untilClosed: true)
            #expect(canonicalFrames(fromStore) == canonicalFrames(fromMemory))
            let inactive = try #require(fromStore.frames.last { $0["command"] as? String == "inactive" })
            #expect((inactive["text"] as? String)?.contains("You returned this HIT") == true)
            #expect(!fromStore.frames.contains { $0["type"] as? String == "error" })
            #expect(fromStore.closeCode(conn: 0) == Int(CloseCode.inactive))
            #expect(fromMemory.closeCode(conn: 0) == Int(CloseCode.inactive))
        }

        @Test func submissionAfterEvictionShowsSubmitted() async throws {
            let server = try RunningServer { $0.sessionEvictionDelaySeconds = 0.3 }
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let worker = "A1SUBMITLATE"
            let finished = try finishQAAssignment(server: server, run: run, hit: 0, worker: worker)
            let evicted = try await waitForMemoryCounts(server) { $0.sessions == 0 && $0.conversations == 0 }
            #expect(evicted?.sessions == 0)

            let submitted = try runProcess("/usr/bin/curl", [
                "-sS", server.url.absoluteString + "/mturk/externalSubmit?assignmentId=\(finished.assignment)"
                    + "&workerId=\(worker)&hitId=\(run.hitIds[0])"])
            #expect(submitted.stdout.contains("was submitted"), "\(submitted.stdout)")

            let afterSubmit = try rejoin(server: server, run: run, hit: 0, assignment: finished.assignment,
                                         worker: worker, untilClosed: true)
            let joined = try #require(afterSubmit.frames.first { $0["type"] as? String == "joined" })
            #expect(joined["status"] as? String == "submitted")
            let inactive = try #require(afterSubmit.frames.last { $0["command"] as? String == "inactive" })
            #expect(inactive["text"] as? String == InactiveText.forStatus(.submitted).text)
            #expect(afterSubmit.closeCode(conn: 0) == Int(CloseCode.inactive))
            #expect(messageSeqs(afterSubmit) == Array(1...5))
        }

        @Test func joinsRacingEvictionMakeOneSession() async throws {
            let delay = 0.4
            let server = try RunningServer { $0.sessionEvictionDelaySeconds = delay }
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let worker = "A1RACER"
            let finished = try finishQAAssignment(server: server, run: run, hit: 0, worker: worker)
            let join = joinFrame(run: run.runId, hit: run.hitIds[0], assignment: finished.assignment, worker: worker)

            // Each join comes a little before, at or after the moment its session would leave memory.
            let pauses = [0.30, 0.36, 0.39, 0.40, 0.41, 0.44, 0.50, 0.70]
            var steps: [[String: Any]] = []
            for (index, pause) in pauses.enumerated() {
                steps.append(["connect": webSocketURL(server.url)])
                steps.append(["conn": index, "send": join])
                steps.append(["conn": index, "until": ["type": "command", "command": "inactive"]])
                steps.append(["conn": index, "close": true])
                steps.append(["sleep": pause])
            }
            let sequential = try runWebSocketProbe(steps, timeout: 90)
            #expect(!sequential.timedOut, "\(sequential.frames)")
            let expected = canonicalFrames(sequential, conn: 0)
            #expect(messageSeqs(sequential, conn: 0) == Array(1...5))
            for index in pauses.indices.dropFirst() {
                #expect(canonicalFrames(sequential, conn: index) == expected, "join \(index)")
            }

            // Two joins at once for the evicted session: both read it back, and only one session results.
            let evicted = try await waitForMemoryCounts(server) { $0.sessions == 0 }
            #expect(evicted?.sessions == 0)
            let concurrent = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["connect": webSocketURL(server.url)],
                ["conn": 0, "send": join],
                ["conn": 1, "send": join],
                ["conn": 0, "until": ["type": "command", "command": "inactive"]],
                ["conn": 1, "until": ["type": "command", "command": "inactive"]],
                ["sleep": 0.3],
            ])
            #expect(canonicalFrames(concurrent, conn: 0) == expected)
            #expect(canonicalFrames(concurrent, conn: 1) == expected)
            let replaced = server.logLines.all.filter {
                $0.contains("a new connection replaced the old one") && $0.contains(worker)
            }
            #expect(replaced.count == 1, "\(replaced)")

            let joinedRun = server.logLines.all.filter { $0.contains("worker joined a run") && $0.contains(worker) }
            #expect(joinedRun.count == 1, "\(joinedRun)")
            let settled = try await waitForMemoryCounts(server) { $0.sessions == 0 && $0.conversations == 0 }
            #expect(settled?.sessions == 0)
            #expect(settled?.conversations == 0)

            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let rows = try store.assignments(id: finished.assignment)
            #expect(rows.count == 1)
            #expect(rows.first?.status == .done)
            #expect(try store.messages(conversation: finished.conversation).count == 5)
        }

        @Test func manyFinishedAssignmentsStayBounded() async throws {
            let server = try RunningServer { $0.sessionEvictionDelaySeconds = 0.2 }
            defer { server.stop() }
            let batches = 3
            let batchSize = 8
            let wanted = batches * batchSize
            // One HIT more than the run wants conversations, for the worker whom the full run turns away.
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url,
                                        hits: wanted + 1, conversations: wanted)
            var assignments: [String] = []
            for batch in 0..<batches {
                let hits = batch * batchSize ..< (batch + 1) * batchSize
                let accepted = try acceptQAWorkers(server: server, run: run, hits: hits, prefix: "A1BULK")
                assignments += accepted.assignments
                let workers = try runChatDriver(url: server.url, workers: accepted.specs)
                for (index, worker) in workers.enumerated() {
                    #expect(!worker.timedOut, "batch \(batch) worker \(index)")
                    #expect(worker.inactive?["show_done"] as? Bool == true, "batch \(batch) worker \(index)")
                }
                let counts = try await waitForMemoryCounts(server) { $0.sessions == 0 && $0.conversations == 0 }
                #expect(counts == ChatMemoryCounts(sessions: 0, conversations: 0, openConversations: 0),
                        "after batch \(batch)")
            }

            // The run counted its conversations although their sessions left memory.
            let lateWorker = "A1BULKLATE"
            let late = try acceptHIT(server: server.url, hitId: run.hitIds[wanted], workerId: lateWorker)
            let turnedAway = try rejoin(server: server, run: run, hit: wanted, assignment: late, worker: lateWorker,
                                        untilClosed: true)
            let inactive = try #require(turnedAway.frames.last { $0["command"] as? String == "inactive" })
            #expect(inactive["text"] as? String == InactiveText.notAccepting)

            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            for assignment in assignments {
                let row = try store.assignments(id: assignment).first
                #expect(row?.status == .done, "\(assignment)")
                #expect(try store.finishedSession(assignmentId: assignment, workerId: row?.workerId ?? "")?.status
                        == .done, "\(assignment)")
            }
        }

        @Test func workerLimitsHoldAfterEviction() async throws {
            let server = try RunningServer { $0.sessionEvictionDelaySeconds = 0.2 }
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2) {
                $0.unique = true
            }
            let worker = "A1UNIQUEEVICT"
            _ = try finishQAAssignment(server: server, run: run, hit: 0, worker: worker)
            let evicted = try await waitForMemoryCounts(server) { $0.sessions == 0 }
            #expect(evicted?.sessions == 0)

            let second = try acceptHIT(server: server.url, hitId: run.hitIds[1], workerId: worker)
            let turnedAway = try rejoin(server: server, run: run, hit: 1, assignment: second, worker: worker,
                                        untilClosed: true)
            let inactive = try #require(turnedAway.frames.last { $0["command"] as? String == "inactive" })
            #expect((inactive["text"] as? String)?.contains("most HITs of this task") == true,
                    "\(turnedAway.frames)")
            #expect(turnedAway.closeCode(conn: 0) == Int(CloseCode.inactive))
        }
    }
}

@Suite struct SessionEvictionUnitTests {
    let key = AssignmentKey(workerId: "A1TRACKED", assignmentId: "3ASSIGNMENT")

    @Test func lookupWithoutEvictionIsCurrent() {
        var tracker = JoinLookupTracker()
        let mark = tracker.begin(key)
        #expect(tracker.end(key, mark: mark) == false)
    }

    @Test func lookupDuringEvictionIsStale() {
        var tracker = JoinLookupTracker()
        let first = tracker.begin(key)
        tracker.noteEviction(key)
        let second = tracker.begin(key)
        #expect(tracker.end(key, mark: second) == false)
        #expect(tracker.end(key, mark: first) == true)
    }

    @Test func evictionWithoutLookupIsForgotten() {
        var tracker = JoinLookupTracker()
        tracker.noteEviction(key)
        let mark = tracker.begin(key)
        #expect(tracker.end(key, mark: mark) == false)
        let other = AssignmentKey(workerId: "A1OTHER", assignmentId: "3ASSIGNMENT")
        let otherMark = tracker.begin(other)
        tracker.noteEviction(key)
        #expect(tracker.end(other, mark: otherMark) == false)
    }

    @Test func serverFrameRoundTrip() throws {
        let frame = ServerFrame(type: "command", fields: [
            "command": .string("inactive"), "text": .string("Done \"here\"\n"), "show_done": .bool(true)])
        let text = String(decoding: frame.data, as: UTF8.self)
        let rebuilt = try #require(ServerFrame(jsonText: text))
        #expect(rebuilt.type == "command")
        #expect(rebuilt.fields == frame.fields)
        #expect(ServerFrame(jsonText: "[1, 2]") == nil)
        #expect(ServerFrame(jsonText: "{\"text\": \"no type\"}") == nil)
        #expect(ServerFrame(jsonText: "not json") == nil)
    }

    @Test func finishedSessionRowRoundTrip() throws {
        let store = try RunStore(stateDirectory: StateDirectory(url: makeTemporaryDirectory()))
        defer { store.close() }
        #expect(try store.finishedSession(assignmentId: "3ASSIGNMENT", workerId: "A1TRACKED") == nil)
        let saved = FinishedSessionRecord(
            assignmentId: "3ASSIGNMENT", workerId: "A1TRACKED", status: .expired, agentId: "waiting",
            conversationId: nil, lastCommandJSON: "{\"type\":\"command\"}", savedAt: Date(timeIntervalSince1970: 1000))
        try store.saveFinishedSession(saved)
        #expect(try store.finishedSession(assignmentId: "3ASSIGNMENT", workerId: "A1TRACKED") == saved)

        var replaced = saved
        replaced.status = .done
        replaced.agentId = "Worker"
        replaced.conversationId = "c1"
        replaced.lastCommandJSON = nil
        replaced.savedAt = Date(timeIntervalSince1970: 2000)
        try store.saveFinishedSession(replaced)
        #expect(try store.finishedSession(assignmentId: "3ASSIGNMENT", workerId: "A1TRACKED") == replaced)
        #expect(try store.finishedSession(assignmentId: "3ASSIGNMENT", workerId: "A1OTHER") == nil)
    }
}
