#!/bin/sh
# shiftbench net end to end on tiny networks (narrow, low resolution): every implementation
# runs, the results file follows results/SCHEMA.md, and bad input is one line + exit 2.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--set widths=16,16,16,16 --set stem_width=16 --set classes=10 --resolution 32 --min-time 0 --min-reps 2 --warmup 1"

for net in resnet50 multi-shift-4c-50 flat-shift-8c-35; do
    for impl in ref own openblas onednn best; do
        if $SB net $net $TINY --impl $impl --threads 1 -o "$tmp/$net-$impl.json" >"$tmp/out.txt" 2>&1; then ok
        else bad "net $net --impl $impl: $(tail -n 2 "$tmp/out.txt")"; continue; fi
        python3 - "$tmp/$net-$impl.json" "$net" "$impl" <<'PY' && ok || bad "schema of $net/$impl results"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "shiftbench-results" and d["version"] == 1 and d["kind"] == "net"
assert d["complete"] is True
c = d["context"]
for k in ("date", "git_commit", "cpu_model", "isa", "cores", "threads", "openblas_core", "openblas_threads",
          "onednn_version", "onednn_isa", "compiler", "cflags", "settings"):
    assert k in c, k
assert c["settings"]["impl"] == sys.argv[3] and c["settings"]["network"] == sys.argv[2]
assert d["network"]["name"] == sys.argv[2] and d["network"]["macs"] > 0
assert d["pass"]["stats"]["median"] > 0
names = set()
for r in d["records"]:
    for k in ("name", "op", "kind", "impl", "impl_info", "shape", "cost", "stats", "counters", "stage", "block", "fused"):
        assert k in r, (r["name"], k)
    s = r["stats"]
    assert s["n"] == len(s["samples"]) >= 2 and s["min"] <= s["median"] <= s["max"]
    for ev, v in r["counters"].items():
        assert ("unavailable" in v and v["unavailable"]) or "value" in v, ev
    names.add(r["name"])
    names.update(r["fused"])
assert "conv1" in names and "fc" in names
# every IR layer runs exactly once, and the steps' costs add up to the network's (fusion
# only removes the traffic of intermediates)
for k in ("params", "macs", "flops"):
    assert sum(r["cost"][k] for r in d["records"]) == d["network"][k], k
assert sum(r["cost"]["bytes"] for r in d["records"]) == d["network"]["bytes_fused"] <= d["network"]["bytes"]
assert sum(r["cost"]["bytes_layers"] for r in d["records"]) == d["network"]["bytes"]
assert all(r["cost"]["bytes"] <= r["cost"]["bytes_layers"] for r in d["records"])
if sys.argv[3] == "ref":
    assert not any(r["op"] == "shiftconv" for r in d["records"])
PY
    done
done
# shifts are fused into the 1x1 with own, kept apart with onednn (it has no fused shift)
python3 -c "
import json; d = json.load(open('$tmp/multi-shift-4c-50-own.json'))
assert any(r['op'] == 'shiftconv' and r['fused'][0].endswith('shift1') for r in d['records'])
d = json.load(open('$tmp/multi-shift-4c-50-onednn.json'))
assert any(r['op'] == 'shift' for r in d['records'])" && ok || bad "shift fusion choices"
$SB net resnet50 $TINY --events none -o - 2>/dev/null | python3 -c "import json,sys; assert json.load(sys.stdin)[\"network\"][\"knobs\"][\"stem_width\"] == 16" && ok || bad "-o - writes only the JSON to stdout"

expect_fail 2 "unknown implementation 'mkl'" $SB net resnet50 $TINY --impl mkl -o "$tmp/x.json"
expect_fail 2 "unknown network 'resnet5'" $SB net resnet5
expect_fail 2 "--threads '0'" $SB net resnet50 --threads 0
expect_fail 2 "--min-time 'abc'" $SB net resnet50 --min-time abc
expect_fail 2 "name a network" $SB net
expect_fail 2 "unknown event 'nosuchevent'" $SB net resnet50 $TINY --events nosuchevent -o "$tmp/x.json"
expect_fail 2 "needs .* GB .* available" $SB net resnet50 --batch 2000
finish
