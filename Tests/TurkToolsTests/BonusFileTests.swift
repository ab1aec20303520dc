import Foundation
import Testing
import TurkModel
@testable import TurkTools

@Suite struct CSVReaderTests {
    @Test func quotedFieldsWithCommasQuotesAndNewlines() throws {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line one\r\nline two\"\r\nlast,row,here"
        let document = CSVReader.parse(text: text)
        #expect(document.errors.isEmpty)
        #expect(document.records.count == 3)
        #expect(document.records[1].fields == ["x, y", "say \"hi\"", "line one\nline two"])
        #expect(document.records[1].line == 2)
        #expect(document.records[2].line == 4)
    }

    @Test func byteOrderMarkIsDropped() throws {
        let data = Data([0xEF, 0xBB, 0xBF]) + Data("worker_id,amount\n".utf8)
        let document = try CSVReader.parse(data: data)
        #expect(document.records.first?.fields == ["worker_id", "amount"])
    }

    @Test(arguments: ["\r\n", "\n", "\r"])
    func lineEnds(_ lineEnd: String) {
        let document = CSVReader.parse(text: ["a,b", "c,d", "e,f"].joined(separator: lineEnd) + lineEnd)
        #expect(document.records.map(\.fields) == [["a", "b"], ["c", "d"], ["e", "f"]])
        #expect(document.records.map(\.line) == [1, 2, 3])
    }

    @Test func strayQuoteIsReportedAndReadingGoesOn() {
        let document = CSVReader.parse(text: "a,b\n5\" screen,x\n\"ok\"tail,y\nc,d\n")
        #expect(document.errors.map(\.line) == [2, 3])
        #expect(document.records.map(\.fields) == [["a", "b"], ["c", "d"]])
    }

    @Test func unclosedQuoteNamesItsLine() {
        let document = CSVReader.parse(text: "a,b\nc,\"never closed\nmore\n")
        #expect(document.errors.count == 1)
        #expect(document.errors.first?.line == 2)
        #expect(document.errors.first?.reason.contains("never closed") == true)
    }

    @Test func invalidUTF8IsAnError() {
        let data = Data("a,b\nc,".utf8) + Data([0xFF, 0xFE]) + Data("\n".utf8)
        #expect(throws: CSVSyntaxError.self) { try CSVReader.parse(data: data) }
    }
}

@Suite struct BonusFileTests {
    static let header = "worker_id,assignment_id,amount,reason\n"

    func parse(_ text: String, columns: [BonusColumn]? = nil, reason: String? = nil, limits: BonusLimits = BonusLimits())
        -> BonusFile
    {
        BonusFile.parse(data: Data(text.utf8), columns: columns, defaultReason: reason, limits: limits)
    }

    @Test func validFileParses() {
        let file = parse(Self.header + "A1B2C3,3ASSIGN1,0.50,Great work\nA9Z8,3ASSIGN2,$1.25,\"Thanks, really\"\n")
        #expect(file.problems.isEmpty)
        #expect(file.lines.count == 2)
        #expect(file.lines[1].amount == USD(cents: 125))
        #expect(file.lines[1].reason == "Thanks, really")
        #expect(file.lines[1].line == 3)
        #expect(file.total == USD(cents: 175))
    }

    @Test(arguments: [
        "WorkerId,Assignment-ID,Bonus Amount,REASON",
        "Worker ID,Assignment ID,Amount,Reason",
        "worker,assignment,bonus,message",
    ])
    func headerSpellings(_ header: String) {
        let file = parse(header + "\nA1B2,3AS,0.10,ok\n")
        #expect(file.problems.isEmpty)
        #expect(file.lines.first?.workerId == "A1B2")
        #expect(file.lines.first?.assignmentId == "3AS")
        #expect(file.lines.first?.amount == USD(cents: 10))
        #expect(file.lines.first?.reason == "ok")
    }

    @Test func byteOrderMarkAndCROnlyLineEnds() {
        let text = "\u{FEFF}worker_id,assignment_id,amount,reason\rA1,3AS1,0.25,ok\rA2,3AS2,0.30,fine\r"
        let file = parse(text)
        #expect(file.problems.isEmpty)
        #expect(file.lines.map(\.line) == [2, 3])
    }

    @Test func quotedReasonWithNewlinesAndQuotes() {
        let file = parse(Self.header + "A1,3AS1,0.25,\"She said \"\"thanks\"\",\nthen left\"\n")
        #expect(file.problems.isEmpty)
        #expect(file.lines.first?.reason == "She said \"thanks\",\nthen left")
    }

    @Test func blankRowsAreSkipped() {
        let file = parse("\n\n" + Self.header + "\nA1,3AS1,0.25,ok\n   \n,,,\nA2,3AS2,0.25,ok\n\n")
        #expect(file.problems.isEmpty)
        #expect(file.lines.map(\.line) == [5, 8])
    }

    @Test func spacesAroundIdsAreTrimmed() {
        let file = parse(Self.header + "  A1B2  , 3AS1 ,0.25,ok\n")
        #expect(file.problems.isEmpty)
        #expect(file.lines.first?.workerId == "A1B2")
        #expect(file.lines.first?.assignmentId == "3AS1")
    }

    @Test func everyBadRowIsReportedWithItsLine() {
        let text = Self.header
            + "A1,3AS1,0.25,ok\n"  // 2: good
            + "A2,3AS2,0.25,\n"  // 3: empty reason
            + "A3,3AS3,0,ok\n"  // 4: zero
            + "A4,3AS4,-1,ok\n"  // 5: negative
            + "A5,3AS5,0.9752,ok\n"  // 6: more than two decimals
            + "a6 x,3AS6,0.25,ok\n"  // 7: malformed worker id
            + "A7,3AS7,0.25\n"  // 8: missing reason field
            + "A8,3AS8,0.25,ok,extra\n"  // 9: too many fields
            + "A9,3AS9,abc,ok\n"  // 10: not an amount
            + ",3AS10,0.25,ok\n"  // 11: missing worker id
        let file = parse(text)
        let lines = file.problems.compactMap(\.line)
        #expect(lines == [3, 4, 5, 6, 7, 8, 9, 10, 11])
        func reason(_ line: Int) -> String { file.problems.first { $0.line == line }?.reason ?? "" }
        #expect(reason(3).contains("missing reason"))
        #expect(reason(4).contains("zero"))
        #expect(reason(5).contains("negative"))
        #expect(reason(6).contains("more than two decimals"))
        #expect(reason(7).contains("malformed worker id 'a6 x'"))
        #expect(reason(8).contains("missing reason"))
        #expect(reason(9).contains("5 fields"))
        #expect(reason(10).contains("not a dollar amount"))
        #expect(reason(11).contains("missing worker id"))
    }

    @Test func headerlessFileWithColumns() {
        let file = parse("A1,0.50\nA2,$0.75\n", columns: [.workerId, .amount], reason: "Bonus for the chat")
        #expect(file.problems.isEmpty)
        #expect(file.lines.map(\.workerId) == ["A1", "A2"])
        #expect(file.lines.map(\.assignmentId) == [nil, nil])
        #expect(file.lines.map(\.reason) == ["Bonus for the chat", "Bonus for the chat"])
    }

    @Test func headerlessFileWithoutColumnsIsExplained() {
        let file = parse("A1B2,3AS1,0.50,ok\n")
        #expect(file.problems.count == 1)
        #expect(file.problems.first?.reason.contains("--columns") == true)
    }

    @Test func columnsWithAHeaderIsRejected() {
        let file = parse(Self.header + "A1,3AS1,0.50,ok\n", columns: [.workerId, .assignmentId, .amount, .reason])
        #expect(file.problems.first?.reason.contains("looks like a header") == true)
    }

    @Test func missingReasonColumnNeedsDefault() {
        let file = parse("worker_id,assignment_id,amount\nA1,3AS1,0.50\n")
        #expect(file.problems.first?.reason.contains("reason") == true)
        let withDefault = parse("worker_id,assignment_id,amount\nA1,3AS1,0.50\n", reason: "Thanks")
        #expect(withDefault.problems.isEmpty)
    }

    @Test func perPaymentMaximum() {
        let limits = BonusLimits(maxPerPayment: USD(cents: 500), maxTotal: USD(cents: 100_000))
        let file = parse(Self.header + "A1,3AS1,5.00,ok\nA2,3AS2,5.01,ok\n", limits: limits)
        #expect(file.problems.map(\.line) == [3])
        #expect(file.problems.first?.reason.contains("--allow-over-max") == true)
        var allowed = limits
        allowed.allowOverMax = true
        #expect(parse(Self.header + "A2,3AS2,5.01,ok\n", limits: allowed).problems.isEmpty)
    }

    @Test func perFileMaximum() {
        let limits = BonusLimits(maxPerPayment: USD(cents: 1000), maxTotal: USD(cents: 1500))
        let file = parse(Self.header + "A1,3AS1,10.00,ok\nA2,3AS2,5.01,ok\n", limits: limits)
        #expect(file.problems.count == 1)
        #expect(file.problems.first?.line == nil)
        #expect(file.problems.first?.reason.contains("$15.01") == true)
    }

    @Test func repeatedRowsParseAsTwoLines() {
        // bonus-workers decides about identical rows once their ids are resolved; the parser keeps both.
        let file = parse(Self.header + "A1,3AS1,0.50,ok\nA1,3AS1,0.50,ok\n")
        #expect(file.problems.isEmpty)
        #expect(file.lines.map(\.line) == [2, 3])
        #expect(file.warnings.isEmpty)
    }

    @Test func emptyFileIsAProblem() {
        #expect(parse("").problems.first?.reason == "the file has no rows")
        #expect(parse(Self.header).problems.first?.reason.contains("no bonus rows") == true)
    }

    @Test func syntaxErrorsAndRowErrorsTogether() {
        let file = parse(Self.header + "A1,3AS1,0.50,\"open\nA2,3AS2,0,ok\n")
        // The unclosed quote swallows the rest of the file, so only line 2 is reported.
        #expect(file.problems.map(\.line) == [2])
        let other = parse(Self.header + "A1,3AS1,0.50,bad\"quote\nA2,3AS2,0,ok\n")
        #expect(other.problems.map(\.line) == [2, 3])
    }
}

@Suite struct BonusTokenTests {
    @Test func tokenIsDeterministic() {
        let first = PlannedBonus.token(
            workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok", ordinal: 1)
        let again = PlannedBonus.token(
            workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok", ordinal: 1)
        #expect(first == again)
        #expect(first.count <= 64)
        #expect(first.hasPrefix("bonus-"))
    }

    @Test func tokenChangesWithEveryPart() {
        let base = PlannedBonus.token(workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok",
                                      ordinal: 1)
        let variants = [
            PlannedBonus.token(workerId: "A2", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok", ordinal: 1),
            PlannedBonus.token(workerId: "A1", assignmentId: "3AS2", amount: USD(cents: 50), reason: "ok", ordinal: 1),
            PlannedBonus.token(workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 51), reason: "ok", ordinal: 1),
            PlannedBonus.token(workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok!", ordinal: 1),
            PlannedBonus.token(workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok", ordinal: 2),
        ]
        for variant in variants {
            #expect(variant != base)
        }
    }

    @Test func identicalRowsGetOrdinals() {
        let rows = [
            (line: 2, workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok"),
            (line: 3, workerId: "A2", assignmentId: "3AS2", amount: USD(cents: 50), reason: "ok"),
            (line: 4, workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 50), reason: "ok"),
        ]
        let planned = PlannedBonus.plan(rows)
        #expect(planned.map(\.ordinal) == [1, 1, 2])
        #expect(Set(planned.map(\.token)).count == 3)
        // Reordering the file keeps each payment's token: the second identical row is still ordinal 2.
        let reordered = PlannedBonus.plan([rows[1], rows[0], rows[2]])
        #expect(Set(reordered.map(\.token)) == Set(planned.map(\.token)))
    }

    @Test func feeIsTwentyPercentWithMinimum() {
        let rows = [
            (line: 2, workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 1), reason: "ok"),
            (line: 3, workerId: "A1", assignmentId: "3AS1", amount: USD(cents: 125), reason: "ok"),
        ]
        let planned = PlannedBonus.plan(rows)
        #expect(planned[0].fee == USD(cents: 1))
        #expect(planned[1].fee == USD(cents: 25))
    }
}
