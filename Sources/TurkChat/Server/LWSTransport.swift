import CWebSockets
import Foundation
import Synchronization

/// Receives the transport's events. Every method runs on the service thread.
protocol TransportHandler: AnyObject {
    /// Handles a complete HTTP request, body included. Call `transport.respond` now or later, on the service thread.
    func handleHTTP(_ request: HTTPRequest)
    /// Handles a finished WebSocket upgrade.
    func webSocketOpened(_ socket: WebSocket)
    /// Handles a complete text message from a WebSocket, as its UTF-8 bytes (lws checked that they are UTF-8).
    func webSocketReceived(_ socket: WebSocket, bytes: [UInt8])
    /// Handles a WebSocket that closed for any reason. The socket must not be used afterwards.
    func webSocketClosed(_ socket: WebSocket)
    /// Jobs posted from other threads are waiting in the inbox.
    func inboxReady()
}

/// Options for the listening socket and TLS.
struct TransportOptions {
    var host: String
    var port: Int
    var tlsCertificatePath: String?
    var tlsKeyPath: String?
    var limits: ServerLimits
    /// Paths that accept a WebSocket upgrade.
    var webSocketPaths: Set<String>
}

/// An error from starting the transport.
struct TransportError: Error, CustomStringConvertible {
    var description: String
}

/// The HTTP, HTTPS and WebSocket server on libwebsockets.
///
/// One service thread runs `run()` and every callback; nothing here is touched from another thread except
/// `Waker`. Connections are found by their `wsi` pointer in a dictionary rather than through lws's per-session
/// memory, because an HTTP connection that upgrades to WebSocket rebinds its protocol and lws then frees and
/// reallocates that memory.
final class LWSTransport {
    let options: TransportOptions
    let logger: ChatLogger
    weak var handler: TransportHandler?
    let waker = Waker()

    private(set) var boundPort: Int = 0
    private var context: OpaquePointer?
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    private var protocolName: UnsafeMutablePointer<CChar>?
    private var cStrings: [UnsafeMutablePointer<CChar>] = []
    private var timerBox: UnsafeMutableRawPointer?
    private var stopping = false

    private var nextConnectionID: UInt64 = 1
    /// Connections by `wsi` bit pattern: HTTP transactions and open WebSockets.
    private var httpByWSI: [UInt: HTTPConnectionState] = [:]
    private var httpByID: [UInt64: HTTPConnectionState] = [:]
    private var socketsByWSI: [UInt: WebSocket] = [:]
    /// Accepted connections that have not finished their request headers yet, with the time they were accepted
    /// and the client's address.
    private var pendingHandshakes: [UInt: (accepted: Date, peer: String)] = [:]
    /// Keep-alive connections between requests, with the client's address. lws may close one while it reads the
    /// next request, which matters only when that request was too large.
    private var idleKeepAlive: [UInt: String] = [:]
    /// Write buffer with `LWS_PRE` bytes of headroom, reused for every write.
    private var writeBuffer: UnsafeMutablePointer<UInt8>
    private var writeBufferCapacity: Int
    private let pre = Int(cws_pre())
    let timers = TimerQueue()
    let repeats = RepeatLimiter()
    /// Whether inbox jobs are running, during which sockets that get frames wait in `deferredWrites`.
    private var writesDeferred = false
    private var deferredWrites: [WebSocket] = []

    init(options: TransportOptions, logger: ChatLogger) {
        self.options = options
        self.logger = logger
        writeBufferCapacity = 64 * 1024
        writeBuffer = .allocate(capacity: Int(cws_pre()) + writeBufferCapacity)
    }

    deinit {
        destroyContext()
        writeBuffer.deallocate()
    }

    // MARK: - Start and stop

    /// Creates the lws context and binds the listening socket. Throws when the address is taken or TLS files
    /// cannot be loaded.
    func start() throws {
        lwsLogRoute.withLock { $0.logger = logger }
        lws_set_log_level(Int32(LLL_ERR), lwsLogEmit)

        protocolName = strdup("turkchat-v1")
        protocols = .allocate(capacity: 2)
        protocols![0] = lws_protocols(
            name: protocolName, callback: lwsCallback, per_session_data_size: 0,
            rx_buffer_size: 16 * 1024, id: 0, user: nil, tx_packet_size: 0)
        protocols![1] = lws_protocols(
            name: nil, callback: nil, per_session_data_size: 0, rx_buffer_size: 0, id: 0, user: nil,
            tx_packet_size: 0)

        var info = lws_context_creation_info()
        info.port = Int32(options.port)
        info.iface = UnsafePointer(cString(options.host))
        info.protocols = UnsafePointer(protocols)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.timeout_secs = UInt32(clamping: max(1, options.limits.handshakeTimeoutSeconds))
        info.timeout_secs_ah_idle = UInt32(clamping: max(1, options.limits.handshakeTimeoutSeconds))
        info.keepalive_timeout = 30
        info.max_http_header_data = UInt16(clamping: max(1024, options.limits.maxRequestHeaderBytes))
        info.alpn = UnsafePointer(cString("http/1.1"))
        info.server_string = UnsafePointer(cString("turkchat"))
        // Without FAIL_UPON_UNABLE_TO_BIND, lws keeps a vhost whose address it cannot bind and waits for the
        // address to appear, so the server would run without listening.
        info.options = UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8) | UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
            | UInt64(LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND)
        // libev and libuv wait with epoll, whose cost per wake-up does not grow with the number of open sockets as
        // lws's own poll() loop does. `run(until:)` turns the loop one iteration at a time to check for a stop.
        switch try Self.eventLoop(environment: ProcessInfo.processInfo.environment) {
        case .libuv:
            let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
            uv_loop_init(loop)
            uvLoop = loop
            runOnForeignLoop(UnsafeMutableRawPointer(loop), option: LWS_SERVER_OPTION_LIBUV, &info)
        case .libev:
            guard let loop = cws_ev_loop_new() else {
                throw TransportError(description: "libev could not create an epoll event loop")
            }
            evLoop = loop
            runOnForeignLoop(UnsafeMutableRawPointer(loop), option: LWS_SERVER_OPTION_LIBEV, &info)
        case .poll:
            break
        }
        if options.host == "::" || options.host.contains(":") {
            info.options &= ~UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
        }
        if let cert = options.tlsCertificatePath, let key = options.tlsKeyPath {
            for path in [cert, key] where !FileManager.default.isReadableFile(atPath: path) {
                throw TransportError(description: "cannot read TLS file \(path); check the path and its permissions")
            }
            info.options |= UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
            info.ssl_cert_filepath = UnsafePointer(cString(cert))
            info.ssl_private_key_filepath = UnsafePointer(cString(key))
        }

        guard let context = lws_create_context(&info) else {
            destroyContext()
            let what = options.tlsCertificatePath == nil ? "" : " (or its TLS certificate and key could not be loaded)"
            throw TransportError(description:
                "cannot listen on \(options.host) port \(options.port)\(what); is the port in use or the address "
                + "not on this machine?")
        }
        self.context = context
        waker.attach(context)

        guard let vhost = lws_get_vhost_by_name(context, "default") else {
            throw TransportError(description: "libwebsockets created no default vhost")
        }
        boundPort = Int(lws_get_vhost_listen_port(vhost))
        // lws reports the requested port even when it created no listening socket, so look for the socket itself.
        guard boundPort > 0, ListenAddress.isListening(port: boundPort, address: options.host) else {
            throw TransportError(description: "cannot listen on \(options.host) port \(options.port): "
                                 + "libwebsockets created no listening socket")
        }

        let box = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<lws_sorted_usec_list_t>.stride + MemoryLayout<UnsafeMutableRawPointer>.stride,
            alignment: 16)
        box.initializeMemory(as: UInt8.self, repeating: 0,
                             count: MemoryLayout<lws_sorted_usec_list_t>.stride)
        box.storeBytes(of: Unmanaged.passUnretained(self).toOpaque(),
                       toByteOffset: MemoryLayout<lws_sorted_usec_list_t>.stride, as: UnsafeMutableRawPointer.self)
        timerBox = box
        scheduleTimerWakeup()
    }

    /// The event loops lws can run on here.
    enum EventLoop: String {
        /// lws's own loop, which calls poll() over every open socket on each wake-up.
        case poll
        /// libev with epoll, whose cost per wake-up grows with the sockets that have events, not with all of them.
        case libev
        /// libuv with epoll.
        ///
        /// NOTE: with libuv, lws 4.1.6 drops the close frame of a close that the server starts from a write
        /// callback. Clients then see 1006 instead of codes such as 4010 and 4011, so libuv is only an option.
        case libuv
    }

    /// Returns the event loop that `TURKCHAT_EVENT_LOOP` names, or libev when it is unset.
    static func eventLoop(environment: [String: String]) throws -> EventLoop {
        guard let name = environment["TURKCHAT_EVENT_LOOP"] else { return .libev }
        guard let loop = EventLoop(rawValue: name) else {
            throw TransportError(description: "invalid TURKCHAT_EVENT_LOOP value '\(name)': use libev (the default), "
                                 + "poll or libuv, or unset it")
        }
        return loop
    }

    /// The libuv or libev loop that lws runs on, owned here (lws calls it a foreign loop).
    private var uvLoop: UnsafeMutablePointer<uv_loop_t>?
    private var evLoop: OpaquePointer?
    private var foreignLoops: UnsafeMutablePointer<UnsafeMutableRawPointer?>?

    /// Makes lws run on `loop`, which this transport owns, with the event library that `option` names.
    private func runOnForeignLoop(_ loop: UnsafeMutableRawPointer, option: Int64,
                                  _ info: inout lws_context_creation_info) {
        foreignLoops = .allocate(capacity: 1)
        foreignLoops!.pointee = loop
        info.foreign_loops = foreignLoops
        info.options |= UInt64(option)
    }

    /// Turns the event loop once: waits for events (or a wake-up) and handles them.
    private func serviceOnce(_ context: OpaquePointer) -> Bool {
        if let uvLoop {
            uv_run(uvLoop, UV_RUN_ONCE)
            return true
        }
        if let evLoop {
            cws_ev_run_once(evLoop)
            return true
        }
        return lws_service(context, 0) >= 0
    }

    /// Services the network until `shouldStop` returns true; `stop` wakes the loop so it checks.
    func run(until shouldStop: () -> Bool) {
        guard let context else { return }
        while !shouldStop() {
            if !serviceOnce(context) { break }
        }
    }

    /// Runs the loop for up to `seconds` more, for a graceful shutdown to flush close frames.
    func drain(seconds: Double, until done: () -> Bool) {
        guard let context else { return }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !done() {
            waker.wake()
            if !serviceOnce(context) { break }
        }
    }

    func destroyContext() {
        if let box = timerBox {
            lws_sul_cancel(box.assumingMemoryBound(to: lws_sorted_usec_list_t.self))
        }
        waker.detach()
        if let context {
            stopping = true
            lws_context_destroy(context)
            self.context = nil
        }
        if let uvLoop {
            // lws closes its libuv handles asynchronously; let the loop finish those closes before closing it.
            var turns = 0
            while uv_run(uvLoop, UV_RUN_NOWAIT) != 0 && turns < 10_000 { turns += 1 }
            uv_loop_close(uvLoop)
            uvLoop.deallocate()
            self.uvLoop = nil
        }
        if let evLoop {
            // As with libuv, lws stops its libev watchers while the context is destroyed; run once to settle.
            cws_ev_run_nowait(evLoop)
            ev_loop_destroy(evLoop)
            self.evLoop = nil
        }
        if let foreignLoops {
            foreignLoops.deallocate()
            self.foreignLoops = nil
        }
        if let box = timerBox {
            box.deallocate()
            timerBox = nil
        }
        if let protocols {
            protocols.deallocate()
            self.protocols = nil
        }
        if let protocolName {
            free(protocolName)
            self.protocolName = nil
        }
        for string in cStrings { free(string) }
        cStrings = []
    }

    private func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(text)!
        cStrings.append(copy)
        return copy
    }

    // MARK: - Timers

    fileprivate func timerFired() {
        timers.runDue(now: monotonicSeconds())
        scheduleTimerWakeup()
    }

    /// Arms the lws timer for the earliest job, or in one second to keep checking the stop flag.
    func scheduleTimerWakeup() {
        guard let context, let box = timerBox else { return }
        let now = monotonicSeconds()
        let delay = min(1.0, max(0.001, (timers.nextDue ?? now + 1) - now))
        lws_sul_schedule(context, 0, box.assumingMemoryBound(to: lws_sorted_usec_list_t.self), lwsTimerCallback,
                         lws_usec_t(delay * 1_000_000))
    }

    /// Runs `action` on the service thread after `seconds`. Returns an id for `cancelTimer`.
    @discardableResult
    func schedule(after seconds: Double, _ action: @escaping () -> Void) -> UInt64 {
        let id = timers.add(due: monotonicSeconds() + seconds, action)
        if let due = timers.nextDue, due <= monotonicSeconds() + seconds { scheduleTimerWakeup() }
        return id
    }

    func cancelTimer(_ id: UInt64) { timers.cancel(id) }

    // MARK: - Callback dispatch

    fileprivate func callback(
        _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        guard let wsi else { return 0 }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(wsi)))
        switch reason {
        case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
            pendingHandshakes[key] = (Date(), peerAddress(wsi))
            return 0
        case LWS_CALLBACK_HTTP:
            pendingHandshakes[key] = nil
            idleKeepAlive[key] = nil
            return beginHTTP(wsi, key)
        case LWS_CALLBACK_HTTP_BODY:
            return receiveBody(key, input, length)
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return finishBody(key)
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return writeHTTP(wsi, key)
        case LWS_CALLBACK_CLOSED_HTTP:
            dropHTTP(key)
            return 0
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            pendingHandshakes[key] = nil
            idleKeepAlive[key] = nil
            return filterUpgrade(wsi)
        case LWS_CALLBACK_ESTABLISHED:
            openSocket(wsi, key)
            return 0
        case LWS_CALLBACK_RECEIVE:
            return receiveFrame(wsi, key, input, length)
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return writeSocket(wsi, key)
        case LWS_CALLBACK_CLOSED:
            closeSocket(key)
            return 0
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            if !stopping { serviceInbox() }
            return 0
        case LWS_CALLBACK_WSI_DESTROY:
            let overflowed = lwsLogRoute.withLock { $0.headerOverflowThreads.remove(currentThreadID()) != nil }
            let idlePeer = idleKeepAlive.removeValue(forKey: key)
            if let pending = pendingHandshakes.removeValue(forKey: key), !stopping {
                logIncompleteRequest(accepted: pending.accepted, peer: pending.peer, overflowed: overflowed)
            } else if let idlePeer, overflowed, !stopping {
                logIncompleteRequest(accepted: Date(), peer: idlePeer, overflowed: true)
            }
            dropHTTP(key)
            closeSocket(key)
            return 0
        default:
            return 0
        }
    }

    /// Logs a connection that closed before lws handed its request over, with the most likely reason.
    ///
    /// lws 4.1.6 closes such a connection without a response in three cases. The request line and headers may not
    /// fit its buffer, which lws reports in its own error line. It may reject the request as malformed, such as
    /// `%00` in the URL, which decodes to a NUL. Or the request did not arrive within the handshake timeout, which
    /// the time the connection was open shows. A client that simply left looks like a malformed request.
    private func logIncompleteRequest(accepted: Date, peer: String, overflowed: Bool) {
        let seconds = Date().timeIntervalSince(accepted)
        let kind: String
        let message: String
        if overflowed {
            kind = "request-too-large"
            message = "rejected a request whose request line and headers exceed "
                + "\(options.limits.maxRequestHeaderBytes) bytes; libwebsockets closed the connection without a response"
        } else if seconds >= Double(options.limits.handshakeTimeoutSeconds) - 0.5 {
            kind = "handshake-timeout"
            message = "closed a connection that sent no complete request within "
                + "\(options.limits.handshakeTimeoutSeconds) s"
        } else {
            kind = "malformed-request"
            message = "closed a connection before its request was complete: libwebsockets rejected a malformed "
                + "request (such as %00 in the URL) without a response, or the client left"
        }
        if let count = repeats.count(kind) {
            logger.warning(message, ["peer": peer, "seconds": String(format: "%.1f", seconds), "count": String(count)])
        }
    }

    // MARK: - HTTP

    private func beginHTTP(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        let connectionID = nextConnectionID
        nextConnectionID += 1
        let method = requestMethod(wsi)
        var path = header(wsi, WSI_TOKEN_GET_URI) ?? header(wsi, WSI_TOKEN_POST_URI)
            ?? header(wsi, WSI_TOKEN_HEAD_URI) ?? header(wsi, WSI_TOKEN_HTTP_COLON_PATH)
            ?? header(wsi, WSI_TOKEN_PUT_URI) ?? header(wsi, WSI_TOKEN_DELETE_URI)
            ?? header(wsi, WSI_TOKEN_OPTIONS_URI) ?? header(wsi, WSI_TOKEN_PATCH_URI) ?? "/"
        if let question = path.firstIndex(of: "?") { path = String(path[..<question]) }

        var headers: [String: String] = [:]
        let known: [(String, lws_token_indexes)] = [
            ("host", WSI_TOKEN_HOST), ("content-type", WSI_TOKEN_HTTP_CONTENT_TYPE),
            ("content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH), ("authorization", WSI_TOKEN_HTTP_AUTHORIZATION),
            ("user-agent", WSI_TOKEN_HTTP_USER_AGENT), ("accept", WSI_TOKEN_HTTP_ACCEPT),
            ("origin", WSI_TOKEN_ORIGIN), ("transfer-encoding", WSI_TOKEN_HTTP_TRANSFER_ENCODING),
        ]
        for (name, token) in known {
            if let value = header(wsi, token) { headers[name] = value }
        }
        var wanted = ["x-amz-target", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]
        // A SigV4 signature covers the headers its SignedHeaders list names; fetch each so the wire endpoint can
        // rebuild the canonical request.
        if let authorization = headers["authorization"], let range = authorization.range(of: "SignedHeaders=") {
            let list = authorization[range.upperBound...].prefix { $0 != "," && $0 != " " }
            wanted += list.split(separator: ";").map { $0.lowercased() }
        }
        for name in wanted where headers[name] == nil {
            if let value = headerNamed(wsi, name) { headers[name] = value }
        }

        let state = HTTPConnectionState(
            id: connectionID, wsi: wsi,
            request: HTTPRequest(method: method, path: path, query: queryArguments(wsi), headers: headers,
                                 body: Data(), remoteAddress: peerAddress(wsi), connectionID: connectionID))
        httpByWSI[key] = state
        httpByID[connectionID] = state

        if let rejection = oversizedRequestHead(wsi) {
            if let count = repeats.count("request-head-\(rejection.status)") {
                logger.warning("rejected a request", [
                    "status": String(rejection.status), "reason": rejection.reason, "path": String(path.prefix(200)),
                    "peer": state.request.remoteAddress, "count": String(count)])
            }
            state.closeAfterResponse = true
            state.bodyRejected = true
            respond(connectionID, .text(rejection.reason + "\n", status: rejection.status))
            return 0
        }

        if method == "POST" || method == "PUT" || method == "PATCH" {
            if let length = headers["content-length"].flatMap(Int.init), length > options.limits.maxRequestBodyBytes {
                logger.warning("request body too large", ["bytes": String(length), "path": path,
                                                          "connection": String(connectionID)])
                state.bodyRejected = true
                state.closeAfterResponse = true
                respond(connectionID, .text("The request body is larger than \(options.limits.maxRequestBodyBytes) "
                                            + "bytes.\n", status: 413))
                return 0
            }
            // lws 4.1.6 reported no end of a chunked request body from curl, so ask for a length instead of waiting.
            if headers["content-length"] == nil && headers["transfer-encoding"] != nil {
                if let count = repeats.count("request-head-411") {
                    logger.warning("rejected a request", [
                        "status": "411", "reason": "chunked request body", "path": String(path.prefix(200)),
                        "peer": state.request.remoteAddress, "count": String(count)])
                }
                state.bodyRejected = true
                state.closeAfterResponse = true
                respond(connectionID, .text("Send the request body with a Content-Length header.\n", status: 411))
                return 0
            }
            // A request without Content-Length or Transfer-Encoding has no body (RFC 9112, section 6.3), and lws
            // then reports no body completion either. lws still expects a body on the connection, so it is closed
            // after the response.
            if headers["content-length"] == nil {
                state.closeAfterResponse = true
                dispatch(state)
                return 0
            }
            // The body arrives in LWS_CALLBACK_HTTP_BODY; dispatch when it is complete.
            return 0
        }
        dispatch(state)
        return 0
    }

    /// Checks the request target and header sizes that lws let through. Returns the status and reason of a
    /// rejection, or nil.
    private func oversizedRequestHead(_ wsi: OpaquePointer) -> (status: Int, reason: String)? {
        let uriTokens = [WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_HEAD_URI, WSI_TOKEN_PUT_URI,
                         WSI_TOKEN_DELETE_URI, WSI_TOKEN_OPTIONS_URI, WSI_TOKEN_PATCH_URI, WSI_TOKEN_HTTP_COLON_PATH,
                         WSI_TOKEN_HTTP_URI_ARGS]
        var uriBytes = 0
        var fieldBytes = 0
        for raw in 0..<WSI_TOKEN_COUNT.rawValue {
            let token = lws_token_indexes(rawValue: raw)
            let length = Int(max(0, lws_hdr_total_length(wsi, token)))
            if uriTokens.contains(token) { uriBytes += length } else { fieldBytes += length }
        }
        if uriBytes > options.limits.maxRequestURIBytes {
            return (414, "The request URL is longer than \(options.limits.maxRequestURIBytes) bytes.")
        }
        if fieldBytes > options.limits.maxRequestFieldBytes {
            return (431, "The request header fields are larger than \(options.limits.maxRequestFieldBytes) bytes.")
        }
        return nil
    }

    private func receiveBody(_ key: UInt, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let state = httpByWSI[key] else { return -1 }
        if state.bodyRejected { return 0 }
        if state.request.body.count + length > options.limits.maxRequestBodyBytes {
            logger.warning("request body too large; closing the connection",
                           ["path": state.request.path, "connection": String(state.id)])
            return -1
        }
        if let input, length > 0 {
            state.request.body.append(input.assumingMemoryBound(to: UInt8.self), count: length)
        }
        return 0
    }

    private func finishBody(_ key: UInt) -> Int32 {
        guard let state = httpByWSI[key] else { return -1 }
        if state.bodyRejected { return 0 }
        dispatch(state)
        return 0
    }

    private func dispatch(_ state: HTTPConnectionState) {
        guard let handler else {
            respond(state.id, .text("The server is stopping.\n", status: 503))
            return
        }
        handler.handleHTTP(state.request)
    }

    /// Sends `response` on connection `connectionID`. Does nothing when the client has gone.
    func respond(_ connectionID: UInt64, _ response: HTTPResponse) {
        guard let state = httpByID[connectionID], state.response == nil else { return }
        var response = response
        response.headers += securityHeaders
        if state.request.method == "HEAD" { response.body = Data() }
        state.response = response
        lws_callback_on_writable(state.wsi)
    }

    private func writeHTTP(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let state = httpByWSI[key], let response = state.response else { return 0 }
        if !state.headersSent {
            guard writeHeaders(wsi, response) else { return -1 }
            state.headersSent = true
            if response.body.isEmpty { return finishTransaction(wsi, key, state) }
            lws_callback_on_writable(wsi)
            return 0
        }

        let chunkSize = 32 * 1024
        let remaining = response.body.count - state.bodyOffset
        let count = min(chunkSize, remaining)
        let isLast = count == remaining
        ensureWriteCapacity(count)
        response.body.withUnsafeBytes { bytes in
            let start = bytes.baseAddress!.advanced(by: state.bodyOffset)
            (writeBuffer + pre).update(from: start.assumingMemoryBound(to: UInt8.self), count: count)
        }
        let written = lws_write(wsi, writeBuffer + pre, count, isLast ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
        if written < count { return -1 }
        state.bodyOffset += count
        if isLast { return finishTransaction(wsi, key, state) }
        lws_callback_on_writable(wsi)
        return 0
    }

    private func writeHeaders(_ wsi: OpaquePointer, _ response: HTTPResponse) -> Bool {
        let capacity = 4096
        ensureWriteCapacity(capacity)
        let start = writeBuffer + pre
        var position: UnsafeMutablePointer<UInt8>? = start
        let end = start + capacity - 1
        let commonFailed = response.contentType.withCString { contentType in
            lws_add_http_common_headers(wsi, UInt32(response.status), contentType,
                                        lws_filepos_t(response.body.count), &position, end) != 0
        }
        if commonFailed { return false }
        // lws 4.1.6 writes "Redirect" for every 3xx status and no phrase for some others; put the standard one in.
        guard replaceReasonPhrase(start: start, position: &position, end: end, status: response.status) else {
            return false
        }
        for (name, value) in response.headers {
            let nameBytes = Array((name.lowercased() + ":").utf8) + [0]
            let valueBytes = Array(value.utf8)
            let failed = nameBytes.withUnsafeBufferPointer { namePointer in
                valueBytes.withUnsafeBufferPointer { valuePointer in
                    lws_add_http_header_by_name(wsi, namePointer.baseAddress, valuePointer.baseAddress,
                                                Int32(valueBytes.count), &position, end) != 0
                }
            }
            if failed { return false }
        }
        return lws_finalize_write_http_header(wsi, start, &position, end) == 0
    }

    /// Rewrites the status line that lws wrote at `start` as `HTTP/x.y NNN <standard reason phrase>`, moving the
    /// header lines after it.
    private func replaceReasonPhrase(
        start: UnsafeMutablePointer<UInt8>, position: inout UnsafeMutablePointer<UInt8>?, end: UnsafeMutablePointer<UInt8>,
        status: Int
    ) -> Bool {
        guard let current = position else { return false }
        let written = UnsafeMutableBufferPointer(start: start, count: current - start)
        guard let lineEnd = written.firstIndex(of: 13), written.starts(with: Array("HTTP/".utf8)),
              let space = written[..<lineEnd].firstIndex(of: 32)
        else { return true }
        let version = Array(written[..<space])
        let line = version + Array(" \(status) \(httpReasonPhrase(status))".utf8)
        let rest = current - (start + lineEnd)
        guard start + line.count + rest <= end else { return false }
        (start + line.count).update(from: start + lineEnd, count: rest)
        start.update(from: line, count: line.count)
        position = start + line.count + rest
        return true
    }

    private func finishTransaction(_ wsi: OpaquePointer, _ key: UInt, _ state: HTTPConnectionState) -> Int32 {
        httpByID[state.id] = nil
        httpByWSI[key] = nil
        if state.closeAfterResponse { return -1 }
        if lws_http_transaction_completed(wsi) != 0 { return -1 }
        idleKeepAlive[key] = state.request.remoteAddress
        return 0
    }

    private func dropHTTP(_ key: UInt) {
        if let state = httpByWSI.removeValue(forKey: key) {
            httpByID[state.id] = nil
        }
    }

    private func ensureWriteCapacity(_ count: Int) {
        guard count > writeBufferCapacity else { return }
        writeBuffer.deallocate()
        writeBufferCapacity = max(count, writeBufferCapacity * 2)
        writeBuffer = .allocate(capacity: pre + writeBufferCapacity)
    }

    // MARK: - Header access

    private func requestMethod(_ wsi: OpaquePointer) -> String {
        let methods: [(lws_token_indexes, String)] = [
            (WSI_TOKEN_GET_URI, "GET"), (WSI_TOKEN_POST_URI, "POST"), (WSI_TOKEN_HEAD_URI, "HEAD"),
            (WSI_TOKEN_PUT_URI, "PUT"), (WSI_TOKEN_DELETE_URI, "DELETE"), (WSI_TOKEN_OPTIONS_URI, "OPTIONS"),
            (WSI_TOKEN_PATCH_URI, "PATCH"),
        ]
        for (token, name) in methods where lws_hdr_total_length(wsi, token) > 0 {
            return name
        }
        return header(wsi, WSI_TOKEN_HTTP_COLON_METHOD)?.uppercased() ?? "GET"
    }

    func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Header tokens that lws parses itself, by lower-case name without the colon.
    private lazy var tokensByName: [String: lws_token_indexes] = {
        var map: [String: lws_token_indexes] = [:]
        for raw in 0..<WSI_TOKEN_COUNT.rawValue {
            let token = lws_token_indexes(rawValue: raw)
            guard let name = lws_token_to_string(token) else { continue }
            var text = String(cString: name).lowercased()
            if text.hasSuffix(":") { text.removeLast() }
            if !text.isEmpty && !text.hasPrefix(":") && map[text] == nil { map[text] = token }
        }
        return map
    }()

    /// Returns a request header by lower-case name: a token that lws parses, else a custom header.
    private func headerNamed(_ wsi: OpaquePointer, _ lowerCaseName: String) -> String? {
        if let token = tokensByName[lowerCaseName] { return header(wsi, token) }
        return customHeader(wsi, lowerCaseName)
    }

    private func customHeader(_ wsi: OpaquePointer, _ lowerCaseName: String) -> String? {
        let name = lowerCaseName + ":"
        let length = Int(lws_hdr_custom_length(wsi, name, Int32(name.utf8.count)))
        guard length >= 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_custom_copy(wsi, &buffer, Int32(buffer.count), name, Int32(name.utf8.count)) >= 0 else {
            return nil
        }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Returns the query parameters as lws decoded them: split on `&`, with `%XX` and `+` decoded.
    func queryArguments(_ wsi: OpaquePointer) -> [(name: String, value: String)] {
        var arguments: [(String, String)] = []
        var index: Int32 = 0
        while true {
            let length = Int(lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, index))
            guard length > 0 else { break }
            var buffer = [CChar](repeating: 0, count: length + 1)
            guard lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, index) >= 0 else {
                break
            }
            let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            arguments.append((String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
            index += 1
        }
        return arguments
    }

    private func peerAddress(_ wsi: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard lws_get_peer_simple(wsi, &buffer, buffer.count) != nil else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: - WebSocket

    private func filterUpgrade(_ wsi: OpaquePointer) -> Int32 {
        var path = header(wsi, WSI_TOKEN_GET_URI) ?? header(wsi, WSI_TOKEN_HTTP_COLON_PATH) ?? ""
        if let question = path.firstIndex(of: "?") { path = String(path[..<question]) }
        guard options.webSocketPaths.contains(path) else {
            if let count = repeats.count("upgrade-path") {
                logger.warning("rejected a WebSocket upgrade for an unknown path",
                               ["path": path, "peer": peerAddress(wsi), "count": String(count)])
            }
            return 1
        }
        return 0
    }

    private func openSocket(_ wsi: OpaquePointer, _ key: UInt) {
        let connectionID = nextConnectionID
        nextConnectionID += 1
        let socket = WebSocket(id: connectionID, wsi: wsi, transport: self, remoteAddress: peerAddress(wsi),
                               query: queryArguments(wsi))
        socketsByWSI[key] = socket
        handler?.webSocketOpened(socket)
    }

    private func receiveFrame(
        _ wsi: OpaquePointer, _ key: UInt, _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        guard let socket = socketsByWSI[key], !socket.isClosed else { return -1 }
        socket.lastReceived = monotonicSeconds()
        if lws_frame_is_binary(wsi) != 0 {
            logger.warning("closing a WebSocket that sent a binary frame", ["socket": String(socket.id)])
            return closeNow(wsi, socket, code: 1003, reason: "binary frames are not accepted; send JSON text")
        }
        let complete = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0
        if complete && socket.receiveBuffer.isEmpty {
            // The usual case: the whole message came in one piece, so it is handed on without a second copy.
            guard length <= options.limits.maxWebSocketMessageBytes else {
                return closeOversized(wsi, socket)
            }
            let bytes = input.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
            return deliverMessage(wsi, socket, bytes)
        }
        if socket.receiveBuffer.count + length > options.limits.maxWebSocketMessageBytes {
            return closeOversized(wsi, socket)
        }
        if let input, length > 0 {
            socket.receiveBuffer.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        guard complete else { return 0 }
        let bytes = socket.receiveBuffer
        socket.receiveBuffer = []
        return deliverMessage(wsi, socket, bytes)
    }

    private func closeOversized(_ wsi: OpaquePointer, _ socket: WebSocket) -> Int32 {
        logger.warning("closing a WebSocket that sent a message larger than the limit",
                       ["socket": String(socket.id), "limit": String(options.limits.maxWebSocketMessageBytes)])
        return closeNow(wsi, socket, code: 1009,
                        reason: "message larger than \(options.limits.maxWebSocketMessageBytes) bytes")
    }

    /// Hands a complete message to the handler, then closes the socket if the handler asked for that and nothing
    /// is left to send.
    private func deliverMessage(_ wsi: OpaquePointer, _ socket: WebSocket, _ bytes: [UInt8]) -> Int32 {
        // lws validates UTF-8 on text frames (LWS_SERVER_OPTION_VALIDATE_UTF8).
        handler?.webSocketReceived(socket, bytes: bytes)
        if socket.closeRequest != nil && socket.outgoing.isEmpty {
            return closeNow(wsi, socket, code: socket.closeRequest!.code, reason: socket.closeRequest!.reason)
        }
        return 0
    }

    private func closeNow(_ wsi: OpaquePointer, _ socket: WebSocket, code: UInt16, reason: String) -> Int32 {
        var reasonBytes = Array(reason.utf8.prefix(120))
        lws_close_reason(wsi, lws_close_status(UInt32(code)), &reasonBytes, reasonBytes.count)
        socket.markClosing()
        return -1
    }

    private func writeSocket(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let socket = socketsByWSI[key] else { return -1 }
        switch writeQueuedFrames(wsi, socket) {
        case .failed:
            return -1
        case .more:
            lws_callback_on_writable(wsi)
            return 0
        case .drained:
            if let close = socket.closeRequest {
                return closeNow(wsi, socket, code: close.code, reason: close.reason)
            }
            return 0
        }
    }

    /// The outcome of one write of queued frames.
    private enum WriteOutcome {
        /// Every queued frame was handed to lws.
        case drained
        /// Frames are left for a later write.
        case more
        /// The connection failed and must close.
        case failed
    }

    /// The bytes of queued frames sent in one write at most, unless a single frame is larger.
    private static let maxWriteBytes = 64 * 1024

    /// Writes the socket's queued frames with one `send()`. The frames are framed here and handed to lws as raw
    /// bytes, because `lws_write` sends each text frame with a system call of its own. lws keeps any part that the
    /// socket did not take and sends it before the next writable callback.
    private func writeQueuedFrames(_ wsi: OpaquePointer, _ socket: WebSocket) -> WriteOutcome {
        var length = 0
        var count = 0
        for frame in socket.outgoing {
            let size = WebSocketFrame.headerSize(payload: frame.count) + frame.count
            if count > 0 && length + size > Self.maxWriteBytes { break }
            length += size
            count += 1
        }
        guard count > 0 else { return .drained }
        ensureWriteCapacity(length)
        var cursor = writeBuffer + pre
        for frame in socket.outgoing.prefix(count) {
            cursor = WebSocketFrame.writeHeader(payload: frame.count, to: cursor)
            frame.withUnsafeBytes { bytes in
                cursor.update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: frame.count)
            }
            cursor += frame.count
            socket.queuedBytes -= frame.count
        }
        socket.outgoing.removeFirst(count)
        // LWS_WRITE_HTTP makes lws send the bytes as they are; on a WebSocket connection that is what lws calls a
        // raw write. lws returns the full length when it kept part of the bytes to send later.
        if lws_write(wsi, writeBuffer + pre, length, LWS_WRITE_HTTP) < length {
            return .failed
        }
        return socket.outgoing.isEmpty ? .drained : .more
    }

    /// Writes the frames that jobs from the inbox queued, right after those jobs ran, instead of asking lws for a
    /// writable callback: that costs two `epoll_ctl` calls and another turn of the loop per socket.
    ///
    /// A socket whose last write lws could not finish keeps waiting for its callback, so a client that does not
    /// read fills only its own queue, which `WebSocket.send` caps. A socket that is closing also takes the callback
    /// path, because only a callback can close it.
    private func flushDeferredWrites() {
        let sockets = deferredWrites
        deferredWrites.removeAll(keepingCapacity: true)
        for socket in sockets {
            socket.writeDeferred = false
            guard !socket.isClosed else { continue }
            guard socket.closeRequest == nil, lws_partial_buffered(socket.wsi) == 0 else {
                lws_callback_on_writable(socket.wsi)
                continue
            }
            switch writeQueuedFrames(socket.wsi, socket) {
            case .drained:
                break
            case .more:
                lws_callback_on_writable(socket.wsi)
            case .failed:
                logger.info("closing a WebSocket whose connection failed during a write", ["socket": String(socket.id)])
                socket.markClosing()
                lws_set_timeout(socket.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            }
        }
    }

    /// Runs the inbox's jobs and then writes the frames they queued.
    private func serviceInbox() {
        writesDeferred = true
        handler?.inboxReady()
        writesDeferred = false
        flushDeferredWrites()
    }

    private func closeSocket(_ key: UInt) {
        guard let socket = socketsByWSI.removeValue(forKey: key) else { return }
        socket.markClosed()
        handler?.webSocketClosed(socket)
    }

    fileprivate func requestWrite(_ socket: WebSocket) {
        guard !socket.isClosed else { return }
        guard writesDeferred else {
            lws_callback_on_writable(socket.wsi)
            return
        }
        if !socket.writeDeferred {
            socket.writeDeferred = true
            deferredWrites.append(socket)
        }
    }

    /// Every open WebSocket, for shutdown.
    var openSockets: [WebSocket] { Array(socketsByWSI.values) }
}

/// The state of one HTTP transaction.
final class HTTPConnectionState {
    let id: UInt64
    let wsi: OpaquePointer
    var request: HTTPRequest
    var response: HTTPResponse?
    var headersSent = false
    var bodyOffset = 0
    var bodyRejected = false
    var closeAfterResponse = false

    init(id: UInt64, wsi: OpaquePointer, request: HTTPRequest) {
        self.id = id
        self.wsi = wsi
        self.request = request
    }
}

/// One open WebSocket, used on the service thread only. `send` queues a text frame and requests a write slot.
final class WebSocket {
    let id: UInt64
    fileprivate let wsi: OpaquePointer
    private unowned let transport: LWSTransport
    let remoteAddress: String
    let query: [(name: String, value: String)]
    fileprivate var receiveBuffer: [UInt8] = []
    fileprivate var outgoing: [Data] = []
    fileprivate var queuedBytes = 0
    /// Whether the socket is in the transport's list of writes to make after the inbox jobs.
    fileprivate var writeDeferred = false
    fileprivate(set) var closeRequest: (code: UInt16, reason: String)?
    private(set) var isClosed = false
    /// Monotonic seconds of the last frame from the client.
    var lastReceived: Double
    /// Protocol errors so far; the handler closes the socket past `ServerLimits.maxProtocolErrors`.
    var protocolErrors = 0

    fileprivate init(id: UInt64, wsi: OpaquePointer, transport: LWSTransport, remoteAddress: String,
                     query: [(name: String, value: String)]) {
        self.id = id
        self.wsi = wsi
        self.transport = transport
        self.remoteAddress = remoteAddress
        self.query = query
        self.lastReceived = monotonicSeconds()
    }

    /// Queues one text frame. Returns false when the socket is closing or its queue is over the limit, in which
    /// case the socket is closed as too slow.
    @discardableResult
    func send(_ text: Data) -> Bool {
        guard !isClosed, closeRequest == nil else { return false }
        if queuedBytes + text.count > transport.options.limits.maxQueuedOutputBytes {
            transport.logger.warning("closing a WebSocket whose client reads too slowly",
                                     ["socket": String(id), "queued_bytes": String(queuedBytes)])
            outgoing.removeAll()
            queuedBytes = 0
            close(code: 1008, reason: "client too slow to read its messages")
            return false
        }
        outgoing.append(text)
        queuedBytes += text.count
        transport.requestWrite(self)
        return true
    }

    /// Closes the socket with `code` after the frames already queued.
    func close(code: UInt16, reason: String) {
        guard !isClosed, closeRequest == nil else { return }
        closeRequest = (code, reason)
        transport.requestWrite(self)
    }

    var isClosing: Bool { closeRequest != nil }

    fileprivate func markClosing() {
        if closeRequest == nil { closeRequest = (1000, "") }
    }

    fileprivate func markClosed() {
        isClosed = true
        outgoing.removeAll()
    }
}

/// Wakes the service thread from another thread. Safe to call after the context is gone.
final class Waker: Sendable {
    private let context = Mutex<UInt?>(nil)

    fileprivate func attach(_ pointer: OpaquePointer) {
        context.withLock { $0 = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(pointer))) }
    }

    fileprivate func detach() {
        context.withLock { $0 = nil }
    }

    func wake() {
        context.withLock { value in
            guard let value, let pointer = OpaquePointer(bitPattern: Int(bitPattern: value)) else { return }
            lws_cancel_service(pointer)
        }
    }
}

/// Jobs for the service thread, posted from any thread.
final class Inbox<Target>: Sendable {
    typealias Job = @Sendable (Target) -> Void
    private let jobs = Mutex<[Job]>([])
    private let waker: Waker

    init(waker: Waker) {
        self.waker = waker
    }

    /// Queues a job and wakes the service thread, unless jobs were already waiting (the wake-up for those has
    /// not been handled yet and will take this job too).
    func post(_ job: @escaping Job) {
        let wasEmpty = jobs.withLock { jobs in
            let empty = jobs.isEmpty
            jobs.append(job)
            return empty
        }
        if wasEmpty { waker.wake() }
    }

    func take() -> [Job] {
        jobs.withLock { jobs in
            let taken = jobs
            jobs.removeAll()
            return taken
        }
    }
}

/// Timers on the service thread, in a binary heap by due time.
final class TimerQueue {
    private struct Entry {
        var due: Double
        var id: UInt64
    }

    private var heap: [Entry] = []
    private var actions: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    var nextDue: Double? {
        while let first = heap.first, actions[first.id] == nil { popFirst() }
        return heap.first?.due
    }

    var count: Int { actions.count }

    func add(due: Double, _ action: @escaping () -> Void) -> UInt64 {
        let id = nextID
        nextID += 1
        actions[id] = action
        heap.append(Entry(due: due, id: id))
        var index = heap.count - 1
        while index > 0 {
            let parent = (index - 1) / 2
            guard heap[index].due < heap[parent].due else { break }
            heap.swapAt(index, parent)
            index = parent
        }
        return id
    }

    func cancel(_ id: UInt64) {
        actions[id] = nil
    }

    func runDue(now: Double) {
        while let first = heap.first, first.due <= now {
            popFirst()
            if let action = actions.removeValue(forKey: first.id) { action() }
        }
    }

    private func popFirst() {
        guard !heap.isEmpty else { return }
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var index = 0
        while true {
            let left = 2 * index + 1
            let right = left + 1
            var smallest = index
            if left < heap.count && heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count && heap[right].due < heap[smallest].due { smallest = right }
            guard smallest != index else { break }
            heap.swapAt(index, smallest)
            index = smallest
        }
    }
}

/// Seconds on a monotonic clock, for timeouts.
func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
}

// MARK: - C callbacks

/// Dispatches every lws callback to the transport, found through the context's user pointer.
private func lwsCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    let transport = Unmanaged<LWSTransport>.fromOpaque(owner).takeUnretainedValue()
    return transport.callback(wsi, reason, input, length)
}

/// Runs the transport's due timers; the transport pointer is stored right after the timer struct.
private func lwsTimerCallback(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul else { return }
    let owner = UnsafeMutableRawPointer(sul).load(
        fromByteOffset: MemoryLayout<lws_sorted_usec_list_t>.stride, as: UnsafeMutableRawPointer.self)
    Unmanaged<LWSTransport>.fromOpaque(owner).takeUnretainedValue().timerFired()
}

/// The destination of libwebsockets' own log lines. lws's log callback is process-wide, so the transport that
/// started last owns it.
private struct LWSLogRoute {
    var logger: ChatLogger?
    /// Service threads on which lws reported a request head larger than its buffer since the transport last
    /// looked. The next incomplete request on such a thread is logged as too large.
    var headerOverflowThreads: Set<UInt> = []
}

private let lwsLogRoute = Mutex(LWSLogRoute())

private func currentThreadID() -> UInt { UInt(pthread_self()) }

/// Passes libwebsockets' own error lines to the transport's logger. The header-overflow line is kept as a mark
/// for the transport's own line about that request instead.
private func lwsLogEmit(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    let (isOverflow, logger) = lwsLogRoute.withLock { route in
        guard text.contains("Ran out of header data space") else { return (false, route.logger) }
        route.headerOverflowThreads.insert(currentThreadID())
        return (true, route.logger)
    }
    if isOverflow { return }
    if let logger {
        logger.error("libwebsockets: \(text)")
    } else {
        ChatLogger.writeToStandardError(ChatLogger.stampedLine(prefix: "serve-chat", "libwebsockets: \(text)",
                                                               at: Date()))
    }
}
