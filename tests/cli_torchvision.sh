#!/bin/sh
# torchvision's logits, reproduced: torchvision's mobilenet_v2 (random weights and BN statistics,
# as tools/export_safetensors.py --torchvision writes them) run by `shiftbench net --weights`
# on every implementation family; the networks built from the explicit IR (--arch: the shift
# and depthwise twins) likewise; --arch mobilenet_v2's state_dict keys are torchvision's.
# Needs Debian's python3-torch and python3-torchvision for /usr/bin/python3 (optional
# dependencies): without them it skips, passing nothing and failing nothing.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
PY=${TORCH_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    echo "skipped: $PY lacks torch or torchvision (apt-get install python3-torch python3-torchvision)"
    finish; exit
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SHIFTBENCH="$SB"
EXPORT="$PY tools/export_safetensors.py"
RUN="--threads 1 --min-time 0 --min-reps 1 --max-reps 1 --warmup 0 --events none --no-peak"
impls=$($SB net --help 2>&1 | sed -n 's/.*--impl I *one of: //p' | head -n 1 | tr -d ',')
[ -n "$impls" ] || impls="ref own openblas onednn xnnpack best"

# logits NET PREFIX BATCH RES [--set ...]: every family's logits against PyTorch's
logits() {
    net=$1 pre=$2 batch=$3 res=$4; shift 4
    for impl in $impls; do
        $SB net "$net" --impl "$impl" --batch "$batch" --resolution "$res" "$@" --weights "$pre.safetensors" \
            --input "$pre.input.npy" --output "$pre.$impl.npy" $RUN -o "$tmp/r.json" >/dev/null 2>"$tmp/err" &&
            $PY tools/export_safetensors.py --compare "$pre.$impl.npy" "$pre.expected.npy" >"$tmp/cmp" 2>&1 &&
            ok || bad "$net on $impl: $(tail -n 1 "$tmp/err") $(cat "$tmp/cmp" 2>/dev/null)"
    done
}

$EXPORT --torchvision mobilenet_v2 --batch 2 -o "$tmp/tv" >/dev/null && ok || bad "export torchvision mobilenet_v2"
logits mobilenet_v2 "$tmp/tv" 2 224
$EXPORT --torchvision mobilenet_v2 --classes 10 --resolution 96 -o "$tmp/tvs" >/dev/null &&
    logits mobilenet_v2 "$tmp/tvs" 1 96 --set classes=10

# --arch builds torchvision's module names, so torchvision's state_dict keys
"$PY" - "$tmp/keys" <<'PY' && $EXPORT --arch mobilenet_v2 --list | awk '{print $1}' | sort >"$tmp/keys.arch" &&
import sys, torchvision
keys = list(torchvision.models.mobilenet_v2().state_dict())
open(sys.argv[1], "w").write("\n".join(sorted(keys)) + "\n")
PY
    sort -o "$tmp/keys" "$tmp/keys" && cmp -s "$tmp/keys" "$tmp/keys.arch" && ok ||
    bad "--arch mobilenet_v2 state_dict keys differ from torchvision's: $(diff "$tmp/keys" "$tmp/keys.arch" | head -n 4)"

# the twins, built from the IR (small: resolution 64, narrowed where a knob allows)
for spec in "mobilenet_v2-shift-4c 64" "mobilenet_v2-shift-8c 64 --set width_multiplier=0.5" \
            "single-dw-50 64 --set widths=16,16,16,16 --set stem_width=16" \
            "multi-dw-50 64 --set widths=16,16,16,16 --set stem_width=16 --set blocks=1,2,1,1" \
            "flat-dw-35 64 --set widths=8,8,8,8 --set stem_width=16 --set blocks=1,1,2,1"; do
    set -- $spec
    net=$1 res=$2; shift 2
    $EXPORT --arch "$net" --resolution "$res" "$@" -o "$tmp/$net" >/dev/null && ok || bad "export --arch $net"
    logits "$net" "$tmp/$net" 1 "$res" "$@"
done
finish
