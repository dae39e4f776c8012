#!/usr/bin/env bash
# The ThreadSanitizer triage (triage.py) on reports taken from real runs: a race between two
# pieces of gRPC's own header code is set aside; a race in the console's shell (the deliberate one
# of issue 27) and a race where one access is ours and the other gRPC's both fail the run.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="$HERE/tsan-thirdparty.txt"
fail=0
expect() {  # expect EXIT DIR
  python3 "$HERE/triage.py" "$HERE/testdata/$2" "$list" >/dev/null
  local rc=$?
  if [[ $rc -ne $1 ]]; then
    echo "triage_test: $2: exit $rc, expected $1"
    fail=1
  fi
}
expect 0 theirs
expect 1 ours
expect 1 mixed
((fail == 0)) && echo "triage_test: passed"
exit $fail
