/* The network executor: one prepared kernel per step of the fusion pass's plan
 * (analysis/fuse.h: which layers run as one step is decided there, from the
 * implementation's capabilities; a residual add the pass puts inside a conv runs there
 * when our own GEMM kernel accepts it, and with best only when that times faster), owns
 * every tensor buffer and the seeded weights, and runs the steps in order. */
#ifndef SHIFTBENCH_EXEC_H
#define SHIFTBENCH_EXEC_H

#include <stdint.h>

#include "../analysis/cost.h"
#include "../analysis/fuse.h"
#include "../arch/ir.h"
#include "../kernels/kernel.h"

#define EXEC_MAX_FUSED FUSE_MAX

typedef struct {
    kernel k;
    int layer;                    /* the IR layer this step is named after */
    int fused[EXEC_MAX_FUSED];    /* other IR layers executed inside it (shift, add, relu) */
    int nfused;
    int in, in2, out;             /* tensor ids */
    float *weight, *bias;         /* owned (kernels may keep pointers to them) */
} exec_step;

typedef struct {
    const network *net;
    char impl[32];                /* what was asked: ref, own, openblas, onednn, best */
    int nsteps;
    exec_step *steps;
    float **buf;                  /* per tensor; NULL for tensors fused away */
    size_t bytes;                 /* buffers + weights */
} executor;

/* How the executor picks and tunes kernels. */
typedef struct {
    const char *impl;             /* ref | own | openblas | onednn | best */
    uint64_t seed;                /* weights and input */
    double best_time;             /* seconds spent timing each candidate in `best` mode */
    void (*progress)(int done, int total, void *ctx);   /* may be NULL */
    void *progress_ctx;
    /* Fills the weights (PyTorch order, op_weight_count) and bias (op_bias_count) of the
     * step named after IR layer `layer`, BN already folded; NULL = seeded random weights.
     * Returns 0 or -1 with a one-line error. */
    int (*weights)(void *ctx, const network *net, int layer, const op_desc *d, float *w, float *b,
                   char *err, size_t errlen);
    void *weights_ctx;
    const float *input;           /* NHWC network input; NULL = seeded random */
} exec_opts;

/* Bytes the executor would allocate for net (buffers and weights), without allocating. */
int exec_footprint(const network *net, uint64_t *bytes, char *err, size_t errlen);

/* Plans and prepares every step. With impl "X", each op runs on family X where X has it
 * (kernel_find_in_family: onednn's shift is onednn-dw), else on "own", else "ref"; "best" times every candidate per step and keeps the fastest.
 * Returns 0, or -1 with a one-line error. */
int exec_plan(executor *ex, const network *net, const exec_opts *o, char *err, size_t errlen);
void exec_run_step(executor *ex, int i);
void exec_forward(executor *ex);   /* every step in order */
float *exec_output(const executor *ex);
/* The first step whose output holds a NaN or an infinity, or -1. */
int exec_first_nonfinite(const executor *ex);
void exec_free(executor *ex);

/* The analytic cost of what step i executes: its IR layers, fused (analysis/cost.h). */
int exec_step_cost(const executor *ex, int i, cost *c);
/* The compulsory traffic of step i's IR layers run apart (each layer's inputs, weights and
 * outputs): what the step's fusion saves is this less exec_step_cost's bytes. */
uint64_t exec_step_bytes_apart(const executor *ex, int i);

/* The implementations --impl accepts (the registry's families and best), for messages:
 * "ref, own, openblas, onednn, xnnpack, best". */
const char *exec_impl_names(void);
int exec_impl_valid(const char *impl);

/* Fills x[0..n) with uniform values in [-scale, scale] from a seeded generator. */
void exec_fill_random(float *x, size_t n, float scale, uint64_t *state);

#endif
