/* `shiftbench compare A.json B.json`: ratio of medians B/A per matching record and in
 * total, with a Mann-Whitney test on the samples so noise is not read as a change. Every
 * difference between the two runs is named; records whose work differs are not paired. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "commands.h"
#include "results.h"
#include "stats.h"
#include "sweep.h"

static int usage(FILE *f, int rc) {
    fprintf(f, "usage: shiftbench compare [--alpha P] [--threshold R] [--fail-on-regression]\n"
               "                          [--pair-different-work] A.json B.json\n"
               "       shiftbench compare --sweep DIR [--sweep DIR]...  (sweep points by machine)\n\n"
               "Matches the records of two results files by name and op (and impl when both have\n"
               "it), prints the samples per side (nA, nB), the ratio of median times B/A and a\n"
               "two-sided Mann-Whitney p-value (exact up to %d samples in all); '*' marks a change:\n"
               "p < alpha (default 0.01) and |B/A - 1| >= R (default 0). 'n<' marks a pair with\n"
               "too few samples for any p to reach alpha. Every difference between the runs\n"
               "(settings, machine, completeness) is named. The total is the ratio of the\n"
               "whole-pass medians (net) or of the sums of the matched medians.\n\n"
               "  --fail-on-regression  exit 1 when a record or the total is a slowdown (for CI)\n"
               "  --pair-different-work also pair records whose shape or fused ops differ\n",
            STATS_MW_EXACT_MAX);
    return rc;
}

typedef struct {
    double alpha, threshold;
    int fail_on_regression, pair_different_work;
} compare_opts;

typedef struct { int matched, changed, slower, too_few, work_differs; } compare_tally;

static const char *str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double median_of(const json_t *rec) {
    json_t *m = json_object_get(json_object_get(rec, "stats"), "median");
    return json_is_number(m) ? json_number_value(m) : 0;
}

/* The work a record timed: its shape and the ops fused into it (a conv with its residual
 * add fused does more than one without). */
static int same_work(const json_t *a, const json_t *b) {
    const char *const keys[] = { "shape", "fused" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);
        if ((x || y) && !(x && y && json_equal(x, y))) return 0;
    }
    return 1;
}

/* The index in b of the unused record matching a, or -1. exact: name, op and impl;
 * otherwise name and op alone (A/B runs of different implementations). *differs counts
 * a partner refused because its work differs. */
static int find_match(const json_t *a, const json_t *recs, const char *used, int exact, int any_work, int *differs) {
    for (size_t j = 0; j < json_array_size(recs); j++) {
        const json_t *b = json_array_get(recs, j);
        if (used[j] || strcmp(str(a, "name"), str(b, "name")) || strcmp(str(a, "op"), str(b, "op"))) continue;
        if (exact && strcmp(str(a, "impl"), str(b, "impl"))) continue;
        if (!any_work && !same_work(a, b)) { *differs = 1; continue; }
        return (int)j;
    }
    return -1;
}

static void fmt_time(char *buf, size_t len, double t) {
    if (t >= 1) snprintf(buf, len, "%.3f s", t);
    else if (t >= 1e-3) snprintf(buf, len, "%.3f ms", t * 1e3);
    else snprintf(buf, len, "%.3f us", t * 1e6);
}

/* A record's stats.median and stats.n must be those of its own samples: a file edited by
 * hand (or by a buggy writer) is an error, not a comparison of invented numbers. */
static int check_record(const char *path, const json_t *rec, char *err, size_t errlen) {
    json_t *st = json_object_get(rec, "stats");
    json_t *m = json_object_get(st, "median"), *n = json_object_get(st, "n");
    double *s;
    int ns;
    if (results_samples(rec, &s, &ns)) {   /* no samples: an interrupted record, unless it claims a time */
        if (m) return set_err(err, errlen, "%s: record '%s': stats.median without its samples (nothing to check it "
                              "or test a change with)", path, str(rec, "name"));
        return 0;
    }
    /* A time is real: positive, above the clock's resolution, below a day (else a ratio of
     * them is inf, 0 or 300 digits, and a record of zeros would silently drop out). */
    for (int i = 0; i < ns; i++)
        if (!(s[i] >= 1e-9 && s[i] <= 86400)) {
            double bad = s[i];
            free(s);
            return set_err(err, errlen, "%s: record '%s': sample %d is %.6g s, not a time between 1 ns and a day",
                           path, str(rec, "name"), i, bad);
        }
    double med = stats_median(s, ns);
    free(s);
    if (json_is_integer(n) && json_integer_value(n) != ns)
        return set_err(err, errlen, "%s: record '%s': stats.n %lld but %d samples", path, str(rec, "name"),
                       (long long)json_integer_value(n), ns);
    if (json_is_number(m) && !(fabs(json_number_value(m) - med) <= 1e-6 * fabs(med)))
        return set_err(err, errlen, "%s: record '%s': stats.median %.6g disagrees with the median of its %d samples, %.6g",
                       path, str(rec, "name"), json_number_value(m), ns, med);
    return 0;
}

/* Records sharing name, op and impl with an earlier one in the same file (a batch file
 * listing a descriptor twice): they pair in file order, which the output says. */
static int count_repeats(const json_t *recs) {
    int n = 0;
    for (size_t i = 0; i < json_array_size(recs); i++)
        for (size_t j = 0; j < i; j++) {
            const json_t *a = json_array_get(recs, i), *b = json_array_get(recs, j);
            if (!strcmp(str(a, "name"), str(b, "name")) && !strcmp(str(a, "op"), str(b, "op")) &&
                !strcmp(str(a, "impl"), str(b, "impl"))) { n++; break; }
        }
    return n;
}

static int check_doc(const char *path, const json_t *doc, char *err, size_t errlen) {
    const json_t *recs = json_object_get(doc, "records");
    for (size_t i = 0; i < json_array_size(recs); i++)
        if (check_record(path, json_array_get(recs, i), err, errlen)) return -1;
    json_t *pass = json_object_get(doc, "pass");
    return pass ? check_record(path, pass, err, errlen) : 0;
}

/* One comparison line; counts it in t. */
static void row(const char *name, const char *op, const char *impl, const json_t *a, const json_t *b,
                const compare_opts *o, compare_tally *t) {
    double ma = median_of(a), mb = median_of(b);
    double *sa, *sb;
    int na = 0, nb = 0;
    stats_mw mw = { .p = -1 };
    int ok_a = results_samples(a, &sa, &na) == 0, ok_b = results_samples(b, &sb, &nb) == 0;
    if (!ok_a || !ok_b || stats_mann_whitney(sa, na, sb, nb, &mw)) mw.p = -1;
    free(sa);
    free(sb);
    char ta[32], tb[32], pv[16];
    fmt_time(ta, sizeof ta, ma);
    fmt_time(tb, sizeof tb, mb);
    double ratio = ma > 0 ? mb / ma : 0;
    int too_few = mw.p >= 0 && stats_mw_min_p(na, nb) >= o->alpha;
    int changed = mw.p >= 0 && mw.p < o->alpha && fabs(ratio - 1) >= o->threshold;
    if (mw.p >= 0) snprintf(pv, sizeof pv, "%.2g", mw.p); else snprintf(pv, sizeof pv, "-");
    printf("%-34s %-9s %-19s %4d %4d %12s %12s %7.3f %8s %s\n", name, op, impl, na, nb, ta, tb, ratio, pv,
           changed ? (mb < ma ? "* faster" : "* slower") : too_few ? "n<" : "");
    t->changed += changed;
    t->slower += changed && mb > ma;
    t->too_few += too_few;
}

static void print_value(const json_t *v) {
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    if (!v) printf("(absent)");
    else if (s && strlen(s) > 72) printf("%.69s...", s);
    else printf("%s", s ? s : "?");
    free(s);
}

/* Names every key of x and y (objects, walked together) whose values differ, with its
 * path; the date of a run is no difference. Returns how many. */
static int name_differences(const char *prefix, const json_t *x, const json_t *y) {
    int n = 0;
    const char *key;
    json_t *v;
    for (int side = 0; side < 2; side++) {
        const json_t *here = side ? y : x, *there = side ? x : y;
        json_object_foreach((json_t *)here, key, v) {
            json_t *w = json_object_get(there, key);
            if (side && w) continue;   /* keys in both were seen from x's side */
            if (!strcmp(key, "date")) continue;
            char path[256];
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
            if (json_is_object(v) && json_is_object(w)) { n += name_differences(path, v, w); continue; }
            if (w && json_equal(v, w)) continue;
            printf("differs: %s: ", path);
            print_value(side ? w : v);
            printf(" (A) vs ");
            print_value(side ? v : w);
            printf(" (B)\n");
            n++;
        }
    }
    return n;
}

/* Everything about the two runs that is not their records: kind, completeness, network,
 * settings (--set knobs, impl, batch, resolution, cold, fusion) and the machine. */
static void run_differences(const json_t *a, const json_t *b) {
    json_t *x = json_object(), *y = json_object();
    const char *const keys[] = { "kind", "complete", "context" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *va = json_object_get(a, keys[i]), *vb = json_object_get(b, keys[i]);
        if (va) json_object_set(x, keys[i], va);
        if (vb) json_object_set(y, keys[i], vb);
    }
    if (!name_differences("", x, y)) printf("runs agree on settings and machine\n");
    json_decref(x);
    json_decref(y);
}

static int parse_args(int argc, char **argv, compare_opts *o, const char **files) {
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout, 0) - 1;   /* -1: done, exit 0 */
        if (!strcmp(a, "--alpha")) {
            if (i + 1 >= argc || parse_double(argv[i + 1], &o->alpha) || o->alpha <= 0 || o->alpha >= 1)
                return fail_msg("--alpha: expected a p-value in (0, 1)");
            i++;
        } else if (!strcmp(a, "--threshold")) {
            if (i + 1 >= argc || parse_double(argv[i + 1], &o->threshold) || o->threshold < 0)
                return fail_msg("--threshold: expected a relative change >= 0 (0.05 = 5%%)");
            i++;
        } else if (!strcmp(a, "--fail-on-regression")) {
            o->fail_on_regression = 1;
        } else if (!strcmp(a, "--pair-different-work")) {
            o->pair_different_work = 1;
        } else if (a[0] == '-' && a[1]) {
            return fail_msg("compare: unknown option '%s' (try: shiftbench compare --help)", a);
        } else if (nf < 2) files[nf++] = a;
        else return fail_msg("compare: takes two results files, got more");
    }
    if (nf != 2) return fail_msg("compare: takes two results files (A.json B.json)");
    return 0;
}

int cmd_compare(int argc, char **argv) {
    const char *files[2];
    compare_opts o = { .alpha = 0.01 };
    if (argc > 1 && !strcmp(argv[1], "--sweep")) return sweep_compare(argc, argv);   /* bench/sweep_compare.c */
    int rc = parse_args(argc, argv, &o, files);
    if (rc) return rc < 0 ? 0 : rc;
    char err[ERRLEN];
    json_t *doc[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++)
        if (!(doc[i] = results_load(files[i], err, sizeof err)) || check_doc(files[i], doc[i], err, sizeof err)) {
            json_decref(doc[0]);
            if (i) json_decref(doc[1]);
            return fail_msg("%s", err);
        }
    printf("A: %s (%s, %s)\nB: %s (%s, %s)\n", files[0], str(doc[0], "kind"),
           str(json_object_get(doc[0], "context"), "date"), files[1], str(doc[1], "kind"),
           str(json_object_get(doc[1], "context"), "date"));
    run_differences(doc[0], doc[1]);
    json_t *ra = json_object_get(doc[0], "records"), *rb = json_object_get(doc[1], "records");
    size_t na = json_array_size(ra), nb = json_array_size(rb);
    char *used = calloc(nb + 1, 1);
    int *match = malloc((na + 1) * sizeof *match), *differs = calloc(na + 1, sizeof *differs);
    if (!used || !match || !differs) {
        free(used); free(match); free(differs); json_decref(doc[0]); json_decref(doc[1]);
        return fail_msg("out of memory");
    }
    /* Exact matches first for every record, so a fallback never takes another's partner. */
    for (size_t i = 0; i < na; i++) match[i] = -1;
    for (int exact = 1; exact >= 0; exact--)
        for (size_t i = 0; i < na; i++)
            if (match[i] < 0 &&
                (match[i] = find_match(json_array_get(ra, i), rb, used, exact, o.pair_different_work, &differs[i])) >= 0)
                used[match[i]] = 1;
    printf("%-34s %-9s %-19s %4s %4s %12s %12s %7s %8s\n", "name", "op", "impl A -> B", "nA", "nB", "A median",
           "B median", "B/A", "p");
    compare_tally t = { 0 };
    int only_a = 0;
    double sum_a = 0, sum_b = 0;
    for (size_t i = 0; i < na; i++) {
        const json_t *a = json_array_get(ra, i);
        if (match[i] < 0) { only_a++; t.work_differs += differs[i]; continue; }
        const json_t *b = json_array_get(rb, (size_t)match[i]);
        if (median_of(a) <= 0 || median_of(b) <= 0) continue;   /* no samples (interrupted) */
        char impl[64];
        if (strcmp(str(a, "impl"), str(b, "impl"))) snprintf(impl, sizeof impl, "%s -> %s", str(a, "impl"), str(b, "impl"));
        else snprintf(impl, sizeof impl, "%s", str(a, "impl"));
        row(str(a, "name"), str(a, "op"), impl, a, b, &o, &t);
        sum_a += median_of(a);
        sum_b += median_of(b);
        t.matched++;
    }
    free(match);
    free(differs);
    int only_b = 0;
    for (size_t j = 0; j < nb; j++) only_b += !used[j];
    free(used);
    json_t *pa = json_object_get(doc[0], "pass"), *pb = json_object_get(doc[1], "pass");
    int passes = pa && pb;
    if (passes && median_of(pa) > 0 && median_of(pb) > 0) {
        row("total (whole pass)", "", "", pa, pb, &o, &t);
    } else if (t.matched) {
        char ta[32], tb[32];
        fmt_time(ta, sizeof ta, sum_a);
        fmt_time(tb, sizeof tb, sum_b);
        printf("%-34s %-9s %-19s %4s %4s %12s %12s %7.3f %8s\n", "total (sum of medians)", "", "", "", "", ta, tb,
               sum_b / sum_a, "-");
    }
    printf("%d matched, %d changed (p < %g, |B/A - 1| >= %g), %d only in A, %d only in B\n", t.matched, t.changed,
           o.alpha, o.threshold, only_a, only_b);
    for (int f = 0; f < 2; f++) {
        int rep = count_repeats(json_object_get(doc[f], "records"));
        if (rep)
            printf("note: %d record%s in %s repeat%s the name, op and impl of an earlier one: paired in file order\n",
                   rep, rep == 1 ? "" : "s", f ? "B" : "A", rep == 1 ? "s" : "");
    }
    if (t.work_differs)
        printf("not paired: %d record%s whose shape or fused ops differ between A and B (--pair-different-work pairs them)\n",
               t.work_differs, t.work_differs == 1 ? "" : "s");
    if (t.too_few)
        printf("n<: %d pair%s with too few samples for p to reach %g (run more reps, e.g. --min-reps 5)\n", t.too_few,
               t.too_few == 1 ? "" : "s", o.alpha);
    json_decref(doc[0]);
    json_decref(doc[1]);
    if (!t.matched && !passes)
        return fail_run("%s and %s have no records in common (matched by name and op)", files[0], files[1]);
    if (o.fail_on_regression && t.slower)
        return fail_run("compare: %d regression%s (B slower than A, p < %g, |B/A - 1| >= %g)", t.slower,
                        t.slower == 1 ? "" : "s", o.alpha, o.threshold);
    return 0;
}
