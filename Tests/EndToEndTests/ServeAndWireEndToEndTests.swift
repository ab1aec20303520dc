import Foundation
import Testing
import TurkLocal
import TurkModel
import TurkStore

#if canImport(Glibc)
import Glibc
#endif

/// serve-chat as a process, the tools talking to it over MTurk's wire protocol, and the HTML report in a browser.
@Suite(.serialized) struct ServeAndWireEndToEndTests {
    /// Starts serve-chat on a free port and returns the process and the URL it printed first.
    func startServer(_ sandbox: ToolSandbox, json: Bool = false) async throws -> (Process, String) {
        let (process, output, error) = try sandbox.start("serve-chat", ["--port", "0"] + (json ? ["--json"] : []))
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, text.contains("\n") {
                return (process, String(line))
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop(process)
        let log = (try? String(contentsOf: error, encoding: .utf8)) ?? ""
        throw ProcessFailure("serve-chat printed no URL within 30 s: \(log)")
    }

    func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    @Test func serveChatPrintsItsURLFirst() async throws {
        let sandbox = try ToolSandbox()
        let (process, line) = try await startServer(sandbox)
        defer { stop(process) }
        #expect(line.hasPrefix("http://127.0.0.1:"))
        let port = Int(line.split(separator: ":").last ?? "") ?? 0
        #expect(port > 0)
        #expect(port != 8080)

        // The state directory takes one serve-chat at a time.
        stop(process)
        let (jsonProcess, jsonLine) = try await startServer(sandbox, json: true)
        defer { stop(jsonProcess) }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any])
        #expect((object["url"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
        #expect(object["target"] as? String == "local")
    }

    @Test func toolsRunThroughTheWireEndpoint() async throws {
        let sandbox = try ToolSandbox()
        let (process, url) = try await startServer(sandbox)
        defer { stop(process) }

        let created = try await sandbox.run(
            "create-hits", ["--endpoint-url", url, "--task", sandbox.taskDirectory.path, "-n", "2", "--server-url", url,
                            "--block-qualification", "wire-blocked", "--json"])
        #expect(created.status == 0, "\(created.standardError)")
        #expect(created.jsonLines.count == 2)
        let runId = try #require(created.jsonLines.first?["run_id"] as? String)

        let blocked = try await sandbox.run(
            "block", ["--endpoint-url", url, "soft-block", "--qualification", "wire-blocked", "A1WIRE"])
        #expect(blocked.status == 0, "\(blocked.standardError)")
        let unknown = try await sandbox.run("review", ["--endpoint-url", url, "--approve", "3NOSUCHASSIGNMENT"])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("not found"))

        let deleted = try await sandbox.run("delete-hits", ["--endpoint-url", url, "--run", runId, "--json"])
        #expect(deleted.status == 0, "\(deleted.standardError)")
        #expect(deleted.jsonLines.allSatisfy { ($0["outcome"] as? String) == "deleted" })
    }

    @Test func sandboxTargetNamesItsEndpointAndTheOtherEnvironment() async throws {
        let sandbox = try ToolSandbox()
        let (process, url) = try await startServer(sandbox)
        defer { stop(process) }
        // The local wire endpoint replaces MTurk's sandbox here, so the client signs with the local credentials.
        let credentials = [
            "AWS_ACCESS_KEY_ID": LocalMarketplace.accessKeyId, "AWS_SECRET_ACCESS_KEY": LocalMarketplace.secretAccessKey,
        ]
        let plainHTTP = try await sandbox.run(
            "create-hits", ["--target", "sandbox", "--endpoint-url", url, "--task", sandbox.taskDirectory.path,
                            "--server-url", "http://chat.example.org"], environment: credentials)
        #expect(plainHTTP.status == 64)
        #expect(plainHTTP.standardError.contains("HTTPS"))

        let created = try await sandbox.run(
            "create-hits", ["--target", "sandbox", "--endpoint-url", url, "--task", sandbox.taskDirectory.path,
                            "--server-url", "https://chat.example.org", "--json"], environment: credentials)
        #expect(created.status == 0, "\(created.standardError)")
        #expect(created.standardError.contains("target sandbox"))
        #expect(created.standardError.contains("endpoint \(url)"))
        let preview = try #require(created.jsonLines.first?["preview_url"] as? String)
        #expect(preview.hasPrefix("https://workersandbox.mturk.com/mturk/preview?groupId="))

        let unknown = try await sandbox.run(
            "review", ["--target", "sandbox", "--endpoint-url", url, "--approve", "3NOSUCHASSIGNMENT"],
            environment: credentials)
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("live"), "\(unknown.standardError)")
    }

    @Test func missingCredentialsListThePlacesLooked() async throws {
        let sandbox = try ToolSandbox()
        let result = try await sandbox.run(
            "block", ["--target", "sandbox", "--endpoint-url", "http://127.0.0.1:9", "list"],
            environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": ""])
        #expect(result.status == 1)
        #expect(result.standardError.contains("no AWS credentials found"), "\(result.standardError)")
    }

    @Test(.enabled(
        if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
        "needs /usr/bin/chromium from Debian's chromium package"))
    func reportOpensInChromiumWithTheHistogram() async throws {
        let sandbox = try ToolSandbox()
        let created = try await sandbox.run("create-hits", ["--task", sandbox.taskDirectory.path, "-n", "2", "--json"])
        let runId = try #require(created.jsonLines.first?["run_id"] as? String)
        let marketplace = try sandbox.marketplace()
        for (index, line) in created.jsonLines.enumerated() {
            let hitId = try #require(line["hit_id"] as? String)
            let assignment = try marketplace.acceptHIT(hitId: hitId, workerId: "A\(index + 1)WORKER")
            try marketplace.submitAssignment(assignmentId: assignment.assignmentId, workerId: "A\(index + 1)WORKER",
                                             answers: [])
        }
        marketplace.close()
        let report = sandbox.root.appendingPathComponent("report.html")
        let written = try await sandbox.run("review", ["--run", runId, "--report", report.path])
        #expect(written.status == 0, "\(written.standardError)")

        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        browser.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=\(sandbox.root.appendingPathComponent("chromium").path)",
            "--virtual-time-budget=2000", "--dump-dom", report.absoluteString,
        ]
        let dom = sandbox.root.appendingPathComponent("dom.html")
        FileManager.default.createFile(atPath: dom.path, contents: nil)
        browser.standardOutput = try FileHandle(forWritingTo: dom)
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        let deadline = Date().addingTimeInterval(60)
        while browser.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if browser.isRunning { kill(browser.processIdentifier, SIGKILL) }
        browser.waitUntilExit()

        let text = try String(contentsOf: dom, encoding: .utf8)
        #expect(text.contains("id=\"working-time-histogram\""), "chromium rendered: \(text.prefix(300))")
        #expect(text.contains("class=\"bar\""))
        #expect(text.contains("A2WORKER"))
    }
}
