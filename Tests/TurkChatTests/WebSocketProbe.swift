import Foundation
@testable import TurkChat

/// A scripted WebSocket client in Python (`websockets`), for protocol tests: it runs a list of steps on one or
/// more connections and prints every frame it received and how each connection closed, as JSON.
///
/// Steps: `{"connect": "ws://..."}` opens connection number N (in order); `{"conn": N, "send": {...}}` sends a JSON
/// frame; `"send_raw"` sends text as it is; `"send_binary"` sends bytes; `{"conn": N, "until": {...}}` reads
/// frames until one has all the given fields; `{"conn": N, "wait_close": true}` reads until the server closes;
/// `{"conn": N, "close": true}` closes; `{"sleep": seconds}` pauses. A step that times out (20 s) ends the run.
let webSocketProbeScript = #"""
import asyncio, json, sys
import websockets

async def main():
    steps = json.loads(sys.argv[1])
    conns, frames, closes = [], [], {}
    async def read(index, match=None, until_close=False):
        socket = conns[index]
        while True:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=20)
            except websockets.ConnectionClosed as closed:
                code = getattr(closed, "code", None)
                reason = getattr(closed, "reason", None)
                if code is None and getattr(closed, "rcvd", None) is not None:
                    code, reason = closed.rcvd.code, closed.rcvd.reason
                closes[index] = {"code": code, "reason": reason}
                return
            frame = json.loads(raw) if isinstance(raw, str) else {"binary": True}
            frame["_conn"] = index
            frames.append(frame)
            if match is not None and all(frame.get(k) == v for k, v in match.items()):
                return
    try:
        for step in steps:
            index = step.get("conn", 0)
            if "connect" in step:
                conns.append(await websockets.connect(step["connect"], max_size=2**22, close_timeout=3))
            elif "send" in step:
                await conns[index].send(json.dumps(step["send"]))
            elif "send_raw" in step:
                await conns[index].send(step["send_raw"])
            elif "send_binary" in step:
                await conns[index].send(step["send_binary"].encode())
            elif "until" in step:
                await read(index, match=step["until"])
            elif "wait_close" in step:
                await read(index, until_close=True)
            elif "close" in step:
                await conns[index].close()
            elif "sleep" in step:
                await asyncio.sleep(step["sleep"])
    except asyncio.TimeoutError:
        frames.append({"_timeout": True})
    for socket in conns:
        await socket.close()
    print(json.dumps({"frames": frames, "closes": {str(k): v for k, v in closes.items()}}))

asyncio.run(main())
"""#

/// What the probe saw: decoded JSON (strings, numbers, arrays, dictionaries) that nothing mutates after creation,
/// so it may cross tasks.
struct ProbeResult: @unchecked Sendable {
    var frames: [[String: Any]]
    var closes: [String: [String: Any]]
    var stderr: String

    func frames(conn: Int) -> [[String: Any]] { frames.filter { $0["_conn"] as? Int == conn } }
    func closeCode(conn: Int) -> Int? { closes[String(conn)]?["code"] as? Int }
    var timedOut: Bool { frames.contains { $0["_timeout"] as? Bool == true } }
}

/// Runs the probe with `steps` and returns what it saw.
func runWebSocketProbe(_ steps: [[String: Any]], timeout: Double = 60) throws -> ProbeResult {
    guard let python = pythonWithWebSockets() else {
        throw ChatServerError("no python3 with the websockets package; install Debian's python3-websockets")
    }
    let stepsJSON = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
    let output = try runProcess(python, ["-c", webSocketProbeScript, stepsJSON], timeout: timeout)
    let object = (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any] ?? [:]
    return ProbeResult(frames: object["frames"] as? [[String: Any]] ?? [],
                       closes: object["closes"] as? [String: [String: Any]] ?? [:], stderr: output.stderr)
}

/// Accepts a HIT through the worker site's JSON route and returns the assignment id.
func acceptHIT(server: URL, hitId: String, workerId: String) throws -> String {
    let body = "{\"hit_id\":\"\(hitId)\",\"worker_id\":\"\(workerId)\"}"
    let output = try runProcess("/usr/bin/curl", ["-sS", "-X", "POST", "-H", "Content-Type: application/json",
                                                  "--data", body, server.absoluteString + "/api/accept"])
    let object = (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any] ?? [:]
    guard let assignmentId = object["assignment_id"] as? String else {
        throw ChatServerError("accept failed: \(output.stdout) \(output.stderr)")
    }
    return assignmentId
}

func webSocketURL(_ server: URL) -> String {
    server.absoluteString.replacingOccurrences(of: "http://", with: "ws://")
        .replacingOccurrences(of: "https://", with: "wss://") + "/ws"
}

func joinFrame(run: String, hit: String, assignment: String, worker: String, conversation: String? = nil,
               lastSeq: Int = 0) -> [String: Any] {
    ["type": "join", "run": run, "hit": hit, "assignment": assignment, "worker": worker,
     "conversation": conversation as Any? ?? NSNull(), "last_seq": lastSeq]
}
