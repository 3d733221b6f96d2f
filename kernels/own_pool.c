/* Pooling on NHWC, the driver: max pool, average pool (pad 0, windows inside by the floor
 * rule) and global average pool on the level's micro-kernels (own_vec.h); threads split
 * the output rows (gap: the images and channel blocks). */
#include <stdio.h>
#include <stdlib.h>
#include "own.h"
#include "own_vec.h"
#include "../common/util.h"

typedef struct {
    op_desc d;
    const own_vec_ukernels *uk;
    char info[32];   /* "own:maxpool-avx2" */
} pool_state;

void *own_pool_create(const op_desc *dd, const float *w, const float *b, char *err, size_t errlen) {
    (void)w; (void)b;
    op_desc d = *dd;
    if (op_check(&d, err, errlen)) return NULL;
    if (d.kind != OP_MAXPOOL && d.kind != OP_AVGPOOL && d.kind != OP_GAP) {
        set_err(err, errlen, "own pool: %s is not a pooling op", op_name(d.kind));
        return NULL;
    }
    pool_state *s = malloc(sizeof *s);
    if (!s) { set_err(err, errlen, "out of memory"); return NULL; }
    s->d = d;
    s->uk = own_vec_for(isa_active_noted());
    snprintf(s->info, sizeof s->info, "own:%s-%s", op_name(d.kind), isa_name(s->uk->isa));
    return s;
}

const char *own_pool_info(const void *p) { return ((const pool_state *)p)->info; }

#define GAP_BLOCK 256   /* channels per gap work item */

void own_pool_run(void *p, const float *in, const float *in2, float *out) {
    (void)in2;
    const pool_state *s = p;
    const op_desc *d = &s->d;
    if (d->kind == OP_GAP) {
        long work = (long)op_in_count(d);
        int nb = (d->c + GAP_BLOCK - 1) / GAP_BLOCK, items = d->n * nb;
        #pragma omp parallel for schedule(static) if (work > 262144 && items > 1)
        for (int i = 0; i < items; i++) {
            int b = i / nb, c0 = i % nb * GAP_BLOCK, c1 = c0 + GAP_BLOCK < d->c ? c0 + GAP_BLOCK : d->c;
            s->uk->gap(d, in, out, b, c0, c1);
        }
        return;
    }
    own_pool_run_rows(p, in, in2, out, 0, d->n * d->oh);
}

void own_pool_run_rows(void *p, const float *in, const float *in2, float *out, int r0, int r1) {
    (void)in2;
    const pool_state *s = p;
    const op_desc *d = &s->d;
    long work = (long)(r1 - r0) * d->stride * d->w * d->c;
    #pragma omp parallel for schedule(static) if (work > 131072)
    for (int r = r0; r < r1; r++) s->uk->pool_row(d, in, out, r / d->oh, r % d->oh);
}
