import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// MTurk's `ExternalQuestion`: a URL that MTurk shows to the worker in a frame.
public struct ExternalQuestion: Equatable, Sendable {
    public static let namespace =
        "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"

    public var externalURL: String
    public var frameHeight: Int

    public init(externalURL: String, frameHeight: Int = 650) {
        self.externalURL = externalURL
        self.frameHeight = frameHeight
    }

    /// The XML document for `CreateHITWithHITType`'s `Question` field.
    public var xml: String {
        "<ExternalQuestion xmlns=\"\(Self.namespace)\"><ExternalURL>\(xmlEscape(externalURL))</ExternalURL>"
            + "<FrameHeight>\(frameHeight)</FrameHeight></ExternalQuestion>"
    }

    /// Parses a `Question` field. Returns nil when it is not an ExternalQuestion (an HTMLQuestion, a
    /// QuestionForm, or text that is not well-formed XML).
    public init?(xml: String) {
        guard let root = parseXMLRoot(xml), root.localName == "ExternalQuestion",
              let url = root.elements(forLocalName: "ExternalURL", uri: Self.namespace).first?.stringValue
                ?? root.elements(forName: "ExternalURL").first?.stringValue
        else { return nil }
        let height = root.elements(forLocalName: "FrameHeight", uri: Self.namespace).first?.stringValue
            ?? root.elements(forName: "FrameHeight").first?.stringValue
        self.externalURL = url.trimmingCharacters(in: .whitespacesAndNewlines)
        self.frameHeight = height.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
    }
}

/// MTurk's `QuestionFormAnswers`: the `Answer` field of a submitted assignment. For an ExternalQuestion every
/// submitted form field except `assignmentId` becomes one answer with free text.
public struct QuestionFormAnswers: Equatable, Sendable {
    public static let namespace =
        "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"

    /// Answers in document order: question identifier and free text.
    public var answers: [(identifier: String, text: String)]

    public init(answers: [(identifier: String, text: String)]) {
        self.answers = answers
    }

    public static func == (lhs: QuestionFormAnswers, rhs: QuestionFormAnswers) -> Bool {
        lhs.answers.map { [$0.identifier, $0.text] } == rhs.answers.map { [$0.identifier, $0.text] }
    }

    public var xml: String {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
        text += "<QuestionFormAnswers xmlns=\"\(Self.namespace)\">"
        for answer in answers {
            text += "<Answer><QuestionIdentifier>\(xmlEscape(answer.identifier))</QuestionIdentifier>"
            text += "<FreeText>\(xmlEscape(answer.text))</FreeText></Answer>"
        }
        return text + "</QuestionFormAnswers>"
    }

    /// Returns the free text of the first answer with this identifier.
    public subscript(identifier: String) -> String? {
        answers.first { $0.identifier == identifier }?.text
    }

    /// Parses an `Answer` field, including documents labelled `encoding="ASCII"`. Returns nil when the text is not
    /// well-formed XML or its root is not `QuestionFormAnswers`.
    public init?(xml: String) {
        guard let root = parseXMLRoot(xml), root.localName == "QuestionFormAnswers" else { return nil }
        var answers: [(String, String)] = []
        for answer in root.children ?? [] {
            guard let element = answer as? XMLElement, element.localName == "Answer" else { continue }
            var identifier = ""
            var text = ""
            for child in element.children ?? [] {
                guard let field = child as? XMLElement else { continue }
                switch field.localName {
                case "QuestionIdentifier": identifier = field.stringValue ?? ""
                case "FreeText", "SelectionIdentifier", "OtherSelectionText": text = field.stringValue ?? ""
                default: break
                }
            }
            answers.append((identifier, text))
        }
        self.answers = answers
    }
}

/// Escapes text for an XML element body or attribute value.
public func xmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(character)
        }
    }
    return out
}

/// Parses XML strictly and returns the root element.
///
/// `XMLDocument` on Linux crashes on an empty string and silently repairs malformed XML, so the text is first
/// checked with `XMLParser`, which reports the error.
private func parseXMLRoot(_ text: String) -> XMLElement? {
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
    var data = Data(text.utf8)
    // libxml2 does not know the label "ASCII" that real MTurk answers carry; ASCII is a subset of UTF-8.
    if let range = text.range(of: "encoding=\"ASCII\"", options: .caseInsensitive),
       text.distance(from: text.startIndex, to: range.lowerBound) < 100 {
        data = Data(text.replacingCharacters(in: range, with: "encoding=\"UTF-8\"").utf8)
    }
    let parser = XMLParser(data: data)
    guard parser.parse(), parser.parserError == nil else { return nil }
    guard let document = try? XMLDocument(data: data, options: []) else { return nil }
    return document.rootElement()
}
