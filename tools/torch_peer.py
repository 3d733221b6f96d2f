#!/usr/bin/env python3
"""PyTorch as a peer: times a shiftbench network in PyTorch and writes results JSON of
kind net (results/SCHEMA.md) that `shiftbench compare`, `shiftbench plot` and the report
take like any other implementation's.

The network is NET as shiftbench reads it (a name under arch/, an arch file or an
explicit IR file, with --set like shiftbench), rendered by tools/ir_torch.py; its costs
come from `shiftbench cost`. Each run is one combination of
  --mode     eager (the nn.Module as written) and/or frozen (torch.jit.freeze of the
             traced eval module: BN folded into the convs, TorchScript's fusions)
  --format   cf (channels-first, NCHW) and/or cl (torch.channels_last)
  --shift    roll (the authors' shifts.py) and/or slice (slice copies); shift networks only
named impl pytorch-MODE[-cl][-slice] (pytorch-eager, pytorch-frozen-cl, ...). Every run's
logits are checked against eager channels-first's.

Timing mirrors `shiftbench net`: --warmup untimed passes (at least 1, the logits check;
frozen: at least 2, TorchScript optimizes its graph on the first runs), then whole passes
until --min-reps and --min-time are both reached (at most --max-reps). Eager runs, before
those, --min-reps passes with every IR layer inside record_function(NAME) under
torch.profiler: the per-layer records, by IR layer name. A frozen module's layers are fused and unnamed: its
results have the pass only.

Threads: OMP_NUM_THREADS and MKL_NUM_THREADS are set to --threads before torch is imported
and torch.set_num_threads(--threads) after (set_num_threads alone leaves libgomp's other
threads spinning). CPU time / wall time of the timed passes (time.process_time: the process, all
threads) says whether PyTorch used the threads asked for: printed, and in the context
(context.torch_threads_check, with each pass's CPU time: on a loaded machine, at one thread,
a figure the waiting does not inflate).

Needs Debian's python3-torch (`make deps-torch`) in the interpreter that runs it; the
python3 first on PATH may be another (pyenv) without it: then run /usr/bin/python3.
Exit status: 0 done, 1 PyTorch missing or a run failed, 2 bad input (one line).
"""
import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import time

ME = "torch_peer.py"
HERE = os.path.dirname(os.path.abspath(__file__))
MODES, FORMATS, SHIFTS = ("eager", "frozen"), ("cf", "cl"), ("roll", "slice")


class Fail(Exception):
    def __init__(self, msg, code=2):
        super().__init__(msg)
        self.code = code


class Parser(argparse.ArgumentParser):
    def error(self, message):   # one line, exit 2 (argparse would add the usage)
        raise Fail("%s (try: %s --help)" % (message, ME))


def csv_of(choices):
    def parse(s):
        items = [x for x in s.split(",") if x]
        bad = [x for x in items if x not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError("'%s': expected a comma-separated list of %s" % (s, ", ".join(choices)))
        return list(dict.fromkeys(items))
    return parse


def positive(lo):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError("'%s': expected an integer" % s)
        if v < lo:
            raise argparse.ArgumentTypeError("%d: expected at least %d" % (v, lo))
        return v
    return parse


def seconds(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s': expected seconds" % s)
    if not 0 <= v <= 3600:
        raise argparse.ArgumentTypeError("%s: expected seconds in [0, 3600]" % s)
    return v


def parse_args(argv):
    ap = Parser(prog=ME, description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nets", nargs="+", metavar="NET")
    ap.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE", help="as shiftbench's --set")
    ap.add_argument("--batch", type=positive(1))
    ap.add_argument("--resolution", type=positive(1))
    ap.add_argument("--threads", type=positive(1), default=os.cpu_count() or 1, help="default: all cores")
    ap.add_argument("--mode", type=csv_of(MODES), default=["eager", "frozen"], help="eager,frozen (default both)")
    ap.add_argument("--format", type=csv_of(FORMATS), default=["cf"], help="cf,cl (default cf)")
    ap.add_argument("--shift", type=csv_of(SHIFTS), default=["roll"], help="roll,slice (default roll)")
    ap.add_argument("--min-time", type=seconds, default=1.0, help="seconds of timed passes at least (default 1)")
    ap.add_argument("--min-reps", type=positive(1), default=5, help="timed passes at least (default 5)")
    ap.add_argument("--max-reps", type=positive(1), default=1000, help="timed passes at most (default 1000)")
    ap.add_argument("--warmup", type=positive(0), default=2, help="untimed passes (default 2)")
    ap.add_argument("--seed", type=positive(0), default=1, help="weights and input (default 1)")
    ap.add_argument("--no-layers", action="store_true", help="eager: no per-layer pass under the profiler")
    ap.add_argument("-o", dest="out", metavar="FILE", help="the results file (one run only)")
    ap.add_argument("--out-dir", default="results", help="where the results files go (default results/)")
    a = ap.parse_args(argv)
    if a.max_reps < a.min_reps:
        raise Fail("--max-reps %d below --min-reps %d" % (a.max_reps, a.min_reps))
    return a


def need_torch():
    """Imports torch or says which interpreter has it (one line, exit 1)."""
    import importlib.util
    if importlib.util.find_spec("torch") is not None:
        import torch
        return torch
    here = "%s (Python %s)" % (sys.executable, platform.python_version())
    debian = "/usr/bin/python3"
    has = os.path.realpath(sys.executable) != os.path.realpath(debian) and os.access(debian, os.X_OK) and \
        subprocess.run([debian, "-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    if has:
        raise Fail("PyTorch is not importable by %s; run this with %s, which has it" % (here, debian), 1)
    raise Fail("PyTorch is not importable by %s; install Debian's (make deps-torch) and run this with %s" %
               (here, debian), 1)


# ---- the machine, the way bench/context.c writes it -------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit():
    try:
        h = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout.decode().strip()
        d = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
        return (h + ("-dirty" if d else "")) if h else "unknown"
    except OSError:
        return "unknown"


def utc(compact=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ" if compact else "%Y-%m-%dT%H:%M:%SZ")


def torch_onednn_version(torch):
    for line in torch.__config__.show().splitlines():
        if "MKL-DNN v" in line or "oneDNN v" in line:
            return line.split(" v", 1)[1].split()[0]
    return "unknown"


# ---- statistics, as bench/stats.c computes them ---------------------------------------------

def quantile(s, q):
    if q <= 0:
        return s[0]
    if q >= 1:
        return s[-1]
    pos = q * (len(s) - 1)
    i = int(pos)
    return s[i] + (pos - i) * (s[i + 1] - s[i]) if i + 1 < len(s) else s[i]


def stats(samples):
    s = sorted(samples)
    n, mean = len(s), sum(s) / len(s)
    med = quantile(s, 0.5)
    return {"unit": "s", "n": n, "min": s[0], "median": med, "mean": mean,
            "stddev": (sum((x - mean) ** 2 for x in s) / (n - 1)) ** 0.5 if n > 1 else 0.0,
            "mad": quantile(sorted(abs(x - med) for x in s), 0.5), "p10": quantile(s, 0.1), "p90": quantile(s, 0.9),
            "max": s[-1], "samples": list(samples)}


def record(base, impl, info, cost, samples):
    """A results record: base (name, op, ...) + impl, cost, stats and the rates."""
    r = dict(base)
    r.update({"impl": impl, "impl_info": info, "cost": cost, "stats": stats(samples)})
    med = r["stats"]["median"]
    if med > 0:
        r["gflops"] = cost.get("flops", 0) / med / 1e9
        r["gbs"] = cost.get("bytes", 0) / med / 1e9
        r["exec_gflops"] = cost.get("exec_flops", 0) / med / 1e9
    r["counters"] = {}
    return r


# ---- one network ------------------------------------------------------------------------------

class Network:
    """The IR, the cost model and the settings of one NET, checked before anything runs."""

    def __init__(self, ir_torch, net, a):
        sets = list(a.set)
        if a.batch:
            sets.append("batch=%d" % a.batch)
        if a.resolution:
            sets.append("resolution=%d" % a.resolution)
        self.sets = sets
        try:
            self.doc = ir_torch.ir_document(net, sets)
            args = ["cost", "--format", "json", "--layers", net]
            for s in sets:
                args += ["--set", s]
            self.cost = ir_torch.shiftbench_json(args)["networks"][0]
            ir_torch.IRNet(self.doc, init=False)   # every layer renders (no weights drawn: quick)
        except ir_torch.IRError as e:
            raise Fail("%s: %s" % (net, e))
        self.name = self.doc.get("name") or os.path.splitext(os.path.basename(net))[0]
        self.batch, self.res = self.doc["input"]["shape"][0], self.doc["input"]["shape"][1]
        self.has_shift = any(L["op"] in ("shift", "shiftconv") for L in self.doc["layers"])
        self.layer_cost = {L["name"]: L for L in self.cost.get("layers", [])}

    def runs(self, a):
        for mode in a.mode:
            for fmt in a.format:
                for sh in (a.shift if self.has_shift else ["roll"]):
                    impl = "pytorch-" + mode + ("-cl" if fmt == "cl" else "") + ("-slice" if sh == "slice" else "")
                    yield mode, fmt, sh, impl


def build(torch, model, mode, fmt, shift, x):
    """The network's one eager module set up for a run (in place: shift, memory format), or
    frozen from it; and the input in that format."""
    model.set_shift(shift)
    model.record = False
    cl = torch.channels_last if fmt == "cl" else torch.contiguous_format
    m = model.to(memory_format=cl)
    x = x.contiguous(memory_format=cl)
    if mode == "frozen":
        import warnings
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)   # the trace is shape-specialized: meant
        with torch.no_grad():
            m = torch.jit.freeze(torch.jit.trace(m, x, check_trace=False))
    return m, x


def time_passes(torch, m, x, a):
    with torch.no_grad():
        samples, cpus, total = [], [], 0.0
        t0, c0 = time.perf_counter(), time.process_time()   # CPU time of every thread of the process
        while len(samples) < a.max_reps and (len(samples) < a.min_reps or total < a.min_time):
            p0, q0 = time.perf_counter(), time.process_time()
            m(x)
            samples.append(time.perf_counter() - p0)
            cpus.append(time.process_time() - q0)
            total = time.perf_counter() - t0
        cpu = time.process_time() - c0
    return samples, cpus, cpu, total


def layer_passes(torch, m, x, net, reps):
    """Per IR layer: its record_function durations over reps profiled passes."""
    from torch.profiler import profile, ProfilerActivity
    names = set(L["name"] for L in net.doc["layers"])
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(reps):
            m(x)
    got = {}
    for ev in prof.events():
        if ev.name in names:
            got.setdefault(ev.name, []).append(ev.time_range.elapsed_us() / 1e6)
    return got


def thread_verdict(asked, cpu, wall):
    r = cpu / wall if wall > 0 else 0.0
    if r > asked + 0.3:
        return r, "more than asked", "PyTorch used more threads than the %d asked: CPU time / wall = %.2f" % (asked, r)
    if asked > 1 and r < asked - 0.5:
        return r, "fewer than asked", ("PyTorch kept fewer than the %d threads asked busy: CPU time / wall = %.2f "
                                       "(a loaded machine, or layers too small to split)" % (asked, r))
    say = "PyTorch used the %d thread%s asked: CPU time / wall = %.2f" % (asked, "" if asked == 1 else "s", r)
    if r < 0.8 * asked:
        say += " (below %d: the machine is loaded, the threads waited for a core)" % asked
    return r, "as asked", say


def context(torch, net, a, impl, mode, fmt, shift, warmup, check, max_err):
    return {
        "date": utc(), "git_commit": git_commit(), "hostname": socket.gethostname(), "cpu_model": cpu_model(),
        "cores": os.cpu_count() or 0, "threads": a.threads,
        "torch_version": torch.__version__, "torch_onednn_version": torch_onednn_version(torch),
        "torch_num_threads": torch.get_num_threads(), "python": "%s %s" % (sys.executable, platform.python_version()),
        "torch_threads_check": check,
        "settings": {"network": net.name, "impl": impl, "batch": net.batch, "resolution": net.res, "threads": a.threads,
                     "min_time_s": a.min_time, "min_reps": a.min_reps, "max_reps": a.max_reps, "warmup": warmup,
                     "cold": False, "seed": a.seed, "set": net.sets, "events": [], "mode": mode,
                     "memory_format": "channels_last" if fmt == "cl" else "channels_first", "shift": shift,
                     "layers": mode == "eager" and not a.no_layers,
                     "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                     "max_rel_err_vs_eager": max_err},
    }


def run_one(torch, model, net, a, mode, fmt, shift, impl, x, ref):
    info = "torch %s %s, %s, shift %s" % (torch.__version__, mode, "channels-last" if fmt == "cl" else "channels-first",
                                           shift if net.has_shift else "-")
    m, xi = build(torch, model, mode, fmt, shift, x)
    with torch.no_grad():   # the check pass is the first warm-up pass
        y = m(xi).float()
    err = float((y - ref).abs().max() / ref.abs().max().clamp(min=1e-30))
    if not err < 1e-3:
        raise Fail("%s %s: logits differ from eager channels-first's (max relative error %.3g)" % (net.name, impl, err), 1)
    warmup = max(a.warmup, 2 if mode == "frozen" else 1)
    with torch.no_grad():
        for _ in range(warmup - 1):
            m(xi)
    records = []
    if mode == "eager" and not a.no_layers:
        m.record = True
        got = layer_passes(torch, m, xi, net, a.min_reps)
        m.record = False
        for L in net.doc["layers"]:
            c = net.layer_cost.get(L["name"], {})
            cost = {k: c[k] for k in ("params", "macs", "flops", "bytes", "exec_macs", "exec_flops") if k in c}
            cost["bytes_layers"] = c.get("bytes", 0)
            base = {"name": L["name"], "op": L["op"], "kind": c.get("kind", L["op"]), "shape": c.get("shape"),
                    "stage": L.get("stage"), "fused": []}
            if L.get("block"):
                base["block"] = L["block"]
            if not got.get(L["name"]):
                raise Fail("%s %s: the profiler saw no events of layer %s" % (net.name, impl, L["name"]), 1)
            records.append(record(base, impl, info, cost, got[L["name"]]))
    samples, cpus, cpu, wall = time_passes(torch, m, xi, a)
    ratio, verdict, say = thread_verdict(a.threads, cpu, wall)
    cs = sorted(cpus)
    check = {"asked": a.threads, "cpu_s": cpu, "wall_s": wall, "cpu_per_wall": ratio, "verdict": verdict,
             "pass_cpu_median_s": quantile(cs, 0.5), "pass_cpu_p10_s": quantile(cs, 0.1), "pass_cpu_p90_s": quantile(cs, 0.9)}
    c = net.cost
    pass_cost = {k: c[k] for k in ("params", "macs", "flops", "bytes", "exec_macs", "exec_flops") if k in c}
    network = {k: c[k] for k in ("name", "family", "description", "params", "macs", "flops", "bytes") if k in c}
    network["name"] = net.name
    network["knobs"] = net.doc.get("knobs", {})
    if mode == "eager":
        network["bytes_fused"] = c.get("bytes")   # every layer runs apart
    doc = {"schema": "shiftbench-results", "version": 1, "kind": "net", "complete": True,
           "context": context(torch, net, a, impl, mode, fmt, shift, warmup, check, err),
           "network": network, "pass": record({"name": net.name}, impl, info, pass_cost, samples), "records": records}
    st = doc["pass"]["stats"]
    print("%-22s %-24s whole pass median %.3f ms (p10 %.3f, p90 %.3f, %d passes; CPU time %.3f ms); %s" %
          (net.name, impl, st["median"] * 1e3, st["p10"] * 1e3, st["p90"] * 1e3, st["n"], check["pass_cpu_median_s"] * 1e3, say),
          file=sys.stderr if a.out == "-" else sys.stdout)
    return doc


def safe_name(s, n):
    return "".join(ch if ch.isalnum() or ch in "-_.+" else "_" for ch in s)[:n]


def write(doc, path):
    if path == "-":
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    d = os.path.dirname(path) or "."
    if os.path.lexists(path) and not os.path.isfile(path):
        raise Fail("%s: exists and is not a regular file" % path)
    os.makedirs(d, exist_ok=True)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print("wrote %s" % path)


def main(argv):
    a = parse_args(argv)
    # before torch is imported: libgomp reads these once, at load
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(a.threads)
    torch = need_torch()
    torch.set_num_threads(a.threads)
    sys.path.insert(0, HERE)
    import ir_torch
    nets = [Network(ir_torch, n, a) for n in a.nets]
    plan = [(n, r) for n in nets for r in n.runs(a)]
    if a.out and len(plan) != 1:
        raise Fail("-o FILE takes one run; this is %d (use --out-dir)" % len(plan))
    rc = 0
    for net in nets:
        torch.manual_seed(a.seed)
        model = ir_torch.IRNet(net.doc).eval()
        x = torch.randn(net.batch, 3, net.res, net.res, generator=torch.Generator().manual_seed(a.seed + 2))
        with torch.no_grad():
            ref = model(x).float()
        for mode, fmt, shift, impl in net.runs(a):
            try:
                doc = run_one(torch, model, net, a, mode, fmt, shift, impl, x, ref)
            except Fail as e:
                if e.code == 2:
                    raise
                print("%s: %s" % (ME, e), file=sys.stderr)
                rc = 1
                continue
            path = a.out or os.path.join(a.out_dir, "net-%s-%s-t%d-b%d-%s.json" % (
                safe_name(net.name, 80), impl, a.threads, net.batch, utc(compact=True)))
            write(doc, path)
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Fail as e:
        print("%s: %s" % (ME, e), file=sys.stderr)
        sys.exit(e.code)
    except OSError as e:
        print("%s: %s: %s" % (ME, e.filename or "", e.strerror or e), file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("%s: interrupted" % ME, file=sys.stderr)
        sys.exit(130)
