import Testing
import TurkModel

@Suite struct LocalThrottleTests {
    @Test(arguments: [
        ([:], 0.0),
        (["TURKCHAT_LOCAL_THROTTLE": ""], 0.0),
        (["TURKCHAT_LOCAL_THROTTLE": "  "], 0.0),
        (["TURKCHAT_LOCAL_THROTTLE": "0"], 0.0),
        (["TURKCHAT_LOCAL_THROTTLE": "0.6"], 0.6),
        (["TURKCHAT_LOCAL_THROTTLE": " 1 "], 1.0),
    ])
    func validValuesParse(_ environment: [String: String], _ expected: Double) throws {
        #expect(try LocalThrottle.fraction(environment: environment) == expected)
    }

    @Test(arguments: ["1.5", "-0.1", "nan", "inf", "30%", "a lot", " 2 "])
    func invalidValueIsNamed(_ value: String) {
        let error = #expect(throws: InvalidLocalThrottle.self) {
            try LocalThrottle.fraction(environment: ["TURKCHAT_LOCAL_THROTTLE": value])
        }
        #expect(error?.value == value)
        #expect(error?.message == "invalid value '\(value)' for environment variable TURKCHAT_LOCAL_THROTTLE: "
            + "expected a fraction from 0 to 1, such as 0.3 for 30 % of requests")
        #expect(error?.hint.contains("set it to 0") == true)
    }
}
