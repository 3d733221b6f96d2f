/* Fused shift + 1x1 convolution: C[pixels x oc] = A[pixels x c] * W^T where row p of A
 * is never formed; for channel group g the micro-kernel reads output pixel p's source
 * pixel (oy*s - dh, ox*s - dw) directly from the input (a zero row outside). The shifted
 * tensor never exists. Weights are packed at create into NR-wide k-major panels. */
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"
#include "../common/util.h"

#define MR 6       /* pixels per micro-tile: 6 x 4 zmm = 24 accumulators */
#define NR 64      /* output channels per micro-tile and per packed panel */
#define KC 256     /* reduction chunk: one packed panel chunk (64 KiB) stays in L2 */
#define MT 96      /* most pixels per thread tile (its MR blocks share one pointer table) */
#define PT_MAX 4   /* panels per thread tile */
#define NG_MAX 9   /* groups: 5 for 4C, 9 for 8C */

typedef struct {
    const float *const *ptr;   /* [NG_MAX][MR] source rows (pixel base, channel 0) */
    unsigned skip;             /* groups whose MR source rows are all zero */
    const int *glo, *ghi;      /* group channel ranges */
    int ng, k0, k1;            /* groups; reduction range [k0, k1) */
    const float *b, *bias;     /* packed panel [c][NR]; bias [NR] */
    float *out;                /* MR rows of ldc */
    size_t ldc;
    int mr, nr, first, last, relu;
} tile;

typedef void (*ukr_fn)(const tile *t);

typedef struct {
    op_desc d;
    int ng, glo[NG_MAX], ghi[NG_MAX], dh[NG_MAX], dw[NG_MAX];
    long off[NG_MAX];   /* source pixel offset in floats, for pixels away from the border */
    int npanel;
    float *wp;     /* [npanel][c][NR] */
    float *bias;   /* [npanel * NR], zero padded */
    float *zero;   /* c zeros: the source row of a pixel outside the image */
    ukr_fn ukr;
    const char *info;
} fused_state;

/* AVX-512 micro-kernel: MR x NR accumulators in registers; each k step loads one
 * 64-float weight row and broadcasts one input scalar per pixel. */
__attribute__((target("avx512f,fma")))
static void ukr_avx512(const tile *t) {
    __m512 acc[MR][4];
    __mmask16 m[4];
    for (int v = 0; v < 4; v++) {
        int left = t->nr - 16 * v;
        m[v] = left >= 16 ? 0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
    }
    #pragma GCC unroll 6
    for (int r = 0; r < MR; r++)
        #pragma GCC unroll 4
        for (int v = 0; v < 4; v++)
            acc[r][v] = t->first ? _mm512_load_ps(t->bias + 16 * v)
                      : r < t->mr ? _mm512_maskz_loadu_ps(m[v], t->out + r * t->ldc + 16 * v)
                      : _mm512_setzero_ps();
    for (int g = 0; g < t->ng; g++) {
        int lo = t->glo[g] > t->k0 ? t->glo[g] : t->k0;
        int hi = t->ghi[g] < t->k1 ? t->ghi[g] : t->k1;
        if (lo >= hi || (t->skip >> g & 1)) continue;
        const float *p[MR];
        #pragma GCC unroll 6
        for (int r = 0; r < MR; r++) p[r] = t->ptr[g * MR + r];
        const float *b = t->b + (size_t)lo * NR;
        for (int k = lo; k < hi; k++, b += NR) {
            __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
            __m512 b2 = _mm512_load_ps(b + 32), b3 = _mm512_load_ps(b + 48);
            #pragma GCC unroll 6
            for (int r = 0; r < MR; r++) {
                __m512 a = _mm512_set1_ps(p[r][k]);
                acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
                acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
                acc[r][3] = _mm512_fmadd_ps(a, b3, acc[r][3]);
            }
        }
    }
    __m512 z = _mm512_setzero_ps();
    #pragma GCC unroll 6
    for (int r = 0; r < MR; r++)
        #pragma GCC unroll 4
        for (int v = 0; v < 4; v++)
            if (r < t->mr)
                _mm512_mask_storeu_ps(t->out + r * t->ldc + 16 * v, m[v],
                                      t->last && t->relu ? _mm512_max_ps(acc[r][v], z) : acc[r][v]);
}

/* Portable micro-kernel for CPUs without AVX-512: the same tile, plain loops. */
static void ukr_portable(const tile *t) {
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            acc[r][j] = t->first ? t->bias[j] : r < t->mr && j < t->nr ? t->out[r * t->ldc + j] : 0.0f;
    for (int g = 0; g < t->ng; g++) {
        int lo = t->glo[g] > t->k0 ? t->glo[g] : t->k0;
        int hi = t->ghi[g] < t->k1 ? t->ghi[g] : t->k1;
        if (lo >= hi || (t->skip >> g & 1)) continue;
        for (int k = lo; k < hi; k++) {
            const float *b = t->b + (size_t)k * NR;
            for (int r = 0; r < MR; r++) {
                float a = t->ptr[g * MR + r][k];
                for (int j = 0; j < NR; j++) acc[r][j] += a * b[j];
            }
        }
    }
    for (int r = 0; r < t->mr; r++)
        for (int j = 0; j < t->nr; j++)
            t->out[r * t->ldc + j] = t->last && t->relu && acc[r][j] < 0.0f ? 0.0f : acc[r][j];
}

void own_fused_destroy(void *p) {
    fused_state *s = p;
    if (!s) return;
    free(s->wp); free(s->bias); free(s->zero);
    free(s);
}

void *own_fused_create(const op_desc *dd, const float *w, const float *bias, char *err, size_t errlen) {
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    fused_state *s = calloc(1, sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    s->ng = d.conn + 1;
    int gs = shift_group_size(d.c, d.conn);
    for (int g = 0; g < s->ng; g++) {
        s->glo[g] = g * gs;
        s->ghi[g] = g == d.conn ? d.c : (g + 1) * gs;
        shift_disp(d.conn, g, &s->dh[g], &s->dw[g]);
        s->off[g] = -((long)s->dh[g] * d.w + s->dw[g]) * d.c;
    }
    s->npanel = (d.oc + NR - 1) / NR;
    size_t npad = (size_t)s->npanel * NR;
    s->wp = alloc_aligned(npad * (size_t)d.c * sizeof(float));
    s->bias = alloc_aligned(npad * sizeof(float));
    s->zero = alloc_aligned((size_t)d.c * sizeof(float));
    if (!s->wp || !s->bias || !s->zero) {
        own_fused_destroy(s);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    memset(s->zero, 0, (size_t)d.c * sizeof(float));
    for (size_t j = 0; j < npad; j++) s->bias[j] = j < (size_t)d.oc && bias ? bias[j] : 0.0f;
    for (int pn = 0; pn < s->npanel; pn++)
        for (int k = 0; k < d.c; k++)
            for (int j = 0; j < NR; j++) {
                int o = pn * NR + j;
                s->wp[((size_t)pn * d.c + k) * NR + j] = o < d.oc ? w[(size_t)o * d.c + k] : 0.0f;
            }
    int avx = own_use_avx512();
    s->ukr = avx ? ukr_avx512 : ukr_portable;
    s->info = avx ? "own:fused-avx512" : "own:fused-portable";
    return s;
}

const char *own_fused_info(const void *p) { return ((const fused_state *)p)->info; }

/* Source row pointers of the pixels [m0, m0+MR) for every group (zero row outside),
 * and the groups whose rows are all zero. One division, then the pixel walks. */
static unsigned source_rows(const fused_state *s, const float *in, long m0, long mend, const float **ptr) {
    const op_desc *d = &s->d;
    long plane = (long)d->oh * d->ow;
    int b = (int)(m0 / plane), oy = (int)(m0 % plane / d->ow), ox = (int)(m0 % d->ow);
    unsigned skip = (1u << s->ng) - 1;
    for (int r = 0; r < MR; r++) {
        int valid = m0 + r < mend, y = oy * d->stride, x = ox * d->stride;
        if (valid && y >= 1 && y < d->h - 1 && x >= 1 && x < d->w - 1) {   /* interior: no checks */
            const float *base = in + (((size_t)b * d->h + y) * d->w + x) * d->c;
            for (int g = 0; g < s->ng; g++) ptr[g * MR + r] = base + s->off[g];
            skip = 0;
        } else for (int g = 0; g < s->ng; g++) {
            int iy = oy * d->stride - s->dh[g], ix = ox * d->stride - s->dw[g];
            int inside = valid && iy >= 0 && iy < d->h && ix >= 0 && ix < d->w;
            ptr[g * MR + r] = inside ? in + (((size_t)b * d->h + iy) * d->w + ix) * d->c : s->zero;
            if (inside) skip &= ~(1u << g);
        }
        if (++ox == d->ow) { ox = 0; if (++oy == d->oh) { oy = 0; b++; } }
    }
    return skip;
}

void own_fused_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const fused_state *s = p;
    const op_desc *d = &s->d;
    long M = (long)d->n * d->oh * d->ow;
    /* Smaller tiles (fewer panels, then fewer pixels) when there are too few to keep
     * every thread busy to the end. */
    int pt = PT_MAX, mtp = MT, nth = omp_get_max_threads();
    long want = nth > 1 ? 4L * nth : 1;
    #define TILES(mtp, pt) (((M + (mtp) - 1) / (mtp)) * ((s->npanel + (pt) - 1) / (pt)))
    while (pt > 1 && TILES(mtp, pt) < want) pt /= 2;
    while (mtp > 4 * MR && TILES(mtp, pt) < want) mtp /= 2;
    #undef TILES
    long mtiles = (M + mtp - 1) / mtp, ntiles = (s->npanel + pt - 1) / pt;
    #pragma omp parallel if (M * d->oc * (long)d->c > 200000)
    {
        const float *ptr[MT / MR][NG_MAX * MR];
        unsigned skip[MT / MR];
        long cached = -1;
        #pragma omp for schedule(static)
        for (long t = 0; t < mtiles * ntiles; t++) {
            long mt = t / ntiles, m0 = mt * mtp, m1 = m0 + mtp < M ? m0 + mtp : M;
            int nblk = (int)((m1 - m0 + MR - 1) / MR);
            if (mt != cached) {   /* consecutive tiles of one thread share their pixels */
                for (int ib = 0; ib < nblk; ib++) skip[ib] = source_rows(s, in, m0 + ib * MR, m1, ptr[ib]);
                cached = mt;
            }
            int p0 = (int)(t % ntiles) * pt, p1 = p0 + pt < s->npanel ? p0 + pt : s->npanel;
            for (int k0 = 0; k0 < d->c; k0 += KC) {
                tile tl = { .glo = s->glo, .ghi = s->ghi, .ng = s->ng, .k0 = k0,
                            .k1 = k0 + KC < d->c ? k0 + KC : d->c, .ldc = (size_t)d->oc,
                            .first = k0 == 0, .last = k0 + KC >= d->c, .relu = d->relu };
                for (int pn = p0; pn < p1; pn++) {
                    tl.b = s->wp + (size_t)pn * d->c * NR;
                    tl.bias = s->bias + (size_t)pn * NR;
                    tl.nr = d->oc - pn * NR < NR ? d->oc - pn * NR : NR;
                    for (int ib = 0; ib < nblk; ib++) {
                        long m = m0 + (long)ib * MR;
                        tl.ptr = ptr[ib];
                        tl.skip = skip[ib];
                        tl.mr = m1 - m < MR ? (int)(m1 - m) : MR;
                        tl.out = out + (size_t)m * d->oc + (size_t)pn * NR;
                        s->ukr(&tl);
                    }
                }
            }
        }
    }
}
