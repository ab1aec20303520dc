import Foundation
import TurkModel

/// The terminal of the person who runs serve-chat, for tasks with a local human agent (multi-agent dialog).
public struct ChatConsole: Sendable {
    /// Shows one line to the person.
    public var write: @Sendable (String) -> Void
    /// Blocks until the person types a line; nil at the end of input.
    public var readLine: @Sendable () -> String?

    public init(write: @escaping @Sendable (String) -> Void, readLine: @escaping @Sendable () -> String?) {
        self.write = write
        self.readLine = readLine
    }

    /// The process's standard output and standard input.
    public static let standard = ChatConsole(
        write: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) },
        readLine: { Swift.readLine(strippingNewline: true) })
}

/// Shares the one console among the conversations that have a local human: requests for a line wait in order,
/// and one background read runs at a time.
final class ConsoleHub {
    private let console: ChatConsole
    private unowned let core: ChatServerCore
    private var queue: [(agent: ConsoleHumanAgent, conversation: Conversation)] = []
    private var reading = false
    private var inputEnded = false

    init(console: ChatConsole, core: ChatServerCore) {
        self.console = console
        self.core = core
    }

    func agent(id: String) -> ConsoleHumanAgent {
        ConsoleHumanAgent(agentId: id, hub: self)
    }

    func show(_ line: String) {
        console.write(line)
    }

    func requestLine(for agent: ConsoleHumanAgent, in conversation: Conversation) {
        queue.append((agent, conversation))
        pump()
    }

    func cancel(_ conversation: Conversation) {
        queue.removeAll { $0.conversation === conversation }
    }

    private func pump() {
        guard !reading, let next = queue.first else { return }
        if inputEnded {
            queue.removeFirst()
            next.conversation.fail(reason: "the console's input ended")
            pump()
            return
        }
        reading = true
        console.write("[\(next.conversation.id)] your turn as \(next.agent.agentId); type a message "
                      + "(end it with [DONE] to finish the conversation):")
        let console = self.console
        let inbox = core.inbox
        Thread.detachNewThread {
            let line = console.readLine()
            inbox.post { core in core.consoleAgent?.lineRead(line) }
        }
    }

    fileprivate func lineRead(_ line: String?) {
        reading = false
        guard !queue.isEmpty else { return }
        let (agent, conversation) = queue.removeFirst()
        if let line {
            if conversation.isOpen { conversation.acceptAgentMessage(from: agent.agentId, text: line) }
        } else {
            inputEnded = true
            conversation.fail(reason: "the console's input ended")
        }
        pump()
    }
}

/// The person at serve-chat's terminal, as an agent in a conversation.
final class ConsoleHumanAgent: ProgramAgent {
    let agentId: String
    private unowned let hub: ConsoleHub

    init(agentId: String, hub: ConsoleHub) {
        self.agentId = agentId
        self.hub = hub
    }

    func observe(_ message: ChatMessage, conversation: Conversation) {
        // Workers write this text: control characters are shown as escapes so they cannot restyle the terminal or
        // rewrite lines, and each further line is indented so it cannot pass for another agent's message.
        let text = TerminalText.escape(message.text).replacingOccurrences(of: "\n", with: "\n    ")
        hub.show("[\(conversation.id)] \(TerminalText.escape(message.senderAgentId)): \(text)")
    }

    func requestAction(conversation: Conversation) {
        hub.requestLine(for: self, in: conversation)
    }

    func conversationEnded(_ conversation: Conversation) {
        hub.cancel(conversation)
        hub.show("[\(conversation.id)] the conversation ended (\(conversation.status.rawValue))")
    }
}

/// A world that does nothing, for a conversation whose agents could not be set up; it fails right away.
final class InertWorld: ConversationWorld {
    func start(_ conversation: Conversation) {}
    func received(_ message: ChatMessage, in conversation: Conversation) {}
    func restore(from messages: [ChatMessage], in conversation: Conversation) {}
}
