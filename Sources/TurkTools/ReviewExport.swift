import Foundation
import TurkCLI

/// Writes conversations as JSON Lines in ParlAI's Conversations layout (`parlai/utils/conversations.py`): one
/// object per line whose `dialog` is a list of turn pairs, each turn `{"id": <speaker>, "text": ...}`, plus
/// conversation-level fields. ParlAI puts context turns (here the task's data, such as a SQuAD paragraph) in
/// `context`, not in `dialog`.
public enum ConversationExport {
    /// Returns one JSON line per conversation, each ending in a line break. Conversations appear once even when
    /// several assignments share them, in the order of their first assignment.
    public static func jsonLines(for items: [ReviewItem]) throws -> String {
        var order: [String] = []
        var conversations: [String: ReviewConversation] = [:]
        var workers: [String: [[String: Any]]] = [:]
        for item in items {
            guard let conversation = item.conversation else { continue }
            if conversations[conversation.id] == nil {
                order.append(conversation.id)
                conversations[conversation.id] = conversation
            }
            var worker: [String: Any] = [
                "worker_id": item.workerId, "assignment_id": item.assignmentId, "hit_id": item.hitId,
                "status": item.status,
            ]
            if let agentId = item.agentId { worker["agent_id"] = agentId }
            workers[conversation.id, default: []].append(worker)
        }

        var output = ""
        for id in order {
            guard let conversation = conversations[id] else { continue }
            let object = try exportObject(conversation, workers: workers[id] ?? [])
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            output += String(decoding: data, as: UTF8.self) + "\n"
        }
        return output
    }

    static func exportObject(_ conversation: ReviewConversation, workers: [[String: Any]]) throws -> [String: Any] {
        var turns: [[String: Any]] = []
        for message in conversation.messages {
            var turn: [String: Any] = [
                "id": message.agentId, "text": message.text, "episode_done": message.episodeDone,
            ]
            if let workerId = message.workerId { turn["worker_id"] = workerId }
            if let assignmentId = message.assignmentId { turn["assignment_id"] = assignmentId }
            if let time = message.time { turn["timestamp"] = time.timeIntervalSince1970 }
            turns.append(turn)
        }
        // ParlAI groups the turns of one exchange (one parley) in a pair.
        var dialog: [[[String: Any]]] = []
        var index = 0
        while index < turns.count {
            dialog.append(Array(turns[index..<min(index + 2, turns.count)]))
            index += 2
        }

        var context: [[String: Any]] = []
        if let taskData = try parseJSON(conversation.taskDataJSON, field: "task data", conversation: conversation.id) {
            var turn: [String: Any] = ["id": "context", "task_data": taskData]
            if let text = contextText(taskData) { turn["text"] = text }
            context.append(turn)
        }

        var object: [String: Any] = [
            "conversation_id": conversation.id, "run_id": conversation.runId, "task": conversation.task,
            "status": conversation.status, "dialog": dialog, "context": context, "workers": workers,
        ]
        if let result = try parseJSON(conversation.resultJSON, field: "result", conversation: conversation.id) {
            object["result"] = result
        }
        if let startedAt = conversation.startedAt { object["started_at"] = startedAt.timeIntervalSince1970 }
        if let endedAt = conversation.endedAt { object["ended_at"] = endedAt.timeIntervalSince1970 }
        return object
    }

    /// Returns the text a person reads as the conversation's context: the `context`, `text` or `paragraph` field.
    static func contextText(_ taskData: Any) -> String? {
        guard let object = taskData as? [String: Any] else { return taskData as? String }
        for key in ["context", "text", "paragraph"] {
            if let text = object[key] as? String { return text }
        }
        return nil
    }

    private static func parseJSON(_ text: String?, field: String, conversation: String) throws -> Any? {
        guard let text, !text.isEmpty else { return nil }
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw ToolError("invalid JSON in the run store: the \(field) of conversation \(conversation) does not parse")
        }
    }
}
