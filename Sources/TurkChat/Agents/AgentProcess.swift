import Foundation
import Synchronization

/// A child process that speaks JSON Lines on its stdin and stdout: a bot that takes part in conversations, or an
/// external world that runs a task's rules. docs/agent-protocol.md describes the messages.
///
/// One process may serve many conversations at once; every line names its conversation. The process is started
/// lazily and lives until serve-chat stops (or, for a per-conversation process, until its conversation ends).
/// A process that exits, writes a line that is not a valid message, or does not answer in time is stopped, and
/// every conversation it serves ends with one log line each; the server itself carries on.
///
/// Lives on the service thread. Writes go through a serial queue, so a child that does not read its stdin never
/// blocks the service thread; lines from its stdout arrive through the core's inbox.
final class AgentProcess {
    let id: UInt64
    let name: String
    let command: [String]
    let workingDirectory: URL
    /// Seconds the process has to reply to an `act` or a world's `start` before it counts as hung.
    let timeoutSeconds: Double
    private unowned let core: ChatServerCore
    private var process: Process?
    private var input: FileHandle?
    private let writeQueue: DispatchQueue
    private(set) var isFailed = false
    /// Handlers of the conversations this process serves, by conversation id.
    private var handlers: [String: AgentProcessClient] = [:]
    /// Timers of requests that wait for a reply, by conversation id.
    private var deadlines: [String: UInt64] = [:]

    /// Largest line a process may write; a longer one counts as garbage.
    static let maxLineBytes = 1 << 20

    init(id: UInt64, name: String, command: [String], workingDirectory: URL, timeoutSeconds: Double,
         core: ChatServerCore) {
        self.id = id
        self.name = name
        self.command = command
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
        self.core = core
        writeQueue = DispatchQueue(label: "turkchat.agent-process.\(id)")
    }

    var conversationCount: Int { handlers.count }

    // MARK: - Starting

    /// Starts the process if it is not running. Throws when the command cannot be started.
    func startIfNeeded() throws {
        guard process == nil, !isFailed else { return }
        guard let executable = command.first else { throw ChatServerError("\(name): the command is empty") }
        let process = Process()
        process.executableURL = resolveExecutable(executable)
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = workingDirectory
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw ChatServerError("\(name): cannot start \(command.joined(separator: " ")): "
                                  + error.localizedDescription)
        }
        self.process = process
        input = stdinPipe.fileHandleForWriting
        core.logger.info("started agent process", ["name": name, "pid": String(process.processIdentifier),
                                                   "command": command.joined(separator: " ")])
        startReader(stdoutPipe.fileHandleForReading)
    }

    private func resolveExecutable(_ executable: String) -> URL {
        if executable.contains("/") {
            return URL(fileURLWithPath: executable, relativeTo: workingDirectory).standardizedFileURL
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(executable)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: executable)
    }

    /// Reads stdout on a thread of its own and posts each complete line to the service thread.
    private func startReader(_ handle: FileHandle) {
        let inbox = core.inbox
        let processId = id
        let maxLine = Self.maxLineBytes
        let thread = Thread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    inbox.post { core in core.agentProcesses.process(processId)?.receive(line) }
                }
                if buffer.count > maxLine {
                    inbox.post { core in
                        core.agentProcesses.process(processId)?.fail("wrote a line longer than \(maxLine) bytes")
                    }
                    return
                }
            }
            inbox.post { core in core.agentProcesses.process(processId)?.exited() }
        }
        thread.name = "turkchat agent reader \(name)"
        thread.start()
    }

    // MARK: - Conversations

    func attach(_ conversationId: String, _ client: AgentProcessClient) {
        handlers[conversationId] = client
    }

    func detach(_ conversationId: String) {
        handlers[conversationId] = nil
        clearDeadline(conversationId)
    }

    /// Writes one JSON message as a line. Does nothing once the process failed.
    func send(_ message: [String: JSONValue]) {
        guard !isFailed, let input else { return }
        let line = Data((JSONValue.object(message).jsonText + "\n").utf8)
        let inbox = core.inbox
        let processId = id
        writeQueue.async {
            do {
                try input.write(contentsOf: line)
            } catch {
                inbox.post { core in core.agentProcesses.process(processId)?.fail("stopped reading its input") }
            }
        }
    }

    /// Starts the timer for an answer in `conversationId`.
    func expectAnswer(_ conversationId: String) {
        clearDeadline(conversationId)
        deadlines[conversationId] = core.transport.schedule(after: timeoutSeconds) { [weak self] in
            guard let self else { return }
            self.deadlines[conversationId] = nil
            self.fail("did not answer within \(Int(self.timeoutSeconds)) s in conversation \(conversationId)")
        }
    }

    func clearDeadline(_ conversationId: String) {
        if let timer = deadlines.removeValue(forKey: conversationId) { core.transport.cancelTimer(timer) }
    }

    // MARK: - Input from the process

    private func receive(_ line: String) {
        guard !isFailed else { return }
        if line.trimmingCharacters(in: .whitespaces).isEmpty { return }
        guard case .object(let message)? = JSONValue.parse(line) else {
            fail("wrote a line that is not a JSON object: \(line.prefix(120))")
            return
        }
        if message["type"]?.stringValue == "log" {
            core.logger.info("agent process says", ["name": name, "text": message["text"]?.stringValue ?? ""])
            return
        }
        guard let conversationId = message["conversation"]?.stringValue else {
            fail("wrote a message without a \"conversation\" string: \(line.prefix(120))")
            return
        }
        guard let handler = handlers[conversationId] else {
            core.logger.warning("agent process wrote for a conversation it does not serve; ignored",
                                ["name": name, "conversation": conversationId])
            return
        }
        do {
            try handler.handle(message, from: self)
        } catch {
            fail("wrote an invalid message: \(error)")
        }
    }

    private func exited() {
        guard !isFailed else { return }
        // stdout closed; the process has usually exited, but do not wait for it on the service thread.
        let status = process.map { $0.isRunning ? "unknown (still running)" : String($0.terminationStatus) }
        fail("exited (status \(status ?? "unknown"))")
    }

    /// Stops the process and ends every conversation it serves, each with one log line.
    func fail(_ reason: String) {
        guard !isFailed else { return }
        isFailed = true
        core.logger.error("agent process failed; ending its conversations",
                          ["name": name, "reason": reason, "conversations": String(handlers.count)])
        terminate()
        let served = handlers
        handlers.removeAll()
        for (conversationId, handler) in served {
            clearDeadline(conversationId)
            handler.processFailed(reason: "\(name) \(reason)")
        }
        core.agentProcesses.remove(self)
    }

    /// Closes the process's input and stops it.
    func terminate() {
        try? input?.close()
        input = nil
        if let process, process.isRunning {
            process.terminate()
        }
    }
}

/// The side of one conversation that an agent process serves: a bot agent or an external world.
protocol AgentProcessClient: AnyObject {
    /// Handles one message from the process for this conversation. Throws for a message that breaks the protocol.
    func handle(_ message: [String: JSONValue], from process: AgentProcess) throws
    /// Ends the conversation because the process failed.
    func processFailed(reason: String)
}

/// A message from an agent process that breaks the protocol.
struct AgentProtocolError: Error, CustomStringConvertible {
    var description: String
}

/// The agent processes of a server, shared by command, or one per conversation.
final class AgentProcessPool {
    private unowned let core: ChatServerCore
    private var byID: [UInt64: AgentProcess] = [:]
    private var shared: [String: AgentProcess] = [:]
    private var nextID: UInt64 = 1

    init(core: ChatServerCore) {
        self.core = core
    }

    func process(_ id: UInt64) -> AgentProcess? { byID[id] }

    /// Returns a running process for `command`: the shared one (started if needed), or a new one when
    /// `perConversation` is set.
    func acquire(name: String, command: [String], workingDirectory: URL, timeoutSeconds: Double,
                 perConversation: Bool) throws -> AgentProcess {
        let key = workingDirectory.path + "\u{0}" + command.joined(separator: "\u{0}")
        if !perConversation, let process = shared[key], !process.isFailed {
            return process
        }
        let process = AgentProcess(id: nextID, name: name, command: command, workingDirectory: workingDirectory,
                                   timeoutSeconds: timeoutSeconds, core: core)
        nextID += 1
        try process.startIfNeeded()
        byID[process.id] = process
        if !perConversation { shared[key] = process }
        return process
    }

    /// Stops a per-conversation process once its conversation ended.
    func release(_ process: AgentProcess, perConversation: Bool) {
        guard perConversation, process.conversationCount == 0 else { return }
        process.terminate()
        remove(process)
    }

    func remove(_ process: AgentProcess) {
        byID[process.id] = nil
        for (key, value) in shared where value === process { shared[key] = nil }
    }

    /// Stops every process, at shutdown.
    func terminateAll() {
        for process in byID.values { process.terminate() }
        byID.removeAll()
        shared.removeAll()
    }
}
