#include "shift_as_conv.h"

#include <stdlib.h>
#include "../common/util.h"

/* The (2M+1)x(2M+1) window both forms run, M the table's largest magnitude: pad M, the
 * 1x1's stride (1 for a shift). 0, or -1 when M is past SHIFT_AS_CONV_MAX_MAG. */
static int window_of(const op_desc *d, op_desc *g, const char *form, char *err, size_t errlen) {
    int m = shift_max_mag(d);
    if (m > SHIFT_AS_CONV_MAX_MAG)
        return set_err(err, errlen, "%s: displacements up to %d (a %dx%d window), this table reaches %d", form,
                       SHIFT_AS_CONV_MAX_MAG, 2 * SHIFT_AS_CONV_MAX_MAG + 1, 2 * SHIFT_AS_CONV_MAX_MAG + 1, m);
    *g = *d;
    g->kind = OP_CONV;
    g->kh = g->kw = 2 * m + 1;
    g->pad = m;
    if (d->kind == OP_SHIFT) g->stride = 1;
    g->conn = 0;
    g->shift.n = 0;
    return 0;
}

/* The tap (ky * k + kx) of a k x k window that channel ch of d's shift reads. */
static int tap_of(const op_desc *d, const op_desc *g, int ch) {
    int dh, dw;
    shift_channel_disp(d, ch, &dh, &dw);
    return (g->pad - dh) * g->kw + (g->pad - dw);
}

void *shift_dw_create_with(conv_make_fn make, const op_desc *d, char *err, size_t errlen) {
    op_desc g;
    if (window_of(d, &g, "shift as a depthwise conv", err, errlen)) return NULL;
    size_t taps = (size_t)g.kh * g.kw;
    float *w = calloc((size_t)d->c * taps, sizeof *w);   /* (c, 1, k, k) */
    if (!w) { set_err(err, errlen, "shift as depthwise conv: out of memory"); return NULL; }
    for (int ch = 0; ch < d->c; ch++) w[(size_t)ch * taps + tap_of(d, &g, ch)] = 1.0f;
    void *st = make(d, &g, d->c, w, NULL, err, errlen);
    free(w);
    return st;
}

void *shift_masked3x3_create_with(conv_make_fn make, const op_desc *d, const float *w1x1, const float *b,
                                  char *err, size_t errlen) {
    op_desc g;
    if (window_of(d, &g, "shift + 1x1 as a masked conv", err, errlen)) return NULL;
    size_t taps = (size_t)g.kh * g.kw;
    float *w = calloc((size_t)d->oc * d->c * taps, sizeof *w);   /* (oc, c, k, k) */
    if (!w) { set_err(err, errlen, "shift + 1x1 as a masked conv: out of memory"); return NULL; }
    for (int ch = 0; ch < d->c; ch++) {
        int t = tap_of(d, &g, ch);
        for (int o = 0; o < d->oc; o++) w[((size_t)o * d->c + ch) * taps + t] = w1x1[(size_t)o * d->c + ch];
    }
    void *st = make(d, &g, 1, w, b, err, errlen);
    free(w);
    return st;
}
