import Foundation
import Synchronization
import Testing
import TurkStore
@testable import TurkChat

/// A serve-chat instance on 127.0.0.1 with a free port and a temporary state directory, run on its own thread.
final class RunningServer: Sendable {
    let server: ChatServer
    let url: URL
    let stateDirectory: StateDirectory
    let logLines: LogCollector
    private let state: ServerThreadState

    /// Starts a server and waits until it listens. `configure` may change the configuration first.
    init(
        stateDirectory: StateDirectory? = nil,
        configure: (inout ChatServerConfiguration) -> Void = { _ in }
    ) throws {
        let directory = try stateDirectory ?? StateDirectory(url: makeTemporaryDirectory())
        let collector = LogCollector()
        var configuration = ChatServerConfiguration(stateDirectory: directory)
        configuration.port = 0
        configuration.handlesSignals = false
        configuration.logger = ChatLogger(minimumLevel: .debug) { line in collector.append(line) }
        configure(&configuration)
        let server = ChatServer(configuration: configuration)
        let state = ServerThreadState()
        let thread = Thread {
            do {
                try server.run { url in state.started.withLock { $0 = .success(url) } }
            } catch {
                state.started.withLock { $0 = .failure(error) }
            }
            state.finished.withLock { $0 = true }
        }
        thread.stackSize = 8 << 20
        thread.start()
        let deadline = Date().addingTimeInterval(20)
        var outcome: Result<URL, any Error>?
        while outcome == nil && Date() < deadline {
            outcome = state.started.withLock { $0 }
            if outcome == nil { Thread.sleep(forTimeInterval: 0.01) }
        }
        guard let outcome else { throw ChatServerError("server did not start within 20 seconds") }
        self.server = server
        self.url = try outcome.get()
        self.stateDirectory = directory
        self.logLines = collector
        self.state = state
    }

    /// Stops the server and waits up to 10 seconds for `run` to return.
    func stop() {
        server.stop()
        let deadline = Date().addingTimeInterval(10)
        while !hasFinished && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    var hasFinished: Bool { state.finished.withLock { $0 } }
}

final class ServerThreadState: Sendable {
    let started = Mutex<Result<URL, any Error>?>(nil)
    let finished = Mutex(false)
}

/// Log lines collected from a server, for checks on what it logged.
final class LogCollector: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
        if ProcessInfo.processInfo.environment["TURKCHAT_TEST_LOG"] != nil {
            FileHandle.standardError.write(Data("server: \(line)\n".utf8))
        }
    }

    var all: [String] { lines.withLock { $0 } }

    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("turkchat-test-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs a command and returns its exit status, stdout and stderr. Fails the test after `timeout` seconds.
func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 60
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outputData = DataBox()
    let errorData = DataBox()
    let readers = DispatchGroup()
    for (pipe, sink) in [(output, outputData), (errors, errorData)] {
        readers.enter()
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            sink.data.withLock { $0 = data }
            readers.leave()
        }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.02)
    }
    if process.isRunning {
        process.terminate()
        Issue.record("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) seconds")
    }
    process.waitUntilExit()
    readers.wait()
    return (process.terminationStatus,
            String(decoding: outputData.data.withLock { $0 }, as: UTF8.self),
            String(decoding: errorData.data.withLock { $0 }, as: UTF8.self))
}

final class DataBox: Sendable {
    let data = Mutex(Data())
}

/// Work on a thread of its own. Tests use it instead of `Task.detached` for blocking work (running a client
/// process), so the blocking never occupies Swift's small shared task pool that the server's own tasks need.
final class BackgroundJob<Value: Sendable>: Sendable {
    private final class Box: Sendable {
        let result = Mutex<Result<Value, any Error>?>(nil)
    }

    private let box = Box()

    init(_ body: @escaping @Sendable () throws -> Value) {
        let box = self.box
        let thread = Thread {
            let outcome = Result { try body() }
            box.result.withLock { $0 = outcome }
        }
        thread.start()
    }

    /// Waits for the result, up to `timeout` seconds.
    func wait(timeout: Double = 120) throws -> Value {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let outcome = box.result.withLock({ $0 }) { return try outcome.get() }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw ChatServerError("background job did not finish within \(timeout) seconds")
    }
}
