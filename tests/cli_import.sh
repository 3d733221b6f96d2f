#!/bin/sh
# tools/import_torch.py: PyTorch models traced with torch.fx into the explicit IR, their
# weights exported (tools/export_safetensors.py --ir), run in `shiftbench net --weights`:
# PyTorch's logits within the exporter's --compare bound. A torchvision resnet50 at 64x64 and
# tests/fixtures/torch_shift_model.py (an authors'-style shift_4C, a one-hot depthwise shift,
# a module mapped with --shift); what it cannot map: the module's path, exit 2. PyTorch is
# optional: without it in $TORCH_PYTHON (default Debian's /usr/bin/python3) this skips.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
PY=${TORCH_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! "$PY" -c 'import torch, torch.fx' 2>/dev/null; then
    echo "SKIP: $PY cannot import torch (make deps-torch installs Debian's python3-torch): the importer is not tested"
    finish; exit $?
fi
RUN="--min-time 0 --min-reps 1 --warmup 0 --max-reps 1 --threads 2 --events none --no-peak -o /dev/null"
FIX=tests/fixtures

# imported NAME IMPLS MODEL-ARGS...: import, export, run each impl, compare with PyTorch
imported() {
    n=$1 impls=$2; shift 2
    if ! PYTHONPATH=$FIX "$PY" tools/import_torch.py "$@" -o "$tmp/$n.ir.json" >"$tmp/$n.err" 2>&1 ||
       ! PYTHONPATH=$FIX "$PY" tools/export_safetensors.py $(echo "$@" | sed 's/--shift [^ ]*//g') --ir "$tmp/$n.ir.json" \
            -o "$tmp/$n" >>"$tmp/$n.err" 2>&1; then
        bad "$n: import or export failed: $(tail -n 1 "$tmp/$n.err")"; return
    fi
    for impl in $impls; do
        $SB net "$tmp/$n.ir.json" --impl $impl --weights "$tmp/$n.safetensors" --input "$tmp/$n.input.npy" \
            --output "$tmp/$n.$impl.npy" $RUN >"$tmp/$n.out" 2>&1 &&
            python3 tools/export_safetensors.py --compare "$tmp/$n.$impl.npy" "$tmp/$n.expected.npy" >"$tmp/$n.cmp" 2>&1 &&
            ok || bad "$n --impl $impl: $(tail -n 1 "$tmp/$n.out") $(tail -n 1 "$tmp/$n.cmp")"
    done
}
imported rn50 "ref own" --torchvision resnet50 --resolution 64
# the same network as shiftbench's own resnet50: the same parameters and MACs
$SB cost --format json "$tmp/rn50.ir.json" >"$tmp/a" && $SB cost --format json --resolution 64 resnet50 >"$tmp/b" &&
    python3 - "$tmp/a" "$tmp/b" <<'PY' && ok || bad "imported resnet50 costs differently from arch/resnet50"
import json, sys
a, b = (json.load(open(p))["networks"][0] for p in sys.argv[1:])
assert (a["params"], a["macs"], a["exec_macs"]) == (b["params"], b["macs"], b["exec_macs"]), (a["params"], b["params"])
PY
# torchvision's MobileNetV2 (ReLU6 as relu "max": 6): torchvision's logits, arch/mobilenet_v2's counts
imported mbv2 "own xnnpack" --torchvision mobilenet_v2 --resolution 64
grep -q '"op": "relu", "inputs": \["features.0.0"\], "max": 6' "$tmp/mbv2.ir.json" && ok || bad "ReLU6 not imported as relu max 6"
$SB cost --format json "$tmp/mbv2.ir.json" >"$tmp/a" && $SB cost --format json --resolution 64 mobilenet_v2 >"$tmp/b" &&
    python3 - "$tmp/a" "$tmp/b" <<'PY' && ok || bad "imported mobilenet_v2 costs differently from arch/mobilenet_v2"
import json, sys
a, b = (json.load(open(p))["networks"][0] for p in sys.argv[1:])
assert (a["params"], a["macs"]) == (b["params"], b["macs"]) and a["params"] == 3504872, (a["params"], b["params"])
PY
imported shifts "ref own openblas onednn" --factory torch_shift_model:model --resolution 16 --shift PartialShift=c/12:0,1:0,-1:1,0:-1,0
grep -q '"name": "layer1.0.shift", "op": "shift", "inputs": \["relu"\], "conn": 4' "$tmp/shifts.ir.json" && ok \
    || bad "the authors' shift_4C is not the 4C preset"
grep -q '"name": "layer1.1.dwshift", "op": "shift", .*"allocation": "interleaved"' "$tmp/shifts.ir.json" && ok \
    || bad "the one-hot depthwise conv is not an interleaved shift"
grep -q '"name": "layer1.0.partial", "op": "shift", .*"group_div": 12' "$tmp/shifts.ir.json" && ok || bad "--shift CLASS=TABLE"

# what it cannot map: one line naming the module, exit 2, no file
cat >"$tmp/bad_models.py" <<'PY'
import torch.nn as nn
def gelu():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.GELU())
def hardtanh():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.Hardtanh(-1.0, 1.0))
def bn_alone():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.BatchNorm2d(8))
PY
PYTHONPATH=$FIX:$tmp expect_fail 2 "^import_torch.py: layer1.0.partial: torch.fx cannot trace PartialShift .*--shift PartialShift=TABLE" \
    "$PY" tools/import_torch.py --factory torch_shift_model:model -o "$tmp/x.json"
cd "$tmp" || exit 2
expect_fail 2 "^import_torch.py: 1: GELU has no shiftbench op" "$PY" "$OLDPWD/tools/import_torch.py" --factory bad_models:gelu -o x.json
expect_fail 2 "^import_torch.py: 1: Hardtanh" "$PY" "$OLDPWD/tools/import_torch.py" --factory bad_models:hardtanh -o x.json
expect_fail 2 "^import_torch.py: 2: a BatchNorm2d that does not follow" "$PY" "$OLDPWD/tools/import_torch.py" \
    --factory bad_models:bn_alone -o x.json
[ ! -e x.json ] && ok || bad "a failed import wrote its file"
cd "$OLDPWD" || exit 2
finish
