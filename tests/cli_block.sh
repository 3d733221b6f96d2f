#!/bin/sh
# net --fuse block end to end on tiny networks: the logits equal --fuse layer's, a fused
# block is one record listing its layers with their costs (which still add up to the
# network's), the head says why it ran layer by layer, compare does not pair a block
# record with layer records, plot accepts the file, and bad options are one line + exit 2.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--set widths=12,12,16,16 --set stem_width=12 --set classes=10 --resolution 35 --batch 2 --min-time 0 --min-reps 2 --warmup 0 --no-peak --events none"

for net in resnet50 multi-shift-4c-50 multi-shift-8c-50; do
    for t in 1 2; do
        for f in layer block; do
            extra=; [ $f = block ] && [ $t = 2 ] && extra="--tile-rows 2"
            if $SB net $net $TINY --impl own --threads $t --fuse $f $extra -o "$tmp/$net-$f-$t.json" \
                --output "$tmp/$net-$f-$t.npy" >"$tmp/out.txt" 2>&1; then ok
            else bad "net $net --fuse $f --threads $t: $(tail -n 2 "$tmp/out.txt")"; fi
        done
        # the same kernels on the same rows: the same logits, bit for bit
        if cmp -s "$tmp/$net-layer-$t.npy" "$tmp/$net-block-$t.npy"; then ok; else bad "$net t$t: block logits differ from layer logits"; fi
    done
    python3 - "$tmp/$net-block-1.json" "$tmp/$net-layer-1.json" <<'PY' && ok || bad "$net: block records"
import json, sys
d, l = (json.load(open(p)) for p in sys.argv[1:3])
assert d["context"]["settings"]["fuse"] == "block" and l["context"]["settings"]["fuse"] == "layer"
recs = d["records"]
blocks = [r for r in recs if r["op"] == "block"]
assert len(blocks) == sum(d["network"]["knobs"]["blocks"]) + 1, len(blocks)   # the body blocks and the stem
for r in blocks:
    assert r["kind"] == "block" and r["impl"] == "own" and r["impl_info"].startswith("own:block-")
    assert r["tile"]["tiles"] >= 1 and r["tile"]["rows"] >= 1 and r["tile"]["cache_bytes"] > 0
    names = [x["name"] for x in r["layers"]]
    assert names[1:] == r["fused"], (names, r["fused"])
    # the layers' own costs add up to the record's MACs, FLOPs and parameters; its bytes are
    # what reaches memory fused: less than the layers apart (bytes_layers, their sum)
    for k in ("params", "macs", "flops"):
        assert sum(x[k] for x in r["layers"]) == r["cost"][k], k
    assert sum(x["bytes"] for x in r["layers"]) == r["cost"]["bytes_layers"] > r["cost"]["bytes"]
    assert r["shape"]["oh"] >= 1 and r["stats"]["median"] > 0
for k in ("params", "macs", "flops"):
    assert sum(r["cost"][k] for r in recs) == d["network"][k] == l["network"][k], k
assert sum(r["cost"]["bytes"] for r in recs) == d["network"]["bytes_fused"] < l["network"]["bytes_fused"]
# the head (global average pool, fc) runs layer by layer and says why
head = [r for r in recs if r["name"] in ("avgpool", "fc")]
assert head and all("not fused" in r["block_fusion"] for r in head), head
PY
done

# compare: a block record is not a layer record (names differ; the fuse setting is shown)
$SB compare "$tmp/resnet50-layer-1.json" "$tmp/resnet50-block-1.json" >"$tmp/cmp.txt" 2>&1
if grep -q 'differs: context.settings.fuse: "layer" (A) vs "block" (B)' "$tmp/cmp.txt" && grep -q " only in B" "$tmp/cmp.txt" &&
   ! grep -qE "^layer1\.0 " "$tmp/cmp.txt"; then ok
else bad "compare layer vs block: $(head -n 20 "$tmp/cmp.txt")"; fi
# plot and report read block records; the fusion chart pairs a --fuse block run with the
# layer-by-layer run of the same network and impl, block by block (named networks only)
mkdir -p "$tmp/res"
for f in layer block; do
    $SB net multi-shift-4c-50 --impl own --fuse $f --min-time 0 --min-reps 1 --warmup 0 --no-peak --events none \
        -o "$tmp/res/ms-$f.json" >/dev/null 2>&1 || bad "full-size multi-shift-4c-50 --fuse $f"
done
if $SB plot --results "$tmp/res" --out "$tmp/plots" --report "$tmp/report.md" --impl own >"$tmp/plot.txt" 2>&1 &&
   grep -q "2 runs charted" "$tmp/plot.txt"; then ok
else bad "plot of block records: $(tail -n 3 "$tmp/plot.txt")"; fi
python3 - "$tmp/plots/data" <<'PY' && ok || bad "fusion chart data"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1] + "/fusion_1.dat") if not l.startswith("#")]
assert [r[1] for r in rows] == ["stem"] + ["layer%d.%d" % (s, b) for s, n in ((1, 3), (2, 4), (3, 6), (4, 3)) for b in range(n)], rows
for r in rows:
    fused_ms, layer_ms, fused_mb, layer_mb = map(float, r[2:6])
    assert fused_ms > 0 and layer_ms > 0 and 0 < fused_mb < layer_mb, r
s = open(sys.argv[1] + "/settings.gp").read()
assert "nfusion = 1" in s and 'fnet[1] = \'multi-shift-4c-50\'' in s, s[-400:]
PY
if command -v gnuplot >/dev/null; then
    if [ -s "$tmp/plots/fusion.svg" ]; then ok; else bad "no fusion.svg"; fi
fi

# best (auto): every body block fused or noted with both times
if $SB net multi-shift-4c-50 $TINY --impl best --threads 1 -o "$tmp/best.json" >"$tmp/out.txt" 2>&1; then ok
else bad "best auto: $(tail -n 2 "$tmp/out.txt")"; fi
python3 - "$tmp/best.json" <<'PY' && ok || bad "best auto records"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["context"]["settings"]["fuse"] == "auto"
for r in d["records"]:
    if r["op"] != "block" and r["block"] not in ("", "head"):
        assert "block_fusion" in r and ("timed faster" in r["block_fusion"] or "not fused" in r["block_fusion"]), r["name"]
PY

expect_fail 2 "--fuse 'tiles': expected block or layer" $SB net resnet50 --fuse tiles
expect_fail 2 "--fuse 'auto': expected block or layer" $SB net resnet50 --fuse auto
expect_fail 2 "--tile-rows '0': expected an integer" $SB net resnet50 --tile-rows 0
if $SB net --help | grep -q -- "--tile-rows N"; then ok; else bad "net --help lists --tile-rows"; fi
finish
