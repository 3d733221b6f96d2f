/* The comparison the suite exists for: per network, the spatial op a shift stands in for —
 * the shift (fused into its 1x1, and apart), the depthwise 3x3 (+ its 1x1) and the dense
 * 3x3 — in params, MACs, bytes and measured latency, from `net --impl best` runs (and
 * `best --unfused-shift` for the shift apart). Data file, settings and report section. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../bench/stats.h"
#include "../common/text.h"
#include "../common/util.h"
#include "plot.h"

#define MD(s) text_markdown((s), (char[TEXT_BUF]){ 0 }, TEXT_BUF)
#define DF(s) text_datafield((s), (char[TEXT_BUF]){ 0 }, TEXT_BUF)
#define SP_ALPHA 0.01   /* as the headlines: `compare`'s default */

/* The network families compared: the dense 3x3 network (none for MobileNetV2), the shift
 * one and its depthwise twin. */
/* (single and multi: ResNet-50's blocks; flat: the 35-layer flattened network, its dense
 * baseline the ResNet closest in MACs) */
static const struct { const char *label, *dense, *shift, *dw; } trios[] = {
    { "single-50", "resnet50", "single-shift-4c-50", "single-dw-50" },
    { "multi-50", "resnet50", "multi-shift-4c-50", "multi-dw-50" },
    { "flat-35", "resnet101", "flat-shift-4c-35", "flat-dw-35" },
    { "MobileNetV2", NULL, "mobilenet_v2-shift-4c", "mobilenet_v2" },
};
#define NTRIO (int)(sizeof trios / sizeof *trios)
enum { V_DENSE, V_DW, V_SHIFT, V_FUSED, NVAR };
static const char *const var_label[NVAR] = { "dense 3x3", "depthwise 3x3 + 1x1", "shift + 1x1 (apart)",
                                             "shift + 1x1 (fused)" };

typedef struct {
    const char *net;
    const pl_run *run;            /* NULL: not measured */
    int layers;                   /* spatial steps */
    double macs, bytes, ms;       /* of the spatial steps (and the 1x1 after a dw or a lone shift) */
} sp_var;

/* The spatial steps of run in variant v: dense 3x3 convs; a depthwise conv or a shift run
 * apart with the step after it (its 1x1); the fused shift+1x1 steps. */
static void measure(sp_var *s, int v) {
    const pl_run *r = s->run;
    s->macs = s->bytes = s->ms = 0;
    s->layers = 0;
    for (int i = 0; r && i < r->nlayers; i++) {
        int c = r->layers[i].cat;
        int take = v == V_DENSE ? c == PL_CONV3 : v == V_DW ? c == PL_DW : v == V_SHIFT ? c == PL_SHIFT : c == PL_SHIFTCONV;
        if (!take) continue;
        s->layers++;
        for (int j = i; j <= i + (v == V_DW || v == V_SHIFT) && j < r->nlayers; j++) {
            s->macs += r->layers[j].macs;
            s->bytes += r->layers[j].bytes;
            s->ms += r->layers[j].median * 1e3;
        }
    }
}

static void trio_vars(const plot_ctx *p, int t, sp_var v[NVAR]) {
    const char *nets[NVAR] = { trios[t].dense, trios[t].dw, trios[t].shift, trios[t].shift };
    const char *impls[NVAR] = { "best", "best", "best-unfused", "best" };
    for (int k = 0; k < NVAR; k++) {
        v[k] = (sp_var){ .net = nets[k] };
        if (nets[k]) v[k].run = pl_results_find(&p->res, nets[k], impls[k], p->threads, p->batch);
        measure(&v[k], k);
    }
}

static double cost_of(const plot_ctx *p, const char *net, int what) {
    int i = net ? plot_cost_index(p, net) : -1;
    if (i < 0) return NAN;
    return what == 0 ? p->cost[i].params : what == 1 ? p->cost[i].macs : p->cost[i].bytes;
}

int plot_write_spatial(const plot_ctx *p, FILE *gs, char *err, size_t errlen) {
    char path[1300];
    snprintf(path, sizeof path, "%s/spatial.dat", p->datadir);
    FILE *f = fopen(path, "w");
    if (!f) return set_err(err, errlen, "%s: %s", path, strerror(errno));
    fprintf(f, "# x (layout), family, variant (1-based), variant, network, spatial steps' GMACs, their MB moved, "
               "their summed step medians (ms), pass median, p10, p90 (ms; impl best, best-unfused for the "
               "shift apart), network params (M)\n");
    double ms_max = 0, pass_max = 0, mac_max = 0, mb_max = 0;
    int n = 0;
    for (int t = 0; t < NTRIO; t++) {
        sp_var v[NVAR];
        trio_vars(p, t, v);
        for (int k = 0; k < NVAR; k++) {
            if (!v[k].net) continue;
            const pl_run *r = v[k].run;
            double pm = r ? r->pass * 1e3 : NAN, p10 = r ? r->pass_p10 * 1e3 : NAN, p90 = r ? r->pass_p90 * 1e3 : NAN;
            fprintf(f, "%.3f\t%s\t%d\t%s\t%s\t", t + (k - 1.5) * 0.2, DF(trios[t].label), k + 1, var_label[k], DF(v[k].net));
            if (r) fprintf(f, "%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t", v[k].macs / 1e9, v[k].bytes / 1e6, v[k].ms, pm,
                           p10, p90);
            else fprintf(f, "NaN\tNaN\tNaN\tNaN\tNaN\tNaN\t");
            fprintf(f, "%.9g\n", cost_of(p, v[k].net, 0) / 1e6);
            if (r) {
                ms_max = fmax(ms_max, v[k].ms), mac_max = fmax(mac_max, v[k].macs / 1e9);
                mb_max = fmax(mb_max, v[k].bytes / 1e6);
                pass_max = fmax(pass_max, isnan(p90) ? pm : fmax(pm, p90));
                n++;
            }
        }
    }
    int bad = ferror(f) | fclose(f);
    if (bad) return set_err(err, errlen, "%s: write error", path);
    fprintf(gs, "nspatial = %d\nntrio = %d\narray triolabel[%d]\n", n, NTRIO, NTRIO);
    for (int t = 0; t < NTRIO; t++) fprintf(gs, "triolabel[%d] = '%s'\n", t + 1, trios[t].label);
    fprintf(gs, "array spvarlabel[%d]\n", NVAR);
    for (int k = 0; k < NVAR; k++) fprintf(gs, "spvarlabel[%d] = '%s'\n", k + 1, var_label[k]);
    fprintf(gs, "sp_ms_max = %.9g\nsp_pass_max = %.9g\nsp_mac_max = %.9g\nsp_mb_max = %.9g\n", ms_max ? ms_max : 1,
            pass_max ? pass_max : 1, mac_max ? mac_max : 1, mb_max ? mb_max : 1);
    return 0;
}

/* "1.23× (n 40 vs 38, p10–p90 29.1–30.8 vs 24.0–25.2 ms, p 3e-14)": a's pass over b's, with
 * the spread and the verdict of `compare`'s test. */
static void pass_ratio(FILE *f, const pl_run *a, const pl_run *b) {
    fprintf(f, "%.2f× (", a->pass / b->pass);
    if (!isnan(a->pass_p10) && !isnan(b->pass_p10))
        fprintf(f, "p10–p90 %.2f–%.2f vs %.2f–%.2f ms, ", a->pass_p10 * 1e3, a->pass_p90 * 1e3, b->pass_p10 * 1e3,
                b->pass_p90 * 1e3);
    stats_mw mw;
    int sep = stats_separate(a->pass_samples, a->npass, b->pass_samples, b->npass, SP_ALPHA, &mw);
    if (sep < 0) fprintf(f, "no pass samples: not tested against noise)");
    else fprintf(f, "n %d vs %d passes, %sp %.2g)", a->npass, b->npass, sep ? "" : "within noise, ", mw.p);
}

void plot_report_spatial(FILE *f, const plot_ctx *p, const char *img) {
    fprintf(f, "## Shift vs depthwise 3x3 vs dense 3x3\n\n![shift vs depthwise vs dense](%sspatial.png)\n\n", img);
    fprintf(f, "Is a shift faster than a depthwise convolution on this CPU, apart and fused into its 1x1? Each "
               "network on `--impl best` (the fastest measured implementation per layer), the shift apart on `best "
               "--unfused-shift`; %d thread%s, batch %d.\n\n", p->threads, p->threads == 1 ? "" : "s", p->batch);
    int any = 0;
    for (int t = 0; t < NTRIO; t++) {
        sp_var v[NVAR];
        trio_vars(p, t, v);
        if (!v[V_DW].run || (!v[V_FUSED].run && !v[V_SHIFT].run)) continue;
        if (!any) fprintf(f, "**Headline** (whole forward pass, the shift network over its depthwise twin; below 1: "
                             "the shift is faster):\n\n");
        any = 1;
        fprintf(f, "- %s: ", MD(trios[t].label));
        if (v[V_FUSED].run) {
            fprintf(f, "fused %s / %s ", MD(v[V_FUSED].net), MD(v[V_DW].net));
            pass_ratio(f, v[V_FUSED].run, v[V_DW].run);
            fprintf(f, "; spatial steps %.2f vs %.2f ms", v[V_FUSED].ms, v[V_DW].ms);
        }
        if (v[V_SHIFT].run) {
            fprintf(f, "%sapart ", v[V_FUSED].run ? "; " : "");
            pass_ratio(f, v[V_SHIFT].run, v[V_DW].run);
            fprintf(f, "; spatial steps %.2f vs %.2f ms", v[V_SHIFT].ms, v[V_DW].ms);
        }
        fprintf(f, "\n");
    }
    if (!any) fprintf(f, "Not measured: run `shiftbench net NET --impl best` for a shift network and its depthwise "
                         "twin (and `--unfused-shift` for the shift apart), as `make run` does.\n");
    fprintf(f, "\n| family | variant | network | params (M) | spatial steps | their GMACs | their MB moved | their time "
               "(ms) | whole pass (ms, p10–p90) |\n|---|---|---|--:|--:|--:|--:|--:|--:|\n");
    for (int t = 0; t < NTRIO; t++) {
        sp_var v[NVAR];
        trio_vars(p, t, v);
        for (int k = 0; k < NVAR; k++) {
            if (!v[k].net) continue;
            fprintf(f, "| %s | %s | %s | %.3f | ", k == 0 || (k == 1 && !v[0].net) ? MD(trios[t].label) : "",
                    var_label[k], MD(v[k].net), cost_of(p, v[k].net, 0) / 1e6);
            const pl_run *r = v[k].run;
            if (!r) { fprintf(f, "not measured | | | | |\n"); continue; }
            fprintf(f, "%d | %.3f | %.1f | %.2f | %.2f (%.2f–%.2f) |\n", v[k].layers, v[k].macs / 1e9, v[k].bytes / 1e6,
                    v[k].ms, r->pass * 1e3, r->pass_p10 * 1e3, r->pass_p90 * 1e3);
        }
    }
    fprintf(f, "\nSpatial steps: the dense 3x3 convs; each depthwise 3x3 with the 1x1 after it; each shift run apart "
               "with the 1x1 after it; the fused shift+1x1 steps. Their MACs and bytes are the cost model's per "
               "step, their time the sum of the steps' medians inside the timed passes.\n\n");
}
