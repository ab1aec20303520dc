import Foundation
@testable import TurkChat

/// Several scripted workers in one Python process (`websockets`), each on its own WebSocket, replying to
/// `send_message` commands with texts from a list. For Deal or No Deal, a worker with `"take_all_but_last": true`
/// selects every item but the last kind after its first message, and one with `"take_last": true` only the last
/// kind. A worker with `"leave_after": n` closes its socket for good after n acknowledged messages. Each worker
/// stops at an `inactive` command.
let chatDriverScript = #"""
import asyncio, json, sys
import websockets

config = json.loads(sys.argv[1])

async def worker(spec):
    record = {"frames": [], "close": None, "inactive": None}
    texts = list(spec.get("say", []))
    acked = 0
    sent = 0
    counts = None
    try:
        async with websockets.connect(config["url"], close_timeout=2) as socket:
            await socket.send(json.dumps(spec["join"]))
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=config.get("timeout", 30)))
                record["frames"].append(frame)
                if frame.get("type") == "message" and (frame.get("data") or {}).get("counts"):
                    counts = frame["data"]["counts"]
                if frame.get("type") == "ack":
                    acked += 1
                    if spec.get("leave_after") and acked >= spec["leave_after"]:
                        return record
                if frame.get("type") != "command":
                    continue
                if frame["command"] == "inactive":
                    record["inactive"] = {"text": frame.get("text"), "show_done": frame.get("show_done")}
                    return record
                if frame["command"] == "send_message":
                    if counts is not None and sent >= 1 and (spec.get("take_all_but_last") or spec.get("take_last")):
                        take = [c if i < len(counts) - 1 else 0 for i, c in enumerate(counts)] \
                            if spec.get("take_all_but_last") else [0] * (len(counts) - 1) + [counts[-1]]
                        text = "<selection> " + " ".join("item%d=%d" % (i, n) for i, n in enumerate(take))
                    elif texts:
                        text = texts.pop(0)
                    else:
                        text = "message %d from %s" % (sent + 1, spec["join"]["worker"])
                    sent += 1
                    await socket.send(json.dumps({"type": "message", "client_id": "m%d" % sent, "text": text}))
    except websockets.ConnectionClosed as closed:
        code = getattr(closed, "code", None)
        if code is None and getattr(closed, "rcvd", None) is not None:
            code = closed.rcvd.code
        record["close"] = code
    except asyncio.TimeoutError:
        record["timeout"] = True
    return record

async def main():
    results = await asyncio.gather(*[worker(spec) for spec in config["workers"]])
    print(json.dumps({"workers": results}))

asyncio.run(main())
"""#

/// What one scripted worker saw. Holds decoded JSON only and is not mutated after creation.
struct DriverWorker: @unchecked Sendable {
    var frames: [[String: Any]]
    var close: Int?
    var inactive: [String: Any]?
    var timedOut: Bool

    var messages: [[String: Any]] { frames.filter { $0["type"] as? String == "message" } }
}

func runChatDriver(url: URL, workers: [[String: Any]], timeout: Double = 90, frameTimeout: Double = 30) throws
    -> [DriverWorker]
{
    guard let python = pythonWithWebSockets() else {
        throw ChatServerError("no python3 with the websockets package; install Debian's python3-websockets")
    }
    let config: [String: Any] = ["url": webSocketURL(url), "workers": workers, "timeout": frameTimeout]
    let json = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
    let output = try runProcess(python, ["-c", chatDriverScript, json], timeout: timeout)
    guard let object = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
          let results = object["workers"] as? [[String: Any]]
    else { throw ChatServerError("chat driver failed: \(output.stdout) \(output.stderr)") }
    return results.map { result in
        DriverWorker(frames: result["frames"] as? [[String: Any]] ?? [], close: result["close"] as? Int,
                     inactive: result["inactive"] as? [String: Any], timedOut: result["timeout"] as? Bool ?? false)
    }
}

/// Copies a shipped task directory to a temporary folder and changes keys of its task.json.
func copyTask(_ name: String, changes: [String: Any] = [:], settings: [String: Any] = [:]) throws -> URL {
    let source = repositoryRoot.appendingPathComponent("tasks/\(name)")
    let destination = try makeTemporaryDirectory().appendingPathComponent(name)
    try FileManager.default.copyItem(at: source, to: destination)
    let file = destination.appendingPathComponent("task.json")
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
    for (key, value) in changes { object[key] = value }
    var merged = object["settings"] as? [String: Any] ?? [:]
    for (key, value) in settings { merged[key] = value }
    object["settings"] = merged
    try JSONSerialization.data(withJSONObject: object).write(to: file)
    return destination
}
