#!/bin/sh
# The PyTorch rendering of the IR (tools/ir_torch.py, through tools/export_safetensors.py) and
# the PyTorch peer (tools/torch_peer.py). PyTorch is optional: without it in $TORCH_PYTHON
# (default Debian's /usr/bin/python3) only the "which interpreter" message is checked.
# Never asserts on time.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
PY=${TORCH_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FAST="--min-time 0 --min-reps 2 --warmup 0 --threads 1"

# without torch (python -S: no site packages): says which interpreter it needs, one line
if [ -x "$PY" ]; then
    expect_fail 1 "PyTorch is not importable by .*; .*run this with /usr/bin/python3" "$PY" -S tools/torch_peer.py resnet26
fi
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "SKIP: $PY cannot import torch (make deps-torch installs Debian's python3-torch): rendering and peer not tested"
    finish; exit $?
fi

# ---- the rendering: PyTorch's logits = shiftbench net --impl ref --weights, every op ----
# logits NET SET...: export with tools/ir_torch.py, run shiftbench ref on the weights, compare
logits() {
    net=$1; shift
    p=$tmp/$(basename "$net" .json)
    if ! "$PY" tools/export_safetensors.py --arch "$net" "$@" -o "$p" >/dev/null 2>"$p.err"; then
        bad "export $net: $(cat "$p.err")"; return
    fi
    if ! $SB net "$net" "$@" --impl ref --weights "$p.safetensors" --input "$p.input.npy" --output "$p.got.npy" \
            --min-time 0 --min-reps 1 --warmup 0 --no-peak --events none -o /dev/null >/dev/null 2>"$p.err"; then
        bad "shiftbench net $net --weights: $(cat "$p.err")"; return
    fi
    "$PY" tools/export_safetensors.py --compare "$p.got.npy" "$p.expected.npy" --rtol 1e-4 >"$p.cmp" 2>&1 && ok \
        || bad "$net: PyTorch's logits differ from shiftbench ref's: $(cat "$p.cmp")"
}
TINY="--set resolution=32 --set width_multiplier=0.25"
logits resnet26 $TINY
logits multi-shift-4c-50 $TINY
logits flat-shift-8c-35 $TINY
logits tests/fixtures/ir-torch.json   # depthwise and grouped conv, biased conv, shift, shiftconv, pools
logits tests/fixtures/ir-shifts.json  # general shifts: partial, interleaved, 2-pixel, past the image

# the state_dict names are the IR's: every weight of the IR and nothing else
"$PY" tools/export_safetensors.py --arch multi-shift-8c-50 $TINY --list >"$tmp/list" 2>&1 && ok || bad "export --list"
grep -q '^layer1.0.conv2.weight  *\[16, 16, 1, 1\]' "$tmp/list" && grep -q '^layer2.0.downsample.1.running_var ' "$tmp/list" \
    && grep -q '^fc.bias ' "$tmp/list" && ok || bad "export --list names: $(head -n 3 "$tmp/list")"
grep -q 'shift' "$tmp/list" && bad "a shift has tensors: $(grep shift "$tmp/list" | head -n 1)" || ok

# roll (the authors') and slice renderings of the shift are equal, bit for bit
"$PY" - <<'PY' && ok || bad "roll and slice shifts differ"
import sys
sys.path.insert(0, "tools")
import torch, ir_torch
torch.manual_seed(0)
x = torch.randn(2, 23, 7, 6)
for conn in (4, 8):
    g = ir_torch.shift_groups({"name": "s", "conn": conn}, 23)
    assert torch.equal(ir_torch.shift_roll(x, g), ir_torch.shift_slice(x, g)), conn
    cl = x.contiguous(memory_format=torch.channels_last)
    assert torch.equal(ir_torch.shift_roll(cl, g), ir_torch.shift_slice(x, g)), conn
g = [(slice(0, 5), 2, -3), (slice(5, 9), -1, 2), (slice(9, 12), 0, -7), (slice(12, 23), 0, 0)]   # any magnitude, shifted out
assert torch.equal(ir_torch.shift_roll(x, g), ir_torch.shift_slice(x, g))
assert ir_torch.shift_slice(x, g)[:, 9:12].abs().sum() == 0
for L in ({"displacements": [[-1, -1], [0, 0], [1, 1], [2, 0]], "allocation": "interleaved"},
          {"displacements": [[0, 1], [0, -1], [1, 0], [-1, 0]], "group_div": 12},
          {"displacements": [[3, 0], [0, 9]], "group_size": 4}):
    g = ir_torch.shift_groups(dict(L, name="s"), 23)
    assert torch.equal(ir_torch.shift_roll(x, g), ir_torch.shift_slice(x, g)), L
g = ir_torch.shift_groups({"name": "s", "displacements": [[1, 0], [0, 0]], "allocation": "interleaved"}, 23)
y = ir_torch.shift_slice(x, g)   # even channels move down, odd ones stay
assert torch.equal(y[:, 0::2, 1:], x[:, 0::2, :-1]) and torch.equal(y[:, 1::2], x[:, 1::2])
# 4C group 0 moves down: output row y reads input row y - 1, row 0 is zero
y = ir_torch.shift_slice(x, ir_torch.shift_groups({"name": "s", "conn": 4}, 23))
assert torch.equal(y[:, 0:4, 1:], x[:, 0:4, :-1]) and y[:, 0:4, 0].abs().sum() == 0
doc = ir_torch.ir_document("multi-shift-8c-50", ["resolution=32", "width_multiplier=0.25"])
a, b = ir_torch.IRNet(doc, shift="roll").eval(), ir_torch.IRNet(doc, shift="slice").eval()
b.load_state_dict(a.state_dict())
i = torch.randn(1, 3, 32, 32)
with torch.no_grad():
    assert torch.equal(a(i), b(i))
PY

# the rendering's own errors name the layer, one line
"$PY" - <<'PY' && ok || bad "ir_torch errors"
import copy, sys
sys.path.insert(0, "tools")
import ir_torch
doc = ir_torch.ir_document("tests/fixtures/ir-torch.json")
def err(edit):
    d = copy.deepcopy(doc)
    edit(d["layers"])
    try:
        ir_torch.IRNet(d)
    except ir_torch.IRError as e:
        return str(e)
    raise AssertionError("no error")
e = err(lambda L: L[4].update(op="relu7"))
assert e.startswith("layer b.shift: unknown op 'relu7'") and "\n" not in e, e
e = err(lambda L: L[3].update(dilation=2))
assert e.startswith("layer b.dw: unknown attribute 'dilation' for op conv"), e
e = err(lambda L: L[4].update(conn=6))
assert e.startswith("layer b.shift: shift conn 6"), e
e = err(lambda L: L[7].update(inputs=["b.sc", "nowhere"]))
assert e.startswith("layer b.add: inputs"), e
try:
    ir_torch.IRNet(doc, shift="wrap")
except ir_torch.IRError as e:
    assert "roll, slice" in str(e)
PY
expect_fail 1 "export_safetensors.py: .*no-such-net" "$PY" tools/export_safetensors.py --arch no-such-net -o "$tmp/x"

# ---- the peer: results that compare, plot and the report take ----
res=$tmp/res
"$PY" tools/torch_peer.py tests/fixtures/ir-torch.json --mode eager,frozen --shift roll,slice $FAST --out-dir "$res" \
    >"$tmp/peer.out" 2>"$tmp/peer.err" && ok || bad "torch_peer: $(cat "$tmp/peer.err")"
n=$(ls "$res" | grep -c '^net-torch-mix-pytorch-.*-t1-b1-.*\.json$')
[ "$n" = 4 ] && ok || bad "4 results files (eager, frozen x roll, slice), got $n: $(ls "$res")"
grep -q "PyTorch used the 1 thread asked: CPU time / wall = " "$tmp/peer.out" && ok || bad "thread check: $(cat "$tmp/peer.out")"
"$PY" - "$res" <<'PY' && ok || bad "schema of the peer's results"
import glob, json, sys
docs = {json.load(open(f))["context"]["settings"]["impl"]: json.load(open(f)) for f in glob.glob(sys.argv[1] + "/*.json")}
assert sorted(docs) == ["pytorch-eager", "pytorch-eager-slice", "pytorch-frozen", "pytorch-frozen-slice"], sorted(docs)
ir = json.load(open("tests/fixtures/ir-torch.json"))
for impl, d in docs.items():
    assert d["schema"] == "shiftbench-results" and d["version"] == 1 and d["kind"] == "net" and d["complete"] is True
    c = d["context"]
    assert c["threads"] == 1 and c["settings"]["threads"] == 1 and c["settings"]["omp_num_threads"] == "1"
    assert c["torch_num_threads"] == 1 and c["torch_version"] and c["cpu_model"]
    assert c["torch_threads_check"]["asked"] == 1 and c["torch_threads_check"]["verdict"] in ("as asked", "more than asked")
    assert c["settings"]["max_rel_err_vs_eager"] < 1e-3
    assert d["network"]["name"] == "torch-mix" and d["network"]["params"] > 0
    st = d["pass"]["stats"]
    assert st["n"] == len(st["samples"]) >= 2 and st["min"] <= st["median"] <= st["max"]
    names = [r["name"] for r in d["records"]]
    if impl.startswith("pytorch-eager"):
        assert names == [L["name"] for L in ir["layers"]], names
        for r in d["records"]:
            assert r["impl"] == impl and r["stats"]["n"] == 2 and r["cost"]["bytes"] >= 0 and "stage" in r
        assert [r["block"] for r in d["records"] if r["name"] == "b.sc"] == ["b"]
    else:
        assert names == []   # a frozen graph's layers are not the IR's
PY
$SB net tests/fixtures/ir-torch.json --impl ref --threads 1 --min-time 0 --min-reps 2 --warmup 0 --no-peak --events none \
    -o "$res/ref.json" >/dev/null 2>&1 && ok || bad "shiftbench net on the fixture"
eager=$(ls "$res"/net-torch-mix-pytorch-eager-t1-*.json)
frozen=$(ls "$res"/net-torch-mix-pytorch-frozen-t1-*.json)
$SB compare "$res/ref.json" "$eager" >"$tmp/cmp" 2>&1 && grep -q 'matched' "$tmp/cmp" && grep -q '^b.dw .*ref -> pytorch-eager' "$tmp/cmp" \
    && ok || bad "compare ref vs pytorch-eager: $(tail -n 3 "$tmp/cmp")"
$SB compare "$eager" "$frozen" >"$tmp/cmp" 2>&1 && grep -q '^total (whole pass)' "$tmp/cmp" \
    && ok || bad "compare pytorch-eager vs pytorch-frozen: $(tail -n 3 "$tmp/cmp")"
$SB plot --results "$res" --out "$tmp/plot" --report "$tmp/report.md" >"$tmp/plot.out" 2>&1
rc=$?; [ "$rc" = 0 ] || [ "$rc" = 1 ] && ok || bad "plot: exit $rc"
grep -q 'skipped /' "$tmp/plot.out" && bad "plot skipped a peer's file: $(grep 'skipped /' "$tmp/plot.out")" || ok
for i in pytorch-eager pytorch-frozen pytorch-eager-slice ref; do
    grep -q "| torch-mix | $i |" "$tmp/report.md" && ok || bad "report: no $i row for torch-mix"
done

# ---- bad input: one line, exit 2 ----
expect_fail 2 "no-such-net" "$PY" tools/torch_peer.py no-such-net $FAST --out-dir "$tmp/x"
printf '{"schema": "shiftbench-ir", "version": 1, "stages": 1, "input": {"name": "input", "shape": [1, 8, 8, 3]}, "layers": [{"name": "a", "op": "warp", "inputs": ["input"], "stage": 0}]}' >"$tmp/bad.json"
expect_fail 2 "unknown op" "$PY" tools/torch_peer.py "$tmp/bad.json" $FAST --out-dir "$tmp/x"
expect_fail 2 "--mode.*expected a comma-separated list of eager, frozen" "$PY" tools/torch_peer.py resnet26 --mode fast
expect_fail 2 "--threads.*expected at least 1" "$PY" tools/torch_peer.py resnet26 --threads 0
expect_fail 2 "-o FILE takes one run; this is 2" "$PY" tools/torch_peer.py tests/fixtures/ir-torch.json $FAST -o "$tmp/one.json"
[ -e "$tmp/x" ] && bad "a failed run wrote $tmp/x" || ok
finish
