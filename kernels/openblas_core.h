/* Which OpenBLAS core (x86-64 DYNAMIC_ARCH kernel set) may run on a CPU: each core name
 * maps to the ISA features its kernels execute, and one pure decision replaces a core that
 * is above the CPU (it dies with SIGILL on its first call) or above the level allowed
 * (SHIFTBENCH_ISA), or a fallback core far below it. Pure functions of their arguments,
 * so the decision is tested on made-up CPUs. */
#ifndef SHIFTBENCH_OPENBLAS_CORE_H
#define SHIFTBENCH_OPENBLAS_CORE_H

#include "isa.h"

/* CPU features OpenBLAS's x86 kernels need, as bits (none: SSE3, every x86-64 CPU). */
enum {
    OBF_AVX = 1u << 0,
    OBF_AVX2 = 1u << 1,      /* AVX2 and FMA3 */
    OBF_AVX512 = 1u << 2,    /* AVX512 F, BW, VL, DQ (OpenBLAS's SkylakeX test) */
    OBF_BF16 = 1u << 3,      /* AVX512_BF16 */
    OBF_AMX = 1u << 4,       /* AMX BF16 */
};

/* The features core needs; -1 for a name not in the table (treated as a fallback). */
int openblas_core_needs(const char *core);
/* The features our ISA level l allows (avx512: all; avx2: AVX, AVX2; portable: none). */
unsigned openblas_level_allows(isa_level l);
/* Our ISA level of a core's kernels (avx512, avx2 or portable). */
isa_level openblas_core_level(const char *core);

typedef enum { OBC_KEEP, OBC_FALLBACK, OBC_ABOVE_LEVEL, OBC_ABOVE_CPU } openblas_core_verdict;

/* The core to run instead of core on a CPU with features cpu, of which allowed may be used
 * (NULL when core stays), and why (*why). A core above the CPU or the allowed set is
 * replaced by the best core within both; a fallback core (no AVX2 kernels where AVX2 is
 * allowed, no AVX-512 ones where AVX-512 is) by the same best core. */
const char *openblas_core_choice(const char *core, unsigned cpu, unsigned allowed, openblas_core_verdict *why);

#endif
