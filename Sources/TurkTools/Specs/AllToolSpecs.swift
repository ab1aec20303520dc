import TurkCLI

/// Every tool's spec, in the order the README lists the tools. The man pages and completion scripts are
/// generated from this list.
public enum AllToolSpecs {
    public static let all: [CommandSpec] = [
        CreateHitsSpec.spec,
        ServeChatSpec.spec,
        ReviewSpec.spec,
        BonusWorkersSpec.spec,
        DeleteHitsSpec.spec,
        BlockSpec.spec,
    ]
}
