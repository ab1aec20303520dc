import Foundation
import Synchronization
import Testing
import TurkModel
@testable import TurkAWS

/// A console that returns scripted input lines and records everything written to it.
final class ScriptedConsole: ConfirmationConsole {
    let isInteractive: Bool
    private let answers: Mutex<[String]>
    private let output = Mutex("")

    init(interactive: Bool, answers: [String] = []) {
        isInteractive = interactive
        self.answers = Mutex(answers)
    }

    var written: String { output.withLock { $0 } }

    func write(_ text: String) {
        output.withLock { $0 += text }
    }

    func readLine() -> String? {
        answers.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

@Suite struct SpendingConfirmationTests {
    let lines = [CostLine("Rewards (10 assignments x $0.50)", USD(cents: 500)), CostLine("MTurk fee", USD(cents: 100))]

    @Test func summaryAlignsAmounts() {
        let text = SpendingConfirmation.summary(target: .live, lines: lines, total: USD(cents: 600), balance: USD(cents: 10_000))
        #expect(text == """
            Cost on the live target:
              Rewards (10 assignments x $0.50)    $5.00
              MTurk fee                           $1.00
              Total                               $6.00
              Available balance                 $100.00
              Balance afterwards                 $94.00

            """)
    }

    @Test func sandboxDoesNotAsk() throws {
        let console = ScriptedConsole(interactive: false)
        try SpendingConfirmation.confirm(target: .sandbox, lines: lines, balance: USD(cents: 1_000_000), assumeYes: false, console: console)
        #expect(console.written.contains("Total"))
        #expect(!console.written.contains("?"))
    }

    @Test func liveWithoutTerminalNeedsYes() {
        let console = ScriptedConsole(interactive: false)
        #expect(throws: SpendingError.confirmationRequired(total: USD(cents: 600))) {
            try SpendingConfirmation.confirm(target: .live, lines: lines, balance: nil, assumeYes: false, console: console)
        }
        #expect(SpendingError.confirmationRequired(total: USD(cents: 600)).description.contains("--yes"))
    }

    @Test func liveWithYesDoesNotAsk() throws {
        let console = ScriptedConsole(interactive: false)
        try SpendingConfirmation.confirm(target: .live, lines: lines, balance: USD(cents: 700), assumeYes: true, console: console)
        #expect(console.written.contains("$6.00"))
    }

    @Test(arguments: [("y", true), ("YES", true), ("n", false), ("", false)])
    func liveAsksOnTerminal(_ answer: String, _ accepted: Bool) {
        let console = ScriptedConsole(interactive: true, answers: [answer])
        let run = { try SpendingConfirmation.confirm(target: .live, lines: lines, balance: nil, assumeYes: false, console: console) }
        if accepted {
            #expect(throws: Never.self, performing: run)
        } else {
            #expect(throws: SpendingError.declined, performing: run)
        }
        #expect(console.written.hasSuffix("Spend $6.00 on live MTurk? [y/N] "))
    }

    @Test func largeTotalMustBeTyped() throws {
        let big = [CostLine("Rewards", USD(cents: 20_000)), CostLine("MTurk fee", USD(cents: 4_000))]
        let wrong = ScriptedConsole(interactive: true, answers: ["y"])
        #expect(throws: SpendingError.declined) {
            try SpendingConfirmation.confirm(target: .live, lines: big, balance: nil, assumeYes: false, console: wrong)
        }
        #expect(wrong.written.hasSuffix("Type the total, 240.00, to spend it on live MTurk: "))
        for typed in ["240.00", "$240", " 240.0 "] {
            let right = ScriptedConsole(interactive: true, answers: [typed])
            try SpendingConfirmation.confirm(target: .live, lines: big, balance: nil, assumeYes: false, console: right)
        }
    }

    @Test func insufficientBalanceStopsEveryTarget() {
        for target in Target.allCases {
            #expect(throws: SpendingError.insufficientBalance(total: USD(cents: 600), balance: USD(cents: 599), target: target)) {
                try SpendingConfirmation.confirm(
                    target: target, lines: lines, balance: USD(cents: 599), assumeYes: true,
                    console: ScriptedConsole(interactive: true, answers: ["y"]))
            }
        }
    }

    @Test func endOfInputDeclines() {
        #expect(throws: SpendingError.declined) {
            try SpendingConfirmation.confirm(
                target: .live, lines: lines, balance: nil, assumeYes: false, console: ScriptedConsole(interactive: true))
        }
    }
}
