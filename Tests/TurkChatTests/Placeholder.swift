import Foundation
import Testing
@testable import TurkChat

@Test func transportSmoke() async throws {
    let server = try RunningServer()
    defer { server.stop() }
    let result = try runProcess("/usr/bin/curl", ["-sS", "-i", server.url.absoluteString + "/chat?run=r1&b=%26x%3D&workerId=A1B2%2CA1B2&p=a+b%2Bc&assignmentId=3ABC&hitId=3X"])
    print(result.stdout, result.stderr)
    let r2 = try runProcess("/usr/bin/curl", ["-sS", "-i", server.url.absoluteString + "/chat?run=r1&workerId=A1B2&workerId=A1B2&assignmentId=3ABC&hitId=3X"])
    print(r2.stdout)
    let r3 = try runProcess("/usr/bin/curl", ["-sS", "-i", server.url.absoluteString + "/chat?run=r1&workerId=A1B2&assignmentId=3ABC&hitId=3X"])
    print(r3.stdout)
    print(server.logLines.all.joined(separator: "\n"))
}
