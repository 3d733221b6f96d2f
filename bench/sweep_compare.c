/* shiftbench compare --sweep DIR...: the sweep points of many machines side by side, one
 * column per machine (CPU model, ISA, cores), matched by point key, with each machine's
 * ratio to the first and their geometric mean over the points both measured. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/text.h"
#include "../common/util.h"
#include "sweep.h"

#define SC_MAX_MACHINES 16
#define SC_MAX_DIRS 64

static int machine_index(char machines[][320], int *nm, const char *m) {
    for (int i = 0; i < *nm; i++)
        if (!strcmp(machines[i], m)) return i;
    if (*nm >= SC_MAX_MACHINES) return -1;
    snprintf(machines[*nm], 320, "%s", m);
    return (*nm)++;
}

static int cmp_result(const void *a, const void *b) {
    const sweep_result *p = a, *q = b;
    int c = strcmp(p->network, q->network);
    if (c) return c;
    if (p->macs != q->macs) return p->macs < q->macs ? -1 : 1;
    return strcmp(p->key, q->key);
}

int sweep_compare(int argc, char **argv) {
    char *dirs[SC_MAX_DIRS];
    int ndirs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: shiftbench compare --sweep DIR [--sweep DIR]...\n\n"
                   "The points of `shiftbench sweep` results from any number of directories and machines, one\n"
                   "column per machine (CPU model, ISA, cores), matched by point (network, impl, threads and\n"
                   "every knob); the ratio of each machine's median to the first machine's, and their\n"
                   "geometric mean over the points both measured.\n");
            return 0;
        }
        if (strcmp(argv[i], "--sweep") || i + 1 >= argc)
            return fail_msg("compare: with --sweep, only --sweep DIR arguments ('%s')", argv[i]);
        if (ndirs >= SC_MAX_DIRS) return fail_msg("compare: at most %d --sweep directories", SC_MAX_DIRS);
        dirs[ndirs++] = argv[++i];
    }
    sweep_results rs;
    char err[ERRLEN];
    if (sweep_results_load(dirs, ndirs, &rs, stderr, err, sizeof err)) return fail_msg("compare: %s", err);
    if (!rs.n) { sweep_results_free(&rs); return fail_msg("compare: no finished sweep points in the directories given"); }
    char machines[SC_MAX_MACHINES][320];
    int nm = 0;
    for (int i = 0; i < rs.n; i++)
        if (machine_index(machines, &nm, rs.r[i].machine) < 0) {
            sweep_results_free(&rs);
            return fail_msg("compare: more than %d machines", SC_MAX_MACHINES);
        }
    qsort(rs.r, (size_t)rs.n, sizeof *rs.r, cmp_result);
    char t[TEXT_BUF];
    for (int m = 0; m < nm; m++) printf("machine %d: %s\n", m + 1, text_terminal(machines[m], t, sizeof t));
    printf("\n%-22s %-8s %3s %9s", "network", "impl", "thr", "GMACs");
    for (int m = 0; m < nm; m++) printf("   m%d ms%s", m + 1, m ? "  ratio" : "");
    printf("  knobs\n");
    double logsum[SC_MAX_MACHINES] = { 0 };
    int nboth[SC_MAX_MACHINES] = { 0 };
    char *done = calloc((size_t)rs.n, 1);
    for (int i = 0; done && i < rs.n; i++) {
        if (done[i]) continue;
        double ms[SC_MAX_MACHINES];
        for (int m = 0; m < nm; m++) ms[m] = NAN;
        for (int j = i; j < rs.n; j++)
            if (!done[j] && !strcmp(rs.r[j].key, rs.r[i].key)) {
                ms[machine_index(machines, &nm, rs.r[j].machine)] = rs.r[j].median_ms;
                done[j] = 1;
            }
        const sweep_result *r = &rs.r[i];
        char n1[TEXT_BUF], n2[TEXT_BUF];
        printf("%-22s %-8s %3d %9.4f", text_terminal(r->network, n1, sizeof n1), text_terminal(r->impl, n2, sizeof n2),
               r->threads, r->macs / 1e9);
        for (int m = 0; m < nm; m++) {
            if (isnan(ms[m])) printf(" %8s", "-");
            else printf(" %8.3f", ms[m]);
            if (!m) continue;
            if (isnan(ms[m]) || isnan(ms[0])) printf(" %6s", "-");
            else {
                printf(" %6.2f", ms[m] / ms[0]);
                logsum[m] += log(ms[m] / ms[0]);
                nboth[m]++;
            }
        }
        printf("  %s\n", text_terminal(r->set, t, sizeof t));
    }
    free(done);
    for (int m = 1; m < nm; m++)
        if (nboth[m]) printf("machine %d / machine 1: geometric mean %.3f over %d points\n", m + 1,
                             exp(logsum[m] / nboth[m]), nboth[m]);
    sweep_results_free(&rs);
    return 0;
}
