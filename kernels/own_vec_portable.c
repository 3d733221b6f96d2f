/* Our memory-bound kernels' micro-kernels at the portable level (own_vec.h): the vector-layer
 * bodies compiled with this level's flags (Makefile). */
#include "simd/f32-portable.h"
#define OWN_ISA portable
#define OWN_LEVEL ISA_PORTABLE
#include "own_shift_copy.h"
#include "own_vec_body.h"
