import TurkCLI

/// The command line of `bonus-workers`.
public enum BonusWorkersSpec {
    public static let spec = CommandSpec(
        name: "bonus-workers",
        abstract: "pay bonuses to workers from a CSV file, each row exactly once",
        discussion: [
            "bonus-workers reads a CSV file with the columns worker_id, assignment_id, amount and reason. It "
                + "checks every row before it pays anything, and reports each bad row with its line number and "
                + "the reason, so a file with one bad row pays nothing.",
            "The file may have a byte order mark, CRLF or CR line ends, quoted fields with commas, quotes and line "
                + "breaks, amounts with a $ sign, and blank rows. A file without a header row needs --columns.",
            "Before each payment bonus-workers writes a ledger row and derives the UniqueRequestToken from the row, "
                + "so a rerun after a crash pays each row exactly once. A bonus for an assignment that is not yet "
                + "submitted is recorded as waiting and paid by a later run of the same file or by --pay-waiting.",
            "The token changes when a row's amount or reason changes, so a corrected row would be a second "
                + "payment, and MTurk cannot take a bonus back. Before paying, bonus-workers looks for earlier "
                + "bonuses to the same worker for the same assignment in the bonus ledger and in ListBonusPayments. "
                + "A row that would add to one, or that repeats an earlier row of the file exactly, stops the whole "
                + "file unless --allow-repeat-bonus is given. Rows of the same file and rows already paid under "
                + "their own token do not count as earlier bonuses.",
            "A file without an assignment_id column names workers only: each worker's one assignment in the run "
                + "store (in --run when given) is used. A file without a worker_id column names assignments only: "
                + "each assignment's worker comes from the marketplace.",
            "bonus-workers prints one line per row: its line number, the ids, the amount, MTurk's fee and the "
                + "outcome, which is paid, already paid, waiting, failed or pending. With --json each line is a JSON "
                + "object that also has the reason and the token. With --dry-run the outcome is would pay, already "
                + "paid or repeat (a second bonus that needs --allow-repeat-bonus), and the total with fees goes to "
                + "standard error.",
        ],
        arguments: [
            ArgumentSpec(
                name: "CSV",
                help: "The CSV file of bonuses. When it is absent or -, the file is read from standard input.",
                isOptional: true, completion: .file),
        ],
        options: [
            .flag("dry-run", help: "Checks the file and prints each payment and the total with MTurk's fees, without paying."),
            OptionSpec(
                long: "columns", valueName: "LIST",
                help: "Names the columns of a file without a header row, in order, such as worker_id,amount,reason."),
            OptionSpec(
                long: "reason", valueName: "TEXT",
                help: "Sets the reason for every row of a file that has no reason column; workers see it."),
            OptionSpec(
                long: "max-per-payment", valueName: "USD",
                help: "Sets the largest bonus in US dollars that one row may pay without --allow-over-max.",
                defaultValue: "20.00"),
            OptionSpec(
                long: "max-total", valueName: "USD",
                help: "Sets the largest sum of bonuses in US dollars, before fees, that one file may pay without "
                    + "--allow-over-max.",
                defaultValue: "200.00"),
            .flag("allow-over-max", help: "Pays rows and files above --max-per-payment and --max-total."),
            .flag(
                "allow-repeat-bonus",
                help: "Pays rows that give a worker another bonus for an assignment that already has one, and each "
                    + "of several identical rows."),
            OptionSpec(
                long: "run", valueName: "ID",
                help: "Sets the run whose assignments fill in the assignment id of a file without an assignment_id "
                    + "column, and records the bonuses under that run."),
            OptionSpec(
                long: "confirm-threshold", valueName: "USD",
                help: "Sets the total in US dollars, fees included, from which the live marketplace asks for the "
                    + "amount to be typed.",
                defaultValue: "100.00"),
            .flag(
                "pay-waiting",
                help: "Pays the bonuses that the run store records as waiting for submission or interrupted, "
                    + "without a CSV file."),
        ] + CommonOptions.all,
        environment: CommonOptions.environment,
        files: CommonOptions.files,
        examples: [
            ExampleSpec("Check a file and show what it would cost:", "bonus-workers --dry-run bonuses.csv"),
            ExampleSpec("Pay the bonuses of a file:", "bonus-workers bonuses.csv"),
            ExampleSpec(
                "Pay a headerless file of worker ids and amounts with one reason for all rows:",
                "bonus-workers --columns worker_id,amount --reason 'Thanks for the long chat.' bonuses.csv"),
        ],
        seeAlso: ["review(1)", "create-hits(1)"])
}
