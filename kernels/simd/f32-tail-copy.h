/* vf_load_tail / vf_store_tail through a vector-sized buffer, for layers whose ISA has no
 * masked loads and stores (NEON, portable); needs vf, VF_N, vf_loadu, vf_storeu. */
#include <string.h>

static inline vf vf_load_tail(const float *p, int n) {
    float b[VF_N] = { 0 };
    memcpy(b, p, (size_t)n * sizeof *p);
    return vf_loadu(b);
}
static inline void vf_store_tail(float *p, vf v, int n) {
    float b[VF_N];
    vf_storeu(b, v);
    memcpy(p, b, (size_t)n * sizeof *p);
}
