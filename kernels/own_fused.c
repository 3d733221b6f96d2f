/* Our GEMM on NHWC, for every op that is a sum over "groups" of a pixel offset times
 * weights: C[pixels x oc] = sum_g A_g[pixels x K_g] * W_g, where the row of A_g for output
 * pixel p is read straight from the input at group g's source pixel (a zero row outside
 * the image). Nothing is ever gathered or copied:
 *   shiftconv: the groups are the shift's channel groups, each displaced by its shift
 *              (the shifted tensor never exists); an interleaved table (docs/networks.md)
 *              has no group of contiguous channels: its uniform blocks read each channel at
 *              its own offset (the koff table), the other blocks gather their shifted rows;
 *   conv:      1x1 (any stride) is the one-group case, i.e. shiftconv without a shift, so
 *              fused and plain 1x1 run the same code; kh x kw has one group per window
 *              position (c channels each, K = kh*kw*c ordered (ky, kx, ci));
 *   fc:        a 1x1 conv on n pixels of 1x1.
 * This is the driver: it picks the micro-kernel variant of the active ISA level
 * (own_gemm.h: register blocking mr x nr, one kernel per row count so a tail block does no
 * wasted work), packs the weights into its nr-wide k-major panels, and owns the tiling, the
 * threads, the source rows and the prefetch policy: when the layer's weights do not fit
 * the caches, the kernels prefetch the weight chunk needed next while they compute. A
 * non-NULL in2 (the output's shape) is added before the ReLU: a block's residual add done
 * in the GEMM's epilogue (own.h). */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"
#include "own_gemm.h"
#include "isa.h"
#include "../common/util.h"

#define MT 96      /* most pixels per thread tile (a multiple of every mr; its blocks share one pointer table) */
#define NT_CH 256  /* most output channels per thread tile (panels of nr) */
#define NG_MAX 49  /* groups: 5 (4C), 9 (8C), up to SHIFT_MAX_DIRS + 1, 1 (1x1, fc), kh*kw up to 7x7 */
_Static_assert(SHIFT_MAX_DIRS + 1 <= NG_MAX, "a shift's groups fit the group arrays");
#define PF_MIN_BYTES (256u << 10)   /* prefetch weights when there are more than this */
#define PF_IN_BYTES (2u << 20)      /* else prefetch the input when there is more than this */

typedef struct {
    op_desc d;
    int stride, K, ng;
    int glo[NG_MAX], ghi[NG_MAX], ey[NG_MAX], ex[NG_MAX], kofs[NG_MAX];
    long off[NG_MAX];          /* interior pixels: source row from the pixel's own position */
    int y_lo, y_hi, x_lo, x_hi;/* output rows / columns where every group's source is inside */
    int flat;                  /* output pixel m reads input pixel m (1x1, stride 1, no pad; fc) */
    int gather;                /* interleaved shift: non-uniform blocks gather their rows (one group) */
    int ng_dirs;               /* gather: the directions (channel ch takes ch mod ng_dirs) */
    int nscratch;              /* gather: threads with a scratch buffer */
    float *scratch;            /* gather: [nscratch + 1][MT][c], the last one shared under lock */
    omp_lock_t lock;
    long *koff;                /* [K]: k's source from a uniform block row's position (off[g] + k) */
    const own_gemm_variant *v; /* the micro-kernels: the active level's */
    int mr, nr, npanel;
    float *wp;     /* [npanel][K][nr] */
    float *bias;   /* [npanel * nr], zero padded */
    float *zero;   /* max group width zeros: the source row of a pixel outside */
    own_gemm_ukernel ukr[2][GEMM_MR_MAX + 1];   /* [uniform][rows] (prefetching ones when prefetch is set) */
    int prefetch;              /* 1: the next weight chunk; 2: the input ahead (stride 1) */
    long lead;                 /* input prefetch: the source furthest ahead of a pixel (floats) */
    char info[32];             /* "own:shiftconv-avx2" */
} gemm_state;

/* ---- create ------------------------------------------------------------------------- */

void own_fused_destroy(void *p) {
    gemm_state *s = p;
    if (!s) return;
    if (s->scratch) omp_destroy_lock(&s->lock);
    free(s->wp); free(s->bias); free(s->zero); free(s->koff); free(s->scratch);
    free(s);
}

void *own_fused_create(const op_desc *dd, const float *w, const float *bias, char *err, size_t errlen) {
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    int kh = 1, kw = 1, pad = 0, stride = d.stride;
    if (d.kind == OP_CONV) { kh = d.kh; kw = d.kw; pad = d.pad; }
    else if (d.kind == OP_FC) stride = 1;
    else if (d.kind != OP_SHIFTCONV) { set_err(err, errlen, "own gemm: %s is not a conv, shiftconv or fc", op_name(d.kind)); return NULL; }
    if (d.groups > 1) {   /* its weight panels span every input channel */
        set_err(err, errlen, "own conv: grouped/depthwise convolution is not in the own GEMM driver (ref and onednn run it)");
        return NULL;
    }
    if (kh * kw > NG_MAX) { set_err(err, errlen, "own conv: windows up to 7x7 (%d positions), got %dx%d", NG_MAX, kh, kw); return NULL; }
    if (!w) { set_err(err, errlen, "own %s: weights missing", op_name(d.kind)); return NULL; }
    gemm_state *s = calloc(1, sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    s->stride = stride;
    int gw = d.c;   /* widest group */
    if (d.kind == OP_SHIFTCONV) {
        /* contiguous: a group per direction, then the unmoved rest; interleaved: a source
         * per direction for the extents below, one group of every channel to run */
        int n = shift_dirs(&d), gs = shift_gs(&d);
        s->gather = gs == 0;
        s->ng = s->gather ? n : n + 1;
        s->K = d.c;
        for (int g = 0; g < s->ng; g++) {
            int dh = 0, dw = 0;
            if (g < n) shift_dir_disp(&d, g, &dh, &dw);
            s->glo[g] = g * gs;
            s->ghi[g] = g == n ? d.c : (g + 1) * gs;
            s->ey[g] = -dh;
            s->ex[g] = -dw;
        }
    } else {
        s->ng = kh * kw;
        s->K = s->ng * d.c;
        for (int g = 0; g < s->ng; g++) {
            s->glo[g] = s->kofs[g] = g * d.c;
            s->ghi[g] = (g + 1) * d.c;
            s->ey[g] = g / kw - pad;
            s->ex[g] = g % kw - pad;
        }
    }
    int eymin = 0, eymax = 0, exmin = 0, exmax = 0;
    for (int g = 0; g < s->ng; g++) {
        s->off[g] = ((long)s->ey[g] * d.w + s->ex[g]) * d.c - s->kofs[g];
        if (g == 0 || s->ey[g] < eymin) eymin = s->ey[g];
        if (g == 0 || s->ey[g] > eymax) eymax = s->ey[g];
        if (g == 0 || s->ex[g] < exmin) exmin = s->ex[g];
        if (g == 0 || s->ex[g] > exmax) exmax = s->ex[g];
    }
    s->y_lo = d.oh; s->y_hi = 0; s->x_lo = d.ow; s->x_hi = 0;
    for (int y = 0; y < d.oh; y++)
        if ((long)y * stride + eymin >= 0 && (long)y * stride + eymax < d.h) { if (y < s->y_lo) s->y_lo = y; s->y_hi = y + 1; }
    for (int x = 0; x < d.ow; x++)
        if ((long)x * stride + exmin >= 0 && (long)x * stride + exmax < d.w) { if (x < s->x_lo) s->x_lo = x; s->x_hi = x + 1; }
    s->flat = !s->gather && s->ng == 1 && stride == 1 && s->ey[0] == 0 && s->ex[0] == 0 && d.oh == d.h && d.ow == d.w;
    s->v = own_gemm_for(isa_active_noted());
    s->mr = s->v->mr;
    s->nr = s->v->nr;
    const int NR = s->nr;
    s->npanel = (d.oc + NR - 1) / NR;
    size_t npad = (size_t)s->npanel * NR;
    s->wp = alloc_aligned(npad * (size_t)s->K * sizeof(float));
    s->bias = alloc_aligned(npad * sizeof(float));
    s->zero = alloc_aligned((size_t)gw * sizeof(float));
    s->koff = malloc((size_t)s->K * sizeof *s->koff);
    if (!s->wp || !s->bias || !s->zero || !s->koff) {
        own_fused_destroy(s);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    memset(s->zero, 0, (size_t)gw * sizeof(float));
    if (s->gather)
        for (int k = 0; k < s->K; k++) s->koff[k] = s->off[shift_channel_dir(&d, k)] + k;
    else
        for (int g = 0; g < s->ng; g++)
            for (int k = s->glo[g]; k < s->ghi[g]; k++) s->koff[k] = s->off[g] + k;
    for (size_t j = 0; j < npad; j++) s->bias[j] = j < (size_t)d.oc && bias ? bias[j] : 0.0f;
    /* OIHW (o, ci, ky, kx) -> panel [k = (ky*kw + kx)*c + ci][j] */
    for (int pn = 0; pn < s->npanel; pn++)
        for (int k = 0; k < s->K; k++) {
            int gi = k / d.c, ci = k % d.c;
            float *row = s->wp + ((size_t)pn * s->K + k) * NR;
            for (int j = 0; j < NR; j++) {
                int o = pn * NR + j;
                row[j] = o < d.oc ? w[((size_t)o * d.c + ci) * (size_t)(kh * kw) + gi] : 0.0f;
            }
        }
    /* Large weights: the next chunk comes in while this one is used. Else, a large input
     * (stride 1, wide pixels): what the next blocks read, from the source furthest ahead on
     * (the row below). The groups of a shift read each input line at scattered times, in
     * pieces the hardware prefetchers do not follow once the input is out of the caches
     * (measured: +16% at 8 x 56x56x256 -> 256; narrow pixels lose ~1%, so not there). */
    s->prefetch = npad * (size_t)s->K * sizeof(float) > PF_MIN_BYTES ? 1
                : op_in_count(&d) * sizeof(float) > PF_IN_BYTES && stride == 1 && s->ng <= 9 && d.c >= 256 ? 2 : 0;
    for (int g = 0; g < s->ng; g++)
        if (s->off[g] + s->kofs[g] > s->lead) s->lead = s->off[g] + s->kofs[g];
    /* One group: the group kernel is the plain loop already. */
    int pf = s->prefetch ? 1 : 0, sources = s->ng;
    if (s->gather) {   /* from here on one group: the gathered rows */
        s->ng_dirs = s->ng;
        s->ng = 1;
        s->glo[0] = 0;
        s->ghi[0] = d.c;
        s->nscratch = omp_get_max_threads();
        s->scratch = malloc((size_t)(s->nscratch + 1) * MT * d.c * sizeof(float));
        if (!s->scratch) { own_fused_destroy(s); set_err(err, errlen, "out of memory"); return NULL; }
        omp_init_lock(&s->lock);
    }
    memcpy(s->ukr[0], s->v->ukr[GEMM_GROUPS + pf], sizeof s->ukr[0]);
    memcpy(s->ukr[1], s->v->ukr[sources > 1 ? GEMM_UNIFORM + pf : GEMM_GROUPS + pf], sizeof s->ukr[1]);
    const char *what = d.kind == OP_SHIFTCONV ? "shiftconv" : d.kind == OP_FC ? "fc" : kh * kw == 1 ? "conv1x1" : "conv";
    snprintf(s->info, sizeof s->info, "own:%s-%s", what, isa_name(s->v->level));
    return s;
}

const char *own_fused_info(const void *p) { return ((const gemm_state *)p)->info; }

/* ---- run ------------------------------------------------------------------------------ */

/* Source rows of the pixels [m, m + mr) for every group (zero row outside), starting at
 * pixel (b, oy, ox), which it advances; returns the groups whose rows are all zero. A block
 * whose pixels all have every source inside and lie evenly spaced in the input (one output
 * row, or any run of pixels when the op reads pixel m for output m) gets its rows in one
 * go; the others pixel by pixel. */
static uint64_t source_rows(const gemm_state *s, const float *in, int mr, int *pb, int *poy, int *pox,
                            const float **ptr, const float **ubase, float *scratch) {
    const op_desc *d = &s->d;
    int b = *pb, oy = *poy, ox = *pox, ng = s->ng, st = s->stride, MR = s->mr;
    if (s->flat || (ox + mr <= d->ow && oy >= s->y_lo && oy < s->y_hi && ox >= s->x_lo && ox + mr <= s->x_hi)) {
        const float *base = in + (((size_t)b * d->h + (size_t)oy * st) * d->w + (size_t)ox * st) * d->c;
        size_t step = (size_t)st * d->c;
        *ubase = base;
        if (ng == 1 || s->ukr[1][mr] == s->ukr[0][mr])   /* the group kernel runs it: rows needed */
            for (int g = 0; g < ng; g++) {
                const float *gb = base + s->off[g];
                for (int r = 0; r < MR; r++) ptr[g * MR + r] = gb + r * step;
            }
        ox += mr;
        while (ox >= d->ow) { ox -= d->ow; if (++oy == d->oh) { oy = 0; b++; } }
        *pb = b; *poy = oy; *pox = ox;
        return 0;
    }
    uint64_t any = 0;
    *ubase = NULL;
    if (s->gather) {   /* each pixel's shifted row, channel by channel (zero outside) */
        for (int r = 0; r < mr; r++, scratch += d->c) {
            int y = oy * st, x = ox * st;
            for (int ch = 0; ch < d->c; ch++) {
                int j = ch % s->ng_dirs, iy = y + s->ey[j], ix = x + s->ex[j];
                scratch[ch] = iy >= 0 && iy < d->h && ix >= 0 && ix < d->w
                            ? in[(((size_t)b * d->h + iy) * d->w + ix) * d->c + ch] : 0.0f;
            }
            ptr[r] = scratch;
            if (++ox == d->ow) { ox = 0; if (++oy == d->oh) { oy = 0; b++; } }
        }
        *pb = b; *poy = oy; *pox = ox;
        return 0;
    }
    for (int r = 0; r < mr; r++) {
        int y = oy * st, x = ox * st;
        const float *base = in + (((size_t)b * d->h + y) * d->w + x) * d->c;
        if (oy >= s->y_lo && oy < s->y_hi && ox >= s->x_lo && ox < s->x_hi) {   /* interior: no checks */
            for (int g = 0; g < ng; g++) ptr[g * MR + r] = base + s->off[g];
            any = ~(uint64_t)0;
        } else for (int g = 0; g < ng; g++) {
            int iy = y + s->ey[g], ix = x + s->ex[g];
            int inside = iy >= 0 && iy < d->h && ix >= 0 && ix < d->w;
            ptr[g * MR + r] = inside ? base + s->off[g] : s->zero - s->kofs[g];
            if (inside) any |= (uint64_t)1 << g;
        }
        if (++ox == d->ow) { ox = 0; if (++oy == d->oh) { oy = 0; b++; } }
    }
    *pb = b; *poy = oy; *pox = ox;
    return ng >= 64 ? ~any : ~any & (((uint64_t)1 << ng) - 1);
}

/* Output pixels [mbeg, mend) of the n * oh * ow (a whole run, or a block executor's rows). */
static void run_pixels(const gemm_state *s, const float *in, const float *in2, float *out, long mbeg, long mend) {
    const op_desc *d = &s->d;
    long M = mend - mbeg, plane = (long)d->oh * d->ow, Mall = (long)d->n * plane;
    int K = s->K;
    const int MR = s->mr, NR = s->nr, KC = s->v->kc, PT_MAX = NT_CH / NR;   /* the variant's blocking */
    /* Smaller tiles (fewer panels, then fewer pixels) when there are too few to keep
     * every thread busy to the end; pixel tiles of equal size (in whole blocks). Inside a
     * parallel region (the block executor's threads split its tiles) this thread is alone. */
    int pt = PT_MAX, nth = omp_in_parallel() ? 1 : omp_get_max_threads();
    long mtp = MT, want = nth > 1 ? 4L * nth : 1;
    #define TILES(mtp, pt) (((M + (mtp) - 1) / (mtp)) * ((s->npanel + (pt) - 1) / (pt)))
    while (pt > 1 && TILES(mtp, pt) < want) pt /= 2;
    while (mtp > 4 * MR && TILES(mtp, pt) < want) mtp /= 2;
    #undef TILES
    /* Pixel tiles: whole blocks of MR, as even as blocks allow, and as many tiles as make
     * every thread's share equal (a multiple of the threads, when that keeps blocks). */
    long nb = (M + MR - 1) / MR, ntiles = (s->npanel + pt - 1) / pt;
    long mtiles = (M + mtp - 1) / mtp;
    if (mtiles > nb) mtiles = nb;
    while (nth > 1 && (mtiles * ntiles) % nth && mtiles < nb) mtiles++;
    long total = mtiles * ntiles;
    #define TILE_M0(mt) (mbeg + (mt) * nb / mtiles * MR)
    /* gather: a scratch per thread; inside the block executor's region, per outer thread */
    int outer = omp_in_parallel() ? omp_get_thread_num() : -1;
    int team = s->gather && s->nscratch < nth ? s->nscratch : nth;
    #pragma omp parallel if (M * d->oc * (long)K > 200000) num_threads(team)
    {
        const float *ptr[MT * NG_MAX], *ubase[MT];   /* block ib's rows: ptr + ib * ng * MR */
        int slot = outer >= 0 ? outer : omp_get_thread_num();
        /* a thread beyond those counted at create shares the last scratch, a tile at a time */
        int shared = s->gather && slot >= s->nscratch;
        float *scratch = s->gather ? s->scratch + (size_t)(shared ? s->nscratch : slot) * MT * d->c : NULL;
        uint64_t skip[MT];
        long cached = -1;
        int filled = 0, wb = 0, woy = 0, wox = 0;   /* blocks of tile `cached` with rows; walk position */
        #pragma omp for schedule(static)
        for (long t = 0; t < total; t++) {
            long mt = t / ntiles, m0 = TILE_M0(mt), m1 = mt + 1 < mtiles ? TILE_M0(mt + 1) : mend;
            int nblk = (int)((m1 - m0 + MR - 1) / MR);
            if (shared) { omp_set_lock(&((gemm_state *)s)->lock); cached = -1; }
            if (mt != cached) {   /* consecutive tiles of one thread share their pixels */
                wb = (int)(m0 / plane); woy = (int)(m0 % plane / d->ow); wox = (int)(m0 % d->ow);
                filled = 0;
                cached = mt;
            }
            int p0 = (int)(t % ntiles) * pt, p1 = p0 + pt < s->npanel ? p0 + pt : s->npanel;
            for (int k0 = 0; k0 < K; k0 += KC) {
                int k1 = k0 + KC < K ? k0 + KC : K;
                own_gemm_tile tl = { .glo = s->glo, .ghi = s->ghi, .ng = s->ng, .k0 = k0, .k1 = k1,
                            .ldc = (size_t)d->oc, .relu = d->relu && k1 == K,
                            .relu_max = (float)d->relu_max,
                            .step = (size_t)s->stride * d->c, .koff = s->koff };
                for (int pn = p0; pn < p1; pn++) {
                    tl.w = s->wp + (size_t)pn * K * NR;
                    tl.nc = d->oc - pn * NR < NR ? d->oc - pn * NR : NR;
                    /* The weight chunk after this one: next panel, next reduction chunk, or
                     * the next tile's first; its lines spread over this chunk's blocks. */
                    const char *nx = NULL;
                    int nlines = 0;
                    if (s->prefetch == 1) {
                        int npn = pn + 1, nk0 = k0;
                        if (npn >= p1) { npn = p0; nk0 = k0 + KC; }
                        if (nk0 >= K && t + 1 < total) { npn = (int)((t + 1) % ntiles) * pt; nk0 = 0; }
                        if (nk0 < K) {
                            int nk1 = nk0 + KC < K ? nk0 + KC : K;
                            nx = (const char *)(s->wp + ((size_t)npn * K + nk0) * NR);
                            nlines = (nk1 - nk0) * NR * (int)sizeof(float) / 64;
                        }
                    }
                    int per = (nlines + nblk - 1) / nblk;
                    for (int ib = 0; ib < nblk; ib++) {
                        long m = m0 + (long)ib * MR;
                        int mr = m1 - m < MR ? (int)(m1 - m) : MR;
                        /* A block's rows are worked out right before its first use, so
                         * that the scalar work overlaps the previous block's FMAs. */
                        const float **rows = ptr + (size_t)ib * s->ng * MR;
                        if (ib == filled) {
                            skip[ib] = source_rows(s, in, mr, &wb, &woy, &wox, rows, &ubase[ib],
                                                   scratch ? scratch + (size_t)ib * MR * d->c : NULL);
                            filled++;
                        }
                        tl.rows = rows;
                        tl.base = ubase[ib];
                        tl.skip = skip[ib];
                        tl.out = out + (size_t)m * d->oc + (size_t)pn * NR;
                        tl.res = in2 && k1 == K ? in2 + (tl.out - out) : NULL;
                        tl.init = k0 == 0 ? s->bias + (size_t)pn * NR : tl.out;
                        tl.init_ld = k0 == 0 ? 0 : tl.ldc;
                        int first = ib * per;
                        tl.npf = first >= nlines ? 0 : first + per <= nlines ? per : nlines - first;
                        tl.pf = nx ? nx + (size_t)first * 64 : (const char *)tl.w;
                        if (s->prefetch == 2) {   /* the input of the blocks ahead */
                            long ahead = (m + MR) * d->c + s->lead;
                            tl.pf = (const char *)(in + (ahead < Mall * d->c ? ahead : 0));
                            tl.npf = 0;
                        }
                        s->ukr[ubase[ib] != NULL][mr](&tl);
                    }
                }
            }
            if (shared) omp_unset_lock(&((gemm_state *)s)->lock);
        }
    }
    #undef TILE_M0
}

void own_fused_run(void *p, const float *in, const float *in2, float *out) {
    const gemm_state *s = p;
    run_pixels(s, in, in2, out, 0, (long)s->d.n * s->d.oh * s->d.ow);
}

void own_fused_run_rows(void *p, const float *in, const float *in2, float *out, int r0, int r1) {
    const gemm_state *s = p;
    run_pixels(s, in, in2, out, (long)r0 * s->d.ow, (long)r1 * s->d.ow);
}
