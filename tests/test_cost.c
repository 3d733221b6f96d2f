/* The cost model against torchvision's published counts and hand-computed small cases;
 * the IR's names and wiring; receptive-field shapes of 4C and 8C twins. */
#include <stdlib.h>
#include <string.h>

#include "../analysis/cost.h"
#include "../common/util.h"
#include "check.h"
#include "net_load.h"


static void torchvision(const char *name, uint64_t params, uint64_t macs) {
    network net;
    network_cost nc;
    if (load(name, &net, &nc, NULL)) { CHECK(0, "%s loads", name); return; }
    CHECK(nc.total.params == params, "%s params %llu, torchvision %llu", name, (unsigned long long)nc.total.params,
          (unsigned long long)params);
    CHECK(nc.total.macs == macs, "%s MACs %llu, torchvision %llu", name, (unsigned long long)nc.total.macs,
          (unsigned long long)macs);
    network_free(&net);
    network_cost_free(&nc);
}

/* A tiny network whose counts are easy by hand: stem 8 ch at 16x16, one stage, one block. */
static void hand_computed(void) {
    const char *kv[] = { "blocks=1", "widths=4", "stem_width=8", "resolution=16", "classes=10", "expansion=4" };
    ir_overrides ov = { 6, { kv[0], kv[1], kv[2], kv[3], kv[4], kv[5] } };
    network net;
    network_cost nc;
    if (load("resnet50", &net, &nc, &ov)) { CHECK(0, "tiny loads"); return; }
    /* conv1: 7x7/2 pad 3, 3->8 on 16x16 -> 8x8; params 8*3*49 + BN 16; MACs 8*8*8*3*49 */
    const ir_layer *c1 = find(&net, "conv1");
    cost c;
    layer_cost(c1, &c);
    CHECK(c1 && c1->d.oh == 8 && c.params == 8 * 3 * 49 + 16 && c.macs == 8 * 8 * 8 * 3 * 49, "conv1 by hand");
    CHECK(c.bytes == 4ull * (16 * 16 * 3 + 8 * 3 * 49 + 8 + 8 * 8 * 8), "conv1 bytes %llu", (unsigned long long)c.bytes);
    /* maxpool 3x3/2 pad 1: 8x8 -> 4x4 */
    const ir_layer *mp = find(&net, "maxpool");
    CHECK(mp && mp->d.oh == 4 && mp->d.ow == 4, "maxpool 8->4");
    /* block: 8 -> conv1 1x1 4 -> conv2 3x3 4 -> conv3 1x1 16, projection 8->16 at 4x4 */
    const ir_layer *b2 = find(&net, "layer1.0.conv2");
    layer_cost(b2, &c);
    CHECK(b2 && c.macs == 16ull * 4 * 4 * 9 && c.params == 4 * 4 * 9 + 8, "layer1.0.conv2 by hand");
    const ir_layer *ds = find(&net, "layer1.0.downsample.0");
    CHECK(ds && !strcmp(ds->bn, "layer1.0.downsample.1") && ds->d.oc == 16, "projection shortcut");
    const ir_layer *fc = find(&net, "fc");
    layer_cost(fc, &c);
    CHECK(fc && c.params == 16 * 10 + 10 && c.macs == 160, "fc by hand");
    uint64_t macs = 8 * 8 * 8 * 3 * 49 + 16 * (8 * 4 + 4 * 4 * 9 + 4 * 16 + 8 * 16) + 160;
    CHECK(nc.total.macs == macs, "tiny total MACs %llu, by hand %llu", (unsigned long long)nc.total.macs,
          (unsigned long long)macs);
    const ir_layer *add = find(&net, "layer1.0.add");
    layer_cost(add, &c);
    CHECK(add && add->in2 >= 0 && c.flops == 16 * 16 && c.bytes == 4ull * 3 * 16 * 16, "residual add");
    network_free(&net);
    network_cost_free(&nc);
}

static void twins(const char *a, const char *b) {
    network na, nb;
    network_cost ca, cb;
    if (load(a, &na, &ca, NULL) || load(b, &nb, &cb, NULL)) { CHECK(0, "%s/%s load", a, b); return; }
    CHECK(ca.total.params == cb.total.params && ca.total.macs == cb.total.macs, "%s and %s: same params and MACs", a, b);
    rf_t *ra = receptive_fields(&na), *rb = receptive_fields(&nb);
    /* the stack of shifts after the stem: compare the RF growth of the first block alone */
    const ir_block *blk = &na.blocks[1];
    rf_t da = ra[na.layers[blk->last].out], db = rb[nb.layers[nb.blocks[1].last].out];
    rf_t sa = ra[na.layers[blk->first].in], sb = rb[nb.layers[nb.blocks[1].first].in];
    for (int k = 0; k < 8; k++) { da.h[k] -= sa.h[k]; db.h[k] -= sb.h[k]; }
    rf_summary ga = rf_summarize(&da), gb = rf_summarize(&db);
    CHECK(!strcmp(ga.shape, "diamond"), "%s block growth is a diamond (got %s %.2f)", a, ga.shape, ga.squareness);
    CHECK(!strcmp(gb.shape, "square"), "%s block growth is a square (got %s %.2f)", b, gb.shape, gb.squareness);
    rf_summary fa = rf_summarize(&ra[na.layers[na.blocks[na.nblocks - 2].last].out]),
               fb = rf_summarize(&rb[nb.layers[nb.blocks[nb.nblocks - 2].last].out]);
    CHECK(fa.squareness < fb.squareness, "%s is less square than %s (%.2f vs %.2f)", a, b, fa.squareness, fb.squareness);
    free(ra);
    free(rb);
    network_free(&na);
    network_free(&nb);
    network_cost_free(&ca);
    network_cost_free(&cb);
}

static void every_instance(void) {
    char **names;
    int n = arch_list(&names);
    CHECK(n >= 14, "at least the 14 named instances (%d)", n);
    for (int i = 0; i < n; i++) {
        network net;
        network_cost nc;
        CHECK(load(names[i], &net, &nc, NULL) == 0, "%s costs", names[i]);
        if (net.layers) { network_free(&net); network_cost_free(&nc); }
        free(names[i]);
    }
    free(names);
}

static void multi_shift_wiring(void) {
    network net;
    network_cost nc, rc;
    network r;
    if (load("multi-shift-4c-50", &net, &nc, NULL) || load("resnet50", &r, &rc, NULL)) { CHECK(0, "loads"); return; }
    const ir_layer *add2 = find(&net, "layer2.0.add2"), *pool = find(&net, "layer2.0.pool");
    CHECK(add2 && pool && add2->in2 == pool->out, "inner residual adds conv2's input (the pooled tensor)");
    CHECK(find(&net, "layer2.0.shift1") && find(&net, "layer2.0.shift2") && find(&net, "layer2.0.shift3"), "three shifts");
    /* the authors' layout: the pool outside downsample = (conv1x1, BN) */
    const ir_layer *ds = find(&net, "layer2.0.downsample.0"), *sp = find(&net, "layer2.0.shortcut_pool");
    CHECK(ds && ds->d.stride == 1 && !strcmp(ds->bn, "layer2.0.downsample.1") && sp && sp->d.kind == OP_AVGPOOL &&
          ds->in == sp->out && !find(&net, "layer2.0.downsample.2"), "pooled shortcut");
    double pr = (double)nc.total.params / rc.total.params, mr = (double)nc.total.macs / rc.total.macs;
    CHECK(pr < 0.62 && mr < 0.62, "multi-shift-4c-50 >38%% cheaper than resnet50 (params x%.3f, MACs x%.3f)", pr, mr);
    network_free(&net);
    network_free(&r);
    network_cost_free(&nc);
    network_cost_free(&rc);
}

static void flat35(void) {
    network net;
    network_cost nc;
    if (load("flat-shift-4c-35", &net, &nc, NULL)) { CHECK(0, "loads"); return; }
    int weighted = 0;
    for (int i = 0; i < net.nlayers; i++)
        if ((net.layers[i].d.kind == OP_CONV || net.layers[i].d.kind == OP_FC) && !strstr(net.layers[i].name, "downsample"))
            weighted++;
    CHECK(weighted == 35, "flat-shift-4c-35 has 35 weighted layers on its main path (%d)", weighted);
    const ir_layer *c = find(&net, "layer3.0.conv2");
    CHECK(c && c->d.c == 1024 && c->d.oc == 1024, "flattened: full width 1024 in stage 3");
    network_free(&net);
    network_cost_free(&nc);
}

static uint64_t exec_of(op_desc d) {
    char err[ERRLEN];
    cost c;
    if (op_check(&d, err, sizeof err) || op_cost(&d, &c)) { CHECK(0, "descriptor: %s", err); return 0; }
    return c.exec_macs;
}

/* Executed MACs by brute force: every (pixel, tap or group row) whose source is inside. */
static uint64_t exec_brute(op_desc d) {
    char err[ERRLEN];
    if (op_check(&d, err, sizeof err)) return 0;
    uint64_t n = 0;
    int shifted = d.kind == OP_SHIFTCONV;
    for (int oy = 0; oy < d.oh; oy++)
        for (int ox = 0; ox < d.ow; ox++)
            for (int ci = 0; ci < d.c; ci++)
                for (int ky = 0; ky < d.kh; ky++)
                    for (int kx = 0; kx < d.kw; kx++) {
                        int y = oy * d.stride - d.pad + ky, x = ox * d.stride - d.pad + kx, dh = 0, dw = 0;
                        if (shifted) shift_channel_disp(&d, ci, &dh, &dw);
                        y -= dh, x -= dw;
                        n += y >= 0 && y < d.h && x >= 0 && x < d.w;
                    }
    return n * d.oc * d.n;
}

/* Executed MACs: padding taps and a shifted group's zero rows left out, by hand. */
static void executed_macs(void) {
    /* 3x3 pad 1 on 7x7: per axis 2 + 5*3 + 2 = 19 taps of 21, so 361 of 441 (18.1% fewer) */
    op_desc c3 = { .kind = OP_CONV, .n = 1, .h = 7, .w = 7, .c = 2, .oc = 3, .kh = 3, .kw = 3, .stride = 1, .pad = 1 };
    cost c;
    char err[ERRLEN];
    uint64_t e = exec_of(c3);
    op_check(&c3, err, sizeof err);
    op_cost(&c3, &c);
    CHECK(c.macs == 441 * 6 && e == 361 * 6, "3x3 pad 1 on 7x7: %llu of %llu executed", (unsigned long long)e,
          (unsigned long long)c.macs);
    CHECK(c.exec_flops == 2 * e && c.flops == 2 * c.macs, "exec_flops = 2 x exec_macs");
    /* 7x7/2 pad 3 on 8x8 -> 4x4: per axis (rows -3..3, -1..5, 1..7, 3..9 clipped) 4+6+7+5 = 22 */
    op_desc c7 = { .kind = OP_CONV, .n = 2, .h = 8, .w = 8, .c = 3, .oc = 4, .kh = 7, .kw = 7, .stride = 2, .pad = 3 };
    CHECK(exec_of(c7) == 22ull * 22 * 3 * 4 * 2, "7x7/2 pad 3 on 8x8 by hand");
    op_desc c1 = { .kind = OP_CONV, .n = 1, .h = 5, .w = 5, .c = 4, .oc = 2, .kh = 1, .kw = 1, .stride = 2 };
    CHECK(exec_of(c1) == 9 * 8, "1x1 without padding: all executed");
    /* fused 4C shift+1x1, c 10 (4 groups of 2, centre 2) on 4x4: a shifted group loses its
     * border row or column (12 of 16 pixels); 3 x (4*2*12 + 2*16) = 384 of 480 */
    op_desc s4 = { .kind = OP_SHIFTCONV, .n = 1, .h = 4, .w = 4, .c = 10, .oc = 3, .kh = 1, .kw = 1, .stride = 1, .conn = 4 };
    CHECK(exec_of(s4) == 384, "4C shift+1x1 on 4x4 by hand (%llu)", (unsigned long long)exec_of(s4));
    /* stride 2 on 5x5 -> 3x3: every shifted group reads 2 x 3 inside, centre 9: 3 x (8*6 + 2*9) */
    op_desc s2 = s4;
    s2.h = s2.w = 5, s2.stride = 2;
    CHECK(exec_of(s2) == 198, "4C shift+1x1 stride 2 on 5x5 by hand (%llu)", (unsigned long long)exec_of(s2));
    /* 8C: diagonal groups lose a row and a column: 9 of 16 pixels; axis groups 12; c 18 = 8*2 + 2 */
    op_desc s8 = { .kind = OP_SHIFTCONV, .n = 1, .h = 4, .w = 4, .c = 18, .oc = 1, .kh = 1, .kw = 1, .stride = 1, .conn = 8 };
    CHECK(exec_of(s8) == 4 * 2 * 9 + 4 * 2 * 12 + 2 * 16, "8C shift+1x1 on 4x4 by hand");
    /* a displacement past the image: its group's rows are all zero. c 2 = 1 + 1 unmoved */
    op_desc far = { .kind = OP_SHIFTCONV, .n = 1, .h = 4, .w = 4, .c = 2, .oc = 3, .kh = 1, .kw = 1, .stride = 1 };
    CHECK(shift_parse("5,0", &far, err, sizeof err) == 0 && exec_of(far) == 3 * 16, "a shift past the image by hand (%llu)",
          (unsigned long long)exec_of(far));
    static const char *const tables[] = { "c/12:0,1:0,-1:1,0:-1,0", "i:-1,-1:-1,0:-1,1:0,-1:0,0:0,1:1,-1:1,0:1,1",
                                          "2,0:0,2:-2,0:0,-2", "c=2:3,-1:0,7:-1,-1" };
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        op_desc t = { .kind = OP_SHIFTCONV, .n = 2, .h = 7, .w = 5, .c = 30, .oc = 3, .kh = 1, .kw = 1, .stride = 1 + (int)(i % 2) };
        CHECK(shift_parse(tables[i], &t, err, sizeof err) == 0, "parse %s", tables[i]);
        CHECK(exec_of(t) == exec_brute(t), "table %s: executed MACs %llu, brute force %llu", tables[i],
              (unsigned long long)exec_of(t), (unsigned long long)exec_brute(t));
    }
    static const op_desc shapes[] = {
        { .kind = OP_CONV, .n = 1, .h = 9, .w = 6, .c = 3, .oc = 2, .kh = 3, .kw = 5, .stride = 2, .pad = 2 },
        { .kind = OP_CONV, .n = 3, .h = 3, .w = 3, .c = 1, .oc = 1, .kh = 3, .kw = 3, .stride = 1, .pad = 2 },
        { .kind = OP_SHIFTCONV, .n = 2, .h = 7, .w = 3, .c = 23, .oc = 2, .kh = 1, .kw = 1, .stride = 3, .conn = 8 },
        { .kind = OP_SHIFTCONV, .n = 1, .h = 1, .w = 1, .c = 5, .oc = 2, .kh = 1, .kw = 1, .stride = 1, .conn = 4 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        CHECK(exec_of(shapes[i]) == exec_brute(shapes[i]), "shape %zu: executed MACs %llu, brute force %llu", i,
              (unsigned long long)exec_of(shapes[i]), (unsigned long long)exec_brute(shapes[i]));
    /* A network: a 1x1 reading a shift counts as fused, in the totals and in a fused step */
    network net;
    network_cost nc;
    if (load("multi-shift-4c-50", &net, &nc, NULL)) { CHECK(0, "loads"); return; }
    int conv = -1, sh = -1;
    for (int i = 0; i < net.nlayers; i++)
        if (!strcmp(net.layers[i].name, "layer1.0.conv1")) conv = i;
        else if (!strcmp(net.layers[i].name, "layer1.0.shift1")) sh = i;
    CHECK(conv >= 0 && sh >= 0 && net.layers[conv].in == net.layers[sh].out, "layer1.0.shift1 feeds conv1");
    if (conv >= 0 && sh >= 0) {
        op_desc f = net.layers[conv].d;
        f.kind = OP_SHIFTCONV, f.conn = 4;
        uint64_t want = exec_of(f);
        int both[2] = { sh, conv };
        fused_cost(&net, both, 2, &c);
        CHECK(nc.layer[conv].exec_macs == want && c.exec_macs == want && want < nc.layer[conv].macs,
              "conv1 after a shift: executed %llu (fused step %llu) of %llu", (unsigned long long)nc.layer[conv].exec_macs,
              (unsigned long long)c.exec_macs, (unsigned long long)nc.layer[conv].macs);
        fused_cost(&net, &conv, 1, &c);
        CHECK(c.exec_macs == c.macs, "conv1 run alone (unfused) executes every MAC");
    }
    network_free(&net);
    network_cost_free(&nc);
}

int main(void) {
    torchvision("resnet50", 25557032, 4089184256ull);
    torchvision("resnet101", 44549160, 7801405440ull);
    hand_computed();
    twins("single-shift-4c-50", "single-shift-8c-50");
    twins("multi-shift-4c-50", "multi-shift-8c-50");
    every_instance();
    multi_shift_wiring();
    flat35();
    executed_macs();
    return check_done("test_cost");
}
