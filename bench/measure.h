/* Timing one piece of work: warm-up, then repetitions until a minimum time and count,
 * monotonic clock per repetition, counters read around each repetition, optional cache
 * flush between repetitions. Shared by `kernel`, `peak` and the network executor. */
#ifndef SHIFTBENCH_MEASURE_H
#define SHIFTBENCH_MEASURE_H

#include <stddef.h>

#include "counters.h"
#include "stats.h"

typedef struct {
    int warmup;        /* untimed runs first (default 2) */
    double min_time;   /* seconds of timed runs at least (default 0.2); cold: wall seconds,
                          flushes included */
    int min_reps;      /* timed runs at least (default 5) */
    int max_reps;      /* timed runs at most, even when min_time is not reached (default 1000) */
    int cold;          /* flush the caches before every run (flush not timed; default 0) */
} measure_opts;

void measure_opts_default(measure_opts *o);

/* Checks the ranges (min_reps >= 1, max_reps >= min_reps, ...); -1 with a reason. */
int measure_opts_check(const measure_opts *o, char *err, size_t errlen);

typedef struct {
    int n;                  /* timed repetitions */
    double *samples;        /* n seconds each, in run order */
    stats_summary stats;    /* of samples (all zero when n == 0) */
    int ncounters;
    counter_stat *counters; /* per event: median over the repetitions */
    int interrupted;        /* stopped early by SIGINT/SIGTERM (fewer runs than asked) */
} measure_result;

typedef void (*measure_fn)(void *ctx);

/* Runs fn(ctx) as opts says (NULL = defaults); c may be NULL (no counters). Stops early,
 * with out->interrupted set, when interrupted() turns true (at least the warm-up is then
 * skipped; a repetition under way finishes). Returns 0, or -1 with a reason (out of
 * memory); free out with measure_result_free in both cases. */
int measure(measure_fn fn, void *ctx, const measure_opts *opts, counters *c,
            measure_result *out, char *err, size_t errlen);
void measure_result_free(measure_result *r);

/* Bytes of the last-level cache (per the first CPU's cache hierarchy in sysfs, else
 * sysconf); 0 when unknown. The cold flush writes max(2 x this, 64 MiB), capped at 1 GiB. */
size_t measure_llc_bytes(void);
/* Bytes of one core's L2 (sysconf _SC_LEVEL2_CACHE_SIZE, else cpu0's level-2 cache in
 * sysfs); 0 when unknown. */
size_t measure_l2_bytes(void);

/* Evicts the caches (the cold flush above); 0, or -1 when out of memory. */
int measure_flush_caches(void);

#endif
