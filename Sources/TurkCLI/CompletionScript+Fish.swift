extension CompletionScript {
    /// Returns a fish completion script: one `complete` command per option and per positional argument.
    static func fish(_ spec: CommandSpec) -> String {
        let command = "complete -c \(spec.name)"
        var script = header(spec, shell: .fish)

        // fish offers file names for positional arguments unless `complete -f` turns that off.
        let completesFiles = spec.arguments.contains { $0.completion == .file || $0.completion == .directory }
        if !completesFiles {
            script += "\(command) -f\n"
        }

        for option in spec.visibleOptions {
            var line = command
            if let short = option.short { line += " -s \(fishQuote(String(short)))" }
            line += " -l \(fishQuote(option.long))"
            if option.takesValue {
                line += fishValueFlags(option.completion)
            }
            line += " -d \(fishQuote(fishDescription(option.help)))"
            script += line + "\n"
        }

        for (index, argument) in spec.arguments.enumerated() {
            guard case .values(let words) = argument.completion else { continue }
            // Keywords such as block's action are offered only before the first positional argument.
            let condition = index == 0 ? " -n __fish_use_subcommand" : ""
            script += "\(command)\(condition) -a \(fishQuote(words.joined(separator: " ")))"
            script += " -d \(fishQuote(argument.name))\n"
        }
        return script
    }

    private static func fishValueFlags(_ kind: CompletionKind) -> String {
        switch kind {
        case .none:
            return " -x"
        case .file:
            return " -r -F"
        case .directory:
            return " -x -a '(__fish_complete_directories)'"
        case .values(let words):
            return " -x -a \(fishQuote(words.joined(separator: " ")))"
        }
    }

    /// Returns the help sentence without its final period, as fish's own completions write descriptions.
    private static func fishDescription(_ help: String) -> String {
        help.hasSuffix(".") ? String(help.dropLast()) : help
    }

    /// Quotes text in single quotes for fish, where a backslash escapes `'` and `\`.
    static func fishQuote(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "'" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "'" + escaped + "'"
    }
}
