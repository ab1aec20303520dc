import Foundation

/// Context and response pairs from a Reddit dialogue file: a JSON array of
/// `{"question": context, "answer": reply, "qSentId": ..., "aSentId": ...}` objects.
public struct DialoguePairs: Sendable {
    public struct Pair: Sendable, Equatable {
        /// `qSentId-aSentId` from the file, or the position when the ids are missing.
        public var id: String
        public var context: String
        public var response: String
    }

    public var pairs: [Pair]

    /// Reads and checks a pairs file. Throws `TaskDataError` naming the file and the place of the problem.
    public static func load(file: URL) throws -> DialoguePairs {
        let root = try readJSON(file)
        guard let items = root as? [Any] else {
            throw TaskDataError(file: file.path, location: nil, message: "the top level must be a JSON array of pairs")
        }
        var pairs: [Pair] = []
        for (index, item) in items.enumerated() {
            guard let object = item as? [String: Any], let context = object["question"] as? String,
                  let response = object["answer"] as? String
            else {
                throw TaskDataError(file: file.path, location: "[\(index)]",
                                    message: "expected an object with \"question\" and \"answer\" strings")
            }
            let trimmed = context.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            let id = [object["qSentId"], object["aSentId"]].compactMap { ($0 as? NSNumber)?.stringValue }
            pairs.append(Pair(id: id.count == 2 ? id.joined(separator: "-") : String(index), context: trimmed,
                              response: response))
        }
        guard !pairs.isEmpty else {
            throw TaskDataError(file: file.path, location: nil, message: "the file contains no pairs")
        }
        return DialoguePairs(pairs: pairs)
    }
}

/// Deal or No Deal games from the negotiator's `selfplay.txt`: two lines per game, one per side, each
/// `count value count value count value` for the three items (book, hat, ball). Both sides see the same counts
/// and their own values.
public struct NegotiationContexts: Sendable {
    public struct Context: Sendable, Equatable {
        /// The game's first line number in the file.
        public var line: Int
        public var counts: [Int]
        /// Each side's values, in file order.
        public var values: [[Int]]
    }

    public static let itemNames = ["book", "hat", "ball"]

    public var contexts: [Context]

    public static func load(file: URL) throws -> NegotiationContexts {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw TaskDataError(file: file.path, location: nil,
                                message: FileManager.default.fileExists(atPath: file.path)
                                    ? "the file cannot be read as UTF-8 text" : "the file does not exist")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !lines.isEmpty else { throw TaskDataError(file: file.path, location: nil, message: "the file is empty") }
        guard lines.count % 2 == 0 else {
            throw TaskDataError(file: file.path, location: nil,
                                message: "expected two lines per game, but the file has \(lines.count) lines")
        }
        func numbers(_ index: Int) throws -> [Int] {
            let values = lines[index].split(separator: " ").compactMap { Int($0) }
            guard values.count == 6, values.allSatisfy({ (0...10).contains($0) }) else {
                throw TaskDataError(file: file.path, location: "line \(index + 1)",
                                    message: "expected six numbers from 0 to 10: count value count value count value")
            }
            return values
        }
        var contexts: [Context] = []
        for index in stride(from: 0, to: lines.count, by: 2) {
            let first = try numbers(index)
            let second = try numbers(index + 1)
            let counts = [first[0], first[2], first[4]]
            guard counts == [second[0], second[2], second[4]] else {
                throw TaskDataError(file: file.path, location: "line \(index + 2)",
                                    message: "the item counts differ from the line before; both sides of a game "
                                        + "see the same counts")
            }
            contexts.append(Context(line: index + 1, counts: counts,
                                    values: [[first[1], first[3], first[5]], [second[1], second[3], second[5]]]))
        }
        return NegotiationContexts(contexts: contexts)
    }

    /// Returns the stored task data of one game: the counts, and each agent's values by agent id.
    static func taskData(_ context: Context, agentIds: [String]) -> JSONValue {
        var values: [String: JSONValue] = [:]
        for (index, agentId) in agentIds.enumerated() where index < context.values.count {
            values[agentId] = .array(context.values[index].map { .number(Double($0)) })
        }
        return .object([
            "line": .number(Double(context.line)),
            "items": .array(itemNames.map { .string($0) }),
            "counts": .array(context.counts.map { .number(Double($0)) }),
            "values": .object(values),
        ])
    }
}

/// A task data file that cannot be used.
public struct TaskDataError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var location: String?
    public var message: String

    public var description: String {
        if let location { return "\(file): at \(location): \(message)" }
        return "\(file): \(message)"
    }
}

private func readJSON(_ file: URL) throws -> Any {
    let data: Data
    do {
        data = try Data(contentsOf: file)
    } catch {
        throw TaskDataError(file: file.path, location: nil,
                            message: FileManager.default.fileExists(atPath: file.path)
                                ? "the file cannot be read" : "the file does not exist")
    }
    do {
        return try JSONSerialization.jsonObject(with: data)
    } catch {
        let detail = (error as NSError).userInfo["NSDebugDescription"] as? String ?? error.localizedDescription
        throw TaskDataError(file: file.path, location: nil, message: "invalid JSON: \(detail)")
    }
}
