import Foundation

/// A task directory's `task.json`: what create-hits puts in the HITs and what serve-chat runs.
///
/// ```json
/// {
///   "title": "Ask and answer a question about a paragraph",
///   "description": "Read a short paragraph, write a question about it, then answer your own question.",
///   "keywords": "chat,question,answer",
///   "reward": "0.50",
///   "assignment_duration_seconds": 1800,
///   "lifetime_seconds": 86400,
///   "auto_approval_delay_seconds": 259200,
///   "kind": "qa_data_collection",
///   "data_file": "data/squad-sample.json",
///   "agent_ids": ["Worker"],
///   "onboarding": false,
///   "settings": {}
/// }
/// ```
///
/// Paths in the file are relative to the task directory. Unknown keys are rejected, so a typo such as
/// `agent_id` is reported instead of silently ignored.
public struct TaskDefinition: Sendable, Equatable {
    /// The task directory's name, such as `qa_data_collection`.
    public var name: String
    /// The task directory, absolute.
    public var directory: URL
    public var title: String
    /// The HIT description that workers see in MTurk's list, and the default description pane of the page.
    public var description: String
    public var keywords: String?
    /// The reward per assignment in MTurk's form, such as `0.50`.
    public var reward: String
    public var assignmentDurationSeconds: Int
    public var lifetimeSeconds: Int
    public var autoApprovalDelaySeconds: Int
    /// The task kind, which selects the conversation world, such as `qa_data_collection`.
    public var kind: String
    /// The task's data file, absolute, if the task has one.
    public var dataFile: URL?
    /// The roles of the human workers in one conversation; its count is the number of workers a conversation
    /// needs.
    public var agentIds: [String]
    /// Whether a worker goes through the onboarding step before the waiting room.
    public var onboarding: Bool
    /// Seconds a worker may take to send a requested message before the assignment expires.
    public var idleTimeoutSeconds: Int
    /// Seconds a disconnected worker has to reconnect before the assignment counts as disconnected.
    public var reconnectGraceSeconds: Int
    /// Task-specific settings, as JSON.
    public var settings: [String: JSONValue]

    /// The data file's path relative to the task directory, such as `data/squad.json`, with `..` steps for a file
    /// outside it. Conversations store this form, so exports do not carry the requester's folders.
    public var dataFileRelativePath: String? {
        guard let dataFile else { return nil }
        let base = directory.standardizedFileURL.pathComponents
        let target = dataFile.standardizedFileURL.pathComponents
        var common = 0
        while common < min(base.count, target.count) && base[common] == target[common] { common += 1 }
        let steps = Array(repeating: "..", count: base.count - common) + target[common...]
        return steps.joined(separator: "/")
    }

    /// The file name every task directory has.
    public static let fileName = "task.json"
    /// The task kinds this build runs.
    public static let knownKinds: Set<String> = [
        "qa_data_collection", "model_evaluator", "multi_agent_dialog", "deal_or_no_deal", "qualification_flow",
        "external",
    ]

    /// Reads `task.json` from a task directory. Throws `TaskDefinitionError` naming the file and the problem.
    public static func load(directory: URL) throws -> TaskDefinition {
        let directory = directory.standardizedFileURL
        let file = directory.appendingPathComponent(fileName)
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw TaskDefinitionError(file: file.path, message: "cannot read the task file: it is missing or "
                                      + "unreadable; a task directory must contain \(fileName)")
        }
        let object: [String: JSONValue]
        do {
            guard case .object(let value) = try JSONDecoder().decode(JSONValue.self, from: data) else {
                throw TaskDefinitionError(file: file.path, message: "the file must contain one JSON object")
            }
            object = value
        } catch let error as TaskDefinitionError {
            throw error
        } catch {
            throw TaskDefinitionError(file: file.path, message: "invalid JSON: \(describeDecodingError(error))")
        }
        return try TaskDefinitionReader(file: file, directory: directory, object: object).read()
    }

    /// Checks everything serve-chat would check before running the task: `task.json`, and the data file of the
    /// task kind. create-hits calls this before creating HITs.
    public static func validate(directory: URL) throws -> TaskDefinition {
        let task = try load(directory: directory)
        _ = try TaskRegistry.prepare(task)
        return task
    }
}

/// A problem with a task directory.
public struct TaskDefinitionError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

private struct TaskDefinitionReader {
    let file: URL
    let directory: URL
    var object: [String: JSONValue]

    static let allowedKeys: Set<String> = [
        "title", "description", "keywords", "reward", "assignment_duration_seconds", "lifetime_seconds",
        "auto_approval_delay_seconds", "kind", "data_file", "agent_ids", "onboarding", "idle_timeout_seconds",
        "reconnect_grace_seconds", "settings",
    ]

    func fail(_ message: String) -> TaskDefinitionError {
        TaskDefinitionError(file: file.path, message: message)
    }

    func read() throws -> TaskDefinition {
        let unknown = Set(object.keys).subtracting(Self.allowedKeys).sorted()
        if !unknown.isEmpty {
            throw fail("unknown key \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); the allowed keys are "
                       + Self.allowedKeys.sorted().joined(separator: ", "))
        }
        let kind = try string("kind")
        guard TaskDefinition.knownKinds.contains(kind) else {
            throw fail("unknown task kind \"\(kind)\"; this version runs "
                       + TaskDefinition.knownKinds.sorted().joined(separator: ", "))
        }
        let reward = try string("reward")
        guard reward.range(of: #"^[0-9]+(\.[0-9]{1,2})?$"#, options: .regularExpression) != nil else {
            throw fail("invalid reward \"\(reward)\": write dollars with at most two decimals, such as \"0.50\"")
        }
        let agentIds = try stringArray("agent_ids")
        guard !agentIds.isEmpty, Set(agentIds).count == agentIds.count else {
            throw fail("\"agent_ids\" must list one or more distinct role names, such as [\"Worker\"]")
        }
        var dataFile: URL?
        if let path = try optionalString("data_file") {
            dataFile = path.hasPrefix("/")
                ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path).standardizedFileURL
        }
        var settings: [String: JSONValue] = [:]
        if let value = object["settings"] {
            guard case .object(let dictionary) = value else { throw fail("\"settings\" must be a JSON object") }
            settings = dictionary
        }
        return TaskDefinition(
            name: directory.lastPathComponent,
            directory: directory,
            title: try string("title"),
            description: try string("description"),
            keywords: try optionalString("keywords"),
            reward: reward,
            assignmentDurationSeconds: try integer("assignment_duration_seconds", default: 1800, range: 30...31_536_000),
            lifetimeSeconds: try integer("lifetime_seconds", default: 86_400, range: 30...31_536_000),
            autoApprovalDelaySeconds: try integer("auto_approval_delay_seconds", default: 259_200,
                                                  range: 0...2_592_000),
            kind: kind,
            dataFile: dataFile,
            agentIds: agentIds,
            onboarding: try bool("onboarding", default: false),
            idleTimeoutSeconds: try integer("idle_timeout_seconds", default: 600, range: 5...86_400),
            reconnectGraceSeconds: try integer("reconnect_grace_seconds", default: 30, range: 1...3_600),
            settings: settings)
    }

    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else { throw fail("missing \"\(key)\"") }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let text) = value, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail("\"\(key)\" must be a non-empty string")
        }
        return text
    }

    func stringArray(_ key: String) throws -> [String] {
        guard let value = object[key] else { throw fail("missing \"\(key)\"") }
        guard case .array(let items) = value else { throw fail("\"\(key)\" must be an array of strings") }
        return try items.map { item in
            guard case .string(let text) = item, !text.isEmpty else {
                throw fail("\"\(key)\" must be an array of non-empty strings")
            }
            return text
        }
    }

    func integer(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let value = object[key] else { return defaultValue }
        // The range is checked on the Double, because Int(number) traps for values outside Int's range (1e20).
        guard case .number(let number) = value, number == number.rounded(),
              number >= Double(range.lowerBound), number <= Double(range.upperBound)
        else {
            throw fail("invalid \"\(key)\" \(value.jsonText): it must be a whole number from \(range.lowerBound) to "
                       + "\(range.upperBound)")
        }
        return Int(number)
    }

    func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let value = object[key] else { return defaultValue }
        guard case .bool(let flag) = value else { throw fail("\"\(key)\" must be true or false") }
        return flag
    }
}

/// Describes a `DecodingError` in one sentence with its coding path.
func describeDecodingError(_ error: any Error) -> String {
    guard let decodingError = error as? DecodingError else { return String(describing: error) }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return keys.isEmpty ? "" : " at \(keys)"
    }
    switch decodingError {
    case .dataCorrupted(let context):
        let underlying = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
        return (underlying ?? context.debugDescription) + path(context)
    case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\"" + path(context)
    case .typeMismatch(_, let context): return context.debugDescription + path(context)
    case .valueNotFound(_, let context): return context.debugDescription + path(context)
    @unknown default: return String(describing: error)
    }
}
