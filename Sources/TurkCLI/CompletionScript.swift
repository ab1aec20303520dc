/// Shell completion scripts generated from a spec.
public enum CompletionScript {
    /// A shell that a completion script is written for.
    public enum Shell: String, CaseIterable, Sendable {
        case bash
        case zsh
        case fish

        /// Returns the file name under `completions/` that each shell's loader expects: `review.bash`, `_review`
        /// (zsh's `#compdef` convention) and `review.fish`.
        public func fileName(for tool: String) -> String {
            switch self {
            case .bash: return "\(tool).bash"
            case .zsh: return "_\(tool)"
            case .fish: return "\(tool).fish"
            }
        }
    }

    /// Returns the completion script of `spec` for `shell`.
    public static func render(_ spec: CommandSpec, for shell: Shell) -> String {
        switch shell {
        case .bash: return bash(spec)
        case .zsh: return zsh(spec)
        case .fish: return fish(spec)
        }
    }

    static func header(_ spec: CommandSpec, shell: Shell) -> String {
        "# \(shell.rawValue) completion for \(spec.name), generated from its command spec by TurkCLI.\n"
            + "# Do not edit: run `make docs` after changing the spec.\n"
    }

    /// Returns the completions for the positional argument at `position` (0 for the first positional value).
    ///
    /// A keyword argument that may be left out (block's action) shares the first position with the argument
    /// after it, so both completions apply there.
    static func positionalCompletions(_ spec: CommandSpec, position: Int) -> [CompletionKind] {
        let arguments = spec.arguments
        guard !arguments.isEmpty else { return [] }

        if position == 0 {
            var kinds = [arguments[0].completion]
            if arguments[0].isOptional, !arguments[0].acceptedValues.isEmpty, arguments.count > 1 {
                kinds.append(arguments[1].completion)
            }
            return kinds
        }
        if position < arguments.count { return [arguments[position].completion] }
        return arguments[arguments.count - 1].isRepeatable ? [arguments[arguments.count - 1].completion] : []
    }
}
