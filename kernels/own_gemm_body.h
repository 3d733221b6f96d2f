/* The GEMM micro-kernel body (own_gemm.h), written once over the vector layer. An
 * own_gemm_<level>.c includes its simd/f32-<level>.h, defines
 *   GEMM_LEVEL (avx2), GEMM_ISA (ISA_AVX2), GEMM_MR (rows, <= GEMM_MR_MAX),
 *   GEMM_NR (columns, a multiple of VF_N), GEMM_KC (reduction chunk),
 * then includes this; the result is the exported functions
 * own_gemm_<level>_<r>x<nr>_{grp,grp_pf,uni,uni_pf} for r = 1..GEMM_MR and their variant
 * row own_gemm_<level>.
 *
 * The tile keeps r x GEMM_NR accumulators in registers (GEMM_MR * GEMM_NR / VF_N vectors
 * plus one weight row and a broadcast); each k step loads one weight row and broadcasts one
 * input scalar per pixel. Each (r, kind) is its own function, so a tail block does no
 * wasted work. pf kernels prefetch one line per k step (a branch-free loop: a conditional
 * prefetch in the loop costs more than it saves on layers whose weights sit in the caches);
 * uni kernels run a block whose rows are evenly spaced and all inside: one loop over k, the
 * source offset of k from a table, instead of one loop per group (whose exits cost more
 * than the table's load when groups are a dozen channels). */
#include "own_gemm.h"

#if GEMM_MR < 4 || GEMM_MR > GEMM_MR_MAX || GEMM_NR % VF_N
#error "GEMM_MR: 4..GEMM_MR_MAX, GEMM_NR: a multiple of VF_N"
#endif

#define GEMM_NV (GEMM_NR / VF_N)
#define GEMM_AI static inline __attribute__((always_inline))

/* Columns [v * VF_N, v * VF_N + VF_N) of a row of nc valid ones. */
GEMM_AI vf gemm_load(const float *p, int v, int nc) {
    int n = nc - v * VF_N;
    return n >= VF_N ? vf_loadu(p + v * VF_N) : n > 0 ? vf_load_tail(p + v * VF_N, n) : vf_zero();
}
GEMM_AI void gemm_store(float *p, int v, int nc, vf x) {
    int n = nc - v * VF_N;
    if (n >= VF_N) vf_storeu(p + v * VF_N, x);
    else if (n > 0) vf_store_tail(p + v * VF_N, x, n);
}

/* acc[r] (op)= rows p + r * ld; nc is GEMM_NR (then every test folds away) or the tail.
 * ld 0 (the bias): one row, loaded once. */
GEMM_AI void gemm_init(vf acc[GEMM_MR][GEMM_NV], const float *p, size_t ld, int mr, int nc) {
    if (ld == 0) {
        #pragma GCC unroll 8
        for (int v = 0; v < GEMM_NV; v++) {
            vf b = gemm_load(p, v, nc);
            #pragma GCC unroll 8
            for (int r = 0; r < mr; r++) acc[r][v] = b;
        }
        return;
    }
    #pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
        #pragma GCC unroll 8
        for (int v = 0; v < GEMM_NV; v++) acc[r][v] = gemm_load(p + r * ld, v, nc);
}
GEMM_AI void gemm_add(vf acc[GEMM_MR][GEMM_NV], const float *p, size_t ld, int mr, int nc) {
    #pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
        #pragma GCC unroll 8
        for (int v = 0; v < GEMM_NV; v++) acc[r][v] = vf_add(acc[r][v], gemm_load(p + r * ld, v, nc));
}
GEMM_AI void gemm_put(vf acc[GEMM_MR][GEMM_NV], float *p, size_t ld, int mr, int nc) {
    #pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
        #pragma GCC unroll 8
        for (int v = 0; v < GEMM_NV; v++) gemm_store(p + r * ld, v, nc, acc[r][v]);
}

/* One k step: weight row w, pixel r's input at p[r][o]. */
GEMM_AI void gemm_step(vf acc[GEMM_MR][GEMM_NV], const float *const *p, long o, const float *w, int mr) {
    vf b[GEMM_NV];
    #pragma GCC unroll 8
    for (int v = 0; v < GEMM_NV; v++) b[v] = vf_load(w + v * VF_N);
    #pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        vf a = vf_set1(p[r][o]);
        #pragma GCC unroll 8
        for (int v = 0; v < GEMM_NV; v++) acc[r][v] = vf_fmadd(a, b[v], acc[r][v]);
    }
}

/* mr, pf_on and uni are constants in each instance. */
GEMM_AI void gemm_body(const own_gemm_tile *t, const int mr, const int pf_on, const int uni) {
    vf acc[GEMM_MR][GEMM_NV];
    const int nc = t->nc;
    if (nc == GEMM_NR) gemm_init(acc, t->init, t->init_ld, mr, GEMM_NR);
    else gemm_init(acc, t->init, t->init_ld, mr, nc);
    const char *pf = t->pf;
    int npf = t->npf;
    if (t->res)   /* the residual is read at the end: ask for it now (it may come from DRAM) */
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < GEMM_NR; j += 16) __builtin_prefetch(t->res + r * t->ldc + j, 0, 3);
    if (uni) {
        const float *p[GEMM_MR];
        #pragma GCC unroll 8
        for (int r = 0; r < mr; r++) p[r] = t->base + r * t->step;
        const float *w = t->w + (size_t)t->k0 * GEMM_NR;
        const long *ko = t->koff;
        if (pf_on) npf -= t->k1 - t->k0;
        for (int k = t->k0; k < t->k1; k++, w += GEMM_NR) {
            if (pf_on) { __builtin_prefetch(pf, 0, 2); pf += 64; }
            gemm_step(acc, p, ko[k], w, mr);
        }
    } else for (int g = 0; g < t->ng; g++) {
        int lo = t->glo[g] > t->k0 ? t->glo[g] : t->k0;
        int hi = t->ghi[g] < t->k1 ? t->ghi[g] : t->k1;
        if (lo >= hi || (t->skip >> g & 1)) continue;
        const float *p[GEMM_MR];
        #pragma GCC unroll 8
        for (int r = 0; r < mr; r++) p[r] = t->rows[g * GEMM_MR + r];
        const float *w = t->w + (size_t)lo * GEMM_NR;
        if (pf_on) npf -= hi - lo;
        for (int k = lo; k < hi; k++, w += GEMM_NR) {
            if (pf_on) { __builtin_prefetch(pf, 0, 2); pf += 64; }
            gemm_step(acc, p, k, w, mr);
        }
    }
    if (pf_on)
        for (; npf > 0; npf--, pf += 64) __builtin_prefetch(pf, 0, 2);
    if (t->res) {
        if (nc == GEMM_NR) gemm_add(acc, t->res, t->ldc, mr, GEMM_NR);
        else gemm_add(acc, t->res, t->ldc, mr, nc);
    }
    if (t->relu) {
        vf z = vf_zero();
        #pragma GCC unroll 8
        for (int r = 0; r < mr; r++)
            #pragma GCC unroll 8
            for (int v = 0; v < GEMM_NV; v++) acc[r][v] = vf_max(acc[r][v], z);
        if (t->relu_max > 0) {
            vf h = vf_set1(t->relu_max);
            #pragma GCC unroll 8
            for (int r = 0; r < mr; r++)
                #pragma GCC unroll 8
                for (int v = 0; v < GEMM_NV; v++) acc[r][v] = vf_min(acc[r][v], h);
        }
    }
    if (nc == GEMM_NR) gemm_put(acc, t->out, t->ldc, mr, GEMM_NR);
    else gemm_put(acc, t->out, t->ldc, mr, nc);
}

/* ---- the exported functions and the variant row ------------------------------------- */

#define GEMM_FN(r, kind) GEMM_FN_(GEMM_LEVEL, r, GEMM_NR, kind)
#define GEMM_FN_(l, r, n, kind) GEMM_FN__(l, r, n, kind)
#define GEMM_FN__(l, r, n, kind) own_gemm_##l##_##r##x##n##_##kind
#define GEMM_STR(x) GEMM_STR_(x)
#define GEMM_STR_(x) #x
#define GEMM_ROW_NAME(l) GEMM_ROW_NAME_(l)
#define GEMM_ROW_NAME_(l) own_gemm_##l

#define GEMM_DEFINE_KIND(r, kind, pf, uni) \
    void GEMM_FN(r, kind)(const own_gemm_tile *t); \
    void GEMM_FN(r, kind)(const own_gemm_tile *t) { gemm_body(t, r, pf, uni); }
#define GEMM_DEFINE(r) \
    GEMM_DEFINE_KIND(r, grp, 0, 0) GEMM_DEFINE_KIND(r, grp_pf, 1, 0) \
    GEMM_DEFINE_KIND(r, uni, 0, 1) GEMM_DEFINE_KIND(r, uni_pf, 1, 1)
#define GEMM_ENTRY(r, k, kind) .ukr[k][r] = GEMM_FN(r, kind), .name[k][r] = GEMM_STR(GEMM_FN(r, kind)),
#define GEMM_ROW(r) \
    GEMM_ENTRY(r, GEMM_GROUPS, grp) GEMM_ENTRY(r, GEMM_GROUPS_PF, grp_pf) \
    GEMM_ENTRY(r, GEMM_UNIFORM, uni) GEMM_ENTRY(r, GEMM_UNIFORM_PF, uni_pf)

GEMM_DEFINE(1) GEMM_DEFINE(2) GEMM_DEFINE(3) GEMM_DEFINE(4)
#if GEMM_MR >= 5
GEMM_DEFINE(5)
#endif
#if GEMM_MR >= 6
GEMM_DEFINE(6)
#endif
#if GEMM_MR >= 7
GEMM_DEFINE(7)
#endif
#if GEMM_MR >= 8
GEMM_DEFINE(8)
#endif

extern const own_gemm_variant GEMM_ROW_NAME(GEMM_LEVEL);
const own_gemm_variant GEMM_ROW_NAME(GEMM_LEVEL) = {
    .level = GEMM_ISA, .mr = GEMM_MR, .nr = GEMM_NR, .kc = GEMM_KC,
    GEMM_ROW(1) GEMM_ROW(2) GEMM_ROW(3) GEMM_ROW(4)
#if GEMM_MR >= 5
    GEMM_ROW(5)
#endif
#if GEMM_MR >= 6
    GEMM_ROW(6)
#endif
#if GEMM_MR >= 7
    GEMM_ROW(7)
#endif
#if GEMM_MR >= 8
    GEMM_ROW(8)
#endif
};
