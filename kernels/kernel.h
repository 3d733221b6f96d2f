/* A kernel implementation: a named way to run one op (docs/networks.md "Conventions").
 * The harness picks them by name from the registry. */
#ifndef SHIFTBENCH_KERNEL_H
#define SHIFTBENCH_KERNEL_H

#include "op.h"

typedef struct {
    op_kind op;
    const char *impl;   /* "ref", "openblas", "onednn", "avx512", ... */
    const char *about;  /* one line for `shiftbench kernel --list` */
    /* Prepare everything outside of timing (weight reorders, primitives, workspace).
     * weight/bias as op_weight_count/op_bias_count (NULL when the op has none).
     * Returns NULL with a one-line reason in err when the descriptor is not supported. */
    void *(*create)(const op_desc *d, const float *weight, const float *bias, char *err, size_t errlen);
    /* in2 is the second operand of OP_ADD, NULL otherwise. Buffers are NHWC, unpadded. */
    void (*run)(void *state, const float *in, const float *in2, float *out);
    void (*destroy)(void *state);
    /* What actually runs (e.g. oneDNN's "brgconv:avx512_core"); NULL = the impl name. */
    const char *(*info)(const void *state);
    /* conv / shiftconv / fc: run adds a non-NULL in2 (a residual, shaped like the output)
     * before the ReLU, so the executor may fold a block's residual add into it. */
    int residual;
} kernel_impl;

/* Registry over every implementation table (kernels/registry.c). */
int kernel_count(void);
const kernel_impl *kernel_at(int i);
const kernel_impl *kernel_find(op_kind op, const char *impl);   /* NULL when absent */

/* A prepared kernel: create + remember the impl, checking the descriptor first. */
typedef struct {
    const kernel_impl *impl;
    void *state;
    op_desc d;
} kernel;

int kernel_create(kernel *k, const kernel_impl *impl, const op_desc *d,
                  const float *weight, const float *bias, char *err, size_t errlen);
void kernel_run(const kernel *k, const float *in, const float *in2, float *out);
void kernel_destroy(kernel *k);
const char *kernel_info(const kernel *k);

#endif
