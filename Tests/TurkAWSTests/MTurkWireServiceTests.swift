import Foundation
import Synchronization
import Testing
import TurkModel
@testable import TurkAWS

private let serverNow = Date(timeIntervalSince1970: 1_764_849_600)  // 2025-12-04T12:00:00Z
private let localKey = AWSCredentials(accessKeyId: "TURKCHATLOCALKEY", secretAccessKey: "local-secret")

/// Signs a wire request the way a client would, with whatever key, region, service and time the case needs.
private func signedRequest(
    operation: String = "GetAccountBalance", body: String = "{}", date: Date = serverNow,
    credentials: AWSCredentials = localKey, region: String = "us-east-1", service: String = "mturk-requester",
    extraHeaders: [HTTPHeader] = []
) -> SigV4Request {
    let request = SigV4Request(
        method: "POST", path: "/",
        headers: [
            HTTPHeader("Content-Type", "application/x-amz-json-1.1"),
            HTTPHeader("Host", "127.0.0.1:8080"),
            HTTPHeader("X-Amz-Target", "MTurkRequesterServiceV20170117.\(operation)"),
        ] + extraHeaders,
        body: Data(body.utf8))
    return SigV4Signer(credentials: credentials, service: service, region: region).sign(request, date: date)
}

private func makeService(
    _ marketplace: StubMarketplace, throttle: Double = 0, random: @escaping @Sendable () -> Double = { 0.5 },
    log: LogLines = LogLines()
) -> MTurkWireService {
    MTurkWireService(
        marketplace: marketplace, credentials: [localKey], throttleFraction: throttle, now: { serverNow },
        random: random, log: { log.append($0) })
}

private func send(_ service: MTurkWireService, _ request: SigV4Request, method: String = "POST", path: String = "/")
    async -> WireResponse
{
    await service.handle(method: method, path: path, headers: request.headers, body: request.body)
}

/// Decodes the JSON body of an error response.
private func errorBody(_ response: WireResponse) -> [String: String] {
    (try? JSONSerialization.jsonObject(with: response.body)) as? [String: String] ?? [:]
}

@Suite struct MTurkWireServiceTests {
    @Test func validRequestIsDispatched() async throws {
        let stub = StubMarketplace()
        let response = await send(makeService(stub), signedRequest())
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/x-amz-json-1.1")
        #expect(response.header("x-amzn-RequestId")?.count == 36)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"AvailableBalance":"10000.00","OnHoldBalance":"0.00"}"#)
        #expect(stub.callNames == ["GetAccountBalance"])
    }

    @Test func responseUsesWireNamesAndEpochSeconds() async throws {
        let stub = StubMarketplace()
        let response = await send(makeService(stub), signedRequest(operation: "GetHIT", body: #"{"HITId":"3STUB"}"#))
        let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        let hit = try #require(object["HIT"] as? [String: Any])
        #expect(hit["HITId"] as? String == "3STUBHITID000000000000000000")
        #expect((hit["CreationTime"] as? NSNumber)?.doubleValue == 1_420_070_400)
        #expect(hit["Question"] == nil)
    }

    @Test func wrongSecretIsInvalidSignature() async {
        let stub = StubMarketplace()
        let forged = AWSCredentials(accessKeyId: "TURKCHATLOCALKEY", secretAccessKey: "not-the-secret")
        let response = await send(makeService(stub), signedRequest(credentials: forged))
        #expect(response.status == 400)
        #expect(errorBody(response) == [
            "__type": "InvalidSignatureException",
            "message": "The request signature we calculated does not match the signature you provided. Check your "
                + "AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ])
        #expect(response.header("x-amzn-RequestId") != nil)
        #expect(stub.callNames.isEmpty)
    }

    @Test func alteredBodyIsInvalidSignature() async {
        var request = signedRequest(operation: "GetHIT", body: #"{"HITId":"3A"}"#)
        request.body = Data(#"{"HITId":"3B"}"#.utf8)
        let response = await send(makeService(StubMarketplace()), request)
        #expect(errorBody(response)["__type"] == "InvalidSignatureException")
    }

    @Test func alteredSignedHeaderIsInvalidSignature() async {
        var request = signedRequest()
        request.setHeader("X-Amz-Target", "MTurkRequesterServiceV20170117.ListHITs")
        let response = await send(makeService(StubMarketplace()), request)
        #expect(errorBody(response)["__type"] == "InvalidSignatureException")
    }

    @Test func unknownKeyIsUnrecognizedClient() async {
        let stranger = AWSCredentials(accessKeyId: "AKIDSTRANGER", secretAccessKey: "x")
        let response = await send(makeService(StubMarketplace()), signedRequest(credentials: stranger))
        #expect(response.status == 400)
        #expect(errorBody(response) == [
            "__type": "UnrecognizedClientException", "message": "The security token included in the request is invalid.",
        ])
    }

    @Test func unexpectedSessionTokenIsUnrecognizedClient() async {
        let withToken = AWSCredentials(accessKeyId: localKey.accessKeyId, secretAccessKey: localKey.secretAccessKey, sessionToken: "t")
        let response = await send(makeService(StubMarketplace()), signedRequest(credentials: withToken))
        #expect(errorBody(response)["__type"] == "UnrecognizedClientException")
    }

    @Test func oldSignatureIsExpired() async {
        let response = await send(makeService(StubMarketplace()), signedRequest(date: serverNow.addingTimeInterval(-16 * 60)))
        #expect(response.status == 400)
        #expect(errorBody(response) == [
            "__type": "InvalidSignatureException",
            "message": "Signature expired: 20251204T114400Z is now earlier than 20251204T114500Z (20251204T120000Z - 15 min.)",
        ])
    }

    @Test func futureSignatureIsNotYetCurrent() async {
        let response = await send(makeService(StubMarketplace()), signedRequest(date: serverNow.addingTimeInterval(16 * 60)))
        #expect(errorBody(response)["message"]?.hasPrefix("Signature not yet current: 20251204T121600Z") == true)
    }

    @Test func smallClockSkewIsAccepted() async {
        let response = await send(makeService(StubMarketplace()), signedRequest(date: serverNow.addingTimeInterval(-14 * 60)))
        #expect(response.status == 200)
    }

    @Test func wrongRegionIsRejected() async {
        let response = await send(makeService(StubMarketplace()), signedRequest(region: "us-west-1"))
        #expect(errorBody(response) == [
            "__type": "InvalidSignatureException", "message": "Credential should be scoped to a valid region, not 'us-west-1'.",
        ])
    }

    @Test func wrongServiceIsRejected() async {
        let response = await send(makeService(StubMarketplace()), signedRequest(service: "mturk"))
        #expect(errorBody(response)["message"] == "Credential should be scoped to correct service: 'mturk-requester'.")
    }

    @Test func missingAuthorizationIsRejected() async {
        var request = signedRequest()
        request.removeHeader("Authorization")
        let response = await send(makeService(StubMarketplace()), request)
        #expect(errorBody(response) == ["__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"])
    }

    @Test(arguments: [
        ("AWS4-HMAC-SHA256 Credential=TURKCHATLOCALKEY/20251204/us-east-1/mturk-requester/aws4_request",
         "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."),
        ("AWS4-HMAC-SHA1 Credential=a, SignedHeaders=host, Signature=00", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'."),
        ("Bearer", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."),
    ])
    func malformedAuthorizationIsIncomplete(_ header: String, _ message: String) async {
        var request = signedRequest()
        request.setHeader("Authorization", header)
        let response = await send(makeService(StubMarketplace()), request)
        #expect(errorBody(response) == ["__type": "IncompleteSignatureException", "message": message])
    }

    @Test func hostMustBeSigned() async {
        let signer = SigV4Signer(credentials: localKey, service: "mturk-requester", region: "us-east-1")
        var request = signedRequest()
        request.removeHeader("Authorization")
        let names = ["content-type", "x-amz-date", "x-amz-target"]
        let signature = signer.signature(
            stringToSign: signer.stringToSign(canonicalRequest: signer.canonicalRequest(request, signedHeaders: names), date: serverNow),
            date: serverNow)
        request.headers.append(HTTPHeader("Authorization", signer.authorizationHeader(signedHeaders: names, signature: signature, date: serverNow)))
        let response = await send(makeService(StubMarketplace()), request)
        #expect(errorBody(response)["message"] == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    }

    @Test func unknownOperationIsRejected() async {
        let stub = StubMarketplace()
        let misspelt = await send(makeService(stub), signedRequest(operation: "GetAcountBalance"))
        #expect(misspelt.status == 400)
        #expect(errorBody(misspelt)["__type"] == "UnknownOperationException")
        #expect(errorBody(misspelt)["message"]?.contains("Unknown operation MTurkRequesterServiceV20170117.GetAcountBalance") == true)

        let unimplemented = await send(makeService(stub), signedRequest(operation: "ListQualificationRequests"))
        #expect(errorBody(unimplemented)["__type"] == "UnknownOperationException")
        #expect(errorBody(unimplemented)["message"] == "The local marketplace does not implement "
            + "ListQualificationRequests; docs/local-marketplace.md lists the operations it supports.")
        #expect(stub.callNames.isEmpty)
    }

    @Test func extendedOperationNeedsExtendedMarketplace() async {
        // The stub implements only the tools' operations, so the extended ones are unknown to it.
        let stub = StubMarketplace()
        let body = #"{"Subject":"s","MessageText":"m","WorkerIds":["A1"]}"#
        let response = await send(makeService(stub), signedRequest(operation: "NotifyWorkers", body: body))
        #expect(response.status == 400)
        #expect(errorBody(response)["__type"] == "UnknownOperationException")
        #expect(errorBody(response)["message"] == "The marketplace behind this endpoint does not implement NotifyWorkers.")
        #expect(stub.callNames.isEmpty)
    }

    @Test func supportedOperationsAreKnownToMTurk() {
        let supported = Set(MTurkWireService.supportedOperations)
        #expect(supported.count == 29)
        #expect(supported.isSubset(of: MTurkWireService.knownMTurkOperations))
        for name in ["CreateHIT", "ListReviewableHITs", "UpdateHITReviewStatus", "CreateAdditionalAssignmentsForHIT",
                     "NotifyWorkers", "GetQualificationType", "DeleteQualificationType", "GetQualificationScore"] {
            #expect(supported.contains(name), "\(name) is not routed")
        }
    }

    @Test func wrongMethodOrPathIsRejected() async {
        let service = makeService(StubMarketplace())
        let get = await send(service, signedRequest(), method: "GET")
        #expect(get.status == 405)
        #expect(errorBody(get)["__type"] == "UnknownOperationException")
        let elsewhere = await send(service, signedRequest(), path: "/other")
        #expect(elsewhere.status == 404)
    }

    @Test func marketplaceErrorKeepsMTurkShape() async {
        let stub = StubMarketplace()
        stub.failure.withLock {
            $0 = MTurkError.requestError("Hit 3X does not exist. (1 s)", turkErrorCode: "AWS.MechanicalTurk.HITDoesNotExist")
        }
        let response = await send(makeService(stub), signedRequest(operation: "GetHIT", body: #"{"HITId":"3X"}"#))
        #expect(response.status == 400)
        #expect(errorBody(response) == [
            "__type": "RequestError", "Message": "Hit 3X does not exist. (1 s)", "TurkErrorCode": "AWS.MechanicalTurk.HITDoesNotExist",
        ])
    }

    @Test func faultIsStatus500() async {
        let stub = StubMarketplace()
        stub.failure.withLock { $0 = MTurkError(code: "ServiceFault", message: "busy") }
        let response = await send(makeService(stub), signedRequest())
        #expect(response.status == 500)
        #expect(errorBody(response) == ["__type": "ServiceFault", "Message": "busy"])
    }

    @Test func internalErrorIsLoggedFault() async {
        struct DiskFull: Error {}
        let stub = StubMarketplace()
        stub.failure.withLock { $0 = DiskFull() }
        let log = LogLines()
        let response = await send(makeService(stub, log: log), signedRequest())
        #expect(response.status == 500)
        #expect(errorBody(response)["__type"] == "ServiceFault")
        #expect(log.all.count == 1)
        #expect(log.all.first?.contains("DiskFull") == true)
        #expect(log.all.first?.contains(response.header("x-amzn-RequestId")!) == true)
    }

    @Test func missingRequiredMemberIsValidationError() async {
        let response = await send(makeService(StubMarketplace()), signedRequest(operation: "GetHIT", body: "{}"))
        #expect(response.status == 400)
        #expect(errorBody(response) == [
            "__type": "ValidationException",
            "message": "1 validation error detected: Value null at 'HITId' failed to satisfy constraint: Member must not be null",
        ])
    }

    @Test func malformedBodyIsSerializationError() async {
        let notJSON = await send(makeService(StubMarketplace()), signedRequest(operation: "GetHIT", body: "HITId=3"))
        #expect(errorBody(notJSON)["__type"] == "SerializationException")
        let wrongType = await send(makeService(StubMarketplace()), signedRequest(operation: "ListHITs", body: #"{"MaxResults":"ten"}"#))
        #expect(errorBody(wrongType) == [
            "__type": "SerializationException", "message": "The value at 'MaxResults' has the wrong type; expected a number.",
        ])
    }

    @Test func throttleAnswersBeforeAnyEffect() async {
        let stub = StubMarketplace()
        let response = await send(makeService(stub, throttle: 1), signedRequest(operation: "DeleteHIT", body: #"{"HITId":"3X"}"#))
        #expect(response.status == 400)
        #expect(errorBody(response) == ["__type": "ThrottlingException", "message": "Rate exceeded"])
        #expect(stub.callNames.isEmpty)
    }

    @Test func throttleFractionIsShareOfRequests() async {
        let stub = StubMarketplace()
        let draws = Mutex(0)
        // Draws cycle through 0.0, 0.1, ... 0.9, so a fraction of 0.3 throttles exactly 3 in 10.
        let service = makeService(stub, throttle: 0.3, random: {
            draws.withLock { count in
                defer { count += 1 }
                return Double(count % 10) / 10
            }
        })
        var throttled = 0
        for _ in 0..<100 {
            let response = await send(service, signedRequest())
            if errorBody(response)["__type"] == "ThrottlingException" { throttled += 1 }
        }
        #expect(throttled == 30)
        #expect(stub.callNames.count == 70)
    }

    @Test func badSignatureIsCheckedBeforeThrottle() async {
        let forged = AWSCredentials(accessKeyId: "TURKCHATLOCALKEY", secretAccessKey: "wrong")
        let response = await send(makeService(StubMarketplace(), throttle: 1), signedRequest(credentials: forged))
        #expect(errorBody(response)["__type"] == "InvalidSignatureException")
    }

    @Test func malformedRequestsGetClientErrors() async {
        let stub = StubMarketplace()
        let service = makeService(stub)
        var generator = SystemRandomNumberGenerator()
        let valid = signedRequest()
        let pieces = [
            "", " ", "=", ",", "/", "AWS4-HMAC-SHA256", "Credential=", "SignedHeaders=", "Signature=",
            "TURKCHATLOCALKEY/20251204/us-east-1/mturk-requester/aws4_request", "host;x-amz-date", "ffff",
            "99991231T235959Z", "00000000T000000Z", "20251204T120000Z", "\u{0}", "\u{FFFD}", "ሴ",
            String(repeating: "A", count: 5000),
        ]
        func randomText() -> String {
            (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
                .joined(separator: Bool.random(using: &generator) ? " " : "")
        }
        for _ in 0..<2000 {
            var request = valid
            for name in ["Authorization", "X-Amz-Date", "X-Amz-Target", "Host", "X-Amz-Security-Token"]
            where Bool.random(using: &generator) {
                request.setHeader(name, randomText())
            }
            if Bool.random(using: &generator) {
                request.body = Data((0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
            let response = await service.handle(
                method: "POST", path: Bool.random(using: &generator) ? "/" : "/?" + randomText(),
                headers: request.headers, body: request.body)
            let type = errorBody(response)["__type"]
            #expect((200..<500).contains(response.status), "status \(response.status) for \(request.headers)")
            #expect(response.status == 200 || type != nil, "error without __type for \(request.headers)")
        }
    }

    @Test func throttleFractionOutOfRangeIsClamped() async {
        let stub = StubMarketplace()
        let never = makeService(stub, throttle: .nan, random: { 0 })
        #expect(await send(never, signedRequest()).status == 200)
        let negative = makeService(stub, throttle: -1, random: { 0 })
        #expect(await send(negative, signedRequest()).status == 200)
        let always = makeService(stub, throttle: 7, random: { 0.999 })
        #expect(errorBody(await send(always, signedRequest()))["__type"] == "ThrottlingException")
        #expect(stub.callNames == ["GetAccountBalance", "GetAccountBalance"])
    }

    @Test func dictionaryHeadersAreAccepted() async {
        let request = signedRequest()
        let headers = Dictionary(request.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { "\($0),\($1)" })
        let response = await makeService(StubMarketplace()).handle(method: "POST", path: "/", headers: headers, body: request.body)
        #expect(response.status == 200)
    }
}

/// Round trips from the client to the wire service over a real loopback HTTP connection, which checks that the
/// `Host` header libcurl sends is the one the client signed.
@Suite(.serialized) struct ClientWireRoundTripTests {
    func startServer(_ service: MTurkWireService) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            let response = await service.handle(
                method: request.method, path: request.target,
                headers: request.headers.map { HTTPHeader($0.name, $0.value) }, body: request.body)
            return LoopbackResponse(status: response.status, headers: response.headers.map { ($0.name, $0.value) }, body: response.body)
        }
    }

    func liveService(_ stub: StubMarketplace, throttle: Double = 0) -> MTurkWireService {
        MTurkWireService(marketplace: stub, credentials: [localKey], throttleFraction: throttle, log: { _ in })
    }

    @Test func clientSignatureIsAccepted() async throws {
        let stub = StubMarketplace()
        let server = try startServer(liveService(stub))
        defer { server.stop() }
        let client = makeClient(endpoint: server.url, credentials: localKey)
        let balance = try await client.getAccountBalance(GetAccountBalanceRequest())
        #expect(balance.availableBalance == "10000.00")
        let hit = try await client.getHIT(GetHITRequest(hitId: "3STUB"))
        #expect(hit.hit?.hitId == "3STUBHITID000000000000000000")
        #expect(stub.callNames == ["GetAccountBalance", "GetHIT"])
    }

    @Test func wrongSecretGetsHint() async throws {
        let server = try startServer(liveService(StubMarketplace()))
        defer { server.stop() }
        let client = makeClient(endpoint: server.url, credentials: AWSCredentials(accessKeyId: localKey.accessKeyId, secretAccessKey: "typo"))
        let error = await #expect(throws: MTurkError.self) { try await client.getAccountBalance(GetAccountBalanceRequest()) }
        #expect(error?.code == "InvalidSignatureException")
        #expect(error?.httpStatus == 400)
        #expect(error?.requestId?.isEmpty == false)
        #expect(error?.hint?.contains("secret access key") == true)
        #expect(server.requests.count == 1)
    }

    @Test func wrongRegionGetsHint() async throws {
        let server = try startServer(liveService(StubMarketplace()))
        defer { server.stop() }
        let client = makeClient(endpoint: server.url, credentials: localKey, region: "us-west-1")
        let error = await #expect(throws: MTurkError.self) { try await client.getAccountBalance(GetAccountBalanceRequest()) }
        #expect(error?.message == "Credential should be scoped to a valid region, not 'us-west-1'.")
        #expect(error?.hint?.contains("us-east-1") == true)
    }

    @Test func throttledRequestsAreRetriedToCompletion() async throws {
        let stub = StubMarketplace()
        let server = try startServer(liveService(stub, throttle: 0.5))
        defer { server.stop() }
        let client = makeClient(endpoint: server.url, maxAttempts: 30, credentials: localKey)
        for index in 0..<20 {
            _ = try await client.createHITWithHITType(CreateHITWithHITTypeRequest(
                hitTypeId: "3TYPE", lifetimeInSeconds: 600, uniqueRequestToken: "hit-\(index)"))
        }
        #expect(stub.callNames.count == 20)
        #expect(server.requests.count > 20)
    }
}
