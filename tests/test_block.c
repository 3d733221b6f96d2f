/* The block executor (bench/exec_block.c) against layer-by-layer execution: every fused
 * block's output equals the layer-by-layer one within the oracle's bound, on narrow
 * instances of the resnet (3x3), multi-shift 4C/8C (avg-pool downsampling, inner residual)
 * and single-shift blocks, at odd resolutions down to 1x1 images, batch 1 and 3, at 1, 2 and
 * 5 threads, at every ISA level of our kernels the CPU runs (SHIFTBENCH_ISA), with tiles of
 * 1, 2, 3 rows and the cache's choice (whole images included). And the row entries of our
 * kernels alone: rows run in pieces equal the whole run exactly.
 *
 * The bound: the layer-by-layer result carries the fp32 dot-product error of the oracle
 * (tests/test_kernels.c), (K + 2) u sum|w x| per element; both runs use the same kernels, so
 * any difference must be well inside it. We allow (K + 2) u max|y| with K the widest
 * reduction of the network, which is below the oracle's bound (sum|w x| >= |y|). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../bench/exec.h"
#include "../bench/exec_block.h"
#include "../common/util.h"
#include "../kernels/isa.h"
#include "../kernels/runtime.h"

static int load(const char *name, const char *widths, int stem, int res, int batch, const char *blocks, network *net) {
    char w[64], s[32], r[32], b[32], bl[48];
    snprintf(w, sizeof w, "widths=%s", widths);
    snprintf(s, sizeof s, "stem_width=%d", stem);
    snprintf(r, sizeof r, "resolution=%d", res);
    snprintf(b, sizeof b, "batch=%d", batch);
    snprintf(bl, sizeof bl, "blocks=%s", blocks);
    ir_overrides ov = { 6, { w, s, r, b, "classes=7", bl } };
    char err[ERRLEN];
    if (network_load(name, &ov, net, err, sizeof err)) {
        CHECK(0, "%s: %s", name, err);
        return -1;
    }
    return 0;
}

static int widest_k(const network *net) {
    int k = 1;
    for (int i = 0; i < net->nlayers; i++) {
        const op_desc *d = &net->layers[i].d;
        int kk = d->c * (d->kind == OP_CONV ? d->kh * d->kw : 1);
        if (kk > k) k = kk;
    }
    return k;
}

static int nlevels;
static isa_level levels[ISA_COUNT];

/* One network: layer by layer once, then fused at every level, thread count and tile. */
static void compare_net(const char *label, const network *net) {
    char err[ERRLEN];
    executor lay;
    exec_opts lo = { .impl = "own", .seed = 7, .fuse = EXEC_FUSE_LAYER };
    runtime_set_threads(1);
    unsetenv("SHIFTBENCH_ISA");
    if (exec_plan(&lay, net, &lo, err, sizeof err)) { CHECK(0, "%s: layer plan: %s", label, err); return; }
    double tol = (widest_k(net) + 2) * (FLT_EPSILON / 2);
    static const int threads[] = { 1, 2, 5 }, rows[] = { 0, 1, 2, 3 };
    for (int l = 0; l < nlevels; l++)
        for (int ti = 0; ti < 3; ti++)
            for (int ri = 0; ri < 4; ri++) {
                setenv("SHIFTBENCH_ISA", isa_name(levels[l]), 1);
                runtime_set_threads(threads[ti]);
                executor blk;
                exec_opts bo = lo;
                bo.fuse = EXEC_FUSE_BLOCK;
                bo.tile.rows = rows[ri];
                if (exec_plan(&blk, net, &bo, err, sizeof err)) { CHECK(0, "%s: block plan: %s", label, err); continue; }
                exec_forward(&blk);
                int fused = 0, bad = 0;
                for (int i = 0; i < blk.nsteps; i++) {
                    if (blk.steps[i].block < 0) continue;
                    fused++;
                    int t = blk.steps[i].out;
                    const ir_tensor *x = &net->tensors[t];
                    size_t n = (size_t)x->n * x->h * x->w * x->c;
                    double mx = 0, worst = 0;
                    for (size_t e = 0; e < n; e++) mx = fmax(mx, fabs(lay.buf[t][e]));
                    for (size_t e = 0; e < n; e++) worst = fmax(worst, fabs((double)blk.buf[t][e] - lay.buf[t][e]));
                    if (!(worst <= tol * mx)) {
                        bad++;
                        CHECK(0, "%s %s t%d rows %d: block %s differs by %g (bound %g)", label, isa_name(levels[l]), threads[ti],
                              rows[ri], exec_step_name(&blk, i), worst, tol * mx);
                    }
                }
                const ir_tensor *y = &net->tensors[net->output];
                size_t ny = (size_t)y->n * y->c;
                double ly = 0, dy = 0;
                for (size_t e = 0; e < ny; e++) {
                    ly = fmax(ly, fabs(exec_output(&lay)[e]));
                    dy = fmax(dy, fabs((double)exec_output(&blk)[e] - exec_output(&lay)[e]));
                }
                CHECK(!bad && dy <= tol * ly, "%s %s t%d rows %d: logits differ by %g", label, isa_name(levels[l]), threads[ti],
                      rows[ri], dy);
                /* every body block fuses; the head (global average pool) never does, and says why */
                CHECK(fused == net->nblocks - 1, "%s: %d of %d blocks fused", label, fused, net->nblocks - 1);
                int head = net->nblocks - 1;
                CHECK(blk.block_note && strstr(blk.block_note[head], "not fused: ") &&
                      strstr(blk.block_note[head], "no row-range kernel"), "%s: head: %s", label,
                      blk.block_note ? blk.block_note[head] : "(none)");
                exec_free(&blk);
            }
    exec_free(&lay);
    unsetenv("SHIFTBENCH_ISA");
    runtime_set_threads(1);
}

static void blocks(void) {
    static const struct { const char *name, *widths; int stem, res, batch; const char *blocks; } nets[] = {
        { "resnet50", "8,12,16,10", 8, 17, 1, "1,2,1,1" },          /* down to 1x1 images */
        { "resnet50", "8,12,16,10", 8, 37, 3, "2,1,1,1" },          /* odd sizes, batch 3 */
        { "multi-shift-4c-50", "10,12,18,20", 11, 33, 1, "1,2,1,1" },   /* 2x2 avg pools to 1x1 */
        { "multi-shift-4c-50", "10,12,18,20", 11, 45, 3, "2,1,1,1" },
        { "multi-shift-8c-50", "10,12,18,20", 11, 45, 1, "1,2,1,1" },
        { "multi-shift-8c-50", "10,12,18,20", 11, 33, 3, "1,1,1,1" },
        { "single-shift-4c-50", "10,12,18,20", 11, 41, 2, "1,1,2,1" },
        { "single-shift-8c-50", "10,12,18,20", 11, 29, 1, "1,1,1,1" },
    };
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
        network net;
        if (load(nets[i].name, nets[i].widths, nets[i].stem, nets[i].res, nets[i].batch, nets[i].blocks, &net)) continue;
        char label[96];
        snprintf(label, sizeof label, "%s %dx%d b%d", nets[i].name, nets[i].res, nets[i].res, nets[i].batch);
        compare_net(label, &net);
        network_free(&net);
    }
}

/* With ref (no fused shift: a shift is its own step, and no kernel of ours runs a shift by
 * rows) a shift block stays layer by layer, and says which layer; with best and no choice,
 * blocks are timed (auto) and either way the result is the same. */
static void not_fused(void) {
    network net;
    if (load("multi-shift-4c-50", "10,12,18,20", 11, 33, 1, "1,1,1,1", &net)) return;
    char err[ERRLEN];
    executor ex;
    exec_opts o = { .impl = "ref", .seed = 7, .fuse = EXEC_FUSE_BLOCK };
    runtime_set_threads(1);
    if (exec_plan(&ex, &net, &o, err, sizeof err) == 0) {
        int b1 = net.layers[ex.steps[3].layer].block;
        CHECK(ex.block_note && strstr(ex.block_note[b1], "shift") && strstr(ex.block_note[b1], "no row-range kernel"),
              "ref shift block: %s", ex.block_note ? ex.block_note[b1] : "(none)");
        exec_free(&ex);
    } else CHECK(0, "ref plan: %s", err);
    exec_opts a = { .impl = "best", .seed = 7, .best_time = 0.0005 };
    executor lay;
    exec_opts lo = { .impl = "own", .seed = 7, .fuse = EXEC_FUSE_LAYER };
    if (exec_plan(&ex, &net, &a, err, sizeof err) == 0 && exec_plan(&lay, &net, &lo, err, sizeof err) == 0) {
        int noted = 0;
        for (int b = 0; b < net.nblocks; b++) noted += ex.block_note[b][0] != 0;
        int fused = 0;
        for (int i = 0; i < ex.nsteps; i++) fused += ex.steps[i].block >= 0;
        CHECK(noted + fused == net.nblocks, "auto: every block fused or noted (%d + %d of %d)", fused, noted, net.nblocks);
        const ir_tensor *y = &net.tensors[net.output];
        double d = 0, m = 0;
        for (int e = 0; e < y->n * y->c; e++) {
            d = fmax(d, fabs((double)exec_output(&ex)[e] - exec_output(&lay)[e]));
            m = fmax(m, fabs(exec_output(&lay)[e]));
        }
        CHECK(d <= 1e-4 * m, "best (auto) logits vs own layer by layer: %g of %g", d, m);
        exec_free(&ex);
        exec_free(&lay);
    } else CHECK(0, "best plan: %s", err);
    network_free(&net);
}

/* Each of our kernels with a row entry: rows [r0, r1) in pieces of 1..3 rows equal one whole
 * run, bit for bit, and a piece writes nothing outside its rows. */
static void row_entries(void) {
    static const op_desc ds[] = {
        { .kind = OP_CONV, .n = 2, .h = 9, .w = 7, .c = 13, .oc = 21, .kh = 3, .kw = 3, .stride = 2, .pad = 1 },
        { .kind = OP_CONV, .n = 2, .h = 9, .w = 7, .c = 13, .oc = 21, .kh = 1, .kw = 1, .stride = 1, .relu = 1 },
        { .kind = OP_SHIFTCONV, .n = 3, .h = 5, .w = 6, .c = 19, .oc = 33, .stride = 1, .conn = 8 },
        { .kind = OP_SHIFTCONV, .n = 1, .h = 7, .w = 5, .c = 15, .oc = 17, .stride = 2, .conn = 4 },
        { .kind = OP_MAXPOOL, .n = 2, .h = 9, .w = 9, .c = 20, .kh = 3, .kw = 3, .stride = 2, .pad = 1 },
        { .kind = OP_AVGPOOL, .n = 2, .h = 7, .w = 5, .c = 20, .kh = 2, .kw = 2, .stride = 2 },
        { .kind = OP_ADD, .n = 2, .h = 3, .w = 5, .c = 20, .relu = 1 },
        { .kind = OP_RELU, .n = 2, .h = 3, .w = 5, .c = 20 },
    };
    uint64_t rng = 3;
    for (int l = 0; l < nlevels; l++) {
        setenv("SHIFTBENCH_ISA", isa_name(levels[l]), 1);
        for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
            op_desc d = ds[i];
            char err[ERRLEN];
            if (op_check(&d, err, sizeof err)) { CHECK(0, "desc %zu: %s", i, err); continue; }
            const kernel_impl *own = kernel_find(d.kind, "own");
            CHECK(own && own->run_rows, "own %s has a row entry", op_name(d.kind));
            if (!own || !own->run_rows) continue;
            size_t ni = op_in_count(&d), no = op_out_count(&d), nw = op_weight_count(&d), nb = op_bias_count(&d);
            float *in = malloc(ni * sizeof *in), *in2 = malloc(no * sizeof *in2), *w = malloc((nw + 1) * sizeof *w);
            float *b = malloc((nb + 1) * sizeof *b), *a = malloc(no * sizeof *a), *p = malloc(no * sizeof *p);
            exec_fill_random(in, ni, 1, &rng);
            exec_fill_random(in2, no, 1, &rng);
            exec_fill_random(w, nw + 1, 0.5f, &rng);
            exec_fill_random(b, nb + 1, 0.5f, &rng);
            kernel k;
            if (kernel_create(&k, own, &d, w, b, err, sizeof err)) { CHECK(0, "create: %s", err); goto next; }
            const float *r2 = d.kind == OP_ADD || d.kind == OP_CONV ? in2 : NULL;
            kernel_run(&k, in, r2, a);
            for (size_t e = 0; e < no; e++) p[e] = NAN;
            int rows = d.n * d.oh;
            for (int r0 = 0, step = 1; r0 < rows; r0 += step, step = step % 3 + 1)
                own->run_rows(k.state, in, r2, p, r0, r0 + step < rows ? r0 + step : rows);
            CHECK(!memcmp(a, p, no * sizeof *a), "%s %s: rows in pieces equal the whole run", isa_name(levels[l]),
                  op_name(d.kind));
            for (size_t e = 0; e < no; e++) p[e] = NAN;
            own->run_rows(k.state, in, r2, p, 1, 2);
            size_t row = (size_t)d.ow * d.oc, bad = 0;
            for (size_t e = 0; e < no; e++) bad += (e >= row && e < 2 * row) == isnan(p[e]);
            CHECK(!bad, "%s %s: row 1 alone writes row 1 only (%zu wrong)", isa_name(levels[l]), op_name(d.kind), bad);
            kernel_destroy(&k);
        next:
            free(in); free(in2); free(w); free(b); free(a); free(p);
        }
    }
    unsetenv("SHIFTBENCH_ISA");
}

int main(void) {
    const isa_level *all;
    for (int i = 0, n = isa_levels(&all); i < n; i++)
        if (isa_supported(all[i])) levels[nlevels++] = all[i];
    row_entries();
    blocks();
    not_fused();
    return check_done("test_block");
}
