import Foundation
import TurkModel

/// A command line checked against its spec, with typed access to each option.
///
/// The accessors take an option's long name without dashes. Asking for a name that the spec does not declare is
/// a programming error and stops the program, so a misspelt name in a tool fails its first test.
public struct ParsedArguments: Sendable {
    public let spec: CommandSpec
    /// The raw values per long name, in command-line order. A flag stores an empty string per occurrence.
    let occurrences: [String: [String]]
    /// The environment variable each option's value came from, for options absent from the command line.
    let environmentSources: [String: String]
    /// Every positional value, in order.
    public let positionals: [String]
    let namedArguments: [String: [String]]
    /// The environment the command line was parsed with.
    public let environment: [String: String]

    init(
        spec: CommandSpec, occurrences: [String: [String]], environmentSources: [String: String],
        positionals: [String], namedArguments: [String: [String]], environment: [String: String]
    ) {
        self.spec = spec
        self.occurrences = occurrences
        self.environmentSources = environmentSources
        self.positionals = positionals
        self.namedArguments = namedArguments
        self.environment = environment
    }

    // MARK: - Raw access

    /// Returns whether the flag was given.
    public func flag(_ name: String) -> Bool {
        let option = declared(name)
        precondition(!option.takesValue, "--\(name) takes a value; use value(_:) for it")
        return occurrences[name] != nil
    }

    /// Returns whether the option was given on the command line or through its environment variable.
    public func isPresent(_ name: String) -> Bool {
        _ = declared(name)
        return occurrences[name] != nil
    }

    /// Returns the option's value, or nil when it is absent. Defaults in the spec are documentation only, so the caller
    /// applies them.
    public func value(_ name: String) -> String? {
        let option = declared(name)
        precondition(option.takesValue, "--\(name) is a flag; use flag(_:) for it")
        return occurrences[name]?.last
    }

    /// Returns every value of a repeatable option, in command-line order.
    public func values(_ name: String) -> [String] {
        let option = declared(name)
        precondition(option.takesValue, "--\(name) is a flag; use flag(_:) for it")
        return occurrences[name] ?? []
    }

    /// Returns the values of a positional argument declared in the spec, or an empty list when it was not given.
    public func arguments(_ name: String) -> [String] {
        precondition(spec.arguments.contains { $0.name == name }, "\(spec.name) declares no argument \(name)")
        return namedArguments[name] ?? []
    }

    /// Returns the value of a single positional argument, or nil when it was not given.
    public func argument(_ name: String) -> String? {
        arguments(name).first
    }

    /// Returns the name of the option's source for messages: `--reward`, or
    /// `environment variable TURKCHAT_TARGET` when it came from the environment.
    public func source(of name: String) -> String {
        _ = declared(name)
        if let variable = environmentSources[name] { return "environment variable \(variable)" }
        return "--\(name)"
    }

    // MARK: - Typed values

    /// Returns the option's value as an integer in `range`, or nil when it is absent.
    /// - Throws: `UsageError` when the value is not a whole number or lies outside `range`. A whole number beyond
    ///   the range, or beyond `Int`, is reported as too large or too small.
    public func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        guard let text = value(name) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expected = "expected a whole number" + Self.describe(range)
        guard let number = Int(trimmed) else {
            if Self.isWholeNumber(trimmed) {
                let size = trimmed.hasPrefix("-") ? "too small" : "too large"
                throw invalid(name, text, "\(size); \(expected)")
            }
            throw invalid(name, text, expected)
        }
        if number > range.upperBound { throw invalid(name, text, "too large; \(expected)") }
        if number < range.lowerBound { throw invalid(name, text, "too small; \(expected)") }
        return number
    }

    /// Returns the option's value as a dollar amount, such as `0.50`, or nil when it is absent.
    /// - Throws: `UsageError` for a sign, a `$`, a third decimal, zero or text that is not a number.
    public func usd(_ name: String) throws -> USD? {
        guard let text = value(name) else { return nil }
        switch USD.parseUserAmount(text) {
        case .success(let amount):
            return amount
        case .failure(let error):
            throw invalid(name, text, error.reason)
        }
    }

    /// Returns the option's value as a number of seconds, or nil when it is absent.
    ///
    /// Accepts a whole number of seconds (`3600`) or a whole number with one unit: `s`, `m`, `h` or `d`
    /// (`90m`, `7d`).
    /// - Throws: `UsageError` for any other text and for a result outside `range`.
    public func seconds(_ name: String, in range: ClosedRange<Int> = 0...Int.max) throws -> Int? {
        guard let text = value(name) else { return nil }
        let expected = "expected a whole number of seconds, or a number with a unit s, m, h or d such as 30m"
        let bounds = "expected a duration" + Self.describe(range, unit: " seconds")
        guard let seconds = Self.parseDuration(text) else {
            // Digits with an optional unit that still fail to parse overflowed Int.
            var digits = text.trimmingCharacters(in: .whitespaces)
            if let last = digits.last, "smhd".contains(last) { digits.removeLast() }
            if Self.isWholeNumber(digits) && !digits.hasPrefix("-") && !digits.hasPrefix("+") {
                throw invalid(name, text, "too large; " + (range.upperBound == Int.max ? expected : bounds))
            }
            throw invalid(name, text, expected)
        }
        if seconds > range.upperBound { throw invalid(name, text, "too large; \(bounds)") }
        if seconds < range.lowerBound { throw invalid(name, text, "too small; \(bounds)") }
        return seconds
    }

    /// Returns the option's value as an `http` or `https` URL with a host, or nil when it is absent.
    /// - Throws: `UsageError` for text that does not parse, another scheme or a missing host.
    public func url(_ name: String) throws -> URL? {
        guard let text = value(name) else { return nil }
        let expected = "expected an http or https URL such as https://chat.example.org:8443"
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty,
              let url = components.url
        else {
            throw invalid(name, text, expected)
        }
        return url
    }

    // MARK: - Validation helpers

    /// Returns the option's value.
    /// - Throws: `UsageError` saying that the option is required, when it is absent.
    public func required(_ name: String) throws -> String {
        guard let value = value(name) else {
            let valueName = declared(name).valueName.map { " " + $0 } ?? ""
            throw UsageError("missing required option --\(name)\(valueName)")
        }
        return value
    }

    /// Checks that at most one of the named options or flags was given.
    /// - Throws: `UsageError` naming the first two that were given together.
    public func checkExclusive(_ names: String...) throws {
        let given = names.filter { isPresent($0) && environmentSources[$0] == nil }
        if given.count > 1 {
            throw UsageError("options --\(given[0]) and --\(given[1]) cannot be used together")
        }
    }

    /// Checks that `dependent` is given only together with `required`.
    /// - Throws: `UsageError` saying which option is missing.
    public func checkRequires(_ dependent: String, _ required: String) throws {
        if isPresent(dependent) && !isPresent(required) {
            throw UsageError("option --\(dependent) requires --\(required)")
        }
    }

    // MARK: - Helpers

    private func declared(_ name: String) -> OptionSpec {
        guard let option = spec.option(named: name) else {
            preconditionFailure("\(spec.name) declares no option --\(name)")
        }
        return option
    }

    private func invalid(_ name: String, _ value: String, _ reason: String) -> UsageError {
        UsageError("invalid value '\(value)' for \(source(of: name)): \(reason)")
    }

    private static func describe(_ range: ClosedRange<Int>, unit: String = "") -> String {
        switch (range.lowerBound == Int.min, range.upperBound == Int.max) {
        case (true, true): return ""
        case (false, true): return " of at least \(range.lowerBound)\(unit)"
        case (true, false): return " of at most \(range.upperBound)\(unit)"
        case (false, false): return " from \(range.lowerBound) to \(range.upperBound)\(unit)"
        }
    }

    /// Returns whether `text` is an optional sign followed by ASCII digits only, whatever its size.
    static func isWholeNumber(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Parses `3600`, `3600s`, `60m`, `1h` or `7d` into seconds; nil for anything else or on overflow.
    static func parseDuration(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let multipliers: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(trimmed)
        var multiplier = 1
        if let last = digits.last, let unit = multipliers[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else {
            return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
