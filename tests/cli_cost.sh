#!/bin/sh
# shiftbench cost from the command line: formats, --set, and every malformed arch file
# in tests/arch_bad/ giving its one-line error with exit status 2.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh

out=$($SB cost resnet50 multi-shift-4c-50)
echo "$out" | grep -q '25,557,032' && ok || bad "resnet50 params in the table"
echo "$out" | grep -qE 'multi-shift-4c-50 .* 0\.6[01] ' && ok || bad "multi-shift-4c-50 ratio column"
$SB cost --format json resnet50 | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = d["networks"][0]
assert d["schema"] == "shiftbench-cost" and d["version"] == 1
assert n["name"] == "resnet50" and n["params"] == 25557032 and n["macs"] == 4089184256
assert all(k in n for k in ("flops", "bytes", "layers"))
l = n["layers"][0]
assert l["name"] == "conv1" and all(k in l for k in ("op", "params", "macs", "bytes"))
' && ok || bad "cost json"
n=$($SB cost --format csv resnet50 | wc -l)
[ "$n" -gt 100 ] && ok || bad "csv rows ($n)"
$SB cost --stages resnet50 | grep -q 'layer4' && ok || bad "--stages"
$SB cost --layers flat-shift-4c-35 | grep -q 'layer3.7.shift2' && ok || bad "--layers"
$SB cost --set blocks=2,3,4,2 --set neighbourhood=8 --set resolution=160 --format json multi-shift-4c-50 |
    python3 -c 'import json,sys; k=json.load(sys.stdin)["networks"][0]["knobs"]; assert k["blocks"]==[2,3,4,2] and k["neighbourhood"]==8 and k["resolution"]==160' \
    && ok || bad "--set overrides"
$SB cost --fused multi-shift-4c-50 | grep -qE '^  layer1\.0\.conv1 +shiftconv .*layer1\.0\.shift1, layer1\.0\.relu1$' \
    && ok || bad "--fused lists the shift inside its 1x1"
$SB cost --fused --format json multi-shift-4c-50 | python3 -c '
import json, sys
n = json.load(sys.stdin)["networks"][0]
steps = n["steps"]
names = [l for s in steps for l in s["layers"]]
assert sorted(names) == sorted(l["name"] for l in n["layers"]), "every layer in exactly one step"
assert sum(s["bytes"] for s in steps) == n["bytes_fused"]
assert n["bytes_blocks"] <= n["bytes_fused"] < n["bytes"]
' && ok || bad "--fused json: steps cover the layers and add up to bytes_fused"
expect_ok $SB cost --all
# --all compares with resnet50 (not the alphabetically first file); --baseline NET; the ratio
# columns say what they divide by.
out=$($SB cost --all)
if printf '%s\n' "$out" | grep -q 'params / resnet50 .* MACs / resnet50' &&
   printf '%s\n' "$out" | grep -qE '^resnet50 +25,557,032 +1\.00 ' && printf '%s\n' "$out" | grep -q 'ratios to resnet50;'; then ok
else bad "cost --all baseline: $(printf '%s\n' "$out" | head -n 3)"; fi
if $SB cost --baseline resnet101 resnet50 | grep -qE '^resnet50 +25,557,032 +0\.57 '; then ok; else bad "--baseline resnet101"; fi
if $SB cost --format json --baseline resnet50 resnet26 | python3 -c '
import json, sys
r = json.load(sys.stdin)["networks"][0]["ratio_to_baseline"]
assert r["baseline"] == "resnet50" and 0.5 < r["params"] < 0.7, r'; then ok; else bad "json ratio_to_baseline"; fi
expect_fail 2 "--baseline: unknown network 'nope'" $SB cost --baseline nope resnet50
expect_ok $SB cost arch/resnet26.json
expect_ok $SB cost --help

expect_fail 2 "unknown network 'resnet51' \(available: .*resnet50" $SB cost resnet51
expect_fail 2 "unknown knob 'depth'" $SB cost --set depth=50 resnet50
expect_fail 2 "--set blocks: 'x' is not a list of integers" $SB cost --set blocks=x resnet50
expect_fail 2 "expected key=value" $SB cost --set blocks resnet50
expect_fail 2 "unknown option '--frobnicate'" $SB cost --frobnicate resnet50
expect_fail 2 "--format 'xml'" $SB cost --format xml resnet50
expect_fail 2 "name at least one network" $SB cost
# executed MACs beside the convention's: fewer where convs pad, in JSON, CSV and --layers
$SB cost --format json resnet50 | python3 -c '
import json, sys
n = json.load(sys.stdin)["networks"][0]
assert 0 < n["exec_macs"] < n["macs"] and n["exec_flops"] < n["flops"], (n["exec_macs"], n["macs"])
c1 = [l for l in n["layers"] if l["name"] == "conv1"][0]
assert c1["exec_macs"] < c1["macs"]
assert sum(l["exec_macs"] for l in n["layers"]) == n["exec_macs"]' && ok || bad "cost json exec_macs"
$SB cost --format csv resnet50 | head -n 1 | grep -q ',exec_macs,exec_flops$' && ok || bad "csv exec columns"
$SB cost --layers resnet50 | grep -q 'exec MMACs' && ok || bad "--layers exec column"

grep -v '^#' tests/arch_bad/expect.tsv | while IFS='	' read -r file pat; do
    [ -n "$file" ] || continue
    expect_fail 2 "$pat" $SB cost "tests/arch_bad/$file"
    echo "$pass $fail" > "${TMPDIR:-/tmp}/cli_cost.$$"
done
read pass fail < "${TMPDIR:-/tmp}/cli_cost.$$"; rm -f "${TMPDIR:-/tmp}/cli_cost.$$"
finish
