#include "net_timing.h"

#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "signals.h"

static void forward(void *ex) { exec_forward(ex); }

int net_time(executor *ex, const measure_opts *opts, counters *c, net_progress_fn progress, void *pctx,
             net_timing *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    int ns = ex->nsteps, ne = counters_count(c);
    int cap = opts->min_reps < 16 ? 16 : opts->min_reps;
    t->step = calloc((size_t)ns, sizeof *t->step);
    double *samples = malloc((size_t)cap * ns * sizeof *samples);
    counter_reading *rd = ne ? malloc((size_t)cap * ns * ne * sizeof *rd) : NULL;
    if (!t->step || !samples || (ne && !rd)) {
        free(samples);
        free(rd);
        return set_err(err, errlen, "out of memory for samples");
    }
    for (int w = 0; w < opts->warmup && !interrupted(); w++) exec_forward(ex);

    /* Phase 1: passes with every step timed (and counted) on its own; samples and
     * readings are stored pass after pass ([pass][step]), so growing keeps them. */
    double start = now_sec(), total = 0;
    int n = 0;
    while (n < opts->max_reps && (n < opts->min_reps || total < opts->min_time) && !interrupted()) {
        if (n == cap) {
            int ncap = 2 * cap;
            double *s = realloc(samples, (size_t)ncap * ns * sizeof *s);
            if (s) samples = s;
            counter_reading *r = ne ? realloc(rd, (size_t)ncap * ns * ne * sizeof *r) : NULL;
            if (r) rd = r;
            if (!s || (ne && !r)) break;
            cap = ncap;
        }
        double p0 = now_sec();
        for (int i = 0; i < ns; i++) {
            if (opts->cold && measure_flush_caches()) { free(samples); free(rd); return set_err(err, errlen, "out of memory for the cache flush"); }
            counters_begin(c);
            double t0 = now_sec();
            exec_run_step(ex, i);
            double t1 = now_sec();
            counters_end(c, rd ? rd + ((size_t)n * ns + i) * ne : NULL);
            samples[(size_t)n * ns + i] = t1 - t0;
        }
        total += now_sec() - p0;   /* wall time, flushes included (as measure() counts --cold) */
        n++;
        if (progress) progress("passes", n, opts->min_reps, now_sec() - start, pctx);
    }
    t->reps = n;
    t->interrupted = interrupted();
    for (int i = 0; i < ns; i++) {
        measure_result *m = &t->step[i];
        m->n = n;
        m->samples = malloc((size_t)(n ? n : 1) * sizeof *m->samples);
        m->ncounters = ne;
        m->counters = ne ? calloc((size_t)ne, sizeof *m->counters) : NULL;
        if (!m->samples || (ne && !m->counters)) { free(samples); free(rd); return set_err(err, errlen, "out of memory"); }
        for (int r = 0; r < n; r++) m->samples[r] = samples[(size_t)r * ns + i];
        if (n) stats_compute(m->samples, n, &m->stats);
        if (ne && n) {
            counter_reading *mine = malloc((size_t)n * ne * sizeof *mine);   /* this step's rows */
            if (!mine) { free(samples); free(rd); return set_err(err, errlen, "out of memory"); }
            for (int r = 0; r < n; r++) memcpy(mine + (size_t)r * ne, rd + ((size_t)r * ns + i) * ne, (size_t)ne * sizeof *mine);
            counters_summarize(c, mine, n, m->counters);
            free(mine);
        }
        m->interrupted = t->interrupted;
    }
    free(samples);
    free(rd);
    if (t->interrupted) return 0;

    /* Phase 2: the pass alone, as an application would run it. */
    measure_opts po = *opts;
    po.warmup = 1;
    if (progress) progress("whole passes", 0, 1, now_sec() - start, pctx);
    if (measure(forward, ex, &po, NULL, &t->pass, err, errlen)) return -1;
    t->interrupted = t->pass.interrupted;
    return 0;
}

void net_timing_free(net_timing *t, int nsteps) {
    for (int i = 0; t->step && i < nsteps; i++) measure_result_free(&t->step[i]);
    free(t->step);
    measure_result_free(&t->pass);
    memset(t, 0, sizeof *t);
}
