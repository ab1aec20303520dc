import Testing
@testable import TurkCLI

/// A spec with one option of every kind, shared by the parser tests.
let sampleSpec = CommandSpec(
    name: "sample",
    abstract: "exercise the parser",
    arguments: [ArgumentSpec(name: "ITEM", help: "Items to act on.", isOptional: true, isRepeatable: true)],
    options: [
        OptionSpec(long: "reward", short: "r", valueName: "USD", help: "Sets the reward in US dollars."),
        OptionSpec(long: "num-conversations", short: "n", valueName: "N", help: "Sets the number of conversations."),
        .flag("dry-run", help: "Prints the plan without acting."),
        .flag("verbose", short: "v", help: "Prints more."),
        .flag("yes", short: "y", help: "Answers yes."),
        OptionSpec(long: "locale", valueName: "CC", help: "Adds a country.", isRepeatable: true),
        OptionSpec(
            long: "target", valueName: "TARGET", help: "Sets the marketplace.",
            acceptedValues: ["local", "sandbox"], rejectedValueReasons: ["live": "pass --live"],
            environmentVariable: "SAMPLE_TARGET"),
        OptionSpec(long: "reason", valueName: "TEXT", help: "Sets the reason."),
        OptionSpec(long: "lifetime", valueName: "SECONDS", help: "Sets the lifetime."),
        OptionSpec(long: "endpoint-url", valueName: "URL", help: "Sets the endpoint."),
        OptionSpec(long: "secret", valueName: "X", help: "Sets a hidden value.", isHidden: true),
    ])

/// A spec shaped like block's: an optional keyword, then any number of ids.
let keywordSpec = CommandSpec(
    name: "keyword",
    abstract: "exercise positional arguments",
    arguments: [
        ArgumentSpec(name: "ACTION", help: "The action.", isOptional: true, acceptedValues: ["block", "unblock"]),
        ArgumentSpec(name: "WORKER_ID", help: "Workers.", isOptional: true, isRepeatable: true),
    ],
    options: [.flag("list", help: "Lists.")])

/// A spec with one required and one optional single argument.
let requiredSpec = CommandSpec(
    name: "required",
    abstract: "exercise required arguments",
    arguments: [
        ArgumentSpec(name: "CSV", help: "The file."),
        ArgumentSpec(name: "MODE", help: "The mode.", isOptional: true, acceptedValues: []),
    ],
    options: [])

/// A spec whose one argument must be one of two words.
let modeSpec = CommandSpec(
    name: "mode",
    abstract: "exercise a required keyword",
    arguments: [ArgumentSpec(name: "MODE", help: "The mode.", acceptedValues: ["fast", "slow"])],
    options: [])

/// One row of the parser table: a command line and what it should parse into.
struct ParserCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var environment: [String: String] = [:]
    var spec: CommandSpec = sampleSpec
    /// The canonical rendering of the result (see `render`), or `error: <message>` with ` | hint: <hint>`.
    var expected: String

    var testDescription: String { (arguments.isEmpty ? "(none)" : arguments.joined(separator: " ")) }
}

/// Renders a parse outcome as one line: options sorted by name, then the positional arguments by name.
func render(_ outcome: ParseOutcome) -> String {
    guard case .arguments(let parsed) = outcome else {
        if case .help = outcome { return "help" }
        return "version"
    }
    var parts: [String] = []
    for name in parsed.occurrences.keys.sorted() {
        let values = parsed.occurrences[name]!
        let isFlag = parsed.spec.option(named: name)?.takesValue == false
        parts.append(isFlag ? name : "\(name)=\(values.joined(separator: ","))")
    }
    var text = parts.joined(separator: " ")
    let arguments = parsed.spec.arguments.compactMap { argument -> String? in
        let values = parsed.arguments(argument.name)
        return values.isEmpty ? nil : "\(argument.name)=\(values.joined(separator: ","))"
    }
    if !arguments.isEmpty {
        text += (text.isEmpty ? "| " : " | ") + arguments.joined(separator: " ")
    }
    return text
}

func parseAndRender(_ testCase: ParserCase) -> String {
    do {
        let outcome = try CommandLineParser.parse(testCase.arguments, spec: testCase.spec, environment: testCase.environment)
        return render(outcome)
    } catch let error as UsageError {
        return "error: \(error.message)" + (error.hint.map { " | hint: \($0)" } ?? "")
    } catch {
        return "unexpected error: \(error)"
    }
}

@Suite struct ParserTests {
    static let cases: [ParserCase] = [
        // Accepted forms.
        ParserCase(arguments: [], expected: ""),
        ParserCase(arguments: ["--reward", "0.50"], expected: "reward=0.50"),
        ParserCase(arguments: ["--reward=0.50"], expected: "reward=0.50"),
        ParserCase(arguments: ["-r", "0.50"], expected: "reward=0.50"),
        ParserCase(arguments: ["-r0.50"], expected: "reward=0.50"),
        ParserCase(arguments: ["-vy"], expected: "verbose yes"),
        ParserCase(arguments: ["-vn", "5"], expected: "num-conversations=5 verbose"),
        ParserCase(arguments: ["-vn5"], expected: "num-conversations=5 verbose"),
        ParserCase(arguments: ["a", "--dry-run", "b"], expected: "dry-run | ITEM=a,b"),
        ParserCase(arguments: ["--", "--dry-run", "-v"], expected: "| ITEM=--dry-run,-v"),
        ParserCase(arguments: ["-"], expected: "| ITEM=-"),
        ParserCase(arguments: ["--locale", "US", "--locale=CA"], expected: "locale=US,CA"),
        ParserCase(arguments: ["--reward", "-1"], expected: "reward=-1"),
        ParserCase(arguments: ["--reason=--yes"], expected: "reason=--yes"),
        ParserCase(arguments: ["--reason", "a=b"], expected: "reason=a=b"),
        ParserCase(arguments: ["--reason="], expected: "reason="),
        ParserCase(arguments: ["--secret", "x"], expected: "secret=x"),
        ParserCase(arguments: ["--target", "sandbox"], expected: "target=sandbox"),

        // Help and version win over errors, but not after `--`.
        ParserCase(arguments: ["--help"], expected: "help"),
        ParserCase(arguments: ["-h"], expected: "help"),
        ParserCase(arguments: ["-vh"], expected: "help"),
        ParserCase(arguments: ["--version"], expected: "version"),
        ParserCase(arguments: ["--bogus", "--help"], expected: "help"),
        ParserCase(arguments: ["--reward", "--help"], expected: "help"),
        ParserCase(arguments: ["--", "--help"], expected: "| ITEM=--help"),

        // Unknown options, with a suggestion for a misspelt or shortened long name.
        ParserCase(
            arguments: ["--rewrd", "1"],
            expected: "error: unknown option '--rewrd' | hint: did you mean '--reward'?"),
        ParserCase(
            arguments: ["--rew"], expected: "error: unknown option '--rew' | hint: did you mean '--reward'?"),
        ParserCase(
            arguments: ["--dryrun"], expected: "error: unknown option '--dryrun' | hint: did you mean '--dry-run'?"),
        ParserCase(
            arguments: ["--num-conversation=3"],
            expected: "error: unknown option '--num-conversation' | hint: did you mean '--num-conversations'?"),
        ParserCase(arguments: ["--zzzzzz"], expected: "error: unknown option '--zzzzzz'"),
        ParserCase(arguments: ["--secre"], expected: "error: unknown option '--secre'"),
        ParserCase(arguments: ["-x"], expected: "error: unknown option '-x'"),
        ParserCase(arguments: ["-vx"], expected: "error: unknown option '-x'"),
        ParserCase(arguments: ["-1"], expected: "error: unknown option '-1'"),

        // Missing values.
        ParserCase(arguments: ["--reward"], expected: "error: missing value for option --reward (expected USD)"),
        ParserCase(arguments: ["-r"], expected: "error: missing value for option --reward (expected USD)"),
        ParserCase(
            arguments: ["--reason", "--yes"], expected: "error: missing value for option --reason (expected TEXT)"),
        ParserCase(arguments: ["--reason", "-y"], expected: "error: missing value for option --reason (expected TEXT)"),
        ParserCase(arguments: ["--reason", "--"], expected: "error: missing value for option --reason (expected TEXT)"),

        // Values that do not fit.
        ParserCase(arguments: ["--dry-run=yes"], expected: "error: option --dry-run does not take a value (got 'yes')"),
        ParserCase(
            arguments: ["--target", "prod"],
            expected: "error: invalid value 'prod' for --target (accepted values: local, sandbox)"),
        ParserCase(
            arguments: ["--target=live"],
            expected: "error: invalid value 'live' for --target (accepted values: local, sandbox) | hint: pass --live"),
        ParserCase(arguments: ["--target", "Local"], expected: "error: invalid value 'Local' for --target (accepted values: local, sandbox)"),

        // Options given twice.
        ParserCase(arguments: ["--reward", "1", "--reward", "2"], expected: "error: option --reward was given more than once"),
        ParserCase(arguments: ["-r", "1", "--reward=2"], expected: "error: option --reward was given more than once"),
        ParserCase(arguments: ["--dry-run", "--dry-run"], expected: "error: option --dry-run was given more than once"),
        ParserCase(arguments: ["-vv"], expected: "error: option --verbose was given more than once"),

        // The first error is the one reported.
        ParserCase(arguments: ["--bogus", "--reward"], expected: "error: unknown option '--bogus'"),

        // Environment variables fill absent options and are checked like command-line values.
        ParserCase(arguments: [], environment: ["SAMPLE_TARGET": "sandbox"], expected: "target=sandbox"),
        ParserCase(arguments: [], environment: ["SAMPLE_TARGET": ""], expected: ""),
        ParserCase(
            arguments: ["--target", "local"], environment: ["SAMPLE_TARGET": "live"], expected: "target=local"),
        ParserCase(
            arguments: [], environment: ["SAMPLE_TARGET": "live"],
            expected: "error: invalid value 'live' for environment variable SAMPLE_TARGET "
                + "(accepted values: local, sandbox) | hint: pass --live"),
        ParserCase(arguments: ["--help"], environment: ["SAMPLE_TARGET": "live"], expected: "help"),

        // Positional arguments.
        ParserCase(arguments: ["unblock", "A1", "A2"], spec: keywordSpec, expected: "| ACTION=unblock WORKER_ID=A1,A2"),
        ParserCase(arguments: ["A1", "A2"], spec: keywordSpec, expected: "| WORKER_ID=A1,A2"),
        ParserCase(arguments: ["A1", "block"], spec: keywordSpec, expected: "| WORKER_ID=A1,block"),
        ParserCase(arguments: ["--list", "block"], spec: keywordSpec, expected: "list | ACTION=block"),
        ParserCase(arguments: ["data.csv"], spec: requiredSpec, expected: "| CSV=data.csv"),
        ParserCase(arguments: ["data.csv", "fast"], spec: requiredSpec, expected: "| CSV=data.csv MODE=fast"),
        ParserCase(arguments: [], spec: requiredSpec, expected: "error: missing argument CSV"),
        ParserCase(arguments: ["a", "b", "c"], spec: requiredSpec, expected: "error: unexpected argument 'c'"),
        ParserCase(arguments: ["slow"], spec: modeSpec, expected: "| MODE=slow"),
        ParserCase(
            arguments: ["medium"], spec: modeSpec,
            expected: "error: invalid value 'medium' for MODE (accepted values: fast, slow)"),
    ]

    @Test(arguments: cases)
    func parsesTable(_ testCase: ParserCase) {
        #expect(parseAndRender(testCase) == testCase.expected)
    }

    @Test func environmentSourceIsNamed() throws {
        let outcome = try CommandLineParser.parse([], spec: sampleSpec, environment: ["SAMPLE_TARGET": "local"])
        guard case .arguments(let parsed) = outcome else {
            Issue.record("expected arguments, got \(outcome)")
            return
        }
        #expect(parsed.source(of: "target") == "environment variable SAMPLE_TARGET")
        #expect(parsed.source(of: "reward") == "--reward")
    }

    @Test func suggesterPrefersUniquePrefix() {
        #expect(OptionSuggester.suggest(for: "max-t", among: ["max-time", "max-total"]) == nil)
        #expect(OptionSuggester.suggest(for: "max-ti", among: ["max-time", "max-total"]) == "max-time")
        #expect(OptionSuggester.suggest(for: "", among: ["reward"]) == nil)
    }

    @Test func editDistanceCounts() {
        #expect(OptionSuggester.editDistance("reward", "reward") == 0)
        #expect(OptionSuggester.editDistance("rewrd", "reward") == 1)
        #expect(OptionSuggester.editDistance("", "abc") == 3)
        #expect(OptionSuggester.editDistance("kitten", "sitting") == 3)
    }
}
