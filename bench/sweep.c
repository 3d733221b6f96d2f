/* shiftbench sweep: cost every point of a grid, then measure the points one by one, each
 * by a `shiftbench net` child process writing its own results file (atomically, as net
 * always does) into the output directory; a re-run finds those files and skips them.
 * --plan prints the same commands instead, for GNU parallel or a Slurm job array. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../analysis/cost.h"
#include "../arch/ir.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../kernels/runtime.h"
#include "commands.h"
#include "context.h"
#include "results.h"
#include "signals.h"
#include "sweep.h"

enum { PT_TODO, PT_DONE, PT_MEASURED, PT_OVER_MACS, PT_OVER_BUDGET, PT_FAILED };
static const char *const STATUS[] = { "not measured", "finished before", "measured", "skipped: --max-macs",
                                      "skipped: --budget-ms", "failed" };

typedef struct {
    long idx;
    double params, macs, flops, bytes, ms;
    int batch, status;
    char file[160];      /* NET-IMPL-tT-bB-HASH.json */
    char *why;           /* a failure's last line */
} point;

typedef struct {
    const sweep_spec *s;
    point *pt;
    long n;
    char machine[320];
} sweep_run;

/* The --set arguments of point c, "knob=value" each, into kv (static storage). */
static void point_overrides(const sweep_spec *s, const sweep_coord *c, ir_overrides *ov) {
    static char buf[SWEEP_MAX_AXES][4200];
    ov->n = 0;
    for (int a = 0; a < s->naxes; a++) {
        snprintf(buf[a], sizeof buf[a], "%s=%s", s->axes[a].knob, s->axes[a].vals[c->val[a]]);
        ov->kv[ov->n++] = buf[a];
    }
}

static void describe(const sweep_spec *s, const sweep_coord *c, char *buf, size_t len) {
    ir_overrides ov;
    point_overrides(s, c, &ov);
    snprintf(buf, len, "%s %s t%d", s->nets[c->net], s->impl[c->impl], s->threads[c->threads]);
    for (int i = 0; i < ov.n; i++) snprintf(buf + strlen(buf), len - strlen(buf), " %s", ov.kv[i]);
}

/* Every point through the loader and the cost model: a point that does not load is a bad
 * spec (exit 2), found before anything is measured. */
static int cost_points(sweep_run *r, char *err, size_t errlen) {
    const sweep_spec *s = r->s;
    for (long i = 0; i < r->n; i++) {
        sweep_coord c;
        sweep_spec_coord(s, i, &c);
        ir_overrides ov;
        point_overrides(s, &c, &ov);
        network net;
        network_cost nc;
        char why[ERRLEN], what[1024], *key = NULL;
        if (network_load(s->nets[c.net], &ov, &net, why, sizeof why)) {
            describe(s, &c, what, sizeof what);
            return set_err(err, errlen, "sweep: point %s: %s", what, why);
        }
        if (network_cost_of(&net, &nc, why, sizeof why)) {
            network_free(&net);
            return set_err(err, errlen, "sweep: %s: %s", net.name, why);
        }
        json_t *knobs = network_knobs_json(&net);
        int bad = sweep_point_key(net.name, s->impl[c.impl], s->threads[c.threads], knobs, &key);
        json_decref(knobs);
        point *p = &r->pt[i];
        p->idx = i;
        p->params = (double)nc.total.params;
        p->macs = (double)nc.total.macs;
        p->flops = (double)nc.total.flops;
        p->bytes = (double)nc.total.bytes;
        p->batch = net.batch;
        char name[80], impl[40];
        text_filename(net.name, name, sizeof name, 64);
        text_filename(s->impl[c.impl], impl, sizeof impl, 32);
        snprintf(p->file, sizeof p->file, "%s-%s-t%d-b%d-%016llx.json", name, impl, s->threads[c.threads], p->batch,
                 bad ? 0ULL : (unsigned long long)sweep_hash(key));
        free(key);
        network_cost_free(&nc);
        network_free(&net);
        if (bad) return set_err(err, errlen, "out of memory");
    }
    return 0;
}

/* Points already in the output directory. One from another machine is an error: each
 * machine gets its own directory, so no machine's results overwrite another's. */
static int find_finished(sweep_run *r, char *err, size_t errlen) {
    long found = 0;
    for (long i = 0; i < r->n; i++) {
        point *p = &r->pt[i];
        char path[1400], why[ERRLEN];
        snprintf(path, sizeof path, "%s/%s", r->s->out_dir, p->file);
        if (access(path, F_OK)) continue;
        sweep_result res;
        if (sweep_result_load(path, &res, why, sizeof why)) {
            fprintf(stderr, "shiftbench sweep: measuring again: %s\n", why);
            continue;
        }
        if (strcmp(res.machine, r->machine)) {
            char m1[TEXT_BUF], m2[TEXT_BUF];
            set_err(err, errlen, "sweep: %s was measured on %s, this is %s: give each machine its own --out", path,
                    text_terminal(res.machine, m1, sizeof m1), text_terminal(r->machine, m2, sizeof m2));
            sweep_result_free(&res);
            return -1;
        }
        p->status = PT_DONE;
        p->ms = res.median_ms;
        found++;
        sweep_result_free(&res);
    }
    if (found) fprintf(stderr, "shiftbench sweep: %ld of %ld points finished before (in %s): not measured again\n",
                       found, r->n, r->s->out_dir);
    return 0;
}

/* The `shiftbench net` arguments of point i (argv[0] = exe), NULL-terminated. */
static char **point_argv(const sweep_run *r, long i, const char *exe) {
    const sweep_spec *s = r->s;
    sweep_coord c;
    sweep_spec_coord(s, i, &c);
    ir_overrides ov;
    point_overrides(s, &c, &ov);
    static char num[4][32], thr[16], path[1400];
    static char *argv[64 + 2 * SWEEP_MAX_AXES];
    int n = 0;
    argv[n++] = (char *)exe;
    argv[n++] = "net";
    argv[n++] = s->nets[c.net];
    argv[n++] = "--impl";
    argv[n++] = s->impl[c.impl];
    snprintf(thr, sizeof thr, "%d", s->threads[c.threads]);
    argv[n++] = "--threads";
    argv[n++] = thr;
    for (int k = 0; k < ov.n; k++) {
        argv[n++] = "--set";
        argv[n++] = (char *)ov.kv[k];
    }
    const char *names[4] = { "--min-time", "--min-reps", "--warmup", "--max-reps" };
    long vals[4] = { 0, s->min_reps, s->warmup, s->max_reps };
    for (int k = 0; k < 4; k++) {
        if (k == 0 ? s->min_time < 0 : vals[k] < 0) continue;
        if (k == 0) snprintf(num[k], sizeof num[k], "%g", s->min_time);
        else snprintf(num[k], sizeof num[k], "%ld", vals[k]);
        argv[n++] = (char *)names[k];
        argv[n++] = num[k];
    }
    argv[n++] = "--events";
    argv[n++] = "none";
    argv[n++] = "--no-peak";
    snprintf(path, sizeof path, "%s/%s", s->out_dir, r->pt[i].file);
    argv[n++] = "-o";
    argv[n++] = path;
    argv[n] = NULL;
    return argv;
}

/* A shell word: as is when it is plain, else in single quotes. */
static void print_word(FILE *f, const char *w) {
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:+-%@") == strlen(w)) {
        fputs(w, f);
        return;
    }
    fputc('\'', f);
    for (; *w; w++) {
        if (*w == '\'') fputs("'\\''", f);
        else fputc(*w, f);
    }
    fputc('\'', f);
}

static int measurable(const sweep_spec *s, const point *p) {
    return p->status == PT_TODO && !(s->max_macs > 0 && p->macs > s->max_macs);
}

static int plan(sweep_run *r, char *err, size_t errlen) {
    char exe[PATH_MAX];
    if (r->s->exe[0]) snprintf(exe, sizeof exe, "%s", r->s->exe);
    else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) return set_err(err, errlen, "sweep: cannot find this executable (give --exe)");
        exe[n] = 0;
    }
    long planned = 0, before = 0;
    for (long i = 0; i < r->n; i++) {
        before += r->pt[i].status == PT_DONE;
        if (!measurable(r->s, &r->pt[i])) continue;
        char **argv = point_argv(r, i, exe);
        printf("mkdir -p ");
        print_word(stdout, r->s->out_dir);
        printf(" &&");
        for (int k = 0; argv[k]; k++) {
            putchar(' ');
            print_word(stdout, argv[k]);
        }
        putchar('\n');
        planned++;
    }
    if (fflush(stdout)) return set_err(err, errlen, "sweep: cannot write the plan: %s", strerror(errno));
    fprintf(stderr, "shiftbench sweep: %ld command%s for %ld points (%ld finished before, %ld over --max-macs)%s\n",
            planned, planned == 1 ? "" : "s", r->n, before, r->n - planned - before,
            r->s->budget_ms > 0 ? "; --budget-ms needs measurements: every other point is planned" : "");
    return 0;
}

/* Runs point i's `shiftbench net` in its own process group (a Ctrl-C reaches it only
 * through us, once), output into its log. Returns its exit status, or -1. */
static int run_child(sweep_run *r, long i, char *why, size_t whylen) {
    char log[1600];
    snprintf(log, sizeof log, "%s/logs/%s.log", r->s->out_dir, r->pt[i].file);
    char **argv = point_argv(r, i, "shiftbench");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return set_err(why, whylen, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st, forwarded = 0;
    for (;;) {
        if (waitpid(pid, &st, 0) == pid) break;
        if (errno != EINTR) return set_err(why, whylen, "waitpid: %s", strerror(errno));
        if (interrupted() && !forwarded) {
            kill(pid, SIGINT);
            forwarded = 1;
        }
    }
    if (interrupted() && !forwarded) kill(pid, SIGINT);   /* (it had already exited) */
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    why[0] = 0;
    FILE *f = fopen(log, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "error")) snprintf(why, whylen, "%.*s", (int)strcspn(line, "\n"), line);
    if (f) fclose(f);
    if (rc == 0) unlink(log);
    else if (!why[0]) snprintf(why, whylen, "exit status %d (log: %s)", rc, log);
    return rc;
}

/* Budget: a series is one network x impl x threads x batch; points go in ascending MACs,
 * so once one of a series took longer than the budget, its bigger points are not worth it. */
typedef struct { const char *net; int impl, threads, batch; double macs; } over_t;

static int over_budget(const over_t *ov, int nov, const sweep_spec *s, const sweep_coord *c, const point *p) {
    for (int k = 0; k < nov; k++)
        if (ov[k].net == s->nets[c->net] && ov[k].impl == c->impl && ov[k].threads == c->threads &&
            ov[k].batch == p->batch && p->macs >= ov[k].macs)
            return 1;
    return 0;
}

static int cmp_macs(const void *a, const void *b) {
    const point *p = *(point *const *)a, *q = *(point *const *)b;
    if (p->macs != q->macs) return p->macs < q->macs ? -1 : 1;
    return (p->idx > q->idx) - (p->idx < q->idx);
}

static void fmt_secs(char *buf, size_t len, double s) {
    if (s < 90) snprintf(buf, len, "%.0f s", s);
    else if (s < 5400) snprintf(buf, len, "%.0f min %02.0f s", floor(s / 60), fmod(s, 60));
    else snprintf(buf, len, "%.0f h %02.0f min", floor(s / 3600), fmod(floor(s / 60), 60));
}

/* Measures the points not finished yet; returns how many failed, -1 when interrupted, -2
 * (with err) when it could not start. */
static int measure_points(sweep_run *r, char *err, size_t errlen) {
    const sweep_spec *s = r->s;
    char logs[1200];
    snprintf(logs, sizeof logs, "%s/logs", s->out_dir);
    if (make_dirs(logs)) return set_err(err, errlen, "sweep: cannot create %s: %s", logs, strerror(errno)) - 1;
    point **order = malloc((size_t)r->n * sizeof *order);
    over_t *ov = malloc((size_t)r->n * sizeof *ov);
    if (!order || !ov) { free(order); free(ov); return set_err(err, errlen, "out of memory") - 1; }
    long todo = 0, done = 0;
    for (long i = 0; i < r->n; i++) {
        order[i] = &r->pt[i];
        if (s->max_macs > 0 && r->pt[i].macs > s->max_macs && r->pt[i].status == PT_TODO) r->pt[i].status = PT_OVER_MACS;
        todo += r->pt[i].status == PT_TODO;
    }
    qsort(order, (size_t)r->n, sizeof *order, cmp_macs);
    int nov = 0, failed = 0;
    double t0 = now_sec();
    for (long k = 0; k < r->n && !interrupted(); k++) {
        point *p = order[k];
        sweep_coord c;
        sweep_spec_coord(s, p->idx, &c);
        int was_done = p->status == PT_DONE;
        if (p->status == PT_TODO && s->budget_ms > 0 && over_budget(ov, nov, s, &c, p)) {
            p->status = PT_OVER_BUDGET;
            todo--;
        }
        if (p->status == PT_TODO) {
            char why[ERRLEN], what[1024];
            describe(s, &c, what, sizeof what);
            double t1 = now_sec();
            int rc = run_child(r, p->idx, why, sizeof why);
            char path[1400], lwhy[ERRLEN];
            snprintf(path, sizeof path, "%s/%s", s->out_dir, p->file);
            if (rc && (rc == EXIT_INTERRUPTED || interrupted())) {   /* its partial file is no finished point */
                unlink(path);
                break;
            }
            sweep_result res;
            if (rc == 0 && sweep_result_load(path, &res, lwhy, sizeof lwhy) == 0) {
                p->status = PT_MEASURED;
                p->ms = res.median_ms;
                sweep_result_free(&res);
            } else {
                if (rc == 0) snprintf(why, sizeof why, "%s", lwhy);
                p->status = PT_FAILED;
                p->why = strdup(why);
                unlink(path);
                failed++;
            }
            done++;
            double el = now_sec() - t0, eta = el / (double)done * (double)(todo - done);
            char e1[32], e2[32];
            fmt_secs(e1, sizeof e1, el);
            fmt_secs(e2, sizeof e2, eta);
            if (p->status == PT_MEASURED)
                fprintf(stderr, "sweep [%ld/%ld] %s: %.3f ms (%.1f s) | %s elapsed, ETA %s\n", done, todo, what, p->ms,
                        now_sec() - t1, e1, e2);
            else fprintf(stderr, "sweep [%ld/%ld] %s: FAILED: %s | %s elapsed, ETA %s\n", done, todo, what, why, e1, e2);
        }
        if ((p->status == PT_MEASURED || was_done) && s->budget_ms > 0 && p->ms > s->budget_ms &&
            !over_budget(ov, nov, s, &c, p))
            ov[nov++] = (over_t){ s->nets[c.net], c.impl, c.threads, p->batch, p->macs };
    }
    free(order);
    free(ov);
    return interrupted() ? -1 : failed;
}

/* DIR/sweep.json: the spec, this machine and every point with its cost and status. */
static int write_manifest(const sweep_run *r, json_t *ctx, char *err, size_t errlen) {
    const sweep_spec *s = r->s;
    json_t *doc = json_object(), *spec = json_object(), *nets = json_array(), *impl = json_array(),
           *thr = json_array(), *set = json_object(), *pts = json_array();
    for (int i = 0; i < s->nnets; i++) json_array_append_new(nets, json_string(s->nets[i]));
    for (int i = 0; i < s->nimpl; i++) json_array_append_new(impl, json_string(s->impl[i]));
    for (int i = 0; i < s->nthreads; i++) json_array_append_new(thr, json_integer(s->threads[i]));
    for (int a = 0; a < s->naxes; a++) {
        json_t *v = json_array();
        for (int k = 0; k < s->axes[a].nvals; k++) json_array_append_new(v, json_string(s->axes[a].vals[k]));
        json_object_set_new(set, s->axes[a].knob, v);
    }
    json_object_set_new(spec, "networks", nets);
    json_object_set_new(spec, "set", set);
    json_object_set_new(spec, "impl", impl);
    json_object_set_new(spec, "threads", thr);
    for (long i = 0; i < r->n; i++) {
        const point *p = &r->pt[i];
        sweep_coord c;
        sweep_spec_coord(s, i, &c);
        ir_overrides ov;
        point_overrides(s, &c, &ov);
        json_t *kv = json_array();
        for (int k = 0; k < ov.n; k++) json_array_append_new(kv, json_string(ov.kv[k]));
        json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:o,s:f,s:f,s:f,s:f,s:s}", "file", p->file, "network", s->nets[c.net],
                              "impl", s->impl[c.impl], "threads", s->threads[c.threads], "set", kv, "params", p->params,
                              "macs", p->macs, "flops", p->flops, "bytes", p->bytes, "status", STATUS[p->status]);
        json_object_set_new(o, "median_ms", p->status == PT_DONE || p->status == PT_MEASURED ? json_real(p->ms) : json_null());
        if (p->why) json_object_set_new(o, "error", json_string(p->why));
        json_array_append_new(pts, o);
    }
    json_object_set_new(doc, "schema", json_string("shiftbench-sweep"));
    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "machine", json_string(r->machine));
    json_object_set(doc, "context", ctx);
    json_object_set_new(doc, "spec", spec);
    json_object_set_new(doc, "points", pts);
    char *txt = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(doc);
    if (!txt) return set_err(err, errlen, "out of memory");
    char path[1200];
    snprintf(path, sizeof path, "%s/sweep.json", s->out_dir);
    int rc = write_file_atomic(path, txt, strlen(txt), err, errlen);
    free(txt);
    return rc;
}

/* The table: every point with its cost and, when measured, its latency; '*' marks the
 * Pareto front (most MACs for the latency) of the measured points. */
static void print_table(const sweep_run *r) {
    const sweep_spec *s = r->s;
    double *x = malloc((size_t)r->n * sizeof *x), *y = malloc((size_t)r->n * sizeof *y);
    int *front = calloc((size_t)r->n, sizeof *front);
    for (long i = 0; x && y && front && i < r->n; i++) {
        int ok = r->pt[i].status == PT_DONE || r->pt[i].status == PT_MEASURED;
        x[i] = ok ? r->pt[i].macs : NAN;
        y[i] = ok ? r->pt[i].ms : NAN;
    }
    if (x && y && front) sweep_pareto(x, y, (int)r->n, front);
    printf("%-22s %-8s %3s %9s %9s %11s  %-20s %s\n", "network", "impl", "thr", "Mparams", "GMACs", "median ms",
           s->cost_only ? "" : "status", "knobs");
    for (long i = 0; i < r->n; i++) {
        const point *p = &r->pt[i];
        sweep_coord c;
        sweep_spec_coord(s, i, &c);
        ir_overrides ov;
        point_overrides(s, &c, &ov);
        char knobs[1024] = "", ms[32] = "-";
        for (int k = 0; k < ov.n; k++) snprintf(knobs + strlen(knobs), sizeof knobs - strlen(knobs), "%s%s", k ? " " : "", ov.kv[k]);
        if (p->status == PT_DONE || p->status == PT_MEASURED) snprintf(ms, sizeof ms, "%.3f", p->ms);
        printf("%-22s %-8s %3d %9.3f %9.4f %11s%s %-20s %s\n", s->nets[c.net], s->impl[c.impl], s->threads[c.threads],
               p->params / 1e6, p->macs / 1e9, ms, front && front[i] ? "*" : " ", s->cost_only ? "" : STATUS[p->status],
               knobs[0] ? knobs : "(defaults)");
    }
    if (!s->cost_only) printf("(* = on the Pareto front: no other point has as many MACs in less time)\n");
    free(x);
    free(y);
    free(front);
}

int cmd_sweep(int argc, char **argv) {
    sweep_spec s;
    char err[ERRLEN];
    int prc = sweep_spec_parse(argc, argv, &s, err, sizeof err);
    if (prc) {
        sweep_spec_free(&s);
        return prc > 0 ? 0 : fail_msg("%s", err);
    }
    sweep_run r = { .s = &s, .n = sweep_spec_points(&s) };
    json_t *ctx = NULL;
    int rc = 2;
    if (!(r.pt = calloc((size_t)r.n, sizeof *r.pt))) { rc = fail_run("out of memory"); goto out; }
    double t0 = now_sec();
    if (cost_points(&r, err, sizeof err)) { rc = fail_msg("%s", err); goto out; }
    double cost_ms = 1e3 * (now_sec() - t0);
    if (s.cost_only) {
        fprintf(stderr, "shiftbench sweep: costed %ld point%s in %.0f ms\n", r.n, r.n == 1 ? "" : "s", cost_ms);
        print_table(&r);
        rc = 0;
        goto out;
    }
    if (!s.plan) runtime_fix_openblas_core();   /* once here, so the children inherit the core */
    if (!(ctx = context_build())) { rc = fail_run("out of memory"); goto out; }
    sweep_machine(ctx, r.machine, sizeof r.machine);
    if (make_dirs(s.out_dir)) { rc = fail_msg("sweep: cannot create %s: %s", s.out_dir, strerror(errno)); goto out; }
    if (find_finished(&r, err, sizeof err)) { rc = fail_msg("%s", err); goto out; }
    fprintf(stderr, "shiftbench sweep: costed %ld point%s in %.0f ms\n", r.n, r.n == 1 ? "" : "s", cost_ms);
    if (s.plan) {
        rc = plan(&r, err, sizeof err) ? fail_run("%s", err) : 0;
        goto out;
    }
    signals_install();
    int failed = measure_points(&r, err, sizeof err);
    if (failed == -2) { rc = fail_run("%s", err); goto out; }
    if (write_manifest(&r, ctx, err, sizeof err)) { rc = fail_run("%s", err); goto out; }
    print_table(&r);
    long finished = 0;
    for (long i = 0; i < r.n; i++) finished += r.pt[i].status == PT_DONE || r.pt[i].status == PT_MEASURED;
    fflush(stdout);
    if (failed == -1) {
        fprintf(stderr, "shiftbench sweep: interrupted: %ld of %ld points finished and kept in %s; the same command "
                        "resumes\n", finished, r.n, s.out_dir);
        rc = EXIT_INTERRUPTED;
    } else {
        fprintf(stderr, "shiftbench sweep: %ld of %ld points finished, %d failed; results in %s (chart them: shiftbench "
                        "plot --sweep %s)\n", finished, r.n, failed, s.out_dir, s.out_dir);
        rc = failed ? 1 : 0;
    }
out:
    for (long i = 0; r.pt && i < r.n; i++) free(r.pt[i].why);
    free(r.pt);
    json_decref(ctx);
    sweep_spec_free(&s);
    return rc;
}
