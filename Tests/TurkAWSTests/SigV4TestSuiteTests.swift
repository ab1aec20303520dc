import Foundation
import Testing
@testable import TurkAWS
import TurkModel

/// One case folder of the AWS SigV4 test suite.
struct SigV4SuiteCase: CustomStringConvertible, Sendable {
    var name: String
    var folder: URL

    var description: String { name }

    func file(_ suffix: String) throws -> String {
        let leaf = folder.lastPathComponent
        return try String(contentsOf: folder.appendingPathComponent("\(leaf).\(suffix)"), encoding: .utf8)
    }

    /// Parses the `.req` file: request line, headers (an indented line continues the previous one), blank line,
    /// body. The request target may contain a raw space (`normalize-path/get-space`), so the method is the first
    /// word and the HTTP version the last.
    func request() throws -> SigV4Request {
        let text = try file("req")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines[0]
        let method = String(requestLine.prefix { $0 != " " })
        let afterMethod = requestLine.dropFirst(method.count + 1)
        let target = String(afterMethod[..<afterMethod.range(of: " ", options: .backwards)!.lowerBound])
        let pathAndQuery = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)

        var headers: [HTTPHeader] = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if line.first == " " || line.first == "\t" {
                headers[headers.count - 1].value += "\n" + line
            } else {
                let colon = line.firstIndex(of: ":")!
                headers.append(HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
            index += 1
        }
        let body = index + 1 < lines.count ? lines[(index + 1)...].joined(separator: "\n") : ""
        return SigV4Request(
            method: method, path: String(pathAndQuery[0]),
            query: pathAndQuery.count > 1 ? String(pathAndQuery[1]) : "", headers: headers, body: Data(body.utf8))
    }

    static func all() -> [SigV4SuiteCase] {
        guard let root = Bundle.module.url(forResource: "Vectors", withExtension: nil)?
            .appendingPathComponent("aws-sig-v4-test-suite")
        else { return [] }
        var cases: [SigV4SuiteCase] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "req" else { continue }
            let folder = url.deletingLastPathComponent()
            let name = String(folder.path.dropFirst(root.path.count + 1))
            cases.append(SigV4SuiteCase(name: name, folder: folder))
        }
        return cases.sorted { $0.name < $1.name }
    }
}

let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
let exampleCredentials = AWSCredentials(
    accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

@Suite struct SigV4TestSuiteTests {
    @Test func suiteHasEveryCase() {
        #expect(SigV4SuiteCase.all().count == 34)
    }

    @Test func signingKeyMatchesSuite() {
        let signer = SigV4Signer(credentials: exampleCredentials, service: "service", region: "us-east-1")
        #expect(hexString(signer.signingKey(date: suiteDate))
            == "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75")
    }

    @Test func amzDateFormatsSuiteTime() {
        #expect(AmzDate.format(suiteDate) == "20150830T123600Z")
        #expect(AmzDate.dateStamp(suiteDate) == "20150830")
        #expect(AmzDate.parse("20150830T123600Z") == suiteDate)
        #expect(AmzDate.parse("20150231T123600Z") == nil)
        #expect(AmzDate.parse("2015-08-30T12:36:00Z") == nil)
    }

    @Test(arguments: SigV4SuiteCase.all())
    func stagesMatchSuite(_ suiteCase: SigV4SuiteCase) throws {
        var request = try suiteCase.request()
        let expectedCanonical = try suiteCase.file("creq")
        var credentials = exampleCredentials

        // This case's .req omits the token that its .creq signs; the signer adds it from the credentials.
        if suiteCase.name == "get-vanilla-with-session-token" {
            let tokenLine = expectedCanonical.split(separator: "\n").first { $0.hasPrefix("x-amz-security-token:") }!
            credentials.sessionToken = String(tokenLine.dropFirst("x-amz-security-token:".count))
        }
        let signer = SigV4Signer(credentials: credentials, service: "service", region: "us-east-1")
        let signed = signer.sign(request, date: suiteDate)
        request = signed
        request.removeHeader("Authorization")

        let canonical = signer.canonicalRequest(request)
        #expect(canonical == expectedCanonical)
        let stringToSign = signer.stringToSign(canonicalRequest: canonical, date: suiteDate)
        #expect(stringToSign == (try suiteCase.file("sts")))
        let signature = signer.signature(stringToSign: stringToSign, date: suiteDate)
        let authorization = signer.authorizationHeader(
            signedHeaders: SigV4Signer.headerNames(of: request), signature: signature, date: suiteDate)
        #expect(authorization == (try suiteCase.file("authz")))
        #expect(signed.headerValues("Authorization") == [try suiteCase.file("authz")])
    }

    /// The token of `post-sts-header-after` is added after signing, so it is not part of the signature.
    @Test func tokenAddedAfterSigningIsUnsigned() throws {
        let suiteCase = SigV4SuiteCase.all().first { $0.name == "post-sts-token/post-sts-header-after" }!
        let signer = SigV4Signer(credentials: exampleCredentials, service: "service", region: "us-east-1")
        let signed = signer.sign(try suiteCase.request(), date: suiteDate)
        #expect(signed.headerValues("Authorization") == [try suiteCase.file("authz")])
        #expect(signed.headerValues("X-Amz-Security-Token").isEmpty)
    }
}

@Suite struct SigV4MTurkVectorTests {
    struct Vector: Decodable {
        var url: String
        var body: String
        var headers: [String: String]
        var canonical_request: String
        var string_to_sign: String
    }

    static func vectors() throws -> [(String, Vector)] {
        let url = Bundle.module.url(forResource: "Vectors", withExtension: nil)!
            .appendingPathComponent("mturk/mturk-sigv4-vectors.json")
        let decoded = try JSONDecoder().decode([String: Vector].self, from: Data(contentsOf: url))
        return decoded.sorted { $0.key < $1.key }
    }

    @Test func vectorFileHasTwoCases() throws {
        #expect(try Self.vectors().count == 2)
    }

    @Test func signerReproducesMTurkVectors() throws {
        let signer = SigV4Signer(credentials: exampleCredentials, service: "mturk-requester", region: "us-east-1")
        for (name, vector) in try Self.vectors() {
            let host = URL(string: vector.url)!.host!
            let request = SigV4Request(
                method: "POST", path: "/",
                headers: [
                    HTTPHeader("Content-Type", vector.headers["Content-Type"]!),
                    HTTPHeader("Host", host),
                    HTTPHeader("X-Amz-Target", vector.headers["X-Amz-Target"]!),
                ],
                body: Data(vector.body.utf8))
            let signed = signer.sign(request, date: suiteDate)
            var unsigned = signed
            unsigned.removeHeader("Authorization")

            let canonical = signer.canonicalRequest(unsigned)
            #expect(canonical == vector.canonical_request, "canonical request of \(name)")
            let stringToSign = signer.stringToSign(canonicalRequest: canonical, date: suiteDate)
            #expect(stringToSign == vector.string_to_sign, "string to sign of \(name)")
            #expect(signed.headerValues("X-Amz-Date") == [vector.headers["X-Amz-Date"]!], "date of \(name)")
            #expect(signed.headerValues("Authorization") == [vector.headers["Authorization"]!], "authorization of \(name)")
        }
    }
}
