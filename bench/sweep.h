/* shiftbench sweep: a grid of networks x knob values x run settings (bench/sweep_spec.c),
 * its points costed at once and measured one by one by `shiftbench net` child processes
 * (bench/sweep.c), and the point results read back by key and machine
 * (bench/sweep_points.c) for resuming, plots and comparisons. */
#ifndef SHIFTBENCH_SWEEP_H
#define SHIFTBENCH_SWEEP_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#define SWEEP_MAX_AXES 16
#define SWEEP_MAX_LIST 64          /* networks, implementations, thread counts */
#define SWEEP_CONFIRM_POINTS 10000 /* more points than this need --yes */
#define SWEEP_MAX_POINTS 1000000
#define SWEEP_MAX_VALUES 100000    /* of one knob */

/* One knob and its values, each as `--set KNOB=VALUE` takes it ("0.5", "2,2,2,2"). */
typedef struct {
    char knob[64];
    int nvals;
    char **vals;
} sweep_axis;

typedef struct {
    int nnets;
    char *nets[SWEEP_MAX_LIST];
    int naxes;
    sweep_axis axes[SWEEP_MAX_AXES];
    int nimpl;
    char *impl[SWEEP_MAX_LIST];
    int nthreads;
    int threads[SWEEP_MAX_LIST];
    /* passed to every `shiftbench net` (its defaults when < 0) */
    double min_time;
    long min_reps, warmup, max_reps;
    /* which points are measured */
    double budget_ms, max_macs;      /* 0: no limit */
    char out_dir[1024];
    char exe[1024];                  /* the shiftbench that --plan's commands run */
    int plan, cost_only, yes, keep_core;
} sweep_spec;

/* Parses `shiftbench sweep` arguments (argv[0] is "sweep") into spec: options, network names
 * and spec files (JSON: the same options as keys, see sweep --help). 0, 1 when --help was
 * printed, or -1 with a one-line error. Free with sweep_spec_free. */
int sweep_spec_parse(int argc, char **argv, sweep_spec *s, char *err, size_t errlen);
void sweep_spec_free(sweep_spec *s);
void sweep_usage(FILE *f);
/* The number of points (networks x impls x threads x every axis); -1 past SWEEP_MAX_POINTS. */
long sweep_spec_points(const sweep_spec *s);
/* Point i's coordinates, in generation order: networks outermost, then impl, threads and
 * the axes in the order given (the last one varies fastest). */
typedef struct {
    int net, impl, threads;
    int val[SWEEP_MAX_AXES];
} sweep_coord;
void sweep_spec_coord(const sweep_spec *s, long i, sweep_coord *c);

/* A point's identity, the same wherever it was measured: network name, impl, threads and
 * every resolved knob (the network's "knobs" object, keys sorted). *buf is malloc'd. */
int sweep_point_key(const char *net, const char *impl, int threads, const json_t *knobs, char **buf);
uint64_t sweep_hash(const char *s);   /* FNV-1a, for file names */

/* A finished point as read from its results file (a `shiftbench net` result). */
typedef struct {
    char path[1024];
    char *key;
    char network[64], impl[32], date[40];
    char set[512];          /* its --set overrides, space-separated ("width_multiplier=0.5 batch=8") */
    char machine[320];      /* "CPU model | best ISA | N cores": what groups results */
    int threads, batch, complete;
    double params, macs, median_ms;
    json_t *knobs;          /* the resolved knobs (a reference) */
} sweep_result;

/* "cpu | isa | N cores" of a results file's context (context_build's fields). */
void sweep_machine(const json_t *context, char *buf, size_t len);
/* Reads one results file as a sweep point. -1 with a reason when it is not a usable net
 * result (foreign, broken, interrupted files included). */
int sweep_result_load(const char *path, sweep_result *r, char *err, size_t errlen);
void sweep_result_free(sweep_result *r);

/* Every point results file in the directories given (*.json; the sweep's own sweep.json
 * manifest is passed over, other unusable files are named on warn). Of one key measured
 * twice on one machine, the later date wins. -1 only when a directory cannot be read. */
typedef struct {
    sweep_result *r;
    int n;
    int skipped;
} sweep_results;
int sweep_results_load(char *const *dirs, int ndirs, sweep_results *out, FILE *warn, char *err, size_t errlen);
void sweep_results_free(sweep_results *rs);

/* Marks on_front[i] = 1 for the points on the Pareto front of (x to maximize, y to
 * minimize): no other point has x >= and y <= with one of them strict. NaNs are never on it. */
void sweep_pareto(const double *x, const double *y, int n, int *on_front);

int sweep_compare(int argc, char **argv);   /* shiftbench compare --sweep DIR... */

#endif
