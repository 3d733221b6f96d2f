#include "exec_block.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../kernels/isa.h"
#include "measure.h"

/* A tile: images [b0, b1), output rows [y0, y1) of each (whole images when b1 - b0 > 1). */
typedef struct { int b0, b1, y0, y1; } tile;

struct exec_block {
    const network *net;
    float *const *buf;         /* the executor's full tensors (block input and output) */
    int b, nsub, owns;
    exec_step *sub;            /* the block's steps (copies; owned after exec_block_adopt) */
    kernel *own;               /* [nsub]: our kernel made for a step whose kernel has no row entry */
    const kernel **run;        /* [nsub]: what runs */
    int nloc, *loc, *full;     /* the tensors the steps touch (IR ids); full: in the executor's buffers */
    int *tloc;                 /* [ntensors]: local index, -1 */
    int ntiles;
    tile *tiles;
    int *trows;                /* [ntiles][nloc][2]: each tensor's rows that tile computes or reads */
    size_t *cap;               /* [nloc]: floats of a tile buffer */
    int nth, across, rows, images;
    float **tbuf;              /* [nth][nloc] */
    uint64_t cache;
    char info[48];
};

uint64_t exec_block_cache(void) {
    size_t l2 = measure_l2_bytes();
    return l2 ? l2 : (uint64_t)1 << 20;
}

static int add_loc(exec_block *k, int t) {
    if (t < 0 || k->tloc[t] >= 0) return 0;
    k->tloc[t] = k->nloc;
    k->loc[k->nloc++] = t;
    return 1;
}

/* Is tensor t read by a step outside [s0, s1), or the network's output? */
static int read_outside(const executor *ex, int s0, int s1, int t) {
    if (t == ex->net->output) return 1;
    for (int i = 0; i < ex->nsteps; i++)
        if ((i < s0 || i >= s1) && (ex->steps[i].in == t || ex->steps[i].in2 == t)) return 1;
    return 0;
}

/* The FLOPs one image's tiles of `rows` rows compute, over the block's FLOPs: each tile
 * computes its halo again (a multi-shift block's three shifts and pool add 3-4 rows of
 * halo at its input, so 1-row tiles would compute 4-7x the block). */
static double recompute(const network *net, int b, int rows, int *rowsbuf) {
    const ir_block *B = &net->blocks[b];
    int oh = net->tensors[net->layers[B->last].out].h;
    double done = 0, need = 0;
    for (int y0 = 0; y0 < oh; y0 += rows) {
        fuse_block_rows(net, b, y0, y0 + rows < oh ? y0 + rows : oh, rowsbuf);
        for (int i = B->first; i <= B->last; i++) {
            const ir_layer *L = &net->layers[i];
            cost c;
            if (layer_cost(L, &c)) continue;
            double per_row = (double)c.flops / net->batch / net->tensors[L->out].h;
            done += per_row * (rowsbuf[2 * L->out + 1] - rowsbuf[2 * L->out]);
            if (y0 == 0) need += per_row * net->tensors[L->out].h;
        }
    }
    return need > 0 ? done / need : 1;
}

/* Tiles recompute at most this much of a block: past it the halo costs more than the cache
 * saves (measured on multi-shift-4c-50, one thread: 1-row tiles ran 2.2x its layers' time). */
#define RECOMPUTE_MAX 1.15

/* The tile size (images per tile, rows per tile of the block's output) and the tiles: the
 * most rows whose tile fits the cache, more where the halo would be recomputed too often. */
static int make_tiles(exec_block *k, const exec_tile_opts *o, int *rowsbuf) {
    const network *net = k->net;
    const ir_block *B = &net->blocks[k->b];
    int oh = net->tensors[net->layers[B->last].out].h, n = net->batch, T = k->nth;
    k->cache = o && o->cache_bytes ? o->cache_bytes : exec_block_cache();
    int rows = o && o->rows > 0 ? (o->rows < oh ? o->rows : oh) : fuse_tile_rows(net, k->b, k->cache), images = 1;
    if (!(o && o->rows > 0))
        while (rows < oh && recompute(net, k->b, rows, rowsbuf) > RECOMPUTE_MAX) rows++;
    if (rows >= oh && !(o && o->rows > 0)) {
        /* Whole images fit: as many per tile as fit, leaving a tile for every thread. */
        uint64_t img = fuse_tile_bytes(net, k->b, 0, oh, rowsbuf);
        images = img ? (int)(k->cache / img) : 1;
        if (images < 1) images = 1;
        if (T > 1 && images > (n + T - 1) / T) images = (n + T - 1) / T;
        if (images > n) images = n;
    } else if (rows < oh && T > 1) {
        /* Row tiles: as many per image as the rows allow, a multiple of the threads when
         * a few more tiles make one (equal shares to the end). */
        int per = (oh + rows - 1) / rows;
        while ((long)n * per % T && per < oh && per < 2 * ((oh + rows - 1) / rows)) per++;
        rows = (oh + per - 1) / per;
    }
    k->rows = rows;
    k->images = images;
    int per = (oh + rows - 1) / rows;
    k->ntiles = images > 1 ? (n + images - 1) / images : n * per;
    k->tiles = malloc((size_t)k->ntiles * sizeof *k->tiles);
    k->trows = malloc((size_t)k->ntiles * k->nloc * 2 * sizeof *k->trows);
    if (!k->tiles || !k->trows) return -1;
    for (int i = 0; i < k->ntiles; i++) {
        tile *t = &k->tiles[i];
        if (images > 1) *t = (tile){ i * images, (i + 1) * images < n ? (i + 1) * images : n, 0, oh };
        else *t = (tile){ i / per, i / per + 1, i % per * rows, (i % per + 1) * rows < oh ? (i % per + 1) * rows : oh };
        fuse_block_rows(net, k->b, t->y0, t->y1, rowsbuf);
        for (int l = 0; l < k->nloc; l++) {
            int *r = &k->trows[((size_t)i * k->nloc + l) * 2];
            r[0] = rowsbuf[2 * k->loc[l]];
            r[1] = rowsbuf[2 * k->loc[l] + 1];
            if (k->full[l]) continue;
            /* whole images are stored whole (the rows of one follow the last of the one before) */
            const ir_tensor *x = &net->tensors[k->loc[l]];
            size_t need = (size_t)(images > 1 ? (size_t)(t->b1 - t->b0) * x->h : (size_t)(r[1] - r[0])) * x->w * x->c;
            if (need > k->cap[l]) k->cap[l] = need;
        }
    }
    return 0;
}

exec_block *exec_block_create(const executor *ex, int b, int s0, int s1, const exec_tile_opts *o,
                              char *why, size_t whylen) {
    const network *net = ex->net;
    const ir_block *B = &net->blocks[b];
    if (s1 - s0 < 2) { set_err(why, whylen, "one step: no tensor inside to keep in cache"); return NULL; }
    for (int i = s0; i < s1; i++) {
        const exec_step *st = &ex->steps[i];
        if (st->layer < B->first || st->layer > B->last) { set_err(why, whylen, "a step outside the block"); return NULL; }
        for (int f = 0; f < st->nfused; f++)
            if (st->fused[f] < B->first || st->fused[f] > B->last) { set_err(why, whylen, "a step outside the block"); return NULL; }
    }
    if (B->last - B->first + 1 > EXEC_MAX_FUSED + 1) {
        set_err(why, whylen, "%d layers, more than the %d one step lists", B->last - B->first + 1, EXEC_MAX_FUSED + 1);
        return NULL;
    }
    if (ex->steps[s1 - 1].out != net->layers[B->last].out) { set_err(why, whylen, "the last step does not write the block's output"); return NULL; }
    exec_block *k = calloc(1, sizeof *k);
    int *rowsbuf = malloc(2 * (size_t)net->ntensors * sizeof *rowsbuf);
    if (!k || !rowsbuf) goto oom;
    k->net = net;
    k->buf = ex->buf;
    k->b = b;
    k->nsub = s1 - s0;
    k->nth = omp_get_max_threads();
    k->sub = malloc((size_t)k->nsub * sizeof *k->sub);
    k->own = calloc((size_t)k->nsub, sizeof *k->own);
    k->run = calloc((size_t)k->nsub, sizeof *k->run);
    k->loc = malloc(3 * (size_t)k->nsub * sizeof *k->loc);
    k->full = calloc(3 * (size_t)k->nsub, sizeof *k->full);
    k->tloc = malloc((size_t)net->ntensors * sizeof *k->tloc);
    if (!k->sub || !k->own || !k->run || !k->loc || !k->full || !k->tloc) goto oom;
    memcpy(k->sub, ex->steps + s0, (size_t)k->nsub * sizeof *k->sub);
    for (int t = 0; t < net->ntensors; t++) k->tloc[t] = -1;
    for (int j = 0; j < k->nsub; j++) {
        const exec_step *st = &k->sub[j];
        int ins[2] = { st->in, st->in2 };
        for (int q = 0; q < 2; q++)   /* a tensor read before any step of the block writes it: the block's input */
            if (add_loc(k, ins[q])) k->full[k->tloc[ins[q]]] = 1;
        if (!add_loc(k, st->out)) { set_err(why, whylen, "a tensor written twice or read before it is written"); goto fail; }
        int last = j == k->nsub - 1;
        k->full[k->tloc[st->out]] = last;
        if (!last && read_outside(ex, s0, s1, st->out)) {
            set_err(why, whylen, "%s's output is read outside the block", net->layers[st->layer].name);
            goto fail;
        }
        /* our own kernel of the op where the step's has no row entry */
        if (st->k.impl->run_rows) { k->run[j] = &st->k; continue; }
        const kernel_impl *own = NULL;   /* the first of our family's kernels of the op that takes it */
        char e[ERRLEN] = "no own kernel";
        for (int i = 0; (own = kernel_in_family_at(st->k.d.kind, "own", i)); i++)
            if (own->run_rows && !kernel_create(&k->own[j], own, &st->k.d, st->weight, st->bias, e, sizeof e)) break;
        if (!own) {
            set_err(why, whylen, "%s (%s) has no row-range kernel: %s", net->layers[st->layer].name, op_name(st->k.d.kind), e);
            goto fail;
        }
        k->run[j] = &k->own[j];
    }
    for (int l = 0; l < k->nloc; l++)
        if (k->full[l] && !ex->buf[k->loc[l]]) { set_err(why, whylen, "its input is not in memory"); goto fail; }
    if (!(k->cap = calloc((size_t)k->nloc, sizeof *k->cap)) || make_tiles(k, o, rowsbuf)) goto oom;
    k->across = k->nth > 1 && k->ntiles >= k->nth;
    int nbuf = k->across ? k->nth : 1;
    if (!(k->tbuf = calloc((size_t)nbuf * k->nloc, sizeof *k->tbuf))) goto oom;
    for (int th = 0; th < nbuf; th++)
        for (int l = 0; l < k->nloc; l++)
            if (!k->full[l] && !(k->tbuf[th * k->nloc + l] = alloc_aligned(k->cap[l] * sizeof(float)))) goto oom;
    if (k->images > 1) snprintf(k->info, sizeof k->info, "own:block-%di-%s", k->images, isa_name(isa_active()));
    else snprintf(k->info, sizeof k->info, "own:block-%dr-%s", k->rows, isa_name(isa_active()));
    free(rowsbuf);
    return k;
oom:
    set_err(why, whylen, "out of memory");
fail:
    free(rowsbuf);
    exec_block_destroy(k);
    return NULL;
}

/* Tensor l of tile i as its kernels address it: image 0, row 0 (a tile buffer moved back by
 * the rows before the ones it holds; only those rows are touched). */
static float *at(const exec_block *k, float *const *tb, const tile *t, const int *r, int l) {
    if (k->full[l]) return k->buf[k->loc[l]];
    const ir_tensor *x = &k->net->tensors[k->loc[l]];
    size_t before = ((size_t)t->b0 * x->h + (t->b1 - t->b0 > 1 ? 0 : (size_t)r[2 * l])) * x->w * x->c;
    return (float *)((uintptr_t)tb[l] - before * sizeof(float));
}

static void run_tile(const exec_block *k, int i, float *const *tb) {
    const tile *t = &k->tiles[i];
    const int *r = &k->trows[(size_t)i * k->nloc * 2];
    for (int j = 0; j < k->nsub; j++) {
        const exec_step *st = &k->sub[j];
        int lo = k->tloc[st->out], r0 = r[2 * lo], r1 = r[2 * lo + 1], oh = k->net->tensors[st->out].h;
        if (r0 >= r1) continue;
        const kernel *kr = k->run[j];
        const float *in = at(k, tb, t, r, k->tloc[st->in]), *in2 = st->in2 >= 0 ? at(k, tb, t, r, k->tloc[st->in2]) : NULL;
        float *out = at(k, tb, t, r, lo);
        if (r0 == 0 && r1 == oh) kr->impl->run_rows(kr->state, in, in2, out, t->b0 * oh, t->b1 * oh);
        else for (int b = t->b0; b < t->b1; b++) kr->impl->run_rows(kr->state, in, in2, out, b * oh + r0, b * oh + r1);
    }
}

void exec_block_run(exec_block *k) {
    if (!k->across) {
        for (int i = 0; i < k->ntiles; i++) run_tile(k, i, k->tbuf);
        return;
    }
    #pragma omp parallel num_threads(k->nth)
    {
        float *const *tb = k->tbuf + (size_t)omp_get_thread_num() * k->nloc;
        #pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < k->ntiles; i++) run_tile(k, i, tb);
    }
}

void exec_block_adopt(exec_block *k) { k->owns = 1; }

void exec_block_destroy(exec_block *k) {
    if (!k) return;
    for (int j = 0; k->own && j < k->nsub; j++) kernel_destroy(&k->own[j]);
    for (int j = 0; k->owns && j < k->nsub; j++) {
        kernel_destroy(&k->sub[j].k);
        free(k->sub[j].weight);
        free(k->sub[j].bias);
    }
    int nbuf = k->across ? k->nth : 1;
    for (int i = 0; k->tbuf && i < nbuf * k->nloc; i++) free(k->tbuf[i]);
    free(k->tbuf); free(k->sub); free(k->own); free(k->run); free(k->loc); free(k->full); free(k->tloc);
    free(k->tiles); free(k->trows); free(k->cap);
    free(k);
}

static void block_run(void *state, const float *in, const float *in2, float *out) {
    (void)in; (void)in2; (void)out;
    exec_block_run(state);
}

static void block_destroy(void *state) { exec_block_destroy(state); }
static const char *block_info(const void *state) { return ((const exec_block *)state)->info; }

static const kernel_impl block_impl = { .op = OP_CONV, .impl = "own", .family = "", .about = "a block run depth-first (bench/exec_block.c)",
                                        .run = block_run, .destroy = block_destroy, .info = block_info };

void exec_block_kernel(exec_block *blk, kernel *k) {
    memset(k, 0, sizeof *k);
    k->impl = &block_impl;
    k->state = blk;
    k->d = blk->sub[blk->nsub - 1].k.d;
}

void exec_block_tiles(const exec_block *k, int *rows, int *images, int *ntiles, int *across, uint64_t *cache) {
    *rows = k->rows;
    *images = k->images;
    *ntiles = k->ntiles;
    *across = k->across;
    *cache = k->cache;
}
