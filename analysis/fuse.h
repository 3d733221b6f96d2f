/* Fusion as a graph pass over the IR, run before any kernel exists (as XNNPACK's
 * xnn_subgraph_fusion): which IR layers execute as one step. The rules read what the
 * implementation can do as data (fuse_caps), so they are testable without kernels and
 * `shiftbench cost --fused` lists the steps that will run. The executor (bench/exec.c)
 * creates one kernel per step of this plan. */
#ifndef SHIFTBENCH_FUSE_H
#define SHIFTBENCH_FUSE_H

#include "cost.h"

#define FUSE_MAX 3   /* layers inside a step besides the one it is named after: shift, add, relu */

/* Where a conv's residual add (and the ReLU after it) runs. */
typedef enum {
    FUSE_ADD_APART,    /* its own step */
    FUSE_ADD_INSIDE,   /* in the conv's epilogue (the conv kernel adds in2) */
    FUSE_ADD_TIMED,    /* inside when that times faster than apart (`best`) */
} fuse_add_mode;

typedef struct {
    int shiftconv;            /* a fused shift+1x1 conv exists: a shift read only by a 1x1 runs inside it */
    fuse_add_mode residual;
} fuse_caps;

typedef struct {
    int layer;                /* the IR layer the step is named after */
    int fused[FUSE_MAX];      /* other IR layers inside it: the shift before, the ReLU after */
    int nfused;
    op_desc d;                /* what the step's kernel runs: shiftconv for shift+1x1, relu folded */
    /* A conv whose output only the residual add right after it reads: add (and its ReLU,
     * add_relu, -1 if none) run inside the conv per add_mode, reading res as in2. -1 = none. */
    int add, add_relu, res;
    fuse_add_mode add_mode;
} fuse_step;

/* The capabilities an implementation name stands for, from the kernel registry: "ref"
 * fuses nothing, "best" may fuse everything (timing decides the residual add), others
 * fuse a shift where they have a shiftconv and the residual add where they are "own". */
fuse_caps fuse_caps_of(const char *impl);

/* Groups net's layers into steps (steps holds net->nlayers). Returns the count, or -1 when
 * out of memory. */
int fuse_plan(const network *net, const fuse_caps *caps, fuse_step *steps);

/* Every IR layer a step executes (named layer first; the add and its ReLU only when
 * add_mode is INSIDE, or TIMED and `timed_inside`). layers holds 1 + FUSE_MAX. */
int fuse_step_layers(const fuse_step *s, int timed_inside, int *layers);
int fuse_step_last(const fuse_step *s);   /* the last IR layer the step covers, add included */

/* Traffic that reaches memory when the plan's steps run fused: the sum of fused_cost over
 * the steps (TIMED adds counted inside). bytes_fused of a block run depth-first: the sum of
 * fused_cost over each block (and of the layers outside blocks), so only a block's input,
 * output and weights count. -1 on overflow or out of memory. */
int fuse_plan_bytes(const network *net, const fuse_step *steps, int nsteps, uint64_t *bytes);
int fuse_block_bytes(const network *net, uint64_t *bytes);

/* Depth-first tiling of a block (the block executor, bench/exec_block.c): the rows of every
 * tensor of block b that output rows [y0, y1) of the block's last layer need, the halo
 * its shifts, 3x3 convs and pools add included (clipped to each tensor). rows holds
 * 2 * net->ntensors ints, [2t] = first, [2t + 1] = one past the last; tensors the block
 * does not touch get 0, 0. */
void fuse_block_rows(const network *net, int b, int y0, int y1, int *rows);

/* The bytes of every tensor's rows in that tile (fuse_block_rows into rows, summed over
 * the tensors: one image). */
uint64_t fuse_tile_bytes(const network *net, int b, int y0, int y1, int *rows);

/* The most output rows of block b (at least 1) whose tile of every tensor inside the
 * block (input and intermediates, one image) fits in cache_bytes. */
int fuse_tile_rows(const network *net, int b, uint64_t cache_bytes);

#endif
