import Foundation

/// HTML pages. Every value that came from a request, a worker or the marketplace goes through `htmlEscape`.
/// Only a task directory's own `html/` files are inserted as HTML, because the requester wrote them.
enum Pages {
    /// The parameters MTurk appends to an ExternalQuestion URL, plus the run.
    struct ChatParameters {
        var runId: String
        var hitId: String
        var assignmentId: String
        var workerId: String
        var turkSubmitTo: String
        var isPreview: Bool
    }

    static func document(title: String, body: String, bodyAttributes: String = "", header: Bool = true) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(htmlEscape(title))</title>
        <link rel="stylesheet" href="/static/chat.css">
        </head>
        <body\(bodyAttributes)>
        \(header ? "<header class=\"site\">turkchat</header>" : "")
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// Renders the task page: description pane, message list, input, Done, and the form that submits to MTurk.
    static func chat(task: TaskDefinition, parameters: ChatParameters, descriptionHTML: String,
                     returnURL: String?) -> String {
        let assets = "/tasks/\(parameters.runId)/"
        let html = task.directory.appendingPathComponent("html")
        var extraScripts = ""
        var extraStyles = ""
        if FileManager.default.fileExists(atPath: html.appendingPathComponent("task.js").path) {
            extraScripts = "<script src=\"\(htmlEscape(assets))task.js\"></script>"
        }
        if FileManager.default.fileExists(atPath: html.appendingPathComponent("task.css").path) {
            extraStyles = "<link rel=\"stylesheet\" href=\"\(htmlEscape(assets))task.css\">"
        }
        let attributes = [("data-task-assets", assets), 
            ("data-run", parameters.runId), ("data-hit", parameters.hitId),
            ("data-assignment", parameters.assignmentId), ("data-worker", parameters.workerId),
            ("data-preview", parameters.isPreview ? "true" : "false"),
        ].map { " \($0.0)=\"\(htmlEscape($0.1))\"" }.joined()

        let submitAction = parameters.turkSubmitTo.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            + "/mturk/externalSubmit"
        var returnForm = ""
        if let returnURL, !parameters.isPreview {
            returnForm = """
            <form id="return-form" method="post" action="\(htmlEscape(returnURL))">
            <input type="hidden" name="assignmentId" value="\(htmlEscape(parameters.assignmentId))">
            <input type="hidden" name="workerId" value="\(htmlEscape(parameters.workerId))">
            <button type="submit" class="secondary" id="return-button">Return HIT</button>
            </form>
            """
        }
        let body = """
        <h1>\(htmlEscape(task.title))</h1>
        <div class="layout">
        <section class="description" id="task-description">\(descriptionHTML)</section>
        <section class="chat">
        <div id="task-panel" hidden></div>
        <ul id="messages" aria-live="polite"></ul>
        <div id="status" role="status"></div>
        <form id="composer">
        <textarea id="message-input" rows="2" maxlength="5000" aria-label="Your message" disabled></textarea>
        <button type="submit" id="send-button" disabled>Send</button>
        </form>
        <div class="actions">
        <button type="button" id="done-button" hidden>Done</button>
        \(returnForm)
        </div>
        <form id="submit-form" method="post" action="\(htmlEscape(submitAction))" hidden>
        <input type="hidden" name="assignmentId" value="\(htmlEscape(parameters.assignmentId))">
        <input type="hidden" name="hitId" value="\(htmlEscape(parameters.hitId))">
        <input type="hidden" name="workerId" value="\(htmlEscape(parameters.workerId))">
        <input type="hidden" name="runId" value="\(htmlEscape(parameters.runId))">
        </form>
        </section>
        </div>
        \(extraStyles)
        <script src="/static/chat.js"></script>
        \(extraScripts)
        """
        return document(title: task.title, body: body, bodyAttributes: attributes, header: false)
    }

    /// Returns the description pane: the task's `html/task_description.html` (or `html/cover_page.html` on
    /// preview) when the task has one, else its description as text.
    static func taskDescriptionHTML(_ task: TaskDefinition, preview: Bool) -> String {
        let html = task.directory.appendingPathComponent("html")
        let names = preview ? ["cover_page.html", "task_description.html"] : ["task_description.html"]
        for name in names {
            if let text = try? String(contentsOf: html.appendingPathComponent(name), encoding: .utf8) {
                return text
            }
        }
        return "<p>\(htmlEscape(task.description))</p>"
    }

    static func message(title: String, text: String, link: (href: String, label: String)? = nil,
                        isError: Bool = false) -> String {
        var body = "<h1>\(htmlEscape(title))</h1><div class=\"notice\"><p\(isError ? " class=\"error\"" : "")>"
            + htmlEscape(text) + "</p>"
        if let link {
            body += "<p><a href=\"\(htmlEscape(link.href))\">\(htmlEscape(link.label))</a></p>"
        }
        body += "</div>"
        return document(title: title, body: body)
    }
}
