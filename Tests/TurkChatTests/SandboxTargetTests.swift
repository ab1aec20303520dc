import Foundation
import Testing
import TurkAWS
import TurkCLI
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkChat
@testable import TurkTools

// serve-chat on the sandbox target, with `--endpoint-url` pointed at a stand-in for MTurk. The stand-in is a
// second serve-chat on the local target. Its wire endpoint speaks MTurk's JSON protocol with SigV4, and its worker
// site accepts and submits assignments as MTurk's worker website does.

/// Returns the local marketplace's credentials as the environment variables that the AWS credential chain reads.
/// The files point into `directory`, so no credentials of this machine are read.
func standInCredentialEnvironment(directory: URL) -> [String: String] {
    [
        "AWS_ACCESS_KEY_ID": LocalMarketplace.accessKeyId,
        "AWS_SECRET_ACCESS_KEY": LocalMarketplace.secretAccessKey,
        "AWS_SHARED_CREDENTIALS_FILE": directory.appendingPathComponent("no-credentials").path,
        "AWS_CONFIG_FILE": directory.appendingPathComponent("no-config").path,
        "HOME": directory.path,
    ]
}

/// Starts serve-chat on the sandbox target as the command builds it, calling MTurk at `standIn`.
func startSandboxServer(standIn: URL, checkSeconds: Double = 10, pollInterval: String = "1",
                        evictionDelaySeconds: Double? = nil) throws -> RunningServer {
    let directory = try StateDirectory(url: makeTemporaryDirectory())
    let arguments = ["--target", "sandbox", "--endpoint-url", standIn.absoluteString, "--state-dir",
                     directory.url.path, "--port", "0", "--poll-interval", pollInterval]
    let outcome = try CommandLineParser.parse(
        arguments, spec: ServeChatSpec.spec, environment: standInCredentialEnvironment(directory: directory.url))
    guard case .arguments(let parsed) = outcome else {
        throw ChatServerError("serve-chat \(arguments.joined(separator: " ")) did not parse as a command")
    }
    let (console, _) = Console.capturing(toolName: "serve-chat")
    let built = try ServeChatCommand.configuration(parsed: parsed, console: console)
    return try RunningServer(stateDirectory: directory) { configuration in
        let logger = configuration.logger
        configuration = built
        configuration.port = 0
        configuration.handlesSignals = false
        configuration.logger = logger
        configuration.marketplaceCheckSeconds = checkSeconds
        if let evictionDelaySeconds { configuration.sessionEvictionDelaySeconds = evictionDelaySeconds }
    }
}

/// Returns a client of the stand-in's wire endpoint, for setting up HITs as create-hits does.
func standInClient(_ standIn: URL) -> MTurkClient {
    MTurkClient(configuration: MTurkClientConfiguration(
        endpoint: standIn, target: .local,
        credentials: AWSCredentials(accessKeyId: LocalMarketplace.accessKeyId,
                                    secretAccessKey: LocalMarketplace.secretAccessKey),
        requestsPerSecond: .infinity, log: { _ in }))
}

/// Creates a sandbox run of the QA task in the run store of `stateDirectory`, with its HITs created on
/// `marketplace` and recorded in the HIT ledger, as create-hits leaves a run.
func makeSandboxRun(stateDirectory: StateDirectory, marketplace: any Marketplace, serverURL: URL, hits: Int)
    async throws -> TestRun
{
    let store = try RunStore(stateDirectory: stateDirectory)
    defer { store.close() }
    let task = try TaskDefinition.load(directory: qaTaskDirectory)
    let runId = RunStore.newRunID(at: Date())
    let externalURL = serverURL.absoluteString + "/chat?run=" + runId
    let config = RunConfig(
        conversations: hits, agentIds: task.agentIds, totalHITs: hits, title: task.title,
        description: task.description, keywords: task.keywords, reward: task.reward, lifetimeSeconds: 3600,
        assignmentDurationSeconds: 1800, autoApprovalDelaySeconds: 3600, externalURL: externalURL)
    try store.createRun(RunRecord(
        id: runId, taskName: task.name, taskDirectory: task.directory.path, taskKind: task.kind, target: .sandbox,
        serverURL: serverURL.absoluteString, reward: USD(cents: 50),
        configJSON: String(decoding: try JSONEncoder().encode(config), as: UTF8.self), createdAt: Date(),
        status: .active))
    let hitType = try await marketplace.createHITType(CreateHITTypeRequest(
        autoApprovalDelayInSeconds: 3600, assignmentDurationInSeconds: 1800, reward: task.reward, title: task.title,
        keywords: task.keywords, description: task.description))
    var hitIds: [String] = []
    for seq in 1...hits {
        let token = RequestToken.derive(prefix: "test", [runId, String(seq)])
        _ = try store.reserveHIT(run: runId, seq: seq, token: token)
        let created = try await marketplace.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: try #require(hitType.hitTypeId), maxAssignments: 1, lifetimeInSeconds: 3600,
            question: ExternalQuestion(externalURL: externalURL).xml, requesterAnnotation: "run=\(runId)",
            uniqueRequestToken: token))
        let hitId = try #require(created.hit?.hitId)
        try store.markHITCreated(run: runId, seq: seq, hitId: hitId)
        hitIds.append(hitId)
    }
    return TestRun(runId: runId, hitIds: hitIds)
}

/// Creates a HIT on the stand-in that no run's ledger has.
func makeStrayHIT(_ client: MTurkClient) async throws -> String {
    let hitType = try await client.createHITType(CreateHITTypeRequest(
        assignmentDurationInSeconds: 600, reward: "0.10", title: "Stray HIT", description: "A HIT of no run"))
    let created = try await client.createHITWithHITType(CreateHITWithHITTypeRequest(
        hitTypeId: try #require(hitType.hitTypeId), maxAssignments: 1, lifetimeInSeconds: 600,
        question: ExternalQuestion(externalURL: "http://127.0.0.1:9/chat?run=none").xml))
    return try #require(created.hit?.hitId)
}

/// Submits an assignment on the stand-in's worker site, as the chat page's Done button posts to MTurk.
func submitOnStandIn(_ standIn: URL, assignmentId: String, workerId: String) throws {
    let output = try runProcess("/usr/bin/curl", [
        "-sS", "-X", "POST", "--data-urlencode", "assignmentId=\(assignmentId)", "--data-urlencode",
        "workerId=\(workerId)", "--data-urlencode", "answer=done", standIn.absoluteString + "/mturk/externalSubmit"])
    guard output.stdout.contains("was submitted") else {
        throw ChatServerError("submission on the stand-in failed: \(output.stdout) \(output.stderr)")
    }
}

/// Opens a WebSocket to `server`, sends a join, and reads until `joined` or until the server closes the socket.
func probeJoin(_ server: URL, run: String, hit: String, assignment: String, worker: String) throws -> ProbeResult {
    try runWebSocketProbe([
        ["connect": webSocketURL(server)],
        ["send": joinFrame(run: run, hit: hit, assignment: assignment, worker: worker)],
        ["until": ["type": "joined"]],
    ])
}

func joined(_ result: ProbeResult) -> Bool {
    result.frames.contains { $0["type"] as? String == "joined" }
}

func closeReason(_ result: ProbeResult) -> String {
    result.closes["0"]?["reason"] as? String ?? ""
}

/// Polls `condition` every 50 ms for up to `seconds`, and returns whether it became true.
func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}

extension ServerTests {
    @Suite struct SandboxTargetTests {
        @Test func workerJoinsHITOfRun() async throws {
            let standIn = try RunningServer()
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url)
            defer { server.stop() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory,
                                               marketplace: standInClient(standIn.url), serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1JOINER")

            let result = try probeJoin(server.url, run: run.runId, hit: run.hitIds[0], assignment: assignmentId,
                                       worker: "A1JOINER")
            #expect(joined(result), "frames: \(result.frames), closes: \(result.closes)")
            #expect(result.closeCode(conn: 0) == nil)
        }

        @Test func rejectsHITOutsideRun() async throws {
            let standIn = try RunningServer()
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url)
            defer { server.stop() }
            let client = standInClient(standIn.url)
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory, marketplace: client,
                                               serverURL: server.url, hits: 1)
            let otherRun = try await makeSandboxRun(stateDirectory: server.stateDirectory, marketplace: client,
                                                    serverURL: server.url, hits: 1)
            let stray = try await makeStrayHIT(client)

            let otherAssignment = try acceptHIT(server: standIn.url, hitId: otherRun.hitIds[0], workerId: "A1OTHER")
            let crossed = try probeJoin(server.url, run: run.runId, hit: otherRun.hitIds[0],
                                        assignment: otherAssignment, worker: "A1OTHER")
            #expect(!joined(crossed))
            #expect(crossed.closeCode(conn: 0) == Int(CloseCode.notFound))
            #expect(closeReason(crossed) == "HIT \(otherRun.hitIds[0]) is not a HIT of run \(run.runId)")

            let strayAssignment = try acceptHIT(server: standIn.url, hitId: stray, workerId: "A1STRAY")
            let strayJoin = try probeJoin(server.url, run: run.runId, hit: stray, assignment: strayAssignment,
                                          worker: "A1STRAY")
            #expect(!joined(strayJoin))
            #expect(strayJoin.closeCode(conn: 0) == Int(CloseCode.notFound))
        }

        @Test func rejectsAssignmentSubmittedByOther() async throws {
            let standIn = try RunningServer()
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url)
            defer { server.stop() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory,
                                               marketplace: standInClient(standIn.url), serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1FIRST")
            try submitOnStandIn(standIn.url, assignmentId: assignmentId, workerId: "A1FIRST")

            let result = try probeJoin(server.url, run: run.runId, hit: run.hitIds[0], assignment: assignmentId,
                                       worker: "A2SECOND")
            #expect(!joined(result))
            #expect(result.closeCode(conn: 0) == Int(CloseCode.forbidden))
            #expect(closeReason(result) == "assignment \(assignmentId) was submitted by another worker")
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            #expect(try store.assignments(id: assignmentId).isEmpty)
        }

        @Test func standInDownFailsClosedThenRecovers() async throws {
            let standIn = try RunningServer()
            defer { standIn.stop() }
            let port = try #require(standIn.url.port)
            let server = try startSandboxServer(standIn: standIn.url, checkSeconds: 2)
            defer { server.stop() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory,
                                               marketplace: standInClient(standIn.url), serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1WAITER")
            standIn.stop()

            for _ in 0..<2 {
                let refused = try probeJoin(server.url, run: run.runId, hit: run.hitIds[0], assignment: assignmentId,
                                            worker: "A1WAITER")
                #expect(!joined(refused))
                #expect(refused.closeCode(conn: 0) == Int(CloseCode.tryAgainLater))
                // The check gives up while the client still retries refused connections, and names that failure.
                #expect(closeReason(refused).contains("did not confirm the HIT (unreachable)"))
            }
            let failureLines = server.logLines.all.filter {
                $0.contains("join check failed") && $0.contains("kind=unreachable")
            }
            #expect(failureLines.count == 1, "log: \(server.logLines.all)")
            #expect(failureLines.first?.contains("still retrying after ConnectionError") == true)

            // The same stand-in comes back on the same port; a later attempt of the worker gets in.
            let restarted = try RunningServer(stateDirectory: standIn.stateDirectory) { $0.port = port }
            defer { restarted.stop() }
            var admitted = false
            let deadline = Date().addingTimeInterval(60)
            while !admitted && Date() < deadline {
                let attempt = try probeJoin(server.url, run: run.runId, hit: run.hitIds[0], assignment: assignmentId,
                                            worker: "A1WAITER")
                admitted = joined(attempt)
                if !admitted {
                    #expect(attempt.closeCode(conn: 0) == Int(CloseCode.tryAgainLater))
                }
            }
            #expect(admitted)
            #expect(waitUntil(seconds: 10) { server.logLines.contains("join check calls succeed again") })
        }

        @Test func throttledStandInFailsClosed() async throws {
            let standIn = try RunningServer { $0.environment = [LocalMarketplace.throttleEnvironmentVariable: "1"] }
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url, checkSeconds: 2)
            defer { server.stop() }
            // Every wire call is throttled, so the HITs are created in the stand-in's file directly.
            let local = try LocalMarketplace(stateDirectory: standIn.stateDirectory, environment: [:])
            defer { local.close() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory, marketplace: local,
                                               serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1THROTTLED")

            let result = try probeJoin(server.url, run: run.runId, hit: run.hitIds[0], assignment: assignmentId,
                                       worker: "A1THROTTLED")
            #expect(!joined(result))
            #expect(result.closeCode(conn: 0) == Int(CloseCode.tryAgainLater))
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            #expect(try store.assignments(id: assignmentId).isEmpty)
        }

        @Test func partlyThrottledStandInStillAdmits() async throws {
            // A quarter of the calls are throttled. Six throttles in a row make a call's retries wait out the 10 s
            // check: with half of the calls throttled that happened in about 3 % of runs (0.5^6 per call, an estimate).
            let standIn = try RunningServer { $0.environment = [LocalMarketplace.throttleEnvironmentVariable: "0.25"] }
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url)
            defer { server.stop() }
            let local = try LocalMarketplace(stateDirectory: standIn.stateDirectory, environment: [:])
            defer { local.close() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory, marketplace: local,
                                               serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1PATIENT")

            // The client retries throttled calls, so the check still gets a response within 10 s.
            let result = try probeJoin(server.url, run: run.runId, hit: run.hitIds[0], assignment: assignmentId,
                                       worker: "A1PATIENT")
            #expect(joined(result),
                    "frames: \(result.frames), closes: \(result.closes), log: \(server.logLines.all)")
        }

        @Test func pollerNoticesSubmission() async throws {
            let standIn = try RunningServer()
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url, pollInterval: "1")
            defer { server.stop() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory,
                                               marketplace: standInClient(standIn.url), serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1SUBMITTER")

            let serverURL = server.url
            let runId = run.runId
            let hitId = run.hitIds[0]
            let probe = BackgroundJob {
                try runWebSocketProbe([
                    ["connect": webSocketURL(serverURL)],
                    ["send": joinFrame(run: runId, hit: hitId, assignment: assignmentId, worker: "A1SUBMITTER")],
                    ["until": ["command": "inactive"]],
                ])
            }
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let inTask = try waitUntil(seconds: 20) {
                try store.assignment(id: assignmentId, workerId: "A1SUBMITTER")?.status == .inTask
            }
            try #require(inTask)

            try submitOnStandIn(standIn.url, assignmentId: assignmentId, workerId: "A1SUBMITTER")
            let result = try probe.wait(timeout: 60)
            let inactive = result.frames.last { $0["command"] as? String == "inactive" }
            #expect(inactive?["text"] as? String == InactiveText.forStatus(.submitted).text)
            #expect(inactive?["show_done"] as? Bool == false)
            let submitted = try waitUntil(seconds: 10) {
                try store.assignment(id: assignmentId, workerId: "A1SUBMITTER")?.status == .submitted
            }
            #expect(submitted)
            #expect(server.logLines.contains("MTurk lists the assignment as submitted"))
        }

        @Test func sessionAwaitingSubmissionStaysPolled() async throws {
            let standIn = try RunningServer()
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url, pollInterval: "1", evictionDelaySeconds: 0.5)
            defer { server.stop() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory,
                                               marketplace: standInClient(standIn.url), serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1LEFTPAGE")
            let chat = try runWebSocketProbe([
                ["connect": webSocketURL(server.url)],
                ["send": joinFrame(run: run.runId, hit: run.hitIds[0], assignment: assignmentId, worker: "A1LEFTPAGE")],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "q", "text": "Who won Super Bowl 50?"]],
                ["until": ["type": "ack", "client_id": "q"]],
                ["until": ["type": "command", "command": "send_message"]],
                ["send": ["type": "message", "client_id": "a", "text": "The Denver Broncos"]],
                ["until": ["type": "command", "command": "inactive"]],
                ["close": true],
            ])
            try #require(!chat.timedOut, "\(chat.frames) \(chat.stderr)")

            // The page is closed and the conversation is done; the session outlives several eviction delays
            // because only the poller can notice the submission.
            try await Task.sleep(for: .seconds(2))
            #expect(server.server.memoryCounts()?.sessions == 1)
            try submitOnStandIn(standIn.url, assignmentId: assignmentId, workerId: "A1LEFTPAGE")
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let submitted = try waitUntil(seconds: 15) {
                try store.assignment(id: assignmentId, workerId: "A1LEFTPAGE")?.status == .submitted
            }
            #expect(submitted)
            let evicted = waitUntil(seconds: 10) { server.server.memoryCounts()?.sessions == 0 }
            #expect(evicted)
        }

        @Test func pollerEndsHoldTakenByOther() async throws {
            let standIn = try RunningServer()
            defer { standIn.stop() }
            let server = try startSandboxServer(standIn: standIn.url, pollInterval: "1")
            defer { server.stop() }
            let run = try await makeSandboxRun(stateDirectory: server.stateDirectory,
                                               marketplace: standInClient(standIn.url), serverURL: server.url, hits: 1)
            let assignmentId = try acceptHIT(server: standIn.url, hitId: run.hitIds[0], workerId: "A1LEAVER")

            let serverURL = server.url
            let runId = run.runId
            let hitId = run.hitIds[0]
            let probe = BackgroundJob {
                try runWebSocketProbe([
                    ["connect": webSocketURL(serverURL)],
                    ["send": joinFrame(run: runId, hit: hitId, assignment: assignmentId, worker: "A1LEAVER")],
                    ["wait_close": true],
                ])
            }
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let inTask = try waitUntil(seconds: 20) {
                try store.assignment(id: assignmentId, workerId: "A1LEAVER")?.status == .inTask
            }
            try #require(inTask)

            // On MTurk the first worker returns the HIT, and the next worker gets the same assignment id.
            let returned = try runProcess("/usr/bin/curl", [
                "-sS", "-X", "POST", "-H", "Content-Type: application/json", "--data",
                "{\"assignment_id\":\"\(assignmentId)\",\"worker_id\":\"A1LEAVER\"}",
                standIn.url.absoluteString + "/api/return"])
            #expect(returned.status == 0)
            let reused = try acceptHIT(server: standIn.url, hitId: hitId, workerId: "A2TAKER")
            try #require(reused == assignmentId)
            try submitOnStandIn(standIn.url, assignmentId: reused, workerId: "A2TAKER")

            let result = try probe.wait(timeout: 60)
            let inactive = result.frames.last { $0["command"] as? String == "inactive" }
            #expect(inactive?["text"] as? String == SubmissionPoller.submittedByAnotherText)
            #expect(result.closeCode(conn: 0) == Int(CloseCode.inactive))
            #expect(try store.assignment(id: assignmentId, workerId: "A1LEAVER")?.status == .returned)
            #expect(server.logLines.contains("MTurk lists the assignment as submitted by another worker"))
        }

        @Test func pollerBacksOffWhenThrottled() async throws {
            let standIn = try RunningServer { $0.environment = [LocalMarketplace.throttleEnvironmentVariable: "1"] }
            defer { standIn.stop() }
            let client = MTurkClient(configuration: MTurkClientConfiguration(
                endpoint: standIn.url, target: .sandbox,
                credentials: AWSCredentials(accessKeyId: LocalMarketplace.accessKeyId,
                                            secretAccessKey: LocalMarketplace.secretAccessKey),
                retry: RetryPolicy(maxAttempts: 1), requestsPerSecond: .infinity, log: { _ in }))
            let collector = LogCollector()
            let poller = SubmissionPoller(
                marketplace: client, authority: nil,
                logger: ChatLogger(minimumLevel: .debug) { collector.append($0) }, interval: 1)
            let watches = [
                SubmissionWatch(hitId: "3HITONE0000000000000000000000", assignments: [
                    AssignmentKey(workerId: "A1ONE", assignmentId: "3ASSIGNMENTONE000000000000000")]),
                SubmissionWatch(hitId: "3HITTWO0000000000000000000000", assignments: [
                    AssignmentKey(workerId: "A1TWO", assignmentId: "3ASSIGNMENTTWO000000000000000")]),
            ]
            #expect(poller.nextDelay == 1)
            var delays: [TimeInterval] = []
            for _ in 0..<3 {
                let finished = AsyncStream<SubmissionPollResult>.makeStream()
                poller.start(watches) { result in
                    finished.continuation.yield(result)
                    finished.continuation.finish()
                }
                var iterator = finished.stream.makeAsyncIterator()
                let result = await iterator.next()
                #expect(result?.shouldBackOff == true)
                #expect(result?.submitted.isEmpty == true)
                delays.append(poller.nextDelay)
            }
            #expect(delays == [2, 4, 8])
            let failureLines = collector.all.filter { $0.contains("submission poll failed") }
            #expect(failureLines.count == 1, "log: \(collector.all)")
            #expect(failureLines.first?.contains("kind=throttled") == true)
            #expect(poller.failureLog.count(of: "throttled") == 3)
        }
    }
}
