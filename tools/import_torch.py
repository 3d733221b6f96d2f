#!/usr/bin/env python3
"""Import a PyTorch model into shiftbench: trace it with torch.fx and write the explicit IR
(docs/ir.md) with the model's state_dict names, so that `shiftbench cost/net` run it and
`net --weights` loads its weights (tools/export_safetensors.py writes them).

The model is --torchvision NAME or --factory MOD:FUNC (as for export_safetensors.py), with
--state-dict FILE.pt for trained weights (the one-hot shift convolutions are recognised by
their weights). Recognised:
  nn.Conv2d (any kernel, stride, zero padding, groups; dilation 1), its BatchNorm2d folded
  by name (the BN right after a conv that only it reads becomes the conv's "bn"),
  nn.ReLU / F.relu, max / avg / adaptive-avg(1) pools (modules and functions), + and
  torch.add, flatten / nn.Flatten (before a Linear), nn.Linear, nn.Identity / nn.Dropout;
  shifts:
  - the authors' modules (github andrewgrahambrown/4CShiftResNet, shifts.py): classes
    shift_4C and shift_8C (roll + zeroing) are the 4C and 8C presets;
  - a depthwise conv whose weights are one-hot (one 1 per channel, the rest 0; no bias;
    padding (k-1)/2, stride 1) is the shift those taps make: its channels' displacements
    must form contiguous groups (the rest unmoved) or be interleaved (docs/networks.md);
  - any other module, by naming its class and table: --shift MyShift=c/12:0,1:0,-1:1,0:-1,0
    (the text form of docs/networks.md; traced as a leaf, so its code is not read).
Anything else is named with its module path and the tool exits 2, writing nothing.

Example (README "Importing a PyTorch model"):
  /usr/bin/python3 tools/import_torch.py --torchvision resnet50 --resolution 64 -o rn50.ir.json
  /usr/bin/python3 tools/export_safetensors.py --torchvision resnet50 --resolution 64 -o rn50
  ./shiftbench net rn50.ir.json --weights rn50.safetensors --input rn50.input.npy --output rn50.got.npy
  python3 tools/export_safetensors.py --compare rn50.got.npy rn50.expected.npy
"""
import argparse
import json
import operator
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_safetensors  # noqa: E402  (the model loading shared with the exporter)

AUTHORS_SHIFTS = {"shift_4C": "4", "shift_8C": "8"}   # shifts.py's classes: the presets


class Unmappable(Exception):
    """A module or function the IR cannot express: one line naming it."""


def parse_table(text):
    """The text form of docs/networks.md -> IR attributes (shiftbench checks the rest)."""
    if text in ("4", "8"):
        return {"conn": int(text)}
    attrs, parts = {}, text.split(":")
    if parts and parts[0][:1] in ("c", "i") and "," not in parts[0]:
        head = parts.pop(0)
        if head == "i":
            attrs["allocation"] = "interleaved"
        elif head.startswith("c/"):
            attrs["group_div"] = int(head[2:])
        elif head.startswith("c="):
            attrs["group_size"] = int(head[2:])
        elif head != "c":
            raise ValueError("allocation %r: c, c/DIV, c=SIZE or i" % head)
    disp = [[int(v) for v in p.split(",")] for p in parts]
    if not disp or any(len(d) != 2 for d in disp):
        raise ValueError("expected DH,DW:DH,DW...")
    attrs["displacements"] = disp
    attrs.setdefault("allocation", "contiguous")
    return attrs


def _pair(v, what, path):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) != 2 or v[0] != v[1]:
        raise Unmappable("%s: %s %r is not square (shiftbench takes square strides and pads)" % (path, what, v))
    return v[0]


def one_hot_shift(conv, path):
    """The shift attributes of a depthwise conv with one-hot weights, or None when it is
    another conv."""
    import torch
    w = conv.weight.detach()
    c, kh, kw = conv.in_channels, conv.kernel_size[0], conv.kernel_size[1]
    if not (conv.groups == c == conv.out_channels and conv.bias is None and kh == kw and kh % 2 == 1
            and tuple(conv.stride) == (1, 1) and tuple(conv.dilation) == (1, 1) and conv.padding_mode == "zeros"
            and tuple(conv.padding) == (kh // 2, kw // 2)):
        return None
    flat = w.reshape(c, kh * kw)
    if not (torch.all((flat == 0) | (flat == 1)) and torch.all(flat.sum(1) == 1)):
        return None
    pad, taps = kh // 2, flat.argmax(1).tolist()
    disp = [(pad - t // kw, pad - t % kw) for t in taps]   # output (y, x) reads (y - dh, x - dw)
    return allocation_of(disp, path)


def allocation_of(disp, path):
    """Per-channel displacements -> a table: contiguous groups of one size (then the
    unmoved rest), or interleaved."""
    c = len(disp)
    runs = []   # [displacement, length]
    for d in disp:
        if runs and runs[-1][0] == d:
            runs[-1][1] += 1
        else:
            runs.append([d, 1])
    rest = runs.pop()[1] if len(runs) > 1 and runs[-1][0] == (0, 0) else 0
    gs = runs[0][1]
    seen = [r[0] for r in runs]
    if all(r[1] == gs for r in runs) and len(set(seen)) == len(seen) and gs * len(runs) + rest == c:
        attrs = {"displacements": [list(d) for d in seen], "allocation": "contiguous"}
        if gs != c // (len(runs) + 1):
            attrs["group_size"] = gs
        return attrs
    for n in range(1, min(c, 48) + 1):
        if all(disp[ch] == disp[ch % n] for ch in range(c)) and len(set(disp[:n])) == n:
            return {"displacements": [list(d) for d in disp[:n]], "allocation": "interleaved"}
    raise Unmappable("%s: a one-hot depthwise conv whose channels are neither contiguous groups nor interleaved "
                     "over their displacements" % path)


def untraceable(model, tracer, err):
    """Names the innermost module fx cannot trace (its path and class), for the one line."""
    worst = None
    for path, m in model.named_modules():
        if path and (worst is None or len(path) > len(worst[0])):
            try:
                tracer().trace(m)
            except Exception as e:
                worst = (path, m, e)
    path, m, e = worst or ("", model, err)
    cls = type(m).__name__
    return ("%s: torch.fx cannot trace %s (%s); if it is a shift, name its class and table: --shift %s=TABLE" %
            (path or "(the model)", cls, str(e).splitlines()[0] if str(e) else type(e).__name__, cls))


class Importer:
    def __init__(self, model, shifts, name):
        import torch.fx as fx
        self.model, self.shifts = model, dict(AUTHORS_SHIFTS, **shifts)
        leaves = set(self.shifts)

        class Tracer(fx.Tracer):
            def is_leaf_module(self, m, qualname):
                return type(m).__name__ in leaves or super().is_leaf_module(m, qualname)

        try:
            self.graph = Tracer().trace(model)
        except Exception as e:   # data-dependent control flow, item assignment and the like
            raise Unmappable(untraceable(model, Tracer, e))
        self.modules = dict(model.named_modules())
        self.name, self.layers, self.edge, self.used = name, [], {}, set()

    # the IR name of a node: its module path, or the path of the module it runs in + its node name
    def unique(self, base):
        n, k = base, 1
        while n in self.used or n == "input":
            n, k = "%s_%d" % (base, k), k + 1
        self.used.add(n)
        return n

    def emit(self, node, op, inputs, path, **attrs):
        L = {"name": self.unique(path), "op": op, "inputs": [self.edge[i] for i in inputs]}
        L.update(attrs)
        self.layers.append(L)
        self.edge[node] = L["name"]
        return L

    def alias(self, node, src):
        self.edge[node] = self.edge[src]

    def run(self, input_shape):
        import torch.nn as nn
        import torch.nn.functional as F
        import torch
        users = {}
        for node in self.graph.nodes:
            for a in node.all_input_nodes:
                users.setdefault(a, []).append(node)
        last_path = ""
        for node in self.graph.nodes:
            args = [a for a in node.args]
            if node.op == "placeholder":
                if self.edge:
                    raise Unmappable("%s: a second input (shiftbench networks take one)" % node.name)
                self.edge[node] = "input"
                continue
            if node.op == "output":
                out = node.args[0]
                if not isinstance(out, torch.fx.Node):
                    raise Unmappable("output: the model must return one tensor")
                self.output = self.edge[out]
                continue
            src = [a for a in args if isinstance(a, torch.fx.Node)]
            if node.op == "call_module":
                path, m = node.target, self.modules[node.target]
                last_path = path
                self.module(node, path, m, src, users, nn)
                continue
            where = "%s (%s in %s)" % (node.name, node.target if isinstance(node.target, str) else
                                       getattr(node.target, "__name__", node.target), last_path or "forward")
            base = (last_path.rsplit(".", 1)[0] + "." if "." in last_path else "") + node.name
            fn = node.target
            if node.op == "call_method":
                fn = {"relu": F.relu, "flatten": torch.flatten, "add": operator.add}.get(node.target)
            if fn in (operator.add, operator.iadd, torch.add) and len(src) == 2 and len(args) == 2 and not node.kwargs:
                self.emit(node, "add", src, base)
            elif fn in (F.relu, torch.relu):
                self.emit(node, "relu", src[:1], base)
            elif fn is torch.flatten:
                self.alias(node, src[0])   # before a Linear: shiftbench's fc takes n x c
            elif fn is F.relu6 or (fn is F.hardtanh and tuple(args[1:3]) == (0.0, 6.0) and not node.kwargs):
                self.emit(node, "relu", src[:1], base, max=6)   # ReLU6: relu with "max": 6
            elif fn is F.hardtanh:
                raise Unmappable("%s: hardtanh other than (0, 6) (ReLU6) is not in shiftbench" % where)
            elif fn in (F.avg_pool2d, F.max_pool2d):
                k = args[1] if len(args) > 1 else node.kwargs.get("kernel_size")
                s = args[2] if len(args) > 2 else node.kwargs.get("stride") or k
                p = args[3] if len(args) > 3 else node.kwargs.get("padding", 0)
                if node.kwargs.get("ceil_mode") or (len(args) > 4 and args[4]):
                    raise Unmappable("%s: ceil_mode pools are not in shiftbench" % where)
                self.emit(node, "avgpool" if fn is F.avg_pool2d else "maxpool", src[:1], base,
                          kernel=[_pair(k, "kernel", where)] * 2, stride=_pair(s, "stride", where), pad=_pair(p, "pad", where))
            elif fn is F.adaptive_avg_pool2d and _pair(args[1], "output size", where) == 1:
                self.emit(node, "gap", src[:1], base)
            else:
                raise Unmappable("%s: no shiftbench op for it" % where)
        return self.document(input_shape)

    def module(self, node, path, m, src, users, nn):
        cls = type(m).__name__
        if cls in self.shifts:
            try:
                attrs = parse_table(self.shifts[cls])
            except ValueError as e:
                raise Unmappable("--shift %s=%s: %s" % (cls, self.shifts[cls], e))
            self.emit(node, "shift", src[:1], path, **attrs)
        elif isinstance(m, nn.Conv2d):
            shift = one_hot_shift(m, path)
            if shift:
                self.emit(node, "shift", src[:1], path, **shift)
                return
            if tuple(m.dilation) != (1, 1) or m.padding_mode != "zeros" or isinstance(m.padding, str):
                raise Unmappable("%s: %s with dilation, padding mode or 'same' padding" % (path, cls))
            attrs = dict(out_channels=m.out_channels, kernel=list(m.kernel_size), stride=_pair(m.stride, "stride", path),
                         pad=_pair(m.padding, "padding", path))
            if m.groups > 1:
                attrs["groups"] = m.groups
            self.emit(node, "conv", src[:1], path, **attrs)
        elif isinstance(m, nn.BatchNorm2d):
            prev = src[0]
            conv = self.layers[-1] if self.layers and self.layers[-1]["name"] == self.edge.get(prev) else None
            foldable = (conv is not None and conv["op"] == "conv" and "bn" not in conv and len(users.get(prev, [])) == 1
                        and self.modules[prev.target].bias is None)
            if not foldable:
                raise Unmappable("%s: a BatchNorm2d that does not follow a bias-free conv read by it alone "
                                 "(shiftbench folds BN into the conv before it)" % path)
            if not m.track_running_stats or m.eps != 1e-5:
                raise Unmappable("%s: BatchNorm2d without running statistics or with eps %g (net --bn-eps sets "
                                 "another for the whole network)" % (path, m.eps))
            conv["bn"] = path
            self.alias(node, prev)
        elif isinstance(m, nn.ReLU):
            self.emit(node, "relu", src[:1], path)
        elif isinstance(m, nn.ReLU6):
            self.emit(node, "relu", src[:1], path, max=6)
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            if m.ceil_mode or (isinstance(m, nn.MaxPool2d) and _pair(m.dilation, "dilation", path) != 1):
                raise Unmappable("%s: %s with ceil_mode or dilation" % (path, cls))
            self.emit(node, "maxpool" if isinstance(m, nn.MaxPool2d) else "avgpool", src[:1], path,
                      kernel=[_pair(m.kernel_size, "kernel", path)] * 2, stride=_pair(m.stride, "stride", path),
                      pad=_pair(m.padding, "padding", path))
        elif isinstance(m, nn.AdaptiveAvgPool2d) and _pair(m.output_size, "output size", path) == 1:
            self.emit(node, "gap", src[:1], path)
        elif isinstance(m, nn.Linear):
            self.emit(node, "fc", src[:1], path, out_channels=m.out_features)
        elif isinstance(m, (nn.Flatten, nn.Identity, nn.Dropout)):
            self.alias(node, src[0])
        else:
            raise Unmappable("%s: %s has no shiftbench op (a shift module? name its class: --shift %s=TABLE)" %
                             (path, cls, cls))

    def document(self, input_shape):
        # blocks: layerS.B-style paths (a Sequential's child); stages: their containers in order
        def block_of(name):
            parts = name.split(".")
            if len(parts) < 3 or not isinstance(self.modules.get(parts[0]), __import__("torch").nn.Sequential):
                return None
            return parts[0] + "." + parts[1]
        names = [block_of(L["name"]) for L in self.layers]
        order = [b for i, b in enumerate(names) if b and (i == 0 or names[i - 1] != b)]
        if len(order) != len(set(order)):   # a block not contiguous: none at all
            names, order = [None] * len(names), []
        # layers without a module path of their own (functional adds, ReLUs) join their input's block
        for i, L in enumerate(self.layers):
            if names[i] is None and i > 0 and L["name"].rsplit(".", 1)[0] in set(order):
                names[i] = L["name"].rsplit(".", 1)[0]
        stages = []
        for b in order:
            top = b.split(".")[0]
            if top not in stages:
                stages.append(top)
        if len(stages) > 8:
            names, order, stages = [None] * len(names), [], []
        blocks = [{"name": b, "stage": stages.index(b.split(".")[0]) + 1} for b in order]
        stage, later = 0, [any(names[j] for j in range(i, len(names))) for i in range(len(names))]
        for i, (L, b) in enumerate(zip(self.layers, names)):
            if b:   # a block's layer; outside: the stem (0), between blocks the last one's, the head
                L["block"] = b
                stage = stages.index(b.split(".")[0]) + 1
            else:
                L["stage"] = stage if later[i] else len(stages) + 1
        return {"schema": "shiftbench-ir", "version": 1, "name": self.name,
                "description": "imported from PyTorch by tools/import_torch.py",
                "stages": len(stages), "input": {"name": "input", "shape": list(input_shape)},
                "blocks": blocks, "layers": self.layers, "output": self.output}


def write_ir(doc, path):
    """One layer a line, as `shiftbench cost --format ir` writes it."""
    head = {k: v for k, v in doc.items() if k not in ("blocks", "layers")}
    lines = ["{"] + [" %s: %s," % (json.dumps(k), json.dumps(v)) for k, v in head.items()]
    for key in ("blocks", "layers"):
        items = doc[key]
        lines.append(" %s: [" % json.dumps(key))
        lines += ["  %s%s" % (json.dumps(e), "," if i + 1 < len(items) else "") for i, e in enumerate(items)]
        lines.append(" ]%s" % ("," if key == "blocks" else ""))
    lines.append("}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    m = ap.add_mutually_exclusive_group(required=True)
    m.add_argument("--torchvision", metavar="NAME", help="torchvision.models.NAME")
    m.add_argument("--factory", metavar="MOD:FUNC", help="your module and the function that builds the model")
    ap.add_argument("--classes", type=int, help="with --torchvision: num_classes (default 1000)")
    ap.add_argument("--state-dict", metavar="FILE.pt", help="trained weights (one-hot shift convs are read from them)")
    ap.add_argument("--shift", action="append", default=[], metavar="CLASS=TABLE",
                    help="a shift module class and its table (docs/networks.md text form), traced as a leaf")
    ap.add_argument("--resolution", type=int, default=224, help="input H = W (default 224)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--channels", type=int, default=3, help="input channels (default 3)")
    ap.add_argument("--name", help="the network's name (default: the output file's stem)")
    ap.add_argument("-o", "--out", required=True, help="the IR file to write (NAME.json)")
    a = ap.parse_args()
    shifts = {}
    for s in a.shift:
        cls, eq, table = s.partition("=")
        if not eq or not cls or not table:
            ap.error("--shift %s: expected CLASS=TABLE" % s)
        shifts[cls] = table
    try:
        import torch  # noqa: F401
        import torch.fx  # noqa: F401
    except ImportError:
        sys.exit("import_torch.py: PyTorch with torch.fx is not importable by %s (Debian: apt-get install "
                 "python3-torch, then run this with /usr/bin/python3)" % sys.executable)
    model = export_safetensors.user_model(a.torchvision, a.factory, a.classes)
    if a.state_dict:
        export_safetensors.load_state_dict(model, a.state_dict)
    model.eval()
    name = a.name or os.path.basename(a.out).split(".")[0] or "imported"
    try:
        doc = Importer(model, shifts, name).run([a.batch, a.resolution, a.resolution, a.channels])
    except Unmappable as e:
        print("import_torch.py: %s" % e, file=sys.stderr)
        return 2
    write_ir(doc, a.out)
    print("wrote %s: %d layers, %d blocks in %d stages" % (a.out, len(doc["layers"]), len(doc["blocks"]), doc["stages"]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        sys.exit("import_torch.py: %s: %s" % (e.filename or "", e.strerror or e))
