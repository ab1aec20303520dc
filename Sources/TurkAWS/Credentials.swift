import Foundation

/// An AWS access key pair, with a session token for temporary credentials.
///
/// Every textual form (`description`, `debugDescription`, `dump`) shows only the last four characters of the
/// access key id and never the secret or the token, so the value can be logged or put in an error safely.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The access key id with all but its last four characters masked, as `aws configure list` shows it.
    public var maskedAccessKeyId: String {
        guard accessKeyId.count > 8 else { return String(repeating: "*", count: accessKeyId.count) }
        return String(repeating: "*", count: accessKeyId.count - 4) + accessKeyId.suffix(4)
    }

    public var description: String {
        "AWSCredentials(accessKeyId: \(maskedAccessKeyId), secretAccessKey: <redacted>, sessionToken: "
            + (sessionToken == nil ? "none" : "<redacted>") + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyId": maskedAccessKeyId,
                "secretAccessKey": "<redacted>",
                "sessionToken": sessionToken == nil ? "none" : "<redacted>",
            ], displayStyle: .struct)
    }
}

/// The place where a set of credentials was found.
public enum CredentialSource: Sendable, Equatable, CustomStringConvertible {
    case environment
    case credentialsFile(path: String, profile: String)
    case configFile(path: String, profile: String)

    public var description: String {
        switch self {
        case .environment: return "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        case .credentialsFile(let path, let profile): return "profile '\(profile)' in \(path)"
        case .configFile(let path, let profile): return "profile '\(profile)' in \(path)"
        }
    }
}

/// Credentials together with where they came from.
public struct ResolvedCredentials: Sendable, Equatable {
    public var credentials: AWSCredentials
    public var source: CredentialSource
}

/// The reason no credentials could be used. No case contains a secret.
public enum CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing was found. Each entry names a place the resolver looked at and what it found there.
    case notFound(placesLooked: [String])
    /// A profile named by `--profile` or `AWS_PROFILE` is in neither file.
    case profileNotFound(profile: String, files: [String])
    /// One half of a key pair is set and the other is missing.
    case incomplete(source: String, missing: String)
    /// The profile gets its credentials in a way this client does not implement (assumed roles, SSO, processes).
    case unsupportedProfile(profile: String, path: String, setting: String)
    case malformedFile(INIParseError)
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let places):
            return "no AWS credentials found. Looked at:\n"
                + places.map { "  - \($0)\n" }.joined()
                + "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run 'aws configure', or name a profile with "
                + "--profile. The local target needs no credentials."
        case .profileNotFound(let profile, let files):
            return "the AWS profile '\(profile)' was not found in \(files.joined(separator: " or ")); "
                + "check the name, or create it with 'aws configure --profile \(profile)'"
        case .incomplete(let source, let missing):
            return "incomplete AWS credentials in \(source): \(missing) is missing"
        case .unsupportedProfile(let profile, let path, let setting):
            return "the AWS profile '\(profile)' in \(path) uses '\(setting)', which turkchat does not support; "
                + "export temporary keys with 'aws configure export-credentials --profile \(profile) --format env' "
                + "and run the tool with those environment variables"
        case .malformedFile(let error):
            return error.description
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        }
    }
}

/// Finds credentials the way the AWS CLI (botocore) does, without calling any AWS or metadata service.
///
/// Order:
/// 1. `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, unless a profile was given with
///    `--profile` (botocore drops the environment provider then; `AWS_PROFILE` keeps it first).
/// 2. The profile (`--profile`, then `AWS_PROFILE`, then `default`) in the shared credentials file
///    (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), where sections are `[NAME]`.
/// 3. The same profile in the config file (`AWS_CONFIG_FILE`, default `~/.aws/config`), where sections are
///    `[profile NAME]` and `[default]`.
///
/// NOTE: botocore goes on to container and instance metadata endpoints, but this resolver stops after the files.
/// A profile that assumes a role, uses SSO or runs a credential process is reported as unsupported.
public struct CredentialResolver: Sendable {
    public var environment: [String: String]
    /// The value of `--profile`, if given.
    public var profileOption: String?
    /// Returns a file's text, or nil when it does not exist. Tests replace it; the default reads the disk.
    public var readFile: @Sendable (String) throws -> String?

    public init(
        environment: [String: String], profileOption: String? = nil,
        readFile: @escaping @Sendable (String) throws -> String? = CredentialResolver.readFileFromDisk
    ) {
        self.environment = environment
        self.profileOption = profileOption
        self.readFile = readFile
    }

    /// The profile to use and whether it was named explicitly.
    public var profile: (name: String, isExplicit: Bool) {
        if let option = profileOption, !option.isEmpty { return (option, true) }
        if let variable = value("AWS_PROFILE") { return (variable, true) }
        return ("default", false)
    }

    public var credentialsFilePath: String {
        expandTilde(value("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials")
    }

    public var configFilePath: String {
        expandTilde(value("AWS_CONFIG_FILE") ?? "~/.aws/config")
    }

    public func resolve() throws(CredentialError) -> ResolvedCredentials {
        let (profileName, isExplicit) = profile
        let credentialsPath = credentialsFilePath
        let configPath = configFilePath
        let credentialsFile = try loadFile(credentialsPath)
        let configFile = try loadFile(configPath)
        let credentialsSection = credentialsFile?.section(named: profileName)
        let configSection = configFile.flatMap { Self.configSection(in: $0, profile: profileName) }

        // The AWS CLI fails on a named profile that does not exist even when the environment contains keys.
        if isExplicit && credentialsSection == nil && configSection == nil {
            throw .profileNotFound(profile: profileName, files: [credentialsPath, configPath])
        }

        var places: [String] = []
        if let option = profileOption, !option.isEmpty {
            places.append("environment variables: skipped because --profile was given")
        } else if let found = try credentialsFromEnvironment() {
            return ResolvedCredentials(credentials: found, source: .environment)
        } else {
            places.append("environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: not set")
        }

        // botocore tries assumed roles and SSO from the config file before the credentials file.
        if let section = configSection {
            for setting in ["role_arn", "web_identity_token_file", "sso_start_url", "sso_session"]
            where section.options[setting] != nil {
                throw .unsupportedProfile(profile: profileName, path: configPath, setting: setting)
            }
        }

        if let section = credentialsSection,
           let found = try credentials(in: section, source: "profile '\(profileName)' in \(credentialsPath)") {
            return ResolvedCredentials(
                credentials: found, source: .credentialsFile(path: credentialsPath, profile: profileName))
        }
        places.append(Self.describe(file: credentialsFile, path: credentialsPath, profile: profileName,
                                    section: credentialsSection, header: "[\(profileName)]"))

        if let section = configSection {
            if section.options["credential_process"] != nil {
                throw .unsupportedProfile(profile: profileName, path: configPath, setting: "credential_process")
            }
            if let found = try credentials(in: section, source: "profile '\(profileName)' in \(configPath)") {
                return ResolvedCredentials(
                    credentials: found, source: .configFile(path: configPath, profile: profileName))
            }
        }
        let configHeader = profileName == "default" ? "[default]" : "[profile \(profileName)]"
        places.append(Self.describe(file: configFile, path: configPath, profile: profileName,
                                    section: configSection, header: configHeader))
        throw .notFound(placesLooked: places)
    }

    // MARK: - Sources

    private func credentialsFromEnvironment() throws(CredentialError) -> AWSCredentials? {
        let keyId = value("AWS_ACCESS_KEY_ID")
        let secret = value("AWS_SECRET_ACCESS_KEY")
        switch (keyId, secret) {
        case (nil, nil):
            return nil
        case (.some, nil):
            throw .incomplete(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")
        case (nil, .some):
            throw .incomplete(source: "the environment", missing: "AWS_ACCESS_KEY_ID")
        case (.some(let keyId), .some(let secret)):
            let token = value("AWS_SESSION_TOKEN") ?? value("AWS_SECURITY_TOKEN")
            return AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token)
        }
    }

    private func credentials(in section: INIFile.Section, source: String) throws(CredentialError) -> AWSCredentials? {
        func option(_ name: String) -> String? {
            guard let text = section.options[name], !text.isEmpty else { return nil }
            return text
        }
        let keyId = option("aws_access_key_id")
        let secret = option("aws_secret_access_key")
        switch (keyId, secret) {
        case (nil, nil):
            return nil
        case (.some, nil):
            throw .incomplete(source: source, missing: "aws_secret_access_key")
        case (nil, .some):
            throw .incomplete(source: source, missing: "aws_access_key_id")
        case (.some(let keyId), .some(let secret)):
            let token = option("aws_session_token") ?? option("aws_security_token")
            return AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token)
        }
    }

    /// Finds a profile's section in the config file: `[profile NAME]`, or `[default]` (also `[profile default]`).
    static func configSection(in file: INIFile, profile: String) -> INIFile.Section? {
        file.sections.first { Self.profileName(ofConfigSection: $0.name) == profile }
    }

    private static func profileName(ofConfigSection name: String) -> String? {
        if name == "default" { return "default" }
        let parts = name.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "profile" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    private static func describe(
        file: INIFile?, path: String, profile: String, section: INIFile.Section?, header: String
    ) -> String {
        guard file != nil else { return "\(path): file not found" }
        guard section != nil else { return "\(path): no \(header) section" }
        return "\(path): \(header) has no aws_access_key_id and aws_secret_access_key"
    }

    // MARK: - Files and environment

    private func loadFile(_ path: String) throws(CredentialError) -> INIFile? {
        let text: String?
        do {
            text = try readFile(path)
        } catch let error as CredentialError {
            throw error
        } catch {
            throw .unreadableFile(path: path, reason: String(describing: error))
        }
        guard let text else { return nil }
        do {
            return try INIFile.parse(text, path: path)
        } catch {
            throw .malformedFile(error)
        }
    }

    /// Returns a non-empty environment variable; botocore treats an empty one as unset.
    private func value(_ name: String) -> String? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        return text
    }

    private func expandTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = value("HOME") ?? NSHomeDirectory()
        return home + path.dropFirst()
    }

    /// Reads a UTF-8 file; returns nil when nothing exists at `path`.
    @Sendable public static func readFileFromDisk(_ path: String) throws -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            throw CredentialError.unreadableFile(path: path, reason: "it is a directory, not a file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError.unreadableFile(path: path, reason: "permission denied or read error")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CredentialError.unreadableFile(path: path, reason: "the file is not valid UTF-8 text")
        }
        return text
    }
}
