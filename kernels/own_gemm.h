/* The GEMM micro-kernels behind our conv, shiftconv and fc (the driver: own_fused.c).
 *
 * A micro-kernel computes one tile C[mr x nc] = init + sum_g A_g[mr x K_g] * W_g over the
 * reduction range [k0, k1), then, on the last range, adds a residual and applies the ReLU.
 * The row of A_g for pixel r is read straight from memory (an input pixel, or a zero row
 * outside the image): an indirect GEMM with one K range per group. It is a pure function of
 * the tile below: no ISA type, no global state. The driver owns tiling, threading, the
 * source rows and the prefetch policy, and passes them in as data.
 *
 * One body (own_gemm_body.h) over the vector layer (simd/f32-*.h) is compiled once per
 * level (own_gemm_<level>.c, each with its level's flags and register blocking); each
 * level exports one variant row. */
#ifndef SHIFTBENCH_OWN_GEMM_H
#define SHIFTBENCH_OWN_GEMM_H

#include <stddef.h>
#include <stdint.h>
#include "isa.h"

typedef struct {
    /* Group kernels: rows[g * MR + r] is pixel r's source row for group g (MR: the
     * variant's mr), indexed by k (the group's K offset folded in), for r < the tile's rows. */
    const float *const *rows;
    uint64_t skip;             /* groups whose rows are all zero (not read) */
    const int *glo, *ghi;      /* [ng] group K ranges, ascending and disjoint */
    int ng, k0, k1;            /* groups; this call's reduction range [k0, k1) */
    /* Uniform kernels (every row inside, evenly spaced): row r of k reads
     * base[r * step + koff[k]]; rows, skip and the groups are not used. */
    const float *base;
    size_t step;
    const long *koff;
    const float *w;            /* packed weight panel [K][nr], aligned to 64 bytes */
    const float *init;         /* accumulators start from init + r * init_ld (the bias: init_ld 0) */
    size_t init_ld;
    float *out;                /* row r at out + r * ldc */
    size_t ldc;
    int nc;                    /* valid output columns, 1..nr (the rest are not read or written) */
    int relu;                  /* max(0, .) before the store */
    float relu_max;            /* with relu: then min(relu_max, .) when > 0 (ReLU6: 6) */
    const float *res;          /* residual rows (ldc) added before the ReLU, or NULL */
    /* Prefetching kernels: one cache line from pf per k step, then the rest of npf lines
     * (none when npf is at most the k steps). Not dereferenced: any address will do. */
    const char *pf;
    int npf;
} own_gemm_tile;

typedef void (*own_gemm_ukernel)(const own_gemm_tile *t);

/* The kinds of micro-kernel a variant has, for every row count 1..mr. */
enum { GEMM_GROUPS, GEMM_GROUPS_PF, GEMM_UNIFORM, GEMM_UNIFORM_PF, GEMM_KINDS };
#define GEMM_MR_MAX 8

/* One row of the variant list: a level's register blocking and its micro-kernels. */
typedef struct {
    isa_level level;
    int mr, nr;                /* rows and columns of a tile (nr: the packed panel's width) */
    int kc;                    /* reduction chunk: one panel chunk [kc][nr] stays in L1/L2 */
    own_gemm_ukernel ukr[GEMM_KINDS][GEMM_MR_MAX + 1];   /* [kind][rows] */
    const char *name[GEMM_KINDS][GEMM_MR_MAX + 1];       /* their function names */
} own_gemm_variant;

/* The variants this build has, best level first (kernels/own_gemm.c). */
int own_gemm_variants(const own_gemm_variant *const **list);
/* The best variant at or below level l (the portable one at least). */
const own_gemm_variant *own_gemm_for(isa_level l);

#endif
