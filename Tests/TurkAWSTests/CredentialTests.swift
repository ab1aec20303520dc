import Foundation
import Testing
@testable import TurkAWS

private let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
private let otherSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
private let home = "/home/tester"

/// Builds a resolver over in-memory files, so no test reads the real `~/.aws`.
private func resolver(
    environment: [String: String] = [:], profile: String? = nil, files: [String: String] = [:]
) -> CredentialResolver {
    var environment = environment
    environment["HOME"] = environment["HOME"] ?? home
    return CredentialResolver(environment: environment, profileOption: profile, readFile: { path in files[path] })
}

private let credentialsPath = "\(home)/.aws/credentials"
private let configPath = "\(home)/.aws/config"

@Suite struct CredentialChainTests {
    @Test func environmentWins() throws {
        let found = try resolver(
            environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "tok"],
            files: [credentialsPath: "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = \(otherSecret)\n"]
        ).resolve()
        #expect(found.credentials == AWSCredentials(accessKeyId: "AKIDENV", secretAccessKey: secret, sessionToken: "tok"))
        #expect(found.source == .environment)
    }

    @Test func environmentMissingSecretIsError() {
        #expect(throws: CredentialError.incomplete(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")) {
            try resolver(environment: ["AWS_ACCESS_KEY_ID": "AKIDENV"]).resolve()
        }
    }

    @Test func emptyEnvironmentVariablesAreUnset() throws {
        let found = try resolver(
            environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""],
            files: [credentialsPath: "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = \(secret)\n"]
        ).resolve()
        #expect(found.credentials.accessKeyId == "AKIDFILE")
    }

    @Test func defaultProfileFromCredentialsFile() throws {
        let found = try resolver(files: [
            credentialsPath: "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = \(secret)\n"
                + "aws_session_token = session\n",
        ]).resolve()
        #expect(found.credentials == AWSCredentials(accessKeyId: "AKIDFILE", secretAccessKey: secret, sessionToken: "session"))
        #expect(found.source == .credentialsFile(path: credentialsPath, profile: "default"))
    }

    @Test func profileOptionSkipsEnvironment() throws {
        let found = try resolver(
            environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": secret],
            profile: "research",
            files: [credentialsPath: "[research]\naws_access_key_id = AKIDRESEARCH\naws_secret_access_key = \(otherSecret)\n"]
        ).resolve()
        #expect(found.credentials.accessKeyId == "AKIDRESEARCH")
        #expect(found.source == .credentialsFile(path: credentialsPath, profile: "research"))
    }

    @Test func profileVariableKeepsEnvironmentFirst() throws {
        let files = [credentialsPath: "[research]\naws_access_key_id = AKIDRESEARCH\naws_secret_access_key = \(otherSecret)\n"]
        let withKeys = try resolver(
            environment: ["AWS_PROFILE": "research", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": secret],
            files: files
        ).resolve()
        #expect(withKeys.source == .environment)
        let withoutKeys = try resolver(environment: ["AWS_PROFILE": "research"], files: files).resolve()
        #expect(withoutKeys.credentials.accessKeyId == "AKIDRESEARCH")
    }

    @Test func profileOptionBeatsProfileVariable() throws {
        let found = try resolver(
            environment: ["AWS_PROFILE": "other"], profile: "research",
            files: [credentialsPath: "[research]\naws_access_key_id = AKIDRESEARCH\naws_secret_access_key = \(secret)\n"]
        ).resolve()
        #expect(found.credentials.accessKeyId == "AKIDRESEARCH")
    }

    @Test func configFileUsesProfilePrefix() throws {
        let config = """
            [default]
            region = us-west-2

            [profile research]
            aws_access_key_id = AKIDCONFIG
            aws_secret_access_key = \(secret)

            [other]
            aws_access_key_id = AKIDWRONG
            aws_secret_access_key = \(otherSecret)
            """
        let found = try resolver(profile: "research", files: [configPath: config]).resolve()
        #expect(found.credentials.accessKeyId == "AKIDCONFIG")
        #expect(found.source == .configFile(path: configPath, profile: "research"))

        // A section without the `profile ` prefix is not a profile in the config file.
        #expect(throws: CredentialError.profileNotFound(profile: "other", files: [credentialsPath, configPath])) {
            try resolver(profile: "other", files: [configPath: config]).resolve()
        }
    }

    @Test func defaultProfileFromConfigFile() throws {
        let found = try resolver(files: [
            configPath: "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = \(secret)\n",
        ]).resolve()
        #expect(found.source == .configFile(path: configPath, profile: "default"))
    }

    @Test func credentialsFileBeatsConfigFile() throws {
        let found = try resolver(
            profile: "research",
            files: [
                credentialsPath: "[research]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = \(secret)\n",
                configPath: "[profile research]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = \(otherSecret)\n",
            ]
        ).resolve()
        #expect(found.credentials.accessKeyId == "AKIDCREDS")
    }

    @Test func fileLocationsFromEnvironment() throws {
        let found = try resolver(
            environment: ["AWS_SHARED_CREDENTIALS_FILE": "/etc/turk/creds", "AWS_CONFIG_FILE": "~/cfg"],
            profile: "lab",
            files: [
                "/etc/turk/creds": "[unrelated]\naws_access_key_id = X\naws_secret_access_key = Y\n",
                "\(home)/cfg": "[profile lab]\naws_access_key_id = AKIDLAB\naws_secret_access_key = \(secret)\n",
            ]
        ).resolve()
        #expect(found.source == .configFile(path: "\(home)/cfg", profile: "lab"))
    }

    @Test func missingProfileNamesProfileAndFiles() throws {
        let error = #expect(throws: CredentialError.self) {
            try resolver(
                environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": secret, "AWS_PROFILE": "typo"],
                files: [credentialsPath: "[default]\naws_access_key_id = A\naws_secret_access_key = B\n"]
            ).resolve()
        }
        #expect(error == .profileNotFound(profile: "typo", files: [credentialsPath, configPath]))
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("'typo'"))
        #expect(text.contains(credentialsPath))
        #expect(text.contains(configPath))
    }

    @Test func nothingFoundListsEveryPlace() throws {
        let error = #expect(throws: CredentialError.self) {
            try resolver(files: [configPath: "[default]\nregion = us-east-1\n"]).resolve()
        }
        guard case .notFound(let places) = error else {
            Issue.record("expected notFound, got \(String(describing: error))")
            return
        }
        #expect(places.count == 3)
        #expect(places[0].contains("AWS_ACCESS_KEY_ID"))
        #expect(places[1] == "\(credentialsPath): file not found")
        #expect(places[2] == "\(configPath): [default] has no aws_access_key_id and aws_secret_access_key")
        let text = String(describing: error!)
        #expect(text.contains("aws configure"))
    }

    @Test func profileWithoutKeysIsReported() throws {
        let error = #expect(throws: CredentialError.self) {
            try resolver(profile: "empty", files: [credentialsPath: "[empty]\nregion = us-east-1\n"]).resolve()
        }
        guard case .notFound(let places) = error else {
            Issue.record("expected notFound, got \(String(describing: error))")
            return
        }
        #expect(places[0] == "environment variables: skipped because --profile was given")
        #expect(places[1] == "\(credentialsPath): [empty] has no aws_access_key_id and aws_secret_access_key")
        #expect(places[2] == "\(configPath): file not found")
    }

    @Test func halfKeyPairInFileIsError() {
        #expect(throws: CredentialError.incomplete(
            source: "profile 'default' in \(credentialsPath)", missing: "aws_secret_access_key")) {
            try resolver(files: [credentialsPath: "[default]\naws_access_key_id = AKID\n"]).resolve()
        }
    }

    @Test(arguments: ["role_arn", "sso_start_url", "credential_process"])
    func unsupportedProfileIsError(_ setting: String) {
        #expect(throws: CredentialError.unsupportedProfile(profile: "team", path: configPath, setting: setting)) {
            try resolver(profile: "team", files: [configPath: "[profile team]\n\(setting) = something\n"]).resolve()
        }
    }

    @Test func malformedFileReportsLine() {
        let text = "[default]\naws_access_key_id = AKID\n\(secret)\n"
        let error = #expect(throws: CredentialError.self) {
            try resolver(files: [credentialsPath: text]).resolve()
        }
        let message = error.map(String.init(describing:)) ?? ""
        #expect(message.hasPrefix("\(credentialsPath):3: malformed line"))
        #expect(!message.contains(secret))
    }

    @Test func unreadableFileIsError() {
        let error = #expect(throws: CredentialError.self) {
            try CredentialResolver(environment: ["HOME": home], readFile: { _ in
                throw CredentialError.unreadableFile(path: credentialsPath, reason: "permission denied")
            }).resolve()
        }
        #expect(error == .unreadableFile(path: credentialsPath, reason: "permission denied"))
    }

    @Test func readsFilesFromDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("turkchat-aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("credentials")
        try "[default]\r\naws_access_key_id = AKIDDISK\r\naws_secret_access_key = \(secret)\r\n"
            .write(to: file, atomically: true, encoding: .utf8)

        let found = try CredentialResolver(environment: [
            "HOME": folder.path, "AWS_SHARED_CREDENTIALS_FILE": file.path,
            "AWS_CONFIG_FILE": folder.appendingPathComponent("absent").path,
        ]).resolve()
        #expect(found.credentials.accessKeyId == "AKIDDISK")
        #expect(found.credentials.secretAccessKey == secret)

        #expect(throws: CredentialError.unreadableFile(path: folder.path, reason: "it is a directory, not a file")) {
            try CredentialResolver(environment: ["HOME": "/", "AWS_SHARED_CREDENTIALS_FILE": folder.path]).resolve()
        }
    }
}

@Suite struct CredentialRedactionTests {
    let credentials = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: secret, sessionToken: "TOKENVALUE")

    @Test func descriptionHidesSecrets() {
        let forms = [
            "\(credentials)", String(describing: credentials), String(reflecting: credentials),
            { var text = ""; dump(credentials, to: &text); return text }(),
            "\(ResolvedCredentials(credentials: credentials, source: .environment))",
        ]
        for text in forms {
            #expect(!text.contains(secret), "secret in: \(text)")
            #expect(!text.contains("TOKENVALUE"), "token in: \(text)")
            #expect(!text.contains("AKIAIOSFODNN7"), "key id prefix in: \(text)")
        }
        #expect(credentials.description.contains("****************MPLE"))
    }

    @Test func maskedKeyIdKeepsLastFour() {
        #expect(credentials.maskedAccessKeyId == "****************MPLE")
        #expect(AWSCredentials(accessKeyId: "SHORT", secretAccessKey: "x").maskedAccessKeyId == "*****")
    }
}

@Suite struct INIFileTests {
    @Test func parsesSectionsOptionsAndComments() throws {
        let text = "\u{FEFF}# comment\n; other comment\n[default]\nName = value\nsecond: two words \n\n[profile x]\nk=v\n"
        let file = try INIFile.parse(text, path: "f")
        #expect(file.sections.map(\.name) == ["default", "profile x"])
        #expect(file.section(named: "default")?.options == ["name": "value", "second": "two words"])
        #expect(file.section(named: "default")?.line == 3)
        #expect(file.section(named: "profile x")?.options == ["k": "v"])
    }

    @Test func indentedLinesContinueValue() throws {
        let file = try INIFile.parse("[default]\ns3 =\n  max_concurrent_requests = 20\n  multipart = 8MB\nregion = us-east-1\n", path: "f")
        #expect(file.sections[0].options["s3"] == "max_concurrent_requests = 20\nmultipart = 8MB")
        #expect(file.sections[0].options["region"] == "us-east-1")
    }

    @Test(arguments: [
        ("key = value\n", 1, "an option appears before the first [section] header"),
        ("[default\n", 1, "a section header must end with ']'"),
        ("[ ]\n", 1, "the section name is empty"),
        ("[a]\n= value\n", 2, "the option name before '=' is empty"),
        ("[a]\nx = 1\n[a]\n", 3, "section [a] already appeared on line 1; merge the two sections"),
        ("[a]\nx = 1\nX = 2\n", 3, "option 'x' is set twice in section [a]"),
        ("[a]\r\nx = 1\r\njust words\r\n", 3, "expected a [section] header or a 'name = value' line"),
        ("[a]\rx = 1\rjust words\r", 3, "expected a [section] header or a 'name = value' line"),
    ])
    func malformedLinesAreReported(_ text: String, _ line: Int, _ reason: String) {
        #expect(throws: INIParseError(path: "cfg", line: line, reason: reason)) {
            try INIFile.parse(text, path: "cfg")
        }
    }
}
