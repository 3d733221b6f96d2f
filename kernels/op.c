/* Op names, shape inference with PyTorch floor rules, element counts, shift groups. */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include "op.h"
#include "../common/util.h"

static const char *const names[OP_COUNT] = {
    [OP_CONV] = "conv", [OP_SHIFT] = "shift", [OP_SHIFTCONV] = "shiftconv",
    [OP_ADD] = "add", [OP_RELU] = "relu", [OP_MAXPOOL] = "maxpool",
    [OP_AVGPOOL] = "avgpool", [OP_GAP] = "gap", [OP_FC] = "fc",
};

const char *op_name(op_kind k) {
    return (unsigned)k < OP_COUNT ? names[k] : "?";
}

int op_from_name(const char *s) {
    if (!s) return -1;
    for (int k = 0; k < OP_COUNT; k++)
        if (strcmp(s, names[k]) == 0) return k;
    return -1;
}

int shift_group_size(int c, int conn) {
    if (conn != 4 && conn != 8) return 0;
    return c > 0 ? c / (conn + 1) : 0;
}

void shift_disp(int conn, int g, int *dh, int *dw) {
    /* docs/networks.md "The shift", the authors' order; 4C: down, left, up, right. */
    static const int d4[4][2] = { {1, 0}, {0, -1}, {-1, 0}, {0, 1} };
    static const int d8[8][2] = { {1, 1}, {1, 0}, {1, -1}, {0, -1},
                                  {-1, -1}, {-1, 0}, {-1, 1}, {0, 1} };
    *dh = *dw = 0;   /* centre group, or anything out of range */
    if (conn == 4 && g >= 0 && g < 4) { *dh = d4[g][0]; *dw = d4[g][1]; }
    if (conn == 8 && g >= 0 && g < 8) { *dh = d8[g][0]; *dw = d8[g][1]; }
}

/* PyTorch floor rule in long arithmetic (no int overflow); <= 0 means the window
 * never fits. */
static long out_size(long in, long k, long stride, long pad) {
    long span = in + 2 * pad - k;
    return span < 0 ? 0 : span / stride + 1;
}

/* Fills an output dimension, or checks the caller's value when one was given. */
static int set_out(int *field, long v, const char *what, char *err, size_t errlen) {
    if (v <= 0) return set_err(err, errlen, "output %s would be 0", what);
    if (v > INT_MAX) return set_err(err, errlen, "output %s %ld is too large", what, v);
    if (*field != 0 && *field != v)
        return set_err(err, errlen, "output %s %d does not match the computed %ld", what, *field, v);
    *field = (int)v;
    return 0;
}

static int check_window(const op_desc *d, char *err, size_t errlen) {
    if (d->kh <= 0 || d->kw <= 0)
        return set_err(err, errlen, "%s window %dx%d must be positive", op_name(d->kind), d->kh, d->kw);
    if (d->stride <= 0)
        return set_err(err, errlen, "%s stride %d must be positive", op_name(d->kind), d->stride);
    if (d->pad < 0)
        return set_err(err, errlen, "%s padding %d must not be negative", op_name(d->kind), d->pad);
    return 0;
}

static int check_conn(const op_desc *d, char *err, size_t errlen) {
    if (d->conn != 4 && d->conn != 8)
        return set_err(err, errlen, "%s connectivity must be 4 or 8, got %d", op_name(d->kind), d->conn);
    if (shift_group_size(d->c, d->conn) == 0)
        return set_err(err, errlen, "shift needs at least %d channels for %d-connected (%d groups), got %d",
                       d->conn + 1, d->conn, d->conn + 1, d->c);
    return 0;
}

/* Output shape per op; oc is only checked here when it is implied by the input. */
static int infer(op_desc *d, char *err, size_t errlen) {
    long oh = d->h, ow = d->w, oc = d->c;
    switch (d->kind) {
    case OP_CONV:
        if (check_window(d, err, errlen)) return -1;
        if (d->groups == 0) d->groups = 1;
        if (d->groups < 0 || d->c % d->groups || (d->oc > 0 && d->oc % d->groups))
            return set_err(err, errlen, "conv groups %d must divide the input (%d) and output (%d) channels",
                           d->groups, d->c, d->oc);
        oh = out_size(d->h, d->kh, d->stride, d->pad);
        ow = out_size(d->w, d->kw, d->stride, d->pad);
        oc = d->oc;
        break;
    case OP_SHIFT:
        if (check_conn(d, err, errlen)) return -1;
        break;
    case OP_SHIFTCONV:
        if (check_conn(d, err, errlen)) return -1;
        if ((d->kh != 0 && d->kh != 1) || (d->kw != 0 && d->kw != 1) || d->pad != 0)
            return set_err(err, errlen, "shiftconv is a 1x1 convolution without padding, got %dx%d pad %d",
                           d->kh, d->kw, d->pad);
        if (d->stride <= 0)
            return set_err(err, errlen, "shiftconv stride %d must be positive", d->stride);
        d->kh = d->kw = 1;
        oh = out_size(d->h, 1, d->stride, 0);
        ow = out_size(d->w, 1, d->stride, 0);
        oc = d->oc;
        break;
    case OP_ADD: case OP_RELU:
        break;
    case OP_MAXPOOL: case OP_AVGPOOL:
        if (check_window(d, err, errlen)) return -1;
        if (d->kind == OP_AVGPOOL && d->pad != 0)
            return set_err(err, errlen, "avgpool takes no padding, got %d", d->pad);
        if (2 * (long)d->pad > d->kh || 2 * (long)d->pad > d->kw)
            return set_err(err, errlen, "maxpool padding %d must be at most half the %dx%d window",
                           d->pad, d->kh, d->kw);
        oh = out_size(d->h, d->kh, d->stride, d->pad);
        ow = out_size(d->w, d->kw, d->stride, d->pad);
        break;
    case OP_GAP:
        oh = ow = 1;
        break;
    case OP_FC:
        if (d->h != 1 || d->w != 1)
            return set_err(err, errlen, "fc takes n x c input (h = w = 1), got %dx%d", d->h, d->w);
        oc = d->oc;
        break;
    default:
        return set_err(err, errlen, "unknown op %d", (int)d->kind);
    }
    if (oc <= 0) return set_err(err, errlen, "%s needs a positive output channel count, got %ld",
                                op_name(d->kind), oc);
    if (d->oc != 0 && d->oc != oc)
        return set_err(err, errlen, "%s output channels %d must equal input channels %d",
                       op_name(d->kind), d->oc, d->c);
    if (set_out(&d->oh, oh, "height", err, errlen) || set_out(&d->ow, ow, "width", err, errlen))
        return -1;
    d->oc = (int)oc;
    return 0;
}

/* Every count a kernel may index with must fit an int (and so a size_t). */
static int fits(size_t a, size_t b, size_t c, size_t d) {
    size_t x;
    return !mul_size(a, b, &x) && !mul_size(x, c, &x) && !mul_size(x, d, &x) && x <= INT_MAX;
}

int op_check(op_desc *d, char *err, size_t errlen) {
    if ((unsigned)d->kind >= OP_COUNT) return set_err(err, errlen, "unknown op %d", (int)d->kind);
    const char *nm = op_name(d->kind);
    if (d->n <= 0 || d->h <= 0 || d->w <= 0 || d->c <= 0)
        return set_err(err, errlen, "%s input %dx%dx%dx%d (NHWC) must be positive", nm, d->n, d->h, d->w, d->c);
    if (d->oh < 0 || d->ow < 0 || d->oc < 0)
        return set_err(err, errlen, "%s output %dx%dx%d must not be negative", nm, d->oh, d->ow, d->oc);
    if (d->relu != 0 && d->relu != 1)
        return set_err(err, errlen, "relu flag must be 0 or 1, got %d", d->relu);
    int takes_relu = d->kind == OP_CONV || d->kind == OP_SHIFTCONV || d->kind == OP_ADD ||
                     d->kind == OP_FC || d->kind == OP_RELU;
    if (d->relu && !takes_relu) return set_err(err, errlen, "%s has no fused ReLU", nm);
    if (d->kind != OP_CONV && d->groups != 0 && d->groups != 1)
        return set_err(err, errlen, "%s takes no groups, got %d", nm, d->groups);
    if (infer(d, err, errlen)) return -1;
    if (!fits((size_t)d->n, (size_t)d->h, (size_t)d->w, (size_t)d->c) ||
        !fits((size_t)d->n, (size_t)d->oh, (size_t)d->ow, (size_t)d->oc))
        return set_err(err, errlen, "%s tensor has too many elements", nm);
    if ((d->kind == OP_CONV || d->kind == OP_SHIFTCONV || d->kind == OP_FC) &&
        !fits((size_t)d->oc, (size_t)d->c, (size_t)d->kh > 0 ? (size_t)d->kh : 1,
              (size_t)d->kw > 0 ? (size_t)d->kw : 1))
        return set_err(err, errlen, "%s weights have too many elements", nm);
    return 0;
}

size_t op_weight_count(const op_desc *d) {
    switch (d->kind) {
    case OP_CONV: return (size_t)d->oc * (size_t)(d->c / (d->groups > 1 ? d->groups : 1)) * (size_t)d->kh * (size_t)d->kw;
    case OP_SHIFTCONV: case OP_FC: return (size_t)d->oc * (size_t)d->c;
    default: return 0;
    }
}

size_t op_bias_count(const op_desc *d) {
    switch (d->kind) {
    case OP_CONV: case OP_SHIFTCONV: case OP_FC: return (size_t)d->oc;
    default: return 0;
    }
}

size_t op_in_count(const op_desc *d) {
    return (size_t)d->n * (size_t)d->h * (size_t)d->w * (size_t)d->c;
}

size_t op_out_count(const op_desc *d) {
    return (size_t)d->n * (size_t)d->oh * (size_t)d->ow * (size_t)d->oc;
}
