/* The GEMM variant list (own_gemm.h): one row per level this build has, best first. The
 * driver takes the first row at or below the active level. */
#include <stddef.h>
#include "own_gemm.h"

extern const own_gemm_variant own_gemm_portable;
#if defined(__x86_64__) || defined(__i386__)
extern const own_gemm_variant own_gemm_avx512, own_gemm_avx2;
#elif defined(__aarch64__)
extern const own_gemm_variant own_gemm_neon;
#endif

static const own_gemm_variant *const variants[] = {
#if defined(__x86_64__) || defined(__i386__)
    &own_gemm_avx512, &own_gemm_avx2,
#elif defined(__aarch64__)
    &own_gemm_neon,
#endif
    &own_gemm_portable,
};
#define NVARIANTS ((int)(sizeof variants / sizeof *variants))

int own_gemm_variants(const own_gemm_variant *const **list) { *list = variants; return NVARIANTS; }

/* A level's rank among this architecture's levels (isa_levels: lowest first). */
static int rank(isa_level l) {
    const isa_level *all;
    int n = isa_levels(&all);
    for (int i = 0; i < n; i++)
        if (all[i] == l) return i;
    return -1;
}

const own_gemm_variant *own_gemm_for(isa_level l) {
    for (int i = 0; i < NVARIANTS; i++)
        if (rank(variants[i]->level) <= rank(l)) return variants[i];
    return &own_gemm_portable;
}
