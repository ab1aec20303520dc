import Foundation
import TurkLocal
import TurkModel
import TurkStore

#if canImport(Glibc)
import Glibc
#endif

/// Runs the built executables against a temporary state directory.
final class ToolSandbox: @unchecked Sendable {
    let root: URL
    let stateDirectory: URL
    let taskDirectory: URL

    /// What a finished process returned and wrote.
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String

        var jsonLines: [[String: Any]] {
            standardOutput.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("turkchat-e2e-\(UUID().uuidString.prefix(8))", isDirectory: true)
        stateDirectory = root.appendingPathComponent("state", isDirectory: true)
        taskDirectory = root.appendingPathComponent("qa_task", isDirectory: true)
        try FileManager.default.createDirectory(
            at: taskDirectory.appendingPathComponent("data"), withIntermediateDirectories: true)
        let task: [String: Any] = [
            "title": "Ask and answer a question about a paragraph",
            "description": "Read a short paragraph, write a question about it, then answer it.",
            "reward": "0.50", "kind": "qa_data_collection", "data_file": "data/squad.json", "agent_ids": ["Worker"],
        ]
        try JSONSerialization.data(withJSONObject: task).write(to: taskDirectory.appendingPathComponent("task.json"))
        let squad: [String: Any] = [
            "version": "1.1",
            "data": [["title": "Paris", "paragraphs": [["context": "Paris is the capital of France.", "qas": []]]]],
        ]
        try JSONSerialization.data(withJSONObject: squad)
            .write(to: taskDirectory.appendingPathComponent("data/squad.json"))
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The folder with the built executables: next to the test bundle, or `.build/debug` of this package.
    static let binaryDirectory: URL = {
        let fileManager = FileManager.default
        var candidates: [URL] = []
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for candidate in candidates where fileManager.isExecutableFile(atPath: candidate.appendingPathComponent("create-hits").path) {
            return candidate
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["TURKCHAT_STATE_DIR"] = stateDirectory.path
        environment["HOME"] = root.path
        environment.removeValue(forKey: "TURKCHAT_TARGET")
        environment.removeValue(forKey: "TURKCHAT_TEST_CALL_DELAY_MS")
        return environment
    }

    /// Starts a tool with standard output and standard error going to files in the sandbox.
    func start(_ tool: String, _ arguments: [String], input: String? = nil, environment extra: [String: String] = [:])
        throws -> (process: Process, output: URL, error: URL)
    {
        let process = Process()
        process.executableURL = Self.binaryDirectory.appendingPathComponent(tool)
        process.arguments = arguments
        process.environment = environment.merging(extra) { $1 }
        let id = UUID().uuidString.prefix(8)
        let output = root.appendingPathComponent("\(tool)-\(id).out")
        let error = root.appendingPathComponent("\(tool)-\(id).err")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        FileManager.default.createFile(atPath: error.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        if let input {
            let inputFile = root.appendingPathComponent("\(tool)-\(id).in")
            try Data(input.utf8).write(to: inputFile)
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return (process, output, error)
    }

    /// Runs a tool to the end, with a 120-second limit.
    func run(_ tool: String, _ arguments: [String], input: String? = nil, environment extra: [String: String] = [:])
        async throws -> Result
    {
        let (process, output, error) = try start(tool, arguments, input: input, environment: extra)
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ProcessFailure("\(tool) \(arguments.joined(separator: " ")) did not finish within 120 s")
        }
        return Result(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: error, encoding: .utf8)) ?? "")
    }

    /// Starts a tool, waits until it has written `lines` lines to standard output, then kills it with SIGKILL.
    /// Returns what it wrote before dying.
    func killAfter(lines: Int, extraDelay: Double = 0, _ tool: String, _ arguments: [String],
                   environment extra: [String: String]) async throws -> String {
        let (process, output, _) = try start(tool, arguments, environment: extra)
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if text.filter({ $0 == "\n" }).count >= lines || !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        if extraDelay > 0 { try await Task.sleep(for: .seconds(extraDelay)) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return (try? String(contentsOf: output, encoding: .utf8)) ?? text
    }

    func marketplace() throws -> LocalMarketplace {
        try LocalMarketplace(stateDirectory: StateDirectory(url: stateDirectory), environment: [:])
    }

    func runStore() throws -> RunStore {
        try RunStore(stateDirectory: StateDirectory(url: stateDirectory))
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
