/* Vector layer, AVX-512F (16 floats). Only kernels/..._avx512.c include it (built with
 * -mavx512f -mfma). What a kernel may use, the same in every kernels/simd/f32-*.h:
 *   vf, VF_N                      the vector type and its width in floats
 *   vf_load(p) / vf_loadu(p)      VF_N floats (load: p aligned to the vector size)
 *   vf_load_tail(p, n)            0 < n < VF_N floats, zeros above; reads only those n
 *   vf_storeu(p, v)               VF_N floats
 *   vf_store_tail(p, v, n)        the first 0 < n < VF_N lanes; writes only those n
 *   vf_stream(p, v), vf_stream_fence()
 *                                 a non-temporal store (p aligned; a plain store where the
 *                                 ISA has none), then one fence before others read it
 *   vf_zero(), vf_set1(x)         all lanes 0 / x (vf_set1 of a load is a broadcast load)
 *   vf_add, vf_mul, vf_max, vf_min
 *                                 lane-wise (vf_max(a, b), vf_min(a, b): b when either is NaN, as x86)
 *   vf_fmadd(a, b, c)             a * b + c (one rounding where the ISA has FMA)
 * Prefetches are __builtin_prefetch(p, 0, 3) (to L1) or (p, 0, 2) (to L2) at every level.
 * No ISA type crosses a function that is not static inline. */
#ifndef SHIFTBENCH_SIMD_F32_H
#define SHIFTBENCH_SIMD_F32_H
#include <immintrin.h>

typedef __m512 vf;
#define VF_N 16

static inline vf vf_load(const float *p) { return _mm512_load_ps(p); }
static inline vf vf_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline vf vf_load_tail(const float *p, int n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
static inline void vf_storeu(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline void vf_store_tail(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v); }
static inline void vf_stream(float *p, vf v) { _mm512_stream_ps(p, v); }
static inline void vf_stream_fence(void) { _mm_sfence(); }
static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }

#endif
