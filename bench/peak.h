/* The machine's ceilings, measured: FMA throughput per ISA level (one thread and all
 * threads) and copy bandwidth at working sets from L1 to DRAM. pct_peak in results is
 * relative to the peak of the level the record's kernels ran at (peak_impl_level). */
#ifndef SHIFTBENCH_PEAK_H
#define SHIFTBENCH_PEAK_H

#include <stdio.h>
#include <stddef.h>
#include <jansson.h>

#include "../kernels/isa.h"
#include "measure.h"

#define PEAK_COPY_SIZES 7   /* 32 KiB, 256 KiB, 1, 4, 16, 64, 256 MiB */

typedef struct {
    int measured;
    int chains;                   /* accumulators of the fastest loop */
    double gflops_per_core;       /* the fastest loop, one thread, from its fastest sample */
    double gflops;                /* that loop on `threads` threads */
} peak_level;

typedef struct {
    int threads;
    const char *isa;              /* best level measured: "avx512", "avx2", "portable", "neon" */
    double gflops_per_core;       /* of the best level measured */
    double gflops;
    peak_level level[ISA_COUNT];
    int ncopy;                    /* sizes measured (fewer when interrupted) */
    size_t copy_bytes[PEAK_COPY_SIZES];  /* working set: source + destination */
    double copy_gbs[PEAK_COPY_SIZES];    /* (read + written bytes) / median time, `threads` threads */
    int interrupted;
} peak_result;

/* Measures the FMA peak of the ISA levels in the mask `levels` (bit 1 << level; 0: every
 * level the CPU runs) and the copy bandwidths (o: NULL = defaults; threads <= 0: all
 * online CPUs). When records is a JSON array, appends one record with full stats per
 * measurement. Returns 0, or -1 with a reason (out of memory); p->interrupted when a
 * signal cut it short. */
int peak_measure(int threads, unsigned levels, const measure_opts *o, peak_result *p, json_t *records,
                 char *err, size_t errlen);

/* The context "peak" object: {gflops_per_core, gflops, threads, isa (the best level's),
 * levels: {LEVEL: {gflops_per_core, gflops, chains}}, copy_gbs: [[bytes, GB/s], ...]}. */
json_t *peak_json(const peak_result *p);

/* The ISA level an implementation's kernels run at: own isa_active(), onednn its
 * dispatch ISA, openblas its core's, ref portable; "best" (and anything else) the highest
 * of own, onednn and openblas. */
isa_level peak_impl_level(const char *impl);
/* The level a kernel ran at, from its impl_info where that names it (own:conv1x1-avx2,
 * onednn jit_1x1:avx2), else peak_impl_level(impl). */
isa_level peak_run_level(const char *impl, const char *info);
/* The levels (peak_measure's mask) a run of impl needs (own: every level up to
 * isa_active(); "best": those and the two libraries'). */
unsigned peak_impl_levels(const char *impl);
/* GFLOP/s of level l in a context "peak" object (the top-level figure for files without
 * levels); 0 when the object has neither. */
double peak_gflops_at(const json_t *peak, isa_level l);

/* A rate above the peak is flagged, never shown as a plain > 100 %: "!" after the figure
 * in tables (with peak_footnote under the table), above_peak: true in records. */
const char *peak_mark(double pct);
void peak_footnote(FILE *f, int any_above);

#endif
