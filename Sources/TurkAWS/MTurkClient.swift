import Foundation
import TurkModel

/// Settings of an `MTurkClient`.
public struct MTurkClientConfiguration: Sendable {
    public var endpoint: URL
    /// The marketplace behind `endpoint`; it selects hints and whether ExternalQuestion URLs must be HTTPS.
    public var target: Target
    public var credentials: AWSCredentials
    public var region: String
    public var retry: RetryPolicy
    /// Average requests per second sent by this client; `.infinity` turns the limit off, and so do NaN, zero and
    /// negative values (see `TokenBucket.init`).
    public var requestsPerSecond: Double
    /// Requests that may go out at once before the rate applies; the client uses at least 1.
    public var burst: Int
    /// Seconds to wait for one response. The client reads NaN, zero or a negative value as 60 s and cuts one
    /// longer than `maximumTimeout`.
    public var timeout: TimeInterval
    /// Whether every retry and every recovered duplicate is logged. Without it, the first retry is logged and
    /// later ones are counted in at most one line per `retryReportInterval`.
    public var verbose: Bool
    /// Seconds between two lines that count retries when `verbose` is off.
    public var retryReportInterval: TimeInterval = 5
    /// Receives log lines (without a trailing newline). The default writes them to stderr after the program name.
    /// Tools pass a hook that prefixes their own name.
    public var log: @Sendable (String) -> Void

    /// Three requests a second: peers that sent more were throttled on CreateHITWithHITType (allenai/amti#12),
    /// and a community client settled on 3 per second.
    public static let defaultRequestsPerSecond = 3.0

    public init(
        endpoint: URL, target: Target, credentials: AWSCredentials, region: String = MTurkEndpoint.region,
        retry: RetryPolicy = RetryPolicy(), requestsPerSecond: Double = defaultRequestsPerSecond, burst: Int = 3,
        timeout: TimeInterval = 60, verbose: Bool = false,
        log: @escaping @Sendable (String) -> Void = MTurkClientConfiguration.logToStandardError
    ) {
        self.endpoint = endpoint
        self.target = target
        self.credentials = credentials
        self.region = region
        self.retry = retry
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.timeout = timeout
        self.verbose = verbose
        self.log = log
    }

    /// The longest `timeout` the client uses: one day.
    public static let maximumTimeout: TimeInterval = 86_400

    /// Checks the settings a user may give: the rate, the burst, the timeout and the retry policy. The client
    /// clamps values out of range instead of failing, so a tool that takes these from flags calls this first.
    /// - Throws: `ClientSettingError` naming the first invalid setting, its value and the accepted range.
    public func validate() throws(ClientSettingError) {
        try TokenBucket.check(rate: requestsPerSecond, capacity: Double(burst))
        guard timeout.isFinite, timeout > 0, timeout <= Self.maximumTimeout else {
            throw ClientSettingError(
                setting: "timeout", value: String(timeout),
                accepted: "a number of seconds greater than 0 and at most \(Int(Self.maximumTimeout))")
        }
        _ = try RetryPolicy.checked(
            maxAttempts: retry.maxAttempts, baseDelay: retry.baseDelay, maxDelay: retry.maxDelay,
            maxRetryAfter: retry.maxRetryAfter)
    }

    /// The timeout the client uses for one response: `timeout` clamped as its documentation describes.
    var effectiveTimeout: TimeInterval {
        timeout.isNaN || timeout <= 0 ? 60 : min(timeout, Self.maximumTimeout)
    }

    @Sendable public static func logToStandardError(_ line: String) {
        let name = ProcessInfo.processInfo.processName
        FileHandle.standardError.write(Data("\(name): \(line)\n".utf8))
    }
}

/// The MTurk Requester API (version 2017-01-17) over HTTP: AWS JSON 1.1, `POST /`, signed with SigV4.
///
/// It serves the sandbox, live, and the local marketplace's wire endpoint alike. Requests pass a client-side
/// rate limit, and failures are retried by `RetryPolicy` when repeating the request is safe:
/// - throttling (`ThrottlingException`, HTTP 429), a `ServiceFault`, any other 5xx and a timed-out or dropped
///   connection are retried, except for `CreateHIT`, `CreateHITWithHITType`, `CreateAdditionalAssignmentsForHIT`
///   and `SendBonus` without a `UniqueRequestToken`, `CreateQualificationType` and `NotifyWorkers`, which could
///   take effect twice;
/// - a refused connection is always retried, because the request never arrived.
///
/// When a retried create, extension or bonus gets a reply that its token was already used, an earlier attempt
/// took effect. The bonus and the extension then count as done, and the HIT named in the message is fetched with
/// GetHIT and returned. A duplicate-token reply to a first attempt is thrown, as the local marketplace throws it.
///
/// NOTE: a duplicate bonus or extension is recognised by `TurkErrorCode` `AWS.MechanicalTurk.DuplicateRequest`,
/// which the local marketplace sends. MTurk documents only that its message names the original request, not its
/// code.
public final class MTurkClient: Marketplace {
    public let configuration: MTurkClientConfiguration
    private let transport: any HTTPTransport
    private let limiter: TokenBucket
    private let retryReporter: RetryReporter

    public init(configuration: MTurkClientConfiguration, transport: any HTTPTransport = URLSessionTransport()) {
        self.configuration = configuration
        self.transport = transport
        // The bucket reads a rate of zero or below as no limit and clamps the burst to at least 1.
        self.limiter = TokenBucket(rate: configuration.requestsPerSecond, capacity: Double(configuration.burst))
        let interval = configuration.retryReportInterval
        self.retryReporter = RetryReporter(
            interval: .seconds(interval.isFinite && interval >= 0 ? min(interval, 3_600) : 5), log: configuration.log)
    }

    deinit {
        retryReporter.flush()
    }

    /// Logs the retries counted since the last retry line, if any. The client also does this when it goes away;
    /// a tool calls it to have the count before its own final lines.
    public func reportRetries() {
        retryReporter.flush()
    }

    // MARK: - Marketplace

    public func createHITType(_ request: CreateHITTypeRequest) async throws -> CreateHITTypeResponse {
        try await send(request)
    }

    public func createHITWithHITType(_ request: CreateHITWithHITTypeRequest) async throws
        -> CreateHITWithHITTypeResponse
    {
        try checkQuestionURL(request.question)
        return try await send(request)
    }

    public func getHIT(_ request: GetHITRequest) async throws -> GetHITResponse {
        try await send(request)
    }

    public func listHITs(_ request: ListHITsRequest) async throws -> ListHITsResponse {
        try await send(request)
    }

    public func updateExpirationForHIT(_ request: UpdateExpirationForHITRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func deleteHIT(_ request: DeleteHITRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func listAssignmentsForHIT(_ request: ListAssignmentsForHITRequest) async throws
        -> ListAssignmentsForHITResponse
    {
        try await send(request)
    }

    public func getAssignment(_ request: GetAssignmentRequest) async throws -> GetAssignmentResponse {
        try await send(request)
    }

    public func approveAssignment(_ request: ApproveAssignmentRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func rejectAssignment(_ request: RejectAssignmentRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func sendBonus(_ request: SendBonusRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func listBonusPayments(_ request: ListBonusPaymentsRequest) async throws -> ListBonusPaymentsResponse {
        try await send(request)
    }

    public func createWorkerBlock(_ request: CreateWorkerBlockRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func deleteWorkerBlock(_ request: DeleteWorkerBlockRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func listWorkerBlocks(_ request: ListWorkerBlocksRequest) async throws -> ListWorkerBlocksResponse {
        try await send(request)
    }

    public func createQualificationType(_ request: CreateQualificationTypeRequest) async throws
        -> CreateQualificationTypeResponse
    {
        try await send(request)
    }

    public func listQualificationTypes(_ request: ListQualificationTypesRequest) async throws
        -> ListQualificationTypesResponse
    {
        try await send(request)
    }

    public func associateQualificationWithWorker(_ request: AssociateQualificationWithWorkerRequest) async throws
        -> EmptyResponse
    {
        try await send(request)
    }

    public func disassociateQualificationFromWorker(_ request: DisassociateQualificationFromWorkerRequest)
        async throws -> EmptyResponse
    {
        try await send(request)
    }

    public func listWorkersWithQualificationType(_ request: ListWorkersWithQualificationTypeRequest) async throws
        -> ListWorkersWithQualificationTypeResponse
    {
        try await send(request)
    }

    public func getAccountBalance(_ request: GetAccountBalanceRequest) async throws -> GetAccountBalanceResponse {
        try await send(request)
    }

    // MARK: - Sending

    /// Sends any operation, with rate limiting, retries and duplicate-token recovery.
    public func send<Operation: MTurkOperation>(_ request: Operation) async throws -> Operation.Response {
        let body = try MTurkJSON.encoder().encode(request)
        let operation = Operation.operationName
        let repeatable = Self.isSafeToRepeat(request)
        var generator = SystemRandomNumberGenerator()
        var attempt = 1

        while true {
            try await limiter.acquire()
            let failure: AttemptFailure
            do {
                let response = try await transport.send(signedRequest(operation: operation, body: body),
                                                        timeout: configuration.effectiveTimeout)
                if (200..<300).contains(response.status) {
                    return try decodeResponse(Operation.Response.self, from: response, operation: operation)
                }
                let error = AWSJSONErrorDecoder.decode(response, endpoint: configuration.endpoint)
                if attempt > 1, error.isDuplicateRequest,
                   let recovered = try await recoverDuplicate(request, error: error) {
                    return recovered
                }
                failure = .service(error, retryAfter: response.header("Retry-After"))
            } catch let error as TransportError {
                failure = .transport(error)
            }

            guard attempt < configuration.retry.maxAttempts, failure.isRetryable(repeatable: repeatable) else {
                throw finalError(failure, attempts: attempt)
            }
            let retryAfter = failure.retryAfter.flatMap { RetryPolicy.parseRetryAfter($0, now: Date()) }
            let wait = configuration.retry.delay(beforeRetry: attempt, retryAfter: retryAfter, using: &generator)
            if configuration.verbose {
                configuration.log(String(
                    format: "retrying %@ in %.2f s (attempt %d of %d) after %@", operation, wait, attempt + 1,
                    configuration.retry.maxAttempts, failure.summary))
            } else {
                retryReporter.retrying(
                    operation: operation, attempt: attempt + 1, maxAttempts: configuration.retry.maxAttempts,
                    wait: wait, failure: failure.summary)
            }
            MarketplaceRetryObserver.onRetry?(failure.error)
            try await Task.sleep(for: .seconds(wait))
            attempt += 1
        }
    }

    /// Builds and signs the HTTP request for one attempt; each attempt is signed at its own time.
    func signedRequest(operation: String, body: Data, date: Date = Date()) -> HTTPRequest {
        let signer = SigV4Signer(
            credentials: configuration.credentials, service: MTurkEndpoint.signingName, region: configuration.region)
        let unsigned = SigV4Request(
            method: "POST", path: requestURLComponents.percentEncodedPath,
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-1.1"),
                HTTPHeader("Host", MTurkEndpoint.hostHeader(for: configuration.endpoint)),
                HTTPHeader("X-Amz-Target", "\(mturkTargetPrefix).\(operation)"),
            ],
            body: body)
        let signed = signer.sign(unsigned, date: date)
        return HTTPRequest(url: requestURL, method: "POST", headers: signed.headers, body: body)
    }

    /// The URL that every operation is posted to: the endpoint, with the path `/` when it has none. A path in
    /// `--endpoint-url` is kept and signed, as the AWS CLI does.
    private var requestURL: URL {
        requestURLComponents.url!
    }

    private var requestURLComponents: URLComponents {
        var components = URLComponents(url: configuration.endpoint, resolvingAgainstBaseURL: false)!
        if components.percentEncodedPath.isEmpty {
            components.percentEncodedPath = "/"
        }
        return components
    }

    private func decodeResponse<Response: Decodable>(
        _ type: Response.Type, from response: HTTPResponse, operation: String
    ) throws -> Response {
        let body = response.body.isEmpty ? Data("{}".utf8) : response.body
        do {
            return try MTurkJSON.decoder().decode(type, from: body)
        } catch {
            throw MTurkError(
                code: "InvalidResponse",
                message: "the \(operation) response from \(configuration.endpoint.absoluteString) could not be "
                    + "decoded: \(error)",
                httpStatus: response.status, requestId: response.header("x-amzn-RequestId"))
        }
    }

    private func finalError(_ failure: AttemptFailure, attempts: Int) -> MTurkError {
        var error = failure.error
        if attempts > 1 {
            error.message += " (gave up after \(attempts) attempts)"
        }
        if error.hint == nil {
            error.hint = MTurkHints.hint(for: error, target: configuration.target, region: configuration.region)
        }
        return error
    }

    // MARK: - Safety rules

    /// Returns whether repeating `request` after an unclear outcome cannot take effect twice. NotifyWorkers is never
    /// repeated, because a second attempt would send the e-mails again.
    static func isSafeToRepeat<Operation: MTurkOperation>(_ request: Operation) -> Bool {
        if let create = request as? CreateHITWithHITTypeRequest { return create.uniqueRequestToken != nil }
        if let create = request as? CreateHITRequest { return create.uniqueRequestToken != nil }
        if let extend = request as? CreateAdditionalAssignmentsForHITRequest { return extend.uniqueRequestToken != nil }
        if let bonus = request as? SendBonusRequest { return bonus.uniqueRequestToken != nil }
        if request is CreateQualificationTypeRequest || request is NotifyWorkersRequest { return false }
        return true
    }

    /// Rejects an ExternalQuestion whose URL is not HTTPS before it reaches the sandbox or live, which reject it
    /// too, and workers' browsers would block a plain-http frame inside MTurk's HTTPS page.
    fileprivate func checkQuestionURL(_ question: String?) throws {
        guard configuration.target != .local, let question, let external = ExternalQuestion(xml: question) else {
            return
        }
        guard URL(string: external.externalURL)?.scheme?.lowercased() == "https" else {
            throw MTurkError(
                code: "RequestError",
                message: "the ExternalQuestion URL '\(external.externalURL)' is not HTTPS; the MTurk \(configuration.target.rawValue) target accepts only https:// URLs",
                hint: "serve the task page over HTTPS with a certificate that browsers trust, for example behind a "
                    + "reverse proxy, and pass that https:// URL")
        }
    }

    /// Turns a duplicate-token reply to a retry into the result of the attempt that went through. Returns nil when
    /// the operation has no such recovery or the HIT cannot be found.
    private func recoverDuplicate<Operation: MTurkOperation>(
        _ request: Operation, error: MTurkError
    ) async throws -> Operation.Response? {
        if request is SendBonusRequest, let done = EmptyResponse() as? Operation.Response {
            logRecovery("SendBonus was already paid by an earlier attempt (\(error.message))")
            return done
        }
        if request is CreateAdditionalAssignmentsForHITRequest, let done = EmptyResponse() as? Operation.Response {
            logRecovery("CreateAdditionalAssignmentsForHIT was already applied by an earlier attempt (\(error.message))")
            return done
        }
        if let create = request as? CreateHITWithHITTypeRequest {
            let hit = try await recoverHIT(named: error.message) { $0.hitTypeId == nil || $0.hitTypeId == create.hitTypeId }
            return hit.flatMap { CreateHITWithHITTypeResponse(hit: $0) as? Operation.Response }
        }
        if let create = request as? CreateHITRequest {
            // CreateHIT names no HIT type, so the HIT must have the requested title.
            let hit = try await recoverHIT(named: error.message) { $0.title == nil || $0.title == create.title }
            return hit.flatMap { CreateHITResponse(hit: $0) as? Operation.Response }
        }
        return nil
    }

    /// Fetches the HIT that a duplicate-token message names, trying each id it may name, and returns the first that
    /// exists and passes `matches`.
    private func recoverHIT(named message: String, matches: (HIT) -> Bool) async throws -> HIT? {
        for candidate in Self.hitIdCandidates(in: message) {
            let found: GetHITResponse
            do {
                found = try await getHIT(GetHITRequest(hitId: candidate))
            } catch let lookupError as MTurkError where lookupError.isNotFound {
                continue
            }
            guard let hit = found.hit, matches(hit) else { continue }
            logRecovery("the create request had already created HIT \(candidate) in an earlier attempt")
            return hit
        }
        return nil
    }

    private func logRecovery(_ line: String) {
        if configuration.verbose {
            configuration.log(line)
        }
    }

    /// Returns the HIT ids that a duplicate-token message may name: quoted ids first, then any other run of 12
    /// to 64 upper-case letters and digits with at least one letter (the server time in the message is all digits).
    static func hitIdCandidates(in message: String) -> [String] {
        var quoted: [String] = []
        var bare: [String] = []
        var current = ""
        var previous: Character? = nil
        var openingQuote: Character? = nil
        func finish(next: Character?) {
            defer { current = "" }
            guard (12...64).contains(current.count), current.contains(where: { $0.isLetter }) else { return }
            let isQuoted = openingQuote != nil && (next == "\"" || next == "'")
            if isQuoted { quoted.append(current) } else { bare.append(current) }
        }
        for character in message {
            if character.isASCII && (character.isUppercase || character.isNumber) {
                if current.isEmpty { openingQuote = (previous == "\"" || previous == "'") ? previous : nil }
                current.append(character)
            } else if !current.isEmpty {
                finish(next: character)
            }
            previous = character
        }
        if !current.isEmpty { finish(next: nil) }
        var seen = Set<String>()
        return (quoted + bare).filter { seen.insert($0).inserted }
    }
}

// MARK: - ExtendedMarketplace

extension MTurkClient: ExtendedMarketplace {
    public func createHIT(_ request: CreateHITRequest) async throws -> CreateHITResponse {
        try checkQuestionURL(request.question)
        return try await send(request)
    }

    public func listReviewableHITs(_ request: ListReviewableHITsRequest) async throws -> ListReviewableHITsResponse {
        try await send(request)
    }

    public func updateHITReviewStatus(_ request: UpdateHITReviewStatusRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func createAdditionalAssignmentsForHIT(_ request: CreateAdditionalAssignmentsForHITRequest) async throws
        -> EmptyResponse
    {
        try await send(request)
    }

    public func notifyWorkers(_ request: NotifyWorkersRequest) async throws -> NotifyWorkersResponse {
        try await send(request)
    }

    public func getQualificationType(_ request: GetQualificationTypeRequest) async throws
        -> GetQualificationTypeResponse
    {
        try await send(request)
    }

    public func deleteQualificationType(_ request: DeleteQualificationTypeRequest) async throws -> EmptyResponse {
        try await send(request)
    }

    public func getQualificationScore(_ request: GetQualificationScoreRequest) async throws
        -> GetQualificationScoreResponse
    {
        try await send(request)
    }
}

/// The reason one attempt failed.
private enum AttemptFailure {
    case service(MTurkError, retryAfter: String?)
    case transport(TransportError)

    var retryAfter: String? {
        if case .service(_, let value) = self { return value }
        return nil
    }

    func isRetryable(repeatable: Bool) -> Bool {
        switch self {
        case .service(let error, _):
            return repeatable && error.isRetryable
        case .transport(let error):
            switch error.kind {
            case .notConnected: return true
            case .timedOut, .connectionLost: return repeatable
            case .tls, .other: return false
            }
        }
    }

    /// The failure as an MTurk error, with a code for each kind of transport failure.
    var error: MTurkError {
        switch self {
        case .service(let error, _):
            return error
        case .transport(let error):
            let code: String
            switch error.kind {
            case .timedOut: code = "RequestTimeout"
            case .tls: code = "TLSError"
            default: code = "ConnectionError"
            }
            return MTurkError(code: code, message: error.description)
        }
    }

    var summary: String {
        switch self {
        case .service(let error, _):
            var text = "\(error.code): \(error.message)"
            if let requestId = error.requestId { text += " (request id \(requestId))" }
            return text
        case .transport(let error):
            return error.description
        }
    }
}
