import Foundation
import TurkModel

/// How many HITs a run needs and what they cost.
///
/// Each HIT has one assignment, so one HIT is one seat in one conversation. The count is
///
///     base  = conversations × agents per conversation
///     total = base + ⌈base × over-recruit percent / 100⌉
///
/// Over-recruiting adds HITs for workers who accept and then return the HIT or disconnect. With
/// `--max-connections N` (N > 0), only `min(total, N)` HITs are open at first. The rest are recorded in the run's
/// configuration and opened later by `create-hits --run-id` (once) or `create-hits --follow` (as workers finish),
/// so the cost shown is still that of `total` HITs.
public struct HITPlan: Equatable, Sendable {
    public var conversations: Int
    public var agentsPerConversation: Int
    public var overRecruitPercent: Int
    /// HITs open at once; 0 means all of them at once.
    public var maxConnections: Int
    public var reward: USD

    public init(conversations: Int, agentsPerConversation: Int, overRecruitPercent: Int = 0, maxConnections: Int = 0,
                reward: USD) {
        self.conversations = conversations
        self.agentsPerConversation = agentsPerConversation
        self.overRecruitPercent = overRecruitPercent
        self.maxConnections = maxConnections
        self.reward = reward
    }

    /// Seats in all conversations.
    public var baseHITs: Int { conversations * agentsPerConversation }

    /// HITs added by over-recruiting.
    public var extraHITs: Int { (baseHITs * overRecruitPercent + 99) / 100 }

    /// Every HIT the run may create.
    public var totalHITs: Int { baseHITs + extraHITs }

    /// HITs created now.
    public var initialHITs: Int { maxConnections > 0 ? min(totalHITs, maxConnections) : totalHITs }

    /// MTurk's fee for one assignment of these one-assignment HITs.
    public var feePerAssignment: USD { MTurkFees.assignmentFee(reward: reward, maxAssignments: 1) }

    /// Rewards for every HIT the run may create.
    public var rewards: USD { reward * totalHITs }

    /// MTurk's fees for every HIT the run may create.
    public var fees: USD { feePerAssignment * totalHITs }

    /// The maximum cost of the run: every HIT done and approved.
    public var totalCost: USD { rewards + fees }

    /// Lines for people, such as `3 HITs × $0.50 reward = $1.50, fees $0.30 (20 %, at least $0.01 each), total $1.80`.
    public var costSummary: String {
        let plural = totalHITs == 1 ? "HIT" : "HITs"
        var text = "\(totalHITs) \(plural) × \(reward) reward = \(rewards), MTurk fees \(fees) "
        text += "(\(feePerAssignment) per assignment), total \(totalCost)"
        return text
    }
}
