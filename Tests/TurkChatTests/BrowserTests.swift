import Foundation
import Testing
import TurkStore
@testable import TurkChat

/// Drives headless Chromium through the DevTools protocol (over the `websockets` package): opens a URL, waits for
/// a condition, runs actions, and prints the values of the checks as JSON.
let chromiumDriverScript = #"""
import asyncio, json, os, subprocess, sys, tempfile, time, urllib.request
import websockets

chromium, url, config = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
profile = tempfile.mkdtemp(prefix="turkchat-chromium-")
process = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
result = {}
try:
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 30
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if time.monotonic() > deadline:
            raise SystemExit("chromium did not start its DevTools endpoint")
        time.sleep(0.1)
    port = open(port_file).read().split()[0]
    targets = json.loads(urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port).read())
    page = [t for t in targets if t["type"] == "page"][0]

    async def drive():
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=2**24) as socket:
            counter = [0]
            async def call(method, params=None):
                counter[0] += 1
                await socket.send(json.dumps({"id": counter[0], "method": method, "params": params or {}}))
                while True:
                    reply = json.loads(await socket.recv())
                    if reply.get("id") == counter[0]:
                        return reply
            async def evaluate(expression):
                reply = await call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
                return reply.get("result", {}).get("result", {}).get("value")
            async def wait_for(expression, seconds=20):
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    if await evaluate(expression):
                        return True
                    await asyncio.sleep(0.1)
                return False
            await call("Page.enable")
            await call("Page.navigate", {"url": url})
            for index, step in enumerate(config["steps"]):
                if "wait" in step:
                    result["wait%d" % index] = await wait_for(step["wait"])
                if "run" in step:
                    await evaluate(step["run"])
            for name, expression in config["checks"].items():
                result[name] = await evaluate(expression)
    asyncio.run(drive())
finally:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
print(json.dumps(result))
"""#

extension ServerTests {
    @Suite struct BrowserTests {
        static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }

        @Test(.enabled(if: chromium != nil, "Chromium is missing; install Debian's chromium package to run this test"))
        func chatPageShowsMarkupAsText() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let acceptance = try runProcess("/usr/bin/curl", [
                "-sS", "-X", "POST", "--data", "hitId=\(run.hitIds[0])&workerId=A1BROWSER",
                server.url.absoluteString + "/api/accept"])
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(acceptance.stdout.utf8)) as? [String: Any])
            let taskURL = try #require(object["task_url"] as? String)
            let python = try #require(pythonWithWebSockets(), "install Debian's python3-websockets")

            let markup = "<script>window.injected = 1</script><b>bold</b> & <img src=x onerror=\"window.injected=2\">"
            let markupLiteral = String(decoding: try JSONSerialization.data(withJSONObject: [markup]), as: UTF8.self)
            let config: [String: Any] = [
                "steps": [
                    ["wait": "document.getElementById('send-button') && !document.getElementById('send-button').disabled"],
                    ["run": "document.getElementById('message-input').value = \(markupLiteral)[0];"
                        + "document.getElementById('composer').requestSubmit();"],
                    ["wait": "document.querySelectorAll('#messages .message.own').length === 1"],
                ],
                "checks": [
                    "title": "document.querySelector('h1').textContent",
                    "paragraphShown": "document.querySelectorAll('#messages .message').length >= 1",
                    "ownText": "document.querySelector('#messages .message.own .text').textContent",
                    "markupElements": "document.querySelectorAll('#messages script, #messages b, #messages img').length",
                    "injected": "window.injected === undefined ? 0 : window.injected",
                ],
            ]
            let configJSON = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
            let output = try runProcess(python, ["-c", chromiumDriverScript, Self.chromium!, taskURL, configJSON],
                                        timeout: 90)
            let result = try #require(
                (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any],
                "driver output: \(output.stdout) \(output.stderr)")
            #expect(result["wait0"] as? Bool == true, "the page never enabled Send: \(result)")
            #expect(result["wait2"] as? Bool == true, "the message never showed as sent: \(result)")
            #expect(result["title"] as? String == "Ask and answer a question about a paragraph")
            #expect(result["paragraphShown"] as? Bool == true)
            #expect(result["ownText"] as? String == markup)
            #expect(result["markupElements"] as? Int == 0)
            #expect(result["injected"] as? Int == 0)

            server.stop()
            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let conversation = try #require(try store.conversations(run: run.runId).first)
            let stored = try store.messages(conversation: conversation.id).filter { $0.workerId == "A1BROWSER" }
            #expect(stored.map(\.text) == [markup])
        }
    }
}

extension ServerTests.BrowserTests {
    @Test(.enabled(if: chromium != nil, "Chromium is missing; install Debian's chromium package to run this test"))
    func dealPageShowsItemControls() async throws {
        let server = try RunningServer()
        defer { server.stop() }
        let task = repositoryRoot.appendingPathComponent("tasks/deal_or_no_deal")
        let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 2,
                                    conversations: 1, taskDirectory: task)
        let python = try #require(pythonWithWebSockets(), "install Debian's python3-websockets")
        let partnerAssignment = try acceptHIT(server: server.url, hitId: run.hitIds[1], workerId: "A1PARTNER")
        let acceptance = try runProcess("/usr/bin/curl", [
            "-sS", "-X", "POST", "--data", "hitId=\(run.hitIds[0])&workerId=A1DEALBROWSER",
            server.url.absoluteString + "/api/accept"])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(acceptance.stdout.utf8)) as? [String: Any])
        let taskURL = try #require(object["task_url"] as? String)

        // The partner joins from a script and takes its turns.
        let partner = BackgroundJob {
            try runChatDriver(url: server.url, workers: [[
                "join": joinFrame(run: run.runId, hit: run.hitIds[1], assignment: partnerAssignment,
                                  worker: "A1PARTNER"),
                "say": ["Hello, what do you need?", "Sounds fair."]]], timeout: 60, frameTimeout: 20)
        }
        let config: [String: Any] = [
            "steps": [
                ["wait": "document.querySelectorAll('#deal-panel .deal-item').length === 3"],
                ["wait": "!document.getElementById('send-button').disabled"],
                ["run": "document.getElementById('message-input').value = 'I would like the books.';"
                    + "document.getElementById('composer').requestSubmit();"],
                ["wait": "document.querySelectorAll('#messages .message.own').length === 1"],
            ],
            "checks": [
                "rows": "Array.from(document.querySelectorAll('#deal-panel .deal-item')).map(function (row) {"
                    + " return row.children[0].textContent + ':' + row.children[1].textContent + ':'"
                    + " + row.children[2].textContent; })",
                "agreeButton": "!!document.getElementById('deal-agreed')",
                "noAgreementButton": "!!document.getElementById('no-agreement')",
                "inputs": "document.querySelectorAll('#deal-panel input[type=number]').length",
                "description": "document.getElementById('task-description').textContent.includes('Negotiate a split')",
            ],
        ]
        let configJSON = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        let output = try runProcess(python, ["-c", chromiumDriverScript, Self.chromium!, taskURL, configJSON],
                                    timeout: 90)
        _ = try? partner.wait()
        let result = try #require(
            (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any],
            "driver output: \(output.stdout) \(output.stderr)")
        #expect(result["wait0"] as? Bool == true, "the deal panel never appeared: \(result)")
        let rows = try #require(result["rows"] as? [String])
        #expect(rows.map { $0.split(separator: ":").first.map(String.init) ?? "" } == ["book", "hat", "ball"])
        #expect(result["agreeButton"] as? Bool == true)
        #expect(result["noAgreementButton"] as? Bool == true)
        #expect(result["inputs"] as? Int == 3)
        #expect(result["description"] as? Bool == true)
        #expect(result["wait3"] as? Bool == true, "the browser's message was not acknowledged: \(result)")

        // The values shown are the browser worker's own values from the stored task data.
        server.stop()
        let store = try RunStore(stateDirectory: server.stateDirectory)
        defer { store.close() }
        let conversation = try #require(try store.conversations(run: run.runId).first)
        let taskData = try #require(JSONValue.parse(conversation.taskDataJSON))
        let agents = try store.assignments(conversation: conversation.id)
        let browserRole = try #require(agents.first { $0.workerId == "A1DEALBROWSER" }?.agentId)
        guard case .array(let values)? = taskData["values"]?[browserRole] else {
            Issue.record("no values for \(browserRole) in \(taskData.jsonText)")
            return
        }
        #expect(rows.map { String($0.split(separator: ":").last ?? "") } == values.map { String($0.intValue ?? -1) })
    }
}

extension ServerTests.BrowserTests {
    @Test(.enabled(if: chromium != nil, "Chromium is missing; install Debian's chromium package to run this test"))
    func previewFrameFillsThePage() async throws {
        let server = try RunningServer()
        defer { server.stop() }
        let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
        let python = try #require(pythonWithWebSockets(), "install Debian's python3-websockets")
        let url = server.url.absoluteString + "/preview?hitId=\(run.hitIds[0])&workerId=A1PREVIEW"
        let config: [String: Any] = [
            "steps": [["wait": "document.readyState === 'complete' && !!document.querySelector('iframe')"]],
            "checks": [
                "frameWidth": "Math.round(document.querySelector('iframe').getBoundingClientRect().width)",
                "frameHeight": "Math.round(document.querySelector('iframe').getBoundingClientRect().height)",
                "mainWidth": "Math.round(document.querySelector('main').getBoundingClientRect().width)",
            ],
        ]
        let configJSON = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        let output = try runProcess(python, ["-c", chromiumDriverScript, Self.chromium!, url, configJSON], timeout: 90)
        let result = try #require(
            (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any],
            "driver output: \(output.stdout) \(output.stderr)")
        let frameWidth = try #require(result["frameWidth"] as? Int, "\(result)")
        let mainWidth = try #require(result["mainWidth"] as? Int, "\(result)")
        // A frame that the CSP stripped of its size is the browser default, 300 by 150 pixels.
        #expect(result["frameHeight"] as? Int == 650, "\(result)")
        #expect(frameWidth >= mainWidth - 40, "\(result)")
        #expect(frameWidth > 300, "\(result)")
    }
}
