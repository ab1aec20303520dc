import Foundation
import Testing
import TurkLocal
import TurkModel
@testable import TurkChat

extension ServerTests {
    @Suite struct WorkerSiteTests {
        func curl(_ arguments: [String]) throws -> (status: Int, headers: String, body: String) {
            let output = try runProcess("/usr/bin/curl", ["-sS", "-D", "-", "-o", "-"] + arguments)
            let parts = output.stdout.components(separatedBy: "\r\n\r\n")
            let headers = parts.first ?? ""
            let status = Int(headers.split(separator: " ").dropFirst().first ?? "") ?? 0
            return (status, headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
        }

        @Test func signInPageSuggestsAWorkerId() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let page = try curl([server.url.absoluteString + "/"])
            #expect(page.status == 200)
            #expect(page.body.contains("name=\"workerId\""))
            #expect(page.headers.lowercased().contains("x-content-type-options: nosniff"))
        }

        @Test func listAcceptPreviewAndSubmitThroughPages() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let base = server.url.absoluteString

            let list = try curl([base + "/?workerId=A1PAGEWORKER"])
            #expect(list.status == 200)
            #expect(list.body.contains("Ask and answer a question about a paragraph"))
            #expect(list.body.contains("$0.50"))
            #expect(list.body.contains("action=\"/accept\""))

            let preview = try curl([base + "/preview?hitId=\(run.hitIds[0])&workerId=A1PAGEWORKER"])
            #expect(preview.status == 200)
            #expect(preview.body.contains("assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE"))
            let coverPage = try curl([base + "/chat?run=\(run.runId)&assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&hitId=\(run.hitIds[0])"])
            #expect(coverPage.status == 200)
            #expect(coverPage.body.contains("data-preview=\"true\""))

            let accepted = try curl(["-X", "POST", "--data", "hitId=\(run.hitIds[0])&workerId=A1PAGEWORKER",
                                     base + "/accept"])
            #expect(accepted.status == 303)
            let location = try #require(accepted.headers.split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("location:") }.map { String($0.dropFirst("location:".count)) }?
                .trimmingCharacters(in: .whitespaces))
            let components = try #require(URLComponents(string: location))
            let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(query["run"] == run.runId)
            #expect(query["hitId"] == run.hitIds[0])
            #expect(query["workerId"] == "A1PAGEWORKER")
            #expect(query["turkSubmitTo"] == base)
            let assignmentId = try #require(query["assignmentId"])

            let taskPage = try curl([location])
            #expect(taskPage.status == 200)
            #expect(taskPage.body.contains("data-assignment=\"\(assignmentId)\""))
            #expect(taskPage.body.contains("action=\"\(base)/mturk/externalSubmit\""))
            #expect(taskPage.body.contains("id=\"return-form\""))

            let submitted = try curl([base + "/mturk/externalSubmit?assignmentId=\(assignmentId)&workerId=A1PAGEWORKER"
                                      + "&hitId=\(run.hitIds[0])&comment=great%20task"])
            #expect(submitted.status == 200)
            #expect(submitted.body.contains("was submitted"))
            #expect(submitted.body.contains("/?workerId=A1PAGEWORKER"))

            let marketplace = try LocalMarketplace(stateDirectory: server.stateDirectory, environment: [:])
            defer { marketplace.close() }
            let stored = try #require(try marketplace.workerAssignment(assignmentId: assignmentId,
                                                                       workerId: "A1PAGEWORKER"))
            #expect(stored.status == .submitted)
            let answers = try #require(stored.answer.flatMap(QuestionFormAnswers.init(xml:)))
            #expect(answers["comment"] == "great task")
            #expect(answers["hitId"] == run.hitIds[0])
            #expect(answers["assignmentId"] == nil)

            let again = try curl([base + "/mturk/externalSubmit?assignmentId=\(assignmentId)&workerId=A1PAGEWORKER"])
            #expect(again.status == 409)
            #expect(again.body.contains("already submitted"))
        }

        @Test func pagesHaveNoStyleAttributes() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let base = server.url.absoluteString
            // The Content-Security-Policy (style-src 'self') makes browsers ignore style attributes and elements.
            for path in ["/", "/?workerId=A1STYLE", "/preview?hitId=\(run.hitIds[0])&workerId=A1STYLE",
                         "/chat?run=\(run.runId)&assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&hitId=\(run.hitIds[0])",
                         "/nowhere"] {
                let page = try curl([base + path])
                #expect(page.body.contains("<html"), "\(path): \(page.body.prefix(200))")
                #expect(!page.body.contains(" style="), "\(path) has a style attribute")
                #expect(!page.body.contains("<style"), "\(path) has a style element")
            }
            #expect(try curl([base + "/preview?hitId=\(run.hitIds[0])"]).body.contains("class=\"task-frame\""))
        }

        @Test(arguments: [
            ("/?workerId=not-a-worker", 400),
            ("/?workerId=A1B2&workerId=A1B2", 400),
            ("/preview", 400),
            ("/preview?hitId=3NOSUCHHIT", 404),
            ("/chat?run=r1&assignmentId=3AAA&hitId=3BBB&workerId=A1B2%2CA1B2", 400),
            ("/chat?run=r1&assignmentId=3AAA&hitId=3BBB&workerId=A1B2&workerId=A1B2", 400),
            ("/chat?run=no%20such&assignmentId=3AAA&hitId=3BBB&workerId=A1B2", 400),
            ("/chat?run=rmissing&assignmentId=3AAA&hitId=3BBB&workerId=A1B2", 404),
            ("/mturk/externalSubmit", 400),
            ("/tasks/r1/../task.json", 404),
            ("/nowhere", 404),
        ])
        func badRequestsGetClearStatuses(path: String, status: Int) throws {
            let server = try RunningServer()
            defer { server.stop() }
            let response = try curl([server.url.absoluteString + path])
            #expect(response.status == status, "\(path): \(response.body)")
        }

        @Test func taskAssetsStayInsideTheHTMLFolder() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)
            let base = server.url.absoluteString
            let inside = try curl([base + "/tasks/\(run.runId)/task_description.html"])
            #expect(inside.status == 200)
            #expect(inside.body.contains("Your task"))
            for path in ["/tasks/\(run.runId)/../task.json", "/tasks/\(run.runId)/%2e%2e%2ftask.json",
                         "/tasks/\(run.runId)/data/PROVENANCE.md"] {
                let outside = try curl(["--path-as-is", base + path])
                #expect(outside.status == 404, "\(path) returned \(outside.status)")
                #expect(!outside.body.contains("qa_data_collection"))
            }
        }

        @Test func apiRejectsMalformedAccept() throws {
            let server = try RunningServer()
            defer { server.stop() }
            let response = try curl(["-X", "POST", "-H", "Content-Type: application/json",
                                     "--data", "{\"hit_id\": \"3ABC\", \"worker_id\": \"bad id\"}",
                                     server.url.absoluteString + "/api/accept"])
            #expect(response.status == 400)
            let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            let error = object?["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.contains("Invalid worker id") == true)
        }

        @Test func largeBodyIsRejected() throws {
            let server = try RunningServer { $0.limits.maxRequestBodyBytes = 1024 }
            defer { server.stop() }
            let response = try curl(["-X", "POST", "--data", String(repeating: "a", count: 5000),
                                     server.url.absoluteString + "/accept"])
            #expect(response.status == 413)
        }
    }
}
