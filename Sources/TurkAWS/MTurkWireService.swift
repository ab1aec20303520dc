import Foundation
import TurkModel

/// An HTTP response of the wire service. The HTTP layer adds `Content-Length` and any connection headers.
public struct WireResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: Data

    public init(status: Int, headers: [HTTPHeader], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Serves a `Marketplace` over the MTurk Requester API's wire protocol (AWS JSON 1.1 at `POST /`, SigV4), so that
/// `MTurkClient`, boto3 and the AWS CLI can use the local marketplace as they use MTurk.
///
/// The service is independent of any HTTP server: serve-chat passes each request to `handle` and writes back the
/// `WireResponse`. Each request is checked in the order AWS checks it: method and path, then the SigV4 signature
/// (credential scope, clock skew of at most 15 minutes, signature), then the throttle switch, then the operation.
/// Errors have AWS's shape: `__type`, a message, MTurk's `TurkErrorCode`, status 400 for client errors and 500
/// for faults, and every response carries an `x-amzn-RequestId` header.
public final class MTurkWireService: Sendable {
    /// How far the signing time may be from the server's clock, as AWS allows.
    public static let maxClockSkew: TimeInterval = 15 * 60

    private let marketplace: any Marketplace
    private let credentials: [String: AWSCredentials]
    private let region: String
    private let throttleFraction: Double
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let log: @Sendable (String) -> Void

    /// - Parameters:
    ///   - credentials: the key pairs whose signatures are accepted.
    ///   - throttleFraction: the share of authenticated requests (0 to 1) rejected with `ThrottlingException`
    ///     before the operation runs, for tests of client retries. serve-chat takes it from
    ///     `TURKCHAT_LOCAL_THROTTLE`. A value out of range is clamped to 0...1, and NaN turns throttling off.
    ///   - random: returns numbers in 0..<1 that decide throttling; tests pass a fixed sequence.
    ///   - log: receives a line for each internal error that the service turns into a `ServiceFault`.
    public init(
        marketplace: any Marketplace, credentials: [AWSCredentials], region: String = MTurkEndpoint.region,
        throttleFraction: Double = 0, now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        log: @escaping @Sendable (String) -> Void = MTurkClientConfiguration.logToStandardError
    ) {
        self.marketplace = marketplace
        self.credentials = Dictionary(credentials.map { ($0.accessKeyId, $0) }, uniquingKeysWith: { $1 })
        self.region = region
        self.throttleFraction = throttleFraction.isNaN ? 0 : min(max(throttleFraction, 0), 1)
        self.now = now
        self.random = random
        self.log = log
    }

    /// Handles one HTTP request. `path` is the request target as received, with any query string; `headers` keep
    /// their order and may repeat a name.
    public func handle(method: String, path: String, headers: [HTTPHeader], body: Data) async -> WireResponse {
        let requestId = UUID().uuidString.lowercased()
        let target = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let request = SigV4Request(
            method: method, path: String(target[0]), query: target.count > 1 ? String(target[1]) : "",
            headers: headers, body: body)

        guard method.uppercased() == "POST" else {
            return errorResponse(
                WireError(status: 405, type: "UnknownOperationException",
                          message: "The MTurk wire endpoint accepts only POST requests."), requestId: requestId)
        }
        guard request.path == "/" else {
            return errorResponse(
                WireError(status: 404, type: "UnknownOperationException",
                          message: "The MTurk wire endpoint is at POST /, not \(request.path)."), requestId: requestId)
        }
        if let failure = authenticate(request) {
            return errorResponse(failure, requestId: requestId)
        }
        if throttleFraction > 0 && random() < throttleFraction {
            return errorResponse(
                WireError(status: 400, type: "ThrottlingException", message: "Rate exceeded"), requestId: requestId)
        }

        let targetHeader = request.headerValues("X-Amz-Target").first ?? ""
        let prefix = mturkTargetPrefix + "."
        guard targetHeader.hasPrefix(prefix), let route = Self.routes[String(targetHeader.dropFirst(prefix.count))]
        else {
            return errorResponse(
                WireError(status: 400, type: "UnknownOperationException",
                          message: Self.unknownOperationMessage(targetHeader)), requestId: requestId)
        }

        do {
            let output = try await route(marketplace, body.isEmpty ? Data("{}".utf8) : body)
            return WireResponse(status: 200, headers: Self.responseHeaders(requestId), body: output)
        } catch let error as WireError {
            return errorResponse(error, requestId: requestId)
        } catch let error as MTurkError {
            return errorResponse(WireError(error), requestId: requestId)
        } catch {
            log("internal error in \(targetHeader) (request id \(requestId)): \(error)")
            return errorResponse(
                WireError(status: 500, type: "ServiceFault",
                          message: "The local marketplace failed to process the request: \(error)"),
                requestId: requestId)
        }
    }

    /// Handles a request whose headers arrive as a dictionary; a repeated header must be joined with commas.
    public func handle(method: String, path: String, headers: [String: String], body: Data) async -> WireResponse {
        await handle(method: method, path: path, headers: headers.map { HTTPHeader($0.key, $0.value) }, body: body)
    }

    // MARK: - Signature check

    /// Returns the error AWS would send for the request's signature, or nil when the signature is valid.
    func authenticate(_ request: SigV4Request) -> WireError? {
        guard let authorization = request.headerValues("Authorization").first, !authorization.isEmpty else {
            return WireError(status: 400, type: "MissingAuthenticationTokenException",
                             message: "Missing Authentication Token")
        }
        let parsed: SigV4Authorization
        switch SigV4Authorization.parse(authorization) {
        case .success(let value): parsed = value
        case .failure(let error): return error
        }
        guard let known = credentials[parsed.accessKeyId] else {
            return WireError(status: 400, type: "UnrecognizedClientException",
                             message: "The security token included in the request is invalid.")
        }
        let token = request.headerValues("X-Amz-Security-Token").first
        if token != known.sessionToken {
            return WireError(status: 400, type: "UnrecognizedClientException",
                             message: "The security token included in the request is invalid.")
        }

        guard let dateText = request.headerValues("X-Amz-Date").first else {
            return WireError(status: 400, type: "IncompleteSignatureException",
                             message: "Authorization header requires existence of a 'X-Amz-Date' header.")
        }
        guard let date = AmzDate.parse(dateText.trimmingCharacters(in: .whitespaces)) else {
            return WireError(status: 400, type: "IncompleteSignatureException",
                             message: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        if let skew = checkClock(signedAt: date, text: dateText) {
            return skew
        }
        if let scope = checkScope(parsed, date: date) {
            return scope
        }
        guard parsed.signedHeaders.contains("host") else {
            return WireError(status: 400, type: "InvalidSignatureException",
                             message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }

        let signer = SigV4Signer(credentials: known, service: MTurkEndpoint.signingName, region: region)
        let canonical = signer.canonicalRequest(request, signedHeaders: parsed.signedHeaders)
        let expected = signer.signature(stringToSign: signer.stringToSign(canonicalRequest: canonical, date: date),
                                        date: date)
        guard constantTimeEquals(Array(expected.utf8), Array(parsed.signature.lowercased().utf8)) else {
            return WireError(
                status: 400, type: "InvalidSignatureException",
                message: "The request signature we calculated does not match the signature you provided. Check "
                    + "your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        }
        return nil
    }

    private func checkClock(signedAt date: Date, text: String) -> WireError? {
        let current = now()
        if date < current.addingTimeInterval(-Self.maxClockSkew) {
            return WireError(
                status: 400, type: "InvalidSignatureException",
                message: "Signature expired: \(text) is now earlier than "
                    + "\(AmzDate.format(current.addingTimeInterval(-Self.maxClockSkew))) "
                    + "(\(AmzDate.format(current)) - 15 min.)")
        }
        if date > current.addingTimeInterval(Self.maxClockSkew) {
            return WireError(
                status: 400, type: "InvalidSignatureException",
                message: "Signature not yet current: \(text) is still later than "
                    + "\(AmzDate.format(current.addingTimeInterval(Self.maxClockSkew))) "
                    + "(\(AmzDate.format(current)) + 15 min.)")
        }
        return nil
    }

    private func checkScope(_ authorization: SigV4Authorization, date: Date) -> WireError? {
        let stamp = AmzDate.dateStamp(date)
        if authorization.scopeDate != stamp {
            return WireError(
                status: 400, type: "InvalidSignatureException",
                message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(authorization.scopeDate)' != '\(stamp)', from '\(AmzDate.format(date))'.")
        }
        if authorization.scopeRegion != region {
            return WireError(status: 400, type: "InvalidSignatureException",
                             message: "Credential should be scoped to a valid region, not '\(authorization.scopeRegion)'.")
        }
        if authorization.scopeService != MTurkEndpoint.signingName {
            return WireError(status: 400, type: "InvalidSignatureException",
                             message: "Credential should be scoped to correct service: '\(MTurkEndpoint.signingName)'.")
        }
        if authorization.scopeTerminator != "aws4_request" {
            return WireError(
                status: 400, type: "InvalidSignatureException",
                message: "Credential should be scoped with a valid terminator: 'aws4_request', not "
                    + "'\(authorization.scopeTerminator)'.")
        }
        return nil
    }

    // MARK: - Responses

    private static func responseHeaders(_ requestId: String) -> [HTTPHeader] {
        [HTTPHeader("Content-Type", "application/x-amz-json-1.1"), HTTPHeader("x-amzn-RequestId", requestId)]
    }

    private func errorResponse(_ error: WireError, requestId: String) -> WireResponse {
        var object: [String: String] = ["__type": error.type]
        // AWS's own exceptions carry `message`; MTurk's modelled ones (RequestError, ServiceFault) carry `Message`.
        object[Self.lowerCaseMessageTypes.contains(error.type) ? "message" : "Message"] = error.message
        if let turkErrorCode = error.turkErrorCode {
            object["TurkErrorCode"] = turkErrorCode
        }
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return WireResponse(status: error.status, headers: Self.responseHeaders(requestId), body: body)
    }

    private static let lowerCaseMessageTypes: Set<String> = [
        "InvalidSignatureException", "IncompleteSignatureException", "UnrecognizedClientException",
        "MissingAuthenticationTokenException", "ThrottlingException", "UnknownOperationException",
        "SerializationException", "ValidationException",
    ]

    private static func unknownOperationMessage(_ target: String) -> String {
        if target.isEmpty {
            return "The request has no X-Amz-Target header; it must name the operation, such as "
                + "\(mturkTargetPrefix).GetAccountBalance."
        }
        let operation = target.split(separator: ".").last.map(String.init) ?? target
        if target.hasPrefix(mturkTargetPrefix + "."), MTurkWireService.knownMTurkOperations.contains(operation) {
            // These operations exist on MTurk but the local marketplace does not implement them.
            return "The local marketplace does not implement \(operation); docs/local-marketplace.md lists the "
                + "operations it supports."
        }
        return "Unknown operation \(target); operations are named \(mturkTargetPrefix).<Operation>."
    }
}

/// An error response of the wire service.
struct WireError: Error, Sendable, Equatable {
    var status: Int
    var type: String
    var message: String
    var turkErrorCode: String?

    init(status: Int, type: String, message: String, turkErrorCode: String? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.turkErrorCode = turkErrorCode
    }

    init(_ error: MTurkError) {
        let isFault = error.code == "ServiceFault" || error.code == "InternalFailure"
        self.init(
            status: error.httpStatus ?? (isFault ? 500 : 400), type: error.code, message: error.message,
            turkErrorCode: error.turkErrorCode)
    }
}

/// The parts of a SigV4 `Authorization` header.
struct SigV4Authorization: Equatable {
    var accessKeyId: String
    var scopeDate: String
    var scopeRegion: String
    var scopeService: String
    var scopeTerminator: String
    /// Lower-case header names in the order given.
    var signedHeaders: [String]
    var signature: String

    /// Parses `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=HEX`.
    static func parse(_ header: String) -> Result<SigV4Authorization, WireError> {
        let trimmed = header.trimmingCharacters(in: .whitespaces)

        guard let space = trimmed.firstIndex(of: " ") else {
            return .failure(incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."))
        }
        let algorithm = String(trimmed[..<space])
        guard algorithm == SigV4Signer.algorithm else {
            return .failure(incomplete("Unsupported AWS 'algorithm': '\(algorithm)'."))
        }

        var parameters: [String: String] = [:]
        for part in trimmed[trimmed.index(after: space)...].split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            parameters[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
        }

        var missing: [String] = []
        for name in ["Credential", "Signature", "SignedHeaders"] where (parameters[name] ?? "").isEmpty {
            missing.append("Authorization header requires '\(name)' parameter.")
        }
        guard missing.isEmpty else {
            return .failure(incomplete(missing.joined(separator: " ")))
        }

        let scope = parameters["Credential"]!.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, !scope[0].isEmpty else {
            return .failure(incomplete(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                    + "got \(scope.count)."))
        }
        let signedHeaders = parameters["SignedHeaders"]!.split(separator: ";").map { $0.lowercased() }
        return .success(SigV4Authorization(
            accessKeyId: scope[0], scopeDate: scope[1], scopeRegion: scope[2], scopeService: scope[3],
            scopeTerminator: scope[4], signedHeaders: signedHeaders, signature: parameters["Signature"]!))
    }

    private static func incomplete(_ message: String) -> WireError {
        WireError(status: 400, type: "IncompleteSignatureException", message: message)
    }
}
