/* Our own kernels' table (shift: own_shift.c; fused shift+1x1, conv and fc on one GEMM
 * micro-kernel: own_fused.c; pooling: own_pool.c) and the element-wise ops: residual add
 * and ReLU, threaded, on the level's micro-kernels (own_vec.h). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel.h"
#include "own.h"
#include "own_vec.h"
#include "isa.h"
#include "../common/util.h"

const own_vec_ukernels *own_vec_for(isa_level l) {
    switch (l) {
#if defined(__x86_64__) || defined(__i386__)
    case ISA_AVX512: return &own_vec_avx512;
    case ISA_AVX2: return &own_vec_avx2;
#elif defined(__aarch64__)
    case ISA_NEON: return &own_vec_neon;
#endif
    default: return &own_vec_portable;
    }
}

typedef struct {
    op_desc d;
    const own_vec_ukernels *uk;
    char info[32];   /* "own:add-avx2" */
} ew_state;

static void *ew_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    ew_state *s = malloc(sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    s->uk = own_vec_for(isa_active_noted());
    snprintf(s->info, sizeof s->info, "own:%s-%s", op_name(d.kind), isa_name(s->uk->isa));
    return s;
}

static const char *ew_info(const void *p) { return ((const ew_state *)p)->info; }

/* Element-wise work is memory bound: threads only help past a few hundred KiB. Each
 * thread takes one range, whole 64-byte lines. */
#define EW_THREADS 65536

static void ew_range(long n, long *i0, long *i1) {
    long nt = omp_get_num_threads(), per = (n / nt + 15) & ~15L;
    *i0 = omp_get_thread_num() * per;
    *i0 = *i0 < n ? *i0 : n;
    *i1 = *i0 + per < n ? *i0 + per : n;
}

/* Rows [r0, r1) of the n * h rows (the block executor's entry; the whole tensor below). */
static void add_rows(void *p, const float *in, const float *in2, float *out, int r0, int r1) {
    const ew_state *s = p;
    long row = (long)s->d.w * s->d.c, n = (r1 - r0) * row;
    in += r0 * row, in2 += r0 * row, out += r0 * row;
    #pragma omp parallel if (n > EW_THREADS)
    {
        long i0, i1;
        ew_range(n, &i0, &i1);
        s->uk->add(in + i0, in2 + i0, out + i0, i1 - i0, s->d.relu, op_relu_hi(&s->d));
    }
}

static void relu_rows(void *p, const float *in, const float *in2, float *out, int r0, int r1) {
    (void)in2;
    const ew_state *s = p;
    long row = (long)s->d.w * s->d.c, n = (r1 - r0) * row;
    in += r0 * row, out += r0 * row;
    #pragma omp parallel if (n > EW_THREADS)
    {
        long i0, i1;
        ew_range(n, &i0, &i1);
        s->uk->relu(in + i0, out + i0, i1 - i0, op_relu_hi(&s->d));
    }
}

static void add_run(void *p, const float *in, const float *in2, float *out) {
    add_rows(p, in, in2, out, 0, ((const ew_state *)p)->d.n * ((const ew_state *)p)->d.h);
}

static void relu_run(void *p, const float *in, const float *in2, float *out) {
    relu_rows(p, in, in2, out, 0, ((const ew_state *)p)->d.n * ((const ew_state *)p)->d.h);
}

const kernel_impl own_kernels[] = {
    { .op = OP_SHIFT, .impl = "own", .about = "NHWC shift: each group's run copied a vector at a time from its neighbour pixel (AVX-512: 16-channel vectors merged from masked loads, streaming stores)",
      .create = own_shift_create, .run = own_shift_run, .destroy = own_shift_destroy, .info = own_shift_info },
    { .op = OP_SHIFTCONV, .impl = "own", .about = "fused shift + 1x1: GEMM micro-kernel reading shifted pixels",
      .create = own_fused_create, .run = own_fused_run, .destroy = own_fused_destroy, .info = own_fused_info,
      .residual = 1, .run_rows = own_fused_run_rows },
    { .op = OP_CONV, .impl = "own", .about = "conv on the fused kernel's micro-kernel: 1x1 = shiftconv without a shift, kxk = one group per window position",
      .create = own_fused_create, .run = own_fused_run, .destroy = own_fused_destroy, .info = own_fused_info,
      .residual = 1, .run_rows = own_fused_run_rows },
    { .op = OP_CONV, .impl = "own-dw", .family = "own", .about = "depthwise conv on NHWC: a vector of channels per window tap, weights packed tap-major, threaded",
      .create = own_dw_create, .run = own_dw_run, .destroy = own_dw_destroy, .info = own_dw_info, .run_rows = own_dw_run_rows },
    { .op = OP_FC, .impl = "own", .about = "fully connected: a 1x1 conv on n pixels (the same micro-kernel)",
      .create = own_fused_create, .run = own_fused_run, .destroy = own_fused_destroy, .info = own_fused_info,
      .residual = 1 },
    { .op = OP_MAXPOOL, .impl = "own", .about = "max pool on NHWC, a vector of channels per window position, threaded",
      .create = own_pool_create, .run = own_pool_run, .destroy = free, .info = own_pool_info, .run_rows = own_pool_run_rows },
    { .op = OP_AVGPOOL, .impl = "own", .about = "average pool on NHWC, a vector of channels per window position, threaded",
      .create = own_pool_create, .run = own_pool_run, .destroy = free, .info = own_pool_info, .run_rows = own_pool_run_rows },
    { .op = OP_GAP, .impl = "own", .about = "global average pool on NHWC, a vector of channels at a time",
      .create = own_pool_create, .run = own_pool_run, .destroy = free, .info = own_pool_info },
    { .op = OP_ADD, .impl = "own", .about = "residual add (+ReLU), vectorized and threaded",
      .create = ew_create, .run = add_run, .destroy = free, .info = ew_info, .run_rows = add_rows },
    { .op = OP_RELU, .impl = "own", .about = "ReLU, vectorized and threaded",
      .create = ew_create, .run = relu_run, .destroy = free, .info = ew_info, .run_rows = relu_rows },
    { .create = NULL },
};
