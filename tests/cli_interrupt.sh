#!/bin/sh
# SIGINT before anything was measured (README "Reliability"): `net` and `kernel` print no
# table of zeros and no implementation for layers never timed, write no results file, say
# so in one line and exit 130. The signal comes during a warm-up that would run for hours;
# the sleep only bounds how long it waits before sending it (nothing asserts on time).
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
unset OPENBLAS_CORETYPE
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--set widths=8,8,8,8 --set stem_width=8 --set classes=10 --resolution 32 --impl ref --threads 1 --events none --no-peak"

interrupt() {   # NAME CMD...: runs CMD, SIGINT after 2 s; checks output, status and file
    name=$1; shift
    "$@" -o "$tmp/$name.json" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    sleep 2
    kill -INT $pid
    wait $pid; rc=$?
    if [ "$rc" = 130 ]; then ok; else bad "$name: exit $rc, wanted 130: $(cat "$tmp/$name.err")"; fi
    if [ ! -e "$tmp/$name.json" ]; then ok; else bad "$name: wrote a results file of nothing"; fi
    if grep -q 'interrupted before anything was measured; nothing written' "$tmp/$name.err"; then ok
    else bad "$name: no word on stderr: $(cat "$tmp/$name.err")"; fi
    if ! grep -qE '^(conv1|layer|mb1|ic8)' "$tmp/$name.out"; then ok
    else bad "$name: a table for layers never timed: $(cat "$tmp/$name.out")"; fi
}
interrupt net $SB net resnet50 $TINY --warmup 1000000 --min-reps 1
interrupt kernel $SB kernel --impl ref --events none --warmup 1000000 --min-reps 1 ic64ih56oc64kh3ph1
finish
