/* Internal to `shiftbench plot`: what the data writer (plots/data.c), the report
 * (plots/report.c) and the command (plots/plot_cmd.c) share. */
#ifndef SHIFTBENCH_PLOT_H
#define SHIFTBENCH_PLOT_H

#include "extract.h"

#define PLOT_MAX_IMPL 4
#define PLOT_MAX_NETS 128
#define PLOT_MAX_GROUPS 4
#define PLOT_GROUP_NETS 4
#define PLOT_MAX_PAIRS 16

typedef struct {
    /* options */
    const char *results_dir, *out_dir, *report_path, *plots_dir, *acc_user, *cost_file;
    int threads, batch;               /* the runs charted */
    int nimpl;
    char impl[PLOT_MAX_IMPL][32];     /* implementations charted, onednn first */
    /* inputs */
    pl_results res;
    pl_accuracy acc;
    pl_cost *cost;                    /* the cost of every network named anywhere */
    int ncost;
    /* what is charted */
    int nnet, net[PLOT_MAX_NETS];     /* cost indices: comparison set, then other measured ones */
    int npair, pair[PLOT_MAX_PAIRS][2];   /* 4C and 8C twins (cost indices) */
    int ngroup, group_n[PLOT_MAX_GROUPS];
    char group[PLOT_MAX_GROUPS][PLOT_GROUP_NETS][PL_NAME];   /* breakdown comparisons */
    char datadir[1100];
    char subtitle[768];               /* the machine and settings of the runs charted */
    char cost_subtitle[512];
    int mixed_machines;               /* runs from more than one CPU model */
} plot_ctx;

/* The run of net on impl at the charted threads and batch, or NULL. */
const pl_run *plot_run(const plot_ctx *p, const char *net, const char *impl);

/* A charted network against its ResNet baseline on one implementation: MAC ratio (of
 * what was run) and latency ratio (forward-pass medians). ly: label height (layout). */
typedef struct {
    const char *net, *impl, *base;
    int k;              /* 1-based implementation index */
    double mr, lr, ly;
} ratio_pt;
/* Every such pair measured on both sides; returns the count (at most max). */
int plot_ratios(const plot_ctx *p, ratio_pt *out, int max);
int plot_cost_index(const plot_ctx *p, const char *name);
/* "single-shift-50" for "single-shift-4c-50" (a 4C/8C pair's family label). */
void plot_family_label(const char *name, char *buf, size_t len);

/* The roofs of the charted runs: the highest FMA peak (for the charted threads) and copy
 * bandwidths recorded in their contexts (load only ever lowers a measurement), else those
 * of the latest peak results file; NaN when nothing was measured. */
typedef struct {
    double peak, bw, bw_bytes, bw_cache, bw_cache_bytes;
    int from_file;
} plot_roof;
plot_roof plot_roofs(const plot_ctx *p);

/* Runs gnuplot on plots/NAME.gp for one format (svg, png), with plotdir, datadir, outdir,
 * fmt and subtitle from p. 0, 127 when gnuplot is not installed, else 1 (said on stderr). */
int plot_gnuplot(const plot_ctx *p, const char *name, const char *fmt);
/* shiftbench plot --sweep DIR...: the sweep charts (plots/sweep_plot.c). */
int plot_sweep(int argc, char **argv);

/* Writes every .dat file and settings.gp into p->datadir. */
int plot_write_data(const plot_ctx *p, char *err, size_t errlen);
/* Shift vs depthwise 3x3 vs dense 3x3 (plots/spatial.c): spatial.dat and its settings;
 * the report's section (img: the charts' folder relative to the report). */
int plot_write_spatial(const plot_ctx *p, FILE *gs, char *err, size_t errlen);
void plot_report_spatial(FILE *f, const plot_ctx *p, const char *img);

/* Writes the report (tables behind every chart, headlines, machine, settings). */
int plot_write_report(const plot_ctx *p, char *err, size_t errlen);

#endif
