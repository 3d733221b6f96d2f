/* The shift's run-program micro-kernels (own_shift.h), one body for every level but
 * AVX-512: a group's run is copied a vector at a time from its neighbour pixel, as memcpy
 * copies, the tail as a vector that runs on into the next group (rewritten after it) or
 * ends at the run's end. own_vec_<level>.c includes its vector layer, then this, with
 * OWN_ISA the level's name; the result is shift_ukernels_<level>. */
#include "own_shift.h"

/* A run shorter than a vector where no whole vector fits (only in narrow pixels). */
static inline void shift_tail(const shift_run *e, const float *i, float *o) {
    vf_store_tail(o + e->dst, e->zero ? vf_zero() : vf_load_tail(i + e->src, e->n), e->n);
}

/* np pixels from p (np a constant: the loops over them unroll), one op at a time across
 * them: a table entry serves np pixels and their loads and stores are independent
 * (measured at AVX2, 4 pixels against 1: +10-18 % on the ResNet-50 shift shapes). */
#define SHIFT_NP 4
static inline __attribute__((always_inline)) void shift_block(const shift_plan *s, int cls, const float *in,
                                                              float *out, long p, int np) {
    const long c = s->d.c, pf = s->pf, end = (long)s->d.n * s->d.h * s->d.w * c;
    const shift_run *r = s->runs, *cb = r + s->rstart[cls][0], *zb = r + s->rstart[cls][1];
    const shift_run *tb = r + s->rstart[cls][2], *te = r + s->rstart[cls][3];
    const float *i = in + p * c;
    float *o = out + p * c;
    if (pf && (p + np) * c + pf <= end)
        for (long k = 0; k < np * c; k += 16) __builtin_prefetch(i + pf + k, 0, 3);
    for (const shift_run *e = cb; e < zb; e++) {
        vf v[SHIFT_NP];
        for (int q = 0; q < np; q++) v[q] = vf_loadu(i + q * c + e->src);
        for (int q = 0; q < np; q++) vf_storeu(o + q * c + e->dst, v[q]);
    }
    for (const shift_run *e = zb; e < tb; e++)
        for (int q = 0; q < np; q++) vf_storeu(o + q * c + e->dst, vf_zero());
    for (const shift_run *e = tb; e < te; e++)
        for (int q = 0; q < np; q++) shift_tail(e, i + q * c, o + q * c);
}

/* Pixels [p0, p1) of class cls, their whole run program. */
static void shift_pixels(const shift_plan *s, int cls, const float *in, float *out, long p0, long p1, int nt) {
    (void)nt;
    long p = p0;
    for (; p + SHIFT_NP <= p1; p += SHIFT_NP) shift_block(s, cls, in, out, p, SHIFT_NP);
    for (; p < p1; p++) shift_block(s, cls, in, out, p, 1);
}

static SHIFT_UKERNELS(OWN_ISA) = { .pixels = shift_pixels, .op = 0, .width = VF_N, .fence = 0 };
