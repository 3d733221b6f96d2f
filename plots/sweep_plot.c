/* shiftbench plot --sweep DIR...: latency vs MACs and vs parameters of sweep points, one
 * panel per machine (CPU model, ISA, cores), one series per network x impl x threads x
 * batch, the Pareto front marked; accuracy vs latency only for the points the user gave an
 * accuracy for (--accuracy FILE). Machines share a panel only with --merge-machines. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/ir.h"
#include "../bench/sweep.h"
#include "../common/text.h"
#include "../common/util.h"
#include "plot.h"

#define SW_MAX_DIRS 64

typedef struct {
    char name[IR_NAME];
    json_t *knobs;        /* resolved knobs without the batch */
    double top1;
} acc_row;

typedef struct {
    const sweep_result *r;
    int machine, series;
    double top1;          /* NaN: no accuracy given */
} sw_point;

static void sweep_plot_usage(FILE *f) {
    fprintf(f, "usage: shiftbench plot --sweep DIR [--sweep DIR]... [--out DIR] [--accuracy FILE]\n"
               "                       [--merge-machines]\n\n"
               "Charts of `shiftbench sweep` results (any number of directories, from any machines):\n"
               "latency vs MACs and vs parameters, one panel per machine (CPU model, ISA, cores), the\n"
               "Pareto front marked; with --accuracy, top-1 vs latency for the points it names.\n\n"
               "  --out DIR        charts into DIR, data files into DIR/data (default plots/out/sweep)\n"
               "  --accuracy FILE  TSV: network (NAME or \"NAME KNOB=VALUE ...\"),\n"
               "                   top1, top5, source; a row applies to the points of that network with\n"
               "                   those knob values (the batch aside)\n"
               "  --merge-machines one panel and one front for all machines (curves then mix machines)\n");
}

static json_t *without_batch(const json_t *knobs) {
    json_t *k = json_deep_copy(knobs);
    if (k) json_object_del(k, "batch");
    return k;
}

/* Each accuracy row through the loader: "NAME KNOB=VALUE ..." names a network and knobs. */
static int load_accuracy(const char *path, acc_row **rows, int *n, char *err, size_t errlen) {
    pl_accuracy a = { 0 };
    *rows = NULL;
    *n = 0;
    if (pl_accuracy_load(path, &a, "user", err, errlen)) return -1;
    *rows = calloc((size_t)(a.n ? a.n : 1), sizeof **rows);
    if (!*rows) { pl_accuracy_free(&a); return set_err(err, errlen, "out of memory"); }
    int rc = 0;
    for (int i = 0; i < a.n && !rc; i++) {
        char buf[sizeof a.rows[0].network], *words[65];
        int nw = 0;
        snprintf(buf, sizeof buf, "%s", a.rows[i].network);
        for (char *t = strtok(buf, " "); t && nw < 65; t = strtok(NULL, " ")) words[nw++] = t;
        ir_overrides ov = { 0 };
        for (int w = 1; w < nw && ov.n < 64; w++) ov.kv[ov.n++] = words[w];
        network net;
        char why[ERRLEN];
        if (!nw || network_load(words[0], &ov, &net, why, sizeof why)) {
            rc = set_err(err, errlen, "%s: '%s': %s", path, a.rows[i].network, nw ? why : "no network");
            break;
        }
        json_t *k = network_knobs_json(&net);
        acc_row *r = &(*rows)[(*n)++];
        snprintf(r->name, sizeof r->name, "%s", net.name);
        r->knobs = without_batch(k);
        r->top1 = a.rows[i].top1;
        json_decref(k);
        network_free(&net);
    }
    pl_accuracy_free(&a);
    return rc;
}

static double accuracy_of(const acc_row *rows, int n, const sweep_result *r) {
    json_t *k = without_batch(r->knobs);
    double top1 = NAN;
    for (int i = 0; i < n && isnan(top1); i++)
        if (!strcmp(rows[i].name, r->network) && json_equal(rows[i].knobs, k)) top1 = rows[i].top1;
    json_decref(k);
    return top1;
}

static void gp_string(FILE *f, const char *s) {
    char q[TEXT_BUF];
    fputs(text_gnuplot(s, q, sizeof q), f);
}

static void dat_field(FILE *f, const char *s) {
    char q[TEXT_BUF];
    fputs(*s ? text_datafield(s, q, sizeof q) : "-", f);
}

typedef struct {
    char **machine;
    int nm;
    char **series;        /* labels, in machine order */
    int *series_machine, ns;
} sw_groups;

static int index_of(char ***list, int *n, const char *s) {
    for (int i = 0; i < *n; i++)
        if (!strcmp((*list)[i], s)) return i;
    char **nl = realloc(*list, (size_t)(*n + 1) * sizeof *nl);
    if (!nl) return -1;
    *list = nl;
    if (!(nl[*n] = strdup(s))) return -1;
    return (*n)++;
}

/* One front file: the points of machine m on the front of (x up, latency down), by x. */
static int cmp_x(const void *a, const void *b) {
    const double *p = a, *q = b;
    return (p[0] > q[0]) - (p[0] < q[0]);
}

static int write_front(const char *path, const sw_point *pt, int n, int m, int what) {
    double *x = malloc((size_t)(n ? n : 1) * sizeof *x), *y = malloc((size_t)(n ? n : 1) * sizeof *y);
    int *on = calloc((size_t)(n ? n : 1), sizeof *on), k = 0;
    double *xy = malloc((size_t)(n ? n : 1) * 2 * sizeof *xy);
    FILE *f = x && y && on && xy ? fopen(path, "w") : NULL;
    if (f) {
        for (int i = 0; i < n; i++) {
            int in = pt[i].machine == m;
            x[i] = !in ? NAN : what == 0 ? pt[i].r->macs / 1e9 : what == 1 ? pt[i].r->params / 1e6 : pt[i].top1;
            y[i] = in ? pt[i].r->median_ms : NAN;
        }
        sweep_pareto(x, y, n, on);
        for (int i = 0; i < n; i++)
            if (on[i]) xy[2 * k] = what == 2 ? y[i] : x[i], xy[2 * k + 1] = what == 2 ? x[i] : y[i], k++;
        qsort(xy, (size_t)k, 2 * sizeof *xy, cmp_x);
        fprintf(f, "# the Pareto front: %s\n", what == 2 ? "median ms, top-1 %" : "x, median ms");
        for (int i = 0; i < k; i++) fprintf(f, "%.9g\t%.9g\n", xy[2 * i], xy[2 * i + 1]);
    }
    int rc = f && !ferror(f) ? 0 : -1;
    if (f && fclose(f)) rc = -1;
    free(x), free(y), free(on), free(xy);
    return rc;
}

static int write_data(const char *datadir, sw_point *pt, int n, const sw_groups *g, int nacc, char *err,
                      size_t errlen) {
    char path[1400];
    for (int m = 0; m < g->nm; m++) {
        snprintf(path, sizeof path, "%s/sweep_m%d.dat", datadir, m + 1);
        FILE *f = fopen(path, "w");
        if (!f) return set_err(err, errlen, "%s: %s", path, strerror(errno));
        fprintf(f, "# one block per series: GMACs, Mparams, median ms, top-1 %% (NaN: none given), knobs\n");
        int block = 0;
        for (int s = 0; s < g->ns; s++) {
            if (g->series_machine[s] != m) continue;
            if (block++) fprintf(f, "\n\n");
            for (int i = 0; i < n; i++) {
                if (pt[i].series != s) continue;
                fprintf(f, "%.9g\t%.9g\t%.9g\t", pt[i].r->macs / 1e9, pt[i].r->params / 1e6, pt[i].r->median_ms);
                if (isnan(pt[i].top1)) fprintf(f, "NaN\t");
                else fprintf(f, "%.9g\t", pt[i].top1);
                dat_field(f, pt[i].r->set);
                fputc('\n', f);
            }
        }
        if (ferror(f) | fclose(f)) return set_err(err, errlen, "%s: write error", path);
        static const char *const fronts[] = { "macs", "params", "acc" };
        for (int w = 0; w < 3; w++) {
            snprintf(path, sizeof path, "%s/sweep_front_%s_m%d.dat", datadir, fronts[w], m + 1);
            if (write_front(path, pt, n, m, w)) return set_err(err, errlen, "%s: cannot write", path);
        }
    }
    snprintf(path, sizeof path, "%s/settings.gp", datadir);   /* plots/common.gp loads it */
    FILE *f = fopen(path, "w");
    if (!f) return set_err(err, errlen, "%s: %s", path, strerror(errno));
    fprintf(f, "# written by shiftbench plot --sweep (gnuplot syntax)\nnm = %d\nnacc = %d\nnpoints = %d\n", g->nm, nacc, n);
    fprintf(f, "array mlabel[%d]\narray sfirst[%d]\narray scount[%d]\narray slabel[%d]\n", g->nm ? g->nm : 1,
            g->nm ? g->nm : 1, g->nm ? g->nm : 1, g->ns ? g->ns : 1);
    int k = 0;
    for (int m = 0; m < g->nm; m++) {
        fprintf(f, "mlabel[%d] = ", m + 1);
        gp_string(f, g->machine[m]);
        int cnt = 0;
        for (int s = 0; s < g->ns; s++) cnt += g->series_machine[s] == m;
        fprintf(f, "\nsfirst[%d] = %d\nscount[%d] = %d\n", m + 1, k + 1, m + 1, cnt);
        for (int s = 0; s < g->ns; s++)
            if (g->series_machine[s] == m) {
                fprintf(f, "slabel[%d] = ", ++k);
                gp_string(f, g->series[s]);
                fputc('\n', f);
            }
    }
    if (ferror(f) | fclose(f)) return set_err(err, errlen, "%s: write error", path);
    return 0;
}

int plot_sweep(int argc, char **argv) {
    char *dirs[SW_MAX_DIRS];
    int ndirs = 0, merge = 0;
    const char *out = "plots/out/sweep", *acc_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { sweep_plot_usage(stdout); return 0; }
        if (!strcmp(a, "--merge-machines")) { merge = 1; continue; }
        if (a[0] != '-') return fail_msg("plot: unexpected argument '%s' (see shiftbench plot --sweep --help)", a);
        if (i + 1 >= argc) return fail_msg("plot: %s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--sweep")) {
            if (ndirs >= SW_MAX_DIRS) return fail_msg("plot: at most %d --sweep directories", SW_MAX_DIRS);
            dirs[ndirs++] = (char *)v;
        } else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--accuracy")) acc_file = v;
        else return fail_msg("plot: unknown option '%s' with --sweep (see shiftbench plot --sweep --help)", a);
    }
    char err[ERRLEN], plots_dir[1024];
    acc_row *acc = NULL;
    int nacc_rows = 0, rc = 2;
    sweep_results rs = { 0 };
    sw_point *pt = NULL;
    sw_groups g = { 0 };
    plot_ctx p;
    memset(&p, 0, sizeof p);
    if (acc_file && load_accuracy(acc_file, &acc, &nacc_rows, err, sizeof err)) { rc = fail_msg("%s", err); goto done; }
    if (sweep_results_load(dirs, ndirs, &rs, stderr, err, sizeof err)) { rc = fail_msg("plot: %s", err); goto done; }
    if (!rs.n) { rc = fail_msg("plot: no finished sweep points in the --sweep directories"); goto done; }
    if (!(pt = calloc((size_t)rs.n, sizeof *pt))) { rc = fail_run("out of memory"); goto done; }
    int nacc = 0;
    for (int i = 0; i < rs.n; i++) {
        const sweep_result *r = &rs.r[i];
        char label[256];
        pt[i].r = r;
        pt[i].machine = index_of(&g.machine, &g.nm, merge ? "all machines (merged)" : r->machine);
        snprintf(label, sizeof label, "%s %s t%d b%d", r->network, r->impl, r->threads, r->batch);
        /* a series belongs to one machine: its label made unique per machine */
        char key[600];
        snprintf(key, sizeof key, "%d\t%s", pt[i].machine, label);
        int before = g.ns;
        char **keys = g.series;
        pt[i].series = index_of(&keys, &g.ns, key);
        g.series = keys;
        if (pt[i].machine < 0 || pt[i].series < 0) { rc = fail_run("out of memory"); goto done; }
        if (g.ns > before) {
            int *sm = realloc(g.series_machine, (size_t)g.ns * sizeof *sm);
            if (!sm) { rc = fail_run("out of memory"); goto done; }
            g.series_machine = sm;
            sm[g.ns - 1] = pt[i].machine;
        }
        pt[i].top1 = acc ? accuracy_of(acc, nacc_rows, r) : NAN;
        nacc += !isnan(pt[i].top1);
    }
    for (int s = 0; s < g.ns; s++) memmove(g.series[s], strchr(g.series[s], '\t') + 1, strlen(strchr(g.series[s], '\t')));

    data_dir("plots", "SHIFTBENCH_PLOTS", "sweep.gp", plots_dir, sizeof plots_dir);
    snprintf(p.datadir, sizeof p.datadir, "%s/data", out);
    if (make_dirs(p.datadir)) { rc = fail_msg("plot: cannot create %s: %s", p.datadir, strerror(errno)); goto done; }
    if (write_data(p.datadir, pt, rs.n, &g, nacc, err, sizeof err)) { rc = fail_run("%s", err); goto done; }
    p.plots_dir = plots_dir;
    p.out_dir = out;
    snprintf(p.subtitle, sizeof p.subtitle, "%d point%s from %d director%s, %d machine%s%s | median of the whole "
             "forward pass", rs.n, rs.n == 1 ? "" : "s", ndirs, ndirs == 1 ? "y" : "ies", g.nm, g.nm == 1 ? "" : "s",
             merge ? " merged" : "");
    static const char *const charts[] = { "sweep_macs", "sweep_params", "sweep_accuracy" };
    int failed = 0, drawn = 0;
    rc = 0;
    for (int c = 0; c < 3; c++) {
        if (c == 2 && !nacc) continue;   /* accuracy only where the user gave it */
        for (int f = 0; f < 2; f++) {
            int gr = plot_gnuplot(&p, charts[c], f ? "png" : "svg");
            if (gr == 127) {
                fprintf(stderr, "shiftbench plot: gnuplot is not installed (apt-get install gnuplot-nox): data files only\n");
                rc = 1;
                goto done;
            }
            failed += gr != 0;
            drawn += gr == 0;
        }
    }
    fprintf(stderr, "shiftbench plot: %d sweep point%s (%d skipped) on %d machine panel%s, %d with an accuracy; "
                    "charts in %s\n", rs.n, rs.n == 1 ? "" : "s", rs.skipped, g.nm, g.nm == 1 ? "" : "s", nacc, out);
    if (acc && !nacc) fprintf(stderr, "shiftbench plot: no row of %s matches a sweep point: no accuracy chart\n", acc_file);
    rc = failed ? 1 : 0;
done:
    for (int i = 0; i < nacc_rows; i++) json_decref(acc[i].knobs);
    free(acc);
    for (int i = 0; i < g.nm; i++) free(g.machine[i]);
    for (int i = 0; i < g.ns; i++) free(g.series[i]);
    free(g.machine), free(g.series), free(g.series_machine);
    free(pt);
    sweep_results_free(&rs);
    return rc;
}
