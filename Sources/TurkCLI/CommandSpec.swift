/// A documented name with its explanation: an environment variable, an exit status or a file.
public struct DocumentedItem: Sendable, Equatable {
    public var name: String
    public var text: String

    public init(_ name: String, _ text: String) {
        self.name = name
        self.text = text
    }
}

/// A worked example for the man page: what it does, then the command line.
public struct ExampleSpec: Sendable, Equatable {
    /// One sentence saying what the example does.
    public var text: String
    /// The command, as typed at a shell prompt.
    public var command: String

    public init(_ text: String, _ command: String) {
        self.text = text
        self.command = command
    }
}

/// The whole interface of one tool: what it does, what it takes and how it ends.
///
/// The parser, `--help`, the man page and the completion scripts are all generated from this value.
public struct CommandSpec: Sendable, Equatable {
    /// The executable's name, such as `create-hits`.
    public var name: String
    /// One line, without a trailing period, saying what the tool does. It becomes the man page's NAME line.
    public var abstract: String
    /// Paragraphs of plain text for the help and the man page's DESCRIPTION.
    public var discussion: [String]
    public var arguments: [ArgumentSpec]
    /// The options as declared. `allOptions` adds `--help` and `--version`.
    public var options: [OptionSpec]
    public var environment: [DocumentedItem]
    public var exitStatus: [DocumentedItem]
    public var files: [DocumentedItem]
    public var examples: [ExampleSpec]
    /// Related man pages, as `name(section)`.
    public var seeAlso: [String]
    /// The date printed in the man page's footer. It is a constant of the release, so regenerating the pages
    /// does not change them.
    public var manualDate: String

    public init(
        name: String,
        abstract: String,
        discussion: [String] = [],
        arguments: [ArgumentSpec] = [],
        options: [OptionSpec],
        environment: [DocumentedItem] = [],
        exitStatus: [DocumentedItem] = ExitCode.documentation,
        files: [DocumentedItem] = [],
        examples: [ExampleSpec] = [],
        seeAlso: [String] = [],
        manualDate: String = TurkChatRelease.date
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.arguments = arguments
        self.options = options
        self.environment = environment
        self.exitStatus = exitStatus
        self.files = files
        self.examples = examples
        self.seeAlso = seeAlso
        self.manualDate = manualDate
    }

    /// The declared options followed by `--help` and `--version`, unless the spec declares them itself.
    public var allOptions: [OptionSpec] {
        var result = options
        for builtin in [OptionSpec.help, OptionSpec.version] where !options.contains(where: { $0.long == builtin.long }) {
            result.append(builtin)
        }
        return result
    }

    /// The options shown in help, man pages and completions.
    public var visibleOptions: [OptionSpec] {
        allOptions.filter { !$0.isHidden }
    }

    /// Returns the option with the given long name, or nil.
    public func option(named long: String) -> OptionSpec? {
        allOptions.first { $0.long == long }
    }

    /// Returns the option with the given short name, or nil.
    public func option(short: Character) -> OptionSpec? {
        allOptions.first { $0.short == short }
    }

    /// The one-line usage: `review [OPTIONS] [ASSIGNMENT_ID...]`.
    public var usageLine: String {
        ([name, "[OPTIONS]"] + arguments.map(\.usage)).joined(separator: " ")
    }

    /// Checks the spec for mistakes that would make parsing ambiguous, and returns one message per mistake.
    ///
    /// Tests run this over every tool's spec, so a duplicate name or a help text without its period fails there
    /// rather than confusing a user.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        var longNames = Set<String>()
        var shortNames = Set<Character>()
        for option in allOptions {
            if !longNames.insert(option.long).inserted {
                problems.append("\(name): option --\(option.long) is declared twice")
            }
            if let short = option.short, !shortNames.insert(short).inserted {
                problems.append("\(name): short option -\(short) is declared twice")
            }
            if option.long.isEmpty || option.long.hasPrefix("-") || option.long.contains("=")
                || option.long.contains(" ") {
                problems.append("\(name): invalid long option name '\(option.long)'")
            }
            if !option.help.hasSuffix(".") {
                problems.append("\(name): help of --\(option.long) does not end with a period")
            }
            if let first = option.help.first, !first.isUppercase {
                problems.append("\(name): help of --\(option.long) does not start with a capital letter")
            }
            if !option.takesValue && (option.defaultValue != nil || !option.acceptedValues.isEmpty) {
                problems.append("\(name): flag --\(option.long) has a default or accepted values but takes no value")
            }
            if !option.takesValue && option.environmentVariable != nil {
                problems.append("\(name): flag --\(option.long) cannot be read from an environment variable")
            }
            if let defaultValue = option.defaultValue, !option.acceptedValues.isEmpty,
               !option.acceptedValues.contains(defaultValue) {
                problems.append("\(name): default '\(defaultValue)' of --\(option.long) is not an accepted value")
            }
        }
        for (index, argument) in arguments.enumerated() where argument.isRepeatable && index != arguments.count - 1 {
            problems.append("\(name): only the last argument may be repeatable, not \(argument.name)")
        }
        var seenOptional = false
        for argument in arguments {
            if seenOptional && !argument.isOptional {
                problems.append("\(name): required argument \(argument.name) follows an optional one")
            }
            seenOptional = seenOptional || argument.isOptional
        }
        if abstract.hasSuffix(".") {
            problems.append("\(name): the abstract should not end with a period")
        }
        return problems
    }
}

/// Facts about this release that every tool prints.
public enum TurkChatRelease {
    public static let version = "0.1.0"
    /// The release date shown in the man pages' footer.
    public static let date = "2026-12-01"
}
