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

#define EXEC_MAX_FUSED 31      /* IR layers inside a step besides its own (a fused block's) */

typedef struct {
    kernel k;
    int layer;                    /* the IR layer this step is named after (a block's first) */
    int block;                    /* >= 0: IR block run depth-first as this one step (k runs it) */
    int fused[EXEC_MAX_FUSED];    /* other IR layers executed inside it (shift, add, relu; a block's) */
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
    char (*block_note)[96];       /* per IR block, why it runs layer by layer when blocks were
                                     asked for ("" otherwise); NULL: not asked */
    size_t bytes;                 /* buffers + weights */
} executor;

/* Blocks run depth-first (bench/exec_block.h) or layer by layer: auto = blocks where
 * `best` times them faster than their layers (layer by layer for every other impl). */
typedef enum { EXEC_FUSE_AUTO, EXEC_FUSE_LAYER, EXEC_FUSE_BLOCK } exec_fuse;

/* The tile size of a fused block: rows per tile, or from the cache. */
typedef struct {
    int rows;               /* > 0: rows per tile (--tile-rows), else chosen from the cache */
    uint64_t cache_bytes;   /* > 0: the cache a tile fits, else one core's L2 (exec_block_cache) */
} exec_tile_opts;

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
    exec_fuse fuse;
    exec_tile_opts tile;
    int unfused_shift;            /* a shift stays its own step (not fused into the 1x1 after it) */
} exec_opts;

const char *exec_fuse_name(exec_fuse f);   /* "auto", "layer", "block" */
int exec_fuse_parse(const char *s, exec_fuse *f);
/* The name a step's record and table row go by: its IR layer's, or its block's. */
const char *exec_step_name(const executor *ex, int i);

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
