#include "exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "measure.h"

static const char *const IMPLS[] = { "ref", "own", "openblas", "onednn", "best", NULL };

const char *exec_impl_names(void) { return "ref, own, openblas, onednn, best"; }

int exec_impl_valid(const char *impl) {
    for (int i = 0; IMPLS[i]; i++)
        if (!strcmp(impl, IMPLS[i])) return 1;
    return 0;
}

/* splitmix64: tiny, seedable, good enough for test data. */
static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void exec_fill_random(float *x, size_t n, float scale, uint64_t *state) {
    for (size_t i = 0; i < n; i++)
        x[i] = scale * (float)((double)(next_u64(state) >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

/* Which tensors are read by more than one layer (those must exist in memory). */
static int *consumers(const network *net) {
    int *c = calloc((size_t)net->ntensors, sizeof *c);
    if (!c) return NULL;
    for (int i = 0; i < net->nlayers; i++) {
        c[net->layers[i].in]++;
        if (net->layers[i].in2 >= 0) c[net->layers[i].in2]++;
    }
    return c;
}

/* The layer after i reads only i's output, and nothing else does. */
static int fusable_next(const network *net, const int *cons, int i, op_kind next) {
    return i + 1 < net->nlayers && net->layers[i + 1].d.kind == next && net->layers[i + 1].in == net->layers[i].out &&
           cons[net->layers[i].out] == 1;
}

/* The steps as IR index groups, before choosing kernels. add >= 0: a conv whose output
 * only the residual add right after it reads; the add (and its ReLU, add_relu) may run
 * inside the conv, reading res as in2 (exec_plan decides). */
typedef struct { int layer, fused[EXEC_MAX_FUSED], nfused; op_desc d; int add, add_relu, res; } step_shape;

static int group_layers(const network *net, int fuse_shift, int fuse_add, step_shape *out) {
    int *cons = consumers(net), n = 0;
    if (!cons) return -1;
    for (int i = 0; i < net->nlayers; i++) {
        const ir_layer *L = &net->layers[i];
        step_shape s = { .layer = i, .d = L->d, .add = -1, .add_relu = -1, .res = -1 };
        if (L->d.kind == OP_SHIFT && fuse_shift && fusable_next(net, cons, i, OP_CONV) &&
            net->layers[i + 1].d.kh == 1 && net->layers[i + 1].d.kw == 1) {
            const op_desc *c = &net->layers[i + 1].d;
            s.layer = i + 1;
            s.fused[s.nfused++] = i;
            s.d.kind = OP_SHIFTCONV;
            s.d.oc = c->oc;
            s.d.stride = c->stride;
            s.d.kh = s.d.kw = 1;
            s.d.oh = c->oh;
            s.d.ow = c->ow;
            i++;
        }
        op_kind k = net->layers[i].d.kind;
        const ir_layer *A = i + 1 < net->nlayers ? &net->layers[i + 1] : NULL;
        if ((k == OP_CONV || k == OP_ADD || k == OP_FC) && fusable_next(net, cons, i, OP_RELU)) {
            s.fused[s.nfused++] = i + 1;
            s.d.relu = 1;
            i++;
        } else if (fuse_add && k == OP_CONV && A && A->d.kind == OP_ADD && cons[net->layers[i].out] == 1 &&
                   (A->in == net->layers[i].out) != (A->in2 == net->layers[i].out)) {
            s.add = i + 1;
            s.res = A->in == net->layers[i].out ? A->in2 : A->in;
            if (fusable_next(net, cons, i + 1, OP_RELU)) s.add_relu = i + 2;
            i = s.add_relu >= 0 ? s.add_relu : s.add;
        }
        out[n++] = s;
    }
    free(cons);
    return n;
}

static int last_layer(const step_shape *s) {
    int last = s->layer;
    for (int f = 0; f < s->nfused; f++)
        if (s->fused[f] > last) last = s->fused[f];
    if (s->add > last) last = s->add;
    if (s->add_relu > last) last = s->add_relu;
    return last;
}

/* He-style uniform weights keep activations in range through deep stacks. */
static int make_weights(exec_step *st, const op_desc *d, uint64_t *rng) {
    size_t nw = op_weight_count(d), nb = op_bias_count(d);
    if (nw) {
        if (!(st->weight = malloc(nw * sizeof(float)))) return -1;
        size_t fan_in = (size_t)d->c * (d->kind == OP_FC ? 1 : (size_t)d->kh * d->kw);
        exec_fill_random(st->weight, nw, (float)sqrt(3.0 / (double)fan_in), rng);
    }
    if (nb) {
        if (!(st->bias = malloc(nb * sizeof(float)))) return -1;
        exec_fill_random(st->bias, nb, 0.1f, rng);
    }
    return 0;
}

typedef struct { kernel *k; const float *in, *in2; float *out; } one_run;
static void run_one(void *p) {
    one_run *r = p;
    kernel_run(r->k, r->in, r->in2, r->out);
}

/* The median time of k on these buffers (INFINITY when it cannot be measured): how `best`
 * times every candidate. */
static double time_kernel(kernel *k, const float *in, const float *in2, float *out, double budget) {
    measure_opts mo;
    measure_opts_default(&mo);
    mo.warmup = 1;
    mo.min_reps = 3;
    mo.min_time = budget;
    one_run r = { k, in, in2, out };
    measure_result mr;
    char why[ERRLEN];
    double t = INFINITY;
    if (measure(run_one, &r, &mo, NULL, &mr, why, sizeof why) == 0 && mr.n) t = mr.stats.median;
    measure_result_free(&mr);
    return t;
}

/* `best`: every non-ref implementation of the op that accepts the shape, timed on the
 * step's real buffers; the fastest one is kept. */
static int pick_best(exec_step *st, const op_desc *d, const float *in, const float *in2, float *out, double budget,
                     double *best_time, char *err, size_t errlen) {
    double best = INFINITY;
    kernel cand;
    for (int i = 0, n = kernel_count(); i < n; i++) {
        const kernel_impl *ki = kernel_at(i);
        if (ki->op != d->kind || !strcmp(ki->impl, "ref")) continue;
        char why[ERRLEN];
        if (kernel_create(&cand, ki, d, st->weight, st->bias, why, sizeof why)) continue;
        double t = time_kernel(&cand, in, in2, out, budget);
        if (!st->k.impl || t < best) {   /* the first one that runs, even unmeasured (interrupted) */
            best = t;
            kernel_destroy(&st->k);
            st->k = cand;
        } else {
            kernel_destroy(&cand);
        }
    }
    if (!st->k.impl) return set_err(err, errlen, "no implementation of %s accepts this shape", op_name(d->kind));
    if (best_time) *best_time = best;
    return 0;
}

static int choose(exec_step *st, const op_desc *d, const char *impl, char *err, size_t errlen) {
    const char *chain[3] = { impl, "own", "ref" };
    char why[ERRLEN] = "";
    for (int c = 0; c < 3; c++) {
        const kernel_impl *ki = kernel_find(d->kind, chain[c]);
        if (ki && kernel_create(&st->k, ki, d, st->weight, st->bias, why, sizeof why) == 0) return 0;
    }
    return set_err(err, errlen, "no implementation of %s runs this shape (%s)", op_name(d->kind), why);
}

int exec_footprint(const network *net, uint64_t *bytes, char *err, size_t errlen) {
    uint64_t total = 0, t;
    for (int i = 0; i < net->ntensors; i++) {
        const ir_tensor *x = &net->tensors[i];
        if (__builtin_mul_overflow((uint64_t)x->n * x->h, (uint64_t)x->w * x->c * sizeof(float), &t) ||
            __builtin_add_overflow(total, t, &total))
            return set_err(err, errlen, "%s: activations overflow 64 bits", net->name);
    }
    for (int i = 0; i < net->nlayers; i++) {
        const op_desc *d = &net->layers[i].d;
        t = (uint64_t)(op_weight_count(d) + op_bias_count(d)) * sizeof(float);
        if (__builtin_add_overflow(total, t, &total)) return set_err(err, errlen, "%s: weights overflow 64 bits", net->name);
    }
    *bytes = total;
    return 0;
}

/* Test hook (tests/cli_robust.sh, README "Reliability"): SHIFTBENCH_TEST_POISON=<IR layer
 * name> puts a NaN into the first weight (else bias) of the step named after that layer, so
 * that the NaN/Inf check on the planned outputs can be exercised. Unset: no effect. */
static void poison_for_test(exec_step *st, const char *layer) {
    const char *p = getenv("SHIFTBENCH_TEST_POISON");
    float *w = st->weight ? st->weight : st->bias;
    if (p && w && !strcmp(p, layer)) w[0] = NAN;
}

int exec_plan(executor *ex, const network *net, const exec_opts *o, char *err, size_t errlen) {
    memset(ex, 0, sizeof *ex);
    if (!exec_impl_valid(o->impl)) return set_err(err, errlen, "unknown implementation '%s' (choose from: %s)", o->impl, exec_impl_names());
    ex->net = net;
    snprintf(ex->impl, sizeof ex->impl, "%s", o->impl);
    int best = !strcmp(o->impl, "best");
    int fuse = best || (strcmp(o->impl, "ref") && kernel_find(OP_SHIFTCONV, o->impl));
    int fuse_add = best || !strcmp(o->impl, "own");
    step_shape *shapes = calloc((size_t)net->nlayers, sizeof *shapes);
    ex->steps = calloc((size_t)net->nlayers, sizeof *ex->steps);
    ex->buf = calloc((size_t)net->ntensors, sizeof *ex->buf);
    if (!shapes || !ex->steps || !ex->buf) { free(shapes); exec_free(ex); return set_err(err, errlen, "out of memory"); }
    int n = group_layers(net, fuse, fuse_add, shapes);
    uint64_t rng = o->seed ? o->seed : 1;
    int rc = n < 0 ? set_err(err, errlen, "out of memory") : 0;

    /* buffers: the network input and every step's output (and the conv's own output of a
     * step that may keep its residual add apart) */
    for (int i = 0; i <= 2 * n && !rc; i++) {
        int t = i == 0 ? net->input
              : i % 2 ? net->layers[last_layer(&shapes[(i - 1) / 2])].out
              : shapes[(i - 1) / 2].add >= 0 ? net->layers[shapes[(i - 1) / 2].layer].out : -1;
        if (t < 0 || ex->buf[t]) continue;
        const ir_tensor *x = &net->tensors[t];
        size_t bytes = (size_t)x->n * x->h * x->w * x->c * sizeof(float);
        if (!(ex->buf[t] = alloc_aligned(bytes))) rc = set_err(err, errlen, "out of memory (%zu bytes for a tensor)", bytes);
        else memset(ex->buf[t], 0, bytes);
        ex->bytes += bytes;
    }
    if (!rc) {
        const ir_tensor *x = &net->tensors[net->input];
        size_t nx = (size_t)x->n * x->h * x->w * x->c;
        if (o->input) memcpy(ex->buf[net->input], o->input, nx * sizeof(float));
        else exec_fill_random(ex->buf[net->input], nx, 1.0f, &rng);
    }
    #define BUF(t) ((t) >= 0 ? ex->buf[t] : NULL)
    int ns = 0;   /* steps prepared */
    for (int i = 0; i < n && !rc; i++) {
        exec_step *st = &ex->steps[ns];
        const step_shape *s = &shapes[i];
        const ir_layer *L = &net->layers[s->layer];
        st->layer = s->layer;
        st->nfused = s->nfused;
        memcpy(st->fused, s->fused, sizeof st->fused);
        st->in = net->layers[s->nfused && s->fused[0] < s->layer ? s->fused[0] : s->layer].in;
        st->in2 = L->in2;
        st->out = s->add >= 0 ? L->out : net->layers[last_layer(s)].out;
        if (make_weights(st, &s->d, &rng)) { rc = set_err(err, errlen, "out of memory"); break; }
        if (o->weights && (st->weight || st->bias) &&
            o->weights(o->weights_ctx, net, s->layer, &s->d, st->weight, st->bias, err, errlen)) { rc = -1; break; }
        poison_for_test(st, L->name);
        ex->bytes += (op_weight_count(&s->d) + op_bias_count(&s->d)) * sizeof(float);
        char why[ERRLEN];
        double t_conv = 0, t_add = 0;
        if (best) rc = pick_best(st, &s->d, BUF(st->in), BUF(st->in2), BUF(st->out), o->best_time, &t_conv, why, sizeof why);
        else rc = choose(st, &s->d, o->impl, why, sizeof why);
        if (rc) { set_err(err, errlen, "%s: layer %s: %s", net->name, L->name, why); break; }
        ex->nsteps = ++ns;
        exec_run_step(ex, ns - 1);   /* later steps (and `best` timing) see real activations */
        if (s->add >= 0) {
            /* The residual add: on its own step, or inside the conv on our GEMM kernel. */
            const ir_layer *A = &net->layers[s->add];
            int out = net->layers[last_layer(s)].out;
            op_desc fd = s->d;
            fd.relu = s->add_relu >= 0;
            const kernel_impl *own = kernel_find(s->d.kind, "own");
            kernel fk = { 0 };
            int can = own && own->residual &&
                      kernel_create(&fk, own, &fd, st->weight, st->bias, why, sizeof why) == 0;
            exec_step *sa = &ex->steps[ns];
            sa->layer = s->add;
            sa->nfused = 0;
            if (s->add_relu >= 0) sa->fused[sa->nfused++] = s->add_relu;
            sa->in = A->in;
            sa->in2 = A->in2;
            sa->out = out;
            op_desc ad = A->d;
            ad.relu = s->add_relu >= 0;
            int fused = can && !best;
            if (best) {
                rc = pick_best(sa, &ad, BUF(sa->in), BUF(sa->in2), BUF(sa->out), o->best_time, &t_add, why, sizeof why);
                if (rc) { set_err(err, errlen, "%s: layer %s: %s", net->name, A->name, why); if (can) kernel_destroy(&fk); break; }
                /* Our conv won anyway: with the add inside it is the same work less a pass
                 * over memory, so no timing (whose noise would decide). Else timed. */
                fused = can && (st->k.impl == own ||
                                time_kernel(&fk, BUF(st->in), BUF(s->res), BUF(out), o->best_time) < t_conv + t_add);
            } else if (!can) {
                rc = choose(sa, &ad, o->impl, why, sizeof why);
                if (rc) { set_err(err, errlen, "%s: layer %s: %s", net->name, A->name, why); break; }
            }
            if (fused) {   /* conv + add (+ ReLU) as one step */
                kernel_destroy(&sa->k);
                memset(sa, 0, sizeof *sa);
                kernel_destroy(&st->k);
                st->k = fk;
                st->fused[st->nfused++] = s->add;
                if (s->add_relu >= 0) st->fused[st->nfused++] = s->add_relu;
                st->in2 = s->res;
                st->out = out;
                exec_run_step(ex, ns - 1);
            } else {
                if (can) kernel_destroy(&fk);
                ex->nsteps = ++ns;
                exec_run_step(ex, ns - 1);
            }
        }
        if (o->progress) o->progress(i + 1, n, o->progress_ctx);
    }
    #undef BUF
    free(shapes);
    if (rc) exec_free(ex);
    return rc;
}

int exec_step_cost(const executor *ex, int i, cost *c) {
    const exec_step *st = &ex->steps[i];
    int layers[1 + EXEC_MAX_FUSED];
    layers[0] = st->layer;
    memcpy(layers + 1, st->fused, (size_t)st->nfused * sizeof *layers);
    return fused_cost(ex->net, layers, 1 + st->nfused, c);
}

void exec_run_step(executor *ex, int i) {
    exec_step *st = &ex->steps[i];
    kernel_run(&st->k, ex->buf[st->in], st->in2 >= 0 ? ex->buf[st->in2] : NULL, ex->buf[st->out]);
}

void exec_forward(executor *ex) {
    for (int i = 0; i < ex->nsteps; i++) exec_run_step(ex, i);
}

float *exec_output(const executor *ex) { return ex->buf[ex->net->output]; }

int exec_first_nonfinite(const executor *ex) {
    for (int i = 0; i < ex->nsteps; i++) {
        const ir_tensor *t = &ex->net->tensors[ex->steps[i].out];
        size_t n = (size_t)t->n * t->h * t->w * t->c;
        if (first_nonfinite(ex->buf[ex->steps[i].out], n) < n) return i;
    }
    return -1;
}

void exec_free(executor *ex) {
    for (int i = 0; ex->steps && i < ex->net->nlayers; i++) {
        kernel_destroy(&ex->steps[i].k);
        free(ex->steps[i].weight);
        free(ex->steps[i].bias);
    }
    for (int t = 0; ex->buf && t < ex->net->ntensors; t++) free(ex->buf[t]);
    free(ex->steps);
    free(ex->buf);
    memset(ex, 0, sizeof *ex);
}
