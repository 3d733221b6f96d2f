/* Counters: software events count, hardware events are either counted or unavailable
 * with a reason (never 0 for lack of a PMU), unknown names are errors. No timing asserts. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench/counters.h"
#include "../common/util.h"
#include "check.h"

static volatile double sink;

static void busy(void) {
    double x = 0;
    for (long i = 0; i < 20000000; i++) x += (double)i * 0.5;
    sink = x;
}

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double spin(void) {   /* thread-safe work: nothing shared */
    volatile double x = 0;
    for (long i = 0; i < 1000000; i++) x += (double)i * 0.5;
    return x;
}

/* Every event: available with a value, or unavailable with a non-empty reason. */
static void check_stat(const counter_stat *s) {
    if (s->available) CHECK(s->reps > 0 && s->running > 0, "%s: available but reps %d running %g", s->name, s->reps, s->running);
    else CHECK(strlen(s->reason) > 0, "%s: unavailable without a reason", s->name);
}

int main(void) {
    char err[ERRLEN];
    counters *c = counters_open(counters_default_events, counters_default_count, err, sizeof err);
    CHECK(c != NULL, "default events: %s", err);
    if (!c) return check_done("test_counters");
    int n = counters_count(c);
    CHECK(n == counters_default_count, "count %d", n);

    enum { REPS = 3 };
    counter_reading r[REPS * COUNTERS_MAX];
    for (int k = 0; k < REPS; k++) {
        counters_begin(c);
        busy();
        counters_end(c, r + k * n);
    }
    counter_stat s[COUNTERS_MAX];
    counters_summarize(c, r, REPS, s);
    for (int i = 0; i < n; i++) {
        check_stat(&s[i]);
        if (!strcmp(s[i].name, "perf::task-clock"))
            CHECK(s[i].available && s[i].value > 0, "task-clock: %s %g", s[i].reason, s[i].value);
        if (!strcmp(s[i].name, "cycles") && !s[i].available)
            CHECK(strstr(s[i].reason, "perf_event_open") != NULL, "cycles reason: %s", s[i].reason);
        if (!s[i].available) CHECK(counters_reason(c, i) || s[i].reps == 0, "%s", s[i].name);
    }

    /* Page faults counted: touch fresh pages in the interval. */
    int pf = -1;
    for (int i = 0; i < n; i++) if (!strcmp(counters_name(c, i), "perf::page-faults")) pf = i;
    CHECK(pf >= 0, "page-faults in defaults");
    counters_begin(c);
    size_t bytes = 8u << 20;
    volatile char *m = malloc(bytes);
    for (size_t i = 0; m && i < bytes; i += 4096) m[i] = 1;
    counters_end(c, r);
    free((void *)m);
    if (pf >= 0 && !counters_reason(c, pf)) CHECK(r[pf].ok && r[pf].value > 0, "page faults %g", r[pf].value);

    /* A read that fails mid-run: the event becomes unavailable with a reason, no value. */
    int tc = -1;
    for (int i = 0; i < n; i++) if (!strcmp(counters_name(c, i), "perf::task-clock")) tc = i;
    counters_fail_for_test(c, tc);
    counters_begin(c);
    busy();
    counters_end(c, r);
    CHECK(!r[tc].ok, "failed read still has a value");
    CHECK(counters_reason(c, tc) && strstr(counters_reason(c, tc), "read failed"), "reason: %s",
          counters_reason(c, tc) ? counters_reason(c, tc) : "(none)");
    counters_summarize(c, r, 1, s);
    CHECK(!s[tc].available && s[tc].reason[0], "summary after failure");
    counters_close(c);

    /* Software events alone. */
    const char *sw[] = { "perf::task-clock", "perf::context-switches" };
    c = counters_open(sw, 2, err, sizeof err);
    CHECK(c && !counters_reason(c, 0), "task-clock opens: %s", c ? counters_reason(c, 0) : err);
    counters_close(c);

    /* Unknown and malformed names. */
    const char *bad[] = { "perf::task-clock", "foo" };
    c = counters_open(bad, 2, err, sizeof err);
    CHECK(!c && strstr(err, "unknown event 'foo'") && strstr(err, "--list-events"), "unknown: %s", err);
    const char *bad2[] = { "perf::task-clock:nosuchattr" };
    c = counters_open(bad2, 1, err, sizeof err);
    CHECK(!c && strstr(err, "task-clock:nosuchattr"), "malformed: %s", c ? "(opened)" : err);
    counters_close(c);

    /* Every thread of the pool is counted: each of 2 threads spins until its own CPU clock
     * says 0.2 s; task-clock must be their sum (not the calling thread's 0.2 s alone).
     * Thread CPU time, not wall time: the bound holds on a loaded machine too. */
    omp_set_num_threads(2);
    const char *tc1[] = { "perf::task-clock" };
    c = counters_open(tc1, 1, err, sizeof err);
    CHECK(c && counters_threads(c) == 2, "2 pool threads: %s", c ? "" : err);
    if (c && !counters_reason(c, 0)) {
        double cpu[2] = { 0, 0 };
        counters_begin(c);
#pragma omp parallel num_threads(2)
        {
            double t0 = thread_cpu();
            while (thread_cpu() - t0 < 0.2) spin();
            cpu[omp_get_thread_num() & 1] = thread_cpu() - t0;
        }
        counters_end(c, r);
        double sum = (cpu[0] + cpu[1]) * 1e9;
        CHECK(r[0].ok && r[0].value > 1.5 * cpu[0] * 1e9 && r[0].value > 0.8 * sum && r[0].value < 1.25 * sum,
              "task-clock %g ns over 2 threads, their CPU times %g + %g ns", r[0].value, cpu[0] * 1e9, cpu[1] * 1e9);
    }
    counters_close(c);

    c = counters_open(NULL, 0, err, sizeof err);
    CHECK(c && counters_count(c) == 0, "no events");
    counters_begin(c);
    counters_end(c, r);
    counters_close(c);
    return check_done("test_counters");
}
