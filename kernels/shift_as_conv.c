#include "shift_as_conv.h"

#include <stdlib.h>
#include "../common/util.h"

/* The 3x3 window both forms run: pad 1, the 1x1's stride (1 for a shift). */
static op_desc window_of(const op_desc *d) {
    op_desc g = *d;
    g.kind = OP_CONV;
    g.kh = g.kw = 3;
    g.pad = 1;
    if (d->kind == OP_SHIFT) g.stride = 1;
    g.conn = 0;
    return g;
}

/* The tap (ky * 3 + kx) that channel ch of d's shift reads. */
static int tap_of(const op_desc *d, int ch) {
    int g = ch / shift_group_size(d->c, d->conn), dh, dw;
    if (g > d->conn) g = d->conn;   /* the centre group takes the remainder */
    shift_disp(d->conn, g, &dh, &dw);
    return (1 - dh) * 3 + (1 - dw);
}

void *shift_dw_create_with(conv_make_fn make, const op_desc *d, char *err, size_t errlen) {
    float *w = calloc((size_t)d->c * 9, sizeof *w);   /* (c, 1, 3, 3) */
    if (!w) { set_err(err, errlen, "shift as depthwise conv: out of memory"); return NULL; }
    for (int ch = 0; ch < d->c; ch++) w[(size_t)ch * 9 + tap_of(d, ch)] = 1.0f;
    op_desc g = window_of(d);
    void *st = make(d, &g, d->c, w, NULL, err, errlen);
    free(w);
    return st;
}

void *shift_masked3x3_create_with(conv_make_fn make, const op_desc *d, const float *w1x1, const float *b,
                                  char *err, size_t errlen) {
    float *w = calloc((size_t)d->oc * d->c * 9, sizeof *w);   /* (oc, c, 3, 3) */
    if (!w) { set_err(err, errlen, "shift + 1x1 as a masked 3x3: out of memory"); return NULL; }
    for (int ch = 0; ch < d->c; ch++) {
        int t = tap_of(d, ch);
        for (int o = 0; o < d->oc; o++) w[((size_t)o * d->c + ch) * 9 + t] = w1x1[(size_t)o * d->c + ch];
    }
    op_desc g = window_of(d);
    void *st = make(d, &g, 1, w, b, err, errlen);
    free(w);
    return st;
}
