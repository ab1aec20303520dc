import Foundation
import TurkCLI
import TurkModel
import TurkStore

#if canImport(Glibc)
import Glibc
#endif

/// The terminal review loop: shows each conversation, then reads one key (a, r, s or q).
struct InteractiveReview {
    let job: ReviewJob

    var console: Console { job.context.console }

    /// Reviews `items` one by one and returns how many decisions failed.
    func run(_ items: [ReviewItem]) async throws -> Int {
        guard !items.isEmpty else {
            console.note("no assignment to review")
            return 0
        }
        var failures = 0
        for (index, item) in items.enumerated() {
            show(item, position: index + 1, of: items.count)
            var decided = false
            while !decided {
                guard let key = readKey(prompt: "[a]pprove, [r]eject, [s]kip or [q]uit? ") else {
                    console.note("end of input; stopped before assignment \(item.assignmentId)")
                    return failures
                }
                switch key {
                case "a":
                    let outcome = try await job.apply(.approve, to: item, feedback: job.settings.feedback)
                    if outcome.outcome == "failed" { failures += 1 }
                    decided = true
                case "r":
                    guard let reason = readReason() else {
                        console.note("no reason given; choose again")
                        continue
                    }
                    let outcome = try await job.apply(.reject, to: item, feedback: reason)
                    if outcome.outcome == "failed" { failures += 1 }
                    decided = true
                case "s":
                    _ = try await job.apply(.skip, to: item, feedback: nil)
                    decided = true
                case "q":
                    let left = items.count - index
                    console.note("stopped; \(Plural.count(left, "assignment")) \(Plural.verb(left, "was", "were")) not "
                        + "reviewed")
                    return failures
                default:
                    console.note("press a, r, s or q")
                }
            }
        }
        return failures
    }

    /// Shows one assignment. Everything that workers or the data file wrote is escaped, so that a message cannot
    /// control the reviewer's terminal.
    private func show(_ item: ReviewItem, position: Int, of total: Int) {
        console.write("")
        console.write(TerminalText.escape(
            "[\(position)/\(total)] assignment \(item.assignmentId), worker \(item.workerId), HIT \(item.hitId)"))
        if let seconds = item.workingSeconds { console.write("working time: \(ReviewReport.duration(seconds))") }
        if let time = item.autoApprovalTime {
            console.write("auto-approves at \(ReviewReport.isoTime(time)) unless reviewed before")
        }
        guard let conversation = item.conversation else {
            console.write("(no conversation in the run store)")
            return
        }
        if let data = conversation.taskDataJSON,
           let object = try? JSONSerialization.jsonObject(with: Data(data.utf8), options: [.fragmentsAllowed]),
           let context = ConversationExport.contextText(object) {
            console.write("context: \(TerminalText.escape(context))")
        }
        for message in conversation.messages {
            console.write("  \(TerminalText.escape(message.agentId)): \(TerminalText.escape(message.text))")
        }
    }

    /// Reads one key. On a real terminal the key counts without Enter; otherwise the first character of a line.
    private func readKey(prompt: String) -> Character? {
        if isatty(STDIN_FILENO) != 0, let key = RawTerminal.readKey(prompt: prompt, console: console) {
            return Character(key.lowercased())
        }
        guard let line = console.readLine(prompt: prompt) else { return nil }
        return line.trimmingCharacters(in: .whitespaces).lowercased().first ?? " "
    }

    private func readReason() -> String? {
        let line = console.readLine(prompt: "Reason for the rejection (the worker sees it): ")
        let reason = line?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return reason.isEmpty ? nil : reason
    }
}

/// Reads single keys from a terminal by turning off line buffering and echo for one read.
enum RawTerminal {
    static func readKey(prompt: String, console: Console) -> String? {
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { bytes in
            bytes[Int(VMIN)] = 1
            bytes[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else { return nil }
        defer { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }

        console.writeErrorText(prompt)
        var byte: UInt8 = 0
        let count = read(STDIN_FILENO, &byte, 1)
        console.writeErrorText("\n")
        guard count == 1 else { return nil }
        // Ctrl-C and Ctrl-D arrive as bytes in this mode; treat both as quit.
        if byte == 3 || byte == 4 { return "q" }
        return String(UnicodeScalar(byte))
    }
}
