/* Our own kernels' table (shift: own_shift.c; fused shift+1x1, conv and fc on one GEMM
 * micro-kernel: own_fused.c; pooling: own_pool.c) and the element-wise ops: residual add
 * and ReLU, vectorized by the compiler and threaded. */
#include <stdlib.h>
#include "kernel.h"
#include "own.h"
#include "isa.h"
#include "../common/util.h"

int own_use_avx512(void) {
    return isa_active() == ISA_AVX512 && !getenv("SHIFTBENCH_NO_AVX512");
}

typedef struct { op_desc d; } ew_state;

static void *ew_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    ew_state *s = malloc(sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    return s;
}

/* Element-wise work is memory bound: threads only help past a few hundred KiB. */
#define EW_THREADS 65536

static void add_run(void *p, const float *in, const float *in2, float *out) {
    const ew_state *s = p;
    long n = (long)op_in_count(&s->d);
    if (s->d.relu) {
        #pragma omp parallel for simd schedule(static) if (n > EW_THREADS)
        for (long i = 0; i < n; i++) { float v = in[i] + in2[i]; out[i] = v > 0.0f ? v : 0.0f; }
    } else {
        #pragma omp parallel for simd schedule(static) if (n > EW_THREADS)
        for (long i = 0; i < n; i++) out[i] = in[i] + in2[i];
    }
}

static void relu_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const ew_state *s = p;
    long n = (long)op_in_count(&s->d);
    #pragma omp parallel for simd schedule(static) if (n > EW_THREADS)
    for (long i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

const kernel_impl own_kernels[] = {
    { .op = OP_SHIFT, .impl = "own", .about = "NHWC shift: 16-channel vectors merged from the groups' neighbour pixels, streaming stores (AVX-512)",
      .create = own_shift_create, .run = own_shift_run, .destroy = own_shift_destroy },
    { .op = OP_SHIFTCONV, .impl = "own", .about = "fused shift + 1x1: GEMM micro-kernel reading shifted pixels",
      .create = own_fused_create, .run = own_fused_run, .destroy = own_fused_destroy, .info = own_fused_info,
      .residual = 1 },
    { .op = OP_CONV, .impl = "own", .about = "conv on the fused kernel's micro-kernel: 1x1 = shiftconv without a shift, kxk = one group per window position",
      .create = own_fused_create, .run = own_fused_run, .destroy = own_fused_destroy, .info = own_fused_info,
      .residual = 1 },
    { .op = OP_FC, .impl = "own", .about = "fully connected: a 1x1 conv on n pixels (the same micro-kernel)",
      .create = own_fused_create, .run = own_fused_run, .destroy = own_fused_destroy, .info = own_fused_info,
      .residual = 1 },
    { .op = OP_MAXPOOL, .impl = "own", .about = "max pool on NHWC, 16 channels per vector (AVX-512), threaded",
      .create = own_pool_create, .run = own_pool_run, .destroy = free },
    { .op = OP_AVGPOOL, .impl = "own", .about = "average pool on NHWC, 16 channels per vector (AVX-512), threaded",
      .create = own_pool_create, .run = own_pool_run, .destroy = free },
    { .op = OP_GAP, .impl = "own", .about = "global average pool on NHWC, 16 channels per vector (AVX-512)",
      .create = own_pool_create, .run = own_pool_run, .destroy = free },
    { .op = OP_ADD, .impl = "own", .about = "residual add (+ReLU), vectorized and threaded",
      .create = ew_create, .run = add_run, .destroy = free },
    { .op = OP_RELU, .impl = "own", .about = "ReLU, vectorized and threaded",
      .create = ew_create, .run = relu_run, .destroy = free },
    { .create = NULL },
};
