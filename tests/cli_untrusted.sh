#!/bin/sh
# Other people's files and paths as untrusted input (README "Reliability"):
#   - output paths: a device or FIFO is written in place, a symbolic link written through,
#     never replaced by a regular file (-o, --output, --report);
#   - hostile strings (backquotes, $(...), quotes, gnuplot macros, markdown and HTML, '../',
#     very long) in every field of a results and accuracy file that reaches a chart, a data
#     file or the report run nothing and break nothing; control characters and ANSI escapes
#     are refused at load (results, arch, accuracy) and never reach the terminal;
#   - a run that fails its NaN check writes neither its results nor its --output logits
#     (weights and inputs with NaN/Inf are refused at load: tests/test_checkpoint.c).
# No assertion is on time.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
unset OPENBLAS_CORETYPE
tmp=$(mktemp -d); trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT; [ -n "$KEEP" ] && echo "$tmp"
TINY="--set widths=8,8,8,8 --set stem_width=8 --set classes=10 --resolution 32 --impl ref --threads 1 --events none --no-peak"
QUICK="--min-time 0 --min-reps 2 --warmup 0"

# ---- output paths: devices, FIFOs, symbolic links ----
is_chr() { [ -c "$1" ] && [ ! -L "$1" ]; }
if [ "$(id -u)" = 0 ] && mknod "$tmp/null" c 1 3 2>/dev/null; then
    expect_ok $SB net resnet50 $TINY $QUICK -o "$tmp/null"
    is_chr "$tmp/null" && ok || bad "net -o DEVICE replaced the device"
    expect_ok $SB plot --results tests/fixtures/plot-results --out "$tmp/plot" --report "$tmp/null"
    is_chr "$tmp/null" && ok || bad "plot --report DEVICE replaced the device"
    expect_ok $SB net resnet50 $TINY $QUICK --output "$tmp/null" -o "$tmp/o.json"
    is_chr "$tmp/null" && ok || bad "net --output DEVICE replaced the device"
    ln -s "$tmp/null" "$tmp/null-link"
    expect_ok $SB net resnet50 $TINY $QUICK -o "$tmp/null-link"
    [ -L "$tmp/null-link" ] && is_chr "$tmp/null" && ok || bad "net -o LINK-TO-DEVICE"
else
    echo "cli_untrusted.sh: device tests skipped (mknod needs root)"
fi
mkfifo "$tmp/fifo"
(timeout 60 cat "$tmp/fifo" >"$tmp/fifo.got") &
timeout 60 $SB net resnet50 $TINY $QUICK -o "$tmp/fifo" >/dev/null 2>&1 && ok || bad "net -o FIFO failed"
wait
[ -p "$tmp/fifo" ] && ok || bad "net -o FIFO replaced the FIFO"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["kind"] == "net"' "$tmp/fifo.got" && ok ||
    bad "the FIFO's reader did not get the results"
expect_fail 2 "cannot write $tmp/fifo: a FIFO with no reader" timeout 60 $SB net resnet50 $TINY $QUICK -o "$tmp/fifo"
echo old >"$tmp/target.json"
ln -s target.json "$tmp/link.json"
expect_ok $SB net resnet50 $TINY $QUICK -o "$tmp/link.json"
[ -L "$tmp/link.json" ] && grep -q '"kind": "net"' "$tmp/target.json" && ok || bad "net -o LINK: link replaced or target not written"
if ls -a "$tmp" | grep -q '\.tmp\.'; then bad "temporary files left: $(ls -a "$tmp" | grep '\.tmp\.')"; else ok; fi

# ---- a NaN mid-network (the SHIFTBENCH_TEST_POISON hook): no output of any kind ----
for impl in ref own openblas onednn; do
    expect_fail 1 "layer layer1.0.conv3 \(.*\) produced NaN or Inf" env SHIFTBENCH_TEST_POISON=layer1.0.conv3 \
        $SB net resnet50 $TINY --impl $impl $QUICK --output "$tmp/nan.npy" -o "$tmp/nan.json"
    [ ! -e "$tmp/nan.npy" ] && [ ! -e "$tmp/nan.json" ] && ok || bad "$impl: a NaN run wrote its logits or results"
done
# an --output that cannot be written is an error before anything is measured
expect_fail 2 "cannot write /nonexistent/dir/l.npy" $SB net resnet50 $TINY $QUICK --output /nonexistent/dir/l.npy \
    -o "$tmp/l.json"
[ ! -e "$tmp/l.json" ] && ok || bad "--output unwritable: measured and wrote results first"

# ---- hostile strings ----
mkdir "$tmp/hostile"
cp tests/fixtures/plot-results/net-resnet50-onednn-t1-b1-20260102T000000Z.json "$tmp/hostile/"
python3 - "$tmp" <<'PY'
import json, sys, glob, os
tmp = sys.argv[1]
src = json.load(open(glob.glob(tmp + "/hostile/*.json")[0]))
def evil(tag, md_first=False):
    # every way into a gnuplot script, a shell, markdown/HTML; a path; and length
    cmd = ("`touch %s/pwned-%s-bq` $(touch %s/pwned-%s-sh) '; system('touch %s/pwned-%s-sq'); ' "
           "\"; system(\"touch %s/pwned-%s-dq\"); \" @m " % ((tmp, tag) * 4))
    md = "| <script>x</script> ]]> & *b* _i_ [l](u) \\ ../../%s-escape " % os.path.basename(tmp)
    return (md + cmd if md_first else cmd + md) + "#" * 300
d = json.loads(json.dumps(src))
ctx = d["context"]
for k in ("cpu_model", "hostname", "openblas_core", "onednn_version", "compiler", "date"):
    ctx[k] = evil(k, k == "cpu_model")
ctx["settings"]["impl"] = "`touch %s/p`" % tmp   # fits the 31 characters kept of an impl
d["pass"]["impl"] = d["context"]["settings"]["impl"]
for r in d["records"]:
    r["name"] = evil("layer")[:60]
    r["impl"] = d["context"]["settings"]["impl"]
json.dump(d, open(tmp + "/hostile/net-evil-resnet50.json", "w"))   # in the breakdown chart
d["network"]["name"] = evil("net")[:60]
d["network"]["knobs"] = {"blocks": [3, 4, 6, 3], "block": "bottleneck",
                         "slots": ["conv1x1", "conv3x3", "conv1x1"], "downsample": "stride",
                         "neighbourhood": 4, "inner_residual": False, "resolution": 224, "batch": 1}
for r in d["records"]:
    r["name"] = evil("layer")[:60]
    r["impl"] = d["context"]["settings"]["impl"]
json.dump(d, open(tmp + "/hostile/net-evil.json", "w"))
os.remove(glob.glob(tmp + "/hostile/net-resnet50*.json")[0])   # only hostile runs charted
# the same with a terminal escape: refused, named, the rest charted
d["context"]["cpu_model"] = "\x1b[31mred\x1b]0;title\x07 \u009b2J \u202e"
json.dump(d, open(tmp + "/hostile/net-ansi.json", "w"))
with open(tmp + "/acc.tsv", "w") as f:
    f.write("resnet50\t76.1\t-\t%s\n" % evil("acc")[:250])
    f.write("%s\t70\t-\tuser\n" % evil("accnet")[:60])
with open(tmp + "/acc-ansi.tsv", "w") as f:
    f.write("resnet50\t76.1\t-\t\x1b[2Jcleared\n")
PY
plot_hostile() {
    $SB plot --results "$tmp/hostile" --out "$tmp/hout" --report "$tmp/hout/report.md" --accuracy "$tmp/acc.tsv" \
        >"$tmp/plot.out" 2>"$tmp/plot.err"
}
plot_hostile; rc=$?
if command -v gnuplot >/dev/null 2>&1; then
    [ $rc = 0 ] && ok || bad "plot on hostile strings: exit $rc: $(tail -n 5 "$tmp/plot.err")"
    [ -s "$tmp/hout/cost_accuracy.svg" ] && [ -s "$tmp/hout/breakdown_resnet50.png" ] && ok || bad "hostile strings: charts missing"
fi
# the SVGs stay well-formed XML (gnuplot escapes < and &; "]]>" is ours to break)
for f in "$tmp"/hout/*.svg; do
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$f" 2>/dev/null && ok || bad "$f: not well-formed XML"
done
if ls "$tmp" | grep -qE '^(p|pwned.*)$'; then bad "a hostile string ran a command: $(ls "$tmp" | grep -E '^(p|pwned.*)$')"
else ok; fi
grep -q "skipped $tmp/hostile/net-ansi.json: .*holds a control character" "$tmp/plot.err" && ok ||
    bad "a results file with an ANSI escape was not refused: $(cat "$tmp/plot.err")"
if grep -q "$(printf '\033')" "$tmp/plot.err" "$tmp/plot.out" "$tmp/hout/report.md"; then
    bad "an escape character reached the terminal or the report"; else ok; fi
# the report: no live HTML, every table row keeps its columns (no unescaped |)
r=$tmp/hout/report.md
if grep -q '<script>' "$r"; then bad "report: raw <script>"; else ok; fi
grep -q '&lt;script&gt;' "$r" && ok || bad "report: the hostile string is not shown escaped"
awk -F'|' '/^\| CPU \|/ { n = 0; for (i = 1; i <= length($0); i++) { c = substr($0, i, 1);
    if (c == "\\") i++; else if (c == "|") n++ } exit n != 3 }' "$r" && ok || bad "report: the CPU row's | not escaped"
grep -q '^\\| resnet50 \\|.*\\\\| <script' "$r" 2>/dev/null; grep -q "76.100 | – | .*\\\\|" "$r" && ok ||
    bad "report: the accuracy source's | not escaped"
# settings.gp: every hostile string is a single-quoted literal
grep -q "^impl\[[0-9]\] = '\`touch" "$tmp/hout/data/settings.gp" && ok || bad "settings.gp: impl not single-quoted"
# a name is never a path to open ('../' in names)
grep -q "accuracy for '.*' not drawn: .* is not a network name" "$tmp/plot.err" && ok || bad "a '../' network name was opened"
# nothing written outside the output folders
esc=$(basename "$tmp")-escape
[ -z "$(find "$tmp" "$tmp/.." -maxdepth 3 -name "$esc*" 2>/dev/null)" ] && ok || bad "a '../' name escaped the output folder"
# control characters: refused with one line naming the file, and not echoed raw
expect_fail 2 "acc-ansi.tsv:1: a control character" $SB plot --results "$tmp/hostile" --out "$tmp/hout2" \
    --report "$tmp/hout2/r.md" --accuracy "$tmp/acc-ansi.tsv"
mkdir "$tmp/arch"
printf '{"family": "resnet", "description": "\\u001b[31mred\\u001b[0m"}\n' >"$tmp/arch/ansi.json"
expect_fail 2 'ansi.json: "description" holds a control character' $SB cost "$tmp/arch/ansi.json"
err=$($SB cost "$tmp/arch/ansi.json" 2>&1)
case "$err" in *"$(printf '\033')"*) bad "cost: the escape reached the terminal" ;; *) ok ;; esac
# an error that quotes a file (an unknown knob named in an arch file) shows escapes as \xNN
printf '{"family": "resnet", "knobs": {"\\u001b[2Jx": 1}}\n' >"$tmp/arch/knob.json"
expect_fail 2 'x1b\[2Jx' $SB cost "$tmp/arch/knob.json"

finish
