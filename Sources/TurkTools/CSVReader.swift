import Foundation

/// One record of a CSV file: its fields and the line on which it starts (1-based, counting every line break).
public struct CSVRecord: Equatable, Sendable {
    public var fields: [String]
    public var line: Int

    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }

    /// Whether the record is an empty line (or only spaces), which spreadsheets often leave between rows.
    public var isBlank: Bool {
        fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}

/// A syntax error in a CSV file, with the line of the record it spoils.
public struct CSVSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public var description: String { "line \(line): \(reason)" }
}

/// The result of reading a CSV file: the records that parsed and the syntax errors of those that did not.
public struct CSVDocument: Sendable {
    public var records: [CSVRecord]
    public var errors: [CSVSyntaxError]
}

/// A reader for comma-separated values as RFC 4180 defines them, plus what spreadsheets really write.
///
/// Accepted beyond the RFC: a UTF-8 byte order mark, LF or CR-only line ends as well as CRLF, a missing final line
/// break. Quoted fields may contain commas, doubled quotes and line breaks. A quote inside an unquoted field, text
/// after a closing quote, and a quoted field that never closes are syntax errors. The reader reports each with its
/// line and skips to the next line, so one call lists every bad record.
public enum CSVReader {
    /// Decodes `data` as UTF-8 (after an optional byte order mark) and parses it.
    public static func parse(data: Data) throws(CSVSyntaxError) -> CSVDocument {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes = bytes.dropFirst(3)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let line = firstInvalidUTF8Line(bytes)
            throw CSVSyntaxError(
                line: line,
                reason: "the file is not valid UTF-8 text; save it as \"CSV UTF-8\" from the spreadsheet")
        }
        return parse(text: text)
    }

    /// Parses text that is already decoded. A leading U+FEFF (a byte order mark that survived decoding) is dropped.
    public static func parse(text: String) -> CSVDocument {
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "\u{FEFF}" {
            scalars = scalars.dropFirst()
        }
        var parser = Parser(scalars: Array(scalars))
        return parser.run()
    }

    private static func firstInvalidUTF8Line(_ bytes: Data.SubSequence) -> Int {
        var line = 1
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            if String(validating: bytes[index..<end], as: UTF8.self) == nil { return line }
            line += 1
            index = end == bytes.endIndex ? end : bytes.index(after: end)
        }
        return line
    }

    /// A one-pass state machine over Unicode scalars.
    private struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0
        var line = 1

        init(scalars: [Unicode.Scalar]) {
            self.scalars = scalars
        }

        mutating func run() -> CSVDocument {
            var records: [CSVRecord] = []
            var errors: [CSVSyntaxError] = []
            while position < scalars.count {
                let startLine = line
                switch readRecord() {
                case .success(let fields):
                    records.append(CSVRecord(fields: fields, line: startLine))
                case .failure(let error):
                    errors.append(error)
                    skipToEndOfLine()
                }
            }
            return CSVDocument(records: records, errors: errors)
        }

        /// Reads fields up to and including the record's line break.
        private mutating func readRecord() -> Result<[String], CSVSyntaxError> {
            var fields: [String] = []
            while true {
                let field: String
                if position < scalars.count, scalars[position] == "\"" {
                    switch readQuotedField() {
                    case .success(let text): field = text
                    case .failure(let error): return .failure(error)
                    }
                } else {
                    switch readPlainField() {
                    case .success(let text): field = text
                    case .failure(let error): return .failure(error)
                    }
                }
                fields.append(field)
                if position >= scalars.count { return .success(fields) }
                let separator = scalars[position]
                if separator == "," {
                    position += 1
                    continue
                }
                consumeLineBreak()
                return .success(fields)
            }
        }

        private mutating func readPlainField() -> Result<String, CSVSyntaxError> {
            var text = String.UnicodeScalarView()
            while position < scalars.count {
                let scalar = scalars[position]
                if scalar == "," || scalar == "\n" || scalar == "\r" { break }
                if scalar == "\"" {
                    return .failure(CSVSyntaxError(
                        line: line,
                        reason: "a double quote inside a field that does not start with one; "
                            + "put the whole field in double quotes and write the quote twice (\"\")"))
                }
                text.append(scalar)
                position += 1
            }
            return .success(String(text))
        }

        private mutating func readQuotedField() -> Result<String, CSVSyntaxError> {
            let openingLine = line
            position += 1
            var text = String.UnicodeScalarView()
            while position < scalars.count {
                let scalar = scalars[position]
                if scalar == "\"" {
                    if position + 1 < scalars.count, scalars[position + 1] == "\"" {
                        text.append("\"")
                        position += 2
                        continue
                    }
                    position += 1
                    if position < scalars.count, !isFieldEnd(scalars[position]) {
                        return .failure(CSVSyntaxError(
                            line: line,
                            reason: "text after the closing double quote of a field; "
                                + "a quote inside a quoted field must be written twice (\"\")"))
                    }
                    return .success(String(text))
                }
                if scalar == "\r" || scalar == "\n" {
                    // A line break inside quotes belongs to the field; CRLF and CR become LF.
                    consumeLineBreak()
                    text.append("\n")
                    continue
                }
                text.append(scalar)
                position += 1
            }
            return .failure(CSVSyntaxError(
                line: openingLine,
                reason: "a double quote opens a field that is never closed; add the closing quote"))
        }

        private func isFieldEnd(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "," || scalar == "\n" || scalar == "\r"
        }

        /// Consumes one line break (CRLF, LF or CR) at the current position and counts it.
        private mutating func consumeLineBreak() {
            guard position < scalars.count else { return }
            if scalars[position] == "\r" {
                position += 1
                if position < scalars.count, scalars[position] == "\n" { position += 1 }
                line += 1
            } else if scalars[position] == "\n" {
                position += 1
                line += 1
            }
        }

        /// After an error, skips to the start of the next line. Quotes are not tracked here, because the error
        /// already shows that this line's quoting is broken.
        private mutating func skipToEndOfLine() {
            while position < scalars.count {
                let scalar = scalars[position]
                if scalar == "\r" || scalar == "\n" {
                    consumeLineBreak()
                    return
                }
                position += 1
            }
        }
    }
}
