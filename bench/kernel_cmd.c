/* `shiftbench kernel`: time kernel implementations on benchdnn-style descriptors, side
 * by side in one process, and write a results file (kind "kernel"). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../analysis/cost.h"
#include "../common/util.h"
#include "../kernels/kernel.h"
#include "../kernels/isa.h"
#include "../kernels/own_gemm.h"
#include "../kernels/runtime.h"
#include "commands.h"
#include "context.h"
#include "counters.h"
#include "desc.h"
#include "exec.h"
#include "measure.h"
#include "peak.h"
#include "results.h"
#include "signals.h"

#define MAX_JOBS 4096
#define MAX_IMPLS 16

typedef struct {
    op_desc d;
    char name[256];
    char desc[256];     /* canonical descriptor */
} job;

typedef struct {
    op_kind op;
    op_desc sh;         /* --conn: conn and displacement table */
    int relu;
    const char *impls[MAX_IMPLS];
    int nimpls;         /* 0 = all */
    long threads, seed;
    measure_opts mo;
    const char *events[COUNTERS_MAX];
    int nevents;
    const char *out;
    int peak, threads_above_cores;
    job *jobs;
    int njobs;
    char impl_buf[4096], events_buf[4096];   /* what impls / events point into */
} kopts;

static int usage(FILE *f, int rc) {
    fprintf(f,
        "usage: shiftbench kernel [OPTIONS] DESC...   |   --list   |   --list-events\n\n"
        "Times each kernel implementation of an op on each descriptor (benchdnn style, e.g.\n"
        "mb1ic64ih56oc256oh56kh1 or ic256ih56oc64kh3sh2ph1_n\"name\"; fields mb ic ih iw oc oh\n"
        "ow kh kw sh sw ph pw, iw = ih, kw = kh, stride 1, pad 0, mb 1 by default), prints a\n"
        "table and writes results JSON (results/SCHEMA.md).\n\n"
        "  --op OP            conv (default), shift, shiftconv, add, relu, maxpool, avgpool, gap, fc\n"
        "  --conn 4|8|TABLE   shift connectivity (default 4) or a displacement table,\n"
        "                     [c|c/DIV|c=SIZE|i:]DH,DW:DH,DW... (docs/networks.md)\n"
        "  --relu             fused ReLU on the output (conv, shiftconv, add, fc)\n"
        "  --impl LIST|all    implementations, comma separated (default all; see --list)\n"
        "  --threads N        threads for every library and kernel (default: all cores)\n"
        "  --min-time S       minimum timed seconds per measurement (default 0.2)\n"
        "  --min-reps N       minimum repetitions (default 5)\n"
        "  --max-reps N       maximum repetitions (default 1000)\n"
        "  --warmup N         untimed runs first (default 2)\n"
        "  --cold             flush the caches before every repetition (not timed; --min-time\n"
        "                     then counts wall time, flushes included)\n"
        "  --events LIST      counters, comma separated; 'default' or 'none' (see --list-events)\n"
        "  --seed N           inputs and weights from this seed (default 1)\n"
        "  --peak             measure the FMA peak first and report %% of peak\n"
        "  -o FILE            results file; '-' for stdout (default results/kernel-...json)\n"
        "  --batch-file FILE  descriptors from FILE, whitespace separated; '#' starts a comment;\n"
        "                     tokens --op=OP, --conn=N, --relu, --no-relu apply to what follows\n"
        "  --list             every op x implementation with what it is\n"
        "  --list-events      counter event names\n");
    return rc;
}

/* "--name V" or "--name=V": 1 when argv[*i] is that option (value in *v, NULL when
 * missing), 0 when it is another. */
static int opt(int argc, char **argv, int *i, const char *name, const char **v) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return 0;
    if (argv[*i][n] == '=') { *v = argv[*i] + n + 1; return 1; }
    if (argv[*i][n]) return 0;
    *v = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

/* where: "FILE:LINE: " for a batch file's descriptor, "" for the command line's. */
static int add_job(kopts *k, const char *where, const char *s, op_kind op, const op_desc *sh, int relu) {
    if (k->njobs >= MAX_JOBS) return fail_msg("%stoo many descriptors (at most %d)", where, MAX_JOBS);
    job *j = &k->jobs[k->njobs];
    char err[ERRLEN];
    if (desc_parse(s, op, sh, relu, &j->d, j->name, sizeof j->name, err, sizeof err))
        return fail_msg("%s%s", where, err);
    desc_format(&j->d, j->desc, sizeof j->desc);
    if (!strcmp(j->name, j->desc)) {   /* unnamed: say what the descriptor alone does not */
        size_t n = strlen(j->name);
        if ((j->d.kind == OP_SHIFT || j->d.kind == OP_SHIFTCONV) && j->d.conn)
            n += (size_t)snprintf(j->name + n, sizeof j->name - n, "_%dc", j->d.conn);
        else if (j->d.kind == OP_SHIFT || j->d.kind == OP_SHIFTCONV) {
            char t[SHIFT_TEXT];
            shift_format(&j->d, t, sizeof t);
            n += (size_t)snprintf(j->name + n, sizeof j->name - n, "_%s", t);
        }
        if (n >= sizeof j->name) n = sizeof j->name - 1;
        if (j->d.relu && n < sizeof j->name) snprintf(j->name + n, sizeof j->name - n, "_relu");
    }
    k->njobs++;
    return 0;
}

static int parse_conn(const char *where, const char *v, op_desc *sh) {
    char err[ERRLEN];
    if (!v || shift_parse(v, sh, err, sizeof err))
        return fail_msg("%s--conn: expected 4, 8 or a displacement table: %s", where, v ? err : "missing value");
    return 0;
}

static int parse_op(const char *where, const char *v, op_kind *op) {
    int o = op_from_name(v);
    if (o < 0)
        return fail_msg("%s--op: unknown op '%s' (conv, shift, shiftconv, add, relu, maxpool, avgpool, gap, fc)", where,
                        v ? v : "");
    *op = (op_kind)o;
    return 0;
}

/* Descriptors from a file, with --op=/--conn=/--relu/--no-relu tokens in between. Whole
 * lines of any length (a comment is never split into tokens); errors name FILE:LINE. */
static int read_batch(kopts *k, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return fail_msg("--batch-file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fclose(f);
        return fail_msg("--batch-file %s: not a regular file", path);
    }
    op_kind op = k->op;
    op_desc sh = k->sh;
    int relu = k->relu, rc = 0, line = 0;
    char *buf = NULL, where[4200];
    size_t cap = 0;
    errno = 0;
    while (!rc && getline(&buf, &cap, f) >= 0) {
        line++;
        snprintf(where, sizeof where, "%s:%d: ", path, line);
        buf[strcspn(buf, "#\r\n")] = 0;
        for (char *save, *t = strtok_r(buf, " \t", &save); t && !rc; t = strtok_r(NULL, " \t", &save)) {
            if (!strncmp(t, "--op=", 5)) rc = parse_op(where, t + 5, &op);
            else if (!strncmp(t, "--conn=", 7)) rc = parse_conn(where, t + 7, &sh);
            else if (!strcmp(t, "--relu")) relu = 1;
            else if (!strcmp(t, "--no-relu")) relu = 0;
            else if (t[0] == '-') rc = fail_msg("%sunknown token '%s' (--op=, --conn=, --relu, --no-relu)", where, t);
            else rc = add_job(k, where, t, op, &sh, relu);
        }
    }
    if (!rc && ferror(f)) rc = fail_msg("--batch-file %s:%d: %s", path, line + 1, strerror(errno));
    free(buf);
    fclose(f);
    return rc;
}

/* A comma-separated option value, strictly (util.h split_list); exit status 2 on error. */
static int option_list(char *s, const char **out, int max, int *n, const char *what) {
    char err[ERRLEN];
    if (split_list(s, (char **)out, max, n, err, sizeof err)) return fail_msg("%s: %s", what, err);
    return 0;
}

static void list_kernels(void) {
    int wide = 10;
    for (int i = 0, n = kernel_count(); i < n; i++)
        if ((int)strlen(kernel_at(i)->impl) > wide) wide = (int)strlen(kernel_at(i)->impl);
    for (int i = 0, n = kernel_count(); i < n; i++) {
        const kernel_impl *k = kernel_at(i);
        printf("%-10s %-*s %s\n", op_name(k->op), wide, k->impl, k->about ? k->about : "");
    }
    /* Our kernels' ISA levels: which this build and CPU have, which is in use, and the
     * GEMM micro-kernel's register blocking at each. */
    const isa_level *lv;
    printf("\nown levels (SHIFTBENCH_ISA=LEVEL caps them; in use: %s):", isa_name(isa_active()));
    for (int i = 0, n = isa_levels(&lv); i < n; i++)
        printf(" %s%s", isa_name(lv[i]), isa_supported(lv[i]) ? "" : " (not on this CPU)");
    const own_gemm_variant *const *gv;
    printf("\nown GEMM micro-kernels (rows x columns):");
    for (int i = 0, n = own_gemm_variants(&gv); i < n; i++) printf(" %s %dx%d", isa_name(gv[i]->level), gv[i]->mr, gv[i]->nr);
    printf("\n");
}

static int impl_known(const char *name) {
    for (int i = 0, n = kernel_count(); i < n; i++)
        if (!strcmp(kernel_at(i)->impl, name)) return 1;
    return 0;
}

static int parse_args(int argc, char **argv, kopts *k) {
    const char *v, *impl_arg = NULL, *events_arg = NULL;
    const char *descs[MAX_JOBS], *batch = NULL;
    int ndesc = 0, rc, max_given = 0;
    long n;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (ndesc >= MAX_JOBS) return fail_msg("too many descriptors (at most %d)", MAX_JOBS);
            descs[ndesc++] = a;
            continue;
        }
#define NEED(what) if (!v) return fail_msg("%s needs a value", what)
        if (opt(argc, argv, &i, "--op", &v)) { NEED("--op"); if ((rc = parse_op("", v, &k->op))) return rc; }
        else if (opt(argc, argv, &i, "--conn", &v)) { if ((rc = parse_conn("", v, &k->sh))) return rc; }
        else if (opt(argc, argv, &i, "--impl", &v)) { NEED("--impl"); impl_arg = v; }
        else if (opt(argc, argv, &i, "--threads", &v)) { NEED("--threads"); if (parse_long(v, 1, 4096, &k->threads)) return fail_msg("--threads: expected 1..4096, got '%s'", v); }
        else if (opt(argc, argv, &i, "--min-time", &v)) { NEED("--min-time"); if (parse_double(v, &k->mo.min_time) || k->mo.min_time < 0 || k->mo.min_time > 3600) return fail_msg("--min-time: expected seconds in [0, 3600], got '%s'", v); }
        else if (opt(argc, argv, &i, "--min-reps", &v)) { NEED("--min-reps"); if (parse_long(v, 1, 1000000, &n)) return fail_msg("--min-reps: expected 1..1000000, got '%s'", v); k->mo.min_reps = (int)n; }
        else if (opt(argc, argv, &i, "--max-reps", &v)) { NEED("--max-reps"); if (parse_long(v, 1, 100000000, &n)) return fail_msg("--max-reps: expected 1..100000000, got '%s'", v); k->mo.max_reps = (int)n; max_given = 1; }
        else if (opt(argc, argv, &i, "--warmup", &v)) { NEED("--warmup"); if (parse_long(v, 0, 1000000, &n)) return fail_msg("--warmup: expected 0..1000000, got '%s'", v); k->mo.warmup = (int)n; }
        else if (opt(argc, argv, &i, "--events", &v)) { NEED("--events"); events_arg = v; }
        else if (opt(argc, argv, &i, "--seed", &v)) { NEED("--seed"); if (parse_long(v, 0, INT32_MAX, &k->seed)) return fail_msg("--seed: expected 0..%d, got '%s'", INT32_MAX, v); }
        else if (opt(argc, argv, &i, "--batch-file", &v)) { NEED("--batch-file"); batch = v; }
        else if (opt(argc, argv, &i, "-o", &v)) { NEED("-o"); k->out = v; }
        else if (!strcmp(a, "--cold")) k->mo.cold = 1;
        else if (!strcmp(a, "--relu")) k->relu = 1;
        else if (!strcmp(a, "--peak")) k->peak = 1;
        else return fail_msg("kernel: unknown option '%s' (try: shiftbench kernel --help)", a);
#undef NEED
    }
    if (k->mo.max_reps < k->mo.min_reps) {
        if (max_given) return fail_msg("--max-reps %d is below --min-reps %d", k->mo.max_reps, k->mo.min_reps);
        k->mo.max_reps = k->mo.min_reps;
    }
    /* Descriptors on the command line take the global --op/--conn/--relu, wherever given. */
    for (int i = 0; i < ndesc; i++)
        if ((rc = add_job(k, "", descs[i], k->op, &k->sh, k->relu))) return rc;
    if (batch && (rc = read_batch(k, batch))) return rc;
    if (!k->njobs) return fail_msg("kernel: no descriptor given (e.g. mb1ic64ih56oc64kh3ph1; see shiftbench kernel --help)");
    if (impl_arg && strcmp(impl_arg, "all")) {
        snprintf(k->impl_buf, sizeof k->impl_buf, "%s", impl_arg);
        if ((rc = option_list(k->impl_buf, k->impls, MAX_IMPLS, &k->nimpls, "--impl"))) return rc;
        for (int i = 0; i < k->nimpls; i++)
            if (!impl_known(k->impls[i]))
                return fail_msg("unknown implementation '%s' (list them with: shiftbench kernel --list)", k->impls[i]);
    }
    if (events_arg && !strcmp(events_arg, "none")) k->nevents = 0;
    else if (events_arg && strcmp(events_arg, "default")) {
        snprintf(k->events_buf, sizeof k->events_buf, "%s", events_arg);
        if ((rc = option_list(k->events_buf, k->events, COUNTERS_MAX, &k->nevents, "--events"))) return rc;
    } else {
        for (int i = 0; i < counters_default_count; i++) k->events[i] = counters_default_events[i];
        k->nevents = counters_default_count;
    }
    return 0;
}

typedef struct {
    float *in, *in2, *out, *w, *b;
} buffers;

static void buffers_free(buffers *b) {
    free(b->in); free(b->in2); free(b->out); free(b->w); free(b->b);
    memset(b, 0, sizeof *b);
}

static int buffers_alloc(buffers *b, const op_desc *d, uint64_t seed) {
    size_t nin = op_in_count(d), nout = op_out_count(d), nw = op_weight_count(d), nb = op_bias_count(d);
    memset(b, 0, sizeof *b);
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    b->in = alloc_aligned(nin * sizeof(float));
    b->out = alloc_aligned(nout * sizeof(float));
    if (d->kind == OP_ADD) b->in2 = alloc_aligned(nin * sizeof(float));
    if (nw) b->w = alloc_aligned(nw * sizeof(float));
    if (nb) b->b = alloc_aligned(nb * sizeof(float));
    if (!b->in || !b->out || (d->kind == OP_ADD && !b->in2) || (nw && !b->w) || (nb && !b->b)) {
        buffers_free(b);
        return -1;
    }
    /* the same inputs for every implementation of a descriptor */
    exec_fill_random(b->in, nin, 1.0f, &s);
    if (b->in2) exec_fill_random(b->in2, nin, 1.0f, &s);
    if (b->w) exec_fill_random(b->w, nw, 1.0f, &s);
    if (b->b) exec_fill_random(b->b, nb, 1.0f, &s);
    memset(b->out, 0, nout * sizeof(float));
    return 0;
}

typedef struct {
    kernel *k;
    const buffers *b;
} run_ctx;

static void run_once(void *p) {
    run_ctx *c = p;
    kernel_run(c->k, c->b->in, c->b->in2, c->b->out);
}

static void print_time(FILE *f, double t) {
    if (t >= 1) fprintf(f, "%9.3f s ", t);
    else if (t >= 1e-3) fprintf(f, "%9.3f ms", t * 1e3);
    else fprintf(f, "%9.3f us", t * 1e6);
}

/* The implementations to run for op: the named ones, or every registered one. */
static int impls_for(const kopts *k, op_kind op, const kernel_impl **out, const char **missing, int *nmissing) {
    int n = 0;
    *nmissing = 0;
    if (k->nimpls) {
        for (int i = 0; i < k->nimpls; i++) {
            const kernel_impl *ki = kernel_find(op, k->impls[i]);
            if (ki) out[n++] = ki;
            else missing[(*nmissing)++] = k->impls[i];
        }
    } else {
        for (int i = 0, c = kernel_count(); i < c && n < MAX_IMPLS * 4; i++)
            if (kernel_at(i)->op == op) out[n++] = kernel_at(i);
    }
    return n;
}

/* Runs job j with impl, appending a record to doc. 1 = measured, 0 = skipped, -1 = error. */
static int run_one(const kopts *k, const job *j, const kernel_impl *impl, const buffers *b,
                   counters *ctr, const json_t *peaks, int *above, json_t *doc, FILE *tab) {
    char err[ERRLEN];
    kernel kr;
    if (kernel_create(&kr, impl, &j->d, b->w, b->b, err, sizeof err)) {
        fprintf(stderr, "note: %s %s: %s skipped: %s\n", j->name, op_name(j->d.kind), impl->impl, err);
        return 0;
    }
    run_ctx rc = { &kr, b };
    kernel_bind(&kr, b->in, b->in2, b->out);
    measure_result m;
    int r = measure(run_once, &rc, &k->mo, ctr, &m, err, sizeof err);
    const char *info = kernel_info(&kr);
    double peak = peaks ? peak_gflops_at(peaks, peak_run_level(impl->impl, info)) : 0;
    if (r || m.n == 0) {
        if (r) fail_run("%s: %s: %s", j->name, impl->impl, err);
        measure_result_free(&m);
        kernel_destroy(&kr);
        return r ? -1 : 0;
    }
    cost c;
    int have_cost = op_cost(&j->d, &c) == 0;
    results_record_in in = { .name = j->name, .d = &j->d, .impl = impl->impl, .impl_info = info,
                             .cost = have_cost ? &c : NULL, .m = &m, .peak_gflops = peak };
    json_t *rec = results_record(&in);
    json_object_set_new(rec, "desc", json_string(j->desc));
    if (j->d.relu) json_object_set_new(rec, "fused", json_pack("[s]", "relu"));
    results_add_record(doc, rec);
    double t = m.stats.median;
    fprintf(tab, "%-32s %-9s %-17s %-24s ", j->name, op_name(j->d.kind), impl->impl, info);
    print_time(tab, t);
    if (have_cost && c.flops) fprintf(tab, " %9.1f", (double)c.flops / t / 1e9); else fprintf(tab, " %9s", "-");
    if (have_cost) fprintf(tab, " %9.1f", (double)c.bytes / t / 1e9); else fprintf(tab, " %9s", "-");
    if (have_cost && c.flops && peak > 0) {
        double pct = results_pct_peak(&c, t, peak);
        fprintf(tab, " %6.1f%%%s", pct, peak_mark(pct));
        *above |= pct > 100;
    }
    fprintf(tab, "  (n=%d, mad %.1f%%)\n", m.n, 100 * m.stats.mad / t);
    fflush(tab);
    measure_result_free(&m);
    kernel_destroy(&kr);
    return 1;
}

static json_t *settings_json(const kopts *k) {
    json_t *s = json_object(), *ev = json_array(), *im = json_array(), *ds = json_array();
    for (int i = 0; i < k->nevents; i++) json_array_append_new(ev, json_string(k->events[i]));
    for (int i = 0; i < k->nimpls; i++) json_array_append_new(im, json_string(k->impls[i]));
    for (int i = 0; i < k->njobs; i++) json_array_append_new(ds, json_string(k->jobs[i].desc));
    json_object_set_new(s, "impl", k->nimpls ? im : (json_decref(im), json_string("all")));
    json_object_set_new(s, "op", json_string(op_name(k->op)));
    json_object_set_new(s, "conn", json_integer(k->sh.conn));
    if (!k->sh.conn) {
        char t[SHIFT_TEXT];
        shift_format(&k->sh, t, sizeof t);
        json_object_set_new(s, "shift", json_string(t));
    }
    json_object_set_new(s, "relu", json_boolean(k->relu));
    json_object_set_new(s, "batch", json_integer(k->jobs[0].d.n));
    json_object_set_new(s, "threads", json_integer(k->threads));
    json_object_set_new(s, "threads_above_cores", json_boolean(k->threads_above_cores));
    json_object_set_new(s, "min_time_s", json_real(k->mo.min_time));
    json_object_set_new(s, "min_reps", json_integer(k->mo.min_reps));
    json_object_set_new(s, "max_reps", json_integer(k->mo.max_reps));
    json_object_set_new(s, "warmup", json_integer(k->mo.warmup));
    json_object_set_new(s, "cold", json_boolean(k->mo.cold));
    json_object_set_new(s, "events", ev);
    json_object_set_new(s, "seed", json_integer(k->seed));
    json_object_set_new(s, "descriptors", ds);
    return s;
}

static void default_path(const kopts *k, char *path, size_t len) {
    char many[64], impl[128] = "";
    snprintf(many, sizeof many, "%s-%ddescs", op_name(k->jobs[0].d.kind), k->njobs);
    const char *name = k->njobs == 1 ? k->jobs[0].name : many;
    for (int i = 0; i < k->nimpls; i++)
        snprintf(impl + strlen(impl), sizeof impl - strlen(impl), "%s%s", i ? "+" : "", k->impls[i]);
    if (!k->nimpls) snprintf(impl, sizeof impl, "all");
    results_default_path(path, len, "kernel", name, impl, (int)k->threads, k->jobs[0].d.n);
}

/* Before anything runs, as `net` does: the largest descriptor's tensors must fit in 90 %
 * of the available memory (a job the machine cannot hold would swap or be killed). */
static int check_memory(const kopts *k) {
    uint64_t avail = mem_available();
    for (int i = 0; avail && i < k->njobs; i++) {
        const op_desc *d = &k->jobs[i].d;
        size_t in = op_in_count(d), total = 0, bytes;
        size_t parts[] = { in, d->kind == OP_ADD ? in : 0, op_out_count(d), op_weight_count(d), op_bias_count(d) };
        for (size_t p = 0; p < sizeof parts / sizeof *parts; p++)
            if (total + parts[p] < total) total = SIZE_MAX; else total += parts[p];
        if (mul_size(total, sizeof(float), &bytes) || bytes > avail / 10 * 9)
            return fail_msg("%s needs %.2f GB for its tensors, more than the %.2f GB available", k->jobs[i].name,
                            (double)total * sizeof(float) / 1e9, avail / 1e9);
    }
    return 0;
}

static int run_all(kopts *k) {
    char path[4096], err[ERRLEN];
    int rc = check_memory(k);
    if (rc) return rc;
    if (k->threads) k->threads_above_cores = context_threads_above_cores((int)k->threads);
    runtime_set_threads((int)k->threads);
    k->threads = runtime_threads();   /* 0 meant all cores */
    if (k->out) snprintf(path, sizeof path, "%s", k->out);
    else default_path(k, path, sizeof path);
    if (results_check_writable(path, !k->out, err, sizeof err)) return fail_msg("%s", err);
    counters *ctr = counters_open(k->events, k->nevents, err, sizeof err);
    if (!ctr) return fail_msg("%s", err);
    runtime_fix_openblas_core();
    signals_install();
    FILE *tab = strcmp(path, "-") ? stdout : stderr;
    json_t *ctx = context_build();
    json_t *peak = NULL;
    int above = 0;
    if (k->peak) {
        peak_result p;
        unsigned levels = k->nimpls ? 0 : peak_impl_levels("best");
        for (int i = 0; i < k->nimpls; i++) levels |= peak_impl_levels(k->impls[i]);
        if (peak_measure((int)k->threads, levels, NULL, &p, NULL, err, sizeof err) == 0) {
            peak = peak_json(&p);
            json_object_set(ctx, "peak", peak);
            fprintf(tab, "peak:");
            for (int l = 0; l < ISA_COUNT; l++)
                if (p.level[l].measured) fprintf(tab, " %s %.1f GFLOP/s", isa_name((isa_level)l), p.level[l].gflops);
            fprintf(tab, " on %d thread%s (FMA loops; %% of peak: executed FLOPs, the level each impl runs at)\n",
                    p.threads, p.threads == 1 ? "" : "s");
        } else {
            fprintf(stderr, "note: peak not measured: %s\n", err);
        }
    }
    json_object_set_new(ctx, "settings", settings_json(k));
    json_t *doc = results_new("kernel", ctx);
    fprintf(tab, "%-32s %-9s %-17s %-24s %12s %9s %9s%s\n", "descriptor", "op", "impl", "impl_info",
            "median", "GFLOP/s", "GB/s", peak ? "   peak" : "");
    int measured = 0, failed = 0;
    for (int i = 0; i < k->njobs && !interrupted(); i++) {
        const job *j = &k->jobs[i];
        const kernel_impl *impls[MAX_IMPLS * 4];
        const char *missing[MAX_IMPLS];
        int nmissing, ni = impls_for(k, j->d.kind, impls, missing, &nmissing);
        for (int m = 0; m < nmissing; m++)
            fprintf(stderr, "note: %s: no %s implementation of %s, skipped\n", j->name, missing[m], op_name(j->d.kind));
        buffers b;
        if (ni && buffers_alloc(&b, &j->d, (uint64_t)k->seed * 1000003u + (uint64_t)i)) {
            fprintf(stderr, "note: %s: out of memory for its tensors, skipped\n", j->name);
            continue;
        }
        for (int m = 0; m < ni && !interrupted(); m++) {
            int r = run_one(k, j, impls[m], &b, ctr, peak, &above, doc, tab);
            if (r > 0) measured++;
            if (r < 0) failed++;
        }
        if (ni) buffers_free(&b);
    }
    counters_close(ctr);
    peak_footnote(tab, above);
    json_decref(peak);
    int stopped = interrupted();
    results_set_complete(doc, !stopped);
    if (!measured && stopped) {
        fprintf(stderr, "shiftbench: interrupted before anything was measured; nothing written\n");
        rc = EXIT_INTERRUPTED;
    } else if (!measured) {
        rc = fail_msg("nothing was measured: every implementation was skipped (see the notes above)");
    } else if (results_write(doc, path, err, sizeof err)) {
        rc = fail_run("%s", err);
    } else {
        if (strcmp(path, "-")) fprintf(stderr, "wrote %s%s\n", path, stopped ? " (interrupted: incomplete)" : "");
        rc = stopped ? EXIT_INTERRUPTED : failed ? 1 : 0;
    }
    json_decref(doc);
    return rc;
}

int cmd_kernel(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout, 0);
        if (!strcmp(argv[i], "--list")) { list_kernels(); return 0; }
        if (!strcmp(argv[i], "--list-events")) return counters_list_events(stdout) ? 1 : 0;
    }
    kopts k = { .op = OP_CONV, .sh = { .conn = 4 }, .threads = 0, .seed = 1 };
    measure_opts_default(&k.mo);
    k.jobs = calloc(MAX_JOBS, sizeof *k.jobs);
    int rc = !k.jobs ? fail_msg("out of memory") : parse_args(argc, argv, &k);
    if (!rc) rc = run_all(&k);
    free(k.jobs);
    return rc;
}
