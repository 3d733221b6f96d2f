/* The data files behind the charts (tab-separated, one header comment each) and
 * settings.gp, the chart-wide values the gnuplot scripts read. Every number comes from
 * the results, the cost model or the accuracy file; the rest is layout. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/text.h"
#include "../common/util.h"
#include "plot.h"

typedef struct {
    const plot_ctx *p;
    char *err;
    size_t errlen;
    int failed;
} wctx;

static FILE *dat_open(wctx *w, const char *name, const char *header) {
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", w->p->datadir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        if (!w->failed) set_err(w->err, w->errlen, "%s: %s", path, strerror(errno));
        w->failed = 1;
        return NULL;
    }
    fprintf(f, "# %s\n", header);
    return f;
}

static void dat_close(wctx *w, FILE *f) {
    if (f && (ferror(f) | fclose(f)) && !w->failed) {
        set_err(w->err, w->errlen, "%s: write error", w->p->datadir);
        w->failed = 1;
    }
}

/* Strings from the results and accuracy files, quoted for where they go (common/text.h):
 * gnuplot string literals in settings.gp, fields in the data files. */
static void gp_str(FILE *f, const char *s) {
    char q[TEXT_BUF];
    fputs(text_gnuplot(s, q, sizeof q), f);
}
#define DF(s) text_datafield((s), (char[TEXT_BUF]){ 0 }, TEXT_BUF)

static void gp_num(FILE *f, const char *name, double v) {
    if (isnan(v) || isinf(v)) fprintf(f, "%s = NaN\n", name);
    else fprintf(f, "%s = %.9g\n", name, v);
}

static double ms(double s) { return s * 1e3; }

/* A number for a data file: "NaN" (gnuplot's missing value here) when there is none. */
static const char *g9(double v, char *buf) {
    if (isnan(v) || isinf(v)) return "NaN";
    snprintf(buf, 32, "%.9g", v);
    return buf;
}

/* ---- 1. cost vs accuracy ---- */

typedef struct { int idx; double x; } strip_pt;

static int cmp_strip(const void *a, const void *b) {
    double d = ((const strip_pt *)a)->x - ((const strip_pt *)b)->x;
    return d < 0 ? -1 : d > 0;
}

/* The strip of networks without an accuracy: a point at each network's cost and its name
 * under it; networks closer than 7% of the axis share a column of names. Returns the most
 * names in one column. */
static int write_strip(wctx *w, const char *file, const char *what, int use_params, double lo, double hi) {
    const plot_ctx *p = w->p;
    strip_pt pts[PLOT_MAX_NETS * 2];
    int n = 0;
    for (int i = 0; i < p->ncost && n < PLOT_MAX_NETS * 2; i++)
        if (!pl_accuracy_of(&p->acc, p->cost[i].name)) {
            pts[n].idx = i;
            pts[n++].x = use_params ? p->cost[i].params / 1e6 : p->cost[i].macs / 1e9;
        }
    qsort(pts, (size_t)n, sizeof *pts, cmp_strip);
    char hdr[256];
    snprintf(hdr, sizeof hdr, "accuracy not recorded: network, %s, point y, label x, label y (layout)", what);
    FILE *f = dat_open(w, file, hdr);
    if (!f) return 0;
    int most = 0;
    for (int a = 0; a < n;) {
        int b = a;
        while (b + 1 < n && pts[b + 1].x - pts[a].x < 0.07 * (hi - lo)) b++;
        double cx = (pts[a].x + pts[b].x) / 2;
        for (int k = a; k <= b; k++)
            fprintf(f, "%s\t%.9g\t0\t%.9g\t%d\n", DF(p->cost[pts[k].idx].name), pts[k].x, cx, -(k - a) - 1);
        if (b - a + 1 > most) most = b - a + 1;
        a = b + 1;
    }
    dat_close(w, f);
    return most;
}

static void write_cost_accuracy(wctx *w, FILE *gs) {
    const plot_ctx *p = w->p;
    FILE *f = dat_open(w, "cost_acc.dat", "network, params (M), GMACs, top-1 (%), top-5 (%), source");
    double mlo = INFINITY, mhi = -INFINITY, plo = INFINITY, phi = -INFINITY, alo = INFINITY, ahi = -INFINITY;
    int nacc = 0, nno = 0;
    for (int i = 0; i < p->ncost; i++) {
        const pl_cost *c = &p->cost[i];
        mlo = fmin(mlo, c->macs / 1e9), mhi = fmax(mhi, c->macs / 1e9);
        plo = fmin(plo, c->params / 1e6), phi = fmax(phi, c->params / 1e6);
        const pl_acc *a = pl_accuracy_of(&p->acc, c->name);
        if (!a) { nno++; continue; }
        nacc++;
        alo = fmin(alo, a->top1), ahi = fmax(ahi, a->top1);
        char t5[32];
        if (f) fprintf(f, "%s\t%.9g\t%.9g\t%.9g\t%s\t%s\n", DF(c->name), c->params / 1e6, c->macs / 1e9, a->top1,
                       g9(a->top5, t5), DF(a->source));
    }
    dat_close(w, f);
    if (!p->ncost) mlo = plo = 0, mhi = phi = 1;
    double mpad = fmax((mhi - mlo) * 0.16, 0.3), ppad = fmax((phi - plo) * 0.16, 1);
    mlo -= mpad, mhi += mpad, plo -= ppad, phi += ppad;
    if (mlo < 0) mlo = 0;
    if (plo < 0) plo = 0;
    int lines = write_strip(w, "noacc_macs.dat", "GMACs", 0, mlo, mhi);
    int l2 = write_strip(w, "noacc_params.dat", "params (M)", 1, plo, phi);
    if (l2 > lines) lines = l2;
    if (!nacc) alo = 70, ahi = 80;   /* an empty axis; no point is drawn */
    double apad = fmax((ahi - alo) * 0.35, 1.0);
    fprintf(gs, "n_acc = %d\nn_noacc = %d\nstrip_lines = %d\n", nacc, nno, lines);
    gp_num(gs, "macs_lo", mlo), gp_num(gs, "macs_hi", mhi);
    gp_num(gs, "params_lo", plo), gp_num(gs, "params_hi", phi);
    gp_num(gs, "top1_lo", alo - apad), gp_num(gs, "top1_hi", ahi + apad);
    fprintf(gs, "cost_subtitle = ");
    gp_str(gs, p->cost_subtitle);
    fputc('\n', gs);
}

/* ---- 2. 4C vs 8C ---- */

static void write_four_vs_eight(wctx *w, FILE *gs) {
    const plot_ctx *p = w->p;
    FILE *f = dat_open(w, "4c8c.dat", "family, x, params 4C, 8C (M), GMACs 4C, 8C, MB moved 4C, 8C, 4C net, 8C net");
    double ymax[3] = { 0, 0, 0 }, lmax = 0;
    char fam[PL_NAME];
    for (int i = 0; i < p->npair; i++) {
        const pl_cost *a = &p->cost[p->pair[i][0]], *b = &p->cost[p->pair[i][1]];
        plot_family_label(a->name, fam, sizeof fam);
        if (f) fprintf(f, "%s\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%s\t%s\n", DF(fam), i, a->params / 1e6, b->params / 1e6,
                       a->macs / 1e9, b->macs / 1e9, a->bytes / 1e6, b->bytes / 1e6, DF(a->name), DF(b->name));
        ymax[0] = fmax(ymax[0], fmax(a->params, b->params) / 1e6);
        ymax[1] = fmax(ymax[1], fmax(a->macs, b->macs) / 1e9);
        ymax[2] = fmax(ymax[2], fmax(a->bytes, b->bytes) / 1e6);
    }
    dat_close(w, f);
    f = dat_open(w, "4c8c_lat.dat", "family, impl, x, forward pass median 4C (ms), 8C (ms), 8C/4C, "
                                    "p10 and p90 4C (ms), p10 and p90 8C (ms)");
    FILE *m = dat_open(w, "4c8c_missing.dat", "x, label: bars without a measurement");
    int x = 0;
    for (int i = 0; i < p->npair; i++)
        for (int k = 0; k < p->nimpl; k++, x++) {
            const pl_run *ra = plot_run(p, p->cost[p->pair[i][0]].name, p->impl[k]);
            const pl_run *rb = plot_run(p, p->cost[p->pair[i][1]].name, p->impl[k]);
            double a = ra ? ms(ra->pass) : NAN, b = rb ? ms(rb->pass) : NAN;
            plot_family_label(p->cost[p->pair[i][0]].name, fam, sizeof fam);
            char n1[32], n2[32], n3[32], q[4][32];
            if (f) fprintf(f, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", DF(fam), DF(p->impl[k]), x, g9(a, n1), g9(b, n2),
                           g9(b / a, n3), g9(ra ? ms(ra->pass_p10) : NAN, q[0]), g9(ra ? ms(ra->pass_p90) : NAN, q[1]),
                           g9(rb ? ms(rb->pass_p10) : NAN, q[2]), g9(rb ? ms(rb->pass_p90) : NAN, q[3]));
            if (ra && !isnan(ra->pass_p90)) lmax = fmax(lmax, ms(ra->pass_p90));
            if (rb && !isnan(rb->pass_p90)) lmax = fmax(lmax, ms(rb->pass_p90));
            if (isnan(a) && m) fprintf(m, "%.2f\tnot measured\n", x - 0.2);
            if (isnan(b) && m) fprintf(m, "%.2f\tnot measured\n", x + 0.2);
            if (!isnan(a)) lmax = fmax(lmax, a);
            if (!isnan(b)) lmax = fmax(lmax, b);
        }
    dat_close(w, f);
    dat_close(w, m);
    fprintf(gs, "npair = %d\nnlat = %d\n", p->npair, x);
    gp_num(gs, "params_max", ymax[0] * 1.2), gp_num(gs, "gmacs_max", ymax[1] * 1.2);
    gp_num(gs, "mb_max", ymax[2] * 1.2), gp_num(gs, "lat_max", lmax > 0 ? lmax * 1.2 : 1);
}

/* ---- 3. per-layer latency breakdown ---- */

static void stage_name(int s, int nstages, char *buf, size_t len) {
    if (s == 0) snprintf(buf, len, "stem");
    else if (s > nstages) snprintf(buf, len, "head");
    else snprintf(buf, len, "layer%d", s);
}

static void write_breakdown(wctx *w, FILE *gs, int used[PLOT_MAX_GROUPS][PL_NCAT]) {
    const plot_ctx *p = w->p;
    fprintf(gs, "ngroup = %d\narray gname[%d]\narray gnets[%d]\narray gnstage[%d]\narray gmax[%d]\narray gtmax[%d]\n",
            p->ngroup, p->ngroup ? p->ngroup : 1, p->ngroup ? p->ngroup : 1, p->ngroup ? p->ngroup : 1,
            p->ngroup ? p->ngroup * PLOT_MAX_IMPL : 1, p->ngroup ? p->ngroup * PLOT_MAX_IMPL : 1);
    for (int g = 0; g < p->ngroup; g++) {
        int nn = p->group_n[g], nst = 4;
        for (int j = 0; j < nn; j++)
            for (int k = 0; k < p->nimpl; k++) {
                const pl_run *r = plot_run(p, p->group[g][j], p->impl[k]);
                if (r && r->nstages > nst) nst = r->nstages;
            }
        char name[64], st[16];
        snprintf(name, sizeof name, "bdl_%d.dat", g + 1);
        FILE *f = dat_open(w, name, "x, stage: the stage groups of the breakdown");
        for (int s = 0; s <= nst + 1 && f; s++) {
            stage_name(s, nst, st, sizeof st);
            fprintf(f, "%.9g\t%s\n", s * (nn + 1) + (nn - 1) / 2.0, st);
        }
        dat_close(w, f);
        fprintf(gs, "gname[%d] = ", g + 1);
        gp_str(gs, p->group[g][0]);
        fprintf(gs, "\ngnets[%d] = %d\ngnstage[%d] = %d\n", g + 1, nn, g + 1, nst);
        for (int k = 0; k < p->nimpl; k++) {
            double smax = 0, tmax = 0;
            snprintf(name, sizeof name, "bd_%d_%d.dat", g + 1, k + 1);
            f = dat_open(w, name, "x, network, stage, then cumulative ms per op kind (3x3 conv, 1x1 conv, shift, "
                                  "shift+1x1, pooling, add, other): summed step medians");
            snprintf(name, sizeof name, "bdt_%d_%d.dat", g + 1, k + 1);
            FILE *t = dat_open(w, name, "x, network, cumulative ms per op kind (whole network), forward pass ms");
            snprintf(name, sizeof name, "bdm_%d_%d.dat", g + 1, k + 1);
            FILE *m = dat_open(w, name, "x, label: networks without a measurement");
            for (int j = 0; j < nn; j++) {
                const pl_run *r = plot_run(p, p->group[g][j], p->impl[k]);
                if (!r) {
                    if (t) {   /* a column per category and the total */
                        fprintf(t, "%d\t%s", j, DF(p->group[g][j]));
                        for (int c = 0; c <= PL_NCAT; c++) fputs("\tNaN", t);
                        fputc('\n', t);
                    }
                    if (m) fprintf(m, "%d\tnot measured\n", j);
                    for (int s = 0; s <= nst + 1 && f; s++) {
                        fprintf(f, "%d\t%s\tx", s * (nn + 1) + j, DF(p->group[g][j]));
                        for (int c = 0; c < PL_NCAT; c++) fputs("\tNaN", f);
                        fputc('\n', f);
                    }
                    continue;
                }
                double cum = 0;
                if (t) {
                    fprintf(t, "%d\t%s", j, DF(p->group[g][j]));
                    for (int c = 0; c < PL_NCAT; c++) {
                        cum += ms(r->by_cat[c]);
                        fprintf(t, "\t%.9g", cum);
                        if (r->by_cat[c] > 0) used[g][c] = 1;
                    }
                    char n1[32];
                    fprintf(t, "\t%s\n", g9(ms(r->pass), n1));
                }
                tmax = fmax(tmax, fmax(cum, ms(r->pass)));
                for (int s = 0; s <= nst + 1 && f; s++) {
                    stage_name(s, nst, st, sizeof st);
                    fprintf(f, "%d\t%s\t%s", s * (nn + 1) + j, DF(p->group[g][j]), st);
                    cum = 0;
                    for (int c = 0; c < PL_NCAT; c++) {
                        cum += ms(r->by_stage_cat[s][c]);
                        fprintf(f, "\t%.9g", cum);
                    }
                    fputc('\n', f);
                    smax = fmax(smax, cum);
                }
            }
            dat_close(w, f);
            dat_close(w, t);
            dat_close(w, m);
            int gi = g * PLOT_MAX_IMPL + k + 1;
            fprintf(gs, "gmax[%d] = %.9g\ngtmax[%d] = %.9g\n", gi, smax > 0 ? smax * 1.15 : 1, gi, tmax > 0 ? tmax * 1.15 : 1);
        }
    }
    fprintf(gs, "array gcatused[%d]\n", (p->ngroup ? p->ngroup : 1) * PL_NCAT);
    for (int g = 0; g < p->ngroup; g++)
        for (int c = 0; c < PL_NCAT; c++) fprintf(gs, "gcatused[%d] = %d\n", g * PL_NCAT + c + 1, used[g][c]);
}

/* ---- 4. FLOPs are not time; 5. roofline ---- */

plot_roof plot_roofs(const plot_ctx *p) {
    plot_roof r = { NAN, NAN, NAN, NAN, NAN, 0 };
    for (int k = 0; k < p->nimpl; k++)
        for (int i = 0; i < p->nnet; i++) {
            const pl_run *x = plot_run(p, p->cost[p->net[i]].name, p->impl[k]);
            if (!x) continue;
            if (!isnan(x->peak_gflops) && !(x->peak_gflops <= r.peak)) r.peak = x->peak_gflops;
            if (!isnan(x->bw_gbs) && !(x->bw_gbs <= r.bw)) r.bw = x->bw_gbs, r.bw_bytes = x->bw_bytes;
            if (!isnan(x->bw_cache_gbs) && !(x->bw_cache_gbs <= r.bw_cache))
                r.bw_cache = x->bw_cache_gbs, r.bw_cache_bytes = x->bw_cache_bytes;
        }
    if (isnan(r.peak) && !isnan(p->res.peak.peak_per_core)) {
        const pl_run *q = &p->res.peak;
        r.peak = q->peak_per_core * p->threads;
        r.bw = q->bw_gbs, r.bw_bytes = q->bw_bytes, r.bw_cache = q->bw_cache_gbs, r.bw_cache_bytes = q->bw_cache_bytes;
        r.from_file = 1;
    }
    return r;
}

static double lpad_lo(double v) { return v / 1.6; }
static double lpad_hi(double v) { return v * 1.6; }

static void write_layers(wctx *w, FILE *gs) {
    const plot_ctx *p = w->p;
    static const int zero_pos[PL_NCAT] = { 0, 0, 1, 0, 0, 2, 3, 4 };   /* strip columns */
    fprintf(gs, "array lused[%d]\narray rused[%d]\narray lx[%d]\narray ly[%d]\narray rx[%d]\narray ry[%d]\n",
            PLOT_MAX_IMPL * PL_NCAT, PLOT_MAX_IMPL * PL_NCAT, PLOT_MAX_IMPL * 2, PLOT_MAX_IMPL * 2,
            PLOT_MAX_IMPL * 2, PLOT_MAX_IMPL * 2);
    fprintf(gs, "array nzero[%d]\narray nnoflop[%d]\n", PLOT_MAX_IMPL, PLOT_MAX_IMPL);
    for (int k = 0; k < p->nimpl; k++) {
        char name[64];
        snprintf(name, sizeof name, "layers_%d.dat", k + 1);
        FILE *f = dat_open(w, name, "network, step, op kind (1-based), MMACs, median ms, GFLOP/s, FLOP/byte, MFLOPs, "
                           "FLOP/byte of its layers' traffic run apart");
        snprintf(name, sizeof name, "zero_%d.dat", k + 1);
        FILE *z = dat_open(w, name, "strip x (layout), median ms, op kind (1-based), network, step: zero-MAC steps");
        int lused[PL_NCAT] = { 0 }, rused[PL_NCAT] = { 0 }, nz = 0, nnf = 0;
        double mlo = INFINITY, mhi = 0, tlo = INFINITY, thi = 0, ilo = INFINITY, ihi = 0, glo = INFINITY, ghi = 0;
        for (int i = 0; i < p->nnet; i++) {
            const pl_run *r = plot_run(p, p->cost[p->net[i]].name, p->impl[k]);
            for (int l = 0; r && l < r->nlayers; l++) {
                const pl_layer *L = &r->layers[l];
                if (!(L->median > 0)) continue;
                double g = L->exec_flops / L->median / 1e9, in = L->exec_flops / L->bytes,   /* executed work */
                       apart = L->exec_flops / L->bytes_layers;
                char n1[32], n2[32], n3[32], n4[32], n5[32];
                if (f) fprintf(f, "%s\t%s\t%d\t%s\t%.9g\t%s\t%s\t%s\t%s\n", DF(r->network), DF(L->name), L->cat + 1,
                               g9(L->macs / 1e6, n1), ms(L->median), g9(g, n2), g9(in, n3), g9(L->flops / 1e6, n4),
                               g9(apart, n5));
                tlo = fmin(tlo, ms(L->median)), thi = fmax(thi, ms(L->median));
                if (L->macs > 0) {
                    lused[L->cat] = 1;
                    mlo = fmin(mlo, L->macs / 1e6), mhi = fmax(mhi, L->macs / 1e6);
                } else if (!isnan(L->macs)) {
                    lused[L->cat] = 1;
                    /* a spread inside the strip column: layout only */
                    double jit = ((nz * 37) % 61) / 61.0 * 0.6 - 0.3;
                    if (z) fprintf(z, "%.4f\t%.9g\t%d\t%s\t%s\n", zero_pos[L->cat] + jit, ms(L->median), L->cat + 1,
                                   DF(r->network), DF(L->name));
                    nz++;
                }
                if (L->flops > 0 && L->bytes > 0) {
                    rused[L->cat] = 1;
                    ilo = fmin(ilo, in), ihi = fmax(ihi, in), glo = fmin(glo, g), ghi = fmax(ghi, g);
                    if (apart > 0 && isfinite(apart)) ilo = fmin(ilo, apart);
                } else nnf++;
            }
        }
        dat_close(w, f);
        dat_close(w, z);
        plot_roof rf = plot_roofs(p);
        double peak = rf.peak, bw = rf.bw, bwb = rf.bw_bytes, bwc = rf.bw_cache, bwcb = rf.bw_cache_bytes;
        if (!isfinite(mlo)) mlo = 1, mhi = 10;
        if (!isfinite(tlo)) tlo = 0.001, thi = 1;
        if (!isfinite(ilo)) ilo = 0.1, ihi = 100, glo = 0.1, ghi = 10;
        if (!isnan(peak)) ghi = fmax(ghi, peak);
        for (int c = 0; c < PL_NCAT; c++) {
            fprintf(gs, "lused[%d] = %d\n", k * PL_NCAT + c + 1, lused[c]);
            fprintf(gs, "rused[%d] = %d\n", k * PL_NCAT + c + 1, rused[c]);
        }
        fprintf(gs, "nzero[%d] = %d\nnnoflop[%d] = %d\n", k + 1, nz, k + 1, nnf);
        fprintf(gs, "lx[%d] = %.9g\nlx[%d] = %.9g\nly[%d] = %.9g\nly[%d] = %.9g\n", 2 * k + 1, lpad_lo(mlo), 2 * k + 2,
                lpad_hi(mhi), 2 * k + 1, lpad_lo(tlo), 2 * k + 2, lpad_hi(thi));
        fprintf(gs, "rx[%d] = %.9g\nrx[%d] = %.9g\nry[%d] = %.9g\nry[%d] = %.9g\n", 2 * k + 1, lpad_lo(ilo), 2 * k + 2,
                lpad_hi(ihi), 2 * k + 1, lpad_lo(glo), 2 * k + 2, lpad_hi(ghi));
        char v[32];
        snprintf(v, sizeof v, "peak_%d", k + 1), gp_num(gs, v, peak);
        snprintf(v, sizeof v, "bw_%d", k + 1), gp_num(gs, v, bw);
        snprintf(v, sizeof v, "bwbytes_%d", k + 1), gp_num(gs, v, bwb);
        snprintf(v, sizeof v, "bwc_%d", k + 1), gp_num(gs, v, bwc);
        snprintf(v, sizeof v, "bwcbytes_%d", k + 1), gp_num(gs, v, bwcb);
    }
}

int plot_ratios(const plot_ctx *p, ratio_pt *out, int max) {
    int n = 0;
    for (int i = 0; i < p->nnet; i++) {
        int b = pl_baseline(p->cost, p->ncost, p->net[i]);
        if (b < 0) continue;
        const pl_cost *c = &p->cost[p->net[i]], *bc = &p->cost[b];
        for (int k = 0; k < p->nimpl && n < max; k++) {
            const pl_run *r = plot_run(p, c->name, p->impl[k]), *rb = plot_run(p, bc->name, p->impl[k]);
            if (!r || !rb || !(r->pass > 0) || !(rb->pass > 0)) continue;
            /* MACs of what was run (the results' network blocks), else the cost model */
            double ma = isnan(r->macs) ? c->macs : r->macs, mb = isnan(rb->macs) ? bc->macs : rb->macs;
            out[n++] = (ratio_pt){ c->name, p->impl[k], bc->name, k + 1, ma / mb, r->pass / rb->pass, 0 };
        }
    }
    return n;
}

static int cmp_ratio(const void *a, const void *b) {
    const ratio_pt *x = a, *y = b;
    return x->mr != y->mr ? (x->mr < y->mr ? -1 : 1) : (x->lr < y->lr ? -1 : x->lr > y->lr);
}

/* Labels of points that share a MAC ratio are spread vertically (layout only): at least
 * 3.5% of the axis apart, centred on their points, with a leader line to each point. */
static void place_labels(ratio_pt *pt, int n, double lo, double hi, double xrange) {
    qsort(pt, (size_t)n, sizeof *pt, cmp_ratio);
    double sep = 0.035 * (hi - lo);
    for (int a = 0; a < n;) {
        int b = a;
        while (b + 1 < n && pt[b + 1].mr - pt[a].mr < 0.04 * xrange) b++;
        /* by latency ratio within the cluster */
        for (int i = a + 1; i <= b; i++)
            for (int j = i; j > a && pt[j].lr < pt[j - 1].lr; j--) {
                ratio_pt t = pt[j];
                pt[j] = pt[j - 1];
                pt[j - 1] = t;
            }
        double shift = 0;
        for (int i = a; i <= b; i++) {
            pt[i].ly = i > a && pt[i - 1].ly + sep > pt[i].lr ? pt[i - 1].ly + sep : pt[i].lr;
            shift += pt[i].ly - pt[i].lr;
        }
        shift /= b - a + 1;
        for (int i = a; i <= b; i++) pt[i].ly -= shift;
        a = b + 1;
    }
}

static void write_ratio(wctx *w, FILE *gs) {
    const plot_ctx *p = w->p;
    ratio_pt pt[PLOT_MAX_NETS * PLOT_MAX_IMPL];
    double lo = INFINITY, hi = 0;
    int n = plot_ratios(p, pt, PLOT_MAX_NETS * PLOT_MAX_IMPL);
    for (int i = 0; i < n; i++) lo = fmin(lo, fmin(pt[i].mr, pt[i].lr)), hi = fmax(hi, fmax(pt[i].mr, pt[i].lr));
    double xlo = INFINITY, xhi = 0;
    for (int i = 0; i < n; i++) xlo = fmin(xlo, pt[i].mr), xhi = fmax(xhi, pt[i].mr);
    if (!n) lo = xlo = 0.5, hi = xhi = 1.5;
    lo = fmax(0, fmin(lo, 1) - 0.1), hi = fmax(hi, 1) + 0.1;
    xlo = fmax(0, fmin(xlo, 1) - 0.1), xhi = fmax(xhi, 1) + 0.25;   /* room for the labels */
    place_labels(pt, n, lo, hi, xhi - xlo);
    for (int i = 0; i < n; i++) lo = fmin(lo, pt[i].ly - 0.03 * (hi - lo)), hi = fmax(hi, pt[i].ly + 0.03 * (hi - lo));
    FILE *f = dat_open(w, "ratio.dat", "network, impl (1-based), impl, baseline, MAC ratio, latency ratio "
                                       "(forward pass medians, same impl), label x, label y (layout)");
    for (int i = 0; i < n && f; i++)
        fprintf(f, "%s\t%d\t%s\t%s\t%.9g\t%.9g\t%.9g\t%.9g\n", DF(pt[i].net), pt[i].k, DF(pt[i].impl), DF(pt[i].base), pt[i].mr,
                pt[i].lr, pt[i].mr + 0.04 * (xhi - xlo), pt[i].ly);
    dat_close(w, f);
    fprintf(gs, "nratio = %d\n", n);
    gp_num(gs, "ratio_lo", lo), gp_num(gs, "ratio_hi", hi);
    gp_num(gs, "ratio_xlo", xlo), gp_num(gs, "ratio_xhi", xhi);
}

/* ---- 6. fused blocks vs layer by layer ---- */

#define FUSION_MAX 4   /* networks charted */

/* Per network with a --fuse block run and a layer-by-layer run of the same impl (threads,
 * batch): each block's time and traffic (the cost model's, as the steps ran) both ways. */
static void write_fusion(wctx *w, FILE *gs) {
    const plot_ctx *p = w->p;
    int n = 0;
    fprintf(gs, "array fnet[%d]\narray fimpl[%d]\narray ftmax[%d]\narray fbmax[%d]\narray fnblk[%d]\n", FUSION_MAX,
            FUSION_MAX, FUSION_MAX, FUSION_MAX, FUSION_MAX);
    static const char *const impls[] = { "own", "best" };
    for (int i = 0; i < p->nnet && n < FUSION_MAX; i++) {
        const char *net = p->cost[p->net[i]].name;
        const pl_run *fr = NULL, *lr = NULL;
        for (size_t k = 0; k < sizeof impls / sizeof *impls && !(fr && lr); k++) {
            fr = pl_results_find_fused(&p->res, net, impls[k], p->threads, p->batch);
            lr = pl_results_find(&p->res, net, impls[k], p->threads, p->batch);
        }
        if (!fr || !lr) continue;
        char name[64];
        snprintf(name, sizeof name, "fusion_%d.dat", n + 1);
        FILE *f = dat_open(w, name, "x, block, fused ms, layer-by-layer ms (its steps' medians summed), fused MB "
                                    "(the block's input, output, weights), layer-by-layer MB (its steps' traffic summed)");
        double tmax = 0, bmax = 0;
        int nb = 0;
        for (int l = 0; l < fr->nlayers; l++) {
            const pl_layer *B = &fr->layers[l];
            if (strcmp(B->kind, "block")) continue;
            double lt = 0, lb = 0;
            int found = 0;
            for (int m = 0; m < lr->nlayers; m++)
                if (!strcmp(lr->layers[m].block, B->name)) lt += lr->layers[m].median, lb += lr->layers[m].bytes, found = 1;
            if (!found) continue;
            if (f) fprintf(f, "%d\t%s\t%.9g\t%.9g\t%.9g\t%.9g\n", nb, DF(B->name), ms(B->median), ms(lt), B->bytes / 1e6, lb / 1e6);
            tmax = fmax(tmax, fmax(ms(B->median), ms(lt)));
            bmax = fmax(bmax, fmax(B->bytes, lb) / 1e6);
            nb++;
        }
        dat_close(w, f);
        n++;
        fprintf(gs, "fnet[%d] = ", n), gp_str(gs, net), fputc('\n', gs);
        fprintf(gs, "fimpl[%d] = ", n), gp_str(gs, fr->impl), fputc('\n', gs);
        fprintf(gs, "fnblk[%d] = %d\n", n, nb);
        char v[32];
        snprintf(v, sizeof v, "ftmax[%d]", n), gp_num(gs, v, tmax > 0 ? 1.1 * tmax : 1);
        snprintf(v, sizeof v, "fbmax[%d]", n), gp_num(gs, v, bmax > 0 ? 1.1 * bmax : 1);
    }
    fprintf(gs, "nfusion = %d\n", n);
}

int plot_write_data(const plot_ctx *p, char *err, size_t errlen) {
    wctx w = { p, err, errlen, 0 };
    char path[1300];
    snprintf(path, sizeof path, "%s/settings.gp", p->datadir);
    FILE *gs = fopen(path, "w");
    if (!gs) return set_err(err, errlen, "%s: %s", path, strerror(errno));
    fprintf(gs, "# written by shiftbench plot: chart-wide values (gnuplot syntax)\n");
    fprintf(gs, "nimpl = %d\narray impl[%d]\n", p->nimpl, PLOT_MAX_IMPL);
    for (int k = 0; k < p->nimpl; k++) {
        fprintf(gs, "impl[%d] = ", k + 1);
        gp_str(gs, p->impl[k]);
        fputc('\n', gs);
    }
    fprintf(gs, "ncat = %d\narray catlabel[%d]\n", PL_NCAT, PL_NCAT);
    for (int c = 0; c < PL_NCAT; c++) {
        fprintf(gs, "catlabel[%d] = ", c + 1);
        gp_str(gs, pl_cat_label(c));
        fputc('\n', gs);
    }
    fprintf(gs, "nmeasured = %d\n", p->res.nruns);
    int used[PLOT_MAX_GROUPS][PL_NCAT];
    memset(used, 0, sizeof used);
    write_cost_accuracy(&w, gs);
    write_four_vs_eight(&w, gs);
    write_breakdown(&w, gs, used);
    write_layers(&w, gs);
    write_ratio(&w, gs);
    write_fusion(&w, gs);
    if (!w.failed && plot_write_spatial(p, gs, err, errlen)) w.failed = 1;
    if ((ferror(gs) | fclose(gs)) && !w.failed) return set_err(err, errlen, "%s: write error", path);
    return w.failed ? -1 : 0;
}
