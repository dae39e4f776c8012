#!/usr/bin/env bash
# Conformance: Polymarket's official client v2 against simexchange. Skipped (exit 77) when node
# or npm is missing or the client cannot be installed; the client goes into a scratch folder in
# the build tree and is never committed.
#   run.sh BUILD_DIR
set -uo pipefail
BUILD="${1:?build dir}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRATCH="$BUILD/scratch/official-client"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "conformance: node/npm not available: skipped"
  exit 77
fi
mkdir -p "$SCRATCH"
if [[ ! -d "$SCRATCH/node_modules/@polymarket/clob-client-v2" ]]; then
  (cd "$SCRATCH" && { [[ -f package.json ]] || npm init -y >/dev/null 2>&1; } &&
    timeout 240 npm install --silent --no-audit --no-fund @polymarket/clob-client-v2@1.1.0 >/dev/null 2>&1) || {
    echo "conformance: could not install @polymarket/clob-client-v2: skipped"
    exit 77
  }
fi
LOG="$(mktemp)"
"$BUILD/bin/simexchange" --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0 --seed 5 --no-flow > "$LOG" 2>&1 &
SIM=$!
trap 'kill -INT $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -f "$LOG"' EXIT
HOST=""
for _ in $(seq 1 100); do
  HOST=$(sed -n 's/^simexchange listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$LOG")
  [[ -n "$HOST" ]] && break
  sleep 0.1
done
[[ -n "$HOST" ]] || { echo "conformance: simexchange did not start"; cat "$LOG"; exit 1; }
node "$HERE/official_client.mjs" "$SCRATCH" "$HOST"
