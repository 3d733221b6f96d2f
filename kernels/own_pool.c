/* Pooling on NHWC: max pool (padding never wins), average pool (pad 0, windows inside by
 * the floor rule) and global average pool. A pixel's channels are contiguous, so every
 * window position is a vector load of 16 channels (masked for the last < 16); threads
 * split the output rows (gap: the images and channel blocks). */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include "own.h"
#include "../common/util.h"

typedef struct {
    op_desc d;
    int avx512;
} pool_state;

void *own_pool_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    if (d.kind != OP_MAXPOOL && d.kind != OP_AVGPOOL && d.kind != OP_GAP) {
        set_err(err, errlen, "own pool: %s is not a pooling op", op_name(d.kind));
        return NULL;
    }
    pool_state *s = malloc(sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    s->avx512 = own_use_avx512();
    return s;
}

/* Window rows [*y0, *y1) and columns [*x0, *x1) of output pixel (oy, ox) inside the image. */
static void window(const op_desc *d, int oy, int ox, int *y0, int *y1, int *x0, int *x1) {
    int ys = oy * d->stride - d->pad, xs = ox * d->stride - d->pad;
    *y0 = ys < 0 ? 0 : ys;
    *y1 = ys + d->kh > d->h ? d->h : ys + d->kh;
    *x0 = xs < 0 ? 0 : xs;
    *x1 = xs + d->kw > d->w ? d->w : xs + d->kw;
}

__attribute__((target("avx512f")))
static void pool_row_avx512(const op_desc *d, const float *in, float *out, int b, int oy) {
    int c = d->c, max = d->kind == OP_MAXPOOL;
    float inv = 1.0f / (float)(d->kh * d->kw);
    const float *img = in + (size_t)b * d->h * d->w * c;
    float *o = out + ((size_t)b * d->oh + oy) * d->ow * c;
    for (int ox = 0; ox < d->ow; ox++, o += c) {
        int y0, y1, x0, x1;
        window(d, oy, ox, &y0, &y1, &x0, &x1);
        for (int ch = 0; ch < c; ch += 16) {
            __mmask16 m = c - ch >= 16 ? 0xFFFF : (__mmask16)((1u << (c - ch)) - 1);
            __m512 v = max ? _mm512_set1_ps(-INFINITY) : _mm512_setzero_ps();
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) {
                    __m512 a = _mm512_maskz_loadu_ps(m, img + ((size_t)y * d->w + x) * c + ch);
                    v = max ? _mm512_max_ps(v, a) : _mm512_add_ps(v, a);
                }
            if (!max) v = _mm512_mul_ps(v, _mm512_set1_ps(inv));
            _mm512_mask_storeu_ps(o + ch, m, v);
        }
    }
}

static void pool_row_portable(const op_desc *d, const float *in, float *out, int b, int oy) {
    int c = d->c, max = d->kind == OP_MAXPOOL;
    float inv = 1.0f / (float)(d->kh * d->kw);
    const float *img = in + (size_t)b * d->h * d->w * c;
    float *o = out + ((size_t)b * d->oh + oy) * d->ow * c;
    for (int ox = 0; ox < d->ow; ox++, o += c) {
        int y0, y1, x0, x1;
        window(d, oy, ox, &y0, &y1, &x0, &x1);
        for (int ch = 0; ch < c; ch++) o[ch] = max ? -INFINITY : 0.0f;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                const float *a = img + ((size_t)y * d->w + x) * c;
                if (max) for (int ch = 0; ch < c; ch++) o[ch] = a[ch] > o[ch] ? a[ch] : o[ch];
                else for (int ch = 0; ch < c; ch++) o[ch] += a[ch];
            }
        if (!max)
            for (int ch = 0; ch < c; ch++) o[ch] *= inv;
    }
}

/* Global average pool of image b, channels [c0, c1). */
__attribute__((target("avx512f")))
static void gap_avx512(const op_desc *d, const float *in, float *out, int b, int c0, int c1) {
    size_t hw = (size_t)d->h * d->w;
    const float *img = in + (size_t)b * hw * d->c;
    __m512 inv = _mm512_set1_ps(1.0f / (float)hw);
    for (int ch = c0; ch < c1; ch += 16) {
        __mmask16 m = c1 - ch >= 16 ? 0xFFFF : (__mmask16)((1u << (c1 - ch)) - 1);
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        size_t p = 0;
        for (; p + 1 < hw; p += 2) {
            s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(m, img + p * d->c + ch));
            s1 = _mm512_add_ps(s1, _mm512_maskz_loadu_ps(m, img + (p + 1) * d->c + ch));
        }
        if (p < hw) s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(m, img + p * d->c + ch));
        _mm512_mask_storeu_ps(out + (size_t)b * d->c + ch, m, _mm512_mul_ps(_mm512_add_ps(s0, s1), inv));
    }
}

static void gap_portable(const op_desc *d, const float *in, float *out, int b, int c0, int c1) {
    size_t hw = (size_t)d->h * d->w;
    const float *img = in + (size_t)b * hw * d->c;
    float *o = out + (size_t)b * d->c;
    for (int ch = c0; ch < c1; ch++) o[ch] = 0.0f;
    for (size_t p = 0; p < hw; p++)
        for (int ch = c0; ch < c1; ch++) o[ch] += img[p * d->c + ch];
    for (int ch = c0; ch < c1; ch++) o[ch] *= 1.0f / (float)hw;
}

#define GAP_BLOCK 256   /* channels per gap work item */

void own_pool_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const pool_state *s = p;
    const op_desc *d = &s->d;
    long work = (long)op_in_count(d);
    if (d->kind == OP_GAP) {
        int nb = (d->c + GAP_BLOCK - 1) / GAP_BLOCK, items = d->n * nb;
        #pragma omp parallel for schedule(static) if (work > 262144 && items > 1)
        for (int i = 0; i < items; i++) {
            int b = i / nb, c0 = i % nb * GAP_BLOCK, c1 = c0 + GAP_BLOCK < d->c ? c0 + GAP_BLOCK : d->c;
            if (s->avx512) gap_avx512(d, in, out, b, c0, c1);
            else gap_portable(d, in, out, b, c0, c1);
        }
        return;
    }
    int rows = d->n * d->oh;
    #pragma omp parallel for schedule(static) if (work > 131072)
    for (int r = 0; r < rows; r++) {
        if (s->avx512) pool_row_avx512(d, in, out, r / d->oh, r % d->oh);
        else pool_row_portable(d, in, out, r / d->oh, r % d->oh);
    }
}
