/// An error whose message is written for the person running the tool.
///
/// The runner prints `message` after `<tool>: error: ` and, when there is one, `hint` on the next line after
/// `hint: `. Any other error is printed through its description.
public protocol UserFacingError: Error {
    /// The failure and the value it concerns, in one or two sentences.
    var message: String { get }
    /// The next step for the user, or nil when the message already states it.
    var hint: String? { get }
}

extension UserFacingError {
    public var hint: String? { nil }
}

/// A failure with a message and an optional hint, for tools that have no more specific error type.
public struct ToolError: UserFacingError, Equatable, CustomStringConvertible {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message }
}

/// A command line that does not fit the tool's spec. The runner prints it with the usage line and exits with 64.
public struct UsageError: UserFacingError, Equatable, CustomStringConvertible {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message }
}

/// The status a tool exits with. Throw one from a command's body to end with that status and no message,
/// for example after a batch that reported its failed rows one by one.
public struct ExitCode: Error, Equatable, Sendable {
    public var rawValue: Int32

    public init(_ rawValue: Int32) {
        self.rawValue = rawValue
    }

    public static let success = ExitCode(0)
    /// Any failure: a marketplace error, a bad input file, a rejected confirmation.
    public static let failure = ExitCode(1)
    /// A command line that does not fit the spec (`EX_USAGE` in BSD's sysexits.h).
    public static let usage = ExitCode(64)

    /// The EXIT STATUS section that every man page shows.
    public static let documentation: [DocumentedItem] = [
        DocumentedItem("0", "Success."),
        DocumentedItem(
            "1",
            "Failure: a marketplace or store error, invalid input data, or a declined confirmation. "
                + "Batch tools carry on after a failed item, report it on standard error and exit with 1 at the end."),
        DocumentedItem("64", "Usage error: an unknown option, a missing or invalid value, or a missing argument."),
    ]
}
