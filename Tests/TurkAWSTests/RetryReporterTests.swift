import Foundation
import Synchronization
import Testing
import TurkModel
@testable import TurkAWS

/// A monotonic clock that tests move by hand.
private final class ManualClock: Sendable {
    private let current = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { current.withLock { $0 } }
    func advance(_ duration: Duration) { current.withLock { $0 += duration } }
}

@Suite struct RetryReporterTests {
    private func reporter(_ clock: ManualClock, _ log: LogLines) -> RetryReporter {
        RetryReporter(interval: .seconds(5), log: { log.append($0) }, now: { clock.now })
    }

    private func retry(_ reporter: RetryReporter, attempt: Int = 2, wait: TimeInterval = 0.5) {
        reporter.retrying(
            operation: "CreateHITWithHITType", attempt: attempt, maxAttempts: 10, wait: wait,
            failure: "ThrottlingException: Rate exceeded (request id req-1)")
    }

    @Test func firstRetryIsLoggedInFull() {
        let clock = ManualClock()
        let log = LogLines()
        retry(reporter(clock, log))
        #expect(log.all == [
            "retrying CreateHITWithHITType in 0.50 s (attempt 2 of 10) after ThrottlingException: Rate exceeded "
                + "(request id req-1); further retries are counted and reported at most every 5 s",
        ])
    }

    @Test func laterRetriesAreCountedPerInterval() {
        let clock = ManualClock()
        let log = LogLines()
        let reporter = reporter(clock, log)
        retry(reporter)
        for _ in 0..<30 {
            clock.advance(.milliseconds(100))
            retry(reporter, attempt: 3, wait: 0.25)
        }
        // 3 s have passed: nothing beyond the first line yet.
        #expect(log.all.count == 1)

        clock.advance(.seconds(2))
        retry(reporter, attempt: 4, wait: 1)
        #expect(log.all.count == 2)
        #expect(log.all.last == "31 more retries in the last 5 s, 8.5 s spent waiting; latest: retrying "
            + "CreateHITWithHITType in 1.00 s (attempt 4 of 10) after ThrottlingException: Rate exceeded "
            + "(request id req-1)")

        // The count starts again after each line.
        clock.advance(.seconds(1))
        retry(reporter)
        retry(reporter)
        #expect(log.all.count == 2)
        reporter.flush()
        #expect(log.all.count == 3)
        #expect(log.all.last?.hasPrefix("2 more retries in the last 1 s, 1.0 s spent waiting; latest: ") == true)
        reporter.flush()
        #expect(log.all.count == 3)
    }

    @Test func loneRetryAfterQuietSpellIsInFull() {
        let clock = ManualClock()
        let log = LogLines()
        let reporter = reporter(clock, log)
        retry(reporter)
        clock.advance(.seconds(60))
        retry(reporter, attempt: 2, wait: 0.2)
        #expect(log.all.count == 2)
        #expect(log.all.last == "retrying CreateHITWithHITType in 0.20 s (attempt 2 of 10) after ThrottlingException: "
            + "Rate exceeded (request id req-1)")
    }

    @Test func flushWithoutRetriesLogsNothing() {
        let log = LogLines()
        let reporter = reporter(ManualClock(), log)
        reporter.flush()
        retry(reporter)
        reporter.flush()
        #expect(log.all.count == 1)
    }
}

/// The client's use of the reporter, against a loopback server that throttles.
@Suite(.serialized) struct ClientRetryReportTests {
    private func quietClient(_ url: URL, _ log: LogLines, interval: TimeInterval) -> MTurkClient {
        var configuration = MTurkClientConfiguration(
            endpoint: url, target: .local,
            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: testSecret),
            retry: RetryPolicy(maxAttempts: 10, baseDelay: 0.001, maxDelay: 0.002), requestsPerSecond: .infinity,
            verbose: false, log: { log.append($0) })
        configuration.retryReportInterval = interval
        return MTurkClient(configuration: configuration)
    }

    @Test func quietClientSummarisesRetries() async throws {
        let throttled = LoopbackResponse.json(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
        let server = try scriptedServer(Array(repeating: throttled, count: 5) + [.json(200, #"{"AvailableBalance":"5.00"}"#)])
        defer { server.stop() }
        let log = LogLines()
        let client = quietClient(server.url, log, interval: 3_600)

        _ = try await client.getAccountBalance(GetAccountBalanceRequest())
        #expect(server.requests.count == 6)
        #expect(log.all.count == 1)
        #expect(log.all.first?.hasPrefix("retrying GetAccountBalance in ") == true)
        #expect(log.all.first?.contains("(attempt 2 of 10) after ThrottlingException: Rate exceeded") == true)

        client.reportRetries()
        #expect(log.all.count == 2)
        #expect(log.all.last?.hasPrefix("4 more retries in the last ") == true)
        #expect(log.all.last?.contains("latest: retrying GetAccountBalance in ") == true)
        #expect(log.all.last?.contains("(attempt 6 of 10)") == true)
        #expect(log.all.allSatisfy { !$0.contains(testSecret) })
    }

    @Test func unreportedRetriesAreLoggedWhenClientGoesAway() async throws {
        let throttled = LoopbackResponse.json(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
        let server = try scriptedServer([throttled, throttled, throttled, .json(200, "{}")])
        defer { server.stop() }
        let log = LogLines()
        do {
            let client = quietClient(server.url, log, interval: 3_600)
            _ = try await client.deleteHIT(DeleteHITRequest(hitId: "3ABC"))
            #expect(log.all.count == 1)
        }
        #expect(log.all.count == 2)
        #expect(log.all.last?.hasPrefix("2 more retries in the last ") == true)
    }

    @Test func verboseClientLogsEveryRetry() async throws {
        let throttled = LoopbackResponse.json(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
        let server = try scriptedServer([throttled, throttled, throttled, .json(200, "{}")])
        defer { server.stop() }
        let log = LogLines()
        _ = try await makeClient(endpoint: server.url, log: log).deleteHIT(DeleteHITRequest(hitId: "3ABC"))
        #expect(log.all.count == 3)
        #expect(log.all.allSatisfy { $0.hasPrefix("retrying DeleteHIT in ") })
    }
}
