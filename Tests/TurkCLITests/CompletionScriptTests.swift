import Foundation
import Testing
@testable import TurkCLI

/// A spec with every completion kind.
let completionSpec = CommandSpec(
    name: "comp-tool",
    abstract: "exercise the completion generators",
    arguments: [
        ArgumentSpec(name: "ACTION", help: "The action.", isOptional: true, acceptedValues: ["block", "unblock"]),
        ArgumentSpec(name: "WORKER_ID", help: "Workers.", isOptional: true, isRepeatable: true),
    ],
    options: [
        OptionSpec(
            long: "target", valueName: "TARGET", help: "Sets the target [local or sandbox]: it's here.",
            acceptedValues: ["local", "sandbox"]),
        OptionSpec(long: "state-dir", valueName: "DIR", help: "Sets the folder.", completion: .directory),
        OptionSpec(long: "decisions", valueName: "FILE", help: "Reads decisions.", completion: .file),
        OptionSpec(long: "reward", short: "r", valueName: "USD", help: "Sets the reward."),
        OptionSpec(long: "locale", valueName: "CC", help: "Adds a country.", isRepeatable: true),
        .flag("dry-run", help: "Changes nothing."),
        .flag("yes", short: "y", help: "Answers yes."),
        OptionSpec(long: "secret", valueName: "X", help: "Hidden.", isHidden: true),
    ])

/// A spec whose only positional argument is a file.
let fileArgumentSpec = CommandSpec(
    name: "file-tool",
    abstract: "take a file",
    arguments: [ArgumentSpec(name: "CSV", help: "The file.", isOptional: true, completion: .file)],
    options: [.flag("dry-run", help: "Changes nothing.")])

/// Creates a scratch directory with one subdirectory and one file, for path completion.
func makeCompletionFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("turkchat-completion-\(UUID())")
    try FileManager.default.createDirectory(
        at: folder.appendingPathComponent("alpha"), withIntermediateDirectories: true)
    try Data("x".utf8).write(to: folder.appendingPathComponent("beta.txt"))
    return folder
}

@Suite struct CompletionScriptTests {
    // MARK: - Every option is mentioned

    @Test(arguments: CompletionScript.Shell.allCases)
    func scriptMentionsEveryOption(_ shell: CompletionScript.Shell) {
        let script = CompletionScript.render(completionSpec, for: shell)
        for option in completionSpec.visibleOptions {
            #expect(script.contains(option.long), "\(shell) script lacks --\(option.long)")
        }
        #expect(script.contains("'r'") || script.contains("-r"), "\(shell) script lacks -r")
        #expect(!script.contains("secret") || shell == .bash, "\(shell) script offers a hidden option")
        #expect(script.contains("block"))
    }

    @Test func bashOffersNoHiddenOption() {
        let script = CompletionScript.render(completionSpec, for: .bash)
        let optionList = script.split(separator: "\n").first { $0.contains("compgen -W '--target") }
        #expect(optionList != nil)
        #expect(optionList?.contains("--secret") == false)
    }

    @Test func fileNames() {
        #expect(CompletionScript.Shell.bash.fileName(for: "review") == "review.bash")
        #expect(CompletionScript.Shell.zsh.fileName(for: "review") == "_review")
        #expect(CompletionScript.Shell.fish.fileName(for: "review") == "review.fish")
    }

    // MARK: - The shells accept the scripts

    @Test(.enabled(if: findExecutable("bash") != nil))
    func bashSyntaxIsValid() throws {
        try checkSyntax(shell: "bash", script: CompletionScript.render(completionSpec, for: .bash))
        try checkSyntax(shell: "bash", script: CompletionScript.render(fileArgumentSpec, for: .bash))
    }

    @Test(.enabled(if: findExecutable("zsh") != nil, "zsh is not installed (apt-get install zsh)"))
    func zshSyntaxIsValid() throws {
        try checkSyntax(shell: "zsh", script: CompletionScript.render(completionSpec, for: .zsh))
        try checkSyntax(shell: "zsh", script: CompletionScript.render(fileArgumentSpec, for: .zsh))
    }

    @Test(.enabled(if: findExecutable("fish") != nil, "fish is not installed (apt-get install fish)"))
    func fishSyntaxIsValid() throws {
        try checkSyntax(shell: "fish", script: CompletionScript.render(completionSpec, for: .fish))
        try checkSyntax(shell: "fish", script: CompletionScript.render(fileArgumentSpec, for: .fish))
    }

    func checkSyntax(shell: String, script: String) throws {
        let folder = try makeCompletionFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("script")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let result = try runProcess(try #require(findExecutable(shell)), ["-n", file.path])
        #expect(result.status == 0, "\(shell) -n failed: \(result.standardError)")
        #expect(result.standardError.isEmpty, "\(shell) -n printed: \(result.standardError)")
    }

    // MARK: - bash completes what it should

    /// Runs the bash completion function for a command line split into words as bash splits it, and returns
    /// COMPREPLY sorted.
    func bashComplete(_ words: [String], spec: CommandSpec = completionSpec) throws -> [String] {
        let folder = try makeCompletionFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("completion.bash")
        try CompletionScript.render(spec, for: .bash).write(to: file, atomically: true, encoding: .utf8)

        let function = "_turkchat_" + spec.name.replacingOccurrences(of: "-", with: "_")
        let quotedWords = words.map(CompletionScript.shellQuote).joined(separator: " ")
        let program = """
            cd \(CompletionScript.shellQuote(folder.path)) || exit 1
            source \(CompletionScript.shellQuote(file.path)) || exit 1
            COMP_WORDS=(\(quotedWords))
            COMP_CWORD=\(words.count - 1)
            \(function)
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try runProcess(try #require(findExecutable("bash")), ["--norc", "--noprofile", "-c", program])
        #expect(result.status == 0, "bash failed: \(result.standardError)")
        return result.standardOutput.split(separator: "\n").map(String.init).sorted()
    }

    @Test(.enabled(if: findExecutable("bash") != nil))
    func bashCompletesOptionNames() throws {
        #expect(try bashComplete(["comp-tool", "--ta"]) == ["--target"])
        #expect(try bashComplete(["comp-tool", "--d"]) == ["--decisions", "--dry-run"])
        let all = try bashComplete(["comp-tool", "-"])
        #expect(all.contains("-r"))
        #expect(all.contains("--help"))
        #expect(!all.contains("--secret"))
    }

    @Test(.enabled(if: findExecutable("bash") != nil))
    func bashCompletesAcceptedValues() throws {
        #expect(try bashComplete(["comp-tool", "--target", ""]) == ["local", "sandbox"])
        #expect(try bashComplete(["comp-tool", "--target", "s"]) == ["sandbox"])
        // bash splits `--target=s` into three words with its default COMP_WORDBREAKS.
        #expect(try bashComplete(["comp-tool", "--target", "=", "s"]) == ["sandbox"])
        #expect(try bashComplete(["comp-tool", "--target", "="]) == ["=local", "=sandbox"])
        // Without `=` in COMP_WORDBREAKS the word stays whole.
        #expect(try bashComplete(["comp-tool", "--target=sa"]) == ["--target=sandbox"])
    }

    @Test(.enabled(if: findExecutable("bash") != nil))
    func bashCompletesPaths() throws {
        #expect(try bashComplete(["comp-tool", "--state-dir", ""]) == ["alpha"])
        #expect(try bashComplete(["comp-tool", "--decisions", "b"]) == ["beta.txt"])
        #expect(try bashComplete(["file-tool", "--dry-run", "b"], spec: fileArgumentSpec) == ["beta.txt"])
        #expect(try bashComplete(["file-tool", "x.csv", "b"], spec: fileArgumentSpec) == [])
    }

    @Test(.enabled(if: findExecutable("bash") != nil))
    func bashCompletesPositionals() throws {
        #expect(try bashComplete(["comp-tool", ""]) == ["block", "unblock"])
        #expect(try bashComplete(["comp-tool", "-r", "1", ""]) == ["block", "unblock"])
        #expect(try bashComplete(["comp-tool", "--target", "=", "local", ""]) == ["block", "unblock"])
        #expect(try bashComplete(["comp-tool", "--dry-run", "u"]) == ["unblock"])
        #expect(try bashComplete(["comp-tool", "block", ""]) == [])
        #expect(try bashComplete(["comp-tool", "-r", ""]) == [])
    }

    // MARK: - fish and zsh load the scripts

    @Test(.enabled(if: findExecutable("fish") != nil, "fish is not installed (apt-get install fish)"))
    func fishCompletes() throws {
        let folder = try makeCompletionFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("comp-tool.fish")
        try CompletionScript.render(completionSpec, for: .fish).write(to: file, atomically: true, encoding: .utf8)

        func complete(_ line: String) throws -> [String] {
            let program = "cd \(CompletionScript.fishQuote(folder.path)); source \(CompletionScript.fishQuote(file.path)); "
                + "complete -C \(CompletionScript.fishQuote(line))"
            let result = try runProcess(try #require(findExecutable("fish")), ["--no-config", "-c", program])
            #expect(result.status == 0, "fish failed: \(result.standardError)")
            return result.standardOutput.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }.sorted()
        }

        #expect(try complete("comp-tool --ta") == ["--target"])
        #expect(try complete("comp-tool --target ") == ["local", "sandbox"])
        #expect(try complete("comp-tool --target=s") == ["--target=sandbox"])
        #expect(try complete("comp-tool --state-dir ") == ["alpha/"])
        #expect(try complete("comp-tool --decisions b") == ["beta.txt"])
        #expect(try complete("comp-tool ").contains("block"))
        #expect(try complete("comp-tool --secr") == [])
    }

    @Test(.enabled(if: findExecutable("zsh") != nil, "zsh is not installed (apt-get install zsh)"))
    func zshRegistersFunction() throws {
        let folder = try makeCompletionFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try CompletionScript.render(completionSpec, for: .zsh)
            .write(to: folder.appendingPathComponent("_comp-tool"), atomically: true, encoding: .utf8)

        let program = """
            fpath=(\(CompletionScript.shellQuote(folder.path)) $fpath)
            autoload -Uz compinit
            compinit -u -D
            print -r -- $_comps[comp-tool]
            """
        let result = try runProcess(try #require(findExecutable("zsh")), ["-f", "-c", program])
        #expect(result.status == 0, "zsh failed: \(result.standardError)")
        #expect(result.standardOutput == "_comp-tool\n")
    }
}
