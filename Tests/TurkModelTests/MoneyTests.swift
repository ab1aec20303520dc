import Testing
@testable import TurkModel

@Suite struct MoneyTests {
    @Test(arguments: ["0.9752", "$1", "-1", "", "abc", "0", "0.00", "1,5"])
    func userAmountRejects(_ text: String) {
        guard case .failure(let error) = USD.parseUserAmount(text) else {
            Issue.record("'\(text)' was accepted")
            return
        }
        #expect(error.value == text)
    }

    @Test func userAmountAccepts() throws {
        #expect(try USD.parseUserAmount("0.5").get() == USD(cents: 50))
        #expect(try USD.parseUserAmount("1.25").get() == USD(cents: 125))
        #expect(try USD.parseUserAmount(" 3 ").get() == USD(cents: 300))
        #expect(try USD.parseUserAmount("$1.50", allowDollarSign: true).get() == USD(cents: 150))
    }

    @Test func wireFormat() {
        #expect(USD(cents: 5).mturkString == "0.05")
        #expect(USD(cents: 1234).mturkString == "12.34")
        #expect(USD(cents: 50).description == "$0.50")
        #expect(USD(mturkString: "5") == USD(cents: 500))
        #expect(USD(mturkString: "5.") == USD(cents: 500))
        #expect(USD(mturkString: "0.123") == nil)
    }

    @Test func feesFollowMTurkPricing() {
        #expect(MTurkFees.assignmentFee(reward: USD(cents: 100), maxAssignments: 1) == USD(cents: 20))
        #expect(MTurkFees.assignmentFee(reward: USD(cents: 100), maxAssignments: 10) == USD(cents: 40))
        #expect(MTurkFees.assignmentFee(reward: USD(cents: 1), maxAssignments: 1) == USD(cents: 1))
        #expect(MTurkFees.assignmentFee(reward: USD(cents: 7), maxAssignments: 1) == USD(cents: 1))
        #expect(MTurkFees.assignmentFee(reward: USD(cents: 13), maxAssignments: 1) == USD(cents: 3))
        #expect(MTurkFees.bonusFee(USD(cents: 3)) == USD(cents: 1))
        #expect(MTurkFees.bonusFee(USD(cents: 250)) == USD(cents: 50))
        let cost = MTurkFees.hitCost(reward: USD(cents: 50), maxAssignments: 1, hits: 3)
        #expect(cost.rewards == USD(cents: 150))
        #expect(cost.fees == USD(cents: 30))
    }
}

@Suite struct QuestionXMLTests {
    @Test func externalQuestionRoundTrip() {
        let question = ExternalQuestion(externalURL: "https://example.org/chat?run=a&b=c", frameHeight: 700)
        #expect(question.xml.contains("run=a&amp;b=c"))
        #expect(ExternalQuestion(xml: question.xml) == question)
    }

    @Test func answersParseASCIILabel() {
        let xml = """
            <?xml version="1.0" encoding="ASCII"?>
            <QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd">
            <Answer><QuestionIdentifier>code</QuestionIdentifier><FreeText>caf&#233; &amp; co</FreeText></Answer>
            </QuestionFormAnswers>
            """
        let answers = QuestionFormAnswers(xml: xml)
        #expect(answers?["code"] == "café & co")
    }

    @Test func malformedXMLIsRejected() {
        #expect(QuestionFormAnswers(xml: "") == nil)
        #expect(QuestionFormAnswers(xml: "<a><b></a>") == nil)
        #expect(QuestionFormAnswers(xml: "not xml at all") == nil)
        #expect(ExternalQuestion(xml: "<HTMLQuestion/>") == nil)
    }

    @Test func answersRoundTrip() {
        let answers = QuestionFormAnswers(answers: [("conversation", "c_1"), ("note", "<b>&")])
        #expect(QuestionFormAnswers(xml: answers.xml) == answers)
    }
}

@Suite struct RequestTokenTests {
    @Test func deterministicAndBounded() {
        let first = RequestToken.derive(prefix: "hit", ["run-1", "0"])
        #expect(first == RequestToken.derive(prefix: "hit", ["run-1", "0"]))
        #expect(first != RequestToken.derive(prefix: "hit", ["run-1", "1"]))
        #expect(first.count == 64)
        #expect(MTurkID.isRequestToken(first))
        // Length prefixes keep ["ab", "c"] and ["a", "bc"] apart.
        #expect(RequestToken.derive(prefix: "x", ["ab", "c"]) != RequestToken.derive(prefix: "x", ["a", "bc"]))
    }
}
