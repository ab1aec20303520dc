import Foundation

/// A static HTML report of reviewed work: a summary, per-worker statistics, a histogram of working time as inline
/// SVG, and every conversation. The page loads nothing from anywhere (a Content-Security-Policy forbids it), and every
/// text a worker or the run store supplied is HTML-escaped.
public enum ReviewReport {
    /// Per-worker figures for the statistics table.
    public struct WorkerStatistics: Equatable, Sendable {
        public var workerId: String
        public var assignments = 0
        public var submitted = 0
        public var approved = 0
        public var rejected = 0
        public var messages = 0
        public var medianWorkingSeconds: Double?
    }

    /// One bar of the working-time histogram: the half-open range `[lower, upper)` in seconds and how many
    /// assignments fall in it.
    public struct HistogramBin: Equatable, Sendable {
        public var lower: Double
        public var upper: Double
        public var count: Int
    }

    /// Renders the report for `items`. `title` names the run or selection; `generatedAt` is printed in the footer.
    public static func html(title: String, items: [ReviewItem], generatedAt: Date = Date()) -> String {
        let statistics = workerStatistics(items)
        let bins = histogram(items.compactMap(\.workingSeconds))
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>\(escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; max-width: 60em; color: #222; }
            table { border-collapse: collapse; margin-bottom: 1.5em; }
            th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
            th { background: #f0f0f0; }
            td.number { text-align: right; }
            .conversation { border: 1px solid #ccc; border-radius: 4px; padding: 0.5em 1em; margin-bottom: 1em; }
            .context { background: #f7f7f7; padding: 0.5em; white-space: pre-wrap; }
            .message { margin: 0.3em 0; white-space: pre-wrap; }
            .speaker { font-weight: bold; }
            .status-Approved { color: #1a7f37; } .status-Rejected { color: #b42318; }
            footer { color: #666; font-size: 0.9em; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>

            """
        page += summarySection(items)
        page += workerSection(statistics)
        page += histogramSection(bins)
        page += conversationSection(items)
        page += "<footer>Written by review (turkchat) at \(escape(isoTime(generatedAt))).</footer>\n</body>\n</html>\n"
        return page
    }

    // MARK: - Figures

    /// Computes each worker's figures, ordered by worker id.
    public static func workerStatistics(_ items: [ReviewItem]) -> [WorkerStatistics] {
        var byWorker: [String: WorkerStatistics] = [:]
        var times: [String: [Double]] = [:]
        for item in items {
            var entry = byWorker[item.workerId] ?? WorkerStatistics(workerId: item.workerId)
            entry.assignments += 1
            switch item.status {
            case "Submitted": entry.submitted += 1
            case "Approved": entry.approved += 1
            case "Rejected": entry.rejected += 1
            default: break
            }
            entry.messages += item.conversation?.messages.filter {
                $0.workerId == item.workerId && ($0.assignmentId == nil || $0.assignmentId == item.assignmentId)
            }.count ?? 0
            if let seconds = item.workingSeconds { times[item.workerId, default: []].append(seconds) }
            byWorker[item.workerId] = entry
        }
        for (worker, values) in times {
            byWorker[worker]?.medianWorkingSeconds = median(values)
        }
        return byWorker.values.sorted { $0.workerId < $1.workerId }
    }

    /// Sorts working times into at most 12 bins whose width is a round number of seconds or minutes.
    public static func histogram(_ seconds: [Double]) -> [HistogramBin] {
        guard let largest = seconds.max() else { return [] }
        let widths: [Double] = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400]
        let width = widths.first { (largest / $0).rounded(.down) + 1 <= 12 } ?? (largest / 11).rounded(.up)
        let count = Int((largest / width).rounded(.down)) + 1
        var bins = (0..<count).map { HistogramBin(lower: Double($0) * width, upper: Double($0 + 1) * width, count: 0) }
        for value in seconds {
            let index = min(count - 1, Int((value / width).rounded(.down)))
            bins[index].count += 1
        }
        return bins
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    // MARK: - Sections

    private static func summarySection(_ items: [ReviewItem]) -> String {
        var counts: [String: Int] = [:]
        for item in items { counts[item.status, default: 0] += 1 }
        let conversations = Set(items.compactMap { $0.conversation?.id }).count
        var html = "<h2>Summary</h2>\n<table>\n"
        html += "<tr><th>Assignments</th><td class=\"number\">\(items.count)</td></tr>\n"
        for status in ["Submitted", "Approved", "Rejected"] {
            html += "<tr><th>\(status)</th><td class=\"number\">\(counts[status] ?? 0)</td></tr>\n"
        }
        html += "<tr><th>Conversations</th><td class=\"number\">\(conversations)</td></tr>\n"
        if let middle = median(items.compactMap(\.workingSeconds)) {
            html += "<tr><th>Median working time</th><td class=\"number\">\(duration(middle))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private static func workerSection(_ statistics: [WorkerStatistics]) -> String {
        var html = "<h2>Workers</h2>\n<table id=\"workers\">\n<tr><th>Worker</th><th>Assignments</th>"
        html += "<th>Submitted</th><th>Approved</th><th>Rejected</th><th>Messages</th><th>Median working time</th></tr>\n"
        for entry in statistics {
            html += "<tr><td>\(escape(entry.workerId))</td>"
            for value in [entry.assignments, entry.submitted, entry.approved, entry.rejected, entry.messages] {
                html += "<td class=\"number\">\(value)</td>"
            }
            html += "<td class=\"number\">\(entry.medianWorkingSeconds.map(duration) ?? "–")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private static func histogramSection(_ bins: [HistogramBin]) -> String {
        var html = "<h2>Working time</h2>\n"
        guard !bins.isEmpty else {
            return html + "<p>No assignment has both an accept time and a submit time.</p>\n"
        }
        let barWidth = 48
        let gap = 8
        let chartHeight = 160
        let top = 20
        let bottom = 40
        let left = 40
        let width = left + bins.count * (barWidth + gap) + gap
        let height = top + chartHeight + bottom
        let highest = max(1, bins.map(\.count).max() ?? 1)

        html += "<svg id=\"working-time-histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" "
        html += "height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" "
        html += "aria-label=\"Histogram of working time per assignment\">\n"
        html += "<line x1=\"\(left)\" y1=\"\(top + chartHeight)\" x2=\"\(width)\" y2=\"\(top + chartHeight)\" "
        html += "stroke=\"#444\"/>\n"
        html += "<text x=\"4\" y=\"\(top + 4)\" font-size=\"11\">\(highest)</text>\n"
        html += "<text x=\"4\" y=\"\(top + chartHeight)\" font-size=\"11\">0</text>\n"
        for (index, bin) in bins.enumerated() {
            let x = left + gap + index * (barWidth + gap)
            let barHeight = Int((Double(bin.count) / Double(highest) * Double(chartHeight)).rounded())
            let y = top + chartHeight - barHeight
            html += "<rect class=\"bar\" x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(barHeight)\" "
            html += "fill=\"#4e79a7\"><title>\(duration(bin.lower))–\(duration(bin.upper)): \(bin.count)</title></rect>\n"
            if bin.count > 0 {
                html += "<text x=\"\(x + barWidth / 2)\" y=\"\(y - 4)\" font-size=\"11\" "
                html += "text-anchor=\"middle\">\(bin.count)</text>\n"
            }
            html += "<text x=\"\(x + barWidth / 2)\" y=\"\(top + chartHeight + 16)\" font-size=\"10\" "
            html += "text-anchor=\"middle\">\(duration(bin.lower))</text>\n"
        }
        html += "<text x=\"\(left)\" y=\"\(height - 6)\" font-size=\"11\">"
        html += "working time from accept to submit (bar start); bar height: assignments</text>\n"
        return html + "</svg>\n"
    }

    private static func conversationSection(_ items: [ReviewItem]) -> String {
        var html = "<h2>Conversations</h2>\n"
        var shown: Set<String> = []
        var any = false
        for item in items {
            guard let conversation = item.conversation, shown.insert(conversation.id).inserted else { continue }
            any = true
            let members = items.filter { $0.conversation?.id == conversation.id }
            html += "<div class=\"conversation\" id=\"conversation-\(escape(conversation.id))\">\n"
            html += "<h3>Conversation \(escape(conversation.id)) <small>(\(escape(conversation.status)))</small></h3>\n"
            html += "<p>"
            html += members.map {
                "\(escape($0.agentId ?? "worker")): \(escape($0.workerId)), assignment \(escape($0.assignmentId)) "
                    + "<span class=\"status-\(escape($0.status))\">\(escape($0.status))</span>"
            }.joined(separator: "<br>\n")
            html += "</p>\n"
            if let data = conversation.taskDataJSON,
               let object = try? JSONSerialization.jsonObject(with: Data(data.utf8), options: [.fragmentsAllowed]),
               let context = ConversationExport.contextText(object) {
                html += "<div class=\"context\">\(escape(context))</div>\n"
            }
            for message in conversation.messages {
                html += "<div class=\"message\"><span class=\"speaker\">\(escape(message.agentId)):</span> "
                html += "\(escape(message.text))</div>\n"
            }
            if let result = conversation.resultJSON, !result.isEmpty {
                html += "<p>Result: <code>\(escape(result))</code></p>\n"
            }
            html += "</div>\n"
        }
        if !any { html += "<p>No conversation is recorded for these assignments.</p>\n" }
        return html
    }

    // MARK: - Formatting

    /// Escapes text for HTML element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Formats seconds as `45s`, `3m 20s` or `1h 05m`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m" + (total % 60 == 0 ? "" : " \(total % 60)s") }
        let minutes = (total % 3600) / 60
        return "\(total / 3600)h \(minutes < 10 ? "0" : "")\(minutes)m"
    }

    static func isoTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
