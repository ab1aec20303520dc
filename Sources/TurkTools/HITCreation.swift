import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// The parts of a task directory that create-hits uses.
public struct TaskSummary: Sendable, Equatable {
    /// The task's name: its directory's name, such as `qa_data_collection`.
    public var name: String
    /// The absolute task directory.
    public var directory: URL
    /// The kind of chat task, which selects serve-chat's world.
    public var kind: String
    public var title: String
    public var description: String
    public var keywords: String?
    /// The reward from `task.json`, used when `--reward` is absent.
    public var reward: USD?
    public var assignmentDurationSeconds: Int
    public var lifetimeSeconds: Int
    public var autoApprovalDelaySeconds: Int
    /// The roles of one conversation's human workers.
    public var agentIds: [String]
    public var frameHeight: Int?
    /// The qualification serve-chat gives to workers the task excludes (a failed qualification test); the HITs
    /// require it not to exist.
    public var exclusionQualification: String?

    public init(
        name: String, directory: URL, kind: String, title: String, description: String, keywords: String? = nil,
        reward: USD? = nil, assignmentDurationSeconds: Int = 1_800, lifetimeSeconds: Int = 86_400,
        autoApprovalDelaySeconds: Int = 259_200, agentIds: [String], frameHeight: Int? = nil,
        exclusionQualification: String? = nil
    ) {
        self.name = name
        self.directory = directory
        self.kind = kind
        self.title = title
        self.description = description
        self.keywords = keywords
        self.reward = reward
        self.assignmentDurationSeconds = assignmentDurationSeconds
        self.lifetimeSeconds = lifetimeSeconds
        self.autoApprovalDelaySeconds = autoApprovalDelaySeconds
        self.agentIds = agentIds
        self.frameHeight = frameHeight
        self.exclusionQualification = exclusionQualification
    }
}

/// The outcome of creating (or finding) one HIT, printed as one line of text, or of JSON with `--json`.
public struct CreatedHIT: Codable, Sendable, Equatable {
    public var runId: String
    public var seq: Int
    public var hitId: String
    public var hitTypeId: String
    public var previewURL: String
    /// `created`, `recovered` (the token was already used, so the HIT existed) or `existing` (the ledger had it).
    public var outcome: String

    enum CodingKeys: String, CodingKey {
        case runId = "run_id"
        case seq
        case hitId = "hit_id"
        case hitTypeId = "hit_type_id"
        case previewURL = "preview_url"
        case outcome
    }

    /// The line for people: `3ABC…  created  run r2026…  seq 2  preview http://…`.
    public var textLine: String {
        "\(hitId)  \(outcome)  run \(runId)  seq \(seq)  preview \(previewURL)"
    }
}

/// Limits of MTurk's HIT fields that the 2017 API model does not encode. Sources: the legacy API documentation as
/// enforced by the MTurkR client (`CreateHIT.R`, `RegisterHITType.R`).
public enum HITLimits {
    public static let lifetime = 30...31_536_000
    public static let assignmentDuration = 30...31_536_000
    public static let autoApprovalDelay = 0...2_592_000
    public static let titleLength = 128
    public static let descriptionLength = 2_000
    public static let keywordsLength = 1_000
    public static let annotationLength = 255
    public static let qualificationRequirements = 10
}

/// Creates a run's HITs with a ledger row and a deterministic token before each call, so that a rerun after a crash
/// creates nothing twice.
public struct HITCreator: Sendable {
    public let context: ToolContext

    public init(context: ToolContext) {
        self.context = context
    }

    /// Returns the `UniqueRequestToken` of HIT `seq` of a run.
    public static func token(runId: String, seq: Int) -> String {
        RequestToken.derive(prefix: "hit", [runId, String(seq)])
    }

    /// Returns the `RequesterAnnotation` that names the run, so `delete-hits --account` can find HITs the ledger lost.
    public static func annotation(runId: String, seq: Int) -> String {
        "turkchat run=\(runId) seq=\(seq)"
    }

    /// Returns the ExternalQuestion URL of a run's HITs: `<server>/chat?run=<run id>`.
    public static func externalURL(serverURL: URL, runId: String) -> String {
        var components = URLComponents(url: serverURL, resolvingAgainstBaseURL: false) ?? URLComponents()
        var path = components.path
        if !path.hasSuffix("/") { path += "/" }
        components.path = path + "chat"
        components.queryItems = [URLQueryItem(name: "run", value: runId)]
        return components.string ?? serverURL.absoluteString + "/chat?run=" + runId
    }

    /// Returns the page where a person previews a HIT: serve-chat's worker site on the local target, MTurk's worker site
    /// (by HIT group) on sandbox and live.
    public static func previewURL(target: Target, serverURL: String?, hitId: String, hitTypeId: String) -> String {
        if let base = target.workerSubmitBase {
            return base.absoluteString + "/mturk/preview?groupId=" + hitTypeId
        }
        let server = (serverURL.flatMap(URL.init(string:))).map { url -> String in
            var text = url.absoluteString
            while text.hasSuffix("/") { text.removeLast() }
            return text
        } ?? "http://127.0.0.1:8080"
        return server + "/preview?hitId=" + hitId
    }

    /// Creates the HIT type of a run from its configuration and records its id.
    public func ensureHITType(run: RunRecord, config: RunConfig, requirements: [QualificationRequirement]) async throws
        -> String
    {
        if let existing = run.hitTypeId { return existing }
        let response = try await context.marketplace.createHITType(CreateHITTypeRequest(
            autoApprovalDelayInSeconds: Int64(config.autoApprovalDelaySeconds),
            assignmentDurationInSeconds: Int64(config.assignmentDurationSeconds),
            reward: config.reward, title: config.title, keywords: config.keywords, description: config.description,
            qualificationRequirements: requirements.isEmpty ? nil : requirements))
        guard let hitTypeId = response.hitTypeId else {
            throw ToolError("the marketplace created the HIT type of run \(run.id) but returned no HIT type id")
        }
        try context.runStore.setRunHITType(run.id, hitTypeId: hitTypeId)
        return hitTypeId
    }

    /// Creates (or recovers) the HIT of ledger row `seq` and returns it.
    ///
    /// The ledger row is written before the call. A duplicate-token error means an earlier attempt created the HIT,
    /// so its id is taken from the error message, or found by its annotation.
    public func createHIT(run: RunRecord, config: RunConfig, hitTypeId: String, seq: Int) async throws -> CreatedHIT {
        let token = Self.token(runId: run.id, seq: seq)
        let entry = try context.runStore.reserveHIT(run: run.id, seq: seq, token: token)
        if entry.state == .created || entry.state == .deleted, let hitId = entry.hitId {
            return made(run: run, seq: seq, hitId: hitId, hitTypeId: hitTypeId, outcome: "existing")
        }

        let question = ExternalQuestion(externalURL: config.externalURL, frameHeight: config.frameHeight)
        let request = CreateHITWithHITTypeRequest(
            hitTypeId: hitTypeId, maxAssignments: 1, lifetimeInSeconds: Int64(config.lifetimeSeconds),
            question: question.xml, requesterAnnotation: Self.annotation(runId: run.id, seq: seq),
            uniqueRequestToken: token)
        do {
            let response = try await context.marketplace.createHITWithHITType(request)
            guard let hitId = response.hit?.hitId else {
                throw ToolError("the marketplace created HIT \(seq) of run \(run.id) but returned no HIT id")
            }
            try context.runStore.markHITCreated(run: run.id, seq: seq, hitId: hitId)
            return made(run: run, seq: seq, hitId: hitId, hitTypeId: hitTypeId, outcome: "created")
        } catch let error as MTurkError where error.isDuplicateRequest {
            guard let hitId = try await recoverHITId(from: error, runId: run.id, seq: seq) else {
                throw ToolError(
                    "HIT \(seq) of run \(run.id) was created by an earlier attempt, but its id could not be found",
                    hint: "the marketplace said: \(error.message)")
            }
            try context.runStore.markHITCreated(run: run.id, seq: seq, hitId: hitId)
            return made(run: run, seq: seq, hitId: hitId, hitTypeId: hitTypeId, outcome: "recovered")
        } catch let error as MTurkError where !error.isRetryable {
            try? context.runStore.markHITFailed(run: run.id, seq: seq, error: error.description)
            throw error
        }
    }

    private func made(run: RunRecord, seq: Int, hitId: String, hitTypeId: String, outcome: String) -> CreatedHIT {
        CreatedHIT(
            runId: run.id, seq: seq, hitId: hitId, hitTypeId: hitTypeId,
            previewURL: Self.previewURL(target: context.target, serverURL: run.serverURL, hitId: hitId,
                                        hitTypeId: hitTypeId),
            outcome: outcome)
    }

    /// Finds the HIT that an earlier call with the same token created: first in the error message (MTurk writes
    /// `The HIT with ID "<id>" already exists.`), then among every HIT by its annotation.
    func recoverHITId(from error: MTurkError, runId: String, seq: Int) async throws -> String? {
        if let id = Self.quotedEntityId(in: error.message) {
            if let hit = try? await context.marketplace.getHIT(GetHITRequest(hitId: id)).hit, hit.hitId == id {
                return id
            }
        }
        let annotation = Self.annotation(runId: runId, seq: seq)
        return try await context.marketplace.allHITs().first { $0.requesterAnnotation == annotation }?.hitId
    }

    /// Returns the first double-quoted MTurk id in a message.
    static func quotedEntityId(in message: String) -> String? {
        let parts = message.split(separator: "\"", omittingEmptySubsequences: false)
        var index = 1
        while index < parts.count {
            let candidate = String(parts[index])
            if MTurkID.isEntityID(candidate) { return candidate }
            index += 2
        }
        return nil
    }
}
