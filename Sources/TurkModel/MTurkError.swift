import Foundation

/// An error returned by a marketplace, in MTurk's terms.
///
/// `code` is the error type (`__type` on the wire, without any namespace): `RequestError` for a request MTurk
/// rejects, `ServiceFault` for a fault worth retrying, `ThrottlingException`, `InvalidSignatureException` and so on.
/// `turkErrorCode` is MTurk's finer code, such as `AWS.MechanicalTurk.HitAlreadyExists`.
public struct MTurkError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var turkErrorCode: String?
    /// The HTTP status, when the error came over HTTP.
    public var httpStatus: Int?
    /// The `x-amzn-RequestId` response header, when there was one.
    public var requestId: String?
    /// A suggestion for the person running the tool, added by the client for known confusions.
    public var hint: String?

    public init(
        code: String, message: String, turkErrorCode: String? = nil, httpStatus: Int? = nil,
        requestId: String? = nil, hint: String? = nil
    ) {
        self.code = code
        self.message = message
        self.turkErrorCode = turkErrorCode
        self.httpStatus = httpStatus
        self.requestId = requestId
        self.hint = hint
    }

    /// A `RequestError`: MTurk rejected the request, and sending it again will not help.
    public static func requestError(_ message: String, turkErrorCode: String? = nil) -> MTurkError {
        MTurkError(code: "RequestError", message: message, turkErrorCode: turkErrorCode, httpStatus: 400)
    }

    /// Makes a `ServiceFault`: the service failed, and the call may be retried.
    public static func serviceFault(_ message: String) -> MTurkError {
        MTurkError(code: "ServiceFault", message: message, httpStatus: 500)
    }

    /// Whether a retry with the same request may succeed.
    public var isRetryable: Bool {
        if ["ServiceFault", "ThrottlingException", "Throttling", "TooManyRequestsException",
            "RequestLimitExceeded", "ServiceUnavailable", "InternalFailure"].contains(code) { return true }
        if let status = httpStatus, status >= 500 || status == 429 { return true }
        return false
    }

    /// Whether the error reports that a `UniqueRequestToken` was already used.
    public var isDuplicateRequest: Bool {
        turkErrorCode == "AWS.MechanicalTurk.HitAlreadyExists" || turkErrorCode == "AWS.MechanicalTurk.DuplicateRequest"
    }

    /// Whether the error reports that a HIT, assignment or other entity does not exist on this marketplace.
    public var isNotFound: Bool {
        code == "RequestError" && message.range(of: "does not exist", options: .caseInsensitive) != nil
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let turkErrorCode { text += " [\(turkErrorCode)]" }
        if let requestId { text += " (request id \(requestId))" }
        if let hint { text += "\nhint: \(hint)" }
        return text
    }
}

/// Returns the suffix MTurk adds to its error messages: the server time in milliseconds, as in `(1563311902391 s)`.
public func mturkMessageSuffix(_ date: Date = Date()) -> String {
    "(\(Int64(date.timeIntervalSince1970 * 1000)) s)"
}
