import Foundation
import TurkModel
import TurkStore

/// The conversation engine: sockets, joins, sessions keyed by worker and assignment, the waiting room, pairing,
/// timeouts and the worker life cycle. Everything here runs on the service thread; run-store calls go through
/// `storeWriter` and marketplace checks through `authority`, and their results come back through the inbox.
final class ChatEngine {
    unowned let core: ChatServerCore
    let storeWriter: StoreWriter
    let authority: any AssignmentAuthority
    let logger: ChatLogger
    let limits: ServerLimits
    let runLoader: RunLoader

    /// Sessions in memory. A finished session leaves after `sessionEvictionDelaySeconds` without a socket, and a
    /// later join reads it back from the run store.
    var sessions: [AssignmentKey: WorkerSession] = [:]
    private var sessionsBySocket: [UInt64: WorkerSession] = [:]
    /// Sockets that have not joined yet, with their join timers.
    private var unjoinedSockets: [UInt64: UInt64] = [:]
    /// Sockets whose join is being checked, so a second join on the same socket is rejected.
    private var joiningSockets: Set<UInt64> = []
    private(set) var conversations: [String: Conversation] = [:]
    /// Join lookups on the store queue, so that one that ran while its session left memory is repeated.
    var joinLookups = JoinLookupTracker()
    /// Conversation objects alive, open or ended, for the memory counts.
    let conversationInstances = InstanceCounter()

    init(core: ChatServerCore, storeWriter: StoreWriter, authority: any AssignmentAuthority, runLoader: RunLoader) {
        self.core = core
        self.storeWriter = storeWriter
        self.authority = authority
        self.logger = core.logger
        self.limits = core.configuration.limits
        self.runLoader = runLoader
    }

    var transport: LWSTransport { core.transport }

    /// Starts the heartbeat sweep.
    func start() {
        scheduleHeartbeatSweep()
    }

    // MARK: - Sockets

    func socketOpened(_ socket: WebSocket) {
        let timer = transport.schedule(after: Double(limits.joinTimeoutSeconds)) { [weak self, weak socket] in
            guard let self, let socket, self.unjoinedSockets[socket.id] != nil else { return }
            self.unjoinedSockets[socket.id] = nil
            self.logger.warning("closing a WebSocket that did not join in time",
                                ["socket": String(socket.id), "peer": socket.remoteAddress])
            socket.close(code: CloseCode.joinTimeout, reason: "no join message within \(self.limits.joinTimeoutSeconds) s")
        }
        unjoinedSockets[socket.id] = timer
        logger.debug("WebSocket opened", ["socket": String(socket.id), "peer": socket.remoteAddress])
    }

    func socketReceived(_ socket: WebSocket, bytes: [UInt8]) {
        let message: ClientMessage
        do {
            message = try ClientMessage.decode(bytes: bytes)
        } catch {
            // A malformed first join ends the socket, as a join with a bad id does; later frames only get errors.
            if error.code == "invalid_join", unjoinedSockets[socket.id] != nil {
                if let timer = unjoinedSockets.removeValue(forKey: socket.id) { transport.cancelTimer(timer) }
                logger.warning("rejected a malformed join",
                               ["socket": String(socket.id), "peer": socket.remoteAddress, "reason": error.message])
                socket.send(ServerFrame.error(code: error.code, message: error.message).data)
                socket.close(code: CloseCode.invalidJoin, reason: error.message)
                return
            }
            protocolError(socket, error)
            return
        }
        switch message {
        case .ping(let id):
            var fields: [String: JSONValue] = [:]
            if let id { fields["id"] = id }
            socket.send(ServerFrame(type: "pong", fields: fields).data)
        case .join(let request):
            join(socket, request)
        case .message(let clientId, let text, let data):
            receiveMessage(socket, clientId: clientId, text: text, data: data)
        }
    }

    func socketClosed(_ socket: WebSocket) {
        if let timer = unjoinedSockets.removeValue(forKey: socket.id) { transport.cancelTimer(timer) }
        joiningSockets.remove(socket.id)
        guard let session = sessionsBySocket.removeValue(forKey: socket.id) else { return }
        guard session.socket === socket else { return }
        session.socket = nil
        logger.info("worker connection closed", session.metadata.merging(["socket": String(socket.id)]) { a, _ in a })
        scheduleEviction(session)
        guard session.status.isActive, !core.isStopping else { return }
        startGraceTimer(session, seconds: Double(session.run.task.definition.reconnectGraceSeconds))
    }

    private func protocolError(_ socket: WebSocket, _ error: ClientMessageError) {
        socket.protocolErrors += 1
        if let count = transport.repeats.count("protocol-\(error.code)") {
            logger.warning("rejected a client frame",
                           ["socket": String(socket.id), "code": error.code, "count": String(count)])
        }
        if socket.protocolErrors > limits.maxProtocolErrors {
            logger.warning("closing a WebSocket after too many protocol errors", ["socket": String(socket.id)])
            socket.close(code: CloseCode.policyViolation, reason: "too many invalid frames")
            return
        }
        socket.send(ServerFrame.error(code: error.code, message: error.message, clientId: error.clientId).data)
    }

    // MARK: - Join

    private func join(_ socket: WebSocket, _ request: JoinRequest) {
        if sessionsBySocket[socket.id] != nil || joiningSockets.contains(socket.id) {
            protocolError(socket, ClientMessageError(code: "already_joined", message: "This socket has joined already."))
            return
        }
        if let reason = request.invalidReason() {
            rejectJoin(socket, code: CloseCode.invalidJoin, reason: reason, request)
            return
        }
        for (name, value) in socket.query where name == "workerId" && value != request.workerId {
            rejectJoin(socket, code: CloseCode.invalidJoin, reason: "the URL's workerId differs from the join's", request)
            return
        }
        if let timer = unjoinedSockets.removeValue(forKey: socket.id) { transport.cancelTimer(timer) }
        joiningSockets.insert(socket.id)

        let key = AssignmentKey(workerId: request.workerId, assignmentId: request.assignmentId)
        if let session = sessions[key] {
            attachIfSame(socket, to: session, request)
            return
        }

        runLoader.withRun(request.runId) { [weak self] result in
            guard let self, !socket.isClosed else { return }
            switch result {
            case .failure(let error) where error.isNotFound:
                self.rejectJoin(socket, code: CloseCode.notFound, reason: error.message, request)
            case .failure(let error):
                self.rejectJoin(socket, code: CloseCode.runUnavailable, reason: InactiveText.runUnavailable, request,
                                detail: error.message)
            case .success(let run):
                self.authorize(socket, request, run)
            }
        }
    }

    private func authorize(_ socket: WebSocket, _ request: JoinRequest, _ run: RunRuntime) {
        let authority = self.authority
        let inbox = core.inbox
        let socketID = socket.id
        let runId = run.id
        pendingJoins[socketID] = (socket, run)
        authority.check(runId: request.runId, hitId: request.hitId, assignmentId: request.assignmentId,
                        workerId: request.workerId) { verdict in
            inbox.post { core in core.engine.authorized(socket: socketID, request, run: runId, verdict) }
        }
    }

    private var pendingJoins: [UInt64: (socket: WebSocket, run: RunRuntime)] = [:]

    func authorized(socket socketID: UInt64, _ request: JoinRequest, run runId: String, _ verdict: AuthorityVerdict) {
        guard let (socket, run) = pendingJoins.removeValue(forKey: socketID), !socket.isClosed else { return }
        if case .rejected(let code, let reason) = verdict {
            rejectUnlessFinished(socket, request, run, code: code, reason: reason)
            return
        }
        let key = AssignmentKey(workerId: request.workerId, assignmentId: request.assignmentId)
        if let session = sessions[key] {
            // Another socket of the same worker finished its join first.
            attachIfSame(socket, to: session, request)
            return
        }
        lookUpJoin(socket, request, run)
    }

    /// Reads what a join needs from the run store, then continues in `lookedUp`. A lookup during which the
    /// worker's session left memory is repeated, because it may have read the assignment before it finished.
    private func lookUpJoin(_ socket: WebSocket, _ request: JoinRequest, _ run: RunRuntime) {
        let key = AssignmentKey(workerId: request.workerId, assignmentId: request.assignmentId)
        let taskName = run.task.definition.name
        let runId = run.id
        let mark = joinLookups.begin(key)
        storeWriter.perform({ store in
            let holders = try store.assignments(id: request.assignmentId)
            let own = holders.first { $0.workerId == request.workerId }
            let finished = try Self.finishedSession(of: own, in: store)
            return JoinLookup(
                hitRun: try store.hitEntry(hitId: request.hitId)?.runId,
                holders: holders,
                finishedSession: finished,
                pastConversation: finished == nil ? try Self.pastConversation(of: own, in: store) : nil,
                activeAssignments: try store.activeAssignments(workerId: request.workerId),
                completedInTask: try store.completedAssignments(workerId: request.workerId, task: taskName),
                standing: WorkerStanding(
                    completedInRun: try store.completedAssignments(workerId: request.workerId, run: runId),
                    workingSecondsToday: try store.workingSeconds(workerId: request.workerId, day: Date())))
        }) { [weak self] result in
            guard let self else { return }
            if self.joinLookups.end(key, mark: mark), self.sessions[key] == nil, !socket.isClosed {
                self.lookUpJoin(socket, request, run)
                return
            }
            self.lookedUp(socket, request, run, result)
        }
    }

    struct JoinLookup: Sendable {
        var hitRun: String?
        var holders: [AssignmentRecord]
        /// The page state of the worker's own finished assignment, saved when its session left memory.
        var finishedSession: FinishedSession?
        /// The stored conversation of the worker's own assignment when it is over or cannot go on, for replay.
        var pastConversation: PastConversation?
        var activeAssignments: Int
        var completedInTask: Int
        var standing: WorkerStanding
    }

    /// A conversation read back from the run store, with its messages.
    struct PastConversation: Sendable {
        var record: ConversationRecord
        var messages: [MessageRecord]
    }

    /// Reads the conversation of an assignment that is over (or in a task that was not resumed), so a worker who
    /// comes back after a restart gets its messages as before the restart. Runs on the store queue.
    static func pastConversation(of assignment: AssignmentRecord?, in store: RunStore) throws
        -> PastConversation?
    {
        guard let assignment, !assignment.status.isActive || assignment.status == .inTask,
              let id = assignment.conversationId, let record = try store.conversation(id: id)
        else { return nil }
        return PastConversation(record: record, messages: try store.messages(conversation: id))
    }

    /// Rebuilds a finished conversation for one returning worker: its stored messages and no world, so it only
    /// replays. A conversation that the store still shows as open counts as failed here, in memory only, so that
    /// nothing this worker does changes it.
    func archivedConversation(_ past: PastConversation, for session: WorkerSession,
                              run: RunRuntime) -> Conversation {
        let conversation = Conversation(
            id: past.record.id, run: run, engine: self, members: [(session.agentId ?? "Worker", session)],
            taskData: JSONValue.parse(past.record.taskDataJSON) ?? .object([:]),
            status: past.record.status.isFinal ? past.record.status : .failed, systemName: systemName(run))
        conversation.world = InertWorld()
        conversation.restoreMessages(past.messages.map(ChatMessage.init(record:)))
        return conversation
    }

    private func lookedUp(_ socket: WebSocket, _ request: JoinRequest, _ run: RunRuntime,
                          _ result: Result<JoinLookup, any Error>) {
        guard !socket.isClosed else {
            joiningSockets.remove(socket.id)
            return
        }
        let lookup: JoinLookup
        switch result {
        case .failure(let error):
            logger.error("run store lookup for a join failed", ["error": String(describing: error)])
            rejectJoin(socket, code: CloseCode.internalError, reason: "the server could not read its run store", request)
            return
        case .success(let value):
            lookup = value
        }
        let key = AssignmentKey(workerId: request.workerId, assignmentId: request.assignmentId)
        if let session = sessions[key] {
            attachIfSame(socket, to: session, request)
            return
        }
        if let finished = lookup.finishedSession {
            restoreFinishedSession(socket, request, run, finished)
            return
        }
        guard lookup.hitRun == run.id else {
            rejectJoin(socket, code: CloseCode.notFound,
                       reason: "HIT \(request.hitId) is not a HIT of run \(run.id)", request)
            return
        }
        if let holder = lookup.holders.first(where: { $0.workerId != request.workerId && $0.status.isActive }) {
            logger.warning("rejected a join for an assignment that another worker holds",
                           ["assignment": request.assignmentId, "worker": request.workerId,
                            "holder": holder.workerId])
            rejectJoin(socket, code: CloseCode.forbidden,
                       reason: "assignment \(request.assignmentId) is held by another worker", request)
            return
        }

        if let existing = lookup.holders.first(where: { $0.workerId == request.workerId }) {
            // Known from before a restart, or an assignment whose conversation is over.
            let session = WorkerSession(key: key, hitId: request.hitId, run: run, status: existing.status,
                                        acceptedAt: existing.acceptedAt)
            session.agentId = existing.agentId
            sessions[key] = session
            if existing.status.isActive && existing.status != .inTask {
                session.status = .waiting
                session.agentId = "waiting"
                run.waitingRoom.append(session)
            } else if existing.status == .inTask {
                // Its conversation was not restored, so it cannot go on.
                session.status = .disconnect
                persistStatus(session, .disconnect)
            }
            if !session.status.isActive, let past = lookup.pastConversation {
                session.conversation = archivedConversation(past, for: session, run: run)
            }
            attach(socket, to: session, request)
            tryPairing(run)
            return
        }

        let session = WorkerSession(key: key, hitId: request.hitId, run: run, status: .waiting, acceptedAt: Date())
        session.completedBefore = lookup.completedInTask
        sessions[key] = session
        let allowed = run.config?.allowedConversations ?? 0
        if !run.isAcceptingWorkers {
            session.status = .expired
            session.lastCommand = inactiveFrame(text: InactiveText.notAccepting, showDone: false)
        } else if let refusal = WorkerLimits.refusal(config: run.config, standing: lookup.standing) {
            session.status = .expired
            session.lastCommand = inactiveFrame(text: refusal, showDone: false)
            logger.info("turned a worker away by the run's worker limits", session.metadata)
        } else if allowed > 0 && lookup.activeAssignments >= allowed {
            session.status = .expired
            session.lastCommand = inactiveFrame(
                text: "You may work on \(allowed) of these HITs at a time. Please return this HIT and finish your "
                    + "other ones first.", showDone: false)
        } else if run.task.definition.onboarding {
            session.status = .onboarding
            session.agentId = "onboarding"
        } else {
            session.agentId = "waiting"
        }
        let record = AssignmentRecord(
            assignmentId: key.assignmentId, workerId: key.workerId, hitId: request.hitId, runId: run.id,
            agentId: session.agentId, status: session.status, acceptedAt: session.acceptedAt)
        storeWriter.write("new assignment", logger: logger) { store in try store.upsertAssignment(record) }
        logger.info("worker joined a run", session.metadata.merging(["status": session.status.rawValue]) { a, _ in a })

        attach(socket, to: session, request)
        switch session.status {
        case .onboarding: startOnboarding(session)
        case .waiting:
            run.waitingRoom.append(session)
            tryPairing(run)
        default: break
        }
    }

    /// Sends `reason` to the client and closes its socket with `code`. `detail`, when given, goes to the log
    /// only, for problems whose description names files on the server.
    func rejectJoin(_ socket: WebSocket, code: UInt16, reason: String, _ request: JoinRequest,
                    detail: String? = nil) {
        joiningSockets.remove(socket.id)
        pendingJoins[socket.id] = nil
        var metadata = [
            "socket": String(socket.id), "code": String(code), "reason": reason,
            "worker": String(request.workerId.prefix(80)), "assignment": String(request.assignmentId.prefix(80)),
            "run": String(request.runId.prefix(80)),
        ]
        if let detail { metadata["error"] = detail }
        logger.warning("rejected a join", metadata)
        socket.send(ServerFrame.error(code: "join_rejected", message: reason).data)
        socket.close(code: code, reason: reason)
    }

    /// Attaches `socket` to the worker's existing session when the join names the session's run and HIT, and
    /// rejects it otherwise: another run with 4004, as for any HIT outside the run, and another HIT with 4003.
    func attachIfSame(_ socket: WebSocket, to session: WorkerSession, _ request: JoinRequest) {
        if let mismatch = Self.joinMismatch(runId: session.run.id, hitId: session.hitId, request) {
            rejectJoin(socket, code: mismatch.code, reason: mismatch.reason, request)
            return
        }
        attach(socket, to: session, request)
    }

    /// Returns the close code and reason for a join that names another run or HIT than the worker's assignment.
    static func joinMismatch(runId: String?, hitId: String, _ request: JoinRequest) -> (code: UInt16, reason: String)? {
        guard runId == request.runId else {
            return (CloseCode.notFound, "assignment \(request.assignmentId) is not part of run \(request.runId)")
        }
        guard hitId == request.hitId else {
            return (CloseCode.forbidden, "assignment \(request.assignmentId) belongs to another HIT, not \(request.hitId)")
        }
        return nil
    }

    /// Makes `socket` the session's connection, replays what the page missed and repeats the last command.
    func attach(_ socket: WebSocket, to session: WorkerSession, _ request: JoinRequest) {
        joiningSockets.remove(socket.id)
        cancelEviction(session)
        if let old = session.socket, old !== socket {
            sessionsBySocket[old.id] = nil
            old.close(code: CloseCode.replaced, reason: "the same worker and assignment connected again")
            logger.info("a new connection replaced the old one", session.metadata)
        }
        session.socket = socket
        sessionsBySocket[socket.id] = session
        if let timer = session.graceTimer {
            transport.cancelTimer(timer)
            session.graceTimer = nil
        }

        let conversation = session.conversation
        var fields: [String: JSONValue] = [
            "status": .string(session.status.rawValue),
            "conversation": conversation.map { .string($0.id) } ?? .null,
            "agent_id": session.agentId.map { .string($0) } ?? .null,
            "task": .object([
                "title": .string(session.run.task.definition.title),
                "description": .string(session.run.task.definition.description),
            ]),
        ]
        fields["heartbeat_seconds"] = .number(Double(max(1, limits.heartbeatTimeoutSeconds / 3)))
        socket.send(ServerFrame(type: "joined", fields: fields).data)

        if let conversation {
            let from = request.conversationId == conversation.id ? request.lastSeq : 0
            for message in conversation.messages(for: session, after: from) {
                socket.send(message.frame(conversationId: conversation.id, viewer: session).data)
            }
        }
        if !session.status.isActive && session.lastCommand == nil {
            let (text, showDone) = InactiveText.forStatus(session.status)
            session.lastCommand = inactiveFrame(text: text, showDone: showDone)
        }
        if let command = session.lastCommand {
            socket.send(command.data)
            // An assignment that is over and cannot be submitted has nothing more to say on this socket.
            if !session.status.isActive && !InactiveText.forStatus(session.status).showDone {
                socket.close(code: CloseCode.inactive, reason: "assignment \(session.status.rawValue)")
            }
        } else if session.status == .waiting {
            session.deliver(waitFrame(InactiveText.waiting(agents: session.run.agentIds.count)), remember: true)
        }
        logger.info("worker connected", session.metadata.merging([
            "socket": String(socket.id), "status": session.status.rawValue,
            "last_seq": String(request.lastSeq)]) { a, _ in a })
    }

    // MARK: - Messages

    private func receiveMessage(_ socket: WebSocket, clientId: String, text: String, data: [String: JSONValue]?) {
        guard let session = sessionsBySocket[socket.id] else {
            protocolError(socket, ClientMessageError(code: "not_joined", message: "Send a join message first.",
                                                     clientId: clientId))
            return
        }
        guard let conversation = session.conversation, session.status == .inTask || session.status == .onboarding
        else {
            // A message resent after the conversation ended was stored before it ended: acknowledge it again.
            if let conversation = session.conversation, conversation.acknowledgeStored(from: session, clientId: clientId) {
                return
            }
            socket.send(ServerFrame.error(code: "not_in_conversation",
                                          message: "You are not in a conversation that takes messages.",
                                          clientId: clientId).data)
            return
        }
        let trimmed = Self.hasOuterWhitespace(text) ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
        guard !trimmed.isEmpty else {
            socket.send(ServerFrame.error(code: "empty_message", message: "The message is empty.",
                                          clientId: clientId).data)
            return
        }
        guard text.unicodeScalars.count <= limits.maxMessageTextLength else {
            socket.send(ServerFrame.error(
                code: "message_too_long",
                message: "The message is longer than \(limits.maxMessageTextLength) characters.",
                clientId: clientId).data)
            return
        }
        conversation.acceptMessage(from: session, clientId: clientId, text: trimmed, data: data)
    }

    /// Returns whether `text` starts or ends with whitespace, so that most messages skip Foundation's trimming.
    private static func hasOuterWhitespace(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return true }
        // Unicode's White_Space property covers every character of Foundation's whitespacesAndNewlines.
        return first.properties.isWhitespace || last.properties.isWhitespace
    }

    /// Enables a worker's input and starts the idle timer.
    func requestInput(from session: WorkerSession) {
        session.awaitingInput = true
        session.lastCommand = ServerFrame.sendMessageCommand
        session.send(ServerFrame.sendMessageCommandData)
        let seconds = Double(session.run.task.definition.idleTimeoutSeconds)
        session.idleDeadline = monotonicSeconds() + seconds
        // A timer that is already set checks the new deadline when it fires, so a busy conversation does not add
        // a timer per message to the queue, where cancelled timers stay until they are due.
        if session.idleTimer == nil { scheduleIdleCheck(session, after: seconds) }
    }

    /// Checks `session`'s idle deadline after `seconds`: sets the timer again while the deadline moved later, and
    /// expires the worker when it passed with the worker's input still enabled.
    private func scheduleIdleCheck(_ session: WorkerSession, after seconds: Double) {
        session.idleTimer = transport.schedule(after: seconds) { [weak self, weak session] in
            guard let self, let session else { return }
            session.idleTimer = nil
            guard let deadline = session.idleDeadline else { return }
            let remaining = deadline - monotonicSeconds()
            if remaining > 0 {
                self.scheduleIdleCheck(session, after: remaining)
                return
            }
            session.idleDeadline = nil
            guard session.awaitingInput, session.status.isActive else { return }
            self.logger.info("worker timed out waiting to send a message", session.metadata)
            self.leave(session, status: .expired, text: InactiveText.idleTimeout)
        }
    }

    /// Stops the idle deadline; a timer that is set finds no deadline when it fires.
    func cancelIdleTimer(_ session: WorkerSession) {
        session.idleDeadline = nil
    }

    // MARK: - Waiting room and pairing

    private func tryPairing(_ run: RunRuntime) {
        let needed = run.agentIds.count
        while run.isAcceptingWorkers {
            var chosen: [WorkerSession] = []
            var workers: Set<String> = []
            for session in run.waitingRoom where session.socket != nil && session.status == .waiting {
                if workers.insert(session.key.workerId).inserted { chosen.append(session) }
                if chosen.count == needed { break }
            }
            guard chosen.count == needed else { return }
            run.waitingRoom.removeAll { candidate in chosen.contains { $0 === candidate } }
            startConversation(run, chosen)
        }
        // The run has what it needs: release everyone still waiting.
        for session in run.waitingRoom where session.status == .waiting {
            finishAssignment(session, status: .expired, text: InactiveText.notAccepting)
        }
        run.waitingRoom.removeAll()
    }

    private func startConversation(_ run: RunRuntime, _ chosen: [WorkerSession]) {
        let id = RunStore.newConversationID(at: Date())
        let taskData = run.task.makeTaskData()
        let members = zip(run.agentIds, chosen).map { (agentId: $0, session: $1) }
        let conversation = Conversation(
            id: id, run: run, engine: self, members: members, taskData: taskData, status: .active,
            systemName: systemName(run))
        conversations[id] = conversation
        let setupError = setUpAgents(conversation)
        if !(run.config?.countComplete ?? false) { run.conversationsCounted += 1 }

        let taskName = run.task.definition.name
        let runId = run.id
        let assignments = members.map { (agentId: $0.agentId, key: $0.session.key) }
        storeWriter.write("new conversation", logger: logger) { store in
            try store.createConversation(id: id, run: runId, task: taskName, taskDataJSON: taskData.jsonText,
                                         status: .active)
            for member in assignments {
                try store.setAssignmentConversation(assignmentId: member.key.assignmentId,
                                                    workerId: member.key.workerId, conversationId: id,
                                                    agentId: member.agentId)
                try store.setAssignmentStatus(assignmentId: member.key.assignmentId, workerId: member.key.workerId,
                                              .inTask)
            }
        }
        for (agentId, session) in members {
            session.status = .inTask
            session.agentId = agentId
            session.conversation = conversation
            session.lastCommand = nil
            session.deliver(ServerFrame(type: "command", fields: [
                "command": .string(ChatCommand.changeConversation.rawValue), "conversation": .string(id),
                "agent_id": .string(agentId), "status": .string(AssignmentLifecycle.inTask.rawValue),
            ]), remember: false)
        }
        logger.info("conversation started", [
            "conversation": id, "run": run.id,
            "workers": members.map { "\($0.agentId)=\($0.session.key.workerId)" }.joined(separator: ","),
        ])
        if let setupError {
            conversation.fail(reason: setupError)
        } else {
            conversation.world.start(conversation)
        }
    }

    /// Creates a conversation's world, bots and console agent. Returns why that failed, or nil.
    private func setUpAgents(_ conversation: Conversation) -> String? {
        let task = conversation.run.task
        do {
            conversation.world = try task.makeWorld(taskData: conversation.taskData, engine: self)
            for bot in task.bots {
                let process = try core.agentProcesses.acquire(
                    name: "\(task.definition.name) bot \(bot.agentId)", command: bot.command,
                    workingDirectory: task.definition.directory, timeoutSeconds: bot.timeoutSeconds,
                    perConversation: bot.perConversation)
                conversation.addProgramAgent(BotAgent(spec: bot, process: process, conversation: conversation,
                                                      pool: core.agentProcesses))
            }
            if let human = task.localHuman {
                guard let console = core.consoleAgent else {
                    throw ChatServerError("the task needs a person at serve-chat's terminal (\(human)), but "
                                          + "serve-chat runs without a console; start it with --local-human")
                }
                conversation.addProgramAgent(console.agent(id: human))
            }
            return nil
        } catch {
            conversation.world = conversation.world ?? InertWorld()
            return String(describing: error)
        }
    }

    func systemName(_ run: RunRuntime) -> String {
        run.task.definition.settings["system_name"]?.stringValue ?? "System"
    }

    /// Starts onboarding for a new worker: a one-member conversation whose world requests one message.
    private func startOnboarding(_ session: WorkerSession) {
        let run = session.run
        let id = "o" + RunStore.newConversationID(at: Date()).dropFirst()
        let conversation = Conversation(
            id: id, run: run, engine: self, members: [(agentId: "onboarding", session: session)],
            taskData: .object([:]), status: .active, systemName: systemName(run))
        conversation.world = OnboardingWorld()
        conversations[id] = conversation
        session.conversation = conversation
        let taskName = run.task.definition.name + ":onboarding"
        let key = session.key
        let runId = run.id
        storeWriter.write("onboarding conversation", logger: logger) { store in
            try store.createConversation(id: id, run: runId, task: taskName, status: .active)
            try store.setAssignmentConversation(assignmentId: key.assignmentId, workerId: key.workerId,
                                                conversationId: id, agentId: "onboarding")
        }
        session.deliver(ServerFrame(type: "command", fields: [
            "command": .string(ChatCommand.changeConversation.rawValue), "conversation": .string(id),
            "agent_id": .string("onboarding"), "status": .string(AssignmentLifecycle.onboarding.rawValue),
        ]), remember: false)
        conversation.world.start(conversation)
    }

    /// Moves a worker who finished onboarding to the waiting room.
    func onboardingFinished(_ conversation: Conversation) {
        conversation.setStatus(.done)
        conversations[conversation.id] = nil
        for (_, session) in conversation.members where session.status == .onboarding {
            session.conversation = nil
            session.status = .waiting
            session.agentId = "waiting"
            session.lastCommand = nil
            persistStatus(session, .waiting)
            session.deliver(ServerFrame(type: "command", fields: [
                "command": .string(ChatCommand.changeConversation.rawValue), "conversation": .null,
                "agent_id": .string("waiting"), "status": .string(AssignmentLifecycle.waiting.rawValue),
            ]), remember: false)
            session.deliver(waitFrame(InactiveText.waiting(agents: session.run.agentIds.count)), remember: true)
            session.run.waitingRoom.append(session)
            tryPairing(session.run)
        }
    }

    // MARK: - Leaving and finishing

    /// Gives a worker a final status, stores it, and shows the fixed text for it (or `text`).
    func finishAssignment(_ session: WorkerSession, status: AssignmentLifecycle, text: String? = nil) {
        cancelIdleTimer(session)
        if let timer = session.graceTimer {
            transport.cancelTimer(timer)
            session.graceTimer = nil
        }
        session.awaitingInput = false
        session.status = status
        persistStatus(session, status)
        let (defaultText, showDone) = InactiveText.forStatus(status)
        session.deliver(inactiveFrame(text: text ?? defaultText, showDone: showDone), remember: true)
        logger.info("assignment status changed", session.metadata.merging(["status": status.rawValue]) { a, _ in a })
        switch status {
        case .done: applyLimitsAfterCompletion(session)
        case .disconnect: applyLimitsAfterDisconnect(session)
        default: break
        }
        scheduleEviction(session)
    }

    /// Takes a worker out of the run (disconnect, timeout or return) and ends their conversation for the others.
    func leave(_ session: WorkerSession, status: AssignmentLifecycle, text: String? = nil) {
        guard session.status.isActive || status == .returned || status == .submitted else { return }
        session.run.waitingRoom.removeAll { $0 === session }
        let conversation = session.conversation
        finishAssignment(session, status: status, text: text)
        conversation?.memberLeft(session)
        if status != .submitted, let socket = session.socket, status != .done {
            socket.close(code: CloseCode.inactive, reason: "assignment \(status.rawValue)")
        }
    }

    private func persistStatus(_ session: WorkerSession, _ status: AssignmentLifecycle) {
        let key = session.key
        storeWriter.write("assignment status", logger: logger) { store in
            try store.setAssignmentStatus(assignmentId: key.assignmentId, workerId: key.workerId, status)
        }
    }

    private func startGraceTimer(_ session: WorkerSession, seconds: Double) {
        if let timer = session.graceTimer { transport.cancelTimer(timer) }
        session.graceTimer = transport.schedule(after: seconds) { [weak self, weak session] in
            guard let self, let session else { return }
            session.graceTimer = nil
            guard session.socket == nil, session.status.isActive else { return }
            self.logger.info("worker did not reconnect in time", session.metadata)
            self.leave(session, status: .disconnect)
        }
    }

    /// Drops an ended conversation from the index of open ones. It stays in memory through its members' sessions
    /// and leaves together with them.
    func conversationEnded(_ conversation: Conversation) {
        // With `countComplete`, a conversation counts once it ends normally. Without it, `startConversation` counted it.
        if conversation.status == .done, conversation.run.config?.countComplete ?? false,
           !(conversation.world is OnboardingWorld) {
            conversation.run.conversationsCounted += 1
        }
        // Workers in a final status still get their conversation's messages when they reconnect.
        conversations[conversation.id] = nil
        evictMembersIfReady(conversation)
    }

    /// Records a submission from the worker site (local target) or any other source.
    func assignmentSubmitted(workerId: String, assignmentId: String) {
        guard let session = sessions[AssignmentKey(workerId: workerId, assignmentId: assignmentId)] else {
            let key = AssignmentKey(workerId: workerId, assignmentId: assignmentId)
            storeWriter.write("submitted assignment", logger: logger) { store in
                if try store.assignment(id: key.assignmentId, workerId: key.workerId) != nil {
                    try store.setAssignmentStatus(assignmentId: key.assignmentId, workerId: key.workerId, .submitted)
                }
            }
            return
        }
        if session.status.isActive {
            session.conversation?.memberLeft(session)
        }
        finishAssignment(session, status: .submitted)
    }

    /// Returns the sessions whose assignment MTurk may still list as submitted: those onboarding, waiting or in a
    /// conversation, and those over with Done shown. The submission poller asks MTurk about them.
    func sessionsAwaitingSubmission() -> [WorkerSession] {
        sessions.values.filter { $0.status.isActive || InactiveText.forStatus($0.status).showDone }
    }

    /// Records a returned assignment from the worker site.
    func assignmentReturned(workerId: String, assignmentId: String) {
        let key = AssignmentKey(workerId: workerId, assignmentId: assignmentId)
        guard let session = sessions[key] else {
            storeWriter.write("returned assignment", logger: logger) { store in
                if try store.assignment(id: key.assignmentId, workerId: key.workerId) != nil {
                    try store.setAssignmentStatus(assignmentId: key.assignmentId, workerId: key.workerId, .returned)
                }
            }
            return
        }
        leave(session, status: .returned)
    }

    // MARK: - Qualifications

    /// Gives a worker the task's qualification (`settings.qualification_name`, by default `<task>-failed-test`),
    /// creating the qualification type when it does not exist. HITs that require it not to exist are then hidden
    /// from the worker.
    func grantTaskQualification(_ session: WorkerSession, reason: String) {
        guard let marketplace = core.marketplace else {
            logger.warning("cannot grant a qualification: serve-chat has no marketplace client", session.metadata)
            return
        }
        let definition = session.run.task.definition
        let name = definition.settings["qualification_name"]?.stringValue ?? "\(definition.name)-failed-test"
        let workerId = session.key.workerId
        let logger = self.logger
        var metadata = session.metadata
        metadata["qualification"] = name
        let capturedMetadata = metadata
        Task {
            do {
                let existing = try await marketplace.allQualificationTypes(query: name).first { $0.name == name }
                var typeId = existing?.qualificationTypeId
                if typeId == nil {
                    let created = try await marketplace.createQualificationType(CreateQualificationTypeRequest(
                        name: name, description: "Workers who \(reason); HITs of this task require it not to exist.",
                        qualificationTypeStatus: .active))
                    typeId = created.qualificationType?.qualificationTypeId
                }
                guard let typeId else { throw ChatServerError("the marketplace returned no qualification type id") }
                _ = try await marketplace.associateQualificationWithWorker(AssociateQualificationWithWorkerRequest(
                    qualificationTypeId: typeId, workerId: workerId, integerValue: 1, sendNotification: false))
                logger.info("granted the task qualification", capturedMetadata)
            } catch {
                logger.error("could not grant the task qualification",
                             capturedMetadata.merging(["error": String(describing: error)]) { a, _ in a })
            }
        }
    }

    // MARK: - Frames

    func inactiveFrame(text: String, showDone: Bool) -> ServerFrame {
        ServerFrame(type: "command", fields: [
            "command": .string(ChatCommand.inactive.rawValue), "text": .string(text), "show_done": .bool(showDone)])
    }

    func waitFrame(_ text: String) -> ServerFrame {
        ServerFrame(type: "command", fields: ["command": .string(ChatCommand.wait.rawValue), "text": .string(text)])
    }

    // MARK: - Heartbeats

    private func scheduleHeartbeatSweep() {
        let interval = max(1.0, Double(limits.heartbeatTimeoutSeconds) / 4)
        transport.schedule(after: interval) { [weak self] in
            guard let self else { return }
            let now = monotonicSeconds()
            for (_, session) in self.sessionsBySocket {
                guard let socket = session.socket, !socket.isClosing else { continue }
                if now - socket.lastReceived > Double(self.limits.heartbeatTimeoutSeconds) {
                    self.logger.info("closing a silent connection (no heartbeat)", session.metadata)
                    socket.close(code: CloseCode.heartbeatTimeout, reason: "no frame within the heartbeat timeout")
                }
            }
            self.scheduleHeartbeatSweep()
        }
    }

    // MARK: - Restart and shutdown

    /// Rebuilds open conversations from the run store after a restart. Their workers have the reconnect grace
    /// period (doubled) to come back.
    func restore(_ snapshot: RestoreSnapshot, runs: [String: RunRuntime]) {
        for item in snapshot.conversations {
            guard let run = runs[item.record.runId] else { continue }
            var members: [(agentId: String, session: WorkerSession)] = []
            for assignment in item.assignments {
                let key = AssignmentKey(workerId: assignment.workerId, assignmentId: assignment.assignmentId)
                let session = WorkerSession(key: key, hitId: assignment.hitId, run: run, status: assignment.status,
                                            acceptedAt: assignment.acceptedAt)
                session.agentId = assignment.agentId
                sessions[key] = session
                members.append((assignment.agentId ?? "Worker", session))
            }
            members.sort { lhs, rhs in
                (run.agentIds.firstIndex(of: lhs.agentId) ?? 0) < (run.agentIds.firstIndex(of: rhs.agentId) ?? 0)
            }
            let taskData = JSONValue.parse(item.record.taskDataJSON) ?? .object([:])
            let conversation = Conversation(
                id: item.record.id, run: run, engine: self, members: members, taskData: taskData,
                status: item.record.status, systemName: systemName(run))
            conversations[conversation.id] = conversation
            let setupError = setUpAgents(conversation)
            conversation.restoreMessages(item.messages.map(ChatMessage.init(record:)))
            for (_, session) in members {
                session.conversation = conversation
                if session.status.isActive {
                    startGraceTimer(session, seconds: 2 * Double(run.task.definition.reconnectGraceSeconds))
                }
            }
            if let setupError {
                conversation.fail(reason: setupError)
                continue
            }
            conversation.world.restore(from: conversation.messages, in: conversation)
            logger.notice("resumed an open conversation", [
                "conversation": conversation.id, "run": run.id, "messages": String(conversation.messages.count)])
        }
        for session in sessions.values { scheduleEviction(session) }
    }

    /// Tells every connected worker that the server stops, and closes their sockets with 1001.
    func shutdown() {
        for socket in transport.openSockets {
            if let session = sessionsBySocket[socket.id] {
                socket.send(waitFrame(InactiveText.serverStopping).data)
                _ = session
            }
            socket.close(code: CloseCode.goingAway, reason: "server stopping")
        }
    }

    /// Whether every socket has closed, for the shutdown drain.
    var allSocketsClosed: Bool { transport.openSockets.isEmpty }
}

/// Open conversations read from the run store at start-up.
struct RestoreSnapshot: Sendable {
    struct Item: Sendable {
        var record: ConversationRecord
        var assignments: [AssignmentRecord]
        var messages: [MessageRecord]
    }

    var conversations: [Item]
}
