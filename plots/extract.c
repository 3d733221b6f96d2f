/* Data extraction for `shiftbench plot`: results files, costs and accuracies. */
#include "extract.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/cost.h"
#include "../arch/family.h"
#include "../arch/ir.h"
#include "../bench/results.h"
#include "../common/text.h"
#include "../common/util.h"

static const char *const cat_labels[PL_NCAT] = {
    "3x3 conv", "1x1 conv", "shift", "shift+1x1 (fused)", "depthwise 3x3", "pooling", "add", "other (7x7 conv, fc, ReLU)"
};

const char *pl_cat_label(int cat) { return cat >= 0 && cat < PL_NCAT ? cat_labels[cat] : "?"; }

int pl_cat_of_kind(const char *kind) {
    if (!kind) return PL_OTHER;
    if (!strcmp(kind, "conv3x3")) return PL_CONV3;
    if (!strcmp(kind, "conv1x1")) return PL_CONV1;
    if (!strcmp(kind, "shift")) return PL_SHIFT;
    if (!strcmp(kind, "shiftconv")) return PL_SHIFTCONV;
    if (!strcmp(kind, "dw3x3")) return PL_DW;
    if (!strcmp(kind, "pool")) return PL_POOL;
    if (!strcmp(kind, "add")) return PL_ADD;
    return PL_OTHER;   /* conv7x7 stem, relu, fc, anything new */
}

static void copy_str(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

static double num(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int inum(const json_t *o, const char *key, int dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static const char *str(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* context.peak: the compute roof for `threads` and the copy bandwidths. */
static void read_peak(const json_t *peak, int threads, pl_run *r) {
    r->peak_gflops = r->peak_per_core = r->bw_gbs = r->bw_bytes = r->bw_cache_gbs = r->bw_cache_bytes = NAN;
    if (!json_is_object(peak)) return;
    /* "gflops" is for the peak's own thread count ("threads", else the run's) */
    double g = num(peak, "gflops"), pc = num(peak, "gflops_per_core");
    int pt = inum(peak, "threads", threads);
    if (pc > 0) r->peak_per_core = pc;
    if (g > 0 && pt == threads) r->peak_gflops = g;
    else if (pc > 0) r->peak_gflops = pc * (threads > 0 ? threads : 1);
    json_t *copy = json_object_get(peak, "copy_gbs");
    size_t i;
    json_t *p;
    json_array_foreach(copy, i, p) {
        double b = json_number_value(json_array_get(p, 0)), gbs = json_number_value(json_array_get(p, 1));
        if (!json_is_array(p) || !(b > 0) || !(gbs > 0)) continue;
        if (isnan(r->bw_bytes) || b > r->bw_bytes) { r->bw_bytes = b; r->bw_gbs = gbs; }
        if (isnan(r->bw_cache_gbs) || gbs > r->bw_cache_gbs) { r->bw_cache_gbs = gbs; r->bw_cache_bytes = b; }
    }
}

static void read_context(const json_t *ctx, pl_run *r) {
    const json_t *set = json_object_get(ctx, "settings");
    copy_str(r->date, sizeof r->date, str(ctx, "date"));
    copy_str(r->cpu, sizeof r->cpu, str(ctx, "cpu_model"));
    copy_str(r->openblas_core, sizeof r->openblas_core, str(ctx, "openblas_core"));
    copy_str(r->onednn_version, sizeof r->onednn_version, str(ctx, "onednn_version"));
    copy_str(r->compiler, sizeof r->compiler, str(ctx, "compiler"));
    copy_str(r->hostname, sizeof r->hostname, str(ctx, "hostname"));
    r->cores = inum(ctx, "cores", 0);
    r->threads = inum(ctx, "threads", inum(set, "threads", 1));
    r->batch = inum(set, "batch", 1);
    r->resolution = inum(set, "resolution", 0);
    r->min_time = num(set, "min_time_s");
    r->min_reps = inum(set, "min_reps", 0);
    const char *fuse = str(set, "fuse");
    r->fused_blocks = fuse && !strcmp(fuse, "block");
    read_peak(json_object_get(ctx, "peak"), r->threads, r);
}

void pl_run_free(pl_run *run) {
    free(run->layers);
    free(run->pass_samples);
    run->pass_samples = NULL;
    run->npass = 0;
    run->layers = NULL;
    run->nlayers = 0;
}

int pl_run_from_json(const json_t *doc, const char *path, pl_run *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    copy_str(r->path, sizeof r->path, path);
    const char *kind = str(doc, "kind");
    if (!kind || strcmp(kind, "net")) return set_err(err, errlen, "%s: not a net result", path);
    const json_t *ctx = json_object_get(doc, "context"), *net = json_object_get(doc, "network");
    const json_t *recs = json_object_get(doc, "records");
    const char *name = str(net, "name");
    if (!json_is_object(ctx)) return set_err(err, errlen, "%s: no \"context\" object", path);
    if (!name || !*name) return set_err(err, errlen, "%s: no \"network\".\"name\"", path);
    if (strlen(name) >= PL_NAME) return set_err(err, errlen, "%s: network name too long", path);
    copy_str(r->network, sizeof r->network, name);
    read_context(ctx, r);
    /* The charts compare the named networks as their arch files define them: a run whose
     * knobs were changed (anything but the batch) is another network. */
    const json_t *set = json_object_get(json_object_get(ctx, "settings"), "set"), *kv;
    size_t si;
    json_array_foreach(set, si, kv)
        if (json_is_string(kv) && strncmp(json_string_value(kv), "batch=", 6))
            return set_err(err, errlen, "%s: %s with --set %s is not the named network", path, name,
                           json_string_value(kv));
    const char *impl = str(json_object_get(ctx, "settings"), "impl");
    if (!impl || !*impl) return set_err(err, errlen, "%s: no \"context\".\"settings\".\"impl\"", path);
    /* a run with each shift apart (net --unfused-shift) is another way of running */
    snprintf(r->impl, sizeof r->impl, "%.20s%s", impl,
             json_is_false(json_object_get(json_object_get(ctx, "settings"), "fuse_shift")) ? "-unfused" : "");
    r->complete = json_is_true(json_object_get(doc, "complete"));
    r->params = num(net, "params");
    r->macs = num(net, "macs");
    r->flops = num(net, "flops");
    r->bytes = num(net, "bytes");
    const json_t *ps = json_object_get(json_object_get(doc, "pass"), "stats");
    r->pass = num(ps, "median");
    r->pass_p10 = num(ps, "p10");
    r->pass_p90 = num(ps, "p90");
    if (results_samples(json_object_get(doc, "pass"), &r->pass_samples, &r->npass)) r->npass = 0;
    json_t *blocks = json_object_get(json_object_get(net, "knobs"), "blocks");
    r->nstages = json_is_array(blocks) ? (int)json_array_size(blocks) : 0;

    size_t n = json_array_size(recs), i;
    r->layers = calloc(n ? n : 1, sizeof *r->layers);
    if (!r->layers) return set_err(err, errlen, "out of memory");
    int maxstage = 0;
    json_t *rec;
    json_array_foreach(recs, i, rec) {
        pl_layer *L = &r->layers[r->nlayers];
        const char *lname = str(rec, "name");
        if (!json_is_object(rec) || !lname) {
            pl_run_free(r);
            return set_err(err, errlen, "%s: record %zu has no \"name\"", path, i);
        }
        if (strlen(lname) >= sizeof L->name) {   /* an error, not a name silently cut */
            pl_run_free(r);
            return set_err(err, errlen, "%s: record %zu: name longer than %zu characters", path, i, sizeof L->name - 1);
        }
        copy_str(L->name, sizeof L->name, lname);
        copy_str(L->kind, sizeof L->kind, str(rec, "kind"));
        copy_str(L->block, sizeof L->block, str(rec, "block"));
        L->cat = pl_cat_of_kind(L->kind);
        int stage = inum(rec, "stage", 0);
        if (stage < 0 || stage >= PL_MAX_STAGES) {
            pl_run_free(r);
            return set_err(err, errlen, "%s: record '%s': stage %d out of range", path, lname, stage);
        }
        L->stage = stage;
        if (L->stage > maxstage) maxstage = L->stage;
        L->median = num(json_object_get(rec, "stats"), "median");
        const json_t *c = json_object_get(rec, "cost");
        L->macs = num(c, "macs");
        L->flops = num(c, "flops");
        L->exec_flops = json_is_number(json_object_get(c, "exec_flops")) ? num(c, "exec_flops") : L->flops;
        L->bytes = num(c, "bytes");
        L->bytes_layers = num(c, "bytes_layers");
        r->nlayers++;
        if (!isnan(L->median)) {
            r->by_stage_cat[L->stage][L->cat] += L->median;
            r->by_cat[L->cat] += L->median;
            r->steps += L->median;
        }
    }
    if (!r->nstages) r->nstages = maxstage >= 2 ? maxstage - 1 : 4;
    if (r->nstages + 1 >= PL_MAX_STAGES) r->nstages = PL_MAX_STAGES - 2;
    return 0;
}

static void add_skipped(pl_results *r, FILE *warn, const char *msg) {
    if (warn) fprintf(warn, "shiftbench plot: skipped %s\n", msg);
    char **s = realloc(r->skipped, (size_t)(r->nskipped + 1) * sizeof *s);
    if (!s) return;
    r->skipped = s;
    r->skipped[r->nskipped] = strdup(msg);
    if (r->skipped[r->nskipped]) r->nskipped++;
}

/* Does a replace b (same key)? Complete beats interrupted; then the later date; then the
 * later file name (which carries the UTC time). */
static int newer(const pl_run *a, const pl_run *b) {
    if (a->complete != b->complete) return a->complete;
    int c = strcmp(a->date, b->date);
    if (c) return c > 0;
    const char *fa = strrchr(a->path, '/'), *fb = strrchr(b->path, '/');
    return strcmp(fa ? fa : a->path, fb ? fb : b->path) > 0;
}


int pl_results_load(const char *dir, pl_results *r, FILE *warn, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    read_peak(NULL, 1, &r->peak);
    char **files;
    int nf = list_json_files(dir, &files, err, errlen);
    if (nf < 0) return -1;
    char peak_date[40] = "";
    for (int f = 0; f < nf; f++) {
        char why[ERRLEN];
        r->nfiles++;
        json_t *doc = results_load(files[f], why, sizeof why);
        if (!doc) { add_skipped(r, warn, why); continue; }
        const char *kind = str(doc, "kind");
        if (!strcmp(kind, "peak")) {
            const json_t *ctx = json_object_get(doc, "context");
            const char *date = str(ctx, "date");
            pl_run p;
            memset(&p, 0, sizeof p);
            read_context(ctx, &p);
            if (!isnan(p.peak_per_core) && strcmp(date ? date : "", peak_date) >= 0) {
                copy_str(peak_date, sizeof peak_date, date);
                r->peak = p;
            }
        } else if (!strcmp(kind, "net")) {
            pl_run run;
            if (pl_run_from_json(doc, files[f], &run, why, sizeof why)) add_skipped(r, warn, why);
            else {
                int k = 0;
                for (; k < r->nruns; k++) {
                    pl_run *o = &r->runs[k];
                    if (!strcmp(o->network, run.network) && !strcmp(o->impl, run.impl) &&
                        o->threads == run.threads && o->batch == run.batch && o->fused_blocks == run.fused_blocks) break;
                }
                if (k < r->nruns) {
                    if (newer(&run, &r->runs[k])) { pl_run_free(&r->runs[k]); r->runs[k] = run; }
                    else pl_run_free(&run);
                } else {
                    pl_run *nr = realloc(r->runs, (size_t)(r->nruns + 1) * sizeof *nr);
                    if (!nr) { pl_run_free(&run); json_decref(doc); break; }
                    r->runs = nr;
                    r->runs[r->nruns++] = run;
                }
            }
        }   /* kernel results: not charted */
        json_decref(doc);
    }
    paths_free(files, nf);
    for (int k = 0; k < r->nruns && warn; k++)
        if (!r->runs[k].complete)
        {
            char path[TEXT_BUF];
            fprintf(warn, "shiftbench plot: %s is an interrupted run (no complete one for %s, %s)\n",
                    text_terminal(r->runs[k].path, path, sizeof path), r->runs[k].network, r->runs[k].impl);
        }
    return 0;
}

void pl_results_free(pl_results *r) {
    for (int i = 0; i < r->nruns; i++) pl_run_free(&r->runs[i]);
    free(r->runs);
    for (int i = 0; i < r->nskipped; i++) free(r->skipped[i]);
    free(r->skipped);
    memset(r, 0, sizeof *r);
}

static const pl_run *find(const pl_results *r, const char *net, const char *impl, int threads, int batch, int fused) {
    for (int i = 0; i < r->nruns; i++) {
        const pl_run *x = &r->runs[i];
        if (!strcmp(x->network, net) && !strcmp(x->impl, impl) && x->threads == threads && x->batch == batch &&
            x->fused_blocks == fused)
            return x;
    }
    return NULL;
}

const pl_run *pl_results_find(const pl_results *r, const char *net, const char *impl, int threads, int batch) {
    return find(r, net, impl, threads, batch, 0);
}

const pl_run *pl_results_find_fused(const pl_results *r, const char *net, const char *impl, int threads, int batch) {
    return find(r, net, impl, threads, batch, 1);
}

/* ---- accuracy ---- */

static char *trim(char *s) {
    while (*s == ' ' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

int pl_accuracy_load(const char *path, pl_accuracy *a, const char *default_source, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) return set_err(err, errlen, "%s: %s", path, strerror(errno));
    char line[2048];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = set_err(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno, sizeof line - 2);
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *field[5] = { 0 };
        int nf = 0;
        for (char *p = s; nf < 5;) {
            field[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = 0;
            p = tab + 1;
        }
        int unsafe = 0;
        for (int i = 0; i < nf; i++) unsafe |= text_unsafe(field[i] = trim(field[i])) != NULL;
        if (unsafe) {
            rc = set_err(err, errlen, "%s:%d: a control character or invalid UTF-8 in a field", path, lineno);
            break;
        }
        if (!strcmp(field[0], "network")) continue;   /* the header row */
        if (nf < 2 || nf > 4) {
            rc = set_err(err, errlen, "%s:%d: expected network<TAB>top1<TAB>top5<TAB>source", path, lineno);
            break;
        }
        pl_acc row;
        memset(&row, 0, sizeof row);
        if (!*field[0] || strlen(field[0]) >= sizeof row.network) {
            rc = set_err(err, errlen, "%s:%d: bad network name", path, lineno);
            break;
        }
        copy_str(row.network, sizeof row.network, field[0]);
        if (parse_double(field[1], &row.top1) || !(row.top1 > 0 && row.top1 <= 100)) {
            rc = set_err(err, errlen, "%s:%d: top1 '%s' is not a percentage in (0, 100]", path, lineno, field[1]);
            break;
        }
        row.top5 = NAN;
        if (nf >= 3 && *field[2] && strcmp(field[2], "-")) {
            if (parse_double(field[2], &row.top5) || !(row.top5 >= row.top1 && row.top5 <= 100)) {
                rc = set_err(err, errlen, "%s:%d: top5 '%s' is not a percentage in [top1, 100]", path, lineno,
                             field[2]);
                break;
            }
        }
        const char *src = nf >= 4 && *field[3] ? field[3] : default_source;
        if (!src) {
            rc = set_err(err, errlen, "%s:%d: no source (a documentation address, or \"user\")", path, lineno);
            break;
        }
        if (strlen(src) >= sizeof row.source) {
            rc = set_err(err, errlen, "%s:%d: source longer than %zu characters", path, lineno, sizeof row.source - 1);
            break;
        }
        copy_str(row.source, sizeof row.source, src);
        int k = 0;
        for (; k < a->n && strcmp(a->rows[k].network, row.network); k++) {}
        if (k == a->n) {
            pl_acc *nr = realloc(a->rows, (size_t)(a->n + 1) * sizeof *nr);
            if (!nr) { rc = set_err(err, errlen, "out of memory"); break; }
            a->rows = nr;
            a->n++;
        }
        a->rows[k] = row;
    }
    fclose(f);
    return rc;
}

const pl_acc *pl_accuracy_of(const pl_accuracy *a, const char *network) {
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->rows[i].network, network)) return &a->rows[i];
    return NULL;
}

void pl_accuracy_free(pl_accuracy *a) {
    free(a->rows);
    a->rows = NULL;
    a->n = 0;
}

/* ---- costs ---- */

/* The knobs that pick a network's baseline, and its twin key from the family's schema. */
static void fill_knobs(pl_cost *c, const char *family, const json_t *k) {
    const json_t *blocks = json_object_get(k, "blocks"), *slots = json_object_get(k, "slots");
    copy_str(c->family, sizeof c->family, family ? family : "");
    if (family_twin(c->family, k, c->twin_key, sizeof c->twin_key, &c->twin_rank)) c->twin_rank = -1;
    c->resolution = inum(k, "resolution", 0);
    c->batch = inum(k, "batch", 1);
    const char *key;
    json_t *v, *e;
    size_t i;
    json_object_foreach((json_t *)k, key, v) {   /* a knob value that places a shift ("shift+conv1x1", "shift") */
        if (json_is_string(v) && strstr(json_string_value(v), "shift")) c->has_shift = 1;
        json_array_foreach(v, i, e) if (json_is_string(e) && strstr(json_string_value(e), "shift")) c->has_shift = 1;
    }
    if (!json_is_object(k) || !json_is_array(blocks) || json_array_size(slots) != 3) return;
    c->has_knobs = 1;
    c->nstages = (int)(json_array_size(blocks) < 8 ? json_array_size(blocks) : 8);
    for (int s = 0; s < c->nstages; s++) c->blocks[s] = (int)json_integer_value(json_array_get(blocks, (size_t)s));
    copy_str(c->block, sizeof c->block, str(k, "block"));
    for (int s = 0; s < 3; s++) copy_str(c->slots[s], sizeof c->slots[s], json_string_value(json_array_get(slots, (size_t)s)));
    json_t *ir = json_object_get(k, "inner_residual");
    c->inner_residual = json_is_true(ir) || (json_is_integer(ir) && json_integer_value(ir));
}

int pl_cost_network(const char *name, pl_cost *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    network net;
    network_cost nc;
    ir_overrides ov = { 0 };
    /* names come from results and accuracy files: an arch name, never a path to open */
    if (strchr(name, '/') || strstr(name, ".json"))
        return set_err(err, errlen, "'%s' is not a network name (no '/' or .json)", name);
    if (network_load(name, &ov, &net, err, errlen)) return -1;
    if (network_cost_of(&net, &nc, err, errlen)) { network_free(&net); return -1; }
    copy_str(c->name, sizeof c->name, net.name);
    c->params = (double)nc.total.params;
    c->macs = (double)nc.total.macs;
    c->flops = (double)nc.total.flops;
    c->bytes = (double)nc.total.bytes;
    fill_knobs(c, net.family, net.knobs);
    network_cost_free(&nc);
    network_free(&net);
    return 0;
}

int pl_cost_from_json(const json_t *o, pl_cost *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    const char *name = str(o, "name");
    if (!name || !*name || strlen(name) >= PL_NAME) return set_err(err, errlen, "network without a usable \"name\"");
    copy_str(c->name, sizeof c->name, name);
    c->params = num(o, "params");
    c->macs = num(o, "macs");
    c->flops = num(o, "flops");
    c->bytes = num(o, "bytes");
    if (isnan(c->params) || isnan(c->macs)) return set_err(err, errlen, "%s: no \"params\"/\"macs\"", name);
    fill_knobs(c, str(o, "family"), json_object_get(o, "knobs"));
    return 0;
}

int pl_cost_file(const char *path, pl_cost **cs, int *n, char *err, size_t errlen) {
    *cs = NULL;
    *n = 0;
    json_error_t je;
    json_t *d = json_load_file(path, 0, &je);
    if (!d) return set_err(err, errlen, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
    if (results_check_text(d, path, "", err, errlen)) { json_decref(d); return -1; }
    const char *schema = str(d, "schema");
    json_t *nets = json_object_get(d, "networks");
    if (!schema || strcmp(schema, "shiftbench-cost") || !json_is_array(nets)) {
        json_decref(d);
        return set_err(err, errlen, "%s: not a shiftbench-cost file (shiftbench cost --format json)", path);
    }
    size_t k = json_array_size(nets), i;
    *cs = calloc(k ? k : 1, sizeof **cs);
    if (!*cs) { json_decref(d); return set_err(err, errlen, "out of memory"); }
    json_t *o;
    json_array_foreach(nets, i, o) {
        char why[ERRLEN];
        if (pl_cost_from_json(o, &(*cs)[*n], why, sizeof why)) {
            set_err(err, errlen, "%s: networks[%zu]: %s", path, i, why);
            free(*cs);
            *cs = NULL;
            *n = 0;
            json_decref(d);
            return -1;
        }
        (*n)++;
    }
    json_decref(d);
    return 0;
}

int pl_is_resnet(const pl_cost *c) {
    return c->has_knobs && !strcmp(c->block, "bottleneck") && !strcmp(c->slots[0], "conv1x1") &&
           !strcmp(c->slots[1], "conv3x3") && !strcmp(c->slots[2], "conv1x1") && !c->inner_residual;
}

int pl_has_shift(const pl_cost *c) { return c->has_shift; }

static int same_blocks(const pl_cost *a, const pl_cost *b) {
    if (a->nstages != b->nstages) return 0;
    for (int s = 0; s < a->nstages; s++)
        if (a->blocks[s] != b->blocks[s]) return 0;
    return 1;
}

int pl_twins(const pl_cost *a, const pl_cost *b) {
    return a->twin_rank >= 0 && b->twin_rank >= 0 && a->twin_rank != b->twin_rank && !strcmp(a->family, b->family) &&
           !strcmp(a->twin_key, b->twin_key);
}

int pl_baseline(const pl_cost *cs, int n, int i) {
    if (pl_is_resnet(&cs[i]) || !cs[i].has_knobs) return -1;
    int best = -1;
    double bestd = INFINITY;
    for (int j = 0; j < n; j++) {
        if (j == i || !pl_is_resnet(&cs[j]) || cs[j].resolution != cs[i].resolution || cs[j].batch != cs[i].batch)
            continue;
        if (same_blocks(&cs[i], &cs[j])) return j;
        double dist = fabs(log(cs[j].macs / cs[i].macs));
        if (dist < bestd) { bestd = dist; best = j; }
    }
    return best;
}
