import Foundation
import Testing
import TurkModel
@testable import TurkStore

@Suite struct RunStoreChatTests {}

// MARK: - Messages

extension RunStoreChatTests {
    @Test func messagesGetSequenceNumbers() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)
        let conversation = try store.createConversation(run: run.id, task: "qa")

        let first = try store.appendMessage(
            NewMessage(conversationId: conversation.id, messageId: "m1", senderAgentId: "Asker", text: "Who?"))
        let second = try store.appendMessage(
            NewMessage(conversationId: conversation.id, messageId: "m2", senderAgentId: "Answerer", text: "Me."))

        #expect(first.message.seq == 1)
        #expect(second.message.seq == 2)
        #expect(try store.messages(conversation: conversation.id).map(\.text) == ["Who?", "Me."])
        #expect(try store.messages(conversation: conversation.id, after: 1).map(\.messageId) == ["m2"])
        #expect(try store.messages(conversation: conversation.id, after: 2).isEmpty)
    }

    @Test func resentMessageIsStoredOnce() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)
        let conversation = try store.createConversation(run: run.id, task: "qa")
        let message = NewMessage(
            conversationId: conversation.id, messageId: "m1", senderAgentId: "Asker", workerId: "AW1",
            assignmentId: "3A1", text: "hello", extraJSON: #"{"task_field":1}"#, episodeDone: true)

        let stored = try store.appendMessage(message)
        let resent = try store.appendMessage(message)

        #expect(!stored.isDuplicate)
        #expect(resent.isDuplicate)
        #expect(resent.message == stored.message)
        #expect(stored.message.episodeDone)
        #expect(stored.message.extraJSON == #"{"task_field":1}"#)
        #expect(try store.messages(conversation: conversation.id).count == 1)
    }

    @Test func sameMessageIDInTwoConversations() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)
        let one = try store.createConversation(run: run.id, task: "qa")
        let two = try store.createConversation(run: run.id, task: "qa")

        let first = try store.appendMessage(NewMessage(conversationId: one.id, messageId: "m1", senderAgentId: "A", text: "x"))
        let second = try store.appendMessage(NewMessage(conversationId: two.id, messageId: "m1", senderAgentId: "A", text: "y"))

        #expect(!first.isDuplicate)
        #expect(!second.isDuplicate)
        #expect(second.message.seq == 1)
    }

    @Test func messageNeedsConversation() throws {
        let (store, _) = try makeStore()
        #expect(throws: RunStoreError.notFound(kind: "conversation", id: "c-missing")) {
            try store.appendMessage(NewMessage(conversationId: "c-missing", senderAgentId: "A", text: "x"))
        }
        #expect(throws: RunStoreError.self) {
            try store.appendMessage(NewMessage(conversationId: "c-missing", messageId: "", senderAgentId: "A", text: "x"))
        }
    }

    @Test func concurrentWritersGetDistinctSequenceNumbers() async throws {
        let (store, path) = try makeStore()
        let run = try addRun(store)
        let conversation = try store.createConversation(run: run.id, task: "qa")
        let other = try RunStore(path: path)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, instance) in [store, other].enumerated() {
                group.addTask {
                    for index in 0..<100 {
                        _ = try instance.appendMessage(NewMessage(
                            conversationId: conversation.id, messageId: "w\(writer)-\(index)", senderAgentId: "A\(writer)",
                            text: "\(index)"))
                        // Every fourth message is resent, as a client does after a lost acknowledgement.
                        if index % 4 == 0 {
                            let resent = try instance.appendMessage(NewMessage(
                                conversationId: conversation.id, messageId: "w\(writer)-\(index)",
                                senderAgentId: "A\(writer)", text: "\(index)"))
                            #expect(resent.isDuplicate)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }

        let messages = try store.messages(conversation: conversation.id)
        #expect(messages.count == 200)
        #expect(messages.map(\.seq) == Array(1...200))
        #expect(Set(messages.map(\.messageId)).count == 200)
    }
}

// MARK: - Conversations

extension RunStoreChatTests {
    @Test func conversationLifeCycle() throws {
        let clock = TestClock()
        let (store, _) = try makeStore(clock: clock)
        let run = try addRun(store)
        let conversation = try store.createConversation(
            id: "c1", run: run.id, task: "qa", taskDataJSON: #"{"paragraph_id":"p7"}"#)
        #expect(conversation.status == .waiting)
        #expect(try store.openConversations().map(\.id) == ["c1"])

        try store.setConversationStatus("c1", .active)
        #expect(try store.conversation(id: "c1")?.endedAt == nil)

        clock.advance(60)
        try store.setConversationStatus("c1", .done)
        try store.setConversationResult("c1", resultJSON: #"{"question":"Q","answer":"A"}"#)
        let ended = try #require(try store.conversation(id: "c1"))
        #expect(ended.endedAt == clock.now)
        #expect(ended.resultJSON == #"{"question":"Q","answer":"A"}"#)
        #expect(ended.taskDataJSON == #"{"paragraph_id":"p7"}"#)
        #expect(try store.openConversations(run: run.id).isEmpty)
        #expect(try store.conversations(run: run.id).count == 1)
    }
}

// MARK: - Assignments

extension RunStoreChatTests {
    @Test func reusedAssignmentIDKeepsBothWorkers() throws {
        let clock = TestClock()
        let (store, _) = try makeStore(clock: clock)
        let run = try addRun(store)
        try store.upsertAssignment(AssignmentRecord(
            assignmentId: "3ASSIGN", workerId: "AFIRST", hitId: "3HIT", runId: run.id, acceptedAt: clock.now))
        try store.setAssignmentStatus(assignmentId: "3ASSIGN", workerId: "AFIRST", .returned)

        clock.advance(30)
        try store.upsertAssignment(AssignmentRecord(
            assignmentId: "3ASSIGN", workerId: "ASECOND", hitId: "3HIT", runId: run.id, acceptedAt: clock.now))

        let rows = try store.assignments(id: "3ASSIGN")
        #expect(rows.map(\.workerId) == ["AFIRST", "ASECOND"])
        #expect(rows.map(\.status) == [.returned, .onboarding])
        #expect(try store.assignment(id: "3ASSIGN", workerId: "AFIRST")?.finishedAt == clock.now.addingTimeInterval(-30))
        #expect(try store.assignments(hitId: "3HIT").count == 2)
    }

    @Test func upsertKeepsAcceptTimeAndConversation() throws {
        let clock = TestClock()
        let (store, _) = try makeStore(clock: clock)
        let run = try addRun(store)
        let accepted = clock.now
        try store.upsertAssignment(AssignmentRecord(
            assignmentId: "3A", workerId: "AW", hitId: "3H", runId: run.id, acceptedAt: accepted))
        try store.setAssignmentConversation(assignmentId: "3A", workerId: "AW", conversationId: "c1", agentId: "Asker")

        clock.advance(10)
        let updated = try store.upsertAssignment(AssignmentRecord(
            assignmentId: "3A", workerId: "AW", hitId: "3H", status: .waiting, acceptedAt: clock.now))

        #expect(updated.acceptedAt == accepted)
        #expect(updated.conversationId == "c1")
        #expect(updated.agentId == "Asker")
        #expect(updated.runId == run.id)
        #expect(updated.status == .waiting)
        #expect(try store.assignments(conversation: "c1").map(\.workerId) == ["AW"])
        #expect(try store.assignments(workerId: "AW").count == 1)
        #expect(try store.assignments(run: run.id).count == 1)
    }

    @Test func disconnectsAreCountedOncePerDrop() throws {
        let clock = TestClock()
        let (store, _) = try makeStore(clock: clock)
        try store.upsertAssignment(AssignmentRecord(
            assignmentId: "3A", workerId: "AW", hitId: "3H", status: .inTask, acceptedAt: clock.now))

        try store.setAssignmentStatus(assignmentId: "3A", workerId: "AW", .disconnect)
        try store.setAssignmentStatus(assignmentId: "3A", workerId: "AW", .disconnect)
        let back = try store.setAssignmentStatus(assignmentId: "3A", workerId: "AW", .inTask)
        #expect(back.finishedAt == nil)
        clock.advance(3_600)
        let dropped = try store.setAssignmentStatus(assignmentId: "3A", workerId: "AW", .disconnect)

        #expect(dropped.disconnectCount == 2)
        #expect(try store.disconnectsInLastDay(workerId: "AW") == 2)
        clock.advance(86_400 - 1_800)
        #expect(try store.disconnectsInLastDay(workerId: "AW") == 1)
        #expect(throws: RunStoreError.self) {
            try store.setAssignmentStatus(assignmentId: "3A", workerId: "AOTHER", .done)
        }
    }
}

// MARK: - Worker statistics and review log

extension RunStoreChatTests {
    @Test func completedAndActiveCounts() throws {
        let clock = TestClock()
        let (store, _) = try makeStore(clock: clock)
        let first = try addRun(store, id: "r1", task: "qa")
        let second = try addRun(store, id: "r2", task: "qa")
        let other = try addRun(store, id: "r3", task: "dealnodeal")
        let plan: [(String, String, AssignmentLifecycle)] = [
            ("3A1", first.id, .done), ("3A2", first.id, .submitted), ("3A3", first.id, .disconnect),
            ("3A4", second.id, .done), ("3A5", other.id, .done), ("3A6", second.id, .inTask),
            ("3A7", other.id, .waiting),
        ]
        for (assignmentId, runId, status) in plan {
            try store.upsertAssignment(AssignmentRecord(
                assignmentId: assignmentId, workerId: "AW", hitId: "3H\(assignmentId)", runId: runId, status: status,
                acceptedAt: clock.now))
        }

        #expect(try store.completedAssignments(workerId: "AW", run: first.id) == 2)
        #expect(try store.completedAssignments(workerId: "AW", task: "qa") == 3)
        #expect(try store.completedAssignments(workerId: "AW", task: "dealnodeal") == 1)
        #expect(try store.activeAssignments(workerId: "AW") == 2)
        #expect(try store.activeAssignments(workerId: "ANOBODY") == 0)
    }

    @Test func workingSecondsAreClippedToTheUTCDay() throws {
        // 2026-12-04T23:00:00Z, one hour before midnight.
        let clock = TestClock(Date(timeIntervalSince1970: 1_796_425_200))
        let (store, _) = try makeStore(clock: clock)
        try store.upsertAssignment(AssignmentRecord(
            assignmentId: "3A1", workerId: "AW", hitId: "3H", status: .inTask, acceptedAt: clock.now))
        clock.advance(2 * 3_600)
        try store.setAssignmentStatus(assignmentId: "3A1", workerId: "AW", .done)
        try store.upsertAssignment(AssignmentRecord(
            assignmentId: "3A2", workerId: "AW", hitId: "3H2", status: .inTask, acceptedAt: clock.now))
        clock.advance(600)

        let firstDay = Date(timeIntervalSince1970: 1_796_425_200)
        #expect(try store.workingSeconds(workerId: "AW", day: firstDay) == 3_600)
        // One hour of the first assignment, and ten minutes of the second, which is still active.
        #expect(try store.workingSeconds(workerId: "AW", day: clock.now) == 3_600 + 600)
        #expect(try store.workingSeconds(workerId: "AW", day: firstDay.addingTimeInterval(-86_400)) == 0)
    }

    @Test func reviewLogKeepsEverySteps() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)
        try store.logReview(
            assignmentId: "3A", workerId: "AW", hitId: "3H", run: run.id, decision: .reject, feedback: "empty answer",
            outcome: "rejected")
        let override = try store.logReview(
            assignmentId: "3A", workerId: "AW", hitId: "3H", run: run.id, decision: .overrideRejection,
            outcome: "approved")

        let log = try store.reviewLog(assignmentId: "3A")
        #expect(log.map(\.decision) == [.reject, .overrideRejection])
        #expect(log[0].feedback == "empty answer")
        #expect(log[1] == override)
        #expect(try store.reviewLog(run: run.id).count == 2)
    }
}

// MARK: - Schema upgrade

/// Creates a run store file at schema `version` with run `r1` and the given SQL's rows, and returns its path.
private func makeOlderStore(version: Int, rows: String) throws -> String {
    let path = try makeTemporaryDirectory().appendingPathComponent("runs.sqlite").path
    let old = try SQLiteDatabase(path: path)
    defer { old.close() }
    try old.migrate(Array(RunStore.migrations.prefix(version)))
    try old.execute(
        """
        INSERT INTO runs (run_id, task_name, task_directory, task_kind, target, reward_cents, created_at, status)
        VALUES ('r1', 'qa', '/tasks/qa', 'qa_data_collection', 'local', 50, 0, 'open');
        """ + rows)
    return path
}

extension RunStoreChatTests {
    /// A version 2 file numbered messages with an index on (conversation_id, seq). Version 3 keeps a counter per
    /// conversation instead, so the upgrade must carry every message over and start each counter at its maximum.
    @Test func versionTwoMessagesAreUpgraded() throws {
        let path = try makeOlderStore(version: 2, rows: """
            INSERT INTO conversations (conversation_id, run_id, task, status, started_at)
            VALUES ('c1', 'r1', 'qa', 'active', 0), ('c2', 'r1', 'qa', 'active', 0), ('c3', 'r1', 'qa', 'waiting', 0);
            INSERT INTO messages (conversation_id, seq, message_id, sender_agent_id, worker_id, assignment_id, text,
                                  extra_json, episode_done, created_at)
            VALUES ('c1', 1, 'm1', 'Asker', 'AW1', '3A1', 'Who?', NULL, 0, 1),
                   ('c2', 1, 'm1', 'Asker', 'AW3', '3A3', 'Other', NULL, 0, 2),
                   ('c1', 2, 'm2', 'Answerer', 'AW2', '3A2', 'Me.', '{"k":1}', 1, 3);
            """)

        let store = try RunStore(path: path)
        defer { store.close() }
        #expect(try store.database.schemaVersion() == RunStore.schemaVersion)

        let carried = try store.messages(conversation: "c1")
        #expect(carried.map(\.seq) == [1, 2])
        #expect(carried.map(\.text) == ["Who?", "Me."])
        #expect(carried[1].extraJSON == #"{"k":1}"#)
        #expect(carried[1].episodeDone)
        #expect(try store.messages(conversation: "c2").map(\.text) == ["Other"])

        let next = try store.appendMessage(NewMessage(conversationId: "c1", messageId: "m3", senderAgentId: "Asker",
                                                      text: "Again?"))
        #expect(next.message.seq == 3)
        let resent = try store.appendMessage(NewMessage(conversationId: "c1", messageId: "m2", senderAgentId: "Answerer",
                                                        text: "Me."))
        #expect(resent.isDuplicate)
        #expect(resent.message.seq == 2)
        let first = try store.appendMessage(NewMessage(conversationId: "c3", messageId: "m1", senderAgentId: "Asker",
                                                       text: "Hi"))
        #expect(first.message.seq == 1)
    }

    /// Each stored message should change one index page, not two, so the messages table has a single index.
    @Test func messagesHaveOneIndex() throws {
        let (store, _) = try makeStore()
        let indexes = try store.database.query("SELECT name FROM pragma_index_list('messages')")
        #expect(indexes.count == 1)
    }
}

extension RunStoreChatTests {
    /// serve-chat of schema version 2 numbers messages with MAX(seq) + 1 and does not know the counters. When it
    /// still runs after another process upgraded the file, the trigger keeps the counters right.
    @Test func olderWriterKeepsCounterRight() throws {
        let (store, _) = try makeStore()
        let run = try addRun(store)
        let conversation = try store.createConversation(run: run.id, task: "qa")
        _ = try store.appendMessage(NewMessage(conversationId: conversation.id, messageId: "m1", senderAgentId: "A",
                                               text: "one"))
        try store.database.run(
            """
            INSERT INTO messages (conversation_id, seq, message_id, sender_agent_id, text, created_at)
            VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?1), 'm2', 'B', 'two', 0)
            """,
            [conversation.id])

        let next = try store.appendMessage(NewMessage(conversationId: conversation.id, messageId: "m3",
                                                      senderAgentId: "A", text: "three"))
        #expect(next.message.seq == 3)
        #expect(try store.messages(conversation: conversation.id).map(\.seq) == [1, 2, 3])
    }

    /// A version 3 file can hold counters behind the messages that such a writer stored. The upgrade to version 4
    /// sets them to each conversation's highest seq.
    @Test func versionThreeCountersAreRepaired() throws {
        let path = try makeOlderStore(version: 3, rows: """
            INSERT INTO conversations (conversation_id, run_id, task, status, started_at)
            VALUES ('c1', 'r1', 'qa', 'active', 0);
            INSERT INTO messages (conversation_id, seq, message_id, sender_agent_id, text, created_at)
            VALUES ('c1', 1, 'm1', 'A', 'one', 0), ('c1', 2, 'm2', 'B', 'two', 0);
            INSERT INTO message_counters (conversation_id, last_seq) VALUES ('c1', 1);
            """)

        let store = try RunStore(path: path)
        defer { store.close() }
        let next = try store.appendMessage(NewMessage(conversationId: "c1", messageId: "m3", senderAgentId: "A",
                                                      text: "three"))
        #expect(next.message.seq == 3)
    }
}
