/* One operation on NHWC fp32 tensors: the contract between the network IR, the
 * kernel-descriptor parser and every kernel implementation. */
#ifndef SHIFTBENCH_OP_H
#define SHIFTBENCH_OP_H

#include <stddef.h>

typedef enum {
    OP_CONV,      /* kh x kw convolution, stride, symmetric zero pad, groups; folded BN = bias */
    OP_SHIFT,     /* 4C/8C shift (docs/networks.md), zero border, c == oc */
    OP_SHIFTCONV, /* shift followed by a 1x1 conv with stride: the shifted tensor never exists */
    OP_ADD,       /* out = in + in2 (residual) */
    OP_RELU,      /* out = max(in, 0) */
    OP_MAXPOOL,   /* kh x kw window, stride, pad (padding never wins) */
    OP_AVGPOOL,   /* kh x kw window, stride, pad = 0 */
    OP_GAP,       /* global average pool: oh = ow = 1 */
    OP_FC,        /* fully connected on n x c (h = w = 1) -> n x oc, with bias */
    OP_COUNT
} op_kind;

typedef struct {
    op_kind kind;
    int n, h, w, c;          /* input, NHWC */
    int oh, ow, oc;          /* output (batch is n) */
    int kh, kw, stride, pad; /* conv / pool window; shiftconv: the 1x1's stride */
    int conn;                /* shift, shiftconv: 4 or 8 */
    int groups;              /* conv: c and oc split into groups (0 = 1); groups = c = oc: depthwise */
    int relu;                /* conv, shiftconv, add, fc: ReLU applied to the output */
} op_desc;

const char *op_name(op_kind k);          /* "conv", "shift", ... */
int op_from_name(const char *s);         /* -1 when unknown */

/* Fills oh/ow (and oc where implied) from the input shape and attributes, then checks
 * the whole descriptor. Returns 0, or -1 with a one-line reason in err. */
int op_check(op_desc *d, char *err, size_t errlen);

/* Weight and bias element counts the op takes (0 for ops without). Weights are in
 * PyTorch order: conv / shiftconv OIHW (oc, c / groups, kh, kw), fc (oc, c). */
size_t op_weight_count(const op_desc *d);
size_t op_bias_count(const op_desc *d);
size_t op_in_count(const op_desc *d);    /* n*h*w*c */
size_t op_out_count(const op_desc *d);   /* n*oh*ow*oc */

/* Shift groups (docs/networks.md): conn 4 -> 5 groups, 8 -> 9; group g < conn holds channels
 * [g*gs, (g+1)*gs) with gs = c / (conn+1), displaced by (dh, dw) = shift_disp(conn, g);
 * the centre group (g == conn) holds the rest, undisplaced. Output pixel (y, x) of group g
 * reads input pixel (y - dh, x - dw), zero outside. */
int shift_group_size(int c, int conn);   /* floor(c / (conn+1)); 0 = invalid */
void shift_disp(int conn, int g, int *dh, int *dw);

#endif
