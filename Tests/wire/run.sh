#!/usr/bin/env bash
# Runs boto3 and the AWS CLI against serve-chat's MTurk wire endpoint on the local target: once for the
# operations and errors, once with TURKCHAT_LOCAL_THROTTLE=0.3 to check that retries create no duplicate HIT.
# boto3 and awscli come from PyPI into a virtualenv under /tmp (TURKCHAT_WIRE_VENV sets another one).
# Expects the package to be built (`swift build`); every server it starts listens on 127.0.0.1 and is stopped.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
venv=${TURKCHAT_WIRE_VENV:-/tmp/turkchat-wire-venv}

if ! "$venv/bin/python" -c 'import boto3, awscli' 2>/dev/null; then
    echo "wire: creating $venv with boto3 and awscli from PyPI" >&2
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check boto3 awscli
fi

bin=$(cd "$root" && swift build --show-bin-path)
work=$(mktemp -d)
server_pid=""

stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap 'stop_server; rm -rf "$work"' EXIT

# Starts serve-chat on a free port with its own state directory and sets $url.
start_server() {
    local name=$1
    shift
    mkdir -p "$work/$name"
    env "$@" "$bin/serve-chat" --port 0 --state-dir "$work/$name/state" \
        >"$work/$name/stdout" 2>"$work/$name/stderr" &
    server_pid=$!
    url=""
    for _ in $(seq 1 100); do
        url=$(head -n 1 "$work/$name/stdout" 2>/dev/null || true)
        [ -n "$url" ] && break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "wire: serve-chat exited before it printed its URL:" >&2
            cat "$work/$name/stderr" >&2
            exit 1
        fi
        sleep 0.1
    done
    if [ -z "$url" ]; then
        echo "wire: serve-chat printed no URL within 10 seconds" >&2
        exit 1
    fi
}

status=0

start_server plain TURKCHAT_LOCAL_THROTTLE=
"$venv/bin/python" "$root/Tests/wire/conformance.py" --endpoint-url "$url" || status=1
stop_server

start_server throttled TURKCHAT_LOCAL_THROTTLE=0.3
"$venv/bin/python" "$root/Tests/wire/conformance.py" --endpoint-url "$url" --throttled 200 || status=1
stop_server

exit $status
