import Dispatch
import Foundation

/// The outcome of checking that a worker holds an assignment.
enum AuthorityVerdict: Sendable, Equatable {
    case allowed
    /// The socket is closed with `code`, and `reason` gives the cause in one sentence.
    case rejected(code: UInt16, reason: String)
}

/// Decides whether the worker in a `join` message holds the assignment.
///
/// On the local target the local marketplace records every assignment, so `LocalAuthority`'s check is exact. On
/// sandbox and live MTurk names who accepted an assignment only once it is submitted, so `MarketplaceAuthority`
/// checks the HIT and the submitted assignments; the engine then binds the assignment to the first worker id that
/// joins it.
protocol AssignmentAuthority: Sendable {
    /// Checks a join and calls `completion` once with the verdict, on any thread.
    func check(runId: String, hitId: String, assignmentId: String, workerId: String,
               completion: @escaping @Sendable (AuthorityVerdict) -> Void)
}

/// An authority whose check blocks its thread for a short time, such as one that reads SQLite.
protocol BlockingAssignmentAuthority: AssignmentAuthority {
    func verify(runId: String, hitId: String, assignmentId: String, workerId: String) -> AuthorityVerdict
}

/// Runs blocking checks off the service thread. A check must not wait for a Swift task here: on Linux a concurrent
/// queue takes its threads from the same small pool that runs Swift's tasks, so waiting could starve that task.
private let blockingAuthorityQueue = DispatchQueue(label: "turkchat.authority", attributes: .concurrent)

extension BlockingAssignmentAuthority {
    func check(runId: String, hitId: String, assignmentId: String, workerId: String,
               completion: @escaping @Sendable (AuthorityVerdict) -> Void) {
        blockingAuthorityQueue.async {
            completion(verify(runId: runId, hitId: hitId, assignmentId: assignmentId, workerId: workerId))
        }
    }
}
