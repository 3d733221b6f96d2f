/* The data behind the charts: results files (latest-file selection, broken and foreign
 * files skipped, per-stage and per-kind sums, the peak), the accuracy file, costs,
 * baselines and 4C/8C twins, and a missing accuracy drawn on the strip. Fixtures in
 * tests/fixtures/plot-results (times are fixed numbers, never measured here). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../plots/extract.h"
#include "../plots/plot.h"
#include "check.h"

#define FIX "tests/fixtures/plot-results"
static int NEAR(double a, double b) { return fabs(a - b) <= 1e-9 * (1 + fabs(b)); }

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static void test_results(void) {
    pl_results r;
    char err[512];
    FILE *warn = tmpfile();
    CHECK(pl_results_load(FIX, &r, warn, err, sizeof err) == 0, "load: %s", err);
    CHECK(r.nfiles == 13, "files looked at: %d", r.nfiles);
    /* broken and foreign files: skipped, each named once */
    CHECK(r.nskipped == 2, "skipped %d", r.nskipped);
    int broken = 0, foreign = 0;
    for (int i = 0; i < r.nskipped; i++) {
        broken += strstr(r.skipped[i], "broken.json") != NULL;
        foreign += strstr(r.skipped[i], "foreign.json") != NULL;
    }
    CHECK(broken == 1 && foreign == 1, "skipped: broken %d foreign %d", broken, foreign);
    char line[1024];
    int lines = 0, named = 0;
    rewind(warn);
    while (fgets(line, sizeof line, warn)) {
        lines++;
        named += strstr(line, "broken.json") || strstr(line, "foreign.json");
    }
    fclose(warn);
    CHECK(named == 2, "warnings naming the files: %d of %d lines", named, lines);

    /* one run per network x impl x threads x batch: resnet50/onednn t1 and t2, resnet50/openblas,
     * resnet101, multi-shift-4c-50 x 2 impls, multi-shift-8c-50 */
    CHECK(r.nruns == 7, "runs %d", r.nruns);
    const pl_run *a = pl_results_find(&r, "resnet50", "onednn", 1, 1);
    CHECK(a && strstr(a->path, "20260102T000000Z") && NEAR(a->pass, 0.040), "latest file wins: %s",
          a ? a->path : "none");
    const pl_run *t2 = pl_results_find(&r, "resnet50", "onednn", 2, 1);
    CHECK(t2 && t2->threads == 2 && NEAR(t2->pass, 0.021), "threads are part of the key");
    CHECK(!pl_results_find(&r, "resnet50", "onednn", 1, 8), "no batch-8 run");
    const pl_run *m8 = pl_results_find(&r, "multi-shift-8c-50", "onednn", 1, 1);
    CHECK(m8 && m8->complete && NEAR(m8->pass, 0.031), "a complete run beats a newer interrupted one");

    /* per-stage and per-kind sums of the step medians (resnet50 fixture, scale 1) */
    if (a) {
        CHECK(a->nlayers == 8, "records %d", a->nlayers);
        CHECK(a->nstages == 4, "stages %d (from the head stage 5)", a->nstages);
        CHECK(NEAR(a->by_stage_cat[0][PL_OTHER], 1.0e-3), "stem 7x7 conv counted as other");
        CHECK(NEAR(a->by_stage_cat[0][PL_POOL], 0.25e-3), "stem max pool");
        CHECK(NEAR(a->by_stage_cat[1][PL_CONV1], 2.0e-3), "layer1 1x1 convs: 0.5 + 1.5 ms");
        CHECK(NEAR(a->by_stage_cat[1][PL_CONV3], 2.0e-3), "layer1 3x3 conv");
        CHECK(NEAR(a->by_stage_cat[1][PL_ADD], 0.125e-3), "layer1 add");
        CHECK(NEAR(a->by_stage_cat[5][PL_POOL], 0.0625e-3) && NEAR(a->by_stage_cat[5][PL_OTHER], 0.25e-3), "head");
        CHECK(NEAR(a->by_cat[PL_POOL], 0.3125e-3) && NEAR(a->by_cat[PL_OTHER], 1.25e-3), "per kind");
        CHECK(NEAR(a->steps, 5.6875e-3), "sum of steps %.9g", a->steps);
        CHECK(!strcmp(a->cpu, "Fixture CPU 9000") && !strcmp(a->impl, "onednn") && a->resolution == 224 &&
              NEAR(a->min_time, 0.5) && a->min_reps == 5, "context");
        CHECK(isnan(a->peak_gflops), "no peak in this run's context");
        CHECK(NEAR(a->layers[3].macs, 115605504) && a->layers[3].cat == PL_CONV3 && a->layers[3].stage == 1,
              "a layer's cost, kind and stage");
    }
    const pl_run *ms = pl_results_find(&r, "multi-shift-4c-50", "onednn", 1, 1);
    CHECK(ms && NEAR(ms->by_cat[PL_SHIFT], 0.75e-3) && NEAR(ms->by_stage_cat[2][PL_POOL], 0.25e-3), "shift, avgpool");
    CHECK(ms && NEAR(ms->peak_gflops, 100) && NEAR(ms->bw_gbs, 20) && NEAR(ms->bw_bytes, 268435456) &&
          NEAR(ms->bw_cache_gbs, 200) && NEAR(ms->bw_cache_bytes, 32768), "peak and roofs from the context");
    const pl_run *mb = pl_results_find(&r, "multi-shift-4c-50", "openblas", 1, 1);
    CHECK(mb && NEAR(mb->by_cat[PL_SHIFTCONV], 1.5e-3) && mb->by_cat[PL_CONV1] == 0, "fused shift+1x1 kept apart");
    /* the peak results file */
    CHECK(NEAR(r.peak.peak_per_core, 100) && NEAR(r.peak.bw_gbs, 20), "peak file: %g", r.peak.peak_per_core);
    pl_results_free(&r);

    CHECK(pl_results_load("tests/fixtures/no-such-dir", &r, NULL, err, sizeof err) == -1 &&
          strstr(err, "no-such-dir"), "missing directory: %s", err);
}

static void test_run_json(void) {
    char err[512];
    pl_run run;
    json_t *d = json_loads("{\"schema\":\"shiftbench-results\",\"version\":1,\"kind\":\"kernel\",\"records\":[]}", 0, NULL);
    CHECK(pl_run_from_json(d, "k.json", &run, err, sizeof err) == -1 && strstr(err, "k.json"), "kernel: %s", err);
    json_decref(d);
    d = json_loads("{\"kind\":\"net\",\"context\":{\"settings\":{\"impl\":\"onednn\"}},\"network\":{},\"records\":[]}", 0,
                   NULL);
    CHECK(pl_run_from_json(d, "n.json", &run, err, sizeof err) == -1 && strstr(err, "name"), "no name: %s", err);
    json_decref(d);
    d = json_loads("{\"kind\":\"net\",\"context\":{\"settings\":{\"impl\":\"own\"}},\"network\":{\"name\":\"x\"},"
                   "\"records\":[{\"name\":\"a\",\"kind\":\"conv1x1\",\"stage\":99}]}", 0, NULL);
    CHECK(pl_run_from_json(d, "s.json", &run, err, sizeof err) == -1 && strstr(err, "stage 99"), "stage: %s", err);
    json_decref(d);
    d = json_loads("{\"kind\":\"net\",\"context\":{\"settings\":{\"impl\":\"own\"}},\"network\":{\"name\":\"x\"},"
                   "\"records\":[{\"name\":\"a\",\"kind\":\"relu\",\"stage\":1}]}", 0, NULL);
    CHECK(pl_run_from_json(d, "ok.json", &run, err, sizeof err) == 0 && isnan(run.pass) && run.nlayers == 1 &&
          isnan(run.layers[0].median) && run.steps == 0 && run.threads == 1 && run.batch == 1,
          "minimal record: no times, no pass");
    pl_run_free(&run);
    json_decref(d);

    CHECK(pl_cat_of_kind("conv3x3") == PL_CONV3 && pl_cat_of_kind("conv1x1") == PL_CONV1 &&
          pl_cat_of_kind("shift") == PL_SHIFT && pl_cat_of_kind("shiftconv") == PL_SHIFTCONV &&
          pl_cat_of_kind("pool") == PL_POOL && pl_cat_of_kind("add") == PL_ADD &&
          pl_cat_of_kind("conv7x7") == PL_OTHER && pl_cat_of_kind("fc") == PL_OTHER &&
          pl_cat_of_kind("relu") == PL_OTHER && pl_cat_of_kind(NULL) == PL_OTHER, "op kind categories");
}

static void test_accuracy(const char *tmp) {
    pl_accuracy a = { 0 };
    char err[512], path[512];
    CHECK(pl_accuracy_load("plots/accuracy.tsv", &a, NULL, err, sizeof err) == 0, "shipped: %s", err);
    const pl_acc *r50 = pl_accuracy_of(&a, "resnet50"), *r101 = pl_accuracy_of(&a, "resnet101");
    CHECK(r50 && NEAR(r50->top1, 76.13) && NEAR(r50->top5, 92.862) &&
          !strcmp(r50->source, "https://pytorch.org/vision/stable/models.html"), "resnet50 documented");
    CHECK(r101 && NEAR(r101->top1, 77.374) && NEAR(r101->top5, 93.546), "resnet101 documented");
    for (int i = 0; i < a.n; i++)
        CHECK(!strncmp(a.rows[i].source, "https://", 8), "every shipped row has a documentation source: %s",
              a.rows[i].network);
    CHECK(!pl_accuracy_of(&a, "multi-shift-4c-50"), "no accuracy shipped for the shift networks");

    /* the user's file: merged over the shipped one, source "user" by default */
    snprintf(path, sizeof path, "%s/user.tsv", tmp);
    write_text(path, "# mine\nmulti-shift-4c-50\t70.5\n\nresnet50\t75.0\t92.0\tmy run\n");
    CHECK(pl_accuracy_load(path, &a, "user", err, sizeof err) == 0, "user: %s", err);
    const pl_acc *m = pl_accuracy_of(&a, "multi-shift-4c-50");
    CHECK(m && NEAR(m->top1, 70.5) && isnan(m->top5) && !strcmp(m->source, "user"), "user row, top5 not recorded");
    r50 = pl_accuracy_of(&a, "resnet50");
    CHECK(r50 && NEAR(r50->top1, 75.0) && !strcmp(r50->source, "my run") && a.n == 4, "user row replaces");
    pl_accuracy_free(&a);

    static const struct { const char *text, *want; } bad[] = {
        { "resnet50\t176\t-\tx\n", ":1: top1 '176'" },
        { "resnet50\tabc\t-\tx\n", ":1: top1 'abc'" },
        { "#c\nresnet50\t76\t70\tx\n", ":2: top5 '70'" },
        { "resnet50\n", ":1: expected network" },
        { "resnet50\t76\t-\n", ":1: no source" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_text(path, bad[i].text);
        pl_accuracy b = { 0 };
        CHECK(pl_accuracy_load(path, &b, NULL, err, sizeof err) == -1 && strstr(err, bad[i].want) &&
                  strstr(err, "user.tsv"), "bad row %zu: %s", i, err);
        pl_accuracy_free(&b);
    }
    pl_accuracy b = { 0 };
    CHECK(pl_accuracy_load("tests/fixtures/none.tsv", &b, "user", err, sizeof err) == -1 && strstr(err, "none.tsv"),
          "missing file: %s", err);
}

static void test_costs(const char *tmp) {
    static const char *names[] = { "resnet50", "resnet101", "resnet26", "multi-shift-4c-50", "multi-shift-8c-50",
                                   "flat-shift-4c-35", "single-shift-4c-101", "no-shift-50" };
    enum { N = sizeof names / sizeof *names };
    pl_cost c[N];
    char err[512];
    for (int i = 0; i < N; i++) CHECK(pl_cost_network(names[i], &c[i], err, sizeof err) == 0, "%s: %s", names[i], err);
    CHECK(c[0].params == 25557032 && c[0].macs == 4089184256.0, "resnet50 from the cost model");
    CHECK(pl_is_resnet(&c[0]) && pl_is_resnet(&c[2]) && !pl_is_resnet(&c[3]) && !pl_is_resnet(&c[7]), "resnets");
    CHECK(pl_has_shift(&c[3]) && !pl_has_shift(&c[7]) && !pl_has_shift(&c[0]), "shift networks");
    CHECK(pl_baseline(c, N, 0) == -1, "a ResNet has no baseline");
    CHECK(pl_baseline(c, N, 3) == 0, "multi-shift-4c-50 -> resnet50 (same blocks), not resnet26");
    CHECK(pl_baseline(c, N, 5) == 1, "flat-shift-4c-35 -> resnet101 (closest in MACs)");
    CHECK(pl_baseline(c, N, 6) == 1, "single-shift-4c-101 -> resnet101");
    CHECK(pl_twins(&c[3], &c[4]) && pl_twins(&c[4], &c[3]), "4C/8C twins");
    CHECK(!pl_twins(&c[3], &c[7]) && !pl_twins(&c[3], &c[3]) && !pl_twins(&c[3], &c[5]), "not twins");
    CHECK(pl_cost_network("resnet51", &c[0], err, sizeof err) == -1 && strstr(err, "resnet51"), "unknown: %s", err);

    char path[512];
    snprintf(path, sizeof path, "%s/cost.json", tmp);
    write_text(path, "{\"schema\":\"shiftbench-cost\",\"version\":1,\"networks\":[{\"name\":\"a\",\"params\":10,"
                     "\"macs\":20,\"flops\":40,\"bytes\":80,\"knobs\":{\"blocks\":[3,4,6,3],\"block\":\"bottleneck\","
                     "\"slots\":[\"conv1x1\",\"conv3x3\",\"conv1x1\"],\"neighbourhood\":4,\"downsample\":\"stride\","
                     "\"inner_residual\":false,\"resolution\":224,\"batch\":1}},{\"name\":\"b\",\"params\":1,\"macs\":2}]}");
    pl_cost *cs;
    int n;
    CHECK(pl_cost_file(path, &cs, &n, err, sizeof err) == 0 && n == 2, "cost file: %s", err);
    if (n == 2) {
        CHECK(cs[0].params == 10 && cs[0].bytes == 80 && cs[0].has_knobs && pl_is_resnet(&cs[0]) && cs[0].nstages == 4,
              "cost file network with knobs");
        CHECK(!cs[1].has_knobs && isnan(cs[1].bytes) && pl_baseline(cs, n, 1) == -1, "without knobs");
        free(cs);
    }
    write_text(path, "{\"networks\":[]}");
    CHECK(pl_cost_file(path, &cs, &n, err, sizeof err) == -1 && strstr(err, "not a shiftbench-cost file"), "%s", err);
}

/* A network without a recorded accuracy goes to the strip (at its cost), never to the
 * accuracy points. */
static void test_strip(const char *tmp) {
    plot_ctx p;
    memset(&p, 0, sizeof p);
    char err[512];
    p.cost = calloc(3, sizeof *p.cost);
    p.ncost = 3;
    CHECK(pl_cost_network("resnet50", &p.cost[0], err, sizeof err) == 0 &&
          pl_cost_network("multi-shift-4c-50", &p.cost[1], err, sizeof err) == 0 &&
          pl_cost_network("multi-shift-8c-50", &p.cost[2], err, sizeof err) == 0, "%s", err);
    CHECK(pl_accuracy_load("plots/accuracy.tsv", &p.acc, NULL, err, sizeof err) == 0, "%s", err);
    p.nnet = 3;
    p.net[0] = 0, p.net[1] = 1, p.net[2] = 2;
    p.npair = 1;
    p.pair[0][0] = 1, p.pair[0][1] = 2;
    p.threads = p.batch = 1;
    snprintf(p.datadir, sizeof p.datadir, "%s", tmp);
    CHECK(plot_write_data(&p, err, sizeof err) == 0, "write data: %s", err);
    char path[1200];
    snprintf(path, sizeof path, "%s/cost_acc.dat", tmp);
    char *s = slurp(path);
    CHECK(s && strstr(s, "resnet50\t25.557032\t4.08918426\t76.13\t92.862\thttps://") && !strstr(s, "multi-shift"),
          "accuracy points: %s", s ? s : "(none)");
    snprintf(path, sizeof path, "%s/noacc_macs.dat", tmp);
    s = slurp(path);
    CHECK(s && strstr(s, "multi-shift-4c-50\t2.44501709\t0\t") && strstr(s, "multi-shift-8c-50") &&
          !strstr(s, "resnet50"), "strip: %s", s ? s : "(none)");
    snprintf(path, sizeof path, "%s/settings.gp", tmp);
    s = slurp(path);
    CHECK(s && strstr(s, "n_acc = 1\n") && strstr(s, "n_noacc = 2\n"), "counts in settings.gp");
    snprintf(path, sizeof path, "%s/4c8c.dat", tmp);
    s = slurp(path);
    CHECK(s && strstr(s, "multi-shift-50\t0\t15.497256\t15.497256\t"), "4C/8C pair row: %s", s ? s : "(none)");
    pl_accuracy_free(&p.acc);
    free(p.cost);
}

int main(void) {
    char tmp[] = "/tmp/test_plot_extract.XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    test_results();
    test_run_json();
    test_accuracy(tmp);
    test_costs(tmp);
    test_strip(tmp);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmp);
    return check_done("test_plot_extract");
}
