import Foundation
import TurkModel

// AWS Signature Version 4 for requests signed in the `Authorization` header, following the AWS General Reference
// pages "Create a canonical request", "Create a string to sign" and "Calculate the signature" (the
// `AWS4-HMAC-SHA256` algorithm). S3's exception, an unnormalised path, is not implemented.

/// One header of an HTTP request, in the order it was written. A name may repeat.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The parts of an HTTP request that SigV4 signs.
public struct SigV4Request: Sendable, Equatable {
    public var method: String
    /// The path as it is sent on the wire, percent-encoded where the URL needs it ("/" for MTurk).
    public var path: String
    /// The query string as sent, without the `?`; empty when there is none.
    public var query: String
    public var headers: [HTTPHeader]
    public var body: Data

    public init(method: String, path: String, query: String = "", headers: [HTTPHeader], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Returns the values of every header called `name` (compared without case), in order.
    public func headerValues(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return headers.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// Replaces every header called `name` with one header holding `value`.
    public mutating func setHeader(_ name: String, _ value: String) {
        removeHeader(name)
        headers.append(HTTPHeader(name, value))
    }

    public mutating func removeHeader(_ name: String) {
        let lowered = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lowered }
    }
}

/// A SigV4 signer for one set of credentials, one service and one region.
///
/// Each stage of the algorithm is its own function, so tests and the wire service's signature check can compare
/// every intermediate result. The time is always passed in; nothing here reads the clock.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public var credentials: AWSCredentials
    /// The signing name of the service, such as `mturk-requester`.
    public var service: String
    public var region: String

    public init(credentials: AWSCredentials, service: String, region: String) {
        self.credentials = credentials
        self.service = service
        self.region = region
    }

    /// Returns the credential scope, `YYYYMMDD/region/service/aws4_request`.
    public func credentialScope(date: Date) -> String {
        "\(AmzDate.dateStamp(date))/\(region)/\(service)/aws4_request"
    }

    /// Builds the canonical request: method, canonical URI, canonical query string, canonical headers, the list of
    /// signed headers and the hex SHA-256 of the body, one per line.
    ///
    /// - Parameter signedHeaders: lower-case names of the headers to sign; nil signs every header of the request.
    ///   A listed header that the request lacks is signed with an empty value, so the signature cannot match.
    public func canonicalRequest(_ request: SigV4Request, signedHeaders: [String]? = nil) -> String {
        let names = signedHeaders ?? Self.headerNames(of: request)
        let canonicalHeaders = names.map { name in
            let values = request.headerValues(name).map(Self.canonicalHeaderValue)
            return "\(name):\(values.joined(separator: ","))\n"
        }.joined()
        return [
            request.method.uppercased(),
            Self.canonicalURI(request.path),
            Self.canonicalQueryString(request.query),
            canonicalHeaders,
            names.joined(separator: ";"),
            hexString(sha256(request.body)),
        ].joined(separator: "\n")
    }

    /// Builds the string to sign: the algorithm, the request time, the credential scope and the hex SHA-256 of the
    /// canonical request.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        [
            Self.algorithm,
            AmzDate.format(date),
            credentialScope(date: date),
            hexString(sha256(Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")
    }

    /// Derives the signing key: an HMAC chain from `AWS4` + secret over the date stamp, region, service and
    /// `aws4_request`. The key is valid for one day, one region and one service.
    public func signingKey(date: Date) -> [UInt8] {
        let secret = Array(("AWS4" + credentials.secretAccessKey).utf8)
        let dateKey = hmacSHA256(key: secret, data: Array(AmzDate.dateStamp(date).utf8))
        let regionKey = hmacSHA256(key: dateKey, data: Array(region.utf8))
        let serviceKey = hmacSHA256(key: regionKey, data: Array(service.utf8))
        return hmacSHA256(key: serviceKey, data: Array("aws4_request".utf8))
    }

    /// Returns the signature: hex HMAC-SHA256 of the string to sign under the signing key.
    public func signature(stringToSign: String, date: Date) -> String {
        hexString(hmacSHA256(key: signingKey(date: date), data: Array(stringToSign.utf8)))
    }

    /// Returns the value of the `Authorization` header.
    public func authorizationHeader(signedHeaders: [String], signature: String, date: Date) -> String {
        "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(credentialScope(date: date)), "
            + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
    }

    /// Returns `request` signed at `date`: with `X-Amz-Date`, `X-Amz-Security-Token` when the credentials carry a
    /// session token, and `Authorization`. Every header of the request is signed, so add only headers that no
    /// proxy or HTTP library will change on the way.
    public func sign(_ request: SigV4Request, date: Date) -> SigV4Request {
        var signed = request
        signed.removeHeader("Authorization")
        signed.setHeader("X-Amz-Date", AmzDate.format(date))
        if let token = credentials.sessionToken {
            signed.setHeader("X-Amz-Security-Token", token)
        }
        let names = Self.headerNames(of: signed)
        let canonical = canonicalRequest(signed, signedHeaders: names)
        let signatureValue = signature(stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date)
        signed.headers.append(
            HTTPHeader("Authorization", authorizationHeader(signedHeaders: names, signature: signatureValue, date: date)))
        return signed
    }

    // MARK: - Canonical forms

    /// Returns the sorted, lower-case, distinct header names of a request.
    public static func headerNames(of request: SigV4Request) -> [String] {
        Array(Set(request.headers.map { $0.name.lowercased() })).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Trims a header value and turns each run of whitespace (including the line breaks of a folded header) into
    /// one space. The AWS suite applies this inside quotes too.
    static func canonicalHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Normalises the path (removes `.` and `..` segments and empty segments from repeated slashes) and
    /// percent-encodes it again. The wire path is already encoded once, so a `%` becomes `%25`: this is the
    /// "encode each segment twice" rule that every service except S3 uses.
    static func canonicalURI(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !segments.isEmpty { segments.removeLast() }
                continue
            }
            segments.append(segment)
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty {
            normalized += "/"
        }
        return uriEncode(normalized, keepSlash: true)
    }

    /// Decodes each `name=value` pair of the query, encodes it with SigV4's rules and sorts the pairs by name, then
    /// by value.
    static func canonicalQueryString(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs: [(String, String)] = query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = uriEncode(percentDecode(String(parts[0])), keepSlash: false)
            let value = parts.count > 1 ? uriEncode(percentDecode(String(parts[1])), keepSlash: false) : ""
            return (name, value)
        }
        return pairs.sorted { lhs, rhs in
            lhs.0 == rhs.0 ? lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8) : lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8)
        }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Percent-encodes every byte except the RFC 3986 unreserved characters (and `/` when `keepSlash` is set),
    /// with upper-case hex digits.
    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            let isUnreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if isUnreserved || (keepSlash && byte == 0x2F) {
                out.append(byte)
            } else {
                out += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes. A `%` that does not start a valid escape is kept as it is; `+` stays `+`.
    static func percentDecode(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x25, index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}

/// The ISO 8601 basic format of `X-Amz-Date` (`20150830T123600Z`, always UTC) and its date stamp (`20150830`).
public enum AmzDate {
    public static func format(_ date: Date) -> String {
        let parts = utcParts(date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    public static func dateStamp(_ date: Date) -> String {
        String(format(date).prefix(8))
    }

    /// Parses `YYYYMMDDTHHMMSSZ`; returns nil for any other form.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int32(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
              let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = timegm(&parts)
        // timegm normalises out-of-range days (February 31 becomes March 3), so a round trip rejects them.
        guard format(Date(timeIntervalSince1970: TimeInterval(seconds))) == text else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func utcParts(_ date: Date) -> tm {
        // Clamped to years 0001 to 9999, so a nonsense date cannot trap in the conversion to an integer.
        let clamped = min(max(date.timeIntervalSince1970, -62_135_596_800), 253_402_300_799)
        var seconds = time_t(clamped.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }
}
