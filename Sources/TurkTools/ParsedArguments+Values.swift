import TurkCLI

extension ParsedArguments {
    /// Returns the option's value, or nil when it is absent.
    ///
    /// - Throws: `UsageError` when the value is empty or only spaces, as in `--task=` or `--task ""`. An empty path
    ///   would otherwise mean the current directory, and an empty filter would match everything.
    func nonEmptyValue(_ name: String) throws -> String? {
        guard let text = value(name) else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            let valueName = spec.option(named: name)?.valueName ?? "a value"
            throw UsageError("empty value for \(source(of: name)): expected \(valueName)")
        }
        return text
    }
}
