import Foundation
import TurkModel

// The operation table of the wire service: each operation name decodes its request type, calls the matching
// `Marketplace` method and encodes the response.

typealias WireRoute = @Sendable (any Marketplace, Data) async throws -> Data

extension MTurkWireService {
    static let routes: [String: WireRoute] = {
        var table: [String: WireRoute] = [:]
        func add<Operation: MTurkOperation>(
            _ type: Operation.Type, _ call: @escaping @Sendable (any Marketplace, Operation) async throws -> Operation.Response
        ) {
            table[Operation.operationName] = { marketplace, body in
                let request = try decodeRequest(Operation.self, from: body)
                return try MTurkJSON.encoder().encode(try await call(marketplace, request))
            }
        }
        add(CreateHITTypeRequest.self) { try await $0.createHITType($1) }
        add(CreateHITWithHITTypeRequest.self) { try await $0.createHITWithHITType($1) }
        add(GetHITRequest.self) { try await $0.getHIT($1) }
        add(ListHITsRequest.self) { try await $0.listHITs($1) }
        add(UpdateExpirationForHITRequest.self) { try await $0.updateExpirationForHIT($1) }
        add(DeleteHITRequest.self) { try await $0.deleteHIT($1) }
        add(ListAssignmentsForHITRequest.self) { try await $0.listAssignmentsForHIT($1) }
        add(GetAssignmentRequest.self) { try await $0.getAssignment($1) }
        add(ApproveAssignmentRequest.self) { try await $0.approveAssignment($1) }
        add(RejectAssignmentRequest.self) { try await $0.rejectAssignment($1) }
        add(SendBonusRequest.self) { try await $0.sendBonus($1) }
        add(ListBonusPaymentsRequest.self) { try await $0.listBonusPayments($1) }
        add(CreateWorkerBlockRequest.self) { try await $0.createWorkerBlock($1) }
        add(DeleteWorkerBlockRequest.self) { try await $0.deleteWorkerBlock($1) }
        add(ListWorkerBlocksRequest.self) { try await $0.listWorkerBlocks($1) }
        add(CreateQualificationTypeRequest.self) { try await $0.createQualificationType($1) }
        add(ListQualificationTypesRequest.self) { try await $0.listQualificationTypes($1) }
        add(AssociateQualificationWithWorkerRequest.self) { try await $0.associateQualificationWithWorker($1) }
        add(DisassociateQualificationFromWorkerRequest.self) { try await $0.disassociateQualificationFromWorker($1) }
        add(ListWorkersWithQualificationTypeRequest.self) { try await $0.listWorkersWithQualificationType($1) }
        add(GetAccountBalanceRequest.self) { try await $0.getAccountBalance($1) }

        // Served only when the marketplace is an ExtendedMarketplace, as the local one is.
        func addExtended<Operation: MTurkOperation>(
            _ type: Operation.Type,
            _ call: @escaping @Sendable (any ExtendedMarketplace, Operation) async throws -> Operation.Response
        ) {
            table[Operation.operationName] = { marketplace, body in
                guard let extended = marketplace as? any ExtendedMarketplace else {
                    throw WireError(
                        status: 400, type: "UnknownOperationException",
                        message: "The marketplace behind this endpoint does not implement \(Operation.operationName).")
                }
                let request = try decodeRequest(Operation.self, from: body)
                return try MTurkJSON.encoder().encode(try await call(extended, request))
            }
        }
        addExtended(CreateHITRequest.self) { try await $0.createHIT($1) }
        addExtended(ListReviewableHITsRequest.self) { try await $0.listReviewableHITs($1) }
        addExtended(UpdateHITReviewStatusRequest.self) { try await $0.updateHITReviewStatus($1) }
        addExtended(CreateAdditionalAssignmentsForHITRequest.self) { try await $0.createAdditionalAssignmentsForHIT($1) }
        addExtended(NotifyWorkersRequest.self) { try await $0.notifyWorkers($1) }
        addExtended(GetQualificationTypeRequest.self) { try await $0.getQualificationType($1) }
        addExtended(DeleteQualificationTypeRequest.self) { try await $0.deleteQualificationType($1) }
        addExtended(GetQualificationScoreRequest.self) { try await $0.getQualificationScore($1) }
        return table
    }()

    /// The names of the operations the service dispatches, sorted.
    public static var supportedOperations: [String] {
        routes.keys.sorted()
    }

    /// Every operation of the MTurk Requester API 2017-01-17, for telling an operation the local marketplace lacks
    /// from a misspelt one.
    static let knownMTurkOperations: Set<String> = [
        "AcceptQualificationRequest", "ApproveAssignment", "AssociateQualificationWithWorker",
        "CreateAdditionalAssignmentsForHIT", "CreateHIT", "CreateHITType", "CreateHITWithHITType",
        "CreateQualificationType", "CreateWorkerBlock", "DeleteHIT", "DeleteQualificationType", "DeleteWorkerBlock",
        "DisassociateQualificationFromWorker", "GetAccountBalance", "GetAssignment", "GetFileUploadURL", "GetHIT",
        "GetQualificationScore", "GetQualificationType", "ListAssignmentsForHIT", "ListBonusPayments", "ListHITs",
        "ListHITsForQualificationType", "ListQualificationRequests", "ListQualificationTypes",
        "ListReviewPolicyResultsForHIT", "ListReviewableHITs", "ListWorkerBlocks", "ListWorkersWithQualificationType",
        "NotifyWorkers", "RejectAssignment", "RejectQualificationRequest", "SendBonus",
        "SendTestEventNotification", "UpdateExpirationForHIT", "UpdateHITReviewStatus", "UpdateHITTypeOfHIT",
        "UpdateNotificationSettings", "UpdateQualificationType",
    ]

    /// Decodes a request body and turns decoding failures into the errors that AWS JSON services send. A body that
    /// is not a JSON object, or has a value of the wrong type, gets a `SerializationException`. A missing required
    /// member gets a `ValidationException`.
    static func decodeRequest<Operation: MTurkOperation>(_ type: Operation.Type, from body: Data) throws -> Operation {
        guard (try? JSONSerialization.jsonObject(with: body)) is [String: Any] else {
            throw WireError(status: 400, type: "SerializationException",
                            message: "The request body must be a JSON object.")
        }
        do {
            return try MTurkJSON.decoder().decode(type, from: body)
        } catch DecodingError.keyNotFound(let key, let context) {
            let member = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw WireError(
                status: 400, type: "ValidationException",
                message: "1 validation error detected: Value null at '\(member)' failed to satisfy constraint: "
                    + "Member must not be null")
        } catch DecodingError.valueNotFound(_, let context) {
            let member = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw WireError(
                status: 400, type: "ValidationException",
                message: "1 validation error detected: Value null at '\(member)' failed to satisfy constraint: "
                    + "Member must not be null")
        } catch DecodingError.typeMismatch(let expected, let context) {
            let member = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw WireError(
                status: 400, type: "SerializationException",
                message: "The value at '\(member)' has the wrong type; expected \(describe(expected)).")
        } catch {
            throw WireError(status: 400, type: "SerializationException", message: "The request body is invalid: \(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Double.Type, is Date.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default: return "a \(type)"
        }
    }
}
