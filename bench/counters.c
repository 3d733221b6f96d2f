#include "counters.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <omp.h>
#include <perfmon/pfmlib_perf_event.h>

#include "../common/util.h"
#include "stats.h"

const char *const counters_default_events[] = {
    "cycles", "instructions", "perf::LLC-LOAD-MISSES", "branch-misses",
    "perf::task-clock", "perf::page-faults", "perf::context-switches",
};
const int counters_default_count = sizeof counters_default_events / sizeof *counters_default_events;

typedef struct {
    char name[COUNTER_NAME];
    char reason[COUNTER_REASON];   /* "" while available */
    int fd, group, slot, kernel;
    uint64_t v0;
} event;

typedef struct {
    int fd;                        /* leader: one read returns every member */
    int nr;
    int members[COUNTERS_MAX];
    uint64_t e0, r0;
    int have0;                     /* the begin snapshot succeeded */
} group;

/* One thread's events (perf_event_open with pid 0 counts the calling thread). */
typedef struct {
    int n, ngroups;
    event ev[COUNTERS_MAX];
    group g[COUNTERS_MAX];
} tcounters;

/* The pool's: one set per OpenMP thread, opened on that thread; readings are sums. An
 * event is available only when every thread could open it (no partial sums). */
struct counters {
    int nthreads;
    tcounters **t;
};

static int pfm_ready(void) {
    static int state;  /* 0 unknown, 1 ok, -1 failed */
    if (!state) state = pfm_initialize() == PFM_SUCCESS ? 1 : -1;
    return state > 0;
}

static int sys_perf_open(struct perf_event_attr *a, int group_fd) {
    return (int)syscall(SYS_perf_event_open, a, 0, -1, group_fd, 0);
}

static int have_hw_pmu(void) {
    return access("/sys/bus/event_source/devices/cpu", F_OK) == 0 ||
           access("/sys/bus/event_source/devices/cpu_core", F_OK) == 0;
}

static void open_reason(event *e, int err, int sw) {
    const char *hint = "";
    char buf[96] = "";
    if (err == ENOENT && !sw && !have_hw_pmu()) hint = " (no hardware PMU on this machine)";
    else if (err == EACCES || err == EPERM) {
        FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
        int level;
        if (f && fscanf(f, "%d", &level) == 1)
            snprintf(buf, sizeof buf, " (perf_event_paranoid is %d)", level);
        if (f) fclose(f);
        hint = buf;
    }
    snprintf(e->reason, sizeof e->reason, "perf_event_open: %s%s", strerror(err), hint);
}

/* Opens a in the group led by gl (-1: none); when the group refuses it, alone. */
static int open_in_group(struct perf_event_attr *a, int gl, int *alone, int *err) {
    int fd = sys_perf_open(a, gl);
    *alone = 0;
    if (fd < 0 && gl >= 0) { fd = sys_perf_open(a, -1); *alone = fd >= 0; }
    *err = fd < 0 ? errno : 0;
    return fd;
}

/* Opens e in the group of its class (hardware / software), or alone as its own group. */
static void open_event(tcounters *c, event *e, struct perf_event_attr *a, int sw, int *leader) {
    a->size = sizeof *a;
    a->read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    a->disabled = 0;
    a->inherit = 0;
    /* Software events happen in the kernel (a context switch always does): count both
     * levels unless the name sets them or perf_event_paranoid forbids it. */
    int try_kernel = sw && !strstr(e->name, ":u=") && !strstr(e->name, ":k=");
    if (try_kernel) a->exclude_kernel = 0;
    int gl = *leader >= 0 ? c->g[*leader].fd : -1, alone, err;
    int fd = open_in_group(a, gl, &alone, &err);
    if (fd < 0 && try_kernel && (err == EACCES || err == EPERM)) {
        a->exclude_kernel = 1;
        fd = open_in_group(a, gl, &alone, &err);
    }
    if (fd < 0) { open_reason(e, err, sw); return; }
    e->fd = fd;
    e->kernel = !a->exclude_kernel;
    int gi = *leader >= 0 && !alone ? *leader : -1;
    if (gi < 0) {
        gi = c->ngroups++;
        c->g[gi] = (group){ .fd = fd };
        if (*leader < 0) *leader = gi;
    }
    e->group = gi;
    e->slot = c->g[gi].nr;
    c->g[gi].members[c->g[gi].nr++] = (int)(e - c->ev);
}

static void t_close(tcounters *c);

static tcounters *t_open(const char *const names[], int n, char *err, size_t errlen) {
    tcounters *c = calloc(1, sizeof *c);
    if (!c) { set_err(err, errlen, "out of memory"); return NULL; }
    int ok = pfm_ready();
    int leader[2] = { -1, -1 };   /* [0] hardware group, [1] software group */
    for (int i = 0; i < n; i++) {
        event *e = &c->ev[c->n++];
        *e = (event){ .fd = -1, .group = -1 };
        if (strlen(names[i]) >= sizeof e->name) {
            set_err(err, errlen, "event name too long: '%.40s...'", names[i]);
            t_close(c);
            return NULL;
        }
        strcpy(e->name, names[i]);
        if (!ok) { snprintf(e->reason, sizeof e->reason, "libpfm4 failed to initialize"); continue; }
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        pfm_perf_encode_arg_t arg;
        memset(&arg, 0, sizeof arg);
        arg.size = sizeof arg;
        arg.attr = &a;
        int r = pfm_get_os_event_encoding(names[i], PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
        if (r != PFM_SUCCESS) {
            if (r == PFM_ERR_NOTFOUND)
                set_err(err, errlen, "unknown event '%s' (list valid names with: shiftbench kernel --list-events)", names[i]);
            else
                set_err(err, errlen, "bad event '%s': %s (list valid names with: shiftbench kernel --list-events)",
                        names[i], pfm_strerror(r));
            t_close(c);
            return NULL;
        }
        int sw = a.type == PERF_TYPE_SOFTWARE;
        open_event(c, e, &a, sw, &leader[sw]);
    }
    return c;
}

static void t_close(tcounters *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++)
        if (c->ev[i].fd >= 0) close(c->ev[i].fd);
    free(c);
}

counters *counters_open(const char *const names[], int n, char *err, size_t errlen) {
    if (n < 0 || n > COUNTERS_MAX) {
        set_err(err, errlen, "too many events (%d, at most %d)", n, COUNTERS_MAX);
        return NULL;
    }
    counters *c = calloc(1, sizeof *c);
    int nt = omp_get_max_threads();
    if (!c || !(c->t = calloc((size_t)nt, sizeof *c->t))) {
        free(c);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    c->nthreads = nt;
    if (!(c->t[0] = t_open(names, n, err, errlen))) { counters_close(c); return NULL; }   /* bad names */
    /* The pool's other threads open their own: libgomp keeps the same threads for every
     * later parallel region of this size (ours, OpenBLAS's and oneDNN's). */
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        {
            int tid = omp_get_thread_num();
            char werr[ERRLEN];
            if (tid) c->t[tid] = t_open(names, n, werr, sizeof werr);
        }
    }
    for (int k = 1; k < nt; k++) {
        tcounters *w = c->t[k];
        for (int i = 0; i < n; i++) {
            event *e = &c->t[0]->ev[i];
            if (e->reason[0]) continue;
            if (!w) snprintf(e->reason, sizeof e->reason, "pool thread %d: out of memory", k);
            else if (w->ev[i].reason[0]) snprintf(e->reason, sizeof e->reason, "pool thread %d: %s", k, w->ev[i].reason);
        }
    }
    return c;
}

void counters_close(counters *c) {
    if (!c) return;
    for (int k = 0; c->t && k < c->nthreads; k++) t_close(c->t[k]);
    free(c->t);
    free(c);
}

int counters_count(const counters *c) { return c ? c->t[0]->n : 0; }
int counters_threads(const counters *c) { return c ? c->nthreads : 0; }
const char *counters_name(const counters *c, int i) { return c->t[0]->ev[i].name; }
const char *counters_reason(const counters *c, int i) {
    const event *e = &c->t[0]->ev[i];
    return e->reason[0] ? e->reason : NULL;
}

/* A group whose read failed: its events become unavailable for good, with the reason. */
static void group_failed(tcounters *c, group *g, const char *why) {
    for (int k = 0; k < g->nr; k++) {
        event *e = &c->ev[g->members[k]];
        snprintf(e->reason, sizeof e->reason, "read failed during the run: %s", why);
        if (e->fd >= 0 && e->fd != g->fd) close(e->fd);
        e->fd = -1;
    }
    if (g->fd >= 0) close(g->fd);
    g->fd = -1;
    g->nr = 0;
}

/* Reads one group: buf = { nr, time_enabled, time_running, value[nr] }. */
static int group_read(tcounters *c, group *g, uint64_t *buf) {
    if (g->fd < 0 || g->nr == 0) return -1;
    size_t want = (3 + (size_t)g->nr) * sizeof *buf;
    ssize_t got = read(g->fd, buf, want);
    if (got == (ssize_t)want && buf[0] == (uint64_t)g->nr) return 0;
    char why[128];
    if (got < 0) snprintf(why, sizeof why, "%s", strerror(errno));
    else snprintf(why, sizeof why, "short read (%zd of %zu bytes)", got, want);
    group_failed(c, g, why);
    return -1;
}

static void t_begin(tcounters *c) {
    uint64_t buf[3 + COUNTERS_MAX];
    for (int gi = 0; gi < c->ngroups; gi++) {
        group *g = &c->g[gi];
        g->have0 = group_read(c, g, buf) == 0;
        if (!g->have0) continue;
        g->e0 = buf[1];
        g->r0 = buf[2];
        for (int k = 0; k < g->nr; k++) c->ev[g->members[k]].v0 = buf[3 + k];
    }
}

/* Adds one thread's deltas to out. A worker that never ran in the interval (enabled 0)
 * adds 0; one that ran but was never scheduled on the PMU (running 0) leaves no value. */
static void t_end(tcounters *c, counter_reading *out, int master) {
    uint64_t buf[3 + COUNTERS_MAX];
    for (int gi = 0; gi < c->ngroups; gi++) {
        group *g = &c->g[gi];
        if (!g->have0 || group_read(c, g, buf) != 0) {
            for (int k = 0; k < g->nr; k++) out[g->members[k]].ok = -1;
            continue;
        }
        double de = (double)(buf[1] - g->e0), dr = (double)(buf[2] - g->r0);
        for (int k = 0; k < g->nr; k++) {
            counter_reading *o = &out[g->members[k]];
            if (dr <= 0) {
                if (de > 0 || master) o->ok = -1;   /* never scheduled in this interval: no value, not 0 */
                continue;
            }
            double dv = (double)(buf[3 + k] - c->ev[g->members[k]].v0);
            o->value += dv * (de / dr);
            o->enabled += de;
            o->running += dr;
            if (o->ok == 0) o->ok = 1;
        }
    }
}

void counters_begin(counters *c) {
    if (!c) return;
    for (int k = 0; k < c->nthreads; k++)
        if (c->t[k]) t_begin(c->t[k]);
}

void counters_end(counters *c, counter_reading *out) {
    if (!c) return;
    int n = counters_count(c);
    for (int i = 0; i < n; i++) out[i] = (counter_reading){ 0 };
    for (int k = 0; k < c->nthreads; k++)
        if (c->t[k]) t_end(c->t[k], out, k == 0);
    for (int i = 0; i < n; i++) {
        /* a read that failed on a worker makes the event unavailable for good, too */
        for (int k = 1; k < c->nthreads && !c->t[0]->ev[i].reason[0]; k++)
            if (c->t[k] && c->t[k]->ev[i].reason[0])
                snprintf(c->t[0]->ev[i].reason, sizeof c->t[0]->ev[i].reason, "pool thread %d: %s", k,
                         c->t[k]->ev[i].reason);
        if (out[i].ok < 0 || c->t[0]->ev[i].reason[0]) out[i] = (counter_reading){ 0 };
    }
}

void counters_summarize(const counters *c, const counter_reading *r, int reps, counter_stat *out) {
    int n = counters_count(c);
    double *v = malloc(sizeof(double) * 3 * (size_t)(reps > 0 ? reps : 1));
    for (int i = 0; i < n; i++) {
        const event *e = &c->t[0]->ev[i];
        counter_stat *s = &out[i];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", e->name);
        s->levels = e->kernel ? "user+kernel" : "user";
        s->threads = c->nthreads;
        if (e->reason[0]) { snprintf(s->reason, sizeof s->reason, "%s", e->reason); continue; }
        if (!v) { snprintf(s->reason, sizeof s->reason, "out of memory"); continue; }
        int m = 0;
        for (int k = 0; k < reps; k++) {
            const counter_reading *x = &r[(size_t)k * n + i];
            if (!x->ok) continue;
            v[m] = x->value;
            v[reps + m] = x->enabled;
            v[2 * reps + m] = x->running;
            if (x->running < x->enabled) s->scaled = 1;
            m++;
        }
        if (m == 0) {
            snprintf(s->reason, sizeof s->reason, reps ? "never counted: time_running stayed 0 "
                     "(the PMU was busy or the group does not fit)" : "no repetitions were measured");
            continue;
        }
        s->available = 1;
        s->reps = m;
        s->value = stats_median(v, m);
        s->enabled = stats_median(v + reps, m);
        s->running = stats_median(v + 2 * reps, m);
    }
    free(v);
}

int counters_list_events(FILE *f) {
    if (!pfm_ready()) { fprintf(f, "libpfm4 failed to initialize: no events\n"); return -1; }
    fprintf(f, "# events for --events, as PMU::NAME[:UMASK]; hardware counters may be absent here\n"
               "# (then reported unavailable). Short generic names also work: cycles, instructions,\n"
               "# branch-misses, cache-misses, task-clock, page-faults, context-switches.\n");
    pfm_pmu_t p;
    pfm_for_all_pmus(p) {
        pfm_pmu_info_t pi;
        memset(&pi, 0, sizeof pi);
        pi.size = sizeof pi;
        if (pfm_get_pmu_info(p, &pi) != PFM_SUCCESS || !pi.is_present) continue;
        for (int i = pi.first_event; i != -1; i = pfm_get_event_next(i)) {
            pfm_event_info_t ei;
            memset(&ei, 0, sizeof ei);
            ei.size = sizeof ei;
            if (pfm_get_event_info(i, PFM_OS_PERF_EVENT_EXT, &ei) != PFM_SUCCESS) continue;
            char full[256], um[512] = "";
            snprintf(full, sizeof full, "%s::%s", pi.name, ei.name);
            /* Umasks complete a name (perf::PERF_COUNT_HW_CACHE_LL:READ:MISS). */
            for (int a = 0; a < ei.nattrs; a++) {
                pfm_event_attr_info_t ai;
                memset(&ai, 0, sizeof ai);
                ai.size = sizeof ai;
                if (pfm_get_event_attr_info(i, a, PFM_OS_PERF_EVENT_EXT, &ai) == PFM_SUCCESS &&
                    ai.type == PFM_ATTR_UMASK && strlen(um) + strlen(ai.name) + 2 < sizeof um)
                    snprintf(um + strlen(um), sizeof um - strlen(um), "%s%s", um[0] ? " " : " [umasks: ", ai.name);
            }
            fprintf(f, "%-44s %s%s%s\n", full, ei.desc ? ei.desc : "", um, um[0] ? "]" : "");
        }
    }
    return 0;
}

void counters_fail_for_test(counters *pool, int i) {
    tcounters *c = pool->t[0];
    event *e = &c->ev[i];
    if (e->group < 0) return;
    group *g = &c->g[e->group];
    int bad = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (bad < 0) return;
    int old = g->fd;
    g->fd = bad;
    for (int k = 0; k < g->nr; k++)
        if (c->ev[g->members[k]].fd == old) c->ev[g->members[k]].fd = bad;
    close(old);
}
