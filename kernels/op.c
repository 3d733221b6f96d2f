/* Op names, shape inference with PyTorch floor rules, element counts, shift groups. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "op.h"
#include "../common/util.h"

static const char *const names[OP_COUNT] = {
    [OP_CONV] = "conv", [OP_SHIFT] = "shift", [OP_SHIFTCONV] = "shiftconv",
    [OP_ADD] = "add", [OP_RELU] = "relu", [OP_MAXPOOL] = "maxpool",
    [OP_AVGPOOL] = "avgpool", [OP_GAP] = "gap", [OP_FC] = "fc",
};

float op_relu_hi(const op_desc *d) { return d->relu_max > 0 ? (float)d->relu_max : INFINITY; }

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

/* The preset conn's table. */
static void preset_table(int conn, shift_table *t) {
    memset(t, 0, sizeof *t);
    t->n = conn;
    for (int g = 0; g < conn; g++) {
        int dh, dw;
        shift_disp(conn, g, &dh, &dw);
        t->dh[g] = (int16_t)dh;
        t->dw[g] = (int16_t)dw;
    }
}

static int same_table(const shift_table *a, const shift_table *b) {
    if (a->n != b->n || a->alloc != b->alloc || a->size != b->size || a->div != b->div) return 0;
    for (int j = 0; j < a->n; j++)
        if (a->dh[j] != b->dh[j] || a->dw[j] != b->dw[j]) return 0;
    return 1;
}

/* Checks d's neighbourhood, fills a preset's table in and names a table that is a preset
 * by its preset (so a table and its conn read back the same). */
static int check_shift(op_desc *d, char *err, size_t errlen) {
    const char *nm = op_name(d->kind);
    shift_table *t = &d->shift, pre;
    if (d->conn != 0 && d->conn != 4 && d->conn != 8)
        return set_err(err, errlen, "%s connectivity must be 4 or 8 (or a displacement table), got %d", nm, d->conn);
    if (t->n < 0 || t->n > SHIFT_MAX_DIRS)
        return set_err(err, errlen, "%s takes 1 to %d displacements, got %d", nm, SHIFT_MAX_DIRS, t->n);
    if (d->conn == 0 && t->n == 0)
        return set_err(err, errlen, "%s needs connectivity 4 or 8 or a displacement table", nm);
    if (d->conn && t->n == 0) preset_table(d->conn, t);
    if (d->conn) {
        preset_table(d->conn, &pre);
        if (!same_table(t, &pre))
            return set_err(err, errlen, "%s: connectivity %d and a different displacement table both given", nm, d->conn);
        if (shift_group_size(d->c, d->conn) == 0)
            return set_err(err, errlen, "shift needs at least %d channels for %d-connected (%d groups), got %d",
                           d->conn + 1, d->conn, d->conn + 1, d->c);
        return 0;
    }
    if (t->alloc != SHIFT_CONTIGUOUS && t->alloc != SHIFT_INTERLEAVED)
        return set_err(err, errlen, "%s: unknown channel allocation %d", nm, t->alloc);
    if (t->size < 0 || t->div < 0 || (t->size && t->div))
        return set_err(err, errlen, "%s: give a group size or a divisor (positive), not both", nm);
    if (t->alloc == SHIFT_INTERLEAVED && (t->size || t->div))
        return set_err(err, errlen, "%s: an interleaved allocation takes no group size", nm);
    for (int j = 0; j < t->n; j++) {
        if (abs(t->dh[j]) > SHIFT_MAX_MAG || abs(t->dw[j]) > SHIFT_MAX_MAG)
            return set_err(err, errlen, "%s: displacement (%d, %d) beyond %d", nm, t->dh[j], t->dw[j], SHIFT_MAX_MAG);
        for (int k = 0; k < j; k++)
            if (t->dh[k] == t->dh[j] && t->dw[k] == t->dw[j])
                return set_err(err, errlen, "%s: displacement (%d, %d) given twice (directions %d and %d)", nm,
                               t->dh[j], t->dw[j], k, j);
    }
    if (t->div == t->n + 1) t->div = 0;   /* the default, written one way */
    if (t->alloc == SHIFT_INTERLEAVED) {
        if (d->c < t->n)
            return set_err(err, errlen, "%s: %d channels interleaved over %d displacements leave a direction with no channel",
                           nm, d->c, t->n);
    } else {
        long gs = t->size ? t->size : d->c / (t->div ? t->div : t->n + 1);
        if (gs == 0)
            return set_err(err, errlen, "%s: a group with no channels (%d channels, %d directions%s)", nm, d->c, t->n,
                           t->div ? ", divisor given" : "");
        if (gs * t->n > d->c)
            return set_err(err, errlen, "%s: %d groups of %ld channels exceed the %d channels", nm, t->n, gs, d->c);
    }
    for (int conn = 4; conn <= 8; conn += 4) {
        preset_table(conn, &pre);
        if (same_table(t, &pre)) d->conn = conn;
    }
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
        if (check_shift(d, err, errlen)) return -1;
        break;
    case OP_SHIFTCONV:
        if (check_shift(d, err, errlen)) return -1;
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
    if (d->relu_max < 0 || d->relu_max > 1000000)
        return set_err(err, errlen, "relu_max %d must be 0 (none) to 1000000", d->relu_max);
    if (d->relu_max && !d->relu && d->kind != OP_RELU)
        return set_err(err, errlen, "%s: relu_max without a ReLU", nm);
    if (d->kind != OP_CONV && d->groups != 0 && d->groups != 1)
        return set_err(err, errlen, "%s takes no groups, got %d", nm, d->groups);
    if (d->kind != OP_SHIFT && d->kind != OP_SHIFTCONV && (d->conn != 0 || d->shift.n != 0))
        return set_err(err, errlen, "%s takes no shift connectivity or displacements", nm);
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

/* ---- the general shift's table ---- */

int shift_dirs(const op_desc *d) { return d->shift.n; }

void shift_dir_disp(const op_desc *d, int j, int *dh, int *dw) {
    *dh = d->shift.dh[j];
    *dw = d->shift.dw[j];
}

int shift_gs(const op_desc *d) {
    const shift_table *t = &d->shift;
    if (t->alloc == SHIFT_INTERLEAVED) return 0;
    return t->size ? t->size : d->c / (t->div ? t->div : t->n + 1);
}

int shift_channel_dir(const op_desc *d, int ch) {
    if (d->shift.alloc == SHIFT_INTERLEAVED) return ch % d->shift.n;
    int j = ch / shift_gs(d);
    return j < d->shift.n ? j : -1;
}

void shift_channel_disp(const op_desc *d, int ch, int *dh, int *dw) {
    int j = shift_channel_dir(d, ch);
    *dh = j < 0 ? 0 : d->shift.dh[j];
    *dw = j < 0 ? 0 : d->shift.dw[j];
}

int shift_dir_channels(const op_desc *d, int j) {
    int n = d->shift.n;
    if (d->shift.alloc == SHIFT_INTERLEAVED) return j < 0 ? 0 : d->c / n + (j < d->c % n);
    return j < 0 ? d->c - n * shift_gs(d) : shift_gs(d);
}

int shift_max_mag(const op_desc *d) {
    int m = 0;
    for (int j = 0; j < d->shift.n; j++) {
        int a = abs(d->shift.dh[j]), b = abs(d->shift.dw[j]);
        if (a > m) m = a;
        if (b > m) m = b;
    }
    return m;
}

void shift_extent(const op_desc *d, int *dh_min, int *dh_max, int *dw_min, int *dw_max) {
    int any = shift_dir_channels(d, -1) > 0;
    *dh_min = *dh_max = *dw_min = *dw_max = 0;
    for (int j = 0; j < d->shift.n; j++) {
        int dh = d->shift.dh[j], dw = d->shift.dw[j];
        if (!any || dh < *dh_min) *dh_min = dh;
        if (!any || dh > *dh_max) *dh_max = dh;
        if (!any || dw < *dw_min) *dw_min = dw;
        if (!any || dw > *dw_max) *dw_max = dw;
        any = 1;
    }
}

/* One integer at *p (optional sign), advancing it; -1 when none or out of range. */
static int parse_num(const char **p, long lo, long hi, long *v) {
    const char *s = *p;
    int neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    if (*s < '0' || *s > '9') return -1;
    long x = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        if ((x = x * 10 + (*s - '0')) > 1000000000L) return -1;
    if (neg) x = -x;
    if (x < lo || x > hi) return -1;
    *v = x;
    *p = s;
    return 0;
}

int shift_parse(const char *s, op_desc *d, char *err, size_t errlen) {
    shift_table t;
    memset(&t, 0, sizeof t);
    if (!s || !*s) return set_err(err, errlen, "empty shift table (4, 8 or [c|c/DIV|c=SIZE|i:]DH,DW:DH,DW...)");
    if (!strcmp(s, "4") || !strcmp(s, "8")) {
        d->conn = s[0] - '0';
        d->shift = t;
        return 0;
    }
    const char *p = s;
    long v;
    if (*p == 'c' || *p == 'i') {
        if (*p++ == 'i') t.alloc = SHIFT_INTERLEAVED;
        else if ((*p == '/' || *p == '=') && p[1] != '-') {
            int div = *p++ == '/';
            if (parse_num(&p, 1, 1000000, &v)) return set_err(err, errlen, "shift table '%s': c/ and c= take a positive integer", s);
            if (div) t.div = (int)v;
            else t.size = (int)v;
        }
        if (*p++ != ':') return set_err(err, errlen, "shift table '%s': expected ':' after the allocation (c, c/DIV, c=SIZE, i)", s);
    }
    for (;;) {
        long dh, dw;
        if (t.n == SHIFT_MAX_DIRS) return set_err(err, errlen, "shift table '%s': more than %d displacements", s, SHIFT_MAX_DIRS);
        if (parse_num(&p, -SHIFT_MAX_MAG, SHIFT_MAX_MAG, &dh) || *p++ != ',' ||
            parse_num(&p, -SHIFT_MAX_MAG, SHIFT_MAX_MAG, &dw))
            return set_err(err, errlen, "shift table '%s': expected DH,DW (integers up to %d in magnitude) at displacement %d",
                           s, SHIFT_MAX_MAG, t.n + 1);
        t.dh[t.n] = (int16_t)dh;
        t.dw[t.n++] = (int16_t)dw;
        if (!*p) break;
        if (*p++ != ':') return set_err(err, errlen, "shift table '%s': displacements are separated by ':'", s);
    }
    d->conn = 0;
    d->shift = t;
    return 0;
}

void shift_format(const op_desc *d, char *buf, size_t len) {
    const shift_table *t = &d->shift;
    size_t n = 0;
#define PUT(...) do { int k_ = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__); if (k_ > 0) n += (size_t)k_; } while (0)
    if (len) buf[0] = 0;
    if (d->conn) { PUT("%d", d->conn); return; }
    if (t->alloc == SHIFT_INTERLEAVED) PUT("i:");
    else if (t->div) PUT("c/%d:", t->div);
    else if (t->size) PUT("c=%d:", t->size);
    for (int j = 0; j < t->n; j++) PUT("%s%d,%d", j ? ":" : "", t->dh[j], t->dw[j]);
#undef PUT
}
