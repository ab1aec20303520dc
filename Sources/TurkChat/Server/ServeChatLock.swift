import Foundation
import TurkStore

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on `serve-chat.lock` in the state directory, held while serve-chat runs.
///
/// Two servers on one run store would each resume the same open conversations and keep their own turn state for
/// them, so neither would relay the other's messages. The lock is `flock`, which the kernel drops when the process
/// ends in any way, kill -9 included, so a crash never leaves a stale lock behind.
final class ServeChatLock {
    static let fileName = "serve-chat.lock"
    private var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        release()
    }

    /// Takes the lock of `directory`, creating the directory and the lock file if needed, and writes this process's
    /// id into the file. Throws when another serve-chat has taken it.
    static func acquire(in directory: StateDirectory) throws -> ServeChatLock {
        try directory.create()
        let path = directory.url.appendingPathComponent(fileName).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ChatServerError("cannot open the lock file \(path): \(String(cString: strerror(errno))); check the "
                                  + "permissions of the state directory")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            if code == EWOULDBLOCK {
                let process = holder.isEmpty ? "" : " (process \(holder))"
                throw ChatServerError("another serve-chat\(process) is serving the state directory "
                                      + "\(directory.url.path); stop it first, or give this one another --state-dir")
            }
            throw ChatServerError("cannot lock \(path): \(String(cString: strerror(code))); put the state directory on a "
                                  + "local file system that supports flock")
        }
        let text = "\(getpid())\n"
        if ftruncate(descriptor, 0) == 0 {
            _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        }
        return ServeChatLock(descriptor: descriptor)
    }

    /// Releases the lock. Later calls do nothing.
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
