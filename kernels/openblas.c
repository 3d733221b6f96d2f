/* Convolution, FC and fused shift+1x1 as OpenBLAS sgemm on NHWC: a pixel is a row of the
 * GEMM's A (c contiguous floats), weights are transposed once at create to [K][oc].
 *   direct:  1x1 stride 1 (and fc): A is the input itself, one sgemm.
 *   lowered: 1x1 stride > 1 gathers the strided pixels, kxk builds im2col rows; both in a
 *            workspace of bounded size, so large inputs go in chunks of output pixels.
 *   shiftconv: per tile of output rows and per channel group, sgemm reads the input at
 *            the group's offset and accumulates (beta = 1) into the tile; pixels whose
 *            source is outside add zero, so they are left out of the call (stride > 1:
 *            one call per row) or kept unchanged around it (stride 1: one call per tile). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "kernel.h"
#include "../common/util.h"

#define WS_FLOATS (2u << 20)     /* lowered workspace: 8 MiB */
#define TILE_BYTES (128u << 10)  /* shiftconv: output tile, kept in L2 */

enum { DIRECT, LOWERED, SHIFTED };

typedef struct {
    op_desc d;
    int mode, K;        /* GEMM reduction: kh * kw * c */
    float *wt;          /* [K][oc], K ordered (ky, kx, ci) like an im2col row */
    float *bias;        /* [oc] */
    float *ws;          /* lowered: chunk_rows x K */
    long chunk_rows;
    int ng, glo[SHIFT_MAX_DIRS + 1], ghi[SHIFT_MAX_DIRS + 1], dh[SHIFT_MAX_DIRS + 1], dw[SHIFT_MAX_DIRS + 1];
} blas_state;

static void blas_destroy(void *p) {
    blas_state *s = p;
    if (!s) return;
    free(s->wt); free(s->bias); free(s->ws);
    free(s);
}

static void *blas_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    if (d.groups > 1) {   /* one GEMM over all input channels */
        set_err(err, errlen, "openblas conv: grouped/depthwise convolution is not supported (ref and onednn run it)");
        return NULL;
    }
    if (d.kind == OP_SHIFTCONV && shift_gs(&d) == 0) {   /* a direction's channels are not one K range */
        set_err(err, errlen, "openblas shiftconv: an interleaved channel allocation is not a GEMM per group (own and ref run it)");
        return NULL;
    }
    blas_state *s = calloc(1, sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    int kh = d.kind == OP_CONV ? d.kh : 1, kw = d.kind == OP_CONV ? d.kw : 1;
    s->K = kh * kw * d.c;
    if (d.kind == OP_SHIFTCONV) s->mode = SHIFTED;
    else if (d.kind == OP_FC || (kh == 1 && kw == 1 && d.stride == 1 && d.pad == 0)) s->mode = DIRECT;
    else s->mode = LOWERED;
    long M = (long)d.n * d.oh * d.ow;
    s->chunk_rows = (long)(WS_FLOATS / (unsigned)s->K);
    if (s->chunk_rows < 1) s->chunk_rows = 1;
    if (s->chunk_rows > M) s->chunk_rows = M;
    s->wt = alloc_aligned((size_t)s->K * d.oc * sizeof(float));
    s->bias = calloc((size_t)d.oc, sizeof(float));
    if (s->mode == LOWERED) s->ws = alloc_aligned((size_t)s->chunk_rows * s->K * sizeof(float));
    if (!s->wt || !s->bias || (s->mode == LOWERED && !s->ws)) {
        blas_destroy(s);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    if (b) memcpy(s->bias, b, (size_t)d.oc * sizeof(float));
    for (int o = 0; o < d.oc; o++)                      /* OIHW -> [(ky, kx, ci)][o] */
        for (int ci = 0; ci < d.c; ci++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                    s->wt[((size_t)(ky * kw + kx) * d.c + ci) * d.oc + o] =
                        w[(((size_t)o * d.c + ci) * kh + ky) * kw + kx];
    if (s->mode == SHIFTED) {
        /* one group per direction, then the unmoved rest (possibly empty) */
        int gs = shift_gs(&d), n = shift_dirs(&d);
        s->ng = n + 1;
        for (int g = 0; g <= n; g++) {
            s->glo[g] = g * gs;
            s->ghi[g] = g == n ? d.c : (g + 1) * gs;
            if (g < n) shift_dir_disp(&d, g, &s->dh[g], &s->dw[g]);
        }
    }
    return s;
}

/* Bias and ReLU on output rows [m0, m1). */
static void epilogue(const blas_state *s, float *out, long m0, long m1) {
    int oc = s->d.oc, relu = s->d.relu;
    float hi = op_relu_hi(&s->d);
    #pragma omp parallel for schedule(static) if ((m1 - m0) * oc > 65536)
    for (long m = m0; m < m1; m++) {
        float *r = out + (size_t)m * oc;
        for (int o = 0; o < oc; o++) {
            float v = r[o] + s->bias[o];
            r[o] = !relu ? v : v < 0.0f ? 0.0f : v > hi ? hi : v;
        }
    }
}

/* The A row of output pixel m: every window position's c channels (zero outside). */
static void lower_row(const blas_state *s, const float *in, long m, float *row) {
    const op_desc *d = &s->d;
    int kh = d->kind == OP_CONV ? d->kh : 1, kw = d->kind == OP_CONV ? d->kw : 1;
    long plane = (long)d->oh * d->ow;
    int b = (int)(m / plane), oy = (int)(m % plane / d->ow), ox = (int)(m % d->ow);
    for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++, row += d->c) {
            int iy = oy * d->stride - d->pad + ky, ix = ox * d->stride - d->pad + kx;
            if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) memset(row, 0, (size_t)d->c * sizeof *row);
            else memcpy(row, in + (((size_t)b * d->h + iy) * d->w + ix) * d->c, (size_t)d->c * sizeof *row);
        }
}

static void gemm(const blas_state *s, long m, const float *a, int lda, const float *b, int k, float beta, float *c) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, s->d.oc, k, 1.0f, a, lda,
                b, s->d.oc, beta, c, s->d.oc);
}

/* Output columns [*x0, *x1) whose source column ox * stride - dw lies inside [0, w). */
static void valid_cols(const op_desc *d, int dw, int *x0, int *x1) {
    int s = d->stride;
    *x0 = dw > 0 ? (dw + s - 1) / s : 0;
    *x1 = d->w - 1 + dw < 0 ? 0 : (d->w - 1 + dw) / s + 1;
    if (*x1 > d->ow) *x1 = d->ow;
}

/* Group g's contribution to output rows [ya, yb) of image b, one sgemm per row: the
 * row's valid columns read the input row at the group's offset (lda = stride * c). */
static void group_rows(const blas_state *s, const float *in, float *out, int b, int ya, int yb, int g) {
    const op_desc *d = &s->d;
    int x0, x1;
    valid_cols(d, s->dw[g], &x0, &x1);
    for (int y = ya; y < yb && x0 < x1; y++) {
        int iy = y * d->stride - s->dh[g];
        if (iy < 0 || iy >= d->h) continue;
        const float *a = in + (((size_t)b * d->h + iy) * d->w + ((size_t)x0 * d->stride - s->dw[g])) * d->c;
        gemm(s, x1 - x0, a + s->glo[g], d->stride * d->c, s->wt + (size_t)s->glo[g] * d->oc,
             s->ghi[g] - s->glo[g], 1.0f, out + (((size_t)b * d->oh + y) * d->ow + x0) * d->oc);
    }
}

/* Stride 1: the same as group_rows in one sgemm over the pixel range from the first
 * valid pixel to the last. Input and output pixels then advance together, so the range
 * is uniform (lda = c); the border pixels inside it read a wrapped neighbour instead of
 * zero, so their outputs are saved before and restored after (exact, and safe for any
 * value in the wrapped pixel). save holds (yb - ya) * min(w, |dw|) pixels of oc floats. */
static void group_block(const blas_state *s, const float *in, float *out, int b, int ya, int yb, int g,
                        float *save) {
    const op_desc *d = &s->d;
    int h = d->h, w = d->w, oc = d->oc, dh = s->dh[g], x0, x1;
    int y0 = ya > dh ? ya : dh, y1 = yb < h + dh ? yb : h + dh;   /* rows whose source row exists */
    valid_cols(d, s->dw[g], &x0, &x1);
    if (y0 >= y1 || x0 >= x1) return;
    long p0 = (long)y0 * w + x0, p1 = (long)(y1 - 1) * w + x1;
    float *ob = out + (size_t)b * h * w * oc;
    size_t ns = 0;
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < w; x++) {
            long p = (long)y * w + x;
            if ((x < x0 || x >= x1) && p > p0 && p < p1) { memcpy(save + ns, ob + p * oc, oc * sizeof(float)); ns += oc; }
        }
    const float *a = in + (((size_t)b * h + (y0 - dh)) * w + (x0 - s->dw[g])) * d->c + s->glo[g];
    gemm(s, p1 - p0, a, d->c, s->wt + (size_t)s->glo[g] * oc, s->ghi[g] - s->glo[g], 1.0f, ob + p0 * oc);
    ns = 0;
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < w; x++) {
            long p = (long)y * w + x;
            if ((x < x0 || x >= x1) && p > p0 && p < p1) { memcpy(ob + p * oc, save + ns, oc * sizeof(float)); ns += oc; }
        }
}

/* Output rows per tile: enough pixels per sgemm to pay for OpenBLAS packing the group's
 * weights on every call (more when those do not fit L2), the tile's output in L2 while
 * the groups accumulate into it, and tiles enough for every thread. */
static int tile_rows(const blas_state *s) {
    const op_desc *d = &s->d;
    size_t wbytes = (size_t)(s->ghi[0] - s->glo[0]) * d->oc * sizeof(float);
    long pixels = wbytes > (1u << 20) ? 512 : 128;
    long rows = (long)(TILE_BYTES / ((size_t)d->ow * d->oc * sizeof(float)));
    if (rows < (pixels + d->ow - 1) / d->ow) rows = (pixels + d->ow - 1) / d->ow;
    if (rows > d->oh) rows = d->oh;
    int nth = omp_get_max_threads();
    while (rows > 1 && d->n * ((d->oh + rows - 1) / rows) < nth) rows = (rows + 1) / 2;
    return (int)rows;
}

static void shifted_run(const blas_state *s, const float *in, float *out) {
    const op_desc *d = &s->d;
    int R = tile_rows(s), per = (d->oh + R - 1) / R, tiles = d->n * per;
    /* OpenBLAS runs single-threaded inside a parallel region: the tiles are the threads' work. */
    #pragma omp parallel if ((long)tiles > 1 && (long)d->n * d->oh * d->ow * d->oc * d->c > 200000)
    {
        int cols = shift_max_mag(d) < d->w ? shift_max_mag(d) : d->w;   /* wrapped pixels per row */
        float *save = d->stride == 1 ? malloc((size_t)R * (cols > 0 ? cols : 1) * d->oc * sizeof(float)) : NULL;
        #pragma omp for schedule(static)
        for (int t = 0; t < tiles; t++) {
            int b = t / per, ya = t % per * R, yb = ya + R < d->oh ? ya + R : d->oh;
            float *o = out + ((size_t)b * d->oh + ya) * d->ow * d->oc;
            size_t n = (size_t)(yb - ya) * d->ow * d->oc;
            for (size_t i = 0; i < n; i += (size_t)d->oc) memcpy(o + i, s->bias, (size_t)d->oc * sizeof(float));
            for (int g = 0; g < s->ng; g++) {
                if (s->glo[g] >= s->ghi[g]) continue;
                if (save) group_block(s, in, out, b, ya, yb, g, save);
                else group_rows(s, in, out, b, ya, yb, g);
            }
            if (d->relu) {
                float hi = op_relu_hi(d);
                for (size_t i = 0; i < n; i++) o[i] = o[i] < 0.0f ? 0.0f : o[i] > hi ? hi : o[i];
            }
        }
        free(save);
    }
}

static void blas_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const blas_state *s = p;
    const op_desc *d = &s->d;
    long M = (long)d->n * d->oh * d->ow;
    if (s->mode == SHIFTED) { shifted_run(s, in, out); return; }
    if (s->mode == DIRECT) {
        gemm(s, M, in, d->c, s->wt, s->K, 0.0f, out);
        epilogue(s, out, 0, M);
        return;
    }
    for (long m0 = 0; m0 < M; m0 += s->chunk_rows) {
        long m1 = m0 + s->chunk_rows < M ? m0 + s->chunk_rows : M;
        #pragma omp parallel for schedule(static) if ((m1 - m0) * s->K > 65536)
        for (long m = m0; m < m1; m++) lower_row(s, in, m, s->ws + (size_t)(m - m0) * s->K);
        gemm(s, m1 - m0, s->ws, s->K, s->wt, s->K, 0.0f, out + (size_t)m0 * d->oc);
        epilogue(s, out, m0, m1);
    }
}

#define BLAS(k, text) { .op = k, .impl = "openblas", .about = text, .create = blas_create, \
                        .run = blas_run, .destroy = blas_destroy, .info = NULL }
const kernel_impl openblas_kernels[] = {
    BLAS(OP_CONV, "sgemm: 1x1 direct, strided 1x1 gathered, kxk through im2col chunks"),
    BLAS(OP_SHIFTCONV, "fused shift + 1x1: per row tile and group, sgemm on the input at the offset"),
    BLAS(OP_FC, "sgemm"),
    { .create = NULL },
};
