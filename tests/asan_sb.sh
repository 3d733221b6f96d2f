#!/bin/bash
# `make check-asan` sets SB to this: it runs the sanitized shiftbench ($SB_SANITIZED) in its
# place (exec: same pid, stdin, exit status and signals) with a copy of its stderr appended
# to $SB_STDERR_LOG, which check-asan searches for sanitizer reports afterwards. Needed for
# UBSan: in gcc's combined ASan+UBSan runtime its reports ignore log_path and go to stderr,
# which a test may discard or read through a pipe. Left alone when stderr is a terminal.
[ -t 2 ] && exec "$SB_SANITIZED" "$@"
exec "$SB_SANITIZED" "$@" 2> >(tee -a "$SB_STDERR_LOG" >&2)
