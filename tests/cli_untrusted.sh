#!/bin/sh
# Other people's files and paths as untrusted input (README "Reliability"):
#   - output paths: a device or FIFO is written in place, a symbolic link written through,
#     never replaced by a regular file (-o, --output, --report);
# No assertion is on time.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
unset OPENBLAS_CORETYPE
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
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

finish
