/* Kernels: op shape rules, shift direction on hand-made images, and every registered
 * implementation against an fp64 oracle written here (independent of kernels/ref.c) on
 * randomized and ResNet-50 shapes.
 *
 * Tolerance: inputs, weights and biases are floats, so the fp64 oracle is exact up to
 * ~1e-16 relative. A float dot product of n terms (K products plus the bias), summed in
 * ANY order, with or without FMA, satisfies |y - y64| <= gamma_n * sum|terms| with
 * gamma_n = n*u/(1 - n*u), u = FLT_EPSILON/2 (Higham, Accuracy and Stability, 3.1).
 * We allow (n + 2) * u * sum|terms|: the rigorous worst case plus slack for the final
 * rounding (pool division, ReLU is 1-Lipschitz so it adds nothing). It is not loose enough
 * to hide a bug: one wrong term is on average sum|terms| / n, at K = 2048 about 5x the
 * bound, and real bugs (a wrong group offset) change gs terms at once. Ops that only move
 * or select values (shift, maxpool, relu) must match exactly. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../kernels/kernel.h"
#include "../kernels/own.h"
#include "../kernels/isa.h"
#include "../common/util.h"
#ifdef SHIFTBENCH_KERNELS_ONLY
#include <omp.h>
#else
#include "../kernels/runtime.h"
#endif

/* One thread count for every implementation; a kernels-only build (make test-aarch64) has
 * no libraries' runtime (kernels/runtime.c), only OpenMP. n <= 0: all cores. */
static void set_threads(int n) {
#ifdef SHIFTBENCH_KERNELS_ONLY
    omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
#else
    runtime_set_threads(n);
#endif
}

/* ---- random data ---------------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float urand(void) {   /* uniform in [-1, 1), xorshift64* */
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    return (float)((rng * 0x2545F4914F6CDD1Dull) >> 40) / (float)(1 << 23) - 1.0f;
}
static float *rand_buf(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = urand();
    return p;
}

/* ---- the oracle: docs/networks.md's definitions, written out again ------------------------ */

/* Displacements, straight from docs/networks.md (not from shift_disp, which is under test). */
static const int disp4[5][2] = { {1, 0}, {0, -1}, {-1, 0}, {0, 1}, {0, 0} };
static const int disp8[9][2] = { {1, 1}, {1, 0}, {1, -1}, {0, -1}, {-1, -1}, {-1, 0}, {-1, 1}, {0, 1}, {0, 0} };

/* A general table (docs/networks.md "The general shift"): contiguous groups of size, c /
 * div or c / (n + 1) with the rest unmoved, or channel ch on direction ch mod n. */
static void table_disp(const shift_table *t, int c, int ch, int *dh, int *dw) {
    int j = ch % t->n;
    if (t->alloc == SHIFT_CONTIGUOUS) {
        int gs = t->size ? t->size : c / (t->div ? t->div : t->n + 1);
        j = ch / gs;
    }
    *dh = j < t->n ? t->dh[j] : 0;
    *dw = j < t->n ? t->dw[j] : 0;
}

static void shift_oracle(const op_desc *d, const float *in, float *out) {
    int groups = d->conn + 1, gs = d->c / groups;
    for (int b = 0; b < d->n; b++)
        for (int y = 0; y < d->h; y++)
            for (int x = 0; x < d->w; x++)
                for (int ch = 0; ch < d->c; ch++) {
                    int g = d->conn ? (ch / gs < groups - 1 ? ch / gs : groups - 1) : 0, td[2] = { 0, 0 };
                    const int *dd = d->conn == 4 ? disp4[g] : d->conn == 8 ? disp8[g] : td;
                    if (!d->conn) table_disp(&d->shift, d->c, ch, &td[0], &td[1]);
                    int iy = y - dd[0], ix = x - dd[1];
                    out[(((size_t)b * d->h + y) * d->w + x) * d->c + ch] =
                        iy < 0 || iy >= d->h || ix < 0 || ix >= d->w ? 0.0f
                        : in[(((size_t)b * d->h + iy) * d->w + ix) * d->c + ch];
                }
}

/* ReLU, and ReLU6's upper clamp (relu_max), written out again. */
static double clamp_relu(const op_desc *d, double v) {
    if (v < 0) return 0;
    return d->relu_max > 0 && v > d->relu_max ? d->relu_max : v;
}

/* Convolution in double: y = b + sum w x, mag = |b| + sum |w x|. x is n x h x w x c. */
static void conv_oracle(const op_desc *d, int kh, int kw, int pad, const float *x, const float *w,
                        const float *bias, double *y, double *mag) {
    int c = d->c, oc = d->oc;
    double *wt = malloc((size_t)kh * kw * c * oc * sizeof *wt);   /* [ky][kx][ci][o], dense */
    int groups = d->kind == OP_CONV && d->groups > 1 ? d->groups : 1, cg = c / groups;
    for (int o = 0; o < oc; o++)   /* grouped: o reads channels [g*cg, (g+1)*cg) only, zeros elsewhere */
        for (int ci = 0; ci < c; ci++)
            for (int k = 0; k < kh * kw; k++) {
                int g = o / (oc / groups);
                wt[((size_t)k * c + ci) * oc + o] =
                    ci / cg == g ? w[((size_t)o * cg + ci - g * cg) * kh * kw + k] : 0.0;
            }
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++) {
                size_t px = ((size_t)b * d->oh + oy) * d->ow + ox;
                double *acc = y + px * oc, *mg = mag + px * oc;
                for (int o = 0; o < oc; o++) { acc[o] = bias[o]; mg[o] = fabs(bias[o]); }
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int iy = oy * d->stride - pad + ky, ix = ox * d->stride - pad + kx;
                        if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) continue;
                        const float *xp = x + (((size_t)b * d->h + iy) * d->w + ix) * c;
                        for (int ci = 0; ci < c; ci++) {
                            const double *wr = wt + ((size_t)(ky * kw + kx) * c + ci) * oc;
                            double xv = xp[ci];
                            for (int o = 0; o < oc; o++) { acc[o] += wr[o] * xv; mg[o] += fabs(wr[o] * xv); }
                        }
                    }
                if (d->relu)
                    for (int o = 0; o < oc; o++) acc[o] = clamp_relu(d, acc[o]);
            }
    free(wt);
}

/* Fills y (and mag, the sum of |terms|) for any op; returns the term count n. */
static int oracle(const op_desc *d, const float *in, const float *in2, const float *w, const float *b,
                  double *y, double *mag) {
    size_t nout = op_out_count(d);
    memset(mag, 0, nout * sizeof *mag);
    switch (d->kind) {
    case OP_CONV:
        conv_oracle(d, d->kh, d->kw, d->pad, in, w, b, y, mag);
        return d->kh * d->kw * d->c + 1;
    case OP_FC:
        conv_oracle(d, 1, 1, 0, in, w, b, y, mag);
        return d->c + 1;
    case OP_SHIFTCONV: case OP_SHIFT: {
        float *sh = malloc(op_in_count(d) * sizeof *sh);
        shift_oracle(d, in, sh);
        if (d->kind == OP_SHIFTCONV) conv_oracle(d, 1, 1, 0, sh, w, b, y, mag);
        else for (size_t i = 0; i < nout; i++) y[i] = sh[i];
        free(sh);
        return d->c + 1;
    }
    case OP_ADD:
        for (size_t i = 0; i < nout; i++) {
            y[i] = (double)in[i] + in2[i];
            if (d->relu) y[i] = clamp_relu(d, y[i]);
            mag[i] = fabs(in[i]) + fabs(in2[i]);
        }
        return 2;
    case OP_RELU:
        for (size_t i = 0; i < nout; i++) y[i] = clamp_relu(d, in[i]);
        return 1;
    case OP_MAXPOOL: case OP_AVGPOOL: case OP_GAP: {
        int kh = d->kind == OP_GAP ? d->h : d->kh, kw = d->kind == OP_GAP ? d->w : d->kw;
        int stride = d->kind == OP_GAP ? 1 : d->stride, pad = d->kind == OP_MAXPOOL ? d->pad : 0;
        for (int bb = 0; bb < d->n; bb++)
            for (int oy = 0; oy < d->oh; oy++)
                for (int ox = 0; ox < d->ow; ox++)
                    for (int ch = 0; ch < d->c; ch++) {
                        double m = -INFINITY, s = 0, a = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) continue;
                                double v = in[(((size_t)bb * d->h + iy) * d->w + ix) * d->c + ch];
                                m = v > m ? v : m; s += v; a += fabs(v);
                            }
                        size_t o = (((size_t)bb * d->oh + oy) * d->ow + ox) * d->c + ch;
                        y[o] = d->kind == OP_MAXPOOL ? m : s / (kh * kw);
                        mag[o] = d->kind == OP_MAXPOOL ? 0 : a / (kh * kw);
                    }
        return kh * kw + 1;
    }
    default:
        return 0;
    }
}

/* |y - y64| <= (n + 2) u mag everywhere (exact where mag = 0). Returns the bad count and
 * prints the first. */
static long compare(const char *what, const float *y, const double *y64, const double *mag,
                    size_t count, int nterms) {
    double u = FLT_EPSILON / 2;
    long bad = 0;
    for (size_t i = 0; i < count; i++) {
        double err = fabs((double)y[i] - y64[i]), tol = (nterms + 2) * u * mag[i];
        if (!(err <= tol)) {
            if (!bad) fprintf(stderr, "  %s: element %zu: got %.9g want %.9g (err %.3g, tol %.3g)\n",
                              what, i, y[i], y64[i], err, tol);
            bad++;
        }
    }
    return bad;
}

/* ---- one shape against every implementation ----------------------------------------- */

/* Runs per implementation name (ours: per ISA level), printed at the end so a silent skip
 * shows. */
static const char *run_names[32], *run_levels[32];
static int run_counts[32];
static int checked[256];   /* per registry entry: shapes it passed */
static void count_run(const char *impl, const char *level) {
    for (int i = 0; i < 32; i++)
        if (!run_names[i] || (strcmp(run_names[i], impl) == 0 && strcmp(run_levels[i], level) == 0)) {
            run_names[i] = impl; run_levels[i] = level; run_counts[i]++;
            return;
        }
}

/* Our kernels run at every ISA level this CPU supports (each forced in turn with
 * SHIFTBENCH_ISA, read at create time) and at 1, 2 and 5 threads (5: more threads than
 * tiles divide evenly into, on any machine); the libraries' at the default level and
 * thread count. */
static isa_level levels[ISA_COUNT];
static int nlevels;
static const int own_threads[] = { 1, 2, 5 };

static void find_levels(void) {
    const isa_level *all;
    for (int i = 0, n = isa_levels(&all); i < n; i++)
        if (isa_supported(all[i])) levels[nlevels++] = all[i];
}

static int is_own(const kernel_impl *impl) { return strcmp(kernel_family(impl), "own") == 0; }   /* own, own-dw */
/* XNNPACK sizes a thread pool of its own (kernels/xnnpack.c): it runs at each count too. */
static int own_pool(const kernel_impl *impl) { return is_own(impl) || strcmp(kernel_family(impl), "xnnpack") == 0; }

typedef struct {
    op_kind k;
    int n, h, w, c, oc, kh, kw, stride, pad, conn, relu;
} shape;

static op_desc desc_of(const shape *s) {
    return (op_desc){ .kind = s->k, .n = s->n, .h = s->h, .w = s->w, .c = s->c, .oc = s->oc,
                      .kh = s->kh, .kw = s->kw, .stride = s->stride, .pad = s->pad,
                      .conn = s->conn, .relu = s->relu };
}

static void label_of(const op_desc *d, char *buf, size_t len) {
    snprintf(buf, len, "%s n%d %dx%dx%d->%dx%dx%d k%dx%d s%d p%d conn%d relu%d max%d g%d", op_name(d->kind),
             d->n, d->h, d->w, d->c, d->oh, d->ow, d->oc, d->kh, d->kw, d->stride, d->pad, d->conn, d->relu,
             d->relu_max, d->groups);
}

static void test_desc(op_desc d) {
    char err[ERRLEN], label[200 + SHIFT_TEXT];
    int ok = op_check(&d, err, sizeof err) == 0;
    CHECK(ok, "op_check rejected a valid shape: %s", err);
    if (!ok) return;
    label_of(&d, label, sizeof label);
    if (!d.conn && (d.kind == OP_SHIFT || d.kind == OP_SHIFTCONV)) {
        size_t n = strlen(label);
        snprintf(label + n, sizeof label - n, " table ");
        shift_format(&d, label + strlen(label), sizeof label - strlen(label));
    }
    size_t nin = op_in_count(&d), nout = op_out_count(&d);
    float *in = rand_buf(nin), *in2 = d.kind == OP_ADD ? rand_buf(nin) : NULL;
    if (d.relu_max)   /* inputs past the clamp, so both of ReLU6's bounds are reached */
        for (size_t i = 0; i < nin; i++) in[i] *= 4.0f;
    float *w = rand_buf(op_weight_count(&d)), *b = rand_buf(op_bias_count(&d));
    float *y = alloc_aligned(nout * sizeof *y);   /* 64-byte aligned, like the executor's: own shift streams its stores then */
    double *y64 = malloc(nout * sizeof *y64), *mag = malloc(nout * sizeof *mag);
    int nterms = oracle(&d, in, in2, w, b, y64, mag);
    int fast = 0;
    for (int i = 0; i < kernel_count(); i++) {
        const kernel_impl *impl = kernel_at(i);
        if (impl->op != d.kind) continue;
        int nl = is_own(impl) ? nlevels : 1, nth = own_pool(impl) ? (int)(sizeof own_threads / sizeof *own_threads) : 1;
        for (int l = 0; l < nl; l++)
            for (int t = 0; t < nth; t++) {
                if (is_own(impl)) setenv("SHIFTBENCH_ISA", isa_name(levels[l]), 1);
                if (own_pool(impl)) set_threads(own_threads[t]);
                kernel k;
                if (kernel_create(&k, impl, &d, w, b, err, sizeof err) != 0) {
                    CHECK(strcmp(impl->impl, "ref") != 0, "ref refused %s: %s", label, err);
                    if (!impl->family || !strcmp(impl->family, impl->impl))   /* a variant refuses most shapes */
                        printf("  note: %s does not run %s: %s\n", impl->impl, label, err);
                    continue;
                }
                for (size_t j = 0; j < nout; j++) y[j] = NAN;   /* an unwritten output fails */
                kernel_run(&k, in, in2, y);
                char what[300];
                snprintf(what, sizeof what, "%s (%s, %d threads)", label, kernel_info(&k), own_pool(impl) ? own_threads[t] : 0);
                long bad = compare(what, y, y64, mag, nout, nterms);
                CHECK(bad == 0, "%s: %ld of %zu outputs out of tolerance", what, bad, nout);
                kernel_destroy(&k);
                if (t == 0) count_run(impl->impl, is_own(impl) ? isa_name(levels[l]) : "");
                if (t == 0 && l == 0 && i < 256) checked[i]++;
                if (strcmp(impl->impl, "ref") != 0) fast++;
            }
        unsetenv("SHIFTBENCH_ISA");
        set_threads(0);
    }
    /* grouped convs that are not depthwise: own and OpenBLAS refuse them at create (oneDNN,
     * where built, runs them); depthwise ones own-dw runs */
    if ((d.kind == OP_CONV && (d.groups <= 1 || (d.groups == d.c && d.oc == d.c))) || d.kind == OP_SHIFT || d.kind == OP_SHIFTCONV || d.kind == OP_FC)
        CHECK(fast > 0, "no implementation besides ref runs %s", label);
    free(in); free(in2); free(w); free(b); free(y); free(y64); free(mag);
}

static void test_shape_groups(const shape *sh, int groups, int relu_max) {
    op_desc d = desc_of(sh);
    d.groups = groups;
    d.relu_max = relu_max;
    test_desc(d);
}

/* ---- general shift tables -------------------------------------------------------------- */

static int rand_int(int lo, int hi) { return lo + (int)((urand() + 1.0f) * 0.5f * (float)(hi - lo + 1)) % (hi - lo + 1); }

/* A shift or shiftconv d on a table of the text form s. */
static op_desc table_desc(op_kind k, int n, int h, int w, int c, int oc, int stride, const char *s) {
    op_desc d = { .kind = k, .n = n, .h = h, .w = w, .c = c, .oc = k == OP_SHIFTCONV ? oc : 0,
                  .stride = k == OP_SHIFTCONV ? stride : 0 };
    char err[ERRLEN];
    CHECK(shift_parse(s, &d, err, sizeof err) == 0, "shift_parse %s: %s", s, err);
    return d;
}

/* Named tables (ShiftViT, ShiftNet's interleaved 3x3, 2-pixel shifts, past the image, the
 * most directions), then random ones: any allocation, magnitudes 0..6 on images of 1..9
 * pixels, on every implementation at each level and thread count (test_desc). */
static void test_tables(void) {
    static const struct { const char *t; int c; } named[] = {
        { "c/12:0,1:0,-1:1,0:-1,0", 48 }, { "c/12:0,1:0,-1:1,0:-1,0", 100 },
        { "i:-1,-1:-1,0:-1,1:0,-1:0,0:0,1:1,-1:1,0:1,1", 67 },
        { "i:1,0:0,-1:-1,0:0,1", 64 },
        { "2,0:0,2:-2,0:0,-2:1,1:-1,-1", 30 }, { "c=3:7,0:0,-9:3,3", 20 },
        { "c=1:-3,-3:-3,-2:-3,-1:-3,0:-3,1:-3,2:-3,3:-2,-3:-2,-2:-2,-1:-2,0:-2,1:-2,2:-2,3:-1,-3:-1,-2:-1,-1:-1,0:-1,1:"
          "-1,2:-1,3:0,-3:0,-2:0,-1:0,1:0,2:0,3:1,-3:1,-2:1,-1:1,0:1,1:1,2:1,3:2,-3:2,-2:2,-1:2,0:2,1:2,2:2,3:3,-3:3,-2:"
          "3,-1:3,0:3,1:3,2:3,3", 50 },
        { "c/4:0,1:0,-1:1,0:-1,0", 36 },   /* no unmoved rest */
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        test_desc(table_desc(OP_SHIFT, 1, 6, 7, named[i].c, 0, 1, named[i].t));
        test_desc(table_desc(OP_SHIFTCONV, 2, 5, 6, named[i].c, 19, 1 + (int)(i % 2), named[i].t));
    }
    test_desc(table_desc(OP_SHIFT, 1, 56, 56, 96, 0, 1, "c/12:0,1:0,-1:1,0:-1,0"));   /* ShiftViT at a real size */
    test_desc(table_desc(OP_SHIFTCONV, 1, 28, 28, 128, 64, 1, "i:-1,-1:-1,0:-1,1:0,-1:0,0:0,1:1,-1:1,0:1,1"));
    test_desc(table_desc(OP_SHIFTCONV, 1, 28, 28, 128, 64, 1, "2,0:0,2:-2,0:0,-2"));
    for (int it = 0; it < 40; it++) {
        op_desc d = { .kind = it % 2 ? OP_SHIFTCONV : OP_SHIFT, .n = rand_int(1, 2), .h = rand_int(1, 9),
                      .w = rand_int(1, 9) };
        shift_table *t = &d.shift;
        int mag = it % 4 == 3 ? 6 : it % 4 == 2 ? 2 : 1;
        t->n = rand_int(1, mag == 1 ? 9 : 12);   /* at most the (2 mag + 1)^2 distinct ones */
        for (int j = 0; j < t->n; j++) {
            int fresh;
            do {   /* distinct displacements */
                t->dh[j] = (int16_t)rand_int(-mag, mag);
                t->dw[j] = (int16_t)rand_int(-mag, mag);
                fresh = 1;
                for (int k = 0; k < j; k++) fresh &= t->dh[k] != t->dh[j] || t->dw[k] != t->dw[j];
            } while (!fresh);
        }
        t->alloc = rand_int(0, 2) == 0 ? SHIFT_INTERLEAVED : SHIFT_CONTIGUOUS;
        int form = rand_int(0, 2);
        if (t->alloc == SHIFT_INTERLEAVED) d.c = rand_int(t->n, 3 * t->n + 40);
        else if (form == 1) { t->size = rand_int(1, 5); d.c = t->n * t->size + rand_int(0, 20); }
        else if (form == 2) { t->div = rand_int(t->n, t->n + 4); d.c = rand_int(t->div, 4 * t->div + 30); }
        else d.c = rand_int(t->n + 1, 5 * (t->n + 1) + 30);
        if (d.kind == OP_SHIFTCONV) { d.oc = rand_int(1, 40); d.stride = rand_int(1, 2); }
        test_desc(d);
    }
}

/* Bad tables: one line each, naming what is wrong; text forms round trip. */
static void test_table_rules(void) {
    char err[ERRLEN], txt[SHIFT_TEXT];
    static const struct { const char *t; int c; const char *want; } bad[] = {
        { "1,0:0,1:1,0", 30, "given twice" }, { "c=10:1,0:0,1:-1,0", 20, "exceed" },
        { "c/2:1,0:0,1:-1,0", 20, "exceed" }, { "1,0:0,1:-1,0:0,-1", 4, "no channels" },
        { "i:1,0:0,1:-1,0", 2, "no channel" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        op_desc d = table_desc(OP_SHIFT, 1, 4, 4, bad[i].c, 0, 1, bad[i].t);
        CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, bad[i].want) && !strchr(err, '\n'),
              "table %s on %d channels: %s (want '%s')", bad[i].t, bad[i].c, err, bad[i].want);
    }
    static const char *const unparsable[] = { "", "6", "1,0:", "1,0;0,1", "x:1,0", "c/0:1,0", "c/-2:1,0", "1,99999",
                                              "i/3:1,0", "1,0:0" };
    for (size_t i = 0; i < sizeof unparsable / sizeof *unparsable; i++) {
        op_desc d = { .kind = OP_SHIFT };
        int r = shift_parse(unparsable[i], &d, err, sizeof err);
        if (r == 0) { d.n = 1; d.h = d.w = 4; d.c = 30; r = op_check(&d, err, sizeof err); }
        CHECK(r == -1, "'%s' refused", unparsable[i]);
    }
    op_desc d = { .kind = OP_SHIFT, .n = 1, .h = 4, .w = 4, .c = 30 };
    d.shift.n = SHIFT_MAX_DIRS + 1;
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "displacements"), "too many: %s", err);
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 4, .w = 4, .c = 3, .oc = 4, .kh = 1, .kw = 1, .stride = 1 };
    d.shift.n = 2;
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "no shift"), "conv with a table: %s", err);
    /* a table that is a preset is named by it; texts round trip */
    d = table_desc(OP_SHIFT, 1, 4, 4, 30, 0, 1, "1,0:0,-1:-1,0:0,1");
    CHECK(op_check(&d, err, sizeof err) == 0 && d.conn == 4, "the 4C table is conn 4: %s", err);
    d = table_desc(OP_SHIFT, 1, 4, 4, 30, 0, 1, "c/9:1,1:1,0:1,-1:0,-1:-1,-1:-1,0:-1,1:0,1");
    CHECK(op_check(&d, err, sizeof err) == 0 && d.conn == 8, "the 8C table with its divisor is conn 8: %s", err);
    static const char *const texts[] = { "4", "8", "c/12:0,1:0,-1:1,0:-1,0", "i:-1,-1:0,0:1,1", "c=3:7,0:0,-9", "2,0:0,2" };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        d = table_desc(OP_SHIFT, 1, 4, 4, 40, 0, 1, texts[i]);
        CHECK(op_check(&d, err, sizeof err) == 0, "%s: %s", texts[i], err);
        shift_format(&d, txt, sizeof txt);
        CHECK(strcmp(txt, texts[i]) == 0, "format %s gives %s", texts[i], txt);
    }
    /* channel lookups: ShiftViT c = 100: groups of 8, channels 32.. unmoved */
    d = table_desc(OP_SHIFT, 1, 4, 4, 100, 0, 1, "c/12:0,1:0,-1:1,0:-1,0");
    CHECK(op_check(&d, err, sizeof err) == 0 && shift_gs(&d) == 8 && shift_channel_dir(&d, 31) == 3 &&
          shift_channel_dir(&d, 32) == -1 && shift_dir_channels(&d, -1) == 68, "ShiftViT groups");
    d = table_desc(OP_SHIFT, 1, 4, 4, 10, 0, 1, "i:1,0:0,1:-1,0");
    CHECK(op_check(&d, err, sizeof err) == 0 && shift_channel_dir(&d, 7) == 1 && shift_dir_channels(&d, 0) == 4 &&
          shift_dir_channels(&d, 2) == 3 && shift_dir_channels(&d, -1) == 0, "interleaved channels");
}

/* ---- shapes ------------------------------------------------------------------------- */

static void test_shape(const shape *sh) { test_shape_groups(sh, 0, 0); }

/* ReLU6 (relu_max 6; 1 and 2 as well, inside the data's range, which is scaled by 4 then):
 * the relu layer, and fused into conv (1x1, 3x3, depthwise as MobileNetV2's), shiftconv,
 * add and fc */
static const struct { shape s; int groups, relu_max; } clamped[] = {
    { { OP_RELU, 2, 3, 5, 37, 0, 0, 0, 0, 0, 0, 0 }, 0, 2 },
    { { OP_RELU, 1, 4, 4, 64, 0, 0, 0, 0, 0, 0, 0 }, 0, 6 },
    { { OP_CONV, 1, 7, 5, 24, 40, 1, 1, 1, 0, 0, 1 }, 0, 2 },
    { { OP_CONV, 2, 9, 9, 16, 32, 3, 3, 2, 1, 0, 1 }, 0, 6 },
    { { OP_CONV, 1, 14, 14, 96, 96, 3, 3, 2, 1, 0, 1 }, 96, 2 },
    { { OP_CONV, 1, 7, 7, 32, 32, 3, 3, 1, 1, 0, 1 }, 32, 1 },
    { { OP_SHIFTCONV, 1, 9, 9, 31, 17, 1, 1, 2, 0, 8, 1 }, 0, 2 },
    { { OP_ADD, 1, 4, 4, 33, 0, 0, 0, 0, 0, 0, 1 }, 0, 1 },
    { { OP_FC, 3, 1, 1, 33, 5, 0, 0, 0, 0, 0, 1 }, 0, 2 },
};

/* grouped and depthwise (groups = c = oc), strided, padded, with ReLU */
static const struct { shape s; int groups; } grouped[] = {
    { { OP_CONV, 1, 7, 7, 16, 16, 3, 3, 1, 1, 0, 0 }, 16 },
    { { OP_CONV, 2, 9, 8, 24, 24, 3, 3, 2, 1, 0, 1 }, 24 },
    { { OP_CONV, 1, 6, 6, 12, 8, 3, 3, 1, 0, 0, 0 }, 4 },
    { { OP_CONV, 1, 5, 5, 8, 16, 1, 1, 1, 0, 0, 1 }, 2 },
    { { OP_CONV, 1, 14, 14, 64, 64, 3, 3, 1, 1, 0, 0 }, 64 },
    /* depthwise (own-dw): channel tails at every vector width, a 1x1 image, 5x5, no pad */
    { { OP_CONV, 1, 1, 1, 37, 37, 3, 3, 1, 1, 0, 1 }, 37 },
    { { OP_CONV, 3, 11, 7, 70, 70, 5, 5, 2, 2, 0, 0 }, 70 },
    { { OP_CONV, 1, 8, 8, 20, 20, 3, 3, 1, 0, 0, 1 }, 20 },
};

static const shape shapes[] = {
    /* conv: 1x1 and 2x3 images, odd sizes with stride 2, batch > 1, every window */
    { OP_CONV, 1, 1, 1, 3, 4, 1, 1, 1, 0, 0, 0 },
    { OP_CONV, 1, 1, 1, 3, 4, 3, 3, 1, 1, 0, 1 },
    { OP_CONV, 2, 2, 3, 5, 7, 3, 3, 1, 1, 0, 0 },
    { OP_CONV, 1, 7, 5, 6, 8, 3, 3, 2, 1, 0, 1 },
    { OP_CONV, 1, 9, 9, 7, 10, 1, 1, 2, 0, 0, 0 },
    { OP_CONV, 3, 5, 5, 4, 6, 1, 1, 1, 0, 0, 1 },
    { OP_CONV, 2, 11, 13, 3, 8, 7, 7, 2, 3, 0, 1 },
    { OP_CONV, 1, 6, 6, 5, 3, 2, 2, 2, 0, 0, 0 },
    { OP_CONV, 1, 5, 5, 20, 17, 1, 1, 1, 1, 0, 0 },    /* padded 1x1: the general path */
    { OP_CONV, 1, 32, 32, 256, 8, 3, 3, 1, 1, 0, 1 },  /* K = 2304: im2col in two chunks */
    /* fc */
    { OP_FC, 1, 1, 1, 10, 7, 0, 0, 0, 0, 0, 0 },
    { OP_FC, 3, 1, 1, 33, 5, 0, 0, 0, 0, 0, 1 },
    /* shift and shiftconv: C = 5 and 9 exactly, C not divisible by 5 or 9, odd sizes */
    { OP_SHIFT, 1, 3, 3, 5, 0, 0, 0, 0, 0, 4, 0 },
    { OP_SHIFT, 1, 3, 3, 9, 0, 0, 0, 0, 0, 8, 0 },
    { OP_SHIFT, 2, 7, 5, 23, 0, 0, 0, 0, 0, 4, 0 },
    { OP_SHIFT, 1, 1, 1, 19, 0, 0, 0, 0, 0, 8, 0 },
    { OP_SHIFT, 1, 2, 3, 37, 0, 0, 0, 0, 0, 8, 0 },
    { OP_SHIFT, 1, 9, 8, 100, 0, 0, 0, 0, 0, 8, 0 },
    { OP_SHIFT, 2, 5, 6, 300, 0, 0, 0, 0, 0, 8, 0 },     /* wide pixels (own: pixel by pixel), partial vector */
    { OP_SHIFT, 1, 7, 7, 512, 0, 0, 0, 0, 0, 4, 0 },
    { OP_SHIFT, 1, 2, 1, 160, 0, 0, 0, 0, 0, 8, 0 },
    { OP_SHIFT, 2, 56, 56, 384, 0, 0, 0, 0, 0, 8, 0 },   /* 19 MB: streaming stores, prefetch */
    { OP_SHIFTCONV, 1, 3, 3, 5, 5, 1, 1, 1, 0, 4, 0 },
    { OP_SHIFTCONV, 1, 3, 3, 9, 4, 1, 1, 1, 0, 8, 1 },
    { OP_SHIFTCONV, 1, 1, 1, 7, 3, 1, 1, 1, 0, 4, 0 },
    { OP_SHIFTCONV, 1, 2, 3, 13, 9, 1, 1, 1, 0, 8, 0 },
    { OP_SHIFTCONV, 2, 7, 5, 23, 70, 1, 1, 2, 0, 4, 1 },
    { OP_SHIFTCONV, 1, 9, 9, 31, 17, 1, 1, 2, 0, 8, 0 },
    { OP_SHIFTCONV, 3, 4, 6, 12, 130, 1, 1, 1, 0, 4, 0 },
    { OP_SHIFTCONV, 1, 5, 5, 300, 70, 1, 1, 1, 0, 8, 1 },  /* two reduction chunks */
    { OP_SHIFTCONV, 1, 46, 46, 256, 40, 1, 1, 1, 0, 4, 1 },  /* 2.1 MB input, small weights: own prefetches the input */
    /* element-wise and pooling */
    { OP_ADD, 2, 3, 5, 7, 0, 0, 0, 0, 0, 0, 0 },
    { OP_ADD, 1, 4, 4, 33, 0, 0, 0, 0, 0, 0, 1 },
    { OP_RELU, 2, 3, 5, 7, 0, 0, 0, 0, 0, 0, 0 },
    { OP_MAXPOOL, 1, 5, 4, 3, 0, 3, 3, 2, 1, 0, 0 },
    { OP_MAXPOOL, 2, 6, 7, 5, 0, 2, 2, 2, 0, 0, 0 },
    { OP_MAXPOOL, 1, 1, 1, 4, 0, 1, 1, 1, 0, 0, 0 },
    { OP_AVGPOOL, 1, 7, 5, 6, 0, 2, 2, 2, 0, 0, 0 },
    { OP_AVGPOOL, 2, 3, 3, 5, 0, 3, 3, 1, 0, 0, 0 },
    { OP_GAP, 2, 3, 2, 5, 0, 0, 0, 0, 0, 0, 0 },
    /* ResNet-50 (v1.5) layers, a representative subset, and their shift counterparts */
    { OP_CONV, 1, 224, 224, 3, 64, 7, 7, 2, 3, 0, 1 },    /* stem */
    { OP_MAXPOOL, 1, 112, 112, 64, 0, 3, 3, 2, 1, 0, 0 },
    { OP_CONV, 1, 56, 56, 64, 64, 1, 1, 1, 0, 0, 1 },
    { OP_CONV, 1, 56, 56, 64, 64, 3, 3, 1, 1, 0, 1 },
    { OP_CONV, 1, 56, 56, 64, 256, 1, 1, 1, 0, 0, 0 },
    { OP_CONV, 1, 56, 56, 128, 128, 3, 3, 2, 1, 0, 1 },   /* stride on the 3x3 */
    { OP_CONV, 1, 56, 56, 256, 512, 1, 1, 2, 0, 0, 0 },   /* projection shortcut */
    { OP_CONV, 1, 14, 14, 256, 256, 3, 3, 1, 1, 0, 1 },
    { OP_CONV, 1, 7, 7, 2048, 512, 1, 1, 1, 0, 0, 1 },
    { OP_ADD, 1, 56, 56, 256, 0, 0, 0, 0, 0, 0, 1 },
    { OP_GAP, 1, 7, 7, 2048, 0, 0, 0, 0, 0, 0, 0 },
    { OP_FC, 1, 1, 1, 2048, 1000, 0, 0, 0, 0, 0, 0 },
    { OP_SHIFT, 1, 56, 56, 64, 0, 0, 0, 0, 0, 4, 0 },
    { OP_SHIFT, 1, 28, 28, 128, 0, 0, 0, 0, 0, 8, 0 },
    { OP_SHIFTCONV, 1, 56, 56, 64, 64, 1, 1, 1, 0, 4, 1 },
    { OP_SHIFTCONV, 1, 56, 56, 64, 256, 1, 1, 1, 0, 8, 0 },
    { OP_SHIFTCONV, 1, 56, 56, 128, 128, 1, 1, 2, 0, 4, 1 },  /* single-shift, strided 1x1 */
    { OP_SHIFTCONV, 1, 14, 14, 256, 256, 1, 1, 1, 0, 8, 1 },
    { OP_SHIFTCONV, 2, 7, 7, 512, 512, 1, 1, 1, 0, 4, 0 },
    /* tiles that 1, 2 and 5 threads split unevenly */
    { OP_SHIFTCONV, 1, 28, 28, 128, 128, 1, 1, 1, 0, 8, 1 },
    { OP_SHIFT, 1, 28, 28, 128, 0, 0, 0, 0, 0, 4, 0 },
    { OP_CONV, 1, 28, 28, 64, 96, 3, 3, 1, 1, 0, 1 },
    { OP_SHIFTCONV, 2, 7, 7, 96, 200, 1, 1, 2, 0, 4, 0 },
    { OP_SHIFT, 3, 9, 7, 45, 0, 0, 0, 0, 0, 8, 0 },
    { OP_SHIFT, 1, 9, 7, 200, 0, 0, 0, 0, 0, 4, 0 },
    { OP_CONV, 1, 9, 7, 96, 200, 1, 1, 2, 0, 0, 1 },
};

/* ---- op rules ----------------------------------------------------------------------- */

static void test_op_rules(void) {
    char err[ERRLEN];
    for (int k = 0; k < OP_COUNT; k++) CHECK(op_from_name(op_name(k)) == k, "name round trip %d", k);
    CHECK(op_from_name("conv3d") == -1 && op_from_name(NULL) == -1, "unknown names");
    CHECK(strcmp(op_name(OP_SHIFTCONV), "shiftconv") == 0, "shiftconv name");

    op_desc d = { .kind = OP_CONV, .n = 1, .h = 224, .w = 224, .c = 3, .oc = 64, .kh = 7, .kw = 7, .stride = 2, .pad = 3 };
    CHECK(op_check(&d, err, sizeof err) == 0 && d.oh == 112 && d.ow == 112, "stem 112x112: %s", err);
    CHECK(op_weight_count(&d) == 64 * 3 * 49 && op_bias_count(&d) == 64, "conv counts");
    CHECK(op_in_count(&d) == 224 * 224 * 3 && op_out_count(&d) == 112 * 112 * 64, "tensor counts");
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 7, .w = 8, .c = 3, .oc = 4, .kh = 3, .kw = 3, .stride = 2, .pad = 1 };
    CHECK(op_check(&d, err, sizeof err) == 0 && d.oh == 4 && d.ow == 4, "floor rule: %dx%d", d.oh, d.ow);
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 2, .w = 8, .c = 3, .oc = 4, .kh = 3, .kw = 3, .stride = 1 };
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "output height would be 0"), "too small: %s", err);
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 8, .w = 8, .c = 3, .oc = 4, .kh = 3, .kw = 3, .stride = 0 };
    CHECK(op_check(&d, err, sizeof err) == -1, "stride 0");
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 8, .w = 8, .c = 3, .oc = 0, .kh = 1, .kw = 1, .stride = 1 };
    CHECK(op_check(&d, err, sizeof err) == -1, "conv without oc");
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 8, .w = 8, .c = 3, .oc = 4, .kh = 1, .kw = 1, .stride = 1, .oh = 7 };
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "does not match"), "given oh mismatch: %s", err);
    d = (op_desc){ .kind = OP_CONV, .n = 1 << 20, .h = 1 << 10, .w = 1 << 10, .c = 64, .oc = 4, .kh = 1, .kw = 1, .stride = 1 };
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "too many"), "overflow: %s", err);
    d = (op_desc){ .kind = OP_CONV, .n = 0, .h = 8, .w = 8, .c = 3, .oc = 4, .kh = 1, .kw = 1, .stride = 1 };
    CHECK(op_check(&d, err, sizeof err) == -1, "n = 0");

    d = (op_desc){ .kind = OP_SHIFT, .n = 1, .h = 4, .w = 4, .c = 3, .conn = 4 };
    CHECK(op_check(&d, err, sizeof err) == -1 &&
          strcmp(err, "shift needs at least 5 channels for 4-connected (5 groups), got 3") == 0, "c < 5: %s", err);
    d = (op_desc){ .kind = OP_SHIFTCONV, .n = 1, .h = 4, .w = 4, .c = 8, .oc = 4, .stride = 1, .conn = 8 };
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "at least 9 channels"), "8C c < 9: %s", err);
    d = (op_desc){ .kind = OP_SHIFT, .n = 1, .h = 4, .w = 4, .c = 30, .conn = 6 };
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "4 or 8"), "conn 6: %s", err);
    d = (op_desc){ .kind = OP_SHIFT, .n = 1, .h = 4, .w = 4, .c = 30, .oc = 20, .conn = 4 };
    CHECK(op_check(&d, err, sizeof err) == -1, "shift oc != c");
    d = (op_desc){ .kind = OP_SHIFT, .n = 1, .h = 4, .w = 5, .c = 30, .conn = 4 };
    CHECK(op_check(&d, err, sizeof err) == 0 && d.oh == 4 && d.ow == 5 && d.oc == 30, "shift fills: %s", err);
    CHECK(op_weight_count(&d) == 0 && op_bias_count(&d) == 0, "shift has no weights");
    d = (op_desc){ .kind = OP_SHIFTCONV, .n = 1, .h = 5, .w = 5, .c = 30, .oc = 60, .stride = 2, .conn = 4 };
    CHECK(op_check(&d, err, sizeof err) == 0 && d.oh == 3 && d.ow == 3, "shiftconv stride 2: %s", err);
    CHECK(op_weight_count(&d) == 60 * 30 && op_bias_count(&d) == 60, "shiftconv counts");
    d = (op_desc){ .kind = OP_SHIFTCONV, .n = 1, .h = 5, .w = 5, .c = 30, .oc = 60, .kh = 3, .kw = 3, .stride = 1, .conn = 4 };
    CHECK(op_check(&d, err, sizeof err) == -1, "shiftconv 3x3");

    d = (op_desc){ .kind = OP_ADD, .n = 1, .h = 4, .w = 4, .c = 8, .oh = 2 };
    CHECK(op_check(&d, err, sizeof err) == -1, "add changes shape");
    d = (op_desc){ .kind = OP_RELU, .n = 1, .h = 4, .w = 4, .c = 8, .oc = 9 };
    CHECK(op_check(&d, err, sizeof err) == -1, "relu changes channels");
    d = (op_desc){ .kind = OP_RELU, .n = 1, .h = 4, .w = 4, .c = 8, .relu_max = 6 };
    CHECK(op_check(&d, err, sizeof err) == 0, "relu6 layer: %s", err);
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 4, .w = 4, .c = 8, .oc = 8, .kh = 1, .kw = 1, .stride = 1, .relu_max = 6 };
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "without a ReLU"), "relu_max needs relu: %s", err);
    d = (op_desc){ .kind = OP_RELU, .n = 1, .h = 4, .w = 4, .c = 8, .relu_max = -1 };
    CHECK(op_check(&d, err, sizeof err) == -1, "negative relu_max");
    d = (op_desc){ .kind = OP_FC, .n = 2, .h = 7, .w = 7, .c = 8, .oc = 9 };
    CHECK(op_check(&d, err, sizeof err) == -1 && strstr(err, "h = w = 1"), "fc spatial: %s", err);
    d = (op_desc){ .kind = OP_MAXPOOL, .n = 1, .h = 8, .w = 8, .c = 8, .kh = 3, .kw = 3, .stride = 2, .pad = 2 };
    CHECK(op_check(&d, err, sizeof err) == -1, "maxpool pad > k/2");
    d = (op_desc){ .kind = OP_AVGPOOL, .n = 1, .h = 8, .w = 8, .c = 8, .kh = 2, .kw = 2, .stride = 2, .pad = 1 };
    CHECK(op_check(&d, err, sizeof err) == -1, "avgpool pad");
    d = (op_desc){ .kind = OP_GAP, .n = 2, .h = 7, .w = 7, .c = 8 };
    CHECK(op_check(&d, err, sizeof err) == 0 && d.oh == 1 && d.ow == 1 && d.oc == 8, "gap: %s", err);
    d = (op_desc){ .kind = OP_MAXPOOL, .n = 1, .h = 8, .w = 8, .c = 8, .kh = 2, .kw = 2, .stride = 2, .relu = 1 };
    CHECK(op_check(&d, err, sizeof err) == -1, "maxpool with relu");

    CHECK(shift_group_size(64, 4) == 12 && shift_group_size(64, 8) == 7, "group sizes");
    CHECK(shift_group_size(4, 4) == 0 && shift_group_size(9, 8) == 1 && shift_group_size(64, 5) == 0, "invalid groups");
    for (int g = 0; g < 9; g++) {
        int dh, dw;
        if (g < 5) {
            shift_disp(4, g, &dh, &dw);
            CHECK(dh == disp4[g][0] && dw == disp4[g][1], "4C group %d: (%d,%d)", g, dh, dw);
        }
        shift_disp(8, g, &dh, &dw);
        CHECK(dh == disp8[g][0] && dw == disp8[g][1], "8C group %d: (%d,%d)", g, dh, dw);
    }

    /* kernel_create refuses bad descriptors and the wrong op. */
    kernel k;
    const kernel_impl *rc = kernel_find(OP_CONV, "ref");
    CHECK(rc && !kernel_find(OP_CONV, "nonesuch"), "kernel_find");
    float wbuf[64] = { 0 };
    d = (op_desc){ .kind = OP_SHIFT, .n = 1, .h = 4, .w = 4, .c = 8, .conn = 4 };
    CHECK(kernel_create(&k, rc, &d, wbuf, wbuf, err, sizeof err) == -1 && strstr(err, "cannot run"), "wrong op: %s", err);
    d = (op_desc){ .kind = OP_CONV, .n = 1, .h = 1, .w = 1, .c = 8, .oc = 8, .kh = 3, .kw = 3, .stride = 1 };
    CHECK(kernel_create(&k, rc, &d, wbuf, wbuf, err, sizeof err) == -1, "conv too small");
    for (int i = 0; i < kernel_count(); i++)
        CHECK(kernel_at(i)->impl && kernel_at(i)->about && kernel_at(i)->run && kernel_at(i)->destroy,
              "table entry %d complete", i);
}

/* ---- shift direction on a hand-made image ------------------------------------------ */

/* 3x3 image, one channel per group, a single 1 in the middle: group g's 1 must land at
 * the expected pixel (worked out by hand from "down, left, up, right" etc.). */
static void test_shift_direction(void) {
    static const int land4[5][2] = { {2, 1}, {1, 0}, {0, 1}, {1, 2}, {1, 1} };
    static const int land8[9][2] = { {2, 2}, {2, 1}, {2, 0}, {1, 0}, {0, 0}, {0, 1}, {0, 2}, {1, 2}, {1, 1} };
    for (int conn = 4; conn <= 8; conn += 4) {
        int c = conn + 1;
        const int (*land)[2] = conn == 4 ? land4 : land8;
        float in[9 * 9] = { 0 }, out[9 * 9], nchw_in[9 * 9], nchw_out[9 * 9];
        for (int ch = 0; ch < c; ch++) in[4 * c + ch] = 1.0f;   /* pixel (1,1) */
        float eye[81] = { 0 };
        for (int ch = 0; ch < c; ch++) eye[ch * c + ch] = 1.0f;
        for (int i = 0; i < kernel_count(); i++) {
            const kernel_impl *impl = kernel_at(i);
            if (impl->op != OP_SHIFT && impl->op != OP_SHIFTCONV) continue;
            op_desc d = { .kind = impl->op, .n = 1, .h = 3, .w = 3, .c = c, .oc = c, .stride = 1, .conn = conn };
            kernel k;
            char err[ERRLEN];
            if (kernel_create(&k, impl, &d, eye, NULL, err, sizeof err)) continue;   /* identity 1x1 */
            kernel_run(&k, in, NULL, out);
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < 9; p++) {
                    float want = p == land[ch][0] * 3 + land[ch][1] ? 1.0f : 0.0f;
                    CHECK(out[p * c + ch] == want, "%s/%s %dC group %d pixel (%d,%d): %g", op_name(impl->op),
                          impl->impl, conn, ch, p / 3, p % 3, out[p * c + ch]);
                }
            kernel_destroy(&k);
        }
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < 9; p++) nchw_in[ch * 9 + p] = in[p * c + ch];
        CHECK(shift_nchw(nchw_in, nchw_out, 1, c, 3, 3, conn) == 0, "shift_nchw runs");
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < 9; p++)
                CHECK(nchw_out[ch * 9 + p] == (p == land[ch][0] * 3 + land[ch][1] ? 1.0f : 0.0f),
                      "shift_nchw %dC group %d pixel %d", conn, ch, p);
    }
}

/* ---- NCHW shift against the transposed NHWC ref -------------------------------------- */

static void test_shift_nchw(void) {
    static const int sz[][5] = { /* n, h, w, c, conn */
        {1, 1, 1, 5, 4}, {2, 2, 3, 9, 8}, {1, 7, 5, 23, 4}, {3, 6, 9, 40, 8}, {1, 56, 56, 64, 4} };
    for (size_t t = 0; t < sizeof sz / sizeof *sz; t++) {
        int n = sz[t][0], h = sz[t][1], w = sz[t][2], c = sz[t][3], conn = sz[t][4];
        op_desc d = { .kind = OP_SHIFT, .n = n, .h = h, .w = w, .c = c, .conn = conn };
        kernel k;
        char err[ERRLEN];
        CHECK(kernel_create(&k, kernel_find(OP_SHIFT, "ref"), &d, NULL, NULL, err, sizeof err) == 0, "%s", err);
        size_t cnt = op_in_count(&d), hw = (size_t)h * w;
        float *in = rand_buf(cnt), *out = malloc(cnt * sizeof *out);
        float *tin = malloc(cnt * sizeof *tin), *tout = malloc(cnt * sizeof *tout);
        kernel_run(&k, in, NULL, out);
        kernel_destroy(&k);
        for (int b = 0; b < n; b++)
            for (size_t p = 0; p < hw; p++)
                for (int ch = 0; ch < c; ch++)
                    tin[((size_t)b * c + ch) * hw + p] = in[((size_t)b * hw + p) * c + ch];
        CHECK(shift_nchw(tin, tout, n, c, h, w, conn) == 0, "shift_nchw runs");
        long bad = 0;
        for (int b = 0; b < n; b++)
            for (size_t p = 0; p < hw; p++)
                for (int ch = 0; ch < c; ch++)
                    bad += tout[((size_t)b * c + ch) * hw + p] != out[((size_t)b * hw + p) * c + ch];
        CHECK(bad == 0, "shift_nchw n%d %dx%dx%d %dC: %ld differ", n, h, w, c, conn, bad);
        free(in); free(out); free(tin); free(tout);
    }
    float x[8];
    CHECK(shift_nchw(x, x, 1, 4, 1, 2, 4) == -1 && shift_nchw(x, x, 1, 8, 1, 1, 6) == -1, "shift_nchw refuses");
}

/* ---- own gemm kernels with a residual: relu(conv(x) + b + in2) ------------------------ */

/* The executor fuses a block's residual add into our own conv / shiftconv / fc: a non-NULL
 * in2 is added before the ReLU. Oracle: the op without ReLU in fp64, plus in2, then ReLU;
 * one more term in the error bound. */
static void test_residual(void) {
    static const shape cases[] = {
        { OP_CONV, 1, 9, 7, 20, 70, 1, 1, 1, 0, 0, 1 },
        { OP_CONV, 2, 9, 9, 16, 33, 1, 1, 2, 0, 0, 0 },
        { OP_CONV, 1, 6, 5, 7, 19, 3, 3, 1, 1, 0, 1 },
        { OP_SHIFTCONV, 1, 7, 6, 45, 64, 1, 1, 1, 0, 8, 1 },
        { OP_SHIFTCONV, 1, 14, 14, 300, 130, 1, 1, 1, 0, 4, 1 },   /* two reduction chunks */
        { OP_FC, 3, 1, 1, 40, 10, 0, 0, 0, 0, 0, 1 },
    };
    for (int l = 0; l < nlevels; l++) {
        setenv("SHIFTBENCH_ISA", isa_name(levels[l]), 1);
        for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
            op_desc d = desc_of(&cases[t]), plain;
            char err[ERRLEN], label[200];
            CHECK(op_check(&d, err, sizeof err) == 0, "%s", err);
            plain = d;
            plain.relu = 0;
            label_of(&d, label, sizeof label);
            size_t nin = op_in_count(&d), nout = op_out_count(&d);
            float *in = rand_buf(nin), *res = rand_buf(nout), *w = rand_buf(op_weight_count(&d)), *b = rand_buf(d.oc);
            float *y = alloc_aligned(nout * sizeof *y);
            double *y64 = malloc(nout * sizeof *y64), *mag = malloc(nout * sizeof *mag);
            int nterms = oracle(&plain, in, NULL, w, b, y64, mag) + 1;
            for (size_t i = 0; i < nout; i++) {
                y64[i] += res[i];
                mag[i] += fabs(res[i]);
                if (d.relu && y64[i] < 0) y64[i] = 0;
            }
            kernel k;
            CHECK(kernel_create(&k, kernel_find(d.kind, "own"), &d, w, b, err, sizeof err) == 0, "own %s: %s", label, err);
            if (k.impl) {
                kernel_run(&k, in, res, y);
                char what[300];
                snprintf(what, sizeof what, "%s + residual (%s)", label, kernel_info(&k));
                long bad = compare(what, y, y64, mag, nout, nterms);
                CHECK(bad == 0, "%s: %ld of %zu outputs out of tolerance", what, bad, nout);
                kernel_destroy(&k);
            }
            free(in); free(res); free(w); free(b); free(y); free(y64); free(mag);
        }
    }
    unsetenv("SHIFTBENCH_ISA");
}

/* ---- fused shift+1x1 against ref shift followed by ref 1x1 conv ---------------------- */

static void test_fused_vs_ref_pair(void) {
    static const int sz[][7] = { /* n, h, w, c, oc, stride, conn */
        {1, 5, 7, 23, 19, 1, 4}, {2, 9, 9, 45, 64, 2, 8}, {1, 28, 28, 128, 128, 1, 8} };
    for (size_t t = 0; t < sizeof sz / sizeof *sz; t++) {
        op_desc sc = { .kind = OP_SHIFTCONV, .n = sz[t][0], .h = sz[t][1], .w = sz[t][2], .c = sz[t][3],
                       .oc = sz[t][4], .stride = sz[t][5], .conn = sz[t][6] };
        op_desc sh = { .kind = OP_SHIFT, .n = sc.n, .h = sc.h, .w = sc.w, .c = sc.c, .conn = sc.conn };
        op_desc cv = { .kind = OP_CONV, .n = sc.n, .h = sc.h, .w = sc.w, .c = sc.c, .oc = sc.oc,
                       .kh = 1, .kw = 1, .stride = sc.stride };
        char err[ERRLEN];
        CHECK(op_check(&sc, err, sizeof err) == 0, "%s", err);
        size_t nin = op_in_count(&sc), nout = op_out_count(&sc);
        float *in = rand_buf(nin), *w = rand_buf(op_weight_count(&sc)), *b = rand_buf(sc.oc);
        float *mid = malloc(nin * sizeof *mid), *want = malloc(nout * sizeof *want), *got = malloc(nout * sizeof *got);
        kernel ks, kc;
        CHECK(kernel_create(&ks, kernel_find(OP_SHIFT, "ref"), &sh, NULL, NULL, err, sizeof err) == 0, "%s", err);
        CHECK(kernel_create(&kc, kernel_find(OP_CONV, "ref"), &cv, w, b, err, sizeof err) == 0, "%s", err);
        kernel_run(&ks, in, NULL, mid);
        kernel_run(&kc, mid, NULL, want);
        kernel_destroy(&ks); kernel_destroy(&kc);
        /* Two float results, each within (c+3) u sum|terms| of the exact value; the
         * terms are bounded by |w||x| <= 1, so allow 2 (c+3) u (c+1) absolute. */
        double tol = 2.0 * (sc.c + 3) * (FLT_EPSILON / 2) * (sc.c + 1);
        for (int i = 0; i < kernel_count(); i++) {
            const kernel_impl *impl = kernel_at(i);
            kernel k;
            if (impl->op != OP_SHIFTCONV || strcmp(impl->impl, "ref") == 0 ||
                kernel_create(&k, impl, &sc, w, b, err, sizeof err)) continue;
            kernel_run(&k, in, NULL, got);
            long bad = 0;
            for (size_t j = 0; j < nout; j++) bad += !(fabs(got[j] - want[j]) <= tol);
            CHECK(bad == 0, "%s shiftconv vs ref shift + ref conv (case %zu): %ld differ", impl->impl, t, bad);
            kernel_destroy(&k);
        }
        free(in); free(w); free(b); free(mid); free(want); free(got);
    }
}

/* impl_info names the level our kernels run at, for every level. */
static void test_level_info(void) {
    static const shape sh[] = {
        { OP_SHIFT, 1, 3, 3, 5, 0, 0, 0, 0, 0, 4, 0 }, { OP_MAXPOOL, 1, 4, 4, 3, 0, 2, 2, 2, 0, 0, 0 },
        { OP_AVGPOOL, 1, 4, 4, 3, 0, 2, 2, 2, 0, 0, 0 }, { OP_GAP, 1, 2, 2, 3, 0, 0, 0, 0, 0, 0, 0 },
        { OP_ADD, 1, 2, 2, 3, 0, 0, 0, 0, 0, 0, 0 }, { OP_RELU, 1, 2, 2, 3, 0, 0, 0, 0, 0, 0, 0 } };
    for (int l = 0; l < nlevels; l++) {
        setenv("SHIFTBENCH_ISA", isa_name(levels[l]), 1);
        for (size_t t = 0; t < sizeof sh / sizeof *sh; t++) {
            op_desc d = desc_of(&sh[t]);
            kernel k;
            char err[ERRLEN], want[64];
            snprintf(want, sizeof want, "own:%s-%s", op_name(d.kind), isa_name(levels[l]));
            CHECK(kernel_create(&k, kernel_find(d.kind, "own"), &d, NULL, NULL, err, sizeof err) == 0 &&
                  strcmp(kernel_info(&k), want) == 0, "impl_info %s, want %s", k.impl ? kernel_info(&k) : err, want);
            kernel_destroy(&k);
        }
    }
    /* The GEMM ops: the level, and which op the GEMM runs as. */
    static const struct { shape sh; const char *what; } gemm[] = {
        { { OP_SHIFTCONV, 1, 3, 3, 5, 5, 1, 1, 1, 0, 4, 0 }, "shiftconv" },
        { { OP_CONV, 1, 3, 3, 5, 5, 1, 1, 1, 0, 0, 0 }, "conv1x1" },
        { { OP_CONV, 1, 3, 3, 5, 5, 3, 3, 1, 1, 0, 0 }, "conv" },
        { { OP_FC, 2, 1, 1, 5, 5, 0, 0, 0, 0, 0, 0 }, "fc" } };
    float zw[5 * 5 * 9] = { 0 };
    for (int l = 0; l < nlevels; l++) {
        setenv("SHIFTBENCH_ISA", isa_name(levels[l]), 1);
        for (size_t t = 0; t < sizeof gemm / sizeof *gemm; t++) {
            op_desc d = desc_of(&gemm[t].sh);
            kernel k;
            char err[ERRLEN], want[64];
            snprintf(want, sizeof want, "own:%s-%s", gemm[t].what, isa_name(levels[l]));
            CHECK(kernel_create(&k, kernel_find(d.kind, "own"), &d, zw, NULL, err, sizeof err) == 0 &&
                  strcmp(kernel_info(&k), want) == 0, "impl_info %s, want %s", k.impl ? kernel_info(&k) : err, want);
            kernel_destroy(&k);
        }
    }
    unsetenv("SHIFTBENCH_ISA");
}

int main(void) {
    set_threads(0);
    find_levels();
    test_op_rules();
    test_shift_direction();
    test_shift_nchw();
    test_fused_vs_ref_pair();
    test_residual();
    test_level_info();
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) test_shape(&shapes[i]);
    for (size_t i = 0; i < sizeof grouped / sizeof *grouped; i++) test_shape_groups(&grouped[i].s, grouped[i].groups, 0);
    for (size_t i = 0; i < sizeof clamped / sizeof *clamped; i++)
        test_shape_groups(&clamped[i].s, clamped[i].groups, clamped[i].relu_max);
    test_table_rules();
    test_tables();
    for (int i = 0; i < 32 && run_names[i]; i++)
        printf("  %s%s%s: %d shapes checked\n", run_names[i], *run_levels[i] ? " at " : "", run_levels[i], run_counts[i]);
    /* Every registered kernel ran some shape: a table the registry does not reach, or an
     * entry that refuses every shape, fails here. */
    for (int i = 0; i < kernel_count(); i++)
        CHECK(i < 256 && checked[i] > 0, "%s/%s checked no shape", op_name(kernel_at(i)->op), kernel_at(i)->impl);
    return check_done("test_kernels");
}
