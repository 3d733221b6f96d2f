/* Building the IR layer by layer: what a family's wiring and the explicit-IR reader both
 * append through, so that every layer's shapes are inferred and checked in one place. */
#ifndef SHIFTBENCH_BUILD_H
#define SHIFTBENCH_BUILD_H

#include <stddef.h>

#include "ir.h"

typedef struct builder {
    network *net;
    int cap_t, cap_l, cap_b;
    int stage, block;   /* given to the layers appended next; block -1 = outside blocks */
    char *err;
    size_t errlen;
    int failed;         /* after a failure every call is a no-op, so wiring reads straight through */
} builder;

void build_init(builder *b, network *net, char *err, size_t errlen);
/* A new tensor; returns its id. */
int build_tensor(builder *b, int n, int h, int w, int c);
/* Appends a layer reading tensor in (and in2 for add), inferring and checking its shapes
 * with op_check; bn = the folded BatchNorm's module path or NULL. Returns the output id. */
int build_layer(builder *b, op_desc d, int in, int in2, const char *bn, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void build_open_block(builder *b, const char *name);
void build_close_block(builder *b);
/* Marks the build failed with a one-line reason; returns -1. */
int build_fail(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The channel count of tensor t (0 after a failure). */
int build_channels(const builder *b, int t);

static inline op_desc op_conv(int oc, int k, int stride, int pad, int groups) {
    return (op_desc){ .kind = OP_CONV, .oc = oc, .kh = k, .kw = k, .stride = stride, .pad = pad, .groups = groups };
}
static inline op_desc op_simple(op_kind kind) { return (op_desc){ .kind = kind, .stride = 1 }; }
static inline op_desc op_pool(op_kind kind, int k, int stride, int pad) {
    return (op_desc){ .kind = kind, .kh = k, .kw = k, .stride = stride, .pad = pad };
}

#endif
