#!/bin/sh
# Command-line tests of `shiftbench kernel`, `peak` and `compare`: listings, a tiny run whose
# JSON is checked key by key, and one-line errors with exit 2. Never asserts on time.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py() { python3 -c "$@"; }

# Listings.
out=$($SB kernel --list 2>&1)
if printf '%s\n' "$out" | grep -qE '^conv +ref ' && printf '%s\n' "$out" | grep -qE '^shift +ref '; then ok
else bad "kernel --list lacks conv/shift ref: $out"; fi
if $SB kernel --list-events | grep -q 'perf::PERF_COUNT_SW_TASK_CLOCK'; then ok; else bad "--list-events lacks task-clock"; fi
expect_ok $SB kernel --help
expect_ok $SB peak --help
expect_ok $SB compare --help

# A tiny run: two implementations, counters, JSON per results/SCHEMA.md.
quick="--min-time 0 --min-reps 2 --warmup 0"
if $SB kernel $quick --op shift --conn 8 --impl ref,own --events perf::task-clock,cycles \
        -o "$tmp/a.json" mb1ic18ih6 >"$tmp/out" 2>&1; then ok; else bad "tiny kernel run: $(cat "$tmp/out")"; fi
if py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "shiftbench-results" and d["version"] == 1 and d["kind"] == "kernel"
assert d["complete"] is True
c = d["context"]
for k in ("date", "git_commit", "hostname", "cpu_model", "isa", "cores", "threads", "openblas_core",
          "openblas_threads", "openblas_coretype_forced", "onednn_version", "onednn_isa",
          "compiler", "cflags", "settings"):
    assert k in c, k
assert c["settings"]["impl"] == ["ref", "own"] and c["settings"]["min_reps"] == 2
rs = d["records"]
assert [r["impl"] for r in rs] == ["ref", "own"], [r["impl"] for r in rs]
for r in rs:
    assert r["name"] == "mb1ic18ih6_8c" and r["desc"] == "mb1ic18ih6" and r["op"] == "shift" and r["kind"] == "shift"
    assert r["shape"]["conn"] == 8 and r["shape"]["c"] == 18 and r["shape"]["oh"] == 6
    assert r["cost"]["macs"] == 0 and r["cost"]["bytes"] > 0
    s = r["stats"]
    assert s["unit"] == "s" and s["n"] >= 2 and len(s["samples"]) == s["n"]
    assert s["min"] <= s["median"] <= s["max"] and s["p10"] <= s["p90"]
    for k in ("mean", "stddev", "mad"): assert k in s, k
    for name, e in r["counters"].items():
        assert ("value" in e and e["time_running"] > 0) or e.get("unavailable"), (name, e)
    assert r["counters"]["perf::task-clock"].get("value", 1) > 0
' "$tmp/a.json"; then ok; else bad "results JSON of the tiny run"; fi

# Conv with fused ReLU: analytic cost present, GFLOP/s computed.
if $SB kernel $quick --impl ref --relu --events none -o "$tmp/b.json" mb1ic8ih5oc8kh3ph1 >/dev/null 2>&1 &&
   py '
import json, sys
r = json.load(open(sys.argv[1]))["records"][0]
assert r["cost"]["macs"] == 5*5*8*8*9 and r["fused"] == ["relu"] and r["gflops"] > 0 and r["counters"] == {}
' "$tmp/b.json"; then ok; else bad "conv ref run with --relu"; fi

# -o - writes the JSON (only) to stdout.
if $SB kernel $quick --impl ref --events none -o - mb1ic8ih5oc8kh1 2>/dev/null | py 'import json,sys; json.load(sys.stdin)'; then ok
else bad "-o - is not JSON on stdout"; fi

# Compare a file with itself: every record matches, ratio 1.
if $SB compare "$tmp/a.json" "$tmp/a.json" >"$tmp/cmp" 2>&1 && grep -q '^2 matched' "$tmp/cmp"; then ok
else bad "compare with itself: $(cat "$tmp/cmp")"; fi

# Bad input: one line on stderr, exit 2, nothing measured.
expect_fail 2 "bad descriptor 'mb1icih5'" $SB kernel mb1icih5
expect_fail 2 "bad descriptor 'ic64ih56oc64kh1zz2'.*unknown field" $SB kernel ic64ih56oc64kh1zz2
expect_fail 2 "ic must be at least 1" $SB kernel mb1ic0ih5oc8kh1
expect_fail 2 "too large" $SB kernel ic64ih99999999999oc8kh1
expect_fail 2 "unknown event 'foo'.*--list-events" $SB kernel --events foo -o "$tmp/x.json" ic8ih5oc8kh1
expect_fail 2 "unknown implementation 'nope'" $SB kernel --impl nope ic8ih5oc8kh1
expect_fail 2 "unknown op 'conv2'" $SB kernel --op conv2 ic8ih5oc8kh1
expect_fail 2 "--conn: expected 4, 8 or a displacement table" $SB kernel --op shift --conn 6 ic18ih5
expect_fail 2 "bad descriptor 'ic18ih5'.*given twice" $SB kernel --op shift --conn 1,0:1,0 ic18ih5
# a general table (docs/networks.md): named by its text, recorded in the shape
if $SB kernel $quick --op shiftconv --conn 'i:-1,-1:0,0:1,1' --impl ref,own -o "$tmp/t.json" ic18ih6oc8 >"$tmp/t.out" 2>&1 &&
    python3 -c '
import json, sys
rs = json.load(open(sys.argv[1]))["records"]
assert rs and all(r["shape"]["conn"] == 0 and r["shape"]["shift"] == "i:-1,-1:0,0:1,1" for r in rs), rs
assert "_i:-1,-1:0,0:1,1" in rs[0]["name"], rs[0]["name"]' "$tmp/t.json"; then ok
else bad "kernel --conn TABLE: $(tail -3 "$tmp/t.out")"; fi
expect_fail 2 "no descriptor" $SB kernel --impl ref
expect_fail 2 "unknown option '--bogus'" $SB kernel --bogus ic8ih5oc8kh1
expect_fail 2 "cannot write $tmp/nodir/x.json" $SB kernel -o "$tmp/nodir/x.json" ic8ih5oc8kh1
if [ ! -e "$tmp/x.json" ]; then ok; else bad "a failed run wrote its output"; fi
echo 'ic8ih5oc8kh1 --op=shift ic18ih5 ic0ih5' >"$tmp/batch"
expect_fail 2 "$tmp/batch:1: bad descriptor 'ic0ih5'" $SB kernel --batch-file "$tmp/batch"
# Batch files: a comment longer than any buffer stays a comment (the bad descriptor after
# 5000 characters of it is never read), every error names FILE:LINE, a directory is refused.
{ printf 'ic8ih5oc8kh1 #'; head -c 5000 /dev/zero | tr '\0' x; printf ' ic0ih5\n\n--op=bad\n'; } >"$tmp/long"
expect_fail 2 "^shiftbench: error: $tmp/long:3: --op: unknown op 'bad'" $SB kernel --batch-file "$tmp/long"
printf 'ic8ih5oc8kh1\n --conn=5\n' >"$tmp/conn"
expect_fail 2 "$tmp/conn:2: --conn: expected 4, 8 or a displacement table" $SB kernel --batch-file "$tmp/conn"
printf '\n--bogus\n' >"$tmp/tok"
expect_fail 2 "$tmp/tok:2: unknown token '--bogus'" $SB kernel --batch-file "$tmp/tok"
expect_fail 2 "--batch-file $tmp: not a regular file" $SB kernel --batch-file "$tmp"
# Strict numbers: no hex, no leading space, no underflow.
expect_fail 2 "--min-reps: expected 1..1000000, got '0x10'" $SB kernel --min-reps 0x10 ic8ih5oc8kh1
expect_fail 2 "--seed: expected" $SB kernel --seed " 1" ic8ih5oc8kh1
expect_fail 2 "--min-time: expected" $SB kernel --min-time 1e-400 ic8ih5oc8kh1
expect_fail 2 "--min-time: expected" $SB kernel --min-time inf ic8ih5oc8kh1
expect_fail 2 "knob 'width_multiplier' = 1e-300 scales the stem width 64 to 0 channels" $SB cost resnet50 --set width_multiplier=1e-300
expect_fail 2 "--set width_multiplier: '0x1' is not a number" $SB cost resnet50 --set width_multiplier=0x1
expect_fail 2 "$tmp/a.json.nope" $SB compare "$tmp/a.json" "$tmp/a.json.nope"
echo '{"schema": "other"}' >"$tmp/foreign.json"
expect_fail 2 "foreign.json: not a shiftbench results file" $SB compare "$tmp/a.json" "$tmp/foreign.json"
echo '{"schema": "shiftbench-results", "version": 99, "kind": "net", "records": []}' >"$tmp/v99.json"
expect_fail 2 "v99.json: results version 99" $SB compare "$tmp/v99.json" "$tmp/a.json"
echo 'not json' >"$tmp/broken.json"
expect_fail 2 "broken.json:1:" $SB compare "$tmp/broken.json" "$tmp/a.json"
expect_fail 2 "takes two results files" $SB compare "$tmp/a.json"
expect_fail 2 "--threads: expected" $SB peak --threads 0
# An OpenBLAS core above SHIFTBENCH_ISA (or the CPU: SIGILL) is replaced before measuring,
# end to end: re-executed with a core within the level, said in one line, recorded.
if grep -qw avx2 /proc/cpuinfo; then
    if SHIFTBENCH_ISA=avx2 OPENBLAS_CORETYPE=SkylakeX $SB kernel $quick --impl openblas --threads 1 \
            -o "$tmp/core.json" mb1ic16ih4oc16kh1 >"$tmp/out" 2>&1 &&
       grep -q "re-running with OPENBLAS_CORETYPE=HASWELL" "$tmp/out" &&
       py 'import json,sys; c=json.load(open(sys.argv[1]))["context"]; assert c["openblas_core"].lower()=="haswell", c["openblas_core"]' "$tmp/core.json"
    then ok; else bad "SkylakeX core above avx2 replaced: $(cat "$tmp/out")"; fi
fi
finish
