/* Real weights end to end: the test writes its own safetensors checkpoint (random
 * weights, random BN statistics) for a narrow, low-resolution instance of each family,
 * runs it with every implementation and compares the logits with `ref`; checks BN folding
 * against an unfolded double-precision computation; the names the IR expects (ResNet-50's
 * are torchvision's); the one-line report of missing / unexpected / mis-shaped tensors;
 * F16 and BF16 checkpoints; .npy files; and `shiftbench net --weights/--input/--output`.
 *
 * Tolerances (u = FLT_EPSILON / 2 = 6e-8):
 *  - one layer against the unfolded fp64 computation: |y - y64| <= 2 (K + 4) u M, with
 *    K the dot length and M = sum |w x s| + |beta| + |mean s| + |bias s|, the magnitudes the
 *    float result is made of. K + 2 is Higham's bound for a K-term float dot product in any
 *    order (tests/test_kernels.c); +2 covers rounding w * s and the folded bias to float;
 *    the factor 2 is slack, still far below one wrong term (M / K on average).
 *  - logits of one implementation against ref: max |y - y_ref| <= 1e-4 max |y_ref|. Each
 *    layer adds at most ~(K + 4) u ~ 1e-5 relative error (K <= 147 here) and the networks are
 *    ~20 layers deep with gains near 1 (He-scaled weights, BN with gamma / sqrt(var) in
 *    [0.35, 1.4]), so differently ordered float sums stay near 1e-5 even in the worst case;
 *    observed: ~1e-6. A wrong weight layout or a missed BN changes logits by O(1). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "../bench/checkpoint.h"
#include "../bench/exec.h"
#include "../bench/npy.h"
#include "../bench/safetensors.h"
#include "../common/util.h"

#define LOGIT_TOL 1e-4

static uint64_t rng = 12345;
static double urand(void) {   /* [0, 1) */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}
static float uni(double lo, double hi) { return (float)(lo + (hi - lo) * urand()); }

static char tmpdir[] = "/tmp/test_checkpoint_XXXXXX";
static const char *tmp(const char *name) {
    static char buf[64][256];
    static int k;
    char *b = buf[k++ % 64];
    snprintf(b, 256, "%s/%s", tmpdir, name);
    return b;
}

static int load_net(const char *name, int width, int res, int batch, network *net) {
    char w[64], s[32], r[32], b[32];
    snprintf(w, sizeof w, "widths=%d,%d,%d,%d", width, width, width, width);
    snprintf(s, sizeof s, "stem_width=%d", width);
    snprintf(r, sizeof r, "resolution=%d", res);
    snprintf(b, sizeof b, "batch=%d", batch);
    ir_overrides ov = { 6, { w, s, r, b, "classes=10", "blocks=1,1,1,1" } };
    if (!strncmp(name, "mobilenet", 9))   /* its own knobs: narrowed, every block kept */
        ov = (ir_overrides){ 4, { "width_multiplier=0.5", r, b, "classes=10" } };
    char err[ERRLEN];
    if (network_load(name, &ov, net, err, sizeof err)) {
        CHECK(0, "%s: %s", name, err);
        return -1;
    }
    return 0;
}

/* ---- a random checkpoint ------------------------------------------------------------- */

typedef struct {
    int n;
    ckpt_tensor *t;
    float **v;
} weights;

static void gen(const network *net, weights *w) {
    w->n = checkpoint_expected(net, &w->t);
    w->v = calloc((size_t)w->n, sizeof *w->v);
    for (int i = 0; i < w->n; i++) {
        const ckpt_tensor *t = &w->t[i];
        size_t n = 1;
        for (int d = 0; d < t->ndim; d++) n *= (size_t)t->shape[d];
        float *v = w->v[i] = malloc(n * sizeof *v);
        const char *part = strrchr(t->name, '.') + 1;
        double fan = t->ndim == 4 ? (double)t->shape[1] * t->shape[2] * t->shape[3] : t->ndim == 2 ? (double)t->shape[1] : 1;
        double lim = sqrt(3.0 / fan);
        for (size_t k = 0; k < n; k++) {
            if (t->ndim >= 2) v[k] = uni(-lim, lim);
            else if (!strcmp(part, "running_var")) v[k] = uni(0.5, 2.0);
            else if (!strcmp(part, "running_mean")) v[k] = uni(-0.3, 0.3);
            else if (!strcmp(part, "weight")) v[k] = uni(0.5, 1.0);   /* gamma */
            else v[k] = uni(-0.2, 0.2);                               /* beta, fc.bias */
        }
    }
}

static void weights_free(weights *w) {
    for (int i = 0; i < w->n; i++) free(w->v[i]);
    free(w->v);
    free(w->t);
}

static const float *value(const weights *w, const char *name) {
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->t[i].name, name)) return w->v[i];
    return NULL;
}

/* Ways to spoil a checkpoint. */
typedef struct {
    const char *drop, *extra, *reshape, *as_int, *prefix;
    const char *dtype;        /* F32 (default), F16, BF16 */
    int legacy;               /* older shiftbench layout: avgpool shortcut conv/BN at downsample.1/.2 */
    int nbt;                  /* add <bn>.num_batches_tracked I64 scalars */
} wopts;

static uint16_t to_f16(float f) {
    _Float16 h = (_Float16)f;
    uint16_t u;
    memcpy(&u, &h, 2);
    return u;
}
static uint16_t to_bf16(float f) {   /* round to nearest even (no NaNs here) */
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

static int write_ckpt(const char *path, const weights *w, const wopts *o) {
    st_entry *e = calloc((size_t)w->n * 2 + 2, sizeof *e);
    char (*names)[160] = calloc((size_t)w->n * 2 + 2, sizeof *names);
    void **owned = calloc((size_t)w->n * 2 + 2, sizeof *owned);
    int64_t (*shapes)[4] = calloc((size_t)w->n + 1, sizeof *shapes);
    static int64_t one = 7;
    static float extra[3] = { 1, 2, 3 };
    static int64_t three = 3;
    int n = 0;
    for (int i = 0; i < w->n; i++) {
        const ckpt_tensor *t = &w->t[i];
        if (o->drop && !strcmp(o->drop, t->name)) continue;
        size_t cnt = 1;
        for (int d = 0; d < t->ndim; d++) cnt *= (size_t)t->shape[d];
        snprintf(names[n], sizeof names[n], "%s%s", o->prefix ? o->prefix : "", t->name);
        char *ds = o->legacy ? strstr(names[n], ".downsample.") : NULL;
        if (ds) ds[12]++;   /* .0 -> .1, .1 -> .2 */
        memcpy(shapes[i], t->shape, sizeof shapes[i]);
        e[n] = (st_entry){ names[n], "F32", t->ndim, shapes[i], w->v[i] };
        if (o->reshape && !strcmp(o->reshape, t->name)) {
            shapes[i][t->ndim - 1]--;                     /* fewer elements, consistent file */
        } else if (o->as_int && !strcmp(o->as_int, t->name)) {
            e[n].dtype = "I32";                           /* same size, wrong kind */
        } else if (o->dtype && strcmp(o->dtype, "F32")) {
            uint16_t *h = owned[n] = malloc(cnt * 2);
            for (size_t k = 0; k < cnt; k++) h[k] = !strcmp(o->dtype, "F16") ? to_f16(w->v[i][k]) : to_bf16(w->v[i][k]);
            e[n].dtype = o->dtype;
            e[n].data = h;
        }
        n++;
        if (o->nbt && t->ndim == 1 && !strcmp(strrchr(t->name, '.'), ".running_var")) {
            snprintf(names[n], sizeof names[n], "%.*s.num_batches_tracked", (int)(strrchr(t->name, '.') - t->name), t->name);
            e[n++] = (st_entry){ names[n - 1], "I64", 0, NULL, &one };
        }
    }
    if (o->extra) e[n++] = (st_entry){ o->extra, "F32", 1, &three, extra };
    char err[ERRLEN];
    int rc = st_write(path, e, n, "{\"format\":\"pt\"}", err, sizeof err);
    CHECK(rc == 0, "write %s: %s", path, err);
    for (int i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(e);
    free(names);
    free(shapes);
    return rc;
}

/* Values rounded as a F16 / BF16 file stores them. */
static void round_to(weights *w, const char *dtype) {
    for (int i = 0; i < w->n; i++) {
        size_t cnt = 1;
        for (int d = 0; d < w->t[i].ndim; d++) cnt *= (size_t)w->t[i].shape[d];
        for (size_t k = 0; k < cnt; k++)
            w->v[i][k] = !strcmp(dtype, "F16") ? st_f16_to_f32(to_f16(w->v[i][k])) : st_bf16_to_f32(to_bf16(w->v[i][k]));
    }
}

/* ---- running ---------------------------------------------------------------------------- */

static float *random_input(const network *net, float **nchw_out) {
    const ir_tensor *x = &net->tensors[net->input];
    size_t n = (size_t)x->n * x->h * x->w * x->c;
    float *nchw = malloc(n * sizeof *nchw), *nhwc = malloc(n * sizeof *nhwc);
    for (size_t i = 0; i < n; i++) nchw[i] = uni(-1, 1);
    checkpoint_nchw_to_nhwc(nchw, nhwc, x->n, x->c, x->h, x->w);
    if (nchw_out) *nchw_out = nchw;
    else free(nchw);
    return nhwc;
}

/* Plans net on impl with the checkpoint at path (eps) and input; ex stays planned. */
static int plan(executor *ex, const network *net, const char *path, double eps, const char *impl, const float *input) {
    checkpoint ck;
    char err[ERRLEN];
    if (checkpoint_open(&ck, path, eps, err, sizeof err) || checkpoint_check(&ck, net, err, sizeof err)) {
        CHECK(0, "%s: %s", path, err);
        checkpoint_close(&ck);
        return -1;
    }
    exec_opts o = { .impl = impl, .seed = 1, .best_time = 0.0005, .weights = checkpoint_weights, .weights_ctx = &ck,
                    .input = input };
    int rc = exec_plan(ex, net, &o, err, sizeof err);
    CHECK(rc == 0, "%s on %s: %s", net->name, impl, err);
    checkpoint_close(&ck);   /* weights are copied into the steps */
    return rc;
}

static size_t nlogits(const network *net) { return (size_t)net->tensors[net->output].n * net->tensors[net->output].c; }

static float *logits(const network *net, const char *path, double eps, const char *impl, const float *input) {
    executor ex;
    if (plan(&ex, net, path, eps, impl, input)) return NULL;
    exec_forward(&ex);   /* a second pass gives the same answer as planning's */
    size_t n = nlogits(net);
    float *y = malloc(n * sizeof *y);
    memcpy(y, exec_output(&ex), n * sizeof *y);
    exec_free(&ex);
    return y;
}

static double max_abs(const float *y, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(y[i]));
    return m;
}
static double max_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* ---- BN folding against the unfolded computation --------------------------------------- */

static const exec_step *step_named(const executor *ex, const char *name) {
    for (int i = 0; i < ex->nsteps; i++)
        if (!strcmp(ex->net->layers[ex->steps[i].layer].name, name)) return &ex->steps[i];
    return NULL;
}

/* Step st (a conv + its BN, maybe a fused ReLU) recomputed in double from the raw
 * checkpoint tensors and the step's own input buffer; returns the worst ratio of error to
 * the bound (<= 1 passes). */
static double unfolded(const executor *ex, const exec_step *st, const weights *w, double eps) {
    const network *net = ex->net;
    const ir_layer *L = &net->layers[st->layer];
    const op_desc *d = &L->d;
    char name[160];
    snprintf(name, sizeof name, "%s.weight", L->name);
    const float *W = value(w, name);
    const float *bn[4];
    const char *parts[4] = { "weight", "bias", "running_mean", "running_var" };
    for (int p = 0; p < 4; p++) {
        snprintf(name, sizeof name, "%s.%s", L->bn, parts[p]);
        bn[p] = value(w, name);
    }
    if (!W || !bn[0] || !bn[1] || !bn[2] || !bn[3]) return INFINITY;
    const float *x = ex->buf[st->in], *y = ex->buf[st->out];
    int relu = st->k.d.relu, K = d->c * d->kh * d->kw;
    double worst = 0, u = FLT_EPSILON / 2;
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int o = 0; o < d->oc; o++) {
                    double acc = 0, mag = 0;
                    for (int ky = 0; ky < d->kh; ky++)
                        for (int kx = 0; kx < d->kw; kx++) {
                            int iy = oy * d->stride - d->pad + ky, ix = ox * d->stride - d->pad + kx;
                            if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) continue;
                            for (int c = 0; c < d->c; c++) {
                                double t = (double)W[(((size_t)o * d->c + c) * d->kh + ky) * d->kw + kx] *
                                           x[(((size_t)b * d->h + iy) * d->w + ix) * d->c + c];
                                acc += t;
                                mag += fabs(t);
                            }
                        }
                    double s = bn[0][o] / sqrt((double)bn[3][o] + eps);
                    double want = (acc - bn[2][o]) * s + bn[1][o];
                    double M = mag * fabs(s) + fabs(bn[1][o]) + fabs(bn[2][o] * s);
                    if (relu && want < 0) want = 0;
                    double got = y[(((size_t)b * d->oh + oy) * d->ow + ox) * d->oc + o];
                    double bound = 2 * (K + 4) * u * M + 1e-30;
                    worst = fmax(worst, fabs(got - want) / bound);
                }
    return worst;
}

static void bn_folding(const char *arch, const char *impl, const char *const *layers, int nl) {
    network net;
    if (load_net(arch, 16, 64, 2, &net)) return;
    weights w;
    gen(&net, &w);
    const char *path = tmp("fold.safetensors");
    float *in = random_input(&net, NULL);
    if (write_ckpt(path, &w, &(wopts){ .nbt = 1 }) == 0) {
        const double epss[2] = { CKPT_BN_EPS, 0.25 };
        for (int e = 0; e < 2; e++) {
            executor ex;
            if (plan(&ex, &net, path, epss[e], impl, in)) continue;
            for (int i = 0; i < nl; i++) {
                const exec_step *st = step_named(&ex, layers[i]);
                double r = st ? unfolded(&ex, st, &w, epss[e]) : INFINITY;
                CHECK(r <= 1, "%s %s %s eps %g: folded vs unfolded BN, error / bound = %.3g", arch, impl, layers[i],
                      epss[e], r);
            }
            /* fc: logits = W gap + b from the executor's own gap output */
            const exec_step *fc = step_named(&ex, "fc");
            if (fc) {
                const float *W = value(&w, "fc.weight"), *B = value(&w, "fc.bias"), *g = ex.buf[fc->in];
                const float *y = exec_output(&ex);
                int C = fc->k.d.c, worst_ok = 1;
                for (int b = 0; b < fc->k.d.n; b++)
                    for (int o = 0; o < 10; o++) {
                        double acc = B[o], mag = fabs(B[o]);
                        for (int c = 0; c < C; c++) {
                            acc += (double)W[(size_t)o * C + c] * g[(size_t)b * C + c];
                            mag += fabs((double)W[(size_t)o * C + c] * g[(size_t)b * C + c]);
                        }
                        worst_ok &= fabs(y[b * 10 + o] - acc) <= 2 * (C + 2) * FLT_EPSILON / 2 * mag;
                    }
                CHECK(worst_ok, "%s %s: fc.weight/fc.bias as [classes, c] / [classes]", arch, impl);
            }
            exec_free(&ex);
        }
        /* eps matters: the same checkpoint with eps 0.25 gives other logits */
        float *a = logits(&net, path, CKPT_BN_EPS, "ref", in), *b = logits(&net, path, 0.25, "ref", in);
        CHECK(a && b && max_diff(a, b, nlogits(&net)) > 1e-3 * max_abs(a, nlogits(&net)), "eps changes the logits");
        free(a);
        free(b);
    }
    free(in);
    weights_free(&w);
    network_free(&net);
}

/* ---- every family on every implementation --------------------------------------------- */

static void families(void) {
    const char *const nets[] = { "resnet50", "single-shift-4c-50", "multi-shift-4c-50", "multi-shift-8c-50",
                                 "flat-shift-4c-35", "single-dw-50", "multi-dw-50", "mobilenet_v2",
                                 "mobilenet_v2-shift-8c" };
    for (int f = 0; f < (int)(sizeof nets / sizeof *nets); f++) {
        network net;
        if (load_net(nets[f], 16, 64, 2, &net)) continue;
        weights w;
        gen(&net, &w);
        const char *path = tmp("family.safetensors");
        float *in = random_input(&net, NULL);
        size_t n = nlogits(&net);
        float *ref = write_ckpt(path, &w, &(wopts){ .nbt = 1 }) ? NULL : logits(&net, path, CKPT_BN_EPS, "ref", in);
        double scale = ref ? max_abs(ref, n) : 0;
        CHECK(ref && scale > 1e-3 && isfinite(scale), "%s: ref logits finite and not all zero (max %g)", nets[f], scale);
        /* every --impl family of the registry after ref (the first), then best */
        const char *impls[16];
        int ni = 0;
        for (int i = 1; kernel_family_at(i) && ni < 15; i++) impls[ni++] = kernel_family_at(i);
        impls[ni++] = "best";
        for (int i = 0; ref && i < ni; i++) {
            const char *impl = impls[i];
            float *y = logits(&net, path, CKPT_BN_EPS, impl, in);
            double rel = y ? max_diff(y, ref, n) / scale : INFINITY;
            CHECK(rel <= LOGIT_TOL, "%s on %s: max |logit - ref| / max |ref| = %.3g (tolerance %g)", nets[f], impl,
                  rel, LOGIT_TOL);
            if (getenv("SHIFTBENCH_TEST_VERBOSE")) fprintf(stderr, "%-20s %-9s %.3g\n", nets[f], impl, rel);
            free(y);
        }
        /* real weights are not the seeded ones: without the hook the logits differ */
        executor ex;
        char err[ERRLEN];
        exec_opts o = { .impl = "ref", .seed = 1, .input = in };
        if (ref && exec_plan(&ex, &net, &o, err, sizeof err) == 0) {
            CHECK(max_diff(exec_output(&ex), ref, n) > 1e-2 * scale, "%s: the hook's weights are used", nets[f]);
            exec_free(&ex);
        }
        free(ref);
        free(in);
        weights_free(&w);
        network_free(&net);
    }
    const char *rs[] = { "conv1", "layer1.0.conv2", "layer2.0.conv2", "layer2.0.downsample.0", "layer4.0.conv3" };
    bn_folding("resnet50", "ref", rs, 5);
    bn_folding("resnet50", "onednn", rs, 5);
    const char *ms[] = { "conv1", "layer2.0.downsample.0", "layer3.0.conv3" };
    bn_folding("multi-shift-8c-50", "ref", ms, 3);
}

/* F16 and BF16 checkpoints give exactly the logits of an F32 one holding the same values. */
static void half_precision(void) {
    const char *dt[2] = { "F16", "BF16" };
    for (int k = 0; k < 2; k++) {
        network net;
        if (load_net("multi-shift-4c-50", 16, 64, 1, &net)) return;
        weights w;
        gen(&net, &w);
        round_to(&w, dt[k]);
        float *in = random_input(&net, NULL);
        const char *p32 = tmp("f32.safetensors"), *p16 = tmp("half.safetensors");
        if (!write_ckpt(p32, &w, &(wopts){ 0 }) && !write_ckpt(p16, &w, &(wopts){ .dtype = dt[k] })) {
            float *a = logits(&net, p32, CKPT_BN_EPS, "ref", in), *b = logits(&net, p16, CKPT_BN_EPS, "ref", in);
            CHECK(a && b && !memcmp(a, b, nlogits(&net) * sizeof *a), "%s checkpoint = F32 checkpoint of its values", dt[k]);
            free(a);
            free(b);
        }
        free(in);
        weights_free(&w);
        network_free(&net);
    }
}

/* The authors' layout (downsample.0 conv, .1 BN after the pool in forward) and the older
 * one (.1, .2) load the same weights into the same network: identical logits; a file that
 * mixes them is refused. */
static void layouts(void) {
    network net;
    if (load_net("multi-shift-4c-50", 16, 64, 1, &net)) return;
    weights w;
    gen(&net, &w);
    float *in = random_input(&net, NULL);
    char pa[256], pl[256];
    snprintf(pa, sizeof pa, "%s", tmp("authors.safetensors"));
    snprintf(pl, sizeof pl, "%s", tmp("legacy.safetensors"));
    if (!write_ckpt(pa, &w, &(wopts){ .nbt = 1 }) && !write_ckpt(pl, &w, &(wopts){ .legacy = 1 })) {
        checkpoint c;
        char err[ERRLEN];
        int ok = checkpoint_open(&c, pa, CKPT_BN_EPS, err, sizeof err) == 0;
        ok = ok && checkpoint_check(&c, &net, err, sizeof err) == 0 && st_find(&c.st, "layer2.0.downsample.1.running_var");
        CHECK(ok, "the authors' layout: %s", err);
        checkpoint_close(&c);
        float *a = logits(&net, pa, CKPT_BN_EPS, "ref", in), *b = logits(&net, pl, CKPT_BN_EPS, "ref", in);
        CHECK(a && b && !memcmp(a, b, nlogits(&net) * sizeof *a), "legacy layout = authors' layout");
        free(a);
        free(b);
        /* legacy names plus an authors' conv name: the legacy reading finds it unexpected */
        char pm[256];
        snprintf(pm, sizeof pm, "%s", tmp("mixed.safetensors"));
        if (!write_ckpt(pm, &w, &(wopts){ .legacy = 1, .extra = "layer3.0.downsample.0.weight" })) {
            ok = checkpoint_open(&c, pm, CKPT_BN_EPS, err, sizeof err) == 0;
            CHECK(ok && checkpoint_check(&c, &net, err, sizeof err) != 0 && strstr(err, "unexpected"), "mixed layouts: %s",
                  err);
            checkpoint_close(&c);
        }
    }
    free(in);
    weights_free(&w);
    network_free(&net);
}

/* ---- names --------------------------------------------------------------------------- */

static const ckpt_tensor *expected(const ckpt_tensor *t, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].name, name)) return &t[i];
    return NULL;
}

static int shape_is(const ckpt_tensor *t, int ndim, int64_t a, int64_t b, int64_t c, int64_t d) {
    int64_t s[4] = { a, b, c, d };
    if (!t || t->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != s[i]) return 0;
    return 1;
}

static void names(void) {
    network net;
    char err[ERRLEN];
    if (network_load("resnet50", NULL, &net, err, sizeof err)) { CHECK(0, "%s", err); return; }
    ckpt_tensor *t;
    int n = checkpoint_expected(&net, &t);
    /* torchvision's resnet50().state_dict(): 320 entries, of which 53 num_batches_tracked */
    CHECK(n == 267, "resnet50 needs %d tensors (torchvision: 320 - 53 num_batches_tracked = 267)", n);
    uint64_t params = 0;
    for (int i = 0; i < n; i++) {
        const char *dot = strrchr(t[i].name, '.');
        if (!strcmp(dot, ".running_mean") || !strcmp(dot, ".running_var")) continue;
        uint64_t c = 1;
        for (int d = 0; d < t[i].ndim; d++) c *= (uint64_t)t[i].shape[d];
        params += c;
    }
    CHECK(params == 25557032, "resnet50 parameters in the checkpoint: %llu (torchvision 25557032)", (unsigned long long)params);
    CHECK(shape_is(expected(t, n, "conv1.weight"), 4, 64, 3, 7, 7), "conv1.weight [64, 3, 7, 7]");
    CHECK(shape_is(expected(t, n, "bn1.running_var"), 1, 64, 0, 0, 0), "bn1.running_var [64]");
    CHECK(shape_is(expected(t, n, "layer1.0.conv1.weight"), 4, 64, 64, 1, 1), "layer1.0.conv1.weight");
    CHECK(shape_is(expected(t, n, "layer2.0.conv2.weight"), 4, 128, 128, 3, 3), "layer2.0.conv2.weight (stride on the 3x3)");
    CHECK(shape_is(expected(t, n, "layer2.0.downsample.0.weight"), 4, 512, 256, 1, 1), "layer2.0.downsample.0.weight");
    CHECK(shape_is(expected(t, n, "layer2.0.downsample.1.running_mean"), 1, 512, 0, 0, 0), "layer2.0.downsample.1 BN");
    CHECK(shape_is(expected(t, n, "layer4.2.bn3.bias"), 1, 2048, 0, 0, 0), "layer4.2.bn3.bias");
    CHECK(shape_is(expected(t, n, "fc.weight"), 2, 1000, 2048, 0, 0) && shape_is(expected(t, n, "fc.bias"), 1, 1000, 0, 0, 0),
          "fc.weight [1000, 2048], fc.bias [1000]");
    CHECK(!expected(t, n, "layer1.0.shift2.weight") && !expected(t, n, "bn1.num_batches_tracked"), "nothing else");
    free(t);
    network_free(&net);

    /* multi-shift, the authors' Bottleneck (github andrewgrahambrown/4CShiftResNet,
     * shiftmodels.py): conv1-3, bn1-3, downsample = Sequential(Conv2d, BatchNorm2d) with the
     * 2x2 average pool in forward(); the shift module has no parameters. Block layer2.0's
     * state_dict, less num_batches_tracked, is exactly these 20 tensors. */
    if (network_load("multi-shift-4c-50", NULL, &net, err, sizeof err)) { CHECK(0, "%s", err); return; }
    n = checkpoint_expected(&net, &t);
    CHECK(shape_is(expected(t, n, "layer2.0.downsample.0.weight"), 4, 512, 256, 1, 1) &&
          shape_is(expected(t, n, "layer2.0.downsample.1.running_var"), 1, 512, 0, 0, 0) &&
          !expected(t, n, "layer2.0.downsample.2.weight"), "multi-shift downsample.0 conv, .1 BN");
    const char *authors[] = { "conv1.weight", "conv2.weight", "conv3.weight", "downsample.0.weight" };
    const char *bns[] = { "bn1", "bn2", "bn3", "downsample.1" };
    int in_block = 0, known = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(t[i].name, "layer2.0.", 9)) continue;
        in_block++;
        const char *rest = t[i].name + 9;
        for (int k = 0; k < 4; k++) {
            size_t bl = strlen(bns[k]);
            known += !strcmp(rest, authors[k]) ||
                     (!strncmp(rest, bns[k], bl) && rest[bl] == '.' && strstr("weight bias running_mean running_var", rest + bl + 1));
        }
    }
    CHECK(in_block == 20 && known == 20, "layer2.0 as the authors' module: %d tensors, %d of their names (want 20)", in_block,
          known);
    CHECK(shape_is(expected(t, n, "layer1.0.conv2.weight"), 4, 64, 64, 1, 1), "multi-shift conv2 is 1x1");
    free(t);
    network_free(&net);
}

/* ---- the one-line report ---------------------------------------------------------------- */

static void report(void) {
    network net;
    if (load_net("resnet50", 8, 32, 1, &net)) return;
    weights w;
    gen(&net, &w);
    const char *path = tmp("bad.safetensors");
    struct { wopts o; const char *want[3]; } cases[] = {
        { { .drop = "layer1.0.bn2.running_var" }, { "1 missing (layer1.0.bn2.running_var)", NULL } },
        { { .extra = "head.weight", .nbt = 1 }, { "1 unexpected (head.weight)", NULL } },
        { { .reshape = "fc.weight" }, { "1 mis-shaped (fc.weight [10,31] instead of [10,32])", NULL } },
        { { .as_int = "conv1.weight" }, { "1 mis-shaped (conv1.weight I32 instead of F32/F16/BF16)", NULL } },
        { { .drop = "conv1.weight", .extra = "conv1.weights", .reshape = "layer3.0.conv2.weight" },
          { "1 missing (conv1.weight); 1 unexpected (conv1.weights); 1 mis-shaped (layer3.0.conv2.weight "
            "[8,8,3,2] instead of [8,8,3,3])", NULL } },
        { { .prefix = "module." }, { "missing (conv1.weight, bn1.weight, ", "\u2026 and ", "names start with 'module.'" } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (write_ckpt(path, &w, &cases[i].o)) continue;
        checkpoint ck;
        char err[ERRLEN] = "";
        int rc = checkpoint_open(&ck, path, CKPT_BN_EPS, err, sizeof err);
        CHECK(rc == 0, "open: %s", err);
        if (rc) continue;
        rc = checkpoint_check(&ck, &net, err, sizeof err);
        int ok = rc == -1 && !strchr(err, '\n') && strlen(err) < sizeof err - 1 && strstr(err, path) &&
                 strstr(err, "does not match resnet50");
        for (int k = 0; k < 3 && cases[i].want[k]; k++) ok &= strstr(err, cases[i].want[k]) != NULL;
        CHECK(ok, "case %zu: '%s'", i, err);
        checkpoint_close(&ck);
    }
    /* the complete checkpoint passes, with or without num_batches_tracked */
    for (int nbt = 0; nbt < 2; nbt++) {
        checkpoint ck;
        char err[ERRLEN] = "";
        CHECK(!write_ckpt(path, &w, &(wopts){ .nbt = nbt }) && !checkpoint_open(&ck, path, CKPT_BN_EPS, err, sizeof err) &&
              !checkpoint_check(&ck, &net, err, sizeof err), "complete checkpoint: %s", err);
        checkpoint_close(&ck);
    }
    checkpoint ck;
    char err[ERRLEN];
    CHECK(checkpoint_open(&ck, path, -1, err, sizeof err) == -1 && strstr(err, "eps"), "negative eps: %s", err);
    CHECK(checkpoint_open(&ck, tmp("none.safetensors"), CKPT_BN_EPS, err, sizeof err) == -1 && strstr(err, "cannot open"),
          "absent file: %s", err);
    weights_free(&w);
    network_free(&net);
}

/* ---- .npy ------------------------------------------------------------------------------- */

static void npy(void) {
    float v[6] = { 1, -2.5f, 3e-20f, 0, 7, -0.0f };
    int64_t s23[2] = { 2, 3 }, s6[1] = { 6 };
    char err[ERRLEN];
    npy_array a;
    const char *p = tmp("a.npy");
    CHECK(npy_write(p, v, 2, s23, err, sizeof err) == 0, "npy write: %s", err);
    CHECK(npy_read(p, &a, err, sizeof err) == 0 && a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.n == 6 &&
          !memcmp(a.data, v, sizeof v), "npy round trip: %s", err);
    npy_free(&a);
    CHECK(npy_write(p, v, 1, s6, err, sizeof err) == 0 && npy_read(p, &a, err, sizeof err) == 0 && a.ndim == 1 && a.n == 6,
          "npy 1-d");
    npy_free(&a);
    /* exactly what numpy.save writes (numpy 1.24, np.arange(6, dtype=np.float32).reshape(2, 3)) */
    const char hdr[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    uint8_t img[128 + 24];
    memset(img, ' ', 128);
    memcpy(img, "\x93NUMPY\x01\x00\x76\x00", 10);
    memcpy(img + 10, hdr, sizeof hdr - 1);
    img[127] = '\n';
    for (int i = 0; i < 6; i++) { float f = (float)i; memcpy(img + 128 + 4 * i, &f, 4); }
    CHECK(npy_parse(img, sizeof img, &a, err, sizeof err) == 0 && a.n == 6 && a.data[5] == 5.0f, "numpy.save image: %s", err);
    npy_free(&a);
    FILE *f = fopen(p, "rb");
    uint8_t mine[256];
    size_t len = f ? fread(mine, 1, sizeof mine, f) : 0;
    if (f) fclose(f);
    CHECK(len == 128 + 24 && !memcmp(mine, "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 67) &&
          mine[127] == '\n', "our header is numpy's (64-byte aligned, newline)");
    /* malformed */
    struct { const char *hdr; size_t data; const char *want; } bad[] = {
        { "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48, "'<f8' is not float32" },
        { "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, "'>f4' is not float32" },
        { "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, "Fortran order" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, "20 bytes; shape [2, 3] of float32 needs 24" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 28, "28 bytes" },
        { "{'descr': '<f4', 'shape': (2, 3), }", 24, "lacks 'fortran_order'" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 24, "'shape' is not a tuple" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }", 24, "overflows" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 24, "unknown key 'x'" },
        { "['descr']", 24, "not a dict" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint8_t b[512] = { 0 };
        size_t hl = strlen(bad[i].hdr);
        memcpy(b, "\x93NUMPY\x01\x00", 8);
        b[8] = (uint8_t)hl;
        memcpy(b + 10, bad[i].hdr, hl);
        int rc = npy_parse(b, 10 + hl + bad[i].data, &a, err, sizeof err);
        CHECK(rc == -1 && strstr(err, bad[i].want), "npy case %zu: '%s' (wanted '%s')", i, err, bad[i].want);
        if (!rc) npy_free(&a);
    }
    CHECK(npy_parse((const uint8_t *)"PK\3\4xxxxxxxx", 12, &a, err, sizeof err) == -1 && strstr(err, "not a NumPy"), "%s", err);
    CHECK(npy_parse(img, 100, &a, err, sizeof err) == -1 && strstr(err, "truncated"), "%s", err);
    CHECK(npy_read(tmp("none.npy"), &a, err, sizeof err) == -1 && strstr(err, "cannot open"), "%s", err);
    /* version 2.0: 4-byte header length */
    uint8_t v2[12 + 64 + 4];
    memset(v2, ' ', sizeof v2);
    memcpy(v2, "\x93NUMPY\x02\x00\x40\x00\x00\x00", 12);
    memcpy(v2 + 12, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 57);
    memcpy(v2 + 76, "\0\0\x80\x3f", 4);
    CHECK(npy_parse(v2, sizeof v2, &a, err, sizeof err) == 0 && a.n == 1 && a.data[0] == 1.0f, "npy v2: %s", err);
    npy_free(&a);

    /* NCHW -> NHWC on a hand example: n 1, c 2, h 1, w 3 */
    float nchw[6] = { 0, 1, 2, 10, 11, 12 }, nhwc[6];
    checkpoint_nchw_to_nhwc(nchw, nhwc, 1, 2, 1, 3);
    CHECK(nhwc[0] == 0 && nhwc[1] == 10 && nhwc[2] == 1 && nhwc[3] == 11 && nhwc[4] == 2 && nhwc[5] == 12, "nchw -> nhwc");
}

/* ---- the command line ------------------------------------------------------------------- */

/* Runs cmd through sh; returns the exit status, stderr's first line in line and its
 * number of lines in *lines. */
static int run(const char *cmd, char *line, size_t len, int *lines) {
    char full[2048];
    snprintf(full, sizeof full, "%s >/dev/null 2>%s", cmd, tmp("stderr"));
    int st = system(full);
    FILE *f = fopen(tmp("stderr"), "r");
    line[0] = 0;
    *lines = 0;
    char buf[2048];
    while (f && fgets(buf, sizeof buf, f))
        if (!(*lines)++) snprintf(line, len, "%.*s", (int)strcspn(buf, "\n"), buf);
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void cli(void) {
    const char *sb = getenv("SB") && *getenv("SB") ? getenv("SB") : "./shiftbench";   /* as tests/cli.sh */
    if (access(sb, X_OK)) {
        fprintf(stderr, "note: %s not built; command-line checks skipped\n", sb);
        return;
    }
    network net;
    if (load_net("single-shift-4c-50", 8, 32, 2, &net)) return;
    weights w;
    gen(&net, &w);
    float *nchw, *nhwc = random_input(&net, &nchw);
    const char *ck = tmp("cli.safetensors"), *in = tmp("in.npy"), *out = tmp("out.npy"), *bad = tmp("bad.safetensors");
    int64_t ishape[4] = { 2, 3, 32, 32 }, wrong[4] = { 1, 3, 32, 32 };
    char err[ERRLEN], cmd[1536], line[1024], common[512];
    snprintf(common, sizeof common, "%s net single-shift-4c-50 --set widths=8,8,8,8 --set stem_width=8 --set classes=10 "
                         "--set blocks=1,1,1,1 --resolution 32 --batch 2 --impl ref --min-time 0 --min-reps 1 "
                         "--warmup 0 --events none", sb);
    if (write_ckpt(ck, &w, &(wopts){ .nbt = 1 }) || npy_write(in, nchw, 4, ishape, err, sizeof err)) goto done;
    snprintf(cmd, sizeof cmd, "%s --weights %s --input %s --output %s -o %s", common, ck, in, out, tmp("r.json"));
    int lines, rc = run(cmd, line, sizeof line, &lines);
    CHECK(rc == 0, "%s -> %d: %s", cmd, rc, line);
    npy_array a;
    float *want = logits(&net, ck, CKPT_BN_EPS, "ref", nhwc);
    CHECK(npy_read(out, &a, err, sizeof err) == 0 && a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 10, "logits .npy [2, 10]: %s",
          err);
    CHECK(want && a.n == 20 && max_diff(a.data, want, 20) == 0, "the command's logits are the library's");
    npy_free(&a);
    free(want);

    struct { const char *args; const char *want; } fails[] = {
        { "--weights /nonexistent.safetensors", "cannot open /nonexistent.safetensors" },
        { "--bn-eps 1e-3", "--bn-eps needs --weights" },
        { "--weights W --bn-eps -1", "--bn-eps '-1'" },
        { "--weights W --output -", "--output needs a file name" },
        { "--weights B", "does not match single-shift-4c-50.*1 missing \\(layer1.0.bn1.bias\\)" },
        { "--weights T", "T: header size [0-9]+ exceeds the file|run past the data section" },
        { "--weights W --input X", "shape \\[1, 3, 32, 32\\] does not match single-shift-4c-50's input \\[N, C, H, W\\] = "
                                   "\\[2, 3, 32, 32\\]" },
        { "--input /nonexistent.npy", "cannot open /nonexistent.npy" },
    };
    /* B: a tensor missing; T: the good file truncated; X: an input of the wrong batch */
    if (write_ckpt(bad, &w, &(wopts){ .drop = "layer1.0.bn1.bias" }) || npy_write(tmp("X"), nchw, 4, wrong, err, sizeof err))
        goto done;
    FILE *f = fopen(ck, "rb"), *g = fopen(tmp("T"), "wb");
    char buf[1000];
    size_t r = f ? fread(buf, 1, sizeof buf, f) : 0;
    CHECK(g && r == sizeof buf && fwrite(buf, 1, r, g) == r, "truncated copy");
    if (f) fclose(f);
    if (g) fclose(g);
    for (size_t i = 0; i < sizeof fails / sizeof *fails; i++) {
        char args[512] = "";
        for (const char *p = fails[i].args; *p; p++) {
            const char *sub = NULL;
            if (p[0] == ' ' && p[1] && (p[2] == 0 || p[2] == ' ') && strchr("WBTX", p[1]))
                sub = p[1] == 'W' ? ck : p[1] == 'B' ? bad : p[1] == 'T' ? tmp("T") : tmp("X");
            if (sub) { snprintf(args + strlen(args), sizeof args - strlen(args), " %s", sub); p++; }
            else snprintf(args + strlen(args), sizeof args - strlen(args), "%c", *p);
        }
        snprintf(cmd, sizeof cmd, "%s %s -o %s", common, args, tmp("r.json"));
        rc = run(cmd, line, sizeof line, &lines);
        char grep[2048];
        snprintf(grep, sizeof grep, "grep -qE -- \"%s\" %s", fails[i].want, tmp("stderr"));
        int matched = system(grep) == 0;
        CHECK(rc == 2 && matched && lines == 1 && !strncmp(line, "shiftbench: error: ", 19),
              "%s -> exit %d, %d lines, '%s' (wanted /%s/)", args, rc, lines, line, fails[i].want);
    }
    /* Non-finite weights or input: refused at load on every implementation (exit 1, one
     * line), and --output never written: a new path stays absent, an old file intact. */
    {
        float keep = w.v[3][0];
        char nanck[256], infck[256], nanin[256], fresh[256], res[256], good[256], in2[256], old_out[256];
        /* tmp()'s buffers rotate: keep copies */
        snprintf(nanck, sizeof nanck, "%s", tmp("nan.safetensors"));
        snprintf(infck, sizeof infck, "%s", tmp("inf.safetensors"));
        snprintf(nanin, sizeof nanin, "%s", tmp("nan.npy"));
        snprintf(fresh, sizeof fresh, "%s", tmp("new.npy"));
        snprintf(res, sizeof res, "%s", tmp("r2.json"));
        snprintf(good, sizeof good, "%s", ck);
        snprintf(in2, sizeof in2, "%s", in);
        snprintf(old_out, sizeof old_out, "%s", out);
        w.v[3][0] = NAN;
        int wrote = write_ckpt(nanck, &w, &(wopts){ 0 });
        w.v[3][0] = INFINITY;
        wrote |= write_ckpt(infck, &w, &(wopts){ .dtype = "F16" });   /* F16 keeps inf */
        w.v[3][0] = keep;
        float nan_in = nchw[5];
        nchw[5] = NAN;
        wrote |= npy_write(nanin, nchw, 4, ishape, err, sizeof err);
        nchw[5] = nan_in;
        char before[4096], after[4096];
        FILE *o = fopen(old_out, "rb");
        size_t nb = o ? fread(before, 1, sizeof before, o) : 0;
        if (o) fclose(o);
        static const char *const impls[] = { "ref", "own", "openblas", "onednn" };
        for (size_t k = 0; k < sizeof impls / sizeof *impls && !wrote; k++) {
            struct { const char *weights, *input, *want; } c[] = {
                { nanck, in2, "nan.safetensors: tensor '.*' holds nan at element 0: weights must be finite" },
                { infck, in2, "inf.safetensors: tensor '.*' holds inf at element 0: weights must be finite" },
                { good, nanin, "nan.npy: holds nan at element 5: the input must be finite" },
            };
            for (size_t j = 0; j < sizeof c / sizeof *c; j++)
                for (int old = 0; old < 2; old++) {
                    const char *dst = old ? old_out : fresh;
                    snprintf(cmd, sizeof cmd, "%s --impl %s --weights %s --input %s --output %s -o %s", common,
                             impls[k], c[j].weights, c[j].input, dst, res);
                    rc = run(cmd, line, sizeof line, &lines);
                    char grep[2048];
                    snprintf(grep, sizeof grep, "grep -qE -- \"%s\" %s", c[j].want, tmp("stderr"));
                    CHECK(rc == 1 && lines == 1 && system(grep) == 0, "%s: %s -> exit %d, '%s' (wanted /%s/)", impls[k],
                          cmd, rc, line, c[j].want);
                    CHECK(access(fresh, F_OK) != 0 && access(res, F_OK) != 0,
                          "%s: a refused run wrote an output", impls[k]);
                    o = fopen(old_out, "rb");
                    size_t na = o ? fread(after, 1, sizeof after, o) : 0;
                    if (o) fclose(o);
                    CHECK(na == nb && nb > 0 && !memcmp(before, after, nb), "%s: a refused run changed %s", impls[k], old_out);
                }
        }
    }
done:
    free(nchw);
    free(nhwc);
    weights_free(&w);
    network_free(&net);
}

int main(void) {
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    names();
    npy();
    report();
    half_precision();
    layouts();
    families();
    cli();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_done("test_checkpoint");
}
