// chat-bench: drives N simulated workers through real WebSocket connections to a serve-chat process on the local
// target (accept, join, chat in pairs). It reports connections held, messages per second, relay latency from one
// worker to its partner, server CPU per message and server memory per connected worker.
//
// The client side is libwebsockets' client on one thread, with no JSON library on the hot path (frames are
// matched by their compact, sorted-key form), so the generator costs a small share of the CPU the server uses.

import CWebSocketsBench
import Foundation
import TurkLocal
import TurkModel
import TurkStore

// MARK: - Options

struct Options {
    var serveChat = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/release/serve-chat").path
    var workers = 1000
    /// Messages per second over all conversations; 0 sends as fast as the turns allow.
    var rate = 2000.0
    var duration = 20.0
    var warmup = 3.0
    var connectBatch = 200
    var stateDirectory: String?

    static let usage = """
        usage: chat-bench [--serve-chat PATH] [--workers N] [--rate MSG_PER_S] [--duration S] [--warmup S]
                          [--connect-batch N] [--state-dir DIR]
        Starts serve-chat from PATH (default: ../.build/release/serve-chat) on 127.0.0.1, creates a run with one HIT
        per worker in a fresh state directory, connects N workers (an even number) in pairs and lets each pair take
        turns at the given total message rate. Prints the measurements at the end.
        """

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value() -> String {
            index += 1
            guard index < arguments.count else { fail("missing value for \(arguments[index - 1])\n\(usage)") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--serve-chat": options.serveChat = value()
            case "--workers": options.workers = Int(value()) ?? -1
            case "--rate": options.rate = Double(value()) ?? -1
            case "--duration": options.duration = Double(value()) ?? -1
            case "--warmup": options.warmup = Double(value()) ?? -1
            case "--connect-batch": options.connectBatch = Int(value()) ?? -1
            case "--state-dir": options.stateDirectory = value()
            case "-h", "--help":
                print(usage)
                exit(0)
            default: fail("unknown option \(arguments[index])\n\(usage)")
            }
            index += 1
        }
        guard options.workers >= 2, options.workers % 2 == 0 else { fail("--workers must be an even number of 2 or more") }
        guard options.rate >= 0, options.duration > 0, options.warmup >= 0, options.connectBatch > 0 else {
            fail("--rate, --duration, --warmup and --connect-batch must be positive numbers")
        }
        return options
    }
}

/// The serve-chat child, stopped by `fail` so that a failed run leaves no server behind. Only the main thread
/// touches it.
nonisolated(unsafe) var startedServer: Process?

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("chat-bench: error: \(message)\n".utf8))
    if let startedServer, startedServer.isRunning {
        startedServer.terminate()
        startedServer.waitUntilExit()
    }
    exit(1)
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("chat-bench: \(message)\n".utf8))
}

func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

// MARK: - Process statistics

/// CPU seconds (user and system) and resident memory of a process, from /proc.
struct ProcessSample {
    var cpuSeconds: Double
    var residentKiB: Int

    static func read(pid: Int32) -> ProcessSample {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var cpu = 0.0
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command name: state is field 3, utime field 14 and stime field 15 of the whole line.
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                cpu = (user + system) / ticks
            }
        }
        var rss = 0
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                rss = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
        }
        return ProcessSample(cpuSeconds: cpu, residentKiB: rss)
    }
}

// MARK: - Set-up

struct Seat {
    var runId: String
    var hitId: String
    var assignmentId: String
    var workerId: String
}

/// Starts serve-chat and returns the process and its port.
func startServer(_ options: Options, stateDirectory: URL, taskDirectory: URL) -> (Process, Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: options.serveChat)
    process.arguments = ["--state-dir", stateDirectory.path, "--port", "0", "--json", "--task", taskDirectory.path]
    let output = Pipe()
    process.standardOutput = output
    let logFile = stateDirectory.appendingPathComponent("serve-chat.log")
    FileManager.default.createFile(atPath: logFile.path, contents: nil)
    process.standardError = try? FileHandle(forWritingTo: logFile)
    do {
        try process.run()
    } catch {
        fail("cannot start \(options.serveChat): \(error); build it with 'swift build -c release --product serve-chat'")
    }
    startedServer = process
    var line = Data()
    while true {
        let byte = output.fileHandleForReading.readData(ofLength: 1)
        if byte.isEmpty || byte == Data([10]) { break }
        line.append(byte)
    }
    guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
          let url = (object["url"] as? String).flatMap(URL.init(string:)), let port = url.port
    else { fail("serve-chat printed no URL; see \(logFile.path)") }
    return (process, port)
}

/// Creates the run with one HIT per worker and accepts each HIT for a new worker.
func createRun(_ options: Options, stateDirectory: StateDirectory, taskDirectory: URL, port: Int) async throws
    -> [Seat]
{
    let store = try RunStore(stateDirectory: stateDirectory)
    defer { store.close() }
    let marketplace = try LocalMarketplace(stateDirectory: stateDirectory, environment: [:])
    defer { marketplace.close() }
    let runId = RunStore.newRunID(at: Date())
    let externalURL = "http://127.0.0.1:\(port)/chat?run=\(runId)"
    let config = RunConfig(
        conversations: options.workers / 2, agentIds: ["mturk_agent_1", "mturk_agent_2"], totalHITs: options.workers,
        title: "Benchmark chat", description: "Load test", reward: "0.01", lifetimeSeconds: 86_400,
        assignmentDurationSeconds: 86_400, autoApprovalDelaySeconds: 86_400, externalURL: externalURL)
    try store.createRun(RunRecord(
        id: runId, taskName: "bench_chat", taskDirectory: taskDirectory.path, taskKind: "multi_agent_dialog",
        target: .local, serverURL: "http://127.0.0.1:\(port)", reward: USD(cents: 1),
        configJSON: String(decoding: try JSONEncoder().encode(config), as: UTF8.self), createdAt: Date(),
        status: .active))
    let hitType = try await marketplace.createHITType(CreateHITTypeRequest(
        autoApprovalDelayInSeconds: 86_400, assignmentDurationInSeconds: 86_400, reward: "0.01",
        title: "Benchmark chat", description: "Load test"))
    var seats: [Seat] = []
    for index in 1...options.workers {
        let token = RequestToken.derive(prefix: "bench", [runId, String(index)])
        _ = try store.reserveHIT(run: runId, seq: index, token: token)
        let hit = try await marketplace.createHITWithHITType(CreateHITWithHITTypeRequest(
            hitTypeId: hitType.hitTypeId!, maxAssignments: 1, lifetimeInSeconds: 86_400,
            question: ExternalQuestion(externalURL: externalURL).xml, uniqueRequestToken: token))
        let hitId = hit.hit!.hitId!
        try store.markHITCreated(run: runId, seq: index, hitId: hitId)
        let workerId = "A" + String(format: "%013d", index)
        let assignment = try marketplace.acceptHIT(hitId: hitId, workerId: workerId)
        seats.append(Seat(runId: runId, hitId: hitId, assignmentId: assignment.assignmentId, workerId: workerId))
    }
    return seats
}

// MARK: - Client

/// One simulated worker's connection.
final class Worker {
    let index: Int
    let seat: Seat
    var wsi: OpaquePointer?
    var outgoing: [[UInt8]] = []
    var receiveBuffer: [UInt8] = []
    var paired = false
    var closed = false
    var partner: Worker?
    var sent = 0

    init(index: Int, seat: Seat) {
        self.index = index
        self.seat = seat
    }
}

/// The load generator: one lws client context serviced on the main thread.
final class Bench {
    let options: Options
    let port: Int
    var context: OpaquePointer?
    var evLoop: OpaquePointer?
    var workers: [Worker] = []
    var nextToConnect = 0
    var connecting = 0
    var established = 0
    var failures = 0
    var pairedCount = 0
    var pairedAt: UInt64 = 0
    var connectStarted: UInt64 = 0
    var measuring = false
    var sending = false
    var messagesInWindow = 0
    var latencies: [UInt64] = []
    /// Send times by worker index, kept in a heap by time.
    var dueSends: [(time: UInt64, worker: Int)] = []
    /// The next time each pair may send, for pacing.
    var pairNextSend: [Int: UInt64] = [:]
    let pre = Int(cwsb_pre())
    var writeBuffer: UnsafeMutablePointer<UInt8>
    var timer: UnsafeMutableRawPointer?
    var host: UnsafeMutablePointer<CChar>
    var path: UnsafeMutablePointer<CChar>
    var address: UnsafeMutablePointer<CChar>
    var protocolName: UnsafeMutablePointer<CChar>

    init(options: Options, port: Int, seats: [Seat]) {
        self.options = options
        self.port = port
        workers = seats.enumerated().map { Worker(index: $0.offset, seat: $0.element) }
        writeBuffer = .allocate(capacity: Int(cwsb_pre()) + 4096)
        host = strdup("127.0.0.1:\(port)")
        path = strdup("/ws")
        address = strdup("127.0.0.1")
        protocolName = strdup("bench")
    }

    /// Nanoseconds between a pair's messages for the requested total rate.
    var pairInterval: UInt64 {
        options.rate > 0 ? UInt64(Double(options.workers / 2) / options.rate * 1_000_000_000) : 0
    }

    func start() {
        lws_set_log_level(Int32(LLL_ERR), nil)
        let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
        protocols[0] = lws_protocols(name: protocolName, callback: benchCallback, per_session_data_size: 0,
                                     rx_buffer_size: 4096, id: 0, user: nil, tx_packet_size: 0)
        protocols[1] = lws_protocols(name: nil, callback: nil, per_session_data_size: 0, rx_buffer_size: 0, id: 0,
                                     user: nil, tx_packet_size: 0)
        var info = lws_context_creation_info()
        info.port = -1
        info.protocols = UnsafePointer(protocols)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.timeout_secs = 60
        info.connect_timeout_secs = 30
        guard let loop = cwsb_ev_loop_new() else { fail("libev could not create an epoll event loop") }
        evLoop = loop
        let foreignLoops = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
        foreignLoops.pointee = UnsafeMutableRawPointer(loop)
        info.foreign_loops = foreignLoops
        info.options |= UInt64(LWS_SERVER_OPTION_LIBEV)
        guard let context = lws_create_context(&info) else { fail("cannot create the lws client context") }
        self.context = context
        let box = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<lws_sorted_usec_list_t>.stride + 8, alignment: 16)
        box.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<lws_sorted_usec_list_t>.stride)
        box.storeBytes(of: Unmanaged.passUnretained(self).toOpaque(),
                       toByteOffset: MemoryLayout<lws_sorted_usec_list_t>.stride, as: UnsafeMutableRawPointer.self)
        timer = box
        connectStarted = monotonicNanoseconds()
        armTimer()
        pumpConnections()
    }

    /// Arms the timer for the earliest due send, or in 50 ms when none is due, so the generator wakes only when it
    /// has something to do.
    func armTimer() {
        guard let context, let timer else { return }
        let now = monotonicNanoseconds()
        let next = dueSends.first.map { $0.time > now ? ($0.time - now) / 1000 : 0 } ?? 50_000
        lws_sul_schedule(context, 0, timer.assumingMemoryBound(to: lws_sorted_usec_list_t.self), benchTimer,
                         lws_usec_t(max(1, min(next, 50_000))))
    }

    func pumpConnections() {
        while connecting < options.connectBatch && nextToConnect < workers.count {
            let worker = workers[nextToConnect]
            nextToConnect += 1
            connecting += 1
            var info = lws_client_connect_info()
            info.context = context
            info.address = UnsafePointer(address)
            info.port = Int32(port)
            info.path = UnsafePointer(path)
            info.host = UnsafePointer(host)
            info.origin = UnsafePointer(host)
            info.ietf_version_or_minus_one = -1
            info.local_protocol_name = UnsafePointer(protocolName)
            info.userdata = Unmanaged.passUnretained(worker).toOpaque()
            if lws_client_connect_via_info(&info) == nil {
                connecting -= 1
                failures += 1
            }
        }
    }

    /// Queues a frame and requests a writable callback from lws. With `direct`, the frame is written at once when the
    /// worker has nothing queued and lws has buffered none of its earlier bytes, which saves the callback's two
    /// `epoll_ctl` calls and a loop turn. Only calls from outside lws's callbacks for the connection pass `direct`.
    func send(_ worker: Worker, _ text: String, direct: Bool = false) {
        let bytes = Array(text.utf8)
        if direct, let wsi = worker.wsi, !worker.closed, worker.outgoing.isEmpty, lws_partial_buffered(wsi) == 0 {
            if !writeFrame(wsi, bytes) {
                // Outside a callback no return value can close the connection, so lws closes it on its next turn.
                worker.closed = true
                lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            }
            return
        }
        worker.outgoing.append(bytes)
        if let wsi = worker.wsi { lws_callback_on_writable(wsi) }
    }

    /// Writes one text frame. Returns false when the connection failed.
    private func writeFrame(_ wsi: OpaquePointer, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            (writeBuffer + pre).update(from: buffer.baseAddress!, count: buffer.count)
        }
        return lws_write(wsi, writeBuffer + pre, bytes.count, LWS_WRITE_TEXT) >= bytes.count
    }

    // MARK: Events

    func established(_ worker: Worker, _ wsi: OpaquePointer) {
        worker.wsi = wsi
        connecting -= 1
        established += 1
        let seat = worker.seat
        send(worker, "{\"type\":\"join\",\"run\":\"\(seat.runId)\",\"hit\":\"\(seat.hitId)\",\"assignment\":\""
             + "\(seat.assignmentId)\",\"worker\":\"\(seat.workerId)\",\"conversation\":null,\"last_seq\":0}")
        pumpConnections()
    }

    func received(_ worker: Worker, _ frame: UnsafeRawBufferPointer) {
        if contains(frame, Pattern.sendCommand) {
            scheduleSend(worker)
        } else if contains(frame, Pattern.message) && contains(frame, Pattern.notOwn) {
            if let sentAt = number(after: Pattern.sendTime, in: frame), measuring {
                let now = monotonicNanoseconds()
                if now > sentAt { latencies.append(now - sentAt) }
                messagesInWindow += 1
            }
        } else if contains(frame, Pattern.changeConversation) && !worker.paired {
            worker.paired = true
            pairedCount += 1
            if pairedCount == workers.count { pairedAt = monotonicNanoseconds() }
        }
    }

    func scheduleSend(_ worker: Worker) {
        let pair = worker.index / 2
        let now = monotonicNanoseconds()
        let due = max(now, pairNextSend[pair] ?? now)
        pairNextSend[pair] = due + pairInterval
        let earliest = dueSends.first?.time
        pushDue((due, worker.index))
        if earliest == nil || due < earliest! { armTimer() }
    }

    /// Starts the paced sending. Each pair's first message is offset by its share of the pair interval, so the
    /// pairs' turns are spread evenly over time and the total rate is steady instead of arriving in bursts of one
    /// message per pair.
    func startSending() {
        let now = monotonicNanoseconds()
        let pairs = UInt64(max(1, workers.count / 2))
        let waiting = dueSends
        dueSends.removeAll(keepingCapacity: true)
        for entry in waiting {
            let pair = UInt64(entry.worker / 2)
            let first = now + pairInterval * pair / pairs
            pairNextSend[Int(pair)] = first + pairInterval
            pushDue((first, entry.worker))
        }
        sending = true
        armTimer()
    }

    func timerFired() {
        let now = monotonicNanoseconds()
        while let first = dueSends.first, first.time <= now {
            popDue()
            let worker = workers[first.worker]
            guard sending, !worker.closed else {
                // Not sending yet: try again shortly, so pairs start together when measuring begins.
                if !worker.closed { pushDue((now + 5_000_000, first.worker)) }
                break
            }
            worker.sent += 1
            send(worker, "{\"type\":\"message\",\"client_id\":\"\(worker.sent)\",\"text\":\"t=\(monotonicNanoseconds())\"}", direct: true)
        }
        armTimer()
    }

    func write(_ worker: Worker, _ wsi: OpaquePointer) -> Int32 {
        while !worker.outgoing.isEmpty {
            if !writeFrame(wsi, worker.outgoing.removeFirst()) { return -1 }
            // lws keeps what the socket did not take and must send it before anything else.
            if lws_partial_buffered(wsi) != 0 { break }
        }
        if !worker.outgoing.isEmpty { lws_callback_on_writable(wsi) }
        return 0
    }

    // MARK: Heap

    func pushDue(_ entry: (time: UInt64, worker: Int)) {
        dueSends.append(entry)
        var index = dueSends.count - 1
        while index > 0 {
            let parent = (index - 1) / 2
            guard dueSends[index].time < dueSends[parent].time else { break }
            dueSends.swapAt(index, parent)
            index = parent
        }
    }

    func popDue() {
        dueSends.swapAt(0, dueSends.count - 1)
        dueSends.removeLast()
        var index = 0
        while true {
            let left = 2 * index + 1
            let right = left + 1
            var smallest = index
            if left < dueSends.count && dueSends[left].time < dueSends[smallest].time { smallest = left }
            if right < dueSends.count && dueSends[right].time < dueSends[smallest].time { smallest = right }
            guard smallest != index else { break }
            dueSends.swapAt(index, smallest)
            index = smallest
        }
    }

    // MARK: Running

    func service(until deadline: UInt64, or condition: () -> Bool = { false }) {
        while monotonicNanoseconds() < deadline && !condition() {
            guard let evLoop else { break }
            cwsb_ev_run_once(evLoop)
        }
    }

    /// Sends a ping on every connection, so the server's heartbeat timeout does not close idle workers.
    func pingAll() {
        for worker in workers where !worker.closed && worker.wsi != nil {
            send(worker, "{\"type\":\"ping\"}", direct: true)
        }
    }

    private var nextToPing = 0

    /// Sends a ping on the next `fraction` of the connections, so that calling it every `interval × fraction`
    /// pings each worker once per interval. Pings spread this way, as real pages send them, instead of arriving as
    /// one burst of a ping per worker that would hold up the messages behind it.
    func pingShare(_ fraction: Double) {
        let count = max(1, Int((Double(workers.count) * fraction).rounded(.up)))
        for _ in 0..<count {
            let worker = workers[nextToPing]
            nextToPing = (nextToPing + 1) % workers.count
            if !worker.closed && worker.wsi != nil { send(worker, "{\"type\":\"ping\"}", direct: true) }
        }
    }
}

/// The parts of server frames the generator looks for, as bytes, so that matching allocates nothing.
private enum Pattern {
    static let sendCommand = Array(#""command":"send_message""#.utf8)
    static let message = Array(#""type":"message""#.utf8)
    static let notOwn = Array(#""own":false"#.utf8)
    static let sendTime = Array(#""text":"t="#.utf8)
    static let changeConversation = Array(#""command":"change_conversation""#.utf8)
}

/// Returns the offset just past the first occurrence of `pattern` in `frame`, or nil.
private func offset(after pattern: [UInt8], in frame: UnsafeRawBufferPointer) -> Int? {
    guard let base = frame.baseAddress, frame.count >= pattern.count else { return nil }
    return pattern.withUnsafeBytes { needle -> Int? in
        guard let found = cwsb_memmem(base, frame.count, needle.baseAddress, needle.count) else { return nil }
        return base.distance(to: UnsafeRawPointer(found)) + needle.count
    }
}

private func contains(_ frame: UnsafeRawBufferPointer, _ pattern: [UInt8]) -> Bool {
    offset(after: pattern, in: frame) != nil
}

/// Returns the decimal number right after `pattern` in `frame`, or nil.
private func number(after pattern: [UInt8], in frame: UnsafeRawBufferPointer) -> UInt64? {
    guard var index = offset(after: pattern, in: frame) else { return nil }
    var value: UInt64 = 0
    while index < frame.count, (48...57).contains(frame[index]) {
        value = value * 10 + UInt64(frame[index] - 48)
        index += 1
    }
    return value
}

private func benchCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else { return 0 }
    let bench = Unmanaged<Bench>.fromOpaque(owner).takeUnretainedValue()
    guard let user else { return 0 }
    let worker = Unmanaged<Worker>.fromOpaque(user).takeUnretainedValue()
    switch reason {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        bench.established(worker, wsi)
    case LWS_CALLBACK_CLIENT_RECEIVE:
        let complete = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0
        let piece = UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length)
        if complete && worker.receiveBuffer.isEmpty {
            // The usual case: the whole frame arrived in one piece, so it is matched where lws put it.
            bench.received(worker, piece)
        } else {
            worker.receiveBuffer.append(contentsOf: piece)
            if complete {
                worker.receiveBuffer.withUnsafeBytes { bench.received(worker, $0) }
                worker.receiveBuffer.removeAll(keepingCapacity: true)
            }
        }
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return bench.write(worker, wsi)
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if worker.wsi == nil {
            bench.connecting -= 1
            bench.failures += 1
            bench.pumpConnections()
        }
        worker.closed = true
    case LWS_CALLBACK_CLIENT_CLOSED:
        worker.closed = true
    default:
        break
    }
    return 0
}

private func benchTimer(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul else { return }
    let owner = UnsafeMutableRawPointer(sul).load(
        fromByteOffset: MemoryLayout<lws_sorted_usec_list_t>.stride, as: UnsafeMutableRawPointer.self)
    Unmanaged<Bench>.fromOpaque(owner).takeUnretainedValue().timerFired()
}

// MARK: - Main

func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
    return Double(sorted[max(0, index)]) / 1_000_000
}

func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
raiseFileLimit()
let stateURL = URL(fileURLWithPath: options.stateDirectory
    ?? NSTemporaryDirectory() + "chat-bench-\(UUID().uuidString.prefix(8))")
try? FileManager.default.createDirectory(at: stateURL, withIntermediateDirectories: true)
let taskDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("task/bench_chat")

let (server, port) = startServer(options, stateDirectory: stateURL, taskDirectory: taskDirectory)
log("serve-chat pid \(server.processIdentifier) on port \(port); state in \(stateURL.path)")
let setupStart = Date()
let seats: [Seat]
do {
    seats = try await createRun(options, stateDirectory: StateDirectory(url: stateURL), taskDirectory: taskDirectory,
                                port: port)
} catch {
    fail("cannot set up the run: \(error)")
}
log("created and accepted \(seats.count) HITs in \(String(format: "%.1f", Date().timeIntervalSince(setupStart))) s")

let idle = ProcessSample.read(pid: server.processIdentifier)
let bench = Bench(options: options, port: port, seats: seats)
bench.start()
let connectDeadline = monotonicNanoseconds() + 300_000_000_000
var lastPing = monotonicNanoseconds()
while monotonicNanoseconds() < connectDeadline && bench.pairedCount + bench.failures < seats.count {
    bench.service(until: monotonicNanoseconds() + 1_000_000_000) { bench.pairedCount + bench.failures >= seats.count }
    if monotonicNanoseconds() - lastPing > 5_000_000_000 {
        bench.pingAll()
        lastPing = monotonicNanoseconds()
    }
}
let connectSeconds = Double(monotonicNanoseconds() - bench.connectStarted) / 1e9
// Let the server settle before sampling its memory.
bench.service(until: monotonicNanoseconds() + 1_000_000_000)
let connected = ProcessSample.read(pid: server.processIdentifier)
log("\(bench.established) connected, \(bench.pairedCount) paired, \(bench.failures) failed in "
    + String(format: "%.1f", connectSeconds) + " s")

/// Services the connections until `deadline`, pinging every worker once per 5 s in 50 ms slices.
func serviceWithPings(_ bench: Bench, until deadline: UInt64) {
    while monotonicNanoseconds() < deadline {
        bench.service(until: min(deadline, monotonicNanoseconds() + 50_000_000))
        bench.pingShare(0.01)
    }
}

bench.startSending()
serviceWithPings(bench, until: monotonicNanoseconds() + UInt64(options.warmup * 1e9))
bench.measuring = true
bench.messagesInWindow = 0
bench.latencies.removeAll(keepingCapacity: true)
let serverBefore = ProcessSample.read(pid: server.processIdentifier)
let benchBefore = ProcessSample.read(pid: getpid())
let windowStart = monotonicNanoseconds()
let windowEnd = windowStart + UInt64(options.duration * 1e9)
serviceWithPings(bench, until: windowEnd)
bench.measuring = false
let windowSeconds = Double(monotonicNanoseconds() - windowStart) / 1e9
let serverAfter = ProcessSample.read(pid: server.processIdentifier)
let benchAfter = ProcessSample.read(pid: getpid())
let held = bench.workers.filter { !$0.closed && $0.wsi != nil }.count
bench.sending = false

server.terminate()
server.waitUntilExit()

let sorted = bench.latencies.sorted()
let messages = bench.messagesInWindow
let serverCPU = serverAfter.cpuSeconds - serverBefore.cpuSeconds
let benchCPU = benchAfter.cpuSeconds - benchBefore.cpuSeconds
let perWorkerKiB = Double(connected.residentKiB - idle.residentKiB) / Double(max(1, bench.pairedCount))
let report: [(String, String)] = [
    ("workers", "\(options.workers)"),
    ("connected and paired", "\(bench.pairedCount) in \(String(format: "%.1f", connectSeconds)) s"),
    ("connections held at the end", "\(held)"),
    ("target rate", options.rate > 0 ? "\(Int(options.rate)) msg/s" : "as fast as turns allow"),
    ("relayed messages", "\(messages) in \(String(format: "%.1f", windowSeconds)) s = "
        + String(format: "%.0f", Double(messages) / windowSeconds) + " msg/s"),
    ("relay latency p50", String(format: "%.2f ms", percentile(sorted, 0.50))),
    ("relay latency p99", String(format: "%.2f ms", percentile(sorted, 0.99))),
    ("relay latency max", String(format: "%.2f ms", percentile(sorted, 1.0))),
    ("serve-chat CPU per message", String(format: "%.1f µs", serverCPU / Double(max(1, messages)) * 1e6)
        + String(format: " (%.2f CPU-s in the window)", serverCPU)),
    ("chat-bench CPU in the window", String(format: "%.2f CPU-s", benchCPU)),
    ("serve-chat memory", "\(idle.residentKiB / 1024) MiB idle, \(connected.residentKiB / 1024) MiB with all "
        + "workers connected"),
    ("memory per connected worker", String(format: "%.1f KiB", perWorkerKiB)),
]
for (name, value) in report {
    print(name.padding(toLength: 30, withPad: " ", startingAt: 0) + value)
}
// A state directory that chat-bench made itself is removed after a run that got this far. One from --state-dir
// stays, and so does one left by a failed run, because it has serve-chat's log.
if options.stateDirectory == nil {
    try? FileManager.default.removeItem(at: stateURL)
}
