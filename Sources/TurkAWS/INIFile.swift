import Foundation

/// An INI file in the dialect of the AWS CLI's `credentials` and `config` files, which botocore reads with
/// Python's `configparser`.
///
/// Rules:
/// - `[name]` starts a section.
/// - `name = value` or `name: value` sets an option. Names are compared in lower case, and values are trimmed.
/// - A line that starts with `#` or `;` is a comment.
/// - An indented line continues the previous option's value, as in the CLI's nested `s3 =` settings.
/// - Lines end with LF, CRLF or CR.
/// - A repeated section or option is an error, as it is for `configparser`, because silently picking one of two
///   secrets would be worse.
public struct INIFile: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        public var name: String
        /// The 1-based line of the section header.
        public var line: Int
        public var options: [String: String]
    }

    /// The file path, for error messages.
    public var path: String
    /// Sections in file order.
    public var sections: [Section]

    public func section(named name: String) -> Section? {
        sections.first { $0.name == name }
    }

    /// Parses `text`. Errors name the file and the line but never quote the line, because a malformed line in a
    /// credentials file may hold a secret.
    public static func parse(_ text: String, path: String) throws(INIParseError) -> INIFile {
        var file = INIFile(path: path, sections: [])
        var lastOption: String? = nil
        // Swift reads "\r\n" as one Character, so each of the three line endings is matched as a whole.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            .map(String.init)
        if let first = lines.first, first.hasPrefix("\u{FEFF}") {
            lines[0] = String(first.dropFirst())
        }

        for (index, line) in lines.enumerated() {
            let number = index + 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") {
                continue
            }
            let isIndented = line.first == " " || line.first == "\t"

            if isIndented, let option = lastOption, !file.sections.isEmpty {
                let current = file.sections.count - 1
                let previous = file.sections[current].options[option] ?? ""
                file.sections[current].options[option] = previous.isEmpty ? trimmed : previous + "\n" + trimmed
                continue
            }

            if !isIndented && trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count >= 2 else {
                    throw INIParseError(path: path, line: number, reason: "a section header must end with ']'")
                }
                let name = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else {
                    throw INIParseError(path: path, line: number, reason: "the section name is empty")
                }
                if let existing = file.section(named: name) {
                    throw INIParseError(
                        path: path, line: number,
                        reason: "section [\(name)] already appeared on line \(existing.line); merge the two sections")
                }
                file.sections.append(Section(name: name, line: number, options: [:]))
                lastOption = nil
                continue
            }

            guard let separator = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw INIParseError(
                    path: path, line: number, reason: "expected a [section] header or a 'name = value' line")
            }
            let name = trimmed[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                throw INIParseError(path: path, line: number, reason: "the option name before '=' is empty")
            }
            guard !file.sections.isEmpty else {
                throw INIParseError(
                    path: path, line: number, reason: "an option appears before the first [section] header")
            }
            let current = file.sections.count - 1
            guard file.sections[current].options[name] == nil else {
                throw INIParseError(
                    path: path, line: number,
                    reason: "option '\(name)' is set twice in section [\(file.sections[current].name)]")
            }
            file.sections[current].options[name] = value
            lastOption = name
        }
        return file
    }
}

/// A malformed line in an INI file.
public struct INIParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// The 1-based line number.
    public var line: Int
    public var reason: String

    public var description: String {
        "\(path):\(line): malformed line: \(reason)"
    }
}
