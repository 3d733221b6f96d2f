#!/bin/sh
# The explicit IR (docs/ir.md): every named instance exported with `cost --format ir` and
# read back costs identically (cost JSON equal) and runs identically (`net --impl ref` on a
# reduced-size instance, 32x32 at width x0.25, MobileNetV2 x0.5: the same logits, bit for bit); a hand-written one-off network runs.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
RUN="--impl ref --threads 1 --min-time 0 --min-reps 1 --warmup 0 --max-reps 1 --events none --no-peak"

# one instance: cost round trip, then the run round trip at 32x32 (two at a time: 2 cores)
check() {
    n=$1
    $SB cost --format ir "$n" >"$tmp/$n.ir.json" 2>"$tmp/$n.err" &&
        $SB cost --format json "$n" >"$tmp/$n.a" && $SB cost --format json "$tmp/$n.ir.json" >"$tmp/$n.b" &&
        cmp -s "$tmp/$n.a" "$tmp/$n.b" && echo ok >"$tmp/$n.cost"
    wm=0.25; case $n in mobilenet*) wm=0.5 ;; esac   # 0.25 leaves 8 channels: too few for an 8C shift
    $SB cost --format ir --resolution 32 --set width_multiplier=$wm "$n" >"$tmp/$n.small.json" &&
        $SB net "$n" --resolution 32 --set width_multiplier=$wm $RUN -o "$tmp/$n.r1" --output "$tmp/$n.l1.npy" >/dev/null 2>&1 &&
        $SB net "$tmp/$n.small.json" $RUN -o "$tmp/$n.r2" --output "$tmp/$n.l2.npy" >/dev/null 2>&1 &&
        cmp -s "$tmp/$n.l1.npy" "$tmp/$n.l2.npy" && echo ok >"$tmp/$n.run"
}
names=$(ls arch/*.json | sed 's|arch/||; s|\.json$||')
set -- $names
while [ $# -gt 0 ]; do
    check "$1" & p1=$!
    if [ $# -gt 1 ]; then check "$2"; shift; fi
    wait $p1; shift
done
for n in $names; do
    [ -f "$tmp/$n.cost" ] && ok || bad "$n: cost JSON differs after the IR round trip ($(cat "$tmp/$n.err"))"
    [ -f "$tmp/$n.run" ] && ok || bad "$n: net --impl ref logits differ after the IR round trip"
done
# the knobs and family travel with the document (results and plot twin matching read them)
python3 - "$tmp/single-shift-8c-50.r2" <<'PY' && ok || bad "results of an IR file lack the family's knobs"
import json, sys
n = json.load(open(sys.argv[1]))["network"]
assert n["family"] == "resnet" and n["knobs"]["neighbourhood"] == 8 and n["knobs"]["resolution"] == 32, n
PY
head -c 2 "$tmp/resnet50.ir.json" | grep -q '{' && grep -q '^  {"name": "layer1.0.conv2", "op": "conv", "inputs": \["layer1.0.relu1"\], "out_channels": 64, "kernel": \[3, 3\], "stride": 1, "pad": 1, "bn": "layer1.0.bn2", "stage": 1, "block": "layer1.0", "shape": \[1, 56, 56, 64\]}' "$tmp/resnet50.ir.json" \
    && ok || bad "the IR's layer line form"

# a one-off network, no family: costs and runs on every implementation
$SB cost --format json tests/fixtures/ir-tiny.json | python3 -c '
import json, sys
n = json.load(sys.stdin)["networks"][0]
assert n["name"] == "tiny" and n["params"] == 378 and n["family"] == "", n["params"]
' && ok || bad "tiny IR cost"
for impl in ref own openblas onednn; do
    expect_ok $SB net tests/fixtures/ir-tiny.json --impl $impl --threads 1 --min-time 0 --min-reps 1 --warmup 0 \
        --events none --no-peak -o "$tmp/tiny-$impl.json"
done
$SB net tests/fixtures/ir-tiny.json --batch 2 $RUN -o "$tmp/tiny-b2.json" >/dev/null 2>&1 && ok || bad "IR with --batch"
# general shifts (docs/networks.md): the table round trips, and every implementation gives
# ref's logits (the fp32 sums in another order: within 1e-5 of logits of magnitude ~0.3)
$SB cost --format ir tests/fixtures/ir-shifts.json >"$tmp/shifts.ir" && $SB cost --format json tests/fixtures/ir-shifts.json >"$tmp/shifts.a" &&
    $SB cost --format json "$tmp/shifts.ir" >"$tmp/shifts.b" && cmp -s "$tmp/shifts.a" "$tmp/shifts.b" && ok || bad "shift tables: IR round trip"
grep -q '"displacements": \[\[-1, -1\], \[-1, 0\].*"allocation": "interleaved"' "$tmp/shifts.ir" && ok || bad "interleaved table in the IR"
for impl in ref own openblas onednn xnnpack; do
    $SB net tests/fixtures/ir-shifts.json $RUN --impl $impl -o "$tmp/shifts-$impl.json" --output "$tmp/shifts-$impl.npy" >/dev/null 2>&1 ||
        bad "net --impl $impl on general shifts"
done
$SB net tests/fixtures/ir-shifts.json $RUN --impl own --fuse block -o "$tmp/shifts-block.json" --output "$tmp/shifts-block.npy" \
    >/dev/null 2>&1 || bad "net --fuse block on general shifts"
python3 - "$tmp" <<'PY' && ok || bad "general shifts: an implementation's logits differ from ref's"
import struct, sys
def load(p):
    b = open(p, "rb").read(); hl = struct.unpack("<H", b[8:10])[0]; d = b[10 + hl:]
    return struct.unpack("<%df" % (len(d) // 4), d)
ref = load(sys.argv[1] + "/shifts-ref.npy")
for impl in ("own", "openblas", "onednn", "xnnpack", "block"):
    got = load(sys.argv[1] + "/shifts-%s.npy" % impl)
    assert len(got) == len(ref) == 10 and max(abs(a - b) for a, b in zip(got, ref)) < 1e-5, impl
PY
expect_fail 2 "an explicit IR takes only batch=N and resolution=N" $SB cost --set blocks=1 tests/fixtures/ir-tiny.json
expect_fail 2 "cost --format ir: name exactly one network" $SB cost --format ir resnet50 resnet26
finish
