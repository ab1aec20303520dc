import Foundation

/// A qualification type that a run uses, by name and by the id the marketplace gave it.
public struct NamedQualification: Codable, Sendable, Equatable {
    public var name: String
    public var id: String

    public init(name: String, id: String) {
        self.name = name
        self.id = id
    }
}

/// The settings of one run, stored as `RunRecord.configJSON` by create-hits and read by serve-chat (worker limits)
/// and by later `create-hits --run-id` calls, which also open the rest of a `--max-connections` run. Keys are snake case; fields that a later version
/// adds decode as their defaults from older rows.
public struct RunConfig: Codable, Sendable, Equatable {
    /// Conversations wanted (`-n`). They count when started, or when completed with `countComplete`.
    public var conversations: Int
    /// The agent ids (roles) of one conversation's human workers, such as `["Worker"]`.
    public var agentIds: [String]
    /// Extra HITs in percent of conversations × agents, for workers who return a HIT or disconnect.
    public var overRecruitPercent: Int
    /// Every HIT the run may create: conversations × agents plus the over-recruited ones.
    public var totalHITs: Int
    /// How many HITs may be open at once; 0 opens all of them at once.
    public var maxConnections: Int
    /// Whether only completed conversations count towards `conversations`.
    public var countComplete: Bool

    /// Whether a worker may complete at most one assignment (ParlAI's `--unique`).
    public var unique: Bool
    /// Completed assignments after which a worker gets `uniqueQualification`; 0 means no limit.
    public var maxHITsPerWorker: Int
    /// Assignments a worker may hold at once; 0 means no limit.
    public var allowedConversations: Int
    /// The qualification that keeps workers who reached their limit out; HITs require it not to exist.
    public var uniqueQualification: NamedQualification?
    /// Seconds a worker may work on this task per UTC day; 0 means no limit.
    public var maxTimeSeconds: Int
    /// The qualification given to workers over `maxTimeSeconds`; HITs require it not to exist.
    public var maxTimeQualification: NamedQualification?
    /// The soft block for workers who disconnect often; HITs require it not to exist.
    public var disconnectQualification: NamedQualification?
    /// Whether workers who disconnect often get a hard block (CreateWorkerBlock).
    public var hardBlock: Bool
    /// The requester's own soft block, given by `block --soft`; HITs require it not to exist.
    public var blockQualification: NamedQualification?
    /// The qualification that the task itself gives to workers it excludes, such as those who fail a qualification
    /// test; HITs require it not to exist.
    public var taskQualification: NamedQualification?

    public var title: String
    public var description: String
    public var keywords: String?
    /// The reward per assignment in MTurk's form, such as `0.50`.
    public var reward: String
    public var lifetimeSeconds: Int
    public var assignmentDurationSeconds: Int
    public var autoApprovalDelaySeconds: Int
    public var frameHeight: Int
    /// The ExternalQuestion URL of every HIT: serve-chat's `/chat?run=<run id>`.
    public var externalURL: String

    public init(
        conversations: Int, agentIds: [String], overRecruitPercent: Int = 0, totalHITs: Int, maxConnections: Int = 0,
        countComplete: Bool = false, unique: Bool = false, maxHITsPerWorker: Int = 0, allowedConversations: Int = 0,
        uniqueQualification: NamedQualification? = nil, maxTimeSeconds: Int = 0,
        maxTimeQualification: NamedQualification? = nil, disconnectQualification: NamedQualification? = nil,
        hardBlock: Bool = false, blockQualification: NamedQualification? = nil, title: String, description: String,
        keywords: String? = nil, reward: String, lifetimeSeconds: Int, assignmentDurationSeconds: Int,
        autoApprovalDelaySeconds: Int, frameHeight: Int = 650, externalURL: String
    ) {
        self.conversations = conversations
        self.agentIds = agentIds
        self.overRecruitPercent = overRecruitPercent
        self.totalHITs = totalHITs
        self.maxConnections = maxConnections
        self.countComplete = countComplete
        self.unique = unique
        self.maxHITsPerWorker = maxHITsPerWorker
        self.allowedConversations = allowedConversations
        self.uniqueQualification = uniqueQualification
        self.maxTimeSeconds = maxTimeSeconds
        self.maxTimeQualification = maxTimeQualification
        self.disconnectQualification = disconnectQualification
        self.hardBlock = hardBlock
        self.blockQualification = blockQualification
        self.title = title
        self.description = description
        self.keywords = keywords
        self.reward = reward
        self.lifetimeSeconds = lifetimeSeconds
        self.assignmentDurationSeconds = assignmentDurationSeconds
        self.autoApprovalDelaySeconds = autoApprovalDelaySeconds
        self.frameHeight = frameHeight
        self.externalURL = externalURL
    }

    enum CodingKeys: String, CodingKey {
        case conversations
        case agentIds = "agent_ids"
        case overRecruitPercent = "over_recruit_percent"
        case totalHITs = "total_hits"
        case maxConnections = "max_connections"
        case countComplete = "count_complete"
        case unique
        case maxHITsPerWorker = "max_hits_per_worker"
        case allowedConversations = "allowed_conversations"
        case uniqueQualification = "unique_qualification"
        case maxTimeSeconds = "max_time_seconds"
        case maxTimeQualification = "max_time_qualification"
        case disconnectQualification = "disconnect_qualification"
        case hardBlock = "hard_block"
        case blockQualification = "block_qualification"
        case taskQualification = "task_qualification"
        case title
        case description
        case keywords
        case reward
        case lifetimeSeconds = "lifetime_seconds"
        case assignmentDurationSeconds = "assignment_duration_seconds"
        case autoApprovalDelaySeconds = "auto_approval_delay_seconds"
        case frameHeight = "frame_height"
        case externalURL = "external_url"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        conversations = try container.decode(Int.self, forKey: .conversations)
        agentIds = try container.decodeIfPresent([String].self, forKey: .agentIds) ?? ["Worker"]
        overRecruitPercent = try container.decodeIfPresent(Int.self, forKey: .overRecruitPercent) ?? 0
        if let total = try container.decodeIfPresent(Int.self, forKey: .totalHITs) {
            totalHITs = total
        } else {
            let (product, overflow) = conversations.multipliedReportingOverflow(by: agentIds.count)
            guard !overflow else {
                throw DecodingError.dataCorruptedError(
                    forKey: .conversations, in: container,
                    debugDescription: "\(conversations) conversations of \(agentIds.count) agents is too many HITs")
            }
            totalHITs = product
        }
        maxConnections = try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? 0
        countComplete = try container.decodeIfPresent(Bool.self, forKey: .countComplete) ?? false
        unique = try container.decodeIfPresent(Bool.self, forKey: .unique) ?? false
        maxHITsPerWorker = try container.decodeIfPresent(Int.self, forKey: .maxHITsPerWorker) ?? 0
        allowedConversations = try container.decodeIfPresent(Int.self, forKey: .allowedConversations) ?? 0
        uniqueQualification = try container.decodeIfPresent(NamedQualification.self, forKey: .uniqueQualification)
        maxTimeSeconds = try container.decodeIfPresent(Int.self, forKey: .maxTimeSeconds) ?? 0
        maxTimeQualification = try container.decodeIfPresent(NamedQualification.self, forKey: .maxTimeQualification)
        disconnectQualification = try container.decodeIfPresent(
            NamedQualification.self, forKey: .disconnectQualification)
        hardBlock = try container.decodeIfPresent(Bool.self, forKey: .hardBlock) ?? false
        blockQualification = try container.decodeIfPresent(NamedQualification.self, forKey: .blockQualification)
        taskQualification = try container.decodeIfPresent(NamedQualification.self, forKey: .taskQualification)
        title = try container.decodeIfPresent(String.self, forKey: .title) ?? ""
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        keywords = try container.decodeIfPresent(String.self, forKey: .keywords)
        reward = try container.decodeIfPresent(String.self, forKey: .reward) ?? "0.00"
        lifetimeSeconds = try container.decodeIfPresent(Int.self, forKey: .lifetimeSeconds) ?? 0
        assignmentDurationSeconds = try container.decodeIfPresent(Int.self, forKey: .assignmentDurationSeconds) ?? 0
        autoApprovalDelaySeconds = try container.decodeIfPresent(Int.self, forKey: .autoApprovalDelaySeconds) ?? 0
        frameHeight = try container.decodeIfPresent(Int.self, forKey: .frameHeight) ?? 650
        externalURL = try container.decodeIfPresent(String.self, forKey: .externalURL) ?? ""
    }

    /// Encodes the configuration as a JSON object with sorted keys, for `RunRecord.configJSON`.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
