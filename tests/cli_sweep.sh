#!/bin/sh
# shiftbench sweep (README "Sweeps"): bad specs are one line and exit 2; a tiny grid is
# costed and measured, one results file per point; a re-run measures nothing again; SIGINT
# keeps every finished point and the re-run measures only the rest; --max-macs and
# --budget-ms skip points; a spec file means the same as the command line; --plan's commands
# run under GNU parallel (when installed) and fill the same directory. Never on time.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
unset OPENBLAS_CORETYPE
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--set widths=[8,8,8,8] --set stem_width=8 --set classes=10 --threads 1"
QUICK="--min-time 0 --min-reps 2 --warmup 0"
njson() { ls "$1"/*.json 2>/dev/null | grep -vc '/sweep\.json$'; }

# ---- bad specs: one line, exit 2, nothing measured ----
expect_fail 2 'range .* is empty' $SB sweep resnet50 --set width_multiplier=2:1:0.25 --cost-only
expect_fail 2 'step of 0' $SB sweep resnet50 --set width_multiplier=0.25:2:0 --cost-only
expect_fail 2 'an empty value' $SB sweep resnet50 --set resolution= --cost-only
expect_fail 2 'an empty value' $SB sweep resnet50 --set resolution=128,,160 --cost-only
expect_fail 2 "unknown knob 'depth'" $SB sweep resnet50 --set depth=1,2 --cost-only
expect_fail 2 "is not a number" $SB sweep resnet50 --set width_multiplier=wide --cost-only
expect_fail 2 "the value '2' twice" $SB sweep resnet50 --set blocks=2,2,2,2 --cost-only
expect_fail 2 "set twice" $SB sweep resnet50 --set resolution=128 --resolution 160 --cost-only
expect_fail 2 '1000000 points .*--yes' $SB sweep resnet50 --set resolution=32:1031:1 --set width_multiplier=0.001:1:0.001
expect_fail 2 'more than 1000000 points' $SB sweep resnet50 --set resolution=1:2000:1 --set width_multiplier=0.001:1:0.001 --yes
expect_fail 2 'more than 100000 values' $SB sweep resnet50 --set resolution=1:200000:1 --yes
expect_fail 2 "unknown implementation 'fast'" $SB sweep resnet50 --impl onednn,fast
expect_fail 2 'unknown network' $SB sweep no-such-net --cost-only
expect_fail 2 "unknown option '--frobnicate'" $SB sweep resnet50 --frobnicate
expect_fail 2 'name a network' $SB sweep --set resolution=128
echo '{"networks": ["resnet50"], "sett": {}}' >"$tmp/typo.json"
expect_fail 2 "unknown key 'sett'" $SB sweep "$tmp/typo.json"
echo '{"networks": ["resnet50"], "set": {"resolution": [128, ' >"$tmp/broken.json"
expect_fail 2 'broken.json:[0-9]+:[0-9]+' $SB sweep "$tmp/broken.json"
[ ! -e results/sweep ] || [ -n "$(ls results/sweep 2>/dev/null)" ] && ok || bad "a bad spec left results/sweep"

# ---- costing: every point, generation order, ranges inclusive ----
out=$($SB sweep resnet50 --set width_multiplier=0.25:1:0.25 --resolution 128,224 --cost-only 2>"$tmp/err")
[ "$(printf '%s\n' "$out" | grep -c '^resnet50 ')" = 8 ] && ok || bad "cost-only: 8 rows wanted: $out"
grep -q 'costed 8 points' "$tmp/err" && ok || bad "cost-only: $(cat "$tmp/err")"
# width 1, resolution 224 is resnet50 itself: 25.557 M parameters, 4.0892 GMACs
printf '%s\n' "$out" | grep 'width_multiplier=1 resolution=224' | grep -q '25.557 *4.0892' && ok \
    || bad "cost-only: resnet50 at width 1: $out"

# ---- a spec file is the command line ----
cat >"$tmp/spec.json" <<'EOF'
{ "networks": ["resnet50", "multi-shift-4c-50"],
  "set": { "widths": [[8, 8, 8, 8]], "stem_width": 8, "classes": 10, "width_multiplier": "1:2:1" },
  "resolution": [32, 48], "impl": ["ref", "own"], "threads": 1,
  "min-time": 0, "min-reps": 2, "warmup": 0 }
EOF
a=$($SB sweep "$tmp/spec.json" --cost-only 2>/dev/null)
b=$($SB sweep resnet50 multi-shift-4c-50 $TINY --set width_multiplier=1,2 --resolution 32,48 --impl ref,own --cost-only 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "spec file vs command line: '$a' vs '$b'"

# ---- measuring: one file per point; a re-run measures nothing ----
d="$tmp/s1"
$SB sweep "$tmp/spec.json" --out "$d" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && ok || bad "sweep: exit $rc: $(tail -n 3 "$tmp/err")"
[ "$(njson "$d")" = 16 ] && ok || bad "sweep: 16 point files wanted, got $(njson "$d")"
[ "$(grep -c '^sweep \[' "$tmp/err")" = 16 ] && ok || bad "sweep: 16 progress lines wanted"
grep -q 'ETA' "$tmp/err" && ok || bad "sweep: no ETA on stderr"
python3 - "$d" <<'PY' && ok || bad "sweep: point files or manifest"
import glob, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "sweep.json")))
assert m["schema"] == "shiftbench-sweep" and len(m["points"]) == 16, m.get("schema")
for p in m["points"]:
    assert p["status"] == "measured" and p["median_ms"] > 0, p
    r = json.load(open(os.path.join(d, p["file"])))
    assert r["kind"] == "net" and r["complete"] is True and r["network"]["macs"] == p["macs"], p["file"]
    assert r["network"]["name"] == p["network"] and r["context"]["settings"]["impl"] == p["impl"]
assert not glob.glob(os.path.join(d, "*.tmp.*")) and not os.listdir(os.path.join(d, "logs"))
PY
ls -l --time-style=+%s.%N "$d" >"$tmp/before"
$SB sweep "$tmp/spec.json" --out "$d" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && ! grep -q '^sweep \[' "$tmp/err" && grep -q '16 of 16 points finished before' "$tmp/err" && ok \
    || bad "re-run measured again (exit $rc): $(cat "$tmp/err")"
ls -l --time-style=+%s.%N "$d" | grep -v sweep.json >"$tmp/after"
grep -v sweep.json "$tmp/before" | cmp -s - "$tmp/after" && ok || bad "re-run touched a point file"
# A file measured elsewhere in the same directory: refused, never overwritten.
f=$(ls "$d"/resnet50-ref-*.json | head -n 1)
python3 - "$f" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["context"]["cpu_model"] = "Other CPU"
json.dump(r, open(sys.argv[1], "w"))
PY
expect_fail 2 'measured on Other CPU .*its own --out' $SB sweep "$tmp/spec.json" --out "$d"

# ---- --max-macs and --budget-ms ----
out=$($SB sweep resnet50 $TINY --set width_multiplier=1,2,3 --impl own $QUICK --max-macs 1.5e8 --out "$tmp/s2" 2>/dev/null)
[ "$(njson "$tmp/s2")" = 2 ] && printf '%s\n' "$out" | grep -q 'skipped: --max-macs' && ok \
    || bad "--max-macs: $(njson "$tmp/s2") files: $out"
# a budget below every latency: the smallest point of each series is measured, the rest skipped
out=$($SB sweep resnet50 multi-shift-4c-50 $TINY --set width_multiplier=1,2,3 --resolution 32 --impl own $QUICK --budget-ms 0.000001 \
      --out "$tmp/s3" 2>/dev/null)
[ "$(njson "$tmp/s3")" = 2 ] && [ "$(printf '%s\n' "$out" | grep -c 'skipped: --budget-ms')" = 4 ] && ok \
    || bad "--budget-ms: $(njson "$tmp/s3") files: $out"

# ---- SIGINT: finished points are kept, the re-run measures only the others ----
d="$tmp/s4"
GRID="resnet50 $TINY --set width_multiplier=1:12:1 --resolution 32 --impl own --min-time 0.4 --min-reps 2 --warmup 0 --out $d"
$SB sweep $GRID >/dev/null 2>"$tmp/int.err" &
pid=$!
i=0
while [ $i -lt 600 ] && [ "$(njson "$d")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid; wait $pid; rc=$?
[ "$rc" = 130 ] && ok || bad "SIGINT: exit $rc (wanted 130): $(tail -n 2 "$tmp/int.err")"
kept=$(njson "$d")
[ "$kept" -ge 2 ] && [ "$kept" -lt 12 ] && grep -q 'interrupted' "$tmp/int.err" && ok \
    || bad "SIGINT: $kept point files kept: $(tail -n 2 "$tmp/int.err")"
python3 - "$d" <<'PY' && ok || bad "SIGINT: a kept file is not a complete result"
import glob, json, os, sys
for f in glob.glob(os.path.join(sys.argv[1], "*.json")):
    r = json.load(open(f))
    assert r.get("schema") == "shiftbench-sweep" or r["complete"] is True, f
assert not glob.glob(os.path.join(sys.argv[1], "*.tmp.*"))
PY
ls -l --time-style=+%s.%N "$d"/*.json | grep -v sweep.json >"$tmp/before"
$SB sweep $GRID >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && [ "$(njson "$d")" = 12 ] && ok || bad "resume: exit $rc, $(njson "$d") files"
[ "$(grep -c '^sweep \[' "$tmp/err")" = $((12 - kept)) ] && grep -q "$kept of 12 points finished before" "$tmp/err" && ok \
    || bad "resume: measured $(grep -c '^sweep \[' "$tmp/err") points, wanted $((12 - kept))"
ls -l --time-style=+%s.%N "$d"/*.json | grep -v sweep.json | grep -F -f "$tmp/before" | cmp -s - "$tmp/before" && ok \
    || bad "resume re-measured a finished point"

# ---- --plan: self-contained commands, run here under GNU parallel ----
d="$tmp/s5"
$SB sweep "$tmp/spec.json" --out "$d" --plan >"$tmp/plan.txt" 2>"$tmp/err"
[ "$(wc -l <"$tmp/plan.txt")" = 16 ] && [ ! -e "$d/sweep.json" ] && ok || bad "--plan: $(wc -l <"$tmp/plan.txt") commands"
grep -qv ' net .* -o ' "$tmp/plan.txt" && bad "--plan: a command without net ... -o" || ok
if command -v parallel >/dev/null 2>&1; then
    (cd / && parallel --will-cite -j 2 --halt now,fail=1 <"$tmp/plan.txt") >/dev/null 2>"$tmp/perr"; rc=$?
    [ "$rc" = 0 ] && [ "$(njson "$d")" = 16 ] && ok || bad "parallel: exit $rc, $(njson "$d") files: $(tail -n 3 "$tmp/perr")"
    $SB sweep "$tmp/spec.json" --out "$d" --plan 2>/dev/null | grep -q . && bad "plan after parallel: not all finished" || ok
    $SB sweep "$tmp/spec.json" --out "$d" >/dev/null 2>"$tmp/err" && grep -q '16 of 16 points finished before' "$tmp/err" \
        && ok || bad "sweep after parallel: $(cat "$tmp/err")"
else
    echo "cli_sweep.sh: GNU parallel not installed (apt-get install parallel): the plan was not run under it"
fi
# ---- plot and compare: grouped by machine, never mixed unless asked ----
m2="$tmp/m2"; mkdir -p "$m2"
for f in "$tmp"/s4/*.json; do
    case "$f" in */sweep.json) continue ;; esac
    python3 - "$f" "$m2/$(basename "$f")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["context"]["cpu_model"] = "Second CPU"; r["pass"]["stats"]["median"] *= 2
json.dump(r, open(sys.argv[2], "w"))
PY
done
cmp_out=$($SB compare --sweep "$tmp/s4" --sweep "$m2" 2>&1); rc=$?
[ "$rc" = 0 ] && printf '%s\n' "$cmp_out" | grep -q '^machine 2: Second CPU' \
    && printf '%s\n' "$cmp_out" | grep -q 'geometric mean 2.000 over 12 points' && ok || bad "compare --sweep: $cmp_out"
if command -v gnuplot >/dev/null 2>&1; then
    printf 'network\ttop1\ttop5\tsource\nresnet50 widths=8,8,8,8 stem_width=8 classes=10 width_multiplier=3 resolution=32\t50.5\t-\ttest\n' \
        >"$tmp/acc.tsv"
    $SB plot --sweep "$tmp/s4" --sweep "$m2" --out "$tmp/p1" >/dev/null 2>"$tmp/err"; rc=$?
    [ "$rc" = 0 ] && [ -s "$tmp/p1/sweep_macs.svg" ] && [ -s "$tmp/p1/sweep_params.png" ] && [ ! -e "$tmp/p1/sweep_accuracy.svg" ] \
        && ok || bad "plot --sweep: exit $rc: $(cat "$tmp/err")"
    grep -q '^nm = 2$' "$tmp/p1/data/settings.gp" && grep -q "^mlabel\[2\] = 'Second CPU" "$tmp/p1/data/settings.gp" && ok \
        || bad "plot --sweep: two machine panels wanted: $(cat "$tmp/p1/data/settings.gp")"
    [ "$(grep -vc '^#' "$tmp/p1/data/sweep_m1.dat")" = 12 ] && [ "$(grep -vc '^#' "$tmp/p1/data/sweep_m2.dat")" = 12 ] && ok \
        || bad "plot --sweep: 12 points per machine panel"
    # the front of a panel: latency rising with MACs, within that panel's points only
    python3 - "$tmp/p1/data" <<'PY' && ok || bad "plot --sweep: Pareto front"
import sys
def rows(f): return [list(map(float, l.split("\t")[:3])) for l in open(f) if l.strip() and not l.startswith("#")]
for m in (1, 2):
    pts = rows(f"{sys.argv[1]}/sweep_m{m}.dat"); fr = rows(f"{sys.argv[1]}/sweep_front_macs_m{m}.dat")
    assert fr and all(a[1] < b[1] and a[0] < b[0] for a, b in zip(fr, fr[1:])), fr
    for x, y in ((r[0], r[1]) for r in fr):
        assert any(abs(p[0] - x) < 1e-12 and abs(p[2] - y) < 1e-12 for p in pts)
        assert not any(p[0] >= x and p[2] < y for p in pts)
PY
    $SB plot --sweep "$tmp/s4" --sweep "$m2" --merge-machines --accuracy "$tmp/acc.tsv" --out "$tmp/p2" >/dev/null 2>"$tmp/err"
    grep -q '^nm = 1$' "$tmp/p2/data/settings.gp" && grep -q '^nacc = 2$' "$tmp/p2/data/settings.gp" \
        && [ -s "$tmp/p2/sweep_accuracy.svg" ] && ok || bad "plot --sweep --merge-machines --accuracy: $(cat "$tmp/err")"
    [ "$(grep -c '	50.5	' "$tmp/p2/data/sweep_m1.dat")" = 2 ] && [ "$(grep -vc '^#' "$tmp/p2/data/sweep_m1.dat")" = 24 ] && ok \
        || bad "plot --sweep: the accuracy of exactly the named point (on both machines)"
    printf 'network\ttop1\nresnet50 depth=3\t50\n' >"$tmp/badacc.tsv"
    expect_fail 2 "unknown knob 'depth'" $SB plot --sweep "$tmp/s4" --accuracy "$tmp/badacc.tsv" --out "$tmp/p3"
fi
mkdir "$tmp/empty"; expect_fail 2 'no finished sweep points' $SB plot --sweep "$tmp/empty" --out "$tmp/p4"
finish
