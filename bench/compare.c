/* `shiftbench compare A.json B.json`: ratio of medians B/A per matching record and in
 * total, with a Mann-Whitney test on the samples so noise is not read as a change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "commands.h"
#include "results.h"
#include "stats.h"
#include "sweep.h"

static int usage(FILE *f, int rc) {
    fprintf(f, "usage: shiftbench compare [--alpha P] A.json B.json\n"
               "       shiftbench compare --sweep DIR [--sweep DIR]...  (sweep points by machine)\n\n"
               "Matches the records of two results files by name and op (and impl when both have\n"
               "it), prints the ratio of median times B/A and a two-sided Mann-Whitney p-value on\n"
               "the samples; '*' marks p < alpha (default 0.01). The total is the ratio of the\n"
               "whole-pass medians (net) or of the sums of the matched medians.\n");
    return rc;
}

static const char *str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double median_of(const json_t *rec) {
    json_t *m = json_object_get(json_object_get(rec, "stats"), "median");
    return json_is_number(m) ? json_number_value(m) : 0;
}

/* The index in b of the unused record matching a, or -1. exact: name, op and impl;
 * otherwise name and op alone (A/B runs of different implementations). */
static int find_match(const json_t *a, const json_t *recs, const char *used, int exact) {
    for (size_t j = 0; j < json_array_size(recs); j++) {
        const json_t *b = json_array_get(recs, j);
        if (used[j] || strcmp(str(a, "name"), str(b, "name")) || strcmp(str(a, "op"), str(b, "op"))) continue;
        if (exact && strcmp(str(a, "impl"), str(b, "impl"))) continue;
        return (int)j;
    }
    return -1;
}

static void fmt_time(char *buf, size_t len, double t) {
    if (t >= 1) snprintf(buf, len, "%.3f s", t);
    else if (t >= 1e-3) snprintf(buf, len, "%.3f ms", t * 1e3);
    else snprintf(buf, len, "%.3f us", t * 1e6);
}

/* One comparison line; returns 1 when significant. */
static int row(const char *name, const char *op, const char *impl, const json_t *a, const json_t *b, double alpha) {
    double ma = median_of(a), mb = median_of(b);
    double *sa, *sb;
    int na, nb;
    stats_mw mw = { .p = -1 };
    int ok_a = results_samples(a, &sa, &na) == 0, ok_b = results_samples(b, &sb, &nb) == 0;
    if (!ok_a || !ok_b || stats_mann_whitney(sa, na, sb, nb, &mw)) mw.p = -1;
    free(sa);
    free(sb);
    char ta[32], tb[32], pv[16];
    fmt_time(ta, sizeof ta, ma);
    fmt_time(tb, sizeof tb, mb);
    int sig = mw.p >= 0 && mw.p < alpha;
    if (mw.p >= 0) snprintf(pv, sizeof pv, "%.2g", mw.p); else snprintf(pv, sizeof pv, "-");
    printf("%-34s %-9s %-19s %12s %12s %7.3f %8s %s\n", name, op, impl, ta, tb,
           ma > 0 ? mb / ma : 0, pv, sig ? (mb < ma ? "* faster" : "* slower") : "");
    return sig;
}

/* Context fields that make two runs incomparable when they differ: worth a note. */
static void context_notes(const json_t *a, const json_t *b) {
    static const char *const keys[] = { "cpu_model", "threads", "openblas_core", "onednn_isa", "compiler", "cflags" };
    const json_t *ca = json_object_get(a, "context"), *cb = json_object_get(b, "context");
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *x = json_object_get(ca, keys[i]), *y = json_object_get(cb, keys[i]);
        if (!x || !y || json_equal(x, y)) continue;
        char *sx = json_dumps(x, JSON_ENCODE_ANY), *sy = json_dumps(y, JSON_ENCODE_ANY);
        printf("note: %s differs: %s (A) vs %s (B)\n", keys[i], sx ? sx : "?", sy ? sy : "?");
        free(sx);
        free(sy);
    }
}

int cmd_compare(int argc, char **argv) {
    const char *files[2];
    int nf = 0;
    double alpha = 0.01;
    if (argc > 1 && !strcmp(argv[1], "--sweep")) return sweep_compare(argc, argv);   /* bench/sweep_compare.c */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout, 0);
        if (!strcmp(argv[i], "--alpha")) {
            if (i + 1 >= argc || parse_double(argv[i + 1], &alpha) || alpha <= 0 || alpha >= 1)
                return fail_msg("--alpha: expected a p-value in (0, 1)");
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return fail_msg("compare: unknown option '%s' (try: shiftbench compare --help)", argv[i]);
        } else if (nf < 2) files[nf++] = argv[i];
        else return fail_msg("compare: takes two results files, got more");
    }
    if (nf != 2) return fail_msg("compare: takes two results files (A.json B.json)");
    char err[ERRLEN];
    json_t *doc[2];
    for (int i = 0; i < 2; i++)
        if (!(doc[i] = results_load(files[i], err, sizeof err))) {
            if (i) json_decref(doc[0]);
            return fail_msg("%s", err);
        }
    printf("A: %s (%s, %s)\nB: %s (%s, %s)\n", files[0], str(doc[0], "kind"),
           str(json_object_get(doc[0], "context"), "date"), files[1], str(doc[1], "kind"),
           str(json_object_get(doc[1], "context"), "date"));
    context_notes(doc[0], doc[1]);
    json_t *ra = json_object_get(doc[0], "records"), *rb = json_object_get(doc[1], "records");
    size_t na = json_array_size(ra), nb = json_array_size(rb);
    char *used = calloc(nb + 1, 1);
    int *match = malloc((na + 1) * sizeof *match);
    if (!used || !match) { free(used); free(match); json_decref(doc[0]); json_decref(doc[1]); return fail_msg("out of memory"); }
    /* Exact matches first for every record, so a fallback never takes another's partner. */
    for (size_t i = 0; i < na; i++) match[i] = -1;
    for (int exact = 1; exact >= 0; exact--)
        for (size_t i = 0; i < na; i++)
            if (match[i] < 0 && (match[i] = find_match(json_array_get(ra, i), rb, used, exact)) >= 0)
                used[match[i]] = 1;
    printf("%-34s %-9s %-19s %12s %12s %7s %8s\n", "name", "op", "impl A -> B", "A median", "B median", "B/A", "p");
    int matched = 0, sig = 0, only_a = 0;
    double sum_a = 0, sum_b = 0;
    for (size_t i = 0; i < na; i++) {
        const json_t *a = json_array_get(ra, i);
        if (match[i] < 0) { only_a++; continue; }
        const json_t *b = json_array_get(rb, (size_t)match[i]);
        if (median_of(a) <= 0 || median_of(b) <= 0) continue;   /* no samples (interrupted) */
        char impl[64];
        if (strcmp(str(a, "impl"), str(b, "impl"))) snprintf(impl, sizeof impl, "%s -> %s", str(a, "impl"), str(b, "impl"));
        else snprintf(impl, sizeof impl, "%s", str(a, "impl"));
        sig += row(str(a, "name"), str(a, "op"), impl, a, b, alpha);
        sum_a += median_of(a);
        sum_b += median_of(b);
        matched++;
    }
    free(match);
    int only_b = 0;
    for (size_t j = 0; j < nb; j++) only_b += !used[j];
    free(used);
    json_t *pa = json_object_get(doc[0], "pass"), *pb = json_object_get(doc[1], "pass");
    int passes = pa && pb;
    if (passes && median_of(pa) > 0 && median_of(pb) > 0) {
        sig += row("total (whole pass)", "", "", pa, pb, alpha);
    } else if (matched) {
        char ta[32], tb[32];
        fmt_time(ta, sizeof ta, sum_a);
        fmt_time(tb, sizeof tb, sum_b);
        printf("%-34s %-9s %-19s %12s %12s %7.3f %8s\n", "total (sum of medians)", "", "", ta, tb, sum_b / sum_a, "-");
    }
    printf("%d matched, %d significant (p < %g), %d only in A, %d only in B\n", matched, sig, alpha, only_a, only_b);
    json_decref(doc[0]);
    json_decref(doc[1]);
    if (!matched && !passes) {
        return fail_run("%s and %s have no records in common (matched by name and op)", files[0], files[1]);
    }
    return 0;
}
