import Foundation
import TurkModel
import TurkStore

/// The reason a run cannot be served.
struct RunLoadError: Error, Sendable {
    var message: String
    /// True when the run id is unknown, as opposed to a run whose task or data is broken.
    var isNotFound: Bool
}

/// Loads runs from the run store with their task directories and data, once per run, off the service thread.
final class RunLoader {
    private unowned let core: ChatServerCore
    private let storeWriter: StoreWriter
    private let taskSearchPaths: [URL]
    private let target: Target
    private(set) var loaded: [String: RunRuntime] = [:]
    private var waiting: [String: [(Result<RunRuntime, RunLoadError>) -> Void]] = [:]

    init(core: ChatServerCore, storeWriter: StoreWriter, taskSearchPaths: [URL], target: Target) {
        self.core = core
        self.storeWriter = storeWriter
        self.taskSearchPaths = taskSearchPaths
        self.target = target
    }

    /// Calls `completion` on the service thread with the loaded run. A run that failed to load is tried again on
    /// the next call, because create-hits may create it or its data may be fixed in the meantime.
    func withRun(_ id: String, completion: @escaping (Result<RunRuntime, RunLoadError>) -> Void) {
        if let run = loaded[id] {
            completion(.success(run))
            return
        }
        if waiting[id] != nil {
            waiting[id]!.append(completion)
            return
        }
        waiting[id] = [completion]
        let searchPaths = taskSearchPaths
        let target = self.target
        storeWriter.perform({ store in
            try Self.load(id: id, store: store, searchPaths: searchPaths, target: target)
        }) { [weak self] result in
            self?.finishLoading(id, result)
        }
    }

    /// Caches a run that was loaded synchronously (at start-up) and returns its runtime.
    func adopt(_ parts: LoadedRun) -> RunRuntime {
        if let run = loaded[parts.record.id] { return run }
        let run = RunRuntime(record: parts.record, config: parts.config, task: parts.task,
                             conversationsCounted: parts.conversationsCounted)
        loaded[parts.record.id] = run
        return run
    }

    private func finishLoading(_ id: String, _ result: Result<LoadedRun, any Error>) {
        let outcome: Result<RunRuntime, RunLoadError>
        switch result {
        case .success(let parts):
            let run = loaded[id] ?? RunRuntime(record: parts.record, config: parts.config, task: parts.task,
                                               conversationsCounted: parts.conversationsCounted)
            loaded[id] = run
            outcome = .success(run)
        case .failure(let error as RunLoadError):
            outcome = .failure(error)
        case .failure(let error):
            outcome = .failure(RunLoadError(message: String(describing: error), isNotFound: false))
        }
        if case .failure(let error) = outcome {
            // Every page and join of a broken run loads it again, so a worker who reloads repeats this line.
            if let count = core.transport.repeats.count("run-load-\(id)") {
                core.logger.error("cannot serve run", ["run": id, "error": error.message, "count": String(count)])
            }
        } else {
            core.logger.info("loaded run", ["run": id, "task": loaded[id]!.task.definition.name])
        }
        for completion in waiting.removeValue(forKey: id) ?? [] { completion(outcome) }
    }

    /// A run with its parts, read on the store queue.
    struct LoadedRun: Sendable {
        var record: RunRecord
        var config: RunConfig?
        var task: PreparedTask
        var conversationsCounted: Int
    }

    static func load(id: String, store: RunStore, searchPaths: [URL], target: Target) throws -> LoadedRun {
        guard let record = try store.run(id: id) else {
            throw RunLoadError(message: "run \(id) is not in the run store; check the run id, or the state "
                               + "directory serve-chat uses", isNotFound: true)
        }
        guard record.target == target else {
            throw RunLoadError(message: "run \(id) is for the \(record.target.rawValue) target but serve-chat "
                               + "serves \(target.rawValue)", isNotFound: true)
        }
        let directory = try resolveTaskDirectory(record, searchPaths: searchPaths)
        let prepared: PreparedTask
        do {
            prepared = try TaskRegistry.prepare(try TaskDefinition.load(directory: directory))
        } catch {
            throw RunLoadError(message: String(describing: error), isNotFound: false)
        }
        // "{}" is the run store's default for a run without a configuration, which sets no worker limits.
        var config: RunConfig?
        if !["", "{}"].contains(record.configJSON.trimmingCharacters(in: .whitespacesAndNewlines)) {
            do {
                config = try record.config(as: RunConfig.self)
            } catch {
                throw RunLoadError(message: "the configuration of run \(id) in the run store is invalid: "
                                   + describeDecodingError(error), isNotFound: false)
            }
        }
        let conversations = try store.conversations(run: id).filter { !$0.task.hasSuffix(":onboarding") }
        let counted = (config?.countComplete ?? false)
            ? conversations.filter { $0.status == .done }.count : conversations.count
        return LoadedRun(record: record, config: config, task: prepared, conversationsCounted: counted)
    }

    /// Returns the run's task directory: the stored path when it still exists, else a folder of the task's name in
    /// the search paths (the repository was moved, or serve-chat runs on another machine).
    static func resolveTaskDirectory(_ record: RunRecord, searchPaths: [URL]) throws -> URL {
        let stored = URL(fileURLWithPath: record.taskDirectory)
        if FileManager.default.fileExists(atPath: stored.appendingPathComponent(TaskDefinition.fileName).path) {
            return stored
        }
        let name = stored.lastPathComponent.isEmpty ? record.taskName : stored.lastPathComponent
        for base in searchPaths {
            // A search path is either a task directory itself or a folder of task directories.
            if base.lastPathComponent == name,
               FileManager.default.fileExists(atPath: base.appendingPathComponent(TaskDefinition.fileName).path) {
                return base
            }
            let candidate = base.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(TaskDefinition.fileName).path) {
                return candidate
            }
        }
        throw RunLoadError(
            message: "the task directory of run \(record.id) is missing: \(record.taskDirectory) has no "
                + "\(TaskDefinition.fileName), and no folder named \(name) was found in "
                + (searchPaths.isEmpty ? "the task search paths" : searchPaths.map(\.path).joined(separator: ", "))
                + "; pass --tasks-dir with the folder that holds it",
            isNotFound: false)
    }
}

/// Folders that hold the shipped task directories: `tasks/` next to the executable or in one of its parent
/// folders (a build in `.build/debug` of a checkout), so the built tools find them from any working directory.
func shippedTaskDirectories() -> [URL] {
    var found: [URL] = []
    var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        .deletingLastPathComponent()
    for _ in 0..<5 {
        let candidate = folder.appendingPathComponent("tasks")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
            found.append(candidate)
        }
        let parent = folder.deletingLastPathComponent()
        if parent.path == folder.path { break }
        folder = parent
    }
    return found
}
