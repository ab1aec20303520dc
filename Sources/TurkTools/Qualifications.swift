import Foundation
import TurkCLI
import TurkModel
import TurkStore

/// Finds qualification types by name and creates the missing ones.
public struct QualificationDirectory: Sendable {
    public let marketplace: any Marketplace

    public init(marketplace: any Marketplace) {
        self.marketplace = marketplace
    }

    /// Returns the id of the caller's qualification type with exactly this name, or nil.
    ///
    /// `ListQualificationTypes` matches `Query` against names and keywords as a substring, so every page is read
    /// and the name compared in full.
    public func find(name: String) async throws -> String? {
        let types = try await marketplace.allQualificationTypes(query: name)
        return types.first { $0.name == name }?.qualificationTypeId
    }

    /// Returns the id of the qualification type with this name, creating an active one when there is none.
    ///
    /// Two tools creating the same name at once is handled: when the create call fails because the name exists,
    /// the type is looked up again.
    public func findOrCreate(name: String, description: String) async throws -> (id: String, created: Bool) {
        if let id = try await find(name: name) { return (id, false) }
        do {
            let response = try await marketplace.createQualificationType(CreateQualificationTypeRequest(
                name: name, keywords: "turkchat", description: description, qualificationTypeStatus: .active))
            guard let id = response.qualificationType?.qualificationTypeId else {
                throw ToolError("the marketplace created qualification type '\(name)' but returned no id")
            }
            return (id, true)
        } catch let error as MTurkError where error.code == "RequestError" {
            if let id = try await find(name: name) { return (id, false) }
            throw error
        }
    }

    /// Checks a qualification name from the command line: not empty and without line breaks.
    public static func validateName(_ name: String, option: String) throws {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw UsageError("\(option) needs a qualification name, not an empty value") }
        guard !name.contains(where: { $0.isNewline }) else {
            throw UsageError("invalid qualification name for \(option): it contains a line break")
        }
    }
}

/// Returns the requirement that keeps out every worker who has a qualification, for soft blocks and worker limits.
///
/// `DiscoverPreviewAndAccept` hides the HIT from such workers entirely, as ParlAI and Mephisto do.
public func softBlockRequirement(_ qualificationTypeId: String) -> QualificationRequirement {
    QualificationRequirement(
        qualificationTypeId: qualificationTypeId, comparator: .doesNotExist, actionsGuarded: .discoverPreviewAndAccept)
}

/// Parses a `--locale` value: a two-letter country code (`US`) or a country and subdivision (`US-CA`).
public func parseLocale(_ text: String) throws -> TurkModel.Locale {
    let parts = text.trimmingCharacters(in: .whitespaces).uppercased().split(separator: "-", omittingEmptySubsequences: false)
    let isCode: (Substring, Int) -> Bool = { part, length in
        part.count == length && part.allSatisfy { $0.isASCII && $0.isLetter }
    }
    if parts.count == 1, isCode(parts[0], 2) {
        return TurkModel.Locale(country: String(parts[0]))
    }
    if parts.count == 2, isCode(parts[0], 2), (1...3).contains(parts[1].count),
       parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
        return TurkModel.Locale(country: String(parts[0]), subdivision: String(parts[1]))
    }
    throw UsageError(
        "invalid value '\(text)' for --locale: expected an ISO 3166 country code such as US, or a country and "
            + "subdivision such as US-CA")
}
