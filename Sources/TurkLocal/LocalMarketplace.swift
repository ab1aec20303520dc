import Foundation
import TurkModel
import TurkStore

/// An offline marketplace that behaves like MTurk, kept in the state directory's `marketplace.sqlite`.
///
/// It implements the requester API (`Marketplace`) with MTurk's state rules, ids, errors and money, and the worker
/// side that MTurk's website provides (`availableHITs`, `acceptHIT`, `submitAssignment`, `returnAssignment`), which
/// serve-chat's worker site calls. Several processes may use one file at once: every operation is one
/// `BEGIN IMMEDIATE` transaction.
///
/// Time-driven changes are applied lazily at the start of every operation, using `clock`: accepted assignments past
/// their deadline are abandoned, and submitted assignments past their auto-approval time are approved and paid.
public final class LocalMarketplace: Marketplace {
    /// The access key id that the local wire endpoint accepts in SigV4 signatures. It is public and not secret:
    /// it only guards against pointing a tool at the local endpoint by mistake.
    public static let accessKeyId = "TURKCHATLOCALKEY"
    /// The secret access key that goes with `accessKeyId`.
    public static let secretAccessKey = "turkchat-local-secret-access-key"
    /// The region the local endpoint expects in signatures, the same as MTurk's.
    public static let region = "us-east-1"
    /// The environment variable that sets `throttleFraction`.
    public static let throttleEnvironmentVariable = LocalThrottle.environmentVariable
    /// The balance of a new marketplace file: $10,000.00, as in MTurk's sandbox.
    public static let startingBalance = USD(cents: 1_000_000)
    /// The locale of a worker who has not set one.
    public static let defaultWorkerLocale = WorkerLocale(country: "US")
    /// How long a `UniqueRequestToken` is remembered: 24 hours, as MTurk documents.
    public static let requestTokenLifetime: TimeInterval = 86_400
    /// How long after submission a rejection can be overridden: 30 days, as MTurk documents.
    public static let overrideRejectionWindow: TimeInterval = 30 * 86_400

    public let database: SQLiteDatabase
    /// The time source for every rule that depends on time. Tests pass a clock they can move.
    public let clock: @Sendable () -> Date
    /// The share of requests (0 to 1) that the local wire endpoint fails with `ThrottlingException`, for tests of
    /// retries. The marketplace itself ignores it.
    public let throttleFraction: Double

    /// Opens or creates the marketplace file at `path`.
    public init(path: String, clock: @escaping @Sendable () -> Date = { Date() }, throttleFraction: Double = 0) throws {
        guard (0...1).contains(throttleFraction) else {
            throw LocalConfigurationError(
                message: "invalid throttle fraction \(throttleFraction): expected a number from 0 to 1, such as 0.3")
        }
        database = try SQLiteDatabase(path: path)
        self.clock = clock
        self.throttleFraction = throttleFraction
        try database.migrate(LocalSchema.migrations)
    }

    /// Opens `marketplace.sqlite` in the state directory, creating the directory if needed, with the throttle
    /// fraction from `TURKCHAT_LOCAL_THROTTLE` in `environment`.
    public convenience init(
        stateDirectory: StateDirectory, environment: [String: String] = ProcessInfo.processInfo.environment,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        try stateDirectory.create()
        try self.init(
            path: stateDirectory.marketplacePath, clock: clock,
            throttleFraction: try Self.throttleFraction(environment: environment))
    }

    /// Reads `TURKCHAT_LOCAL_THROTTLE`: a number from 0 to 1, or 0 when the variable is unset or empty.
    /// - Throws: `LocalConfigurationError` whose message names the variable, the value and the accepted range.
    public static func throttleFraction(environment: [String: String]) throws -> Double {
        do {
            return try LocalThrottle.fraction(environment: environment)
        } catch {
            throw LocalConfigurationError(message: error.message)
        }
    }

    /// Closes the database file. Later calls fail.
    public func close() {
        database.close()
    }

    // MARK: - Ids

    /// Returns a new id in MTurk's form for HITs, HIT types, assignments and qualification types: 30 upper-case
    /// letters and digits, starting with `3` as MTurk's do.
    public static func newEntityID() -> String {
        "3" + randomAlphanumerics(29)
    }

    /// Returns a new worker id in MTurk's form: `A` and 13 upper-case letters and digits.
    public static func newWorkerID() -> String {
        "A" + randomAlphanumerics(13)
    }

    static func randomAlphanumerics(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }

    // MARK: - Transactions

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, after applying the changes that time has caused.
    ///
    /// SQLite failures become `ServiceFault`, which MTurk clients retry, because the usual cause is a lock held
    /// longer than the busy timeout by another process.
    func write<T>(_ body: (Date) throws -> T) throws -> T {
        let now = clock()
        do {
            return try database.transaction {
                try applyTimedChanges(now)
                return try body(now)
            }
        } catch let error as SQLiteError {
            throw MTurkError.serviceFault("the local marketplace database failed: \(error)")
        }
    }

    /// Abandons accepted assignments past their deadline, and approves and pays submitted assignments past their
    /// auto-approval time. Runs inside a transaction.
    func applyTimedChanges(_ now: Date) throws {
        try database.run(
            "UPDATE assignments SET status = 'Abandoned', end_time = deadline WHERE status = 'Accepted' AND deadline <= ?",
            [now])
        let due = try database.query(
            """
            SELECT assignments.assignment_id, assignments.worker_id, assignments.auto_approval_time,
                   hit_types.reward_cents, hits.max_assignments
            FROM assignments JOIN hits USING (hit_id) JOIN hit_types USING (hit_type_id)
            WHERE assignments.status = 'Submitted' AND assignments.auto_approval_time <= ?
            """,
            [now])
        for row in due {
            guard let assignmentId = row.string("assignment_id"), let workerId = row.string("worker_id"),
                  let approvedAt = row.date("auto_approval_time")
            else { continue }
            let reward = USD(cents: row.int64("reward_cents") ?? 0)
            let maxAssignments = row.int("max_assignments") ?? 1
            try database.run(
                """
                UPDATE assignments SET status = 'Approved', approval_time = ?
                WHERE assignment_id = ? AND status = 'Submitted'
                """,
                [approvedAt, assignmentId])
            try recordRewardPayment(
                assignmentId: assignmentId, workerId: workerId, reward: reward, maxAssignments: maxAssignments,
                at: approvedAt)
        }
    }

    func recordRewardPayment(assignmentId: String, workerId: String, reward: USD, maxAssignments: Int, at date: Date)
        throws
    {
        let fee = MTurkFees.assignmentFee(reward: reward, maxAssignments: maxAssignments)
        try database.run(
            "INSERT INTO payments (kind, assignment_id, worker_id, amount_cents, paid_at) VALUES (?, ?, ?, ?, ?)",
            ["reward", assignmentId, workerId, reward.cents, date])
        try database.run(
            "INSERT INTO payments (kind, assignment_id, worker_id, amount_cents, paid_at) VALUES (?, ?, ?, ?, ?)",
            ["reward fee", assignmentId, workerId, fee.cents, date])
    }
}

/// An invalid setting of the local marketplace, such as a throttle fraction outside 0 to 1.
public struct LocalConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// A worker's locale: MTurk's `Locale` shape, named apart from Foundation's `Locale`.
public typealias WorkerLocale = TurkModel.Locale
