/* GEMM micro-kernels, AVX-512 (own_gemm_body.h; built with -mavx512f -mfma): 6 x 64,
 * 24 of the 32 zmm accumulate, 4 hold the weight row, one the broadcast. */
#include "simd/f32-avx512.h"
#define GEMM_LEVEL avx512
#define GEMM_ISA ISA_AVX512
#define GEMM_MR 6
#define GEMM_NR 64
#define GEMM_KC 256   /* a 64 KiB panel chunk stays in L2 */
#include "own_gemm_body.h"
