/* oneDNN (Debian's libdnnl 2.6.3, C API) implementations of conv, pooling, GAP, FC, add and
 * ReLU on NHWC fp32 tensors (docs/networks.md "Conventions").
 *
 * One CPU engine and one stream, created lazily and shared by every kernel. create() builds
 * the primitive once (weights reordered once from PyTorch order to the layout oneDNN asks
 * for, bias copied); run() only points the src/dst memory objects at the caller's buffers
 * (dnnl_memory_set_data_handle is cheap) and executes. oneDNN threads with OpenMP (libgomp),
 * the same pool as OpenBLAS's OpenMP build and our kernels: no threads of our own here.
 * shift / shiftconv: oneDNN has no such primitive; they run as people write them with it,
 * a depthwise 3x3 with one-hot weights (onednn-dw, the onednn family's shift, so that
 * `net --impl onednn` runs a shift network inside oneDNN: shift, then the 1x1) and the
 * "masked 3x3" (onednn-masked3x3: shift + 1x1 as a dense 3x3, 9x the 1x1's MACs; only by
 * name and in `best`). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "kernel.h"
#include "shift_as_conv.h"
#include "../common/util.h"

/* ---- the shared engine and stream ---------------------------------------------------- */

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;
static dnnl_status_t g_init_status = dnnl_runtime_error;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_engine(void) {
    dnnl_status_t s = dnnl_engine_create(&g_engine, dnnl_cpu, 0);
    if (s == dnnl_success) {
        s = dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags);
        if (s != dnnl_success) { dnnl_engine_destroy(g_engine); g_engine = NULL; }
    }
    g_init_status = s;
}

static int engine_ready(char *err, size_t errlen) {
    pthread_once(&g_once, init_engine);
    if (g_init_status != dnnl_success) {
        set_err(err, errlen, "oneDNN: cannot create the CPU engine/stream (%s)",
                dnnl_status2str(g_init_status));
        return -1;
    }
    return 0;
}

/* ---- one prepared primitive ----------------------------------------------------------- */

enum { MAX_ARGS = 5 };

typedef struct {
    op_desc d;
    dnnl_primitive_t prim;
    /* Memory objects: src/src2/dst have no buffer of their own (handle set per run);
     * wei/bias are owned by oneDNN (DNNL_MEMORY_ALLOCATE) and filled at create. */
    dnnl_memory_t src, src2, dst, wei, bias;
    dnnl_exec_arg_t args[MAX_ARGS];
    int nargs;
    size_t out_count;
    int warned;
    char info[160];
} dn_state;

static void dn_destroy(void *state) {
    dn_state *st = state;
    if (!st) return;
    if (st->prim) dnnl_primitive_destroy(st->prim);
    dnnl_memory_t *m[] = { &st->src, &st->src2, &st->dst, &st->wei, &st->bias };
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (*m[i]) dnnl_memory_destroy(*m[i]);
    free(st);
}

static const char *dn_info(const void *state) {
    const dn_state *st = state;
    return st && st->info[0] ? st->info : "onednn";
}

/* A failed oneDNN call in create: reason into err, state freed, NULL returned. */
static void *fail(dn_state *st, dnnl_status_t s, const char *what, char *err, size_t errlen) {
    if (s == dnnl_unimplemented)
        set_err(err, errlen, "oneDNN: unimplemented for this shape (%s)", what);
    else
        set_err(err, errlen, "oneDNN: %s failed (%s)", what, dnnl_status2str(s));
    dn_destroy(st);
    return NULL;
}

#define TRY(call, what) do { dnnl_status_t s_ = (call); \
    if (s_ != dnnl_success) return fail(st, s_, what, err, errlen); } while (0)

static dn_state *new_state(const op_desc *d, char *err, size_t errlen) {
    if (engine_ready(err, errlen)) return NULL;
    if (d->n <= 0 || d->h <= 0 || d->w <= 0 || d->c <= 0 || d->oh <= 0 || d->ow <= 0 || d->oc <= 0) {
        set_err(err, errlen, "oneDNN: descriptor has a non-positive size (run op_check first)");
        return NULL;
    }
    dn_state *st = calloc(1, sizeof *st);
    if (!st) { set_err(err, errlen, "oneDNN: out of memory"); return NULL; }
    st->d = *d;
    st->out_count = op_out_count(d);
    return st;
}

static void add_arg(dn_state *st, int arg, dnnl_memory_t m) {
    st->args[st->nargs].arg = arg;
    st->args[st->nargs].memory = m;
    st->nargs++;
}

static void md_nhwc(dnnl_memory_desc_t *md, int n, int c, int h, int w) {
    dnnl_dims_t dims = { n, c, h, w };   /* oneDNN's logical order is always N, C, H, W */
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_nhwc);
}

/* Creates the primitive from its descriptor and attributes, records the impl string and the
 * primitive; returns the pd (caller destroys it) or NULL with status in *s. */
static dnnl_primitive_desc_t make_pd(dn_state *st, const_dnnl_op_desc_t od,
                                     const_dnnl_primitive_attr_t attr, dnnl_status_t *s) {
    dnnl_primitive_desc_t pd = NULL;
    *s = dnnl_primitive_desc_create(&pd, od, attr, g_engine, NULL);
    if (*s != dnnl_success) return NULL;
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(st->info, sizeof st->info, "%s", impl);
    *s = dnnl_primitive_create(&st->prim, pd);
    if (*s != dnnl_success) { dnnl_primitive_desc_destroy(pd); return NULL; }
    return pd;
}

/* ReLU as oneDNN's eltwise: relu, or clip to [0, relu_max] for ReLU6. */
static dnnl_alg_kind_t relu_alg(const op_desc *d, float *alpha, float *beta) {
    *alpha = 0.0f;
    *beta = d->relu_max > 0 ? (float)d->relu_max : 0.0f;
    return d->relu_max > 0 ? dnnl_eltwise_clip : dnnl_eltwise_relu;
}

/* Attributes with an optional ReLU post-op; NULL attr (*attr stays NULL) without one. */
static dnnl_status_t relu_attr(const op_desc *d, dnnl_primitive_attr_t *attr) {
    *attr = NULL;
    if (!d->relu) return dnnl_success;
    dnnl_post_ops_t po = NULL;
    float alpha, beta;
    dnnl_alg_kind_t alg = relu_alg(d, &alpha, &beta);
    dnnl_status_t s = dnnl_post_ops_create(&po);
    if (s == dnnl_success) s = dnnl_post_ops_append_eltwise(po, 1.0f, alg, alpha, beta);
    if (s == dnnl_success) s = dnnl_primitive_attr_create(attr);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(*attr, po);
    if (po) dnnl_post_ops_destroy(po);
    if (s != dnnl_success && *attr) { dnnl_primitive_attr_destroy(*attr); *attr = NULL; }
    return s;
}

/* Weights: reorders `user` (plain layout `user_tag`, dims as oneDNN's logical order) into a
 * oneDNN-owned memory of the layout the primitive chose, once. */
static dnnl_status_t load_weights(dn_state *st, dnnl_primitive_desc_t pd, int ndims,
                                  const dnnl_dims_t dims, dnnl_format_tag_t user_tag,
                                  const float *user) {
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if (!want) return dnnl_runtime_error;
    dnnl_memory_desc_t umd;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&umd, ndims, dims, dnnl_f32, user_tag);
    if (s != dnnl_success) return s;
    s = dnnl_memory_create(&st->wei, want, g_engine, DNNL_MEMORY_ALLOCATE);
    if (s != dnnl_success) return s;
    dnnl_memory_t um = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    s = dnnl_memory_create(&um, &umd, g_engine, (void *)user);
    if (s == dnnl_success) s = dnnl_reorder_primitive_desc_create(&rpd, &umd, g_engine, want, g_engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&r, rpd);
    if (s == dnnl_success) {
        dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, um }, { DNNL_ARG_TO, st->wei } };
        s = dnnl_primitive_execute(r, g_stream, 2, a);
        if (s == dnnl_success) s = dnnl_stream_wait(g_stream);
    }
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (um) dnnl_memory_destroy(um);
    return s;
}

/* Bias: copied into a oneDNN-owned buffer so the caller's array may go away after create. */
static dnnl_status_t load_bias(dn_state *st, dnnl_primitive_desc_t pd, const float *bias, int oc) {
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    if (!md) return dnnl_runtime_error;
    dnnl_status_t s = dnnl_memory_create(&st->bias, md, g_engine, DNNL_MEMORY_ALLOCATE);
    if (s != dnnl_success) return s;
    void *p = NULL;
    s = dnnl_memory_get_data_handle(st->bias, &p);
    if (s != dnnl_success || !p) return s != dnnl_success ? s : dnnl_runtime_error;
    if (dnnl_memory_desc_get_size(md) < (size_t)oc * sizeof(float)) return dnnl_runtime_error;
    memcpy(p, bias, (size_t)oc * sizeof(float));
    return dnnl_success;
}

/* src/dst memory objects from the pd's (plain, as requested) descriptors, no buffer yet. */
static dnnl_status_t io_memories(dn_state *st, dnnl_primitive_desc_t pd, int two_srcs) {
    dnnl_status_t s = dnnl_memory_create(&st->src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                                         g_engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success && two_srcs)
        s = dnnl_memory_create(&st->src2, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 1),
                               g_engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success)
        s = dnnl_memory_create(&st->dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0),
                               g_engine, DNNL_MEMORY_NONE);
    return s;
}

/* Right padding that makes oneDNN's output size equal the descriptor's (symmetric unless
 * the descriptor rounds the output size up). */
static int pad_right(int in, int k, int stride, int pad, int out) {
    int pr = pad;
    if ((in - k + pad + pr) / stride + 1 != out) pr = (out - 1) * stride + k - in - pad;
    return pr;
}

/* The common end of conv and fc: the primitive (with the ReLU post-op), weights reordered
 * from PyTorch's layout wtag into oneDNN's choice, bias, memories and arguments. */
static void *finish_weighted(dn_state *st, const_dnnl_op_desc_t od, const char *what, int wndims, const dnnl_dims_t wdims,
                             dnnl_format_tag_t wtag, const float *weight, const float *bias, char *err, size_t errlen) {
    const op_desc *d = &st->d;
    dnnl_primitive_attr_t attr;
    TRY(relu_attr(d, &attr), "ReLU post-op");
    dnnl_status_t s;
    dnnl_primitive_desc_t pd = make_pd(st, od, attr, &s);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!pd) return fail(st, s, what, err, errlen);
    s = load_weights(st, pd, wndims, wdims, wtag, weight);
    if (s == dnnl_success && bias) s = load_bias(st, pd, bias, d->oc);
    if (s == dnnl_success) s = io_memories(st, pd, 0);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) {
        char w[96];
        snprintf(w, sizeof w, "%s weights/memory", what);
        return fail(st, s, w, err, errlen);
    }
    add_arg(st, DNNL_ARG_SRC, st->src);
    add_arg(st, DNNL_ARG_WEIGHTS, st->wei);
    if (st->bias) add_arg(st, DNNL_ARG_BIAS, st->bias);
    add_arg(st, DNNL_ARG_DST, st->dst);
    return st;
}

/* ---- conv ------------------------------------------------------------------------------ */

/* A convolution on d's tensors with g's window (kh, kw, stride, pad; oc) in `groups`
 * groups; weights in PyTorch order (oc, c / groups, kh, kw). */
static void *conv_make(const op_desc *d, const op_desc *g, int groups, const float *weight, const float *bias,
                       char *err, size_t errlen) {
    dn_state *st = new_state(d, err, errlen);
    if (!st) return NULL;
    dnnl_memory_desc_t src, wei, bmd, dst;
    md_nhwc(&src, d->n, d->c, d->h, d->w);
    md_nhwc(&dst, d->n, g->oc, d->oh, d->ow);
    dnnl_dims_t wdims = { g->oc, d->c, g->kh, g->kw }, gdims = { groups, g->oc / groups, d->c / groups, g->kh, g->kw };
    int wnd = groups > 1 ? 5 : 4;
    TRY(dnnl_memory_desc_init_by_tag(&wei, wnd, groups > 1 ? gdims : wdims, dnnl_f32, dnnl_format_tag_any), "weights md");
    dnnl_dims_t bdims = { g->oc };
    TRY(dnnl_memory_desc_init_by_tag(&bmd, 1, bdims, dnnl_f32, dnnl_x), "bias md");
    dnnl_dims_t strides = { g->stride, g->stride };
    dnnl_dims_t pl = { g->pad, g->pad };
    dnnl_dims_t pr = { pad_right(d->h, g->kh, g->stride, g->pad, d->oh),
                       pad_right(d->w, g->kw, g->stride, g->pad, d->ow) };
    dnnl_convolution_desc_t cd;
    TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                           &src, &wei, bias ? &bmd : NULL, &dst, strides, pl, pr),
        "convolution descriptor");
    return finish_weighted(st, &cd, "convolution", wnd, groups > 1 ? gdims : wdims, groups > 1 ? dnnl_goihw : dnnl_oihw,
                           weight, bias, err, errlen);
}

static void *conv_create(const op_desc *d, const float *weight, const float *bias,
                         char *err, size_t errlen) {
    if (!weight) { set_err(err, errlen, "oneDNN conv: weights missing"); return NULL; }
    return conv_make(d, d, d->groups > 1 ? d->groups : 1, weight, bias, err, errlen);
}

/* ---- the shift as a convolution (kernels/shift_as_conv.h) ----------------------------- */

static void *shift_dw_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    return shift_dw_create_with(conv_make, d, err, errlen);
}

static void *shift_masked_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    return shift_masked3x3_create_with(conv_make, d, w, b, err, errlen);
}

/* ---- fc: inner product on n x c ------------------------------------------------------- */

static void *fc_create(const op_desc *d, const float *weight, const float *bias,
                       char *err, size_t errlen) {
    if (!weight) { set_err(err, errlen, "oneDNN fc: weights missing"); return NULL; }
    if (d->h != 1 || d->w != 1) {
        set_err(err, errlen, "oneDNN fc: input must be n x c (h = w = 1), got %dx%d", d->h, d->w);
        return NULL;
    }
    dn_state *st = new_state(d, err, errlen);
    if (!st) return NULL;
    /* NHWC n x 1 x 1 x c is the same bytes as row-major n x c. */
    dnnl_memory_desc_t src, wei, bmd, dst;
    dnnl_dims_t sdims = { d->n, d->c }, ddims = { d->n, d->oc }, wdims = { d->oc, d->c }, bdims = { d->oc };
    TRY(dnnl_memory_desc_init_by_tag(&src, 2, sdims, dnnl_f32, dnnl_nc), "src md");
    TRY(dnnl_memory_desc_init_by_tag(&dst, 2, ddims, dnnl_f32, dnnl_nc), "dst md");
    TRY(dnnl_memory_desc_init_by_tag(&wei, 2, wdims, dnnl_f32, dnnl_format_tag_any), "weights md");
    TRY(dnnl_memory_desc_init_by_tag(&bmd, 1, bdims, dnnl_f32, dnnl_x), "bias md");
    dnnl_inner_product_desc_t ipd;
    TRY(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, &src, &wei,
                                             bias ? &bmd : NULL, &dst), "inner product descriptor");
    /* PyTorch (oc, c) = oi */
    return finish_weighted(st, &ipd, "inner product", 2, wdims, dnnl_oi, weight, bias, err, errlen);
}

/* ---- pooling: max, avg, gap ----------------------------------------------------------- */

static void *pool_create_alg(const op_desc *d, dnnl_alg_kind_t alg, int kh, int kw, int stride,
                             int pad, char *err, size_t errlen) {
    dn_state *st = new_state(d, err, errlen);
    if (!st) return NULL;
    if (d->oc != d->c) {
        set_err(err, errlen, "oneDNN pooling: oc (%d) must equal c (%d)", d->oc, d->c);
        dn_destroy(st);
        return NULL;
    }
    dnnl_memory_desc_t src, dst;
    md_nhwc(&src, d->n, d->c, d->h, d->w);
    md_nhwc(&dst, d->n, d->c, d->oh, d->ow);
    dnnl_dims_t strides = { stride, stride }, kernel = { kh, kw }, pl = { pad, pad };
    dnnl_dims_t pr = { pad_right(d->h, kh, stride, pad, d->oh), pad_right(d->w, kw, stride, pad, d->ow) };
    dnnl_pooling_desc_t pdsc;
    TRY(dnnl_pooling_forward_desc_init(&pdsc, dnnl_forward_inference, alg, &src, &dst,
                                       strides, kernel, pl, pr), "pooling descriptor");
    dnnl_status_t s;
    dnnl_primitive_desc_t pd = make_pd(st, &pdsc, NULL, &s);
    if (!pd) return fail(st, s, "pooling", err, errlen);
    s = io_memories(st, pd, 0);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) return fail(st, s, "pooling memory", err, errlen);
    add_arg(st, DNNL_ARG_SRC, st->src);
    add_arg(st, DNNL_ARG_DST, st->dst);
    return st;
}

static void *maxpool_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    /* oneDNN's max pooling ignores padded positions: padding never wins. */
    return pool_create_alg(d, dnnl_pooling_max, d->kh, d->kw, d->stride, d->pad, err, errlen);
}

static void *avgpool_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    /* pad is 0 for avgpool (op.h), so exclude/include padding agree; exclude = divide by
     * the window's in-bounds count. */
    return pool_create_alg(d, dnnl_pooling_avg_exclude_padding, d->kh, d->kw, d->stride, d->pad,
                           err, errlen);
}

static void *gap_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    if (d->oh != 1 || d->ow != 1) {
        set_err(err, errlen, "oneDNN gap: output must be 1x1, got %dx%d", d->oh, d->ow);
        return NULL;
    }
    return pool_create_alg(d, dnnl_pooling_avg_exclude_padding, d->h, d->w, 1, 0, err, errlen);
}

/* ---- add (binary) and relu (eltwise) --------------------------------------------------- */

static int same_shape(const op_desc *d, char *err, size_t errlen, const char *op) {
    if (d->oh != d->h || d->ow != d->w || d->oc != d->c) {
        set_err(err, errlen, "oneDNN %s: output shape must equal the input's", op);
        return -1;
    }
    return 0;
}

static void *add_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    if (same_shape(d, err, errlen, "add")) return NULL;
    dn_state *st = new_state(d, err, errlen);
    if (!st) return NULL;
    dnnl_memory_desc_t md;
    md_nhwc(&md, d->n, d->c, d->h, d->w);
    dnnl_binary_desc_t bd;
    TRY(dnnl_binary_desc_init(&bd, dnnl_binary_add, &md, &md, &md), "binary descriptor");
    dnnl_primitive_attr_t attr;
    TRY(relu_attr(d, &attr), "ReLU post-op");
    dnnl_status_t s;
    dnnl_primitive_desc_t pd = make_pd(st, &bd, attr, &s);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!pd) return fail(st, s, "binary add", err, errlen);
    s = io_memories(st, pd, 1);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) return fail(st, s, "binary add memory", err, errlen);
    add_arg(st, DNNL_ARG_SRC_0, st->src);
    add_arg(st, DNNL_ARG_SRC_1, st->src2);
    add_arg(st, DNNL_ARG_DST, st->dst);
    return st;
}

static void *relu_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    if (same_shape(d, err, errlen, "relu")) return NULL;
    dn_state *st = new_state(d, err, errlen);
    if (!st) return NULL;
    dnnl_memory_desc_t md;
    md_nhwc(&md, d->n, d->c, d->h, d->w);
    dnnl_eltwise_desc_t ed;
    float alpha, beta;
    dnnl_alg_kind_t alg = relu_alg(d, &alpha, &beta);
    TRY(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, alg, &md, alpha, beta),
        "eltwise descriptor");
    dnnl_status_t s;
    dnnl_primitive_desc_t pd = make_pd(st, &ed, NULL, &s);
    if (!pd) return fail(st, s, "eltwise relu", err, errlen);
    s = io_memories(st, pd, 0);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) return fail(st, s, "eltwise relu memory", err, errlen);
    add_arg(st, DNNL_ARG_SRC, st->src);
    add_arg(st, DNNL_ARG_DST, st->dst);
    return st;
}

/* ---- run ------------------------------------------------------------------------------- */

static void dn_run(void *state, const float *in, const float *in2, float *out) {
    dn_state *st = state;
    dnnl_status_t s = dnnl_memory_set_data_handle(st->src, (void *)in);
    if (s == dnnl_success && st->src2)
        s = in2 ? dnnl_memory_set_data_handle(st->src2, (void *)in2) : dnnl_invalid_arguments;
    if (s == dnnl_success) s = dnnl_memory_set_data_handle(st->dst, out);
    if (s == dnnl_success) s = dnnl_primitive_execute(st->prim, g_stream, st->nargs, st->args);
    if (s == dnnl_success) s = dnnl_stream_wait(g_stream);
    if (s != dnnl_success) kernel_run_failed(&st->warned, "oneDNN", st->d.kind, dnnl_status2str(s), out, st->out_count);
}

#define VARIANT(OP, impl_, family_, about_, create_) \
    { .op = OP, .impl = impl_, .family = family_, .about = about_, .create = create_, .run = dn_run, \
      .destroy = dn_destroy, .info = dn_info }
#define ENTRY(OP, about_, create_) VARIANT(OP, "onednn", NULL, about_, create_)

const kernel_impl onednn_kernels[] = {
    ENTRY(OP_CONV, "oneDNN convolution, grouped and depthwise too (NHWC, weights in oneDNN's layout, bias, fused ReLU)", conv_create),
    ENTRY(OP_MAXPOOL, "oneDNN max pooling (NHWC)", maxpool_create),
    ENTRY(OP_AVGPOOL, "oneDNN average pooling (NHWC)", avgpool_create),
    ENTRY(OP_GAP, "oneDNN average pooling over the whole image (NHWC)", gap_create),
    ENTRY(OP_FC, "oneDNN inner product (n x c, bias, fused ReLU)", fc_create),
    ENTRY(OP_ADD, "oneDNN binary add (NHWC, fused ReLU)", add_create),
    ENTRY(OP_RELU, "oneDNN eltwise ReLU, ReLU6 as clip (NHWC)", relu_create),
    VARIANT(OP_SHIFT, "onednn-dw", "onednn", "shift as oneDNN depthwise 3x3 conv with one-hot weights (NHWC)",
            shift_dw_create),
    VARIANT(OP_SHIFTCONV, "onednn-masked3x3", "", "shift + 1x1 as a oneDNN dense 3x3 conv, zero but at each channel's shift tap",
            shift_masked_create),
    { .create = NULL },
};
