import CCrypto
import Foundation

// SHA-256 and HMAC-SHA256 through OpenSSL's libcrypto, the two primitives that SigV4 needs.

/// Returns the SHA-256 digest of `bytes`.
func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    bytes.withUnsafeBytes { buffer in
        _ = SHA256(buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count, &digest)
    }
    return digest
}

/// Returns HMAC-SHA256 of `data` under `key`.
func hmacSHA256<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, data: Message) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    key.withUnsafeBytes { keyBuffer in
        data.withUnsafeBytes { dataBuffer in
            // HMAC accepts a null data pointer only when the length is 0, which is what an empty buffer gives.
            _ = HMAC(
                EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count),
                dataBuffer.bindMemory(to: UInt8.self).baseAddress, dataBuffer.count, &digest, &length)
        }
    }
    return Array(digest.prefix(Int(length)))
}

/// Compares two byte strings in time that depends only on their lengths, so a signature check leaks nothing
/// about how many leading bytes matched.
func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return lhs.withUnsafeBytes { left in
        rhs.withUnsafeBytes { right in
            CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
        }
    }
}
