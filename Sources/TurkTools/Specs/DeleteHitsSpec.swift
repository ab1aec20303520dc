import TurkCLI

/// The command line of `delete-hits`.
public enum DeleteHitsSpec {
    public static let spec = CommandSpec(
        name: "delete-hits",
        abstract: "expire and delete the HITs of a run, including orphans left by a crash",
        discussion: [
            "delete-hits selects HITs from the run store's ledger (--run, --all), by id (--hit) or, with --account, "
                + "from every HIT on the account, which also finds HITs that a crash left out of the ledger. --title, "
                + "--annotation and --older-than narrow the selection.",
            "MTurk deletes a HIT only when it is Reviewable and all its submitted assignments are approved or "
                + "rejected. So delete-hits expires open HITs, waits up to --wait for pending assignments, approves "
                + "or rejects submitted work when --approve-submitted or --reject-submitted says so, and then "
                + "deletes. It prints one line per HIT with the outcome, the run, the status it had, the steps taken "
                + "and the reason for a HIT it could not delete, and with --json one JSON object per line with the "
                + "same fields and the HIT's title.",
        ],
        options: [
            OptionSpec(long: "run", valueName: "ID", help: "Selects the HITs of this run."),
            OptionSpec(
                long: "hit", valueName: "ID", help: "Selects this HIT, whether or not the run store knows it.",
                isRepeatable: true),
            .flag("all", help: "Selects every HIT in the run store's ledger."),
            OptionSpec(
                long: "title", valueName: "TEXT", help: "Selects only HITs whose title contains this text."),
            OptionSpec(
                long: "annotation", valueName: "TEXT",
                help: "Selects only HITs whose RequesterAnnotation contains this text, such as a run id."),
            OptionSpec(
                long: "older-than", valueName: "SECONDS",
                help: "Selects only HITs created longer ago than this, in seconds or with a unit such as 2d."),
            .flag("dry-run", help: "Prints what would be done to each HIT without changing anything."),
            OptionSpec(
                long: "wait", valueName: "SECONDS",
                help: "Sets how long to wait for pending assignments to be submitted, in seconds or with a unit.",
                defaultValue: "0"),
            .flag("approve-submitted", help: "Approves submitted assignments so that their HITs can be deleted."),
            OptionSpec(
                long: "reject-submitted", valueName: "REASON",
                help: "Rejects submitted assignments with this reason so that their HITs can be deleted."),
            .flag("account", help: "Lists every HIT on the account, not only the HITs in the run store."),
        ] + CommonOptions.all,
        environment: CommonOptions.environment,
        files: CommonOptions.files,
        examples: [
            ExampleSpec("Show what would happen to a run's HITs:", "delete-hits --run RUN_ID --dry-run"),
            ExampleSpec(
                "Delete a run's HITs, approving submitted work after waiting up to 10 minutes for pending work:",
                "delete-hits --run RUN_ID --wait 10m --approve-submitted"),
            ExampleSpec(
                "Find and delete orphan HITs older than two days on the sandbox account:",
                "delete-hits --target sandbox --account --annotation turkchat --older-than 2d"),
        ],
        seeAlso: ["create-hits(1)", "review(1)"])
}
