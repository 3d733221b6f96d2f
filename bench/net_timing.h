/* Timing a whole network: every step inside repeated forward passes (per-step samples and
 * counters), alternating with passes timed whole, without per-step instrumentation. */
#ifndef SHIFTBENCH_NET_TIMING_H
#define SHIFTBENCH_NET_TIMING_H

#include "exec.h"
#include "measure.h"

typedef struct {
    int reps;                 /* timed passes */
    measure_result *step;     /* per step: samples, stats, counters (ex->nsteps) */
    measure_result pass;      /* the uninstrumented passes */
    int interrupted;          /* stopped early by a signal: what is here is all there is */
} net_timing;

typedef void (*net_progress_fn)(const char *what, int done, int total, double elapsed, void *ctx);

/* opts: warm-up passes, minimum time and count of (instrumented + whole) pass pairs;
 * c may be NULL. Returns 0 or -1 with a reason; free with net_timing_free either way. */
int net_time(executor *ex, const measure_opts *opts, counters *c, net_progress_fn progress, void *pctx,
             net_timing *t, char *err, size_t errlen);
void net_timing_free(net_timing *t, int nsteps);

#endif
