/* Expanding resolved knobs into the IR: stem, stages of three-slot blocks, head. This
 * is the one place that knows how a block of the resnet family is wired (docs/networks.md);
 * which network it becomes is decided by the arch file's knobs alone. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "ir.h"

typedef struct {
    network *net;
    int cap_t, cap_l, cap_b;
    int stage, block;
    char *err;
    size_t errlen;
    int failed;
} builder;

static int grow(void **p, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

static int new_tensor(builder *b, int n, int h, int w, int c) {
    network *net = b->net;
    if (grow((void **)&net->tensors, &b->cap_t, net->ntensors + 1, sizeof *net->tensors)) {
        b->failed = 1;
        set_err(b->err, b->errlen, "out of memory");
        return 0;
    }
    net->tensors[net->ntensors] = (ir_tensor){ n, h, w, c };
    return net->ntensors++;
}

/* Appends one layer reading tensor `in` (and in2), checks its shapes with op_check and
 * creates its output tensor. Returns the output tensor id. After a failure every call
 * is a no-op, so the wiring code below reads straight through. */
static int add_layer(builder *b, op_desc d, int in, int in2, const char *bn, const char *fmt, ...) {
    if (b->failed) return in;
    network *net = b->net;
    ir_tensor t = net->tensors[in];
    d.n = t.n; d.h = t.h; d.w = t.w; d.c = t.c;
    char name[IR_NAME];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    char why[ERRLEN];
    if (op_check(&d, why, sizeof why)) {
        b->failed = 1;
        set_err(b->err, b->errlen, "%s: layer %s (%s): %s", net->name, name, op_name(d.kind), why);
        return in;
    }
    if (in2 >= 0) {
        ir_tensor u = net->tensors[in2];
        if (u.n != t.n || u.h != d.oh || u.w != d.ow || u.c != d.oc) {
            b->failed = 1;
            set_err(b->err, b->errlen, "%s: layer %s: residual shapes differ (%dx%dx%d vs %dx%dx%d)",
                    net->name, name, t.h, t.w, t.c, u.h, u.w, u.c);
            return in;
        }
    }
    if (grow((void **)&net->layers, &b->cap_l, net->nlayers + 1, sizeof *net->layers)) {
        b->failed = 1;
        set_err(b->err, b->errlen, "out of memory");
        return in;
    }
    ir_layer *L = &net->layers[net->nlayers];
    memset(L, 0, sizeof *L);
    snprintf(L->name, sizeof L->name, "%s", name);
    if (bn) snprintf(L->bn, sizeof L->bn, "%s", bn);
    L->d = d;
    L->in = in;
    L->in2 = in2;
    L->stage = b->stage;
    L->block = b->block;
    L->out = new_tensor(b, d.n, d.oh, d.ow, d.oc);
    net->nlayers++;
    return L->out;
}

static op_desc conv_desc(int oc, int k, int stride, int pad) {
    return (op_desc){ .kind = OP_CONV, .oc = oc, .kh = k, .kw = k, .stride = stride, .pad = pad };
}
static op_desc simple(op_kind kind) { return (op_desc){ .kind = kind, .stride = 1 }; }
static op_desc pool(op_kind kind, int k, int stride, int pad) {
    return (op_desc){ .kind = kind, .kh = k, .kw = k, .stride = stride, .pad = pad };
}

/* A conv followed by its BN (folded) under PyTorch's names: <p>.convN + <p>.bnN. */
static int conv_bn(builder *b, int x, int oc, int k, int stride, const char *p, int idx) {
    char bn[IR_NAME];
    snprintf(bn, sizeof bn, "%s.bn%d", p, idx);
    return add_layer(b, conv_desc(oc, k, stride, k / 2), x, -1, bn, "%s.conv%d", p, idx);
}

/* Slot idx of a block: a 1x1 conv, a 3x3 conv, or a shift + 1x1 conv. */
static int slot(builder *b, int x, const char *kind, int oc, int stride, const char *p, int idx) {
    if (!strcmp(kind, "conv3x3")) return conv_bn(b, x, oc, 3, stride, p, idx);
    if (!strcmp(kind, "shift+conv1x1")) {
        op_desc s = simple(OP_SHIFT);
        s.conn = b->net->knobs.neighbourhood;
        x = add_layer(b, s, x, -1, NULL, "%s.shift%d", p, idx);
    }
    return conv_bn(b, x, oc, 1, stride, p, idx);
}

/* >= 1: network_load refuses a multiplier that rounds a width to 0. */
static int scaled(int width, double mult) {
    return (int)floor(width * mult + 0.5);
}

static int block(builder *b, int x, int stage, int idx, int stride) {
    const ir_knobs *k = &b->net->knobs;
    int width = scaled(k->widths[stage - 1], k->width_multiplier);
    long outl = (long)width * k->expansion;
    if (outl > 100000000L) { b->failed = 1; return set_err(b->err, b->errlen, "%s: stage %d is too wide", b->net->name, stage), x; }
    int out = (int)outl, mid = strcmp(k->block, "flat") ? width : out;
    int pooled = !strcmp(k->downsample, "avgpool");
    char p[IR_NAME];
    snprintf(p, sizeof p, "layer%d.%d", stage, idx);
    int in_c = b->failed ? 0 : b->net->tensors[x].c;

    int y = slot(b, x, k->slots[0], mid, 1, p, 1);
    y = add_layer(b, simple(OP_RELU), y, -1, NULL, "%s.relu1", p);
    if (pooled && stride > 1) y = add_layer(b, pool(OP_AVGPOOL, stride, stride, 0), y, -1, NULL, "%s.pool", p);
    int a = y;
    y = slot(b, y, k->slots[1], mid, pooled ? 1 : stride, p, 2);
    if (k->inner_residual) {
        if (!b->failed && (b->net->tensors[y].h != b->net->tensors[a].h || b->net->tensors[y].c != b->net->tensors[a].c)) {
            b->failed = 1;
            return set_err(b->err, b->errlen, "%s: inner_residual around %s.conv2 needs it to keep its input's shape "
                           "(use downsample=avgpool, and equal widths)", b->net->name, p), x;
        }
        y = add_layer(b, simple(OP_ADD), y, a, NULL, "%s.add2", p);
    }
    y = add_layer(b, simple(OP_RELU), y, -1, NULL, "%s.relu2", p);
    y = slot(b, y, k->slots[2], out, 1, p, 3);

    int sc = x;
    if (stride > 1 || in_c != out) {
        char bn[IR_NAME];
        /* downsample = Sequential(conv1x1, BN): `downsample.0`, `.1`, as torchvision and the
         * authors' shift ResNets (docs/networks.md) name it; with avgpool, the pool before it is
         * applied in forward(), outside the Sequential (no parameters, no state_dict name) */
        if (pooled && stride > 1) sc = add_layer(b, pool(OP_AVGPOOL, stride, stride, 0), sc, -1, NULL, "%s.shortcut_pool", p);
        snprintf(bn, sizeof bn, "%s.downsample.1", p);
        sc = add_layer(b, conv_desc(out, 1, pooled ? 1 : stride, 0), sc, -1, bn, "%s.downsample.0", p);
    }
    y = add_layer(b, simple(OP_ADD), y, sc, NULL, "%s.add", p);
    return add_layer(b, simple(OP_RELU), y, -1, NULL, "%s.relu3", p);
}

static void open_block(builder *b, const char *name) {
    network *net = b->net;
    if (b->failed || grow((void **)&net->blocks, &b->cap_b, net->nblocks + 1, sizeof *net->blocks)) {
        if (!b->failed) set_err(b->err, b->errlen, "out of memory");
        b->failed = 1;
        return;
    }
    ir_block *B = &net->blocks[net->nblocks];
    snprintf(B->name, sizeof B->name, "%s", name);
    B->stage = b->stage;
    B->first = net->nlayers;
    b->block = net->nblocks++;
}

static void close_block(builder *b) {
    if (!b->failed) b->net->blocks[b->block].last = b->net->nlayers - 1;
    b->block = -1;
}

int network_expand(network *net, char *err, size_t errlen) {
    const ir_knobs *k = &net->knobs;
    builder b = { .net = net, .err = err, .errlen = errlen, .block = -1 };
    net->input = new_tensor(&b, k->batch, k->resolution, k->resolution, 3);

    b.stage = 0;
    open_block(&b, "stem");
    int x = add_layer(&b, conv_desc(scaled(k->stem_width, k->width_multiplier), 7, 2, 3), net->input, -1, "bn1", "conv1");
    x = add_layer(&b, simple(OP_RELU), x, -1, NULL, "relu");
    x = add_layer(&b, pool(OP_MAXPOOL, 3, 2, 1), x, -1, NULL, "maxpool");
    close_block(&b);

    for (int s = 1; s <= k->nstages; s++) {
        b.stage = s;
        for (int i = 0; i < k->blocks[s - 1]; i++) {
            char name[IR_NAME];
            snprintf(name, sizeof name, "layer%d.%d", s, i);
            open_block(&b, name);
            x = block(&b, x, s, i, (s > 1 && i == 0) ? 2 : 1);
            close_block(&b);
        }
    }
    b.stage = k->nstages + 1;
    open_block(&b, "head");
    x = add_layer(&b, simple(OP_GAP), x, -1, NULL, "avgpool");
    op_desc fc = simple(OP_FC);
    fc.oc = k->classes;
    x = add_layer(&b, fc, x, -1, NULL, "fc");
    close_block(&b);
    net->output = x;
    if (b.failed) network_free(net);
    return b.failed ? -1 : 0;
}
