/* The IR builder (build.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "build.h"

void build_init(builder *b, network *net, char *err, size_t errlen) {
    *b = (builder){ .net = net, .err = err, .errlen = errlen, .block = -1 };
}

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

int build_fail(builder *b, const char *fmt, ...) {
    if (b->failed) return -1;
    b->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, b->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int build_tensor(builder *b, int n, int h, int w, int c) {
    network *net = b->net;
    if (b->failed) return 0;
    if (grow((void **)&net->tensors, &b->cap_t, net->ntensors + 1, sizeof *net->tensors))
        return build_fail(b, "out of memory"), 0;
    net->tensors[net->ntensors] = (ir_tensor){ n, h, w, c };
    return net->ntensors++;
}

int build_channels(const builder *b, int t) { return b->failed ? 0 : b->net->tensors[t].c; }

int build_layer(builder *b, op_desc d, int in, int in2, const char *bn, const char *fmt, ...) {
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
    if (op_check(&d, why, sizeof why))
        return build_fail(b, "%s: layer %s (%s): %s", net->name, name, op_name(d.kind), why), in;
    if (in2 >= 0) {
        ir_tensor u = net->tensors[in2];
        if (u.n != t.n || u.h != d.oh || u.w != d.ow || u.c != d.oc)
            return build_fail(b, "%s: layer %s: residual shapes differ (%dx%dx%d vs %dx%dx%d)", net->name, name,
                              t.h, t.w, t.c, u.h, u.w, u.c), in;
    }
    if (grow((void **)&net->layers, &b->cap_l, net->nlayers + 1, sizeof *net->layers))
        return build_fail(b, "out of memory"), in;
    ir_layer *L = &net->layers[net->nlayers];
    memset(L, 0, sizeof *L);
    snprintf(L->name, sizeof L->name, "%s", name);
    if (bn) snprintf(L->bn, sizeof L->bn, "%s", bn);
    L->d = d;
    L->in = in;
    L->in2 = in2;
    L->stage = b->stage;
    L->block = b->block;
    int out = build_tensor(b, d.n, d.oh, d.ow, d.oc);
    if (b->failed) return in;
    net->layers[net->nlayers].out = out;
    net->nlayers++;
    return out;
}

void build_open_block(builder *b, const char *name) {
    network *net = b->net;
    if (b->failed) return;
    if (grow((void **)&net->blocks, &b->cap_b, net->nblocks + 1, sizeof *net->blocks)) {
        build_fail(b, "out of memory");
        return;
    }
    ir_block *B = &net->blocks[net->nblocks];
    snprintf(B->name, sizeof B->name, "%s", name);
    B->stage = b->stage;
    B->first = net->nlayers;
    B->last = net->nlayers - 1;
    b->block = net->nblocks++;
}

void build_close_block(builder *b) {
    if (!b->failed && b->block >= 0) b->net->blocks[b->block].last = b->net->nlayers - 1;
    b->block = -1;
}
