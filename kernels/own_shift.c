/* Shift on NHWC: each output pixel is a few contiguous channel runs copied from its
 * neighbours (zero outside); and the NCHW variant, whole shifted plane rows. */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"
#include "../common/util.h"

typedef struct {
    op_desc d;
    int gs, dh[9], dw[9], lo[9], len[9];
    long off[9];   /* group g's source, in floats from the output pixel's own position */
    int avx512;
} shift_state;

void *own_shift_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    shift_state *s = calloc(1, sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    s->gs = shift_group_size(d.c, d.conn);
    for (int g = 0; g <= d.conn; g++) {
        shift_disp(d.conn, g, &s->dh[g], &s->dw[g]);
        s->lo[g] = g * s->gs;
        s->len[g] = g == d.conn ? d.c - s->lo[g] : s->gs;
        s->off[g] = -((long)s->dh[g] * d.w + s->dw[g]) * d.c + s->lo[g];
    }
    s->avx512 = own_use_avx512();
    return s;
}

/* One output row: for every pixel, every group's run from its source pixel. The body is
 * shared by the AVX-512 and the portable build through COPY/ZERO. */
#define SHIFT_ROW(NAME, ATTR, COPY, ZERO)                                                   \
    ATTR static void NAME(const shift_state *s, const float *in, float *out, int b, int y) { \
        const op_desc *d = &s->d;                                                           \
        size_t row = ((size_t)b * d->h + y) * d->w * d->c;                                  \
        float *o = out + row;                                                               \
        const float *i = in + row;                                                          \
        int inner = y >= 1 && y < d->h - 1;                                                 \
        for (int x = 0; x < d->w; x++, o += d->c, i += d->c) {                              \
            if (inner && x >= 1 && x < d->w - 1) {   /* every source exists */              \
                for (int g = 0; g <= d->conn; g++) COPY(o + s->lo[g], i + s->off[g], s->len[g]); \
                continue;                                                                   \
            }                                                                               \
            for (int g = 0; g <= d->conn; g++) {                                            \
                int iy = y - s->dh[g], ix = x - s->dw[g];                                   \
                if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) ZERO(o + s->lo[g], s->len[g]); \
                else COPY(o + s->lo[g], i + s->off[g], s->len[g]);                          \
            }                                                                               \
        }                                                                                   \
    }

__attribute__((target("avx512f"))) static inline void copy512(float *dst, const float *src, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
    }
}

__attribute__((target("avx512f"))) static inline void zero512(float *dst, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_setzero_ps());
    if (i < n) _mm512_mask_storeu_ps(dst + i, (__mmask16)((1u << (n - i)) - 1), _mm512_setzero_ps());
}

static inline void copy_c(float *dst, const float *src, int n) { memcpy(dst, src, (size_t)n * sizeof *dst); }
static inline void zero_c(float *dst, int n) { memset(dst, 0, (size_t)n * sizeof *dst); }

SHIFT_ROW(row_avx512, __attribute__((target("avx512f"))), copy512, zero512)
SHIFT_ROW(row_portable, , copy_c, zero_c)

void own_shift_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const shift_state *s = p;
    const op_desc *d = &s->d;
    int rows = d->n * d->h;
    /* Threads only pay off past a few hundred KiB. */
    #pragma omp parallel for schedule(static) if (op_in_count(d) > 65536)
    for (int r = 0; r < rows; r++) {
        if (s->avx512) row_avx512(s, in, out, r / d->h, r % d->h);
        else row_portable(s, in, out, r / d->h, r % d->h);
    }
}

int shift_nchw(const float *in, float *out, int n, int c, int h, int w, int conn) {
    int gs = shift_group_size(c, conn);
    if (n <= 0 || h <= 0 || w <= 0 || gs == 0) return -1;
    long planes = (long)n * c;
    size_t hw = (size_t)h * w;
    #pragma omp parallel for schedule(static) if (planes * (long)hw > 65536)
    for (long pl = 0; pl < planes; pl++) {
        int g = (int)(pl % c) / gs, dh, dw;
        if (g > conn) g = conn;
        shift_disp(conn, g, &dh, &dw);
        const float *src = in + (size_t)pl * hw;
        float *dst = out + (size_t)pl * hw;
        /* Output rows [y0, y1) and columns [x0, x1) have a source. In a plane, pixel p reads
         * p - (dh*w + dw): one copy from the first such pixel to the last, then the columns
         * that copy wrapped (and the rows without a source) are zeroed. */
        int y0 = dh > 0 ? dh : 0, y1 = dh < 0 ? h + dh : h;
        int x0 = dw > 0 ? dw : 0, x1 = dw < 0 ? w + dw : w;
        if (y0 >= y1 || x0 >= x1) { memset(dst, 0, hw * sizeof *dst); continue; }
        size_t a = (size_t)y0 * w + x0, e = (size_t)(y1 - 1) * w + x1;
        memcpy(dst + a, src + a - ((long)dh * w + dw), (e - a) * sizeof *dst);
        memset(dst, 0, (size_t)y0 * w * sizeof *dst);
        memset(dst + (size_t)y1 * w, 0, (size_t)(h - y1) * w * sizeof *dst);
        for (int y = y0; y < y1; y++) {
            for (int x = 0; x < x0; x++) dst[(size_t)y * w + x] = 0.0f;
            for (int x = x1; x < w; x++) dst[(size_t)y * w + x] = 0.0f;
        }
    }
    return 0;
}
