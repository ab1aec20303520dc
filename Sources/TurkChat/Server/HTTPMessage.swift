import Foundation

/// An HTTP request as serve-chat's routes see it: the method, the decoded path and query, the headers the routes
/// read, and the whole body (bounded by `ServerLimits.maxRequestBodyBytes`).
struct HTTPRequest: Sendable {
    var method: String
    var path: String
    /// Query parameters in order, with repeats kept, so a route can reject a parameter that appears twice.
    var query: [(name: String, value: String)]
    /// Header values by lower-case name.
    var headers: [String: String]
    var body: Data
    var remoteAddress: String
    var connectionID: UInt64

    /// Returns the only value of a query parameter, nil when it is missing, and throws when it appears twice.
    func uniqueQueryValue(_ name: String) throws(HTTPError) -> String? {
        let values = query.filter { $0.name == name }.map(\.value)
        guard values.count <= 1 else {
            throw HTTPError(status: 400, message: "The parameter \(name) appears \(values.count) times in the URL; "
                + "it must appear once.")
        }
        return values.first
    }

    /// Form fields of an `application/x-www-form-urlencoded` body, or of the query for a GET.
    var formFields: [(name: String, value: String)] {
        if method == "POST" {
            return parseFormEncoded(String(decoding: body, as: UTF8.self))
        }
        return query
    }

    /// Returns the header `name` (lower-case), or nil.
    func header(_ name: String) -> String? { headers[name] }
}

/// An error a route returns to the client: an HTTP status and a sentence that describes the problem.
struct HTTPError: Error, Sendable {
    var status: Int
    var message: String
}

/// An HTTP response: status, headers and a body that serve-chat writes in one go.
struct HTTPResponse: Sendable {
    var status: Int
    var contentType: String
    var headers: [(name: String, value: String)]
    var body: Data

    init(status: Int = 200, contentType: String, headers: [(name: String, value: String)] = [], body: Data) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    static func html(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/html; charset=utf-8", body: Data(text.utf8))
    }

    static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Data(text.utf8))
    }

    static func json<Value: Encodable>(_ value: Value, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return HTTPResponse(status: status, contentType: "application/json", body: body)
    }

    /// Returns a `303 See Other` to `location`, which the browser follows with a GET.
    static func redirect(to location: String) -> HTTPResponse {
        HTTPResponse(status: 303, contentType: "text/plain; charset=utf-8", headers: [("location", location)],
                     body: Data("See \(location)\n".utf8))
    }

    /// Returns a JSON error body `{"error": {"status": ..., "message": ...}}` for the `/api` routes.
    static func jsonError(_ error: HTTPError) -> HTTPResponse {
        .json(["error": JSONErrorBody(status: error.status, message: error.message)], status: error.status)
    }
}

private struct JSONErrorBody: Encodable {
    var status: Int
    var message: String
}

/// Headers sent with every response. The chat page runs inside MTurk's frame, so framing is allowed from MTurk's
/// worker sites and from this server, and from nowhere else. Scripts and styles come only from this server, so
/// text that a worker or bot wrote can never run as script even if a page forgot to escape it.
let securityHeaders: [(name: String, value: String)] = [
    ("content-security-policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; "
        + "form-action 'self' https://www.mturk.com https://workersandbox.mturk.com; "
        + "frame-ancestors 'self' https://www.mturk.com https://workersandbox.mturk.com"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
]

/// Parses `a=1&b=two+words&c=%2C` into decoded pairs, keeping order and repeats.
func parseFormEncoded(_ text: String) -> [(name: String, value: String)] {
    var fields: [(String, String)] = []
    for part in text.split(separator: "&", omittingEmptySubsequences: true) {
        let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = percentDecode(String(pieces[0]))
        let value = pieces.count > 1 ? percentDecode(String(pieces[1])) : ""
        fields.append((name, value))
    }
    return fields
}

/// Decodes `+` as a space and `%XX` escapes; an invalid escape is kept as it is.
func percentDecode(_ text: String) -> String {
    let plusFree = text.replacingOccurrences(of: "+", with: " ")
    return plusFree.removingPercentEncoding ?? plusFree
}

/// Encodes a query parameter value: everything but unreserved characters is percent-encoded.
func percentEncode(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// Returns whether every character of `text` may appear in an XML 1.0 document: no C0 control character other
/// than tab, newline and carriage return, and no U+FFFE or U+FFFF.
func isXMLText(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { scalar in
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return true
        case 0x00...0x1F, 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }
}

/// Escapes text for an HTML element body or a quoted attribute value.
func htmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}

/// Returns the standard reason phrase of an HTTP status code (RFC 9110 and, for 429 and 431, RFC 6585), or an
/// empty phrase for a code it does not list, which RFC 9112 allows.
func httpReasonPhrase(_ status: Int) -> String {
    switch status {
    case 100: return "Continue"
    case 101: return "Switching Protocols"
    case 200: return "OK"
    case 201: return "Created"
    case 202: return "Accepted"
    case 204: return "No Content"
    case 301: return "Moved Permanently"
    case 302: return "Found"
    case 303: return "See Other"
    case 304: return "Not Modified"
    case 307: return "Temporary Redirect"
    case 308: return "Permanent Redirect"
    case 400: return "Bad Request"
    case 401: return "Unauthorized"
    case 403: return "Forbidden"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 408: return "Request Timeout"
    case 409: return "Conflict"
    case 411: return "Length Required"
    case 413: return "Content Too Large"
    case 414: return "URI Too Long"
    case 415: return "Unsupported Media Type"
    case 422: return "Unprocessable Content"
    case 429: return "Too Many Requests"
    case 431: return "Request Header Fields Too Large"
    case 500: return "Internal Server Error"
    case 501: return "Not Implemented"
    case 502: return "Bad Gateway"
    case 503: return "Service Unavailable"
    case 504: return "Gateway Timeout"
    default: return ""
    }
}
