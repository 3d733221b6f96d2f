/* Vector layer, portable: GCC/Clang vector extensions at the baseline width of every
 * 64-bit target (4 floats: SSE2 on x86-64, Advanced SIMD on aarch64), so the portable
 * kernels are the same bodies as the others, vectorized, not a different algorithm.
 * What a kernel may use: the list in f32-avx512.h, the same at every level. */
#ifndef SHIFTBENCH_SIMD_F32_H
#define SHIFTBENCH_SIMD_F32_H
#include <string.h>

typedef float vf __attribute__((vector_size(16)));
typedef int vf_int_ __attribute__((vector_size(16)));
#define VF_N 4

static inline vf vf_loadu(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline vf vf_load(const float *p) { return vf_loadu(__builtin_assume_aligned(p, 16)); }
static inline void vf_storeu(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline void vf_stream(float *p, vf v) { vf_storeu(p, v); }
static inline void vf_stream_fence(void) {}
static inline vf vf_zero(void) { return (vf){ 0.0f, 0.0f, 0.0f, 0.0f }; }
static inline vf vf_set1(float x) { return (vf){ x, x, x, x }; }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_max(vf a, vf b) { vf_int_ m = a > b; return (vf)((m & (vf_int_)a) | (~m & (vf_int_)b)); }
static inline vf vf_min(vf a, vf b) { vf_int_ m = a < b; return (vf)((m & (vf_int_)a) | (~m & (vf_int_)b)); }
/* ISO C mode does not contract a * b + c: two roundings, as on a CPU without FMA. */
static inline vf vf_fmadd(vf a, vf b, vf c) { return a * b + c; }
#include "f32-tail-copy.h"

#endif
