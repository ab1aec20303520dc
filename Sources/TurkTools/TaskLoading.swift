import Foundation
import TurkCLI
import TurkChat
import TurkModel

/// Reads a task directory through serve-chat's task loader, which also checks the task's data file, so bad data
/// fails before any HIT exists.
public enum TaskLoading {
    public static func load(directory path: String) throws -> TaskSummary {
        let url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ToolError("task directory \(url.path) not found",
                            hint: "pass --task with a folder that contains task.json, such as tasks/qa_data_collection")
        }
        let task: TaskDefinition
        do {
            task = try TaskDefinition.validate(directory: url)
        } catch {
            throw ToolError("invalid task: \(error)", hint: "fix the file named above; nothing was created")
        }
        return TaskSummary(
            name: task.name, directory: task.directory, kind: task.kind, title: task.title,
            description: task.description, keywords: task.keywords, reward: USD(mturkString: task.reward),
            assignmentDurationSeconds: task.assignmentDurationSeconds, lifetimeSeconds: task.lifetimeSeconds,
            autoApprovalDelaySeconds: task.autoApprovalDelaySeconds, agentIds: task.agentIds,
            exclusionQualification: exclusionQualification(of: task))
    }

    /// Returns the qualification that serve-chat grants to workers this task excludes: `settings.qualification_name`,
    /// or `<task>-failed-test` for the qualification flow, which is the name serve-chat uses then.
    static func exclusionQualification(of task: TaskDefinition) -> String? {
        if let name = task.settings["qualification_name"]?.stringValue, !name.isEmpty { return name }
        return task.kind == "qualification_flow" ? "\(task.name)-failed-test" : nil
    }
}
