import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns Foundation's file errors into the reason a person can act on.
///
/// Foundation on Linux describes many of them as "The operation could not be completed. (NSCocoaErrorDomain error
/// 512.)" or "You don't have permission.", without the path or the system's reason. The POSIX error underneath
/// (`NSUnderlyingErrorKey`) has both.
enum FileErrorText {
    /// Returns why an operation on `path` failed, such as `Permission denied (at /home/x/.local)` or
    /// `/tmp/notes is a file, not a directory`.
    static func reason(_ error: any Error, path: String) -> String {
        let nsError = error as NSError
        let failingPath = (error as? CocoaError)?.filePath ?? nsError.userInfo[NSFilePathErrorKey] as? String
        // On Linux the underlying error is a Swift POSIXError; elsewhere it may be an NSError of the POSIX domain.
        var errno: Int32?
        let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? any Error
        if let posix = (underlying ?? error) as? POSIXError {
            errno = posix.code.rawValue
        } else if let underlying, (underlying as NSError).domain == NSPOSIXErrorDomain {
            errno = Int32((underlying as NSError).code)
        }

        // mkdir reports EEXIST, and anything below a file ENOTDIR, when a file is where a directory should be.
        if errno == ENOTDIR || errno == EEXIST, let file = firstNonDirectory(on: failingPath ?? path) {
            return "\(file) is a file, not a directory"
        }
        var text: String
        if let errno {
            text = String(cString: strerror(errno))
        } else if let cocoa = error as? CocoaError {
            text = describe(cocoa.code) ?? nsError.localizedDescription
        } else {
            text = nsError.localizedDescription
        }
        if let failingPath, failingPath != path {
            text += " (at \(failingPath))"
        }
        return text
    }

    private static func describe(_ code: CocoaError.Code) -> String? {
        switch code {
        case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
        case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
        case .fileReadCorruptFile, .fileReadInapplicableStringEncoding: return "the file is not valid UTF-8 text"
        case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
        case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
        default: return nil
        }
    }

    /// Returns the first existing path on the way from `/` to `path` that is not a directory, if any.
    private static func firstNonDirectory(on path: String) -> String? {
        var current = URL(fileURLWithPath: "/")
        for component in URL(fileURLWithPath: path).standardizedFileURL.pathComponents.dropFirst() {
            current.appendPathComponent(component)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: current.path, isDirectory: &isDirectory) else { return nil }
            if !isDirectory.boolValue { return current.path }
        }
        return nil
    }
}
