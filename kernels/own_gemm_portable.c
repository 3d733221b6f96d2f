/* GEMM micro-kernels, portable (own_gemm_body.h at the baseline vector width, 4 floats):
 * 4 x 8, 8 accumulators, 2 for the weight row, one broadcast and one product fit the 16
 * registers of SSE2 (no FMA there: a multiply and an add). */
#include "simd/f32-portable.h"
#define GEMM_LEVEL portable
#define GEMM_ISA ISA_PORTABLE
#define GEMM_MR 4
#define GEMM_NR 8
#define GEMM_KC 256
#include "own_gemm_body.h"
