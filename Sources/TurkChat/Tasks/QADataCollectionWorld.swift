import Foundation

/// The QA data collection task: show a SQuAD paragraph, ask the worker for a question about it, then for the
/// answer, then let them submit. The paragraph, question and answer become the conversation's result.
final class QADataCollectionWorld: ConversationWorld {
    static let agentId = "Worker"

    private enum Step {
        case question
        case answer(question: String)
        case finished
    }

    private let taskData: JSONValue
    private var step = Step.question

    init(taskData: JSONValue) {
        self.taskData = taskData
    }

    private var context: String { taskData["context"]?.stringValue ?? "" }

    func start(_ conversation: Conversation) {
        var data: [String: JSONValue] = ["context": .string(context)]
        if let title = taskData["title"]?.stringValue { data["title"] = .string(title) }
        conversation.send(text: context + "\n\nPlease write a question that this paragraph answers.",
                          to: [agent(conversation)], data: data)
        conversation.requestMessage(from: agent(conversation))
    }

    func received(_ message: ChatMessage, in conversation: Conversation) {
        switch step {
        case .question:
            step = .answer(question: message.text)
            conversation.send(text: "Thank you. Now please write the answer to your question.",
                              to: [agent(conversation)], episodeDone: true)
            conversation.requestMessage(from: agent(conversation))
        case .answer(let question):
            step = .finished
            conversation.setResult(result(question: question, answer: message.text))
            conversation.send(text: "Thank you! Press Done to submit this HIT.", to: [agent(conversation)])
            conversation.finish()
        case .finished:
            break
        }
    }

    func restore(from messages: [ChatMessage], in conversation: Conversation) {
        let workerMessages = messages.filter { $0.workerId != nil }
        switch workerMessages.count {
        case 0:
            if messages.isEmpty {
                start(conversation)
            } else {
                conversation.requestMessage(from: agent(conversation))
            }
        case 1:
            step = .answer(question: workerMessages[0].text)
            if messages.last?.workerId != nil {
                conversation.send(text: "Thank you. Now please write the answer to your question.",
                                  to: [agent(conversation)], episodeDone: true)
            }
            conversation.requestMessage(from: agent(conversation))
        default:
            step = .finished
            conversation.setResult(result(question: workerMessages[0].text, answer: workerMessages[1].text))
            conversation.finish()
        }
    }

    private func agent(_ conversation: Conversation) -> String {
        conversation.members.first?.agentId ?? Self.agentId
    }

    private func result(question: String, answer: String) -> JSONValue {
        .object([
            "paragraph_id": taskData["paragraph_id"] ?? .null,
            "title": taskData["title"] ?? .null,
            "context": .string(context),
            "question": .string(question),
            "answer": .string(answer),
        ])
    }
}

/// Onboarding: a welcome message and one reply, which shows that the worker is at the keyboard.
final class OnboardingWorld: ConversationWorld {
    func start(_ conversation: Conversation) {
        conversation.send(text: Self.welcome(agents: conversation.run.agentIds.count))
        conversation.requestMessage(from: "onboarding")
    }

    /// Returns the welcome text for a task with `agents` workers per conversation, ending with the next step.
    static func welcome(agents: Int) -> String {
        let next = switch agents {
        case ...1: "the task starts"
        case 2: "you will wait for a partner"
        default: "you will wait for \(agents - 1) other workers"
        }
        return "Welcome! Send any message to show that you are here. Then \(next)."
    }

    func received(_ message: ChatMessage, in conversation: Conversation) {
        conversation.engine.onboardingFinished(conversation)
    }

    func restore(from messages: [ChatMessage], in conversation: Conversation) {
        if messages.contains(where: { $0.workerId != nil }) {
            conversation.engine.onboardingFinished(conversation)
        } else {
            conversation.requestMessage(from: "onboarding")
        }
    }
}
