import Foundation
import TurkModel
import TurkStore

/// A worker's hold on an assignment. MTurk gives a returned HIT's assignment id to the next worker, so the key is
/// the pair.
struct AssignmentKey: Hashable, CustomStringConvertible {
    var workerId: String
    var assignmentId: String

    var description: String { "\(workerId)/\(assignmentId)" }
}

/// One worker on one assignment, across reconnects. Lives on the service thread.
final class WorkerSession {
    let key: AssignmentKey
    let hitId: String
    let run: RunRuntime
    var status: AssignmentLifecycle
    /// The role in the current conversation, or `onboarding`/`waiting` before one.
    var agentId: String?
    /// Strong, so a worker who comes back after the conversation ended still gets its messages. The conversation
    /// keeps its members strongly too, so eviction sets this to nil to free both.
    var conversation: Conversation?
    /// The socket that joined last; nil while the worker is away.
    var socket: WebSocket?
    /// The last command that changes the page (send_message, show_done, inactive, wait), sent again on reconnect.
    var lastCommand: ServerFrame?
    /// Whether the world waits for this worker's message.
    var awaitingInput = false
    /// Client ids of this worker's messages being stored.
    var messagesInFlight: Set<String> = []
    var messagesSent = 0
    /// Assignments of this task the worker completed before this one, from the run store at join time.
    var completedBefore = 0
    /// The timer that checks `idleDeadline`, and the monotonic time by which the worker must send a message.
    var idleTimer: UInt64?
    var idleDeadline: Double?
    var graceTimer: UInt64?
    /// The stage of the session on its way out of memory once its assignment is finished.
    var eviction = SessionEvictionState.none
    let acceptedAt: Date

    init(key: AssignmentKey, hitId: String, run: RunRuntime, status: AssignmentLifecycle, acceptedAt: Date) {
        self.key = key
        self.hitId = hitId
        self.run = run
        self.status = status
        self.acceptedAt = acceptedAt
    }

    /// Sends a frame to the connected page. With `remember`, the frame is also kept as the last command, which a
    /// reconnecting page receives again.
    func deliver(_ frame: ServerFrame, remember: Bool) {
        if remember { lastCommand = frame }
        socket?.send(frame.data)
    }

    /// Sends frame bytes that were encoded already.
    func send(_ data: Data) {
        socket?.send(data)
    }

    var metadata: [String: String] {
        ["worker": key.workerId, "assignment": key.assignmentId, "run": run.id]
    }
}

/// A run that serve-chat serves: its stored record and configuration, the prepared task, and its waiting room.
final class RunRuntime {
    let record: RunRecord
    let config: RunConfig?
    let task: PreparedTask
    /// Workers waiting for partners, in arrival order.
    var waitingRoom: [WorkerSession] = []
    /// Conversations started (or, with `countComplete`, completed) so far, including those before a restart.
    var conversationsCounted: Int

    init(record: RunRecord, config: RunConfig?, task: PreparedTask, conversationsCounted: Int) {
        self.record = record
        self.config = config
        self.task = task
        self.conversationsCounted = conversationsCounted
    }

    var id: String { record.id }
    var agentIds: [String] { task.definition.agentIds }

    /// Whether the run still starts conversations; false once it has the conversations it wants.
    var isAcceptingWorkers: Bool {
        guard let wanted = config?.conversations, wanted > 0 else { return true }
        return conversationsCounted < wanted
    }
}

/// The text a page shows when its assignment is over, by status. `showDone` is true when the worker may submit.
enum InactiveText {
    static func forStatus(_ status: AssignmentLifecycle) -> (text: String, showDone: Bool) {
        switch status {
        case .done:
            return ("You have finished this task. Press Done to submit it.", true)
        case .partnerDisconnect:
            return ("Your partner left the conversation before it ended. This does not count against you: press "
                    + "Done to submit the work you did.", true)
        case .disconnect:
            return ("You were away from this conversation for too long, so it cannot be finished. Please return "
                    + "this HIT; you may accept a new one.", false)
        case .expired:
            return ("This assignment expired before it was finished. Please return this HIT; you may accept a new "
                    + "one.", false)
        case .returned:
            return ("You returned this HIT, so it can no longer be worked on. You may accept a new one.", false)
        case .submitted:
            return ("You have submitted this HIT. Thank you!", false)
        case .onboarding, .waiting, .inTask:
            return ("This assignment is still open.", false)
        }
    }

    static let idleTimeout =
        "You did not send a message for too long. Live chats cannot wait, so this assignment has expired: please "
        + "return this HIT. Frequent timeouts can lead to a block from these tasks."
    static let notAccepting =
        "This task has all the conversations it needs. Please return this HIT; thank you for your interest."
    static let serverStopping = "The chat server is restarting. This page reconnects by itself; please wait."
    /// Shown on a page that reconnects after its worker's message, while the others take their turns.
    static let waitingForTurn = "Waiting for your next turn…"

    /// Returns the status text while a worker is in the waiting room of a task with `agents` workers per
    /// conversation. A one-worker task leaves the waiting room at once, so it has no partner to wait for.
    static func waiting(agents: Int) -> String {
        switch agents {
        case ...1: return "Starting the task…"
        case 2: return "Waiting for a partner to join…"
        default: return "Waiting for \(agents - 1) other workers to join…"
        }
    }
    static let runUnavailable =
        "This task is not available right now because its set-up on the server is invalid. Please try again later "
        + "or return this HIT."
}
