/* oneDNN kernels (kernels/onednn.c) against plain double-precision loops, and the shift
 * identity: a 4C/8C shift followed by a 1x1 conv equals a 3x3 conv (pad 1) whose weights
 * are zero except, for each input channel, at that channel's shift tap — oneDNN's 3x3 conv
 * is an oracle for ref shiftconv that shares no code with it.
 *
 * Tolerances. fp32 dot products of K terms, in any summation order and with or without FMA,
 * lie within gamma(K) * sum|terms| of the exact value (gamma(k) = k*u / (1 - k*u),
 * u = 2^-24; Higham, "Accuracy and Stability of Numerical Algorithms", 3.1); the bias is one
 * more term and ReLU is 1-Lipschitz, so conv / fc use gamma(K+1) * (sum|w*x| + |b|) per
 * output element, computed alongside the double reference. Averages add one division
 * (or one multiplication by a rounded reciprocal): gamma(k+2) * mean|x|. Max pooling, ReLU
 * and add (one correctly rounded fp32 addition) are exact: tolerance 0. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../kernels/kernel.h"
#include "../common/util.h"

static uint32_t rng_state = 20190527u;

static float frand(void) {   /* uniform in [-1, 1), deterministic */
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static float *rand_buf(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

static float *nan_buf(size_t n) {   /* output buffers start as NaN: nothing unwritten passes */
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

static double gamma_k(double k) {
    const double u = 0x1p-24;
    return k * u / (1.0 - k * u);
}

/* Compares got with want (exact, double) within tol[i] (NULL = 0) element by element. */
static void compare(const char *what, const float *got, const double *want, const double *tol, size_t n) {
    size_t bad = 0, worst = 0;
    double worst_excess = -1;
    for (size_t i = 0; i < n; i++) {
        double t = tol ? tol[i] : 0.0;
        double e = fabs((double)got[i] - want[i]);
        if (!(e <= t)) {   /* NaN fails too */
            bad++;
            double ex = isnan(e) ? INFINITY : e - t;
            if (ex > worst_excess) { worst_excess = ex; worst = i; }
        }
    }
    CHECK(bad == 0, "%s: %zu of %zu outside tolerance; worst at %zu: got %.9g want %.9g tol %.3g",
          what, bad, n, worst, bad ? got[worst] : 0.0, bad ? want[worst] : 0.0,
          bad && tol ? tol[worst] : 0.0);
}

/* Creates the oneDNN kernel for d (checked by kernel_create); NULL after a failed CHECK. */
static int make(kernel *k, op_desc *d, const char *impl, const float *w, const float *b, const char *what) {
    char err[ERRLEN] = "";
    const kernel_impl *ki = kernel_find(d->kind, impl);
    CHECK(ki != NULL, "%s: no %s %s kernel", what, impl, op_name(d->kind));
    if (!ki) return -1;
    int rc = kernel_create(k, ki, d, w, b, err, sizeof err);
    CHECK(rc == 0, "%s: %s create failed: %s", what, impl, err);
    if (rc == 0) *d = k->d;   /* the checked descriptor (oh, ow filled) */
    return rc;
}

/* ---- references -------------------------------------------------------------------------- */

/* out = the exact conv (+ bias, ReLU); mag = sum |w*x| + |b| per output element. */
static void conv_ref(const op_desc *d, const float *in, const float *w, const float *b,
                     double *out, double *mag) {
    for (int n = 0; n < d->n; n++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int o = 0; o < d->oc; o++) {
                    double s = b ? b[o] : 0.0, a = b ? fabs(b[o]) : 0.0;
                    for (int ky = 0; ky < d->kh; ky++) {
                        int iy = oy * d->stride - d->pad + ky;
                        if (iy < 0 || iy >= d->h) continue;
                        for (int kx = 0; kx < d->kw; kx++) {
                            int ix = ox * d->stride - d->pad + kx;
                            if (ix < 0 || ix >= d->w) continue;
                            const float *px = in + (((size_t)n * d->h + iy) * d->w + ix) * d->c;
                            for (int c = 0; c < d->c; c++) {
                                double t = (double)w[(((size_t)o * d->c + c) * d->kh + ky) * d->kw + kx] * px[c];
                                s += t;
                                a += fabs(t);
                            }
                        }
                    }
                    size_t i = (((size_t)n * d->oh + oy) * d->ow + ox) * d->oc + o;
                    out[i] = d->relu && s < 0 ? 0.0 : s;
                    mag[i] = a;
                }
}

/* Max (avg = 0) or average (avg = 1, divisor = in-bounds count) over kh x kw windows. */
static void pool_ref(const op_desc *d, int kh, int kw, int stride, int pad, int avg,
                     double *out, double *tol, const float *in) {
    for (int n = 0; n < d->n; n++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int c = 0; c < d->c; c++) {
                    double m = -INFINITY, s = 0, a = 0;
                    int cnt = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * stride - pad + ky;
                        if (iy < 0 || iy >= d->h) continue;
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * stride - pad + kx;
                            if (ix < 0 || ix >= d->w) continue;
                            double v = in[(((size_t)n * d->h + iy) * d->w + ix) * d->c + c];
                            if (v > m) m = v;
                            s += v;
                            a += fabs(v);
                            cnt++;
                        }
                    }
                    size_t i = (((size_t)n * d->oh + oy) * d->ow + ox) * d->c + c;
                    out[i] = avg ? s / cnt : m;
                    tol[i] = avg ? gamma_k(cnt + 2) * a / cnt : 0.0;
                }
}

/* ---- per-op tests ------------------------------------------------------------------------ */

static void test_conv(int n, int h, int w, int c, int oc, int kh, int kw, int stride, int pad, int relu) {
    char what[128];
    snprintf(what, sizeof what, "conv n%d %dx%dx%d->%d k%dx%d s%d p%d relu%d",
             n, h, w, c, oc, kh, kw, stride, pad, relu);
    op_desc d = { .kind = OP_CONV, .n = n, .h = h, .w = w, .c = c, .oc = oc,
                  .kh = kh, .kw = kw, .stride = stride, .pad = pad, .relu = relu };
    float *wt = rand_buf((size_t)oc * c * kh * kw), *b = rand_buf((size_t)oc);
    kernel k;
    if (make(&k, &d, "onednn", wt, b, what)) { free(wt); free(b); return; }
    /* Weights and bias were copied at create: scribbling on them must change nothing. */
    float *wsave = malloc((size_t)oc * c * kh * kw * sizeof *wsave), *bsave = malloc((size_t)oc * sizeof *bsave);
    memcpy(wsave, wt, (size_t)oc * c * kh * kw * sizeof *wt);
    memcpy(bsave, b, (size_t)oc * sizeof *b);
    memset(wt, 0, (size_t)oc * c * kh * kw * sizeof *wt);
    memset(b, 0, (size_t)oc * sizeof *b);

    size_t ni = op_in_count(&d), no = op_out_count(&d);
    double *want = malloc(no * sizeof *want), *tol = malloc(no * sizeof *tol);
    const char *info = kernel_info(&k);
    CHECK(info && *info, "%s: empty impl info", what);
    /* Two different input/output buffers through the same kernel: handles are per run. */
    for (int rep = 0; rep < 2; rep++) {
        float *in = rand_buf(ni), *out = nan_buf(no);
        kernel_run(&k, in, NULL, out);
        conv_ref(&d, in, wsave, bsave, want, tol);
        for (size_t i = 0; i < no; i++) tol[i] *= gamma_k((double)c * kh * kw + 1);
        char w2[320];
        snprintf(w2, sizeof w2, "%s [%s] run %d", what, info ? info : "?", rep);
        compare(w2, out, want, tol, no);
        free(in); free(out);
    }
    kernel_destroy(&k);
    free(wt); free(b); free(wsave); free(bsave); free(want); free(tol);
}

static void test_pool(op_kind kind, int n, int h, int w, int c, int kh, int kw, int stride, int pad) {
    char what[128];
    snprintf(what, sizeof what, "%s n%d %dx%dx%d k%dx%d s%d p%d", op_name(kind), n, h, w, c, kh, kw, stride, pad);
    op_desc d = { .kind = kind, .n = n, .h = h, .w = w, .c = c, .oc = c,
                  .kh = kh, .kw = kw, .stride = stride, .pad = pad };
    if (kind == OP_GAP) { d.kh = d.kw = d.stride = d.pad = 0; }
    kernel k;
    if (make(&k, &d, "onednn", NULL, NULL, what)) return;
    size_t ni = op_in_count(&d), no = op_out_count(&d);
    CHECK(kind != OP_GAP || (d.oh == 1 && d.ow == 1), "%s: gap output %dx%d", what, d.oh, d.ow);
    float *in = rand_buf(ni), *out = nan_buf(no);
    double *want = malloc(no * sizeof *want), *tol = malloc(no * sizeof *tol);
    kernel_run(&k, in, NULL, out);
    if (kind == OP_GAP) pool_ref(&d, h, w, 1, 0, 1, want, tol, in);
    else pool_ref(&d, kh, kw, stride, pad, kind == OP_AVGPOOL, want, tol, in);
    compare(what, out, want, tol, no);
    kernel_destroy(&k);
    free(in); free(out); free(want); free(tol);
}

static void test_fc(int n, int c, int oc, int relu) {
    char what[96];
    snprintf(what, sizeof what, "fc n%d %d->%d relu%d", n, c, oc, relu);
    op_desc d = { .kind = OP_FC, .n = n, .h = 1, .w = 1, .c = c, .oc = oc, .relu = relu };
    float *wt = rand_buf((size_t)oc * c), *b = rand_buf((size_t)oc);
    kernel k;
    if (make(&k, &d, "onednn", wt, b, what)) { free(wt); free(b); return; }
    float *in = rand_buf((size_t)n * c), *out = nan_buf((size_t)n * oc);
    double *want = malloc((size_t)n * oc * sizeof *want), *tol = malloc((size_t)n * oc * sizeof *tol);
    kernel_run(&k, in, NULL, out);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < oc; o++) {
            double s = b[o], a = fabs(b[o]);
            for (int j = 0; j < c; j++) {
                double t = (double)wt[(size_t)o * c + j] * in[(size_t)i * c + j];
                s += t;
                a += fabs(t);
            }
            want[(size_t)i * oc + o] = relu && s < 0 ? 0.0 : s;
            tol[(size_t)i * oc + o] = gamma_k(c + 1) * a;
        }
    compare(what, out, want, tol, (size_t)n * oc);
    kernel_destroy(&k);
    free(wt); free(b); free(in); free(out); free(want); free(tol);
}

static void test_add_relu(op_kind kind, int n, int h, int w, int c, int relu) {
    char what[96];
    snprintf(what, sizeof what, "%s n%d %dx%dx%d relu%d", op_name(kind), n, h, w, c, relu);
    op_desc d = { .kind = kind, .n = n, .h = h, .w = w, .c = c, .oc = c, .relu = relu };
    kernel k;
    if (make(&k, &d, "onednn", NULL, NULL, what)) return;
    size_t cnt = (size_t)n * h * w * c;
    float *a = rand_buf(cnt), *b = kind == OP_ADD ? rand_buf(cnt) : NULL, *out = nan_buf(cnt);
    double *want = malloc(cnt * sizeof *want);
    kernel_run(&k, a, b, out);
    for (size_t i = 0; i < cnt; i++) {
        double v = kind == OP_ADD ? (double)(a[i] + b[i]) : a[i];   /* fp32 add: correctly rounded */
        if ((kind == OP_RELU || relu) && v < 0) v = 0;
        want[i] = v;
    }
    compare(what, out, want, NULL, cnt);
    kernel_destroy(&k);
    free(a); free(b); free(out); free(want);
}

/* ---- the shift identity ------------------------------------------------------------------ */

/* The displacement table of docs/networks.md, written out independently of kernels/op.c. */
static void test_shift_table(void) {
    static const int d4[4][2] = { { 1, 0 }, { 0, -1 }, { -1, 0 }, { 0, 1 } };
    static const int d8[8][2] = { { 1, 1 }, { 1, 0 }, { 1, -1 }, { 0, -1 },
                                  { -1, -1 }, { -1, 0 }, { -1, 1 }, { 0, 1 } };
    for (int g = 0; g < 4; g++) {
        int dh = 9, dw = 9;
        shift_disp(4, g, &dh, &dw);
        CHECK(dh == d4[g][0] && dw == d4[g][1], "shift_disp(4, %d) = (%d, %d)", g, dh, dw);
    }
    for (int g = 0; g < 8; g++) {
        int dh = 9, dw = 9;
        shift_disp(8, g, &dh, &dw);
        CHECK(dh == d8[g][0] && dw == d8[g][1], "shift_disp(8, %d) = (%d, %d)", g, dh, dw);
    }
    for (int conn = 4; conn <= 8; conn += 4) {
        int dh = 9, dw = 9;
        shift_disp(conn, conn, &dh, &dw);
        CHECK(dh == 0 && dw == 0, "shift_disp(%d, centre) = (%d, %d)", conn, dh, dw);
    }
    CHECK(shift_group_size(31, 4) == 6 && shift_group_size(31, 8) == 3 && shift_group_size(8, 8) == 0,
          "shift_group_size(31,4)=%d (31,8)=%d (8,8)=%d", shift_group_size(31, 4),
          shift_group_size(31, 8), shift_group_size(8, 8));
}

static void test_shift_identity(int conn, int n, int h, int w, int c, int oc, int stride, int relu) {
    char what[128];
    snprintf(what, sizeof what, "shift identity %dC n%d %dx%dx%d->%d s%d relu%d",
             conn, n, h, w, c, oc, stride, relu);
    int gs = shift_group_size(c, conn);
    CHECK(gs > 0, "%s: shift_group_size(%d, %d) = %d", what, c, conn, gs);
    if (gs <= 0) return;
    float *w1 = rand_buf((size_t)oc * c), *b = rand_buf((size_t)oc);
    float *w3 = calloc((size_t)oc * c * 9, sizeof *w3);
    for (int ci = 0; ci < c; ci++) {
        int g = ci / gs < conn ? ci / gs : conn, dh, dw;
        shift_disp(conn, g, &dh, &dw);
        /* out(y, x) reads in(y - dh, x - dw); cross-correlation tap ky reads in(y + ky - 1). */
        int ky = 1 - dh, kx = 1 - dw;
        for (int o = 0; o < oc; o++) w3[(((size_t)o * c + ci) * 3 + ky) * 3 + kx] = w1[(size_t)o * c + ci];
    }
    op_desc ds = { .kind = OP_SHIFTCONV, .n = n, .h = h, .w = w, .c = c, .oc = oc,
                   .kh = 1, .kw = 1, .stride = stride, .pad = 0, .conn = conn, .relu = relu };
    op_desc dc = { .kind = OP_CONV, .n = n, .h = h, .w = w, .c = c, .oc = oc,
                   .kh = 3, .kw = 3, .stride = stride, .pad = 1, .relu = relu };
    kernel ks, kc;
    if (make(&ks, &ds, "ref", w1, b, what)) goto out;
    if (make(&kc, &dc, "onednn", w3, b, what)) { kernel_destroy(&ks); goto out; }
    CHECK(ds.oh == dc.oh && ds.ow == dc.ow, "%s: shapes differ: shiftconv %dx%d, conv %dx%d",
          what, ds.oh, ds.ow, dc.oh, dc.ow);
    if (ds.oh == dc.oh && ds.ow == dc.ow) {
        size_t ni = op_in_count(&ds), no = op_out_count(&ds);
        float *in = rand_buf(ni), *o_ref = nan_buf(no), *o_dnn = nan_buf(no);
        double *want = malloc(no * sizeof *want), *tol = malloc(no * sizeof *tol);
        kernel_run(&ks, in, NULL, o_ref);
        kernel_run(&kc, in, NULL, o_dnn);
        /* Both are the same c-term dot products (the zero taps add exact zeros), each within
         * gamma(c+1) * sum|terms| of the exact value: they differ by at most twice that. */
        conv_ref(&dc, in, w3, b, want, tol);
        double *ref_d = malloc(no * sizeof *ref_d);
        for (size_t i = 0; i < no; i++) {
            tol[i] *= 2.0 * gamma_k(c + 1);
            ref_d[i] = o_ref[i];
        }
        compare(what, o_dnn, ref_d, tol, no);
        compare(what, o_ref, want, tol, no);   /* and both near the exact value */
        free(in); free(o_ref); free(o_dnn); free(want); free(tol); free(ref_d);
    }
    kernel_destroy(&ks);
    kernel_destroy(&kc);
out:
    free(w1); free(b); free(w3);
}

/* Refusals come back as NULL with a one-line reason, never an abort. */
static void test_refusals(void) {
    const kernel_impl *fc = kernel_find(OP_FC, "onednn"), *cv = kernel_find(OP_CONV, "onednn");
    CHECK(fc && cv, "no onednn fc/conv");
    if (!fc || !cv) return;
    float wt[64] = { 0 }, b[8] = { 0 };
    char err[ERRLEN] = "";
    op_desc d = { .kind = OP_FC, .n = 1, .h = 2, .w = 2, .c = 4, .oh = 1, .ow = 1, .oc = 4 };
    void *st = fc->create(&d, wt, b, err, sizeof err);
    CHECK(st == NULL && err[0] && !strchr(err, '\n'), "fc on 2x2 input: state %p, err '%s'", st, err);
    if (st) fc->destroy(st);
    err[0] = 0;
    op_desc z = { .kind = OP_CONV, .n = 1, .h = 4, .w = 4, .c = 2, .oh = 0, .ow = 4, .oc = 2,
                  .kh = 1, .kw = 1, .stride = 1 };
    st = cv->create(&z, wt, b, err, sizeof err);
    CHECK(st == NULL && err[0] && !strchr(err, '\n'), "conv with oh 0: state %p, err '%s'", st, err);
    if (st) cv->destroy(st);
}

int main(void) {
    /* No entries for what oneDNN lacks. */
    CHECK(kernel_find(OP_SHIFT, "onednn") == NULL, "onednn shift kernel exists");
    CHECK(kernel_find(OP_SHIFTCONV, "onednn") == NULL, "onednn shiftconv kernel exists");

    test_refusals();

    test_conv(1, 9, 9, 16, 24, 3, 3, 1, 1, 1);
    test_conv(2, 13, 11, 13, 7, 3, 3, 2, 1, 0);     /* odd sizes, stride 2, batch 2 */
    test_conv(2, 15, 15, 37, 22, 1, 1, 2, 0, 1);    /* 1x1 stride-2 projection */
    test_conv(1, 8, 8, 64, 32, 1, 1, 1, 0, 0);
    test_conv(1, 23, 21, 3, 16, 7, 7, 2, 3, 1);     /* stem */
    test_conv(2, 10, 9, 11, 5, 3, 5, 1, 1, 0);      /* kh != kw */

    test_pool(OP_MAXPOOL, 2, 13, 11, 13, 3, 3, 2, 1);  /* stem pool, odd, padded */
    test_pool(OP_MAXPOOL, 1, 8, 8, 37, 2, 2, 2, 0);
    test_pool(OP_AVGPOOL, 2, 14, 10, 23, 2, 2, 2, 0);
    test_pool(OP_AVGPOOL, 1, 9, 9, 31, 3, 3, 2, 0);
    test_pool(OP_GAP, 2, 7, 7, 45, 0, 0, 0, 0);
    test_pool(OP_GAP, 1, 5, 3, 17, 0, 0, 0, 0);

    test_fc(2, 37, 11, 1);
    test_fc(1, 300, 101, 0);
    test_fc(3, 2048, 10, 0);

    test_add_relu(OP_ADD, 2, 7, 5, 23, 0);
    test_add_relu(OP_ADD, 1, 9, 9, 31, 1);
    test_add_relu(OP_RELU, 2, 9, 7, 13, 0);

    test_shift_table();
    test_shift_identity(4, 1, 9, 9, 31, 17, 1, 0);
    test_shift_identity(4, 2, 11, 7, 23, 12, 2, 1);
    test_shift_identity(8, 1, 9, 9, 31, 17, 1, 1);
    test_shift_identity(8, 2, 13, 11, 47, 9, 2, 0);
    test_shift_identity(4, 1, 8, 8, 64, 64, 1, 0);
    test_shift_identity(8, 1, 8, 8, 64, 64, 2, 0);

    return check_done("test_onednn");
}
