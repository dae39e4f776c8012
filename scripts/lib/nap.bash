# shellcheck shell=bash
# nap SECONDS: wait without a child process, and act on a trapped signal within a second.
#
# bash does not run an INT trap for a SIGINT sent to the script alone while a foreground child runs
# and then exits normally (it assumes the child took the signal), so `kill -INT` would be lost in a
# `sleep`; `read -t` on a FIFO nobody writes is a builtin that any trapped signal interrupts.
# Long naps are taken in slices of one second: bash 5.2 loses the race with a signal that lands
# just as `read` starts (the trap is left pending and `read` waits on; measured: 7 of 1,000 SIGINTs
# sent within 0.3 ms of a `read -t 3600`, see integration_tests/stack/restart_test.cc), and a
# pending trap runs when the slice ends.
#
# nap_open FIFO: create the FIFO and hold it open on descriptor 8 (children should get 8>&-).
nap_open() {
  rm -f "$1"
  mkfifo "$1"
  exec 8<>"$1"
}
nap() {
  local left="$1" slice
  while :; do
    if [[ "$left" =~ ^[0-9]+$ ]] && ((left > 1)); then slice=1 left=$((left - 1)); else slice="$left" left=0; fi
    read -r -t "$slice" -u 8 _ || true
    [[ "$left" == 0 ]] && return 0
  done
}
