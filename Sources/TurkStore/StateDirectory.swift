import Foundation

/// The folder that holds the run store and the local marketplace.
///
/// It is chosen in this order: the `--state-dir` option, the `TURKCHAT_STATE_DIR` environment variable,
/// `$XDG_STATE_HOME/turkchat`, then `~/.local/state/turkchat`.
public struct StateDirectory: Sendable, Equatable {
    public static let environmentVariable = "TURKCHAT_STATE_DIR"

    public var url: URL

    public init(url: URL) {
        self.url = url
    }

    /// Resolves the folder from an explicit option and the environment.
    public static func resolve(option: String?, environment: [String: String]) -> StateDirectory {
        if let option, !option.isEmpty {
            return StateDirectory(url: URL(fileURLWithPath: option))
        }
        if let value = environment[environmentVariable], !value.isEmpty {
            return StateDirectory(url: URL(fileURLWithPath: value))
        }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
            return StateDirectory(url: URL(fileURLWithPath: xdg).appendingPathComponent("turkchat"))
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return StateDirectory(url: URL(fileURLWithPath: home).appendingPathComponent(".local/state/turkchat"))
    }

    /// The run store: runs, the HIT and bonus ledgers, assignments, conversations and messages.
    public var runStorePath: String { url.appendingPathComponent("runs.sqlite").path }

    /// The offline marketplace of the local target.
    public var marketplacePath: String { url.appendingPathComponent("marketplace.sqlite").path }

    /// Creates the folder (and its parents) if it does not exist, readable by the owner only.
    public func create() throws {
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
