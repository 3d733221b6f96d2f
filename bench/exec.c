#include "exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../analysis/fuse.h"
#include "exec_block.h"
#include "measure.h"

/* --impl: the registry's families, then best. */
const char *exec_impl_names(void) {
    static char names[256];
    if (!names[0]) {
        for (int i = 0; kernel_family_at(i); i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s, ", kernel_family_at(i));
        snprintf(names + strlen(names), sizeof names - strlen(names), "best");
    }
    return names;
}

int exec_impl_valid(const char *impl) {
    for (int i = 0; kernel_family_at(i); i++)
        if (!strcmp(impl, kernel_family_at(i))) return 1;
    return !strcmp(impl, "best");
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

/* The median time of fn(ctx) (INFINITY when it cannot be measured): how `best` times
 * every candidate. */
static double time_call(measure_fn fn, void *ctx, double budget) {
    measure_opts mo;
    measure_opts_default(&mo);
    mo.warmup = 1;
    mo.min_reps = 3;
    mo.min_time = budget;
    measure_result mr;
    char why[ERRLEN];
    double t = INFINITY;
    if (measure(fn, ctx, &mo, NULL, &mr, why, sizeof why) == 0 && mr.n) t = mr.stats.median;
    measure_result_free(&mr);
    return t;
}

static double time_kernel(kernel *k, const float *in, const float *in2, float *out, double budget) {
    one_run r = { k, in, in2, out };
    return time_call(run_one, &r, budget);
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
        const kernel_impl *ki;
        for (int i = 0; (ki = kernel_in_family_at(d->kind, chain[c], i)); i++)
            if (kernel_create(&st->k, ki, d, st->weight, st->bias, why, sizeof why) == 0) return 0;
    }
    return set_err(err, errlen, "no implementation of %s runs this shape (%s)", op_name(d->kind), why);
}

const char *exec_fuse_name(exec_fuse f) { return f == EXEC_FUSE_BLOCK ? "block" : f == EXEC_FUSE_LAYER ? "layer" : "auto"; }

int exec_fuse_parse(const char *s, exec_fuse *f) {
    for (exec_fuse g = EXEC_FUSE_AUTO; g <= EXEC_FUSE_BLOCK; g++)
        if (!strcmp(s, exec_fuse_name(g))) { *f = g; return 0; }
    return -1;
}

const char *exec_step_name(const executor *ex, int i) {
    const exec_step *st = &ex->steps[i];
    return st->block >= 0 ? ex->net->blocks[st->block].name : ex->net->layers[st->layer].name;
}

typedef struct { executor *ex; int s0, s1; } step_range;
static void run_range(void *p) {
    step_range *r = p;
    for (int i = r->s0; i < r->s1; i++) exec_run_step(r->ex, i);
}
static void run_block(void *p) { exec_block_run(p); }

/* Each block's steps as one depth-first step (exec_block.h) where they can run so: always
 * with EXEC_FUSE_BLOCK, where that times faster than the steps one by one with AUTO. A
 * block left layer by layer gets its reason in block_note. */
static int fuse_blocks(executor *ex, const exec_opts *o, char *err, size_t errlen) {
    const network *net = ex->net;
    exec_step *out = calloc((size_t)net->nlayers, sizeof *out);
    ex->block_note = calloc((size_t)net->nblocks + 1, sizeof *ex->block_note);
    if (!out || !ex->block_note) { free(out); return set_err(err, errlen, "out of memory"); }
    int n = 0;
    for (int i = 0; i < ex->nsteps; ) {
        int b = net->layers[ex->steps[i].layer].block, j = i + 1;
        while (b >= 0 && j < ex->nsteps && net->layers[ex->steps[j].layer].block == b) j++;
        exec_block *blk = NULL;
        if (b >= 0) {
            char why[ERRLEN];
            blk = exec_block_create(ex, b, i, j, &o->tile, why, sizeof why);
            if (!blk) snprintf(ex->block_note[b], sizeof ex->block_note[b], "not fused: %s", why);
        }
        if (blk && o->fuse == EXEC_FUSE_AUTO) {
            step_range r = { ex, i, j };
            double tb = time_call(run_block, blk, o->best_time), tl = time_call(run_range, &r, o->best_time);
            if (!(tb < tl)) {
                snprintf(ex->block_note[b], sizeof ex->block_note[b], "layer by layer: timed faster (%.3f ms vs %.3f ms fused)",
                         1e3 * tl, 1e3 * tb);
                exec_block_destroy(blk);
                blk = NULL;
            }
        }
        if (!blk) {
            memcpy(out + n, ex->steps + i, (size_t)(j - i) * sizeof *out);
            n += j - i;
        } else {
            const ir_block *B = &net->blocks[b];
            exec_step *s = &out[n++];
            exec_block_adopt(blk);
            exec_block_kernel(blk, &s->k);
            s->layer = B->first;
            s->block = b;
            for (int l = B->first + 1; l <= B->last; l++) s->fused[s->nfused++] = l;
            s->in = ex->steps[i].in;
            s->in2 = -1;
            s->out = ex->steps[j - 1].out;
            exec_block_run(blk);
        }
        i = j;
    }
    free(ex->steps);
    ex->steps = out;
    ex->nsteps = n;
    return 0;
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
    fuse_caps caps = fuse_caps_of(o->impl);
    if (o->unfused_shift) caps.shiftconv = 0;
    fuse_step *shapes = calloc((size_t)net->nlayers, sizeof *shapes);
    ex->steps = calloc((size_t)net->nlayers, sizeof *ex->steps);
    ex->buf = calloc((size_t)net->ntensors, sizeof *ex->buf);
    if (!shapes || !ex->steps || !ex->buf) { free(shapes); exec_free(ex); return set_err(err, errlen, "out of memory"); }
    int n = fuse_plan(net, &caps, shapes);
    uint64_t rng = o->seed ? o->seed : 1;
    int rc = n < 0 ? set_err(err, errlen, "out of memory") : 0;

    /* buffers: the network input and every step's output (and the conv's own output of a
     * step that may keep its residual add apart) */
    for (int i = 0; i <= 2 * n && !rc; i++) {
        int t = i == 0 ? net->input
              : i % 2 ? net->layers[fuse_step_last(&shapes[(i - 1) / 2])].out
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
        const fuse_step *s = &shapes[i];
        const ir_layer *L = &net->layers[s->layer];
        st->layer = s->layer;
        st->nfused = s->nfused;
        memcpy(st->fused, s->fused, sizeof s->fused);
        st->block = -1;
        st->in = net->layers[s->nfused && s->fused[0] < s->layer ? s->fused[0] : s->layer].in;
        st->in2 = L->in2;
        st->out = s->add >= 0 ? L->out : net->layers[fuse_step_last(s)].out;
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
            int out = net->layers[fuse_step_last(s)].out;
            op_desc fd = s->d;
            fd.relu = s->add_relu >= 0;
            fd.relu_max = s->add_relu >= 0 ? net->layers[s->add_relu].d.relu_max : 0;
            const kernel_impl *own = kernel_find(s->d.kind, "own");
            kernel fk = { 0 };
            int can = own && own->residual &&
                      kernel_create(&fk, own, &fd, st->weight, st->bias, why, sizeof why) == 0;
            exec_step *sa = &ex->steps[ns];
            sa->layer = s->add;
            sa->block = -1;
            sa->nfused = 0;
            if (s->add_relu >= 0) sa->fused[sa->nfused++] = s->add_relu;
            sa->in = A->in;
            sa->in2 = A->in2;
            sa->out = out;
            op_desc ad = A->d;
            ad.relu = s->add_relu >= 0;
            ad.relu_max = fd.relu_max;
            int fused = can && s->add_mode == FUSE_ADD_INSIDE;
            if (s->add_mode == FUSE_ADD_TIMED) {
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
    if (!rc && (o->fuse == EXEC_FUSE_BLOCK || (o->fuse == EXEC_FUSE_AUTO && best))) rc = fuse_blocks(ex, o, err, errlen);
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

uint64_t exec_step_bytes_apart(const executor *ex, int i) {
    const exec_step *st = &ex->steps[i];
    cost c;
    uint64_t b = layer_cost(&ex->net->layers[st->layer], &c) ? 0 : c.bytes;
    for (int f = 0; f < st->nfused; f++) b += layer_cost(&ex->net->layers[st->fused[f]], &c) ? 0 : c.bytes;
    return b;
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
    free(ex->block_note);
    free(ex->buf);
    memset(ex, 0, sizeof *ex);
}
