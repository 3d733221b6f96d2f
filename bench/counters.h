/* Hardware and software event counters around a measured interval (perf_event_open,
 * names encoded by libpfm4). An event that cannot be counted on this machine is kept,
 * marked unavailable with its reason: a counter is never reported as a stale or 0 value.
 *
 * Scope: every thread of the OpenMP pool, as `perf stat` counts a process. inherit only
 * follows threads created after the open and libgomp keeps its pool alive between
 * parallel regions, so each pool thread opens its own events (pid 0) inside a parallel
 * region of the pool's size; a reading is the sum over the threads (task-clock on two
 * busy threads is twice the wall time). */
#ifndef SHIFTBENCH_COUNTERS_H
#define SHIFTBENCH_COUNTERS_H

#include <stddef.h>
#include <stdio.h>

#define COUNTERS_MAX 32
#define COUNTER_NAME 128
#define COUNTER_REASON 256

typedef struct counters counters;

/* One event over one interval (counters_begin .. counters_end). */
typedef struct {
    double value;             /* delta, scaled by enabled/running when multiplexed */
    double enabled, running;  /* ns of the interval the event was enabled / counting */
    int ok;                   /* 0: no value (unavailable, or not scheduled: running 0) */
} counter_reading;

/* One event over many intervals (counters_summarize). */
typedef struct {
    char name[COUNTER_NAME];
    int available;            /* 0: reason says why, the numbers are meaningless */
    char reason[COUNTER_REASON];
    double value;             /* median over the intervals that counted */
    double enabled, running;  /* medians, ns */
    int scaled;               /* some interval was multiplexed (running < enabled) */
    int reps;                 /* intervals that counted */
    const char *levels;       /* "user" or "user+kernel" */
    int threads;              /* pool threads counted (summed) */
} counter_stat;

/* The events `shiftbench kernel` and `net` count unless told otherwise. */
extern const char *const counters_default_events[];
extern const int counters_default_count;

/* Encodes and opens every event on every thread of the OpenMP pool (its size now:
 * runtime_set_threads first). Hardware events count user level
 * only (PFM_PLM3); software events user+kernel when allowed (context switches and page
 * faults happen in the kernel), else user. Returns NULL with a one-line error in err for
 * an unknown or malformed event name or too many events; an event that merely cannot be
 * opened here is not an error (counters_reason says why). n may be 0. */
counters *counters_open(const char *const names[], int n, char *err, size_t errlen);
void counters_close(counters *c);   /* NULL is fine */

int counters_count(const counters *c);
int counters_threads(const counters *c);   /* the pool threads counted: omp_get_max_threads() at open */
const char *counters_name(const counters *c, int i);
const char *counters_reason(const counters *c, int i);   /* NULL while available */

/* Snapshot at the start of an interval, and the per-event deltas at its end (out has
 * counters_count entries). A read that fails makes the events of that group unavailable
 * for good, with the reason. */
void counters_begin(counters *c);
void counters_end(counters *c, counter_reading *out);

/* Per event: median of the intervals that counted. r is reps rows of counters_count
 * readings. An event unavailable now is reported unavailable even if it counted before. */
void counters_summarize(const counters *c, const counter_reading *r, int reps, counter_stat *out);

/* Tests only: makes the next read of event i's group fail, as a dying counter would. */
void counters_fail_for_test(counters *c, int i);

/* Prints the event names libpfm4 knows on this machine's PMUs, one per line. */
int counters_list_events(FILE *f);

#endif
