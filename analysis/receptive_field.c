/* Receptive fields by support functions (see cost.h): a layer whose output pixel reads
 * input offsets K (scaled by the input's jump) gives h_out(u) = h_in(u) + jump * max_{k in K} u.k. */
#include <stdlib.h>
#include <string.h>

#include "cost.h"

static const int DIR[8][2] = { {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1} };

/* Adds the support of the offset set {(y, x)} (given as its points) to r. */
static void add_points(rf_t *r, int64_t jump, const int (*pts)[2], int n) {
    for (int d = 0; d < 8; d++) {
        int64_t best = INT64_MIN;
        for (int i = 0; i < n; i++) {
            int64_t v = (int64_t)DIR[d][0] * pts[i][0] + (int64_t)DIR[d][1] * pts[i][1];
            if (v > best) best = v;
        }
        r->h[d] += jump * best;
    }
}

/* A kh x kw window at offsets [-pad, k-1-pad]: its support is reached at a corner. */
static void add_window(rf_t *r, int64_t jump, int kh, int kw, int pad) {
    int corners[4][2] = { { -pad, -pad }, { -pad, kw - 1 - pad }, { kh - 1 - pad, -pad }, { kh - 1 - pad, kw - 1 - pad } };
    add_points(r, jump, (const int (*)[2])corners, 4);
}

/* An output pixel of direction j reads input (y - dh, x - dw); unmoved channels, where
 * there are any, read (y, x). Any magnitude: the support is the farthest point. */
static void add_shift(rf_t *r, int64_t jump, const op_desc *d) {
    int pts[SHIFT_MAX_DIRS + 1][2], n = 0;
    for (int j = 0; j < shift_dirs(d); j++) {
        int dh, dw;
        shift_dir_disp(d, j, &dh, &dw);
        pts[n][0] = -dh;
        pts[n++][1] = -dw;
    }
    if (shift_dir_channels(d, -1) > 0) { pts[n][0] = pts[n][1] = 0; n++; }
    add_points(r, jump, (const int (*)[2])pts, n);
}

rf_t *receptive_fields(const network *net) {
    rf_t *rf = calloc((size_t)net->ntensors, sizeof *rf);
    if (!rf) return NULL;
    rf[net->input].jump = 1;
    for (int i = 0; i < net->nlayers; i++) {
        const ir_layer *L = &net->layers[i];
        rf_t r = rf[L->in];
        const op_desc *d = &L->d;
        switch (d->kind) {
        case OP_CONV: case OP_MAXPOOL: case OP_AVGPOOL:
            add_window(&r, r.jump, d->kh, d->kw, d->pad);
            r.jump *= d->stride;
            break;
        case OP_SHIFT:
            add_shift(&r, r.jump, d);
            break;
        case OP_SHIFTCONV:
            add_shift(&r, r.jump, d);
            r.jump *= d->stride;
            break;
        case OP_ADD:
            for (int k = 0; k < 8; k++)
                if (rf[L->in2].h[k] > r.h[k]) r.h[k] = rf[L->in2].h[k];
            break;
        case OP_GAP:   /* every input pixel: the whole image */
            add_window(&r, r.jump, d->h, d->w, 0);
            break;
        default:
            break;
        }
        rf[L->out] = r;
    }
    return rf;
}

rf_summary rf_summarize(const rf_t *r) {
    rf_summary s;
    s.height = r->h[0] + r->h[1] + 1;
    s.width = r->h[2] + r->h[3] + 1;
    double axis = (double)(r->h[0] + r->h[1] + r->h[2] + r->h[3]);
    double diag = (double)(r->h[4] + r->h[5] + r->h[6] + r->h[7]);
    /* diamond: diagonal support = axial one (diag/axis = 1); square: twice (= 2) */
    s.squareness = axis > 0 ? diag / axis - 1.0 : 0.0;
    if (axis == 0) s.shape = "point";
    else if (s.squareness < 0.02) s.shape = "diamond";
    else if (s.squareness > 0.98) s.shape = "square";
    else s.shape = "octagon";
    return s;
}
