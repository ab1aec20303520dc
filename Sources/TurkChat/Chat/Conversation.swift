import Foundation
import TurkStore

/// A chat message as the engine keeps it in memory, after the run store has given it a sequence number.
struct ChatMessage {
    var seq: Int
    /// The store's message id: `w:<worker>:<client id>` for a worker's message, a UUID for others.
    var messageId: String
    /// The sender's role (agent id), or the task's system name such as `QA Collector`.
    var senderAgentId: String
    var workerId: String?
    var assignmentId: String?
    var text: String
    var episodeDone: Bool
    /// The agent ids that see the message; nil when every agent does.
    var recipients: [String]?
    /// Task fields beyond the text.
    var data: [String: JSONValue]?
    /// The client's own id for a worker's message, echoed back so the page can match its pending message.
    var clientId: String?

    func isVisible(to agentId: String) -> Bool {
        recipients.map { $0.contains(agentId) } ?? true
    }

    /// The `extra_json` column: recipients, task fields and the client id.
    var extraJSON: String? {
        var object: [String: JSONValue] = [:]
        if let recipients { object["recipients"] = .array(recipients.map { .string($0) }) }
        if let data { object["data"] = .object(data) }
        if let clientId { object["client_id"] = .string(clientId) }
        return object.isEmpty ? nil : JSONValue.object(object).jsonText
    }

    init(seq: Int, messageId: String, senderAgentId: String, workerId: String?, assignmentId: String?, text: String,
         episodeDone: Bool, recipients: [String]?, data: [String: JSONValue]?, clientId: String?) {
        self.seq = seq
        self.messageId = messageId
        self.senderAgentId = senderAgentId
        self.workerId = workerId
        self.assignmentId = assignmentId
        self.text = text
        self.episodeDone = episodeDone
        self.recipients = recipients
        self.data = data
        self.clientId = clientId
    }

    /// Rebuilds a message from its stored row.
    init(record: MessageRecord) {
        let extra = record.extraJSON.flatMap(JSONValue.parse)
        var recipients: [String]?
        if case .array(let items)? = extra?["recipients"] { recipients = items.compactMap(\.stringValue) }
        var data: [String: JSONValue]?
        if case .object(let object)? = extra?["data"] { data = object }
        self.init(seq: record.seq, messageId: record.messageId, senderAgentId: record.senderAgentId,
                  workerId: record.workerId, assignmentId: record.assignmentId, text: record.text,
                  episodeDone: record.episodeDone, recipients: recipients, data: data,
                  clientId: extra?["client_id"]?.stringValue)
    }

    /// Returns the bytes of `frame(conversationId:viewer:)`, written without building its dictionary. Every
    /// message goes to every member in this form, so this is the busiest encoder of the server. A unit test checks that both give the same bytes.
    func frameData(conversationId: String, viewer: AssignmentKey) -> Data {
        let own = workerId == viewer.workerId && assignmentId == viewer.assignmentId
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + text.utf8.count)
        // The keys in sorted order, as ServerFrame writes them.
        func key(_ name: StaticString, first: Bool = false) {
            if !first { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        bytes.append(UInt8(ascii: "{"))
        if own, let clientId {
            key("client_id", first: true)
            JSONValue.writeString(clientId, to: &bytes)
            key("conversation")
        } else {
            key("conversation", first: true)
        }
        JSONValue.writeString(conversationId, to: &bytes)
        if let data {
            key("data")
            JSONValue.object(data).write(to: &bytes)
        }
        key("episode_done")
        bytes.append(contentsOf: (episodeDone ? "true" : "false").utf8)
        key("id")
        JSONValue.writeString(messageId, to: &bytes)
        key("own")
        bytes.append(contentsOf: (own ? "true" : "false").utf8)
        key("sender")
        JSONValue.writeString(senderAgentId, to: &bytes)
        key("seq")
        bytes.append(contentsOf: String(seq).utf8)
        key("text")
        JSONValue.writeString(text, to: &bytes)
        key("type")
        bytes.append(contentsOf: #""message"}"#.utf8)
        return Data(bytes)
    }

    /// Returns the frame that shows this message to `viewer`.
    func frame(conversationId: String, viewer: WorkerSession) -> ServerFrame {
        frame(conversationId: conversationId, viewer: viewer.key)
    }

    /// Returns the frame that shows this message to the worker on assignment `viewer`.
    func frame(conversationId: String, viewer: AssignmentKey) -> ServerFrame {
        var fields: [String: JSONValue] = [
            "conversation": .string(conversationId), "seq": .number(Double(seq)), "id": .string(messageId),
            "sender": .string(senderAgentId), "text": .string(text), "episode_done": .bool(episodeDone),
        ]
        let own = workerId == viewer.workerId && assignmentId == viewer.assignmentId
        fields["own"] = .bool(own)
        if own, let clientId { fields["client_id"] = .string(clientId) }
        if let data { fields["data"] = .object(data) }
        return ServerFrame(type: "message", fields: fields)
    }
}

/// One conversation: its members, its stored messages, its world, and an outbox that keeps deliveries in order.
///
/// Every message goes to the run store first. Its outbox entry becomes ready when the store returns the message's
/// sequence number. Entries are delivered strictly in order, so a command that the world issued after a message
/// never overtakes that message, even while the message is still being written.
final class Conversation {
    let id: String
    let run: RunRuntime
    unowned let engine: ChatEngine
    /// Human members by agent id, in role order.
    private(set) var members: [(agentId: String, session: WorkerSession)]
    private(set) var messages: [ChatMessage] = []
    private var seqByMessageId: [String: Int] = [:]
    private var outbox: [OutboxEntry] = []
    private var flushing = false
    let taskData: JSONValue
    var world: ConversationWorld!
    private(set) var status: ConversationStatus
    /// The task's name for system messages, such as `QA Collector`.
    var systemName: String
    /// Agents that are programs (bots) or the person at serve-chat's terminal, by agent id.
    private(set) var programAgents: [String: ProgramAgent] = [:]
    /// The engine's count of live conversations, held strongly because `deinit` may run after the engine's.
    private let instanceCounter: InstanceCounter

    init(id: String, run: RunRuntime, engine: ChatEngine, members: [(agentId: String, session: WorkerSession)],
         taskData: JSONValue, status: ConversationStatus, systemName: String) {
        self.id = id
        self.run = run
        self.engine = engine
        self.members = members
        self.taskData = taskData
        self.status = status
        self.systemName = systemName
        instanceCounter = engine.conversationInstances
        instanceCounter.increment()
    }

    deinit {
        instanceCounter.decrement()
    }

    var isOpen: Bool { !status.isFinal }

    func member(_ agentId: String) -> WorkerSession? {
        members.first { $0.agentId == agentId }?.session
    }

    /// Adds a bot or console agent; call before the world starts.
    func addProgramAgent(_ agent: ProgramAgent) {
        programAgents[agent.agentId] = agent
    }

    /// Every agent id: the human members in role order, then the program agents sorted by id.
    var allAgentIds: [String] {
        members.map(\.agentId) + programAgents.keys.sorted()
    }

    /// Loads stored messages after a restart.
    func restoreMessages(_ stored: [ChatMessage]) {
        messages = stored.sorted { $0.seq < $1.seq }
        for message in messages { seqByMessageId[message.messageId] = message.seq }
    }

    /// Returns the sequence number of a stored message id, or nil.
    func storedSeq(messageId: String) -> Int? { seqByMessageId[messageId] }

    /// Messages that `session` can see with a sequence number above `seq`, in order.
    func messages(for session: WorkerSession, after seq: Int) -> [ChatMessage] {
        guard let agentId = session.agentId else { return [] }
        return messages.filter { $0.seq > seq && $0.isVisible(to: agentId) }
    }

    // MARK: - World actions

    /// Stores a message from the task (not from a worker) and then shows it to `recipients` (every member when nil).
    func send(text: String, from sender: String? = nil, to recipients: [String]? = nil, episodeDone: Bool = false,
              data: [String: JSONValue]? = nil) {
        let message = ChatMessage(
            seq: 0, messageId: UUID().uuidString.lowercased(), senderAgentId: sender ?? systemName, workerId: nil,
            assignmentId: nil, text: text, episodeDone: episodeDone, recipients: recipients, data: data,
            clientId: nil)
        store(message) { [unowned self] stored in
            self.deliver(stored, except: nil)
        }
    }

    /// Requests an agent's next message: enables a worker's input and starts the idle timer, or tells a program
    /// agent to act.
    func requestMessage(from agentId: String) {
        enqueueReady { [unowned self] in
            if let agent = self.programAgents[agentId] {
                if self.isOpen { agent.requestAction(conversation: self) }
                return
            }
            guard let session = self.member(agentId),
                  session.status == .inTask || session.status == .onboarding else { return }
            self.engine.requestInput(from: session)
        }
    }

    /// Shows `text` as the page's status line for an agent (every member when nil) without storing it.
    func showStatus(_ text: String, to agentId: String? = nil) {
        enqueueReady { [unowned self] in
            for (id, session) in self.members where agentId == nil || agentId == id {
                session.deliver(ServerFrame(type: "command", fields: [
                    "command": .string(ChatCommand.wait.rawValue), "text": .string(text)]), remember: true)
            }
        }
    }

    /// Stores what the conversation collected.
    func setResult(_ result: JSONValue) {
        enqueueReady { [unowned self] in
            let id = self.id
            self.engine.storeWriter.write("conversation result", logger: self.engine.logger) { store in
                try store.setConversationResult(id, resultJSON: result.jsonText)
            }
        }
    }

    /// Ends the conversation normally: every member still in it becomes `done` and may submit.
    func finish() {
        enqueueReady { [unowned self] in
            guard self.isOpen else { return }
            self.setStatus(.done)
            for (_, session) in self.members where session.status == .inTask {
                self.engine.finishAssignment(session, status: .done)
            }
        }
    }

    // MARK: - Human messages

    /// Takes a worker's message: stores it, acknowledges it, shows it to the other members and passes it to the
    /// world. A resent message (same client id) is acknowledged again with its stored sequence number.
    func acceptMessage(from session: WorkerSession, clientId: String, text: String, data: [String: JSONValue]?) {
        if acknowledgeStored(from: session, clientId: clientId) { return }
        let messageId = Self.messageId(of: session, clientId: clientId)
        if session.messagesInFlight.contains(clientId) { return }
        guard session.awaitingInput else {
            session.deliver(.error(code: "not_your_turn",
                                   message: "The conversation is not waiting for a message from you.",
                                   clientId: clientId), remember: false)
            return
        }

        session.awaitingInput = false
        // The page turned its input off when it sent the message. A page that reconnects must get the same state,
        // not the `send_message` that requested this message.
        session.lastCommand = engine.waitFrame(InactiveText.waitingForTurn)
        session.messagesInFlight.insert(clientId)
        engine.cancelIdleTimer(session)
        let message = ChatMessage(
            seq: 0, messageId: messageId, senderAgentId: session.agentId ?? "worker", workerId: session.key.workerId,
            assignmentId: session.key.assignmentId, text: text, episodeDone: false, recipients: nil, data: data,
            clientId: clientId)
        store(message) { [unowned self] stored in
            session.messagesInFlight.remove(clientId)
            session.messagesSent += 1
            session.send(ServerFrame.ackData(clientId: clientId, seq: stored.seq, conversation: self.id))
            self.deliver(stored, except: session)
            if self.isOpen { self.world.received(stored, in: self) }
        }
    }

    /// Returns the stored id of a worker's message: the worker's id and the client id, unique per worker and
    /// conversation.
    private static func messageId(of session: WorkerSession, clientId: String) -> String {
        "w:\(session.key.workerId):\(clientId)"
    }

    /// Sends the ack of a message that `session` stored earlier under `clientId`, if there is one. Returns whether
    /// there was.
    func acknowledgeStored(from session: WorkerSession, clientId: String) -> Bool {
        guard let seq = seqByMessageId[Self.messageId(of: session, clientId: clientId)] else { return false }
        session.send(ServerFrame.ackData(clientId: clientId, seq: seq, conversation: id))
        return true
    }

    /// Takes a program agent's message: stores it, shows it to the members and passes it to the world.
    func acceptAgentMessage(from agentId: String, text: String, episodeDone: Bool = false,
                            data: [String: JSONValue]? = nil) {
        guard isOpen, programAgents[agentId] != nil else { return }
        let message = ChatMessage(
            seq: 0, messageId: UUID().uuidString.lowercased(), senderAgentId: agentId, workerId: nil,
            assignmentId: nil, text: text, episodeDone: episodeDone, recipients: nil, data: data, clientId: nil)
        store(message) { [unowned self] stored in
            self.deliver(stored, except: nil)
            if self.isOpen { self.world.received(stored, in: self) }
        }
    }

    // MARK: - Outbox

    private final class OutboxEntry {
        var ready = false
        var action: (() -> Void)?
    }

    private func store(_ message: ChatMessage, then deliverStored: @escaping (ChatMessage) -> Void) {
        let entry = OutboxEntry()
        outbox.append(entry)
        let newMessage = NewMessage(
            conversationId: id, messageId: message.messageId, senderAgentId: message.senderAgentId,
            workerId: message.workerId, assignmentId: message.assignmentId, text: message.text,
            extraJSON: message.extraJSON, episodeDone: message.episodeDone)
        let logger = engine.logger
        let conversationId = id
        engine.storeWriter.appendMessage(newMessage) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let appended):
                var stored = message
                stored.seq = appended.message.seq
                entry.action = { [unowned self] in
                    if self.seqByMessageId[stored.messageId] == nil {
                        self.messages.append(stored)
                        self.seqByMessageId[stored.messageId] = stored.seq
                    }
                    deliverStored(stored)
                }
            case .failure(let error):
                logger.error("could not store a message; it was not delivered",
                             ["conversation": conversationId, "message": message.messageId,
                              "error": String(describing: error)])
                entry.action = { [unowned self] in
                    if let clientId = message.clientId,
                       let sender = self.members.first(where: { $0.session.key.workerId == message.workerId })?.session {
                        sender.messagesInFlight.remove(clientId)
                        sender.awaitingInput = true
                        sender.lastCommand = ServerFrame.sendMessageCommand
                        sender.deliver(.error(code: "store_failed",
                                              message: "The server could not save your message; send it again.",
                                              clientId: clientId), remember: false)
                    }
                }
            }
            entry.ready = true
            self.flushOutbox()
        }
    }

    private func enqueueReady(_ action: @escaping () -> Void) {
        let entry = OutboxEntry()
        entry.ready = true
        entry.action = action
        outbox.append(entry)
        flushOutbox()
    }

    private func flushOutbox() {
        guard !flushing else { return }
        flushing = true
        defer { flushing = false }
        while let first = outbox.first, first.ready {
            outbox.removeFirst()
            first.action?()
        }
    }

    /// Shows a stored message to every member who may see it, except `sender` (who gets an ack instead).
    private func deliver(_ message: ChatMessage, except sender: WorkerSession?) {
        for (agentId, session) in members where session !== sender && message.isVisible(to: agentId) {
            session.send(message.frameData(conversationId: id, viewer: session.key))
        }
        for (agentId, agent) in programAgents where agentId != message.senderAgentId && message.isVisible(to: agentId) {
            agent.observe(message, conversation: self)
        }
    }

    // MARK: - Status

    func setStatus(_ newStatus: ConversationStatus) {
        guard status != newStatus else { return }
        status = newStatus
        let id = self.id
        engine.storeWriter.write("conversation status", logger: engine.logger) { store in
            try store.setConversationStatus(id, newStatus)
        }
        if newStatus.isFinal {
            engine.logger.info("conversation ended", ["conversation": id, "run": run.id, "status": newStatus.rawValue])
            for agent in programAgents.values { agent.conversationEnded(self) }
            engine.conversationEnded(self)
        }
    }

    /// Ends the conversation because a program agent failed (a bot crashed, hung or wrote garbage). The workers
    /// may submit what they did, as after a partner's disconnect.
    func fail(reason: String) {
        guard isOpen else { return }
        engine.logger.error("conversation failed", ["conversation": id, "run": run.id, "reason": reason])
        setStatus(.failed)
        for (_, session) in members where session.status == .inTask {
            engine.finishAssignment(session, status: .partnerDisconnect,
                                    text: "The conversation stopped because of a problem on our side. This does "
                                        + "not count against you: press Done to submit the work you did.")
        }
    }

    /// Ends the conversation because `leaver` left (disconnect, timeout or return); the others may submit.
    func memberLeft(_ leaver: WorkerSession) {
        guard isOpen else { return }
        setStatus(.partnerDisconnect)
        for (_, session) in members where session !== leaver && session.status == .inTask {
            engine.finishAssignment(session, status: .partnerDisconnect)
        }
    }
}
