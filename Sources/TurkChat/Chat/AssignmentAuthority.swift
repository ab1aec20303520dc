import Foundation

/// The outcome of checking that a worker holds an assignment.
enum AuthorityVerdict: Sendable, Equatable {
    case allowed
    /// The socket is closed with `code`, and `reason` gives the cause in one sentence.
    case rejected(code: UInt16, reason: String)
}

/// Decides whether the worker in a `join` message holds the assignment.
///
/// On the local target the local marketplace records every assignment, so the check is exact. On sandbox and live
/// serve-chat cannot ask MTurk who accepted an assignment before it is submitted, so it trusts the parameters that
/// MTurk put in the page URL; the engine then binds the assignment to the first worker id it sees.
///
/// `verify` may block (the local marketplace reads SQLite), so the engine calls it on a background queue.
protocol AssignmentAuthority: Sendable {
    func verify(runId: String, hitId: String, assignmentId: String, workerId: String) -> AuthorityVerdict
}

/// The authority for sandbox and live: every well-formed join is allowed here, and the engine's binding check
/// rejects a second worker on an assignment that another worker still holds.
struct TrustingAuthority: AssignmentAuthority {
    func verify(runId: String, hitId: String, assignmentId: String, workerId: String) -> AuthorityVerdict {
        .allowed
    }
}
