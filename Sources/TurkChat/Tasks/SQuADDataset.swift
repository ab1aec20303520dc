import Foundation

/// The paragraphs of a SQuAD file in the original nested layout (v1.1 or v2.0):
/// `{"version": ..., "data": [{"title": ..., "paragraphs": [{"context": ..., "qas": [...]}]}]}`.
///
/// Only the paragraphs are read; the questions and answers in `qas` are not needed to collect new ones.
public struct SQuADDataset: Sendable {
    public struct Paragraph: Sendable, Equatable, Codable {
        /// Position in the file, `article.paragraph` from 0, such as `3.12`.
        public var id: String
        /// The article's title, such as `Super_Bowl_50`; empty when the article has none.
        public var title: String
        public var context: String
    }

    public var file: URL
    /// The file's `version` value as text, such as `1.1` or `v2.0`; empty when it has none.
    public var version: String
    public var paragraphs: [Paragraph]

    /// Reads and checks a SQuAD file. Throws `SQuADError` naming the file and where the problem is.
    public static func load(file: URL) throws(SQuADError) -> SQuADDataset {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: file.path)
            throw SQuADError(file: file.path, location: nil,
                             message: missing ? "the file does not exist" : "the file cannot be read")
        }
        guard !data.isEmpty else {
            throw SQuADError(file: file.path, location: nil, message: "the file is empty")
        }

        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw SQuADError(file: file.path, location: nil, message: "invalid JSON: \(jsonErrorText(error))")
        }
        return try parse(root, file: file)
    }

    private static func parse(_ root: Any, file: URL) throws(SQuADError) -> SQuADDataset {
        func fail(_ location: String?, _ message: String) -> SQuADError {
            SQuADError(file: file.path, location: location, message: message)
        }
        guard let object = root as? [String: Any] else {
            throw fail(nil, "the top level must be a JSON object with a \"data\" array")
        }
        guard let articles = object["data"] as? [Any] else {
            throw fail(nil, "missing the \"data\" array at the top level")
        }
        let version = (object["version"] as? String) ?? (object["version"] as? NSNumber)?.stringValue ?? ""

        var paragraphs: [Paragraph] = []
        for (articleIndex, articleValue) in articles.enumerated() {
            let articleLocation = "data[\(articleIndex)]"
            guard let article = articleValue as? [String: Any] else {
                throw fail(articleLocation, "expected an article object with \"title\" and \"paragraphs\"")
            }
            if article["paragraphs"] == nil && (article["context"] != nil || article["question"] != nil) {
                throw fail(articleLocation, "this is the flat layout (one question with its context per record, as "
                           + "exported by Hugging Face datasets); use the original nested SQuAD layout "
                           + "data[].paragraphs[].context, version 1.1 or 2.0")
            }
            guard let paragraphList = article["paragraphs"] as? [Any] else {
                throw fail(articleLocation, "missing the \"paragraphs\" array")
            }
            let title = article["title"] as? String ?? ""
            for (paragraphIndex, paragraphValue) in paragraphList.enumerated() {
                let location = "\(articleLocation).paragraphs[\(paragraphIndex)]"
                guard let paragraph = paragraphValue as? [String: Any] else {
                    throw fail(location, "expected a paragraph object with a \"context\" string")
                }
                guard let context = paragraph["context"] as? String else {
                    throw fail(location, "missing the \"context\" string")
                }
                let trimmed = context.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else {
                    throw fail(location + ".context", "the context is empty")
                }
                if let qas = paragraph["qas"], !(qas is [Any]) {
                    throw fail(location + ".qas", "\"qas\" must be an array")
                }
                paragraphs.append(Paragraph(id: "\(articleIndex).\(paragraphIndex)", title: title, context: trimmed))
            }
        }
        guard !paragraphs.isEmpty else {
            throw fail(nil, "the file contains no paragraphs")
        }
        return SQuADDataset(file: file, version: version, paragraphs: paragraphs)
    }
}

/// A SQuAD file that cannot be used, with the file, the place in it and the reason.
public struct SQuADError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    /// The place of the problem in the JSON, such as `data[3].paragraphs[2]`; nil for the whole file.
    public var location: String?
    public var message: String

    public var description: String {
        if let location { return "\(file): at \(location): \(message)" }
        return "\(file): \(message)"
    }
}

/// Returns the parser's own description of a JSON syntax error, which on Linux includes the line and column.
private func jsonErrorText(_ error: any Error) -> String {
    let nsError = error as NSError
    if let detail = nsError.userInfo["NSDebugDescription"] as? String { return detail }
    return nsError.localizedDescription
}
