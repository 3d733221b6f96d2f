/* XNNPACK (Debian's libxnnpack 2022-02, operator API) implementations of conv, pooling, GAP,
 * FC, add and ReLU on NHWC fp32 tensors, and the shift as people write it with XNNPACK: a
 * depthwise 3x3 with one-hot weights (xnnpack-dw, the family's shift) and the masked 3x3
 * (xnnpack-masked3x3, by name and in `best` only); kernels/shift_as_conv.h.
 *
 * create() creates the operator (XNNPACK packs the weights then). XNNPACK binds the
 * buffers at setup, which needs the input and output pointers: bind() (kernel_bind, which
 * the harness calls before timing) sets up, and run() sets up again only when a pointer or
 * the thread pool changed, so a timed run is xnn_run_operator alone.
 *
 * Threads: XNNPACK runs on a pthreadpool of its own, not libgomp's; it is sized to
 * runtime_threads() (--threads), made when that changes and used for every operator; at
 * 1 thread there is none (XNNPACK runs on the caller). Layers run one after another, so
 * the two pools never compute at once (README "Threads"). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#include "kernel.h"
#include "runtime.h"
#include "shift_as_conv.h"
#include "../common/util.h"

static const char *status_str(enum xnn_status s) {
    switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
    default: return "unknown status";
    }
}

/* ---- the library and its thread pool -------------------------------------------------- */

static enum xnn_status g_init = xnn_status_uninitialized;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void init_library(void) { g_init = xnn_initialize(NULL); }

static pthreadpool_t g_pool;
static int g_pool_threads = 1;    /* 1: no pool */
static unsigned g_pool_gen = 1;   /* bumped when the pool is replaced */

/* The pool for runtime_threads() (NULL at 1 thread); *gen tells a state to set up again. */
static pthreadpool_t thread_pool(unsigned *gen) {
    int n = runtime_threads();
    if (n != g_pool_threads) {
        if (g_pool) pthreadpool_destroy(g_pool);
        g_pool = n > 1 ? pthreadpool_create((size_t)n) : NULL;
        g_pool_threads = g_pool ? n : 1;
        g_pool_gen++;
    }
    *gen = g_pool_gen;
    return g_pool;
}

__attribute__((destructor)) static void pool_free(void) {
    if (g_pool) pthreadpool_destroy(g_pool);
    g_pool = NULL;
}

/* ---- one operator ----------------------------------------------------------------------- */

typedef struct xn_state xn_state;
typedef enum xnn_status (*setup_fn)(const xn_state *st, const float *in, const float *in2, float *out,
                                    pthreadpool_t pool);
struct xn_state {
    op_desc d;
    xnn_operator_t op;
    setup_fn setup;
    const float *in, *in2;   /* what the operator is set up on */
    float *out;
    unsigned gen;            /* 0: not set up */
    size_t out_count;
    int warned;
};

static void xn_destroy(void *state) {
    xn_state *st = state;
    if (!st) return;
    if (st->op) xnn_delete_operator(st->op);
    free(st);
}

static xn_state *new_state(const op_desc *d, setup_fn setup, char *err, size_t errlen) {
    pthread_once(&g_once, init_library);
    if (g_init != xnn_status_success) {
        set_err(err, errlen, "XNNPACK: cannot initialize (%s)", status_str(g_init));
        return NULL;
    }
    xn_state *st = calloc(1, sizeof *st);
    if (!st) { set_err(err, errlen, "XNNPACK: out of memory"); return NULL; }
    st->d = *d;
    st->setup = setup;
    st->out_count = op_out_count(d);
    return st;
}

/* The end of every create: the operator, or NULL with the reason. */
static void *created(xn_state *st, enum xnn_status s, const char *what, char *err, size_t errlen) {
    if (s == xnn_status_success) return st;
    set_err(err, errlen, "XNNPACK: %s: %s", what, status_str(s));
    xn_destroy(st);
    return NULL;
}

/* The output clamp: [0, inf) for a ReLU, [0, relu_max] for ReLU6, none else. */
static float out_min(const op_desc *d) { return d->relu ? 0.0f : -INFINITY; }
static float out_max(const op_desc *d) { return d->relu ? op_relu_hi(d) : INFINITY; }

/* ---- conv (and the shift as a conv) ----------------------------------------------------- */

static enum xnn_status conv_setup(const xn_state *st, const float *in, const float *in2, float *out, pthreadpool_t pool) {
    (void)in2;
    return xnn_setup_convolution2d_nhwc_f32(st->op, (size_t)st->d.n, (size_t)st->d.h, (size_t)st->d.w, in, out, pool);
}

/* A convolution on d's tensors with g's window (kh, kw, stride, pad; oc) in `groups`
 * groups; weights in PyTorch order (oc, c / groups, kh, kw), repacked to XNNPACK's
 * (oc, kh, kw, c / groups). */
static void *conv_make(const op_desc *d, const op_desc *g, int groups, const float *weight, const float *bias,
                       char *err, size_t errlen) {
    /* XNNPACK's output size is (h + 2 pad - k) / stride + 1, as op_check's: refuse else. */
    if ((d->h + 2 * g->pad - g->kh) / g->stride + 1 != d->oh || (d->w + 2 * g->pad - g->kw) / g->stride + 1 != d->ow) {
        set_err(err, errlen, "XNNPACK conv: output %dx%d is not the symmetric-padding size", d->oh, d->ow);
        return NULL;
    }
    xn_state *st = new_state(d, conv_setup, err, errlen);
    if (!st) return NULL;
    size_t gc = (size_t)(d->c / groups), taps = (size_t)g->kh * g->kw;
    float *w = malloc((size_t)g->oc * taps * gc * sizeof *w);
    if (!w) return created(st, xnn_status_out_of_memory, "conv weights", err, errlen);
    for (size_t o = 0; o < (size_t)g->oc; o++)
        for (size_t i = 0; i < gc; i++)
            for (size_t t = 0; t < taps; t++) w[(o * taps + t) * gc + i] = weight[(o * gc + i) * taps + t];
    uint32_t p = (uint32_t)g->pad;
    enum xnn_status s = xnn_create_convolution2d_nhwc_f32(
        p, p, p, p, (uint32_t)g->kh, (uint32_t)g->kw, (uint32_t)g->stride, (uint32_t)g->stride, 1, 1,
        (uint32_t)groups, gc, (size_t)(g->oc / groups), (size_t)d->c, (size_t)g->oc, w, bias,
        out_min(g), out_max(g), 0, &st->op);
    free(w);
    return created(st, s, "convolution", err, errlen);
}

static void *conv_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    return conv_make(d, d, d->groups > 1 ? d->groups : 1, w, b, err, errlen);
}

static void *shift_dw_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    return shift_dw_create_with(conv_make, d, err, errlen);
}

static void *shift_masked_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    return shift_masked3x3_create_with(conv_make, d, w, b, err, errlen);
}

/* ---- fc --------------------------------------------------------------------------------- */

static enum xnn_status fc_setup(const xn_state *st, const float *in, const float *in2, float *out, pthreadpool_t pool) {
    (void)in2;
    return xnn_setup_fully_connected_nc_f32(st->op, (size_t)st->d.n, in, out, pool);
}

static void *fc_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    xn_state *st = new_state(d, fc_setup, err, errlen);
    if (!st) return NULL;
    /* PyTorch's (oc, c) is XNNPACK's [output_channels, input_channels]; NHWC n x 1 x 1 x c
     * is n rows of c. */
    enum xnn_status s = xnn_create_fully_connected_nc_f32((size_t)d->c, (size_t)d->oc, (size_t)d->c, (size_t)d->oc,
                                                          w, b, out_min(d), out_max(d), 0, &st->op);
    return created(st, s, "fully connected", err, errlen);
}

/* ---- pooling ----------------------------------------------------------------------------- */

static enum xnn_status pool_setup(const xn_state *st, const float *in, const float *in2, float *out, pthreadpool_t pool) {
    (void)in2;
    if (st->d.kind == OP_MAXPOOL)
        return xnn_setup_max_pooling2d_nhwc_f32(st->op, (size_t)st->d.n, (size_t)st->d.h, (size_t)st->d.w, in, out, pool);
    return xnn_setup_average_pooling2d_nhwc_f32(st->op, (size_t)st->d.n, (size_t)st->d.h, (size_t)st->d.w, in, out, pool);
}

static void *maxpool_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    if (d->kh * d->kw < 2) {   /* XNNPACK: "invalid parameter" (a copy, no pooling) */
        set_err(err, errlen, "XNNPACK max pooling needs a window of 2 pixels or more, got %dx%d", d->kh, d->kw);
        return NULL;
    }
    xn_state *st = new_state(d, pool_setup, err, errlen);
    if (!st) return NULL;
    uint32_t p = (uint32_t)d->pad, s_ = (uint32_t)d->stride;
    enum xnn_status s = xnn_create_max_pooling2d_nhwc_f32(p, p, p, p, (uint32_t)d->kh, (uint32_t)d->kw, s_, s_, 1, 1,
                                                          (size_t)d->c, (size_t)d->c, (size_t)d->c, -INFINITY, INFINITY,
                                                          0, &st->op);
    return created(st, s, "max pooling", err, errlen);
}

static void *avgpool_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    xn_state *st = new_state(d, pool_setup, err, errlen);
    if (!st) return NULL;
    uint32_t s_ = (uint32_t)d->stride;   /* pad is 0 for avgpool (op.h) */
    enum xnn_status s = xnn_create_average_pooling2d_nhwc_f32(0, 0, 0, 0, (uint32_t)d->kh, (uint32_t)d->kw, s_, s_,
                                                              (size_t)d->c, (size_t)d->c, (size_t)d->c, -INFINITY,
                                                              INFINITY, 0, &st->op);
    return created(st, s, "average pooling", err, errlen);
}

static enum xnn_status gap_setup(const xn_state *st, const float *in, const float *in2, float *out, pthreadpool_t pool) {
    (void)in2;
    return xnn_setup_global_average_pooling_nwc_f32(st->op, (size_t)st->d.n, (size_t)st->d.h * st->d.w, in, out, pool);
}

static void *gap_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    xn_state *st = new_state(d, gap_setup, err, errlen);
    if (!st) return NULL;
    enum xnn_status s = xnn_create_global_average_pooling_nwc_f32((size_t)d->c, (size_t)d->c, (size_t)d->c, -INFINITY,
                                                                  INFINITY, 0, &st->op);
    return created(st, s, "global average pooling", err, errlen);
}

/* ---- add and relu ------------------------------------------------------------------------ */

static enum xnn_status add_setup(const xn_state *st, const float *in, const float *in2, float *out, pthreadpool_t pool) {
    size_t shape[4] = { (size_t)st->d.n, (size_t)st->d.h, (size_t)st->d.w, (size_t)st->d.c };
    return xnn_setup_add_nd_f32(st->op, 4, shape, 4, shape, in, in2, out, pool);
}

static void *add_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    xn_state *st = new_state(d, add_setup, err, errlen);
    if (!st) return NULL;
    return created(st, xnn_create_add_nd_f32(out_min(d), out_max(d), 0, &st->op), "add", err, errlen);
}

static enum xnn_status relu_setup(const xn_state *st, const float *in, const float *in2, float *out, pthreadpool_t pool) {
    (void)in2;
    return xnn_setup_clamp_nc_f32(st->op, (size_t)st->d.n * st->d.h * st->d.w, in, out, pool);
}

static void *relu_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    xn_state *st = new_state(d, relu_setup, err, errlen);
    if (!st) return NULL;
    /* XNNPACK has no ReLU operator: it is the clamp to [0, +inf). */
    enum xnn_status s = xnn_create_clamp_nc_f32((size_t)d->c, (size_t)d->c, (size_t)d->c, 0.0f, op_relu_hi(d), 0, &st->op);
    return created(st, s, "clamp", err, errlen);
}

/* ---- run ---------------------------------------------------------------------------------- */

/* Sets the operator up on these buffers and the current pool unless it is already. */
static enum xnn_status bind_to(xn_state *st, const float *in, const float *in2, float *out, pthreadpool_t pool,
                               unsigned gen) {
    if (gen == st->gen && in == st->in && in2 == st->in2 && out == st->out) return xnn_status_success;
    st->gen = 0;
    enum xnn_status s = st->setup(st, in, in2, out, pool);
    if (s == xnn_status_success) { st->in = in; st->in2 = in2; st->out = out; st->gen = gen; }
    return s;
}

static void xn_bind(void *state, const float *in, const float *in2, float *out) {
    unsigned gen;
    pthreadpool_t pool = thread_pool(&gen);
    bind_to(state, in, in2, out, pool, gen);   /* a failure shows in run */
}

static void xn_run(void *state, const float *in, const float *in2, float *out) {
    xn_state *st = state;
    unsigned gen;
    pthreadpool_t pool = thread_pool(&gen);
    enum xnn_status s = bind_to(st, in, in2, out, pool, gen);
    if (s == xnn_status_success) s = xnn_run_operator(st->op, pool);
    if (s != xnn_status_success) kernel_run_failed(&st->warned, "XNNPACK", st->d.kind, status_str(s), out, st->out_count);
}

#define VARIANT(OP, impl_, family_, about_, create_) \
    { .op = OP, .impl = impl_, .family = family_, .about = about_, .create = create_, .run = xn_run, \
      .bind = xn_bind, .destroy = xn_destroy }
#define ENTRY(OP, about_, create_) VARIANT(OP, "xnnpack", NULL, about_, create_)

const kernel_impl xnnpack_kernels[] = {
    ENTRY(OP_CONV, "XNNPACK convolution (NHWC, packed weights, bias, ReLU as its clamp)", conv_create),
    ENTRY(OP_MAXPOOL, "XNNPACK max pooling (NHWC)", maxpool_create),
    ENTRY(OP_AVGPOOL, "XNNPACK average pooling (NHWC)", avgpool_create),
    ENTRY(OP_GAP, "XNNPACK global average pooling (NWC)", gap_create),
    ENTRY(OP_FC, "XNNPACK fully connected (n x c, bias, ReLU as its clamp)", fc_create),
    ENTRY(OP_ADD, "XNNPACK add (NHWC, ReLU as its clamp)", add_create),
    ENTRY(OP_RELU, "XNNPACK clamp to [0, inf), ReLU6 [0, 6] (NHWC)", relu_create),
    VARIANT(OP_SHIFT, "xnnpack-dw", "xnnpack", "shift as XNNPACK depthwise 3x3 conv with one-hot weights (NHWC)",
            shift_dw_create),
    VARIANT(OP_SHIFTCONV, "xnnpack-masked3x3", "", "shift + 1x1 as an XNNPACK dense 3x3 conv, zero but at each channel's shift tap",
            shift_masked_create),
    { .create = NULL },
};
