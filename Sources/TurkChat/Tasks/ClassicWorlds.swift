import Foundation

/// Model evaluator: a bot replies to a context from a real dialogue, and the worker rates the reply from 0 to 10.
final class ModelEvaluatorWorld: ConversationWorld {
    private let taskData: JSONValue
    private let botId: String
    private var response: String?
    private var finished = false

    init(taskData: JSONValue, botId: String) {
        self.taskData = taskData
        self.botId = botId
    }

    private var context: String { taskData["context"]?.stringValue ?? "" }

    private func worker(_ conversation: Conversation) -> String {
        conversation.members.first?.agentId ?? "Worker"
    }

    func start(_ conversation: Conversation) {
        conversation.send(text: "Context: " + context, data: ["context": .string(context)])
        conversation.requestMessage(from: botId)
    }

    func received(_ message: ChatMessage, in conversation: Conversation) {
        if message.senderAgentId == botId {
            guard response == nil else { return }
            response = message.text
            askForRating(conversation)
            return
        }
        guard !finished, let response, message.workerId != nil else { return }
        let text = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let rating = Int(text), (0...10).contains(rating) else {
            conversation.send(text: "Please send a whole number from 0 to 10.", to: [worker(conversation)])
            conversation.requestMessage(from: worker(conversation))
            return
        }
        finished = true
        conversation.setResult(.object([
            "pair_id": taskData["pair_id"] ?? .null, "context": .string(context), "response": .string(response),
            "bot": .string(botId), "rating": .number(Double(rating)),
        ]))
        conversation.send(text: "Thank you! Press Done to submit this HIT.", to: [worker(conversation)])
        conversation.finish()
    }

    private func askForRating(_ conversation: Conversation) {
        conversation.send(text: "How would you rate the reply above, from 0 (bad) to 10 (excellent)? Send a whole "
                          + "number.", to: [worker(conversation)], episodeDone: true)
        conversation.requestMessage(from: worker(conversation))
    }

    func restore(from messages: [ChatMessage], in conversation: Conversation) {
        response = messages.first { $0.senderAgentId == botId }?.text
        let ratings = messages.filter { $0.workerId != nil }
            .compactMap { Int($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .filter { (0...10).contains($0) }
        if response == nil {
            if messages.isEmpty { start(conversation) } else { conversation.requestMessage(from: botId) }
        } else if let rating = ratings.first, let response {
            finished = true
            conversation.setResult(.object([
                "pair_id": taskData["pair_id"] ?? .null, "context": .string(context), "response": .string(response),
                "bot": .string(botId), "rating": .number(Double(rating)),
            ]))
            conversation.finish()
        } else if messages.last?.senderAgentId == botId {
            askForRating(conversation)
        } else {
            conversation.requestMessage(from: worker(conversation))
        }
    }
}

/// Multi-agent dialog: the agents take turns in a fixed order (the person at serve-chat's terminal first, when
/// the task has one). When that person ends a message with the end marker (`[DONE]`), every other agent sends
/// one final message and the conversation ends. Without a local person, a worker's end marker ends it, and
/// `max_turns` (when above 0) ends it after that many messages.
final class MultiAgentDialogWorld: ConversationWorld {
    private let localHuman: String?
    private let endMarker: String
    private let maxTurns: Int
    private var order: [String] = []
    private var turn = 0
    /// Agents that still owe their final message, once the end marker was sent.
    private var finalTurns: [String]?

    init(settings: [String: JSONValue], localHuman: String?) {
        self.localHuman = localHuman
        endMarker = settings["end_marker"]?.stringValue ?? "[DONE]"
        maxTurns = settings["max_turns"]?.intValue ?? 0
    }

    private func setOrder(_ conversation: Conversation) {
        order = (localHuman.map { [$0] } ?? []) + conversation.members.map(\.agentId)
    }

    func start(_ conversation: Conversation) {
        setOrder(conversation)
        let ending = localHuman == nil
            ? "Any of you can end the conversation by ending a message with \(endMarker)."
            : "The conversation ends when \(localHuman!) ends a message with \(endMarker)."
        conversation.send(text: "You will take turns in this order: \(order.joined(separator: ", ")). \(ending)")
        conversation.requestMessage(from: order[0])
    }

    func received(_ message: ChatMessage, in conversation: Conversation) {
        advance(after: message, conversation, issueRequests: true)
    }

    private func advance(after message: ChatMessage, _ conversation: Conversation, issueRequests: Bool) {
        guard order.contains(message.senderAgentId) else { return }
        if var remaining = finalTurns {
            remaining.removeAll { $0 == message.senderAgentId }
            finalTurns = remaining
            if remaining.isEmpty {
                if issueRequests { conversation.finish() }
            } else if issueRequests {
                conversation.requestMessage(from: remaining[0])
            }
            return
        }
        turn += 1
        let mayEnd = localHuman == nil || message.senderAgentId == localHuman
        if mayEnd && message.text.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(endMarker) {
            let remaining = order.filter { $0 != message.senderAgentId }
            finalTurns = remaining
            guard issueRequests else { return }
            if remaining.isEmpty {
                conversation.finish()
            } else {
                conversation.send(text: "\(message.senderAgentId) ended the conversation. Please send one final "
                                  + "message.", to: remaining)
                conversation.requestMessage(from: remaining[0])
            }
            return
        }
        if maxTurns > 0 && turn >= maxTurns {
            if issueRequests { conversation.finish() }
            finalTurns = []
            return
        }
        if issueRequests { conversation.requestMessage(from: order[turn % order.count]) }
    }

    func restore(from messages: [ChatMessage], in conversation: Conversation) {
        setOrder(conversation)
        let spoken = messages.filter { order.contains($0.senderAgentId) && $0.senderAgentId != conversation.systemName }
        guard !messages.isEmpty else {
            start(conversation)
            return
        }
        for message in spoken { advance(after: message, conversation, issueRequests: false) }
        if let remaining = finalTurns {
            if remaining.isEmpty { conversation.finish() } else { conversation.requestMessage(from: remaining[0]) }
        } else {
            conversation.requestMessage(from: order[turn % order.count])
        }
    }
}

/// Deal or No Deal: two workers see the item counts and their own values, negotiate in turns, then each sends
/// a selection of what they take (`<selection> item0=1 item1=0 item2=2`). When both have chosen, the deal is
/// agreed if the selections add up to the counts. Each worker then scores the value of what they took, and 0
/// without agreement.
final class DealOrNoDealWorld: ConversationWorld {
    private let taskData: JSONValue
    private var turns = 0
    private var selections: [String: [Int]] = [:]
    private var order: [String] = []
    private var next = 0

    init(taskData: JSONValue) {
        self.taskData = taskData
    }

    private var counts: [Int] {
        if case .array(let items)? = taskData["counts"] { return items.compactMap(\.intValue) }
        return []
    }

    private func values(_ agentId: String) -> [Int] {
        if case .array(let items)? = taskData["values"]?[agentId] { return items.compactMap(\.intValue) }
        return []
    }

    func start(_ conversation: Conversation) {
        order = conversation.members.map(\.agentId)
        let names = NegotiationContexts.itemNames
        for agentId in order {
            let mine = values(agentId)
            let parts = names.indices.map { index in
                "\(counts[index]) \(names[index])\(counts[index] == 1 ? "" : "s") worth \(mine[index]) each to you"
            }
            conversation.send(
                text: "Negotiate with your partner how to split these items: \(parts.joined(separator: ", ")). "
                    + "Chat to agree, then enter what you take and press Deal Agreed (or No Agreement).",
                to: [agentId],
                data: ["items": .array(names.map { .string($0) }), "counts": .array(counts.map { .number(Double($0)) }),
                       "values": .array(mine.map { .number(Double($0)) })])
        }
        conversation.requestMessage(from: order[0])
    }

    /// Parses `<selection> item0=a item1=b item2=c`; nil when the text is not a selection.
    static func parseSelection(_ text: String, itemCount: Int) -> [Int]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("<selection>") else { return nil }
        var result = [Int](repeating: 0, count: itemCount)
        var seen = Set<Int>()
        for token in trimmed.dropFirst("<selection>".count).split(separator: " ") {
            let parts = token.split(separator: "=")
            guard parts.count == 2, parts[0].hasPrefix("item"), let index = Int(parts[0].dropFirst(4)),
                  (0..<itemCount).contains(index), let value = Int(parts[1]), value >= 0
            else { return nil }
            result[index] = value
            seen.insert(index)
        }
        return seen.count == itemCount ? result : nil
    }

    func received(_ message: ChatMessage, in conversation: Conversation) {
        apply(message, conversation, issueRequests: true)
    }

    private func apply(_ message: ChatMessage, _ conversation: Conversation, issueRequests: Bool) {
        guard order.contains(message.senderAgentId), selections[message.senderAgentId] == nil else { return }
        turns += 1
        if let selection = Self.parseSelection(message.text, itemCount: counts.count) {
            if turns <= 1 || zip(selection, counts).contains(where: { $0 > $1 }) {
                if issueRequests {
                    let reason = turns <= 1 ? "Talk with your partner before you choose."
                        : "You cannot take more items than there are."
                    conversation.send(text: reason, to: [message.senderAgentId])
                    conversation.requestMessage(from: message.senderAgentId)
                }
                return
            }
            selections[message.senderAgentId] = selection
        }
        let waiting = order.filter { selections[$0] == nil }
        if waiting.isEmpty {
            if issueRequests { finish(conversation) }
            return
        }
        // Turns alternate among the agents who have not chosen yet.
        let current = order.firstIndex(of: message.senderAgentId) ?? 0
        let nextAgent = (1...order.count).map { order[(current + $0) % order.count] }
            .first { selections[$0] == nil }!
        if issueRequests { conversation.requestMessage(from: nextAgent) }
        nextPending = nextAgent
    }

    private var nextPending: String?

    private func finish(_ conversation: Conversation) {
        let agreed = counts.indices.allSatisfy { index in
            order.map { selections[$0]?[index] ?? 0 }.reduce(0, +) == counts[index]
        }
        var scores: [String: JSONValue] = [:]
        for agentId in order {
            let taken = selections[agentId] ?? []
            let value = zip(taken, values(agentId)).map(*).reduce(0, +)
            scores[agentId] = .number(Double(agreed ? value : 0))
        }
        conversation.setResult(.object([
            "counts": .array(counts.map { .number(Double($0)) }),
            "values": taskData["values"] ?? .null,
            "selections": .object(selections.mapValues { .array($0.map { .number(Double($0)) }) }),
            "agreement": .bool(agreed), "scores": .object(scores),
        ]))
        for agentId in order {
            let score = scores[agentId]?.intValue ?? 0
            conversation.send(
                text: agreed ? "Deal agreed. You scored \(score) points. Press Done to submit."
                    : "No agreement: the selections do not add up to the items, so both of you score 0. Press Done "
                    + "to submit.",
                to: [agentId], data: ["agreement": .bool(agreed), "score": .number(Double(score))])
        }
        conversation.finish()
    }

    func restore(from messages: [ChatMessage], in conversation: Conversation) {
        order = conversation.members.map(\.agentId)
        guard !messages.isEmpty else {
            start(conversation)
            return
        }
        for message in messages where message.workerId != nil {
            apply(message, conversation, issueRequests: false)
        }
        if order.allSatisfy({ selections[$0] != nil }) {
            finish(conversation)
        } else {
            conversation.requestMessage(from: nextPending ?? order[0])
        }
    }
}

/// Qualification flow: a worker's first HIT of the task is a test of fixed addition questions with known answers;
/// later HITs ask random ones. A worker who fails the test gets the task's qualification, which the HITs require
/// not to exist, so they see no more of them. Replies are compared as trimmed text, so " 2 " passes for 1+1.
final class QualificationFlowWorld: ConversationWorld {
    static let testQuestions: [(question: String, answer: String)] = [
        ("1 + 1", "2"), ("3 + 2", "5"), ("6 + 6", "12"), ("5 - 3", "2"), ("6 * 4", "24"),
    ]

    private let passMark: Int
    private var questions: [(question: String, answer: String)] = []
    private var answers: [String] = []
    private var isTest = true

    init(settings: [String: JSONValue]) {
        passMark = settings["pass_mark"]?.intValue ?? Self.testQuestions.count
    }

    private func worker(_ conversation: Conversation) -> WorkerSession? { conversation.members.first?.session }

    func start(_ conversation: Conversation) {
        isTest = (worker(conversation)?.completedBefore ?? 0) == 0
        if isTest {
            questions = Self.testQuestions
        } else {
            questions = (0..<5).map { _ in
                let a = Int.random(in: 1...20)
                let b = Int.random(in: 3...16)
                return ("\(a) + \(b)", String(a + b))
            }
        }
        conversation.setResult(.object(["test": .bool(isTest), "questions": .array(questions.map { .string($0.0) })]))
        ask(conversation)
    }

    private func ask(_ conversation: Conversation) {
        guard let agentId = conversation.members.first?.agentId else { return }
        let question = questions[answers.count]
        conversation.send(text: "Question \(answers.count + 1) of \(questions.count): what is \(question.question)?",
                          to: [agentId], episodeDone: true, data: ["question": .string(question.question)])
        conversation.requestMessage(from: agentId)
    }

    func received(_ message: ChatMessage, in conversation: Conversation) {
        guard message.workerId != nil, answers.count < questions.count else { return }
        answers.append(message.text)
        if answers.count < questions.count {
            ask(conversation)
        } else {
            complete(conversation)
        }
    }

    private func complete(_ conversation: Conversation) {
        let correct = zip(questions, answers).filter {
            $0.0.answer == $0.1.trimmingCharacters(in: .whitespacesAndNewlines)
        }.count
        let passed = !isTest || correct >= passMark
        conversation.setResult(.object([
            "test": .bool(isTest), "questions": .array(questions.map { .string($0.question) }),
            "answers": .array(answers.map { .string($0) }), "correct": .number(Double(correct)),
            "passed": .bool(passed),
        ]))
        if let session = worker(conversation), !passed {
            conversation.engine.grantTaskQualification(session, reason: "failed the qualification test of "
                                                       + "\(conversation.run.task.definition.name)")
        }
        conversation.send(text: "Thank you for your answers! Press Done to submit this HIT.")
        conversation.finish()
    }

    func restore(from messages: [ChatMessage], in conversation: Conversation) {
        // The questions are in the stored messages; the test flag in the stored result is rebuilt from them.
        let asked = messages.compactMap { $0.data?["question"]?.stringValue }
        isTest = asked.first == Self.testQuestions[0].question
            && asked.count <= Self.testQuestions.count
            && zip(asked, Self.testQuestions).allSatisfy { $0 == $1.question }
        if asked.isEmpty {
            start(conversation)
            return
        }
        if isTest {
            questions = Self.testQuestions
        } else {
            questions = asked.map { question in
                let parts = question.split(separator: "+").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                return (question, String(parts.reduce(0, +)))
            }
            while questions.count < 5 {
                let a = Int.random(in: 1...20)
                let b = Int.random(in: 3...16)
                questions.append(("\(a) + \(b)", String(a + b)))
            }
        }
        answers = messages.filter { $0.workerId != nil }.map(\.text)
        if answers.count >= questions.count {
            complete(conversation)
        } else if answers.count < asked.count {
            conversation.requestMessage(from: conversation.members.first?.agentId ?? "Worker")
        } else {
            ask(conversation)
        }
    }
}
