#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the demo need, when any is missing.
# Runs as root (or through sudo when it is available). Swift itself is expected at /opt/swift or on PATH.
set -euo pipefail

packages=(
  pkg-config
  libsqlite3-dev      # the run store and the local marketplace
  libssl-dev          # libcrypto: SHA-256 and HMAC for SigV4 and request tokens
  libwebsockets-dev   # serve-chat's HTTP, HTTPS and WebSocket server
  libcurl4-openssl-dev libxml2-dev  # FoundationNetworking and FoundationXML
  python3-websockets  # the scripted workers of the demo and tests (a real WebSocket client)
  python3-venv        # the boto3 and AWS CLI conformance test builds a virtual environment
  chromium            # the page tests in a real browser
  zsh fish man-db groff-base  # checks of the generated completion scripts and man pages
  sqlite3 curl ca-certificates openssl
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    run_as_root=(sudo)
  else
    echo "install-deps: error: these Debian packages are missing and this is not root: ${missing[*]}" >&2
    echo "install-deps: run 'make setup' as root, or install them with apt-get." >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update -qq
"${run_as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
