import Foundation
import TurkCLI
import TurkChat
import TurkModel
import TurkStore

/// `serve-chat`: runs TurkChat's `ChatServer` with the options of the command line.
public enum ServeChatCommand {
    /// Runs the tool and returns its exit status.
    public static func main(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        console: Console? = nil
    ) async -> Int32 {
        await ToolRunner.run(spec: ServeChatSpec.spec, arguments: arguments, environment: environment,
                             console: console) { parsed, console in
            let configuration = try configuration(parsed: parsed, console: console)
            let json = parsed.flag("json")
            try await serve(ChatServer(configuration: configuration)) { url in
                if json {
                    try? console.writeJSON(["url": url.absoluteString, "target": configuration.target.rawValue])
                } else {
                    console.write(url.absoluteString)
                }
            }
        }
    }

    /// Builds the server's configuration and checks every option before the server starts.
    static func configuration(parsed: ParsedArguments, console: Console) throws -> ChatServerConfiguration {
        let options = try MarketplaceOptions.resolve(parsed)
        try MarketplaceFactory.createStateDirectory(options.stateDirectory)
        var configuration = ChatServerConfiguration(stateDirectory: options.stateDirectory)
        configuration.target = options.target
        configuration.host = parsed.value("host") ?? "127.0.0.1"
        configuration.port = try parsed.int("port", in: 0...65_535) ?? 8080
        configuration.publicURL = try parsed.url("public-url")
        configuration.workerSiteEnabled = !parsed.flag("no-worker-site")
        configuration.wireEndpointEnabled = !parsed.flag("no-wire-endpoint")
        configuration.environment = parsed.environment
        if let seconds = try parsed.seconds("poll-interval", in: 1...600) {
            configuration.submissionPollSeconds = Double(seconds)
        }
        if parsed.flag("local-human") {
            configuration.console = .standard
        }

        var taskDirectories: [URL] = []
        for path in parsed.values("task") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UsageError("invalid value '\(path)' for --task: no such directory")
            }
            taskDirectories.append(URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL)
        }
        configuration.extraTaskDirectories = taskDirectories

        let certificate = parsed.value("tls-cert")
        let key = parsed.value("tls-key")
        switch (certificate, key) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            for (option, path) in [("--tls-cert", certificate), ("--tls-key", key)] {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw UsageError("invalid value '\(path)' for \(option): the file does not exist or is not readable")
                }
            }
            configuration.tlsCertificatePath = certificate
            configuration.tlsKeyPath = key
        default:
            throw UsageError("--tls-cert and --tls-key must be given together")
        }

        if options.target != .local {
            let publicScheme = configuration.publicURL?.scheme?.lowercased()
            if certificate == nil && publicScheme != "https" {
                console.warning("MTurk opens ExternalQuestion pages only over HTTPS; pass --tls-cert and --tls-key, "
                    + "or --public-url with the https address of a TLS proxy in front of this server")
            }
            // The client's retry lines go to serve-chat's log, with its time stamps and levels.
            let logger = configuration.logger
            configuration.remoteMarketplace = try MarketplaceFactory.make(
                options: options, environment: parsed.environment, console: console,
                log: { line in logger.warning("MTurk API: \(line)") }).marketplace
        }
        return configuration
    }

    /// Runs the blocking server loop on a thread of its own, so the async caller is not blocked, and returns when
    /// the server stops.
    static func serve(_ server: ChatServer, onListening: @escaping @Sendable (URL) -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try server.run(onListening: onListening)
                    continuation.resume()
                } catch let error as ChatServerError {
                    continuation.resume(throwing: ToolError(error.description))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "serve-chat"
            thread.start()
        }
    }
}
