"""The explicit IR (docs/ir.md) as a PyTorch nn.Module: the one PyTorch rendering of a
shiftbench network, shared by tools/export_safetensors.py and tools/torch_peer.py.

    doc = ir_document("multi-shift-4c-50", ["resolution=32"])   # shiftbench cost --format ir
    model = IRNet(doc, shift="roll")                            # or shift="slice"

The module's state_dict names are the IR's: a conv's weight at `NAME.weight` (its bias at
`NAME.bias` when it has no BN), its BN at the layer's `bn` name (weight, bias, running_mean,
running_var), fc's weight and bias; so a checkpoint written from it loads in `shiftbench net
--weights` and gives the same logits. forward() runs the layers in IR order over their named
edges, NCHW (or channels-last, as the input comes). Each op is one entry of OPS.

The shift (docs/networks.md, kernels/op.h): channel groups displaced by (dh, dw) pixels,
output (y, x) reading input (y - dh, x - dw), zero outside; two renderings:
  roll    as the authors' code (github andrewgrahambrown/4CShiftResNet, shifts.py):
          torch.split, roll each group, zero the rows and columns rolled in, torch.cat
  slice   slice copies of each group into a zero tensor
"""
import json
import os
import subprocess

import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class IRError(Exception):
    """A one-line reason the document cannot be rendered (naming the layer)."""


def shiftbench_path():
    return os.environ.get("SHIFTBENCH") or os.path.join(ROOT, "shiftbench")


def shiftbench_json(args):
    """shiftbench's JSON output for args, or IRError with its one-line complaint."""
    exe = shiftbench_path()
    try:
        p = subprocess.run([exe] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise IRError("%s: %s (build it with make, or set SHIFTBENCH)" % (exe, e.strerror))
    if p.returncode != 0:
        lines = p.stderr.decode(errors="replace").strip().splitlines()
        raise IRError(lines[-1] if lines else "shiftbench %s: exit %d" % (" ".join(args), p.returncode))
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise IRError("shiftbench %s: not JSON: %s" % (" ".join(args), e))


def ir_document(net, sets=()):
    """The explicit IR of NET (a name under arch/, an arch file or an IR file) with --set
    overrides, as shiftbench expands and checks it."""
    args = ["cost", "--format", "ir", net]
    for s in sets:
        args += ["--set", s]
    return shiftbench_json(args)


# ---- the shift ------------------------------------------------------------------------------

# kernels/op.c shift_disp: the authors' order (4C: down, left, up, right)
DISP = {4: [(1, 0), (0, -1), (-1, 0), (0, 1)],
        8: [(1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1)]}


SHIFT_KEYS = {"conn", "displacements", "allocation", "group_size", "group_div"}


def shift_groups(L, c):
    """[(channels, dh, dw)]: the channels (a slice) of each direction, covering [0, c); the
    presets and contiguous tables give ranges in order with the unmoved rest last as (0, 0),
    an interleaved table (channel ch on direction ch mod n) strided slices (docs/networks.md
    "The general shift"; shiftbench has checked the table)."""
    conn = L.get("conn")
    disp = DISP.get(conn) if conn is not None else [tuple(d) for d in L.get("displacements") or []]
    if not disp:
        raise IRError("layer %s: shift conn %r: expected 4 or 8, or displacements" % (L["name"], conn))
    n = len(disp)
    if L.get("allocation", "contiguous") == "interleaved":
        if c < n:
            raise IRError("layer %s: %d channels for %d interleaved directions" % (L["name"], c, n))
        return [(slice(j, c, n), dh, dw) for j, (dh, dw) in enumerate(disp)]
    gs = L.get("group_size") or c // (L.get("group_div") or n + 1)
    if gs == 0 or gs * n > c:
        raise IRError("layer %s: shift of %d channels into %d groups of %d" % (L["name"], c, n, gs))
    groups = [(slice(g * gs, (g + 1) * gs), dh, dw) for g, (dh, dw) in enumerate(disp)]
    return groups + ([(slice(n * gs, c), 0, 0)] if n * gs < c else [])


def _clear_rolled_in(r, dh, dw):
    """Zeroes what a roll by (dh, dw) wrapped around (the authors' r[:, :, 0, :] = 0)."""
    h, w = r.shape[2], r.shape[3]
    if dh > 0:
        r[:, :, :dh, :] = 0
    elif dh < 0:
        r[:, :, max(h + dh, 0):, :] = 0
    if dw > 0:
        r[:, :, :, :dw] = 0
    elif dw < 0:
        r[:, :, :, max(w + dw, 0):] = 0
    return r


def shift_roll(x, groups):
    rolled = lambda p, dh, dw: _clear_rolled_in(p.roll((dh, dw), (2, 3)), dh, dw) if (dh or dw) else p  # noqa: E731
    if any(s.step not in (None, 1) for s, _, _ in groups):   # interleaved: each direction's strided channels
        out = torch.empty_like(x)
        for s, dh, dw in groups:
            out[:, s] = rolled(x[:, s], dh, dw)
        return out
    parts = torch.split(x, [s.stop - s.start for s, _, _ in groups], dim=1)
    return torch.cat([rolled(p, dh, dw) for p, (_, dh, dw) in zip(parts, groups)], dim=1)


def shift_slice(x, groups):
    out = torch.zeros_like(x)
    h, w = x.shape[2], x.shape[3]
    for s, dh, dw in groups:
        if abs(dh) >= h or abs(dw) >= w:
            continue   # the whole group shifted out: zeros
        out[:, s, max(dh, 0):h + min(dh, 0), max(dw, 0):w + min(dw, 0)] = \
            x[:, s, max(-dh, 0):h - max(dh, 0), max(-dw, 0):w - max(dw, 0)]
    return out


SHIFTS = {"roll": shift_roll, "slice": shift_slice}


# ---- the ops: attributes (beyond the common keys) and how each is built --------------------
# Each builder gets the network (to register modules by IR name), the layer and its input
# channels; it returns (forward function of the input tensors, output channels).

COMMON_KEYS = {"name", "op", "inputs", "stage", "block", "shape"}


def _conv(net, L, c, shift=False):
    oc, (kh, kw) = L["out_channels"], (L.get("kernel") or [1, 1])
    groups = L.get("groups", 1)
    if c % groups or oc % groups:
        raise IRError("layer %s: groups %d do not divide %d -> %d channels" % (L["name"], groups, c, oc))
    conv = net.make(nn.Conv2d, c, oc, (kh, kw), L.get("stride", 1), L.get("pad", 0), groups=groups, bias=not L.get("bn"))
    net.put(L["name"], conv)
    bn = None
    if L.get("bn"):
        bn = net.make(nn.BatchNorm2d, oc)
        net.put(L["bn"], bn)
    groups_ = shift_groups(L, c) if shift else None
    def fwd(x):
        if groups_:
            x = net.shift_impl(x, groups_)
        x = conv(x)
        return bn(x) if bn is not None else x
    return fwd, oc


def _shift(net, L, c):
    groups = shift_groups(L, c)
    return (lambda x: net.shift_impl(x, groups)), c


def _pool(fn):
    def build(net, L, c):
        k, s, p = tuple(L["kernel"]), L.get("stride", 1), L.get("pad", 0)
        return (lambda x: fn(x, k, s, p)), c
    return build


def _fc(net, L, c):
    fc = net.make(nn.Linear, c, L["out_channels"])
    net.put(L["name"], fc)
    return (lambda x: fc(torch.flatten(x, 1))), L["out_channels"]


def _relu6(hi):
    """ReLU with an upper clamp: "max": 6 is nn.ReLU6 (MobileNetV2)."""
    return lambda x: torch.clamp(x, 0.0, float(hi))


def _add(net, L, c):
    return (lambda a, b: a + b), c


OPS = {   # op: (attributes, builder)
    "conv": ({"out_channels", "kernel", "stride", "pad", "groups", "bn"}, _conv),
    "shiftconv": ({"out_channels", "stride", "bn"} | SHIFT_KEYS, lambda net, L, c: _conv(net, L, c, shift=True)),
    "shift": (SHIFT_KEYS, _shift),
    "maxpool": ({"kernel", "stride", "pad"}, _pool(F.max_pool2d)),
    "avgpool": ({"kernel", "stride", "pad"}, _pool(F.avg_pool2d)),
    "gap": (set(), lambda net, L, c: ((lambda x: F.adaptive_avg_pool2d(x, 1)), c)),
    "fc": ({"out_channels"}, _fc),
    "add": (set(), _add),
    "relu": ({"max"}, lambda net, L, c: (_relu6(L["max"]) if "max" in L else F.relu, c)),
}
NINPUTS = {"add": 2}   # every other op takes one input


class IRNet(nn.Module):
    """The IR document's network. steps: (name, op, input edge names, forward function).
    shift: the rendering of the shift (set_shift switches it); record: every layer inside
    record_function(its name), for torch.profiler; init=False: weights left uninitialized
    (a quick check that the document renders)."""

    def __init__(self, doc, shift="roll", record=False, init=True):
        super().__init__()
        self.make = (lambda cls, *a, **k: cls(*a, **k)) if init else nn.utils.skip_init
        self.set_shift(shift)
        if not isinstance(doc, dict) or doc.get("schema") != "shiftbench-ir" or doc.get("version") != 1:
            raise IRError("not a shiftbench-ir version 1 document")
        self.record = record
        shape = (doc.get("input") or {}).get("shape")
        if not (isinstance(shape, list) and len(shape) == 4):
            raise IRError("input: expected \"shape\": [n, h, w, c]")
        self.input_shape = tuple(shape)   # NHWC, as the IR writes it
        chans, self.steps = {"input": shape[3]}, []
        for i, L in enumerate(doc.get("layers") or []):
            self.steps.append(self._build(i, L, chans))
        if not self.steps:
            raise IRError("no layers")
        self.output = doc.get("output") or self.steps[-1][0]
        if self.output not in chans:
            raise IRError("output %r: no such layer" % self.output)
        # the step after which each edge is dead, so forward() frees tensors as a model does
        last = {}
        for k, (_, _, ins, _) in enumerate(self.steps):
            for e in ins:
                last[e] = k
        self.frees = [[e for e in ins if last[e] == k and e != self.output] for k, (_, _, ins, _) in enumerate(self.steps)]
        for k, (name, op, ins, fwd) in enumerate(self.steps):   # ReLU(inplace=True) where nothing reads it after
            if op == "relu" and fwd is F.relu and ins[0] != "input" and ins[0] in self.frees[k]:
                self.steps[k] = (name, op, ins, torch.relu_)
        for m in self.modules() if init else ():
            if isinstance(m, nn.Conv2d):   # torchvision's ResNet init
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _build(self, i, L, chans):
        name = L.get("name") if isinstance(L, dict) else None
        if not isinstance(name, str) or not name:
            raise IRError("layers[%d]: no name" % i)
        op = L.get("op")
        if op not in OPS:
            raise IRError("layer %s: unknown op %r (known: %s)" % (name, op, ", ".join(OPS)))
        attrs, build = OPS[op]
        extra = sorted(set(L) - COMMON_KEYS - attrs)
        if extra:
            raise IRError("layer %s: unknown attribute '%s' for op %s (attributes: %s)" %
                          (name, extra[0], op, ", ".join(sorted(attrs)) or "none"))
        ins = L.get("inputs")
        if not isinstance(ins, list) or len(ins) != NINPUTS.get(op, 1) or not all(e in chans for e in ins):
            raise IRError("layer %s: inputs %r: expected %d earlier layer name(s) or \"input\"" %
                          (name, ins, NINPUTS.get(op, 1)))
        if name in chans:
            raise IRError("layer %s: name used twice" % name)
        c = chans[ins[0]]
        if any(chans[e] != c for e in ins):
            raise IRError("layer %s: inputs have %s channels" % (name, [chans[e] for e in ins]))
        try:
            fwd, chans[name] = build(self, L, c)
        except (KeyError, TypeError, ValueError) as e:
            raise IRError("layer %s: op %s: bad or missing attribute (%s)" % (name, op, e))
        return name, op, ins, fwd

    def set_shift(self, shift):
        if shift not in SHIFTS:
            raise IRError("shift %r: expected one of %s" % (shift, ", ".join(SHIFTS)))
        self.shift_impl = SHIFTS[shift]

    def put(self, path, module):
        """Registers module at the dotted path (layer1.0.conv1), making the parents."""
        *parents, leaf = path.split(".")
        m = self
        for p in parents:
            if p not in m._modules:
                m.add_module(p, nn.Module())
            m = m._modules[p]
        if leaf in m._modules:
            raise IRError("%s: module name used twice" % path)
        m.add_module(leaf, module)

    def forward(self, x):
        env = {"input": x}
        for (name, _, ins, fwd), dead in zip(self.steps, self.frees):
            if self.record:
                with torch.autograd.profiler.record_function(name):
                    env[name] = fwd(*[env[e] for e in ins])
            else:
                env[name] = fwd(*[env[e] for e in ins])
            for e in dead:
                del env[e]
        return env[self.output]
