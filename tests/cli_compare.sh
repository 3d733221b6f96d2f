#!/bin/sh
# `shiftbench compare` (README "Comparing runs"): the exact Mann-Whitney test flags fully
# separated 5-vs-5 samples (the normal approximation never could: p 0.012 > 0.01), n per
# side and 'n<' where n is too small for alpha, every difference between the runs named,
# records whose work differs (fused residual add) not paired unless asked, --threshold,
# --fail-on-regression's exit status, and medians that disagree with their own samples.
# Synthetic files: the samples are chosen, nothing is timed.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# mk FILE SCALE N [KEY=VALUE...]: a net results file of three conv records whose N samples
# are SCALE * (1..N) ms; conv3 has a fused add in files given fused=1; batch=, complete=;
# nosamples=NAME drops a record's samples (its median kept), repeat=1 lists conv1 twice.
mk() {
    python3 - "$@" <<'PY'
import json, sys
path, scale, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
kv = dict(a.split("=", 1) for a in sys.argv[4:])
def rec(name, fused):
    s = [scale * 1e-3 * (1 + i / 100) for i in range(n)]
    ss = sorted(s)
    med = ss[n // 2] if n % 2 else (ss[n // 2 - 1] + ss[n // 2]) / 2
    if name in kv.get("badmedian", ""): med *= 2
    stats = {"n": n, "median": med, "samples": s}
    if name in kv.get("nosamples", ""): del stats["samples"]
    return {"name": name, "op": "conv", "impl": "ref", "shape": {"n": 1, "h": 8, "c": 8},
            "fused": fused, "stats": stats}
recs = [rec("layer1.0.conv1", []), rec("layer1.0.conv2", []),
        rec("layer1.0.conv3", ["layer1.0.add"] if kv.get("fused") == "1" else [])]
if kv.get("repeat") == "1": recs.append(rec("layer1.0.conv1", []))
doc = {"schema": "shiftbench-results", "version": 1, "kind": "net",
       "complete": kv.get("complete", "1") == "1",
       "context": {"date": "x", "cpu_model": "cpu", "settings": {"network": "resnet50",
                   "batch": int(kv.get("batch", 1)), "set": kv.get("set", "").split(",") if kv.get("set") else []}},
       "records": recs}
json.dump(doc, open(path, "w"))
PY
}

# 5 vs 5, every B sample slower: exact p = 2/252 < 0.01, so each is a change.
mk "$tmp/a5.json" 1 5; mk "$tmp/b5.json" 2 5
if $SB compare "$tmp/a5.json" "$tmp/b5.json" >"$tmp/out" 2>&1 && grep -q '^3 matched, 3 changed' "$tmp/out" &&
   grep -q 'layer1.0.conv1 .* 5    5 .* 0.0079 \* slower' "$tmp/out"; then ok
else bad "5 vs 5 separated is a change: $(cat "$tmp/out")"; fi
if grep -q '^runs agree' "$tmp/out"; then ok; else bad "identical settings: $(cat "$tmp/out")"; fi
# --fail-on-regression: exit 1 with one line; faster B passes; --threshold above the change passes.
expect_fail 1 "compare: 3 regressions" $SB compare --fail-on-regression "$tmp/a5.json" "$tmp/b5.json"
expect_ok $SB compare --fail-on-regression "$tmp/b5.json" "$tmp/a5.json"
expect_ok $SB compare --fail-on-regression --threshold 1.5 "$tmp/a5.json" "$tmp/b5.json"
if $SB compare --threshold 1.5 "$tmp/a5.json" "$tmp/b5.json" 2>&1 | grep -q '^3 matched, 0 changed'; then ok
else bad "--threshold 1.5 keeps a 2x change"; fi
expect_fail 2 "--threshold: expected" $SB compare --threshold -1 "$tmp/a5.json" "$tmp/b5.json"
expect_fail 2 "--threshold: expected" $SB compare --threshold 0x10 "$tmp/a5.json" "$tmp/b5.json"

# 3 vs 3: the smallest p is 0.1; said, never a change.
mk "$tmp/a3.json" 1 3; mk "$tmp/b3.json" 2 3
if $SB compare "$tmp/a3.json" "$tmp/b3.json" >"$tmp/out" 2>&1 && grep -q '^3 matched, 0 changed' "$tmp/out" &&
   grep -q ' 3    3 .* n<$' "$tmp/out" && grep -q '^n<: 3 pairs with too few samples for p to reach 0.01' "$tmp/out"; then ok
else bad "3 vs 3 too few: $(cat "$tmp/out")"; fi

# Different settings, completeness and work: named, and the fused conv3 is not paired.
mk "$tmp/c5.json" 2 5 batch=4 complete=0 fused=1 set=widths=8
if $SB compare "$tmp/a5.json" "$tmp/c5.json" >"$tmp/out" 2>&1 &&
   grep -q '^differs: context.settings.batch: 1 (A) vs 4 (B)' "$tmp/out" &&
   grep -q '^differs: complete: true (A) vs false (B)' "$tmp/out" &&
   grep -q '^differs: context.settings.set: \[\] (A) vs \["widths=8"\] (B)' "$tmp/out" &&
   grep -q '^2 matched, .* 1 only in A, 1 only in B' "$tmp/out" &&
   grep -q '^not paired: 1 record whose shape or fused ops differ' "$tmp/out"; then ok
else bad "differences named, fused not paired: $(cat "$tmp/out")"; fi
if $SB compare --pair-different-work "$tmp/a5.json" "$tmp/c5.json" 2>&1 | grep -q '^3 matched'; then ok
else bad "--pair-different-work pairs them"; fi

# A median that is not the median of the file's samples: one line, exit 2.
mk "$tmp/bad.json" 1 5 badmedian=layer1.0.conv2
expect_fail 2 "bad.json: record 'layer1.0.conv2': stats.median 0.00204 disagrees with the median of its 5 samples, 0.00102" \
    $SB compare "$tmp/a5.json" "$tmp/bad.json"
# Samples that are not times (all zero: the records once dropped out, "0 matched", exit 0;
# negative; so large that B/A is inf): one line, exit 2.
mk "$tmp/zero.json" 0 5; mk "$tmp/neg.json" -1 5; mk "$tmp/huge.json" 1e308 5
expect_fail 2 "zero.json: record 'layer1.0.conv1': sample 0 is 0 s, not a time between 1 ns and a day" \
    $SB compare "$tmp/a5.json" "$tmp/zero.json"
expect_fail 2 "neg.json: record 'layer1.0.conv1': sample 0 is -0.001 s" $SB compare "$tmp/a5.json" "$tmp/neg.json"
expect_fail 2 "huge.json: record 'layer1.0.conv1': sample 0 is 1e.305 s" $SB compare "$tmp/huge.json" "$tmp/a5.json"
# A median without its samples cannot be checked or tested: one line, exit 2.
mk "$tmp/nos.json" 1 5 nosamples=layer1.0.conv2
expect_fail 2 "nos.json: record 'layer1.0.conv2': stats.median without its samples" $SB compare "$tmp/a5.json" "$tmp/nos.json"
# A record repeated in one file pairs in file order, and the output says so.
mk "$tmp/ra.json" 1 5 repeat=1; mk "$tmp/rb.json" 2 5 repeat=1
if $SB compare "$tmp/ra.json" "$tmp/rb.json" >"$tmp/out" 2>&1 && grep -q '^4 matched' "$tmp/out" &&
   grep -q '^note: 1 record in A repeats the name, op and impl of an earlier one: paired in file order' "$tmp/out" &&
   grep -q '^note: 1 record in B repeats' "$tmp/out"; then ok
else bad "repeated records named: $(cat "$tmp/out")"; fi
finish
