/// Renders a spec as a roff man page in section 1, for `man/<tool>.1`.
///
/// The page uses only the classic `man` macros (TH, SH, PP, TP, RS, RE, nf, fi, B, I, BR), which man-db's groff
/// and mandoc both render.
public enum ManPage {
    /// Returns the whole page.
    public static func render(_ spec: CommandSpec) -> String {
        var lines: [String] = []
        lines.append(#".\" Generated from the \#(spec.name) command spec by TurkCLI. Do not edit: run `make docs`."#)
        lines.append(
            ".TH \(quoted(spec.name.uppercased())) 1 \(quoted(spec.manualDate)) "
                + "\(quoted("turkchat \(TurkChatRelease.version)")) \(quoted("turkchat manual"))")

        lines.append(".SH NAME")
        lines.append("\(escape(spec.name)) \\- \(escape(spec.abstract))")

        lines.append(".SH SYNOPSIS")
        lines.append(contentsOf: synopsis(spec))

        lines.append(".SH DESCRIPTION")
        lines.append(contentsOf: paragraphs(spec.discussion.isEmpty ? [spec.abstract + "."] : spec.discussion))

        if !spec.arguments.isEmpty {
            lines.append(".SH ARGUMENTS")
            for argument in spec.arguments {
                lines.append(".TP")
                lines.append(".I \(escape(argument.isRepeatable ? argument.name + "..." : argument.name))")
                lines.append(contentsOf: text(argument.help))
            }
        }

        lines.append(".SH OPTIONS")
        for option in spec.visibleOptions {
            lines.append(".TP")
            lines.append(optionHeading(option))
            lines.append(contentsOf: text(optionDetails(option)))
        }

        lines.append(contentsOf: itemSection("ENVIRONMENT", spec.environment, font: "B"))
        lines.append(contentsOf: itemSection("EXIT STATUS", spec.exitStatus, font: "B"))
        lines.append(contentsOf: itemSection("FILES", spec.files, font: "I"))

        if !spec.examples.isEmpty {
            lines.append(".SH EXAMPLES")
            for (index, example) in spec.examples.enumerated() {
                if index > 0 { lines.append(".PP") }
                lines.append(contentsOf: text(example.text))
                lines.append(".PP")
                lines.append(".RS 4")
                lines.append(".nf")
                lines.append(escape(example.command))
                lines.append(".fi")
                lines.append(".RE")
            }
        }

        if !spec.seeAlso.isEmpty {
            lines.append(".SH SEE ALSO")
            lines.append(contentsOf: seeAlso(spec.seeAlso))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Sections

    private static func synopsis(_ spec: CommandSpec) -> [String] {
        var lines = [".B \(escape(spec.name))", "[\\fIOPTIONS\\fR]"]
        for argument in spec.arguments {
            let name = "\\fI\(escape(argument.name))\\fR" + (argument.isRepeatable ? "..." : "")
            lines.append(argument.isOptional ? "[\(name)]" : name)
        }
        return lines
    }

    /// `\fB\-n\fR, \fB\-\-num\-conversations\fR \fIN\fR`
    private static func optionHeading(_ option: OptionSpec) -> String {
        var heading = option.short.map { "\\fB\\-\(escape(String($0)))\\fR, " } ?? ""
        heading += "\\fB\(escape(option.displayName))\\fR"
        if let valueName = option.valueName { heading += " \\fI\(escape(valueName))\\fR" }
        return heading
    }

    private static func optionDetails(_ option: OptionSpec) -> String {
        var sentences = [option.help]
        if let defaultValue = option.defaultValue { sentences.append("The default is \(defaultValue).") }
        if !option.acceptedValues.isEmpty {
            sentences.append("Accepted values: \(option.acceptedValues.joined(separator: ", ")).")
        }
        if let variable = option.environmentVariable {
            sentences.append("When the option is absent, the value of \(variable) is used if it is set.")
        }
        if option.isRepeatable { sentences.append("May be given more than once.") }
        return sentences.joined(separator: " ")
    }

    private static func itemSection(_ title: String, _ items: [DocumentedItem], font: String) -> [String] {
        guard !items.isEmpty else { return [] }
        var lines = [".SH \(title)"]
        for item in items {
            lines.append(".TP")
            lines.append(".\(font) \(escape(item.name))")
            lines.append(contentsOf: text(item.text))
        }
        return lines
    }

    /// `.BR review (1),` for each page but the last, which has no comma.
    private static func seeAlso(_ pages: [String]) -> [String] {
        pages.enumerated().map { index, page in
            let comma = index < pages.count - 1 ? "," : ""
            guard let open = page.firstIndex(of: "("), page.hasSuffix(")") else {
                return ".BR \(escape(page))\(comma)"
            }
            let name = page[..<open]
            let section = page[open...]
            return ".BR \(escape(String(name))) \(escape(String(section)))\(comma)"
        }
    }

    private static func paragraphs(_ paragraphs: [String]) -> [String] {
        var lines: [String] = []
        for (index, paragraph) in paragraphs.enumerated() {
            if index > 0 { lines.append(".PP") }
            lines.append(contentsOf: text(paragraph))
        }
        return lines
    }

    // MARK: - Escaping

    /// Turns plain text into roff text lines: escapes it and keeps any line from starting with a control
    /// character.
    private static func text(_ plain: String) -> [String] {
        plain.split(separator: "\n", omittingEmptySubsequences: true).map { escape(String($0)) }
    }

    /// Escapes backslashes and hyphens, and protects a leading `.` or `'` that roff would read as a request.
    ///
    /// Every `-` becomes `\-`, because groff prints a plain `-` as a Unicode hyphen in UTF-8 output and option
    /// names copied from the page would then not work.
    public static func escape(_ plain: String) -> String {
        var escaped = plain.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        if escaped.hasPrefix(".") || escaped.hasPrefix("'") { escaped = "\\&" + escaped }
        return escaped
    }

    /// Quotes a macro argument, doubling any quote inside it as groff expects.
    private static func quoted(_ plain: String) -> String {
        "\"" + escape(plain).replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
