import Foundation
import Testing
@testable import TurkAWS

/// Checks that docs/local-marketplace.md lists exactly the operations the wire service routes.
@Suite struct LocalMarketplaceDocTests {
    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/local-marketplace.md")

    /// Returns the names in backticks at the start of each table row of the "Supported operations" section.
    static func documentedOperations(_ text: String) -> [String] {
        guard let start = text.range(of: "## Supported operations") else { return [] }
        let section = text[start.upperBound...]
        var names: [String] = []
        for line in section.split(separator: "\n") {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { continue }
            names.append(String(line[line.index(line.startIndex, offsetBy: 3)..<end]))
        }
        return names
    }

    /// Returns the names in backticks of the paragraph that lists the operations the endpoint does not serve.
    static func unsupportedOperations(_ text: String) -> [String] {
        guard let start = text.range(of: "Every other operation of the API"),
              let end = text.range(of: "\n\n", range: start.upperBound..<text.endIndex)
        else { return [] }
        let paragraph = text[start.upperBound..<end.lowerBound]
        return paragraph.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            .filter { !$0.contains(" ") && $0 != "UnknownOperationException" }
    }

    @Test func tableListsRoutedOperations() throws {
        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let documented = Self.documentedOperations(text)
        #expect(documented.count == Set(documented).count, "an operation is listed twice")
        #expect(Set(documented) == Set(MTurkWireService.supportedOperations))
        #expect(text.contains("serves these \(MTurkWireService.supportedOperations.count) operations"))
    }

    @Test func otherOperationsAreNamed() throws {
        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let expected = MTurkWireService.knownMTurkOperations.subtracting(MTurkWireService.supportedOperations)
        #expect(Set(Self.unsupportedOperations(text)) == expected)
    }
}
