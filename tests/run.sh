#!/bin/sh
# Runs every test binary given and every tests/cli_*.sh, then prints one closing line:
# "N passed, N failed". Exit status is non-zero when anything failed.
# TEST_WRAP: a command the binaries run under (make test-aarch64: qemu-aarch64 -L ...);
# TEST_CLI=0 skips the command-line tests (they need the whole ./shiftbench).
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0
log=$(mktemp); trap 'rm -f "$log"' EXIT
cli=tests/cli_*.sh
[ "${TEST_CLI:-1}" = 0 ] && cli=
for t in "$@" $cli; do
    [ -e "$t" ] || continue
    case "$t" in *.sh) sh "$t" >"$log" 2>&1 ;; *) $TEST_WRAP "$t" >"$log" 2>&1 ;; esac
    rc=$?
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    p=$(echo "$line" | sed -n 's/\(.*[^0-9]\)\{0,1\}\([0-9][0-9]*\) passed.*/\2/p'); p=${p:-0}
    f=$(echo "$line" | sed -n 's/.*passed, \([0-9][0-9]*\) failed.*/\1/p'); f=${f:-0}
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed or exited badly
    if [ "$f" != 0 ]; then
        echo "== $t (exit $rc) =="; grep -v ' passed, ' "$log" | tail -n 40
    fi
    echo "$(basename "$t"): $p passed, $f failed"
    pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
