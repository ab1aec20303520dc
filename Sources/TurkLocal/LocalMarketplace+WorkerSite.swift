import Foundation
import TurkModel
import TurkStore

// The worker side of the local marketplace: what MTurk's worker website does, for serve-chat's worker site.
// These calls are synchronous, because serve-chat calls them from its event loop.

/// A HIT in a worker's list, with what the worker's qualifications allow.
public struct WorkerHIT: Sendable, Equatable {
    public var hit: HIT
    /// Whether the worker meets the requirements that guard previewing.
    public var canPreview: Bool
    /// Whether the worker meets every requirement, so that `acceptHIT` will succeed while a slot is free.
    public var canAccept: Bool
}

/// One worker's hold on an assignment, in any status including those the requester API never shows.
public struct WorkerAssignment: Sendable, Equatable {
    public var assignmentId: String
    public var hitId: String
    public var workerId: String
    public var status: LocalAssignmentStatus
    public var acceptTime: Date
    /// The time by which the worker must submit: accept time plus the HIT's assignment duration.
    public var deadline: Date
    public var submitTime: Date?
    /// The QuestionFormAnswers XML, once submitted.
    public var answer: String?
}

/// The actions a qualification requirement can guard, from least to most restrictive.
enum WorkerAction: Int, Comparable {
    case discover
    case preview
    case accept

    static func < (lhs: WorkerAction, rhs: WorkerAction) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The least restrictive action a requirement guards. Without `ActionsGuarded`, a requirement guards accepting,
    /// or previewing too when the deprecated `RequiredToPreview` is set, as MTurk documents.
    init(guardedBy requirement: QualificationRequirement) {
        switch requirement.actionsGuarded {
        case .some(.discoverPreviewAndAccept): self = .discover
        case .some(.previewAndAccept): self = .preview
        case .some(.accept): self = .accept
        default: self = requirement.requiredToPreview == true ? .preview : .accept
        }
    }
}

extension LocalError {
    /// Returns an error of the worker side, worded for the person using the worker site.
    static func worker(_ message: String) -> MTurkError {
        .requestError(message)
    }
}

extension LocalMarketplace {
    // MARK: - Listing and previewing

    /// Returns the Assignable HITs a worker may work on, oldest first.
    ///
    /// A blocked worker gets an empty list. HITs the worker holds or has submitted are left out. With
    /// `includeUnqualified`, the list also has the HITs that MTurk would show to the worker but not let them
    /// accept (requirements that guard only accepting or previewing), and `canAccept` tells them apart.
    public func availableHITs(workerId: String, includeUnqualified: Bool = false) throws -> [WorkerHIT] {
        try write { now in
            try requireWorkerID(workerId)
            if try isBlocked(workerId) { return [] }
            // Open HITs with a free slot that the worker has not taken, in the order they were created.
            let rows = try HITRow.load(
                database,
                where: """
                    hits.disposed_at IS NULL AND hits.expiration > ?
                    AND hits.max_assignments > hits.pending + hits.submitted + hits.reviewed
                    AND NOT EXISTS (
                        SELECT 1 FROM assignments a WHERE a.hit_id = hits.hit_id AND a.worker_id = ?
                        AND a.status NOT IN ('Returned', 'Abandoned'))
                    ORDER BY hits.seq
                    """,
                [now, workerId])
            var result: [WorkerHIT] = []
            for row in rows where row.status(now) == .assignable {
                guard try permits(.discover, row, workerId: workerId) else { continue }
                let canAccept = try permits(.accept, row, workerId: workerId)
                guard canAccept || includeUnqualified else { continue }
                result.append(WorkerHIT(
                    hit: row.hit(now), canPreview: try permits(.preview, row, workerId: workerId),
                    canAccept: canAccept))
            }
            return result
        }
    }

    /// Returns a HIT for its preview page. Without a worker id, only HITs with no requirement guarding previews
    /// can be previewed, as for a visitor who is not signed in.
    public func previewHIT(hitId: String, workerId: String?) throws -> HIT {
        try write { now in
            guard MTurkID.isEntityID(hitId), let row = try loadHIT(hitId), row.disposedAt == nil else {
                throw LocalError.worker("HIT \(hitId) does not exist.")
            }
            if let workerId {
                try requireWorkerID(workerId)
                if try isBlocked(workerId) {
                    throw LocalError.worker("Worker \(workerId) is blocked by this requester and cannot see its HITs.")
                }
                guard try permits(.preview, row, workerId: workerId) else {
                    throw LocalError.worker(
                        "Worker \(workerId) does not meet the qualification requirements to preview HIT \(hitId).")
                }
            } else if row.qualificationRequirements.contains(where: { WorkerAction(guardedBy: $0) <= .preview }) {
                throw LocalError.worker("HIT \(hitId) has qualification requirements; sign in with a worker id to preview it.")
            }
            return row.hit(now)
        }
    }

    /// Returns whether a worker meets every requirement of a HIT that guards `action`.
    func permits(_ action: WorkerAction, _ row: HITRow, workerId: String) throws -> Bool {
        for requirement in row.qualificationRequirements where WorkerAction(guardedBy: requirement) <= action {
            if try !meets(requirement, workerId: workerId) { return false }
        }
        return true
    }

    // MARK: - Accept, submit, return

    /// Accepts a HIT for a worker and returns the new assignment, with Deadline = now + AssignmentDuration.
    ///
    /// The assignment id of a returned or abandoned slot of this HIT is used again when there is one, as MTurk does.
    /// Fails when the worker is blocked, does not meet the requirements, already holds or submitted an assignment
    /// of this HIT, or the HIT is not Assignable.
    public func acceptHIT(hitId: String, workerId: String) throws -> WorkerAssignment {
        try write { now in
            try requireWorkerID(workerId)
            guard MTurkID.isEntityID(hitId), let row = try loadHIT(hitId), row.disposedAt == nil else {
                throw LocalError.worker("HIT \(hitId) does not exist.")
            }
            if try isBlocked(workerId) {
                throw LocalError.worker("Worker \(workerId) is blocked by this requester and cannot accept its HITs.")
            }
            if let held = try database.queryOne(
                """
                SELECT assignment_id, status FROM assignments
                WHERE hit_id = ? AND worker_id = ? AND status NOT IN ('Returned', 'Abandoned')
                """,
                [hitId, workerId])
            {
                throw LocalError.worker(
                    "Worker \(workerId) already holds assignment \(held.string("assignment_id") ?? "?") of HIT "
                        + "\(hitId) (status \(held.string("status") ?? "?")); a worker can take a HIT only once.")
            }
            let status = row.status(now)
            guard status == .assignable else {
                throw LocalError.worker("HIT \(hitId) cannot be accepted: its status is \(status.rawValue).")
            }
            guard try permits(.accept, row, workerId: workerId) else {
                throw LocalError.worker(
                    "Worker \(workerId) does not meet the qualification requirements to accept HIT \(hitId).")
            }

            let assignmentId = try reusableAssignmentID(hitId: hitId) ?? Self.newEntityID()
            let deadline = now.addingTimeInterval(TimeInterval(row.assignmentDuration))
            try database.run(
                """
                INSERT INTO assignments (assignment_id, hit_id, worker_id, status, accept_time, deadline)
                VALUES (?, ?, ?, 'Accepted', ?, ?)
                """,
                [assignmentId, hitId, workerId, now, deadline])
            return WorkerAssignment(
                assignmentId: assignmentId, hitId: hitId, workerId: workerId, status: .accepted, acceptTime: now,
                deadline: deadline, submitTime: nil, answer: nil)
        }
    }

    /// Returns the id of a returned or abandoned slot of a HIT that no worker holds now, oldest first.
    private func reusableAssignmentID(hitId: String) throws -> String? {
        try database.queryOne(
            """
            SELECT assignment_id FROM assignments old
            WHERE old.hit_id = ? AND old.status IN ('Returned', 'Abandoned') AND NOT EXISTS (
                SELECT 1 FROM assignments live WHERE live.assignment_id = old.assignment_id
                AND live.status NOT IN ('Returned', 'Abandoned'))
            ORDER BY old.seq LIMIT 1
            """,
            [hitId])?.string("assignment_id")
    }

    /// Submits a worker's assignment with the fields of the submitted form.
    ///
    /// Every field except `assignmentId` becomes one answer of the QuestionFormAnswers document, in form order, as
    /// MTurk does for an ExternalQuestion. AutoApprovalTime is the submit time plus the HIT's auto-approval delay.
    /// Fails unless the worker holds the assignment in status Accepted and its deadline has not passed.
    @discardableResult
    public func submitAssignment(
        assignmentId: String, workerId: String, answers: [(name: String, value: String)]
    ) throws -> WorkerAssignment {
        try write { now in
            let row = try requireAcceptedAssignment(assignmentId, workerId: workerId, action: "submit", now)
            guard let hit = try loadHIT(row.hitId) else { throw LocalError.worker("HIT \(row.hitId) does not exist.") }
            let document = QuestionFormAnswers(
                answers: answers.filter { $0.name != "assignmentId" }.map { (identifier: $0.name, text: $0.value) })
            let autoApproval = now.addingTimeInterval(TimeInterval(hit.autoApprovalDelay))
            try database.run(
                """
                UPDATE assignments SET status = 'Submitted', submit_time = ?, auto_approval_time = ?, answer = ?
                WHERE seq = ?
                """,
                [now, autoApproval, document.xml, row.seq])
            var submitted = row.workerAssignment
            submitted.status = .submitted
            submitted.submitTime = now
            submitted.answer = document.xml
            return submitted
        }
    }

    /// Gives an accepted assignment back. Its slot becomes available again, and the next worker to accept the
    /// HIT gets the same assignment id.
    public func returnAssignment(assignmentId: String, workerId: String) throws {
        try write { now in
            let row = try requireAcceptedAssignment(assignmentId, workerId: workerId, action: "return", now)
            try database.run(
                "UPDATE assignments SET status = 'Returned', end_time = ? WHERE seq = ?", [now, row.seq])
        }
    }

    private func requireAcceptedAssignment(
        _ assignmentId: String, workerId: String, action: String, _ now: Date
    ) throws -> AssignmentRow {
        guard let row = try latestAssignment(assignmentId, workerId: workerId) else {
            throw LocalError.worker("Worker \(workerId) does not hold assignment \(assignmentId).")
        }
        switch row.status {
        case .accepted:
            return row
        case .abandoned:
            throw LocalError.worker(
                "Assignment \(assignmentId) cannot be \(action)ed: its deadline passed and it was abandoned.")
        case .returned:
            throw LocalError.worker("Assignment \(assignmentId) cannot be \(action)ed: worker \(workerId) returned it.")
        case .submitted, .approved, .rejected:
            throw LocalError.worker("Assignment \(assignmentId) cannot be \(action)ed: it was already submitted.")
        }
    }

    private func latestAssignment(_ assignmentId: String, workerId: String) throws -> AssignmentRow? {
        try database.queryOne(
            "SELECT * FROM assignments WHERE assignment_id = ? AND worker_id = ? ORDER BY seq DESC LIMIT 1",
            [assignmentId, workerId]
        ).map(AssignmentRow.init)
    }

    // MARK: - Lookups

    /// Returns a worker's latest hold on an assignment id in any status, or nil.
    public func workerAssignment(assignmentId: String, workerId: String) throws -> WorkerAssignment? {
        try write { _ in try latestAssignment(assignmentId, workerId: workerId)?.workerAssignment }
    }

    /// Returns the current hold on an assignment id (accepted, submitted or reviewed), or nil when it is free.
    public func currentAssignment(assignmentId: String) throws -> WorkerAssignment? {
        try write { _ in try liveAssignment(assignmentId)?.workerAssignment }
    }

    /// Returns every hold of a worker on any assignment, oldest first.
    public func workerAssignments(workerId: String) throws -> [WorkerAssignment] {
        try write { _ in
            try database.query("SELECT * FROM assignments WHERE worker_id = ? ORDER BY seq", [workerId])
                .map { try AssignmentRow($0).workerAssignment }
        }
    }

    /// Returns whether the requester has blocked a worker.
    public func isWorkerBlocked(workerId: String) throws -> Bool {
        try write { _ in try isBlocked(workerId) }
    }

    // MARK: - Worker locale

    /// Sets the locale that the locale qualification (`00000000000000000071`) compares for a worker.
    public func setWorkerLocale(workerId: String, _ locale: WorkerLocale) throws {
        try write { _ in
            try requireWorkerID(workerId)
            try database.run(
                """
                INSERT INTO workers (worker_id, locale_country, locale_subdivision) VALUES (?, ?, ?)
                ON CONFLICT (worker_id) DO UPDATE SET
                    locale_country = excluded.locale_country, locale_subdivision = excluded.locale_subdivision
                """,
                [workerId, locale.country.uppercased(), locale.subdivision?.uppercased()])
        }
    }

    /// Returns a worker's locale: the one set with `setWorkerLocale`, else `defaultWorkerLocale`.
    public func workerLocale(workerId: String) throws -> WorkerLocale {
        try write { _ in try workerLocale(workerId) }
    }

    func workerLocale(_ workerId: String) throws -> WorkerLocale {
        guard let row = try database.queryOne(
            "SELECT locale_country, locale_subdivision FROM workers WHERE worker_id = ?", [workerId]),
            let country = row.string("locale_country")
        else { return Self.defaultWorkerLocale }
        return WorkerLocale(country: country, subdivision: row.string("locale_subdivision"))
    }

    private func requireWorkerID(_ workerId: String) throws {
        guard MTurkID.isWorkerID(workerId) else {
            throw LocalError.worker(
                "Worker id '\(workerId)' is invalid: write A followed by upper-case letters and digits, such as "
                    + "A1B2C3D4E5F6G7.")
        }
    }
}
