import Foundation

/// The rules of one conversation: an event-driven state machine that the engine calls on the service thread.
///
/// A world never blocks. It reacts to events by calling its conversation's actions (`send`, `requestMessage`,
/// `finish`); the conversation stores every message before anyone sees it and delivers messages and commands in
/// the order the world issued them.
protocol ConversationWorld: AnyObject {
    /// Starts the conversation once every agent is in it.
    func start(_ conversation: Conversation)
    /// Handles a stored message from a worker or a program agent.
    func received(_ message: ChatMessage, in conversation: Conversation)
    /// Rebuilds the world's state from the stored messages after a restart, then re-issues what it waits for.
    func restore(from messages: [ChatMessage], in conversation: Conversation)
}

/// An agent that is not a worker: a bot process or the person at serve-chat's terminal. Runs on the service
/// thread; a slow agent replies later through `Conversation.acceptAgentMessage`.
protocol ProgramAgent: AnyObject {
    var agentId: String { get }
    /// Shows the agent a stored message it may see.
    func observe(_ message: ChatMessage, conversation: Conversation)
    /// Asks the agent for its next message.
    func requestAction(conversation: Conversation)
    /// Tells the agent that the conversation ended.
    func conversationEnded(_ conversation: Conversation)
}

/// The data a task kind draws from.
enum TaskData: Sendable {
    case none
    case paragraphs([SQuADDataset.Paragraph])
    case dialoguePairs([DialoguePairs.Pair])
    case negotiations([NegotiationContexts.Context])
}

/// A task definition with its data loaded and its programs parsed, ready to start conversations. Immutable, so
/// it is shared freely.
final class PreparedTask: Sendable {
    let definition: TaskDefinition
    let data: TaskData
    /// The world program, for tasks whose rules run outside serve-chat.
    let world: ProgramSpec?
    /// Bot programs that join every conversation.
    let bots: [ProgramSpec]
    /// The agent id of the person at serve-chat's terminal, when the task has one.
    let localHuman: String?

    init(definition: TaskDefinition, data: TaskData, world: ProgramSpec?, bots: [ProgramSpec], localHuman: String?) {
        self.definition = definition
        self.data = data
        self.world = world
        self.bots = bots
        self.localHuman = localHuman
    }

    /// Chooses what a new conversation shows, stored as its task data.
    func makeTaskData() -> JSONValue {
        switch data {
        case .paragraphs(let paragraphs):
            let paragraph = paragraphs.randomElement()!
            return .object([
                "paragraph_id": .string(paragraph.id), "title": .string(paragraph.title),
                "context": .string(paragraph.context), "data_file": .string(definition.dataFileRelativePath ?? ""),
            ])
        case .dialoguePairs(let pairs):
            let pair = pairs.randomElement()!
            return .object(["pair_id": .string(pair.id), "context": .string(pair.context)])
        case .negotiations(let contexts):
            return NegotiationContexts.taskData(contexts.randomElement()!, agentIds: definition.agentIds)
        case .none:
            return .object([:])
        }
    }

    /// Creates the world for a conversation with the given task data.
    func makeWorld(taskData: JSONValue, engine: ChatEngine) throws -> ConversationWorld {
        if let world {
            let process = try engine.core.agentProcesses.acquire(
                name: "\(definition.name) world", command: world.command, workingDirectory: definition.directory,
                timeoutSeconds: world.timeoutSeconds, perConversation: world.perConversation)
            return ExternalWorld(spec: world, process: process, pool: engine.core.agentProcesses)
        }
        switch definition.kind {
        case "qa_data_collection":
            return QADataCollectionWorld(taskData: taskData)
        case "model_evaluator":
            return ModelEvaluatorWorld(taskData: taskData, botId: bots.first?.agentId ?? "Model")
        case "multi_agent_dialog":
            return MultiAgentDialogWorld(settings: definition.settings, localHuman: localHuman)
        case "deal_or_no_deal":
            return DealOrNoDealWorld(taskData: taskData)
        case "qualification_flow":
            return QualificationFlowWorld(settings: definition.settings)
        default:
            throw ChatServerError("task kind \(definition.kind) has no built-in world; name one in settings.world")
        }
    }
}

/// Maps task kinds to their data loaders and worlds.
enum TaskRegistry {
    /// Loads and checks the task's data and programs. Throws an error naming the file and the problem.
    static func prepare(_ task: TaskDefinition) throws -> PreparedTask {
        let file = task.directory.appendingPathComponent(TaskDefinition.fileName).path
        func fail(_ message: String) -> TaskDefinitionError { TaskDefinitionError(file: file, message: message) }

        var world: ProgramSpec?
        if let value = task.settings["world"] {
            world = try ProgramSpec.parse(value, defaultAgentId: "world", file: file, key: "world")
        }
        var bots: [ProgramSpec] = []
        if let value = task.settings["bots"] {
            guard case .array(let items) = value else { throw fail("\"settings.bots\" must be an array") }
            bots = try items.enumerated().map { index, item in
                try ProgramSpec.parse(item, defaultAgentId: "Bot\(index + 1)", file: file, key: "bots[\(index)]")
            }
        }
        let ids = task.agentIds + bots.map(\.agentId)
        guard Set(ids).count == ids.count else { throw fail("bot agent ids must differ from each other and from "
                                                            + "\"agent_ids\"") }
        var localHuman: String?
        if let value = task.settings["local_human"] {
            guard let name = value.stringValue, !name.isEmpty, !ids.contains(name) else {
                throw fail("\"settings.local_human\" must be an agent id, such as \"human_1\", that no other agent "
                           + "uses")
            }
            localHuman = name
        }

        func requireData() throws -> URL {
            guard let dataFile = task.dataFile else {
                throw fail("the \(task.kind) task needs \"data_file\"")
            }
            return dataFile
        }
        let data: TaskData
        switch task.kind {
        case "qa_data_collection":
            guard task.agentIds.count == 1 else {
                throw fail("the qa_data_collection task has one worker per conversation; \"agent_ids\" must list "
                           + "exactly one role")
            }
            data = .paragraphs(try SQuADDataset.load(file: try requireData()).paragraphs)
        case "model_evaluator":
            guard task.agentIds.count == 1, bots.count == 1 || world != nil else {
                throw fail("the model_evaluator task has one worker and one bot in \"settings.bots\"")
            }
            data = .dialoguePairs(try DialoguePairs.load(file: try requireData()).pairs)
        case "multi_agent_dialog":
            data = .none
        case "deal_or_no_deal":
            guard task.agentIds.count == 2 else {
                throw fail("the deal_or_no_deal task has two workers; \"agent_ids\" must list two roles")
            }
            data = .negotiations(try NegotiationContexts.load(file: try requireData()).contexts)
        case "qualification_flow":
            guard task.agentIds.count == 1 else { throw fail("the qualification_flow task has one worker") }
            data = .none
        default:
            guard world != nil else {
                throw fail("unknown task kind \"\(task.kind)\" without a world program in \"settings.world\"")
            }
            data = .none
        }
        return PreparedTask(definition: task, data: data, world: world, bots: bots, localHuman: localHuman)
    }
}
