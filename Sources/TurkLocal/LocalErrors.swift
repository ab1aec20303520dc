import Foundation
import TurkModel

// The errors of the local marketplace, worded as MTurk words them where its texts are known (the texts with a
// `TurkErrorCode` below and the "does not exist" and "status of" messages). The other texts are this project's
// wording in MTurk's style. Every RequestError message ends with MTurk's server-time suffix.

enum LocalError {
    static func request(_ message: String, _ now: Date, turkErrorCode: String? = nil) -> MTurkError {
        .requestError("\(message) \(mturkMessageSuffix(now))", turkErrorCode: turkErrorCode)
    }

    /// AWS's error for a parameter that breaks the API model's constraints, as every AWS JSON service words it.
    static func validation(_ value: String, at member: String, _ constraint: String) -> MTurkError {
        MTurkError(
            code: "ValidationException",
            message: "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: "
                + constraint,
            httpStatus: 400)
    }

    static func hitNotFound(_ id: String, _ now: Date) -> MTurkError {
        request("Hit \(id) does not exist.", now)
    }

    static func hitTypeNotFound(_ id: String, _ now: Date) -> MTurkError {
        request("HITType \(id) does not exist.", now)
    }

    static func assignmentNotFound(_ id: String, _ now: Date) -> MTurkError {
        request("Assignment \(id) does not exist.", now)
    }

    static func qualificationTypeNotFound(_ id: String, _ now: Date) -> MTurkError {
        request("QualificationType \(id) does not exist.", now)
    }

    /// Returns the error for an assignment operation called in the wrong status, such as approving twice.
    static func assignmentStatus(allowed: String, _ now: Date) -> MTurkError {
        request(
            "This operation can be called with a status of: \(allowed)", now,
            turkErrorCode: "AWS.MechanicalTurk.InvalidAssignmentState")
    }

    /// DeleteHIT on a HIT that is not Reviewable, or that still has submitted work to review.
    static func deleteHITState(_ status: HITStatus, _ now: Date) -> MTurkError {
        request(
            "This HIT is currently in the state '\(status.rawValue)'. "
                + "This operation can be called with a status of: Reviewing, Reviewable", now)
    }

    /// A HIT operation called in the wrong HIT status, worded as MTurk words it for DeleteHIT.
    static func hitState(_ status: HITStatus, allowed: String, _ now: Date) -> MTurkError {
        request(
            "This HIT is currently in the state '\(status.rawValue)'. "
                + "This operation can be called with a status of: \(allowed)", now)
    }

    static func hitAlreadyExists(_ hitId: String, _ now: Date) -> MTurkError {
        request(
            "The HIT with ID \"\(hitId)\" already exists.", now, turkErrorCode: "AWS.MechanicalTurk.HitAlreadyExists")
    }

    static func duplicateBonus(token: String, requestId: String, _ now: Date) -> MTurkError {
        request(
            "The bonus with UniqueRequestToken \(token) was already paid by request \(requestId).", now,
            turkErrorCode: "AWS.MechanicalTurk.DuplicateRequest")
    }

    static func duplicateExtension(token: String, requestId: String, _ now: Date) -> MTurkError {
        request(
            "The additional assignments with UniqueRequestToken \(token) were already created by request "
                + "\(requestId).", now, turkErrorCode: "AWS.MechanicalTurk.DuplicateRequest")
    }

    static func insufficientFunds(needed: USD, available: USD, _ now: Date) -> MTurkError {
        request(
            "This Requester has insufficient funds in their account to complete this transaction: it needs "
                + "\(needed.mturkString) and \(available.mturkString) is available.", now,
            turkErrorCode: "AWS.MechanicalTurk.InsufficientFunds")
    }
}
