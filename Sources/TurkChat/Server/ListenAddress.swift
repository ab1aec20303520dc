import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks of the address that serve-chat listens on, made before and after libwebsockets binds it.
///
/// libwebsockets 4.1.6 treats an address that no interface has as an interface that may appear later: it logs
/// "iface ... DOESN'T EXIST", creates its context anyway and never listens. These checks turn that case into an
/// error at start-up.
enum ListenAddress {
    /// Returns the numeric address to bind for `host`. `localhost` becomes 127.0.0.1. Other values must be an IPv4
    /// or IPv6 address (IPv6 with or without brackets) that is a wildcard (`0.0.0.0`, `::`) or belongs to one of
    /// this machine's interfaces. Host names are not looked up, so start-up never waits for DNS.
    static func resolve(_ host: String) throws(ChatServerError) -> String {
        var text = host.trimmingCharacters(in: .whitespaces)
        if text.lowercased() == "localhost" { return "127.0.0.1" }
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }

        guard let address = NumericAddress(text) else {
            throw ChatServerError(
                "invalid listen address \"\(host)\": give an IPv4 or IPv6 address of this machine, such as "
                    + "127.0.0.1, 0.0.0.0 for every interface, or localhost")
        }
        if address.isWildcard { return text }
        let local = localAddresses()
        guard local.contains(address) else {
            let known = local.map(\.description).sorted().joined(separator: ", ")
            throw ChatServerError(
                "cannot listen on \(host): it is not an address of this machine (its interfaces have "
                    + "\(known.isEmpty ? "no addresses" : known)); use one of those, 0.0.0.0, or localhost")
        }
        return text
    }

    /// Returns whether this process has a listening TCP socket on `port` at `address` (or at the wildcard of its
    /// family). Reads the process's own descriptors from /proc/self/fd; nothing goes over the network.
    static func isListening(port: Int, address: String) -> Bool {
        guard let wanted = NumericAddress(address),
              let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        else { return false }
        for name in names {
            guard let descriptor = Int32(name),
                  let bound = boundAddress(of: descriptor), bound.port == port,
                  bound.address == wanted || bound.address.isWildcard && bound.address.family == wanted.family
            else { continue }
            var accepting: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0 {
                return true
            }
        }
        return false
    }

    /// Returns the addresses of this machine's interfaces, from getifaddrs(3).
    private static func localAddresses() -> [NumericAddress] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var found: [NumericAddress] = []
        var current = first
        while let entry = current {
            if let socketAddress = entry.pointee.ifa_addr, let address = NumericAddress(socketAddress) {
                found.append(address)
            }
            current = entry.pointee.ifa_next
        }
        return found
    }

    /// Returns the local address and port of a socket descriptor, or nil when it is not an IP socket.
    private static func boundAddress(of descriptor: Int32) -> (address: NumericAddress, port: Int)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard let address = NumericAddress(socketAddress) else { return nil }
                let port: UInt16
                if address.family == AF_INET {
                    port = UnsafeRawPointer(socketAddress).load(as: sockaddr_in.self).sin_port
                } else {
                    port = UnsafeRawPointer(socketAddress).load(as: sockaddr_in6.self).sin6_port
                }
                return (address, Int(UInt16(bigEndian: port)))
            }
        }
    }
}

/// An IPv4 or IPv6 address as its family and raw bytes in network order.
struct NumericAddress: Hashable, CustomStringConvertible {
    var family: Int32
    var bytes: [UInt8]

    /// Parses an address literal with inet_pton(3); nil for anything else, host names included.
    init?(_ text: String) {
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &buffer) == 1 {
            family = AF_INET
            bytes = Array(buffer.prefix(4))
        } else if inet_pton(AF_INET6, text, &buffer) == 1 {
            family = AF_INET6
            bytes = buffer
        } else {
            return nil
        }
    }

    /// Reads the address of an AF_INET or AF_INET6 socket address; nil for other families.
    init?(_ socketAddress: UnsafePointer<sockaddr>) {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            var address = UnsafeRawPointer(socketAddress).load(as: sockaddr_in.self).sin_addr
            family = AF_INET
            bytes = withUnsafeBytes(of: &address) { Array($0) }
        case AF_INET6:
            var address = UnsafeRawPointer(socketAddress).load(as: sockaddr_in6.self).sin6_addr
            family = AF_INET6
            bytes = withUnsafeBytes(of: &address) { Array($0) }
        default:
            return nil
        }
    }

    /// Whether this is 0.0.0.0 or ::, which listen on every interface.
    var isWildcard: Bool { bytes.allSatisfy { $0 == 0 } }

    var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, bytes, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
