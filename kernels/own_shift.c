/* Shift on NHWC: each output pixel is a few contiguous channel runs copied from its
 * neighbours (zero outside). The AVX-512 code builds a pixel 16 channels (one chunk) at a
 * time: a chunk is the merge-masked loads of the groups overlapping it, then one
 * full-width store. And the NCHW variant, whole shifted plane rows. */
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"
#include "../common/util.h"

#define NBUCKET 5     /* chunks built from 0..4 loads; more (tiny groups) go to the last */

/* One output chunk of a pixel: its channel offset and the loads that build it. */
typedef struct {
    int dst, n;
    int off[9];               /* from the output pixel's position: group displacement + chunk */
    unsigned short m[9];
} chunk_op;

typedef struct {
    op_desc d;
    int gs, dh[9], dw[9], lo[9], len[9];
    long off[9];   /* group g's source, in floats from the output pixel's own position */
    int avx512;
    /* Per pixel class (first / middle / last row x the same for columns: which groups have
     * a source there), the chunks bucketed by how many loads build them, so a pixel is a
     * few loops of fixed trip counts and no branch depends on the data. The last bucket
     * also takes the chunk that ends in a partial vector (c not a multiple of 16). */
    chunk_op *ops;
    int start[9][NBUCKET + 2];   /* class cls, bucket k: ops [start[cls][k], start[cls][k + 1]) */
    /* Bucket 1's whole-vector chunks again as bare (dst, src offset) pairs: a plain copy. */
    int (*full)[2];
    int fstart[10];              /* class cls: full[fstart[cls] .. fstart[cls + 1]) */
    const chunk_op **bychunk;    /* [9][nchunk]: class cls, chunk j */
    int chunk_major;             /* few chunks: a chunk at a time across the pixels */
    int nt;                      /* stream the stores (tensor larger than the caches) */
    long pf;                     /* > 0: prefetch the input pixel this far ahead (floats) */
} shift_state;

#define NT_BYTES ((size_t)16 << 20)   /* stream the output past this (in + out) */
#define PF_BYTES ((size_t)8 << 20)    /* prefetch the input past this (in + out) */
/* Up to this many channels (4 chunks), a chunk at a time across a run of pixels: the loop
 * per chunk is a fixed sequence of loads with fixed strides. Wider pixels go pixel by
 * pixel (a chunk-major sweep would stride by c*4 >= 1 KiB, a few L1 sets only). */
#define CHUNK_MAJOR_C 64

void own_shift_destroy(void *p) {
    shift_state *s = p;
    if (!s) return;
    free(s->ops);
    free(s->bychunk);
    free(s->full);
    free(s);
}

/* Chunk j of c channels is a whole vector. */
static int c0_full(int c, int j) { return c - 16 * j >= 16; }

static int build_tables(shift_state *s) {
    const op_desc *d = &s->d;
    int nc = (d->c + 15) / 16, ng = d->conn + 1;
    chunk_op *tmp = malloc((size_t)nc * sizeof *tmp);
    s->ops = malloc((size_t)9 * nc * sizeof *s->ops);
    s->bychunk = malloc((size_t)9 * nc * sizeof *s->bychunk);
    if (!tmp || !s->ops || !s->bychunk) { free(tmp); return -1; }
    int q = 0;
    for (int cls = 0; cls < 9; cls++) {
        int rc = cls / 3, cc = cls % 3;
        int y = rc == 0 ? 0 : rc == 2 ? d->h - 1 : (d->h > 2 ? 1 : d->h - 1);
        int x = cc == 0 ? 0 : cc == 2 ? d->w - 1 : (d->w > 2 ? 1 : d->w - 1);
        for (int j = 0; j < nc; j++) {
            chunk_op *e = &tmp[j];
            int c0 = 16 * j, c1 = c0 + 16 < d->c ? c0 + 16 : d->c;
            e->dst = c0;
            e->n = 0;
            for (int g = 0; g < ng; g++) {
                int iy = y - s->dh[g], ix = x - s->dw[g];
                int lo = s->lo[g] > c0 ? s->lo[g] : c0, hi = s->lo[g] + s->len[g] < c1 ? s->lo[g] + s->len[g] : c1;
                if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w || lo >= hi) continue;
                e->off[e->n] = (int)(-((long)s->dh[g] * d->w + s->dw[g]) * d->c + c0);
                e->m[e->n++] = (unsigned short)(((1u << (hi - lo)) - 1) << (lo - c0));
            }
        }
        for (int k = 0; k <= NBUCKET; k++) {
            s->start[cls][k] = q;
            for (int j = 0; j < nc; j++) {
                int bucket = tmp[j].n < NBUCKET && c0_full(d->c, j) ? tmp[j].n : NBUCKET;
                if (bucket == k) s->ops[q++] = tmp[j];
            }
        }
        s->start[cls][NBUCKET + 1] = q;
        for (int i = s->start[cls][0]; i < q; i++) s->bychunk[cls * nc + s->ops[i].dst / 16] = &s->ops[i];
    }
    free(tmp);
    if (s->chunk_major) return 0;
    /* whole-vector single-source chunks out of bucket 1 into the pair list */
    s->full = malloc((size_t)9 * nc * sizeof *s->full);
    if (!s->full) return -1;
    int f = 0;
    for (int cls = 0; cls < 9; cls++) {
        s->fstart[cls] = f;
        int w1 = s->start[cls][1];
        for (int i = s->start[cls][1]; i < s->start[cls][2]; i++) {
            const chunk_op *e = &s->ops[i];
            if (e->m[0] == 0xFFFF) { s->full[f][0] = e->dst; s->full[f][1] = e->off[0]; f++; }
            else s->ops[w1++] = *e;   /* masked ones stay in bucket 1 */
        }
        for (int i = w1; i < s->start[cls][2]; i++) s->ops[i].n = -1;   /* unused slots */
        s->start[cls][2] = w1 < s->start[cls][2] ? w1 : s->start[cls][2];
    }
    s->fstart[9] = f;
    /* bucket 2 starts right after bucket 1's masked entries: move the rest down */
    for (int cls = 0; cls < 9; cls++) {
        int gap = 0;
        for (int i = s->start[cls][2]; i < s->start[cls][NBUCKET + 1] && s->ops[i].n == -1; i++) gap++;
        if (!gap) continue;
        memmove(&s->ops[s->start[cls][2]], &s->ops[s->start[cls][2] + gap],
                (size_t)(s->start[cls][NBUCKET + 1] - s->start[cls][2] - gap) * sizeof *s->ops);
        for (int k = 3; k <= NBUCKET + 1; k++) s->start[cls][k] -= gap;
    }
    return 0;
}

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
    s->chunk_major = d.c <= CHUNK_MAJOR_C;
    if (s->avx512 && build_tables(s)) {
        own_shift_destroy(s);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    s->nt = 2 * op_in_count(&d) * sizeof(float) > NT_BYTES && d.c % 16 == 0;
    /* Each input line is read once, by whichever of the five (nine) sources needs it: too
     * scattered for the hardware prefetchers once the tensor is out of the caches. The
     * source furthest ahead is the row below; its pixel a few steps on comes in whole. */
    if (2 * op_in_count(&d) * sizeof(float) > PF_BYTES) s->pf = ((long)d.w + 8) * d.c;
    return s;
}

/* Pixels [p0, p1) of class cls (in, out: the tensor). Whatever their real class, the
 * caller makes sure the sources they read lie inside the tensor. */
__attribute__((target("avx512f")))
static void run_pixels(const shift_state *s, int cls, const float *in, float *out, long p0, long p1, int nt) {
    const long c = s->d.c;
    const int *st = s->start[cls];
    const chunk_op *ops = s->ops;
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
        for (const chunk_op *e = ops + st[0]; e < ops + st[1]; e++) STORE(o + e->dst, _mm512_setzero_ps());
        for (const chunk_op *e = ops + st[1]; e < ops + st[2]; e++)
            STORE(o + e->dst, _mm512_maskz_loadu_ps(e->m[0], i + e->off[0]));
        for (const chunk_op *e = ops + st[2]; e < ops + st[3]; e++)
            STORE(o + e->dst, _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(e->m[0], i + e->off[0]), e->m[1], i + e->off[1]));
        for (const chunk_op *e = ops + st[3]; e < ops + st[4]; e++) {
            __m512 v = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(e->m[0], i + e->off[0]), e->m[1], i + e->off[1]);
            STORE(o + e->dst, _mm512_mask_loadu_ps(v, e->m[2], i + e->off[2]));
        }
        for (const chunk_op *e = ops + st[4]; e < ops + st[5]; e++) {
            __m512 v = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(e->m[0], i + e->off[0]), e->m[1], i + e->off[1]);
            v = _mm512_mask_loadu_ps(_mm512_mask_loadu_ps(v, e->m[2], i + e->off[2]), e->m[3], i + e->off[3]);
            STORE(o + e->dst, v);
        }
        for (const chunk_op *e = ops + st[5]; e < ops + st[6]; e++) {   /* many loads, or a partial vector */
            __m512 v = _mm512_setzero_ps();
            for (int k = 0; k < e->n; k++) v = _mm512_mask_loadu_ps(v, e->m[k], i + e->off[k]);
            int left = (int)c - e->dst;
            if (left >= 16) STORE(o + e->dst, v);
            else _mm512_mask_storeu_ps(o + e->dst, (__mmask16)((1u << left) - 1), v);
        }
    }
    #undef STORE
}

/* Chunk j of cnt pixels of class cls, p0 and every ps pixels on (in, out: the tensor). */
__attribute__((target("avx512f")))
static void run_chunk(const shift_state *s, int cls, int j, const float *in, float *out, long p0, long cnt, long ps,
                      int nt) {
    const long c = s->d.c;
    const chunk_op *e = s->bychunk[cls * (long)((c + 15) / 16) + j];
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

/* Rows [y0, y1) of image b, a chunk at a time: per chunk, the first and last rows by
 * class, the middle rows' pixels from (y0', 1) to (y1'-1, w-2) as one run with the
 * interior program (it passes over the first and last pixels of the rows in between, whose
 * sources lie inside the rows, wrapped), then the first and last columns. */
__attribute__((target("avx512f")))
static void rows_chunk_major(const shift_state *s, const float *in, float *out, int b, int y0, int y1, int nt) {
    const op_desc *d = &s->d;
    long h = d->h, w = d->w, img = (long)b * h * w;
    int nc = (d->c + 15) / 16;
    int ya = y0 > 1 ? y0 : 1, yb = y1 < h - 1 ? y1 : (int)h - 1;   /* middle rows [ya, yb) */
    for (int j = 0; j < nc; j++) {
        if (ya < yb && w > 2) {
            run_chunk(s, 4, j, in, out, img + ya * w + 1, (yb - ya - 1) * w + w - 2, 1, nt);
            run_chunk(s, 3, j, in, out, img + ya * w, yb - ya, w, nt);
            run_chunk(s, 5, j, in, out, img + ya * w + w - 1, yb - ya, w, nt);
        } else if (ya < yb) {
            run_chunk(s, 3, j, in, out, img + ya * w, yb - ya, w, nt);
            if (w > 1) run_chunk(s, 5, j, in, out, img + ya * w + w - 1, yb - ya, w, nt);
        }
        for (int r = 0; r < 2; r++) {
            long y = r ? h - 1 : 0;
            if (y < y0 || y >= y1 || (r && h == 1)) continue;
            int rc = r ? 2 : 0;
            run_chunk(s, rc * 3 + 0, j, in, out, img + y * w, 1, 1, nt);
            if (w > 2) run_chunk(s, rc * 3 + 1, j, in, out, img + y * w + 1, w - 2, 1, nt);
            if (w > 1) run_chunk(s, rc * 3 + 2, j, in, out, img + y * w + w - 1, 1, 1, nt);
        }
    }
}

/* Rows [y0, y1) of image b. The middle rows' pixels from (y, 1) to (y', w-2) are one run
 * with the interior tables, which also passes over the first and last pixels of the rows
 * in between (their sources lie inside the rows, wrapped); those are then rewritten with
 * their own class, while they are still in the caches. */
__attribute__((target("avx512f")))
static void rows_avx512(const shift_state *s, const float *in, float *out, int b, int y0, int y1, int nt) {
    const op_desc *d = &s->d;
    long h = d->h, w = d->w, img = (long)b * h * w;
    for (int y = y0; y < y1; y++) {
        int rc = y == 0 ? 0 : y == h - 1 ? 2 : 1;
        if (rc != 1 || w <= 2) {   /* a first or last row, or a narrow image: by class */
            long p = img + y * w;
            run_pixels(s, rc * 3 + 0, in, out, p, p + 1, nt);
            if (w > 2) run_pixels(s, rc * 3 + 1, in, out, p + 1, p + w - 1, nt);
            if (w > 1) run_pixels(s, rc * 3 + 2, in, out, p + w - 1, p + w, nt);
            continue;
        }
        int ye = y;   /* the run of middle rows [y, ye] */
        while (ye + 1 < y1 && ye + 1 < h - 1) ye++;
        run_pixels(s, 4, in, out, img + y * w + 1, img + ye * w + w - 1, nt);
        for (long r = y; r <= ye; r++) {
            run_pixels(s, 3, in, out, img + r * w, img + r * w + 1, nt);
            run_pixels(s, 5, in, out, img + r * w + w - 1, img + r * w + w, nt);
        }
        y = (int)ye;
    }
}

/* Portable: one output row, for every pixel, every group's run from its source pixel. */
static void row_portable(const shift_state *s, const float *in, float *out, int b, int y) {
    const op_desc *d = &s->d;
    size_t row = ((size_t)b * d->h + y) * d->w * d->c;
    float *o = out + row;
    const float *i = in + row;
    for (int x = 0; x < d->w; x++, o += d->c, i += d->c)
        for (int g = 0; g <= d->conn; g++) {
            int iy = y - s->dh[g], ix = x - s->dw[g];
            if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) memset(o + s->lo[g], 0, (size_t)s->len[g] * sizeof *o);
            else memcpy(o + s->lo[g], i + s->off[g], (size_t)s->len[g] * sizeof *o);
        }
}

void own_shift_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const shift_state *s = p;
    const op_desc *d = &s->d;
    int nt = s->nt && ((uintptr_t)out & 63) == 0;
    int par = op_in_count(d) > 65536;   /* threads only pay off past a few hundred KiB */
    if (s->avx512) {
        /* Work items: whole images, or bands of rows when there are fewer images than
         * threads. */
        int nth = par ? omp_get_max_threads() : 1;
        int bands = d->n >= nth ? 1 : (nth + d->n - 1) / d->n;
        if (bands > d->h) bands = d->h;
        int items = d->n * bands;
        #pragma omp parallel if (par)
        {
            #pragma omp for schedule(static)
            for (int i = 0; i < items; i++) {
                int b = i / bands, k = i % bands;
                if (s->chunk_major) rows_chunk_major(s, in, out, b, d->h * k / bands, d->h * (k + 1) / bands, nt);
                else rows_avx512(s, in, out, b, d->h * k / bands, d->h * (k + 1) / bands, nt);
            }
            if (nt) _mm_sfence();
        }
        return;
    }
    int rows = d->n * d->h;
    #pragma omp parallel for schedule(static) if (par)
    for (int r = 0; r < rows; r++) row_portable(s, in, out, r / d->h, r % d->h);
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
