#!/bin/sh
# shiftbench ratios: a one-second run of the kernel goals (P1-P3) writes a valid results
# file with goal, ratio and met per line; bad options are one line + exit 2. Never asserts
# on the ratios themselves (they are timings).
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if $SB ratios --parts 1,2,3 --quick --threads 1 --batch 1 --min-time 0.002 -o "$tmp/r.json" >"$tmp/out" 2>&1; then ok
else bad "ratios quick run: $(tail -n 3 "$tmp/out")"; fi
grep -qE '^P1 .*(met|missed)' "$tmp/out" && ok || bad "a P1 line with met/missed"
# ratios with 3 digits; the summary in P-order (the openblas P2 line right after own's)
grep -qE '^P2 own shiftconv .* [0-9]+\.[0-9]{3}x the plain' "$tmp/out" && ok || bad "P2 ratio with 3 digits"
sed -n '/^-- summary/,$p' "$tmp/out" | grep -oE '^P[0-9]' | tr -d '\n' | grep -qE '^P1P2P2P3$' && ok ||
    bad "summary not in P-order: $(sed -n '/^-- summary/,$p' "$tmp/out")"
python3 - "$tmp/r.json" <<'PY' && ok || bad "ratios results file"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "shiftbench-results" and d["kind"] == "ratios" and d["complete"] is True
ids = {r["goal_id"] for r in d["records"]}
assert {"P1", "P2", "P3"} <= ids, ids
for r in d["records"]:
    assert r["ratio"] > 0 and isinstance(r["met"], bool) and r["goal"] > 0
    assert r["a"]["stats"]["n"] >= 1 and r["b"]["stats"]["n"] >= 1
    if r["goal_id"] == "P2":   # flagged exactly when met but the fastest plain 1x1 says otherwise
        assert r["met_only_against_slow_baseline"] == (r["met"] and r["vs_fastest_plain"] > r["goal"]), r
PY
# P6 on the smallest shape set the quick run has: every form of both libraries against ours.
if $SB ratios --parts 6 --quick --threads 1 --batch 1 --min-time 0.001 -o "$tmp/p6.json" >"$tmp/out" 2>&1; then ok
else bad "ratios --parts 6: $(tail -n 3 "$tmp/out")"; fi
python3 - "$tmp/p6.json" <<'PY' && ok || bad "P6 records: $(grep -m3 P6 "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
rs = [r for r in d["records"] if r["goal_id"] == "P6"]
forms = {r["a"]["impl"] for r in rs}
assert forms == {"onednn-dw+1x1", "xnnpack-dw+1x1", "onednn-masked3x3", "xnnpack-masked3x3"}, forms
assert len(rs) == 4 * 2 * 5, len(rs)   # forms x 4C/8C x shapes
for r in rs:
    assert r["b"]["impl"] == "own" and r["goal_op"] == ">" and r["a"]["cost"]["macs"] == r["b"]["cost"]["macs"] > 0
    assert r["met"] == (r["ratio"] > r["goal"])
assert [s["goal_id"] for s in d["summary"]] == ["P6"]
PY
expect_fail 2 "--threads '0'" $SB ratios --threads 0
expect_fail 2 "unknown or incomplete option '--bogus'" $SB ratios --bogus
expect_fail 2 "parts" $SB ratios --parts 9
expect_fail 2 "--isa 'sse9': expected a level of this CPU architecture" $SB ratios --isa sse9
# --isa avx2 (any AVX2 CPU): our kernels, oneDNN and OpenBLAS at the level, its peak recorded
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    if $SB ratios --isa avx2 --parts 3 --quick --threads 1 --batch 1 --min-time 0.002 -o "$tmp/i.json" >"$tmp/out" 2>&1
    then ok; else bad "ratios --isa avx2: $(tail -n 3 "$tmp/out")"; fi
    python3 - "$tmp/i.json" <<'PY' && ok || bad "ratios --isa avx2 results: $(head -n 3 "$tmp/out")"
import json, sys
c = json.load(open(sys.argv[1]))["context"]
assert c["settings"]["isa"] == "avx2" and c["isa_level"] == "avx2", (c["settings"]["isa"], c["isa_level"])
assert c["onednn_isa"].startswith("avx2"), c["onednn_isa"]
assert c["openblas_core"].lower() in ("haswell", "zen"), c["openblas_core"]
assert "avx2" in c["peak"]["levels"] and "avx512" not in c["peak"]["levels"], c["peak"]["levels"]
PY
fi
finish
