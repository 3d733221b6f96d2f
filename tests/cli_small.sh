#!/bin/sh
# Smaller command-line points (README): --version; net --help lists every option net takes;
# peak says its thread count once; "1 pass" singular; a negative per-layer overhead is
# explained; names over 63 characters are errors; .npy version 3 is named unsupported.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
unset OPENBLAS_CORETYPE
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if $SB --version 2>&1 | grep -qE '^shiftbench commit [0-9a-f]+(-dirty)?|unknown'; then ok; else bad "--version: $($SB --version 2>&1)"; fi
help=$($SB net --help)
for o in --peak --no-peak --max-reps --min-reps --warmup --cold --events --seed --weights --bn-eps --input --output \
         --batch --resolution --set --threads --impl --min-time -o; do
    if printf '%s\n' "$help" | grep -q -- "$o\b"; then ok; else bad "net --help lacks $o"; fi
done

TINY="--set widths=8,8,8,8 --set stem_width=8 --set classes=10 --resolution 32 --impl ref --threads 1 --events none --no-peak"
$SB net resnet50 $TINY --min-time 0 --min-reps 1 --max-reps 1 --warmup 0 -o "$tmp/one.json" >"$tmp/one.out" 2>&1
if grep -q ', 1 pass); per-layer' "$tmp/one.out"; then ok; else bad "1 pass: $(tail -n 2 "$tmp/one.out")"; fi
if ! grep -q 'overhead -' "$tmp/one.out" || grep -q 'overhead -[0-9.]*% (negative: ' "$tmp/one.out"; then ok
else bad "negative overhead unexplained: $(tail -n 1 "$tmp/one.out")"; fi

out=$($SB peak --threads 1 -o "$tmp/peak.json" 2>&1)
if [ "$(printf '%s\n' "$out" | grep -o 'on 1 thread' | wc -l)" -le 1 ]; then ok; else bad "peak repeats its thread count: $out"; fi

# names over 63 characters: an arch file's stem is an error, not cut
long=$(printf 'n%.0s' $(seq 1 70))
cp arch/resnet26.json "$tmp/$long.json"
expect_fail 2 "network name \(the file name\) longer than 63 characters" $SB cost "$tmp/$long.json"

# .npy: version 3.0 (UTF-8 header) is read; version 4 is named unsupported, not "truncated"
python3 - "$tmp" <<'PY'
import struct, sys
h = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }"
h += b" " * (63 - (12 + len(h)) % 64) + b"\n"
for v in (3, 4):
    open(sys.argv[1] + "/v%d.npy" % v, "wb").write(b"\x93NUMPY" + bytes([v, 0]) + struct.pack("<I", len(h)) + h + b"\0" * 768)
PY
expect_fail 2 "v3.npy.*shape \[1, 3, 8, 8\]" $SB net resnet50 $TINY --input "$tmp/v3.npy"
expect_fail 2 "v4.npy.*format version 4.0 is not supported" $SB net resnet50 $TINY --input "$tmp/v4.npy"

# kernel: the memory check net has, before anything runs; --threads above the cores: a note
# (an add of three 2047x1024x1024 tensors, 25.8 GB, the largest a descriptor may be: a
# machine with more memory available than that skips the check)
avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
if [ "${avail:-0}" -gt 0 ] && [ "$avail" -lt 27000000 ]; then
    expect_fail 2 "ic2047ih1024.* needs 25.7[0-9] GB for its tensors, more than the [0-9.]+ GB available" \
        $SB kernel --op add --impl ref --events none ic2047ih1024
else ok; fi
over=$(($(nproc) + 1))
$SB kernel --impl ref --events none --threads $over --min-time 0 --min-reps 2 --warmup 0 -o "$tmp/over.json" \
    ic8ih5oc8kh1 >/dev/null 2>"$tmp/over.err"
if [ "$(grep -c "note: --threads $over is more than the $(nproc) online cores" "$tmp/over.err")" = 1 ] &&
   python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["context"]["settings"]["threads_above_cores"] is True' "$tmp/over.json"
then ok; else bad "kernel --threads $over: $(cat "$tmp/over.err")"; fi
$SB net resnet50 $TINY --threads $over --min-time 0 --min-reps 1 --warmup 0 -o "$tmp/overn.json" >/dev/null 2>"$tmp/overn.err"
if grep -q "note: --threads $over is more than" "$tmp/overn.err" &&
   python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["context"]["settings"]["threads_above_cores"] is True' "$tmp/overn.json"
then ok; else bad "net --threads $over: $(cat "$tmp/overn.err")"; fi
finish
