import Foundation
import Testing
import TurkCLI
import TurkTools

/// Checks the committed man pages and completion scripts against the tool specs.
///
/// With `TURKCHAT_REGENERATE_DOCS=1` (what `make docs` sets) the staleness test writes the files instead of
/// comparing them.
@Suite struct GeneratedDocsTests {
    /// The package root, found from this file's path so the test works from any working directory.
    static let packageRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // TurkToolsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let regenerate = ProcessInfo.processInfo.environment["TURKCHAT_REGENERATE_DOCS"] == "1"

    /// Returns every generated file as a path relative to the package root, with its expected content.
    static func generatedFiles() -> [(path: String, content: String)] {
        var files: [(path: String, content: String)] = []
        for spec in AllToolSpecs.all {
            files.append(("man/\(spec.name).1", ManPage.render(spec)))
            for shell in CompletionScript.Shell.allCases {
                files.append(("completions/\(shell.fileName(for: spec.name))", CompletionScript.render(spec, for: shell)))
            }
        }
        return files
    }

    // MARK: - Committed files

    @Test func committedDocsAreCurrent() throws {
        let fileManager = FileManager.default
        for file in Self.generatedFiles() {
            let url = Self.packageRoot.appendingPathComponent(file.path)
            if Self.regenerate {
                try fileManager.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.content.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            guard let committed = try? String(contentsOf: url, encoding: .utf8) else {
                Issue.record("\(file.path) is missing: run `make docs` and commit the result")
                continue
            }
            if committed != file.content {
                Issue.record("\(file.path) is stale: run `make docs` and commit the result. \(firstDifference(committed, file.content))")
            }
        }
    }

    /// Describes the first line where the committed file and the generated text differ.
    func firstDifference(_ committed: String, _ generated: String) -> String {
        let old = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let new = generated.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(old.count, new.count) {
            let oldLine = index < old.count ? String(old[index]) : "(end of file)"
            let newLine = index < new.count ? String(new[index]) : "(end of file)"
            if oldLine != newLine {
                return "First difference at line \(index + 1): committed '\(oldLine)', generated '\(newLine)'."
            }
        }
        return "The files differ only in line endings."
    }

    @Test func noStrayGeneratedFiles() throws {
        let expected = Set(Self.generatedFiles().map(\.path))
        for folder in ["man", "completions"] {
            let url = Self.packageRoot.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names where !name.hasPrefix(".") {
                let path = "\(folder)/\(name)"
                #expect(expected.contains(path), "\(path) matches no tool spec: delete it or add the tool to AllToolSpecs")
            }
        }
    }

    // MARK: - Specs

    @Test func sixToolsWithDistinctNames() {
        let names = AllToolSpecs.all.map(\.name)
        #expect(names == ["create-hits", "serve-chat", "review", "bonus-workers", "delete-hits", "block"])
    }

    @Test(arguments: AllToolSpecs.all.map(\.name))
    func specIsValid(_ name: String) throws {
        let spec = try #require(AllToolSpecs.all.first { $0.name == name })
        #expect(spec.validationProblems() == [])
    }

    @Test(arguments: AllToolSpecs.all.map(\.name))
    func helpListsEveryOption(_ name: String) throws {
        let spec = try #require(AllToolSpecs.all.first { $0.name == name })
        let help = HelpFormatter.help(for: spec)
        for option in spec.visibleOptions {
            #expect(help.contains(option.synopsis), "\(name) --help lacks '\(option.synopsis)'")
        }
        for argument in spec.arguments {
            #expect(help.contains(argument.usage), "\(name) --help lacks \(argument.usage)")
        }
        for line in help.split(separator: "\n") {
            #expect(line.count <= HelpFormatter.width, "\(name) --help has a line of \(line.count) columns: \(line)")
        }
    }

    @Test(arguments: AllToolSpecs.all.map(\.name))
    func manPageDocumentsEveryOption(_ name: String) throws {
        let spec = try #require(AllToolSpecs.all.first { $0.name == name })
        let page = ManPage.render(spec)
        for option in spec.visibleOptions {
            let escaped = ManPage.escape(option.displayName)
            #expect(page.contains("\\fB\(escaped)\\fR"), "man/\(name).1 lacks \(option.displayName)")
        }
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "FILES",
                        "EXAMPLES", "SEE ALSO"] {
            #expect(page.contains("\n.SH \(section)\n"), "man/\(name).1 lacks the \(section) section")
        }
        #expect(page.contains("\n.B 64\n"))
    }

    @Test(arguments: AllToolSpecs.all.map(\.name))
    func completionsOfferEveryOption(_ name: String) throws {
        let spec = try #require(AllToolSpecs.all.first { $0.name == name })
        for shell in CompletionScript.Shell.allCases {
            let script = CompletionScript.render(spec, for: shell)
            for option in spec.visibleOptions {
                #expect(script.contains(option.long), "\(shell) completion of \(name) lacks --\(option.long)")
            }
            for case .values(let words) in spec.visibleOptions.map(\.completion) {
                for word in words {
                    #expect(script.contains(word), "\(shell) completion of \(name) lacks the value \(word)")
                }
            }
        }
    }

    @Test func commonOptionsInMarketplaceTools() {
        for spec in AllToolSpecs.all where spec.name != "serve-chat" {
            for option in CommonOptions.all {
                #expect(spec.option(named: option.long) != nil, "\(spec.name) lacks --\(option.long)")
            }
        }
    }
}
