/// Renders a spec as the text that `--help` prints.
public enum HelpFormatter {
    /// The width that help text is wrapped to.
    public static let width = 80
    /// The column where option descriptions start.
    static let descriptionColumn = 30

    /// Returns the whole help page, ending with a newline.
    public static func help(for spec: CommandSpec, width: Int = HelpFormatter.width) -> String {
        var sections: [String] = []
        sections.append(TextWrapper.wrap("\(spec.name) - \(spec.abstract)", width: width))
        sections.append(TextWrapper.wrap("Usage: \(spec.usageLine)", width: width, hangingIndent: 7))
        for paragraph in spec.discussion {
            sections.append(TextWrapper.wrap(paragraph, width: width))
        }

        if !spec.arguments.isEmpty {
            let rows = spec.arguments.map { (label: $0.usage, text: $0.help) }
            sections.append("Arguments:\n" + table(rows, width: width))
        }

        let rows = spec.visibleOptions.map { (label: label(for: $0), text: description(of: $0, width: width)) }
        sections.append("Options:\n" + table(rows, width: width))

        return sections.joined(separator: "\n\n") + "\n"
    }

    /// Returns the option's names and value, indented so that long names line up whether or not a short name
    /// exists.
    static func label(for option: OptionSpec) -> String {
        option.short == nil ? "    " + option.synopsis : option.synopsis
    }

    /// Returns the help sentence followed by the default, the accepted values, the environment variable and whether
    /// the option repeats.
    static func description(of option: OptionSpec, width: Int = HelpFormatter.width) -> String {
        var notes: [String] = []
        if let defaultValue = option.defaultValue { notes.append("[default: \(defaultValue)]") }
        if !option.acceptedValues.isEmpty {
            notes.append("[possible values: \(option.acceptedValues.joined(separator: ", "))]")
        }
        if let variable = option.environmentVariable { notes.append("[env: \(variable)]") }
        if option.isRepeatable { notes.append("[repeatable]") }

        // A note that fits on one line of the column is kept whole, so `[default:` never ends a line.
        let columnWidth = width - descriptionColumn
        let glued = notes.map { note in
            note.count <= columnWidth ? note.replacingOccurrences(of: " ", with: TextWrapper.nonBreakingSpace) : note
        }
        return ([option.help] + glued).joined(separator: " ")
    }

    /// Lays out labels on the left and wrapped text from `descriptionColumn`. A label too wide for its column
    /// gets a line of its own.
    static func table(_ rows: [(label: String, text: String)], width: Int) -> String {
        let indent = String(repeating: " ", count: descriptionColumn)
        var lines: [String] = []

        for row in rows {
            let label = "  " + row.label
            let wrapped = TextWrapper.lines(row.text, width: width - descriptionColumn)
            var textLines = wrapped.map { indent + $0 }

            if label.count + 2 <= descriptionColumn, !wrapped.isEmpty {
                let padding = String(repeating: " ", count: descriptionColumn - label.count)
                textLines[0] = label + padding + wrapped[0]
            } else {
                textLines.insert(label, at: 0)
            }
            lines.append(contentsOf: textLines)
        }
        return lines.joined(separator: "\n")
    }
}

/// Greedy word wrapping for terminal text.
public enum TextWrapper {
    /// A space that `lines(_:width:)` does not break at. It is printed as a plain space.
    public static let nonBreakingSpace = "\u{00A0}"

    /// Splits `text` into lines of at most `width` characters, breaking at spaces but not at
    /// `nonBreakingSpace`. A single word longer than `width` gets a line of its own and is not broken, so URLs
    /// and paths stay whole.
    public static func lines(_ text: String, width: Int) -> [String] {
        splitKeepingNonBreakingSpaces(text, width: width).map(plainSpaces)
    }

    /// Wraps `text` to `width` columns, indenting every line after the first by `hangingIndent` spaces.
    public static func wrap(_ text: String, width: Int, hangingIndent: Int = 0) -> String {
        let first = splitKeepingNonBreakingSpaces(text, width: width)
        guard first.count > 1, hangingIndent > 0 else { return first.map(plainSpaces).joined(separator: "\n") }

        // Rewrap the tail at the narrower width so that indented lines also fit.
        let indent = String(repeating: " ", count: hangingIndent)
        let tail = splitKeepingNonBreakingSpaces(first.dropFirst().joined(separator: " "), width: width - hangingIndent)
        return ([first[0]] + tail.map { indent + $0 }).map(plainSpaces).joined(separator: "\n")
    }

    private static func splitKeepingNonBreakingSpaces(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""

        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private static func plainSpaces(_ line: String) -> String {
        line.replacingOccurrences(of: nonBreakingSpace, with: " ")
    }
}
