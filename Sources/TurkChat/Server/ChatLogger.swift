import Foundation
import Synchronization
import TurkModel

/// A small structured logger for serve-chat: one line per event, `level: message key=value ...`, keys sorted.
///
/// The default sink writes `serve-chat: <ISO 8601 UTC time> level: message ...` to stderr; tests pass a sink that
/// collects lines. Values that contain spaces or quotes are quoted, so a line always splits back into its fields.
public struct ChatLogger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, notice, warning, error

        public var name: String {
            switch self {
            case .debug: return "debug"
            case .info: return "info"
            case .notice: return "notice"
            case .warning: return "warning"
            case .error: return "error"
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var minimumLevel: Level
    private let sink: @Sendable (String) -> Void

    public init(minimumLevel: Level = .info, sink: @escaping @Sendable (String) -> Void) {
        self.minimumLevel = minimumLevel
        self.sink = sink
    }

    /// Returns a logger that writes each line to stderr with `prefix: ` and the UTC time in front, under a lock so
    /// lines never interleave.
    public static func standardError(prefix: String, minimumLevel: Level = .info) -> ChatLogger {
        ChatLogger(minimumLevel: minimumLevel) { line in
            writeToStandardError(stampedLine(prefix: prefix, line, at: Date()))
        }
    }

    /// Returns `prefix: 2026-05-01T12:00:00.250Z line`, the time in ISO 8601 UTC with milliseconds.
    static func stampedLine(prefix: String, _ line: String, at date: Date) -> String {
        "\(prefix): \(date.formatted(timestampStyle)) \(line)"
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// Writes one line to stderr under the lock that the stderr loggers share.
    static func writeToStandardError(_ line: String) {
        standardErrorLock.withLock { _ in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// A logger that drops every line.
    public static let discarding = ChatLogger(minimumLevel: .error) { _ in }

    public func log(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        var line = "\(level.name): \(message)"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(Self.quoted(metadata[key] ?? ""))"
        }
        sink(line)
    }

    public func debug(_ message: String, _ metadata: [String: String] = [:]) { log(.debug, message, metadata) }
    public func info(_ message: String, _ metadata: [String: String] = [:]) { log(.info, message, metadata) }
    public func notice(_ message: String, _ metadata: [String: String] = [:]) { log(.notice, message, metadata) }
    public func warning(_ message: String, _ metadata: [String: String] = [:]) { log(.warning, message, metadata) }
    public func error(_ message: String, _ metadata: [String: String] = [:]) { log(.error, message, metadata) }

    static func quoted(_ value: String) -> String {
        // Values come from workers and bots too. Their control characters would restyle a terminal that shows the
        // log, and a NUL makes grep treat the log as binary.
        let value = TerminalText.escape(value)
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        var escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
        escaped = escaped.replacingOccurrences(of: "\"", with: "\\\"")
        escaped = escaped.replacingOccurrences(of: "\n", with: "\\n")
        escaped = escaped.replacingOccurrences(of: "\r", with: "\\r")
        return "\"\(escaped)\""
    }
}

private let standardErrorLock = Mutex<Void>(())

/// A bounded counter for repeated warnings: `shouldLog` is true for the first `limit` events of a kind and then for
/// every `every`-th one, so a flood of bad frames cannot fill the log.
final class RepeatLimiter {
    private var counts: [String: Int] = [:]
    private let limit: Int
    private let every: Int

    init(limit: Int = 20, every: Int = 1000) {
        self.limit = limit
        self.every = every
    }

    /// Counts one event of `kind` and returns the running count when it should be logged, nil otherwise.
    func count(_ kind: String) -> Int? {
        let count = (counts[kind] ?? 0) + 1
        counts[kind] = count
        return count <= limit || count % every == 0 ? count : nil
    }
}
