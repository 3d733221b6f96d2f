/* The machine's ceilings, measured: FMA throughput (one thread and all threads) and copy
 * bandwidth at working sets from L1 to DRAM. pct_peak in results is relative to these. */
#ifndef SHIFTBENCH_PEAK_H
#define SHIFTBENCH_PEAK_H

#include <stddef.h>
#include <jansson.h>

#include "measure.h"

#define PEAK_COPY_SIZES 7   /* 32 KiB, 256 KiB, 1, 4, 16, 64, 256 MiB */

typedef struct {
    int threads;
    const char *isa;              /* FMA loop used: "avx512f", "avx2", "scalar" */
    double gflops_per_core;       /* FMA, one thread, from the median time */
    double gflops;                /* FMA, `threads` threads */
    int ncopy;                    /* sizes measured (fewer when interrupted) */
    size_t copy_bytes[PEAK_COPY_SIZES];  /* working set: source + destination */
    double copy_gbs[PEAK_COPY_SIZES];    /* (read + written bytes) / median time, `threads` threads */
    int interrupted;
} peak_result;

/* Measures everything (o: NULL = defaults; threads <= 0: all online CPUs). When records
 * is a JSON array, appends one record with full stats per measurement. Returns 0, or -1
 * with a reason (out of memory); p->interrupted when a signal cut it short. */
int peak_measure(int threads, const measure_opts *o, peak_result *p, json_t *records,
                 char *err, size_t errlen);

/* The context "peak" object: {gflops_per_core, gflops, threads, isa, copy_gbs: [[bytes, GB/s], ...]}. */
json_t *peak_json(const peak_result *p);

#endif
