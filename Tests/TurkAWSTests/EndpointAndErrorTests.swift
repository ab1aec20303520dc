import Foundation
import Testing
import TurkModel
@testable import TurkAWS

@Suite struct EndpointTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://mturk-requester-sandbox.us-east-1.amazonaws.com", "https://mturk-requester-sandbox.us-east-1.amazonaws.com"),
        ("http://localhost:9/", "http://localhost:9/"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ])
    func validURLsParse(_ text: String, _ expected: String) throws {
        #expect(try MTurkEndpoint.parse(text).absoluteString == expected)
    }

    @Test(arguments: [
        ("ftp://127.0.0.1", "the scheme must be http or https"),
        ("127.0.0.1:8080", "it has no http:// or https:// scheme"),
        ("http://", "it has no host"),
        ("http:///path", "it has no host"),
        ("http://127.0.0.1:8080/?x=1", "it must not have a query or fragment"),
        ("http://127.0.0.1:99999", "the port must be between 1 and 65535"),
        ("not a url", "it has no http:// or https:// scheme"),
        ("http://127.0.0.1:80 80", "it does not parse as a URL"),
        ("", "it has no http:// or https:// scheme"),
    ])
    func invalidURLsAreRejected(_ text: String, _ reason: String) {
        let error = #expect(throws: EndpointURLError.self) { try MTurkEndpoint.parse(text) }
        #expect(error?.reason == reason)
        #expect(error?.description.contains("http(s)://HOST[:PORT]") == true)
    }

    @Test func passwordInURLIsNotEchoed() {
        let error = #expect(throws: EndpointURLError.self) { try MTurkEndpoint.parse("http://user:hunter2@127.0.0.1:80") }
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.reason == "credentials do not belong in the URL")
    }

    @Test func resolvePrefersEndpointURL() throws {
        #expect(try MTurkEndpoint.resolve(target: .sandbox, endpointURL: nil) == Target.sandbox.defaultEndpoint)
        #expect(try MTurkEndpoint.resolve(target: .live, endpointURL: nil) == Target.live.defaultEndpoint)
        #expect(try MTurkEndpoint.resolve(target: .local, endpointURL: "http://127.0.0.1:5000").port == 5000)
        #expect(throws: EndpointURLError.self) { try MTurkEndpoint.resolve(target: .local, endpointURL: nil) }
    }

    @Test func hostHeaderOmitsDefaultPorts() {
        #expect(MTurkEndpoint.hostHeader(for: URL(string: "https://a.example.com")!) == "a.example.com")
        #expect(MTurkEndpoint.hostHeader(for: URL(string: "https://a.example.com:443")!) == "a.example.com")
        #expect(MTurkEndpoint.hostHeader(for: URL(string: "http://127.0.0.1:80/")!) == "127.0.0.1")
        #expect(MTurkEndpoint.hostHeader(for: URL(string: "http://127.0.0.1:8080")!) == "127.0.0.1:8080")
        #expect(MTurkEndpoint.hostHeader(for: URL(string: "https://127.0.0.1:80")!) == "127.0.0.1:80")
    }
}

@Suite struct ErrorDecodingTests {
    let endpoint = URL(string: "http://127.0.0.1:1")!

    func decode(_ status: Int, _ body: String, headers: [String: String] = [:]) -> MTurkError {
        AWSJSONErrorDecoder.decode(HTTPResponse(status: status, headers: headers, body: Data(body.utf8)), endpoint: endpoint)
    }

    @Test(arguments: [
        ("RequestError", "RequestError"),
        ("com.amazonaws.mturk#RequestError", "RequestError"),
        ("InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/", "InvalidSignatureException"),
        ("com.amazon.coral.service#UnrecognizedClientException:http://x", "UnrecognizedClientException"),
    ])
    func typeIsStripped(_ type: String, _ code: String) {
        #expect(AWSJSONErrorDecoder.errorCode(fromType: type) == code)
    }

    @Test func mturkErrorFieldsAreKept() {
        let error = decode(
            400, #"{"__type":"RequestError","Message":"Hit 3ABC does not exist. (1563311902391 s)","TurkErrorCode":"AWS.MechanicalTurk.HITDoesNotExist"}"#,
            headers: ["X-Amzn-RequestId": "req-1"])
        #expect(error.code == "RequestError")
        #expect(error.message == "Hit 3ABC does not exist. (1563311902391 s)")
        #expect(error.turkErrorCode == "AWS.MechanicalTurk.HITDoesNotExist")
        #expect(error.httpStatus == 400)
        #expect(error.requestId == "req-1")
    }

    @Test func lowerCaseMessageIsRead() {
        let error = decode(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
        #expect(error.code == "ThrottlingException")
        #expect(error.message == "Rate exceeded")
        #expect(error.isRetryable)
    }

    @Test func htmlBodyGivesStatusError() {
        let error = decode(500, "<html><head><title>500 Internal Server Error</title></head><body>oops</body></html>")
        #expect(error.code == "500")
        #expect(error.httpStatus == 500)
        #expect(error.message.contains("HTTP 500"))
        #expect(error.message.contains("HTML page titled '500 Internal Server Error'"))
        #expect(error.isRetryable)
    }

    @Test func emptyBodyGivesStatusError() {
        let error = decode(500, "")
        #expect(error.code == "500")
        #expect(error.message == "http://127.0.0.1:1 returned HTTP 500 (Internal Server Error) with an empty body instead of a JSON error")
    }

    @Test func jsonWithoutTypeUsesStatus() {
        let error = decode(503, #"{"unexpected":true}"#)
        #expect(error.code == "503")
        #expect(error.message.contains("a body that is not a JSON error"))
    }

    @Test func errorTypeHeaderIsFallback() {
        let error = decode(400, #"{"message":"bad"}"#, headers: ["x-amzn-ErrorType": "ValidationException:http://x"])
        #expect(error.code == "ValidationException")
        #expect(error.message == "bad")
    }
}

@Suite struct HintTests {
    func hint(_ code: String, _ message: String, target: Target = .sandbox, region: String = "us-east-1") -> String? {
        MTurkHints.hint(for: MTurkError(code: code, message: message), target: target, region: region)
    }

    @Test func wrongRegionHint() {
        let text = hint("InvalidSignatureException", "Credential should be scoped to a valid region, not 'us-west-1'.")
        #expect(text?.contains("us-east-1") == true)
        #expect(hint("InvalidSignatureException", "anything", region: "eu-west-1")?.contains("'eu-west-1'") == true)
    }

    @Test func clockSkewHint() {
        #expect(hint("InvalidSignatureException", "Signature expired: 20150830T123600Z is now earlier than ...")?
            .contains("clock") == true)
    }

    @Test func otherEnvironmentHint() {
        #expect(hint("RequestError", "Hit 3ABC does not exist. (1 s)", target: .sandbox)?.contains("--live") == true)
        #expect(hint("RequestError", "Assignment 3X does not exist. (1 s)", target: .live)?.contains("sandbox") == true)
        #expect(hint("RequestError", "Hit 3ABC does not exist.", target: .local)?.contains("local marketplace") == true)
    }

    @Test func notAuthorizedHint() {
        let text = hint("RequestError", "This user is not authorized to perform the requested operation.")
        #expect(text?.contains("https://requestersandbox.mturk.com/developer") == true)
        #expect(hint("AccessDeniedException", "denied", target: .live)?.contains("https://requester.mturk.com/developer") == true)
    }

    @Test func unrelatedErrorHasNoHint() {
        #expect(hint("RequestError", "The reward is too high.") == nil)
    }
}

@Suite struct RetryPolicyTests {
    @Test func delaysGrowAndStayCapped() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.25, maxDelay: 20)
        var generator = SystemRandomNumberGenerator()
        for retry in 1...40 {
            let ceiling = min(20, 0.25 * pow(2, Double(retry - 1)))
            for _ in 0..<20 {
                let wait = policy.delay(beforeRetry: retry, retryAfter: nil, using: &generator)
                #expect(wait >= ceiling / 2, "retry \(retry) waited \(wait)")
                #expect(wait <= ceiling, "retry \(retry) waited \(wait)")
            }
        }
    }

    @Test func retryAfterExtendsWaitUpToLimit() {
        let policy = RetryPolicy(baseDelay: 0.01, maxDelay: 0.02, maxRetryAfter: 30)
        var generator = SystemRandomNumberGenerator()
        #expect(policy.delay(beforeRetry: 1, retryAfter: 2, using: &generator) == 2)
        #expect(policy.delay(beforeRetry: 1, retryAfter: 600, using: &generator) == 30)
        #expect(policy.delay(beforeRetry: 1, retryAfter: 0, using: &generator) <= 0.02)
    }

    @Test func retryAfterParsesSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryPolicy.parseRetryAfter("2", now: now) == 2)
        #expect(RetryPolicy.parseRetryAfter(" 1.5 ", now: now) == 1.5)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == 30)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now: now) == 0)
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
        #expect(RetryPolicy.parseRetryAfter("-3", now: now) == nil)
    }

    @Test func tokenBucketSpacesRequests() async {
        let bucket = TokenBucket(rate: 20, capacity: 2)
        let start = ContinuousClock.now
        // A burst of two is free; each later request waits 50 ms more than the one before it.
        let waits = await (0..<5).asyncMap { _ in await bucket.reserve(at: start) }
        #expect(waits[0] == .zero)
        #expect(waits[1] == .zero)
        #expect(isClose(waits[2], .milliseconds(50)))
        #expect(isClose(waits[3], .milliseconds(100)))
        #expect(isClose(waits[4], .milliseconds(150)))
    }

    @Test func tokenBucketRefillsOverTime() async {
        let bucket = TokenBucket(rate: 10, capacity: 1)
        let start = ContinuousClock.now
        #expect(await bucket.reserve(at: start) == .zero)
        #expect(await bucket.reserve(at: start + .milliseconds(100)) == .zero)
        let early = await bucket.reserve(at: start + .milliseconds(150))
        #expect(isClose(early, .milliseconds(50)))
        // Refilling stops at the capacity, so a long pause buys one free request, not many.
        #expect(await bucket.reserve(at: start + .seconds(10)) == .zero)
        let next = await bucket.reserve(at: start + .seconds(10))
        #expect(isClose(next, .milliseconds(100)))
    }

    @Test func tokenBucketSleepsForReservation() async throws {
        let bucket = TokenBucket(rate: 20, capacity: 1)
        let start = ContinuousClock.now
        for _ in 0..<11 {
            try await bucket.acquire()
        }
        // The first token is free and the next ten arrive every 50 ms. No upper bound is checked, because a busy
        // machine may wake a sleeping task late.
        #expect(start.duration(to: .now) >= .milliseconds(480))
    }

    @Test func unlimitedBucketNeverWaits() async {
        let bucket = TokenBucket(rate: .infinity, capacity: 1)
        let start = ContinuousClock.now
        for _ in 0..<1000 {
            #expect(await bucket.reserve(at: start) == .zero)
        }
    }
}

// MARK: - Settings out of range

extension RetryPolicyTests {
    @Test func policyClampsOutOfRangeSettings() {
        let policy = RetryPolicy(maxAttempts: -2, baseDelay: -1, maxDelay: .nan, maxRetryAfter: .infinity)
        #expect(policy.maxAttempts == 1)
        #expect(policy.baseDelay == 0)
        #expect(policy.maxDelay == 0)
        #expect(policy.maxRetryAfter == RetryPolicy.maximumDelay)

        let inverted = RetryPolicy(baseDelay: 5, maxDelay: 1)
        #expect(inverted.maxDelay == 5)
    }

    @Test func delayStaysFiniteAfterBadAssignment() {
        var policy = RetryPolicy()
        policy.baseDelay = .infinity
        policy.maxDelay = .nan
        policy.maxRetryAfter = -.infinity
        var generator = SystemRandomNumberGenerator()
        for retry in [1, 2, 40, Int.max] {
            let wait = policy.delay(beforeRetry: retry, retryAfter: .infinity, using: &generator)
            #expect(wait.isFinite, "retry \(retry) waited \(wait)")
            #expect((0...RetryPolicy.maximumDelay).contains(wait), "retry \(retry) waited \(wait)")
        }
    }

    @Test(arguments: [
        (0, 0.25, 20.0, 60.0, "maxAttempts", "invalid value 0 for maxAttempts: expected a whole number of at least 1"),
        (3, -1.0, 20.0, 60.0, "baseDelay", "invalid value -1.0 for baseDelay: expected a number of seconds from 0 to 3600"),
        (3, Double.nan, 20.0, 60.0, "baseDelay", "invalid value nan for baseDelay"),
        (3, 0.25, Double.infinity, 60.0, "maxDelay", "invalid value inf for maxDelay"),
        (3, 2.0, 1.0, 60.0, "maxDelay", "no smaller than baseDelay (2.0)"),
        (3, 0.25, 20.0, 7_200.0, "maxRetryAfter", "invalid value 7200.0 for maxRetryAfter"),
    ])
    func checkedPolicyRejects(
        maxAttempts: Int, baseDelay: Double, maxDelay: Double, maxRetryAfter: Double, setting: String, text: String
    ) {
        let error = #expect(throws: ClientSettingError.self) {
            try RetryPolicy.checked(
                maxAttempts: maxAttempts, baseDelay: baseDelay, maxDelay: maxDelay, maxRetryAfter: maxRetryAfter)
        }
        #expect(error?.setting == setting)
        #expect(error?.description.contains(text) == true, "\(error?.description ?? "no error")")
    }

    @Test func checkedPolicyKeepsValidSettings() throws {
        let policy = try RetryPolicy.checked(maxAttempts: 1, baseDelay: 0, maxDelay: 0, maxRetryAfter: 0)
        #expect(policy == RetryPolicy(maxAttempts: 1, baseDelay: 0, maxDelay: 0, maxRetryAfter: 0))
    }

    @Test func bucketClampsOutOfRangeSettings() {
        for rate in [0, -3, Double.nan, -Double.infinity] {
            let bucket = TokenBucket(rate: rate, capacity: 2)
            #expect(bucket.rate == .infinity, "rate \(rate)")
        }
        #expect(TokenBucket(rate: 1e-12, capacity: 1).rate == TokenBucket.minimumRate)
        #expect(TokenBucket(rate: 5, capacity: .nan).capacity == 1)
        #expect(TokenBucket(rate: 5, capacity: -4).capacity == 1)
        #expect(TokenBucket(rate: 5, capacity: .infinity).capacity == TokenBucket.maximumCapacity)
    }

    @Test func slowestBucketStillReturnsAWait() async {
        let bucket = TokenBucket(rate: 1e-300, capacity: 1)
        let start = ContinuousClock.now
        #expect(await bucket.reserve(at: start) == .zero)
        #expect(await bucket.reserve(at: start) == .seconds(3_600))
    }

    @Test(arguments: [
        (0.0, 1.0, "requestsPerSecond"), (-1.0, 1.0, "requestsPerSecond"), (Double.nan, 1.0, "requestsPerSecond"),
        (0.0001, 1.0, "requestsPerSecond"), (3.0, 0.0, "burst"), (3.0, Double.infinity, "burst"),
        (3.0, 2e6, "burst"),
    ])
    func bucketCheckRejects(rate: Double, capacity: Double, setting: String) {
        let error = #expect(throws: ClientSettingError.self) { try TokenBucket.check(rate: rate, capacity: capacity) }
        #expect(error?.setting == setting)
    }

    @Test func bucketCheckAcceptsNoLimit() throws {
        try TokenBucket.check(rate: .infinity, capacity: 1)
        try TokenBucket.check(rate: 1.0 / 3_600, capacity: 1_000_000)
    }
}

/// Returns whether two durations differ by less than a millisecond.
private func isClose(_ lhs: Duration, _ rhs: Duration) -> Bool {
    lhs - rhs < .milliseconds(1) && rhs - lhs < .milliseconds(1)
}

extension Sequence {
    /// Maps the elements in order with an async transform.
    fileprivate func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var results: [T] = []
        for element in self {
            results.append(await transform(element))
        }
        return results
    }
}
