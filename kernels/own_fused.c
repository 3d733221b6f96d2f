/* Our GEMM micro-kernel on NHWC, for every op that is a sum over "groups" of a pixel
 * offset times weights: C[pixels x oc] = sum_g A_g[pixels x K_g] * W_g, where the row of
 * A_g for output pixel p is read straight from the input at group g's source pixel (a zero
 * row outside the image). Nothing is ever gathered or copied:
 *   shiftconv: the groups are the shift's channel groups, each displaced by its shift
 *              (the shifted tensor never exists);
 *   conv:      1x1 (any stride) is the one-group case, i.e. shiftconv without a shift, so
 *              fused and plain 1x1 run the same code; kh x kw has one group per window
 *              position (c channels each, K = kh*kw*c ordered (ky, kx, ci));
 *   fc:        a 1x1 conv on n pixels of 1x1.
 * Weights are packed at create into NR-wide k-major panels. The micro-kernel keeps an
 * mr x NR tile of C in registers (mr = 1..6, one compiled kernel per mr, so a tail block
 * does no wasted work) and, when the layer's weights do not fit the caches, prefetches the
 * weight chunk it will need next while it computes. A non-NULL in2 (the output's shape)
 * is added before the ReLU: a block's residual add done in the GEMM's epilogue
 * (own.h). */
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"
#include "../common/util.h"

#define MR 6       /* pixels per micro-tile: 6 x 4 zmm = 24 accumulators */
#define NR 64      /* output channels per micro-tile and per packed panel */
#define KC 256     /* reduction chunk: one packed panel chunk (64 KiB) stays in L2 */
#define MT 96      /* most pixels per thread tile (its MR blocks share one pointer table) */
#define PT_MAX 4   /* panels per thread tile */
#define NG_MAX 49  /* groups: 5 (4C), 9 (8C), 1 (1x1, fc), kh*kw up to 7x7 */
#define PF_MIN_BYTES (256u << 10)   /* prefetch weights when there are more than this */
#define PF_IN_BYTES (2u << 20)      /* else prefetch the input when there is more than this */

typedef struct {
    const float *const *ptr;   /* [NG_MAX][MR] source rows, indexed by k (group K offset folded in) */
    uint64_t skip;             /* groups whose rows are all zero */
    const int *glo, *ghi;      /* group K ranges */
    int ng, k0, k1;            /* groups; reduction range [k0, k1) */
    const float *b;            /* packed panel [K][NR] */
    const float *init;         /* accumulators start from: bias (init_ld 0) or the partial sums */
    size_t init_ld;
    float *out;                /* mr rows of ldc */
    size_t ldc;
    __mmask16 m[4];            /* valid output channels of the panel, per zmm */
    int relu;                  /* ReLU at the store (last reduction chunk only) */
    const float *res;          /* residual rows (ldc) added before the ReLU (last chunk only), or NULL */
    const char *pf;            /* prefetching kernels: one cache line from pf per k step, */
    int npf;                   /* then the rest of npf lines at the end */
    const float *base;         /* uniform kernels: row r reads base + r*step + koff[k] */
    size_t step;
    const long *koff;
} tile;

typedef void (*ukr_fn)(const tile *t);

typedef struct {
    op_desc d;
    int stride, K, ng;
    int glo[NG_MAX], ghi[NG_MAX], ey[NG_MAX], ex[NG_MAX], kofs[NG_MAX];
    long off[NG_MAX];          /* interior pixels: source row from the pixel's own position */
    int y_lo, y_hi, x_lo, x_hi;/* output rows / columns where every group's source is inside */
    int flat;                  /* output pixel m reads input pixel m (1x1, stride 1, no pad; fc) */
    long *koff;                /* [K]: k's source from a uniform block row's position (off[g] + k) */
    int npanel;
    float *wp;     /* [npanel][K][NR] */
    float *bias;   /* [npanel * NR], zero padded */
    float *zero;   /* max group width zeros: the source row of a pixel outside */
    ukr_fn ukr[2][MR + 1];     /* [uniform][rows] (prefetching ones when prefetch is set) */
    int prefetch;              /* 1: the next weight chunk; 2: the input ahead (stride 1) */
    long lead;                 /* input prefetch: the source furthest ahead of a pixel (floats) */
    const char *info;
} gemm_state;

/* ---- micro-kernels ------------------------------------------------------------------ */

/* AVX-512: mr x 4 zmm accumulators; each k step loads one 64-float weight row and
 * broadcasts one input scalar per pixel. mr, pf and uni are constants in each instance.
 * pf kernels prefetch one line per k step (a branch-free loop: a conditional prefetch in
 * the loop costs more than it saves on layers whose weights sit in the caches). uni
 * kernels run a block whose rows are evenly spaced and all inside: one loop over k, the
 * source offset of k from a table, instead of one loop per group (whose exits cost more
 * than the table's load when groups are a dozen channels). */
__attribute__((always_inline, target("avx512f,fma")))
static inline void ukr_body(const tile *t, const int mr, const int pf_on, const int uni) {
    __m512 acc[MR][4];
    const __mmask16 m0 = t->m[0], m1 = t->m[1], m2 = t->m[2], m3 = t->m[3];
    #pragma GCC unroll 6
    for (int r = 0; r < mr; r++) {
        const float *ip = t->init + r * t->init_ld;
        acc[r][0] = _mm512_maskz_loadu_ps(m0, ip);
        acc[r][1] = _mm512_maskz_loadu_ps(m1, ip + 16);
        acc[r][2] = _mm512_maskz_loadu_ps(m2, ip + 32);
        acc[r][3] = _mm512_maskz_loadu_ps(m3, ip + 48);
    }
    const char *pf = t->pf;
    int npf = t->npf;
    if (t->res)   /* the residual is read at the end: ask for it now (it may come from DRAM) */
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < 4; v++) _mm_prefetch((const char *)(t->res + r * t->ldc + 16 * v), _MM_HINT_T0);
    if (uni) {
        const float *p[MR];
        #pragma GCC unroll 6
        for (int r = 0; r < mr; r++) p[r] = t->base + r * t->step;
        const float *b = t->b + (size_t)t->k0 * NR;
        const long *ko = t->koff;
        if (pf_on) npf -= t->k1 - t->k0;
        for (int k = t->k0; k < t->k1; k++, b += NR) {
            if (pf_on) { _mm_prefetch(pf, _MM_HINT_T1); pf += 64; }
            long o = ko[k];
            __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
            __m512 b2 = _mm512_load_ps(b + 32), b3 = _mm512_load_ps(b + 48);
            #pragma GCC unroll 6
            for (int r = 0; r < mr; r++) {
                __m512 a = _mm512_set1_ps(p[r][o]);
                acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
                acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
                acc[r][3] = _mm512_fmadd_ps(a, b3, acc[r][3]);
            }
        }
    } else for (int g = 0; g < t->ng; g++) {
        int lo = t->glo[g] > t->k0 ? t->glo[g] : t->k0;
        int hi = t->ghi[g] < t->k1 ? t->ghi[g] : t->k1;
        if (lo >= hi || (t->skip >> g & 1)) continue;
        const float *p[MR];
        #pragma GCC unroll 6
        for (int r = 0; r < mr; r++) p[r] = t->ptr[g * MR + r];
        const float *b = t->b + (size_t)lo * NR;
        if (pf_on) npf -= hi - lo;
        for (int k = lo; k < hi; k++, b += NR) {
            if (pf_on) { _mm_prefetch(pf, _MM_HINT_T1); pf += 64; }
            __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
            __m512 b2 = _mm512_load_ps(b + 32), b3 = _mm512_load_ps(b + 48);
            #pragma GCC unroll 6
            for (int r = 0; r < mr; r++) {
                __m512 a = _mm512_set1_ps(p[r][k]);
                acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
                acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
                acc[r][3] = _mm512_fmadd_ps(a, b3, acc[r][3]);
            }
        }
    }
    if (pf_on)
        for (; npf > 0; npf--, pf += 64) _mm_prefetch(pf, _MM_HINT_T1);
    if (t->res) {
        #pragma GCC unroll 6
        for (int r = 0; r < mr; r++) {
            const float *q = t->res + r * t->ldc;
            acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_maskz_loadu_ps(m0, q));
            acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_maskz_loadu_ps(m1, q + 16));
            acc[r][2] = _mm512_add_ps(acc[r][2], _mm512_maskz_loadu_ps(m2, q + 32));
            acc[r][3] = _mm512_add_ps(acc[r][3], _mm512_maskz_loadu_ps(m3, q + 48));
        }
    }
    if (t->relu) {
        __m512 z = _mm512_setzero_ps();
        #pragma GCC unroll 6
        for (int r = 0; r < mr; r++)
            #pragma GCC unroll 4
            for (int v = 0; v < 4; v++) acc[r][v] = _mm512_max_ps(acc[r][v], z);
    }
    #pragma GCC unroll 6
    for (int r = 0; r < mr; r++) {
        float *o = t->out + r * t->ldc;
        _mm512_mask_storeu_ps(o, m0, acc[r][0]);
        _mm512_mask_storeu_ps(o + 16, m1, acc[r][1]);
        _mm512_mask_storeu_ps(o + 32, m2, acc[r][2]);
        _mm512_mask_storeu_ps(o + 48, m3, acc[r][3]);
    }
}

#define UKR_AVX512(N) \
    __attribute__((target("avx512f,fma"))) static void ukr_avx512_##N(const tile *t) { ukr_body(t, N, 0, 0); } \
    __attribute__((target("avx512f,fma"))) static void ukr_avx512_pf_##N(const tile *t) { ukr_body(t, N, 1, 0); } \
    __attribute__((target("avx512f,fma"))) static void ukr_avx512_u_##N(const tile *t) { ukr_body(t, N, 0, 1); } \
    __attribute__((target("avx512f,fma"))) static void ukr_avx512_upf_##N(const tile *t) { ukr_body(t, N, 1, 1); }
UKR_AVX512(1) UKR_AVX512(2) UKR_AVX512(3) UKR_AVX512(4) UKR_AVX512(5) UKR_AVX512(6)
#undef UKR_AVX512

/* Portable micro-kernel for CPUs without AVX-512: the same tile, plain loops. */
static void ukr_portable(const tile *t, int mr) {
    float acc[MR][NR];
    int nr = 0;
    while (nr < NR && (t->m[nr / 16] >> (nr % 16) & 1)) nr++;
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = j < nr ? t->init[r * t->init_ld + j] : 0.0f;
    for (int g = 0; g < t->ng; g++) {
        int lo = t->glo[g] > t->k0 ? t->glo[g] : t->k0;
        int hi = t->ghi[g] < t->k1 ? t->ghi[g] : t->k1;
        if (lo >= hi || (t->skip >> g & 1)) continue;
        for (int k = lo; k < hi; k++) {
            const float *b = t->b + (size_t)k * NR;
            for (int r = 0; r < mr; r++) {
                float a = t->ptr[g * MR + r][k];
                for (int j = 0; j < NR; j++) acc[r][j] += a * b[j];
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++) {
            float v = acc[r][j] + (t->res ? t->res[r * t->ldc + j] : 0.0f);
            t->out[r * t->ldc + j] = t->relu && v < 0.0f ? 0.0f : v;
        }
}

#define UKR_PORTABLE(N) static void ukr_portable_##N(const tile *t) { ukr_portable(t, N); }
UKR_PORTABLE(1) UKR_PORTABLE(2) UKR_PORTABLE(3) UKR_PORTABLE(4) UKR_PORTABLE(5) UKR_PORTABLE(6)
#undef UKR_PORTABLE

/* ---- create ------------------------------------------------------------------------- */

void own_fused_destroy(void *p) {
    gemm_state *s = p;
    if (!s) return;
    free(s->wp); free(s->bias); free(s->zero); free(s->koff);
    free(s);
}

void *own_fused_create(const op_desc *dd, const float *w, const float *bias, char *err, size_t errlen) {
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    int kh = 1, kw = 1, pad = 0, stride = d.stride;
    if (d.kind == OP_CONV) { kh = d.kh; kw = d.kw; pad = d.pad; }
    else if (d.kind == OP_FC) stride = 1;
    else if (d.kind != OP_SHIFTCONV) { set_err(err, errlen, "own gemm: %s is not a conv, shiftconv or fc", op_name(d.kind)); return NULL; }
    if (kh * kw > NG_MAX) { set_err(err, errlen, "own conv: windows up to 7x7 (%d positions), got %dx%d", NG_MAX, kh, kw); return NULL; }
    if (!w) { set_err(err, errlen, "own %s: weights missing", op_name(d.kind)); return NULL; }
    gemm_state *s = calloc(1, sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    s->stride = stride;
    int gw = d.c;   /* widest group */
    if (d.kind == OP_SHIFTCONV) {
        s->ng = d.conn + 1;
        s->K = d.c;
        int gs = shift_group_size(d.c, d.conn);
        for (int g = 0; g < s->ng; g++) {
            int dh, dw;
            shift_disp(d.conn, g, &dh, &dw);
            s->glo[g] = g * gs;
            s->ghi[g] = g == d.conn ? d.c : (g + 1) * gs;
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
    s->flat = s->ng == 1 && stride == 1 && s->ey[0] == 0 && s->ex[0] == 0 && d.oh == d.h && d.ow == d.w;
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
    int avx = own_use_avx512();
    static const ukr_fn fa[MR + 1] = { NULL, ukr_avx512_1, ukr_avx512_2, ukr_avx512_3, ukr_avx512_4, ukr_avx512_5, ukr_avx512_6 };
    static const ukr_fn fap[MR + 1] = { NULL, ukr_avx512_pf_1, ukr_avx512_pf_2, ukr_avx512_pf_3, ukr_avx512_pf_4,
                                        ukr_avx512_pf_5, ukr_avx512_pf_6 };
    static const ukr_fn fu[MR + 1] = { NULL, ukr_avx512_u_1, ukr_avx512_u_2, ukr_avx512_u_3, ukr_avx512_u_4,
                                       ukr_avx512_u_5, ukr_avx512_u_6 };
    static const ukr_fn fup[MR + 1] = { NULL, ukr_avx512_upf_1, ukr_avx512_upf_2, ukr_avx512_upf_3, ukr_avx512_upf_4,
                                        ukr_avx512_upf_5, ukr_avx512_upf_6 };
    static const ukr_fn fp[MR + 1] = { NULL, ukr_portable_1, ukr_portable_2, ukr_portable_3, ukr_portable_4, ukr_portable_5, ukr_portable_6 };
    /* One group: the group kernel is the plain loop already. */
    memcpy(s->ukr[0], avx ? (s->prefetch ? fap : fa) : fp, sizeof s->ukr[0]);
    memcpy(s->ukr[1], avx && s->ng > 1 ? (s->prefetch ? fup : fu) : s->ukr[0], sizeof s->ukr[1]);
    if (d.kind == OP_SHIFTCONV) s->info = avx ? "own:fused-avx512" : "own:fused-portable";
    else if (d.kind == OP_FC) s->info = avx ? "own:fc-avx512" : "own:fc-portable";
    else if (kh * kw == 1) s->info = avx ? "own:conv1x1-avx512" : "own:conv1x1-portable";
    else s->info = avx ? "own:conv-avx512" : "own:conv-portable";
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
                            const float **ptr, const float **ubase) {
    const op_desc *d = &s->d;
    int b = *pb, oy = *poy, ox = *pox, ng = s->ng, st = s->stride;
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

void own_fused_run(void *p, const float *in, const float *in2, float *out) {
    const gemm_state *s = p;
    const op_desc *d = &s->d;
    long M = (long)d->n * d->oh * d->ow, plane = (long)d->oh * d->ow;
    int K = s->K;
    /* Smaller tiles (fewer panels, then fewer pixels) when there are too few to keep
     * every thread busy to the end; pixel tiles of equal size (in whole blocks). */
    int pt = PT_MAX, nth = omp_get_max_threads();
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
    #define TILE_M0(mt) ((mt) * nb / mtiles * MR)
    #pragma omp parallel if (M * d->oc * (long)K > 200000)
    {
        const float *ptr[MT / MR][NG_MAX * MR], *ubase[MT / MR];
        uint64_t skip[MT / MR];
        long cached = -1;
        int filled = 0, wb = 0, woy = 0, wox = 0;   /* blocks of tile `cached` with rows; walk position */
        #pragma omp for schedule(static)
        for (long t = 0; t < total; t++) {
            long mt = t / ntiles, m0 = TILE_M0(mt), m1 = mt + 1 < mtiles ? TILE_M0(mt + 1) : M;
            int nblk = (int)((m1 - m0 + MR - 1) / MR);
            if (mt != cached) {   /* consecutive tiles of one thread share their pixels */
                wb = (int)(m0 / plane); woy = (int)(m0 % plane / d->ow); wox = (int)(m0 % d->ow);
                filled = 0;
                cached = mt;
            }
            int p0 = (int)(t % ntiles) * pt, p1 = p0 + pt < s->npanel ? p0 + pt : s->npanel;
            for (int k0 = 0; k0 < K; k0 += KC) {
                int k1 = k0 + KC < K ? k0 + KC : K;
                tile tl = { .glo = s->glo, .ghi = s->ghi, .ng = s->ng, .k0 = k0, .k1 = k1,
                            .ldc = (size_t)d->oc, .relu = d->relu && k1 == K,
                            .step = (size_t)s->stride * d->c, .koff = s->koff };
                for (int pn = p0; pn < p1; pn++) {
                    tl.b = s->wp + (size_t)pn * K * NR;
                    int nr = d->oc - pn * NR < NR ? d->oc - pn * NR : NR;
                    for (int v = 0; v < 4; v++) {
                        int left = nr - 16 * v;
                        tl.m[v] = left >= 16 ? 0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
                    }
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
                        if (ib == filled) { skip[ib] = source_rows(s, in, mr, &wb, &woy, &wox, ptr[ib], &ubase[ib]); filled++; }
                        tl.ptr = ptr[ib];
                        tl.base = ubase[ib];
                        tl.skip = skip[ib];
                        tl.out = out + (size_t)m * d->oc + (size_t)pn * NR;
                        tl.res = in2 && k1 == K ? in2 + (tl.out - out) : NULL;
                        tl.init = k0 == 0 ? s->bias + (size_t)pn * NR : tl.out;
                        tl.init_ld = k0 == 0 ? 0 : tl.ldc;
                        int first = ib * per;
                        tl.npf = first >= nlines ? 0 : first + per <= nlines ? per : nlines - first;
                        tl.pf = nx ? nx + (size_t)first * 64 : (const char *)tl.b;
                        if (s->prefetch == 2) {   /* the input of the blocks ahead */
                            long ahead = (m + MR) * d->c + s->lead;
                            tl.pf = (const char *)(in + (ahead < M * d->c ? ahead : 0));
                            tl.npf = 0;
                        }
                        s->ukr[ubase[ib] != NULL][mr](&tl);
                    }
                }
            }
        }
    }
    #undef TILE_M0
}
