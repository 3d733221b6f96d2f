/* Our memory-bound kernels' micro-kernels at the avx2 level (own_vec.h): the vector-layer
 * bodies compiled with this level's flags (Makefile). */
#include "simd/f32-avx2.h"
#define OWN_ISA avx2
#define OWN_LEVEL ISA_AVX2
#include "own_shift_copy.h"
#include "own_vec_body.h"
