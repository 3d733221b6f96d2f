/* GEMM micro-kernels, AVX2 + FMA (own_gemm_body.h; built with -mavx2 -mfma): 6 x 16,
 * 12 of the 16 ymm accumulate, 2 hold the weight row, one the broadcast. */
#include "simd/f32-avx2.h"
#define GEMM_LEVEL avx2
#define GEMM_ISA ISA_AVX2
#define GEMM_MR 6
#define GEMM_NR 16
#define GEMM_KC 512   /* a 32 KiB panel chunk; 256 measured 0.92-0.97 of 512 at K = 512 (Zen 4 class) */
#include "own_gemm_body.h"
