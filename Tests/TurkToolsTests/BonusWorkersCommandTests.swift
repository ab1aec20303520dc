import Foundation
import Testing
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkTools

@Suite struct BonusWorkersCommandTests {
    /// A run with two submitted assignments and one accepted but not submitted.
    struct Fixture {
        let harness: ToolHarness
        let runId: String
        let first: String
        let second: String
        let inProgress: String
    }

    func fixture() async throws -> Fixture {
        let harness = try ToolHarness()
        let (runId, hits) = try await harness.createRun(conversations: 3)
        let first = try harness.work(hitId: hits[0], runId: runId, workerId: "A1FIRST")
        let second = try harness.work(hitId: hits[1], runId: runId, workerId: "A2SECOND")
        let inProgress = try harness.work(hitId: hits[2], runId: runId, workerId: "A3THIRD", submit: false)
        return Fixture(harness: harness, runId: runId, first: first, second: second, inProgress: inProgress)
    }

    func write(_ text: String, in harness: ToolHarness, name: String = "bonuses.csv") throws -> String {
        let url = harness.root.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func paidBonuses(_ harness: ToolHarness, _ assignmentId: String) async throws -> [BonusPayment] {
        let marketplace = try harness.marketplace()
        defer { marketplace.close() }
        return try await marketplace.allBonusPayments(assignmentId: assignmentId)
    }

    @Test func paysEachRowOnceAndARerunPaysNothing() async throws {
        let f = try await fixture()
        let path = try write(
            "\u{FEFF}Worker ID,Assignment ID,Amount,Reason\r\nA1FIRST,\(f.first),$0.50,\"Great question, thanks\"\r\n"
                + "A2SECOND,\(f.second),1.25,Good answer\r\n", in: f.harness)
        let result = await f.harness.bonusWorkers([path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.map { $0["outcome"] as? String } == ["paid", "paid"])
        #expect(result.jsonLines.first?["fee"] as? String == "0.10")
        #expect(try await paidBonuses(f.harness, f.first).count == 1)

        let again = await f.harness.bonusWorkers([path])
        #expect(again.status == 0)
        #expect(again.jsonLines.map { $0["outcome"] as? String } == ["already paid", "already paid"])
        #expect(try await paidBonuses(f.harness, f.first).count == 1)
        #expect(try await paidBonuses(f.harness, f.second).count == 1)
    }

    @Test func oneBadRowPaysNothing() async throws {
        let f = try await fixture()
        let path = try write(
            "worker_id,assignment_id,amount,reason\nA1FIRST,\(f.first),0.50,ok\nA2SECOND,\(f.second),0.9752,ok\n"
                + "A1FIRST,\(f.first),-1,ok\n", in: f.harness)
        let result = await f.harness.bonusWorkers([path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("bonuses.csv:3: invalid amount '0.9752'"))
        #expect(result.standardError.contains("bonuses.csv:4: invalid amount '-1'"))
        #expect(result.standardError.contains("nothing was paid"))
        #expect(try await paidBonuses(f.harness, f.first).isEmpty)
    }

    @Test func unknownAssignmentPaysNothing() async throws {
        let f = try await fixture()
        let path = try write(
            "worker_id,assignment_id,amount,reason\nA1FIRST,\(f.first),0.50,ok\nA9NOBODY,3NOSUCHASSIGNMENT,0.50,ok\n",
            in: f.harness)
        let result = await f.harness.bonusWorkers([path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("assignment 3NOSUCHASSIGNMENT not found"))
        #expect(result.standardError.contains("hint:"))
        #expect(try await paidBonuses(f.harness, f.first).isEmpty)
    }

    @Test func wrongWorkerForAssignmentIsABadRow() async throws {
        let f = try await fixture()
        let path = try write("worker_id,assignment_id,amount,reason\nA2SECOND,\(f.first),0.50,ok\n", in: f.harness)
        let result = await f.harness.bonusWorkers([path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("belongs to worker A1FIRST, not A2SECOND"))
    }

    @Test func unsubmittedAssignmentWaitsThenPaysLater() async throws {
        let f = try await fixture()
        let path = try write(
            "worker_id,assignment_id,amount,reason\nA3THIRD,\(f.inProgress),0.40,Thanks\nA1FIRST,\(f.first),0.20,ok\n",
            in: f.harness)
        let first = await f.harness.bonusWorkers([path])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.jsonLines.map { $0["outcome"] as? String } == ["waiting", "paid"])
        #expect((first.jsonLines.first?["message"] as? String)?.contains("not submitted yet") == true)
        let store = try f.harness.runStore()
        #expect(try store.bonuses(state: .waiting).count == 1)
        store.close()

        let marketplace = try f.harness.marketplace()
        try marketplace.submitAssignment(assignmentId: f.inProgress, workerId: "A3THIRD", answers: [])
        marketplace.close()

        let later = await f.harness.bonusWorkers(["--pay-waiting"])
        #expect(later.status == 0, "\(later.standardError)")
        #expect(later.jsonLines.map { $0["outcome"] as? String } == ["paid"])
        #expect(try await paidBonuses(f.harness, f.inProgress).count == 1)
        #expect(try await paidBonuses(f.harness, f.first).count == 1)
    }

    @Test func identicalRowsNeedTheRepeatFlag() async throws {
        let f = try await fixture()
        let row = "A1FIRST,\(f.first),0.30,Extra round\n"
        let path = try write("worker_id,assignment_id,amount,reason\n" + row + row, in: f.harness)
        let refused = await f.harness.bonusWorkers([path])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("bonuses.csv:3: it repeats line 2 exactly, so worker A1FIRST would be "
            + "paid $0.30 with reason 'Extra round' twice for assignment \(f.first)"), "\(refused.standardError)")
        #expect(refused.standardError.contains("1 row would pay a worker a second bonus for the same assignment; "
            + "nothing was paid"))
        #expect(refused.standardError.contains("--allow-repeat-bonus"))
        #expect(try await paidBonuses(f.harness, f.first).isEmpty)

        let dry = await f.harness.bonusWorkers(["--dry-run", path])
        #expect(dry.status == 1)
        #expect(dry.jsonLines.map { $0["outcome"] as? String } == ["would pay", "repeat"])
        #expect((dry.jsonLines.last?["message"] as? String)?.contains("repeats line 2 exactly") == true)

        let allowed = await f.harness.bonusWorkers(["--allow-repeat-bonus", path])
        #expect(allowed.status == 0, "\(allowed.standardError)")
        #expect(allowed.standardError.contains("paying it because of --allow-repeat-bonus"))
        #expect(try await paidBonuses(f.harness, f.first).count == 2)

        // A rerun pays nothing and needs no flag, because both rows are paid under their own tokens.
        let again = await f.harness.bonusWorkers([path])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.jsonLines.map { $0["outcome"] as? String } == ["already paid", "already paid"])
        #expect(try await paidBonuses(f.harness, f.first).count == 2)
    }

    @Test(arguments: [("0.50", "Great question!"), ("0.55", "Great question")])
    func editedRowAfterPaymentIsRejected(amount: String, reason: String) async throws {
        let f = try await fixture()
        let header = "worker_id,assignment_id,amount,reason\n"
        let original = try write(header + "A1FIRST,\(f.first),0.50,Great question\n", in: f.harness, name: "v1.csv")
        #expect(await f.harness.bonusWorkers([original]).status == 0)

        let edited = try write(header + "A2SECOND,\(f.second),0.40,ok\nA1FIRST,\(f.first),\(amount),\(reason)\n",
                               in: f.harness, name: "v2.csv")
        let refused = await f.harness.bonusWorkers([edited])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains(
            "v2.csv:3: worker A1FIRST already received 1 bonus for assignment \(f.first): $0.50 with reason "
                + "'Great question' (bonus ledger: paid "), "\(refused.standardError)")
        #expect(refused.standardError.contains("v1.csv line 2), and this row would pay $\(amount) with reason "
            + "'\(reason)' on top"))
        #expect(refused.standardError.contains("nothing was paid"))
        // Nothing in the file is paid, not even the unrelated first row.
        #expect(try await paidBonuses(f.harness, f.second).isEmpty)
        #expect(try await paidBonuses(f.harness, f.first).count == 1)

        let dry = await f.harness.bonusWorkers(["--dry-run", edited])
        #expect(dry.status == 1)
        #expect(dry.jsonLines.map { $0["outcome"] as? String } == ["would pay", "repeat"])

        let allowed = await f.harness.bonusWorkers(["--allow-repeat-bonus", edited])
        #expect(allowed.status == 0, "\(allowed.standardError)")
        #expect(try await paidBonuses(f.harness, f.first).count == 2)
        #expect(try await paidBonuses(f.harness, f.second).count == 1)
    }

    @Test func paymentOutsideTheLedgerIsFound() async throws {
        let f = try await fixture()
        // Another state directory or tool paid this assignment, so only ListBonusPayments knows.
        let marketplace = try f.harness.marketplace()
        _ = try await marketplace.sendBonus(SendBonusRequest(
            workerId: "A1FIRST", bonusAmount: "1.00", assignmentId: f.first, reason: "Paid elsewhere",
            uniqueRequestToken: "elsewhere-1"))
        marketplace.close()

        let path = try write("worker_id,assignment_id,amount,reason\nA1FIRST,\(f.first),1.00,Paid here\n",
                             in: f.harness)
        let refused = await f.harness.bonusWorkers([path])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("$1.00 with reason 'Paid elsewhere' (ListBonusPayments on the "
            + "local marketplace: granted "), "\(refused.standardError)")
        #expect(refused.standardError.contains("not in the bonus ledger), and this row would pay $1.00 with reason "
            + "'Paid here' on top"))
        #expect(try await paidBonuses(f.harness, f.first).count == 1)
    }

    @Test func otherRowsOfTheFileAreNotRepeats() async throws {
        let f = try await fixture()
        let header = "worker_id,assignment_id,amount,reason\n"
        let first = "A1FIRST,\(f.first),0.50,Good question\n"
        // The first row was paid before a crash; the whole file runs again with a second bonus for the assignment.
        #expect(await f.harness.bonusWorkers([try write(header + first, in: f.harness, name: "part.csv")]).status == 0)
        let whole = try write(header + first + "A1FIRST,\(f.first),0.25,Quick answer\n", in: f.harness,
                              name: "whole.csv")
        let result = await f.harness.bonusWorkers([whole])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.map { $0["outcome"] as? String } == ["already paid", "paid"])
        #expect(try await paidBonuses(f.harness, f.first).count == 2)
    }

    @Test func crashAfterTheCallIsPaidOnce() async throws {
        let f = try await fixture()
        let amount = USD(cents: 75)
        let token = PlannedBonus.token(workerId: "A1FIRST", assignmentId: f.first, amount: amount, reason: "ok",
                                       ordinal: 1)
        // The earlier run wrote the ledger row, MTurk paid, and the process died before recording it.
        let store = try f.harness.runStore()
        _ = try store.reserveBonus(token: token, workerId: "A1FIRST", assignmentId: f.first, amount: amount,
                                   reason: "ok")
        store.close()
        let marketplace = try f.harness.marketplace()
        _ = try await marketplace.sendBonus(SendBonusRequest(
            workerId: "A1FIRST", bonusAmount: "0.75", assignmentId: f.first, reason: "ok", uniqueRequestToken: token))
        marketplace.close()

        let path = try write("worker_id,assignment_id,amount,reason\nA1FIRST,\(f.first),0.75,ok\n", in: f.harness)
        let result = await f.harness.bonusWorkers([path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.first?["outcome"] as? String == "paid")
        #expect(try await paidBonuses(f.harness, f.first).count == 1)
    }

    @Test func dryRunPrintsTheTotalAndPaysNothing() async throws {
        let f = try await fixture()
        let path = try write(
            "worker_id,assignment_id,amount,reason\nA1FIRST,\(f.first),0.03,ok\nA2SECOND,\(f.second),1.00,ok\n",
            in: f.harness)
        let result = await f.harness.bonusWorkers(["--dry-run", path])
        #expect(result.status == 0)
        #expect(result.jsonLines.map { $0["outcome"] as? String } == ["would pay", "would pay"])
        // Fees: 20 % of $0.03 is below the $0.01 minimum; 20 % of $1.00 is $0.20.
        #expect(result.standardError.contains("$1.03 + MTurk fees $0.21 = $1.24"))
        #expect(try await paidBonuses(f.harness, f.first).isEmpty)
    }

    @Test func headerlessFileResolvesAssignmentsFromTheRunStore() async throws {
        let f = try await fixture()
        let path = try write("A1FIRST,0.50\nA2SECOND,0.60\n", in: f.harness)
        let result = await f.harness.bonusWorkers(
            ["--columns", "worker_id,amount", "--reason", "Thanks for chatting", "--run", f.runId, path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.map { $0["assignment_id"] as? String } == [f.first, f.second])
        #expect(try await paidBonuses(f.harness, f.second).first?.reason == "Thanks for chatting")
    }

    @Test func fileFromStandardInput() async throws {
        let f = try await fixture()
        let result = await f.harness.bonusWorkers(
            ["-"], input: "worker_id,assignment_id,amount,reason\nA1FIRST,\(f.first),0.50,ok\n")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.jsonLines.count == 1)
    }

    @Test func limitsNeedTheExplicitFlag() async throws {
        let f = try await fixture()
        let path = try write("worker_id,assignment_id,amount,reason\nA1FIRST,\(f.first),25.00,ok\n", in: f.harness)
        let refused = await f.harness.bonusWorkers([path])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("per-payment maximum $20.00"))
        let allowed = await f.harness.bonusWorkers(["--allow-over-max", path])
        #expect(allowed.status == 0, "\(allowed.standardError)")
        #expect(try await paidBonuses(f.harness, f.first).count == 1)
    }

    @Test func badColumnsOptionIsAUsageError() async throws {
        let harness = try ToolHarness()
        let result = await harness.bonusWorkers(["--columns", "worker_id,money", "x.csv"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("invalid column 'money'"))
    }
}
