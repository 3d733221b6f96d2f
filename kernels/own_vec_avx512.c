/* Our memory-bound kernels' micro-kernels at the avx512 level (own_vec.h): the vector-layer
 * bodies compiled with this level's flags (Makefile). */
#include "simd/f32-avx512.h"
#define OWN_ISA avx512
#define OWN_LEVEL ISA_AVX512
/* The shift: its own specialization, own_shift_avx512.c. */
#include "own_vec_body.h"
