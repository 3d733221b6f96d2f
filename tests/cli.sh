# Helpers for the shell tests of the shiftbench command line (sourced by tests/cli_*.sh).
SB=${SB:-./shiftbench}
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect_fail STATUS PATTERN CMD...: CMD exits STATUS with one stderr line matching PATTERN.
expect_fail() {
    want=$1; pat=$2; shift 2
    err=$("$@" 2>&1 >/dev/null); rc=$?
    n=$(printf '%s\n' "$err" | grep -c .)
    if [ "$rc" = "$want" ] && [ "$n" = 1 ] && printf '%s' "$err" | grep -qE -- "$pat"; then ok
    else bad "$* -> exit $rc, stderr: $err (wanted $want, /$pat/)"; fi
}
# expect_ok CMD...: CMD exits 0.
expect_ok() { if "$@" >/dev/null 2>&1; then ok; else bad "$* -> exit $?"; fi; }
finish() { echo "$(basename "$0"): $pass passed, $fail failed"; [ "$fail" = 0 ]; }
