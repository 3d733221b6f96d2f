#!/bin/sh
# Robustness of `shiftbench net` and the results files (README "Reliability"):
#   - SIGINT and SIGTERM mid-run: exit 130 and a valid JSON with every finished layer and
#     "complete": false;
#   - a network too big for this machine's memory is refused before anything is allocated,
#     with the figure and the limit;
#   - an output path that cannot be written is an error before anything is measured;
#   - corrupt, truncated or foreign results files are errors that name the file, and the
#     good ones beside them still load; writes are atomic (no temporary left, a failed run
#     never touches an existing file);
#   - NaN in a forward pass (forced with the SHIFTBENCH_TEST_POISON hook, bench/exec.c) is
#     reported and nothing is timed.
# No assertion is on time; the waits below only bound a run that would otherwise hang.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
# A fallback core forced from outside makes shiftbench say so (and re-run) on stderr, an
# extra line for the one-line error checks below.
unset OPENBLAS_CORETYPE
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--set widths=8,8,8,8 --set stem_width=8 --set classes=10 --resolution 32 --impl ref --threads 1 --events none --no-peak"
QUICK="--min-time 0 --min-reps 2 --warmup 0"

# ---- SIGINT / SIGTERM during a run ----
# A run that would go on for an hour; the signal comes once one full pass is done, seen as
# the progress line on a terminal (script(1) gives it one). Without a usable pty: after 2 s.
signal_run() {   # SIG NAME
    sig=$1; name=$2; out="$tmp/$name.json"
    rm -f "$tmp/pid" "$tmp/rc" "$tmp/$name.tty"
    cat >"$tmp/run-$name.sh" <<EOF
echo \$\$ > "$tmp/pid"
exec $SB net resnet50 $TINY --resolution 64 --min-time 3600 --min-reps 1000000 --warmup 0 -o "$out"
EOF
    watched=0
    if command -v script >/dev/null 2>&1; then
        (script -qfec "sh $tmp/run-$name.sh" "$tmp/$name.tty" </dev/null >/dev/null 2>&1; echo $? >"$tmp/rc") &
        i=0
        while [ $i -lt 3000 ] && ! grep -q 'passes' "$tmp/$name.tty" 2>/dev/null && [ ! -s "$tmp/rc" ]; do
            sleep 0.1; i=$((i + 1)); done
        if grep -q 'passes' "$tmp/$name.tty" 2>/dev/null; then watched=1
        else   # no pty, or a silent run: stop it and fall back
            [ -s "$tmp/pid" ] && kill -KILL "$(cat "$tmp/pid")" 2>/dev/null
            wait; rm -f "$tmp/rc" "$tmp/pid"
        fi
    fi
    if [ $watched = 0 ]; then   # plain background run, signalled after 2 s
        (sh "$tmp/run-$name.sh" </dev/null >/dev/null 2>&1; echo $? >"$tmp/rc") &
        sleep 2
    fi
    pid=$(cat "$tmp/pid" 2>/dev/null)
    kill -"$sig" "$pid" 2>/dev/null
    i=0
    while [ $i -lt 3000 ] && [ ! -s "$tmp/rc" ]; do sleep 0.1; i=$((i + 1)); done
    [ -s "$tmp/rc" ] || { kill -KILL "$pid" 2>/dev/null; sleep 1; }
    wait
    rc=$(cat "$tmp/rc" 2>/dev/null)
    [ "$rc" = 130 ] && ok || bad "SIG$sig during net: exit '$rc' (wanted 130)"
    python3 - "$out" "$watched" <<'PY' && ok || bad "SIG$sig: results file $out"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "shiftbench-results" and d["kind"] == "net"
assert d["complete"] is False
recs = d["records"]
assert len(recs) >= 1
for r in recs:
    s = r["stats"]
    assert s["n"] == len(s["samples"]), r["name"]
    assert r.get("interrupted") is True, r["name"]
    if sys.argv[2] == "1":      # a pass was done before the signal: every layer has its time
        assert s["n"] >= 1 and s["median"] > 0, r["name"]
PY
}
signal_run INT sigint
signal_run TERM sigterm

# ---- memory guard: refused before allocating, with the figure and the limit ----
# (terabytes: a batch of 2000 and 200 blocks in stage 3; each tensor stays under the IR's
# 2^31-element limit, which a batch of 100000 hits first: also refused, without figures)
expect_fail 2 "resnet50 needs [0-9.]+ GB for weights and activations, more than the [0-9.]+ GB available" \
    $SB net resnet50 --batch 2000 --set blocks=3,4,200,3 --impl ref --events none --no-peak -o "$tmp/huge.json"
expect_fail 2 "resnet50: layer conv1 \(conv\): conv tensor has too many elements" \
    $SB net resnet50 --batch 100000 --impl ref --events none --no-peak -o "$tmp/huge.json"
[ ! -e "$tmp/huge.json" ] && ok || bad "memory guard wrote a results file"

# ---- output that cannot be written: an error before measuring (the per-layer table,
# printed once measuring is done, never appears) ----
unwritable() {   # PATTERN PATH
    expect_fail 2 "$1" $SB net resnet50 $TINY $QUICK -o "$2"
    out=$($SB net resnet50 $TINY $QUICK -o "$2" 2>/dev/null)
    [ -z "$out" ] && ok || bad "-o $2: measured before failing"
}
unwritable "cannot write /nonexistent/dir/x.json: directory /nonexistent/dir: No such file or directory" \
    /nonexistent/dir/x.json
unwritable "cannot write $tmp: it is a directory" "$tmp"
echo x >"$tmp/file"
unwritable "cannot write $tmp/file/x.json: $tmp/file is not a directory" "$tmp/file/x.json"
if [ -d /proc/self ]; then unwritable "cannot write /proc/x.json: " /proc/x.json; fi
expect_fail 2 "cannot write /nonexistent/dir/k.json" \
    $SB kernel mb1ic16ih8oc16kh1 --impl ref --events none -o /nonexistent/dir/k.json
out=$($SB kernel mb1ic16ih8oc16kh1 --impl ref --events none -o /nonexistent/dir/k.json 2>/dev/null)
[ -z "$out" ] && ok || bad "kernel -o /nonexistent/dir/k.json: measured before failing"
expect_fail 2 "cannot write /nonexistent/dir/p.json" $SB peak --threads 1 -o /nonexistent/dir/p.json

# ---- NaN in the forward pass (test hook) ----
for impl in ref onednn; do
    expect_fail 1 "layer layer1.0.conv3 \(.*\) produced NaN or Inf; refusing to time it" \
        env SHIFTBENCH_TEST_POISON=layer1.0.conv3 $SB net resnet50 $TINY --impl $impl $QUICK -o "$tmp/nan.json"
done
expect_fail 1 "layer fc \(.*\) produced NaN or Inf" \
    env SHIFTBENCH_TEST_POISON=fc $SB net multi-shift-4c-50 $TINY --impl own $QUICK -o "$tmp/nan.json"
[ ! -e "$tmp/nan.json" ] && ok || bad "a NaN run wrote a results file"
expect_ok env SHIFTBENCH_TEST_POISON=no.such.layer $SB net resnet50 $TINY $QUICK -o "$tmp/nan.json"

# ---- results files: atomic writes, corrupt and foreign files ----
expect_ok $SB net resnet50 $TINY $QUICK -o "$tmp/good.json"
cp "$tmp/good.json" "$tmp/keep.json"
# a run that fails after its output check leaves an existing file as it was
env SHIFTBENCH_TEST_POISON=fc $SB net resnet50 $TINY $QUICK -o "$tmp/keep.json" >/dev/null 2>&1
cmp -s "$tmp/good.json" "$tmp/keep.json" && ok || bad "a failed run changed an existing results file"
if ls "$tmp" | grep -q '\.tmp\.'; then bad "temporary files left: $(ls "$tmp" | grep '\.tmp\.')"; else ok; fi

mkdir "$tmp/bad"
python3 - "$tmp/good.json" "$tmp/bad" <<'PY'
import json, sys
src, d = sys.argv[1], sys.argv[2]
text = open(src).read()
doc = json.loads(text)
open(d + "/truncated.json", "w").write(text[: len(text) // 2])
open(d + "/empty.json", "w").write("")
open(d + "/garbage.json", "wb").write(bytes(range(256)) * 4)
for name, change in (("version2", {"version": 2}), ("foreign", {"schema": "shiftbench-cost"}),
                     ("kind", {"kind": "nonsense"}), ("records", {"records": {"a": 1}})):
    x = dict(doc); x.update(change)
    json.dump(x, open("%s/%s.json" % (d, name), "w"))
json.dump([1, 2, 3], open(d + "/array.json", "w"))
PY
expect_ok $SB compare "$tmp/good.json" "$tmp/good.json"
for f in truncated empty garbage version2 foreign kind records array; do
    expect_fail 2 "$tmp/bad/$f.json" $SB compare "$tmp/good.json" "$tmp/bad/$f.json"
done
expect_fail 2 "results version 2, this shiftbench reads version 1" $SB compare "$tmp/bad/version2.json" "$tmp/good.json"
expect_fail 2 "$tmp/bad/truncated.json:[0-9]+:[0-9]+: not valid JSON" $SB compare "$tmp/good.json" "$tmp/bad/truncated.json"
expect_fail 2 "$tmp/bad/foreign.json: not a shiftbench results file" $SB compare "$tmp/good.json" "$tmp/bad/foreign.json"
expect_fail 2 "$tmp/bad/garbage.json" $SB net resnet50 --set widths=8,8,8,8 --set stem_width=8 --resolution 32 \
    --impl ref --events none --peak "$tmp/bad/garbage.json" $QUICK -o "$tmp/p.json"
# the good file beside the broken ones still loads; each broken one is named
# (a fixture run of the named network: a tiny --set run is skipped by design)
cp tests/fixtures/plot-results/net-resnet50-onednn-t1-b1-20260102T000000Z.json "$tmp/bad/good.json"
if $SB plot --help >/dev/null 2>&1; then
    $SB plot --results "$tmp/bad" --out "$tmp/plots" --report "$tmp/report.md" >/dev/null 2>"$tmp/plot.err"
    rc=$?
    [ "$rc" = 0 ] && ok || bad "plot over a directory with broken files: exit $rc: $(tail -n 3 "$tmp/plot.err")"
    for f in truncated empty garbage version2 foreign kind records array; do
        grep -q "skipped $tmp/bad/$f.json" "$tmp/plot.err" && ok || bad "plot did not name $f.json as skipped"
    done
    if grep -q "skipped $tmp/bad/good.json" "$tmp/plot.err"; then bad "plot skipped the good file"; else ok; fi
fi
finish
