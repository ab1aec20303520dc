import Foundation
import TurkModel
import TurkStore

/// The options that the marketplace tools share, with their documentation.
///
/// A tool spec lists `CommonOptions.all` (or the subset it supports) after its own options, and resolves them
/// with `MarketplaceOptions.resolve`.
public enum CommonOptions {
    public static let stateDir = OptionSpec(
        long: "state-dir", valueName: "DIR",
        help: "Sets the state directory, which contains the run store and the local marketplace.",
        defaultValue: "$XDG_STATE_HOME/turkchat or ~/.local/state/turkchat",
        environmentVariable: StateDirectory.environmentVariable, completion: .directory)

    public static let target = OptionSpec(
        long: "target", valueName: "TARGET",
        help: "Sets the marketplace: the offline local one or MTurk's sandbox.",
        defaultValue: Target.local.rawValue,
        acceptedValues: [Target.local.rawValue, Target.sandbox.rawValue],
        rejectedValueReasons: [Target.live.rawValue: MarketplaceOptions.liveHint],
        environmentVariable: MarketplaceOptions.targetVariable)

    public static let live = OptionSpec.flag(
        "live", help: "Uses MTurk's live marketplace, where real workers are paid with real money.")

    public static let endpointURL = OptionSpec(
        long: "endpoint-url", valueName: "URL",
        help: "Sends MTurk API calls to this URL instead of the target's endpoint, as the AWS CLI option does.")

    public static let profile = OptionSpec(
        long: "profile", valueName: "NAME",
        help: "Sets the AWS profile whose credentials sign the MTurk API calls.",
        environmentVariable: "AWS_PROFILE")

    public static let json = OptionSpec.flag(
        "json", help: "Writes one JSON object per line on standard output instead of text.")

    public static let yes = OptionSpec.flag(
        "yes", short: "y",
        help: "Answers yes to every confirmation, which the live marketplace requires when standard input is not a terminal.")

    /// Every common option, in the order the help lists them.
    public static let all: [OptionSpec] = [stateDir, target, live, endpointURL, profile, json, yes]

    /// The environment variables that choose the state directory.
    public static let stateDirectoryEnvironment: [DocumentedItem] = [
        DocumentedItem(
            StateDirectory.environmentVariable,
            "The state directory, used when --state-dir is absent."),
        DocumentedItem(
            "XDG_STATE_HOME",
            "When neither --state-dir nor TURKCHAT_STATE_DIR is set, the state directory is "
                + "$XDG_STATE_HOME/turkchat, or ~/.local/state/turkchat when XDG_STATE_HOME is unset too."),
    ]

    /// The environment variable that chooses the target.
    public static let targetEnvironment: [DocumentedItem] = [
        DocumentedItem(
            MarketplaceOptions.targetVariable,
            "The target, local or sandbox, used when --target is absent. The value live is rejected, because "
                + "the live marketplace is reached only with --live."),
    ]

    /// The environment variables that the AWS credential chain reads for the sandbox and live targets.
    public static let awsEnvironment: [DocumentedItem] = [
        DocumentedItem("AWS_PROFILE", "The AWS profile, used when --profile is absent."),
        DocumentedItem(
            "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
            "Credentials for the sandbox and live targets. They take precedence over the credentials files."),
        DocumentedItem(
            "AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE",
            "The paths of the credentials and config files, in place of ~/.aws/credentials and ~/.aws/config."),
    ]

    /// The ENVIRONMENT section of a tool that takes every common option.
    public static let environment = stateDirectoryEnvironment + targetEnvironment + awsEnvironment

    /// The files in the state directory.
    public static let stateFiles: [DocumentedItem] = [
        DocumentedItem(
            "$XDG_STATE_HOME/turkchat/",
            "The default state directory (~/.local/state/turkchat/ when XDG_STATE_HOME is unset). "
                + "Set another with --state-dir or TURKCHAT_STATE_DIR."),
        DocumentedItem(
            "STATE_DIR/runs.sqlite",
            "The run store: runs, the ledgers of created HITs and bonuses, assignments, conversations and messages."),
        DocumentedItem(
            "STATE_DIR/marketplace.sqlite",
            "The offline marketplace of the local target."),
    ]

    /// The AWS files read for the sandbox and live targets.
    public static let awsFiles: [DocumentedItem] = [
        DocumentedItem(
            "~/.aws/credentials, ~/.aws/config",
            "AWS credentials and profiles for the sandbox and live targets."),
    ]

    /// The FILES section of a tool that takes every common option.
    public static let files = stateFiles + awsFiles
}

/// The marketplace target, endpoint, credentials profile and state directory of a tool, resolved from the
/// common options.
public struct MarketplaceOptions: Sendable, Equatable {
    /// The environment variable that sets the target when `--target` is absent.
    public static let targetVariable = "TURKCHAT_TARGET"
    /// The hint shown when `--target` or `TURKCHAT_TARGET` is `live`.
    public static let liveHint =
        "the live marketplace spends real money, so it is reached only with the --live option, "
        + "never through --target or TURKCHAT_TARGET"

    public var target: Target
    public var stateDirectory: StateDirectory
    /// The `--endpoint-url` value, or nil when the target's own endpoint applies.
    public var endpointOverride: URL?
    /// The AWS profile from `--profile` or `AWS_PROFILE`, or nil for the default credential chain.
    public var profile: String?
    /// Whether `--json` asked for JSON Lines.
    public var json: Bool
    /// Whether `--yes` skips confirmations.
    public var assumeYes: Bool

    public init(
        target: Target, stateDirectory: StateDirectory, endpointOverride: URL? = nil, profile: String? = nil,
        json: Bool = false, assumeYes: Bool = false
    ) {
        self.target = target
        self.stateDirectory = stateDirectory
        self.endpointOverride = endpointOverride
        self.profile = profile
        self.json = json
        self.assumeYes = assumeYes
    }

    /// The URL of the MTurk API to call: the override, or the target's endpoint, or nil for the local
    /// marketplace called in-process.
    public var endpoint: URL? {
        endpointOverride ?? target.defaultEndpoint
    }

    /// Resolves the common options that `parsed.spec` declares. Options a spec leaves out take their defaults.
    /// - Throws: `UsageError` for `--live` together with `--target`, for an invalid endpoint URL, and for an
    ///   invalid `TURKCHAT_LOCAL_THROTTLE` when the tool opens the local marketplace itself.
    public static func resolve(_ parsed: ParsedArguments) throws -> MarketplaceOptions {
        let declares = { (name: String) in parsed.spec.option(named: name) != nil }
        let environment = parsed.environment

        var target = Target.local
        if declares(CommonOptions.target.long), let value = parsed.value(CommonOptions.target.long) {
            // The parser has checked the value against the accepted list, which leaves out live.
            guard let chosen = Target(rawValue: value) else {
                throw UsageError("invalid value '\(value)' for \(parsed.source(of: CommonOptions.target.long))")
            }
            target = chosen
        }

        if declares(CommonOptions.live.long), parsed.flag(CommonOptions.live.long) {
            // An explicit --target conflicts with --live. TURKCHAT_TARGET only sets a default, which --live
            // replaces, so a shell that exports TURKCHAT_TARGET=sandbox can still pass --live.
            if parsed.isPresent(CommonOptions.target.long), parsed.source(of: CommonOptions.target.long) == "--target" {
                throw UsageError("options --live and --target cannot be used together")
            }
            target = .live
        }

        let stateDirectoryOption = declares(CommonOptions.stateDir.long) ? parsed.value(CommonOptions.stateDir.long) : nil
        if let stateDirectoryOption, stateDirectoryOption.isEmpty {
            throw UsageError("invalid value '' for --state-dir: expected the path of a folder")
        }
        let endpoint = declares(CommonOptions.endpointURL.long) ? try parsed.url(CommonOptions.endpointURL.long) : nil
        let profile = declares(CommonOptions.profile.long) ? parsed.value(CommonOptions.profile.long) : nil
        if target == .local && endpoint == nil {
            // Checked before a tool opens the local marketplace, so the error is about the variable and does not
            // read as a failure to open the marketplace file.
            do {
                _ = try LocalThrottle.fraction(environment: environment)
            } catch {
                throw UsageError(error.message, hint: error.hint)
            }
        }

        return MarketplaceOptions(
            target: target,
            stateDirectory: StateDirectory.resolve(option: stateDirectoryOption, environment: environment),
            endpointOverride: endpoint,
            profile: profile,
            json: declares(CommonOptions.json.long) && parsed.flag(CommonOptions.json.long),
            assumeYes: declares(CommonOptions.yes.long) && parsed.flag(CommonOptions.yes.long))
    }
}
