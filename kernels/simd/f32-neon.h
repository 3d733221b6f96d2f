/* Vector layer, aarch64 Advanced SIMD (4 floats). Only kernels/..._neon.c include it (NEON
 * is baseline on aarch64: no extra flags). What a kernel may use: the list in
 * f32-avx512.h, the same at every level. */
#ifndef SHIFTBENCH_SIMD_F32_H
#define SHIFTBENCH_SIMD_F32_H
#include <arm_neon.h>

typedef float32x4_t vf;
#define VF_N 4

static inline vf vf_load(const float *p) { return vld1q_f32(p); }
static inline vf vf_loadu(const float *p) { return vld1q_f32(p); }
static inline void vf_storeu(float *p, vf v) { vst1q_f32(p, v); }
/* No non-temporal store intrinsic (STNP is not exposed): a plain store. */
static inline void vf_stream(float *p, vf v) { vst1q_f32(p, v); }
static inline void vf_stream_fence(void) {}
static inline vf vf_zero(void) { return vdupq_n_f32(0.0f); }
static inline vf vf_set1(float x) { return vdupq_n_f32(x); }
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
/* x86's max (b when either is NaN), not vmaxq's (NaN), so every level agrees. */
static inline vf vf_max(vf a, vf b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline vf vf_min(vf a, vf b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
#include "f32-tail-copy.h"

#endif
