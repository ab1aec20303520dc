import Foundation
import TurkModel

// Rows of the run store. Status values are stored as their raw strings, which are also what `--json` output and
// the HTML report show.

/// The life-cycle status of a run.
public enum RunStatus: String, Sendable, CaseIterable, Codable {
    /// create-hits is creating the run's HITs.
    case creating
    /// Every HIT of the run exists, and workers may be working on it.
    case active
    /// The run collected what it needed or was stopped. Its HITs may still need cleaning up.
    case finished
    /// delete-hits disposed of every HIT of the run.
    case deleted
}

/// One data collection run: one task, one HIT type, many HITs.
public struct RunRecord: Sendable, Equatable {
    /// Sortable id such as `r20261204T203000-3f9a`.
    public var id: String
    public var taskName: String
    /// Absolute path of the task directory.
    public var taskDirectory: String
    /// The kind of chat task, such as `qa_data_collection`.
    public var taskKind: String
    public var target: Target
    /// The marketplace endpoint URL, nil for the local marketplace without the wire endpoint.
    public var endpoint: String?
    /// The URL of serve-chat that the HITs' ExternalQuestion points at.
    public var serverURL: String?
    public var hitTypeId: String?
    public var reward: USD
    /// The whole run configuration as a JSON object: conversations wanted, agents per conversation, flags.
    public var configJSON: String
    public var createdAt: Date
    public var status: RunStatus

    public init(
        id: String, taskName: String, taskDirectory: String, taskKind: String, target: Target,
        endpoint: String? = nil, serverURL: String? = nil, hitTypeId: String? = nil, reward: USD,
        configJSON: String = "{}", createdAt: Date, status: RunStatus = .creating
    ) {
        self.id = id
        self.taskName = taskName
        self.taskDirectory = taskDirectory
        self.taskKind = taskKind
        self.target = target
        self.endpoint = endpoint
        self.serverURL = serverURL
        self.hitTypeId = hitTypeId
        self.reward = reward
        self.configJSON = configJSON
        self.createdAt = createdAt
        self.status = status
    }

    /// Decodes `configJSON` into a caller's configuration type.
    public func config<Config: Decodable>(as type: Config.Type) throws -> Config {
        try JSONDecoder().decode(type, from: Data(configJSON.utf8))
    }
}

/// The state of one HIT in the ledger.
public enum HITLedgerState: String, Sendable, CaseIterable, Codable {
    /// The row was written and the create call may or may not have reached the marketplace.
    case pending
    /// The marketplace returned the HIT id.
    case created
    /// The create call failed with an error that a retry with the same token will not fix.
    case failed
    /// delete-hits disposed of the HIT.
    case deleted
}

/// One HIT that a run intends to create, written before the create call so that a crash leaves a trace.
public struct HITLedgerEntry: Sendable, Equatable {
    public var runId: String
    /// The HIT's number within its run, from 1.
    public var seq: Int
    /// The `UniqueRequestToken` sent with every create call for this row.
    public var token: String
    public var state: HITLedgerState
    public var hitId: String?
    /// The last error, for `failed` rows and for a `deleted` row that failed before.
    public var error: String?
    /// When the row was written, before the first create call.
    public var reservedAt: Date
    /// When the marketplace confirmed the HIT.
    public var createdAt: Date?
    public var updatedAt: Date
}

/// The stage of serve-chat's life cycle that a worker has reached in one assignment.
public enum AssignmentLifecycle: String, Sendable, CaseIterable, Codable {
    case onboarding
    case waiting
    case inTask = "in task"
    case done
    case disconnect
    case partnerDisconnect = "partner disconnect"
    case expired
    case returned
    case submitted

    /// Whether the worker is still taking part (onboarding, waiting or in a conversation).
    public var isActive: Bool {
        self == .onboarding || self == .waiting || self == .inTask
    }

    /// The statuses that count as completed work for worker limits.
    public static let completed: [AssignmentLifecycle] = [.done, .submitted]
}

/// One worker's hold on one assignment. MTurk reuses an assignment id after a worker returns the HIT, so the key is
/// the assignment id together with the worker id.
public struct AssignmentRecord: Sendable, Equatable {
    public var assignmentId: String
    public var workerId: String
    public var hitId: String
    public var runId: String?
    /// The worker's role in the conversation, such as `Asker` or `Answerer`.
    public var agentId: String?
    public var conversationId: String?
    public var status: AssignmentLifecycle
    public var acceptedAt: Date
    /// When the assignment left the active statuses.
    public var finishedAt: Date?
    public var disconnectCount: Int
    public var updatedAt: Date

    public init(
        assignmentId: String, workerId: String, hitId: String, runId: String? = nil, agentId: String? = nil,
        conversationId: String? = nil, status: AssignmentLifecycle = .onboarding, acceptedAt: Date,
        finishedAt: Date? = nil, disconnectCount: Int = 0, updatedAt: Date? = nil
    ) {
        self.assignmentId = assignmentId
        self.workerId = workerId
        self.hitId = hitId
        self.runId = runId
        self.agentId = agentId
        self.conversationId = conversationId
        self.status = status
        self.acceptedAt = acceptedAt
        self.finishedAt = finishedAt
        self.disconnectCount = disconnectCount
        self.updatedAt = updatedAt ?? acceptedAt
    }
}

/// The status of a conversation.
public enum ConversationStatus: String, Sendable, CaseIterable, Codable {
    /// Created, waiting for its agents.
    case waiting
    case active
    /// Ended normally, by `episode_done` or by the task's world.
    case done
    /// A partner left and the others were told.
    case partnerDisconnect = "partner disconnect"
    /// Ended because a world or bot process failed.
    case failed
    /// Ended by a timeout.
    case expired

    /// Whether the conversation has ended.
    public var isFinal: Bool { self != .waiting && self != .active }
}

/// One conversation between agents.
public struct ConversationRecord: Sendable, Equatable {
    public var id: String
    public var runId: String
    public var task: String
    public var status: ConversationStatus
    public var startedAt: Date
    public var endedAt: Date?
    /// The data the task showed, as a JSON object (for QA: the paragraph id and context).
    public var taskDataJSON: String
    /// The result the task collected, as a JSON object, once known.
    public var resultJSON: String?
}

/// A message to append to a conversation.
public struct NewMessage: Sendable, Equatable {
    public var conversationId: String
    /// The sender's id for this message. A resent message keeps its id, so it is stored once.
    public var messageId: String
    public var senderAgentId: String
    public var workerId: String?
    public var assignmentId: String?
    public var text: String
    /// Task fields beyond the text, as a JSON object.
    public var extraJSON: String?
    public var episodeDone: Bool

    public init(
        conversationId: String, messageId: String = UUID().uuidString.lowercased(), senderAgentId: String,
        workerId: String? = nil, assignmentId: String? = nil, text: String, extraJSON: String? = nil,
        episodeDone: Bool = false
    ) {
        self.conversationId = conversationId
        self.messageId = messageId
        self.senderAgentId = senderAgentId
        self.workerId = workerId
        self.assignmentId = assignmentId
        self.text = text
        self.extraJSON = extraJSON
        self.episodeDone = episodeDone
    }
}

/// A stored message.
public struct MessageRecord: Sendable, Equatable {
    public var conversationId: String
    /// The message's position in its conversation: 1, 2, ...
    public var seq: Int
    public var messageId: String
    public var senderAgentId: String
    public var workerId: String?
    public var assignmentId: String?
    public var text: String
    public var extraJSON: String?
    public var episodeDone: Bool
    public var createdAt: Date
}

/// The result of `appendMessage`: the stored row, and whether this call stored it.
public struct AppendedMessage: Sendable, Equatable {
    public var message: MessageRecord
    /// True when a message with the same id was already stored, so this call changed nothing.
    public var isDuplicate: Bool
}

/// The state of one bonus payment in the ledger.
public enum BonusState: String, Sendable, CaseIterable, Codable {
    /// The row was written before the SendBonus call, which may or may not have reached the marketplace.
    case pending
    case paid
    /// SendBonus failed with an error that a retry with the same token will not fix.
    case failed
    /// The assignment is not submitted yet, so the bonus waits for a later run.
    case waiting
}

/// One bonus payment, keyed by its `UniqueRequestToken`.
public struct BonusRecord: Sendable, Equatable {
    public var token: String
    public var runId: String?
    public var workerId: String
    public var assignmentId: String
    public var amount: USD
    public var reason: String
    /// The CSV file and line the bonus came from.
    public var sourceFile: String?
    public var sourceLine: Int?
    public var state: BonusState
    /// The last error or waiting message.
    public var error: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var paidAt: Date?
}

/// The decision of one review step.
public enum ReviewDecision: String, Sendable, CaseIterable, Codable {
    case approve
    case reject
    /// Approval of a rejected assignment (OverrideRejection).
    case overrideRejection = "override"
    case skip
}

/// One review step, kept for the HTML report and for audits.
public struct ReviewLogEntry: Sendable, Equatable {
    public var id: Int64
    public var assignmentId: String
    public var workerId: String?
    public var hitId: String?
    public var runId: String?
    public var decision: ReviewDecision
    public var feedback: String?
    public var reviewedAt: Date
    /// The outcome, such as `approved`, `already approved` or the marketplace's error.
    public var outcome: String
}

/// An error from the run store that is not a SQLite error.
public enum RunStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No row with this id.
    case notFound(kind: String, id: String)
    /// A row exists with the same key but different contents.
    case conflict(String)
    /// A stored value that this build cannot read.
    case invalidValue(column: String, value: String)
    /// A value the caller passed that the store rejects.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .notFound(let kind, let id): return "\(kind) \(id) not found in the run store"
        case .conflict(let message): return message
        case .invalidValue(let column, let value): return "invalid value '\(value)' in column \(column) of the run store"
        case .invalidArgument(let message): return message
        }
    }
}
