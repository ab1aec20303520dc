import Foundation
import Testing
@testable import TurkCLI

let manualSpec = CommandSpec(
    name: "sample-tool",
    abstract: "exercise the man page generator",
    discussion: ["First paragraph with --an-option.", ".starts with a dot", "Back\\slash."],
    arguments: [ArgumentSpec(name: "ITEM", help: "Items.", isOptional: true, isRepeatable: true)],
    options: [
        OptionSpec(long: "reward", short: "r", valueName: "USD", help: "Sets the reward.", defaultValue: "0.50"),
        OptionSpec(
            long: "target", valueName: "TARGET", help: "Sets the target.", acceptedValues: ["local", "sandbox"],
            environmentVariable: "SAMPLE_TARGET"),
        OptionSpec(long: "locale", valueName: "CC", help: "Adds a country.", isRepeatable: true),
        .flag("dry-run", help: "Changes nothing."),
        OptionSpec(long: "secret", valueName: "X", help: "Hidden.", isHidden: true),
    ],
    environment: [DocumentedItem("SAMPLE_TARGET", "The target.")],
    files: [DocumentedItem("~/.sample", "The state.")],
    examples: [ExampleSpec("Run it:", "sample-tool --dry-run -r 1.00")],
    seeAlso: ["other(1)", "third(1)"],
    manualDate: "2026-01-02")

@Suite struct ManPageTests {
    @Test func hasEverySection() {
        let page = ManPage.render(manualSpec)
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "ARGUMENTS", "OPTIONS", "ENVIRONMENT", "EXIT STATUS",
                        "FILES", "EXAMPLES", "SEE ALSO"] {
            #expect(page.contains("\n.SH \(section)\n"), "missing section \(section)")
        }
    }

    @Test func titleLineUsesFixedDate() {
        let page = ManPage.render(manualSpec)
        #expect(page.contains(#".TH "SAMPLE\-TOOL" 1 "2026\-01\-02" "turkchat 0.1.0" "turkchat manual""#))
    }

    @Test func nameLine() {
        #expect(ManPage.render(manualSpec).contains("\n.SH NAME\nsample\\-tool \\- exercise the man page generator\n"))
    }

    @Test func optionsAreEscapedAndDetailed() {
        let page = ManPage.render(manualSpec)
        #expect(page.contains("\\fB\\-r\\fR, \\fB\\-\\-reward\\fR \\fIUSD\\fR"))
        #expect(page.contains("The default is 0.50."))
        #expect(page.contains("Accepted values: local, sandbox."))
        #expect(page.contains("SAMPLE_TARGET is used if it is set"))
        #expect(page.contains("May be given more than once."))
        #expect(page.contains("\\fB\\-\\-help\\fR"))
        #expect(!page.contains("secret"))
    }

    @Test func exitStatusListsCodes() {
        let page = ManPage.render(manualSpec)
        #expect(page.contains(".TP\n.B 0\nSuccess."))
        #expect(page.contains(".TP\n.B 1\n"))
        #expect(page.contains(".TP\n.B 64\nUsage error"))
    }

    @Test func escapesControlCharacters() {
        #expect(ManPage.escape(".starts") == "\\&.starts")
        #expect(ManPage.escape("'quote") == "\\&'quote")
        #expect(ManPage.escape("a\\b") == "a\\eb")
        #expect(ManPage.escape("--x") == "\\-\\-x")
        #expect(ManPage.render(manualSpec).contains("\n\\&.starts with a dot\n"))
    }

    @Test func seeAlsoSeparatesWithCommas() {
        #expect(ManPage.render(manualSpec).contains(".BR other (1),\n.BR third (1)\n"))
    }

    @Test(.enabled(if: findExecutable("man") != nil, "man is not installed (apt-get install man-db groff-base)"))
    func rendersWithMan() throws {
        let man = try #require(findExecutable("man"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turkchat-man-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("sample-tool.1")
        try ManPage.render(manualSpec).write(to: file, atomically: true, encoding: .utf8)

        let result = try runProcess(man, ["-l", file.path], environment: ["MANWIDTH": "80"])
        let text = removingOverstrike(result.standardOutput)
        #expect(result.status == 0)
        #expect(!result.standardError.contains("warning"), "man printed: \(result.standardError)")
        #expect(text.contains("sample-tool - exercise the man page generator"))
        #expect(text.contains("--reward USD"))
        #expect(text.contains("sample-tool --dry-run -r 1.00"))
        #expect(text.contains(".starts with a dot"))
        #expect(text.contains("Back\\slash."))
    }
}

/// Removes the backspace overstrikes (`X\bX` for bold, `_\bX` for underline) that man writes to a pipe.
func removingOverstrike(_ text: String) -> String {
    var result: [Unicode.Scalar] = []
    for scalar in text.unicodeScalars {
        if scalar == "\u{8}" {
            if !result.isEmpty { result.removeLast() }
        } else {
            result.append(scalar)
        }
    }
    return String(String.UnicodeScalarView(result))
}
