#!/bin/sh
# shiftbench plot on the fixture results (tests/fixtures/plot-results): the charts exist
# with their titles, series and subtitle; a missing accuracy is drawn on the strip;
# broken and foreign files are named and skipped; the report has the headlines.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
gnuplot_ok=1; want=0
command -v gnuplot >/dev/null 2>&1 || { gnuplot_ok=0; want=1; }   # no charts: data + report, exit 1
err=$($SB plot --results tests/fixtures/plot-results --out "$out" --report "$tmp/r/report.md" \
      --accuracy tests/fixtures/plot-accuracy.tsv 2>&1 >/dev/null); rc=$?
[ "$rc" = "$want" ] && ok || bad "plot on the fixtures: exit $rc: $err"
n=$(printf '%s\n' "$err" | grep -c 'skipped .*broken\.json')
[ "$n" = 1 ] && ok || bad "broken.json named once ($n): $err"
n=$(printf '%s\n' "$err" | grep -c 'skipped .*foreign\.json')
[ "$n" = 1 ] && ok || bad "foreign.json named once ($n): $err"

# has FILE TEXT...: every TEXT in FILE
has() {
    f=$1; shift
    [ -s "$f" ] || { bad "$f missing or empty"; return; }
    for t in "$@"; do grep -qF -- "$t" "$f" && ok || bad "$(basename "$f"): no '$t'"; done
}
if [ "$gnuplot_ok" = 1 ]; then
    for c in cost_accuracy four_vs_eight breakdown_resnet50 breakdown_resnet101 flops_not_time roofline; do
        [ -s "$out/$c.svg" ] && ok || bad "$c.svg not drawn"
        [ -s "$out/$c.png" ] && ok || bad "$c.png not drawn"
        head -c 8 "$out/$c.png" | od -An -c | grep -q 'P   N   G' && ok || bad "$c.png is not a PNG"
        # the machine and settings of the fixture runs in every measured chart's subtitle
        [ "$c" = cost_accuracy ] || has "$out/$c.svg" "Fixture CPU 9000 (2 cores) | 1 thread, batch 1, 224x224"
    done
    has "$out/cost_accuracy.svg" "Cost vs accuracy" "top-1 vs MACs" "top-1 vs parameters" "ImageNet top-1 (%)" \
        "GMACs" "parameters (millions)" "accuracy" "not recorded" "resnet50" "resnet101" "resnet26" \
        "multi-shift-4c-50" "flat-shift-8c-35"
    has "$out/four_vs_eight.svg" "4-connected (4C) vs 8-connected (8C) shift" "4C" "8C" "parameters" "MACs" \
        "bytes moved" "measured latency" "multi-shift-50" "single-shift-50" "flat-shift-35" "not measured" "30.0" "31.0"
    has "$out/breakdown_resnet50.svg" "Per-layer latency breakdown by op kind and stage" "onednn - whole network" \
        "openblas - per stage" "3x3 conv" "1x1 conv" "shift" "pooling" "add" "other" "forward pass (measured)" \
        "resnet50" "multi-shift-4c-50" "multi-shift-8c-50" "stem" "layer1" "head" "ms per image"
    has "$out/breakdown_resnet101.svg" "resnet101" "flat-shift-4c-35" "not measured"
    has "$out/flops_not_time.svg" "FLOPs are not time" "0 MACs" "per-layer latency vs MACs" \
        "MMACs per step" "latency ratio vs MAC ratio" "latency ratio = MAC ratio" "MAC ratio to the ResNet baseline" \
        "multi-shift-4c-50 (onednn)" "time at the measured peak (100 GFLOP/s)"
    has "$out/roofline.svg" "Roofline" "arithmetic intensity" "achieved GFLOP/s" \
        "roof: 100 GFLOP/s peak, 20 GB/s copy (256 MiB)" "cache roof: 200 GB/s copy (32 KiB)" "3x3 conv"
else
    echo "gnuplot not installed: charts not checked" >&2
fi

# the data behind the charts: a missing accuracy on the strip, never as a point
d=$out/data
grep -q '^resnet26	15.995176	2.34225664	50.5	NaN	user$' "$d/cost_acc.dat" && ok || bad "user accuracy point"
grep -q '^resnet50	.*	76.13	92.862	https://pytorch.org/vision/stable/models.html$' "$d/cost_acc.dat" && ok \
    || bad "documented accuracy point"
grep -q 'multi-shift-4c-50' "$d/cost_acc.dat" && bad "multi-shift-4c-50 drawn as an accuracy point" || ok
grep -q '^multi-shift-4c-50	2.445' "$d/noacc_macs.dat" && ok || bad "multi-shift-4c-50 not on the MACs strip"
grep -q '^multi-shift-4c-50	15.497256	' "$d/noacc_params.dat" && ok || bad "multi-shift-4c-50 not on the params strip"
grep -q '^resnet50' "$d/noacc_macs.dat" && bad "resnet50 on the strip" || ok
grep -q 'accuracy not recorded' "$d/noacc_macs.dat" && ok || bad "strip data header"
grep -q '^multi-shift-50	onednn	2	30	31	' "$d/4c8c_lat.dat" && ok || bad "4C/8C latencies (latest, complete runs)"
grep -q '^0	resnet50	2	4	4	4	4	4.3125	4.4375	5.6875	40$' "$d/bdt_1_1.dat" && ok || bad "resnet50 per-kind sums"
grep -q '^multi-shift-4c-50	1	onednn	resnet50	0.598' "$d/ratio.dat" && ok || bad "ratio row"

# the report
r=$tmp/r/report.md
has "$r" "# shiftbench report" "multi-shift-4c-50 vs resnet50: params −39%, MACs −40%, measured latency −25% (onednn; n 5 vs 5 passes, p10–p90 29.20–30.80 vs 39.20–40.80 ms; p 0.0079)" \
    "multi-shift-8c-50 vs multi-shift-4c-50: params ±0%, MACs ±0%, bytes moved ±0%, measured latency +3% (onednn; n 5 vs 5 passes, p10–p90 29.10–32.40 vs 29.20–30.80 ms; within noise, p 0.38)" \
    "−25% (openblas; no pass samples in the files: not tested against noise)" \
    "Fixture CPU 9000" "| threads | 1 |" "accuracy not recorded" "https://pytorch.org/vision/stable/models.html" \
    "## 2. 4C vs 8C" "## 3. Per-layer latency breakdown" "## 4. FLOPs are not time" "## 5. Roofline" \
    "broken.json" "foreign.json" "](../out/cost_accuracy.png)" \
    "## Latency per implementation" "| resnet50 | onednn | 40.00 | 39.20–40.80 | 5 | fastest |" \
    "| resnet50 | openblas | 80.00 | ? | – | 2.00× |"

# no results at all: the cost charts and the report still come out
mkdir "$tmp/empty"
$SB plot --results "$tmp/empty" --out "$tmp/out2" --report "$tmp/r2.md" 2>/dev/null
rc=$?; [ "$rc" = "$want" ] && ok || bad "plot without results: exit $rc"
[ -s "$tmp/r2.md" ] && ok || bad "report without results"
[ "$gnuplot_ok" = 0 ] || { [ -s "$tmp/out2/cost_accuracy.svg" ] && ok || bad "cost chart without results"; }

# --threads 2: only the two-thread resnet50 run; --impl openblas: only openblas
$SB plot --results tests/fixtures/plot-results --out "$tmp/o4" --report "$tmp/r4.md" --threads 2 2>/dev/null
grep -qF '| threads | 2 |' "$tmp/r4.md" && grep -qF 'resnet50-onednn-t2' "$tmp/r4.md" && ok || bad "--threads 2"
$SB plot --results tests/fixtures/plot-results --out "$tmp/o5" --report "$tmp/r5.md" --impl openblas 2>/dev/null
grep -qF '| implementations | openblas |' "$tmp/r5.md" && ok || bad "--impl openblas"
[ -e "$tmp/o5/data/layers_2.dat" ] && bad "--impl openblas: a second implementation charted" || ok

expect_ok $SB plot --help
expect_fail 2 "plot-accuracy-bad.tsv:2: top1 '150'" $SB plot --results "$tmp/empty" --out "$tmp/o3" \
    --accuracy tests/fixtures/plot-accuracy-bad.tsv
expect_fail 2 "nothere.tsv" $SB plot --results "$tmp/empty" --out "$tmp/o3" --accuracy "$tmp/nothere.tsv"
# a newer run of a network with changed knobs (a tiny test run) is skipped, not charted
mkdir -p "$tmp/custom"
cp tests/fixtures/plot-results/net-resnet50-onednn-t1-b1-20260102T000000Z.json "$tmp/custom/"
python3 - "$tmp/custom" <<'PY'
import json, sys
src = sys.argv[1] + "/net-resnet50-onednn-t1-b1-20260102T000000Z.json"
d = json.load(open(src))
d["context"]["settings"]["set"] = ["widths=16,16,16,16", "batch=1"]
d["context"]["date"] = "2027-01-01T00:00:00Z"
json.dump(d, open(sys.argv[1] + "/net-resnet50-onednn-t1-b1-20270101T000000Z.json", "w"))
PY
out=$($SB plot --results "$tmp/custom" --out "$tmp/custom-out" --report "$tmp/custom-out/r.md" 2>&1)
echo "$out" | grep -q "with --set widths=16,16,16,16 is not the named network" && ok || bad "customized run skipped: $out"
grep -q "20260102T000000Z" "$tmp/custom-out/r.md" && ok || bad "the named network's run is the one charted"

expect_fail 2 "unknown option '--frobnicate'" $SB plot --frobnicate x
expect_fail 2 "--threads 'x'" $SB plot --threads x
expect_fail 2 "needs a value" $SB plot --results
expect_fail 2 "not a shiftbench-cost file" $SB plot --results "$tmp/empty" --cost tests/fixtures/plot-results/foreign.json
finish
