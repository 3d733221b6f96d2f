/* The AVX-512 shift micro-kernels (own_shift.h): the chunk program. Each 16-channel output
 * vector is built from merge-masked loads of the groups that overlap it and stored whole
 * (streamed past the caches). This stays the one AVX-512 specialization, not an instance
 * of the copy body (own_shift_copy.h): AVX2 and NEON have no merge-masked load, so there
 * a vector that straddles two groups costs a blend per group, and a copy of each group's
 * run (whole vectors, a vector running on into the next group) is the better program;
 * with masks, one store per 16 channels and no overlapping stores is. Compiled with
 * -mavx512f (Makefile). */
#include <immintrin.h>
#include "own_shift.h"

/* Pixels [p0, p1) of class cls, their whole chunk program. */
static void run_pixels(const shift_plan *s, int cls, const float *in, float *out, long p0, long p1, int nt) {
    const long c = s->d.c;
    const int *st = s->start[cls];
    const shift_chunk *ops = s->chunks;
    #define STORE(o, v) do { if (nt) _mm512_stream_ps(o, v); else _mm512_storeu_ps(o, v); } while (0)
    long pf = s->pf, end = (long)s->d.n * s->d.h * s->d.w * c;
    for (long p = p0; p < p1; p++) {
        const float *i = in + p * c;
        float *o = out + p * c;
        if (pf && p * c + pf + c <= end)
            for (long k = 0; k < c; k += 16) _mm_prefetch((const char *)(i + pf + k), _MM_HINT_T0);
        const int (*fp)[2] = s->full + s->fstart[cls], (*fe)[2] = s->full + s->fstart[cls + 1];
        #pragma GCC unroll 4
        for (; fp < fe; fp++) STORE(o + (*fp)[0], _mm512_loadu_ps(i + (*fp)[1]));
        for (const shift_chunk *e = ops + st[0]; e < ops + st[1]; e++) STORE(o + e->dst, _mm512_setzero_ps());
        for (const shift_chunk *e = ops + st[1]; e < ops + st[2]; e++)
            STORE(o + e->dst, _mm512_maskz_loadu_ps(e->m[0], i + e->off[0]));
        for (const shift_chunk *e = ops + st[2]; e < ops + st[3]; e++)
            STORE(o + e->dst, _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(e->m[0], i + e->off[0]), e->m[1], i + e->off[1]));
        for (const shift_chunk *e = ops + st[3]; e < ops + st[4]; e++) {
            __m512 v = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(e->m[0], i + e->off[0]), e->m[1], i + e->off[1]);
            STORE(o + e->dst, _mm512_mask_loadu_ps(v, e->m[2], i + e->off[2]));
        }
        for (const shift_chunk *e = ops + st[4]; e < ops + st[5]; e++) {
            __m512 v = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(e->m[0], i + e->off[0]), e->m[1], i + e->off[1]);
            v = _mm512_mask_loadu_ps(_mm512_mask_loadu_ps(v, e->m[2], i + e->off[2]), e->m[3], i + e->off[3]);
            STORE(o + e->dst, v);
        }
        for (const shift_chunk *e = ops + st[5]; e < ops + st[6]; e++) {   /* many loads, or a partial vector */
            __m512 v = _mm512_setzero_ps();
            for (int k = 0; k < e->n; k++) v = _mm512_mask_loadu_ps(v, e->m[k], i + e->off[k]);
            int left = (int)c - e->dst;
            if (left >= 16) STORE(o + e->dst, v);
            else _mm512_mask_storeu_ps(o + e->dst, (__mmask16)((1u << left) - 1), v);
        }
    }
    #undef STORE
}

/* Chunk j of cnt pixels of class cls, p0 and every ps pixels on. */
static void run_chunk(const shift_plan *s, int cls, int j, const float *in, float *out, long p0, long cnt, long ps,
                      int nt) {
    const long c = s->d.c;
    const shift_chunk *e = s->bychunk[cls * (long)((c + 15) / 16) + j];
    const float *i = in + p0 * c;
    float *o = out + p0 * c + e->dst;
    long st = ps * c;
    int left = (int)c - e->dst;
    if (left < 16 || e->n > 3) {   /* partial vector or many groups */
        __mmask16 cm = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        for (long x = 0; x < cnt; x++, o += st, i += st) {
            __m512 v = _mm512_setzero_ps();
            for (int k = 0; k < e->n; k++) v = _mm512_mask_loadu_ps(v, e->m[k], i + e->off[k]);
            _mm512_mask_storeu_ps(o, cm, v);
        }
        return;
    }
    #define STORE(v) do { if (nt) _mm512_stream_ps(o, v); else _mm512_storeu_ps(o, v); } while (0)
    switch (e->n) {
    case 0:
        for (long x = 0; x < cnt; x++, o += st) STORE(_mm512_setzero_ps());
        break;
    case 1: {
        const float *a = i + e->off[0];
        __mmask16 m0 = e->m[0];
        for (long x = 0; x < cnt; x++, o += st, a += st) STORE(_mm512_maskz_loadu_ps(m0, a));
        break;
    }
    case 2: {
        const float *a = i + e->off[0], *b = i + e->off[1];
        __mmask16 m0 = e->m[0], m1 = e->m[1];
        for (long x = 0; x < cnt; x++, o += st, a += st, b += st)
            STORE(_mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(m0, a), m1, b));
        break;
    }
    default: {
        const float *a = i + e->off[0], *b = i + e->off[1], *f = i + e->off[2];
        __mmask16 m0 = e->m[0], m1 = e->m[1], m2 = e->m[2];
        for (long x = 0; x < cnt; x++, o += st, a += st, b += st, f += st)
            STORE(_mm512_mask_loadu_ps(_mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(m0, a), m1, b), m2, f));
    }
    }
    #undef STORE
}

static void fence(void) { _mm_sfence(); }

SHIFT_UKERNELS(avx512) = { .pixels = run_pixels, .op = run_chunk, .width = 0, .fence = fence };
