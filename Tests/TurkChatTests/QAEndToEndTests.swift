import Foundation
import Testing
import TurkLocal
import TurkModel
import TurkStore
@testable import TurkChat

extension ServerTests {
    @Suite struct QAEndToEndTests {
        @Test func scriptedWorkerCompletesQATask() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 1)

            let worker = try runScriptedWorker(server: server.url, arguments: ["--worker-id", "A1QAWORKER", "--run", run.runId])
            #expect(worker.status == 0, "chat_worker failed: \(worker.stderr)")
            #expect(worker.result["submitted"] as? Bool == true)
            #expect(worker.result["duplicates"] as? Int == 0)

            let store = try RunStore(stateDirectory: server.stateDirectory)
            defer { store.close() }
            let conversations = try store.conversations(run: run.runId)
            #expect(conversations.count == 1)
            let conversation = try #require(conversations.first)
            #expect(conversation.status == .done)
            let result = try #require(conversation.resultJSON.flatMap(JSONValue.parse))
            let paragraph = try #require(worker.result["paragraph"] as? String)
            #expect(result["context"]?.stringValue == paragraph)
            #expect(result["question"]?.stringValue?.hasPrefix("What does the paragraph say first about") == true)
            #expect(result["answer"]?.stringValue.map { paragraph.hasPrefix($0) } == true)

            let messages = try store.messages(conversation: conversation.id)
            #expect(messages.map(\.seq) == Array(1...messages.count))
            #expect(messages.count == 5)
            let workerMessages = messages.filter { $0.workerId == "A1QAWORKER" }
            #expect(workerMessages.count == 2)
            #expect(Set(messages.map(\.messageId)).count == messages.count)

            let assignment = try #require(try store.assignments(run: run.runId).first)
            #expect(assignment.status == .submitted)
            #expect(assignment.agentId == "Worker")

            let marketplace = try LocalMarketplace(stateDirectory: server.stateDirectory, environment: [:])
            defer { marketplace.close() }
            let stored = try #require(try marketplace.workerAssignment(assignmentId: assignment.assignmentId,
                                                                       workerId: "A1QAWORKER"))
            #expect(stored.status == .submitted)
            let answers = try #require(stored.answer.flatMap(QuestionFormAnswers.init(xml:)))
            #expect(answers["workerId"] == "A1QAWORKER")
            #expect(answers["assignmentId"] == nil)
        }

        /// With `countComplete`, a run stops pairing once enough conversations ended normally, counted as they end
        /// and not only when serve-chat loads the run.
        @Test func countCompleteStopsAfterCompletedConversation() async throws {
            let server = try RunningServer()
            defer { server.stop() }
            let run = try await makeRun(stateDirectory: server.stateDirectory, serverURL: server.url, hits: 3,
                                        conversations: 1) { $0.countComplete = true }
            let accepted = try acceptQAWorkers(server: server, run: run, hits: 0..<2, prefix: "A1COUNTED")
            let workers = try runChatDriver(url: server.url, workers: accepted.specs)
            for (index, worker) in workers.enumerated() {
                #expect(!worker.timedOut, "worker \(index)")
                #expect(worker.inactive?["show_done"] as? Bool == true, "worker \(index)")
            }

            let lateWorker = "A1COUNTEDLATE"
            let late = try acceptHIT(server: server.url, hitId: run.hitIds[2], workerId: lateWorker)
            let turnedAway = try rejoin(server: server, run: run, hit: 2, assignment: late, worker: lateWorker,
                                        untilClosed: true)
            let inactive = try #require(turnedAway.frames.last { $0["command"] as? String == "inactive" })
            #expect(inactive["text"] as? String == InactiveText.notAccepting)
        }
    }
}
