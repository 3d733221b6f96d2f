/* Every GEMM micro-kernel (kernels/own_gemm.h) of every variant this CPU runs, called
 * directly on tiles built here, against an fp64 reference of the tile's definition, in
 * the style of XNNPACK's gemm-microkernel-tester: a test is a tile description set up by
 * chained setters (rows, nc, k, groups, reduction range, init, strides, skipped and zero
 * groups, residual, ReLU, prefetch) and run against one kernel.
 *
 * Besides the values, it checks what the tile promises: columns >= nc, rows >= the tile's
 * rows and every pad between rows are left untouched; a skipped group's rows (NULL here)
 * are never read; the prefetch pointer is never dereferenced (it points at nothing).
 * Tolerance as in test_kernels.c: (n + 2) u sum|terms| for n terms. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../kernels/own_gemm.h"
#include "../kernels/isa.h"
#include "../common/util.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t next(void) { rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27; return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32); }
static float urand(void) { return (float)(next() >> 8) / (float)(1 << 23) - 1.0f; }   /* [-1, 1) */
static int irand(int lo, int hi) { return lo + (int)(next() % (uint32_t)(hi - lo + 1)); }   /* [lo, hi] */

#define NG 9
#define SENTINEL 12345.0f

/* ---- the tester ---------------------------------------------------------------------- */

typedef struct {
    const own_gemm_variant *v;
    int kind, rows, nc, k, ng;   /* groups split [0, k) into ng ranges */
    int k0, k1;                  /* reduction range; default [0, k) */
    int partial;                 /* 1: start from the output's partial sums, not the bias */
    int ldc_pad;                 /* ldc = nr + ldc_pad */
    uint64_t skip;               /* groups whose rows are all zero and not read */
    uint64_t zero;               /* groups whose rows point at a zero row (read, all zero) */
    int step_pad;                /* uniform: row step = k + step_pad */
    int residual, relu, npf;
    float relu_max;              /* with relu: the upper clamp (ReLU6), 0 = none */
} gemm_test;

static gemm_test *gt_new(gemm_test *t, const own_gemm_variant *v, int kind) {
    *t = (gemm_test){ .v = v, .kind = kind, .rows = v->mr, .nc = v->nr, .k = 16, .ng = 1, .k1 = -1 };
    return t;
}
static gemm_test *gt_rows(gemm_test *t, int r) { t->rows = r; return t; }
static gemm_test *gt_nc(gemm_test *t, int n) { t->nc = n; return t; }
static gemm_test *gt_k(gemm_test *t, int k) { t->k = k; return t; }
static gemm_test *gt_groups(gemm_test *t, int ng) { t->ng = ng; return t; }
static gemm_test *gt_range(gemm_test *t, int k0, int k1) { t->k0 = k0; t->k1 = k1; return t; }
static gemm_test *gt_partial(gemm_test *t, int on) { t->partial = on; return t; }
static gemm_test *gt_ldc_pad(gemm_test *t, int pad) { t->ldc_pad = pad; return t; }
static gemm_test *gt_skip(gemm_test *t, uint64_t groups) { t->skip = groups; return t; }
static gemm_test *gt_zero(gemm_test *t, uint64_t groups) { t->zero = groups; return t; }
static gemm_test *gt_step_pad(gemm_test *t, int pad) { t->step_pad = pad; return t; }
static gemm_test *gt_residual(gemm_test *t, int on) { t->residual = on; return t; }
static gemm_test *gt_relu(gemm_test *t, int on) { t->relu = on; return t; }
/* A clamp inside the sums' range, so both bounds are reached. */
static gemm_test *gt_relu_max(gemm_test *t, float hi) { t->relu = 1; t->relu_max = hi; return t; }
static gemm_test *gt_npf(gemm_test *t, int n) { t->npf = n; return t; }

static int uniform(const gemm_test *t) { return t->kind == GEMM_UNIFORM || t->kind == GEMM_UNIFORM_PF; }

/* Builds the tile, runs the kernel, compares; returns the number of wrong values. */
static long gt_run(const gemm_test *t) {
    const own_gemm_variant *v = t->v;
    const int MR = v->mr, NR = v->nr, K = t->k, rows = t->rows, ng = uniform(t) ? 1 : t->ng;
    const int k0 = t->k0, k1 = t->k1 < 0 ? K : t->k1;
    const size_t ldc = (size_t)NR + (size_t)t->ldc_pad, step = (size_t)K + (size_t)t->step_pad;
    int glo[NG], ghi[NG];
    for (int g = 0; g < ng; g++) { glo[g] = g * K / ng; ghi[g] = (g + 1) * K / ng; }
    /* Inputs: group g's row r at a[(g * MR + r) * step]; uniform rows at base + r * step
     * with a scrambled koff (any offsets inside the row will do). */
    float *a = alloc_aligned((size_t)NG * MR * step * sizeof *a), *zrow = calloc((size_t)K + 1, sizeof *zrow);
    float *w = alloc_aligned((size_t)K * NR * sizeof *w), *bias = alloc_aligned((size_t)NR * sizeof *bias);
    float *out = malloc((size_t)(MR + 1) * ldc * sizeof *out), *res = malloc((size_t)MR * ldc * sizeof *res);
    float *init = malloc((size_t)MR * ldc * sizeof *init);
    long *koff = malloc((size_t)K * sizeof *koff);
    const float *rowp[NG * GEMM_MR_MAX];
    for (size_t i = 0; i < (size_t)NG * MR * step; i++) a[i] = urand();
    for (int i = 0; i < K * NR; i++) w[i] = urand();
    for (int j = 0; j < NR; j++) bias[j] = urand();
    for (size_t i = 0; i < (size_t)MR * ldc; i++) { res[i] = urand(); init[i] = urand(); }
    for (int k = 0; k < K; k++) koff[k] = (long)((k * 7 + 3) % K) + (long)(t->step_pad ? k % (t->step_pad + 1) : 0);
    for (int g = 0; g < ng; g++)
        for (int r = 0; r < MR; r++)
            rowp[g * MR + r] = t->skip >> g & 1 ? NULL : t->zero >> g & 1 ? zrow : a + (size_t)(g * MR + r) * step;
    for (size_t i = 0; i < (size_t)(MR + 1) * ldc; i++) out[i] = SENTINEL;
    if (t->partial)
        for (int r = 0; r < rows; r++) memcpy(out + r * ldc, init + r * ldc, (size_t)t->nc * sizeof *out);
    own_gemm_tile tl = {
        .rows = rowp, .skip = t->skip, .glo = glo, .ghi = ghi, .ng = ng, .k0 = k0, .k1 = k1,
        .base = a, .step = step, .koff = koff, .w = w,
        .init = t->partial ? out : bias, .init_ld = t->partial ? ldc : 0, .out = out, .ldc = ldc,
        .nc = t->nc, .relu = t->relu, .relu_max = t->relu_max, .res = t->residual ? res : NULL,
        .pf = (const char *)(uintptr_t)0x1000, .npf = t->npf,   /* a prefetch of nothing: never read */
    };
    v->ukr[t->kind][rows](&tl);
    long bad = 0;
    for (int r = 0; r < MR + 1; r++)
        for (size_t j = 0; j < ldc; j++) {
            float got = out[r * ldc + j];
            if (r >= rows || (int)j >= t->nc) { bad += got != SENTINEL; continue; }
            double y = t->partial ? init[r * ldc + j] : bias[j], mag = fabs(y);
            int n = 1;
            for (int g = 0; g < ng; g++) {
                int lo = glo[g] > k0 ? glo[g] : k0, hi = ghi[g] < k1 ? ghi[g] : k1;
                if (t->skip >> g & 1) continue;
                for (int k = lo; k < hi; k++, n++) {
                    double x = uniform(t) ? a[r * step + (size_t)koff[k]] : rowp[g * MR + r][k];
                    y += x * w[(size_t)k * NR + j];
                    mag += fabs(x * w[(size_t)k * NR + j]);
                }
            }
            if (t->residual) { y += res[r * ldc + j]; mag += fabs(res[r * ldc + j]); n++; }
            if (t->relu && y < 0) y = 0;
            if (t->relu && t->relu_max > 0 && y > t->relu_max) y = t->relu_max;
            bad += !(fabs(got - y) <= (n + 2) * (FLT_EPSILON / 2) * mag);
        }
    free(a); free(zrow); free(w); free(bias); free(out); free(res); free(init); free(koff);
    return bad;
}

/* ---- the tests ----------------------------------------------------------------------- */

static const char *const kind_names[GEMM_KINDS] = { "grp", "grp_pf", "uni", "uni_pf" };

#define RUN(v, kind, r, setters) do { \
    gemm_test t_; \
    long bad_ = gt_run(setters); \
    CHECK(bad_ == 0, "%s (%s) %s: %ld wrong", (v)->name[kind][r], isa_name((v)->level), #setters, bad_); \
    (void)t_; } while (0)

static void test_variant(const own_gemm_variant *v) {
    CHECK(v->mr >= 1 && v->mr <= GEMM_MR_MAX && v->nr > 0 && v->kc > 0, "%s: blocking %dx%d kc %d", isa_name(v->level), v->mr, v->nr, v->kc);
    for (int kind = 0; kind < GEMM_KINDS; kind++) {
        for (int r = 1; r <= GEMM_MR_MAX; r++) {
            CHECK((r <= v->mr) == (v->ukr[kind][r] != NULL && v->name[kind][r] != NULL),
                  "%s %s: a kernel for exactly rows 1..%d (rows %d)", isa_name(v->level), kind_names[kind], v->mr, r);
            if (r > v->mr) continue;
            int nr = v->nr;
            /* Every row count: full width, one column, a tail inside the last vector. */
            RUN(v, kind, r, gt_k(gt_rows(gt_new(&t_, v, kind), r), 37));
            RUN(v, kind, r, gt_nc(gt_k(gt_rows(gt_new(&t_, v, kind), r), 5), 1));
            RUN(v, kind, r, gt_nc(gt_k(gt_rows(gt_new(&t_, v, kind), r), 64), nr - 1));
            /* Epilogue: residual, ReLU, padded rows, partial sums of an earlier chunk. */
            RUN(v, kind, r, gt_relu(gt_residual(gt_ldc_pad(gt_k(gt_rows(gt_new(&t_, v, kind), r), 19), 3), 1), 1));
            RUN(v, kind, r, gt_relu(gt_partial(gt_range(gt_k(gt_rows(gt_new(&t_, v, kind), r), 100), 40, 100), 1), 1));
            RUN(v, kind, r, gt_relu_max(gt_residual(gt_k(gt_rows(gt_new(&t_, v, kind), r), 29), 1), 0.75f));
            RUN(v, kind, r, gt_relu_max(gt_nc(gt_k(gt_rows(gt_new(&t_, v, kind), r), 64), nr - 1), 1.5f));
            RUN(v, kind, r, gt_nc(gt_residual(gt_partial(gt_range(gt_k(gt_rows(gt_new(&t_, v, kind), r), 300), 256, 300), 1), 1), irand(1, nr)));
            /* Prefetch lines beyond the k steps (the pf kernels' trailing loop). */
            RUN(v, kind, r, gt_npf(gt_k(gt_rows(gt_new(&t_, v, kind), r), 8), 40));
            if (kind == GEMM_GROUPS || kind == GEMM_GROUPS_PF) {
                /* Groups: 4C / 8C ranges, a chunk cutting through groups, zero rows, skipped ones. */
                RUN(v, kind, r, gt_groups(gt_k(gt_rows(gt_new(&t_, v, kind), r), 23), 5));
                RUN(v, kind, r, gt_range(gt_groups(gt_k(gt_rows(gt_new(&t_, v, kind), r), 90), 9), 13, 61));
                RUN(v, kind, r, gt_zero(gt_skip(gt_groups(gt_k(gt_rows(gt_new(&t_, v, kind), r), 45), 9), 0x111), 0x0A));
                RUN(v, kind, r, gt_relu(gt_skip(gt_groups(gt_k(gt_rows(gt_new(&t_, v, kind), r), 10), 5), 0x1F), 1));
            } else {
                /* Uniform rows: a row step wider than K, offsets from the table. */
                RUN(v, kind, r, gt_step_pad(gt_k(gt_rows(gt_new(&t_, v, kind), r), 50), 7));
                RUN(v, kind, r, gt_range(gt_step_pad(gt_k(gt_rows(gt_new(&t_, v, kind), r), 70), 2), 9, 33));
            }
            /* Random: anything the setters allow. */
            for (int i = 0; i < 3; i++) {
                gemm_test t_;
                int k = irand(1, 140), ng = irand(1, k < NG ? k : NG), k0 = irand(0, k - 1), k1 = irand(k0 + 1, k);
                gt_new(&t_, v, kind);
                gt_range(gt_groups(gt_k(gt_rows(&t_, r), k), ng), k0, k1);
                gt_relu(gt_residual(gt_partial(gt_nc(&t_, irand(1, nr)), irand(0, 1)), irand(0, 1)), irand(0, 1));
                gt_npf(gt_step_pad(gt_ldc_pad(gt_skip(&t_, next() & ((1u << ng) - 1) & ~1u), irand(0, 9)), irand(0, 5)), irand(0, 50));
                long bad = gt_run(&t_);
                CHECK(bad == 0, "%s random k %d groups %d range [%d, %d) nc %d: %ld wrong", v->name[kind][r], k, ng, k0, k1, t_.nc, bad);
            }
        }
    }
}

int main(void) {
    const own_gemm_variant *const *list;
    int n = own_gemm_variants(&list), ran = 0;
    CHECK(n >= 1 && list[n - 1]->level == ISA_PORTABLE, "the variant list ends with the portable one");
    for (int i = 0; i < n; i++) {
        CHECK(i == 0 || list[i - 1]->level != list[i]->level, "one variant per level");
        CHECK(own_gemm_for(list[i]->level) == list[i], "own_gemm_for(%s) picks its own row", isa_name(list[i]->level));
        if (!isa_supported(list[i]->level)) { printf("  note: this CPU does not run %s\n", isa_name(list[i]->level)); continue; }
        test_variant(list[i]);
        printf("  %s: %dx%d, kc %d, %d kernels checked\n", isa_name(list[i]->level), list[i]->mr, list[i]->nr, list[i]->kc, GEMM_KINDS * list[i]->mr);
        ran++;
    }
    CHECK(ran >= 1, "some variant ran");
    return check_done("test_gemm_ukernel");
}
