/// The header of an unmasked, final text frame, as a server sends it (RFC 6455, section 5.2).
enum WebSocketFrame {
    /// Returns the header length for a payload of `payload` bytes: 2, 4 or 10 bytes.
    static func headerSize(payload: Int) -> Int {
        if payload < 126 { return 2 }
        if payload <= 0xFFFF { return 4 }
        return 10
    }

    /// Writes the header for a payload of `payload` bytes at `destination` and returns the address after it.
    static func writeHeader(payload: Int, to destination: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        // FIN and the text opcode; the mask bit stays clear because servers do not mask.
        destination[0] = 0x81
        if payload < 126 {
            destination[1] = UInt8(payload)
            return destination + 2
        }
        if payload <= 0xFFFF {
            destination[1] = 126
            destination[2] = UInt8(payload >> 8)
            destination[3] = UInt8(payload & 0xFF)
            return destination + 4
        }
        destination[1] = 127
        for index in 0..<8 {
            destination[2 + index] = UInt8((UInt64(payload) >> (56 - 8 * UInt64(index))) & 0xFF)
        }
        return destination + 10
    }
}
