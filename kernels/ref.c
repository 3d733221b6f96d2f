/* The oracle: every op as plain loops straight from the definitions (docs/networks.md,
 * kernels/op.h). No blocking, no threads, no vectors: slow and obviously right. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"
#include "../common/util.h"

typedef struct {
    op_desc d;
    float *w, *b;    /* copies: weights OIHW / (oc, c), bias (zeros when none given) */
    float *shifted;  /* shiftconv: the shifted input, materialized (ref only) */
} ref_state;

static void ref_destroy(void *p) {
    ref_state *s = p;
    if (!s) return;
    free(s->w); free(s->b); free(s->shifted);
    free(s);
}

static void *ref_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    ref_state *s = calloc(1, sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    size_t nw = op_weight_count(&d), nb = op_bias_count(&d);
    int ok = 1;
    if (nw) {
        ok = (s->w = malloc(nw * sizeof *s->w)) != NULL;
        if (ok) memcpy(s->w, w, nw * sizeof *s->w);
    }
    if (ok && nb) {
        ok = (s->b = calloc(nb, sizeof *s->b)) != NULL;
        if (ok && b) memcpy(s->b, b, nb * sizeof *s->b);
    }
    if (ok && d.kind == OP_SHIFTCONV) ok = (s->shifted = malloc(op_in_count(&d) * sizeof(float))) != NULL;
    if (!ok) { ref_destroy(s); set_err(err, errlen, "out of memory"); return NULL; }
    return s;
}

/* ReLU (and ReLU6's upper clamp) when the op fuses one. */
static float relu_if(float v, const op_desc *d) {
    if (!d->relu && d->kind != OP_RELU) return v;
    float hi = op_relu_hi(d);
    return v < 0.0f ? 0.0f : v > hi ? hi : v;
}

/* Input element (b, y, x, ch), zero outside the image. */
static float at(const op_desc *d, const float *in, int b, int y, int x, int ch) {
    if (y < 0 || y >= d->h || x < 0 || x >= d->w) return 0.0f;
    return in[(((size_t)b * d->h + y) * d->w + x) * d->c + ch];
}

static float *out_at(const op_desc *d, float *out, int b, int y, int x) {
    return out + (((size_t)b * d->oh + y) * d->ow + x) * d->oc;
}

static void shift_loops(const op_desc *d, const float *in, float *out) {
    for (int b = 0; b < d->n; b++)
        for (int y = 0; y < d->h; y++)
            for (int x = 0; x < d->w; x++)
                for (int ch = 0; ch < d->c; ch++) {
                    int dh, dw;
                    shift_channel_disp(d, ch, &dh, &dw);
                    out[(((size_t)b * d->h + y) * d->w + x) * d->c + ch] = at(d, in, b, y - dh, x - dw, ch);
                }
}

static void ref_conv(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const ref_state *s = p;
    const op_desc *d = &s->d;
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int o = 0; o < d->oc; o++) {
                    /* output channel o of group g reads input channels [g*cg, (g+1)*cg) */
                    int groups = d->groups > 1 ? d->groups : 1, cg = d->c / groups, g = o / (d->oc / groups);
                    float acc = s->b[o];
                    for (int ci = 0; ci < cg; ci++)
                        for (int ky = 0; ky < d->kh; ky++)
                            for (int kx = 0; kx < d->kw; kx++)
                                acc += s->w[(((size_t)o * cg + ci) * d->kh + ky) * d->kw + kx] *
                                       at(d, in, b, oy * d->stride - d->pad + ky, ox * d->stride - d->pad + kx,
                                          g * cg + ci);
                    out_at(d, out, b, oy, ox)[o] = relu_if(acc, d);
                }
}

static void ref_shift(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    shift_loops(&((const ref_state *)p)->d, in, out);
}

/* Shift into a full tensor, then a 1x1 convolution with stride. */
static void ref_shiftconv(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const ref_state *s = p;
    const op_desc *d = &s->d;
    shift_loops(d, in, s->shifted);
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int o = 0; o < d->oc; o++) {
                    float acc = s->b[o];
                    for (int ci = 0; ci < d->c; ci++)
                        acc += s->w[(size_t)o * d->c + ci] *
                               at(d, s->shifted, b, oy * d->stride, ox * d->stride, ci);
                    out_at(d, out, b, oy, ox)[o] = relu_if(acc, d);
                }
}

static void ref_add(void *p, const float *in, const float *in2, float *out) {
    const ref_state *s = p;
    for (size_t i = 0, n = op_in_count(&s->d); i < n; i++) out[i] = relu_if(in[i] + in2[i], &s->d);
}

static void ref_relu(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const ref_state *s = p;
    for (size_t i = 0, n = op_in_count(&s->d); i < n; i++) out[i] = relu_if(in[i], &s->d);
}

/* Padding never wins: padded positions are skipped, not read as zero or -inf. */
static void ref_maxpool(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const op_desc *d = &((const ref_state *)p)->d;
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int ch = 0; ch < d->c; ch++) {
                    float m = -INFINITY;
                    for (int ky = 0; ky < d->kh; ky++)
                        for (int kx = 0; kx < d->kw; kx++) {
                            int y = oy * d->stride - d->pad + ky, x = ox * d->stride - d->pad + kx;
                            if (y >= 0 && y < d->h && x >= 0 && x < d->w && at(d, in, b, y, x, ch) > m)
                                m = at(d, in, b, y, x, ch);
                        }
                    out_at(d, out, b, oy, ox)[ch] = m;
                }
}

static void ref_avgpool(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const op_desc *d = &((const ref_state *)p)->d;
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int ch = 0; ch < d->c; ch++) {
                    float sum = 0.0f;
                    for (int ky = 0; ky < d->kh; ky++)
                        for (int kx = 0; kx < d->kw; kx++)
                            sum += at(d, in, b, oy * d->stride + ky, ox * d->stride + kx, ch);
                    out_at(d, out, b, oy, ox)[ch] = sum / (float)(d->kh * d->kw);
                }
}

static void ref_gap(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const op_desc *d = &((const ref_state *)p)->d;
    for (int b = 0; b < d->n; b++)
        for (int ch = 0; ch < d->c; ch++) {
            float sum = 0.0f;
            for (int y = 0; y < d->h; y++)
                for (int x = 0; x < d->w; x++) sum += at(d, in, b, y, x, ch);
            out[(size_t)b * d->c + ch] = sum / (float)(d->h * d->w);
        }
}

static void ref_fc(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const ref_state *s = p;
    const op_desc *d = &s->d;
    for (int b = 0; b < d->n; b++)
        for (int o = 0; o < d->oc; o++) {
            float acc = s->b[o];
            for (int ci = 0; ci < d->c; ci++) acc += s->w[(size_t)o * d->c + ci] * in[(size_t)b * d->c + ci];
            out[(size_t)b * d->oc + o] = relu_if(acc, d);
        }
}

#define REF(k, fn, text) { .op = k, .impl = "ref", .about = text, .create = ref_create, \
                           .run = fn, .destroy = ref_destroy, .info = NULL }
const kernel_impl ref_kernels[] = {
    REF(OP_CONV, ref_conv, "plain-loop convolution, grouped and depthwise too (the oracle)"),
    REF(OP_SHIFT, ref_shift, "plain-loop shift (the oracle)"),
    REF(OP_SHIFTCONV, ref_shiftconv, "shift into a tensor, then plain-loop 1x1 convolution"),
    REF(OP_ADD, ref_add, "plain-loop residual add"),
    REF(OP_RELU, ref_relu, "plain-loop ReLU (and ReLU6)"),
    REF(OP_MAXPOOL, ref_maxpool, "plain-loop max pool"),
    REF(OP_AVGPOOL, ref_avgpool, "plain-loop average pool"),
    REF(OP_GAP, ref_gap, "plain-loop global average pool"),
    REF(OP_FC, ref_fc, "plain-loop fully connected"),
    { .create = NULL },
};
