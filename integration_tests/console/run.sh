#!/usr/bin/env bash
# The console in a real browser (issue 23): the whole stack through the README's command
# (scripts/up, headless, on ports and a run directory of its own), Debian's Chromium driven by
# playwright-core (installed into the build tree, never committed). It checks that the page shows
# every market with our quotes, shows a fill within 2 s of the simulator having it, and that Kill
# empties our orders at the simulator. Screenshots: BUILD/console/*.png.
# Skipped (exit 77) without chromium (scripts/install-deps --browser), node/npm or playwright-core.
#   run.sh BUILD_DIR
set -uo pipefail
BUILD="$(cd "${1:?build dir}" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CHROMIUM="$(command -v chromium || true)"
if [[ -z "$CHROMIUM" ]]; then
  echo "console browser test: chromium is not installed (scripts/install-deps --browser): skipped"
  exit 77
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "console browser test: node/npm not available: skipped"
  exit 77
fi
SCRATCH="$BUILD/scratch/console-browser"
mkdir -p "$SCRATCH"
if [[ ! -d "$SCRATCH/node_modules/playwright-core" ]]; then
  (cd "$SCRATCH" && { [[ -f package.json ]] || npm init -y >/dev/null 2>&1; } &&
    timeout 240 npm install --silent --no-audit --no-fund playwright-core@1.64.1 >/dev/null 2>&1) || {
    echo "console browser test: could not install playwright-core: skipped"
    exit 77
  }
fi
# 27 free consecutive loopback ports below the ephemeral range (scripts/up uses BASE..BASE+26).
BASE=$(python3 - <<'PY'
import os, socket
for attempt in range(300):
    base = 20000 + (os.getpid() * 7919 + attempt * 137) % 12000
    socks = []
    try:
        for p in range(base, base + 27):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
)
RUN="$(mktemp -d "${TMPDIR:-/tmp}/clobmaker-console.XXXXXX")"
OUT="$RUN/up.out"
CLOBMAKER_UP_SKIP_BUILD=1 CLOBMAKER_BUILD_DIR="$BUILD" CLOBMAKER_PORT_BASE="$BASE" CLOBMAKER_RUN_DIR="$RUN" \
  "$ROOT/scripts/up" --for 900 > "$OUT" 2>&1 &
UP=$!
finish() {
  kill -TERM "$UP" 2>/dev/null
  wait "$UP" 2>/dev/null
  rm -rf "$RUN"
}
trap finish EXIT
ADDRESS=""
for _ in $(seq 1 1800); do  # 180 s: every service's stated start-up bound fits
  ADDRESS=$(sed -n 's/^up: quotes are live: .*(wallet \(0x[0-9a-fA-F]*\))$/\1/p' "$OUT")
  [[ -n "$ADDRESS" ]] && break
  kill -0 "$UP" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$ADDRESS" ]]; then
  echo "console browser test: the stack did not come up; scripts/up said:"
  cat "$OUT"
  exit 1
fi
grep '^up: console on' "$OUT"
node "$HERE/console_browser.mjs" "$SCRATCH" "http://127.0.0.1:$((BASE + 26))" "http://127.0.0.1:$((BASE + 2))" \
  "$BUILD/bin/clobmakerctl" "127.0.0.1:$((BASE + 3))" "$ADDRESS" "$BUILD/console" "$CHROMIUM"
rc=$?
if ((rc != 0)); then
  echo "console browser test: console log (last 40 lines):"
  tail -n 40 "$RUN/console/console.log" 2>/dev/null
fi
exit $rc
