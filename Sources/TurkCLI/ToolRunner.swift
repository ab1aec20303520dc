import Foundation

/// The entry point that every tool's `main` calls: parse, run, print errors, return the exit status.
public enum ToolRunner {
    /// Parses `arguments` against `spec` and runs `body` with the result.
    ///
    /// - `--help` or `-h` prints the help page on standard output and returns 0.
    /// - `--version` prints `<tool> (turkchat) <version>` and returns 0.
    /// - A `UsageError`, from the parser or from `body`, prints `<tool>: error: <message>`, the usage line and a
    ///   pointer to `--help` on standard error, and returns 64.
    /// - A thrown `ExitCode` returns its value without printing anything.
    /// - Any other error prints `<tool>: error: <description>` (and a hint line for a `UserFacingError` that has
    ///   one) and returns 1.
    ///
    /// - Parameters:
    ///   - arguments: The command line without the program name.
    ///   - environment: The environment that options with an environment variable read from.
    ///   - console: Where output goes; `Console.standard` when nil.
    public static func run(
        spec: CommandSpec,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        console: Console? = nil,
        body: (ParsedArguments, Console) async throws -> Void
    ) async -> Int32 {
        let console = console ?? Console.standard(toolName: spec.name)

        do {
            switch try CommandLineParser.parse(arguments, spec: spec, environment: environment) {
            case .help:
                console.write(HelpFormatter.help(for: spec), terminator: "")
                return ExitCode.success.rawValue
            case .version:
                console.write(versionLine(for: spec))
                return ExitCode.success.rawValue
            case .arguments(let parsed):
                try await body(parsed, console)
                return ExitCode.success.rawValue
            }
        } catch {
            return report(error, spec: spec, console: console)
        }
    }

    /// Returns the text that `--version` prints: `review (turkchat) 0.1.0`.
    public static func versionLine(for spec: CommandSpec) -> String {
        "\(spec.name) (turkchat) \(TurkChatRelease.version)"
    }

    /// Prints `error` in the form its kind calls for and returns the exit status.
    static func report(_ error: any Error, spec: CommandSpec, console: Console) -> Int32 {
        switch error {
        case let exit as ExitCode:
            return exit.rawValue
        case let usage as UsageError:
            console.error(usage.message, hint: usage.hint)
            console.writeErrorText("Usage: \(spec.usageLine)\n")
            console.writeErrorText("Run '\(spec.name) --help' for more information.\n")
            return ExitCode.usage.rawValue
        case let userFacing as any UserFacingError:
            console.error(userFacing.message, hint: userFacing.hint)
            return ExitCode.failure.rawValue
        default:
            console.error(describe(error))
            return ExitCode.failure.rawValue
        }
    }

    /// Returns the most readable text for an error that was not written for users.
    static func describe(_ error: any Error) -> String {
        if let localized = error as? any LocalizedError, let text = localized.errorDescription {
            return text
        }
        // Foundation's file and system errors read best through their localized description; their
        // `description` shows the domain and code.
        if error is CocoaError || error is POSIXError || type(of: error) is NSError.Type {
            return error.localizedDescription
        }
        return String(describing: error)
    }
}
