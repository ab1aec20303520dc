import Foundation
import TurkAWS
import TurkCLI
import TurkLocal
import TurkModel
import TurkStore

/// Turns the resolved common options into the marketplace a tool talks to.
public enum MarketplaceFactory {
    /// Returns the marketplace for `options` and the endpoint it calls (nil for the in-process local marketplace).
    ///
    /// - `local` without `--endpoint-url`: the `LocalMarketplace` in the state directory.
    /// - `local` with `--endpoint-url`: the real `MTurkClient` against that URL, signed with the local
    ///   marketplace's documented credentials, so every tool can run through the wire protocol end to end.
    /// - `sandbox` and `live`: `MTurkClient` with the AWS credential chain.
    ///
    /// For sandbox and live it prints the target and endpoint on standard error first, because requesters have
    /// posted to the wrong environment when a tool did not say which one it used. The client's retry lines go to
    /// `log`, or to the console as notes.
    public static func make(
        options: MarketplaceOptions, environment: [String: String], console: Console, verbose: Bool = false,
        log: (@Sendable (String) -> Void)? = nil
    ) throws -> (marketplace: any Marketplace, endpoint: URL?) {
        let log: @Sendable (String) -> Void = log ?? { line in console.note(line) }
        switch options.target {
        case .local:
            guard let endpoint = options.endpointOverride else {
                let local = try LocalMarketplace(stateDirectory: options.stateDirectory, environment: environment)
                return (DelayedMarketplace.wrapping(local, environment: environment), nil)
            }
            let credentials = AWSCredentials(
                accessKeyId: LocalMarketplace.accessKeyId, secretAccessKey: LocalMarketplace.secretAccessKey)
            // The local endpoint is on this machine, so no client-side rate limit applies.
            let client = MTurkClient(configuration: MTurkClientConfiguration(
                endpoint: endpoint, target: .local, credentials: credentials, requestsPerSecond: .infinity,
                verbose: verbose, log: log))
            return (DelayedMarketplace.wrapping(client, environment: environment), endpoint)
        case .sandbox, .live:
            let endpoint = try options.endpoint.map { try MTurkEndpoint.parse($0.absoluteString) }
            guard let endpoint else {
                throw ToolError("no endpoint is known for target \(options.target.rawValue)")
            }
            let resolved: ResolvedCredentials
            do {
                resolved = try CredentialResolver(environment: environment, profileOption: options.profile).resolve()
            } catch {
                throw ToolError(error.description)
            }
            let warning = options.target == .live ? " (real workers, real money)" : " (test marketplace, no money)"
            console.note("target \(options.target.rawValue)\(warning), endpoint \(endpoint.absoluteString)")
            let client = MTurkClient(configuration: MTurkClientConfiguration(
                endpoint: endpoint, target: options.target, credentials: resolved.credentials, verbose: verbose,
                log: log))
            return (DelayedMarketplace.wrapping(client, environment: environment), endpoint)
        }
    }

    /// Creates the state directory if needed, with an error that names it and where it came from.
    static func createStateDirectory(_ stateDirectory: StateDirectory) throws {
        let directory = stateDirectory.url.path
        do {
            try stateDirectory.create()
        } catch {
            throw ToolError(
                "cannot create the state directory \(directory): \(FileErrorText.reason(error, path: directory))",
                hint: "the state directory comes from --state-dir, TURKCHAT_STATE_DIR, $XDG_STATE_HOME/turkchat or "
                    + "~/.local/state/turkchat, in that order; pass --state-dir with a directory you can write")
        }
    }

    /// Resolves the common options, opens the run store and the marketplace, and returns the context a command
    /// runs with.
    public static func context(
        parsed: ParsedArguments, console: Console, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws -> ToolContext {
        let options = try MarketplaceOptions.resolve(parsed)
        try createStateDirectory(options.stateDirectory)
        let runStore = try RunStore(stateDirectory: options.stateDirectory, clock: clock)
        let (marketplace, endpoint) = try make(options: options, environment: parsed.environment, console: console)
        return ToolContext(
            console: console, marketplace: marketplace, target: options.target, endpoint: endpoint,
            stateDirectory: options.stateDirectory, runStore: runStore, environment: parsed.environment,
            clock: clock, json: options.json, assumeYes: options.assumeYes)
    }
}
