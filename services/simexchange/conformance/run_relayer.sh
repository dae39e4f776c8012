#!/usr/bin/env bash
# Conformance: Polymarket's official relayer client against the simulator's relayer. Skipped
# (exit 77) when node or npm is missing or the client cannot be installed; the client goes into
# a scratch folder in the build tree and is never committed.
#   run_relayer.sh BUILD_DIR
set -uo pipefail
BUILD="${1:?build dir}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
SCRATCH="$BUILD/scratch/official-relayer-client"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "relayer conformance: node/npm not available: skipped"
  exit 77
fi
mkdir -p "$SCRATCH"
if [[ ! -d "$SCRATCH/node_modules/@polymarket/builder-relayer-client" ]]; then
  (cd "$SCRATCH" && { [[ -f package.json ]] || npm init -y >/dev/null 2>&1; } &&
    timeout 240 npm install --silent --no-audit --no-fund @polymarket/builder-relayer-client@0.0.10 >/dev/null 2>&1) || {
    echo "relayer conformance: could not install @polymarket/builder-relayer-client: skipped"
    exit 77
  }
fi
# The simulator's test builder (sim_server.h; not a secret: it opens only the simulator).
constant() { sed -n "s/^inline constexpr char $1\[\] = \"\(.*\)\";/\1/p" "$ROOT/services/simexchange/server/sim_server.h"; }
KEY=$(constant kSimBuilderKey)
SECRET=$(constant kSimBuilderSecret)
PASSPHRASE=$(constant kSimBuilderPassphrase)
[[ -n "$KEY" && -n "$SECRET" && -n "$PASSPHRASE" ]] || { echo "relayer conformance: no test builder in sim_server.h"; exit 1; }
LOG="$(mktemp)"
"$BUILD/bin/simexchange" --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0 --seed 5 --no-flow > "$LOG" 2>&1 &
SIM=$!
trap 'kill -INT $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -f "$LOG"' EXIT
HOST=""
GRPC=""
for _ in $(seq 1 100); do
  HOST=$(sed -n 's/^simexchange listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$LOG")
  GRPC=$(sed -n 's/^simexchange listening on .*grpc \([0-9.:]*\);.*/\1/p' "$LOG")
  [[ -n "$HOST" && -n "$GRPC" ]] && break
  sleep 0.1
done
[[ -n "$HOST" && -n "$GRPC" ]] || { echo "relayer conformance: simexchange did not start"; cat "$LOG"; exit 1; }
node "$HERE/official_relayer_client.mjs" "$SCRATCH" "$HOST" "$BUILD/bin/clobmakerctl" "$GRPC" "$KEY" "$SECRET" "$PASSPHRASE"
