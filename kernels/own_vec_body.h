/* Pooling, depthwise convolution, residual add, ReLU and a copy loop on NHWC, one body over the vector layer (vf, VF_N,
 * vf_loadu, ...): own_vec_<level>.c includes its layer, the level's shift micro-kernels,
 * then this, with OWN_ISA the level's name and OWN_LEVEL its isa_level; the result is
 * own_vec_<level> (own_vec.h).
 * A pixel's channels are contiguous, so every window position is a vector load of VF_N
 * channels, the last < VF_N a tail load/store. */
#include <math.h>
#include "own_vec.h"

/* n is VF_N (a whole vector) or the tail; inlined with a constant, the test folds away. */
#define VEC_LOAD(p, n) ((n) == VF_N ? vf_loadu(p) : vf_load_tail(p, n))
#define VEC_STORE(p, v, n) do { if ((n) == VF_N) vf_storeu(p, v); else vf_store_tail(p, v, n); } while (0)

/* Window rows [*y0, *y1) and columns [*x0, *x1) of output pixel (oy, ox) inside the image. */
static void pool_window(const op_desc *d, int oy, int ox, int *y0, int *y1, int *x0, int *x1) {
    int ys = oy * d->stride - d->pad, xs = ox * d->stride - d->pad;
    *y0 = ys < 0 ? 0 : ys;
    *y1 = ys + d->kh > d->h ? d->h : ys + d->kh;
    *x0 = xs < 0 ? 0 : xs;
    *x1 = xs + d->kw > d->w ? d->w : xs + d->kw;
}

/* Channels [ch, ch + nv * n) of one output pixel o over the window, nv vectors of n
 * channels (n < VF_N: the tail, nv = 1) in independent chains (padding never wins a max;
 * average pools have no padding). */
#define POOL_NV 4
static inline __attribute__((always_inline)) void pool_block(const op_desc *d, const float *img, float *o, int y0,
                                                             int y1, int x0, int x1, int ch, int nv, int n) {
    int max = d->kind == OP_MAXPOOL;
    vf v[POOL_NV];
    for (int k = 0; k < nv; k++) v[k] = max ? vf_set1(-INFINITY) : vf_zero();
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const float *a = img + ((size_t)y * d->w + x) * d->c + ch;
            for (int k = 0; k < nv; k++) v[k] = max ? vf_max(v[k], VEC_LOAD(a + k * VF_N, n)) : vf_add(v[k], VEC_LOAD(a + k * VF_N, n));
        }
    for (int k = 0; k < nv; k++) {
        if (!max) v[k] = vf_mul(v[k], vf_set1(1.0f / (float)(d->kh * d->kw)));
        VEC_STORE(o + ch + k * VF_N, v[k], n);
    }
}

static void pool_row(const op_desc *d, const float *in, float *out, int b, int oy) {
    int c = d->c, tail = c % VF_N;
    const float *img = in + (size_t)b * d->h * d->w * c;
    float *o = out + ((size_t)b * d->oh + oy) * d->ow * c;
    for (int ox = 0; ox < d->ow; ox++, o += c) {
        int y0, y1, x0, x1, ch = 0;
        pool_window(d, oy, ox, &y0, &y1, &x0, &x1);
        for (; ch + POOL_NV * VF_N <= c; ch += POOL_NV * VF_N) pool_block(d, img, o, y0, y1, x0, x1, ch, POOL_NV, VF_N);
        for (; ch + VF_N <= c; ch += VF_N) pool_block(d, img, o, y0, y1, x0, x1, ch, 1, VF_N);
        if (tail) pool_block(d, img, o, y0, y1, x0, x1, ch, 1, tail);
    }
}

/* Depthwise convolution: channels [ch, ch + nv * n) of output pixel o, each its own filter
 * over the window's taps inside the image (padding taps add zero: skipped), from the
 * bias, then the ReLU / ReLU6. w is packed [kh * kw][c], so a tap is one vector load. */
static inline __attribute__((always_inline)) void dw_block(const op_desc *d, const float *img, const float *w,
                                                           const float *bias, float *o, int oy, int ox, int ch,
                                                           int nv, int n) {
    int y0, y1, x0, x1;
    pool_window(d, oy, ox, &y0, &y1, &x0, &x1);
    int ys = oy * d->stride - d->pad, xs = ox * d->stride - d->pad;
    vf v[POOL_NV];
    for (int k = 0; k < nv; k++) v[k] = VEC_LOAD(bias + ch + k * VF_N, n);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const float *a = img + ((size_t)y * d->w + x) * d->c + ch;
            const float *t = w + ((size_t)(y - ys) * d->kw + (x - xs)) * d->c + ch;
            for (int k = 0; k < nv; k++) v[k] = vf_fmadd(VEC_LOAD(a + k * VF_N, n), VEC_LOAD(t + k * VF_N, n), v[k]);
        }
    float hi = op_relu_hi(d);
    for (int k = 0; k < nv; k++) {
        if (d->relu) v[k] = vf_max(v[k], vf_zero());
        if (d->relu && hi < INFINITY) v[k] = vf_min(v[k], vf_set1(hi));
        VEC_STORE(o + ch + k * VF_N, v[k], n);
    }
}

static void dw_row(const op_desc *d, const float *in, const float *w, const float *bias, float *out, int b, int oy) {
    int c = d->c, tail = c % VF_N;
    const float *img = in + (size_t)b * d->h * d->w * c;
    float *o = out + ((size_t)b * d->oh + oy) * d->ow * c;
    for (int ox = 0; ox < d->ow; ox++, o += c) {
        int ch = 0;
        for (; ch + POOL_NV * VF_N <= c; ch += POOL_NV * VF_N) dw_block(d, img, w, bias, o, oy, ox, ch, POOL_NV, VF_N);
        for (; ch + VF_N <= c; ch += VF_N) dw_block(d, img, w, bias, o, oy, ox, ch, 1, VF_N);
        if (tail) dw_block(d, img, w, bias, o, oy, ox, ch, 1, tail);
    }
}

/* Channels [ch, ch + n) of image img's global average, two chains of adds. */
static inline __attribute__((always_inline)) void gap_block(const op_desc *d, const float *img, float *o, int ch,
                                                            int n) {
    size_t hw = (size_t)d->h * d->w, p = 0;
    vf s0 = vf_zero(), s1 = vf_zero();
    for (; p + 1 < hw; p += 2) {
        s0 = vf_add(s0, VEC_LOAD(img + p * d->c + ch, n));
        s1 = vf_add(s1, VEC_LOAD(img + (p + 1) * d->c + ch, n));
    }
    if (p < hw) s0 = vf_add(s0, VEC_LOAD(img + p * d->c + ch, n));
    VEC_STORE(o + ch, vf_mul(vf_add(s0, s1), vf_set1(1.0f / (float)hw)), n);
}

static void gap(const op_desc *d, const float *in, float *out, int b, int c0, int c1) {
    const float *img = in + (size_t)b * d->h * d->w * d->c;
    float *o = out + (size_t)b * d->c;
    int ch = c0;
    for (; ch + VF_N <= c1; ch += VF_N) gap_block(d, img, o, ch, VF_N);
    if (ch < c1) gap_block(d, img, o, ch, c1 - ch);
}

static void relu(const float *in, float *out, long n, float hi) {
    long i = 0;
    vf h = vf_set1(hi);
    if (hi < INFINITY)
        for (; i + VF_N <= n; i += VF_N) vf_storeu(out + i, vf_min(vf_max(vf_loadu(in + i), vf_zero()), h));
    else
        for (; i + VF_N <= n; i += VF_N) vf_storeu(out + i, vf_max(vf_loadu(in + i), vf_zero()));
    if (i < n) {
        vf v = vf_max(vf_load_tail(in + i, (int)(n - i)), vf_zero());
        vf_store_tail(out + i, hi < INFINITY ? vf_min(v, h) : v, (int)(n - i));
    }
}

static void add(const float *in, const float *in2, float *out, long n, int with_relu, float hi) {
    long i = 0;
    if (with_relu && hi < INFINITY)   /* ReLU6 */
        for (; i + VF_N <= n; i += VF_N)
            vf_storeu(out + i, vf_min(vf_max(vf_add(vf_loadu(in + i), vf_loadu(in2 + i)), vf_zero()), vf_set1(hi)));
    else if (with_relu)
        for (; i + VF_N <= n; i += VF_N) vf_storeu(out + i, vf_max(vf_add(vf_loadu(in + i), vf_loadu(in2 + i)), vf_zero()));
    else
        for (; i + VF_N <= n; i += VF_N) vf_storeu(out + i, vf_add(vf_loadu(in + i), vf_loadu(in2 + i)));
    if (i < n) {
        vf v = vf_add(vf_load_tail(in + i, (int)(n - i)), vf_load_tail(in2 + i, (int)(n - i)));
        if (with_relu) v = vf_max(v, vf_zero());
        if (with_relu && hi < INFINITY) v = vf_min(v, vf_set1(hi));
        vf_store_tail(out + i, v, (int)(n - i));
    }
}

static void copy(float *dst, const float *src, long n, int stream) {
    long i = 0;
    if (stream)
        for (; i + VF_N <= n; i += VF_N) vf_stream(dst + i, vf_loadu(src + i));
    else
        for (; i + VF_N <= n; i += VF_N) vf_storeu(dst + i, vf_loadu(src + i));
    if (i < n) vf_store_tail(dst + i, vf_load_tail(src + i, (int)(n - i)), (int)(n - i));
    if (stream) vf_stream_fence();
}

#define OWN_VEC_CAT(a, b) OWN_VEC_CAT_(a, b)
#define OWN_VEC_CAT_(a, b) a##b

OWN_VEC(OWN_ISA) = { .isa = OWN_LEVEL, .shift = &OWN_VEC_CAT(shift_ukernels_, OWN_ISA),
                     .pool_row = pool_row, .dw_row = dw_row, .gap = gap, .add = add, .relu = relu,
                     .copy = copy };
