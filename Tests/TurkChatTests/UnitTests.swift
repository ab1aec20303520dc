import Foundation
import Testing
import TurkModel
import TurkStore
@testable import TurkChat

@Suite struct JSONTextTests {
    @Test(arguments: [
        #"{"b":1,"a":[true,false,null],"c":"x"}"#,
        #"[]"#, #"{}"#, #""plain""#, #"-12.5e3"#, #"0"#,
        #"{"nested":{"deeper":[1,[2,[3]]]}}"#,
    ])
    func validTextRoundTrips(text: String) throws {
        let value = try #require(JSONValue.parse(text))
        #expect(JSONValue.parse(value.jsonText) == value)
    }

    @Test func writerSortsKeysAndEscapes() {
        let value = JSONValue.object([
            "z": .string("line\nbreak \"quoted\" back\\slash \u{01}"), "a": .number(3), "m": .bool(true),
        ])
        #expect(value.jsonText == #"{"a":3,"m":true,"z":"line\nbreak \"quoted\" back\\slash \u0001"}"#)
    }

    @Test func readerDecodesEscapesAndSurrogatePairs() throws {
        let value = try #require(JSONValue.parse(#""tab\tquote\" slash\/ e\u00e9 smile\ud83d\ude00""#))
        #expect(value.stringValue == "tab\tquote\" slash/ eé smile😀")
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a" 1}"#, #"{"a":1,}"#, "tru", "01", "1.", "-", #""unterminated"#,
        #""lone \ud800 surrogate""#, "\"raw\u{01}control\"", "[1] extra", #"{"a":1}}"#,
    ])
    func invalidTextIsRejected(text: String) {
        #expect(JSONValue.parse(text) == nil)
    }

    @Test func deepNestingIsRejected() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(JSONValue.parse(deep) == nil)
        let shallow = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(JSONValue.parse(shallow) != nil)
    }
}

@Suite struct ClientMessageTests {
    @Test func joinDecodes() throws {
        let message = try ClientMessage.decode(
            #"{"type":"join","run":"r1","hit":"3H","assignment":"3A","worker":"A1W","conversation":"c1","last_seq":4}"#)
        guard case .join(let join) = message else {
            Issue.record("expected a join, got \(message)")
            return
        }
        #expect(join == JoinRequest(runId: "r1", hitId: "3H", assignmentId: "3A", workerId: "A1W",
                                    conversationId: "c1", lastSeq: 4))
        #expect(join.invalidReason() == nil)
    }

    @Test(arguments: [
        ("not json", "invalid_json"),
        (#"[1]"#, "invalid_json"),
        (#"{"text":"x"}"#, "missing_type"),
        (#"{"type":"shout"}"#, "unknown_type"),
        (#"{"type":"message","text":"x"}"#, "invalid_message"),
        (#"{"type":"message","client_id":"c"}"#, "invalid_message"),
        (#"{"type":"message","client_id":"c","text":"x","data":[1]}"#, "invalid_message"),
        (#"{"type":"join","run":"r1"}"#, "invalid_join"),
        (#"{"type":"join","run":"r","hit":"H","assignment":"A","worker":"A1","last_seq":-1}"#, "invalid_join"),
        (#"{"type":"join","run":"r","hit":"H","assignment":"A","worker":"A1","last_seq":1e20}"#, "invalid_join"),
        (#"{"type":"join","run":"r","hit":"H","assignment":"A","worker":"A1","last_seq":2.5}"#, "invalid_join"),
        (#"{"type":"join","run":"r","hit":"H","assignment":"A","worker":"A1","last_seq":"3"}"#, "invalid_join"),
        (#"{"type":"join","run":"r","hit":"H","assignment":"A","worker":"A1","conversation":5}"#, "invalid_join"),
    ])
    func badFrameGetsErrorCode(text: String, code: String) {
        #expect(throws: ClientMessageError.self) { try ClientMessage.decode(text) }
        do {
            _ = try ClientMessage.decode(text)
        } catch {
            #expect(error.code == code)
        }
    }

    @Test func joinWithoutPositionStartsAtZero() throws {
        let message = try ClientMessage.decode(
            #"{"type":"join","run":"r1","hit":"3H","assignment":"3A","worker":"A1W","conversation":null,"last_seq":null}"#)
        guard case .join(let join) = message else {
            Issue.record("expected a join, got \(message)")
            return
        }
        #expect(join.conversationId == nil)
        #expect(join.lastSeq == 0)
    }

    @Test(arguments: [
        (JoinRequest(runId: "r 1", hitId: "3H", assignmentId: "3A", workerId: "A1W"), "invalid run id"),
        (JoinRequest(runId: "r1", hitId: "3h", assignmentId: "3A", workerId: "A1W"), "invalid HIT id"),
        (JoinRequest(runId: "r1", hitId: "3H", assignmentId: "", workerId: "A1W"), "invalid assignment id"),
        (JoinRequest(runId: "r1", hitId: "3H", assignmentId: "3A", workerId: "A1B2,A1B2"), "contains a comma"),
        (JoinRequest(runId: "r1", hitId: "3H", assignmentId: "3A", workerId: "B1W"), "invalid worker id"),
    ])
    func malformedIdsAreNamed(join: JoinRequest, reason: String) {
        #expect(join.invalidReason()?.contains(reason) == true)
    }
}

@Suite struct WaitingTextTests {
    @Test(arguments: [(1, "Starting the task…"), (2, "Waiting for a partner to join…"),
                      (4, "Waiting for 3 other workers to join…")])
    func textMatchesConversationSize(agents: Int, text: String) {
        #expect(InactiveText.waiting(agents: agents) == text)
    }

    @Test(arguments: [(1, "Then the task starts."), (2, "Then you will wait for a partner."),
                      (3, "Then you will wait for 2 other workers.")])
    func welcomeMatchesConversationSize(agents: Int, ending: String) {
        let text = OnboardingWorld.welcome(agents: agents)
        #expect(text.hasPrefix("Welcome! Send any message to show that you are here. "))
        #expect(text.hasSuffix(ending))
    }
}

@Suite struct HTTPHelperTests {
    @Test func formFieldsDecodeAndKeepRepeats() {
        let fields = parseFormEncoded("a=1&b=two+words&c=%2C%26&a=2&flag")
        #expect(fields.map(\.name) == ["a", "b", "c", "a", "flag"])
        #expect(fields.map(\.value) == ["1", "two words", ",&", "2", ""])
    }

    @Test func htmlEscapeCoversMarkup() {
        #expect(htmlEscape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }

    @Test func repeatedQueryParameterIsRejected() {
        let request = HTTPRequest(method: "GET", path: "/chat", query: [("workerId", "A1"), ("workerId", "A1")],
                                  headers: [:], body: Data(), remoteAddress: "127.0.0.1", connectionID: 1)
        #expect(throws: HTTPError.self) { _ = try request.uniqueQueryValue("workerId") }
    }

    @Test func appendingParametersUsesTheRightSeparator() {
        #expect(WorkerSite.appending("http://h/chat?run=r1", [("hitId", "3H")]) == "http://h/chat?run=r1&hitId=3H")
        #expect(WorkerSite.appending("http://h/chat", [("a", "x y")]) == "http://h/chat?a=x%20y")
    }
}

@Suite struct ChatLoggerTests {
    @Test func metadataIsSortedAndQuoted() {
        let lines = LogCollector()
        let logger = ChatLogger(minimumLevel: .info) { lines.append($0) }
        logger.info("started", ["url": "http://127.0.0.1:1", "reason": "two words", "empty": ""])
        logger.debug("hidden")
        #expect(lines.all == [#"info: started empty="" reason="two words" url=http://127.0.0.1:1"#])
    }

    @Test func stderrLineHasUTCTimestamp() {
        let date = Date(timeIntervalSince1970: 1_777_636_800.25)
        let line = ChatLogger.stampedLine(prefix: "serve-chat", "notice: started", at: date)
        #expect(line == "serve-chat: 2026-05-01T12:00:00.250Z notice: started")
    }

    @Test func newlinesAndQuotesAreEscaped() {
        #expect(ChatLogger.quoted("a \"b\"\nc") == #""a \"b\"\nc""#)
    }

    @Test func controlCharactersAreEscaped() {
        let value = ChatLogger.quoted("bot\u{1B}[2J\u{0}\u{FF}")
        #expect(!value.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(value.contains("\\e[2J"))
    }

    @Test func repeatLimiterThinsOutFloods() {
        let limiter = RepeatLimiter(limit: 2, every: 10)
        let logged = (1...25).compactMap { _ in limiter.count("x") }
        #expect(logged == [1, 2, 10, 20])
    }
}

@Suite struct TimerQueueTests {
    @Test func timersRunInDueOrderAndCancelledOnesDoNot() {
        let queue = TimerQueue()
        var fired: [String] = []
        _ = queue.add(due: 3) { fired.append("c") }
        let cancelled = queue.add(due: 1) { fired.append("cancelled") }
        _ = queue.add(due: 2) { fired.append("b") }
        _ = queue.add(due: 0.5) { fired.append("a") }
        queue.cancel(cancelled)
        #expect(queue.nextDue == 0.5)
        queue.runDue(now: 2.5)
        #expect(fired == ["a", "b"])
        #expect(queue.nextDue == 3)
        queue.runDue(now: 10)
        #expect(fired == ["a", "b", "c"])
        #expect(queue.nextDue == nil)
    }
}

@Suite struct DealSelectionTests {
    @Test(arguments: [
        ("<selection> item0=1 item1=0 item2=2", [1, 0, 2] as [Int]?),
        ("  <selection> item2=3 item0=0 item1=1 ", [0, 1, 3]),
        ("<selection> item0=1 item1=0", nil),
        ("<selection> item0=-1 item1=0 item2=0", nil),
        ("<selection> item0=1 item1=0 item3=0", nil),
        ("I take the books", nil),
    ])
    func selectionParses(text: String, expected: [Int]?) {
        #expect(DealOrNoDealWorld.parseSelection(text, itemCount: 3) == expected)
    }
}

@Suite struct TaskDataFileTests {
    /// Real data files kept for these tests, each with its provenance and license.
    let sharedData = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    @Test func shippedPairsLoad() throws {
        let pairs = try DialoguePairs.load(
            file: repositoryRoot.appendingPathComponent("tasks/model_evaluator/data/movies_2015-02-07.json"))
        #expect(pairs.pairs.count == 421)
        #expect(pairs.pairs.first?.id == "1-2")
    }

    @Test func concatenatedObjectsAreInvalidJSON() throws {
        let file = sharedData.appendingPathComponent("reddit-movies-pairs/movies_2015-03-18.json")
        try #require(FileManager.default.fileExists(atPath: file.path), "test fixture missing at \(file.path)")
        let error = #expect(throws: TaskDataError.self) { try DialoguePairs.load(file: file) }
        #expect(error?.message.hasPrefix("invalid JSON") == true)
    }

    @Test func shippedNegotiationsLoad() throws {
        let games = try NegotiationContexts.load(
            file: repositoryRoot.appendingPathComponent("tasks/deal_or_no_deal/data/selfplay.txt"))
        #expect(games.contexts.count == 4086)
        #expect(games.contexts.first?.counts == [1, 1, 3])
        #expect(games.contexts.first?.values == [[0, 1, 3], [1, 0, 3]])
    }

    @Test(arguments: [
        ("1 0 1 1 3 3\n", "two lines per game"),
        ("1 0 1 1 3 3\n1 1 1 0\n", "expected six numbers"),
        ("1 0 1 1 3 3\n2 1 1 0 3 3\n", "item counts differ"),
        ("", "the file is empty"),
    ])
    func malformedNegotiationsAreLocated(text: String, message: String) throws {
        let file = try makeTemporaryDirectory().appendingPathComponent("selfplay.txt")
        try Data(text.utf8).write(to: file)
        let error = #expect(throws: TaskDataError.self) { try NegotiationContexts.load(file: file) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }
}

@Suite struct MessageBatchTests {
    @Test func batchStoresInOrderAndKeepsDuplicatesOnce() throws {
        let store = try RunStore(stateDirectory: StateDirectory(url: makeTemporaryDirectory()))
        defer { store.close() }
        try store.createRun(RunRecord(id: "r1", taskName: "t", taskDirectory: "/t", taskKind: "qa_data_collection",
                                      target: .local, reward: USD(cents: 1), createdAt: Date()))
        try store.createConversation(id: "c1", run: "r1", task: "t")
        let stored = try store.appendMessages([
            NewMessage(conversationId: "c1", messageId: "m1", senderAgentId: "A", text: "one"),
            NewMessage(conversationId: "c1", messageId: "m2", senderAgentId: "B", text: "two"),
            NewMessage(conversationId: "c1", messageId: "m1", senderAgentId: "A", text: "one again"),
        ])
        #expect(stored.map(\.message.seq) == [1, 2, 1])
        #expect(stored.map(\.isDuplicate) == [false, false, true])
        #expect(try store.messages(conversation: "c1").map(\.text) == ["one", "two"])
    }

    @Test func failedBatchStoresNothing() throws {
        let store = try RunStore(stateDirectory: StateDirectory(url: makeTemporaryDirectory()))
        defer { store.close() }
        try store.createRun(RunRecord(id: "r1", taskName: "t", taskDirectory: "/t", taskKind: "qa_data_collection",
                                      target: .local, reward: USD(cents: 1), createdAt: Date()))
        try store.createConversation(id: "c1", run: "r1", task: "t")
        #expect(throws: RunStoreError.self) {
            _ = try store.appendMessages([
                NewMessage(conversationId: "c1", messageId: "m1", senderAgentId: "A", text: "kept?"),
                NewMessage(conversationId: "missing", messageId: "m2", senderAgentId: "A", text: "no conversation"),
            ])
        }
        #expect(try store.messages(conversation: "c1").isEmpty)
    }
}

@Suite struct FrameEncodingTests {
    private static let viewer = AssignmentKey(workerId: "A1VIEWER", assignmentId: "3ASSIGN")

    private static let messages: [ChatMessage] = [
        ChatMessage(seq: 1, messageId: "w:A1VIEWER:c1", senderAgentId: "Asker", workerId: "A1VIEWER",
                    assignmentId: "3ASSIGN", text: "What is the capital?", episodeDone: false, recipients: nil,
                    data: nil, clientId: "c1"),
        ChatMessage(seq: 42, messageId: "m-2", senderAgentId: "Answerer", workerId: "A2OTHER",
                    assignmentId: "3OTHER", text: "Quote \" backslash \\ tab \t newline \n bell \u{07} é 😀",
                    episodeDone: true, recipients: nil, data: ["deal": .object(["book": .number(2), "hat": .bool(true)])],
                    clientId: "c9"),
        ChatMessage(seq: 1_000_000, messageId: "bot-1", senderAgentId: "Model", workerId: nil, assignmentId: nil,
                    text: "", episodeDone: false, recipients: ["Asker"], data: [:], clientId: nil),
        // Same worker on another assignment: not the viewer's own message.
        ChatMessage(seq: 3, messageId: "w:A1VIEWER:c3", senderAgentId: "Asker", workerId: "A1VIEWER",
                    assignmentId: "3EARLIER", text: "old", episodeDone: false, recipients: nil, data: nil,
                    clientId: "c3"),
    ]

    @Test(arguments: 0..<4)
    func messageBytesMatchTheFrame(index: Int) {
        let message = Self.messages[index]
        let direct = message.frameData(conversationId: "conv-\"1\"", viewer: Self.viewer)
        let built = message.frame(conversationId: "conv-\"1\"", viewer: Self.viewer).data
        #expect(String(decoding: direct, as: UTF8.self) == String(decoding: built, as: UTF8.self))
        #expect(JSONValue.parseBytes(direct) != nil)
    }

    @Test(arguments: [("c1", 1), ("client \"quoted\" é", 987_654_321)])
    func ackBytesMatchTheFrame(clientId: String, seq: Int) {
        let direct = ServerFrame.ackData(clientId: clientId, seq: seq, conversation: "c\\2")
        let built = ServerFrame.ack(clientId: clientId, seq: seq, conversation: "c\\2").data
        #expect(String(decoding: direct, as: UTF8.self) == String(decoding: built, as: UTF8.self))
    }

    @Test func frameKeysAreSortedWithType() {
        let frame = ServerFrame(type: "command", fields: ["text": .string("x"), "command": .string("wait"),
                                                          "show_done": .bool(false)])
        #expect(String(decoding: frame.data, as: UTF8.self)
                == #"{"command":"wait","show_done":false,"text":"x","type":"command"}"#)
        #expect(ServerFrame.sendMessageCommandData == ServerFrame.sendMessageCommand.data)
        #expect(String(decoding: ServerFrame.sendMessageCommandData, as: UTF8.self)
                == #"{"command":"send_message","type":"command"}"#)
    }

    @Test func decodingBytesMatchesDecodingText() throws {
        let text = #"{"type":"message","client_id":"c7","text":"héllo\n","data":{"k":[1,2]}}"#
        guard case .message(let clientId, let body, let data) = try ClientMessage.decode(bytes: Array(text.utf8)) else {
            Issue.record("expected a message")
            return
        }
        #expect(clientId == "c7")
        #expect(body == "héllo\n")
        #expect(data?["k"] == .array([.number(1), .number(2)]))
    }
}

@Suite struct WebSocketFrameHeaderTests {
    /// Headers from RFC 6455, section 5.2: a 7-bit length up to 125, then 126 and a 16-bit length, then 127 and
    /// a 64-bit length, all in network byte order.
    @Test(arguments: [
        (0, [0x81, 0x00]),
        (125, [0x81, 0x7D]),
        (126, [0x81, 0x7E, 0x00, 0x7E]),
        (300, [0x81, 0x7E, 0x01, 0x2C]),
        (65_535, [0x81, 0x7E, 0xFF, 0xFF]),
        (65_536, [0x81, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]),
        (70_000, [0x81, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x11, 0x70]),
    ] as [(Int, [UInt8])])
    func headerBytes(payload: Int, expected: [UInt8]) {
        var buffer = [UInt8](repeating: 0xEE, count: 12)
        let written = buffer.withUnsafeMutableBufferPointer { pointer in
            WebSocketFrame.writeHeader(payload: payload, to: pointer.baseAddress!) - pointer.baseAddress!
        }
        #expect(written == expected.count)
        #expect(WebSocketFrame.headerSize(payload: payload) == expected.count)
        #expect(Array(buffer.prefix(written)) == expected)
        #expect(buffer[written] == 0xEE)
    }
}

@Suite struct EventLoopChoiceTests {
    @Test func unsetMeansLibev() throws {
        #expect(try LWSTransport.eventLoop(environment: [:]) == .libev)
    }

    @Test(arguments: ["poll", "libev", "libuv"])
    func knownNamesAreTaken(name: String) throws {
        #expect(try LWSTransport.eventLoop(environment: ["TURKCHAT_EVENT_LOOP": name]).rawValue == name)
    }

    @Test func unknownNameIsAnError() {
        #expect(throws: TransportError.self) {
            try LWSTransport.eventLoop(environment: ["TURKCHAT_EVENT_LOOP": "epoll"])
        }
        do {
            _ = try LWSTransport.eventLoop(environment: ["TURKCHAT_EVENT_LOOP": "epoll"])
        } catch {
            #expect(String(describing: error).contains("'epoll'"))
        }
    }
}
