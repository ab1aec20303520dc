import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP request as the MTurk client sends it.
public struct HTTPRequest: Sendable {
    public var url: URL
    public var method: String
    public var headers: [HTTPHeader]
    public var body: Data

    public init(url: URL, method: String, headers: [HTTPHeader], body: Data) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}

/// An HTTP response. Header names are stored in lower case.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

/// A failure to get any HTTP response: no connection, a timeout, a dropped connection.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The request was certainly not delivered (refused connection, unknown host), so repeating it is safe.
        case notConnected
        /// The request timed out; the server may or may not have acted on it.
        case timedOut
        /// The connection broke after the request may have been delivered.
        case connectionLost
        /// TLS failed, such as an untrusted certificate. Repeating will not help.
        case tls
        case other
    }

    public var kind: Kind
    public var url: URL
    public var message: String

    public init(kind: Kind, url: URL, message: String) {
        self.kind = kind
        self.url = url
        self.message = message
    }

    public var description: String {
        switch kind {
        case .notConnected: return "could not connect to \(url.absoluteString): \(message)"
        case .timedOut: return "request to \(url.absoluteString) timed out: \(message)"
        case .connectionLost: return "connection to \(url.absoluteString) was lost: \(message)"
        case .tls: return "TLS with \(url.absoluteString) failed: \(message)"
        case .other: return "request to \(url.absoluteString) failed: \(message)"
        }
    }
}

/// Sends one HTTP request and returns the response, or throws `TransportError` when there is none.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, timeout: TimeInterval) async throws -> HTTPResponse
}

/// The transport for sandbox, live and `--endpoint-url`: URLSession from FoundationNetworking (libcurl on Linux).
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequest, timeout: TimeInterval) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: timeout)
        urlRequest.httpMethod = request.method
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        urlRequest.httpBody = request.body

        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch let error as URLError {
            throw TransportError(kind: Self.kind(of: error), url: request.url, message: error.localizedDescription)
        } catch {
            throw TransportError(kind: .other, url: request.url, message: String(describing: error))
        }
        guard let http = response as? HTTPURLResponse else {
            throw TransportError(kind: .other, url: request.url, message: "the response is not an HTTP response")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String {
                headers[name.lowercased()] = value
            }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: data)
    }

    private static func kind(of error: URLError) -> TransportError.Kind {
        switch error.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return .notConnected
        case .timedOut:
            return .timedOut
        case .networkConnectionLost, .badServerResponse, .zeroByteResource:
            return .connectionLost
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
             .clientCertificateRequired:
            return .tls
        default:
            return .other
        }
    }
}
