#include "fuse.h"

#include <stdlib.h>
#include <string.h>

#include "../kernels/kernel.h"

fuse_caps fuse_caps_of(const char *impl) {
    int best = !strcmp(impl, "best");
    fuse_caps c = { .shiftconv = best || (strcmp(impl, "ref") && kernel_find_in_family(OP_SHIFTCONV, impl)),
                    .residual = best ? FUSE_ADD_TIMED : !strcmp(impl, "own") ? FUSE_ADD_INSIDE : FUSE_ADD_APART };
    return c;
}

/* How many layers read each tensor (a tensor read twice must exist in memory). */
static int *consumers(const network *net) {
    int *c = calloc((size_t)net->ntensors, sizeof *c);
    if (!c) return NULL;
    for (int i = 0; i < net->nlayers; i++) {
        c[net->layers[i].in]++;
        if (net->layers[i].in2 >= 0) c[net->layers[i].in2]++;
    }
    return c;
}

/* The layer after i is a `next` that reads only i's output, and nothing else reads it. */
static int fusable_next(const network *net, const int *cons, int i, op_kind next) {
    return i + 1 < net->nlayers && net->layers[i + 1].d.kind == next && net->layers[i + 1].in == net->layers[i].out &&
           cons[net->layers[i].out] == 1;
}

int fuse_plan(const network *net, const fuse_caps *caps, fuse_step *out) {
    int *cons = consumers(net), n = 0;
    if (!cons) return -1;
    for (int i = 0; i < net->nlayers; i++) {
        const ir_layer *L = &net->layers[i];
        fuse_step s = { .layer = i, .d = L->d, .add = -1, .add_relu = -1, .res = -1, .add_mode = FUSE_ADD_APART };
        /* shift + 1x1: an indirect GEMM, the shifted tensor never exists */
        if (L->d.kind == OP_SHIFT && caps->shiftconv && fusable_next(net, cons, i, OP_CONV) &&
            net->layers[i + 1].d.kh == 1 && net->layers[i + 1].d.kw == 1) {
            const op_desc *c = &net->layers[i + 1].d;
            s.layer = i + 1;
            s.fused[s.nfused++] = i;
            s.d.kind = OP_SHIFTCONV;
            s.d.oc = c->oc;
            s.d.stride = c->stride;
            s.d.kh = s.d.kw = 1;
            s.d.oh = c->oh;
            s.d.ow = c->ow;
            i++;
        }
        op_kind k = net->layers[i].d.kind;
        const ir_layer *A = i + 1 < net->nlayers ? &net->layers[i + 1] : NULL;
        if ((k == OP_CONV || k == OP_ADD || k == OP_FC) && fusable_next(net, cons, i, OP_RELU)) {
            s.fused[s.nfused++] = i + 1;   /* a ReLU in the producer's epilogue */
            s.d.relu = 1;
            s.d.relu_max = net->layers[i + 1].d.relu_max;   /* ReLU6 too */
            i++;
        } else if (caps->residual != FUSE_ADD_APART && k == OP_CONV && A && A->d.kind == OP_ADD &&
                   cons[net->layers[i].out] == 1 && (A->in == net->layers[i].out) != (A->in2 == net->layers[i].out)) {
            s.add = i + 1;
            s.add_mode = caps->residual;
            s.res = A->in == net->layers[i].out ? A->in2 : A->in;
            if (fusable_next(net, cons, i + 1, OP_RELU)) s.add_relu = i + 2;
            i = s.add_relu >= 0 ? s.add_relu : s.add;
        }
        out[n++] = s;
    }
    free(cons);
    return n;
}

int fuse_step_layers(const fuse_step *s, int timed_inside, int *layers) {
    int n = 0;
    layers[n++] = s->layer;
    for (int f = 0; f < s->nfused; f++) layers[n++] = s->fused[f];
    if (s->add >= 0 && (s->add_mode == FUSE_ADD_INSIDE || (s->add_mode == FUSE_ADD_TIMED && timed_inside))) {
        layers[n++] = s->add;
        if (s->add_relu >= 0) layers[n++] = s->add_relu;
    }
    return n;
}

int fuse_step_last(const fuse_step *s) {
    int last = s->layer;
    for (int f = 0; f < s->nfused; f++)
        if (s->fused[f] > last) last = s->fused[f];
    if (s->add > last) last = s->add;
    if (s->add_relu > last) last = s->add_relu;
    return last;
}

/* The steps a plan leaves apart: an add kept out of its conv (and its ReLU) is one more. */
int fuse_plan_bytes(const network *net, const fuse_step *steps, int nsteps, uint64_t *bytes) {
    uint64_t total = 0;
    for (int i = 0; i < nsteps; i++) {
        int layers[1 + FUSE_MAX + 2], n = fuse_step_layers(&steps[i], 1, layers);
        cost c;
        if (fused_cost(net, layers, n, &c) || __builtin_add_overflow(total, c.bytes, &total)) return -1;
        if (steps[i].add >= 0 && n == 1 + steps[i].nfused) {   /* the add apart */
            int al[2] = { steps[i].add, steps[i].add_relu };
            if (fused_cost(net, al, al[1] >= 0 ? 2 : 1, &c) || __builtin_add_overflow(total, c.bytes, &total)) return -1;
        }
    }
    *bytes = total;
    return 0;
}

int fuse_block_bytes(const network *net, uint64_t *bytes) {
    int *layers = malloc(((size_t)net->nlayers + 1) * sizeof *layers);
    if (!layers) return -1;
    uint64_t total = 0;
    int rc = 0;
    for (int i = 0; i < net->nlayers && !rc; ) {
        int b = net->layers[i].block, n = 0;
        do layers[n++] = i++;
        while (b >= 0 && i < net->nlayers && net->layers[i].block == b);
        cost c;
        rc = fused_cost(net, layers, n, &c) || __builtin_add_overflow(total, c.bytes, &total) ? -1 : 0;
    }
    free(layers);
    *bytes = total;
    return rc;
}

/* The input rows a layer reads for its output rows [y0, y1): a window of kh rows at
 * stride s and pad p (conv, pool), its displacements' rows for a shift, the same rows else. */
static void rows_needed(const ir_layer *L, int y0, int y1, int *r0, int *r1) {
    const op_desc *d = &L->d;
    if (d->kind == OP_CONV || d->kind == OP_MAXPOOL || d->kind == OP_AVGPOOL) {
        *r0 = y0 * d->stride - d->pad;
        *r1 = (y1 - 1) * d->stride - d->pad + d->kh;
    } else if (d->kind == OP_SHIFT) {   /* output row y reads y - dh */
        int hmin, hmax, wmin, wmax;
        shift_extent(d, &hmin, &hmax, &wmin, &wmax);
        *r0 = y0 - hmax;
        *r1 = y1 - hmin;
    } else if (d->kind == OP_GAP) {
        *r0 = 0;
        *r1 = d->h;
    } else {
        *r0 = y0;
        *r1 = y1;
    }
    if (*r0 < 0) *r0 = 0;
    if (*r1 > d->h) *r1 = d->h;
}

static void widen(int *rows, int t, int r0, int r1) {
    if (r0 >= r1) return;
    if (rows[2 * t] == rows[2 * t + 1]) rows[2 * t] = r0, rows[2 * t + 1] = r1;
    else {
        if (r0 < rows[2 * t]) rows[2 * t] = r0;
        if (r1 > rows[2 * t + 1]) rows[2 * t + 1] = r1;
    }
}

void fuse_block_rows(const network *net, int b, int y0, int y1, int *rows) {
    memset(rows, 0, 2 * (size_t)net->ntensors * sizeof *rows);
    const ir_block *B = &net->blocks[b];
    widen(rows, net->layers[B->last].out, y0, y1);
    for (int i = B->last; i >= B->first; i--) {   /* backwards: each layer's readers come after it */
        const ir_layer *L = &net->layers[i];
        int o0 = rows[2 * L->out], o1 = rows[2 * L->out + 1], r0, r1;
        if (o0 >= o1) continue;
        rows_needed(L, o0, o1, &r0, &r1);
        widen(rows, L->in, r0, r1);
        if (L->in2 >= 0) widen(rows, L->in2, r0, r1);
    }
}

uint64_t fuse_tile_bytes(const network *net, int b, int y0, int y1, int *rows) {
    fuse_block_rows(net, b, y0, y1, rows);
    uint64_t bytes = 0;
    for (int t = 0; t < net->ntensors; t++) {
        const ir_tensor *x = &net->tensors[t];
        bytes += (uint64_t)(rows[2 * t + 1] - rows[2 * t]) * (uint64_t)x->w * (uint64_t)x->c * sizeof(float);
    }
    return bytes;
}

int fuse_tile_rows(const network *net, int b, uint64_t cache_bytes) {
    const ir_block *B = &net->blocks[b];
    int oh = net->tensors[net->layers[B->last].out].h, best = 1;
    int *rows = malloc(2 * (size_t)net->ntensors * sizeof *rows);
    if (!rows) return 1;
    for (int tile = 1; tile <= oh; tile++) {   /* the first tile: no halo above, the most below */
        if (fuse_tile_bytes(net, b, 0, tile, rows) > cache_bytes) break;
        best = tile;
    }
    free(rows);
    return best;
}
