import Foundation
import Testing
import TurkAWS
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkChat

extension ServerTests {
    @Suite struct ServerEndpointTests {
        @Test func wireEndpointServesSignedCalls() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let client = MTurkClient(configuration: MTurkClientConfiguration(
                endpoint: server.url, target: .local,
                credentials: AWSCredentials(accessKeyId: LocalMarketplace.accessKeyId,
                                            secretAccessKey: LocalMarketplace.secretAccessKey),
                log: { _ in }))
            let balance = try await client.getAccountBalance(GetAccountBalanceRequest())
            #expect(balance.availableBalance == "10000.00")
            let hitType = try await client.createHITType(CreateHITTypeRequest(
                assignmentDurationInSeconds: 600, reward: "0.25", title: "Wire test", description: "A HIT over the wire"))
            let created = try await client.createHITWithHITType(CreateHITWithHITTypeRequest(
                hitTypeId: try #require(hitType.hitTypeId), maxAssignments: 1, lifetimeInSeconds: 600,
                question: ExternalQuestion(externalURL: "https://example.invalid/chat?run=r1").xml))
            let hits = try await client.allHITs()
            #expect(hits.contains { $0.hitId == created.hit?.hitId })
        }

        @Test func wireEndpointRejectsBadSignature() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let client = MTurkClient(configuration: MTurkClientConfiguration(
                endpoint: server.url, target: .local,
                credentials: AWSCredentials(accessKeyId: LocalMarketplace.accessKeyId, secretAccessKey: "wrong-secret"),
                retry: RetryPolicy(maxAttempts: 1), log: { _ in }))
            await #expect(throws: MTurkError.self) {
                _ = try await client.getAccountBalance(GetAccountBalanceRequest())
            }
        }

        @Test func wireEndpointIsOffWhenDisabled() throws {
            let server = try RunningServer { $0.wireEndpointEnabled = false }
            defer { server.stop() }
            let output = try runProcess("/usr/bin/curl", [
                "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
                "X-Amz-Target: MTurkRequesterServiceV20170117.GetAccountBalance", "--data", "{}",
                server.url.absoluteString + "/"])
            #expect(output.stdout == "404")
        }

        @Test func tlsServesHTTPSAndWSS() async throws {
            let folder = try makeTemporaryDirectory()
            let certificate = folder.appendingPathComponent("cert.pem").path
            let key = folder.appendingPathComponent("key.pem").path
            let openssl = try runProcess("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            try #require(openssl.status == 0, "openssl failed: \(openssl.stderr)")

            let server = try RunningServer { configuration in
                configuration.tlsCertificatePath = certificate
                configuration.tlsKeyPath = key
            }
            defer { server.stop() }
            #expect(server.url.scheme == "https")
            let health = try runProcess("/usr/bin/curl", ["-sS", "--cacert", certificate, server.url.absoluteString + "/healthz"])
            #expect(health.stdout.contains("\"ok\""), "\(health.stderr)")
            let headers = try runProcess("/usr/bin/curl", ["-sS", "-I", "--cacert", certificate,
                                                           server.url.absoluteString + "/static/chat.js"])
            #expect(headers.stdout.lowercased().contains("content-security-policy: default-src 'self'"))

            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let worker = try runScriptedWorker(server: server.url, arguments: [
                "--worker-id", "A1TLSWORKER", "--run", run.runId, "--cafile", certificate])
            #expect(worker.status == 0, "\(worker.stderr)")
            #expect(worker.result["submitted"] as? Bool == true)
        }

        @Test func tlsWithUnreadableKeyFailsToStart() throws {
            #expect(throws: ChatServerError.self) {
                _ = try RunningServer { configuration in
                    configuration.tlsCertificatePath = "/nonexistent/cert.pem"
                    configuration.tlsKeyPath = "/nonexistent/key.pem"
                }
            }
        }

        @Test func portInUseFailsToStart() throws {
            let first = try RunningServer()
            defer { first.stop() }
            let error = #expect(throws: ChatServerError.self) {
                _ = try RunningServer { $0.port = first.url.port! }
            }
            #expect(error?.description.contains("port \(first.url.port!)") == true)
        }

        @Test func localhostListensOnLoopback() throws {
            let server = try RunningServer { $0.host = "localhost" }
            defer { server.stop() }
            #expect(server.url.host == "127.0.0.1")
            let health = try runProcess("/usr/bin/curl", ["-sS", server.url.absoluteString + "/healthz"])
            #expect(health.stdout.contains("ok"))
        }

        // None of these is bound or contacted: the address check rejects them before libwebsockets runs.
        @Test(arguments: ["999.1.1.1", "10.255.255.1", "example.invalid", "a b"])
        func addressNotOnThisMachineFailsToStart(host: String) throws {
            let error = #expect(throws: ChatServerError.self) {
                _ = try RunningServer { $0.host = host }
            }
            #expect(error?.description.contains(host) == true, "\(error?.description ?? "")")
        }

        @Test func listeningCheckFindsOnlyOwnSockets() throws {
            let server = try RunningServer()
            defer { server.stop() }
            #expect(ListenAddress.isListening(port: server.url.port!, address: "127.0.0.1"))
            #expect(!ListenAddress.isListening(port: server.url.port!, address: "::1"))
            #expect(!ListenAddress.isListening(port: 1, address: "127.0.0.1"))
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: ServeChatProcess.executable.path),
                       "build serve-chat first (swift build)"))
        func serveChatExitsOneOnForeignAddress() throws {
            let directory = try makeTemporaryDirectory()
            let output = try runProcess(ServeChatProcess.executable.path,
                                        ["--state-dir", directory.path, "--port", "0", "--host", "10.255.255.1"],
                                        timeout: 20)
            #expect(output.status == 1)
            #expect(output.stdout.isEmpty, "no URL may be printed: \(output.stdout)")
            #expect(output.stderr.contains("not an address of this machine"), "\(output.stderr)")
        }
    }
}
