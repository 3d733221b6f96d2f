#include "checkpoint.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

static const char *const BN_PARTS[4] = { "weight", "bias", "running_mean", "running_var" };

static void add(ckpt_tensor *t, int *n, int layer, int optional, int ndim, const int64_t *shape, const char *fmt,
                const char *base, const char *part) {
    ckpt_tensor *x = &t[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, fmt, base, part);
    x->layer = layer;
    x->optional = optional;
    x->ndim = ndim;
    memcpy(x->shape, shape, (size_t)ndim * sizeof *shape);
}

int checkpoint_expected(const network *net, ckpt_tensor **out) {
    ckpt_tensor *t = calloc((size_t)net->nlayers * 6 + 1, sizeof *t);
    if (!t) return -1;
    int n = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const ir_layer *L = &net->layers[i];
        const op_desc *d = &L->d;
        int64_t oc[1] = { d->oc };
        if (d->kind == OP_CONV || d->kind == OP_SHIFTCONV) {   /* shiftconv: its 1x1's weights */
            int64_t w[4] = { d->oc, d->c / (d->groups > 1 ? d->groups : 1), d->kh, d->kw };
            add(t, &n, i, 0, 4, w, "%s.%s", L->name, "weight");
            if (L->bn[0])
                for (int p = 0; p < 4; p++) add(t, &n, i, 0, 1, oc, "%s.%s", L->bn, BN_PARTS[p]);
            else
                add(t, &n, i, 1, 1, oc, "%s.%s", L->name, "bias");
        } else if (d->kind == OP_FC) {
            int64_t w[2] = { d->oc, d->c };
            add(t, &n, i, 0, 2, w, "%s.%s", L->name, "weight");
            add(t, &n, i, 0, 1, oc, "%s.%s", L->name, "bias");
        }
    }
    *out = t;
    return n;
}

int checkpoint_open(checkpoint *c, const char *path, double eps, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    if (!(eps >= 0) || !isfinite(eps)) return set_err(err, errlen, "BN eps %g: expected a finite value >= 0", eps);
    if (st_open(&c->st, path, err, errlen)) return -1;
    snprintf(c->path, sizeof c->path, "%s", path);
    c->eps = eps;
    for (int i = 0; i < c->st.n && !c->legacy_pool_shortcut; i++)
        c->legacy_pool_shortcut = strstr(c->st.t[i].name, ".downsample.2.") != NULL;
    return 0;
}

void checkpoint_close(checkpoint *c) {
    st_close(&c->st);
    memset(c, 0, sizeof *c);
}

/* The name a tensor has in the file. The IR's names are the authors' (docs/networks.md):
 * an avgpool shortcut's conv and BN are downsample.0 and .1. Older exports of shiftbench
 * put the pool in the Sequential (an Identity where none) and its conv and BN at .1 and .2;
 * such a file, known by its downsample.2 tensors, is read as well. */
static const char *file_name(const checkpoint *c, const char *ir, char *out, size_t len) {
    const char *d = strstr(ir, ".downsample.");
    snprintf(out, len, "%s", ir);
    if (c->legacy_pool_shortcut && d && (d[12] == '0' || d[12] == '1') && d[13] == '.')
        out[d - ir + 12] = (char)(d[12] + 1);
    return out;
}

static const st_tensor *find(const checkpoint *c, const char *ir) {
    char name[IR_NAME + 24];
    return st_find(&c->st, file_name(c, ir, name, sizeof name));
}

/* ---- the one-line report --------------------------------------------------------------- */

typedef struct { char **item; int n, cap; } list;

static void push(list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void push(list *l, const char *fmt, ...) {
    if (l->n == l->cap) {
        int nc = l->cap ? 2 * l->cap : 16;
        char **ni = realloc(l->item, (size_t)nc * sizeof *ni);
        if (!ni) return;
        l->item = ni;
        l->cap = nc;
    }
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if ((l->item[l->n] = strdup(buf))) l->n++;
}

static void list_free(list *l) {
    for (int i = 0; i < l->n; i++) free(l->item[i]);
    free(l->item);
}

/* "N what (a, b, ... and K more)" within budget characters, appended at out[*p]. */
static void render(char *out, size_t cap, size_t *p, const list *l, const char *what, size_t budget) {
    if (!l->n) return;
    size_t start = *p;
#define PUT(...) (*p += (size_t)snprintf(out + *p, *p < cap ? cap - *p : 0, __VA_ARGS__))
    PUT("%s%d %s (", start ? "; " : "", l->n, what);
    int shown = 0;
    for (; shown < l->n; shown++) {
        size_t need = strlen(l->item[shown]) + 2 + (shown + 1 < l->n ? 24 : 0);
        if (shown > 0 && *p - start + need > budget) break;
        PUT("%s%s", shown ? ", " : "", l->item[shown]);
    }
    if (shown < l->n) PUT(" \u2026 and %d more", l->n - shown);
    PUT(")");
#undef PUT
    if (*p >= cap) *p = cap - 1;
}

/* "[64,3,7,7]": no spaces, so that ", " separates the items of a list */
static const char *shape_str(const int64_t *shape, int ndim, char *buf, size_t len) {
    size_t p = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && p < len; i++) p += (size_t)snprintf(buf + p, len - p, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (p < len) snprintf(buf + p, len - p, "]");
    return buf;
}

int checkpoint_check(const checkpoint *c, const network *net, char *err, size_t errlen) {
    ckpt_tensor *want;
    int nw = checkpoint_expected(net, &want);
    if (nw < 0) return set_err(err, errlen, "out of memory");
    const safetensors *st = &c->st;
    char *used = calloc((size_t)st->n + 1, 1);
    if (!used) { free(want); return set_err(err, errlen, "out of memory"); }
    list missing = { 0 }, unexpected = { 0 }, misshaped = { 0 };
    for (int i = 0; i < nw; i++) {
        char fname[IR_NAME + 24];
        const st_tensor *t = find(c, want[i].name);
        if (t) used[t - st->t] = 1;
        else {
            if (!want[i].optional) push(&missing, "%s", file_name(c, want[i].name, fname, sizeof fname));
            continue;
        }
        char a[96], b[96];
        int same = t->ndim == want[i].ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == want[i].shape[d];
        if (!same)
            push(&misshaped, "%s %s instead of %s", t->name, shape_str(t->shape, t->ndim, a, sizeof a),
                 shape_str(want[i].shape, want[i].ndim, b, sizeof b));
        else if (!st_dtype_is_float(t->dtype))
            push(&misshaped, "%s %s instead of F32/F16/BF16", t->name, t->dtype);
    }
    /* <bn>.num_batches_tracked of a BN the network has: training state, ignored */
    for (int j = 0; j < st->n; j++) {
        if (used[j]) continue;
        const char *name = st->t[j].name, *dot = strrchr(name, '.');
        if (dot && !strcmp(dot, ".num_batches_tracked"))
            for (int i = 0; i < net->nlayers && !used[j]; i++) {
                char bn[IR_NAME + 24];
                size_t bl = strlen(file_name(c, net->layers[i].bn, bn, sizeof bn));
                used[j] = net->layers[i].bn[0] && (size_t)(dot - name) == bl && !strncmp(name, bn, bl);
            }
        if (!used[j]) push(&unexpected, "%s", name);
    }
    int rc = 0;
    if (missing.n || unexpected.n || misshaped.n) {
        char head[256], body[4096];
        int hint = 0;
        for (int j = 0; j < unexpected.n && !hint; j++) hint = !strncmp(unexpected.item[j], "module.", 7);
        snprintf(head, sizeof head, "%s does not match %s (%d tensors needed, %d in the file): ", c->path, net->name,
                 nw, st->n);
        const char *tail = hint ? " (names start with 'module.': save model.module.state_dict() instead)" : "";
        size_t room = errlen > strlen(head) + strlen(tail) + 1 ? errlen - strlen(head) - strlen(tail) - 1 : 0;
        if (room > sizeof body) room = sizeof body;
        int lists = (missing.n > 0) + (unexpected.n > 0) + (misshaped.n > 0);
        size_t budget = room / (size_t)lists, p = 0;
        body[0] = 0;
        render(body, room ? room : 1, &p, &missing, "missing", budget);
        render(body, room ? room : 1, &p, &unexpected, "unexpected", budget);
        render(body, room ? room : 1, &p, &misshaped, "mis-shaped", budget);
        rc = set_err(err, errlen, "%s%s%s", head, body, tail);
    }
    list_free(&missing);
    list_free(&unexpected);
    list_free(&misshaped);
    free(used);
    free(want);
    return rc;
}

int checkpoint_check_finite(const checkpoint *c, const network *net, char *err, size_t errlen) {
    ckpt_tensor *want;
    int nw = checkpoint_expected(net, &want), rc = 0;
    if (nw < 0) return set_err(err, errlen, "out of memory");
    for (int i = 0; i < nw && !rc; i++) {
        const st_tensor *t = find(c, want[i].name);
        if (!t) continue;   /* an optional bias */
        float *v = malloc((t->nelem ? t->nelem : 1) * sizeof *v);
        char why[ERRLEN];
        if (!v) rc = set_err(err, errlen, "out of memory");
        else if (st_to_f32(t, v, why, sizeof why)) rc = set_err(err, errlen, "%s: %s", c->path, why);
        else {
            size_t bad = first_nonfinite(v, t->nelem);
            if (bad < t->nelem)
                rc = set_err(err, errlen, "%s: tensor '%s' holds %g at element %zu: weights must be finite", c->path,
                             t->name, (double)v[bad], bad);
        }
        free(v);
    }
    free(want);
    return rc;
}

/* ---- the executor's weights hook ------------------------------------------------------- */

/* name's tensor converted to f32 into out, which holds exactly n floats. */
static int load(const checkpoint *c, const char *name, float *out, size_t n, char *err, size_t errlen) {
    const st_tensor *t = find(c, name);
    if (!t) return set_err(err, errlen, "%s: tensor '%s' is missing", c->path, name);
    if (t->nelem != n) return set_err(err, errlen, "%s: tensor '%s' has %zu elements, expected %zu", c->path, name, t->nelem, n);
    char why[ERRLEN];
    if (st_to_f32(t, out, why, sizeof why)) return set_err(err, errlen, "%s: %s", c->path, why);
    return 0;
}

void checkpoint_fold_bn(int oc, size_t per_oc, float *w, float *b, const float *gamma, const float *beta,
                        const float *mean, const float *var, double eps) {
    for (int o = 0; o < oc; o++) {
        double s = (double)gamma[o] / sqrt((double)var[o] + eps);
        float *wo = w + (size_t)o * per_oc;
        for (size_t k = 0; k < per_oc; k++) wo[k] = (float)((double)wo[k] * s);
        b[o] = (float)((double)beta[o] + ((double)b[o] - (double)mean[o]) * s);
    }
}

int checkpoint_weights(void *ctx, const network *net, int layer, const op_desc *d, float *w, float *b, char *err,
                       size_t errlen) {
    const checkpoint *c = ctx;
    const ir_layer *L = &net->layers[layer];
    size_t nw = op_weight_count(d), nb = op_bias_count(d);
    char name[IR_NAME + 24];
    snprintf(name, sizeof name, "%s.weight", L->name);
    if (nw && load(c, name, w, nw, err, errlen)) return -1;
    if (!nb) return 0;
    snprintf(name, sizeof name, "%s.bias", L->name);
    if (L->d.kind == OP_FC || (!L->bn[0] && find(c, name))) return load(c, name, b, nb, err, errlen);
    memset(b, 0, nb * sizeof *b);
    if (!L->bn[0]) return 0;
    float *bn = malloc(4 * nb * sizeof *bn);
    if (!bn) return set_err(err, errlen, "out of memory");
    int rc = 0;
    for (int p = 0; p < 4 && !rc; p++) {
        snprintf(name, sizeof name, "%s.%s", L->bn, BN_PARTS[p]);
        rc = load(c, name, bn + (size_t)p * nb, nb, err, errlen);
    }
    for (size_t o = 0; o < nb && !rc; o++)
        if (!(bn[3 * nb + o] + c->eps > 0))
            rc = set_err(err, errlen, "%s: %s.running_var[%zu] = %g: var + eps must be > 0", c->path, L->bn, o,
                         (double)bn[3 * nb + o]);
    if (!rc) checkpoint_fold_bn((int)nb, nw / nb, w, b, bn, bn + nb, bn + 2 * nb, bn + 3 * nb, c->eps);
    free(bn);
    return rc;
}

void checkpoint_nchw_to_nhwc(const float *in, float *out, int n, int c, int h, int w) {
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    out[(((size_t)b * h + y) * w + x) * c + ch] = in[(((size_t)b * c + ch) * h + y) * w + x];
}
