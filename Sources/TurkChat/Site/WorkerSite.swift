import Foundation
import TurkLocal
import TurkModel

/// The worker side of MTurk's website for the local target: list open HITs, preview, accept, submit through
/// `/mturk/externalSubmit`, and return. HTML routes for people and `/api/...` JSON routes for scripts.
///
/// Every marketplace call runs on `queue`, off the service thread, and the response comes back through the
/// core's inbox.
final class WorkerSite: Sendable {
    let marketplace: LocalMarketplace
    private let queue = DispatchQueue(label: "turkchat.worker-site", attributes: .concurrent)

    init(marketplace: LocalMarketplace) {
        self.marketplace = marketplace
    }

    /// The placeholder MTurk sends as `assignmentId` on a preview.
    static let previewAssignmentId = "ASSIGNMENT_ID_NOT_AVAILABLE"

    /// Returns true when the route is the worker site's; the response is sent later through `core`.
    func handle(_ request: HTTPRequest, core: ChatServerCore) -> Bool {
        let routes: [String: (HTTPRequest, ChatServerCore) -> Void] = [
            "GET /": listPage, "GET /preview": previewPage, "POST /accept": acceptForm,
            "GET /mturk/externalSubmit": externalSubmit, "POST /mturk/externalSubmit": externalSubmit,
            "POST /return": returnForm, "GET /api/hits": apiHITs, "POST /api/accept": apiAccept,
            "POST /api/return": apiReturn,
        ]
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let route = routes["\(method) \(request.path)"] else { return false }
        route(request, core)
        return true
    }

    /// Runs `work` on the worker-site queue and sends the response it builds.
    private func respond(_ request: HTTPRequest, core: ChatServerCore,
                         _ work: @escaping @Sendable () -> HTTPResponse) {
        let inbox = core.inbox
        let connectionID = request.connectionID
        queue.async {
            let response = work()
            inbox.post { core in core.transport.respond(connectionID, response) }
        }
    }

    // MARK: - HTML routes

    private func listPage(_ request: HTTPRequest, core: ChatServerCore) {
        let workerId: String?
        do {
            workerId = try request.uniqueQueryValue("workerId")
        } catch {
            core.transport.respond(request.connectionID, .html(Pages.message(
                title: "Invalid request", text: error.message, isError: true), status: error.status))
            return
        }
        let marketplace = self.marketplace
        respond(request, core: core) {
            guard let workerId, !workerId.isEmpty else {
                return .html(Self.signInPage(suggestion: LocalMarketplace.newWorkerID()))
            }
            guard MTurkID.isWorkerID(workerId) else {
                return .html(Pages.message(
                    title: "Invalid worker id",
                    text: "\"\(workerId)\" is not a worker id: it must be an A followed by upper-case letters and "
                        + "digits, such as A1B2C3D4E5F6G7.", link: ("/", "Back"), isError: true), status: 400)
            }
            do {
                let hits = try marketplace.availableHITs(workerId: workerId, includeUnqualified: true)
                return .html(Self.hitListPage(workerId: workerId, hits: hits))
            } catch {
                return .html(Pages.message(title: "Cannot list HITs", text: describe(error), link: ("/", "Back"),
                                           isError: true), status: 400)
            }
        }
    }

    private func previewPage(_ request: HTTPRequest, core: ChatServerCore) {
        let hitId: String?
        let workerId: String?
        do {
            hitId = try request.uniqueQueryValue("hitId")
            workerId = try request.uniqueQueryValue("workerId")
        } catch {
            core.transport.respond(request.connectionID, .html(Pages.message(
                title: "Invalid request", text: error.message, isError: true), status: error.status))
            return
        }
        let marketplace = self.marketplace
        respond(request, core: core) {
            guard let hitId else {
                return .html(Pages.message(title: "Missing HIT id", text: "The preview needs a hitId parameter.",
                                           link: ("/", "Back"), isError: true), status: 400)
            }
            do {
                let hit = try marketplace.previewHIT(hitId: hitId, workerId: workerId)
                guard let externalURL = Self.externalURL(hit) else {
                    return .html(Pages.message(title: "Cannot preview", text: "HIT \(hitId) has no ExternalQuestion.",
                                               isError: true), status: 400)
                }
                let frameURL = Self.appending(externalURL, [("assignmentId", Self.previewAssignmentId),
                                                            ("hitId", hitId)])
                return .html(Self.previewDocument(hit: hit, workerId: workerId, frameURL: frameURL))
            } catch {
                return .html(Pages.message(title: "Cannot preview", text: describe(error), link: ("/", "Back"),
                                           isError: true), status: 404)
            }
        }
    }

    private func acceptForm(_ request: HTTPRequest, core: ChatServerCore) {
        let fields = request.formFields
        let marketplace = self.marketplace
        let submitBase = core.submitBaseURL
        respond(request, core: core) {
            do {
                let (hitId, workerId) = try Self.requireHITAndWorker(fields)
                let (_, taskURL) = try Self.accept(marketplace, hitId: hitId, workerId: workerId,
                                                   submitBase: submitBase)
                return .redirect(to: taskURL)
            } catch let error as HTTPError {
                return .html(Pages.message(title: "Cannot accept", text: error.message, link: ("/", "Back"),
                                           isError: true), status: error.status)
            } catch {
                return .html(Pages.message(title: "Cannot accept", text: describe(error), link: ("/", "Back"),
                                           isError: true), status: 409)
            }
        }
    }

    /// Handles MTurk's `/mturk/externalSubmit`: marks the assignment Submitted with every other field as a FreeText value.
    private func externalSubmit(_ request: HTTPRequest, core: ChatServerCore) {
        let fields = request.formFields
        // XML 1.0 cannot carry C0 control characters other than tab, newline and carriage return, so an answer with
        // one (%00 in the form) would make the assignment's QuestionFormAnswers document unreadable.
        if let field = fields.first(where: { !isXMLText($0.name) || !isXMLText($0.value) }) {
            if let count = core.transport.repeats.count("submit-control-character") {
                core.logger.warning("rejected a submission with a control character",
                                    ["field": String(field.name.prefix(80)), "peer": request.remoteAddress,
                                     "count": String(count)])
            }
            core.transport.respond(request.connectionID, .html(Pages.message(
                title: "Cannot submit",
                text: "The field \(field.name.prefix(80)) contains a control character (such as %00) that an answer "
                    + "cannot hold. Remove it and submit again.", link: ("/", "Back"), isError: true), status: 400))
            return
        }
        let marketplace = self.marketplace
        let inbox = core.inbox
        respond(request, core: core) {
            let assignmentIds = fields.filter { $0.name == "assignmentId" }.map(\.value)
            guard assignmentIds.count == 1, let assignmentId = assignmentIds.first, MTurkID.isEntityID(assignmentId)
            else {
                return .html(Pages.message(
                    title: "Cannot submit", text: "The form needs exactly one valid assignmentId field.",
                    link: ("/", "Back to the HIT list"), isError: true), status: 400)
            }
            do {
                let workerId = try Self.submittingWorker(marketplace, assignmentId: assignmentId, fields: fields)
                let submitted = try marketplace.submitAssignment(
                    assignmentId: assignmentId, workerId: workerId, answers: fields)
                inbox.post { core in
                    core.logger.info("assignment submitted", ["assignment": assignmentId, "worker": workerId,
                                                              "hit": submitted.hitId])
                    core.engine.assignmentSubmitted(workerId: workerId, assignmentId: assignmentId)
                }
                return .html(Pages.message(
                    title: "Submitted", text: "Assignment \(assignmentId) of HIT \(submitted.hitId) was submitted. "
                        + "Thank you!",
                    link: ("/?workerId=\(percentEncode(workerId))", "Back to the HIT list")))
            } catch let error as HTTPError {
                return .html(Pages.message(title: "Cannot submit", text: error.message, link: ("/", "Back"),
                                           isError: true), status: error.status)
            } catch {
                return .html(Pages.message(title: "Cannot submit", text: describe(error), link: ("/", "Back"),
                                           isError: true), status: 409)
            }
        }
    }

    private func returnForm(_ request: HTTPRequest, core: ChatServerCore) {
        let fields = request.formFields
        let marketplace = self.marketplace
        let inbox = core.inbox
        respond(request, core: core) {
            do {
                let (assignmentId, workerId) = try Self.requireAssignmentAndWorker(fields)
                try marketplace.returnAssignment(assignmentId: assignmentId, workerId: workerId)
                inbox.post { core in core.engine.assignmentReturned(workerId: workerId, assignmentId: assignmentId) }
                return .redirect(to: "/?workerId=\(percentEncode(workerId))")
            } catch let error as HTTPError {
                return .html(Pages.message(title: "Cannot return", text: error.message, link: ("/", "Back"),
                                           isError: true), status: error.status)
            } catch {
                return .html(Pages.message(title: "Cannot return", text: describe(error), link: ("/", "Back"),
                                           isError: true), status: 409)
            }
        }
    }

    // MARK: - JSON routes

    private func apiHITs(_ request: HTTPRequest, core: ChatServerCore) {
        let workerId: String?
        do {
            workerId = try request.uniqueQueryValue("workerId")
        } catch {
            core.transport.respond(request.connectionID, .jsonError(error))
            return
        }
        let marketplace = self.marketplace
        respond(request, core: core) {
            guard let workerId, MTurkID.isWorkerID(workerId) else {
                return .jsonError(HTTPError(status: 400, message: "The workerId parameter must be a worker id, such as "
                                            + "A1B2C3D4E5F6G7."))
            }
            do {
                let hits = try marketplace.availableHITs(workerId: workerId, includeUnqualified: true)
                return .json(APIHITList(hits: hits.map(APIHIT.init)))
            } catch {
                return .jsonError(HTTPError(status: 400, message: describe(error)))
            }
        }
    }

    private func apiAccept(_ request: HTTPRequest, core: ChatServerCore) {
        let fields = Self.apiFields(request)
        let marketplace = self.marketplace
        let submitBase = core.submitBaseURL
        respond(request, core: core) {
            do {
                let (hitId, workerId) = try Self.requireHITAndWorker(fields)
                let (assignment, taskURL) = try Self.accept(marketplace, hitId: hitId, workerId: workerId,
                                                            submitBase: submitBase)
                return .json(APIAcceptance(
                    assignmentId: assignment.assignmentId, hitId: assignment.hitId, workerId: assignment.workerId,
                    turkSubmitTo: submitBase, taskURL: taskURL, deadline: assignment.deadline.timeIntervalSince1970))
            } catch let error as HTTPError {
                return .jsonError(error)
            } catch {
                return .jsonError(HTTPError(status: 409, message: describe(error)))
            }
        }
    }

    private func apiReturn(_ request: HTTPRequest, core: ChatServerCore) {
        let fields = Self.apiFields(request)
        let marketplace = self.marketplace
        let inbox = core.inbox
        respond(request, core: core) {
            do {
                let (assignmentId, workerId) = try Self.requireAssignmentAndWorker(fields)
                try marketplace.returnAssignment(assignmentId: assignmentId, workerId: workerId)
                inbox.post { core in core.engine.assignmentReturned(workerId: workerId, assignmentId: assignmentId) }
                return .json(["returned": assignmentId])
            } catch let error as HTTPError {
                return .jsonError(error)
            } catch {
                return .jsonError(HTTPError(status: 409, message: describe(error)))
            }
        }
    }

    // MARK: - Helpers

    /// Fields of a JSON object body (`{"hit_id": ..., "worker_id": ...}`) or of a form, with JSON names mapped to
    /// the form names.
    private static func apiFields(_ request: HTTPRequest) -> [(name: String, value: String)] {
        let names = ["hit_id": "hitId", "worker_id": "workerId", "assignment_id": "assignmentId"]
        if request.header("content-type")?.hasPrefix("application/json") == true,
           case .object(let object)? = JSONValue.parse(String(decoding: request.body, as: UTF8.self)) {
            return object.compactMap { key, value in
                value.stringValue.map { (names[key] ?? key, $0) }
            }
        }
        return request.formFields
    }

    private static func single(_ fields: [(name: String, value: String)], _ name: String) throws -> String {
        let values = fields.filter { $0.name == name }.map(\.value)
        guard values.count == 1, let value = values.first, !value.isEmpty else {
            throw HTTPError(status: 400, message: values.count > 1
                            ? "The field \(name) appears \(values.count) times; send it once."
                            : "The field \(name) is missing.")
        }
        return value
    }

    private static func requireHITAndWorker(_ fields: [(name: String, value: String)]) throws -> (String, String) {
        let hitId = try single(fields, "hitId")
        let workerId = try single(fields, "workerId")
        guard MTurkID.isEntityID(hitId) else { throw HTTPError(status: 400, message: "Invalid HIT id \"\(hitId)\".") }
        guard MTurkID.isWorkerID(workerId) else {
            throw HTTPError(status: 400, message: "Invalid worker id \"\(workerId)\": it must be an A followed by "
                            + "upper-case letters and digits.")
        }
        return (hitId, workerId)
    }

    private static func requireAssignmentAndWorker(_ fields: [(name: String, value: String)]) throws
        -> (String, String)
    {
        let assignmentId = try single(fields, "assignmentId")
        let workerId = try single(fields, "workerId")
        guard MTurkID.isEntityID(assignmentId), MTurkID.isWorkerID(workerId) else {
            throw HTTPError(status: 400, message: "Invalid assignment id or worker id.")
        }
        return (assignmentId, workerId)
    }

    /// Returns the submitting worker: the form's `workerId` when present, else the assignment's current holder.
    private static func submittingWorker(
        _ marketplace: LocalMarketplace, assignmentId: String, fields: [(name: String, value: String)]
    ) throws -> String {
        let workerIds = fields.filter { $0.name == "workerId" }.map(\.value)
        if workerIds.count > 1 {
            throw HTTPError(status: 400, message: "The field workerId appears \(workerIds.count) times; send it once.")
        }
        if let workerId = workerIds.first {
            guard MTurkID.isWorkerID(workerId) else {
                throw HTTPError(status: 400, message: "Invalid worker id \"\(workerId)\".")
            }
            return workerId
        }
        guard let holder = try marketplace.currentAssignment(assignmentId: assignmentId) else {
            throw HTTPError(status: 404, message: "Assignment \(assignmentId) does not exist or is not held by anyone.")
        }
        return holder.workerId
    }

    private static func accept(_ marketplace: LocalMarketplace, hitId: String, workerId: String, submitBase: String)
        throws -> (WorkerAssignment, String)
    {
        let hit = try marketplace.previewHIT(hitId: hitId, workerId: workerId)
        guard let externalURL = externalURL(hit) else {
            throw HTTPError(status: 400, message: "HIT \(hitId) has no ExternalQuestion, so it has no task page.")
        }
        let assignment = try marketplace.acceptHIT(hitId: hitId, workerId: workerId)
        let taskURL = appending(externalURL, [
            ("assignmentId", assignment.assignmentId), ("hitId", hitId), ("workerId", workerId),
            ("turkSubmitTo", submitBase),
        ])
        return (assignment, taskURL)
    }

    static func externalURL(_ hit: HIT) -> String? {
        hit.question.flatMap(ExternalQuestion.init(xml:))?.externalURL
    }

    /// Appends query parameters as MTurk does: `&` when the URL has a query already, else `?`.
    static func appending(_ url: String, _ parameters: [(String, String)]) -> String {
        let separator = url.contains("?") ? "&" : "?"
        return url + separator + parameters.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    // MARK: - Pages

    private static func signInPage(suggestion: String) -> String {
        let body = """
        <h1>Worker site</h1>
        <div class="notice">
        <p>This is the offline marketplace's worker site. Enter a worker id to see the HITs you can work on.</p>
        <form class="worker-form" method="get" action="/">
        <label for="worker-id">Worker id</label>
        <input id="worker-id" name="workerId" value="\(htmlEscape(suggestion))" pattern="A[A-Z0-9]{1,63}" required>
        <button type="submit">Show HITs</button>
        </form>
        <p>Any id of an A followed by upper-case letters and digits works; the suggested one is new.</p>
        </div>
        """
        return Pages.document(title: "Worker site", body: body)
    }

    private static func hitListPage(workerId: String, hits: [WorkerHIT]) -> String {
        var rows = ""
        for item in hits {
            let hit = item.hit
            let hitId = htmlEscape(hit.hitId ?? "")
            let reward = htmlEscape("$" + (hit.reward ?? "?"))
            let accept = item.canAccept
                ? """
                <form method="post" action="/accept"><input type="hidden" name="hitId" value="\(hitId)">\
                <input type="hidden" name="workerId" value="\(htmlEscape(workerId))">\
                <button type="submit" class="accept">Accept</button></form>
                """
                : "<span>Not qualified</span>"
            rows += """
            <tr><td><strong>\(htmlEscape(hit.title ?? ""))</strong><br>\(htmlEscape(hit.description ?? ""))</td>\
            <td>\(reward)</td><td>\(hit.numberOfAssignmentsAvailable ?? 0)</td>\
            <td><a href="/preview?hitId=\(hitId)&amp;workerId=\(htmlEscape(percentEncode(workerId)))">Preview</a></td>\
            <td>\(accept)</td></tr>

            """
        }
        let table = hits.isEmpty
            ? "<div class=\"notice\"><p>There are no HITs for you right now.</p></div>"
            : """
            <table class="hits"><thead><tr><th>HIT</th><th>Reward</th><th>Available</th><th></th><th></th></tr>\
            </thead><tbody>
            \(rows)</tbody></table>
            """
        let body = """
        <h1>Open HITs</h1>
        <form class="worker-form" method="get" action="/">
        <label for="worker-id">Worker id</label>
        <input id="worker-id" name="workerId" value="\(htmlEscape(workerId))" pattern="A[A-Z0-9]{1,63}" required>
        <button type="submit" class="secondary">Refresh</button>
        </form>
        \(table)
        """
        return Pages.document(title: "Open HITs", body: body)
    }

    private static func previewDocument(hit: HIT, workerId: String?, frameURL: String) -> String {
        var accept = "<p>Enter a worker id on the <a href=\"/\">HIT list</a> to accept this HIT.</p>"
        if let workerId {
            accept = """
            <form class="worker-form" method="post" action="/accept">
            <input type="hidden" name="hitId" value="\(htmlEscape(hit.hitId ?? ""))">
            <input type="hidden" name="workerId" value="\(htmlEscape(workerId))">
            <button type="submit">Accept</button>
            <a href="/?workerId=\(htmlEscape(percentEncode(workerId)))">Back to the list</a>
            </form>
            """
        }
        // The Content-Security-Policy (style-src 'self') ignores style attributes, so the width and border come from
        // the style sheet and the height from the attribute, as MTurk sizes its frame by the HIT's FrameHeight.
        let frameHeight = hit.question.flatMap(ExternalQuestion.init(xml:))?.frameHeight ?? 0
        let height = (100...5000).contains(frameHeight) ? frameHeight : 650
        let body = """
        <h1>\(htmlEscape(hit.title ?? "HIT"))</h1>
        \(accept)
        <iframe class="task-frame" src="\(htmlEscape(frameURL))" title="Task preview" height="\(height)"></iframe>
        """
        return Pages.document(title: hit.title ?? "HIT", body: body)
    }
}

/// One HIT in `GET /api/hits`.
struct APIHIT: Encodable {
    var hitId: String
    var title: String
    var description: String
    var keywords: String
    var reward: String
    var assignmentsAvailable: Int
    var canAccept: Bool
    var externalURL: String?

    init(_ item: WorkerHIT) {
        hitId = item.hit.hitId ?? ""
        title = item.hit.title ?? ""
        description = item.hit.description ?? ""
        keywords = item.hit.keywords ?? ""
        reward = item.hit.reward ?? ""
        assignmentsAvailable = item.hit.numberOfAssignmentsAvailable ?? 0
        canAccept = item.canAccept
        externalURL = WorkerSite.externalURL(item.hit)
    }

    enum CodingKeys: String, CodingKey {
        case hitId = "hit_id", title, description, keywords, reward
        case assignmentsAvailable = "assignments_available", canAccept = "can_accept", externalURL = "external_url"
    }
}

struct APIHITList: Encodable {
    var hits: [APIHIT]
}

/// The response body of `POST /api/accept`.
struct APIAcceptance: Encodable {
    var assignmentId: String
    var hitId: String
    var workerId: String
    var turkSubmitTo: String
    var taskURL: String
    /// Unix time by which the assignment must be submitted.
    var deadline: Double

    enum CodingKeys: String, CodingKey {
        case assignmentId = "assignment_id", hitId = "hit_id", workerId = "worker_id"
        case turkSubmitTo = "turk_submit_to", taskURL = "task_url", deadline
    }
}

/// Returns a marketplace error's message without its code, for pages.
func describe(_ error: any Error) -> String {
    if let error = error as? MTurkError { return error.message }
    return String(describing: error)
}

/// The local target's authority: the local marketplace records the holder of every assignment.
struct LocalAuthority: BlockingAssignmentAuthority {
    let marketplace: LocalMarketplace

    func verify(runId: String, hitId: String, assignmentId: String, workerId: String) -> AuthorityVerdict {
        let holder: WorkerAssignment?
        do {
            holder = try marketplace.workerAssignment(assignmentId: assignmentId, workerId: workerId)
        } catch {
            return .rejected(code: CloseCode.internalError,
                             reason: "the local marketplace could not be read: \(describe(error))")
        }
        guard let holder else {
            return .rejected(code: CloseCode.forbidden,
                             reason: "worker \(workerId) does not hold assignment \(assignmentId)")
        }
        guard holder.hitId == hitId else {
            return .rejected(code: CloseCode.forbidden,
                             reason: "assignment \(assignmentId) belongs to HIT \(holder.hitId), not \(hitId)")
        }
        switch holder.status {
        case .accepted, .submitted, .approved, .rejected:
            return .allowed
        case .returned:
            return .rejected(code: CloseCode.inactive, reason: "you returned assignment \(assignmentId)")
        case .abandoned:
            return .rejected(code: CloseCode.inactive,
                             reason: "assignment \(assignmentId) passed its deadline and was abandoned")
        }
    }
}
