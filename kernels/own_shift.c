/* Shift on NHWC, the driver: the per-class programs (own_shift.h), the work split over
 * threads and pixel classes, and the level's micro-kernels (own_vec.h) to run them. And
 * the NCHW variant, whole shifted plane rows. */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"
#include "own_shift.h"
#include "own_vec.h"
#include "../common/util.h"

typedef struct {
    shift_plan p;
    const shift_ukernels *uk;
    char info[32];             /* "own:shift-avx2" */
} shift_state;

#define NT_BYTES ((size_t)16 << 20)   /* stream the output past this (in + out) */
#define PF_BYTES ((size_t)8 << 20)    /* prefetch the input past this (in + out) */
/* Up to this many channels (4 AVX-512 chunks), the chunk program runs an op at a time
 * across a run of pixels: the loop per op is a fixed sequence of loads with fixed strides.
 * Wider pixels go pixel by pixel (an op-major sweep would stride by c*4 >= 1 KiB, a few L1
 * sets only). The run program always goes pixel by pixel: its vectors are narrower than a
 * line, so op-major sweeps would bring each output line in 2-4 times (measured at AVX2 on
 * 56x56x64: 0.31 of memcpy op-major, 0.5 in blocks of 16-64 pixels, 0.58 pixel by pixel). */
#define OP_MAJOR_C 64

void own_shift_destroy(void *p) {
    shift_state *st = p;
    if (!st) return;
    free(st->p.chunks);
    free(st->p.bychunk);
    free(st->p.full);
    free(st->p.runs);
    free(st->p.dh);   /* one block holds dh, dw, lo, len */
    free(st->p.off);
    free(st);
}

/* A representative pixel of class cls (its row and column class; a 1- or 2-wide image
 * has no middle, and its middle class is its first or last). */
static void class_pixel(const shift_plan *s, int cls, int *y, int *x) {
    const op_desc *d = &s->d;
    int rc = cls / 3, cc = cls % 3;
    if (s->far) {   /* only the interior's program runs; the others are never used */
        *y = s->ya < s->yb ? s->ya : 0;
        *x = s->xa < s->xb ? s->xa : 0;
        return;
    }
    *y = rc == 0 ? 0 : rc == 2 ? d->h - 1 : (d->h > 2 ? 1 : d->h - 1);
    *x = cc == 0 ? 0 : cc == 2 ? d->w - 1 : (d->w > 2 ? 1 : d->w - 1);
}

/* Group g has a source for output pixel (y, x). */
static int has_source(const shift_plan *s, int g, int y, int x) {
    int iy = y - s->dh[g], ix = x - s->dw[g];
    return iy >= 0 && iy < s->d.h && ix >= 0 && ix < s->d.w;
}

/* Chunk j of c channels is a whole vector. */
static int c0_full(int c, int j) { return c - 16 * j >= 16; }

/* The AVX-512 chunk program. */
static int build_chunks(shift_plan *s) {
    const op_desc *d = &s->d;
    int nc = (d->c + 15) / 16, ng = s->nseg;
    shift_chunk *tmp = malloc((size_t)nc * sizeof *tmp);
    s->chunks = malloc((size_t)9 * nc * sizeof *s->chunks);
    s->bychunk = malloc((size_t)9 * nc * sizeof *s->bychunk);
    if (!tmp || !s->chunks || !s->bychunk) { free(tmp); return -1; }
    int q = 0;
    for (int cls = 0; cls < 9; cls++) {
        int y, x;
        class_pixel(s, cls, &y, &x);
        int g0 = 0;   /* the first segment that may overlap chunk j */
        for (int j = 0; j < nc; j++) {
            shift_chunk *e = &tmp[j];
            int c0 = 16 * j, c1 = c0 + 16 < d->c ? c0 + 16 : d->c;
            e->dst = c0;
            e->n = 0;
            while (g0 < ng && s->lo[g0] + s->len[g0] <= c0) g0++;
            for (int g = g0; g < ng && s->lo[g] < c1; g++) {
                int lo = s->lo[g] > c0 ? s->lo[g] : c0, hi = s->lo[g] + s->len[g] < c1 ? s->lo[g] + s->len[g] : c1;
                if (!has_source(s, g, y, x) || lo >= hi) continue;
                int off = (int)(-((long)s->dh[g] * d->w + s->dw[g]) * d->c + c0), k = 0;
                while (k < e->n && e->off[k] != off) k++;   /* segments of one displacement share a load */
                if (k == e->n) { e->off[k] = off; e->m[k] = 0; e->n++; }
                e->m[k] |= (unsigned short)(((1u << (hi - lo)) - 1) << (lo - c0));
            }
        }
        for (int k = 0; k <= SHIFT_NBUCKET; k++) {
            s->start[cls][k] = q;
            for (int j = 0; j < nc; j++) {
                int bucket = tmp[j].n < SHIFT_NBUCKET && c0_full(d->c, j) ? tmp[j].n : SHIFT_NBUCKET;
                if (bucket == k) s->chunks[q++] = tmp[j];
            }
        }
        s->start[cls][SHIFT_NBUCKET + 1] = q;
        for (int i = s->start[cls][0]; i < q; i++) s->bychunk[cls * nc + s->chunks[i].dst / 16] = &s->chunks[i];
    }
    free(tmp);
    if (s->op_major) return 0;
    /* whole-vector single-source chunks out of bucket 1 into the pair list */
    s->full = malloc((size_t)9 * nc * sizeof *s->full);
    if (!s->full) return -1;
    int f = 0;
    for (int cls = 0; cls < 9; cls++) {
        s->fstart[cls] = f;
        int w1 = s->start[cls][1];
        for (int i = s->start[cls][1]; i < s->start[cls][2]; i++) {
            const shift_chunk *e = &s->chunks[i];
            if (e->m[0] == 0xFFFF) { s->full[f][0] = e->dst; s->full[f][1] = e->off[0]; f++; }
            else s->chunks[w1++] = *e;   /* masked ones stay in bucket 1 */
        }
        for (int i = w1; i < s->start[cls][2]; i++) s->chunks[i].n = -1;   /* unused slots */
        s->start[cls][2] = w1 < s->start[cls][2] ? w1 : s->start[cls][2];
    }
    s->fstart[9] = f;
    /* bucket 2 starts right after bucket 1's masked entries: move the rest down */
    for (int cls = 0; cls < 9; cls++) {
        int gap = 0;
        for (int i = s->start[cls][2]; i < s->start[cls][SHIFT_NBUCKET + 1] && s->chunks[i].n == -1; i++) gap++;
        if (!gap) continue;
        memmove(&s->chunks[s->start[cls][2]], &s->chunks[s->start[cls][2] + gap],
                (size_t)(s->start[cls][SHIFT_NBUCKET + 1] - s->start[cls][2] - gap) * sizeof *s->chunks);
        for (int k = 3; k <= SHIFT_NBUCKET + 1; k++) s->start[cls][k] -= gap;
    }
    return 0;
}

/* The run program for vectors of W floats: per class, every group's run in order. A run
 * of L floats is L / W vectors, then its tail: a whole vector running on into the next
 * groups where that stays inside the pixel (they are written after it), else a vector
 * ending at the run's end (L >= W), else a tail op (zeros never run on: the copies come
 * first). */
static int build_runs(shift_plan *s, int W) {
    const op_desc *d = &s->d;
    int ng = s->nseg, cap = 0;
    for (int g = 0; g < ng; g++) cap += s->len[g] / W + 1;
    s->width = W;
    s->runs = malloc((size_t)9 * cap * sizeof *s->runs);
    if (!s->runs) return -1;
    int q = 0;
    for (int cls = 0; cls < 9; cls++) {
        int y, x;
        class_pixel(s, cls, &y, &x);
        for (int pass = 0; pass < 3; pass++) {   /* copies, zeros, tails */
            s->rstart[cls][pass] = q;
            for (int g = 0; g < ng; g++) {
                int zero = !has_source(s, g, y, x), lo = s->lo[g], L = s->len[g], k = 0;
                int src = zero ? 0 : (int)s->off[g];
                int runs_on = !zero && lo + L / W * W + W <= d->c;
                int tail = L % W && !runs_on && L < W;
                if (pass == 2) {
                    if (tail) s->runs[q++] = (shift_run){ lo, src, L, zero };
                    continue;
                }
                if (pass != zero) continue;
                for (; k + W <= L; k += W) s->runs[q++] = (shift_run){ lo + k, src + k, W, zero };
                if (k == L || tail) continue;
                if (runs_on) s->runs[q++] = (shift_run){ lo + k, src + k, W, zero };
                else s->runs[q++] = (shift_run){ lo + L - W, src + L - W, W, zero };
            }
        }
        s->rstart[cls][3] = q;
    }
    return 0;
}

/* The segments: maximal runs of channels with one displacement, in channel order; the
 * interior rectangle; whether the table reaches past one pixel. */
static int build_segments(shift_plan *s) {
    const op_desc *d = &s->d;
    int cap = d->c;
    s->dh = malloc((size_t)4 * cap * sizeof *s->dh);
    s->off = malloc((size_t)cap * sizeof *s->off);
    if (!s->dh || !s->off) return -1;
    s->dw = s->dh + cap;
    s->lo = s->dw + cap;
    s->len = s->lo + cap;
    int n = 0;
    for (int ch = 0; ch < d->c; ch++) {
        int dh, dw;
        shift_channel_disp(d, ch, &dh, &dw);
        if (n && s->dh[n - 1] == dh && s->dw[n - 1] == dw) { s->len[n - 1]++; continue; }
        s->dh[n] = dh; s->dw[n] = dw; s->lo[n] = ch; s->len[n] = 1;
        n++;
    }
    s->nseg = n;
    int hmax = 0, hmin = 0, wmax = 0, wmin = 0;
    for (int g = 0; g < n; g++) {
        s->off[g] = -((long)s->dh[g] * d->w + s->dw[g]) * d->c + s->lo[g];
        if (g == 0 || s->dh[g] > hmax) hmax = s->dh[g];
        if (g == 0 || s->dh[g] < hmin) hmin = s->dh[g];
        if (g == 0 || s->dw[g] > wmax) wmax = s->dw[g];
        if (g == 0 || s->dw[g] < wmin) wmin = s->dw[g];
    }
    /* output (y, x) reads (y - dh, x - dw): inside for every segment on these rows, columns */
    s->ya = hmax > 0 ? hmax : 0;
    s->yb = d->h + (hmin < 0 ? hmin : 0);
    s->xa = wmax > 0 ? wmax : 0;
    s->xb = d->w + (wmin < 0 ? wmin : 0);
    s->far = shift_max_mag(d) > 1;
    return 0;
}

/* Pixel (b, y, x), segment by segment (border pixels of a far-reaching table). */
static void border_pixel(const shift_plan *s, const float *in, float *out, int b, int y, int x) {
    const op_desc *d = &s->d;
    size_t p = ((size_t)b * d->h + y) * d->w + x;
    float *o = out + p * d->c;
    for (int g = 0; g < s->nseg; g++) {
        int iy = y - s->dh[g], ix = x - s->dw[g];
        if (iy >= 0 && iy < d->h && ix >= 0 && ix < d->w)
            memcpy(o + s->lo[g], in + (((size_t)b * d->h + iy) * d->w + ix) * d->c + s->lo[g], (size_t)s->len[g] * sizeof *o);
        else memset(o + s->lo[g], 0, (size_t)s->len[g] * sizeof *o);
    }
}

/* Rows [y0, y1) of image b for a far-reaching table: the interior's pixels with its
 * program, row by row, the rest segment by segment. */
static void rows_far(const shift_state *st, const float *in, float *out, int b, int y0, int y1, int nt) {
    const shift_plan *s = &st->p;
    long h = s->d.h, w = s->d.w, img = (long)b * h * w;
    for (int y = y0; y < y1; y++) {
        int inner = y >= s->ya && y < s->yb && s->xa < s->xb;
        for (int x = 0; x < w; x++) {
            if (inner && x == s->xa) {
                st->uk->pixels(s, 4, in, out, img + y * w + s->xa, img + y * w + s->xb, nt);
                x = s->xb - 1;
                continue;
            }
            border_pixel(s, in, out, b, y, x);
        }
    }
}

const char *own_shift_info(const void *p) { return ((const shift_state *)p)->info; }

void *own_shift_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    shift_state *st = calloc(1, sizeof *st);
    if (!st) { set_err(err, errlen, "out of memory"); return NULL; }
    shift_plan *s = &st->p;
    s->d = d;
    if (build_segments(s)) {
        own_shift_destroy(st);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    s->isa = isa_active_noted();
    st->uk = own_vec_for(s->isa)->shift;
    snprintf(st->info, sizeof st->info, "own:shift-%s", isa_name(s->isa));
    s->op_major = d.c <= OP_MAJOR_C && st->uk->op && !s->far;
    if (st->uk->width ? build_runs(s, st->uk->width) : build_chunks(s)) {
        own_shift_destroy(st);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    /* Streaming stores need whole aligned vectors: the chunk program's. */
    s->nt = !st->uk->width && 2 * op_in_count(&d) * sizeof(float) > NT_BYTES && d.c % 16 == 0;
    /* Each input line is read once, by whichever of the five (nine) sources needs it: too
     * scattered for the hardware prefetchers once the tensor is out of the caches. The
     * source furthest ahead is the row below; its pixel a few steps on comes in whole. */
    if (2 * op_in_count(&d) * sizeof(float) > PF_BYTES) s->pf = ((long)d.w + 8) * d.c;
    return st;
}

/* Rows [y0, y1) of image b, a chunk at a time (chunk program): per class, the middle rows'
 * pixels from (y0', 1) to (y1'-1, w-2) as one run with the interior program (it passes over
 * the first and last pixels of the rows in between, whose sources lie inside the rows,
 * wrapped), then the first and last columns, which rewrite those pixels whole, then the
 * first and last rows. */
static void rows_op_major(const shift_state *st, const float *in, float *out, int b, int y0, int y1, int nt) {
    const shift_plan *s = &st->p;
    long h = s->d.h, w = s->d.w, img = (long)b * h * w;
    int ya = y0 > 1 ? y0 : 1, yb = y1 < h - 1 ? y1 : (int)h - 1;   /* middle rows [ya, yb) */
    int nc = (s->d.c + 15) / 16;
#define OPS(cls, p0, cnt, ps) \
    for (int j = 0; j < nc; j++) st->uk->op(s, cls, j, in, out, p0, cnt, ps, nt)
    if (ya < yb) {
        if (w > 2) OPS(4, img + ya * w + 1, (yb - ya - 1) * w + w - 2, 1);
        OPS(3, img + ya * w, yb - ya, w);
        if (w > 1) OPS(5, img + ya * w + w - 1, yb - ya, w);
    }
    for (int r = 0; r < 2; r++) {
        long y = r ? h - 1 : 0;
        if (y < y0 || y >= y1 || (r && h == 1)) continue;
        int rc = r ? 2 : 0;
        OPS(rc * 3 + 0, img + y * w, 1, 1);
        if (w > 2) OPS(rc * 3 + 1, img + y * w + 1, w - 2, 1);
        if (w > 1) OPS(rc * 3 + 2, img + y * w + w - 1, 1, 1);
    }
#undef OPS
}

/* Rows [y0, y1) of image b, pixel by pixel. The middle rows' pixels from (y, 1) to
 * (y', w-2) are one run with the interior program, which also passes over the first and
 * last pixels of the rows in between (their sources lie inside the rows, wrapped); those
 * are then rewritten with their own class, while they are still in the caches. */
static void rows_pixel_major(const shift_state *st, const float *in, float *out, int b, int y0, int y1, int nt) {
    const shift_plan *s = &st->p;
    void (*px)(const shift_plan *, int, const float *, float *, long, long, int) = st->uk->pixels;
    long h = s->d.h, w = s->d.w, img = (long)b * h * w;
    for (int y = y0; y < y1; y++) {
        int rc = y == 0 ? 0 : y == h - 1 ? 2 : 1;
        if (rc != 1 || w <= 2) {   /* a first or last row, or a narrow image: by class */
            long p = img + y * w;
            px(s, rc * 3 + 0, in, out, p, p + 1, nt);
            if (w > 2) px(s, rc * 3 + 1, in, out, p + 1, p + w - 1, nt);
            if (w > 1) px(s, rc * 3 + 2, in, out, p + w - 1, p + w, nt);
            continue;
        }
        int ye = y;   /* the run of middle rows [y, ye] */
        while (ye + 1 < y1 && ye + 1 < h - 1) ye++;
        px(s, 4, in, out, img + y * w + 1, img + ye * w + w - 1, nt);
        for (long r = y; r <= ye; r++) {
            px(s, 3, in, out, img + r * w, img + r * w + 1, nt);
            px(s, 5, in, out, img + r * w + w - 1, img + r * w + w, nt);
        }
        y = (int)ye;
    }
}

void own_shift_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const shift_state *st = p;
    const op_desc *d = &st->p.d;
    int nt = st->p.nt && ((uintptr_t)out & 63) == 0;
    int par = op_in_count(d) > 65536;   /* threads only pay off past a few hundred KiB */
    /* Work items: whole images, or bands of rows when there are fewer images than threads. */
    int nth = par ? omp_get_max_threads() : 1;
    int bands = d->n >= nth ? 1 : (nth + d->n - 1) / d->n;
    if (bands > d->h) bands = d->h;
    int items = d->n * bands;
    #pragma omp parallel if (par)
    {
        #pragma omp for schedule(static)
        for (int i = 0; i < items; i++) {
            int b = i / bands, k = i % bands, y0 = d->h * k / bands, y1 = d->h * (k + 1) / bands;
            if (st->p.far) rows_far(st, in, out, b, y0, y1, nt);
            else if (st->p.op_major) rows_op_major(st, in, out, b, y0, y1, nt);
            else rows_pixel_major(st, in, out, b, y0, y1, nt);
        }
        if (nt && st->uk->fence) st->uk->fence();
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
