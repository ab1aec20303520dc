import TurkCLI

/// The command line of `block`.
public enum BlockSpec {
    /// The actions that the first positional argument may name.
    public static let actions = ["block", "unblock", "soft-block", "soft-unblock", "list"]

    public static let spec = CommandSpec(
        name: "block",
        abstract: "block and unblock workers, with a hard block or a soft-block qualification, and list blocks",
        discussion: [
            "A hard block (CreateWorkerBlock) keeps a worker from every HIT of your account. A soft block gives "
                + "the worker the qualification named by --qualification, and HITs created with "
                + "create-hits --block-qualification of the same name keep such workers out.",
            "The action is the first argument (block, unblock, soft-block, soft-unblock or list) or the flags "
                + "--hard, --soft, --unblock and --list. Blocking a blocked worker or unblocking a worker who is "
                + "not blocked is reported as done, not as an error.",
        ],
        arguments: [
            ArgumentSpec(
                name: "ACTION",
                help: "What to do: block, unblock, soft-block, soft-unblock or list. Without it, block uses the flags.",
                isOptional: true, acceptedValues: actions),
            ArgumentSpec(
                name: "WORKER_ID",
                help: "The workers to act on. When none is given and --file is absent, ids are read from standard "
                    + "input, one per line.",
                isOptional: true, isRepeatable: true),
        ],
        options: [
            .flag("hard", help: "Uses a hard block with CreateWorkerBlock, the default."),
            .flag("soft", help: "Uses a soft block: the qualification named by --qualification."),
            .flag("unblock", help: "Removes the block instead of adding it."),
            .flag("list", help: "Lists the blocked workers."),
            OptionSpec(
                long: "file", valueName: "FILE", help: "Reads worker ids from this file, one per line.",
                completion: .file),
            OptionSpec(
                long: "reason", valueName: "TEXT",
                help: "Sets the reason recorded with a block or an unblock, which the worker does not see."),
            OptionSpec(
                long: "qualification", valueName: "NAME",
                help: "Sets the name of the soft-block qualification."),
        ] + CommonOptions.all,
        environment: CommonOptions.environment,
        files: CommonOptions.files,
        examples: [
            ExampleSpec(
                "Block two workers with a reason:",
                "block block --reason 'Copied answers from the paragraph.' A1EXAMPLE A2EXAMPLE"),
            ExampleSpec(
                "Soft-block the workers listed in a file:",
                "block soft-block --qualification my-task-blocked --file workers.txt"),
            ExampleSpec("List the hard-blocked workers:", "block list"),
        ],
        seeAlso: ["create-hits(1)", "review(1)"])
}
