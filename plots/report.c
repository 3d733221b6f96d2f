/* results/report.md: the headlines, the machine and settings, and the table behind every
 * chart. Same numbers as the data files: results, cost model, accuracy file. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/stats.h"
#include "../common/text.h"
#include "../common/util.h"
#include "plot.h"

/* Every string from a results, cost or accuracy file (and every path) reaches the report
 * through these (common/text.h): markdown text, or a code span when it can be one. */
#define MD(s) text_markdown((s), (char[TEXT_BUF]){ 0 }, TEXT_BUF)
#define MDC(s) text_markdown_code((s), (char[TEXT_BUF]){ 0 }, TEXT_BUF)

/* The significance level of a headline difference: `compare`'s default. */
#define REPORT_ALPHA 0.01

/* "−39%" / "+4%" / "±0%" (a relative to b). */
static const char *pct(double a, double b, char *buf, size_t len) {
    if (!(b > 0) || isnan(a)) { snprintf(buf, len, "n/a"); return buf; }
    double d = (a / b - 1) * 100;
    long r = lround(d);
    if (r == 0) snprintf(buf, len, "%s0%%", d < 0 ? "−" : d > 0 ? "+" : "±");
    else snprintf(buf, len, "%s%ld%%", r < 0 ? "−" : "+", r < 0 ? -r : r);
    return buf;
}

static const char *fnum(double v, const char *fmt, char *buf, size_t len) {
    if (isnan(v)) snprintf(buf, len, "–");
    else snprintf(buf, len, fmt, v);
    return buf;
}

/* The path of dir as seen from the directory holding file (both made absolute), with a
 * trailing slash ("" for the same directory), for the report's image links. */
static void rel_path(const char *file, const char *dir, char *out, size_t len) {
    char from[PATH_MAX], to[PATH_MAX], fdir[PATH_MAX];
    snprintf(fdir, sizeof fdir, "%s", file);
    char *slash = strrchr(fdir, '/');
    if (slash) *slash = 0;
    else snprintf(fdir, sizeof fdir, ".");
    if (!realpath(fdir, from) || !realpath(dir, to)) { snprintf(out, len, "%s/", dir); return; }
    size_t i = 0, common = 0;
    for (; from[i] && from[i] == to[i]; i++)
        if (from[i] == '/') common = i;
    if (!from[i] && (to[i] == '/' || !to[i])) common = i;
    else if (!to[i] && from[i] == '/') common = i;
    out[0] = 0;
    size_t o = 0;
    for (const char *c = from + common; *c; c++)
        if (*c == '/') o += (size_t)snprintf(out + o, o < len ? len - o : 0, "../");
    const char *rest = to + common;
    while (*rest == '/') rest++;
    if (o < len && *rest) snprintf(out + o, len - o, "%s/", rest);
}

static const char *machine(const plot_ctx *p) {
    for (int k = 0; k < p->nimpl; k++)
        for (int i = 0; i < p->nnet; i++) {
            const pl_run *r = plot_run(p, p->cost[p->net[i]].name, p->impl[k]);
            if (r && r->cpu[0]) return r->cpu;
        }
    return "unknown CPU";
}

static const pl_run *first_run(const plot_ctx *p) {
    for (int k = 0; k < p->nimpl; k++)
        for (int i = 0; i < p->nnet; i++) {
            const pl_run *r = plot_run(p, p->cost[p->net[i]].name, p->impl[k]);
            if (r) return r;
        }
    return NULL;
}

/* The spread of a run's passes, "29.20–30.80". */
static void spread(const pl_run *r, char *buf, size_t len) {
    if (isnan(r->pass_p10) || isnan(r->pass_p90)) snprintf(buf, len, "?");
    else snprintf(buf, len, "%.2f–%.2f", r->pass_p10 * 1e3, r->pass_p90 * 1e3);
}

/* Latency of a against b per implementation, each with its n, spread and the verdict of
 * the same Mann-Whitney test `compare` uses: a difference the samples do not separate
 * reads "within noise", never as a fact. */
static void latency_list(FILE *f, const plot_ctx *p, const char *a, const char *b) {
    char buf[32], sa[64], sb[64];
    int any = 0;
    for (int k = 0; k < p->nimpl; k++) {
        const pl_run *ra = plot_run(p, a, p->impl[k]), *rb = plot_run(p, b, p->impl[k]);
        if (!ra || !rb) continue;
        fprintf(f, "%s%s (%s; ", any ? ", " : "measured latency ", pct(ra->pass, rb->pass, buf, sizeof buf), MD(p->impl[k]));
        any = 1;
        stats_mw mw;
        int sep = stats_separate(ra->pass_samples, ra->npass, rb->pass_samples, rb->npass, REPORT_ALPHA, &mw);
        if (sep < 0) { fprintf(f, "no pass samples in the files: not tested against noise)"); continue; }
        spread(ra, sa, sizeof sa);
        spread(rb, sb, sizeof sb);
        fprintf(f, "n %d vs %d passes, p10–p90 %s vs %s ms; ", ra->npass, rb->npass, sa, sb);
        if (sep) fprintf(f, "p %.2g)", mw.p);
        else if (stats_mw_min_p(ra->npass, rb->npass) >= REPORT_ALPHA) fprintf(f, "within noise: too few passes to tell)");
        else fprintf(f, "within noise, p %.2g)", mw.p);
    }
    if (!any) fprintf(f, "latency not measured");
}

static void headlines(FILE *f, const plot_ctx *p) {
    char b1[32], b2[32], b3[32];
    fprintf(f, "## Headlines\n\n");
    int n = 0;
    for (int i = 0; i < p->nnet; i++) {
        int b = pl_baseline(p->cost, p->ncost, p->net[i]);
        if (b < 0) continue;
        const pl_cost *c = &p->cost[p->net[i]], *bc = &p->cost[b];
        fprintf(f, "- %s vs %s: params %s, MACs %s, ", MD(c->name), MD(bc->name), pct(c->params, bc->params, b1, sizeof b1),
                pct(c->macs, bc->macs, b2, sizeof b2));
        latency_list(f, p, c->name, bc->name);
        fprintf(f, " (%d thread%s, batch %d, %s)\n", p->threads, p->threads == 1 ? "" : "s", p->batch, MD(machine(p)));
        n++;
    }
    for (int i = 0; i < p->npair; i++) {
        const pl_cost *a = &p->cost[p->pair[i][0]], *c = &p->cost[p->pair[i][1]];
        fprintf(f, "- %s vs %s: params %s, MACs %s, bytes moved %s, ", MD(c->name), MD(a->name),
                pct(c->params, a->params, b1, sizeof b1), pct(c->macs, a->macs, b2, sizeof b2),
                pct(c->bytes, a->bytes, b3, sizeof b3));
        latency_list(f, p, c->name, a->name);
        fprintf(f, " (%d thread%s, %s)\n", p->threads, p->threads == 1 ? "" : "s", MD(machine(p)));
        n++;
    }
    if (!n) fprintf(f, "No network with a ResNet baseline or a 4C/8C twin among the costs.\n");
    fprintf(f, "\nLatency = median of the whole forward pass (`pass` record), each network against its baseline on "
               "the same implementation, with the number of passes per side, their spread and the two-sided "
               "Mann-Whitney p (as `shiftbench compare`); \"within noise\" when p >= %g. Baseline: the ResNet "
               "with the same blocks per stage, else the one closest in MACs.\n\n", REPORT_ALPHA);
}

static void settings(FILE *f, const plot_ctx *p) {
    const pl_run *r = first_run(p);
    fprintf(f, "## Machine and settings\n\n");
    if (!r) {
        fprintf(f, "No measurements in %s (run `make run`): the charts show costs and accuracies only.\n\n",
                MDC(p->results_dir));
        return;
    }
    char b[64];
    fprintf(f, "| | |\n|---|---|\n");
    fprintf(f, "| CPU | %s%s |\n", r->cpu[0] ? MD(r->cpu) : "unknown", p->mixed_machines ? " (and others: see the files)" : "");
    if (r->cores) fprintf(f, "| cores | %d |\n", r->cores);
    if (r->hostname[0]) fprintf(f, "| host | %s |\n", MD(r->hostname));
    fprintf(f, "| threads | %d |\n| batch | %d |\n", p->threads, p->batch);
    if (r->resolution) fprintf(f, "| input | %dx%d |\n", r->resolution, r->resolution);
    fprintf(f, "| implementations | ");
    for (int k = 0; k < p->nimpl; k++) fprintf(f, "%s%s", k ? ", " : "", MD(p->impl[k]));
    fprintf(f, " |\n");
    if (r->onednn_version[0]) fprintf(f, "| oneDNN | %s |\n", MD(r->onednn_version));
    if (r->openblas_core[0]) fprintf(f, "| OpenBLAS core | %s |\n", MD(r->openblas_core));
    if (r->compiler[0]) fprintf(f, "| compiler | %s |\n", MD(r->compiler));
    if (!isnan(r->min_time)) fprintf(f, "| timing | median; at least %d repetitions and %s s per measurement |\n",
                                     r->min_reps, fnum(r->min_time, "%g", b, sizeof b));
    plot_roof rf = plot_roofs(p);
    if (!isnan(rf.peak))
        fprintf(f, "| measured peak | %.1f GFLOP/s on %d thread%s; copy %.1f GB/s at %.0f MiB, %.1f GB/s at best (%.0f KiB) |\n",
                rf.peak, p->threads, p->threads == 1 ? "" : "s", rf.bw, rf.bw_bytes / 1048576.0, rf.bw_cache,
                rf.bw_cache_bytes / 1024.0);
    fprintf(f, "\n<details><summary>Results files used (%d)</summary>\n\n", p->res.nruns);
    for (int i = 0; i < p->res.nruns; i++) {
        const pl_run *x = &p->res.runs[i];
        fprintf(f, "- %s: %s, %s, %d thread%s, batch %d, %s%s\n", MDC(x->path), MD(x->network), MD(x->impl), x->threads,
                x->threads == 1 ? "" : "s", x->batch, MD(x->date), x->complete ? "" : " (interrupted run)");
    }
    fprintf(f, "\n</details>\n\n");
}

static int cmp_pass(const void *a, const void *b) {
    double x = (*(const pl_run *const *)a)->pass, y = (*(const pl_run *const *)b)->pass;
    return (x > y) - (x < y);
}

/* The first table: per network, every implementation measured at the charted threads and
 * batch (charted or not: PyTorch's modes too), fastest first, with its passes' spread and
 * how many times faster than it the fastest is. */
static void table_impls(FILE *f, const plot_ctx *p) {
    char b1[32], b2[32];
    fprintf(f, "## Latency per implementation\n\n");
    const pl_run **rs = malloc(((size_t)p->res.nruns + 1) * sizeof *rs);
    if (!rs) { fprintf(f, "(out of memory)\n\n"); return; }
    int rows = 0;
    for (int i = 0; i < p->nnet; i++) {
        const char *net = p->cost[p->net[i]].name;
        int n = 0;
        for (int k = 0; k < p->res.nruns; k++) {
            const pl_run *r = &p->res.runs[k];
            if (!strcmp(r->network, net) && r->threads == p->threads && r->batch == p->batch && r->pass > 0) rs[n++] = r;
        }
        if (!n) continue;
        if (!rows) fprintf(f, "| network | implementation | ms per image | p10–p90 | passes | fastest's speed-up |\n"
                              "|---|---|--:|--:|--:|--:|\n");
        qsort(rs, (size_t)n, sizeof *rs, cmp_pass);
        double nb = p->batch > 0 ? p->batch : 1;
        for (int k = 0; k < n; k++, rows++) {
            const pl_run *r = rs[k];
            if (isnan(r->pass_p10) || isnan(r->pass_p90)) snprintf(b1, sizeof b1, "?");
            else snprintf(b1, sizeof b1, "%.2f–%.2f", r->pass_p10 * 1e3 / nb, r->pass_p90 * 1e3 / nb);
            if (k) snprintf(b2, sizeof b2, "%.2f×", r->pass / rs[0]->pass);
            else snprintf(b2, sizeof b2, "fastest");
            char np[16];
            if (r->npass) snprintf(np, sizeof np, "%d", r->npass);
            else snprintf(np, sizeof np, "–");
            fprintf(f, "| %s | %s | %.2f | %s | %s | %s |\n", MD(net), MD(r->impl), r->pass * 1e3 / nb, b1, np, b2);
        }
    }
    free(rs);
    if (!rows) fprintf(f, "No whole-pass measurements at %d thread%s, batch %d.\n\n", p->threads,
                       p->threads == 1 ? "" : "s", p->batch);
    else fprintf(f, "\nMedian of the whole forward pass over its passes (p10–p90 their spread), divided by the batch "
                    "(%d); %d thread%s. Speed-up: this implementation's median / the fastest's. `pytorch-*` rows are "
                    "tools/torch_peer.py (eager or TorchScript-frozen, `-cl` channels-last, `-slice` the slice-copy "
                    "shift), on the same network and settings.\n\n", p->batch, p->threads, p->threads == 1 ? "" : "s");
}

static void table_cost(FILE *f, const plot_ctx *p, const char *img) {
    char b1[32], b2[32];
    fprintf(f, "## 1. Cost vs accuracy\n\n![cost vs accuracy](%scost_accuracy.png)\n\n", img);
    fprintf(f, "| network | params (M) | GMACs | GFLOPs | MB moved | top-1 (%%) | top-5 (%%) | source |\n"
               "|---|--:|--:|--:|--:|--:|--:|---|\n");
    for (int i = 0; i < p->ncost; i++) {
        const pl_cost *c = &p->cost[i];
        const pl_acc *a = pl_accuracy_of(&p->acc, c->name);
        fprintf(f, "| %s | %.3f | %.3f | %s | %s | ", MD(c->name), c->params / 1e6, c->macs / 1e9,
                fnum(c->flops / 1e9, "%.3f", b1, sizeof b1), fnum(c->bytes / 1e6, "%.1f", b2, sizeof b2));
        if (a) fprintf(f, "%.3f | %s | %s |\n", a->top1, fnum(a->top5, "%.3f", b1, sizeof b1), MD(a->source));
        else fprintf(f, "accuracy not recorded | | |\n");
    }
    fprintf(f, "\nMAC = one multiply-add; bytes = compulsory fp32 traffic. Accuracies are documented figures or the "
               "user's (`--accuracy FILE`); none is estimated.\n\n");
}

static void table_pairs(FILE *f, const plot_ctx *p, const char *img) {
    char fam[PL_NAME], b1[32], b2[32], b3[32];
    fprintf(f, "## 2. 4C vs 8C\n\n![4C vs 8C](%sfour_vs_eight.png)\n\n", img);
    if (!p->npair) { fprintf(f, "No 4C/8C twins among the networks.\n\n"); return; }
    fprintf(f, "| family | quantity | 4C | 8C | 8C vs 4C |\n|---|---|--:|--:|--:|\n");
    for (int i = 0; i < p->npair; i++) {
        const pl_cost *a = &p->cost[p->pair[i][0]], *c = &p->cost[p->pair[i][1]];
        plot_family_label(a->name, fam, sizeof fam);
        fprintf(f, "| %s | params (M) | %.3f | %.3f | %s |\n", MD(fam), a->params / 1e6, c->params / 1e6,
                pct(c->params, a->params, b1, sizeof b1));
        fprintf(f, "| | GMACs | %.3f | %.3f | %s |\n", a->macs / 1e9, c->macs / 1e9, pct(c->macs, a->macs, b1, sizeof b1));
        fprintf(f, "| | MB moved | %.1f | %.1f | %s |\n", a->bytes / 1e6, c->bytes / 1e6,
                pct(c->bytes, a->bytes, b1, sizeof b1));
        for (int k = 0; k < p->nimpl; k++) {
            const pl_run *ra = plot_run(p, a->name, p->impl[k]), *rc = plot_run(p, c->name, p->impl[k]);
            double la = ra ? ra->pass * 1e3 : NAN, lc = rc ? rc->pass * 1e3 : NAN;
            fprintf(f, "| | latency %s (ms) | %s | %s | %s |\n", MD(p->impl[k]), fnum(la, "%.2f", b1, sizeof b1),
                    fnum(lc, "%.2f", b2, sizeof b2), pct(lc, la, b3, sizeof b3));
        }
    }
    fprintf(f, "\n");
}

static void table_breakdown(FILE *f, const plot_ctx *p, const char *img) {
    char b[32];
    fprintf(f, "## 3. Per-layer latency breakdown\n\n");
    for (int g = 0; g < p->ngroup; g++)
        fprintf(f, "![breakdown %s](%sbreakdown_%s.png)\n\n", MD(p->group[g][0]), img, p->group[g][0]);
    fprintf(f, "Summed step medians in ms by stage and op kind; \"steps\" is their sum, \"pass\" the measured "
               "forward pass. A ReLU folded into a conv counts with the conv; \"shift+1x1 (fused)\" is a shift "
               "executed inside the 1x1 conv after it.\n\n");
    for (int g = 0; g < p->ngroup; g++)
        for (int k = 0; k < p->nimpl; k++) {
            fprintf(f, "**");
            for (int j = 0; j < p->group_n[g]; j++) fprintf(f, "%s%s", j ? " vs " : "", MD(p->group[g][j]));
            fprintf(f, ", %s**\n\n| network | stage |", MD(p->impl[k]));
            for (int c = 0; c < PL_NCAT; c++) fprintf(f, " %s |", pl_cat_label(c));
            fprintf(f, " steps | pass |\n|---|---|");
            for (int c = 0; c <= PL_NCAT + 1; c++) fprintf(f, "--:|");
            fprintf(f, "\n");
            for (int j = 0; j < p->group_n[g]; j++) {
                const pl_run *r = plot_run(p, p->group[g][j], p->impl[k]);
                if (!r) { fprintf(f, "| %s | not measured |\n", MD(p->group[g][j])); continue; }
                for (int s = 0; s <= r->nstages + 2; s++) {
                    const double *v = s <= r->nstages + 1 ? r->by_stage_cat[s] : r->by_cat;
                    double tot = 0;
                    char st[16];
                    if (s == 0) snprintf(st, sizeof st, "stem");
                    else if (s == r->nstages + 1) snprintf(st, sizeof st, "head");
                    else if (s == r->nstages + 2) snprintf(st, sizeof st, "**all**");
                    else snprintf(st, sizeof st, "layer%d", s);
                    fprintf(f, "| %s | %s |", s ? "" : MD(r->network), st);
                    for (int c = 0; c < PL_NCAT; c++) {
                        fprintf(f, " %.3f |", v[c] * 1e3);
                        tot += v[c];
                    }
                    fprintf(f, " %.3f | %s |\n", tot * 1e3,
                            s == r->nstages + 2 ? fnum(r->pass * 1e3, "%.3f", b, sizeof b) : "");
                }
            }
            fprintf(f, "\n");
        }
}

static void table_flops(FILE *f, const plot_ctx *p, const char *img) {
    char b1[32], b2[32];
    fprintf(f, "## 4. FLOPs are not time\n\n![FLOPs are not time](%sflops_not_time.png)\n\n", img);
    fprintf(f, "| network | baseline | impl | MAC ratio | latency ratio | latency ratio / MAC ratio |\n"
               "|---|---|---|--:|--:|--:|\n");
    ratio_pt pt[PLOT_MAX_NETS * PLOT_MAX_IMPL];
    int n = plot_ratios(p, pt, PLOT_MAX_NETS * PLOT_MAX_IMPL);
    for (int i = 0; i < n; i++)
        fprintf(f, "| %s | %s | %s | %.3f | %.3f | %.2f |\n", MD(pt[i].net), MD(pt[i].base), MD(pt[i].impl), pt[i].mr, pt[i].lr,
                pt[i].lr / pt[i].mr);
    if (!n) fprintf(f, "| (no network measured with its baseline) | | | | | |\n");
    char points[PATH_MAX];
    snprintf(points, sizeof points, "%s/layers_*.dat", p->datadir);
    fprintf(f, "\n<details><summary>Per op kind</summary>\n\nThe per-layer points are in %s.\n\n", MDC(points));
    fprintf(f, "| network | impl | op kind | steps | MMACs | ms | %% of time | %% of MACs |\n"
               "|---|---|---|--:|--:|--:|--:|--:|\n");
    for (int k = 0; k < p->nimpl; k++)
        for (int i = 0; i < p->nnet; i++) {
            const pl_run *r = plot_run(p, p->cost[p->net[i]].name, p->impl[k]);
            if (!r) continue;
            double macs = 0;
            for (int l = 0; l < r->nlayers; l++)
                if (!isnan(r->layers[l].macs)) macs += r->layers[l].macs;
            for (int c = 0; c < PL_NCAT; c++) {
                int steps = 0;
                double m = 0;
                for (int l = 0; l < r->nlayers; l++)
                    if (r->layers[l].cat == c) {
                        steps++;
                        if (!isnan(r->layers[l].macs)) m += r->layers[l].macs;
                    }
                if (!steps) continue;
                fprintf(f, "| %s | %s | %s | %d | %.1f | %.3f | %s | %s |\n", MD(r->network), MD(r->impl), pl_cat_label(c),
                        steps, m / 1e6, r->by_cat[c] * 1e3,
                        fnum(r->steps > 0 ? 100 * r->by_cat[c] / r->steps : NAN, "%.1f", b1, sizeof b1),
                        fnum(macs > 0 ? 100 * m / macs : NAN, "%.1f", b2, sizeof b2));
            }
        }
    fprintf(f, "\n</details>\n\n");
}

static void table_roofline(FILE *f, const plot_ctx *p, const char *img) {
    char b1[32], b2[32], b3[32];
    fprintf(f, "## 5. Roofline\n\n![roofline](%sroofline.png)\n\n", img);
    plot_roof rf = plot_roofs(p);
    if (isnan(rf.peak)) fprintf(f, "No peak measured (run `shiftbench peak`): the chart has no roofs.\n\n");
    else
        fprintf(f, "Roofs for %d thread%s (%s): %.1f GFLOP/s; copy bandwidth %.1f GB/s (%.0f MiB buffer), "
                   "%.1f GB/s at best (%.0f KiB).\n\n", p->threads, p->threads == 1 ? "" : "s",
                rf.from_file ? "the latest peak results file" : "the highest recorded in the runs' contexts", rf.peak,
                rf.bw, rf.bw_bytes / 1048576.0, rf.bw_cache, rf.bw_cache_bytes / 1024.0);
    fprintf(f, "<details><summary>Per network and op kind</summary>\n\n");
    fprintf(f, "| network | impl | op kind | steps | GFLOP/s achieved | FLOP/byte | %% of peak |\n"
               "|---|---|---|--:|--:|--:|--:|\n");
    for (int k = 0; k < p->nimpl; k++)
        for (int i = 0; i < p->nnet; i++) {
            const pl_run *r = plot_run(p, p->cost[p->net[i]].name, p->impl[k]);
            if (!r) continue;
            for (int c = 0; c < PL_NCAT; c++) {
                double fl = 0, by = 0, t = 0;
                int steps = 0;
                for (int l = 0; l < r->nlayers; l++) {
                    const pl_layer *L = &r->layers[l];
                    if (L->cat != c || !(L->flops > 0) || !(L->bytes > 0) || !(L->median > 0)) continue;
                    fl += L->exec_flops, by += L->bytes, t += L->median, steps++;   /* executed FLOPs */
                }
                if (!steps) continue;
                double g = fl / t / 1e9, pct = 100 * g / rf.peak;
                fprintf(f, "| %s | %s | %s | %d | %s | %s | %s%s |\n", MD(r->network), MD(r->impl), pl_cat_label(c), steps,
                        fnum(g, "%.1f", b1, sizeof b1), fnum(fl / by, "%.2f", b2, sizeof b2),
                        fnum(pct, "%.1f", b3, sizeof b3), pct > 100 ? " ! (above the peak)" : "");
            }
        }
    fprintf(f, "\n</details>\n\nAchieved = the kind's executed FLOPs (no padding taps, no shifted zero rows) / its summed step medians; steps counted as zero FLOPs (shift) are not "
               "on the roofline. Roofs: the FMA peak and copy bandwidths measured by `shiftbench peak`.\n\n");
}

int plot_write_report(const plot_ctx *p, char *err, size_t errlen) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return set_err(err, errlen, "out of memory");
    fprintf(f, "# shiftbench report\n\n");
    fprintf(f, "Written by `shiftbench plot` from the results in %s, the cost model and the accuracy data; "
               "charts in %s (the data behind them in %s).\n\n", MDC(p->results_dir), MDC(p->out_dir), MDC(p->datadir));
    char sub[sizeof p->subtitle * 6];
    fprintf(f, "_%s_\n\n", text_markdown(p->subtitle, sub, sizeof sub));
    headlines(f, p);
    settings(f, p);
    table_impls(f, p);
    char img[PATH_MAX];
    rel_path(p->report_path, p->out_dir, img, sizeof img);
    table_cost(f, p, img);
    table_pairs(f, p, img);
    table_breakdown(f, p, img);
    table_flops(f, p, img);
    table_roofline(f, p, img);
    plot_report_spatial(f, p, img);
    if (p->res.nskipped) {
        fprintf(f, "## Skipped results files\n\n");
        for (int i = 0; i < p->res.nskipped; i++) fprintf(f, "- %s\n", MD(p->res.skipped[i]));
        fprintf(f, "\n");
    }
    fclose(f);
    int rc = write_file_atomic(p->report_path, buf, len, err, errlen);
    free(buf);
    return rc;
}
