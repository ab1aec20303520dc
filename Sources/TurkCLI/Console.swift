import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The terminal or pipes a tool talks to: data on standard output, diagnostics on standard error, and lines read
/// from standard input.
///
/// Every write is one whole line (or one prompt) handed to the sink at once and is not buffered, so tools that
/// are chained in a pipeline see each line as soon as it is written. A lock keeps lines from the two streams and
/// from concurrent tasks whole.
///
/// When the reader of standard output goes away (`create-hits | head -1`), later data lines are dropped and the
/// tool carries on. Stopping a batch half way would leave HITs or payments half done, which costs more than
/// lost output.
public final class Console: Sendable {
    /// The name that prefixes every diagnostic, such as `review`.
    public let toolName: String
    /// Whether standard input is a terminal, so a person can answer prompts.
    public let isInputTerminal: Bool
    /// Whether standard output is a terminal.
    public let isOutputTerminal: Bool
    /// Whether standard error is a terminal, so progress bars may be drawn there.
    public let isErrorTerminal: Bool

    private let output: any OutputSink
    private let errorOutput: any OutputSink
    private let input: any InputSource
    private let writeLock = Mutex(())

    public init(
        toolName: String, output: any OutputSink, errorOutput: any OutputSink, input: any InputSource,
        isInputTerminal: Bool, isOutputTerminal: Bool, isErrorTerminal: Bool
    ) {
        self.toolName = toolName
        self.output = output
        self.errorOutput = errorOutput
        self.input = input
        self.isInputTerminal = isInputTerminal
        self.isOutputTerminal = isOutputTerminal
        self.isErrorTerminal = isErrorTerminal
    }

    /// Returns a console on the process's standard streams, and ignores SIGPIPE so that a closed pipe becomes
    /// an EPIPE error on write instead of killing the process.
    public static func standard(toolName: String) -> Console {
        signal(SIGPIPE, SIG_IGN)
        return Console(
            toolName: toolName,
            output: FileDescriptorSink(fileDescriptor: STDOUT_FILENO),
            errorOutput: FileDescriptorSink(fileDescriptor: STDERR_FILENO),
            input: StandardInputSource(),
            isInputTerminal: isatty(STDIN_FILENO) != 0,
            isOutputTerminal: isatty(STDOUT_FILENO) != 0,
            isErrorTerminal: isatty(STDERR_FILENO) != 0)
    }

    /// Returns a console that records what a command writes and feeds it `input`, for tests.
    public static func capturing(
        toolName: String, input: String = "", isTerminal: Bool = false
    ) -> (console: Console, captured: CapturedOutput) {
        let captured = CapturedOutput()
        let console = Console(
            toolName: toolName, output: captured.standardOutputSink, errorOutput: captured.standardErrorSink,
            input: StringInputSource(input), isInputTerminal: isTerminal, isOutputTerminal: isTerminal,
            isErrorTerminal: isTerminal)
        return (console, captured)
    }

    // MARK: - Data on standard output

    /// Writes one line of data to standard output.
    public func write(_ line: String, terminator: String = "\n") {
        send(line + terminator, to: output)
    }

    /// Writes `value` as one line of JSON with sorted keys, ISO 8601 dates and unescaped slashes.
    /// - Throws: The encoder's error when the value cannot be encoded.
    public func writeJSON<Value: Encodable>(_ value: Value) throws {
        let data = try Self.jsonLine(value)
        send(String(decoding: data, as: UTF8.self) + "\n", to: output)
    }

    /// Encodes `value` as compact JSON with sorted keys, without the trailing newline.
    public static func jsonLine<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    /// Whether the reader of standard output has gone away, so long listings can stop early.
    public var isOutputClosed: Bool {
        output.isClosed
    }

    // MARK: - Diagnostics on standard error

    /// Writes `<tool>: message` to standard error.
    public func note(_ message: String) {
        send("\(toolName): \(message)\n", to: errorOutput)
    }

    /// Writes `<tool>: warning: message` to standard error.
    public func warning(_ message: String) {
        send("\(toolName): warning: \(message)\n", to: errorOutput)
    }

    /// Writes `<tool>: error: message` to standard error, then `hint: ...` on its own line when there is a hint.
    public func error(_ message: String, hint: String? = nil) {
        var text = "\(toolName): error: \(message)\n"
        if let hint { text += "hint: \(hint)\n" }
        send(text, to: errorOutput)
    }

    /// Writes text to standard error as it is, without a prefix or a newline: for progress bars that redraw
    /// their line with a carriage return.
    public func writeErrorText(_ text: String) {
        send(text, to: errorOutput)
    }

    // MARK: - Input

    /// Reads one line from standard input without its line ending, or nil at the end of input.
    /// When `prompt` is given, it is written to standard error first.
    public func readLine(prompt: String? = nil) -> String? {
        if let prompt { send(prompt, to: errorOutput) }
        return input.readLine()
    }

    /// Asks a yes-or-no question on standard error and returns whether the answer was yes.
    ///
    /// With `assumeYes` (the `--yes` option) it returns true without asking.
    /// - Throws: `ToolError` when standard input is not a terminal and `assumeYes` is false, because a reply
    ///   read from a pipe was not typed by a person.
    public func confirm(_ question: String, assumeYes: Bool) throws -> Bool {
        if assumeYes { return true }
        try requireTerminal(for: question)

        let answer = readLine(prompt: "\(question) [y/N] ")?.trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }

    /// Asks the person to type `expected` (an amount such as `12.50`, or a count) and returns whether they did.
    ///
    /// With `assumeYes` it returns true without asking.
    /// - Throws: `ToolError` when standard input is not a terminal and `assumeYes` is false.
    public func confirmByTyping(_ expected: String, prompt: String, assumeYes: Bool) throws -> Bool {
        if assumeYes { return true }
        try requireTerminal(for: prompt)

        let answer = readLine(prompt: "\(prompt) Type \(expected) to confirm: ")
        return answer?.trimmingCharacters(in: .whitespaces) == expected
    }

    private func requireTerminal(for question: String) throws {
        guard isInputTerminal else {
            throw ToolError(
                "cannot ask for confirmation because standard input is not a terminal: \(question)",
                hint: "pass --yes to confirm without a prompt")
        }
    }

    private func send(_ text: String, to sink: any OutputSink) {
        writeLock.withLock { _ in
            sink.write(Array(text.utf8))
        }
    }
}

// MARK: - Sinks and sources

/// A destination for a console's bytes.
public protocol OutputSink: Sendable {
    /// Writes all of `bytes`, or drops them once the reader has gone.
    func write(_ bytes: [UInt8])
    /// Whether the reader has gone away.
    var isClosed: Bool { get }
}

/// Where a console's input lines come from.
public protocol InputSource: Sendable {
    /// Returns the next line without its line ending, or nil at the end of input.
    func readLine() -> String?
}

/// Writes to a file descriptor with `write(2)`, retrying after interrupts and partial writes.
public final class FileDescriptorSink: OutputSink {
    private let fileDescriptor: Int32
    private let closed = Mutex(false)

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    public var isClosed: Bool {
        closed.withLock { $0 }
    }

    public func write(_ bytes: [UInt8]) {
        guard !isClosed else { return }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBufferPointer { buffer in
                #if canImport(Glibc)
                Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #else
                Darwin.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #endif
            }
            if written >= 0 {
                offset += written
            } else if errno == EINTR || errno == EAGAIN {
                continue
            } else {
                // EPIPE means the reader has gone. Any other error (EIO, ENOSPC) cannot be reported anywhere
                // better than this stream, so the sink stops writing either way.
                closed.withLock { $0 = true }
                return
            }
        }
    }
}

/// Collects bytes in memory.
public final class BufferSink: OutputSink {
    private let buffer = Mutex<[UInt8]>([])

    public init() {}

    public var isClosed: Bool { false }

    public func write(_ bytes: [UInt8]) {
        buffer.withLock { $0.append(contentsOf: bytes) }
    }

    /// Everything written so far, decoded as UTF-8.
    public var text: String {
        buffer.withLock { String(decoding: $0, as: UTF8.self) }
    }
}

/// The text a capturing console wrote to its two streams.
public final class CapturedOutput: Sendable {
    let standardOutputSink = BufferSink()
    let standardErrorSink = BufferSink()

    init() {}

    public var standardOutput: String { standardOutputSink.text }
    public var standardError: String { standardErrorSink.text }
}

/// Reads lines from the process's standard input.
public struct StandardInputSource: InputSource {
    public init() {}

    public func readLine() -> String? {
        // Strips "\n" and "\r\n" line endings.
        Swift.readLine(strippingNewline: true)
    }
}

/// Serves lines from a fixed string, for tests.
public final class StringInputSource: InputSource {
    private let remaining: Mutex<[String]>

    public init(_ text: String) {
        // Swift treats "\r\n" as one Character, so both line endings are matched as whole characters.
        let isLineEnd: (Character) -> Bool = { $0 == "\n" || $0 == "\r\n" }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: isLineEnd).map(String.init)
        // A final line ending does not start another line.
        if text.isEmpty || text.last.map(isLineEnd) == true { lines.removeLast() }
        remaining = Mutex(lines)
    }

    public func readLine() -> String? {
        remaining.withLock { lines in
            lines.isEmpty ? nil : lines.removeFirst()
        }
    }
}
