import CCrypto
import Foundation

/// Deterministic `UniqueRequestToken` values.
///
/// A token is derived from what identifies the call in local state (run id and HIT index, or worker, assignment
/// and bonus row), so a rerun after a crash sends the same token and MTurk refuses to create or pay twice.
/// MTurk remembers a token for 24 hours; after that the run store's ledger is what prevents a duplicate.
public enum RequestToken {
    /// Returns `prefix-` followed by the first hex digits of the SHA-256 of the parts, 64 characters at most.
    public static func derive(prefix: String, _ parts: [String]) -> String {
        let joined = parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
        let digest = sha256Hex(Data(joined.utf8))
        let head = String(prefix.prefix(16))
        return head + "-" + digest.prefix(64 - head.count - 1)
    }
}

/// Returns the lower-case hex SHA-256 digest of `data`.
public func sha256Hex(_ data: Data) -> String {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    data.withUnsafeBytes { buffer in
        _ = SHA256(buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count, &digest)
    }
    return hexString(digest)
}

/// Returns bytes as lower-case hex.
public func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
