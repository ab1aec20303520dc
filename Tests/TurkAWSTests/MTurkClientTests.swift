import Foundation
import Synchronization
import Testing
import TurkModel
@testable import TurkAWS

let testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/// Collects log lines from a client.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

func makeClient(
    endpoint: URL, target: Target = .local, maxAttempts: Int = 4,
    credentials: AWSCredentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: testSecret),
    region: String = "us-east-1", log: LogLines? = nil
) -> MTurkClient {
    let configuration = MTurkClientConfiguration(
        endpoint: endpoint, target: target, credentials: credentials, region: region,
        retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.01, maxDelay: 0.05),
        requestsPerSecond: .infinity, timeout: 30, verbose: log != nil,
        log: { line in log?.append(line) })
    return MTurkClient(configuration: configuration)
}

/// A server that sends the responses of a list in order, one per request. The last response repeats.
func scriptedServer(_ answers: [LoopbackResponse]) throws -> LoopbackHTTPServer {
    let index = Mutex(0)
    return try LoopbackHTTPServer { _ in
        index.withLock { position in
            defer { position += 1 }
            return answers[min(position, answers.count - 1)]
        }
    }
}

func operation(_ request: LoopbackRequest) -> String {
    (request.header("X-Amz-Target") ?? "").replacingOccurrences(of: "MTurkRequesterServiceV20170117.", with: "")
}

@Suite(.serialized) struct MTurkClientTests {
    @Test func successSendsSignedJSON() async throws {
        let server = try scriptedServer([.json(200, #"{"AvailableBalance":"10000.00","OnHoldBalance":"0.00"}"#)])
        defer { server.stop() }
        let balance = try await makeClient(endpoint: server.url).getAccountBalance(GetAccountBalanceRequest())
        #expect(balance.availableBalance == "10000.00")
        #expect(balance.onHoldBalance == "0.00")

        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.target == "/")
        #expect(request.header("Content-Type") == "application/x-amz-json-1.1")
        #expect(request.header("X-Amz-Target") == "MTurkRequesterServiceV20170117.GetAccountBalance")
        #expect(request.header("Host") == "127.0.0.1:\(server.port)")
        #expect(request.headers.filter { $0.name == "host" }.count == 1)
        #expect(String(decoding: request.body, as: UTF8.self) == "{}")
        let authorization = try #require(request.header("Authorization"))
        let date = try #require(request.header("X-Amz-Date"))
        #expect(authorization.hasPrefix(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(date.prefix(8))/us-east-1/mturk-requester/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="))
        #expect(request.header("X-Amz-Security-Token") == nil)
    }

    @Test func endpointPathIsSigned() async throws {
        let server = try scriptedServer([.json(200, "{}")])
        defer { server.stop() }
        let endpoint = URL(string: "http://127.0.0.1:\(server.port)/mturk/")!
        _ = try await makeClient(endpoint: endpoint).getAccountBalance(GetAccountBalanceRequest())

        let received = try #require(server.requests.first)
        #expect(received.target == "/mturk/")
        let request = SigV4Request(
            method: received.method, path: received.target,
            headers: received.headers.map { HTTPHeader($0.name, $0.value) }, body: received.body)
        let service = MTurkWireService(
            marketplace: StubMarketplace(),
            credentials: [AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: testSecret)], log: { _ in })
        #expect(service.authenticate(request) == nil)
    }

    @Test func sessionTokenIsSent() async throws {
        let server = try scriptedServer([.json(200, "{}")])
        defer { server.stop() }
        let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: testSecret, sessionToken: "TOKEN1")
        _ = try await makeClient(endpoint: server.url, credentials: credentials).deleteHIT(DeleteHITRequest(hitId: "3X"))
        let request = try #require(server.requests.first)
        #expect(request.header("X-Amz-Security-Token") == "TOKEN1")
        #expect(request.header("Authorization")?.contains("x-amz-date;x-amz-security-token;x-amz-target") == true)
    }

    @Test func unknownFieldsAreIgnored() async throws {
        let body = #"{"HIT":{"HITId":"3ABC","HITStatus":"Assignable","CreationTime":1.563311902391E9,"#
            + #""Reward":"0.50","NewField":{"Nested":[1,2]},"MaxAssignments":2},"SomethingElse":"x"}"#
        let server = try scriptedServer([.json(200, body)])
        defer { server.stop() }
        let response = try await makeClient(endpoint: server.url).getHIT(GetHITRequest(hitId: "3ABC"))
        let hit = try #require(response.hit)
        #expect(hit.hitId == "3ABC")
        #expect(hit.hitStatus == .assignable)
        #expect(hit.reward == "0.50")
        #expect(hit.maxAssignments == 2)
        #expect(hit.creationTime == Date(timeIntervalSince1970: 1_563_311_902.391))
        #expect(String(decoding: server.requests[0].body, as: UTF8.self) == #"{"HITId":"3ABC"}"#)
    }

    @Test func missingOptionalFieldsDecodeAsNil() async throws {
        let server = try scriptedServer([.json(200, #"{"HIT":{"HITId":"3ABC"}}"#), .json(200, "{}")])
        defer { server.stop() }
        let client = makeClient(endpoint: server.url)
        let hit = try #require(try await client.getHIT(GetHITRequest(hitId: "3ABC")).hit)
        #expect(hit.hitId == "3ABC")
        #expect(hit.title == nil)
        #expect(hit.hitStatus == nil)
        #expect(hit.expiration == nil)
        let empty = try await client.getHIT(GetHITRequest(hitId: "3ABC"))
        #expect(empty.hit == nil)
    }

    @Test func htmlServerErrorIsReported() async throws {
        let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
        let server = try scriptedServer([LoopbackResponse(status: 502, headers: [("Content-Type", "text/html")], body: Data(page.utf8))])
        defer { server.stop() }
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url, maxAttempts: 3).getHIT(GetHITRequest(hitId: "3ABC"))
        }
        #expect(server.requests.count == 3)
        #expect(error?.code == "502")
        #expect(error?.httpStatus == 502)
        #expect(error?.message.contains("HTML page titled '502 Bad Gateway'") == true)
        #expect(error?.message.hasSuffix("(gave up after 3 attempts)") == true)
    }

    @Test func emptyServerErrorIsReported() async throws {
        let server = try scriptedServer([LoopbackResponse(status: 500)])
        defer { server.stop() }
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url, maxAttempts: 2).listHITs(ListHITsRequest())
        }
        #expect(server.requests.count == 2)
        #expect(error?.code == "500")
        #expect(error?.message.contains("with an empty body") == true)
    }

    @Test func throttlingThenSuccess() async throws {
        let throttled = LoopbackResponse.json(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                                              headers: [("x-amzn-RequestId", "req-throttled")])
        let server = try scriptedServer([throttled, throttled, .json(200, #"{"AvailableBalance":"5.00"}"#)])
        defer { server.stop() }
        let log = LogLines()
        let balance = try await makeClient(endpoint: server.url, log: log).getAccountBalance(GetAccountBalanceRequest())
        #expect(balance.availableBalance == "5.00")
        #expect(server.requests.count == 3)
        #expect(log.all.count == 2)
        #expect(log.all.first?.hasPrefix("retrying GetAccountBalance in ") == true)
        #expect(log.all.first?.contains("(attempt 2 of 4) after ThrottlingException: Rate exceeded (request id req-throttled)") == true)
        #expect(log.all.allSatisfy { !$0.contains(testSecret) })
        // Each attempt is signed again, so a retry never reuses a stale signature.
        #expect(server.requests.allSatisfy { $0.header("Authorization") != nil })
    }

    @Test func retryAfterIsHonoured() async throws {
        let unavailable = LoopbackResponse(status: 503, headers: [("Retry-After", "1")])
        let server = try scriptedServer([unavailable, .json(200, "{}")])
        defer { server.stop() }
        let start = ContinuousClock.now
        _ = try await makeClient(endpoint: server.url).deleteHIT(DeleteHITRequest(hitId: "3ABC"))
        #expect(start.duration(to: .now) >= .milliseconds(950))
        #expect(server.requests.count == 2)
    }

    @Test func duplicateTokenOnRetryRecoversHIT() async throws {
        let hitId = "3RECOVEREDHIT0000000000000000"
        // The first create fails with a fault after taking effect; the retry finds its token used.
        let answers = Mutex(0)
        let recovering = try LoopbackHTTPServer { request in
            if operation(request) == "CreateHITWithHITType" {
                let count = answers.withLock { value in value += 1; return value }
                if count == 1 { return .json(500, #"{"__type":"ServiceFault","Message":"try again"}"#) }
                return .json(400, #"{"__type":"RequestError","Message":"The HIT with ID \"\#(hitId)\" already exists. (1563311902391 s)","TurkErrorCode":"AWS.MechanicalTurk.HitAlreadyExists"}"#)
            }
            return .json(200, #"{"HIT":{"HITId":"\#(hitId)","HITTypeId":"3TYPE"}}"#)
        }
        defer { recovering.stop() }
        let log = LogLines()
        let response = try await makeClient(endpoint: recovering.url, log: log).createHITWithHITType(
            CreateHITWithHITTypeRequest(hitTypeId: "3TYPE", lifetimeInSeconds: 600, uniqueRequestToken: "run1-hit0"))
        #expect(response.hit?.hitId == hitId)
        #expect(recovering.requests.map(operation) == ["CreateHITWithHITType", "CreateHITWithHITType", "GetHIT"])
        #expect(String(decoding: recovering.requests[2].body, as: UTF8.self) == #"{"HITId":"\#(hitId)"}"#)
        #expect(log.all.contains { $0.contains("had already created HIT \(hitId)") })
    }

    @Test func duplicateTokenOnFirstAttemptIsThrown() async throws {
        let server = try scriptedServer([.json(400, #"{"__type":"RequestError","Message":"The HIT with ID \"3EXISTINGHIT00000000\" already exists.","TurkErrorCode":"AWS.MechanicalTurk.HitAlreadyExists"}"#)])
        defer { server.stop() }
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url).createHITWithHITType(
                CreateHITWithHITTypeRequest(hitTypeId: "3TYPE", lifetimeInSeconds: 600, uniqueRequestToken: "tok"))
        }
        #expect(error?.isDuplicateRequest == true)
        #expect(server.requests.count == 1)
    }

    @Test func recoveredHITMustMatchType() async throws {
        // A duplicate-token reply names a HIT of another HIT type: the client must not return it.
        let sequence = Mutex(0)
        let mixed = try LoopbackHTTPServer { request in
            if operation(request) == "GetHIT" {
                return .json(200, #"{"HIT":{"HITId":"3OTHERHIT000000000000","HITTypeId":"3DIFFERENTTYPE"}}"#)
            }
            let count = sequence.withLock { value in value += 1; return value }
            if count == 1 { return .json(500, #"{"__type":"ServiceFault","Message":"x"}"#) }
            return .json(400, #"{"__type":"RequestError","Message":"The HIT with ID \"3OTHERHIT000000000000\" already exists.","TurkErrorCode":"AWS.MechanicalTurk.HitAlreadyExists"}"#)
        }
        defer { mixed.stop() }
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: mixed.url, maxAttempts: 2).createHITWithHITType(
                CreateHITWithHITTypeRequest(hitTypeId: "3TYPE", lifetimeInSeconds: 600, uniqueRequestToken: "tok"))
        }
        #expect(error?.isDuplicateRequest == true)
    }

    @Test func createHITDuplicateOnRetryRecoversHIT() async throws {
        let hitId = "3RECOVEREDCREATEHIT0000000000"
        let creates = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            if operation(request) == "CreateHIT" {
                let count = creates.withLock { value in value += 1; return value }
                if count == 1 { return .json(503, #"{"__type":"ServiceUnavailable","message":"busy"}"#) }
                return .json(400, #"{"__type":"RequestError","Message":"The HIT with ID \"\#(hitId)\" already exists. (1563311902391 s)","TurkErrorCode":"AWS.MechanicalTurk.HitAlreadyExists"}"#)
            }
            return .json(200, #"{"HIT":{"HITId":"\#(hitId)","Title":"Chat"}}"#)
        }
        defer { server.stop() }
        let response = try await makeClient(endpoint: server.url).createHIT(CreateHITRequest(
            lifetimeInSeconds: 600, assignmentDurationInSeconds: 600, reward: "0.50", title: "Chat",
            description: "Chat", uniqueRequestToken: "run1-hit0"))
        #expect(response.hit?.hitId == hitId)
        #expect(server.requests.map(operation) == ["CreateHIT", "CreateHIT", "GetHIT"])
    }

    @Test func createHITRecoveryChecksTitle() async throws {
        // The first attempt fails with a fault; the retry names a HIT with another title, so it is not returned.
        let answers = Mutex(0)
        let mixed = try LoopbackHTTPServer { request in
            if operation(request) == "GetHIT" { return .json(200, #"{"HIT":{"HITId":"3OTHERHIT000000000000","Title":"Other"}}"#) }
            let count = answers.withLock { value in value += 1; return value }
            if count == 1 { return .json(500, #"{"__type":"ServiceFault","Message":"x"}"#) }
            return .json(400, #"{"__type":"RequestError","Message":"The HIT with ID \"3OTHERHIT000000000000\" already exists.","TurkErrorCode":"AWS.MechanicalTurk.HitAlreadyExists"}"#)
        }
        defer { mixed.stop() }
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: mixed.url, maxAttempts: 2).createHIT(CreateHITRequest(
                lifetimeInSeconds: 600, assignmentDurationInSeconds: 600, reward: "0.50", title: "Chat",
                description: "Chat", uniqueRequestToken: "tok"))
        }
        #expect(error?.isDuplicateRequest == true)
        #expect(mixed.requests.map(operation) == ["CreateHIT", "CreateHIT", "GetHIT"])
    }

    @Test func extensionDuplicateOnRetryCountsAsDone() async throws {
        let server = try scriptedServer([
            .json(500, #"{"__type":"ServiceFault","Message":"x"}"#),
            .json(400, #"{"__type":"RequestError","Message":"already created by request 1f2e","TurkErrorCode":"AWS.MechanicalTurk.DuplicateRequest"}"#),
        ])
        defer { server.stop() }
        _ = try await makeClient(endpoint: server.url).createAdditionalAssignmentsForHIT(
            CreateAdditionalAssignmentsForHITRequest(hitId: "3ABC", numberOfAdditionalAssignments: 2, uniqueRequestToken: "x1"))
        #expect(server.requests.count == 2)
    }

    @Test func unsafeExtendedCallsAreNotRetried() async throws {
        let server = try scriptedServer([.json(500, #"{"__type":"ServiceFault","Message":"x"}"#)])
        defer { server.stop() }
        let client = makeClient(endpoint: server.url)
        await #expect(throws: MTurkError.self) {
            try await client.notifyWorkers(NotifyWorkersRequest(subject: "s", messageText: "m", workerIds: ["A1W"]))
        }
        await #expect(throws: MTurkError.self) {
            try await client.createAdditionalAssignmentsForHIT(
                CreateAdditionalAssignmentsForHITRequest(hitId: "3ABC", numberOfAdditionalAssignments: 1))
        }
        await #expect(throws: MTurkError.self) {
            try await client.createHIT(CreateHITRequest(
                lifetimeInSeconds: 600, assignmentDurationInSeconds: 600, reward: "0.50", title: "t", description: "d"))
        }
        #expect(server.requests.map(operation) == ["NotifyWorkers", "CreateAdditionalAssignmentsForHIT", "CreateHIT"])
    }

    @Test func createHITChecksQuestionURL() async throws {
        let server = try scriptedServer([.json(200, #"{"HIT":{"HITId":"3ABC"}}"#)])
        defer { server.stop() }
        let request = CreateHITRequest(
            lifetimeInSeconds: 600, assignmentDurationInSeconds: 600, reward: "0.50", title: "t", description: "d",
            question: ExternalQuestion(externalURL: "http://127.0.0.1:8080/chat").xml)
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url, target: .sandbox).createHIT(request)
        }
        #expect(error?.message.contains("is not HTTPS") == true)
        #expect(server.requests.isEmpty)
    }

    @Test func duplicateBonusOnRetryCountsAsPaid() async throws {
        let server = try scriptedServer([
            .json(500, #"{"__type":"ServiceFault","Message":"x"}"#),
            .json(400, #"{"__type":"RequestError","Message":"The bonus was already paid.","TurkErrorCode":"AWS.MechanicalTurk.DuplicateRequest"}"#),
        ])
        defer { server.stop() }
        _ = try await makeClient(endpoint: server.url).sendBonus(SendBonusRequest(
            workerId: "A1WORKER", bonusAmount: "1.00", assignmentId: "3ASSIGN", reason: "thanks", uniqueRequestToken: "b1"))
        #expect(server.requests.count == 2)
    }

    @Test func bonusWithoutTokenIsNotRetried() async throws {
        let server = try scriptedServer([.json(500, #"{"__type":"ServiceFault","Message":"x"}"#)])
        defer { server.stop() }
        await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url).sendBonus(SendBonusRequest(
                workerId: "A1WORKER", bonusAmount: "1.00", assignmentId: "3ASSIGN", reason: "thanks"))
        }
        #expect(server.requests.count == 1)
    }

    @Test func createWithoutTokenIsNotRetried() async throws {
        let server = try scriptedServer([.json(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)])
        defer { server.stop() }
        await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url).createHITWithHITType(
                CreateHITWithHITTypeRequest(hitTypeId: "3TYPE", lifetimeInSeconds: 600))
        }
        #expect(server.requests.count == 1)
    }

    @Test func requestErrorIsNotRetried() async throws {
        let server = try scriptedServer([.json(400, #"{"__type":"RequestError","Message":"Hit 3ABC does not exist. (1 s)"}"#)])
        defer { server.stop() }
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url, target: .sandbox).getHIT(GetHITRequest(hitId: "3ABC"))
        }
        #expect(server.requests.count == 1)
        #expect(error?.hint?.contains("--live") == true)
        #expect(error?.message == "Hit 3ABC does not exist. (1 s)")
    }

    @Test func refusedConnectionIsRetried() async throws {
        let closed = try LoopbackHTTPServer { _ in LoopbackResponse(status: 200) }
        let url = closed.url
        closed.stop()
        let log = LogLines()
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: url, maxAttempts: 3, log: log).getAccountBalance(GetAccountBalanceRequest())
        }
        #expect(error?.code == "ConnectionError")
        #expect(error?.message.hasPrefix("could not connect to \(url.absoluteString)") == true)
        #expect(error?.message.hasSuffix("(gave up after 3 attempts)") == true)
        #expect(log.all.count == 2)
    }

    @Test func retriedAttemptsReachObserver() async throws {
        let throttled = LoopbackResponse.json(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
        let server = try scriptedServer([throttled, .json(500, #"{"__type":"ServiceFault","Message":"try again"}"#),
                                         .json(200, #"{"AvailableBalance":"5.00"}"#)])
        defer { server.stop() }
        let seen = Mutex<[MTurkError]>([])
        let balance = try await MarketplaceRetryObserver.$onRetry.withValue({ error in seen.withLock { $0.append(error) } }) {
            try await makeClient(endpoint: server.url).getAccountBalance(GetAccountBalanceRequest())
        }
        #expect(balance.availableBalance == "5.00")
        let errors = seen.withLock { $0 }
        #expect(errors.map(\.code) == ["ThrottlingException", "ServiceFault"])
        #expect(errors.first?.message == "Rate exceeded")
    }

    @Test func plainHTTPQuestionIsRejectedBeforeSandbox() async throws {
        let server = try scriptedServer([.json(200, #"{"HIT":{"HITId":"3ABC"}}"#)])
        defer { server.stop() }
        let question = ExternalQuestion(externalURL: "http://127.0.0.1:8080/chat").xml
        let request = CreateHITWithHITTypeRequest(hitTypeId: "3TYPE", lifetimeInSeconds: 600, question: question)

        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url, target: .sandbox).createHITWithHITType(request)
        }
        #expect(error?.message.contains("'http://127.0.0.1:8080/chat' is not HTTPS") == true)
        #expect(error?.hint != nil)
        #expect(server.requests.isEmpty)

        // The local target serves its pages over plain http, so the same request goes through there.
        let response = try await makeClient(endpoint: server.url, target: .local).createHITWithHITType(request)
        #expect(response.hit?.hitId == "3ABC")
        let secure = CreateHITWithHITTypeRequest(
            hitTypeId: "3TYPE", lifetimeInSeconds: 600, question: ExternalQuestion(externalURL: "https://example.org/chat").xml)
        _ = try await makeClient(endpoint: server.url, target: .live).createHITWithHITType(secure)
        #expect(server.requests.count == 2)
    }

    @Test func undecodableSuccessIsError() async throws {
        let server = try scriptedServer([LoopbackResponse(status: 200, body: Data("not json".utf8))])
        defer { server.stop() }
        let error = await #expect(throws: MTurkError.self) {
            try await makeClient(endpoint: server.url).getHIT(GetHITRequest(hitId: "3ABC"))
        }
        #expect(error?.code == "InvalidResponse")
        #expect(server.requests.count == 1)
    }

    @Test func listsArePaged() async throws {
        let server = try LoopbackHTTPServer { request in
            let body = String(decoding: request.body, as: UTF8.self)
            if body.contains("\"NextToken\":\"page2\"") {
                return .json(200, #"{"HITs":[{"HITId":"3C"}],"NumResults":1}"#)
            }
            return .json(200, #"{"HITs":[{"HITId":"3A"},{"HITId":"3B"}],"NumResults":2,"NextToken":"page2"}"#)
        }
        defer { server.stop() }
        let hits = try await makeClient(endpoint: server.url).allHITs()
        #expect(hits.map(\.hitId) == ["3A", "3B", "3C"])
        #expect(server.requests.count == 2)
    }

    @Test func configurationValidateNamesSetting() {
        func configuration(
            rate: Double = 3, burst: Int = 3, timeout: TimeInterval = 60, retry: RetryPolicy = RetryPolicy()
        ) -> MTurkClientConfiguration {
            MTurkClientConfiguration(
                endpoint: URL(string: "http://127.0.0.1:9")!, target: .local,
                credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: testSecret), retry: retry,
                requestsPerSecond: rate, burst: burst, timeout: timeout)
        }
        var stretched = RetryPolicy()
        stretched.maxDelay = .infinity
        let cases: [(MTurkClientConfiguration, String)] = [
            (configuration(rate: 0), "requestsPerSecond"),
            (configuration(burst: 0), "burst"),
            (configuration(timeout: .nan), "timeout"),
            (configuration(timeout: -1), "timeout"),
            (configuration(timeout: 1e9), "timeout"),
            (configuration(retry: stretched), "maxDelay"),
        ]
        for (settings, name) in cases {
            let error = #expect(throws: ClientSettingError.self) { try settings.validate() }
            #expect(error?.setting == name)
            #expect(error?.description.contains(testSecret) == false)
        }
        #expect(throws: Never.self) { try configuration().validate() }
        #expect(throws: Never.self) { try configuration(rate: .infinity).validate() }
    }

    @Test func nonsenseSettingsStillSend() async throws {
        let server = try scriptedServer([.json(200, #"{"AvailableBalance":"1.00"}"#)])
        defer { server.stop() }
        let configuration = MTurkClientConfiguration(
            endpoint: server.url, target: .local,
            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: testSecret),
            retry: RetryPolicy(maxAttempts: 0, baseDelay: .nan, maxDelay: -5), requestsPerSecond: .nan, burst: -7,
            timeout: .nan, log: { _ in })
        let balance = try await MTurkClient(configuration: configuration).getAccountBalance(GetAccountBalanceRequest())
        #expect(balance.availableBalance == "1.00")
        #expect(configuration.effectiveTimeout == 60)
    }

    @Test func hitIdCandidatesPreferQuotedIds() {
        #expect(MTurkClient.hitIdCandidates(in: #"The HIT with ID "3ABCDEFGHIJKLMNOP" already exists. (1563311902391 s)"#)
            == ["3ABCDEFGHIJKLMNOP"])
        #expect(MTurkClient.hitIdCandidates(in: "HIT 3ABCDEFGHIJKLMNOP exists; see 3QRSTUVWXYZ0123 '3QUOTEDQUOTED000'")
            == ["3QUOTEDQUOTED000", "3ABCDEFGHIJKLMNOP", "3QRSTUVWXYZ0123"])
        #expect(MTurkClient.hitIdCandidates(in: "no id (1563311902391 s)").isEmpty)
    }
}
