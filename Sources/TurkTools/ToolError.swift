import Foundation

/// An error meant for the person running a tool: a message that names the value and what went wrong, and an
/// optional hint that says what to do next.
public struct ToolError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String {
        hint.map { "\(message)\nhint: \($0)" } ?? message
    }
}
