import Foundation

/// A request of the MTurk Requester API: its operation name (the part after the target prefix in `X-Amz-Target`)
/// and the response it gets back.
public protocol MTurkOperation: Codable, Sendable {
    associatedtype Response: Codable, Sendable
    static var operationName: String { get }
}

/// The response of an operation that returns no fields (`{}` on the wire).
public struct EmptyResponse: Codable, Sendable, Equatable {
    public init() {}
}

/// The prefix of `X-Amz-Target` for API version 2017-01-17.
public let mturkTargetPrefix = "MTurkRequesterServiceV20170117"

/// JSON coders with MTurk's wire conventions: timestamps are epoch seconds as JSON numbers.
public enum MTurkJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }
}
