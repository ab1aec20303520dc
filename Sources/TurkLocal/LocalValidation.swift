import Foundation
import TurkModel

#if canImport(FoundationXML)
import FoundationXML
#endif

// Input checks shared by the operations. Constraints written in the API model (id patterns, MaxResults 1 to 100,
// token lengths) fail with `ValidationException`, as AWS services report them. MTurk's own rules fail with
// `RequestError`.

enum LocalValidation {
    static func entityID(_ value: String, _ member: String) throws {
        guard MTurkID.isEntityID(value) else {
            throw LocalError.validation(
                value, at: member, "Member must satisfy regular expression pattern: ^[A-Z0-9]+$ "
                    + "and have length between 1 and 64")
        }
    }

    static func workerID(_ value: String, _ member: String = "workerId") throws {
        guard MTurkID.isWorkerID(value) else {
            throw LocalError.validation(
                value, at: member, "Member must satisfy regular expression pattern: ^A[A-Z0-9]+$ "
                    + "and have length between 1 and 64")
        }
    }

    static func requestToken(_ value: String?) throws {
        guard let value else { return }
        guard MTurkID.isRequestToken(value) else {
            throw LocalError.validation(value, at: "uniqueRequestToken", "Member must have length between 1 and 64")
        }
    }

    /// Returns the page size: `MaxResults` when given (1 to 100), else `defaultSize`.
    static func pageSize(_ maxResults: Int?, default defaultSize: Int = 10) throws -> Int {
        guard let maxResults else { return defaultSize }
        if maxResults < 1 {
            throw LocalError.validation(
                String(maxResults), at: "maxResults", "Member must have value greater than or equal to 1")
        }
        if maxResults > 100 {
            throw LocalError.validation(
                String(maxResults), at: "maxResults", "Member must have value less than or equal to 100")
        }
        return maxResults
    }

    /// Parses a `CurrencyAmount` (`^[0-9]+(\.)?[0-9]{0,2}$`).
    static func currency(_ value: String, _ member: String) throws -> USD {
        guard let amount = USD(mturkString: value) else {
            throw LocalError.validation(
                value, at: member, "Member must satisfy regular expression pattern: ^[0-9]+(\\.)?[0-9]{0,2}$")
        }
        return amount
    }

    /// Checks a text field against MTurk's length limit, counted in characters.
    static func length(_ value: String?, _ field: String, max: Int, required: Bool, _ now: Date) throws {
        let text = value ?? ""
        if required && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw LocalError.request("\(field) is required and must not be empty.", now)
        }
        if text.count > max {
            throw LocalError.request("\(field) must be at most \(max) characters; it has \(text.count).", now)
        }
    }

    /// Checks a number of seconds against an inclusive range.
    static func seconds(_ value: Int64, _ field: String, _ range: ClosedRange<Int64>, _ now: Date) throws {
        guard range.contains(value) else {
            throw LocalError.request(
                "\(field) must be from \(range.lowerBound) to \(range.upperBound) seconds; got \(value).", now)
        }
    }

    /// The root element names MTurk accepts in a HIT's `Question`.
    static let questionRoots: Set<String> = ["ExternalQuestion", "HTMLQuestion", "QuestionForm"]

    /// Checks a HIT's `Question`: at most 65,535 bytes of well-formed XML whose root is one of `questionRoots`.
    static func question(_ xml: String, _ now: Date) throws {
        let size = xml.utf8.count
        guard size <= 65_535 else {
            throw LocalError.request(
                "Question must be at most 65535 bytes; it has \(size).", now,
                turkErrorCode: "AWS.MechanicalTurk.XMLParseError")
        }
        let root = rootElementName(xml)
        guard let root, questionRoots.contains(root) else {
            let found = root.map { "its root element is <\($0)>" } ?? "it is not well-formed XML"
            throw LocalError.request(
                "Question must be an ExternalQuestion, HTMLQuestion or QuestionForm document, but \(found).", now,
                turkErrorCode: "AWS.MechanicalTurk.XMLParseError")
        }
    }

    /// Returns the local name of the root element of well-formed XML, or nil.
    static func rootElementName(_ xml: String) -> String? {
        guard !xml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        let delegate = RootElementRecorder()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = delegate
        guard parser.parse(), parser.parserError == nil else { return nil }
        return delegate.rootName
    }
}

/// Records the first element name that `XMLParser` reports.
private final class RootElementRecorder: NSObject, XMLParserDelegate {
    var rootName: String?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if rootName == nil {
            rootName = elementName.split(separator: ":").last.map(String.init) ?? elementName
        }
    }
}

/// `NextToken` values: the operation name and the last row's sequence number, base64-encoded, so a token from one
/// list operation is rejected by another.
enum PageToken {
    static func make(_ operation: String, after seq: Int64) -> String {
        Data("\(operation):\(seq)".utf8).base64EncodedString()
    }

    /// Returns the sequence number to start after: 0 for no token.
    static func parse(_ token: String?, _ operation: String, _ now: Date) throws -> Int64 {
        guard let token else { return 0 }
        guard (1...255).contains(token.utf8.count) else {
            throw LocalError.validation(token, at: "nextToken", "Member must have length between 1 and 255")
        }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
              text.hasPrefix(operation + ":"), let seq = Int64(text.dropFirst(operation.count + 1)), seq >= 0
        else {
            throw LocalError.request("NextToken '\(token)' is not a token that \(operation) returned.", now)
        }
        return seq
    }
}
