/* A kernel implementation: a named way to run one op (docs/networks.md "Conventions").
 * The harness picks them by name from the registry. */
#ifndef SHIFTBENCH_KERNEL_H
#define SHIFTBENCH_KERNEL_H

#include "op.h"

typedef struct {
    op_kind op;
    const char *impl;   /* "ref", "openblas", "onednn", "onednn-dw", ... */
    /* The family `net --impl F` runs it in: NULL = its impl name (the family's own
     * kernel); a variant names its family (onednn-dw is the onednn family's shift);
     * "" = no family: only by its own name (`kernel`, `ratios`) or by `best`. */
    const char *family;
    const char *about;  /* one line for `shiftbench kernel --list` */
    /* Prepare everything outside of timing (weight reorders, primitives, workspace).
     * weight/bias as op_weight_count/op_bias_count (NULL when the op has none).
     * Returns NULL with a one-line reason in err when the descriptor is not supported. */
    void *(*create)(const op_desc *d, const float *weight, const float *bias, char *err, size_t errlen);
    /* in2 is the second operand of OP_ADD, NULL otherwise. Buffers are NHWC, unpadded. */
    void (*run)(void *state, const float *in, const float *in2, float *out);
    void (*destroy)(void *state);
    /* Optional: the buffers run() will get, told outside timing (XNNPACK sets its operator
     * up on them); run() on other buffers binds them itself. */
    void (*bind)(void *state, const float *in, const float *in2, float *out);
    /* What actually runs (e.g. oneDNN's "brgconv:avx512_core"); NULL = the impl name. */
    const char *(*info)(const void *state);
    /* conv / shiftconv / fc: run adds a non-NULL in2 (a residual, shaped like the output)
     * before the ReLU, so the executor may fold a block's residual add into it. */
    int residual;
    /* Optional: output rows [r0, r1) of the n * oh rows (row r is image r / oh, row r % oh)
     * and nothing else, for the block executor (bench/exec_block.c: a block run depth-first
     * over tiles of rows). in, in2 and out address image 0, row 0 as in run(); only the rows
     * that those output rows read and write are touched, so a caller may pass a tile buffer
     * moved back by the rows it does not hold. Threads as run(); inside a parallel region,
     * the calling thread alone. */
    void (*run_rows)(void *state, const float *in, const float *in2, float *out, int r0, int r1);
} kernel_impl;

/* Registry over every implementation table (kernels/registry.c). */
int kernel_count(void);
const kernel_impl *kernel_at(int i);
const kernel_impl *kernel_find(op_kind op, const char *impl);   /* NULL when absent */
const char *kernel_family(const kernel_impl *k);                 /* family, else impl */
/* What `net --impl family` runs op on: the kernel named family, else the family's
 * variant of op; NULL when the family has none. */
const kernel_impl *kernel_find_in_family(op_kind op, const char *family);
/* The i-th kernel of op in family (0: kernel_find_in_family's), NULL past the last: what a
 * family tries in turn until one accepts the shape (own conv, then own-dw). */
const kernel_impl *kernel_in_family_at(op_kind op, const char *family, int i);
/* The i-th distinct family in registry order ("ref", "own", ...), NULL past the end. */
const char *kernel_family_at(int i);

/* A prepared kernel: create + remember the impl, checking the descriptor first. */
typedef struct {
    const kernel_impl *impl;
    void *state;
    op_desc d;
} kernel;

int kernel_create(kernel *k, const kernel_impl *impl, const op_desc *d,
                  const float *weight, const float *bias, char *err, size_t errlen);
void kernel_run(const kernel *k, const float *in, const float *in2, float *out);
void kernel_bind(const kernel *k, const float *in, const float *in2, float *out);   /* before timing */
void kernel_destroy(kernel *k);
const char *kernel_info(const kernel *k);

/* For a library's run() that failed (run() cannot report failure): says so on stderr once
 * per kernel (*warned) and fills out[0..n) with NaN, so a failure never passes as stale
 * numbers. */
void kernel_run_failed(int *warned, const char *library, op_kind op, const char *why, float *out, size_t n);

#endif
