/// Checks for the identifier forms in MTurk's API model.
public enum MTurkID {
    /// `EntityId`: 1 to 64 upper-case letters and digits (HIT, HIT type, assignment, qualification type).
    public static func isEntityID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { isUpperAlphanumeric($0) }
    }

    /// `CustomerId` (a worker id): 1 to 64 characters, an `A` then upper-case letters and digits.
    public static func isWorkerID(_ text: String) -> Bool {
        (2...64).contains(text.utf8.count) && text.utf8.first == UInt8(ascii: "A")
            && text.utf8.allSatisfy { isUpperAlphanumeric($0) }
    }

    /// `IdempotencyToken`: 1 to 64 characters.
    public static func isRequestToken(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
    }

    private static func isUpperAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
