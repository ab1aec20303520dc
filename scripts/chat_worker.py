#!/usr/bin/env python3
"""A scripted worker for serve-chat's local worker site.

It does what a person does in the browser, over the same network interfaces: list the open HITs
(GET /api/hits), accept one (POST /api/accept), join the chat over a real WebSocket at /ws, answer
each prompt, and submit through /mturk/externalSubmit. It prints one JSON object with what happened.

Replies come from --say, in order. Without --say, the worker does the QA task by itself: with --squad
it uses the SQuAD file's own question and answer for the paragraph shown; otherwise it asks
what the paragraph says about the article's subject, and answers with the paragraph's first sentence.

Needs the `websockets` package: Debian's python3-websockets (10.x) or the PyPI package (10 to 15).

Exit status: 0 when the assignment was submitted (or the worker stopped where --no-submit says),
1 on any failure, 2 for a usage error.
"""

import argparse
import asyncio
import http.client
import json
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

try:
    import websockets
    import websockets.exceptions
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write("chat_worker: error: the Python package 'websockets' is missing; "
                     "install Debian's python3-websockets or run 'pip install websockets'\n")
    sys.exit(1)


class WorkerError(Exception):
    """A step that failed, with a sentence that names the step and the cause."""


def log(message):
    sys.stderr.write("chat_worker: " + message + "\n")
    sys.stderr.flush()


def http_request(url, data=None, json_body=None, context=None, timeout=15):
    """Sends a GET (or a POST when data or json_body is given) and returns (status, body text)."""
    headers = {}
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif data is not None:
        body = urllib.parse.urlencode(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except urllib.error.URLError as error:
        raise WorkerError("cannot reach %s: %s" % (url, error.reason))
    except (OSError, http.client.HTTPException) as error:
        # A server that stops mid-request resets the connection or closes it before the status line.
        raise WorkerError("the connection to %s failed: %s" % (url, describe_os_error(error)))


def describe_os_error(error):
    """Returns an OSError or HTTPException as one line, such as 'ConnectionRefusedError: Connection refused'."""
    text = getattr(error, "strerror", None) or str(error) or "no details"
    return "%s: %s" % (type(error).__name__, text)


def parse_json(text, what):
    """Parses a JSON response body, or raises WorkerError naming the response."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise WorkerError("%s is not valid JSON (%s): %s" % (what, error, text.strip()[:200]))


def api_error(status, text):
    try:
        return "HTTP %d: %s" % (status, json.loads(text)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return "HTTP %d: %s" % (status, text.strip()[:200])


def open_hits(server, worker_id, hit_id, run_id, context):
    """Lists the HITs that worker_id can accept, narrowed to hit_id or to the HITs of run_id, and the count listed."""
    status, text = http_request(server + "/api/hits?" + urllib.parse.urlencode({"workerId": worker_id}),
                                context=context)
    if status != 200:
        raise WorkerError("listing HITs failed: " + api_error(status, text))
    hits = parse_json(text, "the HIT list").get("hits") or []
    matching = []
    for hit in hits:
        if not hit.get("can_accept"):
            continue
        if hit_id and hit.get("hit_id") != hit_id:
            continue
        if run_id and "run=%s" % run_id not in (hit.get("external_url") or ""):
            continue
        matching.append(hit)
    return matching, len(hits)


def describe_requested_hit(hit_id, run_id):
    if hit_id:
        return "HIT %s" % hit_id
    if run_id:
        return "HIT of run %s" % run_id
    return "HIT"


def accept_open_hit(server, worker_id, hit_id, run_id, context, max_attempts):
    """Accepts the first open HIT that worker_id can take, moving on to the next one after an HTTP 409.

    Several workers that start together list the same HITs, and all but one get 409 ("its status is
    Unassignable") for the first. Each 409 marks that HIT as taken and the list is read again, for at most
    max_attempts accept calls. Returns the acceptance object of POST /api/accept.
    """
    requested = describe_requested_hit(hit_id, run_id)
    taken = []
    for _ in range(max_attempts):
        hits, listed = open_hits(server, worker_id, hit_id, run_id, context)
        candidates = [hit for hit in hits if hit["hit_id"] not in taken]
        if not candidates:
            tried = " (%s taken by other workers first)" % ", ".join(taken) if taken else ""
            raise WorkerError("found no open %s that worker %s can accept%s; %d %s listed"
                              % (requested, worker_id, tried, listed, "HIT" if listed == 1 else "HITs"))
        candidate = candidates[0]["hit_id"]
        status, text = http_request(server + "/api/accept",
                                    json_body={"hit_id": candidate, "worker_id": worker_id}, context=context)
        if status == 200:
            return parse_json(text, "the acceptance of HIT %s" % candidate)
        if status != 409 or hit_id:
            raise WorkerError("accepting HIT %s failed: %s" % (candidate, api_error(status, text)))
        log("HIT %s was taken first (%s); trying the next open %s" % (candidate, api_error(status, text), requested))
        taken.append(candidate)
    raise WorkerError("gave up after %d accept attempts for worker %s: HITs %s were each taken by another worker first"
                      % (max_attempts, worker_id, ", ".join(taken)))


def submit(server, acceptance, run_id, context):
    fields = {"assignmentId": acceptance["assignment_id"], "hitId": acceptance["hit_id"],
              "workerId": acceptance["worker_id"]}
    if run_id:
        fields["runId"] = run_id
    base = acceptance.get("turk_submit_to") or server
    status, text = http_request(base.rstrip("/") + "/mturk/externalSubmit", data=fields, context=context)
    if status != 200:
        raise WorkerError("submitting assignment %s failed: HTTP %d" % (acceptance["assignment_id"], status))


def derive_question_and_answer(paragraph, title):
    """Returns a question about the paragraph and its answer, both taken from the paragraph itself."""
    sentences = re.split(r"(?<=[.!?])\s+", paragraph.strip())
    answer = sentences[0] if sentences else paragraph.strip()
    subject = (title or "").replace("_", " ").strip()
    if not subject:
        words = re.findall(r"\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*", answer)
        subject = words[0] if words else "this topic"
    return "What does the paragraph say first about %s?" % subject, answer


def squad_question_for(path, paragraph):
    """Returns the first question and gold answer that a nested SQuAD file gives for this paragraph, or None.

    The demo's workers use it to type realistic questions; a person would write their own.
    """
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    for article in document.get("data", []):
        for entry in article.get("paragraphs", []):
            if entry.get("context", "").strip() != paragraph.strip():
                continue
            for qa in entry.get("qas", []):
                answers = qa.get("answers") or []
                if answers:
                    return qa["question"], answers[0]["text"]
    return None


class ChatSession:
    """One worker's WebSocket conversation, with reconnects that resume from the last sequence number."""

    def __init__(self, args, acceptance, run_id, context):
        self.args = args
        self.acceptance = acceptance
        self.run_id = run_id
        self.context = context
        self.conversation = None
        self.last_seq = 0
        self.seen = []
        self.duplicates = 0
        self.transcript = []
        self.pending = {}
        self.answers = list(args.say)
        self.paragraph = None
        self.title = None
        self.sent = 0
        self.acked = 0
        self.reconnects = 0
        self.outcome = None
        self.inactive_text = None
        self.dropped = False
        self.connect_failures = 0

    def ws_url(self):
        parts = urllib.parse.urlsplit(self.args.server)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return "%s://%s/ws" % (scheme, parts.netloc)

    def next_text(self):
        if self.answers:
            return self.answers.pop(0)
        if self.args.say:
            return None
        if self.paragraph is None:
            raise WorkerError("the server asked for a message before it showed a paragraph, and no --say text is left")
        gold = squad_question_for(self.args.squad, self.paragraph) if self.args.squad else None
        question, answer = gold or derive_question_and_answer(self.paragraph, self.title)
        return question if self.sent == 0 else answer

    async def run(self):
        deadline = time.monotonic() + self.args.timeout
        while self.outcome is None:
            if time.monotonic() > deadline:
                raise WorkerError("the conversation did not finish within %d seconds" % self.args.timeout)
            try:
                await asyncio.wait_for(self.connect_once(), timeout=max(1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise WorkerError("the conversation did not finish within %d seconds" % self.args.timeout)
            except (OSError, websockets.exceptions.InvalidHandshake) as error:
                # The server went away (connection refused or reset) or answered the upgrade with an error.
                self.connect_failures += 1
                if self.connect_failures >= 5:
                    raise WorkerError("cannot reach the chat at %s after %d attempts: %s"
                                      % (self.ws_url(), self.connect_failures, describe_os_error(error)))
                log("connecting to %s failed (%s); retrying" % (self.ws_url(), describe_os_error(error)))
                await asyncio.sleep(0.5)
                continue
            if self.outcome is None:
                self.reconnects += 1
                if self.reconnects > 20:
                    raise WorkerError("gave up after 20 reconnects")
                await asyncio.sleep(0.2)

    async def connect_once(self):
        kwargs = {"max_size": 2 ** 20}
        if self.context is not None:
            kwargs["ssl"] = self.context
        async with websockets.connect(self.ws_url(), **kwargs) as socket:
            await socket.send(json.dumps({
                "type": "join", "run": self.run_id, "hit": self.acceptance["hit_id"],
                "assignment": self.acceptance["assignment_id"], "worker": self.acceptance["worker_id"],
                "conversation": self.conversation, "last_seq": self.last_seq}))
            try:
                async for raw in socket:
                    frame = json.loads(raw)
                    done = await self.handle(socket, frame)
                    if done:
                        return
            except websockets.ConnectionClosed as closed:
                code = getattr(closed, "code", None)
                if code is None and getattr(closed, "rcvd", None) is not None:
                    code = closed.rcvd.code
                if code in (4001, 4003, 4004, 4011, 4012):
                    raise WorkerError("the server closed the chat with code %s: %s" % (code, closed))
                log("connection closed (%s); reconnecting" % code)

    async def handle(self, socket, frame):
        kind = frame.get("type")
        if kind == "joined":
            self.connect_failures = 0
            if frame.get("conversation") != self.conversation:
                self.conversation = frame.get("conversation")
                self.last_seq = 0
            for client_id, text in list(self.pending.items()):
                await socket.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
        elif kind == "message":
            if frame.get("conversation") != self.conversation:
                return False
            seq = frame["seq"]
            if seq <= self.last_seq:
                self.duplicates += 1
                return False
            self.last_seq = seq
            self.seen.append(seq)
            if frame.get("own") and frame.get("client_id") in self.pending:
                self.pending.pop(frame["client_id"])
                self.acked += 1
            data = frame.get("data") or {}
            if data.get("context"):
                self.paragraph = data["context"]
                self.title = data.get("title")
            self.transcript.append({"seq": seq, "sender": frame.get("sender"), "own": frame.get("own", False),
                                    "text": frame.get("text")})
        elif kind == "ack":
            text = self.pending.pop(frame.get("client_id"), None)
            if text is not None and frame.get("conversation") == self.conversation and frame["seq"] > self.last_seq:
                self.last_seq = frame["seq"]
                self.seen.append(frame["seq"])
                self.acked += 1
                self.transcript.append({"seq": frame["seq"], "sender": "self", "own": True, "text": text})
            if self.args.drop_after and self.acked == self.args.drop_after and not self.dropped:
                self.dropped = True
                log("dropping the connection after %d acknowledged messages, as --drop-after says" % self.acked)
                await socket.close()
                return True
        elif kind == "command":
            return await self.command(socket, frame)
        elif kind == "error":
            log("server error %s: %s" % (frame.get("code"), frame.get("message")))
            if frame.get("code") == "join_rejected":
                raise WorkerError("join rejected: %s" % frame.get("message"))
        return False

    async def command(self, socket, frame):
        command = frame.get("command")
        if command == "change_conversation":
            self.conversation = frame.get("conversation")
            self.last_seq = 0
        elif command == "send_message":
            if self.pending:
                return False
            text = self.next_text()
            if text is None:
                log("the server asked for another message but no --say text is left; stopping")
                self.outcome = "out_of_texts"
                return True
            client_id = str(uuid.uuid4())
            self.pending[client_id] = text
            self.sent += 1
            await socket.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
        elif command == "show_done" or (command == "inactive" and frame.get("show_done")):
            self.outcome = "done"
            return True
        elif command == "inactive":
            self.inactive_text = frame.get("text")
            raise WorkerError("the assignment became inactive: %s" % frame.get("text"))
        return False


def main():
    parser = argparse.ArgumentParser(description="Work on one HIT of serve-chat's local worker site.")
    parser.add_argument("--server", required=True, help="serve-chat's URL, such as http://127.0.0.1:8080.")
    parser.add_argument("--worker-id", default=None, help="Worker id (default: a new random one).")
    parser.add_argument("--hit-id", default=None, help="Accept this HIT instead of the first open one.")
    parser.add_argument("--accept-attempts", type=int, default=5,
                        help="Accept calls to make when other workers take the open HITs first (default 5).")
    parser.add_argument("--run", default=None, help="Accept only a HIT of this run.")
    parser.add_argument("--say", action="append", default=[], help="Text for the next prompt; repeat in order.")
    parser.add_argument("--squad", default=None,
                        help="Nested SQuAD file: answer the QA task with its question and answer for the paragraph shown.")
    parser.add_argument("--timeout", type=int, default=60, help="Seconds for the whole HIT (default 60).")
    parser.add_argument("--drop-after", type=int, default=0,
                        help="Close the WebSocket after this many acknowledged messages, then reconnect.")
    parser.add_argument("--no-submit", action="store_true", help="Stop before submitting.")
    parser.add_argument("--cafile", default=None, help="CA certificate file for an HTTPS server.")
    args = parser.parse_args()
    args.server = args.server.rstrip("/")
    worker_id = args.worker_id or "A" + uuid.uuid4().hex[:13].upper()
    if not re.fullmatch(r"A[A-Z0-9]{1,63}", worker_id):
        parser.error("--worker-id must be an A followed by upper-case letters and digits")
    if args.accept_attempts < 1:
        parser.error("--accept-attempts must be 1 or more")
    context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None

    result = {"worker_id": worker_id}
    try:
        acceptance = accept_open_hit(args.server, worker_id, args.hit_id, args.run, context, args.accept_attempts)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(acceptance["task_url"]).query)
        run_id = args.run or (query.get("run") or [None])[0]
        if not run_id:
            raise WorkerError("the task URL %s has no run parameter" % acceptance["task_url"])
        result.update({"hit_id": acceptance["hit_id"], "assignment_id": acceptance["assignment_id"],
                       "run": run_id})
        session = ChatSession(args, acceptance, run_id, context)
        asyncio.run(session.run())
        result.update({"conversation": session.conversation, "transcript": session.transcript,
                       "duplicates": session.duplicates, "reconnects": session.reconnects,
                       "paragraph": session.paragraph, "outcome": session.outcome})
        if session.outcome == "done" and not args.no_submit:
            submit(args.server, acceptance, run_id, context)
            result["submitted"] = True
        else:
            result["submitted"] = False
    except (OSError, websockets.exceptions.WebSocketException) as error:
        # A network failure that no step turned into a WorkerError, such as a reset in the middle of the chat.
        error = WorkerError("the connection to %s failed: %s" % (args.server, describe_os_error(error)))
        result["error"] = str(error)
        print(json.dumps(result))
        log("error: %s" % error)
        return 1
    except WorkerError as error:
        result["error"] = str(error)
        print(json.dumps(result))
        log("error: %s" % error)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
