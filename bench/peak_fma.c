/* FMA loops per ISA level (peak_fma.h): a = a * b + c with b < 1 converges to 1, so no
 * denormals or overflow; no chain starts at 1 (the compiler folds a chain at its fixed
 * point away). Built per ISA with target attributes and picked at run time (CFLAGS carry
 * no -march). Chain counts, from the cores' pipes x latency:
 *   AVX2 (16 registers):  Skylake/Zen 4 2 x 4 = 8, Zen 1-3 2 x 5 = 10 (Zen 1: 2 x 128-bit
 *                         halves), up to 14 accumulators besides b and c;
 *   AVX-512 (32):         2 x 4 = 8 on Intel, Zen 5 2 x 4 to 4 pipes: up to 24;
 *   portable:             the baseline vector (SSE2 or plain 128-bit) with separate mul
 *                         and add (no FMA at baseline): 2 x (3 + 3) = 12, up to 14;
 *   NEON (32):            Neoverse / Apple cores 2-4 pipes x 4: up to 24. */
#include "peak_fma.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

/* The body of one loop: N chains of type T, one step = STEP(a) on every chain. */
#define FMA_BODY(T, SET1, STEP, N)                                             \
    T a[N], b = SET1(0.999999f), c = SET1(1e-6f);                              \
    for (int k = 0; k < N; k++) a[k] = SET1(2.0f + 0.01f * k);                 \
    for (long i = 0; i < iters; i++) {                                         \
        _Pragma("GCC unroll 32") for (int k = 0; k < N; k++) a[k] = STEP;      \
    }                                                                          \
    for (int k = 1; k < N; k++) a[0] = a[0] + a[k];                            \
    float s = 0, t[sizeof(T) / sizeof(float)];                                 \
    __builtin_memcpy(t, &a[0], sizeof t);                                      \
    for (unsigned k = 0; k < sizeof t / sizeof *t; k++) s += t[k];             \
    return s;

typedef float v4 __attribute__((vector_size(16)));
static inline v4 v4_set1(float x) { return (v4){ x, x, x, x }; }
#define PORTABLE(N) static float portable_##N(long iters) { FMA_BODY(v4, v4_set1, a[k] * b + c, N) }
PORTABLE(8) PORTABLE(12) PORTABLE(14)
static const peak_fma_loop portable_loops[] = {
    { portable_8, 8, 4, 8 * 4 * 2 }, { portable_12, 12, 4, 12 * 4 * 2 }, { portable_14, 14, 4, 14 * 4 * 2 } };

#ifdef X86
#define AVX2(N) __attribute__((target("avx2,fma"))) static float avx2_##N(long iters) \
    { FMA_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps(a[k], b, c), N) }
AVX2(8) AVX2(10) AVX2(12) AVX2(14)
static const peak_fma_loop avx2_loops[] = {
    { avx2_8, 8, 8, 8 * 8 * 2 }, { avx2_10, 10, 8, 10 * 8 * 2 }, { avx2_12, 12, 8, 12 * 8 * 2 },
    { avx2_14, 14, 8, 14 * 8 * 2 } };
#define AVX512(N) __attribute__((target("avx512f,fma"))) static float avx512_##N(long iters) \
    { FMA_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps(a[k], b, c), N) }
AVX512(8) AVX512(12) AVX512(16) AVX512(20) AVX512(24)
static const peak_fma_loop avx512_loops[] = {
    { avx512_8, 8, 16, 8 * 16 * 2 }, { avx512_12, 12, 16, 12 * 16 * 2 }, { avx512_16, 16, 16, 16 * 16 * 2 },
    { avx512_20, 20, 16, 20 * 16 * 2 }, { avx512_24, 24, 16, 24 * 16 * 2 } };
#elif defined(__aarch64__)
#define NEON(N) static float neon_##N(long iters) { FMA_BODY(float32x4_t, vdupq_n_f32, vfmaq_f32(c, a[k], b), N) }
NEON(8) NEON(16) NEON(24)
static const peak_fma_loop neon_loops[] = {
    { neon_8, 8, 4, 8 * 4 * 2 }, { neon_16, 16, 4, 16 * 4 * 2 }, { neon_24, 24, 4, 24 * 4 * 2 } };
#endif

#define LIST(x) (*list = x, (int)(sizeof x / sizeof *x))

int peak_fma_loops(isa_level l, const peak_fma_loop **list) {
    *list = NULL;
    switch (l) {
    case ISA_PORTABLE: return LIST(portable_loops);
#ifdef X86
    case ISA_AVX2: return LIST(avx2_loops);
    case ISA_AVX512: return LIST(avx512_loops);
#elif defined(__aarch64__)
    case ISA_NEON: return LIST(neon_loops);
#endif
    default: return 0;
    }
}
