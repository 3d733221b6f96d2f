/* The fusion pass (analysis/fuse.h) without kernels: its rules on hand-made IR and on the
 * shipped networks, every layer covered exactly once, and the fused traffic bounds. */
#include <stdlib.h>
#include <string.h>

#include "../analysis/fuse.h"
#include "../common/util.h"
#include "check.h"

static const fuse_caps NONE = { 0, FUSE_ADD_APART }, ALL = { 1, FUSE_ADD_INSIDE }, TIMED = { 1, FUSE_ADD_TIMED };

/* conv(x)->a, relu(a)->b, shift(b)->c, conv1x1(c)->d, add(d, x)->e, relu(e)->f: one
 * bottleneck's tail on 8x8x10. read_twice: a second reader of c (the shift output). */
static void tiny(network *net, ir_tensor *t, ir_layer *L, int read_twice) {
    memset(net, 0, sizeof *net);
    for (int i = 0; i < 8; i++) t[i] = (ir_tensor){ 1, 8, 8, 10 };
    op_desc conv = { .kind = OP_CONV, .n = 1, .h = 8, .w = 8, .c = 10, .oh = 8, .ow = 8, .oc = 10, .kh = 3, .kw = 3, .stride = 1, .pad = 1 };
    op_desc c1 = conv, sh = conv, ad = conv, re = conv;
    c1.kh = c1.kw = 1, c1.pad = 0;
    sh.kind = OP_SHIFT, sh.kh = sh.kw = 0, sh.pad = 0, sh.conn = 4;
    ad.kind = OP_ADD, re.kind = OP_RELU;
    const op_desc *d[] = { &conv, &re, &sh, &c1, &ad, &re, &re };
    int in[] = { 0, 1, 2, 3, 4, 5, 3 }, in2[] = { -1, -1, -1, -1, 0, -1, -1 };
    int n = read_twice ? 7 : 6;
    for (int i = 0; i < n; i++) {
        memset(&L[i], 0, sizeof L[i]);
        snprintf(L[i].name, IR_NAME, "l%d", i);
        L[i].d = *d[i];
        L[i].in = in[i], L[i].in2 = in2[i], L[i].out = i + 1, L[i].block = 0;
    }
    if (read_twice) L[6].out = 7;
    net->tensors = t, net->ntensors = 8, net->layers = L, net->nlayers = n, net->input = 0, net->output = n;
}

static void rules(void) {
    network net;
    ir_tensor t[8];
    ir_layer L[7];
    fuse_step s[7];
    tiny(&net, t, L, 0);
    int n = fuse_plan(&net, &NONE, s);
    CHECK(n == 4, "no caps: conv+relu, shift, conv1x1, add+relu: %d steps", n);
    CHECK(n == 4 && s[0].d.relu && s[1].d.kind == OP_SHIFT && s[2].add < 0 && s[3].d.kind == OP_ADD && s[3].d.relu,
          "no caps: ReLUs in their producers, nothing else fused");
    n = fuse_plan(&net, &ALL, s);
    CHECK(n == 2 && s[1].d.kind == OP_SHIFTCONV && s[1].layer == 3 && s[1].fused[0] == 2 && s[1].add == 4 &&
          s[1].add_relu == 5 && s[1].res == 0 && s[1].add_mode == FUSE_ADD_INSIDE,
          "all caps: shift and the residual add (with its ReLU) inside the 1x1: %d steps", n);
    int layers[1 + FUSE_MAX];
    CHECK(n == 2 && fuse_step_layers(&s[1], 0, layers) == 4 && fuse_step_last(&s[1]) == 5, "the step covers 2..5");
    n = fuse_plan(&net, &TIMED, s);
    CHECK(n == 2 && s[1].add_mode == FUSE_ADD_TIMED && fuse_step_layers(&s[1], 0, layers) == 2 &&
          fuse_step_layers(&s[1], 1, layers) == 4, "timed: the add is a candidate, inside only when timed faster");
    tiny(&net, t, L, 0);   /* ReLU6 layers: their clamp goes into the producer's epilogue */
    L[1].d.relu_max = 6;
    L[5].d.relu_max = 6;
    n = fuse_plan(&net, &NONE, s);
    CHECK(n == 4 && s[0].d.relu && s[0].d.relu_max == 6 && s[3].d.relu && s[3].d.relu_max == 6 && s[1].d.relu_max == 0,
          "ReLU6 fused with its clamp");
    tiny(&net, t, L, 1);   /* the shift's output is read twice: it must exist, so no shiftconv */
    n = fuse_plan(&net, &ALL, s);
    CHECK(n == 4 && s[1].d.kind == OP_SHIFT && s[2].d.kind == OP_CONV, "a tensor read twice is never fused away");
}

/* Every layer in exactly one step; the plan's traffic between the blocks' and the layers'. */
static void shipped(const char *name, const fuse_caps *caps) {
    network net;
    network_cost nc;
    char err[ERRLEN];
    const char *kv[] = { "batch=2" };
    ir_overrides ov = { 1, { kv[0] } };
    if (network_load(name, &ov, &net, err, sizeof err) || network_cost_of(&net, &nc, err, sizeof err)) {
        CHECK(0, "%s: %s", name, err);
        return;
    }
    fuse_step *s = calloc((size_t)net.nlayers, sizeof *s);
    int *seen = calloc((size_t)net.nlayers, sizeof *seen), n = fuse_plan(&net, caps, s), ok = n > 0, shifts = 0;
    for (int i = 0; i < n; i++) {
        int layers[1 + FUSE_MAX], k = fuse_step_layers(&s[i], 1, layers);
        for (int j = 0; j < k; j++) seen[layers[j]]++;
        shifts += s[i].d.kind == OP_SHIFT;
        if (s[i].d.kind == OP_SHIFTCONV && !(net.layers[s[i].fused[0]].d.kind == OP_SHIFT)) ok = 0;
    }
    for (int i = 0; i < net.nlayers; i++) ok &= seen[i] == 1;
    CHECK(ok, "%s: every layer in exactly one step", name);
    CHECK(!caps->shiftconv || shifts == 0, "%s: every shift inside a 1x1 (%d apart)", name, shifts);
    uint64_t plan, blocks;
    CHECK(fuse_plan_bytes(&net, s, n, &plan) == 0 && fuse_block_bytes(&net, &blocks) == 0, "%s: traffic counts", name);
    CHECK(blocks <= plan && plan <= nc.total.bytes,
          "%s: block traffic %llu <= step traffic %llu <= per-layer %llu", name, (unsigned long long)blocks,
          (unsigned long long)plan, (unsigned long long)nc.total.bytes);
    free(s);
    free(seen);
    network_free(&net);
    network_cost_free(&nc);
}

/* Block input rows [r0, r1) that the block's output rows [y0, y1) need. */
static void halo(const char *name, const char *block, int y0, int y1, int r0, int r1) {
    network net;
    char err[ERRLEN];
    if (network_load(name, NULL, &net, err, sizeof err)) { CHECK(0, "%s: %s", name, err); return; }
    int b = 0;
    while (b < net.nblocks && strcmp(net.blocks[b].name, block)) b++;
    int *rows = calloc(2 * (size_t)net.ntensors, sizeof *rows);
    if (b < net.nblocks && rows) {
        fuse_block_rows(&net, b, y0, y1, rows);
        int in = net.layers[net.blocks[b].first].in;
        CHECK(rows[2 * in] == r0 && rows[2 * in + 1] == r1, "%s %s: output rows [%d, %d) need input rows [%d, %d), not [%d, %d)",
              name, block, y0, y1, r0, r1, rows[2 * in], rows[2 * in + 1]);
        int full = fuse_tile_rows(&net, b, UINT64_MAX), one = fuse_tile_rows(&net, b, 1);
        CHECK(full == net.tensors[net.layers[net.blocks[b].last].out].h && one == 1,
              "%s %s: tile rows %d with an unbounded cache, %d with none", name, block, full, one);
    } else CHECK(0, "%s: block %s", name, block);
    free(rows);
    network_free(&net);
}

int main(void) {
    rules();
    halo("resnet50", "layer1.1", 10, 11, 9, 12);            /* one 3x3: a row either side */
    halo("resnet50", "layer2.0", 0, 1, 0, 2);               /* the 3x3 at stride 2, clipped at the top */
    halo("multi-shift-4c-50", "layer1.1", 10, 11, 7, 14);   /* three shifts: three rows either side */
    halo("multi-shift-4c-50", "layer1.1", 0, 56, 0, 56);
    const char *nets[] = { "resnet50", "multi-shift-4c-50", "multi-shift-8c-50", "single-shift-4c-50", "flat-shift-8c-35" };
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
        shipped(nets[i], &NONE);
        shipped(nets[i], &ALL);
        shipped(nets[i], &TIMED);
    }
    return check_done("test_fuse");
}
