#include "peak.h"

#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "../kernels/runtime.h"
#include "commands.h"
#include "context.h"
#include "results.h"
#include "signals.h"

/* FMA loops: independent accumulators (more than latency x FMA ports) so the loop is
 * throughput-bound; a = a*b + c with b < 1 converges, so no denormals or overflow. Built
 * per ISA with target attributes and picked at run time: CFLAGS carry no -march. */
#define FMA_ITERS (1L << 19)

__attribute__((target("avx512f,fma"))) static float fma_avx512(long iters) {
    __m512 a[16], b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
    for (int k = 0; k < 16; k++) a[k] = _mm512_set1_ps(1.0f + 0.01f * k);
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < 16; k++) a[k] = _mm512_fmadd_ps(a[k], b, c);
    for (int k = 1; k < 16; k++) a[0] = _mm512_add_ps(a[0], a[k]);
    return _mm512_reduce_add_ps(a[0]);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long iters) {
    __m256 a[12], b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
    for (int k = 0; k < 12; k++) a[k] = _mm256_set1_ps(1.0f + 0.01f * k);
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < 12; k++) a[k] = _mm256_fmadd_ps(a[k], b, c);
    for (int k = 1; k < 12; k++) a[0] = _mm256_add_ps(a[0], a[k]);
    float t[8];
    _mm256_storeu_ps(t, a[0]);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}

static float fma_scalar(long iters) {
    float a[8];
    for (int k = 0; k < 8; k++) a[k] = 1.0f + 0.01f * k;
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < 8; k++) a[k] = a[k] * 0.999999f + 1e-6f;
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

typedef struct {
    float (*fn)(long);
    double flops_per_iter;
    const char *isa;
} fma_kind;

static fma_kind fma_pick(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return (fma_kind){ fma_avx512, 16 * 16 * 2, "avx512f" };
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (fma_kind){ fma_avx2, 12 * 8 * 2, "avx2" };
    return (fma_kind){ fma_scalar, 8 * 2, "scalar" };
}

typedef struct {
    fma_kind k;
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
    s += c->k.fn(FMA_ITERS);
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

/* One FMA measurement with t threads: GFLOP/s from the median. */
static int measure_fma(peak_ctx *c, int t, const measure_opts *o, json_t *records, double *gflops,
                       char *err, size_t errlen) {
    measure_result m;
    c->threads = t;
    int r = measure(run_fma, c, o, NULL, &m, err, errlen);
    if (!r && m.n) {
        *gflops = c->k.flops_per_iter * FMA_ITERS * t / m.stats.median / 1e9;
        char name[32];
        snprintf(name, sizeof name, "fma.t%d", t);
        add_record(records, name, "fma", c->k.isa, &m, "gflops", *gflops, 0);
    }
    measure_result_free(&m);
    return r;
}

int peak_measure(int threads, const measure_opts *o, peak_result *p, json_t *records,
                 char *err, size_t errlen) {
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    memset(p, 0, sizeof *p);
    peak_ctx c = { .k = fma_pick() };
    p->threads = threads;
    p->isa = c.k.isa;
    if (measure_fma(&c, 1, o, records, &p->gflops_per_core, err, errlen)) return -1;
    if (threads == 1) p->gflops = p->gflops_per_core;
    else if (!interrupted() && measure_fma(&c, threads, o, records, &p->gflops, err, errlen)) return -1;
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
    for (int i = 0; i < p->ncopy; i++)
        json_array_append_new(a, json_pack("[I,f]", (json_int_t)p->copy_bytes[i], p->copy_gbs[i]));
    json_object_set_new(o, "copy_gbs", a);
    return o;
}

static int usage(FILE *f, int rc) {
    fprintf(f, "usage: shiftbench peak [--threads N] [--min-time S] [--min-reps N] [-o FILE|-]\n\n"
               "Measures the FMA peak (one thread and N threads) and memcpy bandwidth at working\n"
               "sets from 32 KiB to 256 MiB; prints a table and writes results JSON (kind \"peak\").\n\n"
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
    if (!out) results_default_path(path, sizeof path, "peak", "fma-copy", fma_pick().isa, nt, 1);
    else snprintf(path, sizeof path, "%s", out);
    if (results_check_writable(path, !out, err, sizeof err)) return fail_msg("%s", err);
    runtime_fix_openblas_core();
    signals_install();
    json_t *records = json_array();
    peak_result p;
    if (peak_measure(nt, &o, &p, records, err, sizeof err)) { json_decref(records); return fail_run("%s", err); }
    FILE *tab = strcmp(path, "-") ? stdout : stderr;
    fprintf(tab, "FMA (%s): %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d thread%s\n",
            p.isa, p.gflops_per_core, p.gflops, p.threads, p.threads == 1 ? "" : "s");
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
