#include "net_timing.h"

#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "signals.h"

/* Sample storage for one run: [pass][step] so that growing keeps what is there. */
typedef struct {
    int cap, ns, ne;
    double *step, *pass;
    counter_reading *rd;
} store;

static int grow(store *s, int cap) {
    double *a = realloc(s->step, (size_t)cap * s->ns * sizeof *a);
    if (a) s->step = a;
    double *b = realloc(s->pass, (size_t)cap * sizeof *b);
    if (b) s->pass = b;
    counter_reading *r = s->ne ? realloc(s->rd, (size_t)cap * s->ns * s->ne * sizeof *r) : NULL;
    if (r) s->rd = r;
    if (!a || !b || (s->ne && !r)) return -1;
    s->cap = cap;
    return 0;
}

/* One pass with every step timed (and counted) on its own. */
static int instrumented_pass(executor *ex, const measure_opts *o, counters *c, store *s, int n) {
    for (int i = 0; i < s->ns; i++) {
        if (o->cold && measure_flush_caches()) return -1;
        counters_begin(c);
        double t0 = now_sec();
        exec_run_step(ex, i);
        double t1 = now_sec();
        counters_end(c, s->rd ? s->rd + ((size_t)n * s->ns + i) * s->ne : NULL);
        s->step[(size_t)n * s->ns + i] = t1 - t0;
    }
    return 0;
}

/* Step i's samples, stats and counters out of the store. */
static int summarize_step(const store *s, counters *c, int i, int n, measure_result *m) {
    m->n = n;
    m->samples = malloc((size_t)(n ? n : 1) * sizeof *m->samples);
    m->ncounters = s->ne;
    m->counters = s->ne ? calloc((size_t)s->ne, sizeof *m->counters) : NULL;
    counter_reading *mine = s->ne ? malloc((size_t)(n ? n : 1) * s->ne * sizeof *mine) : NULL;
    if (!m->samples || (s->ne && (!m->counters || !mine))) { free(mine); return -1; }
    for (int r = 0; r < n; r++) {
        m->samples[r] = s->step[(size_t)r * s->ns + i];
        if (mine) memcpy(mine + (size_t)r * s->ne, s->rd + ((size_t)r * s->ns + i) * s->ne, (size_t)s->ne * sizeof *mine);
    }
    if (n) stats_compute(m->samples, n, &m->stats);
    if (mine && n) counters_summarize(c, mine, n, m->counters);
    free(mine);
    return 0;
}

/* Instrumented passes and whole passes alternate, so both see the same machine (a shared
 * machine's load drifts); the whole pass runs with no timer or counter between steps. */
int net_time(executor *ex, const measure_opts *opts, counters *c, net_progress_fn progress, void *pctx,
             net_timing *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    store s = { .ns = ex->nsteps, .ne = counters_count(c) };
    int rc = 0, n = 0;
    t->step = calloc((size_t)s.ns, sizeof *t->step);
    if (!t->step || grow(&s, opts->min_reps < 16 ? 16 : opts->min_reps)) {
        rc = set_err(err, errlen, "out of memory for samples");
        goto out;
    }
    for (int w = 0; w < opts->warmup && !interrupted(); w++) exec_forward(ex);
    double start = now_sec(), total = 0;
    while (n < opts->max_reps && (n < opts->min_reps || total < opts->min_time) && !interrupted()) {
        if (n == s.cap && grow(&s, 2 * s.cap)) break;   /* keep what we have */
        double p0 = now_sec();
        if (instrumented_pass(ex, opts, c, &s, n)) { rc = set_err(err, errlen, "out of memory for the cache flush"); goto out; }
        if (opts->cold) measure_flush_caches();
        double w0 = now_sec();
        exec_forward(ex);
        double w1 = now_sec();
        s.pass[n++] = w1 - w0;
        total += w1 - p0;   /* wall time, flushes included (as measure() counts --cold) */
        if (progress) progress("passes", n, opts->min_reps, now_sec() - start, pctx);
    }
    t->reps = n;
    t->interrupted = interrupted();
    for (int i = 0; i < s.ns && !rc; i++) {
        if (summarize_step(&s, c, i, n, &t->step[i])) rc = set_err(err, errlen, "out of memory");
        t->step[i].interrupted = t->interrupted;
    }
    if (!rc && n) {   /* the whole pass, as measure() would report it */
        measure_result *p = &t->pass;
        p->n = n;
        p->interrupted = t->interrupted;
        if (!(p->samples = malloc((size_t)n * sizeof *p->samples))) rc = set_err(err, errlen, "out of memory");
        else {
            memcpy(p->samples, s.pass, (size_t)n * sizeof *p->samples);
            stats_compute(p->samples, n, &p->stats);
        }
    }
out:
    free(s.step);
    free(s.pass);
    free(s.rd);
    return rc;
}

void net_timing_free(net_timing *t, int nsteps) {
    for (int i = 0; t->step && i < nsteps; i++) measure_result_free(&t->step[i]);
    free(t->step);
    measure_result_free(&t->pass);
    memset(t, 0, sizeof *t);
}
