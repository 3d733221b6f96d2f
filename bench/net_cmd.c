/* shiftbench net: build a network from its arch file, run forward passes with seeded
 * weights, time every layer inside the pass and the pass itself, write results JSON. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/cost.h"
#include "../common/util.h"
#include "../kernels/runtime.h"
#include "checkpoint.h"
#include "commands.h"
#include "context.h"
#include "counters.h"
#include "exec.h"
#include "exec_block.h"
#include "net_timing.h"
#include "npy.h"
#include "peak.h"
#include "results.h"
#include "signals.h"

typedef struct {
    const char *net, *impl, *out, *events, *peak_file;
    int no_peak;
    int unfused_shift;
    const char *weights, *input, *output;   /* --weights, --input, --output */
    double bn_eps;
    int threads, batch, resolution;
    long seed;
    measure_opts mo;
    double best_time;
    exec_fuse fuse;
    int tile_rows;
    ir_overrides ov;
    int quiet;
} net_args;

static void usage(FILE *f) {
    fprintf(f,
        "usage: shiftbench net NET [--impl I] [--batch N] [--threads N]\n"
        "                      [--resolution N] [--set KNOB=VALUE]... [--min-time S] [--min-reps N]\n"
        "                      [--warmup N] [--cold] [--unfused-shift] [--events LIST|none] [--seed N] [-o FILE|-]\n"
        "                      [--weights FILE.safetensors [--bn-eps E]] [--input FILE.npy]\n"
        "                      [--output FILE.npy] [--peak FILE | --no-peak] [--max-reps N]\n"
        "                      [--fuse block|layer] [--tile-rows N]\n\n"
        "Builds NET (a name under arch/ or an arch file) with seeded random weights, runs forward\n"
        "passes and times every layer inside the pass, then the pass alone. Prints a per-layer\n"
        "table and writes results JSON (results/SCHEMA.md) to results/ or FILE (- = stdout).\n\n"
        "  --impl I       one of: %s\n"
        "                 a family: each op on I where I has it (onednn and xnnpack run the shift\n"
        "                 as a one-hot depthwise 3x3, onednn-dw / xnnpack-dw), else own, else ref;\n"
        "                 best: per layer the fastest measured implementation (default onednn)\n"
        "  --best-time S  with best: seconds each candidate is timed per layer (default 0.02)\n"
        "  --fuse F       block: each bottleneck block as one step run depth-first over tiles of\n"
        "                 rows on our kernels (its intermediates stay in cache); layer: layer by\n"
        "                 layer, every layer timed (default: layer; with --impl best, per block\n"
        "                 the faster of the two as timed)\n"
        "  --tile-rows N  rows per tile of a fused block (default: the most whose tile fits one\n"
        "                 core's L2, sysconf _SC_LEVEL2_CACHE_SIZE or sysfs; whole images when\n"
        "                 one fits)\n"
        "  --threads N    OpenBLAS, oneDNN, XNNPACK and our kernels alike (default: all cores)\n"
        "  --min-time S   seconds of timed passes at least (default 1)\n"
        "  --min-reps N   timed passes at least (default 5)   --warmup N  untimed passes (default 2)\n"
        "  --max-reps N   timed passes at most, even before --min-time (default 1000)\n"
        "  --cold         flush the caches before every layer (and every whole pass)\n"
        "  --unfused-shift  each shift its own step, not fused into the 1x1 after it (to time it\n"
        "                 apart; results file name ends -unfused)\n"
        "  --events LIST  libpfm4 event names, comma-separated; default or none (default: cycles,\n"
        "                 instructions, LLC misses, branch misses, task-clock, page-faults,\n"
        "                 context-switches; list them with: shiftbench kernel --list-events)\n"
        "  --seed N       weights and input (default 1)\n"
        "  --weights F    real weights: a safetensors file with PyTorch state_dict names (conv1.weight,\n"
        "                 bn1.running_var, layer1.0.conv1.weight, fc.bias, ...; the IR's layer names,\n"
        "                 see shiftbench cost --layers NET); BN is folded into the convs at load\n"
        "  --bn-eps E     the BN epsilon for folding (default 1e-5, PyTorch's)\n"
        "  --input F      the input batch: a float32 .npy of shape [N, 3, H, W] (PyTorch's NCHW;\n"
        "                 N = --batch, H = W = --resolution); default: seeded random\n"
        "  --output F     write the logits of the input, float32 .npy [N, classes]\n"
        "  --peak FILE    %% of peak against the peak results file FILE (shiftbench peak -o FILE)\n"
        "  --no-peak      no %% of peak (default: a brief FMA peak measurement first)\n", exec_impl_names());
}

/* The options that take a value (the others are flags or the network). */
static int takes_value(const char *o) {
    static const char *const valued[] = { "--impl", "-o", "--events", "--peak", "--weights", "--input", "--output",
                                          "--bn-eps", "--set", "--batch", "--resolution", "--threads", "--min-reps",
                                          "--max-reps", "--warmup", "--min-time", "--seed", "--fuse", "--tile-rows",
                                          "--best-time", NULL };
    for (int i = 0; valued[i]; i++)
        if (!strcmp(o, valued[i])) return 1;
    return 0;
}

static int parse(int argc, char **argv, net_args *a) {
    memset(a, 0, sizeof *a);
    a->impl = "onednn";
    a->seed = 1;
    a->best_time = 0.02;
    a->bn_eps = -1;
    measure_opts_default(&a->mo);
    a->mo.min_time = 1.0;
    static char setbuf[2][64];
    int max_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        long v;
        double d;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout); exit(0); }
        if (!strcmp(o, "--cold")) { a->mo.cold = 1; continue; }
        if (!strcmp(o, "--no-peak")) { a->no_peak = 1; continue; }
        if (!strcmp(o, "--unfused-shift")) { a->unfused_shift = 1; continue; }
        if (o[0] != '-') {
            if (a->net) return fail_msg("net: one network at a time ('%s' and '%s')", a->net, o);
            a->net = o;
            continue;
        }
        if (!takes_value(o)) return fail_msg("net: unknown option '%s' (see shiftbench net --help)", o);
        if (i + 1 >= argc) return fail_msg("net: %s needs a value", o);
        const char *val = argv[++i];
        if (!strcmp(o, "--impl")) a->impl = val;
        else if (!strcmp(o, "--fuse")) {
            if (exec_fuse_parse(val, &a->fuse) || a->fuse == EXEC_FUSE_AUTO)
                return fail_msg("net: --fuse '%s': expected block or layer", val);
        } else if (!strcmp(o, "--tile-rows")) {
            if (parse_long(val, 1, 100000, &v)) return fail_msg("net: --tile-rows '%s': expected an integer in [1, 100000]", val);
            a->tile_rows = (int)v;
        }
        else if (!strcmp(o, "-o")) a->out = val;
        else if (!strcmp(o, "--events")) a->events = val;
        else if (!strcmp(o, "--peak")) a->peak_file = val;
        else if (!strcmp(o, "--weights")) a->weights = val;
        else if (!strcmp(o, "--input")) a->input = val;
        else if (!strcmp(o, "--output")) {
            if (!strcmp(val, "-")) return fail_msg("net: --output needs a file name (stdout carries the table)");
            a->output = val;
        }
        else if (!strcmp(o, "--bn-eps")) {
            if (parse_double(val, &d) || !(d >= 0) || d > 1) return fail_msg("net: --bn-eps '%s': expected a number in [0, 1]", val);
            a->bn_eps = d;
        }
        else if (!strcmp(o, "--set") || !strcmp(o, "--batch") || !strcmp(o, "--resolution")) {
            if (a->ov.n >= (int)(sizeof a->ov.kv / sizeof *a->ov.kv)) return fail_msg("net: too many --set options");
            if (o[2] == 's') { a->ov.kv[a->ov.n++] = val; continue; }
            if (parse_long(val, 1, 1000000, &v)) return fail_msg("net: %s '%s': expected an integer in [1, 1000000]", o, val);
            char *buf = setbuf[o[2] == 'b'];
            snprintf(buf, 64, "%s=%ld", o + 2, v);
            a->ov.kv[a->ov.n++] = buf;
        } else if (!strcmp(o, "--threads")) {
            if (parse_long(val, 1, 4096, &v)) return fail_msg("net: --threads '%s': expected an integer in [1, 4096]", val);
            a->threads = (int)v;
        } else if (!strcmp(o, "--min-reps") || !strcmp(o, "--max-reps") || !strcmp(o, "--warmup")) {
            if (parse_long(val, o[2] == 'w' ? 0 : 1, 1000000, &v)) return fail_msg("net: %s '%s': expected a count", o, val);
            if (o[2] == 'w') a->mo.warmup = (int)v;
            else if (o[3] == 'i') a->mo.min_reps = (int)v;
            else a->mo.max_reps = (int)v, max_given = 1;
        } else if (!strcmp(o, "--min-time")) {
            if (parse_double(val, &d) || d < 0 || d > 3600) return fail_msg("net: --min-time '%s': expected seconds in [0, 3600]", val);
            a->mo.min_time = d;
        } else if (!strcmp(o, "--best-time")) {
            if (parse_double(val, &d) || !(d > 0) || d > 10) return fail_msg("net: --best-time '%s': expected seconds in (0, 10]", val);
            a->best_time = d;
        } else if (!strcmp(o, "--seed")) {
            if (parse_long(val, 0, 1L << 62, &v)) return fail_msg("net: --seed '%s': expected a non-negative integer", val);
            a->seed = v;
        } else return fail_msg("net: unknown option '%s' (see shiftbench net --help)", o);
    }
    if (!a->net) return fail_msg("net: name a network (see shiftbench net --help)");
    if (a->no_peak && a->peak_file) return fail_msg("net: --peak and --no-peak exclude each other");
    if (!exec_impl_valid(a->impl))
        return fail_msg("net: unknown implementation '%s' (choose from: %s)", a->impl, exec_impl_names());
    if (a->bn_eps >= 0 && !a->weights) return fail_msg("net: --bn-eps needs --weights");
    if (a->bn_eps < 0) a->bn_eps = CKPT_BN_EPS;
    if (a->mo.max_reps < a->mo.min_reps && !max_given) a->mo.max_reps = a->mo.min_reps;
    if (a->mo.max_reps < a->mo.min_reps)
        return fail_msg("net: --max-reps %d is below --min-reps %d", a->mo.max_reps, a->mo.min_reps);
    return 0;
}

static void progress(const char *what, int done, int total, double elapsed, void *ctx) {
    (void)ctx;
    if (!isatty(2)) return;
    double eta = done > 0 && done < total ? elapsed / done * (total - done) : 0;
    fprintf(stderr, "\r  %s %d/%d  %.1fs elapsed%s", what, done, total, elapsed, "");
    if (eta > 0) fprintf(stderr, ", ETA %.0fs", eta);
    fprintf(stderr, "   ");
}

static void plan_progress(int done, int total, void *ctx) {
    progress("preparing layer", done, total, now_sec() - *(double *)ctx, NULL);
}

/* The context "peak" object: from a peak results file, or measured now (briefly). */
static json_t *get_peak(const net_args *a, int threads, char *err, size_t errlen) {
    if (a->no_peak) return NULL;
    if (a->peak_file) {
        json_t *doc = results_load(a->peak_file, err, errlen);
        if (!doc) return NULL;
        json_t *p = json_object_get(json_object_get(doc, "context"), "peak");
        int pt = (int)json_integer_value(json_object_get(p, "threads"));
        if (!json_is_object(p) || !json_is_number(json_object_get(p, "gflops"))) {
            set_err(err, errlen, "%s: not a `shiftbench peak` results file (no context.peak)", a->peak_file);
            p = NULL;
        } else if (pt != threads) {
            set_err(err, errlen, "%s: peak measured on %d threads, this run uses %d", a->peak_file, pt, threads);
            p = NULL;
        }
        json_incref(p);
        json_decref(doc);
        return p;
    }
    measure_opts o;
    measure_opts_default(&o);
    o.min_time = 0.05;
    o.min_reps = 3;
    peak_result pr;
    if (peak_measure(threads, peak_impl_levels(a->impl), &o, &pr, NULL, err, errlen)) return NULL;
    return peak_json(&pr);
}

static json_t *settings_json(const net_args *a, const executor *ex, int threads) {
    json_t *set = json_array();
    for (int i = 0; i < a->ov.n; i++) json_array_append_new(set, json_string(a->ov.kv[i]));
    json_t *ev = json_array();
    json_t *s = json_pack("{s:s,s:s,s:i,s:i,s:i,s:f,s:i,s:i,s:b,s:I,s:o,s:o,s:f}", "network", ex->net->name, "impl", a->impl,
                     "batch", ex->net->batch, "resolution", ex->net->resolution, "threads", threads,
                     "min_time_s", a->mo.min_time, "min_reps", a->mo.min_reps, "warmup", a->mo.warmup,
                     "cold", a->mo.cold, "seed", (json_int_t)a->seed, "set", set, "events", ev,
                     "best_time_s", a->best_time);
    json_object_set_new(s, "max_reps", json_integer(a->mo.max_reps));
    json_object_set_new(s, "fuse_shift", json_boolean(!a->unfused_shift));
    json_object_set_new(s, "weights", a->weights ? json_string(a->weights) : json_null());
    if (a->weights) json_object_set_new(s, "bn_eps", json_real(a->bn_eps));
    json_object_set_new(s, "input", a->input ? json_string(a->input) : json_null());
    /* what ran: layer, block, or auto (best's choice per block, in each record) */
    json_object_set_new(s, "fuse", json_string(a->fuse == EXEC_FUSE_AUTO && strcmp(a->impl, "best") ? "layer" : exec_fuse_name(a->fuse)));
    json_object_set_new(s, "tile_rows", a->tile_rows ? json_integer(a->tile_rows) : json_null());
    json_object_set_new(s, "tile_cache_bytes", json_integer((json_int_t)exec_block_cache()));
    return s;
}

static isa_level step_level(const executor *ex, int i) {
    return peak_run_level(ex->steps[i].k.impl->impl, kernel_info(&ex->steps[i].k));
}

/* The peak of the level step i's kernel runs at (0: none measured, or no MACs). */
static double step_peak(const executor *ex, int i, const cost *costs, const json_t *peak) {
    return peak && costs[i].macs ? peak_gflops_at(peak, step_level(ex, i)) : 0;
}

/* The table for people: on stdout, or on stderr when the JSON goes to stdout. Only the
 * layers that were timed: an interrupted run shows no zeros and no implementation for a
 * layer it never measured. */
static void print_table(FILE *f, const executor *ex, const net_timing *t, const cost *costs, const json_t *peaks) {
    double sum = 0;
    for (int i = 0; i < ex->nsteps; i++) sum += t->step[i].n ? t->step[i].stats.median : 0;
    double pass = t->pass.n ? t->pass.stats.median : sum;
    fprintf(f, "%-26s %-9s %-9s %-24s %10s %6s %9s %7s\n", "layer", "kind", "impl", "impl info", "median ms", "% pass",
           "GFLOP/s", peaks ? "% peak" : "");
    int above = 0, untimed = 0;
    for (int i = 0; i < ex->nsteps; i++) {
        const exec_step *st = &ex->steps[i];
        if (!t->step[i].n) { untimed++; continue; }
        double m = t->step[i].stats.median, gf = m > 0 ? costs[i].flops / m / 1e9 : 0, peak = step_peak(ex, i, costs, peaks);
        char pk[16] = "";
        if (peak > 0) {
            double pct = results_pct_peak(&costs[i], m, peak);
            snprintf(pk, sizeof pk, "%6.1f%s", pct, peak_mark(pct));
            above |= pct > 100;
        }
        fprintf(f, "%-26s %-9s %-9s %-24.24s %10.4f %5.1f%% %9.2f %7s\n", exec_step_name(ex, i),
               st->block >= 0 ? "block" : layer_kind(&st->k.d), st->k.impl->impl, kernel_info(&st->k), 1e3 * m, pass > 0 ? 100 * m / pass : 0, gf, pk);
    }
    if (peaks) fprintf(f, "%% peak: executed FLOPs (no padding taps, no shifted zero rows) against the FMA peak of the "
                          "ISA level each step ran at\n");
    peak_footnote(f, above);
    if (untimed) fprintf(f, "(%d layer%s not timed: interrupted)\n", untimed, untimed == 1 ? "" : "s");
    if (!t->pass.n) {
        fprintf(f, "sum of layer medians %.3f ms over %d pass%s; whole pass not timed (interrupted)\n", 1e3 * sum,
                t->reps, t->reps == 1 ? "" : "es");
        return;
    }
    double over = pass > 0 ? 100 * (sum - pass) / pass : 0;
    fprintf(f, "sum of layer medians %.3f ms; whole pass median %.3f ms (p10 %.3f, p90 %.3f, %d pass%s); "
           "per-layer timing overhead %+.1f%%%s\n", 1e3 * sum, 1e3 * pass, 1e3 * t->pass.stats.p10, 1e3 * t->pass.stats.p90,
           t->pass.n, t->pass.n == 1 ? "" : "es", over,
           over < 0 ? " (negative: the layers' medians sum to less than the whole pass's median; medians do not add, "
                      "and a few slow passes raise the pass's more than any layer's)" : "");
}

/* A fused block's record: op and kind "block", its input and output shapes, the tile, and
 * every IR layer inside it with that layer's analytic cost (so the layers' figures still
 * add up to the network's; the record's own cost is theirs fused: only the block's input,
 * output and weights reach memory). */
static void net_block_record(json_t *r, const executor *ex, int i) {
    const exec_step *st = &ex->steps[i];
    const network *net = ex->net;
    const ir_tensor *x = &net->tensors[st->in], *y = &net->tensors[st->out];
    json_object_set_new(r, "op", json_string("block"));
    json_object_set_new(r, "kind", json_string("block"));
    json_object_set_new(r, "shape", json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "n", x->n, "h", x->h, "w", x->w, "c", x->c,
                                              "oh", y->h, "ow", y->w, "oc", y->c));
    int rows, images, ntiles, across;
    uint64_t cache;
    exec_block_tiles(st->k.state, &rows, &images, &ntiles, &across, &cache);
    json_object_set_new(r, "tile", json_pack("{s:i,s:i,s:i,s:s,s:I}", "rows", rows, "images", images, "tiles", ntiles,
                                             "threads_split", across ? "tiles" : "rows", "cache_bytes", (json_int_t)cache));
    json_t *layers = json_array();
    for (int l = 0; l <= st->nfused; l++) {
        const ir_layer *L = &net->layers[l ? st->fused[l - 1] : st->layer];
        cost c;
        if (layer_cost(L, &c)) continue;
        json_array_append_new(layers, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "name", L->name, "op", op_name(L->d.kind),
                                                "kind", layer_kind(&L->d), "params", (json_int_t)c.params, "macs",
                                                (json_int_t)c.macs, "flops", (json_int_t)c.flops, "bytes", (json_int_t)c.bytes,
                                                "exec_macs", (json_int_t)c.exec_macs));
    }
    json_object_set_new(r, "layers", layers);
}

/* --input: a float32 .npy [N, 3, H, W] matching the network's input, as NHWC. NULL with
 * *status 2 (bad file) or 1 (a NaN or infinity in it). */
static float *load_input(const char *path, const network *net, int *status, char *err, size_t errlen) {
    npy_array a;
    *status = 2;
    if (npy_read(path, &a, err, errlen)) return NULL;
    size_t bad = first_nonfinite(a.data, a.n);
    if (bad < a.n) {
        set_err(err, errlen, "%s: holds %g at element %zu: the input must be finite", path, (double)a.data[bad], bad);
        *status = 1;
        npy_free(&a);
        return NULL;
    }
    const ir_tensor *x = &net->tensors[net->input];
    int64_t want[4] = { x->n, x->c, x->h, x->w };
    int same = a.ndim == 4;
    for (int i = 0; same && i < 4; i++) same = a.shape[i] == want[i];
    float *nhwc = same ? malloc(a.n * sizeof *nhwc) : NULL;
    if (!same) {
        char got[160], exp[160];
        set_err(err, errlen, "%s: shape %s does not match %s's input [N, C, H, W] = %s (--batch and --resolution set N "
                "and H = W)", path, npy_shape_str(a.ndim, a.shape, got, sizeof got), net->name,
                npy_shape_str(4, want, exp, sizeof exp));
    } else if (!nhwc) set_err(err, errlen, "out of memory");
    else checkpoint_nchw_to_nhwc(a.data, nhwc, x->n, x->c, x->h, x->w);
    npy_free(&a);
    return nhwc;
}

int cmd_net(int argc, char **argv) {
    net_args a;
    if (parse(argc, argv, &a)) return 2;
    char err[ERRLEN], path[1024];
    network net;
    if (network_load(a.net, &a.ov, &net, err, sizeof err)) return fail_msg("%s", err);
    int rc = 2;
    executor ex = { 0 };
    net_timing t = { 0 };
    counters *ctr = NULL;
    json_t *doc = NULL, *peak = NULL;
    cost *costs = NULL;
    network_cost nc = { 0 };
    checkpoint ck = { 0 };
    float *input = NULL, *logits = NULL;

    int above = a.threads ? context_threads_above_cores(a.threads) : 0;
    runtime_set_threads(a.threads);
    int threads = runtime_threads();
    if (a.out) snprintf(path, sizeof path, "%s", a.out);
    else {
        char impl[64];
        snprintf(impl, sizeof impl, "%s%s", a.impl, a.unfused_shift ? "-unfused" : "");
        results_default_path(path, sizeof path, "net", net.name, impl, threads, net.batch);
    }
    uint64_t need, avail = mem_available();
    if (network_cost_of(&net, &nc, err, sizeof err) || exec_footprint(&net, &need, err, sizeof err) ||
        results_check_writable(path, !a.out, err, sizeof err) ||
        (a.output && results_check_writable(a.output, 0, err, sizeof err))) {
        rc = fail_msg("%s", err);
        goto out;
    }
    if (avail && need > avail / 10 * 9) {
        rc = fail_msg("%s needs %.2f GB for weights and activations, more than the %.2f GB available", net.name,
                      need / 1e9, avail / 1e9);
        goto out;
    }
    if (a.weights && (checkpoint_open(&ck, a.weights, a.bn_eps, err, sizeof err) ||
                      checkpoint_check(&ck, &net, err, sizeof err))) {
        rc = fail_msg("%s", err);
        goto out;
    }
    /* non-finite weights or input: the run would compute NaN (exit 1, like a NaN mid-network) */
    if (a.weights && checkpoint_check_finite(&ck, &net, err, sizeof err)) {
        rc = fail_run("%s", err);
        goto out;
    }
    int input_status;
    if (a.input && !(input = load_input(a.input, &net, &input_status, err, sizeof err))) {
        rc = input_status == 1 ? fail_run("%s", err) : fail_msg("%s", err);
        goto out;
    }
    const char *const *evn = counters_default_events;
    int nev = counters_default_count;
    char *evbuf = NULL, *evlist[COUNTERS_MAX];
    if (a.events && strcmp(a.events, "default")) {
        nev = 0;
        if (strcmp(a.events, "none")) {
            if (!(evbuf = strdup(a.events))) { rc = fail_msg("out of memory"); goto out; }
            if (split_list(evbuf, evlist, COUNTERS_MAX, &nev, err, sizeof err)) {
                free(evbuf);
                rc = fail_msg("net: --events: %s", err);
                goto out;
            }
        }
        evn = (const char *const *)evlist;
    }
    ctr = counters_open(evn, nev, err, sizeof err);
    free(evbuf);
    if (!ctr) { rc = fail_msg("%s", err); goto out; }

    runtime_fix_openblas_core();
    signals_install();
    peak = get_peak(&a, threads, err, sizeof err);
    if (!peak && !a.no_peak) { rc = fail_msg("%s", err); goto out; }
    double t0 = now_sec();
    exec_opts eo = { .impl = a.impl, .seed = (uint64_t)a.seed, .best_time = a.best_time, .unfused_shift = a.unfused_shift,
                     .progress = plan_progress, .progress_ctx = &t0, .input = input, .fuse = a.fuse,
                     .tile = { .rows = a.tile_rows } };
    if (a.weights) {
        eo.weights = checkpoint_weights;
        eo.weights_ctx = &ck;
    }
    if (exec_plan(&ex, &net, &eo, err, sizeof err)) {
        if (isatty(2)) fputc('\n', stderr);
        rc = fail_msg("%s", err);
        goto out;
    }
    int bad = exec_first_nonfinite(&ex);
    if (bad >= 0) {
        if (isatty(2)) fputc('\n', stderr);
        rc = fail_run("%s: layer %s (%s) produced NaN or Inf; refusing to time it", net.name,
                      exec_step_name(&ex, bad), kernel_info(&ex.steps[bad].k));
        goto out;
    }
    /* planning ran every step once on the input: these are its logits, written once the
     * run has passed its checks and its results are written (a failed run leaves none) */
    const ir_tensor *yt = &net.tensors[net.output];
    size_t ny = (size_t)yt->n * yt->c;
    if (a.output && !(logits = malloc(ny * sizeof *logits))) { rc = fail_msg("out of memory"); goto out; }
    if (logits) memcpy(logits, exec_output(&ex), ny * sizeof *logits);
    if (net_time(&ex, &a.mo, ctr, progress, NULL, &t, err, sizeof err)) {
        rc = fail_msg("%s", err);
        goto out;
    }
    if (isatty(2)) fputc('\n', stderr);
    if (!t.reps && !t.pass.n) {   /* no table of zeros, no file of nothing */
        fprintf(stderr, "shiftbench: interrupted before anything was measured; nothing written\n");
        rc = EXIT_INTERRUPTED;
        goto out;
    }

    json_t *context = context_build();
    if (peak) json_object_set(context, "peak", peak);
    json_object_set_new(context, "settings", settings_json(&a, &ex, threads));
    json_object_set_new(json_object_get(context, "settings"), "threads_above_cores", json_boolean(above));
    json_t *events = json_object_get(json_object_get(context, "settings"), "events");
    for (int i = 0; i < counters_count(ctr); i++) json_array_append_new(events, json_string(counters_name(ctr, i)));
    doc = results_new("net", context);
    json_t *netj = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "name", net.name, "family", net.family, "description",
                             net.description, "params", (json_int_t)nc.total.params, "macs",
                             (json_int_t)nc.total.macs, "flops", (json_int_t)nc.total.flops, "bytes",
                             (json_int_t)nc.total.bytes);
    json_object_set_new(netj, "knobs", network_knobs_json(&net));
    json_object_set_new(doc, "network", netj);
    if (!(costs = calloc((size_t)ex.nsteps, sizeof *costs))) { rc = fail_msg("out of memory"); goto out; }
    uint64_t bytes_fused = 0;   /* what the steps move, fused as they run */
    for (int i = 0; i < ex.nsteps; i++) bytes_fused += exec_step_cost(&ex, i, &costs[i]) ? 0 : costs[i].bytes;
    json_object_set_new(netj, "bytes_fused", json_integer((json_int_t)bytes_fused));
    for (int i = 0; i < ex.nsteps; i++) {
        const exec_step *st = &ex.steps[i];
        const ir_layer *L = &net.layers[st->layer];
        if (t.step[i].n == 0) continue;   /* interrupted before its first pass */
        results_record_in in = { .name = exec_step_name(&ex, i), .d = st->block >= 0 ? NULL : &st->k.d,
                                 .impl = st->k.impl->impl, .impl_info = kernel_info(&st->k), .cost = &costs[i],
                                 .m = &t.step[i], .peak_gflops = step_peak(&ex, i, costs, peak) };
        json_t *r = results_record(&in);
        if (st->block >= 0) net_block_record(r, &ex, i);
        else if (ex.block_note && L->block >= 0 && ex.block_note[L->block][0])
            json_object_set_new(r, "block_fusion", json_string(ex.block_note[L->block]));
        json_object_set_new(json_object_get(r, "cost"), "bytes_layers", json_integer((json_int_t)exec_step_bytes_apart(&ex, i)));
        json_object_set_new(r, "stage", json_integer(L->stage));
        json_object_set_new(r, "block", json_string(L->block >= 0 ? net.blocks[L->block].name : ""));
        json_t *fused = json_array();
        for (int f = 0; f < st->nfused; f++) json_array_append_new(fused, json_string(net.layers[st->fused[f]].name));
        json_object_set_new(r, "fused", fused);
        results_add_record(doc, r);
    }
    if (t.pass.n) {
        isa_level top = ISA_PORTABLE;   /* the whole pass: the highest level any step ran at */
        for (int i = 0; i < ex.nsteps; i++)
            if (step_level(&ex, i) > top) top = step_level(&ex, i);
        results_record_in in = { .name = net.name, .impl = a.impl, .impl_info = a.impl, .cost = &nc.total, .m = &t.pass,
                                 .peak_gflops = peak ? peak_gflops_at(peak, top) : 0 };
        json_object_set_new(doc, "pass", results_record(&in));
    }
    results_set_complete(doc, !t.interrupted);
    print_table(strcmp(path, "-") ? stdout : stderr, &ex, &t, costs, peak);
    if (results_write(doc, path, err, sizeof err)) { rc = fail_msg("%s", err); goto out; }
    if (logits) {
        int64_t shape[2] = { yt->n, yt->c };
        if (npy_write(a.output, logits, 2, shape, err, sizeof err)) { rc = fail_msg("%s", err); goto out; }
        fprintf(stderr, "wrote logits %s\n", a.output);
    }
    fflush(stdout);   /* the table first, then the note, also when both go to one pipe */
    if (strcmp(path, "-")) fprintf(stderr, "wrote %s%s\n", path, t.interrupted ? " (interrupted: complete = false)" : "");
    rc = t.interrupted ? EXIT_INTERRUPTED : 0;
out:
    json_decref(peak);
    json_decref(doc);
    free(costs);
    net_timing_free(&t, ex.nsteps);
    exec_free(&ex);
    counters_close(ctr);
    network_cost_free(&nc);
    network_free(&net);
    checkpoint_close(&ck);
    free(input);
    free(logits);
    return rc;
}
