import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// The environment of a command: its console, the marketplace, the run store and the clock.
public struct ToolContext: Sendable {
    public var console: Console
    public var marketplace: any Marketplace
    public var target: Target
    /// The marketplace's endpoint, or nil for the local marketplace called in-process.
    public var endpoint: URL?
    public var stateDirectory: StateDirectory
    public var runStore: RunStore
    public var environment: [String: String]
    public var clock: @Sendable () -> Date
    /// Whether `--json` asked for JSON Lines on standard output.
    public var json: Bool
    /// Whether `--yes` skips confirmations.
    public var assumeYes: Bool

    public init(
        console: Console, marketplace: any Marketplace, target: Target, endpoint: URL?,
        stateDirectory: StateDirectory, runStore: RunStore, environment: [String: String],
        clock: @escaping @Sendable () -> Date = { Date() }, json: Bool, assumeYes: Bool
    ) {
        self.console = console
        self.marketplace = marketplace
        self.target = target
        self.endpoint = endpoint
        self.stateDirectory = stateDirectory
        self.runStore = runStore
        self.environment = environment
        self.clock = clock
        self.json = json
        self.assumeYes = assumeYes
    }

    /// Writes one result to standard output: `value` as a JSON line with `--json`, or else the line `text` with
    /// terminal control characters shown as visible escapes.
    public func writeResult<Value: Encodable>(_ value: Value, text: String) throws {
        if json {
            try console.writeJSON(value)
        } else {
            console.write(TerminalText.escape(text))
        }
    }

    /// Returns the hint for an id the marketplace does not know: it may belong to the other environment.
    public var unknownIdHint: String {
        switch target {
        case .local:
            return "ids of the local marketplace exist only in its state directory (\(stateDirectory.url.path)); "
                + "an id from MTurk needs --target sandbox or --live"
        case .sandbox:
            return "this id may belong to the live marketplace; pass --live to look it up there"
        case .live:
            return "this id may belong to the sandbox; pass --target sandbox to look it up there"
        }
    }

    /// Returns `error` as a message for people, with the other-environment hint when the id was not found.
    public func describe(_ error: any Error) -> (message: String, hint: String?) {
        if let turk = error as? MTurkError {
            let hint = turk.hint ?? (turk.isNotFound ? unknownIdHint : nil)
            var message = "\(turk.code): \(turk.message)"
            if let code = turk.turkErrorCode { message += " [\(code)]" }
            if let requestId = turk.requestId { message += " (request id \(requestId))" }
            return (message, hint)
        }
        if let userFacing = error as? any UserFacingError {
            return (userFacing.message, userFacing.hint)
        }
        return (String(describing: error), nil)
    }
}

/// A marketplace that waits before every call, so that tests can kill a tool in the middle of a batch.
///
/// Turned on by the environment variable `TURKCHAT_TEST_CALL_DELAY_MS` (milliseconds per call). It is meant only
/// for the crash-and-rerun tests and is not in any man page.
public struct DelayedMarketplace: Marketplace {
    public static let environmentVariable = "TURKCHAT_TEST_CALL_DELAY_MS"

    public let base: any Marketplace
    public let delay: Duration

    public init(base: any Marketplace, delay: Duration) {
        self.base = base
        self.delay = delay
    }

    /// Wraps `base` when the environment sets a delay, and returns it unchanged otherwise.
    public static func wrapping(_ base: any Marketplace, environment: [String: String]) -> any Marketplace {
        guard let text = environment[environmentVariable], let milliseconds = Int(text), milliseconds > 0 else {
            return base
        }
        return DelayedMarketplace(base: base, delay: .milliseconds(milliseconds))
    }

    private func pause() async throws {
        try await Task.sleep(for: delay)
    }

    public func createHITType(_ request: CreateHITTypeRequest) async throws -> CreateHITTypeResponse {
        try await pause()
        return try await base.createHITType(request)
    }

    public func createHITWithHITType(_ request: CreateHITWithHITTypeRequest) async throws
        -> CreateHITWithHITTypeResponse
    {
        try await pause()
        return try await base.createHITWithHITType(request)
    }

    public func getHIT(_ request: GetHITRequest) async throws -> GetHITResponse {
        try await pause()
        return try await base.getHIT(request)
    }

    public func listHITs(_ request: ListHITsRequest) async throws -> ListHITsResponse {
        try await pause()
        return try await base.listHITs(request)
    }

    public func updateExpirationForHIT(_ request: UpdateExpirationForHITRequest) async throws -> EmptyResponse {
        try await pause()
        return try await base.updateExpirationForHIT(request)
    }

    public func deleteHIT(_ request: DeleteHITRequest) async throws -> EmptyResponse {
        try await pause()
        return try await base.deleteHIT(request)
    }

    public func listAssignmentsForHIT(_ request: ListAssignmentsForHITRequest) async throws
        -> ListAssignmentsForHITResponse
    {
        try await pause()
        return try await base.listAssignmentsForHIT(request)
    }

    public func getAssignment(_ request: GetAssignmentRequest) async throws -> GetAssignmentResponse {
        try await pause()
        return try await base.getAssignment(request)
    }

    public func approveAssignment(_ request: ApproveAssignmentRequest) async throws -> EmptyResponse {
        try await pause()
        return try await base.approveAssignment(request)
    }

    public func rejectAssignment(_ request: RejectAssignmentRequest) async throws -> EmptyResponse {
        try await pause()
        return try await base.rejectAssignment(request)
    }

    public func sendBonus(_ request: SendBonusRequest) async throws -> EmptyResponse {
        try await pause()
        return try await base.sendBonus(request)
    }

    public func listBonusPayments(_ request: ListBonusPaymentsRequest) async throws -> ListBonusPaymentsResponse {
        try await pause()
        return try await base.listBonusPayments(request)
    }

    public func createWorkerBlock(_ request: CreateWorkerBlockRequest) async throws -> EmptyResponse {
        try await pause()
        return try await base.createWorkerBlock(request)
    }

    public func deleteWorkerBlock(_ request: DeleteWorkerBlockRequest) async throws -> EmptyResponse {
        try await pause()
        return try await base.deleteWorkerBlock(request)
    }

    public func listWorkerBlocks(_ request: ListWorkerBlocksRequest) async throws -> ListWorkerBlocksResponse {
        try await pause()
        return try await base.listWorkerBlocks(request)
    }

    public func createQualificationType(_ request: CreateQualificationTypeRequest) async throws
        -> CreateQualificationTypeResponse
    {
        try await pause()
        return try await base.createQualificationType(request)
    }

    public func listQualificationTypes(_ request: ListQualificationTypesRequest) async throws
        -> ListQualificationTypesResponse
    {
        try await pause()
        return try await base.listQualificationTypes(request)
    }

    public func associateQualificationWithWorker(_ request: AssociateQualificationWithWorkerRequest) async throws
        -> EmptyResponse
    {
        try await pause()
        return try await base.associateQualificationWithWorker(request)
    }

    public func disassociateQualificationFromWorker(_ request: DisassociateQualificationFromWorkerRequest)
        async throws -> EmptyResponse
    {
        try await pause()
        return try await base.disassociateQualificationFromWorker(request)
    }

    public func listWorkersWithQualificationType(_ request: ListWorkersWithQualificationTypeRequest) async throws
        -> ListWorkersWithQualificationTypeResponse
    {
        try await pause()
        return try await base.listWorkersWithQualificationType(request)
    }

    public func getAccountBalance(_ request: GetAccountBalanceRequest) async throws -> GetAccountBalanceResponse {
        try await pause()
        return try await base.getAccountBalance(request)
    }
}
