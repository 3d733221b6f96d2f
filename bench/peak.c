#include "peak.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "../kernels/runtime.h"
#include "../kernels/isa.h"
#include "../kernels/openblas_core.h"
#include "commands.h"
#include "context.h"
#include "peak_fma.h"
#include "results.h"
#include "signals.h"

/* Chain steps per FMA call, whatever the chain count: a few ms on any core. */
#define FMA_STEPS (1L << 23)

typedef struct {
    const peak_fma_loop *loop;
    int threads;
    volatile float sink;
    /* copy */
    unsigned char *src, *dst;
    size_t half;     /* bytes copied per pass */
    int passes;      /* passes per call, so small sets still take ~ms */
} peak_ctx;

static void run_fma(void *p) {
    peak_ctx *c = p;
    float s = 0;
    #pragma omp parallel num_threads(c->threads) reduction(+:s)
    s += c->loop->fn(FMA_STEPS / c->loop->chains);
    c->sink = s;
}

static void run_copy(void *p) {
    peak_ctx *c = p;
    #pragma omp parallel num_threads(c->threads)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t chunk = (c->half / (size_t)nt + 63) & ~(size_t)63;
        size_t lo = chunk * (size_t)t, hi = lo + chunk > c->half ? c->half : lo + chunk;
        for (int k = 0; k < c->passes && lo < hi; k++) {
            memcpy(c->dst + lo, c->src + lo, hi - lo);
            __asm__ __volatile__("" ::: "memory");   /* every pass really copies */
        }
    }
}

static void add_record(json_t *records, const char *name, const char *kind, const char *isa,
                       const measure_result *m, const char *rate_key, double rate, size_t bytes) {
    if (!records) return;
    results_record_in in = { .name = name, .impl = isa, .m = m };
    json_t *r = results_record(&in);
    json_object_set_new(r, "kind", json_string(kind));
    if (bytes) json_object_set_new(r, "bytes", json_integer((json_int_t)bytes));
    json_object_set_new(r, rate_key, json_real(rate));
    json_array_append_new(records, r);
}

/* One FMA loop on t threads: GFLOP/s from the fastest sample (the best of several runs,
 * each a few ms: a sample cut by the scheduler only lowers the median). */
static int measure_fma(peak_ctx *c, int t, const measure_opts *o, const char *level, json_t *records,
                       double *gflops, char *err, size_t errlen) {
    measure_result m;
    c->threads = t;
    *gflops = 0;
    int r = measure(run_fma, c, o, NULL, &m, err, errlen);
    if (!r && m.n) {
        long iters = FMA_STEPS / c->loop->chains;
        *gflops = c->loop->flops_per_step * iters * t / m.stats.min / 1e9;
        char name[48];
        snprintf(name, sizeof name, "fma.%s.c%d.t%d", level, c->loop->chains, t);
        add_record(records, name, "fma", level, &m, "gflops", *gflops, 0);
        json_t *rec = records ? json_array_get(records, json_array_size(records) - 1) : NULL;
        if (rec) json_object_set_new(rec, "chains", json_integer(c->loop->chains));
    }
    measure_result_free(&m);
    return r;
}

/* Level l: every chain count on one thread, the fastest on `threads` threads. */
static int measure_level(peak_ctx *c, isa_level l, int threads, const measure_opts *o, json_t *records,
                         peak_level *pl, char *err, size_t errlen) {
    const peak_fma_loop *loops;
    int n = peak_fma_loops(l, &loops), best = -1;
    for (int i = 0; i < n && !interrupted(); i++) {
        double g;
        c->loop = &loops[i];
        if (measure_fma(c, 1, o, isa_name(l), records, &g, err, errlen)) return -1;
        if (g > pl->gflops_per_core) { pl->gflops_per_core = g; best = i; }
    }
    if (best < 0) return 0;
    pl->measured = 1;
    pl->chains = loops[best].chains;
    pl->gflops = pl->gflops_per_core;
    c->loop = &loops[best];
    if (threads > 1 && !interrupted() && measure_fma(c, threads, o, isa_name(l), records, &pl->gflops, err, errlen))
        return -1;
    return 0;
}

int peak_measure(int threads, unsigned levels, const measure_opts *o, peak_result *p, json_t *records,
                 char *err, size_t errlen) {
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    memset(p, 0, sizeof *p);
    peak_ctx c = { 0 };
    p->threads = threads;
    p->isa = "none";
    const isa_level *lv;
    int nl = isa_levels(&lv);
    for (int i = 0; i < nl && !interrupted(); i++) {   /* lowest first: the best level's figures last */
        if ((levels && !(levels & (1u << lv[i]))) || !isa_supported(lv[i])) continue;
        peak_level *pl = &p->level[lv[i]];
        if (measure_level(&c, lv[i], threads, o, records, pl, err, errlen)) return -1;
        if (!pl->measured) continue;
        p->isa = isa_name(lv[i]);
        p->gflops_per_core = pl->gflops_per_core;
        p->gflops = pl->gflops;
    }
    c.threads = threads;
    for (int i = 0; i < PEAK_COPY_SIZES && !interrupted(); i++) {
        size_t ws = (size_t)32 << 10 << (i == 0 ? 0 : 2 * i + 1);   /* 32K, 256K, 1M, ... 256M */
        c.half = ws / 2;
        c.passes = (int)(((size_t)64 << 20) / ws);
        if (c.passes < 1) c.passes = 1;
        c.src = alloc_aligned(c.half);
        c.dst = alloc_aligned(c.half);
        if (!c.src || !c.dst) {
            free(c.src);
            free(c.dst);
            return set_err(err, errlen, "out of memory for a %zu-byte copy", ws);
        }
        memset(c.src, 1, c.half);   /* touch the pages outside timing */
        memset(c.dst, 0, c.half);
        measure_result m;
        int r = measure(run_copy, &c, o, NULL, &m, err, errlen);
        if (!r && m.n) {
            p->copy_bytes[p->ncopy] = ws;
            p->copy_gbs[p->ncopy] = (double)ws * c.passes / m.stats.median / 1e9;
            char name[48];
            snprintf(name, sizeof name, "copy.%zuKiB.t%d", ws >> 10, threads);
            add_record(records, name, "copy", "memcpy", &m, "gbs", p->copy_gbs[p->ncopy], ws);
            p->ncopy++;
        }
        measure_result_free(&m);
        free(c.src);
        free(c.dst);
        if (r) return -1;
    }
    p->interrupted = interrupted();
    return 0;
}

json_t *peak_json(const peak_result *p) {
    json_t *o = json_object(), *a = json_array();
    json_object_set_new(o, "gflops_per_core", json_real(p->gflops_per_core));
    json_object_set_new(o, "gflops", json_real(p->gflops));
    json_object_set_new(o, "threads", json_integer(p->threads));
    json_object_set_new(o, "isa", json_string(p->isa ? p->isa : "unknown"));
    json_t *lv = json_object();
    for (int l = 0; l < ISA_COUNT; l++)
        if (p->level[l].measured)
            json_object_set_new(lv, isa_name((isa_level)l), json_pack("{s:f,s:f,s:i}", "gflops_per_core",
                                p->level[l].gflops_per_core, "gflops", p->level[l].gflops, "chains", p->level[l].chains));
    json_object_set_new(o, "levels", lv);
    for (int i = 0; i < p->ncopy; i++)
        json_array_append_new(a, json_pack("[I,f]", (json_int_t)p->copy_bytes[i], p->copy_gbs[i]));
    json_object_set_new(o, "copy_gbs", a);
    return o;
}

isa_level peak_impl_level(const char *impl) {
    if (!strcmp(impl, "own")) return isa_active();
    if (!strcmp(impl, "ref")) return ISA_PORTABLE;
#if defined(__x86_64__) || defined(__i386__)
    if (!strcmp(impl, "openblas")) return openblas_core_level(runtime_openblas_core());
    if (!strcmp(impl, "onednn")) {
        const char *d = runtime_onednn_isa();
        return !strncmp(d, "avx512", 6) ? ISA_AVX512 : !strncmp(d, "avx2", 4) ? ISA_AVX2 : ISA_PORTABLE;
    }
#else
    if (!strcmp(impl, "openblas") || !strcmp(impl, "onednn")) return isa_best();
#endif
    isa_level m = isa_active(), dnn = peak_impl_level("onednn"), blas = peak_impl_level("openblas");
    if (dnn > m) m = dnn;
    if (blas > m) m = blas;
    return m;
}

isa_level peak_run_level(const char *impl, const char *info) {
    const char *dash = info ? strrchr(info, '-') : NULL;
    isa_level l;
    if (!strcmp(impl, "own") && dash && isa_parse(dash + 1, &l) == 0) return l;   /* own:conv1x1-avx2 */
#if defined(__x86_64__) || defined(__i386__)
    const char *colon = info ? strrchr(info, ':') : NULL;
    if (!strcmp(impl, "onednn") && colon) {                                        /* jit_1x1:avx2 */
        if (!strncmp(colon + 1, "avx512", 6)) return ISA_AVX512;
        if (!strncmp(colon + 1, "avx2", 4)) return ISA_AVX2;
    }
#endif
    return peak_impl_level(impl);
}

unsigned peak_impl_levels(const char *impl) {
    unsigned m = 0;
    const isa_level *lv;
    int n = isa_levels(&lv);
    for (int i = 0; i < n; i++)   /* own kernels may run any level up to isa_active() */
        if (lv[i] <= isa_active()) m |= 1u << lv[i];
    if (!strcmp(impl, "own")) return m;
    if (!strcmp(impl, "ref") || !strcmp(impl, "openblas") || !strcmp(impl, "onednn")) return 1u << peak_impl_level(impl);
    return m | 1u << peak_impl_level("onednn") | 1u << peak_impl_level("openblas");
}

double peak_gflops_at(const json_t *peak, isa_level l) {
    json_t *g = json_object_get(json_object_get(json_object_get(peak, "levels"), isa_name(l)), "gflops");
    if (!json_is_number(g)) g = json_object_get(peak, "gflops");
    double v = json_is_number(g) ? json_number_value(g) : 0;
    return v > 0 ? v : 0;
}

const char *peak_mark(double pct) { return pct > 100 ? "!" : " "; }

void peak_footnote(FILE *f, int any_above) {
    if (any_above)
        fprintf(f, "! above the measured peak of its ISA level: the peak is too low or the count too high "
                   "(records: above_peak)\n");
}

static int usage(FILE *f, int rc) {
    fprintf(f, "usage: shiftbench peak [--threads N] [--min-time S] [--min-reps N] [-o FILE|-]\n\n"
               "Measures the FMA peak of every ISA level this CPU runs (one thread and N threads;\n"
               "per level several accumulator counts, the fastest run of the fastest count) and\n"
               "memcpy bandwidth at working sets from 32 KiB to 256 MiB; prints a table and writes\n"
               "results JSON (kind \"peak\").\n\n"
               "  --threads N    threads for the all-thread figures (default: all online CPUs)\n"
               "  --min-time S   minimum timed seconds per measurement (default 0.2)\n"
               "  --min-reps N   minimum repetitions per measurement (default 5)\n"
               "  -o FILE        results file; '-' for stdout (default results/peak-...json)\n");
    return rc;
}

int cmd_peak(int argc, char **argv) {
    long threads = 0;
    const char *out = NULL;
    measure_opts o;
    measure_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout, 0);
        else if (!strcmp(a, "--threads") && v) { if (parse_long(v, 1, 4096, &threads)) return fail_msg("--threads: expected 1..4096, got '%s'", v); i++; }
        else if (!strcmp(a, "--min-time") && v) { if (parse_double(v, &o.min_time) || o.min_time < 0 || o.min_time > 3600) return fail_msg("--min-time: expected seconds in [0, 3600], got '%s'", v); i++; }
        else if (!strcmp(a, "--min-reps") && v) { if (parse_long(v, 1, 1000000, &n)) return fail_msg("--min-reps: expected 1..1000000, got '%s'", v); o.min_reps = (int)n; if (o.max_reps < o.min_reps) o.max_reps = o.min_reps; i++; }
        else if (!strcmp(a, "-o") && v) { out = v; i++; }
        else return fail_msg("peak: unknown or incomplete option '%s' (try: shiftbench peak --help)", a);
    }
    runtime_set_threads((int)threads);
    int nt = runtime_threads();
    char path[4096], err[ERRLEN];
    if (!out) results_default_path(path, sizeof path, "peak", "fma-copy", isa_name(isa_best()), nt, 1);
    else snprintf(path, sizeof path, "%s", out);
    if (results_check_writable(path, !out, err, sizeof err)) return fail_msg("%s", err);
    runtime_fix_openblas_core();
    signals_install();
    json_t *records = json_array();
    peak_result p;
    if (peak_measure(nt, 0, &o, &p, records, err, sizeof err)) { json_decref(records); return fail_run("%s", err); }
    FILE *tab = strcmp(path, "-") ? stdout : stderr;
    fprintf(tab, "%-10s %7s %14s %14s\n", "FMA level", "chains", "GFLOP/s 1 thr", "GFLOP/s all");
    for (int l = ISA_COUNT - 1; l >= 0; l--)
        if (p.level[l].measured)
            fprintf(tab, "%-10s %7d %14.1f %14.1f  (%d thread%s)\n", isa_name((isa_level)l), p.level[l].chains,
                    p.level[l].gflops_per_core, p.level[l].gflops, p.threads, p.threads == 1 ? "" : "s");
    fprintf(tab, "%12s  %10s\n", "copy set", "GB/s");
    for (int i = 0; i < p.ncopy; i++)
        fprintf(tab, "%9zu KiB  %10.1f\n", p.copy_bytes[i] >> 10, p.copy_gbs[i]);
    json_t *ctx = context_build();
    json_object_set_new(ctx, "settings", json_pack("{s:i,s:f,s:i,s:i,s:b}", "threads", nt,
                        "min_time_s", o.min_time, "min_reps", o.min_reps, "warmup", o.warmup, "cold", 0));
    json_object_set_new(ctx, "peak", peak_json(&p));
    json_t *doc = results_new("peak", ctx);
    json_object_set_new(doc, "records", records);
    results_set_complete(doc, !p.interrupted);
    int rc = results_write(doc, path, err, sizeof err);
    json_decref(doc);
    if (rc) return fail_run("%s", err);
    if (strcmp(path, "-")) fprintf(stderr, "wrote %s\n", path);
    return p.interrupted ? EXIT_INTERRUPTED : 0;
}
