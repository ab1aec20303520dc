extension CompletionScript {
    /// Returns a bash completion script: a function registered with `complete -F`.
    ///
    /// It completes option names, accepted values and paths after `--name value`, `--name=value` and `-n value`,
    /// and positional arguments by their position. It works with bash's default `COMP_WORDBREAKS`, which splits
    /// `--name=value` into three words, and without the bash-completion package.
    static func bash(_ spec: CommandSpec) -> String {
        let function = "_turkchat_" + spec.name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        let options = spec.visibleOptions
        let valueOptions = spec.allOptions.filter(\.takesValue)
        let optionWords = options.flatMap { option in
            (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"]
        }

        var script = header(spec, shell: .bash)
        script += """

            # Adds completions of one kind to COMPREPLY: kind (words, file or directory), text to put before each
            # completion, the text typed so far, and for words the candidates.
            \(function)_add() {
                local kind=$1 prefix=$2 typed=$3 words=$4
                case $kind in
                    words)
                        COMPREPLY+=($(compgen -P "$prefix" -W "$words" -- "$typed"))
                        ;;
                    file|directory)
                        local flag=-f
                        [[ $kind == directory ]] && flag=-d
                        compopt -o filenames 2>/dev/null
                        local IFS=$'\\n'
                        COMPREPLY+=($(compgen -P "$prefix" $flag -- "$typed"))
                        ;;
                esac
            }

            \(function)() {
                local cur=${COMP_WORDS[COMP_CWORD]}
                local prev=${COMP_WORDS[COMP_CWORD-1]}
                local option=$prev typed=$cur prefix=
                COMPREPLY=()

                # Find the option whose value is being completed in each way bash may have split the line.
                if [[ $cur == --*=* ]]; then
                    option=${cur%%=*}
                    typed=${cur#*=}
                    prefix="$option="
                elif [[ $cur == = && $prev == --* ]]; then
                    option=$prev
                    typed=
                    prefix='='
                elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
                    option=${COMP_WORDS[COMP_CWORD-2]}
                fi

                case $option in

            """

        for option in valueOptions {
            let patterns = (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"]
            script += "        \(patterns.joined(separator: "|")))\n"
            script += bashAdd(function, option.completion, prefix: "\"$prefix\"", typed: "\"$typed\"", indent: 12)
            script += "            return 0\n"
            script += "            ;;\n"
        }

        let valuePatterns = valueOptions.flatMap { option in
            (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"]
        }
        script += """
                esac

                if [[ $cur == -* ]]; then
                    COMPREPLY=($(compgen -W \(shellQuote(optionWords.joined(separator: " "))) -- "$cur"))
                    return 0
                fi

                # Count the positional arguments before the cursor, skipping options and their values.
                local i=1 position=0 word options_ended=
                while (( i < COMP_CWORD )); do
                    word=${COMP_WORDS[i]}
                    if [[ -n $options_ended ]]; then
                        (( position++ ))
                    else
                        case $word in
                            --) options_ended=1 ;;

            """
        if !valuePatterns.isEmpty {
            script += "                \(valuePatterns.joined(separator: "|")))\n"
            script += "                    if [[ ${COMP_WORDS[i+1]} == = ]]; then (( i += 2 )); else (( i++ )); fi\n"
            script += "                    ;;\n"
        }
        script += """
                            -?*) ;;
                            *) (( position++ )) ;;
                        esac
                    fi
                    (( i++ ))
                done

                case $position in

            """

        for position in 0...spec.arguments.count where !spec.arguments.isEmpty {
            let kinds = positionalCompletions(spec, position: position)
            let isLast = position == spec.arguments.count
            let body = kinds.map { bashAdd(function, $0, prefix: "''", typed: "\"$cur\"", indent: 12) }.joined()
            guard !body.isEmpty else { continue }
            script += "        \(isLast ? "*" : String(position)))\n"
            script += body
            script += "            ;;\n"
        }

        script += """
                esac
                return 0
            }

            complete -F \(function) \(spec.name)

            """
        return script
    }

    /// One call of the `_add` helper for a completion kind, or nothing for free text.
    private static func bashAdd(
        _ function: String, _ kind: CompletionKind, prefix: String, typed: String, indent: Int
    ) -> String {
        let pad = String(repeating: " ", count: indent)
        switch kind {
        case .none:
            return ""
        case .file:
            return "\(pad)\(function)_add file \(prefix) \(typed)\n"
        case .directory:
            return "\(pad)\(function)_add directory \(prefix) \(typed)\n"
        case .values(let words):
            return "\(pad)\(function)_add words \(prefix) \(typed) \(shellQuote(words.joined(separator: " ")))\n"
        }
    }

    /// Quotes text for a POSIX shell inside single quotes.
    static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
