import Foundation
import Testing
import TurkModel
import TurkStore
@testable import TurkCLI

let commonSpec = CommandSpec(name: "common", abstract: "take the common options", options: CommonOptions.all)
let narrowSpec = CommandSpec(
    name: "narrow", abstract: "take some common options",
    options: [CommonOptions.stateDir, CommonOptions.target, CommonOptions.json])

func resolve(_ arguments: [String], environment: [String: String] = [:], spec: CommandSpec = commonSpec) throws
    -> MarketplaceOptions
{
    try MarketplaceOptions.resolve(try parsed(arguments, environment: environment, spec: spec))
}

@Suite struct MarketplaceOptionsTests {
    @Test func defaultsToLocal() throws {
        let options = try resolve([], environment: ["HOME": "/home/someone"])
        #expect(options.target == .local)
        #expect(options.endpoint == nil)
        #expect(options.stateDirectory.url.path == "/home/someone/.local/state/turkchat")
        #expect(options.profile == nil)
        #expect(!options.json)
        #expect(!options.assumeYes)
    }

    @Test func sandboxFromOptionOrEnvironment() throws {
        #expect(try resolve(["--target", "sandbox"]).target == .sandbox)
        #expect(try resolve([], environment: ["TURKCHAT_TARGET": "sandbox"]).target == .sandbox)
        #expect(try resolve(["--target=local"], environment: ["TURKCHAT_TARGET": "sandbox"]).target == .local)
        #expect(try resolve(["--target", "sandbox"]).endpoint == Target.sandbox.defaultEndpoint)
    }

    @Test func liveOnlyWithFlag() throws {
        let options = try resolve(["--live"])
        #expect(options.target == .live)
        #expect(options.endpoint == Target.live.defaultEndpoint)
        // An exported default does not block --live.
        #expect(try resolve(["--live"], environment: ["TURKCHAT_TARGET": "sandbox"]).target == .live)
    }

    @Test func liveTargetValueRejected() {
        let fromOption = #expect(throws: UsageError.self) { try resolve(["--target", "live"]) }
        #expect(fromOption?.message == "invalid value 'live' for --target (accepted values: local, sandbox)")
        #expect(fromOption?.hint?.contains("--live") == true)

        let fromEnvironment = #expect(throws: UsageError.self) {
            try resolve([], environment: ["TURKCHAT_TARGET": "live"])
        }
        #expect(fromEnvironment?.message.contains("environment variable TURKCHAT_TARGET") == true)
        #expect(fromEnvironment?.hint?.contains("--live") == true)
    }

    @Test func invalidLocalThrottleIsUsageError() {
        let error = #expect(throws: UsageError.self) {
            try resolve([], environment: ["TURKCHAT_LOCAL_THROTTLE": "1.5"])
        }
        #expect(error?.message == "invalid value '1.5' for environment variable TURKCHAT_LOCAL_THROTTLE: expected a "
            + "fraction from 0 to 1, such as 0.3 for 30 % of requests")
        #expect(error?.hint == "unset TURKCHAT_LOCAL_THROTTLE or set it to 0 to turn throttling off")
    }

    @Test func localThrottleIgnoredAwayFromLocalFile() throws {
        // Only a tool that opens the local marketplace file itself reads the variable.
        let environment = ["TURKCHAT_LOCAL_THROTTLE": "1.5"]
        #expect(try resolve(["--target", "sandbox"], environment: environment).target == .sandbox)
        let wire = try resolve(["--endpoint-url", "http://127.0.0.1:8080"], environment: environment)
        #expect(wire.endpointOverride?.absoluteString == "http://127.0.0.1:8080")
        #expect(try resolve([], environment: ["TURKCHAT_LOCAL_THROTTLE": "0.6"]).target == .local)
    }

    @Test func liveConflictsWithTarget() {
        let error = #expect(throws: UsageError.self) { try resolve(["--live", "--target", "sandbox"]) }
        #expect(error?.message == "options --live and --target cannot be used together")
    }

    @Test func endpointOverride() throws {
        let options = try resolve(["--target", "sandbox", "--endpoint-url", "http://127.0.0.1:9000"])
        #expect(options.endpointOverride?.absoluteString == "http://127.0.0.1:9000")
        #expect(options.endpoint?.absoluteString == "http://127.0.0.1:9000")

        let error = #expect(throws: UsageError.self) { try resolve(["--endpoint-url", "127.0.0.1:9000"]) }
        #expect(error?.message.hasPrefix("invalid value '127.0.0.1:9000' for --endpoint-url") == true)
    }

    @Test func stateDirectoryOrder() throws {
        let environment = ["TURKCHAT_STATE_DIR": "/from/env", "XDG_STATE_HOME": "/xdg", "HOME": "/home/x"]
        #expect(try resolve(["--state-dir", "/from/option"], environment: environment).stateDirectory.url.path
            == "/from/option")
        #expect(try resolve([], environment: environment).stateDirectory.url.path == "/from/env")
        #expect(try resolve([], environment: ["XDG_STATE_HOME": "/xdg"]).stateDirectory.url.path == "/xdg/turkchat")
    }

    @Test func emptyStateDirectoryRejected() {
        let error = #expect(throws: UsageError.self) { try resolve(["--state-dir="]) }
        #expect(error?.message == "invalid value '' for --state-dir: expected the path of a folder")
    }

    @Test func profileJsonAndYes() throws {
        let options = try resolve(["--profile", "research", "--json", "-y"])
        #expect(options.profile == "research")
        #expect(options.json)
        #expect(options.assumeYes)
        #expect(try resolve([], environment: ["AWS_PROFILE": "lab"]).profile == "lab")
    }

    @Test func narrowSpecTakesDefaults() throws {
        let options = try resolve(["--json", "--target", "sandbox"], spec: narrowSpec)
        #expect(options.target == .sandbox)
        #expect(options.json)
        #expect(!options.assumeYes)
        #expect(options.endpointOverride == nil)
        #expect(options.profile == nil)
    }

    @Test func narrowSpecRejectsLive() {
        let error = #expect(throws: UsageError.self) { try resolve(["--live"], spec: narrowSpec) }
        #expect(error?.message == "unknown option '--live'")
    }

    @Test func commonOptionsAreValid() {
        #expect(commonSpec.validationProblems() == [])
    }
}

@Suite struct CommandSpecTests {
    @Test func findsMistakes() {
        let spec = CommandSpec(
            name: "broken", abstract: "a broken spec.",
            arguments: [
                ArgumentSpec(name: "MANY", help: "Many.", isOptional: true, isRepeatable: true),
                ArgumentSpec(name: "ONE", help: "One."),
            ],
            options: [
                OptionSpec(long: "value", short: "v", valueName: "V", help: "no capital and no period"),
                OptionSpec(long: "value", valueName: "V", help: "Twice."),
                OptionSpec(long: "verbose", short: "v", help: "Same short name."),
                OptionSpec(long: "flag", help: "A flag with a default.", defaultValue: "1"),
                OptionSpec(long: "pick", valueName: "P", help: "Picks.", defaultValue: "c", acceptedValues: ["a", "b"]),
            ])
        let problems = spec.validationProblems()
        #expect(problems.contains("broken: option --value is declared twice"))
        #expect(problems.contains("broken: short option -v is declared twice"))
        #expect(problems.contains("broken: help of --value does not end with a period"))
        #expect(problems.contains("broken: help of --value does not start with a capital letter"))
        #expect(problems.contains("broken: flag --flag has a default or accepted values but takes no value"))
        #expect(problems.contains("broken: default 'c' of --pick is not an accepted value"))
        #expect(problems.contains("broken: only the last argument may be repeatable, not MANY"))
        #expect(problems.contains("broken: required argument ONE follows an optional one"))
        #expect(problems.contains("broken: the abstract should not end with a period"))
    }

    @Test func builtinOptionsAreAdded() {
        let names = sampleSpec.allOptions.map(\.long)
        #expect(names.suffix(2) == ["help", "version"])
        #expect(sampleSpec.validationProblems() == [])
    }

    @Test func usageLineListsArguments() {
        #expect(keywordSpec.usageLine == "keyword [OPTIONS] [ACTION] [WORKER_ID...]")
        #expect(requiredSpec.usageLine == "required [OPTIONS] CSV [MODE]")
    }
}
