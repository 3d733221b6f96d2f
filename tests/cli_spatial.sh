#!/bin/sh
# The comparison shift vs depthwise 3x3 vs dense 3x3 (plots/spatial.c): `net --unfused-shift`
# keeps each shift its own step and says so in the results; `plot` puts the best and
# best --unfused-shift runs of a shift network and its depthwise twin into the report's
# section, its data file and chart. MobileNetV2 and its 4C twin (small: 300 MMACs); never
# asserts on time.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
res=$tmp/res; mkdir -p "$res"
RUN="--impl best --best-time 0.001 --fuse layer --threads 1 --min-time 0 --min-reps 3 --warmup 0 --events none --no-peak"

$SB net mobilenet_v2-shift-4c $RUN --unfused-shift -o "$res/apart.json" >/dev/null 2>"$tmp/err" && ok || bad "unfused run: $(cat "$tmp/err")"
$SB net mobilenet_v2-shift-4c $RUN -o "$res/fused.json" >/dev/null 2>"$tmp/err" && ok || bad "fused run: $(cat "$tmp/err")"
$SB net mobilenet_v2 $RUN -o "$res/dw.json" >/dev/null 2>"$tmp/err" && ok || bad "dw run: $(cat "$tmp/err")"
python3 - "$res" <<'PY' && ok || bad "the runs' steps: shifts apart, fused, depthwise"
import json, sys
d = sys.argv[1]
kinds = lambda f: [r["kind"] for r in json.load(open(d + "/" + f))["records"]]
a, f, w = json.load(open(d + "/apart.json")), kinds("fused.json"), kinds("dw.json")
assert a["context"]["settings"]["fuse_shift"] is False, a["context"]["settings"]
ka = [r["kind"] for r in a["records"]]
assert ka.count("shift") == 17 and "shiftconv" not in ka, ka
assert f.count("shiftconv") == 17 and "shift" not in f, f
assert w.count("dw3x3") == 17, w
PY
expect_fail 2 "--best-time '0': expected seconds" $SB net mobilenet_v2 --best-time 0

$SB plot --results "$res" --out "$tmp/out" --report "$tmp/report.md" >"$tmp/plot.out" 2>&1
[ -n "$KEEP" ] && cp -r "$tmp" "$KEEP"
rc=$?; [ "$rc" = 0 ] || [ "$rc" = 1 ] && ok || bad "plot exit $rc: $(tail -n 3 "$tmp/plot.out")"
r=$tmp/report.md
grep -q '^## Shift vs depthwise 3x3 vs dense 3x3' "$r" && ok || bad "report: no comparison section"
grep -qE '^- MobileNetV2: fused mobilenet\\?_v2-shift-4c / mobilenet\\?_v2 [0-9.]+× \(p10–p90 .* n 3 vs 3 passes, (within noise, )?p [0-9.e-]+\); spatial steps [0-9.]+ vs [0-9.]+ ms; apart [0-9.]+× ' "$r" \
    && ok || bad "report: the headline with its spread: $(grep -- '- MobileNetV2' "$r")"
grep -qE '^\| +\| shift \+ 1x1 \(apart\) \| mobilenet\\?_v2-shift-4c \| 3\.426 \| 17 \| ' "$r" && ok || bad "report: the apart row"
grep -qE '^\| MobileNetV2 \| depthwise 3x3 \+ 1x1 \| mobilenet\\?_v2 \| 3\.505 \| 17 \| 0\.[0-9]+ \| ' "$r" && ok || bad "report: the depthwise row"
grep -q '| single-50 | dense 3x3 | resnet50 | 25.557 | not measured' "$r" && ok || bad "report: unmeasured rows say so"
n=$(awk -F'\t' '!/^#/ && $8 != "NaN" && $8 > 0' "$tmp/out/data/spatial.dat" | wc -l)
[ "$n" = 3 ] && ok || bad "spatial.dat: $n measured rows, want 3"
if command -v gnuplot >/dev/null; then
    [ -s "$tmp/out/spatial.svg" ] && [ -s "$tmp/out/spatial.png" ] && ok || bad "no spatial chart: $(grep -i spatial "$tmp/plot.out")"
fi
finish
