/* Depthwise convolution on NHWC (groups = c = oc, any kh x kw, stride, pad), the driver:
 * weights packed [kh * kw][c] so that every window tap is a vector of channels, the rows on
 * the level's micro-kernel (own_vec.h dw_row); threads split the output rows. The GEMM
 * driver (own_fused.c) cannot run it: each output channel sees one input channel, a
 * reduction of kh * kw taps with no dot product to block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"
#include "own_vec.h"
#include "../common/util.h"

typedef struct {
    op_desc d;
    const own_vec_ukernels *uk;
    float *w, *bias;   /* [kh * kw][c], [c] */
    char info[32];     /* "own:dwconv-avx2" */
} dw_state;

void own_dw_destroy(void *p) {
    dw_state *s = p;
    if (!s) return;
    free(s->w);
    free(s->bias);
    free(s);
}

void *own_dw_create(const op_desc *dd, const float *w, const float *bias, char *err, size_t errlen) {
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    if (d.kind != OP_CONV || d.groups <= 1 || d.groups != d.c || d.oc != d.c) {
        set_err(err, errlen, "own dwconv: only depthwise convolution (groups = channels = output channels)");
        return NULL;
    }
    if (!w) { set_err(err, errlen, "own dwconv: weights missing"); return NULL; }
    dw_state *s = calloc(1, sizeof *s);
    size_t taps = (size_t)d.kh * d.kw;
    if (!s || !(s->w = alloc_aligned(taps * (size_t)d.c * sizeof(float))) ||
        !(s->bias = alloc_aligned((size_t)d.c * sizeof(float)))) {
        own_dw_destroy(s);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    s->d = d;
    for (int ch = 0; ch < d.c; ch++) {   /* OIHW (c, 1, kh, kw) -> [tap][c] */
        for (size_t t = 0; t < taps; t++) s->w[t * d.c + ch] = w[(size_t)ch * taps + t];
        s->bias[ch] = bias ? bias[ch] : 0.0f;
    }
    s->uk = own_vec_for(isa_active_noted());
    snprintf(s->info, sizeof s->info, "own:dwconv-%s", isa_name(s->uk->isa));
    return s;
}

const char *own_dw_info(const void *p) { return ((const dw_state *)p)->info; }

void own_dw_run_rows(void *p, const float *in, const float *in2, float *out, int r0, int r1) {
    (void)in2;
    const dw_state *s = p;
    const op_desc *d = &s->d;
    long work = (long)(r1 - r0) * d->ow * d->c * d->kh * d->kw;
    #pragma omp parallel for schedule(static) if (work > 131072)
    for (int r = r0; r < r1; r++) s->uk->dw_row(d, in, s->w, s->bias, out, r / d->oh, r % d->oh);
}

void own_dw_run(void *p, const float *in, const float *in2, float *out) {
    const dw_state *s = p;
    own_dw_run_rows(p, in, in2, out, 0, s->d.n * s->d.oh);
}
