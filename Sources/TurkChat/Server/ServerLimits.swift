/// Limits on what one client may send and how long it may take.
///
/// The defaults fit a chat task: a worker's message is a few sentences, a browser finishes its handshake within
/// a second on a working network, and the page sends a heartbeat every 10 seconds.
public struct ServerLimits: Sendable, Equatable {
    /// Maximum request body size accepted (a form post or a wire API call); larger bodies get 413 and the connection
    /// is closed. MTurk's API calls are a few KiB, so 1 MiB leaves room for a large `Question` document.
    public var maxRequestBodyBytes: Int = 1 << 20
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
