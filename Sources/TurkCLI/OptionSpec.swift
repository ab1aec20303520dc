/// The kind of completion a shell offers for an option's value or a positional argument.
public enum CompletionKind: Sendable, Equatable {
    /// No completion: the value is free text such as an id or a number.
    case none
    /// Any file path.
    case file
    /// A directory path.
    case directory
    /// One of a fixed list of words.
    case values([String])
}

/// One command-line option: its names, its value, its help and how shells complete it.
///
/// A single `OptionSpec` drives parsing, `--help`, the man page and the three completion scripts, so a new option
/// needs no edit anywhere else.
public struct OptionSpec: Sendable, Equatable {
    /// The long name without the leading dashes, such as `num-conversations`.
    public var long: String
    /// The single-letter name without the dash, such as `n`, or nil for a long-only option.
    public var short: Character?
    /// The placeholder shown for the value, such as `N` or `DIR`, or nil for a flag that takes no value.
    public var valueName: String?
    /// One sentence, ending with a period, that states what the option sets and in what unit.
    public var help: String
    /// The value used when the option is absent, as shown in the help, or nil when there is none.
    public var defaultValue: String?
    /// The only values the parser accepts, or empty for free text.
    public var acceptedValues: [String]
    /// Explanations for values that look plausible but are not accepted, keyed by the value.
    ///
    /// `--target live` uses this: the parser rejects it with the explanation in place of the bare list of
    /// accepted values.
    public var rejectedValueReasons: [String: String]
    /// Whether the option may be given more than once; each occurrence adds a value.
    public var isRepeatable: Bool
    /// Whether the option is left out of the help, the man page and the completions.
    public var isHidden: Bool
    /// An environment variable that supplies the value when the option is absent from the command line.
    public var environmentVariable: String?
    /// The shell completion of the value. For an option with accepted values it defaults to that list.
    public var completion: CompletionKind

    public init(
        long: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String,
        defaultValue: String? = nil,
        acceptedValues: [String] = [],
        rejectedValueReasons: [String: String] = [:],
        isRepeatable: Bool = false,
        isHidden: Bool = false,
        environmentVariable: String? = nil,
        completion: CompletionKind? = nil
    ) {
        self.long = long
        self.short = short
        self.valueName = valueName
        self.help = help
        self.defaultValue = defaultValue
        self.acceptedValues = acceptedValues
        self.rejectedValueReasons = rejectedValueReasons
        self.isRepeatable = isRepeatable
        self.isHidden = isHidden
        self.environmentVariable = environmentVariable
        self.completion = completion ?? (acceptedValues.isEmpty ? .none : .values(acceptedValues))
    }

    /// Creates an option that takes no value.
    public static func flag(
        _ long: String, short: Character? = nil, help: String, isRepeatable: Bool = false, isHidden: Bool = false
    ) -> OptionSpec {
        OptionSpec(long: long, short: short, help: help, isRepeatable: isRepeatable, isHidden: isHidden)
    }

    /// Whether the option takes a value.
    public var takesValue: Bool { valueName != nil }

    /// The long name with its dashes, as a user types it: `--reward`.
    public var displayName: String { "--" + long }

    /// The names and value as they appear in help and man pages: `-r, --reward USD`.
    public var synopsis: String {
        var text = short.map { "-\($0), " } ?? ""
        text += displayName
        if let valueName { text += " " + valueName }
        return text
    }

    /// Shows the help page and exits with status 0. Every command has it.
    public static let help = OptionSpec.flag("help", short: "h", help: "Prints this help and exits.")

    /// Shows the program's version and exits with status 0. Every command has it.
    public static let version = OptionSpec.flag("version", help: "Prints the version and exits.")
}

/// A positional argument, such as the assignment ids that `review` takes.
public struct ArgumentSpec: Sendable, Equatable {
    /// The placeholder shown in usage lines, such as `ASSIGNMENT_ID`.
    public var name: String
    /// One or more sentences saying what the argument is and what happens when it is absent.
    public var help: String
    /// Whether the argument may be left out.
    public var isOptional: Bool
    /// Whether the argument takes every remaining positional value. Only the last argument may be repeatable.
    public var isRepeatable: Bool
    /// The only values accepted, or empty for free text.
    ///
    /// An optional argument with accepted values is filled only when the next positional value is one of them,
    /// so `block A1B2` and `block unblock A1B2` both parse.
    public var acceptedValues: [String]
    /// The shell completion of the argument.
    public var completion: CompletionKind

    public init(
        name: String, help: String, isOptional: Bool = false, isRepeatable: Bool = false,
        acceptedValues: [String] = [], completion: CompletionKind? = nil
    ) {
        self.name = name
        self.help = help
        self.isOptional = isOptional
        self.isRepeatable = isRepeatable
        self.acceptedValues = acceptedValues
        self.completion = completion ?? (acceptedValues.isEmpty ? .none : .values(acceptedValues))
    }

    /// The argument as it appears in a usage line: `CSV`, `[CSV]`, `ASSIGNMENT_ID...` or `[ASSIGNMENT_ID...]`.
    public var usage: String {
        let base = isRepeatable ? name + "..." : name
        return isOptional ? "[\(base)]" : base
    }
}
