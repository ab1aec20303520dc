import Dispatch
import Foundation
import Synchronization
import TurkModel
import TurkStore

/// The settings of a serve-chat instance: the address it listens on, its state directory and the parts it serves.
public struct ChatServerConfiguration: Sendable {
    /// Address to bind. The default serves this machine only.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 takes a free port, which `run` reports through its callback.
    public var port: Int = 8080
    public var stateDirectory: StateDirectory
    public var target: Target = .local
    /// PEM certificate and key; with both set the server speaks HTTPS and WSS only.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// The URL workers use to reach this server when it differs from the bound address (a proxy or a public
    /// host name). Reported instead of the bound URL.
    public var publicURL: URL?
    /// Task directories, or folders of task directories, searched by task name when a run's stored task directory
    /// is missing. The shipped `tasks/` folder is searched after these.
    public var extraTaskDirectories: [URL] = []
    /// Whether to serve the worker site (HIT list, accept, externalSubmit). Only on the local target.
    public var workerSiteEnabled: Bool = true
    /// Whether to serve the local marketplace over MTurk's JSON wire protocol at `POST /`. Only on the local
    /// target.
    public var wireEndpointEnabled: Bool = true
    public var limits = ServerLimits()
    /// Seconds that the session of a finished assignment stays in memory after its last WebSocket closed. Later
    /// joins are answered from the run store instead, with the same status, replay and close code.
    public var sessionEvictionDelaySeconds: Double = Self.defaultSessionEvictionDelaySeconds
    public var logger: ChatLogger = .standardError(prefix: "serve-chat")
    /// Whether to stop on SIGINT and SIGTERM. Tests that run several servers in one process turn this off.
    public var handlesSignals: Bool = true
    /// The marketplace for sandbox and live, built by the command from the credentials. The local target opens
    /// the local marketplace in the state directory and ignores this.
    public var remoteMarketplace: (any Marketplace)?
    /// Seconds between two polls of MTurk for submitted assignments, on sandbox and live. After throttling or an
    /// outage the pause doubles, up to 10 minutes.
    public var submissionPollSeconds: Double = 30
    /// Seconds a join waits for MTurk to confirm its HIT on sandbox and live. After that the join is rejected with
    /// 1013 (try again later), and the page reconnects.
    public var marketplaceCheckSeconds: Double = 10
    /// The environment that the local marketplace reads `TURKCHAT_LOCAL_THROTTLE` from.
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// The terminal of the person who runs serve-chat, for tasks with a local human agent. Without one, the
    /// conversations of such a task fail with a reason that says so.
    public var console: ChatConsole?

    public init(stateDirectory: StateDirectory) {
        self.stateDirectory = stateDirectory
    }

    /// Five minutes: a worker who reloads the page, or whose network drops for a moment, is served from memory
    /// without a run-store read, while memory holds only the assignments that finished in the last few minutes
    /// instead of every assignment of a run that lasts days.
    public static let defaultSessionEvictionDelaySeconds: Double = 300
}

/// An error that keeps serve-chat from starting: a port in use, an unreadable TLS file, a run with bad task data.
public struct ChatServerError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// serve-chat: the chat page, the WebSocket endpoint, and on the local target the worker site and the wire
/// endpoint of the local marketplace.
///
/// `run` blocks the calling thread, which becomes the service thread, until `stop` is called or (when
/// `handlesSignals` is set) SIGINT or SIGTERM arrives. It prints nothing itself; the bound URL goes to the callback
/// and events go to the configured logger.
public final class ChatServer: Sendable {
    public let configuration: ChatServerConfiguration
    private let stopRequested = Atomic<Bool>(false)
    private let currentWaker = Mutex<Waker?>(nil)
    private let currentInbox = Mutex<Inbox<ChatServerCore>?>(nil)

    public init(configuration: ChatServerConfiguration) {
        self.configuration = configuration
    }

    /// Serves until stopped. Throws when the server cannot start; returns after a graceful shutdown.
    public func run(onListening: @Sendable (URL) -> Void) throws {
        let lock = try ServeChatLock.acquire(in: configuration.stateDirectory)
        defer { lock.release() }
        let core = try ChatServerCore(configuration: configuration)
        currentWaker.withLock { $0 = core.transport.waker }
        currentInbox.withLock { $0 = core.inbox }
        defer {
            currentWaker.withLock { $0 = nil }
            currentInbox.withLock { $0 = nil }
        }

        var signalSources: [DispatchSourceSignal] = []
        if configuration.handlesSignals {
            signalSources = installSignalHandlers()
        }
        defer {
            for source in signalSources { source.cancel() }
            if configuration.handlesSignals {
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
            }
        }

        try core.start()
        onListening(core.reportedURL)
        core.run(until: { self.stopRequested.load(ordering: .acquiring) })
        core.shutdown()
    }

    /// Asks a running server to stop. Safe from any thread, and before or after `run`.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        currentWaker.withLock { $0?.wake() }
    }

    /// Returns how many sessions and conversations the engine holds in memory, read on the service thread. Returns
    /// nil when the server is not running or the service thread did not answer within `timeout` seconds. For
    /// tests and diagnostics; it blocks the calling thread, so never call it on the service thread.
    func memoryCounts(timeout: Double = 5) -> ChatMemoryCounts? {
        guard let inbox = currentInbox.withLock({ $0 }) else { return nil }
        let answer = Mutex<ChatMemoryCounts?>(nil)
        inbox.post { core in
            let counts = core.engine.memoryCounts
            answer.withLock { $0 = counts }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let counts = answer.withLock({ $0 }) { return counts }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return nil
    }

    private func installSignalHandlers() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                configuration.logger.notice("received a stop signal; shutting down", ["signal": String(number)])
                stop()
            }
            source.resume()
            return source
        }
    }
}
