/* What the charts and the report are drawn from: net results files (latest per network x
 * impl x threads x batch), the cost model, and the accuracy data file. Every number that
 * reaches a chart passes through here; none is typed in. */
#ifndef SHIFTBENCH_PLOT_EXTRACT_H
#define SHIFTBENCH_PLOT_EXTRACT_H

#include <stdio.h>
#include <jansson.h>

#define PL_NAME 64
#define PL_MAX_STAGES 10        /* stem, up to 8 stages, head */

/* Op-kind categories of the breakdown charts, in drawing order. */
enum { PL_CONV3, PL_CONV1, PL_SHIFT, PL_SHIFTCONV, PL_DW, PL_POOL, PL_ADD, PL_OTHER, PL_NCAT };
const char *pl_cat_label(int cat);     /* "3x3 conv", "1x1 conv", "shift", "shift+1x1 (fused)", "depthwise 3x3", ... */
int pl_cat_of_kind(const char *kind);  /* a record's "kind" -> category; unknown kinds -> PL_OTHER */

typedef struct {
    char name[PL_NAME], kind[16], block[PL_NAME];   /* block: the IR block the step belongs to (or is) */
    int cat, stage;
    double median;                     /* seconds; NaN when the record has none */
    double macs, flops, bytes;         /* the record's analytic cost */
    double bytes_layers;               /* its layers' traffic run apart (NaN in older files) */
    double exec_flops;                 /* executed FLOPs (roofline, % of peak); flops in older files */
} pl_layer;

typedef struct {
    char path[1024];
    char network[PL_NAME], impl[32], date[40];   /* impl: "<impl>-unfused" for a --unfused-shift run */
    int fused_blocks;                  /* settings.fuse "block": every block one step (net --fuse block) */
    int threads, batch, resolution, complete;
    int nstages;                       /* stages layer1..N; head = N + 1 */
    double pass;                       /* whole forward pass, median seconds; NaN when absent */
    double pass_p10, pass_p90;         /* its 10th and 90th percentiles (NaN when absent) */
    double *pass_samples;              /* its samples (npass of them; NULL when absent) */
    int npass;
    double params, macs, flops, bytes; /* the "network" block (NaN when absent) */
    int nlayers;
    pl_layer *layers;
    double by_stage_cat[PL_MAX_STAGES][PL_NCAT];   /* summed step medians, seconds */
    double by_cat[PL_NCAT], steps;                 /* per category, all steps */
    /* context */
    char cpu[160], openblas_core[48], onednn_version[32], compiler[64], hostname[64];
    int cores;
    double min_time;
    int min_reps;
    double peak_gflops;                /* for this run's threads; NaN when not measured */
    double peak_per_core;              /* one thread's FMA peak; NaN when not measured */
    double bw_gbs, bw_bytes;           /* copy bandwidth at the largest buffer measured */
    double bw_cache_gbs, bw_cache_bytes;   /* the best copy bandwidth (a cache level) */
} pl_run;

typedef struct {
    pl_run *runs;                      /* latest per network x impl x threads x batch */
    int nruns;
    int nfiles;                        /* results files looked at */
    char **skipped;                    /* "path: why" for every broken or foreign file */
    int nskipped;
    pl_run peak;                       /* context.peak of the latest "peak" file (peak_per_core
                                          NaN when none) */
} pl_results;

/* Reads a net results document into run (path names it in errors). -1 with a reason
 * when it is not a usable net result. */
int pl_run_from_json(const json_t *doc, const char *path, pl_run *run, char *err, size_t errlen);
void pl_run_free(pl_run *run);

/* Reads every .json file in DIR. Broken and foreign files are listed in r->skipped and, when warn
 * is not NULL, reported there one line each. Complete files win over interrupted ones;
 * among those, the latest context.date (then the file name) wins. -1 only when DIR cannot
 * be read. */
int pl_results_load(const char *dir, pl_results *r, FILE *warn, char *err, size_t errlen);
void pl_results_free(pl_results *r);
const pl_run *pl_results_find(const pl_results *r, const char *net, const char *impl, int threads,
                              int batch);
/* The run as above with its blocks fused (net --fuse block), or NULL; pl_results_find never
 * returns one (the other charts compare layer-by-layer runs). */
const pl_run *pl_results_find_fused(const pl_results *r, const char *net, const char *impl, int threads, int batch);

/* Accuracy data: TSV with columns network, top1, top5, source ('#' comments, an optional
 * header row; top5 may be "-"). Rows for a network already present replace it (a user's
 * file merged after the shipped one wins). A row without a source takes default_source
 * (NULL: the source is required). -1 with "file:line: why". The network column of a sweep's
 * accuracy file (plot --sweep) may add knobs: "resnet50 width_multiplier=0.5 resolution=160". */
typedef struct {
    char network[512];
    double top1, top5;                 /* percent; top5 NaN when not recorded */
    char source[256];
} pl_acc;

typedef struct {
    pl_acc *rows;
    int n;
} pl_accuracy;

int pl_accuracy_load(const char *path, pl_accuracy *a, const char *default_source, char *err,
                     size_t errlen);
const pl_acc *pl_accuracy_of(const pl_accuracy *a, const char *network);
void pl_accuracy_free(pl_accuracy *a);

/* A network's cost and the knobs that decide its baseline and 4C/8C twin. */
typedef struct {
    char name[PL_NAME];
    double params, macs, flops, bytes;
    char family[PL_NAME];
    char twin_key[1024];               /* the knobs without the family's twin knob (family.h) */
    int twin_rank;                     /* the twin knob's value among its allowed ones (4C 0, 8C 1), -1 none */
    int resolution, batch;
    int has_shift;                     /* a knob value places a shift */
    int has_knobs;                     /* resnet's, for the baseline */
    int blocks[8], nstages;
    char block[16], slots[3][16];
    int inner_residual;
} pl_cost;

/* Through the IR and the cost model (the single cost source). name is a network name
 * (arch/NAME.json), never a path: names come from other people's files. */
int pl_cost_network(const char *name, pl_cost *c, char *err, size_t errlen);
/* From a "network" object: a results file's, or one of `shiftbench cost --format json`. */
int pl_cost_from_json(const json_t *o, pl_cost *c, char *err, size_t errlen);
/* Every network of a shiftbench-cost JSON file (malloc'd array). */
int pl_cost_file(const char *path, pl_cost **cs, int *n, char *err, size_t errlen);

int pl_is_resnet(const pl_cost *c);         /* plain bottleneck ResNet (3x3 in the middle) */
int pl_has_shift(const pl_cost *c);
/* Same family and knobs except the family's twin knob (4C vs 8C). */
int pl_twins(const pl_cost *a, const pl_cost *b);
/* The ResNet that c is compared with: the one with the same blocks, else the one closest
 * in MACs; -1 for a ResNet itself or when there is none. */
int pl_baseline(const pl_cost *cs, int n, int i);

#endif
