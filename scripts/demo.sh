#!/usr/bin/env bash
# The end-to-end demo on the local target: QA data collection over SQuAD paragraphs with all six tools.
#
# It starts serve-chat on a free port and creates HITs for 2 conversations, plus one spare HIT as a real run
# over-recruits. Two scripted workers do the task through the worker site and the WebSocket chat. Then review
# approves their work, bonus-workers pays a bonus from a CSV, block soft-blocks and unblocks a worker, and
# delete-hits cleans up. Last it prints each paragraph with the question and answer collected for it, and stops
# serve-chat. No account and no network are needed. The state is in demo-state/, removed at the start of each run.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-/usr/bin/python3}
bin=$(swift build --show-bin-path)
state="$PWD/demo-state"
rm -rf "$state"
mkdir -p "$state"
export TURKCHAT_STATE_DIR="$state"

step() { printf '\n==> %s\n' "$*" >&2; }

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
}
trap stop_server EXIT

step "Starting serve-chat on 127.0.0.1 with a free port"
"$bin/serve-chat" --port 0 --json >"$state/serve-chat.out" 2>"$state/serve-chat.log" &
server_pid=$!
for _ in $(seq 1 100); do
  [ -s "$state/serve-chat.out" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$state/serve-chat.log" >&2; exit 1; }
  sleep 0.1
done
url=$("$python" -c 'import json,sys; print(json.loads(sys.stdin.readline())["url"])' <"$state/serve-chat.out")
echo "serve-chat is at $url (worker site: $url/)" >&2

step "Creating HITs for 2 conversations, with 50 % over-recruiting"
"$bin/create-hits" --task tasks/qa_data_collection -n 2 --over-recruit 50 --server-url "$url" --json \
  | tee "$state/hits.jsonl"
run=$("$python" -c 'import json,sys; print(json.loads(sys.stdin.readline())["run_id"])' <"$state/hits.jsonl")

step "Two scripted workers accept HITs, chat over the WebSocket and submit"
squad=tasks/qa_data_collection/data/squad-v1.1-dev-subset.json
workers=(A1DEMOWORKER01 A2DEMOWORKER02)
worker_pids=()
for worker in "${workers[@]}"; do
  "$python" scripts/chat_worker.py --server "$url" --run "$run" --worker-id "$worker" --squad "$squad" \
    >"$state/worker-$worker.json" &
  worker_pids+=($!)
done
failed_workers=0
for index in "${!workers[@]}"; do
  if ! wait "${worker_pids[$index]}"; then
    echo "demo: error: scripted worker ${workers[$index]} failed: $(cat "$state/worker-${workers[$index]}.json")" >&2
    failed_workers=$((failed_workers + 1))
  fi
done
if [ "$failed_workers" -ne 0 ]; then
  echo "demo: error: $failed_workers of ${#workers[@]} scripted workers failed; serve-chat's log is $state/serve-chat.log" >&2
  exit 1
fi

step "Reviewing: the submitted assignments and their conversations"
"$bin/review" --run "$run" --list

step "Approving every submitted assignment of the run"
"$bin/review" --run "$run" --approve-all

step "Paying a bonus to each worker from a CSV (dry run first, then for real)"
"$bin/review" --run "$run" --list --json | "$python" -c '
import csv, json, sys
writer = csv.writer(sys.stdout, lineterminator="\r\n")
writer.writerow(["worker_id", "assignment_id", "amount", "reason"])
for line in sys.stdin:
    assignment = json.loads(line)
    writer.writerow([assignment["worker_id"], assignment["assignment_id"], "0.25", "Thank you for a clear question and answer."])
' >"$state/bonuses.csv"
"$bin/bonus-workers" --dry-run "$state/bonuses.csv"
"$bin/bonus-workers" "$state/bonuses.csv"
echo "Paying the same file again pays nothing twice:" >&2
"$bin/bonus-workers" "$state/bonuses.csv"

step "Blocking and unblocking a worker (soft block with a qualification)"
echo A2DEMOWORKER02 | "$bin/block" soft-block --qualification demo-blocked --reason "Demo of a soft block."
"$bin/block" soft-unblock --qualification demo-blocked --reason "Demo is over." A2DEMOWORKER02

step "Deleting the run's HITs: the spare one is expired first"
"$bin/delete-hits" --run "$run"

step "Collected questions and answers"
"$bin/review" --run "$run" --export "$state/conversations.jsonl"
"$python" - "$state/conversations.jsonl" <<'PY'
import json, sys, textwrap
conversations = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
for number, conversation in enumerate(conversations, 1):
    result = conversation.get("result") or {}
    print("\n--- Conversation %d (%s, worker %s)" % (
        number, result.get("title", "").replace("_", " "),
        ", ".join(w["worker_id"] for w in conversation.get("workers", []))))
    print(textwrap.fill(result.get("context", ""), width=100))
    print("  Q: %s" % result.get("question", ""))
    print("  A: %s" % result.get("answer", ""))
# The demo collects 2 conversations, each with a question and an answer; anything else is a failure.
problems = []
if len(conversations) != 2:
    problems.append("the export has %d conversations, not 2" % len(conversations))
for number, conversation in enumerate(conversations, 1):
    result = conversation.get("result") or {}
    for field in ("question", "answer"):
        if not str(result.get(field) or "").strip():
            problems.append("conversation %d (%s) has no %s" % (number, conversation.get("conversation_id"), field))
for problem in problems:
    sys.stderr.write("demo: error: %s\n" % problem)
sys.exit(1 if problems else 0)
PY

step "Checking that no HIT of the run is left open on the local marketplace"
left=$("$bin/delete-hits" --account --annotation "$run" --dry-run --json | wc -l)
if [ "$left" -ne 0 ]; then
  echo "demo: error: $left HITs of run $run are still on the local marketplace" >&2
  exit 1
fi
echo "No HIT of run $run is left open." >&2

stop_server
server_pid=""
step "Done. The run store and the local marketplace are in $state"
