import Foundation
import Testing
@testable import TurkChat

/// Sends raw bytes to 127.0.0.1:`port` and returns what came back before the server closed the connection or
/// 10 seconds passed. Python writes the request in one `sendall`, so the server receives exactly these bytes.
func rawHTTPExchange(port: Int, request: String) throws -> String {
    let script = """
    import socket, sys
    s = socket.create_connection(("127.0.0.1", \(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        s.sendall(sys.stdin.buffer.read())
    except OSError:
        pass
    s.settimeout(10)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    sys.stdout.write(data.decode("latin-1"))
    """

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", script]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()

    input.fileHandleForWriting.write(Data(request.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

extension ServerTests {
    @Suite struct HTTPEdgeTests {
        @Test func redirectUsesStandardReasonPhrase() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let body = "hitId=\(run.hitIds[0])&workerId=A1REDIRECT"
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "POST /accept HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
            #expect(reply.hasPrefix("HTTP/1.1 303 See Other\r\n"), "\(reply.prefix(200))")
            #expect(reply.lowercased().contains("\r\nlocation: "))
        }

        @Test(arguments: [
            (400, "HTTP/1.1 400 Bad Request"), (404, "HTTP/1.1 404 Not Found"), (405, "HTTP/1.1 405 Method Not Allowed"),
        ])
        func errorStatusLinesAreStandard(status: Int, line: String) throws {
            let server = try RunningServer()
            defer { server.stop() }
            let request: String
            switch status {
            case 400: request = "GET /?workerId=bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            case 404: request = "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            default: request = "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            }
            let reply = try rawHTTPExchange(port: server.url.port!, request: request)
            #expect(reply.hasPrefix(line + "\r\n"), "\(reply.prefix(200))")
        }

        @Test func reasonPhrasesFollowTheRFCs() {
            #expect(httpReasonPhrase(303) == "See Other")
            #expect(httpReasonPhrase(413) == "Content Too Large")
            #expect(httpReasonPhrase(414) == "URI Too Long")
            #expect(httpReasonPhrase(431) == "Request Header Fields Too Large")
            #expect(httpReasonPhrase(599) == "")
        }

        @Test func longURLGets414AndOneLogLine() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let target = "/chat?run=" + String(repeating: "a", count: 10_000)
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 414 URI Too Long\r\n"), "\(reply.prefix(200))")
            let lines = server.logLines.all.filter { $0.contains("rejected a request") && $0.contains("status=414") }
            #expect(lines.count == 1, "\(server.logLines.all)")
        }

        @Test func largeHeaderFieldsGet431() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let cookie = String(repeating: "c", count: 9_000)
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: \(cookie)\r\nConnection: close\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "\(reply.prefix(200))")
            #expect(server.logLines.contains("status=431"))
        }

        @Test func oversizedHeaderIsLoggedOnce() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let header = String(repeating: "h", count: 100_000)
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(header)\r\nConnection: close\r\n\r\n")
            // libwebsockets 4.1.6 closes such a connection without a response, so only the log records why.
            #expect(reply.isEmpty || reply.hasPrefix("HTTP/1.1 431"), "\(reply.prefix(200))")
            try waitUntil { server.logLines.contains("exceed 16384 bytes") }
            let lines = server.logLines.all.filter { $0.contains("exceed 16384 bytes") }
            #expect(lines.count == 1, "\(server.logLines.all)")
            #expect(!server.logLines.contains("Ran out of header data space"))
        }

        @Test func nulInQueryIsLogged() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "GET /chat?run=a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            // Where libwebsockets lets a request with %00 through, the route returns 400; 4.1.6 closes it.
            #expect(reply.isEmpty || reply.hasPrefix("HTTP/1.1 400"), "\(reply.prefix(200))")
            try waitUntil { server.logLines.contains("malformed request") || server.logLines.contains("status=400") }
        }

        @Test func nulInSubmittedAnswerGets400() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let assignment = try acceptHIT(server: server.url, hitId: run.hitIds[0], workerId: "A1NULANSWER")
            let body = "assignmentId=\(assignment)&workerId=A1NULANSWER&comment=a%00b"
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "POST /mturk/externalSubmit HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
            #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(reply.prefix(200))")
            #expect(reply.contains("control character"))
            #expect(server.logLines.contains("rejected a submission with a control character"))
        }

        @Test func xmlTextCheckFindsControlCharacters() {
            #expect(isXMLText("tab\tnew line\ncarriage\r return, é and 😀"))
            #expect(!isXMLText("a\u{0}b"))
            #expect(!isXMLText("bell\u{7}"))
            #expect(!isXMLText("\u{FFFE}"))
        }

        @Test func postWithoutBodyIsAnswered() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let started = Date()
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), "\(reply.prefix(200))")
            #expect(Date().timeIntervalSince(started) < 5)
        }

        @Test func chunkedBodyGets411() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let reply = try rawHTTPExchange(port: server.url.port!, request:
                "POST /api/accept HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "2\r\n{}\r\n0\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 411 Length Required\r\n"), "\(reply.prefix(200))")
        }
    }
}

/// Polls `condition` every 20 ms for up to `timeout` seconds and fails when it never holds.
func waitUntil(timeout: Double = 5, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return }
        Thread.sleep(forTimeInterval: 0.02)
    }
    throw ChatServerError("condition not met within \(timeout) seconds")
}

extension ServerTests {
    /// A client that sends but never reads must not make the server buffer without end.
    @Suite struct SlowReaderTests {
        @Test func clientThatNeverReadsIsClosed() throws {
            let server = try RunningServer { $0.limits.maxQueuedOutputBytes = 256 * 1024 }
            defer { server.stop() }
            let port = try #require(server.url.port)
            // Raw WebSocket client: a small receive buffer, a handshake, then masked ping frames with long ids and
            // no reads, so the pongs pile up on the server.
            let script = """
            import base64, os, socket, struct, sys, time
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", \(port)))
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(("GET /ws HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
                       "Sec-WebSocket-Key: " + key + "\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n").encode())
            time.sleep(0.3)
            payload = ('{"type":"ping","id":"' + "x" * 900 + '"}').encode()
            mask = os.urandom(4)
            masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            frame = bytes([0x81, 0x80 | 126]) + struct.pack(">H", len(payload)) + mask + masked
            s.settimeout(5)
            try:
                for _ in range(3000):
                    s.sendall(frame)
            except OSError:
                pass
            time.sleep(1)
            """
            _ = try runProcess("/usr/bin/python3", ["-c", script], timeout: 60)
            let closed = waitUntil(seconds: 10) {
                server.logLines.contains("closing a WebSocket whose client reads too slowly")
            }
            #expect(closed, "\(server.logLines.all.suffix(20))")
        }
    }
}
