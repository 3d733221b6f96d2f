/* Our memory-bound kernels' micro-kernels at the neon level (own_vec.h): the vector-layer
 * bodies compiled with this level's flags (Makefile). */
#include "simd/f32-neon.h"
#define OWN_ISA neon
#define OWN_LEVEL ISA_NEON
#include "own_shift_copy.h"
#include "own_vec_body.h"
