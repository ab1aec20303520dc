import TurkCLI

/// The command line of `create-hits`.
public enum CreateHitsSpec {
    public static let spec = CommandSpec(
        name: "create-hits",
        abstract: "create the HITs of a live chat run on the local marketplace or on MTurk",
        discussion: [
            "create-hits reads a task directory, creates one HIT type and the run's HITs, each with an "
                + "ExternalQuestion that opens serve-chat's chat page, and records the run in the run store. "
                + "It prints one line per HIT: its id, the outcome (created, or recovered or existing when a rerun "
                + "finds it), the run, the HIT's number in the run and a preview URL. With --json each line is a "
                + "JSON object that also has the HIT type.",
            "Each HIT has one assignment, so one HIT is one worker's seat in one conversation. A run needs "
                + "conversations (-n) times the task's agents per conversation HITs, plus --over-recruit percent of "
                + "that, rounded up, for workers who return a HIT or disconnect. With --max-connections N only N HITs "
                + "are created at first, and the rest are recorded in the run store. Nothing opens them by "
                + "itself: create-hits --run-id ID opens as many as there are free slots and exits, and "
                + "create-hits --follow keeps opening them as workers finish.",
            "With --follow, create-hits keeps running after the HITs it can create now. Every --poll-interval it "
                + "reads the run's conversations from the run store and the status of its open HITs from the "
                + "marketplace. A HIT is open while it is Assignable or Unassignable. When a HIT is submitted or "
                + "expires, a new one opens, up to --max-connections open at once and never more than the run's "
                + "total. A returned HIT takes workers again, so it is not replaced. create-hits exits with 0 "
                + "once -n conversations have started (completed with --count-complete), and with 1 when every HIT "
                + "exists, none is open and the target is not met. SIGINT or SIGTERM stop it after the current "
                + "call with status 0, and create-hits --run-id ID --follow continues.",
            "Before it creates anything, create-hits shows the cost: the reward times the assignments plus MTurk's "
                + "fee, which is 20 % of the reward (40 % for HITs with 10 or more assignments) and at least $0.01 "
                + "per assignment. On the live marketplace it asks for confirmation, and above --confirm-threshold "
                + "it asks for the amount to be typed.",
            "Before each create call, create-hits writes a ledger row and derives the UniqueRequestToken from the "
                + "run id and the HIT's number, and the HIT's RequesterAnnotation names the run. After a crash, "
                + "rerun it with --run-id: it creates the HITs that are missing and none twice.",
        ],
        options: [
            OptionSpec(
                long: "task", valueName: "DIR",
                help: "Sets the task directory, which contains task.json and the task's data.",
                completion: .directory),
            OptionSpec(
                long: "num-conversations", short: "n", valueName: "N",
                help: "Sets the number of conversations to collect.", defaultValue: "1"),
            OptionSpec(
                long: "reward", short: "r", valueName: "USD",
                help: "Sets the reward per assignment in US dollars, such as 0.50.",
                defaultValue: "the reward in task.json"),
            OptionSpec(
                long: "server-url", valueName: "URL",
                help: "Sets the base URL of serve-chat that each HIT's ExternalQuestion opens, which must be "
                    + "https on the sandbox and live targets.",
                defaultValue: "http://127.0.0.1:8080 on the local target"),
            OptionSpec(
                long: "run-id", valueName: "ID",
                help: "Resumes the run with this id and creates only the HITs it still lacks."),
            .flag("dry-run", help: "Prints the planned HITs and their cost without creating anything."),
            OptionSpec(
                long: "lifetime", valueName: "SECONDS",
                help: "Sets how long each HIT can be accepted, in seconds or with a unit such as 7d.",
                defaultValue: "lifetime_seconds in task.json"),
            OptionSpec(
                long: "assignment-duration", valueName: "SECONDS",
                help: "Sets how long a worker has to finish an accepted assignment, in seconds or with a unit "
                    + "such as 30m.",
                defaultValue: "assignment_duration_seconds in task.json"),
            OptionSpec(
                long: "auto-approve-delay", valueName: "SECONDS",
                help: "Sets how long after submission MTurk approves work that nobody reviewed, in seconds or with "
                    + "a unit, at most 30 days.",
                defaultValue: "auto_approval_delay_seconds in task.json"),
            .flag("unique", help: "Lets each worker complete at most one assignment, enforced by a qualification."),
            OptionSpec(
                long: "unique-qual-name", valueName: "NAME",
                help: "Sets the name of the qualification that keeps out workers who reached their limit, so "
                    + "several runs can share it."),
            OptionSpec(
                long: "max-hits-per-worker", valueName: "N",
                help: "Sets how many assignments one worker may complete in this run, or 0 for no limit.",
                defaultValue: "0"),
            OptionSpec(
                long: "allowed-conversations", valueName: "N",
                help: "Sets how many conversations one worker may take part in at once, or 0 for no limit.",
                defaultValue: "0"),
            OptionSpec(
                long: "max-connections", valueName: "N",
                help: "Sets how many HITs are open at once, or 0 to open all of them at once; --follow opens the "
                    + "rest as workers finish.",
                defaultValue: "0"),
            .flag(
                "follow",
                help: "Keeps running and opens a new HIT whenever one is submitted or expires, until the run's "
                    + "target of conversations is met."),
            OptionSpec(
                long: "poll-interval", valueName: "SECONDS",
                help: "Sets how often --follow checks the run store and the marketplace, in seconds (1 to 3600) or "
                    + "with a unit such as 1m.",
                defaultValue: "30"),
            OptionSpec(
                long: "over-recruit", valueName: "PERCENT",
                help: "Adds this percentage of extra HITs, rounded up, for workers who return a HIT or disconnect.",
                defaultValue: "0"),
            .flag("count-complete", help: "Counts only completed conversations towards -n, not started ones."),
            OptionSpec(
                long: "max-time", valueName: "SECONDS",
                help: "Sets how long one worker may work on this task per UTC day, in seconds or with a unit, or 0 "
                    + "for no limit.",
                defaultValue: "0"),
            OptionSpec(
                long: "max-time-qual", valueName: "NAME",
                help: "Sets the name of the qualification given to workers over --max-time, so several runs can "
                    + "share it."),
            OptionSpec(
                long: "disconnect-qualification", valueName: "NAME",
                help: "Sets the qualification that soft-blocks workers who disconnect too often, and keeps them "
                    + "out of this run."),
            .flag("hard-block", help: "Blocks workers who disconnect too often from all of your HITs with CreateWorkerBlock."),
            OptionSpec(
                long: "block-qualification", valueName: "NAME",
                help: "Keeps out workers who have this qualification, the soft block that block --soft gives."),
            OptionSpec(
                long: "locale", valueName: "CC",
                help: "Admits only workers in this country, given as an ISO 3166 two-letter code such as US.",
                isRepeatable: true),
            OptionSpec(
                long: "min-approval-rate", valueName: "PERCENT",
                help: "Admits only workers whose approval rate is at least this percentage, from 0 to 100."),
            OptionSpec(
                long: "min-approved-hits", valueName: "N",
                help: "Admits only workers with at least this many approved HITs."),
            .flag("masters", help: "Admits only workers who hold the target's Masters qualification."),
            OptionSpec(
                long: "confirm-threshold", valueName: "USD",
                help: "Sets the cost in US dollars, fees included, from which the live marketplace asks for the amount "
                    + "to be typed.",
                defaultValue: "100.00"),
        ] + CommonOptions.all,
        environment: CommonOptions.environment,
        files: CommonOptions.files,
        examples: [
            ExampleSpec(
                "Show the HITs and the cost of a run of 5 conversations without creating anything:",
                "create-hits --task tasks/qa_data_collection -n 5 --dry-run"),
            ExampleSpec(
                "Create the HITs of 2 conversations on the local marketplace for serve-chat on port 8080:",
                "create-hits --task tasks/qa_data_collection -n 2 --server-url http://127.0.0.1:8080"),
            ExampleSpec(
                "Create 100 conversations on the sandbox, one per worker, with at most 20 HITs open at once:",
                "create-hits --target sandbox --task tasks/qa_data_collection -n 100 -r 0.75 "
                    + "--server-url https://chat.example.org --unique --max-connections 20"),
            ExampleSpec(
                "Create the HITs that an interrupted run still lacks:",
                "create-hits --run-id RUN_ID"),
            ExampleSpec(
                "Keep opening HITs of a run, up to its --max-connections at once, until its conversations are "
                    + "collected:",
                "create-hits --run-id RUN_ID --follow --poll-interval 1m"),
        ],
        seeAlso: ["serve-chat(1)", "review(1)", "bonus-workers(1)", "delete-hits(1)", "block(1)"])
}
