import Foundation

/// What a child process wrote and how it ended.
struct ProcessResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Returns the path of an executable found on PATH, or nil.
func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Runs `executable` with `arguments` and waits for it, with standard input empty.
func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String = ""
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    process.environment = merged

    let output = Pipe()
    let errors = Pipe()
    let standardInput = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = standardInput
    try process.run()
    standardInput.fileHandleForWriting.write(Data(input.utf8))
    try standardInput.fileHandleForWriting.close()

    // Read standard error on another thread while this one reads standard output, so a child that fills
    // either pipe's buffer cannot block both sides.
    let errorBox = DataBox()
    let errorReader = Thread { errorBox.set(errors.fileHandleForReading.readDataToEndOfFile()) }
    errorReader.start()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorData = errorBox.wait()
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self))
}

/// Data handed from a reader thread to the waiting test.
final class DataBox: @unchecked Sendable {
    // The condition guards `data` and `isSet`.
    private let condition = NSCondition()
    private var data = Data()
    private var isSet = false

    func set(_ value: Data) {
        condition.lock()
        data = value
        isSet = true
        condition.signal()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while !isSet { condition.wait() }
        return data
    }
}
