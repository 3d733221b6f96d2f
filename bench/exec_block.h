/* The block executor: a block's steps run depth-first over tiles of its output rows, so
 * that the block's intermediate tensors live in per-thread tile buffers sized for a core's
 * cache and only its input and output (full tensors) reach memory. A tile holds, for every
 * tensor inside the block, the rows its output rows need (the halo of shifts, 3x3 convs and
 * pools included: analysis/fuse.h fuse_block_rows); each step runs its kernel's row entry
 * (kernel_impl.run_rows) on those rows. Threads split the tiles when there are at least as
 * many as threads (each with its own tile buffers), else split each step's rows. */
#ifndef SHIFTBENCH_EXEC_BLOCK_H
#define SHIFTBENCH_EXEC_BLOCK_H

#include <stdint.h>

#include "exec.h"

typedef struct exec_block exec_block;

/* The cache a tile is chosen to fit by default (exec_tile_opts, exec.h): one core's L2 as the machine reports it
 * (measure_l2_bytes), 1 MiB when it reports none. */
uint64_t exec_block_cache(void);

/* Steps [s0, s1) of ex, which must be IR block b's, as one depth-first step. A step whose
 * kernel has no row entry runs on our own kernel of its op (made here from its weights).
 * Returns the block (it borrows the steps until exec_block_adopt), or NULL with the reason
 * it cannot run fused in why (e.g. "gap reads every row"). */
exec_block *exec_block_create(const executor *ex, int b, int s0, int s1, const exec_tile_opts *o,
                              char *why, size_t whylen);
/* The block now owns the steps (kernels, weights): it frees them. */
void exec_block_adopt(exec_block *blk);
void exec_block_run(exec_block *blk);
void exec_block_destroy(exec_block *blk);

/* A kernel that runs the block (kernel_run ignores its buffers: the block reads the
 * executor's), impl "own", info "own:block-<R>r-<level>" (R rows per tile) or
 * "own:block-<I>i-<level>" (I whole images per tile). */
void exec_block_kernel(exec_block *blk, kernel *k);

/* The tile chosen: rows per tile (the output's height for whole images), images per
 * tile, tiles per pass, whether threads split the tiles, the cache it was sized for. */
void exec_block_tiles(const exec_block *blk, int *rows, int *images, int *ntiles, int *across, uint64_t *cache);

#endif
