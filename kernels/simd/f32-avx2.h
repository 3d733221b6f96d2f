/* Vector layer, AVX2 + FMA (8 floats). Only kernels/..._avx2.c include it (built with
 * -mavx2 -mfma). What a kernel may use: the list in f32-avx512.h, the same at every level. */
#ifndef SHIFTBENCH_SIMD_F32_H
#define SHIFTBENCH_SIMD_F32_H
#include <immintrin.h>

typedef __m256 vf;
#define VF_N 8

/* The first n lanes' mask: a window into 8 all-ones then 8 zeros (AVX2 has no k masks). */
static inline __m256i vf_tail_mask_(int n) {
    static const int ones_then_zeros[16] = { -1, -1, -1, -1, -1, -1, -1, -1 };
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - n));
}

static inline vf vf_load(const float *p) { return _mm256_load_ps(p); }
static inline vf vf_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline vf vf_load_tail(const float *p, int n) { return _mm256_maskload_ps(p, vf_tail_mask_(n)); }
static inline void vf_storeu(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline void vf_store_tail(float *p, vf v, int n) { _mm256_maskstore_ps(p, vf_tail_mask_(n), v); }
static inline void vf_stream(float *p, vf v) { _mm256_stream_ps(p, v); }
static inline void vf_stream_fence(void) { _mm_sfence(); }
static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }

#endif
