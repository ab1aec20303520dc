/// The request a command line makes: a run with parsed arguments, the help page or the version.
public enum ParseOutcome: Sendable {
    case arguments(ParsedArguments)
    case help
    case version
}

/// A GNU-style parser driven by a `CommandSpec`.
///
/// It accepts `--name value`, `--name=value`, `-n value`, `-nvalue`, grouped short flags (`-vy`), options after
/// positional arguments, and `--` to end the options. It does not accept abbreviated long names, because a
/// later option could make an abbreviation mean something else in a script that spends money.
///
/// A value-taking option takes the next word as its value, even when it starts with a dash (`--reward -1` reaches
/// the amount check and gets a precise message), unless that word starts with `--` or is a known short option.
/// Those count as a missing value, so `--reason --yes` is reported instead of being read as the reason `--yes`.
/// Write `--reason=--yes` to pass such a value.
///
/// `--help`, `-h` and `--version` win over every error, so `tool --bogus --help` shows the help.
public enum CommandLineParser {
    /// Parses `arguments` (without the program name) against `spec`.
    ///
    /// Options that are absent from the command line but have an `environmentVariable` take its value when it is
    /// set and not empty.
    /// - Throws: `UsageError` naming the option, the value and what is accepted.
    public static func parse(
        _ arguments: [String], spec: CommandSpec, environment: [String: String] = [:]
    ) throws -> ParseOutcome {
        var state = ParserState(spec: spec)
        state.scan(arguments)

        if state.helpRequested { return .help }
        if state.versionRequested { return .version }
        if let error = state.firstError { throw error }

        try state.applyEnvironment(environment)
        let named = try assignPositionals(state.positionals, to: spec)
        return .arguments(
            ParsedArguments(
                spec: spec, occurrences: state.occurrences, environmentSources: state.environmentSources,
                positionals: state.positionals, namedArguments: named, environment: environment))
    }

    /// Fills the spec's positional arguments in order from the raw positional values.
    static func assignPositionals(_ values: [String], to spec: CommandSpec) throws -> [String: [String]] {
        var named: [String: [String]] = [:]
        var remaining = values[...]

        for argument in spec.arguments {
            if argument.isOptional, !argument.acceptedValues.isEmpty {
                // An optional keyword such as block's action is filled only by one of its words.
                if let next = remaining.first, argument.acceptedValues.contains(next) {
                    named[argument.name] = [next]
                    remaining = remaining.dropFirst()
                }
                continue
            }

            if argument.isRepeatable {
                named[argument.name] = Array(remaining)
                remaining = []
            } else if let next = remaining.first {
                named[argument.name] = [next]
                remaining = remaining.dropFirst()
            } else if !argument.isOptional {
                throw UsageError("missing argument \(argument.name)")
            }

            let accepted = argument.acceptedValues
            if !accepted.isEmpty, let value = named[argument.name]?.first(where: { !accepted.contains($0) }) {
                throw UsageError(
                    "invalid value '\(value)' for \(argument.name) (accepted values: "
                        + accepted.joined(separator: ", ") + ")")
            }
        }

        if let extra = remaining.first {
            throw UsageError("unexpected argument '\(extra)'")
        }
        return named
    }
}

/// The state of one scan over the command line.
private struct ParserState {
    let spec: CommandSpec
    var occurrences: [String: [String]] = [:]
    var environmentSources: [String: String] = [:]
    var positionals: [String] = []
    var helpRequested = false
    var versionRequested = false
    /// The first problem found. Scanning continues after it only to find `--help` or `--version`.
    var firstError: UsageError?

    init(spec: CommandSpec) {
        self.spec = spec
    }

    mutating func scan(_ arguments: [String]) {
        var index = 0
        var optionsEnded = false

        while index < arguments.count {
            let token = arguments[index]
            index += 1

            if optionsEnded || token == "-" || !token.hasPrefix("-") {
                positionals.append(token)
            } else if token == "--" {
                optionsEnded = true
            } else if token.hasPrefix("--") {
                scanLongOption(token, arguments: arguments, index: &index)
            } else {
                scanShortOptions(token, arguments: arguments, index: &index)
            }
        }
    }

    private mutating func scanLongOption(_ token: String, arguments: [String], index: inout Int) {
        let body = token.dropFirst(2)
        let name: String
        let inlineValue: String?
        if let equals = body.firstIndex(of: "=") {
            name = String(body[..<equals])
            inlineValue = String(body[body.index(after: equals)...])
        } else {
            name = String(body)
            inlineValue = nil
        }

        guard let option = spec.option(named: name) else {
            let suggestion = OptionSuggester.suggest(for: name, among: spec.visibleOptions.map(\.long))
            fail(UsageError("unknown option '--\(name)'", hint: suggestion.map { "did you mean '--\($0)'?" }))
            return
        }

        if !option.takesValue {
            if let inlineValue {
                fail(UsageError("option --\(option.long) does not take a value (got '\(inlineValue)')"))
            } else {
                record(option, value: "")
            }
            return
        }

        if let inlineValue {
            record(option, value: inlineValue)
        } else if let value = takeValue(arguments: arguments, index: &index) {
            record(option, value: value)
        } else {
            fail(missingValue(option))
        }
    }

    private mutating func scanShortOptions(_ token: String, arguments: [String], index: inout Int) {
        var letters = token.dropFirst()

        while let letter = letters.first {
            letters = letters.dropFirst()
            guard let option = spec.option(short: letter) else {
                fail(UsageError("unknown option '-\(letter)'"))
                return
            }

            guard option.takesValue else {
                record(option, value: "")
                continue
            }

            // The rest of the group is the value (`-n5`), or else the next word is (`-n 5`).
            if !letters.isEmpty {
                record(option, value: String(letters))
            } else if let value = takeValue(arguments: arguments, index: &index) {
                record(option, value: value)
            } else {
                fail(missingValue(option))
            }
            return
        }
    }

    /// Takes the next word as an option's value, unless it is absent or is itself an option.
    private func takeValue(arguments: [String], index: inout Int) -> String? {
        guard index < arguments.count else { return nil }
        let next = arguments[index]
        if next.hasPrefix("--") { return nil }
        if next.count == 2, next.hasPrefix("-"), let letter = next.last, spec.option(short: letter) != nil {
            return nil
        }
        index += 1
        return next
    }

    private mutating func record(_ option: OptionSpec, value: String) {
        if option.long == OptionSpec.help.long { helpRequested = true }
        if option.long == OptionSpec.version.long { versionRequested = true }

        if occurrences[option.long] != nil && !option.isRepeatable {
            fail(UsageError("option --\(option.long) was given more than once"))
            return
        }
        if let problem = acceptedValueProblem(option, value: value, source: "--\(option.long)") {
            fail(problem)
            return
        }
        occurrences[option.long, default: []].append(value)
    }

    /// Reads options that are absent from the command line from their environment variables.
    mutating func applyEnvironment(_ environment: [String: String]) throws {
        for option in spec.allOptions where occurrences[option.long] == nil {
            guard let variable = option.environmentVariable,
                  let value = environment[variable], !value.isEmpty
            else { continue }

            if let problem = acceptedValueProblem(option, value: value, source: "environment variable \(variable)") {
                throw problem
            }
            occurrences[option.long] = [value]
            environmentSources[option.long] = variable
        }
    }

    private func acceptedValueProblem(_ option: OptionSpec, value: String, source: String) -> UsageError? {
        guard option.takesValue, !option.acceptedValues.isEmpty, !option.acceptedValues.contains(value) else {
            return nil
        }
        let accepted = option.acceptedValues.joined(separator: ", ")
        return UsageError(
            "invalid value '\(value)' for \(source) (accepted values: \(accepted))",
            hint: option.rejectedValueReasons[value])
    }

    private func missingValue(_ option: OptionSpec) -> UsageError {
        UsageError("missing value for option --\(option.long) (expected \(option.valueName ?? "a value"))")
    }

    private mutating func fail(_ error: UsageError) {
        if firstError == nil { firstError = error }
    }
}

/// Finds the option a user most likely meant when they typed an unknown long name.
enum OptionSuggester {
    /// Returns the closest name: the only one that starts with `typed`, or else the one within a small edit
    /// distance (2, or a third of the typed length for long names), or nil.
    static func suggest(for typed: String, among names: [String]) -> String? {
        guard !typed.isEmpty else { return nil }

        let prefixed = names.filter { $0.hasPrefix(typed) }
        if prefixed.count == 1 { return prefixed[0] }

        let limit = max(2, typed.count / 3)
        let ranked = names
            .map { (name: $0, distance: editDistance(typed, $0)) }
            .filter { $0.distance <= limit }
            .sorted { $0.distance < $1.distance }
        return ranked.first?.name
    }

    /// Returns the Levenshtein distance: the fewest insertions, deletions and substitutions from `a` to `b`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let source = Array(a)
        let target = Array(b)
        guard !source.isEmpty else { return target.count }
        guard !target.isEmpty else { return source.count }

        var previous = Array(0...target.count)
        var current = Array(repeating: 0, count: target.count + 1)
        for i in 1...source.count {
            current[0] = i
            for j in 1...target.count {
                let substitution = previous[j - 1] + (source[i - 1] == target[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[target.count]
    }
}
