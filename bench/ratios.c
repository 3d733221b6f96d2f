/* shiftbench ratios: the performance goals (README "Performance"), each a ratio of two
 * things measured side by side in one process: the sides of a ratio run interleaved
 * (every round runs each side once, the first side rotating from round to round) and the
 * ratio is one of medians. Threads 1 and all cores, batch 1 and 8, the ResNet-50 stage
 * shapes (56x56x64, 56x56x256, 28x28x128, 14x14x256, 7x7x512):
 *   P1  unfused shift (own, 4C and 8C) vs memcpy of the same bytes: >= 0.8 of its bandwidth
 *   P2  fused shift+1x1 vs the plain 1x1 of the same shape, same family: <= 1.03x its time
 *   P3  our fastest fused shift+1x1 vs oneDNN's and XNNPACK's plain 1x1: >= 0.9x its throughput
 *   P4  resnet50, best implementation per layer: >= 75% of the measured FMA peak
 *   P5  multi-shift-4c-50 / resnet50 latency, best each: <= 0.62 (MACs: 0.60); again with
 *       every block run depth-first (net --fuse block), and each network fused vs layer by layer
 *   P6  the shift as people write it (each library's one-hot depthwise 3x3 + its 1x1, and
 *       the masked dense 3x3) vs our fused shift+1x1: slower, i.e. its time > 1x ours
 * and the whole-network overhead: the sum of the layers' medians (each timed inside the
 * pass) against the pass timed alone. One line per measurement, a summary per goal,
 * results JSON (kind "ratios", results/SCHEMA.md). */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analysis/cost.h"
#include "../common/util.h"
#include "../kernels/isa.h"
#include "../kernels/kernel.h"
#include "../kernels/own_vec.h"
#include "../kernels/runtime.h"
#include "commands.h"
#include "context.h"
#include "exec.h"
#include "measure.h"
#include "net_timing.h"
#include "peak.h"
#include "results.h"
#include "signals.h"

#define MAX_LIST 8
#define MAX_SIDES 8
#define SAMPLE_MIN_S 0.0005   /* a sample runs the work this long at least (batched runs) */
#define MAX_ROUNDS 20000

static const struct { int hw, c; } SHAPES[] = { { 56, 64 }, { 56, 256 }, { 28, 128 }, { 14, 256 }, { 7, 512 } };
#define NSHAPES ((int)(sizeof SHAPES / sizeof *SHAPES))

/* The goals. */
#define P1_GOAL 0.8
#define P2_GOAL 1.03
#define P3_GOAL 0.9
#define P4_GOAL 75.0
#define P5_GOAL 0.62
#define P6_GOAL 1.0

typedef struct {
    int threads[MAX_LIST], nthreads;
    int batch[MAX_LIST], nbatch;
    double min_time;        /* kernels: seconds of timed runs per side at least */
    int min_reps;           /* kernels: samples per side at least */
    double net_min_time;    /* networks: seconds of passes per side */
    int net_min_reps;
    double best_time;       /* `best` planning: seconds per candidate */
    int quick;
    unsigned parts;         /* bit p-1: Pp (P4 and P5, the network part, always together) */
    const char *out;
    const char *threads_arg, *batch_arg;
    const char *isa;        /* --isa LEVEL, or NULL */
} ropts;

/* Per goal: how many lines met / were measured, and the worst line. */
typedef struct {
    int met, total;
    double worst;
    char worst_name[160];
    int lower_is_better;
} summary;

/* ---- interleaved measurement --------------------------------------------------------- */

typedef struct {
    char label[96];          /* what the record is called */
    const char *impl;        /* own, openblas, onednn, memcpy, best */
    const char *info;        /* what actually ran */
    void (*fn)(void *ctx);
    void *ctx;
    op_desc d;
    int has_d;
    cost c;
    int has_cost;
    int batch;               /* runs per sample */
    double total;
    measure_result m;        /* samples: seconds per run */
} side;

static void side_free(side *s) { measure_result_free(&s->m); }

/* Runs the sides round-robin until each has min_reps samples and min_time seconds. */
static int interleave(side *sv, int n, double min_time, int min_reps, char *err, size_t errlen) {
    int cap = 256;
    for (int i = 0; i < n; i++) {
        memset(&sv[i].m, 0, sizeof sv[i].m);
        sv[i].total = 0;
        if (!(sv[i].m.samples = malloc((size_t)cap * sizeof(double)))) return set_err(err, errlen, "out of memory");
    }
    for (int i = 0; i < n; i++) {   /* warm-up, and how many runs make a sample */
        sv[i].fn(sv[i].ctx);
        double t0 = now_sec();
        sv[i].fn(sv[i].ctx);
        double t = now_sec() - t0;
        sv[i].batch = t >= SAMPLE_MIN_S ? 1 : (int)(SAMPLE_MIN_S / (t > 1e-7 ? t : 1e-7)) + 1;
        if (sv[i].batch > 1000) sv[i].batch = 1000;
    }
    for (int r = 0; r < MAX_ROUNDS && !interrupted(); r++) {
        int done = 1;
        for (int i = 0; i < n; i++)
            if (sv[i].m.n < min_reps || sv[i].total < min_time) done = 0;
        if (done) break;
        if (r == cap) {
            cap *= 2;
            for (int i = 0; i < n; i++) {
                double *s = realloc(sv[i].m.samples, (size_t)cap * sizeof(double));
                if (!s) return set_err(err, errlen, "out of memory");
                sv[i].m.samples = s;
            }
        }
        for (int j = 0; j < n; j++) {
            side *s = &sv[(r + j) % n];
            double t0 = now_sec();
            for (int b = 0; b < s->batch; b++) s->fn(s->ctx);
            double t = now_sec() - t0;
            s->total += t;
            s->m.samples[s->m.n++] = t / s->batch;
        }
    }
    for (int i = 0; i < n; i++) {
        sv[i].m.interrupted = interrupted();
        if (sv[i].m.n) stats_compute(sv[i].m.samples, sv[i].m.n, &sv[i].m.stats);
    }
    return 0;
}

/* The record of a side, its % of peak against the peak of its implementation's level. */
static json_t *side_json(const side *s, const json_t *peaks) {
    double peak = peaks && s->has_cost && s->c.macs ? peak_gflops_at(peaks, peak_run_level(s->impl, s->info)) : 0;
    results_record_in in = { .name = s->label, .d = s->has_d ? &s->d : NULL, .impl = s->impl,
                             .impl_info = s->info, .cost = s->has_cost ? &s->c : NULL, .m = &s->m,
                             .peak_gflops = peak };
    json_t *r = results_record(&in);
    json_object_set_new(r, "runs_per_sample", json_integer(s->batch));
    return r;
}

/* ---- the work ---------------------------------------------------------------------- */

typedef struct { kernel k; const float *in; float *out; } krun;
static void run_kernel(void *p) { krun *r = p; kernel_run(&r->k, r->in, NULL, r->out); }

typedef struct { float *dst; const float *src; size_t bytes; int threads; } copy_ctx;
static void run_copy(void *p) {
    copy_ctx *c = p;
    if (c->threads <= 1) { memcpy(c->dst, c->src, c->bytes); return; }
    #pragma omp parallel num_threads(c->threads)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t chunk = (c->bytes / (size_t)nt + 63) & ~(size_t)63;
        size_t lo = chunk * (size_t)t, hi = lo + chunk > c->bytes ? c->bytes : lo + chunk;
        if (lo < hi) memcpy((char *)c->dst + lo, (const char *)c->src + lo, hi - lo);
    }
}

/* A plain copy loop at our kernels' level (own_vec.h; streaming stores past 16 MiB like
 * own shift): what any kernel that stores vectors can reach, against memcpy's rep movsb,
 * which writes whole lines without reading them first. */
static void run_vcopy(void *p) {
    copy_ctx *c = p;
    size_t n = c->bytes / sizeof(float);
    int nt = 2 * c->bytes > ((size_t)16 << 20) && ((uintptr_t)c->dst & 63) == 0;
    const own_vec_ukernels *uk = own_vec_for(isa_active());
    #pragma omp parallel num_threads(c->threads) if (c->threads > 1)
    {
        int t = omp_get_thread_num(), nth = omp_get_num_threads();
        size_t chunk = (n / (size_t)nth + 15) & ~(size_t)15;
        size_t lo = chunk * (size_t)t, hi = lo + chunk > n ? n : lo + chunk;
        if (lo < hi) uk->copy(c->dst + lo, c->src + lo, (long)(hi - lo), nt);
    }
}

static void forward(void *ex) { exec_forward(ex); }

static uint64_t rng_state = 1;
static FILE *tab;   /* the table: stdout, or stderr when the results go to stdout */
static float *random_buf(size_t n, float scale) {
    float *p = alloc_aligned((n ? n : 1) * sizeof(float));
    if (p) exec_fill_random(p, n, scale, &rng_state);
    return p;
}

/* ---- output ------------------------------------------------------------------------- */

static void note(summary *s, const char *name, double ratio, int met) {
    s->total++;
    s->met += met;
    int worse = s->total == 1 || (s->lower_is_better ? ratio > s->worst : ratio < s->worst);
    if (worse) { s->worst = ratio; snprintf(s->worst_name, sizeof s->worst_name, "%s", name); }
}

static json_t *ratio_record(const char *goal_id, const char *name, double ratio, const char *op, double goal,
                            int met, int threads, int batch) {
    return json_pack("{s:s,s:s,s:f,s:s,s:f,s:b,s:i,s:i}", "goal_id", goal_id, "name", name, "ratio", ratio,
                     "goal_op", op, "goal", goal, "met", met, "threads", threads, "batch", batch);
}

static double median_of(const side *s) { return s->m.n ? s->m.stats.median : NAN; }
static double gflops_of(const side *s) { return s->has_cost && s->m.n ? s->c.flops / s->m.stats.median / 1e9 : 0; }

/* ---- P1: shift vs memcpy --------------------------------------------------------------- */

static int part_p1(const ropts *o, int T, int B, json_t *doc, summary *sum, char *err, size_t errlen) {
    for (int si = 0; si < NSHAPES && !interrupted(); si++) {
        int hw = SHAPES[si].hw, c = SHAPES[si].c;
        size_t n = (size_t)B * hw * hw * c;
        float *in = random_buf(n, 1.0f), *out = alloc_aligned(n * sizeof(float));
        if (!in || !out) { free(in); free(out); return set_err(err, errlen, "out of memory"); }
        memset(out, 0, n * sizeof(float));
        side sv[4];
        krun kr[2];
        copy_ctx cc = { out, in, n * sizeof(float), T };
        memset(sv, 0, sizeof sv);
        memset(kr, 0, sizeof kr);
        int ok = 1;
        for (int ci = 0; ci < 2 && ok; ci++) {
            int conn = ci ? 8 : 4;
            op_desc d = { .kind = OP_SHIFT, .n = B, .h = hw, .w = hw, .c = c, .conn = conn };
            const kernel_impl *ki = kernel_find(OP_SHIFT, "own");
            if (!ki || kernel_create(&kr[ci].k, ki, &d, NULL, NULL, err, errlen)) { ok = 0; break; }
            kr[ci].in = in; kr[ci].out = out;
            kernel_bind(&kr[ci].k, in, NULL, out);
            side *s = &sv[ci];
            snprintf(s->label, sizeof s->label, "own shift %dC %dx%dx%d b%d t%d", conn, hw, hw, c, B, T);
            s->impl = "own"; s->info = kernel_info(&kr[ci].k);
            s->fn = run_kernel; s->ctx = &kr[ci];
            s->d = kr[ci].k.d; s->has_d = 1;
            op_cost(&s->d, &s->c); s->has_cost = 1;
        }
        if (!ok) { if (kr[0].k.impl) kernel_destroy(&kr[0].k); free(in); free(out); return -1; }
        side *ms = &sv[2];
        snprintf(ms->label, sizeof ms->label, "memcpy %zu bytes t%d", n * sizeof(float), T);
        ms->impl = ms->info = "memcpy";
        ms->fn = run_copy; ms->ctx = &cc;
        side *vs = &sv[3];
        const char *lvl = isa_name(isa_active());
        char vinfo[32];
        snprintf(vs->label, sizeof vs->label, "%s copy loop %zu bytes t%d", lvl, n * sizeof(float), T);
        snprintf(vinfo, sizeof vinfo, "%s-copy", lvl);
        vs->impl = vs->info = vinfo;
        vs->fn = run_vcopy; vs->ctx = &cc;
        int rc = interleave(sv, 4, o->min_time, o->min_reps, err, errlen);
        double tm = median_of(ms), tv = median_of(vs), bytes = 2.0 * n * sizeof(float);
        for (int ci = 0; ci < 2 && !rc; ci++) {
            double ts = median_of(&sv[ci]), ratio = tm / ts;
            int met = ratio >= P1_GOAL;
            char name[160];
            snprintf(name, sizeof name, "P1 own shift %dC %dx%dx%d b%d t%d", ci ? 8 : 4, hw, hw, c, B, T);
            fprintf(tab, "%-44s %6.3fx memcpy bandwidth (goal >= %.2f) %-6s  (shift %8.1f us %6.1f GB/s, memcpy %6.1f GB/s, "
                   "%s copy loop %6.1f GB/s = %.2fx memcpy)\n", name, ratio, P1_GOAL, met ? "met" : "MISSED", 1e6 * ts,
                   bytes / ts / 1e9, bytes / tm / 1e9, lvl, bytes / tv / 1e9, tm / tv);
            note(sum, name, ratio, met);
            json_t *r = ratio_record("P1", name, ratio, ">=", P1_GOAL, met, T, B);
            json_object_set_new(r, "bytes_moved", json_integer((json_int_t)bytes));
            json_object_set_new(r, "a", side_json(&sv[ci], NULL));
            json_object_set_new(r, "b", side_json(ms, NULL));
            json_object_set_new(r, "vector_copy", side_json(vs, NULL));
            json_object_set_new(r, "vector_copy_ratio", json_real(tm / tv));
            results_add_record(doc, r);
        }
        fflush(tab);
        for (int i = 0; i < 4; i++) side_free(&sv[i]);
        kernel_destroy(&kr[0].k);
        kernel_destroy(&kr[1].k);
        free(in); free(out);
        if (rc) return -1;
    }
    return 0;
}

/* ---- P2, P3: fused vs plain 1x1, ours vs oneDNN ---------------------------------------- */

enum { OWN_SC4, OWN_SC8, OWN_CONV, BLAS_SC4, BLAS_SC8, BLAS_CONV, DNN_CONV, XNN_CONV, NK };

static int part_p23(const ropts *o, int T, int B, const json_t *peak, json_t *doc, summary *s2, summary *s2b, summary *s3,
                    char *err, size_t errlen) {
    static const struct { op_kind op; const char *impl; int conn; const char *what; } K[NK] = {
        { OP_SHIFTCONV, "own", 4, "shiftconv 4C" }, { OP_SHIFTCONV, "own", 8, "shiftconv 8C" },
        { OP_CONV, "own", 0, "conv1x1" },
        { OP_SHIFTCONV, "openblas", 4, "shiftconv 4C" }, { OP_SHIFTCONV, "openblas", 8, "shiftconv 8C" },
        { OP_CONV, "openblas", 0, "conv1x1" }, { OP_CONV, "onednn", 0, "conv1x1" },
        { OP_CONV, "xnnpack", 0, "conv1x1" },
    };
    for (int si = 0; si < NSHAPES && !interrupted(); si++) {
        int hw = SHAPES[si].hw, c = SHAPES[si].c, oc = c;
        size_t nin = (size_t)B * hw * hw * c, nout = (size_t)B * hw * hw * oc;
        float *in = random_buf(nin, 1.0f), *out = alloc_aligned(nout * sizeof(float));
        float *w = random_buf((size_t)oc * c, (float)sqrt(3.0 / c)), *bias = random_buf((size_t)oc, 0.1f);
        if (!in || !out || !w || !bias) { free(in); free(out); free(w); free(bias); return set_err(err, errlen, "out of memory"); }
        memset(out, 0, nout * sizeof(float));
        side sv[NK];
        krun kr[NK];
        int idx[NK], ns = 0;   /* side of each kernel, -1 when it does not run the shape */
        memset(sv, 0, sizeof sv);
        memset(kr, 0, sizeof kr);
        for (int k = 0; k < NK; k++) {
            idx[k] = -1;
            op_desc d = { .kind = K[k].op, .n = B, .h = hw, .w = hw, .c = c, .oc = oc, .kh = 1, .kw = 1, .stride = 1,
                          .conn = K[k].conn };
            const kernel_impl *ki = kernel_find(K[k].op, K[k].impl);
            char why[ERRLEN];
            if (!ki || kernel_create(&kr[k].k, ki, &d, w, bias, why, sizeof why)) {
                fprintf(stderr, "shiftbench: note: %s %s does not run %dx%dx%d: %s\n", K[k].impl, K[k].what, hw, hw, c,
                        ki ? why : "not registered");
                continue;
            }
            kr[k].in = in; kr[k].out = out;
            kernel_bind(&kr[k].k, in, NULL, out);
            side *s = &sv[ns];
            snprintf(s->label, sizeof s->label, "%s %s %dx%dx%d->%d b%d t%d", K[k].impl, K[k].what, hw, hw, c, oc, B, T);
            s->impl = K[k].impl; s->info = kernel_info(&kr[k].k);
            s->fn = run_kernel; s->ctx = &kr[k];
            s->d = kr[k].k.d; s->has_d = 1;
            op_cost(&s->d, &s->c); s->has_cost = 1;
            idx[k] = ns++;
        }
        int rc = interleave(sv, ns, o->min_time, o->min_reps, err, errlen);
        #define SIDE(k) (idx[k] >= 0 ? &sv[idx[k]] : NULL)
        /* P2: fused / plain, per family and connectivity */
        for (int f = 0; f < 2 && !rc; f++)
            for (int ci = 0; ci < 2; ci++) {
                side *a = SIDE(f ? (ci ? BLAS_SC8 : BLAS_SC4) : (ci ? OWN_SC8 : OWN_SC4)), *b = SIDE(f ? BLAS_CONV : OWN_CONV);
                if (!a || !b) continue;
                double ratio = median_of(a) / median_of(b);
                int met = ratio <= P2_GOAL;
                /* "met" against a slow plain 1x1 says little: against the fastest plain 1x1
                 * measured here the fused op may still miss (openblas P2 0.29x). */
                const side *fast = b;
                static const int plain[] = { OWN_CONV, BLAS_CONV, DNN_CONV };
                for (int k = 0; k < 3; k++)
                    if (idx[plain[k]] >= 0 && median_of(&sv[idx[plain[k]]]) < median_of(fast)) fast = &sv[idx[plain[k]]];
                double vs_fast = median_of(a) / median_of(fast);
                int slow_base = met && vs_fast > P2_GOAL;
                char name[160], flag[128] = "";
                if (slow_base)
                    snprintf(flag, sizeof flag, " [met only against a slow baseline: %.3fx the fastest plain 1x1, %s]", vs_fast,
                             fast->impl);
                snprintf(name, sizeof name, "P2 %s shiftconv %dC %dx%dx%d->%d b%d t%d", a->impl, ci ? 8 : 4, hw, hw, c, oc, B, T);
                fprintf(tab, "%-44s %6.3fx the plain 1x1's time (goal <= %.2f) %-6s  (shiftconv %8.1f us %5.0f GFLOP/s, conv1x1 %8.1f us %5.0f GFLOP/s)%s\n",
                       name, ratio, P2_GOAL, met ? "met" : "MISSED", 1e6 * median_of(a), gflops_of(a), 1e6 * median_of(b), gflops_of(b),
                       flag);
                note(f ? s2b : s2, name, ratio, met);
                json_t *r = ratio_record("P2", name, ratio, "<=", P2_GOAL, met, T, B);
                json_object_set_new(r, "vs_fastest_plain", json_real(vs_fast));
                json_object_set_new(r, "met_only_against_slow_baseline", json_boolean(slow_base));
                json_object_set_new(r, "a", side_json(a, peak));
                json_object_set_new(r, "b", side_json(b, peak));
                results_add_record(doc, r);
            }
        /* P3: our fastest fused path / a library's plain 1x1 (oneDNN, XNNPACK), throughput */
        for (int li = 0; li < 2 && !rc; li++) {
            side *lib = SIDE(li ? XNN_CONV : DNN_CONV);
            for (int ci = 0; ci < 2 && lib; ci++) {
                side *a = SIDE(ci ? OWN_SC8 : OWN_SC4), *b = SIDE(ci ? BLAS_SC8 : BLAS_SC4);
                if (!a || (b && median_of(b) < median_of(a))) a = b;
                if (!a) continue;
                double ratio = median_of(lib) / median_of(a);
                int met = ratio >= P3_GOAL;
                char name[160];
                snprintf(name, sizeof name, "P3 %s shiftconv %dC %dx%dx%d->%d b%d t%d%s", a->impl, ci ? 8 : 4, hw, hw, c, oc,
                         B, T, li ? " vs xnnpack" : "");
                fprintf(tab, "%-44s %6.3fx %s conv1x1 throughput (goal >= %.2f) %-6s  (fused %8.1f us %5.0f GFLOP/s, %s %s %8.1f us %5.0f GFLOP/s)\n",
                       name, ratio, lib->impl, P3_GOAL, met ? "met" : "MISSED", 1e6 * median_of(a), gflops_of(a), lib->impl,
                       lib->info, 1e6 * median_of(lib), gflops_of(lib));
                note(s3, name, ratio, met);
                json_t *r = ratio_record("P3", name, ratio, ">=", P3_GOAL, met, T, B);
                json_object_set_new(r, "a", side_json(a, peak));
                json_object_set_new(r, "b", side_json(lib, peak));
                results_add_record(doc, r);
            }
        }
        #undef SIDE
        fflush(tab);
        for (int i = 0; i < ns; i++) side_free(&sv[i]);
        for (int k = 0; k < NK; k++) if (kr[k].k.impl) kernel_destroy(&kr[k].k);
        free(in); free(out); free(w); free(bias);
        if (rc) return -1;
    }
    return 0;
}

/* ---- P6: the fused shift+1x1 vs the shift as people write it ------------------------- */

/* A shift kernel into tmp, then a 1x1 conv kernel from it (the unfused form); or one
 * kernel (no shift.impl) from in. */
typedef struct { kernel shift, conv; const float *in; float *tmp, *out; char info[96]; } chain_run;
static void run_chain(void *p) {
    chain_run *r = p;
    if (r->shift.impl) kernel_run(&r->shift, r->in, NULL, r->tmp);
    kernel_run(&r->conv, r->shift.impl ? r->tmp : r->in, NULL, r->out);
}

static int part_p6(const ropts *o, int T, int B, const json_t *peak, json_t *doc, summary *s6, char *err, size_t errlen) {
    /* The forms: a library's one-hot depthwise shift then its own 1x1, or its masked 3x3. */
    static const struct { const char *shift, *conv; const char *what; } F[] = {
        { "onednn-dw", "onednn", "onednn-dw+1x1" }, { "xnnpack-dw", "xnnpack", "xnnpack-dw+1x1" },
        { NULL, "onednn-masked3x3", "onednn-masked3x3" }, { NULL, "xnnpack-masked3x3", "xnnpack-masked3x3" },
    };
    enum { NF = sizeof F / sizeof *F };
    for (int si = 0; si < NSHAPES && !interrupted(); si++) {
        int hw = SHAPES[si].hw, c = SHAPES[si].c;
        size_t n = (size_t)B * hw * hw * c;
        float *in = random_buf(n, 1.0f), *tmp = alloc_aligned(n * sizeof(float)), *out = alloc_aligned(n * sizeof(float));
        float *w = random_buf((size_t)c * c, (float)sqrt(3.0 / c)), *bias = random_buf((size_t)c, 0.1f);
        if (!in || !tmp || !out || !w || !bias) {
            free(in); free(tmp); free(out); free(w); free(bias);
            return set_err(err, errlen, "out of memory");
        }
        memset(tmp, 0, n * sizeof(float));
        memset(out, 0, n * sizeof(float));
        int rc = 0;
        for (int ci = 0; ci < 2 && !rc && !interrupted(); ci++) {
            int conn = ci ? 8 : 4;
            op_desc sc = { .kind = OP_SHIFTCONV, .n = B, .h = hw, .w = hw, .c = c, .oc = c, .stride = 1, .conn = conn };
            op_desc sh = { .kind = OP_SHIFT, .n = B, .h = hw, .w = hw, .c = c, .conn = conn };
            op_desc cv = { .kind = OP_CONV, .n = B, .h = hw, .w = hw, .c = c, .oc = c, .kh = 1, .kw = 1, .stride = 1 };
            if (op_check(&sc, err, errlen)) { rc = -1; break; }
            side sv[1 + NF];
            chain_run cr[1 + NF];
            int of[1 + NF], ns = 0;   /* the form of each side; side 0 is ours */
            memset(sv, 0, sizeof sv);
            memset(cr, 0, sizeof cr);
            for (int f = -1; f < NF; f++) {
                chain_run *r = &cr[ns];
                memset(r, 0, sizeof *r);
                const char *impl = f < 0 ? "own" : F[f].conv;
                const kernel_impl *ks = f >= 0 && F[f].shift ? kernel_find(OP_SHIFT, F[f].shift) : NULL;
                const kernel_impl *kc = kernel_find(f >= 0 && F[f].shift ? OP_CONV : OP_SHIFTCONV, impl);
                char why[ERRLEN] = "not registered";
                int ok = kc && (f < 0 || !F[f].shift || ks);
                if (ok && ks && kernel_create(&r->shift, ks, &sh, NULL, NULL, why, sizeof why)) ok = 0;
                if (ok && kernel_create(&r->conv, kc, ks ? &cv : &sc, w, bias, why, sizeof why)) {
                    if (ks) kernel_destroy(&r->shift);
                    ok = 0;
                }
                if (!ok) {
                    if (f < 0) { rc = set_err(err, errlen, "own shiftconv: %s", why); break; }
                    fprintf(stderr, "shiftbench: note: %s does not run %dx%dx%d %dC: %s\n", F[f].what, hw, hw, c, conn, why);
                    continue;
                }
                r->in = in; r->tmp = tmp; r->out = out;
                if (ks) {
                    kernel_bind(&r->shift, in, NULL, tmp);
                    kernel_bind(&r->conv, tmp, NULL, out);
                } else kernel_bind(&r->conv, in, NULL, out);
                side *s = &sv[ns];
                snprintf(s->label, sizeof s->label, "%s %dC %dx%dx%d b%d t%d", f < 0 ? "own shiftconv" : F[f].what, conn, hw, hw,
                         c, B, T);
                s->impl = f < 0 ? "own" : F[f].what;
                snprintf(r->info, sizeof r->info, "%s%s%s", ks ? kernel_info(&r->shift) : "", ks ? "+" : "",
                         kernel_info(&r->conv));
                s->info = r->info;
                s->fn = run_chain;
                s->ctx = r;
                s->d = sc;   /* every side does the same work: the shift+1x1's */
                s->has_d = 1;
                op_cost(&s->d, &s->c); s->has_cost = 1;
                of[ns++] = f;
            }
            if (!rc) rc = interleave(sv, ns, o->min_time, o->min_reps, err, errlen);
            for (int i = 1; i < ns && !rc; i++) {
                double ratio = median_of(&sv[i]) / median_of(&sv[0]);
                int met = ratio > P6_GOAL;
                char name[160];
                snprintf(name, sizeof name, "P6 %s %dC %dx%dx%d b%d t%d", F[of[i]].what, conn, hw, hw, c, B, T);
                fprintf(tab, "%-44s %6.3fx our fused time (goal > %.2f) %-6s  (%s %8.1f us, own fused %8.1f us %5.0f GFLOP/s)\n",
                        name, ratio, P6_GOAL, met ? "met" : "MISSED", sv[i].info, 1e6 * median_of(&sv[i]),
                        1e6 * median_of(&sv[0]), gflops_of(&sv[0]));
                note(s6, name, ratio, met);
                json_t *r = ratio_record("P6", name, ratio, ">", P6_GOAL, met, T, B);
                json_object_set_new(r, "a", side_json(&sv[i], NULL));
                json_object_set_new(r, "b", side_json(&sv[0], peak));
                results_add_record(doc, r);
            }
            fflush(tab);
            for (int i = 0; i < ns; i++) {
                side_free(&sv[i]);
                kernel_destroy(&cr[i].shift);
                kernel_destroy(&cr[i].conv);
            }
        }
        free(in); free(tmp); free(out); free(w); free(bias);
        if (rc) return -1;
    }
    return 0;
}

/* ---- P4, P5 and the overhead: whole networks ---------------------------------------------- */

/* Per op kind: time (sum of step medians) and flops, for the explanation lines. */
static void breakdown(const executor *ex, const net_timing *t, const char *netname, const char *tag) {
    const char *kinds[16];
    double ms[16] = { 0 }, fl[16] = { 0 }, total = 0;
    int nk = 0;
    for (int i = 0; i < ex->nsteps; i++) {
        const char *k = layer_kind(&ex->steps[i].k.d);
        int j = 0;
        while (j < nk && strcmp(kinds[j], k)) j++;
        if (j == nk && nk < 16) kinds[nk++] = k;
        if (j >= 16) continue;
        cost c;
        exec_step_cost(ex, i, &c);
        ms[j] += 1e3 * t->step[i].stats.median;
        fl[j] += (double)c.flops;
        total += 1e3 * t->step[i].stats.median;
    }
    fprintf(tab, "    %s %s:", netname, tag);
    for (int j = 0; j < nk; j++)
        fprintf(tab, " %s %.2f ms (%.0f%%, %.0f GFLOP/s)%s", kinds[j], ms[j], 100 * ms[j] / total, ms[j] > 0 ? fl[j] / ms[j] / 1e6 : 0,
               j + 1 < nk ? ";" : "\n");
}

static int part_net(const ropts *o, int T, int B, const json_t *peaks, json_t *doc, summary *s4, summary *s5,
                    char *err, size_t errlen) {
    static const char *const names[2] = { "resnet50", "multi-shift-4c-50" };
    network net[2];
    network_cost nc[2];
    executor ex[4];   /* best layer by layer; then own with every block fused (exec_block.h) */
    net_timing nt[2];
    memset(net, 0, sizeof net); memset(nc, 0, sizeof nc); memset(ex, 0, sizeof ex); memset(nt, 0, sizeof nt);
    char kv[32];
    snprintf(kv, sizeof kv, "batch=%d", B);
    ir_overrides ov = { .n = 1, .kv = { kv } };
    int rc = 0;
    uint64_t need = 0, avail = mem_available();
    for (int i = 0; i < 2 && !rc; i++) {
        uint64_t b = 0;
        if (network_load(names[i], &ov, &net[i], err, errlen) || network_cost_of(&net[i], &nc[i], err, errlen) ||
            exec_footprint(&net[i], &b, err, errlen)) rc = -1;
        need += 2 * b;   /* two executors each */
    }
    if (!rc && avail && need > avail / 10 * 9)
        rc = set_err(err, errlen, "batch %d: the two networks need %.2f GB, more than the %.2f GB available", B, need / 1e9,
                     avail / 1e9);
    measure_opts mo;
    measure_opts_default(&mo);
    mo.min_time = o->net_min_time;
    mo.min_reps = o->net_min_reps;
    mo.warmup = 1;
    isa_level top = ISA_PORTABLE;   /* the peak of the networks: the highest level any step ran at */
    for (int i = 0; i < 2 && !rc && !interrupted(); i++) {
        exec_opts eo = { .impl = "best", .seed = 1, .best_time = o->best_time, .fuse = EXEC_FUSE_LAYER };
        exec_opts bo = { .impl = "own", .seed = 1, .fuse = EXEC_FUSE_BLOCK };
        if (exec_plan(&ex[i], &net[i], &eo, err, errlen) || exec_plan(&ex[2 + i], &net[i], &bo, err, errlen)) { rc = -1; break; }
        int bad = exec_first_nonfinite(&ex[i]);
        if (bad >= 0) {
            rc = set_err(err, errlen, "%s: layer %s (%s) produced NaN or Inf", names[i], net[i].layers[ex[i].steps[bad].layer].name,
                         kernel_info(&ex[i].steps[bad].k));
            break;
        }
        for (int st = 0; st < ex[i].nsteps; st++)
            if (peak_run_level(ex[i].steps[st].k.impl->impl, kernel_info(&ex[i].steps[st].k)) > top)
                top = peak_run_level(ex[i].steps[st].k.impl->impl, kernel_info(&ex[i].steps[st].k));
        if (net_time(&ex[i], &mo, NULL, NULL, NULL, &nt[i], err, errlen)) { rc = -1; break; }
        double sum = 0, pass = nt[i].pass.n ? nt[i].pass.stats.median : NAN;
        for (int s = 0; s < ex[i].nsteps; s++) sum += nt[i].step[s].stats.median;
        double ovh = 100 * (pass - sum) / sum;
        char name[160];
        snprintf(name, sizeof name, "overhead %s best b%d t%d", names[i], B, T);
        fprintf(tab, "%-44s pass %.3f ms vs sum of %d layer medians %.3f ms: %+.1f%% (pass p10 %.3f, p90 %.3f ms)\n", name,
               1e3 * pass, ex[i].nsteps, 1e3 * sum, ovh, 1e3 * nt[i].pass.stats.p10, 1e3 * nt[i].pass.stats.p90);
        json_t *r = json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:f,s:f,s:f}", "goal_id", "overhead", "name", name, "network",
                              names[i], "threads", T, "batch", B, "steps", ex[i].nsteps, "sum_layers_s", sum, "pass_s", pass,
                              "overhead_pct", ovh);
        results_record_in in = { .name = names[i], .impl = "best", .impl_info = "best", .cost = &nc[i].total,
                                 .m = &nt[i].pass, .peak_gflops = peak_gflops_at(peaks, top) };
        json_object_set_new(r, "pass", results_record(&in));
        json_t *impls = json_object();   /* which implementation `best` kept, per step */
        for (int s = 0; s < ex[i].nsteps; s++)
            json_object_set_new(impls, net[i].layers[ex[i].steps[s].layer].name, json_string(kernel_info(&ex[i].steps[s].k)));
        json_object_set_new(r, "impl_per_step", impls);
        results_add_record(doc, r);
        fflush(tab);
    }
    if (!rc && !interrupted()) {
        side sv[4];   /* resnet50, multi-shift: best layer by layer, then own blocks fused */
        memset(sv, 0, sizeof sv);
        for (int i = 0; i < 4; i++) {
            snprintf(sv[i].label, sizeof sv[i].label, "%s %s b%d t%d", names[i % 2], i < 2 ? "best" : "own fuse block", B, T);
            sv[i].impl = i < 2 ? "best" : "own";
            sv[i].info = i < 2 ? "best" : "own:block";
            sv[i].fn = forward; sv[i].ctx = &ex[i];
            sv[i].c = nc[i % 2].total; sv[i].has_cost = 1;
        }
        rc = interleave(sv, 4, o->net_min_time, o->net_min_reps, err, errlen);
        if (!rc) {
            double tr = median_of(&sv[0]), tm = median_of(&sv[1]);
            double peak = peak_gflops_at(peaks, top), gf = (double)nc[0].total.exec_flops / tr / 1e9;
            double pct = results_pct_peak(&nc[0].total, tr, peak);
            char name[160];
            int met = pct >= P4_GOAL;
            snprintf(name, sizeof name, "P4 resnet50 best b%d t%d", B, T);
            fprintf(tab, "%-44s %5.1f%%%s of the %s FMA peak (goal >= %.0f%%) %-6s  (%.2f ms, %.0f GFLOP/s executed on %.3f of "
                   "%.3f GMACs; peak %.0f GFLOP/s on %d thread%s)\n", name, pct, pct > 100 ? " (! above the peak)" : "",
                   isa_name(top), P4_GOAL, met ? "met" : "MISSED", 1e3 * tr, gf, nc[0].total.exec_macs / 1e9,
                   nc[0].total.macs / 1e9, peak, T, T > 1 ? "s" : "");
            note(s4, name, pct, met);
            json_t *r = ratio_record("P4", name, pct, ">=", P4_GOAL, met, T, B);
            json_object_set_new(r, "peak_gflops", json_real(peak));
            json_object_set_new(r, "peak_isa", json_string(isa_name(top)));
            if (pct > 100) json_object_set_new(r, "above_peak", json_true());
            json_object_set_new(r, "a", side_json(&sv[0], peaks));
            results_add_record(doc, r);
            double ratio = tm / tr, macr = (double)nc[1].total.macs / nc[0].total.macs;
            met = ratio <= P5_GOAL;
            snprintf(name, sizeof name, "P5 multi-shift-4c-50/resnet50 best b%d t%d", B, T);
            fprintf(tab, "%-44s %5.3f of resnet50's time (goal <= %.2f) %-6s  (%.2f ms vs %.2f ms; MACs %.3f of resnet50's; %.0f vs %.0f GFLOP/s)\n",
                   name, ratio, P5_GOAL, met ? "met" : "MISSED", 1e3 * tm, 1e3 * tr, macr,
                   (double)nc[1].total.macs * 2 / tm / 1e9, gf);
            if (!met || o->quick == 0) {
                breakdown(&ex[0], &nt[0], names[0], "layers");
                breakdown(&ex[1], &nt[1], names[1], "layers");
            }
            note(s5, name, ratio, met);
            r = ratio_record("P5", name, ratio, "<=", P5_GOAL, met, T, B);
            json_object_set_new(r, "mac_ratio", json_real(macr));
            json_object_set_new(r, "a", side_json(&sv[1], peaks));
            json_object_set_new(r, "b", side_json(&sv[0], peaks));
            results_add_record(doc, r);
            /* The same goal with every block run depth-first (own kernels), and each network
             * fused against itself layer by layer (resnet50 must be no slower fused). */
            double trb = median_of(&sv[2]), tmb = median_of(&sv[3]);
            ratio = tmb / trb;
            met = ratio <= P5_GOAL;
            snprintf(name, sizeof name, "P5 multi-shift-4c-50/resnet50 fuse block b%d t%d", B, T);
            fprintf(tab, "%-44s %5.3f of resnet50's time (goal <= %.2f) %-6s  (%.2f ms vs %.2f ms, every block depth-first on own kernels)\n",
                   name, ratio, P5_GOAL, met ? "met" : "MISSED", 1e3 * tmb, 1e3 * trb);
            note(s5, name, ratio, met);
            r = ratio_record("P5", name, ratio, "<=", P5_GOAL, met, T, B);
            json_object_set_new(r, "mac_ratio", json_real(macr));
            json_object_set_new(r, "fuse", json_string("block"));
            json_object_set_new(r, "a", side_json(&sv[3], peaks));
            json_object_set_new(r, "b", side_json(&sv[2], peaks));
            results_add_record(doc, r);
            /* Each network as it runs fastest, layer by layer or fused (what net --impl best
             * chooses per block, here per network). */
            double tmf = fmin(tm, tmb), trf = fmin(tr, trb);
            ratio = tmf / trf;
            met = ratio <= P5_GOAL;
            snprintf(name, sizeof name, "P5 multi-shift-4c-50/resnet50 faster of layer/block b%d t%d", B, T);
            fprintf(tab, "%-44s %5.3f of resnet50's time (goal <= %.2f) %-6s  (%.2f ms %s vs %.2f ms %s)\n", name, ratio, P5_GOAL,
                    met ? "met" : "MISSED", 1e3 * tmf, tmb < tm ? "fused" : "layer by layer", 1e3 * trf,
                    trb < tr ? "fused" : "layer by layer");
            note(s5, name, ratio, met);
            r = ratio_record("P5", name, ratio, "<=", P5_GOAL, met, T, B);
            json_object_set_new(r, "mac_ratio", json_real(macr));
            json_object_set_new(r, "fuse", json_string("faster"));
            json_object_set_new(r, "a", side_json(tmb < tm ? &sv[3] : &sv[1], peaks));
            json_object_set_new(r, "b", side_json(trb < tr ? &sv[2] : &sv[0], peaks));
            results_add_record(doc, r);
            for (int i = 0; i < 2; i++) {
                double fr = median_of(&sv[2 + i]) / median_of(&sv[i]);
                snprintf(name, sizeof name, "fuse %s block/layer b%d t%d", names[i], B, T);
                fprintf(tab, "%-44s %5.3f of its time layer by layer (best)  (%.2f ms vs %.2f ms)\n", name, fr,
                        1e3 * median_of(&sv[2 + i]), 1e3 * median_of(&sv[i]));
                r = json_pack("{s:s,s:s,s:f,s:i,s:i}", "goal_id", "fuse", "name", name, "ratio", fr, "threads", T, "batch", B);
                json_object_set_new(r, "a", side_json(&sv[2 + i], peaks));
                json_object_set_new(r, "b", side_json(&sv[i], peaks));
                results_add_record(doc, r);
            }
        }
        for (int i = 0; i < 4; i++) side_free(&sv[i]);
        fflush(tab);
    }
    for (int i = 0; i < 2; i++) {
        net_timing_free(&nt[i], ex[i].nsteps);
        exec_free(&ex[i]);
        exec_free(&ex[2 + i]);
        network_cost_free(&nc[i]);
        network_free(&net[i]);
    }
    return rc;
}

/* ---- options ----------------------------------------------------------------------------- */

static int usage(FILE *f, int rc) {
    fprintf(f,
        "usage: shiftbench ratios [--threads LIST] [--batch LIST] [--min-time S] [--quick]\n"
        "                         [--parts LIST] [--isa LEVEL] [-o FILE|-]\n\n"
        "The performance goals, each a ratio measured side by side in one process (the two sides\n"
        "interleaved, medians), at the ResNet-50 stage shapes 56x56x64, 56x56x256, 28x28x128,\n"
        "14x14x256, 7x7x512 (1x1 convs c -> c):\n"
        "  P1  own shift (4C, 8C) vs memcpy of the same bytes       goal >= %.2f of its bandwidth\n"
        "  P2  fused shift+1x1 vs the plain 1x1, same family         goal <= %.2fx its time\n"
        "  P3  our fastest fused shift+1x1 vs oneDNN, XNNPACK 1x1    goal >= %.2fx its throughput\n"
        "  P4  resnet50, best implementation per layer               goal >= %.0f%% of the FMA peak\n"
        "  P5  multi-shift-4c-50 / resnet50 time, best each          goal <= %.2f (MACs 0.60)\n"
        "      and with every block run depth-first (own, net --fuse block); fused / layer each\n"
        "  P6  the shift as people write it (oneDNN, XNNPACK: one-hot depthwise 3x3 + 1x1,\n"
        "      masked dense 3x3) vs our fused shift+1x1                goal > %.2fx our time\n"
        "and each network's overhead: the pass against the sum of its layers' medians. Prints one\n"
        "line per measurement and a summary per goal; writes results JSON (kind \"ratios\").\n\n"
        "  --threads LIST  thread counts, comma separated; 'all' = every core (default 1,all)\n"
        "  --batch LIST    batch sizes (default 1,8)\n"
        "  --min-time S    seconds of timed runs per side for kernels (default 0.1); networks 5 x S\n"
        "  --quick         about a minute: --min-time 0.02, fewer passes\n"
        "  --parts LIST    which goals, e.g. 1,3 or P4 (default all; P2 and P3 share their\n"
        "                  measurements, as do P4 and P5)\n"
        "  --isa LEVEL     our kernels at LEVEL (SHIFTBENCH_ISA), oneDNN capped to the same level\n"
        "                  (ONEDNN_MAX_CPU_ISA) and OpenBLAS to a core within it, against the FMA\n"
        "                  peak of LEVEL: e.g. avx2 on an AVX-512 machine (default: the CPU's best)\n"
        "  -o FILE         results file; '-' for stdout (default results/ratios-...json)\n",
        P1_GOAL, P2_GOAL, P3_GOAL, P4_GOAL, P5_GOAL, P6_GOAL);
    return rc;
}

static int parse_list(const char *s, int *out, int *n, int allow_all, const char *what) {
    char buf[256], *items[64], why[ERRLEN];
    int ni;
    snprintf(buf, sizeof buf, "%s", s);
    *n = 0;
    if (split_list(buf, items, 64, &ni, why, sizeof why)) return fail_msg("ratios: --%s '%s': %s", what, s, why);
    for (int k = 0; k < ni; k++) {
        char *tok = items[k];
        long v;
        if (allow_all && !strcmp(tok, "all")) {
            long c = sysconf(_SC_NPROCESSORS_ONLN);
            v = c > 0 ? c : 1;
        } else if (parse_long(tok, 1, what[0] == 't' ? 4096 : 1024, &v))
            return fail_msg("ratios: --%s '%s': expected a comma-separated list of %s", what, s,
                            allow_all ? "counts or 'all'" : "counts");
        int dup = 0;
        for (int i = 0; i < *n; i++) dup |= out[i] == v;
        if (dup) continue;
        if (*n == MAX_LIST) return fail_msg("ratios: --%s: at most %d values", what, MAX_LIST);
        out[(*n)++] = (int)v;
    }
    if (!*n) return fail_msg("ratios: --%s: empty list", what);
    return 0;
}

static int parse(int argc, char **argv, ropts *o) {
    memset(o, 0, sizeof *o);
    o->threads_arg = "1,all";
    o->batch_arg = "1,8";
    o->min_time = -1;
    o->parts = 0;
    const char *parts = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) exit(usage(stdout, 0));
        if (!strcmp(a, "--quick")) { o->quick = 1; continue; }
        if (i + 1 >= argc) return fail_msg("ratios: unknown or incomplete option '%s' (see shiftbench ratios --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--threads")) o->threads_arg = v;
        else if (!strcmp(a, "--batch")) o->batch_arg = v;
        else if (!strcmp(a, "-o")) o->out = v;
        else if (!strcmp(a, "--parts")) parts = v;
        else if (!strcmp(a, "--isa")) o->isa = v;
        else if (!strcmp(a, "--min-time")) {
            if (parse_double(v, &o->min_time) || o->min_time < 0 || o->min_time > 60)
                return fail_msg("ratios: --min-time '%s': expected seconds in [0, 60]", v);
        } else return fail_msg("ratios: unknown option '%s' (see shiftbench ratios --help)", a);
    }
    if (parse_list(o->threads_arg, o->threads, &o->nthreads, 1, "threads") ||
        parse_list(o->batch_arg, o->batch, &o->nbatch, 0, "batch")) return 2;
    if (parts) {
        char buf[64], *items[16], why[ERRLEN];
        int ni;
        snprintf(buf, sizeof buf, "%s", parts);
        if (split_list(buf, items, 16, &ni, why, sizeof why)) return fail_msg("ratios: --parts '%s': %s", parts, why);
        for (int k = 0; k < ni; k++) {
            char *tok = items[k];
            if (tok[0] == 'P' || tok[0] == 'p') tok++;
            long p;
            if (parse_long(tok, 1, 6, &p)) return fail_msg("ratios: --parts '%s': expected goals 1 to 6 (e.g. 1,3)", parts);
            o->parts |= 1u << (p - 1);
        }
        if (o->parts & (3u << 3)) o->parts |= 3u << 3;   /* P4 and P5 come from one measurement */
    } else o->parts = 0x3f;
    if (o->min_time < 0) o->min_time = o->quick ? 0.02 : 0.1;
    o->min_reps = o->quick ? 5 : 10;
    o->net_min_time = 5 * o->min_time;
    o->net_min_reps = o->quick ? 3 : 5;
    o->best_time = o->quick ? 0.005 : 0.02;
    return 0;
}

int cmd_ratios(int argc, char **argv) {
    ropts o;
    if (parse(argc, argv, &o)) return 2;
    char path[1024], err[ERRLEN];
    int maxt = 0, maxb = 0;
    for (int i = 0; i < o.nthreads; i++) if (o.threads[i] > maxt) maxt = o.threads[i];
    for (int i = 0; i < o.nbatch; i++) if (o.batch[i] > maxb) maxb = o.batch[i];
    if (o.out) snprintf(path, sizeof path, "%s", o.out);
    else results_default_path(path, sizeof path, "ratios", "p1-p5", "best", maxt, maxb);
    if (results_check_writable(path, !o.out, err, sizeof err)) return fail_msg("%s", err);
    if (o.isa) {   /* before OpenBLAS's core fix (it follows SHIFTBENCH_ISA) and oneDNN's first use */
        isa_level l;
        if (isa_parse(o.isa, &l)) {
            const isa_level *lv;
            char allowed[64] = "";
            for (int i = 0, n = isa_levels(&lv); i < n; i++)
                snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", i ? "|" : "", isa_name(lv[i]));
            return fail_msg("ratios: --isa '%s': expected a level of this CPU architecture (%s)", o.isa, allowed);
        }
        if (!isa_supported(l))
            return fail_msg("ratios: --isa %s: this CPU does not run it (its best level: %s)", o.isa, isa_name(isa_best()));
        setenv("SHIFTBENCH_ISA", o.isa, 1);
        if (runtime_cap_onednn(l, err, sizeof err)) return fail_msg("ratios: --isa %s: %s", o.isa, err);
    }
    runtime_fix_openblas_core();
    signals_install();
    tab = strcmp(path, "-") ? stdout : stderr;

    runtime_set_threads(maxt);
    json_t *ctx = context_build(), *peaks = json_array();
    json_object_set_new(ctx, "settings", json_pack("{s:s,s:s,s:s,s:f,s:i,s:f,s:i,s:f,s:b,s:o}", "isa",
                        isa_name(isa_active()), "threads", o.threads_arg,
                        "batch", o.batch_arg, "min_time_s", o.min_time, "min_reps", o.min_reps, "net_min_time_s",
                        o.net_min_time, "net_min_reps", o.net_min_reps, "best_time_s", o.best_time, "quick", o.quick,
                        "parts", json_array()));
    for (int g = 0; g < 6; g++)   /* the goals measured, as "P1".. */
        if (o.parts & (1u << g))
            json_array_append_new(json_object_get(json_object_get(ctx, "settings"), "parts"), json_sprintf("P%d", g + 1));
    json_t *doc = results_new("ratios", ctx);
    summary sum[7];   /* P1..P5, P2 for the openblas family, P6 */
    memset(sum, 0, sizeof sum);
    sum[1].lower_is_better = sum[4].lower_is_better = sum[5].lower_is_better = 1;
    double t0 = now_sec();
    int rc = 0;
    fprintf(tab, "shiftbench ratios: %s, threads %s, batch %s, ISA level %s (own), oneDNN %s, OpenBLAS %s "
            "(interleaved sides, medians)\n", json_string_value(json_object_get(ctx, "cpu_model")), o.threads_arg,
            o.batch_arg, isa_name(isa_active()), runtime_onednn_isa(), runtime_openblas_core());
    for (int ti = 0; ti < o.nthreads && !rc && !interrupted(); ti++) {
        int T = o.threads[ti];
        runtime_set_threads(T);
        measure_opts po;
        measure_opts_default(&po);
        po.min_time = o.quick ? 0.05 : 0.1;
        peak_result pr;
        if (peak_measure(T, peak_impl_levels("best"), &po, &pr, NULL, err, sizeof err)) { rc = -1; break; }
        /* Threads of one parallel region wait for each other: when another process holds a
         * core, every region waits for the scheduler's next slice and the figures measure
         * that, not the code. The FMA loop shows it: T threads well under T x one. */
        int contended = T > 1 && pr.gflops < 0.8 * T * pr.gflops_per_core;
        fprintf(tab, "-- %d thread%s: FMA peak", T, T > 1 ? "s" : "");
        for (int l = 0; l < ISA_COUNT; l++)
            if (pr.level[l].measured)
                fprintf(tab, " %s %.1f GFLOP/s (%.1f per core)", isa_name((isa_level)l), pr.level[l].gflops,
                        pr.level[l].gflops_per_core);
        fprintf(tab, "\n");
        if (contended) {
            fprintf(tab, "-- WARNING: %d threads reach %.0f%% of %d x the one-thread FMA peak: another process holds a core, "
                    "so the %d-thread figures below measure the scheduler, not the kernels (run them on an idle machine); "
                    "P4 uses %d x the one-thread peak\n", T, 100 * pr.gflops / (T * pr.gflops_per_core), T, T, T);
            for (int l = 0; l < ISA_COUNT; l++) pr.level[l].gflops = T * pr.level[l].gflops_per_core;
            pr.gflops = T * pr.gflops_per_core;
        }
        json_t *pj = peak_json(&pr);
        json_object_set_new(pj, "contended", json_boolean(contended));
        json_array_append_new(peaks, pj);
        if (ti == 0) json_object_set(ctx, "peak", pj);
        for (int bi = 0; bi < o.nbatch && !rc && !interrupted(); bi++) {
            int B = o.batch[bi];
            if (o.parts & 1) rc = part_p1(&o, T, B, doc, &sum[0], err, sizeof err);
            if (!rc && (o.parts & 6)) rc = part_p23(&o, T, B, pj, doc, &sum[1], &sum[5], &sum[2], err, sizeof err);
            if (!rc && (o.parts & 24)) rc = part_net(&o, T, B, pj, doc, &sum[3], &sum[4], err, sizeof err);
            if (!rc && (o.parts & 32)) rc = part_p6(&o, T, B, pj, doc, &sum[6], err, sizeof err);
        }
    }
    json_object_set_new(ctx, "peaks", peaks);
    static const char *const what[7] = { "shift vs memcpy bandwidth", "fused vs plain 1x1 time (own)",
                                         "fused vs oneDNN 1x1 throughput", "resnet50 % of FMA peak",
                                         "multi-shift-4c-50 / resnet50 time", "fused vs plain 1x1 time (openblas)",
                                         "shift as people write it / fused time" };
    static const char *const goal[7] = { ">= 0.80", "<= 1.03", ">= 0.90", ">= 75%", "<= 0.62", "<= 1.03", "> 1.00" };
    static const char *const id[7] = { "P1", "P2", "P3", "P4", "P5", "P2", "P6" };
    fprintf(tab, "-- summary (%.0f s)\n", now_sec() - t0);
    json_t *sj = json_array();
    static const int order[7] = { 0, 1, 5, 2, 3, 4, 6 };   /* P-order: both P2 lines together */
    for (int oi = 0; oi < 7; oi++) {
        int p = order[oi];
        if (!sum[p].total) continue;
        fprintf(tab, "%s %-38s goal %-8s %3d of %3d met; worst %.3f%s (%s)\n", id[p], what[p], goal[p], sum[p].met,
                sum[p].total, sum[p].worst, p == 3 ? "%" : "", sum[p].worst_name);
        json_array_append_new(sj, json_pack("{s:s,s:s,s:s,s:i,s:i,s:f,s:s}", "goal_id", id[p], "what", what[p], "goal",
                                            goal[p], "met", sum[p].met, "total", sum[p].total, "worst", sum[p].worst,
                                            "worst_name", sum[p].worst_name));
    }
    json_object_set_new(doc, "summary", sj);
    results_set_complete(doc, !interrupted() && !rc);
    if (rc) fail_run("%s", err);
    int wrc = results_write(doc, path, err, sizeof err);
    json_decref(doc);
    if (wrc) return fail_run("%s", err);
    if (strcmp(path, "-")) fprintf(stderr, "wrote %s%s\n", path, interrupted() ? " (interrupted: complete = false)" : "");
    return interrupted() ? EXIT_INTERRUPTED : rc ? 1 : 0;
}
