import Foundation

// The JSON messages on serve-chat's WebSocket at `/ws`. docs/chat-protocol.md describes them for client authors;
// keep the two in step.

/// Close codes that serve-chat sends. 1000–1011 are RFC 6455's; 4000–4999 are private to this protocol.
enum CloseCode {
    static let normal: UInt16 = 1000
    static let goingAway: UInt16 = 1001
    static let unsupportedData: UInt16 = 1003
    static let policyViolation: UInt16 = 1008
    static let messageTooBig: UInt16 = 1009
    static let internalError: UInt16 = 1011
    /// RFC 6455's "try again later": MTurk did not confirm the join in time. The page reconnects.
    static let tryAgainLater: UInt16 = 1013
    /// The `join` message is malformed: an id is missing, malformed or repeated.
    static let invalidJoin: UInt16 = 4001
    /// The worker does not hold the assignment, or the assignment is bound to another worker.
    static let forbidden: UInt16 = 4003
    /// The run, HIT or assignment is unknown.
    static let notFound: UInt16 = 4004
    /// No `join` message arrived in time.
    static let joinTimeout: UInt16 = 4008
    /// The same worker and assignment joined on another connection, which replaces this one.
    static let replaced: UInt16 = 4009
    /// No frame arrived within the heartbeat timeout.
    static let heartbeatTimeout: UInt16 = 4010
    /// The assignment is over (submitted, returned, expired or disconnected). The last command gives the reason.
    static let inactive: UInt16 = 4011
    /// The run's task directory, task file or data is invalid on the server; the run takes no joins until the
    /// requester fixes it. The server log names the problem.
    static let runUnavailable: UInt16 = 4012
}

/// A message from the client, decoded by its `type`.
enum ClientMessage {
    case join(JoinRequest)
    case message(clientId: String, text: String, data: [String: JSONValue]?)
    case ping(id: JSONValue?)

    /// Decodes one frame. Throws `ClientMessageError` with an error code for the error frame.
    static func decode(_ text: String) throws(ClientMessageError) -> ClientMessage {
        try decode(bytes: Array(text.utf8))
    }

    /// Decodes one frame from its UTF-8 bytes.
    static func decode(bytes: [UInt8]) throws(ClientMessageError) -> ClientMessage {
        guard let value = JSONValue.parseBytes(bytes), case .object(let object) = value else {
            throw ClientMessageError(code: "invalid_json", message: "The frame is not a JSON object.")
        }
        guard let type = object["type"]?.stringValue else {
            throw ClientMessageError(code: "missing_type", message: "The frame has no \"type\" string.")
        }
        switch type {
        case "join":
            return .join(try JoinRequest(object))
        case "message":
            guard let clientId = object["client_id"]?.stringValue, (1...100).contains(clientId.count) else {
                throw ClientMessageError(code: "invalid_message",
                                         message: "A message needs a \"client_id\" string of 1 to 100 characters.")
            }
            guard let text = object["text"]?.stringValue else {
                throw ClientMessageError(code: "invalid_message", message: "A message needs a \"text\" string.",
                                         clientId: clientId)
            }
            var data: [String: JSONValue]?
            if let value = object["data"] {
                guard case .object(let dictionary) = value else {
                    throw ClientMessageError(code: "invalid_message", message: "\"data\" must be a JSON object.",
                                             clientId: clientId)
                }
                data = dictionary
            }
            return .message(clientId: clientId, text: text, data: data)
        case "ping":
            return .ping(id: object["id"])
        default:
            throw ClientMessageError(code: "unknown_type", message: "Unknown message type \"\(type)\".")
        }
    }
}

/// A client frame that cannot be used. The server replies with an error frame that carries `code`.
struct ClientMessageError: Error {
    var code: String
    var message: String
    var clientId: String?
}

/// The first message on a socket: who the client is and what it has already seen.
struct JoinRequest: Equatable {
    var runId: String
    var hitId: String
    var assignmentId: String
    var workerId: String
    /// The conversation the client last showed, so a reconnect that crossed a conversation change replays all.
    var conversationId: String?
    /// The highest sequence number the client has shown in that conversation; 0 for none.
    var lastSeq: Int

    init(runId: String, hitId: String, assignmentId: String, workerId: String, conversationId: String? = nil,
         lastSeq: Int = 0) {
        self.runId = runId
        self.hitId = hitId
        self.assignmentId = assignmentId
        self.workerId = workerId
        self.conversationId = conversationId
        self.lastSeq = lastSeq
    }

    init(_ object: [String: JSONValue]) throws(ClientMessageError) {
        func id(_ key: String) throws(ClientMessageError) -> String {
            guard let value = object[key]?.stringValue, !value.isEmpty else {
                throw ClientMessageError(code: "invalid_join", message: "The join message needs a \"\(key)\" string.")
            }
            return value
        }
        runId = try id("run")
        hitId = try id("hit")
        assignmentId = try id("assignment")
        workerId = try id("worker")
        switch object["conversation"] {
        case nil, .null?:
            conversationId = nil
        case .string(let id)?:
            conversationId = id
        default:
            throw ClientMessageError(code: "invalid_join", message: "\"conversation\" must be a string or null.")
        }
        switch object["last_seq"] {
        case nil, .null?:
            lastSeq = 0
        case let value?:
            // intValue is nil for fractions and for numbers beyond 10^15, which no conversation reaches.
            guard let last = value.intValue, last >= 0 else {
                throw ClientMessageError(code: "invalid_join",
                                         message: "\"last_seq\" must be a whole number of 0 or more, not \(value.jsonText.prefix(40)).")
            }
            lastSeq = last
        }
    }

    /// Checks the form of every id. Returns a sentence naming the bad value, or nil when all are valid.
    func invalidReason() -> String? {
        if !isRunID(runId) { return "invalid run id \"\(runId.prefix(80))\"" }
        if !isEntityID(hitId) { return "invalid HIT id \"\(hitId.prefix(80))\"" }
        if !isEntityID(assignmentId) { return "invalid assignment id \"\(assignmentId.prefix(80))\"" }
        if workerId.contains(",") {
            return "the worker id \"\(workerId.prefix(80))\" contains a comma; a worker id that arrives twice in "
                + "the URL is rejected"
        }
        if !isWorkerIDForm(workerId) { return "invalid worker id \"\(workerId.prefix(80))\"" }
        return nil
    }
}

/// MTurk's entity id form: 1 to 64 upper-case letters and digits.
func isEntityID(_ text: String) -> Bool {
    (1...64).contains(text.utf8.count)
        && text.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) }
}

/// MTurk's worker id form: `A` then upper-case letters and digits, 2 to 64 characters.
func isWorkerIDForm(_ text: String) -> Bool {
    text.utf8.first == UInt8(ascii: "A") && (2...64).contains(text.utf8.count) && isEntityID(text)
}

/// Returns whether `text` has the run store's run id form: letters, digits, `-` and `_`, 1 to 64 characters.
func isRunID(_ text: String) -> Bool {
    (1...64).contains(text.utf8.count)
        && text.utf8.allSatisfy { byte in
            (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte) || byte == 45 || byte == 95
        }
}

/// A frame from the server. Encoded with sorted keys, as one JSON object.
struct ServerFrame: Encodable {
    var type: String
    var fields: [String: JSONValue]

    func encode(to encoder: Encoder) throws {
        var object = fields
        object["type"] = .string(type)
        try JSONValue.object(object).encode(to: encoder)
    }

    /// The frame as compact JSON with its keys sorted, `type` among them.
    var data: Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160)
        var keys = Array(fields.keys)
        if fields["type"] == nil { keys.append("type") }
        keys.sort()
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in keys.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONValue.writeString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            if key == "type" {
                JSONValue.writeString(type, to: &bytes)
            } else {
                fields[key]!.write(to: &bytes)
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return Data(bytes)
    }

    /// Returns the acknowledgement of a worker's stored message.
    static func ack(clientId: String, seq: Int, conversation: String) -> ServerFrame {
        ServerFrame(type: "ack", fields: [
            "client_id": .string(clientId), "seq": .number(Double(seq)), "conversation": .string(conversation)])
    }

    /// Returns the bytes of `ack(clientId:seq:conversation:)`, written directly because every message is
    /// acknowledged. A unit test checks that both give the same bytes.
    static func ackData(clientId: String, seq: Int, conversation: String) -> Data {
        var bytes = Array(#"{"client_id":"#.utf8)
        JSONValue.writeString(clientId, to: &bytes)
        bytes.append(contentsOf: #","conversation":"#.utf8)
        JSONValue.writeString(conversation, to: &bytes)
        bytes.append(contentsOf: #","seq":"#.utf8)
        bytes.append(contentsOf: String(seq).utf8)
        bytes.append(contentsOf: #","type":"ack"}"#.utf8)
        return Data(bytes)
    }

    /// The command that enables a worker's input, the most frequent frame after messages.
    static let sendMessageCommand = ServerFrame(
        type: "command", fields: ["command": .string(ChatCommand.sendMessage.rawValue)])
    static let sendMessageCommandData = sendMessageCommand.data

    static func error(code: String, message: String, clientId: String? = nil) -> ServerFrame {
        var fields: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let clientId { fields["client_id"] = .string(clientId) }
        return ServerFrame(type: "error", fields: fields)
    }
}

/// Commands that change what the page shows.
enum ChatCommand: String {
    /// Enable the input box: the server waits for this worker's message.
    case sendMessage = "send_message"
    /// Show the Done button: the worker may submit.
    case showDone = "show_done"
    /// The assignment is over; show the text, hide the input, and show Done when `show_done` is true.
    case inactive
    /// The worker moved to another conversation (waiting room, onboarding or a task conversation).
    case changeConversation = "change_conversation"
    /// Disable the input box and show the text, which names what the page waits for.
    case wait
}
