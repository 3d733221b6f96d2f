/* Results files (results/SCHEMA.md): building records and documents, writing them
 * atomically, and reading them back (compare, plots). */
#ifndef SHIFTBENCH_RESULTS_H
#define SHIFTBENCH_RESULTS_H

#include <stddef.h>
#include <jansson.h>

#include "../analysis/cost.h"
#include "../kernels/op.h"
#include "measure.h"

#define RESULTS_SCHEMA "shiftbench-results"
#define RESULTS_VERSION 1

/* A new document {schema, version, kind, complete: true, context, records: []}; it takes
 * the reference to context. kind: "net", "kernel", "peak" or "ratios". */
json_t *results_new(const char *kind, json_t *context);
void results_set_complete(json_t *doc, int complete);
void results_add_record(json_t *doc, json_t *record);   /* takes the reference */

typedef struct {
    const char *name;           /* IR layer name or descriptor */
    const op_desc *d;           /* op, kind, shape; NULL for records that are no op (peak) */
    const char *impl, *impl_info;
    const cost *cost;           /* NULL: no cost, gflops, gbs */
    const measure_result *m;
    double peak_gflops;         /* > 0: the peak of the level the kernels ran at: adds
                                   peak_gflops, pct_peak (results_pct_peak) and, above
                                   100 %, above_peak: true */
} results_record_in;

/* A record: name, op, kind, impl, impl_info, shape, cost (with exec_macs, exec_flops),
 * stats (with samples), gflops (convention FLOPs), exec_gflops, gbs, peak_gflops,
 * pct_peak, above_peak, counters. Callers add their own keys (net: stage, block, fused). */
json_t *results_record(const results_record_in *in);
/* % of peak of c's executed FLOPs done in `seconds` (0 when either is not positive). */
double results_pct_peak(const cost *c, double seconds, double peak_gflops);
json_t *results_stats_json(const double *samples, int n, const stats_summary *s);
json_t *results_counters_json(const counter_stat *s, int n);

/* results/<kind>-<name>-<impl>-t<threads>-b<batch>-<UTC time>.json, with characters other
 * than [A-Za-z0-9._+=-] in name and impl replaced by '_'. */
void results_default_path(char *buf, size_t len, const char *kind, const char *name,
                          const char *impl, int threads, int batch);

/* Before measuring: can path be written ("-" = stdout always can)? Creates the missing
 * directory when create_dir (the default results/ directory). -1 with a reason. */
int results_check_writable(const char *path, int create_dir, char *err, size_t errlen);

/* Serializes doc and writes it atomically (write_file_atomic; "-" = stdout). */
int results_write(const json_t *doc, const char *path, char *err, size_t errlen);

/* Loads a results file and checks schema, version, kind and records, and that no string in
 * it holds an unsafe character (common/text.h: controls, escapes; shiftbench writes none).
 * NULL with an error naming the file. */
json_t *results_load(const char *path, char *err, size_t errlen);
/* Every key and string in j (recursively) free of unsafe characters; -1 naming path and
 * the key otherwise. (Also for other JSON that shiftbench reads back: cost files.) */
int results_check_text(const json_t *j, const char *path, const char *key, char *err, size_t errlen);

/* A record's timing samples (malloc'd, caller frees) and their count; -1 when it has
 * none. */
int results_samples(const json_t *record, double **samples, int *n);

#endif
