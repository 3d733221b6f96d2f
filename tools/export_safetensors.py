#!/usr/bin/env python3
"""Export a PyTorch model for `shiftbench net --weights`: its state_dict as .safetensors,
an input batch as .npy (float32, [N, 3, H, W]) and PyTorch's logits for it as .npy
([N, classes]). Needs only torch (Debian: python3-torch) and the standard library;
torchvision only for --torchvision.

The model is one of:
  --arch NET            any network shiftbench runs (a name under arch/, an arch file or
                        an explicit IR file, with --set KNOB=VALUE like shiftbench): its
                        explicit IR rendered by tools/ir_torch.py, whose state_dict names
                        are the IR's names
  --torchvision NAME    torchvision.models.NAME (resnet50, resnet101, ...), random init
  --factory MOD:FUNC    your own model: MOD imported from the current directory or
                        PYTHONPATH, FUNC() returns the nn.Module
and optionally --state-dict FILE.pt loads trained weights into it (with --ir FILE.json,
the IR tools/import_torch.py wrote for the model, the tensors of its shift layers, e.g. a
shift written as a one-hot depthwise conv, are left out) (a state_dict, or a
checkpoint dict holding one under 'state_dict' or 'model'; a 'module.' prefix from
DataParallel is stripped). Without --state-dict the weights are random (seeded), and BN
running statistics and affine parameters are randomized too (--no-random-bn keeps
PyTorch's init: mean 0, var 1, gamma 1, beta 0), so that BN folding is actually exercised.

Shift networks: shiftbench maps tensors by name, so your model must use the IR's module
names, which are torchvision's and the authors' (github andrewgrahambrown/4CShiftResNet):
conv1/bn1 stem, layerS.B.convK / bnK, layerS.0.downsample.0 (conv) / .1 (BN) and fc; the
authors' shift_resnet101('4C') and shift_flattened_resnet35('4C') load as
multi-shift-4c-101 and flat-shift-4c-35 (8C likewise). List the names with
`python3 tools/export_safetensors.py --arch NET --list` (or `shiftbench cost --layers NET`
for the layers) and compare with your model's state_dict().keys().

Examples:
  python3 tools/export_safetensors.py --torchvision resnet50 -o rn50
  python3 tools/export_safetensors.py --arch multi-shift-4c-50 --state-dict trained.pt -o ms4c
  ./shiftbench net resnet50 --weights rn50.safetensors --input rn50.input.npy \\
      --output rn50.logits.npy --impl onednn --min-time 0 --min-reps 1
  python3 tools/export_safetensors.py --compare rn50.logits.npy rn50.expected.npy
"""
import argparse
import array
import importlib
import json
import os
import struct
import sys

DTYPES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


# ---- files, standard library only -------------------------------------------------------

def _le(arr):
    if sys.byteorder != "little":
        arr.byteswap()
    return arr.tobytes()


def tensor_bytes(t, dtype):
    """Raw little-endian bytes of a torch tensor in the safetensors dtype."""
    import torch
    t = t.detach().cpu().contiguous().reshape(-1)
    if dtype == "F32":
        return _le(array.array("f", t.float().tolist()))
    if dtype == "F16":
        return _le(array.array("h", t.half().view(torch.int16).tolist()))
    if dtype == "BF16":
        return _le(array.array("h", t.bfloat16().view(torch.int16).tolist()))
    if dtype == "I64":
        return _le(array.array("q", t.long().tolist()))
    raise ValueError(dtype)


def write_safetensors(path, tensors, float_dtype="F32", metadata=None):
    """tensors: list of (name, torch tensor). Floats as float_dtype, integers as I64."""
    import torch
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors:
        dt = float_dtype if t.is_floating_point() else "I64"
        raw = tensor_bytes(t, dt)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)   # the data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_npy(path, t):
    """A float32 C-order .npy (format 1.0), as numpy.save writes it."""
    shape = tuple(int(s) for s in t.shape)
    d = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (repr(shape),)
    hl = (len(d) + 1 + 10 + 63) // 64 * 64 - 10
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", hl))
        f.write((d + " " * (hl - len(d) - 1) + "\n").encode("latin1"))
        f.write(tensor_bytes(t, "F32"))


def read_npy(path):
    """(shape, list of floats) of a float32 .npy."""
    import ast
    with open(path, "rb") as f:
        b = f.read()
    if b[:6] != b"\x93NUMPY":
        sys.exit("%s: not a .npy file" % path)
    if b[6] == 1:
        hl, start = struct.unpack("<H", b[8:10])[0], 10
    else:
        hl, start = struct.unpack("<I", b[8:12])[0], 12
    d = ast.literal_eval(b[start:start + hl].decode("latin1"))
    if d["descr"] not in ("<f4", "|f4", "=f4") or d["fortran_order"]:
        sys.exit("%s: expected float32 in C order, got %s" % (path, d))
    a = array.array("f")
    a.frombytes(b[start + hl:])
    if sys.byteorder != "little":
        a.byteswap()
    return tuple(d["shape"]), a.tolist()


# ---- main -------------------------------------------------------------------------------

def compare(a_path, b_path, rtol):
    sa, a = read_npy(a_path)
    sb, b = read_npy(b_path)
    if sa != sb:
        sys.exit("shapes differ: %s %s, %s %s" % (a_path, sa, b_path, sb))
    scale = max(abs(x) for x in b) or 1.0
    diff = max(abs(x - y) for x, y in zip(a, b))
    n, c = (sa[0], len(a) // sa[0]) if sa else (1, len(a))
    top1 = sum(max(range(c), key=lambda j: a[i * c + j]) == max(range(c), key=lambda j: b[i * c + j]) for i in range(n))
    print("%s vs %s: shape %s, max |a - b| = %.3g, max |b| = %.3g, max relative error (max |a - b| / max |b|) = %.3g, "
          "top-1 agrees on %d/%d" % (a_path, b_path, list(sa), diff, scale, diff / scale, top1, n))
    if diff / scale > rtol:
        print("FAIL: above the tolerance %g" % rtol)
        return 1
    print("OK: within %g" % rtol)
    return 0


def user_model(torchvision_name, factory, classes=None):
    """--torchvision NAME (random init) or --factory MOD:FUNC (shared with tools/import_torch.py)."""
    if torchvision_name:
        try:
            import torchvision
        except ImportError:
            sys.exit("--torchvision needs torchvision: apt-get install python3-torchvision")
        return getattr(torchvision.models, torchvision_name)(weights=None, num_classes=classes or 1000)
    mod, _, fn = factory.partition(":")
    sys.path.insert(0, os.getcwd())
    return getattr(importlib.import_module(mod), fn or "model")()


def load_state_dict(model, path):
    """Trained weights: a state_dict, or a checkpoint holding one ('state_dict', 'model');
    DataParallel's 'module.' prefix stripped."""
    import torch
    sd = torch.load(path, map_location="cpu")
    if isinstance(sd, dict) and not any(torch.is_tensor(v) for v in sd.values()):
        sd = sd.get("state_dict") or sd.get("model") or sd
    if hasattr(sd, "state_dict"):
        sd = sd.state_dict()
    sd = {(n[7:] if n.startswith("module.") else n): v for n, v in sd.items()}
    model.load_state_dict(sd, strict=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    m = ap.add_mutually_exclusive_group()
    m.add_argument("--arch", help="shiftbench network (arch/NET.json or a path)")
    m.add_argument("--torchvision", metavar="NAME", help="torchvision.models.NAME")
    m.add_argument("--factory", metavar="MOD:FUNC", help="your module and the function that builds the model")
    ap.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE", help="with --arch, as shiftbench's --set")
    ap.add_argument("--arch-dir", help="where --arch NET is looked up (default: shiftbench's arch/)", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "arch"))
    ap.add_argument("--state-dict", metavar="FILE.pt", help="trained weights to load into the model")
    ap.add_argument("-o", "--out", default="model", help="output prefix: PREFIX.safetensors, PREFIX.input.npy, "
                    "PREFIX.expected.npy (default: model)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--resolution", type=int, help="input H = W (default: the arch's, else 224)")
    ap.add_argument("--classes", type=int, help="with --torchvision: num_classes (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32", help="how floats are stored")
    ap.add_argument("--no-random-bn", action="store_true", help="keep PyTorch's BN init (mean 0, var 1, gamma 1, beta 0)")
    ap.add_argument("--list", action="store_true", help="print the state_dict names and shapes, write nothing")
    ap.add_argument("--ir", metavar="FILE.json", help="the model's IR from tools/import_torch.py: leave out the "
                    "tensors of its shift layers (a shift written as a one-hot conv, whose table the IR holds)")
    ap.add_argument("--compare", nargs=2, metavar=("GOT.npy", "WANT.npy"),
                    help="compare two logits files (no torch needed); exit 1 above --rtol")
    ap.add_argument("--rtol", type=float, default=1e-4, help="for --compare: max |a - b| / max |b| (default 1e-4)")
    a = ap.parse_args()

    if a.compare:
        return compare(a.compare[0], a.compare[1], a.rtol)
    if not (a.arch or a.torchvision or a.factory):
        ap.error("name a model: --arch, --torchvision or --factory (or --compare two .npy files)")
    try:
        import torch
    except ImportError:
        sys.exit("this needs PyTorch: apt-get install python3-torch (or pip install torch)")
    torch.manual_seed(a.seed)
    res = a.resolution
    if a.arch:
        sets = list(a.set)
        if a.resolution:
            sets.append("resolution=%d" % a.resolution)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import ir_torch
        net = a.arch
        if not net.endswith(".json") and os.path.exists(os.path.join(a.arch_dir, net + ".json")):
            net = os.path.join(a.arch_dir, net + ".json")
        try:
            model = ir_torch.IRNet(ir_torch.ir_document(net, sets))
        except ir_torch.IRError as e:
            sys.exit("export_safetensors.py: %s" % e)
        res = model.input_shape[1]
    else:
        model = user_model(a.torchvision, a.factory, a.classes)
    res = res or 224
    model.eval()

    if a.state_dict:
        load_state_dict(model, a.state_dict)
    elif not a.no_random_bn:
        g = torch.Generator().manual_seed(a.seed + 1)
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                c = mod.num_features
                mod.running_mean.copy_(torch.rand(c, generator=g) * 0.4 - 0.2)
                mod.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
                mod.weight.data.copy_(torch.rand(c, generator=g) * 1.0 + 0.5)
                mod.bias.data.copy_(torch.rand(c, generator=g) * 0.4 - 0.2)

    tensors = list(model.state_dict().items())
    if a.ir:
        with open(a.ir) as f:
            shifts = {L.get("name") for L in json.load(f).get("layers", []) if L.get("op") == "shift"}
        tensors = [(n, t) for n, t in tensors if n.rsplit(".", 1)[0] not in shifts]
    if a.list:
        for n, t in tensors:
            print("%-45s %s" % (n, list(t.shape)))
        return 0
    if a.dtype != "F32":   # the reference logits come from the weights as stored
        with torch.no_grad():
            for n, p in model.state_dict().items():
                if p.is_floating_point():
                    p.copy_(p.to(torch.float16 if a.dtype == "F16" else torch.bfloat16).float())
    x = torch.randn(a.batch, 3, res, res, generator=torch.Generator().manual_seed(a.seed + 2))
    with torch.no_grad():
        y = model(x)
    write_safetensors(a.out + ".safetensors", tensors, a.dtype, {"format": "pt", "source": "tools/export_safetensors.py"})
    write_npy(a.out + ".input.npy", x)
    write_npy(a.out + ".expected.npy", y)
    print("wrote %s.safetensors (%d tensors, %s), %s.input.npy %s, %s.expected.npy %s" %
          (a.out, len(tensors), a.dtype, a.out, list(x.shape), a.out, list(y.shape)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:   # a missing or unwritable file: one line, not a traceback
        sys.exit("export_safetensors.py: %s: %s" % (e.filename or "", e.strerror or e))
