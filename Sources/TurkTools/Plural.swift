/// Writes counts with the noun in the right number for messages: `1 HIT`, `2 HITs`, `0 conversations`.
enum Plural {
    /// Returns `count` followed by `singular`, or by `plural` (default: `singular` plus "s") when count is not 1.
    static func count(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) \(noun(count, singular, plural))"
    }

    /// Returns `singular` when count is 1 and `plural` (default: `singular` plus "s") otherwise, for sentences
    /// such as "3 of 5 HITs".
    static func noun(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        count == 1 ? singular : (plural ?? singular + "s")
    }

    /// Returns `singular` when count is 1 and `plural` otherwise, for verbs such as "is"/"are" and "was"/"were".
    static func verb(_ count: Int, _ singular: String, _ plural: String) -> String {
        count == 1 ? singular : plural
    }
}
