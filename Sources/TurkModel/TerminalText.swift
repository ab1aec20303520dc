/// Makes text that workers or data files wrote safe to print for people on a terminal or into a pipe.
///
/// Chat messages are free text, so a worker can type escape sequences that recolour the terminal, rewrite its
/// title (OSC), move the cursor, or use a carriage return to overwrite what the reviewer sees. Text output shows such
/// characters as visible escapes instead. JSON output and exports keep the exact text, because JSON encodes control
/// characters itself and researchers need the data as it was written.
public enum TerminalText {
    /// Returns `text` with every C0 control except newline and tab, DEL, every C1 control, and the Unicode bidi
    /// overrides and isolates replaced by a visible escape: `\e` for ESC, `\r`, `\a`, `\b`, and `\u{9B}` style for
    /// the rest.
    ///
    /// NOTE: A backslash typed by the worker is not doubled, so a literal `\e` in the text looks like an escaped ESC.
    /// Doubling it would garble ordinary text such as paths, and the exact text is in the JSON output.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result += visibleEscape(scalar)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        // Bidi embeddings, overrides and isolates reorder the text that follows them on the screen.
        case 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func visibleEscape(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x1B: return "\\e"
        case 0x0D: return "\\r"
        case 0x07: return "\\a"
        case 0x08: return "\\b"
        default: return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
}
