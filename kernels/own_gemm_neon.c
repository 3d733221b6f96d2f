/* GEMM micro-kernels, aarch64 Advanced SIMD (own_gemm_body.h): 6 x 16, 24 of the 32 q
 * registers accumulate, 4 hold the weight row, one the broadcast. */
#include "simd/f32-neon.h"
#define GEMM_LEVEL neon
#define GEMM_ISA ISA_NEON
#define GEMM_MR 6
#define GEMM_NR 16
#define GEMM_KC 256   /* a 16 KiB panel chunk stays in L1 */
#include "own_gemm_body.h"
