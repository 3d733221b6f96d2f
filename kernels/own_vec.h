/* The micro-kernels of our memory-bound kernels (shift, pooling, depthwise conv, add, ReLU, copy), one table per
 * ISA level. The bodies are written once over the vector layer (own_shift_copy.h,
 * own_vec_body.h) and instantiated by own_vec_<level>.c, each compiled with its level's
 * flags; the AVX-512 shift is the one specialization (own_shift_avx512.c). The drivers
 * (own_shift.c, own_pool.c, own_dw.c, own.c) pick the table of isa_active() at create time. */
#ifndef SHIFTBENCH_OWN_VEC_H
#define SHIFTBENCH_OWN_VEC_H

#include "op.h"
#include "isa.h"
#include "own_shift.h"

typedef struct {
    isa_level isa;
    const shift_ukernels *shift;
    /* Max / average pool of output row oy of image b (all channels). */
    void (*pool_row)(const op_desc *d, const float *in, float *out, int b, int oy);
    /* Depthwise conv (groups = c = oc) of output row oy of image b, all channels: weights
     * packed [kh * kw][c], bias [c]; d->relu (and relu_max) applied. */
    void (*dw_row)(const op_desc *d, const float *in, const float *w, const float *bias, float *out, int b, int oy);
    /* Global average pool of image b, channels [c0, c1). */
    void (*gap)(const op_desc *d, const float *in, float *out, int b, int c0, int c1);
    /* out[i] = in[i] + in2[i] (then max(0, .) when relu, and min(hi, .) below INFINITY),
     * i in [0, n). */
    void (*add)(const float *in, const float *in2, float *out, long n, int relu, float hi);
    /* ReLU, and min(hi, .) when hi is below INFINITY (ReLU6: hi 6). */
    void (*relu)(const float *in, float *out, long n, float hi);
    /* A plain copy loop of n floats, streaming stores when stream (dst aligned): the bound
     * of any kernel that stores vectors at this level (ratios P1 times it beside memcpy). */
    void (*copy)(float *dst, const float *src, long n, int stream);
} own_vec_ukernels;

/* The table of level l (a level this build has; others give the portable one). */
const own_vec_ukernels *own_vec_for(isa_level l);

#define OWN_VEC(isa) OWN_VEC_(isa)
#define OWN_VEC_(isa) const own_vec_ukernels own_vec_##isa
extern OWN_VEC(portable);
#if defined(__x86_64__) || defined(__i386__)
extern OWN_VEC(avx2);
extern OWN_VEC(avx512);
#elif defined(__aarch64__)
extern OWN_VEC(neon);
#endif

#endif
