/* shiftbench plot: charts (gnuplot, SVG and PNG) and results/report.md from results JSON,
 * the cost model and the accuracy data file. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../arch/ir.h"
#include "../bench/commands.h"
#include "../common/text.h"
#include "../common/util.h"
#include "plot.h"

/* The comparison set (`make run`) in chart order, and the breakdown comparisons. */
static const char *const compare_set[] = {
    "resnet50", "resnet101", "no-shift-50", "single-shift-4c-50", "single-shift-8c-50",
    "multi-shift-4c-50", "multi-shift-8c-50", "flat-shift-4c-35", "flat-shift-8c-35",
};
static const char *const groups[][PLOT_GROUP_NETS] = {
    { "resnet50", "multi-shift-4c-50", "multi-shift-8c-50", NULL },
    { "resnet101", "flat-shift-4c-35", NULL, NULL },
};
/* Implementations in chart order; others follow alphabetically. */
static const char *const impl_order[] = { "onednn", "openblas", "xnnpack", "best", "best-unfused", "own", "ref" };

static const char *const charts[] = { "cost_accuracy", "four_vs_eight", "breakdown", "flops_not_time", "roofline", "fusion",
                                      "spatial" };

static void usage(FILE *f) {
    fprintf(f,
        "usage: shiftbench plot [--results DIR] [--accuracy FILE] [--out DIR] [--cost FILE]\n"
        "                       [--report FILE] [--impl A,B] [--threads N] [--batch N]\n\n"
        "Charts (SVG and PNG, drawn by gnuplot from plots/*.gp) and a report from the results\n"
        "files of `shiftbench net` and `shiftbench peak`, the cost model and the accuracy data.\n"
        "Of several results for one network x impl x threads x batch, the latest complete one\n"
        "is used; broken or foreign files are named on stderr and skipped.\n\n"
        "  --results DIR   results files (default results)\n"
        "  --accuracy FILE your measured accuracies (TSV: network, top1, top5, source; source\n"
        "                  defaults to \"user\"), merged over plots/accuracy.tsv\n"
        "  --out DIR       charts into DIR, data files into DIR/data (default plots/out)\n"
        "  --cost FILE     costs from `shiftbench cost --format json` output instead of the\n"
        "                  cost model run here over every named network\n"
        "  --report FILE   the report (default results/report.md)\n"
        "  --impl A,B      implementations charted (default: every one measured)\n"
        "  --threads N, --batch N  which runs (default: the setting with the most runs)\n");
}

const pl_run *plot_run(const plot_ctx *p, const char *net, const char *impl) {
    return pl_results_find(&p->res, net, impl, p->threads, p->batch);
}

int plot_cost_index(const plot_ctx *p, const char *name) {
    for (int i = 0; i < p->ncost; i++)
        if (!strcmp(p->cost[i].name, name)) return i;
    return -1;
}

void plot_family_label(const char *name, char *buf, size_t len) {
    snprintf(buf, len, "%s", name);
    char *c = strstr(buf, "-4c");
    if (!c) c = strstr(buf, "-8c");
    if (c && (c[3] == '-' || !c[3])) memmove(c, c + 3, strlen(c + 3) + 1);
}

static int add_cost(plot_ctx *p, const pl_cost *c) {
    if (plot_cost_index(p, c->name) >= 0) return 0;
    pl_cost *n = realloc(p->cost, (size_t)(p->ncost + 1) * sizeof *n);
    if (!n) return -1;
    p->cost = n;
    p->cost[p->ncost++] = *c;
    return 0;
}

/* A network named by a run or an accuracy row: through the cost model, else (a run of a
 * network whose arch file is gone) the run's own network block. */
static void cost_named(plot_ctx *p, const char *name, const pl_run *run) {
    if (plot_cost_index(p, name) >= 0) return;
    pl_cost c;
    char err[ERRLEN];
    if (!pl_cost_network(name, &c, err, sizeof err)) { add_cost(p, &c); return; }
    if (run && !isnan(run->params) && !isnan(run->macs)) {
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "%s", name);
        c.params = run->params;
        c.macs = run->macs;
        c.flops = run->flops;
        c.bytes = run->bytes;
        add_cost(p, &c);
        return;
    }
    if (!run) fprintf(stderr, "shiftbench plot: accuracy for '%s' not drawn: %s\n", name, err);
}

static int impl_rank(const char *s) {
    for (size_t i = 0; i < sizeof impl_order / sizeof *impl_order; i++)
        if (!strcmp(s, impl_order[i])) return (int)i;
    return 100;
}

static int cmp_impl(const void *a, const void *b) {
    const char *x = a, *y = b;
    int d = impl_rank(x) - impl_rank(y);
    return d ? d : strcmp(x, y);
}

/* Threads and batch: those asked for, else the setting shared by the most runs (fewest
 * threads and smallest batch on a tie). */
static void pick_setting(plot_ctx *p) {
    int best = -1;
    for (int i = 0; i < p->res.nruns; i++) {
        const pl_run *r = &p->res.runs[i];
        if ((p->threads > 0 && r->threads != p->threads) || (p->batch > 0 && r->batch != p->batch)) continue;
        int n = 0;
        for (int j = 0; j < p->res.nruns; j++)
            n += p->res.runs[j].threads == r->threads && p->res.runs[j].batch == r->batch;
        const pl_run *b = best >= 0 ? &p->res.runs[best] : NULL;
        int nb = 0;
        for (int j = 0; b && j < p->res.nruns; j++)
            nb += p->res.runs[j].threads == b->threads && p->res.runs[j].batch == b->batch;
        if (!b || n > nb || (n == nb && (r->threads < b->threads || (r->threads == b->threads && r->batch < b->batch))))
            best = i;
    }
    if (best >= 0) {
        p->threads = p->res.runs[best].threads;
        p->batch = p->res.runs[best].batch;
    } else {
        if (p->threads <= 0) p->threads = 1;
        if (p->batch <= 0) p->batch = 1;
    }
}

static int parse_impls(plot_ctx *p, const char *list) {
    char buf[256], *items[PLOT_MAX_IMPL], why[ERRLEN];
    int n;
    snprintf(buf, sizeof buf, "%s", list);
    if (split_list(buf, items, PLOT_MAX_IMPL, &n, why, sizeof why)) return fail_msg("plot: --impl '%s': %s", list, why);
    p->nimpl = 0;
    for (int i = 0; i < n; i++) {
        if (strlen(items[i]) >= sizeof p->impl[0]) return fail_msg("plot: --impl '%s': bad name", list);
        snprintf(p->impl[p->nimpl++], sizeof p->impl[0], "%s", items[i]);
    }
    return 0;
}

static void pick_impls(plot_ctx *p) {
    if (p->nimpl) return;
    char found[16][32];
    int n = 0;
    for (int i = 0; i < p->res.nruns; i++) {
        const pl_run *r = &p->res.runs[i];
        if (r->threads != p->threads || r->batch != p->batch) continue;
        int k = 0;
        for (; k < n && strcmp(found[k], r->impl); k++) {}
        if (k == n && n < 16) snprintf(found[n++], sizeof found[0], "%s", r->impl);
    }
    qsort(found, (size_t)n, sizeof found[0], cmp_impl);
    for (int i = 0; i < n && p->nimpl < PLOT_MAX_IMPL; i++) snprintf(p->impl[p->nimpl++], sizeof p->impl[0], "%s", found[i]);
    if (n > PLOT_MAX_IMPL)
        fprintf(stderr, "shiftbench plot: charting %d of %d implementations (choose with --impl)\n", PLOT_MAX_IMPL, n);
}

static int has_run(const plot_ctx *p, const char *net) {
    for (int i = 0; i < p->nimpl; i++)
        if (plot_run(p, net, p->impl[i])) return 1;
    return 0;
}

static void add_net(plot_ctx *p, int ci) {
    for (int i = 0; i < p->nnet; i++)
        if (p->net[i] == ci) return;
    if (ci >= 0 && p->nnet < PLOT_MAX_NETS) p->net[p->nnet++] = ci;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The networks charted, the 4C/8C pairs and the breakdown groups. */
static void choose(plot_ctx *p) {
    for (size_t i = 0; i < sizeof compare_set / sizeof *compare_set; i++) add_net(p, plot_cost_index(p, compare_set[i]));
    const char *others[PLOT_MAX_NETS];
    int no = 0;
    for (int i = 0; i < p->res.nruns && no < PLOT_MAX_NETS; i++) {
        const char *n = p->res.runs[i].network;
        int seen = 0;
        for (int k = 0; k < no; k++) seen |= !strcmp(others[k], n);
        if (!seen && has_run(p, n)) others[no++] = n;
    }
    qsort(others, (size_t)no, sizeof *others, cmp_str);
    for (int i = 0; i < no; i++) add_net(p, plot_cost_index(p, others[i]));

    for (int i = 0; i < p->nnet && p->npair < PLOT_MAX_PAIRS; i++) {
        const pl_cost *a = &p->cost[p->net[i]];
        if (a->twin_rank != 0 || !pl_has_shift(a)) continue;
        for (int j = 0; j < p->nnet; j++)
            if (p->cost[p->net[j]].twin_rank == 1 && pl_twins(a, &p->cost[p->net[j]])) {
                p->pair[p->npair][0] = p->net[i];
                p->pair[p->npair++][1] = p->net[j];
                break;
            }
    }
    for (size_t g = 0; g < sizeof groups / sizeof *groups && p->ngroup < PLOT_MAX_GROUPS; g++) {
        int n = 0, measured = 0;
        for (int k = 0; k < PLOT_GROUP_NETS && groups[g][k]; k++) {
            snprintf(p->group[p->ngroup][n++], PL_NAME, "%s", groups[g][k]);
            measured |= has_run(p, groups[g][k]);
        }
        if (measured || !p->res.nruns) p->group_n[p->ngroup++] = n;
    }
}

static void cat_setting(char *buf, size_t len, const char *fmt, const char *v) {
    if (!v || !*v) return;
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, fmt, v);
}

/* The machine and the settings of the charted runs, for every chart's subtitle. */
static void describe(plot_ctx *p) {
    const pl_run *first = NULL;
    char dmin[40] = "", dmax[40] = "";
    for (int i = 0; i < p->res.nruns; i++) {
        const pl_run *r = &p->res.runs[i];
        int ok = 0;
        for (int k = 0; k < p->nimpl; k++) ok |= !strcmp(r->impl, p->impl[k]);
        if (!ok || r->threads != p->threads || r->batch != p->batch) continue;
        if (!first) first = r;
        else if (strcmp(first->cpu, r->cpu)) p->mixed_machines = 1;
        if (r->date[0] && (!dmin[0] || strcmp(r->date, dmin) < 0)) snprintf(dmin, sizeof dmin, "%s", r->date);
        if (r->date[0] && strcmp(r->date, dmax) > 0) snprintf(dmax, sizeof dmax, "%s", r->date);
    }
    char *s = p->subtitle;
    size_t n = sizeof p->subtitle;
    if (!first) {
        snprintf(s, n, "no measurements in %s (run: make run)", p->results_dir);
    } else {
        char cores[32] = "";
        if (first->cores > 0) snprintf(cores, sizeof cores, " (%d cores)", first->cores);
        snprintf(s, n, "%s%s%s | %d thread%s, batch %d", p->mixed_machines ? "several CPUs: " : "",
                 first->cpu[0] ? first->cpu : "unknown CPU", cores, p->threads, p->threads == 1 ? "" : "s", p->batch);
        size_t l = strlen(s);
        if (first->resolution > 0) snprintf(s + l, n - l, ", %dx%d", first->resolution, first->resolution);
        cat_setting(s, n, " | oneDNN %s", first->onednn_version);
        cat_setting(s, n, ", OpenBLAS core %s", first->openblas_core);
        l = strlen(s);
        if (!isnan(first->min_time)) snprintf(s + l, n - l, " | median of >= %d reps, >= %g s", first->min_reps, first->min_time);
        l = strlen(s);
        dmin[10] = dmax[10] = 0;   /* the day is enough */
        if (dmin[0]) snprintf(s + l, n - l, strcmp(dmin, dmax) ? " | %s to %s" : " | %s", dmin, dmax);
    }
    int sources = 0;
    for (int i = 0; i < p->acc.n; i++) sources += strcmp(p->acc.rows[i].source, "user") != 0;
    snprintf(p->cost_subtitle, sizeof p->cost_subtitle,
             "cost: shiftbench cost model, batch 1, %dx%d | top-1: %d documented figure%s%s (sources in the report)",
             p->ncost ? p->cost[0].resolution ? p->cost[0].resolution : 224 : 224,
             p->ncost ? p->cost[0].resolution ? p->cost[0].resolution : 224 : 224, sources, sources == 1 ? "" : "s",
             sources < p->acc.n ? " + the user's" : "");
}

/* Its output goes to DATADIR/NAME.FMT.log (the last lines on stderr when it fails). */
int plot_gnuplot(const plot_ctx *p, const char *name, const char *fmt) {
    char script[PATH_MAX], log[PATH_MAX + 32], e[4096], a[4][PATH_MAX * 2 + 8];
    snprintf(script, sizeof script, "%s/%s.gp", p->plots_dir, name);
    snprintf(log, sizeof log, "%s/%s.%s.log", p->datadir, name, fmt);
    text_gnuplot(p->plots_dir, a[0], sizeof a[0]);
    text_gnuplot(p->datadir, a[1], sizeof a[1]);
    text_gnuplot(p->out_dir, a[2], sizeof a[2]);
    text_gnuplot(p->subtitle, a[3], sizeof a[3]);
    snprintf(e, sizeof e, "plotdir=%s; datadir=%s; outdir=%s; fmt='%s'; subtitle=%s", a[0], a[1], a[2], fmt, a[3]);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        FILE *lf = freopen(log, "w", stderr);
        (void)lf;
        if (!freopen("/dev/null", "w", stdout)) _exit(126);
        execlp("gnuplot", "gnuplot", "-e", e, script, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    if (rc == 0) return 0;
    if (rc == 127) return 127;
    fprintf(stderr, "shiftbench plot: gnuplot failed on %s (%s); the end of %s:\n", script, fmt, log);
    FILE *f = fopen(log, "r");
    if (f) {
        char lines[8][512];
        int n = 0;
        while (fgets(lines[n % 8], sizeof lines[0], f)) n++;
        char safe[TEXT_BUF * 2];   /* gnuplot quotes the script's lines, data strings among them */
        for (int i = n > 8 ? n - 8 : 0; i < n; i++) fprintf(stderr, "  %s\n", text_terminal(lines[i % 8], safe, sizeof safe));
        fclose(f);
    }
    return 1;
}

static void plot_free(plot_ctx *p) {
    pl_results_free(&p->res);
    pl_accuracy_free(&p->acc);
    free(p->cost);
}

int cmd_plot(int argc, char **argv) {
    plot_ctx p;
    memset(&p, 0, sizeof p);
    p.results_dir = "results";
    p.out_dir = "plots/out";
    p.report_path = "results/report.md";
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--sweep")) return plot_sweep(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (a[0] != '-') return fail_msg("plot: unexpected argument '%s' (see shiftbench plot --help)", a);
        if (i + 1 >= argc) return fail_msg("plot: %s needs a value", a);
        const char *v = argv[++i];
        long x;
        if (!strcmp(a, "--results")) p.results_dir = v;
        else if (!strcmp(a, "--out")) p.out_dir = v;
        else if (!strcmp(a, "--report")) p.report_path = v;
        else if (!strcmp(a, "--accuracy")) p.acc_user = v;
        else if (!strcmp(a, "--cost")) p.cost_file = v;
        else if (!strcmp(a, "--impl")) { int rc = parse_impls(&p, v); if (rc) return rc; }
        else if (!strcmp(a, "--threads") || !strcmp(a, "--batch")) {
            if (parse_long(v, 1, 4096, &x)) return fail_msg("plot: %s '%s': expected a number from 1 to 4096", a, v);
            if (a[2] == 't') p.threads = (int)x;
            else p.batch = (int)x;
        } else return fail_msg("plot: unknown option '%s' (see shiftbench plot --help)", a);
    }
    char plots_dir[PATH_MAX], err[ERRLEN], shipped[PATH_MAX + 32];
    data_dir("plots", "SHIFTBENCH_PLOTS", "cost_accuracy.gp", plots_dir, sizeof plots_dir);
    p.plots_dir = plots_dir;

    /* accuracy: the shipped, documented figures, then the user's */
    snprintf(shipped, sizeof shipped, "%s/accuracy.tsv", plots_dir);
    if (pl_accuracy_load(shipped, &p.acc, NULL, err, sizeof err)) { plot_free(&p); return fail_msg("%s", err); }
    if (p.acc_user && pl_accuracy_load(p.acc_user, &p.acc, "user", err, sizeof err)) {
        plot_free(&p);
        return fail_msg("%s", err);
    }
    /* costs: every named network through the cost model, or the file given */
    if (p.cost_file) {
        if (pl_cost_file(p.cost_file, &p.cost, &p.ncost, err, sizeof err)) { plot_free(&p); return fail_msg("%s", err); }
    } else {
        char **names = NULL;
        int n = arch_list(&names);
        for (int i = 0; i < n; i++) {
            pl_cost c;
            if (pl_cost_network(names[i], &c, err, sizeof err)) fprintf(stderr, "shiftbench plot: %s\n", err);
            else add_cost(&p, &c);
            free(names[i]);
        }
        free(names);
    }
    /* results */
    struct stat st;
    if (stat(p.results_dir, &st) && errno == ENOENT) {
        fprintf(stderr, "shiftbench plot: no %s directory: charts of costs only (measure with: make run)\n",
                p.results_dir);
    } else if (pl_results_load(p.results_dir, &p.res, stderr, err, sizeof err)) {
        plot_free(&p);
        return fail_msg("%s", err);
    }
    for (int i = 0; i < p.res.nruns; i++) cost_named(&p, p.res.runs[i].network, &p.res.runs[i]);
    for (int i = 0; i < p.acc.n; i++) cost_named(&p, p.acc.rows[i].network, NULL);

    pick_setting(&p);
    pick_impls(&p);
    choose(&p);
    describe(&p);

    snprintf(p.datadir, sizeof p.datadir, "%s/data", p.out_dir);
    if (make_dirs(p.datadir)) {
        int e = errno;
        plot_free(&p);
        return fail_msg("plot: cannot create %s: %s", p.datadir, strerror(e));
    }
    int rc = 0;
    if (plot_write_data(&p, err, sizeof err)) {
        rc = fail_msg("%s", err);
        plot_free(&p);
        return rc;
    }
    int failed = 0;
    const char *fmts[2] = { "svg", "png" };
    for (size_t c = 0; c < sizeof charts / sizeof *charts && rc != 127; c++)
        for (int f = 0; f < 2; f++) {
            int g = plot_gnuplot(&p, charts[c], fmts[f]);
            if (g == 127) {
                fprintf(stderr, "shiftbench plot: gnuplot is not installed (apt-get install gnuplot-nox): "
                                "data files and the report only\n");
                rc = 127;
                break;
            }
            if (g) failed++;
        }
    char rdir[PATH_MAX];
    snprintf(rdir, sizeof rdir, "%s", p.report_path);
    char *slash = strrchr(rdir, '/');
    if (slash && slash != rdir) {
        *slash = 0;
        make_dirs(rdir);
    }
    if (plot_write_report(&p, err, sizeof err)) {
        plot_free(&p);
        return fail_run("%s", err);
    }
    int charted = 0;
    for (int i = 0; i < p.res.nruns; i++) {
        const pl_run *r = &p.res.runs[i];
        for (int k = 0; k < p.nimpl; k++)
            charted += r->threads == p.threads && r->batch == p.batch && !strcmp(r->impl, p.impl[k]);
    }
    fprintf(stderr, "shiftbench plot: %d run%s charted (%d thread%s, batch %d) from %d results file%s, %d skipped; "
                    "charts in %s, report %s\n",
            charted, charted == 1 ? "" : "s", p.threads, p.threads == 1 ? "" : "s", p.batch, p.res.nfiles,
            p.res.nfiles == 1 ? "" : "s", p.res.nskipped, p.out_dir, p.report_path);
    plot_free(&p);
    return rc == 127 || failed ? 1 : 0;
}
