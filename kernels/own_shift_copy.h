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

/* Pixels [p0, p1) of class cls, their whole run program. */
static void shift_pixels(const shift_plan *s, int cls, const float *in, float *out, long p0, long p1, int nt) {
    (void)nt;
    const long c = s->d.c, pf = s->pf, end = (long)s->d.n * s->d.h * s->d.w * c;
    const shift_run *r = s->runs, *cb = r + s->rstart[cls][0], *zb = r + s->rstart[cls][1];
    const shift_run *tb = r + s->rstart[cls][2], *te = r + s->rstart[cls][3];
    for (long p = p0; p < p1; p++) {
        const float *i = in + p * c;
        float *o = out + p * c;
        if (pf && p * c + pf + c <= end)
            for (long k = 0; k < c; k += 16) __builtin_prefetch(i + pf + k, 0, 3);
        #pragma GCC unroll 4
        for (const shift_run *e = cb; e < zb; e++) vf_storeu(o + e->dst, vf_loadu(i + e->src));
        for (const shift_run *e = zb; e < tb; e++) vf_storeu(o + e->dst, vf_zero());
        for (const shift_run *e = tb; e < te; e++) shift_tail(e, i, o);
    }
}

static SHIFT_UKERNELS(OWN_ISA) = { .pixels = shift_pixels, .op = 0, .width = VF_N, .fence = 0 };
