import TurkCLI

/// The command line of `review`.
public enum ReviewSpec {
    public static let spec = CommandSpec(
        name: "review",
        abstract: "list, approve and reject submitted assignments, and export the collected conversations",
        discussion: [
            "review selects assignments by id or with the filters --run, --task, --worker and --status, then lists "
                + "them, approves or rejects them, or exports their conversations. Approving an assignment that "
                + "is already approved is reported as done, not as an error. A rejection needs a reason, which "
                + "the worker sees.",
            "Decisions can come from a terminal (--interactive, one key per assignment), from the command line "
                + "(--approve, --reject, --approve-all) or from a JSON Lines file (--decisions) with the fields "
                + "assignment_id, decision (approve or reject) and feedback.",
        ],
        arguments: [
            ArgumentSpec(
                name: "ASSIGNMENT_ID",
                help: "The assignments to act on. When none is given, --approve and --reject read the ids from "
                    + "standard input, one per line.",
                isOptional: true, isRepeatable: true),
        ],
        options: [
            OptionSpec(long: "run", valueName: "ID", help: "Selects the assignments of this run."),
            OptionSpec(long: "task", valueName: "NAME", help: "Selects the assignments of runs of this task."),
            OptionSpec(long: "worker", valueName: "ID", help: "Selects the assignments of this worker."),
            OptionSpec(
                long: "status", valueName: "STATUS", help: "Selects the assignments in this status.",
                acceptedValues: ["Submitted", "Approved", "Rejected"]),
            .flag("list", help: "Lists the selected assignments with their status, auto-approval time and conversation."),
            .flag("approve", help: "Approves the given assignments."),
            .flag("reject", help: "Rejects the given assignments with the reason from --reason."),
            OptionSpec(
                long: "reason", valueName: "TEXT",
                help: "Sets the reason for a rejection, which the worker sees on MTurk's website."),
            OptionSpec(
                long: "feedback", valueName: "TEXT",
                help: "Sets a message for the worker of an approved assignment, shown on MTurk's website."),
            .flag("approve-all", help: "Approves every submitted assignment that the filters select."),
            OptionSpec(
                long: "decisions", valueName: "FILE",
                help: "Reads decisions as JSON Lines from this file, or from standard input when FILE is -.",
                completion: .file),
            .flag("interactive", help: "Shows each conversation on the terminal and asks for a decision with one key."),
            .flag(
                "override-rejection",
                help: "Approves assignments that were rejected, which MTurk allows within 30 days of the rejection."),
            OptionSpec(
                long: "export", valueName: "FILE",
                help: "Writes the selected conversations to this file as JSON Lines in ParlAI's conversation layout.",
                completion: .file),
            OptionSpec(
                long: "report", valueName: "FILE",
                help: "Writes an HTML report of the selected conversations with per-worker statistics to this file.",
                completion: .file),
        ] + CommonOptions.all,
        environment: CommonOptions.environment,
        files: CommonOptions.files,
        examples: [
            ExampleSpec("List the submitted assignments of a run:", "review --run RUN_ID --status Submitted --list"),
            ExampleSpec(
                "Approve two assignments with a thank-you note:",
                "review --approve --feedback 'Thank you!' ASSIGNMENT_ID_1 ASSIGNMENT_ID_2"),
            ExampleSpec(
                "Reject an assignment with a reason:",
                "review --reject --reason 'The answer does not match the question.' ASSIGNMENT_ID"),
            ExampleSpec("Apply decisions written by a script:", "my-checker | review --decisions -"),
            ExampleSpec(
                "Export a run's conversations and write its report:",
                "review --run RUN_ID --export run.jsonl --report run.html"),
        ],
        seeAlso: ["create-hits(1)", "bonus-workers(1)", "block(1)"])
}
