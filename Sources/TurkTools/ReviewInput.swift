import Foundation
import TurkModel

/// A review decision for one assignment.
public enum ReviewAction: String, Sendable, Codable, Equatable {
    case approve
    case reject
    case skip

    /// Parses the spellings people and scripts use: `approve`, `approved`, `accept`, `a`; `reject`, `rejected`, `r`;
    /// `skip`, `s`. Case does not matter.
    public init?(spelling: String) {
        switch spelling.trimmingCharacters(in: .whitespaces).lowercased() {
        case "approve", "approved", "accept", "a": self = .approve
        case "reject", "rejected", "r": self = .reject
        case "skip", "skipped", "s": self = .skip
        default: return nil
        }
    }
}

/// One decision read from a decisions file.
public struct DecisionLine: Equatable, Sendable {
    public var assignmentId: String
    public var action: ReviewAction
    public var feedback: String?
    public var line: Int
}

/// A problem with one line of review input.
public struct ReviewInputProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var reason: String

    public var description: String { "\(source):\(line): \(reason)" }
}

/// Parsers for the ids and decisions that `review` takes on stdin or from a file.
public enum ReviewInput {
    /// Parses assignment ids: one per line, or JSON Lines objects with an `assignment_id` field (such as the output
    /// of `review --list --json`). Blank lines and lines starting with `#` are skipped. Repeated ids are kept once.
    public static func assignmentIds(from text: String, source: String) -> (ids: [String], problems: [ReviewInputProblem]) {
        var ids: [String] = []
        var seen: Set<String> = []
        var problems: [ReviewInputProblem] = []
        for (index, rawLine) in lines(of: text).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var id = line
            if line.hasPrefix("{") {
                guard case .object(let object) = parseJSON(line) else {
                    problems.append(ReviewInputProblem(source: source, line: lineNumber, reason: "invalid JSON"))
                    continue
                }
                guard let value = object["assignment_id"] as? String ?? object["AssignmentId"] as? String else {
                    problems.append(ReviewInputProblem(
                        source: source, line: lineNumber, reason: "the JSON object has no \"assignment_id\" string"))
                    continue
                }
                id = value.trimmingCharacters(in: .whitespaces)
            }
            guard MTurkID.isEntityID(id) else {
                problems.append(ReviewInputProblem(
                    source: source, line: lineNumber,
                    reason: "malformed assignment id '\(id)': expected upper-case letters and digits"))
                continue
            }
            if seen.insert(id).inserted { ids.append(id) }
        }
        return (ids, problems)
    }

    /// Parses decisions: JSON Lines objects with `assignment_id`, `decision` (`approve`, `reject` or `skip`) and
    /// `feedback` (required for `reject`, because MTurk shows workers the reason). Blank lines and lines starting with
    /// `#` are skipped. A second decision for the same assignment is a problem, because the intent is unclear.
    public static func decisions(from text: String, source: String)
        -> (decisions: [DecisionLine], problems: [ReviewInputProblem])
    {
        var decisions: [DecisionLine] = []
        var problems: [ReviewInputProblem] = []
        var firstLine: [String: Int] = [:]
        for (index, rawLine) in lines(of: text).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func problem(_ reason: String) {
                problems.append(ReviewInputProblem(source: source, line: lineNumber, reason: reason))
            }
            let example = #"{"assignment_id": "3ABC", "decision": "approve"}"#
            let object: [String: Any]
            switch parseJSON(line) {
            case .object(let parsed):
                object = parsed
            case .notObject(let kind):
                problem("the line is valid JSON but \(kind), not an object; each line must be an object such as "
                    + example)
                continue
            case .invalid:
                problem("invalid JSON; each line must be an object such as " + example)
                continue
            }
            guard let rawId = object["assignment_id"] as? String else {
                problem("missing \"assignment_id\"")
                continue
            }
            let id = rawId.trimmingCharacters(in: .whitespaces)
            guard MTurkID.isEntityID(id) else {
                problem("malformed assignment id '\(id)': expected upper-case letters and digits")
                continue
            }
            guard let rawDecision = object["decision"] as? String else {
                problem("missing \"decision\" for assignment \(id); use approve, reject or skip")
                continue
            }
            guard let action = ReviewAction(spelling: rawDecision) else {
                problem("invalid decision '\(rawDecision)' for assignment \(id); use approve, reject or skip")
                continue
            }
            var feedback: String? = nil
            if let value = object["feedback"] {
                guard let text = value as? String else {
                    problem("\"feedback\" for assignment \(id) must be a string")
                    continue
                }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                feedback = trimmed.isEmpty ? nil : trimmed
            }
            if action == .reject, feedback == nil {
                problem("rejecting assignment \(id) needs a \"feedback\" text; MTurk shows it to the worker")
                continue
            }
            if let first = firstLine[id] {
                problem("a second decision for assignment \(id) (the first is on line \(first))")
                continue
            }
            firstLine[id] = lineNumber
            decisions.append(DecisionLine(assignmentId: id, action: action, feedback: feedback, line: lineNumber))
        }
        return (decisions, problems)
    }

    private static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    }

    private enum ParsedLine {
        case object([String: Any])
        /// Valid JSON of another kind, such as `an array`.
        case notObject(String)
        case invalid
    }

    private static func parseJSON(_ line: String) -> ParsedLine {
        guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) else {
            return .invalid
        }
        switch value {
        case let object as [String: Any]: return .object(object)
        case is [Any]: return .notObject("an array")
        case is String: return .notObject("a string")
        case is NSNull: return .notObject("null")
        case is NSNumber: return .notObject("a number or a boolean")
        default: return .notObject("another kind of value")
        }
    }
}
