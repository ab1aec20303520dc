import Foundation
import TurkAWS
import TurkLocal
import TurkModel
import TurkStore

/// The service-thread half of serve-chat: owns the transport, the engine and the routes.
final class ChatServerCore: TransportHandler {
    let configuration: ChatServerConfiguration
    let transport: LWSTransport
    let logger: ChatLogger
    let inbox: Inbox<ChatServerCore>
    let runStore: RunStore
    let storeWriter: StoreWriter
    let localMarketplace: LocalMarketplace?
    let workerSite: WorkerSite?
    let wireService: MTurkWireService?
    /// The MTurk checks of sandbox and live: nil on the local target.
    let marketplaceChecks: MarketplaceChecks?
    private(set) var engine: ChatEngine!
    private(set) var runLoader: RunLoader!
    private(set) lazy var agentProcesses = AgentProcessPool(core: self)
    /// The console for tasks with a local human, when the configuration has one.
    private(set) lazy var consoleAgent: ConsoleHub? = configuration.console.map { ConsoleHub(console: $0, core: self) }

    /// The marketplace for qualification grants: the local one, or the command's client for sandbox and live.
    var marketplace: (any Marketplace)? {
        localMarketplace ?? configuration.remoteMarketplace
    }
    private(set) var isStopping = false

    init(configuration: ChatServerConfiguration) throws {
        self.configuration = configuration
        logger = configuration.logger
        transport = LWSTransport(
            options: TransportOptions(
                host: try ListenAddress.resolve(configuration.host), port: configuration.port,
                tlsCertificatePath: configuration.tlsCertificatePath, tlsKeyPath: configuration.tlsKeyPath,
                limits: configuration.limits, webSocketPaths: ["/ws"]),
            logger: configuration.logger)
        inbox = Inbox(waker: transport.waker)

        guard (0...65_535).contains(configuration.port) else {
            throw ChatServerError("invalid port \(configuration.port): it must be from 0 to 65535 (0 takes a free port)")
        }
        guard (configuration.tlsCertificatePath == nil) == (configuration.tlsKeyPath == nil) else {
            throw ChatServerError("TLS needs both a certificate and a key; pass --tls-cert and --tls-key together")
        }
        do {
            runStore = try RunStore(stateDirectory: configuration.stateDirectory)
        } catch {
            throw ChatServerError("cannot open the run store in \(configuration.stateDirectory.url.path): \(error)")
        }
        storeWriter = StoreWriter(store: runStore, inbox: inbox)
        // A message is relayed only after its commit, and the commit that fills the WAL also checkpoints it. A
        // 128-page WAL keeps that checkpoint short (the benchmark's p99 latency at 5,000 messages a second fell from
        // 10 ms with SQLite's 1,000 pages to 3 ms), and a page cache above SQLite's 2 MiB keeps index pages in memory.
        let log = configuration.logger
        do {
            try runStore.database.setAutomaticCheckpoint(pages: 128)
            try runStore.database.setCacheSize(kibibytes: 32 * 1024)
        } catch {
            log.warning("the run store keeps SQLite's checkpoint and cache sizes", ["error": String(describing: error)])
        }

        let authority: any AssignmentAuthority
        if configuration.target == .local {
            let marketplace: LocalMarketplace
            do {
                marketplace = try LocalMarketplace(stateDirectory: configuration.stateDirectory,
                                                   environment: configuration.environment)
            } catch {
                throw ChatServerError("cannot open the local marketplace in "
                                      + "\(configuration.stateDirectory.url.path): \(error)")
            }
            localMarketplace = marketplace
            marketplaceChecks = nil
            authority = LocalAuthority(marketplace: marketplace)
            workerSite = configuration.workerSiteEnabled ? WorkerSite(marketplace: marketplace) : nil
            wireService = configuration.wireEndpointEnabled
                ? MTurkWireService(
                    marketplace: marketplace,
                    credentials: [AWSCredentials(accessKeyId: LocalMarketplace.accessKeyId,
                                                 secretAccessKey: LocalMarketplace.secretAccessKey)],
                    region: LocalMarketplace.region, throttleFraction: marketplace.throttleFraction,
                    log: { line in log.error("wire endpoint: \(line)") })
                : nil
        } else {
            localMarketplace = nil
            workerSite = nil
            wireService = nil
            let checks = try MarketplaceChecks(configuration: configuration, runStore: runStore)
            marketplaceChecks = checks
            authority = checks.authority
        }

        transport.handler = self
        runLoader = RunLoader(core: self, storeWriter: storeWriter,
                              taskSearchPaths: configuration.extraTaskDirectories + shippedTaskDirectories(),
                              target: configuration.target)
        engine = ChatEngine(core: self, storeWriter: storeWriter, authority: authority, runLoader: runLoader)
    }

    /// The URL the server reports: the public URL when set, else the bound address.
    var reportedURL: URL {
        configuration.publicURL ?? boundURL
    }

    /// The URL of the address the server listens on: the numeric address, also when `--host` was `localhost`.
    var boundURL: URL {
        var components = URLComponents()
        components.scheme = configuration.tlsCertificatePath == nil ? "http" : "https"
        components.host = transport.options.host.contains(":") ? "[\(transport.options.host)]" : transport.options.host
        components.port = transport.boundPort
        guard let url = components.url else {
            preconditionFailure("ListenAddress.resolve returned \(transport.options.host), which forms no URL")
        }
        return url
    }

    /// The base URL that the local worker site's pages submit to (`turkSubmitTo`): this server.
    var submitBaseURL: String {
        var text = reportedURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    // MARK: - Life cycle

    func start() throws {
        do {
            try transport.start()
        } catch let error as TransportError {
            throw ChatServerError(error.description)
        }
        try restoreOpenConversations()
        engine.start()
        scheduleSubmissionPoll()
        logger.notice("started", [
            "url": reportedURL.absoluteString, "target": configuration.target.rawValue,
            "state_dir": configuration.stateDirectory.url.path,
            "worker_site": String(workerSite != nil), "wire_endpoint": String(wireService != nil),
        ])
    }

    func run(until shouldStop: () -> Bool) {
        transport.run(until: shouldStop)
    }

    /// Tells the workers, closes their sockets, writes what is queued for the store, and closes everything.
    func shutdown() {
        isStopping = true
        marketplaceChecks?.stop()
        logger.notice("stopping", ["connections": String(transport.openSockets.count)])
        engine.shutdown()
        transport.drain(seconds: 2) { self.engine.allSocketsClosed }
        storeWriter.flush()
        for job in inbox.take() { job(self) }
        storeWriter.flush()
        agentProcesses.terminateAll()
        transport.destroyContext()
        runStore.close()
        localMarketplace?.close()
        logger.notice("stopped")
    }

    /// Loads the open conversations of this target's runs from the store, before serving.
    private func restoreOpenConversations() throws {
        let open = try runStore.openConversations()
        guard !open.isEmpty else { return }
        var runs: [String: RunRuntime] = [:]
        var items: [RestoreSnapshot.Item] = []
        let searchPaths = configuration.extraTaskDirectories + shippedTaskDirectories()
        for record in open {
            if runs[record.runId] == nil {
                do {
                    let loaded = try RunLoader.load(id: record.runId, store: runStore, searchPaths: searchPaths,
                                                    target: configuration.target)
                    runs[record.runId] = runLoader.adopt(loaded)
                } catch let error as RunLoadError {
                    if !error.isNotFound {
                        logger.error("cannot resume the conversations of a run",
                                     ["run": record.runId, "error": error.message])
                    }
                    continue
                }
            }
            items.append(RestoreSnapshot.Item(
                record: record, assignments: try runStore.assignments(conversation: record.id),
                messages: try runStore.messages(conversation: record.id)))
        }
        engine.restore(RestoreSnapshot(conversations: items), runs: runs)
    }

    // MARK: - Transport events

    func handleHTTP(_ request: HTTPRequest) {
        if request.method == "POST" && request.path == "/" && request.header("x-amz-target") != nil {
            serveWire(request)
            return
        }
        if let workerSite, workerSite.handle(request, core: self) { return }

        let method = request.method == "HEAD" ? "GET" : request.method
        switch (method, request.path) {
        case ("GET", "/chat"):
            serveChatPage(request)
        case ("GET", "/static/chat.js"):
            transport.respond(request.connectionID, HTTPResponse(
                contentType: "text/javascript; charset=utf-8", body: Data(ChatAssets.script.utf8)))
        case ("GET", "/static/chat.css"):
            transport.respond(request.connectionID, HTTPResponse(
                contentType: "text/css; charset=utf-8", body: Data(ChatAssets.style.utf8)))
        case ("GET", let path) where path.hasPrefix("/tasks/"):
            serveTaskAsset(request)
        case ("GET", "/healthz"):
            transport.respond(request.connectionID, .json(["status": "ok"]))
        case (_, "/chat"), (_, "/static/chat.js"), (_, "/static/chat.css"), (_, "/healthz"):
            transport.respond(request.connectionID, .text("Method \(request.method) is not allowed here.\n",
                                                          status: 405))
        default:
            transport.respond(request.connectionID, .html(Pages.message(
                title: "Not found", text: "There is no page at \(request.path).", isError: true), status: 404))
        }
    }

    func webSocketOpened(_ socket: WebSocket) {
        if isStopping {
            socket.close(code: CloseCode.goingAway, reason: "server stopping")
            return
        }
        engine.socketOpened(socket)
    }

    func webSocketReceived(_ socket: WebSocket, bytes: [UInt8]) {
        engine.socketReceived(socket, bytes: bytes)
    }

    func webSocketClosed(_ socket: WebSocket) {
        engine.socketClosed(socket)
    }

    func inboxReady() {
        for job in inbox.take() { job(self) }
    }

    // MARK: - Routes

    private func serveWire(_ request: HTTPRequest) {
        guard let wireService else {
            transport.respond(request.connectionID, .text(
                "The MTurk wire endpoint is off: it runs only on the local target.\n", status: 404))
            return
        }
        let inbox = self.inbox
        Task {
            let response = await wireService.handle(method: request.method, path: request.path,
                                                    headers: request.headers, body: request.body)
            let contentType = response.headers.first { $0.name.lowercased() == "content-type" }?.value
                ?? "application/x-amz-json-1.1"
            let headers = response.headers
                .filter { $0.name.lowercased() != "content-type" && $0.name.lowercased() != "content-length" }
                .map { (name: $0.name, value: $0.value) }
            inbox.post { core in
                core.transport.respond(request.connectionID, HTTPResponse(
                    status: response.status, contentType: contentType, headers: headers, body: response.body))
            }
        }
    }

    private func serveChatPage(_ request: HTTPRequest) {
        let parameters: Pages.ChatParameters
        do {
            parameters = try chatParameters(request)
        } catch {
            logger.warning("rejected a chat page request", ["reason": error.message, "peer": request.remoteAddress])
            transport.respond(request.connectionID, .html(Pages.message(
                title: "Invalid task link", text: error.message, isError: true), status: error.status))
            return
        }
        runLoader.withRun(parameters.runId) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let error) where error.isNotFound:
                self.transport.respond(request.connectionID, .html(Pages.message(
                    title: "Task not available", text: error.message, isError: true), status: 404))
            case .failure:
                // RunLoader logged the problem; the page does not show paths on the server.
                self.transport.respond(request.connectionID, .html(Pages.message(
                    title: "Task not available", text: InactiveText.runUnavailable, isError: true), status: 503))
            case .success(let run):
                let task = run.task.definition
                let description = Pages.taskDescriptionHTML(task, preview: parameters.isPreview)
                let returnURL = self.workerSite == nil ? nil : "/return"
                self.transport.respond(request.connectionID, .html(Pages.chat(
                    task: task, parameters: parameters, descriptionHTML: description, returnURL: returnURL)))
            }
        }
    }

    /// Serves `/tasks/<run>/<file>` from the run's task `html/` folder: scripts, styles, images and HTML blocks.
    private func serveTaskAsset(_ request: HTTPRequest) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        let types = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
                     "html": "text/html; charset=utf-8", "png": "image/png", "svg": "image/svg+xml",
                     "jpg": "image/jpeg"]
        guard parts.count == 4, isRunID(String(parts[2])),
              parts[3].range(of: #"^[A-Za-z0-9_-]+\.[a-z]+$"#, options: .regularExpression) != nil,
              let contentType = types[String(parts[3].split(separator: ".").last ?? "")]
        else {
            transport.respond(request.connectionID, .text("Not found.\n", status: 404))
            return
        }
        let name = String(parts[3])
        runLoader.withRun(String(parts[2])) { [weak self] result in
            guard let self else { return }
            guard case .success(let run) = result,
                  let data = try? Data(contentsOf: run.task.definition.directory
                    .appendingPathComponent("html").appendingPathComponent(name))
            else {
                self.transport.respond(request.connectionID, .text("Not found.\n", status: 404))
                return
            }
            self.transport.respond(request.connectionID, HTTPResponse(contentType: contentType, body: data))
        }
    }

    /// Reads and checks the parameters of `/chat`. A parameter that appears twice, or a worker id that carries a
    /// comma (as when a proxy joined two copies), is rejected.
    private func chatParameters(_ request: HTTPRequest) throws(HTTPError) -> Pages.ChatParameters {
        guard let runId = try request.uniqueQueryValue("run"), isRunID(runId) else {
            throw HTTPError(status: 400, message: "The link needs a valid run parameter.")
        }
        let assignmentId = try request.uniqueQueryValue("assignmentId") ?? WorkerSite.previewAssignmentId
        let hitId = try request.uniqueQueryValue("hitId") ?? ""
        let workerId = try request.uniqueQueryValue("workerId") ?? ""
        let submitTo = try request.uniqueQueryValue("turkSubmitTo") ?? ""
        let isPreview = assignmentId == WorkerSite.previewAssignmentId
        if !hitId.isEmpty && !isEntityID(hitId) {
            throw HTTPError(status: 400, message: "Invalid hitId \"\(hitId.prefix(80))\".")
        }
        if !isPreview {
            guard isEntityID(assignmentId) else {
                throw HTTPError(status: 400, message: "Invalid assignmentId \"\(assignmentId.prefix(80))\".")
            }
            guard !workerId.contains(",") else {
                throw HTTPError(status: 400, message: "The workerId \"\(workerId.prefix(80))\" contains a comma: "
                                + "it arrived twice in the URL. Open the task from the HIT again.")
            }
            guard isWorkerIDForm(workerId) else {
                throw HTTPError(status: 400, message: "Invalid workerId \"\(workerId.prefix(80))\".")
            }
            guard !hitId.isEmpty else { throw HTTPError(status: 400, message: "The link needs a hitId parameter.") }
        }
        var submitBase = submitTo
        if submitBase.isEmpty {
            submitBase = configuration.target.workerSubmitBase?.absoluteString ?? submitBaseURL
        }
        guard let submitURL = URL(string: submitBase), ["http", "https"].contains(submitURL.scheme ?? "") else {
            throw HTTPError(status: 400, message: "Invalid turkSubmitTo \"\(submitTo.prefix(120))\".")
        }
        return Pages.ChatParameters(runId: runId, hitId: hitId, assignmentId: assignmentId, workerId: workerId,
                                    turkSubmitTo: submitBase, isPreview: isPreview)
    }
}
