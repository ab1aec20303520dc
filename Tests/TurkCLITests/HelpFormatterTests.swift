import Testing
@testable import TurkCLI

@Suite struct HelpFormatterTests {
    @Test func helpListsVisibleOptions() {
        let help = HelpFormatter.help(for: sampleSpec)
        for option in sampleSpec.visibleOptions {
            #expect(help.contains("--\(option.long)"), "help lacks --\(option.long)")
        }
        #expect(help.contains("-r, --reward USD"))
        #expect(help.contains("    --dry-run"))
        #expect(help.contains("--help"))
        #expect(help.contains("--version"))
    }

    @Test func helpHidesHiddenOptions() {
        #expect(!HelpFormatter.help(for: sampleSpec).contains("--secret"))
    }

    @Test func helpStartsWithNameAndUsage() {
        let lines = HelpFormatter.help(for: sampleSpec).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "sample - exercise the parser")
        #expect(lines[2] == "Usage: sample [OPTIONS] [ITEM...]")
    }

    @Test func helpShowsDefaultsValuesAndEnvironment() {
        let spec = CommandSpec(
            name: "tool", abstract: "test",
            options: [
                OptionSpec(
                    long: "target", valueName: "TARGET", help: "Sets the target.", defaultValue: "local",
                    acceptedValues: ["local", "sandbox"], environmentVariable: "TOOL_TARGET"),
                OptionSpec(long: "locale", valueName: "CC", help: "Adds a country.", isRepeatable: true),
            ])
        // Wrapping may break a bracketed note across lines, so compare with the lines joined.
        let help = HelpFormatter.help(for: spec).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("[default: local]"))
        #expect(help.contains("[possible values: local, sandbox]"))
        #expect(help.contains("[env: TOOL_TARGET]"))
        #expect(help.contains("[repeatable]"))
    }

    @Test func helpLinesFitEightyColumns() {
        let longHelp = String(repeating: "Sets a value that needs a long explanation. ", count: 6)
        let spec = CommandSpec(
            name: "tool", abstract: "test",
            discussion: [String(repeating: "A paragraph of discussion that wraps. ", count: 8)],
            options: [
                OptionSpec(long: "value", valueName: "V", help: longHelp),
                OptionSpec(long: "a-very-long-option-name-indeed", short: "a", valueName: "SOMETHING", help: "Short."),
            ])
        let help = HelpFormatter.help(for: spec)
        for line in help.split(separator: "\n") {
            #expect(line.count <= 80, "line is \(line.count) columns: \(line)")
        }
    }

    @Test func longLabelGetsOwnLine() {
        let spec = CommandSpec(
            name: "tool", abstract: "test",
            options: [
                OptionSpec(long: "a-very-long-option-name-indeed", short: "a", valueName: "SOMETHING", help: "Short.")
            ])
        let lines = HelpFormatter.help(for: spec).split(separator: "\n").map(String.init)
        let index = lines.firstIndex(of: "  -a, --a-very-long-option-name-indeed SOMETHING")
        #expect(index != nil)
        if let index {
            #expect(lines[index + 1] == String(repeating: " ", count: 30) + "Short.")
        }
    }

    @Test func shortLabelSharesLine() {
        let lines = HelpFormatter.help(for: sampleSpec).split(separator: "\n").map(String.init)
        let reward = lines.first { $0.hasPrefix("  -r, --reward USD") }
        #expect(reward == "  -r, --reward USD" + String(repeating: " ", count: 12) + "Sets the reward in US dollars.")
    }
}

@Suite struct TextWrapperTests {
    @Test func wrapsAtWordBoundaries() {
        #expect(TextWrapper.lines("one two three four", width: 9) == ["one two", "three", "four"])
    }

    @Test func keepsLongWordsWhole() {
        let url = "https://example.org/a/very/long/path/that/does/not/fit"
        #expect(TextWrapper.lines("see \(url) now", width: 20) == ["see", url, "now"])
    }

    @Test func collapsesWhitespace() {
        #expect(TextWrapper.lines("  a \n b\tc  ", width: 80) == ["a b c"])
        #expect(TextWrapper.lines("", width: 80) == [])
    }

    @Test func hangingIndent() {
        let wrapped = TextWrapper.wrap("Usage: tool alpha beta gamma delta", width: 20, hangingIndent: 7)
        #expect(wrapped == "Usage: tool alpha\n       beta gamma\n       delta")
    }
}
