import Foundation
import TurkModel

/// An invalid `--endpoint-url`.
public struct EndpointURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var value: String
    public var reason: String

    public var description: String {
        "invalid endpoint URL '\(value)': \(reason); write it as http(s)://HOST[:PORT], such as http://127.0.0.1:8080"
    }
}

/// The URL the MTurk client sends its requests to.
public enum MTurkEndpoint {
    /// MTurk signs for this region on both the sandbox and live endpoints.
    public static let region = "us-east-1"
    /// The SigV4 signing name of the MTurk Requester API.
    public static let signingName = "mturk-requester"

    /// Parses an `--endpoint-url` value: an http or https URL with a host, an optional port and no user name,
    /// password, query or fragment. A path is kept, as the AWS CLI keeps it.
    public static func parse(_ text: String) throws(EndpointURLError) -> URL {
        // The error may quote `text`, so a URL carrying a password is rejected before it is echoed.
        guard text.contains("://") else {
            throw EndpointURLError(value: text, reason: "it has no http:// or https:// scheme")
        }
        guard let components = URLComponents(string: text) else {
            throw EndpointURLError(value: text, reason: "it does not parse as a URL")
        }
        guard components.user == nil && components.password == nil else {
            throw EndpointURLError(value: "(hidden: it contains a user name or password)",
                                   reason: "credentials do not belong in the URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw EndpointURLError(value: text, reason: "the scheme must be http or https")
        }
        guard let host = components.host, !host.isEmpty else {
            throw EndpointURLError(value: text, reason: "it has no host")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw EndpointURLError(value: text, reason: "the port must be between 1 and 65535")
        }
        guard components.query == nil && components.fragment == nil else {
            throw EndpointURLError(value: text, reason: "it must not have a query or fragment")
        }
        guard let url = components.url else {
            throw EndpointURLError(value: text, reason: "it does not parse as a URL")
        }
        return url
    }

    /// Returns the endpoint for a target: `--endpoint-url` when given, else the target's MTurk endpoint. The local
    /// target has no default endpoint, so it needs `--endpoint-url` to go over the wire.
    public static func resolve(target: Target, endpointURL: String?) throws(EndpointURLError) -> URL {
        if let endpointURL {
            return try parse(endpointURL)
        }
        guard let url = target.defaultEndpoint else {
            throw EndpointURLError(
                value: "", reason: "the local target has no wire endpoint unless --endpoint-url names one")
        }
        return url
    }

    /// Returns the `Host` header value for `url`: the host, with the port unless the port is the scheme's default.
    static func hostHeader(for url: URL) -> String {
        var host = url.host ?? ""
        if host.contains(":") && !host.hasPrefix("[") {
            host = "[\(host)]"
        }
        guard let port = url.port else { return host }
        let scheme = url.scheme?.lowercased()
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) {
            return host
        }
        return "\(host):\(port)"
    }
}
