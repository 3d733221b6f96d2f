/* The FMA loops behind `shiftbench peak`, one set per ISA level: the only ISA-specific code
 * of the peak. Each loop runs `chains` independent accumulators, so that for a core with P
 * FMA pipes of latency L the loop is throughput-bound once chains >= P x L; as no chain
 * count suits every core, each level has several and the peak takes the fastest. */
#ifndef SHIFTBENCH_PEAK_FMA_H
#define SHIFTBENCH_PEAK_FMA_H

#include "../kernels/isa.h"

typedef struct {
    float (*fn)(long iters);   /* iters steps of every chain; returns a sum (keep it live) */
    int chains;
    int lanes;                 /* floats per vector */
    double flops_per_step;     /* one step of every chain: chains x lanes x 2 */
} peak_fma_loop;

/* The loops of level l (built for this architecture), fewest chains first; returns how
 * many (0: none for this level here). The CPU must support l (isa_supported). */
int peak_fma_loops(isa_level l, const peak_fma_loop **list);

#endif
