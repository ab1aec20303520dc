import Foundation
import TurkModel
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Decoding of AWS JSON 1.1 error responses, as botocore's JSON parser does it.
enum AWSJSONErrorDecoder {
    /// Returns the error that a non-2xx response carries. A body that is not a JSON error, such as an HTML page from
    /// a proxy or an empty 500, becomes an error named after the HTTP status.
    static func decode(_ response: HTTPResponse, endpoint: URL) -> MTurkError {
        let requestId = response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id")
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]

        if let object, let rawType = (object["__type"] as? String) ?? response.header("x-amzn-ErrorType") {
            let message = (object["message"] as? String) ?? (object["Message"] as? String) ?? ""
            return MTurkError(
                code: errorCode(fromType: rawType), message: message,
                turkErrorCode: object["TurkErrorCode"] as? String, httpStatus: response.status, requestId: requestId)
        }

        let reason = HTTPURLResponse.localizedString(forStatusCode: response.status)
        return MTurkError(
            code: String(response.status),
            message: "\(endpoint.absoluteString) returned HTTP \(response.status) (\(reason)) "
                + describeUnexpectedBody(response),
            httpStatus: response.status, requestId: requestId)
    }

    /// Strips a namespace (`com.amazonaws.mturk#RequestError`) and a trailing URL
    /// (`InvalidSignatureException:http://...`) from `__type`.
    static func errorCode(fromType type: String) -> String {
        var code = type
        if let colon = code.firstIndex(of: ":") {
            code = String(code[..<colon])
        }
        if let hash = code.lastIndex(of: "#") {
            code = String(code[code.index(after: hash)...])
        }
        return code
    }

    private static func describeUnexpectedBody(_ response: HTTPResponse) -> String {
        let text = String(decoding: response.body.prefix(4096), as: UTF8.self)
        let collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        if collapsed.isEmpty {
            return "with an empty body instead of a JSON error"
        }
        if let title = htmlTitle(text) {
            return "with an HTML page titled '\(title)' instead of a JSON error"
        }
        let kind = collapsed.hasPrefix("<") ? "an HTML or XML page" : "a body that is not a JSON error"
        return "with \(kind): \(collapsed.prefix(120))"
    }

    private static func htmlTitle(_ text: String) -> String? {
        guard let start = text.range(of: "<title>", options: .caseInsensitive),
              let end = text.range(of: "</title>", options: .caseInsensitive, range: start.upperBound..<text.endIndex)
        else { return nil }
        let title = text[start.upperBound..<end.lowerBound].split(whereSeparator: { $0.isWhitespace })
            .joined(separator: " ")
        return title.isEmpty ? nil : String(title.prefix(120))
    }
}

/// Suggestions for the errors that confuse MTurk requesters most.
enum MTurkHints {
    static func hint(for error: MTurkError, target: Target, region: String) -> String? {
        let message = error.message.lowercased()
        switch error.code {
        case "InvalidSignatureException":
            if message.contains("valid region") || region != "us-east-1" {
                return "MTurk accepts only signatures for region us-east-1, on both the sandbox and live; this "
                    + "client signed for '\(region)'. A region set in the AWS profile or environment does not apply "
                    + "to MTurk."
            }
            if message.contains("signature expired") || message.contains("not yet current") {
                return "the system clock differs from AWS's by more than 15 minutes; synchronise it (for example "
                    + "with chrony or systemd-timesyncd) and try again"
            }
            return "the secret access key does not belong to the access key id; check the credentials in the "
                + "profile or environment variables"
        case "UnrecognizedClientException":
            return "AWS does not know this access key id, or its session token has expired; check the credentials "
                + "in the profile or environment variables"
        case "AccessDeniedException":
            return notAuthorizedHint(target: target)
        default:
            break
        }
        if message.contains("not authorized") {
            return notAuthorizedHint(target: target)
        }
        if message.contains("does not exist") {
            return otherEnvironmentHint(target: target)
        }
        if error.code == "ThrottlingException" {
            return "MTurk kept rejecting requests as too frequent; lower the client's request rate and run again"
        }
        return nil
    }

    static func otherEnvironmentHint(target: Target) -> String {
        switch target {
        case .sandbox:
            return "the MTurk sandbox does not know this id. Ids from live MTurk do not exist in the sandbox; if "
                + "it came from a live run, run the tool with --live."
        case .live:
            return "live MTurk does not know this id. Ids from the MTurk sandbox do not exist on live; if it came "
                + "from a sandbox run, run the tool against the sandbox."
        case .local:
            return "the local marketplace does not know this id. Ids from the MTurk sandbox or live do not exist "
                + "here; run the tool against the target that created it."
        }
    }

    static func notAuthorizedHint(target: Target) -> String {
        let page = target == .sandbox
            ? "https://requestersandbox.mturk.com/developer" : "https://requester.mturk.com/developer"
        return "the AWS account of these credentials is not linked to an MTurk requester account, or the IAM "
            + "identity lacks MTurk permissions. Link the accounts at \(page) and give the identity the "
            + "AmazonMechanicalTurkFullAccess policy."
    }
}
