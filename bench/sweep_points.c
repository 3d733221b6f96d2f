/* Sweep points as results files: their identity (key), the machine they ran on, reading
 * them back from any number of directories, and the Pareto front over them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "results.h"
#include "sweep.h"

/* Reals at the precision results files keep (results_write), so a key made from a loaded
 * network and one read back from its results file agree. */
int sweep_point_key(const char *net, const char *impl, int threads, const json_t *knobs, char **buf) {
    char *k = json_dumps(knobs, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
    if (!k) return -1;
    size_t n = strlen(net) + strlen(impl) + strlen(k) + 32;
    *buf = malloc(n);
    if (*buf) snprintf(*buf, n, "%s|%s|t%d|%s", net, impl, threads, k);
    free(k);
    return *buf ? 0 : -1;
}

uint64_t sweep_hash(const char *s) {
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The best vector ISA among the context's CPU flags. */
static const char *best_isa(const json_t *isa) {
    static const char *const levels[][2] = { { "avx512f", "AVX-512" }, { "avx2", "AVX2" }, { "avx", "AVX" },
                                             { "sse4_2", "SSE4.2" } };
    for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
        size_t i;
        json_t *f;
        json_array_foreach(isa, i, f)
            if (json_is_string(f) && !strcmp(json_string_value(f), levels[l][0])) return levels[l][1];
    }
    return json_array_size(isa) ? "baseline" : "unknown ISA";
}

void sweep_machine(const json_t *ctx, char *buf, size_t len) {
    const char *cpu = json_string_value(json_object_get(ctx, "cpu_model"));
    json_t *cores = json_object_get(ctx, "cores");
    snprintf(buf, len, "%s | %s | %lld cores", cpu && *cpu ? cpu : "unknown CPU", best_isa(json_object_get(ctx, "isa")),
             json_is_integer(cores) ? (long long)json_integer_value(cores) : 0LL);
}

void sweep_result_free(sweep_result *r) {
    free(r->key);
    json_decref(r->knobs);
    r->key = NULL;
    r->knobs = NULL;
}

int sweep_result_load(const char *path, sweep_result *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    json_t *doc = results_load(path, err, errlen);
    if (!doc) return -1;
    const json_t *ctx = json_object_get(doc, "context"), *set = json_object_get(ctx, "settings");
    const json_t *net = json_object_get(doc, "network");
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *name = json_string_value(json_object_get(net, "name"));
    const char *impl = json_string_value(json_object_get(set, "impl"));
    const char *date = json_string_value(json_object_get(ctx, "date"));
    json_t *knobs = json_object_get(net, "knobs"), *threads = json_object_get(ctx, "threads");
    json_t *median = json_object_get(json_object_get(json_object_get(doc, "pass"), "stats"), "median");
    int rc = -1;
    if (!kind || strcmp(kind, "net")) set_err(err, errlen, "%s: not a net result", path);
    else if (!name || !impl || !json_is_object(knobs) || !json_is_integer(threads) || strlen(name) >= sizeof r->network ||
             strlen(impl) >= sizeof r->impl)
        set_err(err, errlen, "%s: no network name, impl, threads or knobs", path);
    else if (!json_is_true(json_object_get(doc, "complete")) || !json_is_number(median))
        set_err(err, errlen, "%s: an interrupted run (no whole-pass median)", path);
    else if (!(json_number_value(median) > 0) || !isfinite(json_number_value(median)))
        set_err(err, errlen, "%s: whole-pass median is not a positive number", path);
    else if (sweep_point_key(name, impl, (int)json_integer_value(threads), knobs, &r->key))
        set_err(err, errlen, "out of memory");
    else rc = 0;
    if (!rc) {
        snprintf(r->network, sizeof r->network, "%s", name);
        snprintf(r->impl, sizeof r->impl, "%s", impl);
        snprintf(r->date, sizeof r->date, "%s", date ? date : "");
        sweep_machine(ctx, r->machine, sizeof r->machine);
        r->threads = (int)json_integer_value(threads);
        r->batch = (int)json_integer_value(json_object_get(knobs, "batch"));
        r->complete = 1;
        r->params = json_number_value(json_object_get(net, "params"));
        r->macs = json_number_value(json_object_get(net, "macs"));
        r->median_ms = 1e3 * json_number_value(median);
        r->knobs = json_incref(knobs);
        size_t i;
        json_t *kv;
        json_array_foreach(json_object_get(set, "set"), i, kv)
            if (json_is_string(kv))
                snprintf(r->set + strlen(r->set), sizeof r->set - strlen(r->set), "%s%s", r->set[0] ? " " : "",
                         json_string_value(kv));
    }
    json_decref(doc);
    return rc;
}


/* The sweep's own manifest: no results file, passed over without a word. */
static int is_manifest(const char *path) {
    const char *slash = strrchr(path, '/');
    return !strcmp(slash ? slash + 1 : path, "sweep.json");
}

static int load_dir(const char *dir, sweep_results *out, FILE *warn, char *err, size_t errlen) {
    char **files;
    int nf = list_json_files(dir, &files, err, errlen);
    if (nf < 0) return -1;
    for (int f = 0; f < nf; f++) {
        sweep_result r;
        char why[ERRLEN];
        if (is_manifest(files[f])) { free(files[f]); continue; }
        if (sweep_result_load(files[f], &r, why, sizeof why)) {
            if (warn) fprintf(warn, "shiftbench: skipped %s\n", why);
            out->skipped++;
            free(files[f]);
            continue;
        }
        free(files[f]);
        int k = 0;
        for (; k < out->n && (strcmp(out->r[k].key, r.key) || strcmp(out->r[k].machine, r.machine)); k++) {}
        if (k < out->n) {   /* measured twice on one machine: the later one */
            if (strcmp(r.date, out->r[k].date) > 0) { sweep_result_free(&out->r[k]); out->r[k] = r; }
            else sweep_result_free(&r);
            continue;
        }
        sweep_result *nr = realloc(out->r, (size_t)(out->n + 1) * sizeof *nr);
        if (!nr) { sweep_result_free(&r); continue; }
        out->r = nr;
        out->r[out->n++] = r;
    }
    free(files);
    return 0;
}

int sweep_results_load(char *const *dirs, int ndirs, sweep_results *out, FILE *warn, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < ndirs; i++)
        if (load_dir(dirs[i], out, warn, err, errlen)) { sweep_results_free(out); return -1; }
    return 0;
}

void sweep_results_free(sweep_results *rs) {
    for (int i = 0; i < rs->n; i++) sweep_result_free(&rs->r[i]);
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

typedef struct { double x, y; int i; } pp;

static int cmp_pp(const void *a, const void *b) {
    const pp *p = a, *q = b;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;   /* fastest first, then the most x */
    return (p->x < q->x) - (p->x > q->x);
}

void sweep_pareto(const double *x, const double *y, int n, int *on_front) {
    pp *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    int m = 0;
    for (int i = 0; i < n; i++) {
        on_front[i] = 0;
        if (v && !isnan(x[i]) && !isnan(y[i])) v[m++] = (pp){ x[i], y[i], i };
    }
    if (!v) return;
    qsort(v, (size_t)m, sizeof *v, cmp_pp);
    /* Walking up in latency, a point is on the front when it beats every faster one's x. */
    double best = -INFINITY;
    for (int k = 0; k < m; k++)
        if (v[k].x > best) {
            on_front[v[k].i] = 1;
            best = v[k].x;
        }
    free(v);
}
