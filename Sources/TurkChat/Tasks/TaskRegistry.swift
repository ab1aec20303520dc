import Foundation

/// The rules of one conversation: an event-driven state machine that the engine calls on the service thread.
///
/// A world never blocks. It reacts to events by calling its conversation's actions (`send`, `requestMessage`,
/// `finish`); the conversation stores every message before anyone sees it and delivers messages and commands in
/// the order the world issued them.
protocol ConversationWorld: AnyObject {
    /// Starts the conversation once every agent is in it.
    func start(_ conversation: Conversation)
    /// Handles a stored message from a human agent.
    func received(_ message: ChatMessage, in conversation: Conversation)
    /// Rebuilds the world's state from the stored messages after a restart, then re-issues what it waits for.
    func restore(from messages: [ChatMessage], in conversation: Conversation)
}

/// A task definition with its data loaded, ready to start conversations. Immutable, so it is shared freely.
final class PreparedTask: Sendable {
    let definition: TaskDefinition
    private let paragraphs: [SQuADDataset.Paragraph]

    init(definition: TaskDefinition, paragraphs: [SQuADDataset.Paragraph]) {
        self.definition = definition
        self.paragraphs = paragraphs
    }

    /// Chooses what a new conversation shows, stored as its task data: for QA a random paragraph.
    func makeTaskData() -> JSONValue {
        switch definition.kind {
        case "qa_data_collection":
            let paragraph = paragraphs.randomElement()!
            return .object([
                "paragraph_id": .string(paragraph.id), "title": .string(paragraph.title),
                "context": .string(paragraph.context), "data_file": .string(definition.dataFile?.path ?? ""),
            ])
        default:
            return .object([:])
        }
    }

    /// Creates the world for a conversation with the given task data.
    func makeWorld(taskData: JSONValue) -> ConversationWorld {
        switch definition.kind {
        case "qa_data_collection":
            return QADataCollectionWorld(taskData: taskData)
        default:
            preconditionFailure("task kind \(definition.kind) passed validation but has no world")
        }
    }
}

/// Maps task kinds to their data loaders and worlds.
enum TaskRegistry {
    /// Loads and checks the task's data. Throws an error naming the file and the problem.
    static func prepare(_ task: TaskDefinition) throws -> PreparedTask {
        switch task.kind {
        case "qa_data_collection":
            guard let dataFile = task.dataFile else {
                throw TaskDefinitionError(
                    file: task.directory.appendingPathComponent(TaskDefinition.fileName).path,
                    message: "the qa_data_collection task needs \"data_file\": a SQuAD file in the nested layout")
            }
            guard task.agentIds.count == 1 else {
                throw TaskDefinitionError(
                    file: task.directory.appendingPathComponent(TaskDefinition.fileName).path,
                    message: "the qa_data_collection task has one worker per conversation; \"agent_ids\" must "
                        + "list exactly one role")
            }
            let dataset = try SQuADDataset.load(file: dataFile)
            return PreparedTask(definition: task, paragraphs: dataset.paragraphs)
        default:
            throw TaskDefinitionError(
                file: task.directory.appendingPathComponent(TaskDefinition.fileName).path,
                message: "unknown task kind \"\(task.kind)\"")
        }
    }
}
