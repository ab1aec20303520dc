extension CompletionScript {
    /// Returns a zsh completion function for `fpath`, built on `_arguments`.
    static func zsh(_ spec: CommandSpec) -> String {
        var script = "#compdef \(spec.name)\n"
        script += header(spec, shell: .zsh)
        script += "\n"
        script += "local -a specs\n"
        script += "specs=(\n"

        for option in spec.visibleOptions {
            script += "    \(zshOption(option))\n"
        }
        for argument in spec.arguments {
            script += "    \(zshArgument(argument))\n"
        }

        script += ")\n"
        // -s: short flags may be grouped. -S: `--` ends the options.
        script += "_arguments -s -S $specs\n"
        return script
    }

    /// Returns the `_arguments` spec of an option, such as
    /// `'(-n --num-conversations)'{-n+,--num-conversations=}'[Sets ...]:N: '`.
    private static func zshOption(_ option: OptionSpec) -> String {
        let explanation = "[" + zshEscapeExplanation(option.help) + "]"
        let value = option.valueName.map { ":\($0):\(zshAction(option.completion))" } ?? ""

        // After --help or --version nothing else is completed.
        let isTerminal = option.long == OptionSpec.help.long || option.long == OptionSpec.version.long
        let longForm = "--" + option.long + (option.takesValue ? "=" : "")

        guard let short = option.short else {
            var lead = ""
            if option.isRepeatable {
                lead = "*"
            } else if isTerminal {
                lead = "(- *)"
            }
            return zshQuote(lead + longForm + explanation + value)
        }

        let shortForm = "-\(short)" + (option.takesValue ? "+" : "")
        let exclusion: String
        if isTerminal {
            exclusion = "(- *)"
        } else if option.isRepeatable {
            exclusion = "*"
        } else {
            exclusion = "(-\(short) --\(option.long))"
        }
        return zshQuote(exclusion) + "{\(shortForm),\(longForm)}" + zshQuote(explanation + value)
    }

    /// Returns the `_arguments` spec of a positional argument: `':CSV:_files'`, `'::CSV:_files'` when optional,
    /// `'*:ASSIGNMENT_ID: '` when repeatable.
    private static func zshArgument(_ argument: ArgumentSpec) -> String {
        var lead = ":"
        if argument.isRepeatable {
            lead = "*:"
        } else if argument.isOptional {
            lead = "::"
        }
        return zshQuote(lead + argument.name + ":" + zshAction(argument.completion))
    }

    private static func zshAction(_ kind: CompletionKind) -> String {
        switch kind {
        case .none: return " "
        case .file: return "_files"
        case .directory: return "_files -/"
        case .values(let words): return "(" + words.map(zshEscapeWord).joined(separator: " ") + ")"
        }
    }

    /// Escapes the characters that `_arguments` reads specially inside an explanation: brackets, colons and
    /// backslashes.
    private static func zshEscapeExplanation(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "[]:\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    private static func zshEscapeWord(_ word: String) -> String {
        var escaped = ""
        for character in word {
            if " ()\\:'\"".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// Quotes text in single quotes for zsh.
    private static func zshQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
