import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Finds a Python interpreter with the `websockets` package, which the scripted worker needs.
enum ScriptedWorkerPython {
    static let path: String? = {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] {
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: candidate)
            process.arguments = ["-c", "import websockets"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            process.waitUntilExit()
            if process.terminationStatus == 0 { return candidate }
        }
        return nil
    }()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/chat_worker.py").path
}

/// Scripted workers and serve-chat as processes in a sandbox.
extension ToolSandbox {
    struct FinishedWorker {
        var status: Int32
        var result: [String: Any]
        var standardError: String
    }

    /// Starts one scripted worker with its output going to files in the sandbox.
    func startWorker(_ arguments: [String]) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(ScriptedWorkerPython.path))
        process.arguments = [ScriptedWorkerPython.script] + arguments
        let id = UUID().uuidString.prefix(8)
        let output = root.appendingPathComponent("worker-\(id).out")
        let error = root.appendingPathComponent("worker-\(id).err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: error.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, output, error)
    }

    /// Waits up to 90 seconds for a worker and returns its exit status, its JSON result and its standard error.
    func finishWorker(_ started: (Process, URL, URL)) async throws -> FinishedWorker {
        let (process, output, error) = started
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ProcessFailure("chat_worker.py did not finish within 90 s")
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").last.map(String.init) ?? ""
        let result = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return FinishedWorker(status: process.terminationStatus, result: result,
                              standardError: (try? String(contentsOf: error, encoding: .utf8)) ?? "")
    }

    /// Starts serve-chat on a free port and returns the process and the URL it printed first.
    func startServer() async throws -> (Process, String) {
        let (process, output, error) = try start("serve-chat", ["--port", "0"])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, text.contains("\n") { return (process, String(line)) }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop(process)
        throw ProcessFailure("serve-chat printed no URL: \((try? String(contentsOf: error, encoding: .utf8)) ?? "")")
    }

    /// Stops a process with SIGTERM, or SIGKILL after 10 seconds.
    func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// The scripted worker `scripts/chat_worker.py` that the demo runs: several workers starting at once, and a
/// server that disappears in the middle of a chat.
@Suite(.serialized, .enabled(if: ScriptedWorkerPython.path != nil, "needs Debian's python3-websockets"))
struct ChatWorkerScriptTests {
    @Test func workersStartingTogetherEachGetAHIT() async throws {
        let sandbox = try ToolSandbox()
        let (server, url) = try await sandbox.startServer()
        defer { sandbox.stop(server) }
        let created = try await sandbox.run(
            "create-hits", ["--task", sandbox.taskDirectory.path, "-n", "4", "--server-url", url, "--json"])
        #expect(created.status == 0, "\(created.standardError)")
        let runId = try #require(created.jsonLines.first?["run_id"] as? String)

        // All four list the same open HITs at once, so all but one find their first choice taken.
        let workerIds = ["A1TOGETHER", "A2TOGETHER", "A3TOGETHER", "A4TOGETHER"]
        let started = try workerIds.map {
            try sandbox.startWorker(["--server", url, "--run", runId, "--worker-id", $0])
        }
        var hitIds: Set<String> = []
        for (workerId, worker) in zip(workerIds, started) {
            let finished = try await sandbox.finishWorker(worker)
            #expect(finished.status == 0, "\(workerId): \(finished.standardError)")
            #expect(finished.result["submitted"] as? Bool == true, "\(workerId): \(finished.result)")
            #expect(!finished.standardError.contains("Traceback"))
            if let hitId = finished.result["hit_id"] as? String { hitIds.insert(hitId) }
        }
        #expect(hitIds.count == 4)

        let late = try await sandbox.finishWorker(
            try sandbox.startWorker(["--server", url, "--run", runId, "--worker-id", "A5LATE"]))
        #expect(late.status == 1)
        let message = late.result["error"] as? String ?? ""
        #expect(message.contains("found no open HIT of run \(runId) that worker A5LATE can accept"), "\(message)")
    }

    /// A server that answers the HIT list, the accept call and one WebSocket join, then exits, so the worker's
    /// reconnects find nothing listening.
    static let vanishingServer = #"""
    import base64, hashlib, json, os, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send_json(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.startswith("/api/hits"):
                self.send_json({"hits": [{"hit_id": "3VANISHHIT", "can_accept": True,
                                          "external_url": "http://127.0.0.1/chat?run=R1"}]})
                return
            key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
            accept = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()
            self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
            frame = json.dumps({"type": "joined", "conversation": "C1"}).encode()
            self.wfile.write(bytes([0x81, len(frame)]) + frame)
            self.wfile.flush()
            time.sleep(0.3)
            os._exit(0)

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_json({"assignment_id": "3VANISHASSIGNMENT", "hit_id": "3VANISHHIT", "worker_id": "A1VANISH",
                            "task_url": "http://127.0.0.1/chat?run=R1"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    @Test func serverGoneMidChatIsAnErrorNotATraceback() async throws {
        let sandbox = try ToolSandbox()
        let mockPath = sandbox.root.appendingPathComponent("vanishing_server.py")
        try Data(Self.vanishingServer.utf8).write(to: mockPath)
        let mock = Process()
        mock.executableURL = URL(fileURLWithPath: try #require(ScriptedWorkerPython.path))
        mock.arguments = [mockPath.path]
        let portFile = sandbox.root.appendingPathComponent("port")
        _ = FileManager.default.createFile(atPath: portFile.path, contents: nil)
        mock.standardOutput = try FileHandle(forWritingTo: portFile)
        mock.standardError = FileHandle.nullDevice
        try mock.run()
        defer { sandbox.stop(mock) }
        var port = ""
        let deadline = Date().addingTimeInterval(20)
        while port.isEmpty && Date() < deadline {
            let text = (try? String(contentsOf: portFile, encoding: .utf8)) ?? ""
            port = text.trimmingCharacters(in: .whitespacesAndNewlines)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!port.isEmpty)

        let finished = try await sandbox.finishWorker(try sandbox.startWorker(
            ["--server", "http://127.0.0.1:\(port)", "--worker-id", "A1VANISH", "--timeout", "30"]))
        #expect(finished.status == 1)
        #expect(!finished.standardError.contains("Traceback"), "\(finished.standardError)")
        let message = finished.result["error"] as? String ?? ""
        #expect(message.contains("cannot reach the chat at ws://127.0.0.1:\(port)/ws"), "\(message)")
        #expect(finished.result["assignment_id"] as? String == "3VANISHASSIGNMENT")
    }
}
