import Foundation
import Testing
import TurkCLI
import TurkStore
@testable import TurkTools

/// Error and progress messages: counts in the right number, file errors with their path and reason, and input
/// mistakes named precisely.
@Suite struct MessageTests {
    @Test(arguments: [(0, "0 HITs"), (1, "1 HIT"), (2, "2 HITs")])
    func pluralCount(count: Int, expected: String) {
        #expect(Plural.count(count, "HIT") == expected)
    }

    @Test func pluralIrregularNoun() {
        #expect(Plural.count(1, "bonus", "bonuses") == "1 bonus")
        #expect(Plural.count(3, "bonus", "bonuses") == "3 bonuses")
        #expect(Plural.verb(1, "waits", "wait") == "waits")
        #expect(Plural.verb(2, "waits", "wait") == "wait")
    }

    @Test func singleCountsInToolMessages() async throws {
        let harness = try ToolHarness()
        let created = await harness.createHits(["--task", harness.taskDirectory.path, "-n", "1"])
        #expect(created.standardError.contains("Rewards (1 HIT × $0.50)"), "\(created.standardError)")
        let runId = try #require(created.jsonLines.first?["run_id"] as? String)
        let hitId = try #require(created.jsonLines.first?["hit_id"] as? String)

        // A worker still works on the only HIT, so delete-hits leaves it and a bonus for it waits.
        let assignmentId = try harness.work(hitId: hitId, runId: runId, workerId: "A1SINGLE", submit: false)
        let deleted = await harness.deleteHits(["--run", runId])
        #expect(deleted.status == 1)
        #expect((deleted.jsonLines.first?["reason"] as? String)?.hasPrefix(
            "1 assignment is still in progress; rerun after it is submitted or its deadline passes") == true)
        #expect(deleted.standardError.contains("1 HIT remains;"), "\(deleted.standardError)")

        let csv = harness.root.appendingPathComponent("one.csv")
        try Data("worker_id,assignment_id,amount,reason\nA1SINGLE,\(assignmentId),0.10,ok\n".utf8).write(to: csv)
        let bonus = await harness.bonusWorkers([csv.path])
        #expect(bonus.status == 0, "\(bonus.standardError)")
        #expect(bonus.standardError.contains("1 bonus waits for its assignment to be submitted"),
                "\(bonus.standardError)")

        let decisions = await harness.review(["--decisions", "-"], input: "not json\n")
        #expect(decisions.standardError.contains("1 invalid decision; nothing was applied"))

        let blocked = await harness.block(["block", "--reason", "x", "A1OK", "bad1"])
        #expect(blocked.standardError.contains("1 malformed worker id; nothing was changed"))
    }

    @Test func stateDirectoryUnderAFile() async throws {
        let harness = try ToolHarness()
        let file = harness.root.appendingPathComponent("afile")
        try Data("x".utf8).write(to: file)
        let result = await harness.review(["--state-dir", file.appendingPathComponent("state").path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot create the state directory \(file.path)/state: "
            + "\(file.path) is a file, not a directory"), "\(result.standardError)")
        #expect(!result.standardError.contains("NSCocoaErrorDomain"))
        #expect(result.standardError.contains("hint: the state directory comes from --state-dir"))
    }

    @Test func stateDirectoryThatIsAFile() async throws {
        let harness = try ToolHarness()
        let file = harness.root.appendingPathComponent("afile")
        try Data("x".utf8).write(to: file)
        let result = await harness.review(["--state-dir", file.path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot create the state directory \(file.path): \(file.path) is a "
            + "file, not a directory"), "\(result.standardError)")
    }

    @Test func homeThatIsAFile() async throws {
        let harness = try ToolHarness()
        let home = harness.root.appendingPathComponent("home-file")
        try Data("x".utf8).write(to: home)
        // Without TURKCHAT_STATE_DIR and XDG_STATE_HOME the state directory is ~/.local/state/turkchat.
        let result = await harness.run(
            { await ReviewCommand.main(arguments: $0, environment: $1, console: $2) }, [],
            environment: ["TURKCHAT_STATE_DIR": "", "HOME": home.path])
        #expect(result.status == 1)
        #expect(result.standardError.contains(
            "cannot create the state directory \(home.path)/.local/state/turkchat: \(home.path) is a file, not a "
                + "directory"), "\(result.standardError)")
    }

    @Test func exportToADirectory() async throws {
        let harness = try ToolHarness()
        let directory = harness.root.appendingPathComponent("out", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let result = await harness.review(["--export", directory.path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot write the export to \(directory.path): Is a directory"),
                "\(result.standardError)")
        #expect(!result.standardError.contains("NSCocoaErrorDomain"))
    }

    @Test func readonlyDatabaseNamesTheFile() throws {
        let harness = try ToolHarness()
        try FileManager.default.createDirectory(at: harness.stateDirectory, withIntermediateDirectories: true)
        let path = harness.stateDirectory.appendingPathComponent("runs.sqlite").path
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        // query_only makes every write fail with SQLITE_READONLY, as a file this process may not write does.
        try database.execute("PRAGMA query_only=ON")
        let error = try #require(throws: SQLiteError.self) { try database.run("CREATE TABLE probe (x)") }
        #expect(error.message.contains("attempt to write a readonly database: \(path) is read-only for this "
            + "process; check the permissions of the directory \(harness.stateDirectory.path) and of its files "
            + "runs.sqlite, runs.sqlite-wal and runs.sqlite-shm"), "\(error.message)")
    }

    @Test func unknownBlockActionIsNamed() async throws {
        let harness = try ToolHarness()
        let result = await harness.block(["frobnicate", "A1ABC", "--reason", "x"])
        #expect(result.status == 64)
        #expect(result.standardError.contains(
            "unknown action 'frobnicate': use block, unblock, soft-block, soft-unblock or list"),
                "\(result.standardError)")
    }

    @Test func malformedWorkerIdBeforeMissingReason() async throws {
        let harness = try ToolHarness()
        let result = await harness.block(["block", "a1bad"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("malformed worker id 'a1bad' on the command line"),
                "\(result.standardError)")
        #expect(!result.standardError.contains("--reason"))
    }

    @Test(arguments: [
        ("[1,2]", "the line is valid JSON but an array, not an object"),
        (#""approve""#, "the line is valid JSON but a string, not an object"),
        ("{nope", "invalid JSON"),
    ])
    func decisionLineThatIsNoObject(line: String, expected: String) async throws {
        let harness = try ToolHarness()
        let result = await harness.review(["--decisions", "-"], input: line + "\n")
        #expect(result.status == 1)
        #expect(result.standardError.contains("stdin:1: \(expected)"), "\(result.standardError)")
    }

    @Test(arguments: [
        ("-n", "99999999999999999999", "num-conversations", "too large; expected a whole number from 1 to 100000"),
        ("-n", "100001", "num-conversations", "too large; expected a whole number from 1 to 100000"),
        ("-n", "0", "num-conversations", "too small; expected a whole number from 1 to 100000"),
        ("-n", "12x", "num-conversations", "expected a whole number from 1 to 100000"),
        ("--lifetime", "99999999999999999999", "lifetime",
         "too large; expected a duration from 30 to 31536000 seconds"),
        ("--lifetime", "999999999999999999d", "lifetime", "too large; expected a duration from 30 to 31536000 seconds"),
        ("--reward", "99999999999999999999", "reward", "it is too large; amounts are at most 999999999.99"),
    ])
    func valuesTooLargeOrSmall(flag: String, value: String, option: String, expected: String) async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(["--task", harness.taskDirectory.path, "--dry-run", flag, value])
        #expect(result.status == 64)
        #expect(result.standardError.contains("invalid value '\(value)' for --\(option): \(expected)"),
                "\(result.standardError)")
    }

    @Test func bonusAmountTooLarge() async throws {
        let harness = try ToolHarness()
        let csv = harness.root.appendingPathComponent("huge.csv")
        try Data("worker_id,assignment_id,amount,reason\nA1HUGE,3HUGEASSIGNMENT,99999999999999999999,ok\n".utf8)
            .write(to: csv)
        let result = await harness.bonusWorkers([csv.path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("huge.csv:2: invalid amount '99999999999999999999': it is too large"),
                "\(result.standardError)")
    }

    @Test(arguments: [
        ["--task="], ["--task", ""], ["--task", "  "],
    ])
    func emptyTaskIsAUsageError(arguments: [String]) async throws {
        let harness = try ToolHarness()
        let result = await harness.createHits(arguments + ["--dry-run"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("empty value for --task: expected DIR"), "\(result.standardError)")
    }

    @Test func emptyAnnotationDoesNotSelectEverything() async throws {
        let harness = try ToolHarness()
        let result = await harness.deleteHits(["--account", "--annotation", ""])
        #expect(result.status == 64)
        #expect(result.standardError.contains("empty value for --annotation"))
    }
}
