/* The grid of `shiftbench sweep`: command-line options and JSON spec files go through one
 * table of options, so a spec file is parsed by the same code as the command line (its
 * keys are the option names without "--"). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "exec.h"
#include "sweep.h"

typedef int (*apply_fn)(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen);

typedef struct {
    const char *name;   /* "--impl"; a spec file's key is name + 2 */
    const char *arg;    /* NULL: a flag */
    const char *help;
    apply_fn apply;
} sweep_option;

static int dup_str(char **dst, const char *src, char *err, size_t errlen) {
    if (!(*dst = strdup(src))) return set_err(err, errlen, "out of memory");
    return 0;
}

static int add_net(sweep_spec *s, const char *name, char *err, size_t errlen) {
    for (int i = 0; i < s->nnets; i++)
        if (!strcmp(s->nets[i], name)) return set_err(err, errlen, "sweep: network '%s' named twice", name);
    if (s->nnets >= SWEEP_MAX_LIST) return set_err(err, errlen, "sweep: at most %d networks", SWEEP_MAX_LIST);
    return dup_str(&s->nets[s->nnets++], name, err, errlen);
}

/* Splits at the commas outside brackets; "[2,2,2,2]" is one item (a list knob's value). */
static int split_top(char *v, char **items, int max, int *n, const char *what, char *err, size_t errlen) {
    *n = 0;
    char *start = v;
    int depth = 0;
    for (char *c = v;; c++) {
        if (*c == '[') depth++;
        else if (*c == ']' && --depth < 0) return set_err(err, errlen, "sweep: %s: unbalanced ']'", what);
        if (*c && (*c != ',' || depth)) continue;
        if (depth) return set_err(err, errlen, "sweep: %s: unbalanced '['", what);
        int end = !*c;
        *c = 0;
        if (!*start) return set_err(err, errlen, "sweep: %s: an empty value", what);
        if (*n >= max) return set_err(err, errlen, "sweep: %s: more than %d values", what, max);
        items[(*n)++] = start;
        if (end) return 0;
        start = c + 1;
    }
}

static int is_integral(double x) { return fabs(x) < 9e15 && floor(x) == x; }

static int axis_add(sweep_axis *a, const char *v, char *err, size_t errlen) {
    if (a->nvals >= SWEEP_MAX_VALUES)
        return set_err(err, errlen, "sweep: --set %s: more than %d values", a->knob, SWEEP_MAX_VALUES);
    if (!(a->nvals & (a->nvals - 1))) {   /* 0 or a power of two: double (ranges can be long) */
        char **nv = realloc(a->vals, (size_t)(a->nvals ? 2 * a->nvals : 1) * sizeof *nv);
        if (!nv) return set_err(err, errlen, "out of memory");
        a->vals = nv;
    }
    return dup_str(&a->vals[a->nvals++], v, err, errlen);
}

/* FROM:TO:STEP, TO included when a whole number of steps away; values are computed as
 * FROM + i*STEP (no drift) and printed as integers when all three are. */
static int axis_range(sweep_axis *a, const char *item, char *err, size_t errlen) {
    char buf[256], *p[4];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", item);
    for (char *c = buf, *t = buf;; c++)
        if (*c == ':' || !*c) {
            int end = !*c;
            *c = 0;
            if (n < 4) p[n] = t;
            n++;
            t = c + 1;
            if (end) break;
        }
    double from, to, step;
    if (n != 3 || parse_double(p[0], &from) || parse_double(p[1], &to) || parse_double(p[2], &step))
        return set_err(err, errlen, "sweep: --set %s: range '%s' is not FROM:TO:STEP (numbers)", a->knob, item);
    if (step == 0) return set_err(err, errlen, "sweep: --set %s: range '%s' has a step of 0", a->knob, item);
    double q = (to - from) / step;
    if (!(q > -1e-9)) return set_err(err, errlen, "sweep: --set %s: range '%s' is empty", a->knob, item);
    if (q > SWEEP_MAX_VALUES)
        return set_err(err, errlen, "sweep: --set %s: range '%s' has more than %d values", a->knob, item, SWEEP_MAX_VALUES);
    long cnt = (long)floor(q + 1e-9) + 1;
    int ints = is_integral(from) && is_integral(step);
    for (long i = 0; i < cnt; i++) {
        char v[64];
        double x = from + (double)i * step;
        if (ints) snprintf(v, sizeof v, "%.0f", x);
        else snprintf(v, sizeof v, "%.10g", x);
        if (axis_add(a, v, err, errlen)) return -1;
    }
    return 0;
}

static int cmp_val(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A value given twice would be a point measured twice (sorted copy: ranges can be long). */
static int axis_unique(const sweep_axis *a, char *err, size_t errlen) {
    char **v = malloc((size_t)a->nvals * sizeof *v);
    if (!v) return set_err(err, errlen, "out of memory");
    memcpy(v, a->vals, (size_t)a->nvals * sizeof *v);
    qsort(v, (size_t)a->nvals, sizeof *v, cmp_val);
    int rc = 0;
    for (int i = 1; i < a->nvals && !rc; i++)
        if (!strcmp(v[i - 1], v[i]))
            rc = set_err(err, errlen, "sweep: --set %s: the value '%s' twice (a list knob's value goes in "
                         "brackets: %s=[2,2,2,2],[3,4,6,3])", a->knob, v[i], a->knob);
    free(v);
    return rc;
}

/* KNOB=V1,V2,FROM:TO:STEP,[list],... */
static int opt_set(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen) {
    const char *eq = strchr(val, '=');
    if (!eq || eq == val || (size_t)(eq - val) >= sizeof s->axes[0].knob)
        return set_err(err, errlen, "sweep: %s '%s': expected KNOB=VALUES", opt, val);
    if (s->naxes >= SWEEP_MAX_AXES) return set_err(err, errlen, "sweep: at most %d knobs", SWEEP_MAX_AXES);
    sweep_axis *a = &s->axes[s->naxes];
    memset(a, 0, sizeof *a);
    snprintf(a->knob, sizeof a->knob, "%.*s", (int)(eq - val), val);
    for (int i = 0; i < s->naxes; i++)
        if (!strcmp(s->axes[i].knob, a->knob)) return set_err(err, errlen, "sweep: knob '%s' set twice", a->knob);
    s->naxes++;
    char *buf = strdup(eq + 1), *items[4096];
    int n;
    if (!buf) return set_err(err, errlen, "out of memory");
    char what[96];
    snprintf(what, sizeof what, "--set %s", a->knob);
    int rc = split_top(buf, items, 4096, &n, what, err, errlen);
    if (!rc && !*(eq + 1)) rc = set_err(err, errlen, "sweep: --set %s: no values", a->knob);
    for (int i = 0; !rc && i < n; i++) {
        size_t l = strlen(items[i]);
        if (items[i][0] == '[') {
            if (l < 3 || items[i][l - 1] != ']' || strchr(items[i] + 1, '['))
                rc = set_err(err, errlen, "sweep: --set %s: bad list value '%s'", a->knob, items[i]);
            else {
                items[i][l - 1] = 0;
                rc = axis_add(a, items[i] + 1, err, errlen);
            }
        } else if (strchr(items[i], ':')) rc = axis_range(a, items[i], err, errlen);
        else rc = axis_add(a, items[i], err, errlen);
    }
    if (!rc) rc = axis_unique(a, err, errlen);
    free(buf);
    return rc;
}

/* --batch L and --resolution L: knob axes under their own names. */
static int opt_knob(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen) {
    char kv[4096];
    snprintf(kv, sizeof kv, "%s=%s", opt + 2, val);
    return opt_set(s, opt, kv, err, errlen);
}

static int opt_impl(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen) {
    char buf[1024], *items[SWEEP_MAX_LIST], why[ERRLEN];
    int n;
    snprintf(buf, sizeof buf, "%s", val);
    if (split_list(buf, items, SWEEP_MAX_LIST, &n, why, sizeof why))
        return set_err(err, errlen, "sweep: %s '%s': %s", opt, val, why);
    for (int i = 0; i < s->nimpl; i++) free(s->impl[i]);
    s->nimpl = 0;
    for (int i = 0; i < n; i++) {
        if (!exec_impl_valid(items[i]))
            return set_err(err, errlen, "sweep: unknown implementation '%s' (choose from: %s)", items[i], exec_impl_names());
        for (int k = 0; k < s->nimpl; k++)
            if (!strcmp(s->impl[k], items[i])) return set_err(err, errlen, "sweep: %s: '%s' twice", opt, items[i]);
        if (dup_str(&s->impl[s->nimpl++], items[i], err, errlen)) return -1;
    }
    return 0;
}

static int opt_threads(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen) {
    char buf[1024], *items[SWEEP_MAX_LIST], why[ERRLEN];
    int n;
    snprintf(buf, sizeof buf, "%s", val);
    if (split_list(buf, items, SWEEP_MAX_LIST, &n, why, sizeof why))
        return set_err(err, errlen, "sweep: %s '%s': %s", opt, val, why);
    s->nthreads = 0;
    for (int i = 0; i < n; i++) {
        long v;
        if (parse_long(items[i], 1, 4096, &v))
            return set_err(err, errlen, "sweep: %s '%s': expected integers in [1, 4096]", opt, items[i]);
        for (int k = 0; k < s->nthreads; k++)
            if (s->threads[k] == v) return set_err(err, errlen, "sweep: %s: %ld twice", opt, v);
        s->threads[s->nthreads++] = (int)v;
    }
    return 0;
}

static int opt_number(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen) {
    double d;
    long v;
    if (!strcmp(opt, "--min-time") || !strcmp(opt, "--budget-ms") || !strcmp(opt, "--max-macs")) {
        double max = opt[2] == 'm' && opt[3] == 'i' ? 3600 : 1e30;
        if (parse_double(val, &d) || !(d >= 0) || d > max)
            return set_err(err, errlen, "sweep: %s '%s': expected a number in [0, %g]", opt, val, max);
        if (opt[2] == 'b') s->budget_ms = d;
        else if (opt[3] == 'a') s->max_macs = d;
        else s->min_time = d;
        return 0;
    }
    long min = !strcmp(opt, "--warmup") ? 0 : 1;
    if (parse_long(val, min, 1000000, &v))
        return set_err(err, errlen, "sweep: %s '%s': expected an integer in [%ld, 1000000]", opt, val, min);
    if (!strcmp(opt, "--warmup")) s->warmup = v;
    else if (!strcmp(opt, "--min-reps")) s->min_reps = v;
    else s->max_reps = v;
    return 0;
}

static int opt_path(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen) {
    char *dst = !strcmp(opt, "--out") ? s->out_dir : s->exe;
    if (!*val || strlen(val) >= sizeof s->out_dir) return set_err(err, errlen, "sweep: %s: a path, please", opt);
    snprintf(dst, sizeof s->out_dir, "%s", val);
    return 0;
}

static int opt_flag(sweep_spec *s, const char *opt, const char *val, char *err, size_t errlen) {
    (void)val, (void)err, (void)errlen;
    if (!strcmp(opt, "--plan")) s->plan = 1;
    else if (!strcmp(opt, "--cost-only")) s->cost_only = 1;
    else if (!strcmp(opt, "--yes")) s->yes = 1;
    else if (!strcmp(opt, "--quick")) {   /* fills what is not given (see sweep_spec_parse) */
        if (s->min_time < 0) s->min_time = 0.1;
        if (s->min_reps < 0) s->min_reps = 3;
        if (s->warmup < 0) s->warmup = 1;
        if (s->max_reps < 0) s->max_reps = 50;
    }
    return 0;
}

static const sweep_option OPTIONS[] = {
    { "--set", "KNOB=VALUES", "a knob's values: V1,V2,... and FROM:TO:STEP ranges; a list knob's value in\n"
                              "brackets (blocks=[2,2,2,2],[3,4,6,3]); repeat for more knobs", opt_set },
    { "--batch", "LIST", "batch sizes (the knob batch)", opt_knob },
    { "--resolution", "LIST", "input sizes (the knob resolution)", opt_knob },
    { "--impl", "LIST", "implementations (default onednn)", opt_impl },
    { "--threads", "LIST", "thread counts (default 1)", opt_threads },
    { "--out", "DIR", "one results file per point, and sweep.json (default results/sweep)", opt_path },
    { "--min-time", "S", "per point, as for shiftbench net (default: net's)", opt_number },
    { "--min-reps", "N", "per point (default: net's)", opt_number },
    { "--warmup", "N", "per point (default: net's)", opt_number },
    { "--max-reps", "N", "per point (default: net's)", opt_number },
    { "--quick", NULL, "--min-time 0.1 --min-reps 3 --warmup 1 --max-reps 50 where not given", opt_flag },
    { "--budget-ms", "MS", "measure in ascending MACs; skip the points of a series (network, impl,\n"
                           "threads, batch) with at least the MACs of one that took longer than MS", opt_number },
    { "--max-macs", "N", "skip points with more MACs than N (e.g. 2e9)", opt_number },
    { "--cost-only", NULL, "cost every point, measure none", opt_flag },
    { "--plan", NULL, "print one self-contained shell command per unfinished point, measure none", opt_flag },
    { "--exe", "PATH", "the shiftbench --plan's commands run (default: this one)", opt_path },
    { "--yes", NULL, "allow more than 10000 points", opt_flag },
};
#define NOPTIONS (sizeof OPTIONS / sizeof *OPTIONS)

void sweep_usage(FILE *f) {
    fprintf(f, "usage: shiftbench sweep [SPEC.json | NET]... [OPTIONS]\n\n"
               "Costs every point of a grid (networks x knob values x implementations x threads)\n"
               "with the cost model, then measures each point with `shiftbench net` (one process\n"
               "per point), progress and ETA on stderr. A point's results file is kept in --out;\n"
               "a re-run skips the finished points; Ctrl-C keeps them (exit 130). NET: a name\n"
               "under arch/ or an arch file; SPEC.json: a JSON object whose keys are the options\n"
               "below without \"--\" (\"networks\": [...], \"set\": {\"width_multiplier\": \"0.25:2:0.25\",\n"
               "\"blocks\": [[2,2,2,2],[3,4,6,3]]}, \"impl\": [\"onednn\",\"own\"], \"quick\": true, ...).\n\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", OPTIONS[i].name, OPTIONS[i].arg ? " " : "",
                 OPTIONS[i].arg ? OPTIONS[i].arg : "");
        fprintf(f, "  %-20s ", head);
        for (const char *c = OPTIONS[i].help; *c; c++) {
            fputc(*c, f);
            if (*c == '\n') fprintf(f, "  %-20s ", "");
        }
        fputc('\n', f);
    }
}

static const sweep_option *find_option(const char *name) {
    for (size_t i = 0; i < NOPTIONS; i++)
        if (!strcmp(OPTIONS[i].name, name)) return &OPTIONS[i];
    return NULL;
}

/* A JSON value as option text: scalars as written, arrays joined by commas (inner arrays
 * in brackets: a list knob's value). */
static int json_text(const json_t *v, char *buf, size_t len, int depth) {
    size_t n = strlen(buf);
    if (json_is_string(v)) snprintf(buf + n, len - n, "%s", json_string_value(v));
    else if (json_is_integer(v)) snprintf(buf + n, len - n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) snprintf(buf + n, len - n, "%.10g", json_real_value(v));
    else if (json_is_boolean(v)) snprintf(buf + n, len - n, "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_array(v) && depth < 2) {
        if (depth) snprintf(buf + n, len - n, "[");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (i) snprintf(buf + strlen(buf), len - strlen(buf), ",");
            if (json_text(e, buf, len, depth + 1)) return -1;
        }
        if (depth) snprintf(buf + strlen(buf), len - strlen(buf), "]");
    } else return -1;
    return strlen(buf) + 1 >= len ? -1 : 0;
}

static int apply(sweep_spec *s, const sweep_option *o, const char *val, char *err, size_t errlen) {
    return o->apply(s, o->name, val, err, errlen);
}

/* A spec file: every key an option (without "--"), "networks" the positional names. */
static int load_spec(sweep_spec *s, const char *path, json_t *doc, char *err, size_t errlen) {
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        char name[80], text[16384] = "";
        if (!strcmp(key, "networks")) {
            json_t *one = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
            size_t i;
            json_t *e;
            int bad = !json_is_array(one) || !json_array_size(one);
            json_array_foreach(one, i, e) {
                if (bad || !json_is_string(e)) { bad = 1; break; }
                if (add_net(s, json_string_value(e), err, errlen)) { json_decref(one); return -1; }
            }
            json_decref(one);
            if (bad) return set_err(err, errlen, "%s: \"networks\" must be a list of network names", path);
            continue;
        }
        snprintf(name, sizeof name, "--%s", key);
        const sweep_option *o = find_option(name);
        if (!o) {
            char list[1024] = "networks";
            for (size_t i = 0; i < NOPTIONS; i++) snprintf(list + strlen(list), sizeof list - strlen(list), ", %s", OPTIONS[i].name + 2);
            return set_err(err, errlen, "%s: unknown key '%s' (allowed: %s)", path, key, list);
        }
        if (!o->arg) {
            if (!json_is_boolean(v)) return set_err(err, errlen, "%s: \"%s\" must be true or false", path, key);
            if (json_is_true(v) && apply(s, o, NULL, err, errlen)) return -1;
            continue;
        }
        if (o->apply == opt_set) {   /* "set": {"knob": values, ...} */
            if (!json_is_object(v) || !json_object_size(v))
                return set_err(err, errlen, "%s: \"set\" must be an object of knob values", path);
            const char *k;
            json_t *kv;
            json_object_foreach(v, k, kv) {
                snprintf(text, sizeof text, "%s=", k);
                if (json_text(kv, text, sizeof text, 0))
                    return set_err(err, errlen, "%s: \"set\".\"%s\": expected a value, a list of values or a range "
                                   "string", path, k);
                if (apply(s, o, text, err, errlen)) return -1;
            }
            continue;
        }
        if (json_text(v, text, sizeof text, 0) || !text[0])
            return set_err(err, errlen, "%s: \"%s\": expected a value or a list of values", path, key);
        if (apply(s, o, text, err, errlen)) return -1;
    }
    return 0;
}

/* A positional argument: a spec file (a JSON object without "family") or a network. */
static int positional(sweep_spec *s, const char *a, char *err, size_t errlen) {
    size_t l = strlen(a);
    if (l > 5 && !strcmp(a + l - 5, ".json")) {
        json_error_t je;
        json_t *doc = json_load_file(a, JSON_REJECT_DUPLICATES, &je);
        if (!doc) return set_err(err, errlen, "%s:%d:%d: %s", a, je.line, je.column, je.text);
        if (!json_is_object(doc)) {
            json_decref(doc);
            return set_err(err, errlen, "%s: expected a JSON object (a sweep spec or an arch file)", a);
        }
        int rc = json_object_get(doc, "family") ? add_net(s, a, err, errlen) : load_spec(s, a, doc, err, errlen);
        json_decref(doc);
        return rc;
    }
    return add_net(s, a, err, errlen);
}

int sweep_spec_parse(int argc, char **argv, sweep_spec *s, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->min_time = -1;
    s->min_reps = s->warmup = s->max_reps = -1;
    snprintf(s->out_dir, sizeof s->out_dir, "results/sweep");
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { sweep_usage(stdout); return 1; }
        if (a[0] != '-') {
            if (positional(s, a, err, errlen)) return -1;
            continue;
        }
        const sweep_option *o = find_option(a);
        if (!o) return set_err(err, errlen, "sweep: unknown option '%s' (see shiftbench sweep --help)", a);
        if (!strcmp(a, "--quick")) { quick = 1; continue; }   /* after the explicit values */
        if (o->arg && i + 1 >= argc) return set_err(err, errlen, "sweep: %s needs a value", a);
        if (apply(s, o, o->arg ? argv[++i] : NULL, err, errlen)) return -1;
    }
    if (quick) opt_flag(s, "--quick", NULL, err, errlen);
    if (!s->nnets) return set_err(err, errlen, "sweep: name a network or a spec file (see shiftbench sweep --help)");
    if (!s->nimpl && opt_impl(s, "--impl", "onednn", err, errlen)) return -1;
    if (!s->nthreads) s->threads[s->nthreads++] = 1;
    if (s->plan + s->cost_only > 1) return set_err(err, errlen, "sweep: --plan and --cost-only exclude each other");
    if (s->max_reps > 0 && s->min_reps > s->max_reps)
        return set_err(err, errlen, "sweep: --max-reps %ld is below --min-reps %ld", s->max_reps, s->min_reps);
    long n = sweep_spec_points(s);
    if (n < 0) return set_err(err, errlen, "sweep: more than %d points", SWEEP_MAX_POINTS);
    if (n > SWEEP_CONFIRM_POINTS && !s->yes)
        return set_err(err, errlen, "sweep: %ld points (more than %d): add --yes to cost them all", n, SWEEP_CONFIRM_POINTS);
    return 0;
}

void sweep_spec_free(sweep_spec *s) {
    for (int i = 0; i < s->nnets; i++) free(s->nets[i]);
    for (int i = 0; i < s->nimpl; i++) free(s->impl[i]);
    for (int a = 0; a < s->naxes; a++) {
        for (int v = 0; v < s->axes[a].nvals; v++) free(s->axes[a].vals[v]);
        free(s->axes[a].vals);
    }
    memset(s, 0, sizeof *s);
}

long sweep_spec_points(const sweep_spec *s) {
    long n = (long)s->nnets * s->nimpl * s->nthreads;
    for (int a = 0; a < s->naxes; a++) {
        if (s->axes[a].nvals > SWEEP_MAX_POINTS || n * s->axes[a].nvals > SWEEP_MAX_POINTS) return -1;
        n *= s->axes[a].nvals;
    }
    return n > SWEEP_MAX_POINTS ? -1 : n;
}

void sweep_spec_coord(const sweep_spec *s, long i, sweep_coord *c) {
    for (int a = s->naxes - 1; a >= 0; a--) {
        c->val[a] = (int)(i % s->axes[a].nvals);
        i /= s->axes[a].nvals;
    }
    c->threads = (int)(i % s->nthreads);
    i /= s->nthreads;
    c->impl = (int)(i % s->nimpl);
    c->net = (int)(i / s->nimpl);
}
