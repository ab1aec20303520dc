import Foundation

/// A program that a task names: its command line, whether each conversation gets a process of its own, and how
/// long the program may take to reply.
struct ProgramSpec: Sendable, Equatable {
    var agentId: String
    var command: [String]
    var perConversation: Bool
    var timeoutSeconds: Double

    /// Reads `{"agent_id": ..., "command": [...], "per_conversation": false, "timeout_seconds": 30}`.
    static func parse(_ value: JSONValue, defaultAgentId: String, file: String, key: String) throws -> ProgramSpec {
        func fail(_ message: String) -> TaskDefinitionError {
            TaskDefinitionError(file: file, message: "\"settings.\(key)\": \(message)")
        }
        guard case .object(let object) = value else { throw fail("must be a JSON object") }
        guard case .array(let parts)? = object["command"], !parts.isEmpty,
              let command = Optional(parts.compactMap(\.stringValue)), command.count == parts.count
        else { throw fail("\"command\" must be a non-empty array of strings, such as [\"python3\", \"bot.py\"]") }
        let agentId = object["agent_id"]?.stringValue ?? defaultAgentId
        guard !agentId.isEmpty else { throw fail("\"agent_id\" must not be empty") }
        var timeout = 30.0
        if let value = object["timeout_seconds"] {
            guard case .number(let seconds) = value, seconds >= 1, seconds <= 3600 else {
                throw fail("invalid \"timeout_seconds\" \(value.jsonText): it must be a number of seconds from 1 to 3600")
            }
            timeout = seconds
        }
        return ProgramSpec(agentId: agentId, command: command,
                           perConversation: object["per_conversation"]?.boolValue ?? false, timeoutSeconds: timeout)
    }
}

/// A bot in a conversation, played by an agent process: it observes what it may see and acts when asked.
final class BotAgent: ProgramAgent, AgentProcessClient {
    let agentId: String
    private let process: AgentProcess
    private let spec: ProgramSpec
    private weak var conversation: Conversation?
    private let pool: AgentProcessPool

    init(spec: ProgramSpec, process: AgentProcess, conversation: Conversation, pool: AgentProcessPool) {
        agentId = spec.agentId
        self.spec = spec
        self.process = process
        self.conversation = conversation
        self.pool = pool
        process.attach(conversation.id, self)
    }

    func observe(_ message: ChatMessage, conversation: Conversation) {
        process.send(["type": .string("observe"), "conversation": .string(conversation.id),
                      "agent_id": .string(agentId), "message": agentMessage(message)])
    }

    func requestAction(conversation: Conversation) {
        process.send(["type": .string("act"), "conversation": .string(conversation.id), "agent_id": .string(agentId)])
        process.expectAnswer(conversation.id)
    }

    func conversationEnded(_ conversation: Conversation) {
        process.send(["type": .string("end"), "conversation": .string(conversation.id),
                      "agent_id": .string(agentId)])
        process.detach(conversation.id)
        pool.release(process, perConversation: spec.perConversation)
    }

    func handle(_ message: [String: JSONValue], from process: AgentProcess) throws {
        guard message["type"]?.stringValue == "action" else {
            throw AgentProtocolError(description: "a bot may only send \"action\" messages, not "
                                     + "\(message["type"]?.jsonText ?? "a message without a type")")
        }
        guard let text = message["text"]?.stringValue else {
            throw AgentProtocolError(description: "an action needs a \"text\" string")
        }
        guard let conversation else { return }
        process.clearDeadline(conversation.id)
        var data = message
        for key in ["type", "conversation", "agent_id", "id", "text", "episode_done"] { data[key] = nil }
        conversation.acceptAgentMessage(from: agentId, text: text,
                                        episodeDone: message["episode_done"]?.boolValue ?? false,
                                        data: data.isEmpty ? nil : data)
    }

    func processFailed(reason: String) {
        conversation?.fail(reason: reason)
    }
}

/// A task's world run by an agent process: serve-chat passes it the conversation's events and carries out the
/// commands it sends back.
final class ExternalWorld: ConversationWorld, AgentProcessClient {
    private let process: AgentProcess
    private let spec: ProgramSpec
    private weak var conversation: Conversation?
    private let pool: AgentProcessPool

    init(spec: ProgramSpec, process: AgentProcess, pool: AgentProcessPool) {
        self.spec = spec
        self.process = process
        self.pool = pool
    }

    private func attach(_ conversation: Conversation) {
        self.conversation = conversation
        process.attach(conversation.id, self)
    }

    func start(_ conversation: Conversation) {
        attach(conversation)
        process.send(["type": .string("start"), "conversation": .string(conversation.id),
                      "agents": .array(conversation.allAgentIds.map { .string($0) }),
                      "task_data": conversation.taskData])
        process.expectAnswer(conversation.id)
    }

    func received(_ message: ChatMessage, in conversation: Conversation) {
        process.send(["type": .string("message"), "conversation": .string(conversation.id),
                      "message": agentMessage(message)])
    }

    func restore(from messages: [ChatMessage], in conversation: Conversation) {
        attach(conversation)
        process.send(["type": .string("restore"), "conversation": .string(conversation.id),
                      "agents": .array(conversation.allAgentIds.map { .string($0) }),
                      "task_data": conversation.taskData, "messages": .array(messages.map(agentMessage))])
        process.expectAnswer(conversation.id)
    }

    func handle(_ message: [String: JSONValue], from process: AgentProcess) throws {
        guard let conversation else { return }
        process.clearDeadline(conversation.id)
        let recipients: [String]?
        if case .array(let items)? = message["to"] {
            recipients = items.compactMap(\.stringValue)
        } else {
            recipients = nil
        }
        switch message["type"]?.stringValue {
        case "send":
            guard let text = message["text"]?.stringValue else {
                throw AgentProtocolError(description: "\"send\" needs a \"text\" string")
            }
            var data: [String: JSONValue]?
            if case .object(let object)? = message["data"] { data = object }
            conversation.send(text: text, from: message["sender"]?.stringValue, to: recipients,
                              episodeDone: message["episode_done"]?.boolValue ?? false, data: data)
        case "request":
            guard let agentId = message["agent_id"]?.stringValue,
                  conversation.allAgentIds.contains(agentId) else {
                throw AgentProtocolError(description: "\"request\" needs the \"agent_id\" of an agent in the "
                                         + "conversation")
            }
            conversation.requestMessage(from: agentId)
        case "status":
            conversation.showStatus(message["text"]?.stringValue ?? "", to: recipients?.first)
        case "result":
            conversation.setResult(message["result"] ?? .null)
        case "done":
            if let result = message["result"] { conversation.setResult(result) }
            conversation.finish()
            process.detach(conversation.id)
            pool.release(process, perConversation: spec.perConversation)
        default:
            throw AgentProtocolError(description: "unknown world command \(message["type"]?.jsonText ?? "null")")
        }
    }

    func processFailed(reason: String) {
        conversation?.fail(reason: reason)
    }
}

/// Returns a stored message as agent processes receive it: the sender's agent id as `id`, the text,
/// `episode_done`, the sequence number, and the task fields at the top level.
func agentMessage(_ message: ChatMessage) -> JSONValue {
    var object: [String: JSONValue] = message.data ?? [:]
    object["id"] = .string(message.senderAgentId)
    object["text"] = .string(message.text)
    object["episode_done"] = .bool(message.episodeDone)
    object["seq"] = .number(Double(message.seq))
    if message.workerId != nil { object["from_worker"] = .bool(true) }
    return .object(object)
}
