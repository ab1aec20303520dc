/// Limits on what one client may send and how long it may take.
///
/// The defaults fit a chat task: a worker's message is a few sentences, a browser finishes its handshake within
/// a second on a working network, and the page sends a heartbeat every 10 seconds.
public struct ServerLimits: Sendable, Equatable {
    /// Maximum request body size accepted (a form post or a wire API call); larger bodies get 413 and the connection
    /// is closed. MTurk's API calls are a few KiB, so 1 MiB leaves room for a large `Question` document.
    public var maxRequestBodyBytes: Int = 1 << 20
    /// Size of libwebsockets' buffer for one request's line and headers. libwebsockets 4.1.6 closes a connection
    /// whose request does not fit, without a response; serve-chat logs it. At most 65,535 (lws stores it in 16 bits).
    public var maxRequestHeaderBytes: Int = 16 * 1024
    /// Maximum length of the request target (path and query); a longer one gets 414. The task URL that MTurk
    /// opens, with its five parameters, is a few hundred bytes.
    public var maxRequestURIBytes: Int = 8 * 1024
    /// Maximum total size of the header field values that libwebsockets parses itself (Host, Cookie, User-Agent
    /// and the other standard ones); more gets 431.
    public var maxRequestFieldBytes: Int = 8 * 1024
    /// Maximum WebSocket message size, after reassembling its frames. A larger one closes the socket with 1009.
    public var maxWebSocketMessageBytes: Int = 64 * 1024
    /// Maximum chat message length in Unicode scalars; longer texts get an error frame and are not stored.
    public var maxMessageTextLength: Int = 5_000
    /// Seconds a client has to send its HTTP request headers (and to finish a TLS handshake).
    public var handshakeTimeoutSeconds: Int = 10
    /// Seconds a new WebSocket has to send its `join` message.
    public var joinTimeoutSeconds: Int = 10
    /// Seconds without any frame from a joined client before it counts as gone. The page pings every 10 seconds.
    public var heartbeatTimeoutSeconds: Int = 30
    /// Protocol errors (bad JSON, unknown types) a socket may make before it is closed with 1008.
    public var maxProtocolErrors: Int = 20
    /// Bytes of queued outgoing frames for one socket before it counts as too slow and is closed.
    public var maxQueuedOutputBytes: Int = 4 << 20

    public init() {}
}
