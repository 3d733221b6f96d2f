/* The resnet family: a 7x7/2 stem and 3x3/2 max pool, stages of three-slot blocks, global
 * average pool, FC (docs/networks.md). Each slot is a 1x1 conv, a 3x3 conv, a shift + 1x1 conv or
 * a depthwise 3x3 + 1x1 conv; which network it becomes is decided by the knobs alone. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "family.h"

#define MAX_SIZE 1000000   /* keeps every product of sizes far from overflow */

static const char *const BLOCK_KINDS[] = { "bottleneck", "flat", NULL };
static const char *const SLOT_KINDS[] = { "conv1x1", "conv3x3", "shift+conv1x1", "dw3x3+conv1x1", NULL };
static const char *const DOWNSAMPLE_KINDS[] = { "stride", "avgpool", NULL };
static const char *const CONNECTIVITY[] = { "4", "8", NULL };

static const knob_spec KNOBS[] = {
    { "blocks", KNOB_INTS, "[3, 4, 6, 3]", 1, 10000, NULL, 1, IR_MAX_STAGES, 0, "blocks per stage" },
    { "widths", KNOB_INTS, "[64, 128, 256, 512]", 1, MAX_SIZE, NULL, 1, IR_MAX_STAGES, 0,
      "bottleneck (inner) width per stage" },
    { "expansion", KNOB_INT, "4", 1, 64, NULL, 0, 0, 0, "block output = width x expansion" },
    { "width_multiplier", KNOB_NUM, "1.0", 0, 64, NULL, 0, 0, 0, "scales widths and stem_width" },
    { "stem_width", KNOB_INT, "64", 1, MAX_SIZE, NULL, 0, 0, 0, "channels of the 7x7/2 stem" },
    { "block", KNOB_STR, "\"bottleneck\"", 0, -1, BLOCK_KINDS, 0, 0, 0, "or flat: all three convs at width x expansion" },
    { "slots", KNOB_STRS, "[\"conv1x1\", \"conv3x3\", \"conv1x1\"]", 0, -1, SLOT_KINDS, 3, 3, 0, "each slot's kind" },
    { "neighbourhood", KNOB_INT, "4", 4, 8, CONNECTIVITY, 0, 0, 1, "shift connectivity" },
    { "shift_table", KNOB_STR, "\"\"", 0, -1, NULL, 0, 0, 0,
      "a general shift in its text form (docs/networks.md), e.g. c/12:0,1:0,-1:1,0:-1,0; \"\" = the neighbourhood's" },
    { "downsample", KNOB_STR, "\"stride\"", 0, -1, DOWNSAMPLE_KINDS, 0, 0, 0, "stride on slot 2, or a 2x2 avgpool" },
    { "inner_residual", KNOB_BOOL, "false", 0, -1, NULL, 0, 0, 0, "a residual around slot 2" },
    { "resolution", KNOB_INT, "224", 1, MAX_SIZE, NULL, 0, 0, 0, "input height and width" },
    { "classes", KNOB_INT, "1000", 1, MAX_SIZE, NULL, 0, 0, 0, "FC outputs" },
    { "batch", KNOB_INT, "1", 1, MAX_SIZE, NULL, 0, 0, 0, "batch size" },
};

/* >= 1: wire() refuses a multiplier that rounds a width to 0. */
static int scaled(int width, double mult) {
    return (int)floor(width * mult + 0.5);
}

/* A conv followed by its BN (folded) under PyTorch's names: <p>.convN + <p>.bnN. */
static int conv_bn(builder *b, int x, int oc, int k, int stride, const char *p, int idx) {
    char bn[IR_NAME];
    snprintf(bn, sizeof bn, "%s.bn%d", p, idx);
    return build_layer(b, op_conv(oc, k, stride, k / 2, 1), x, -1, bn, "%s.conv%d", p, idx);
}

/* Slot idx of a block: a 1x1 conv, a 3x3 conv, a shift + 1x1 conv (the stride on the 1x1)
 * or a depthwise 3x3 (no bias, no BN; the stride on it) + 1x1 conv. */
static int slot(builder *b, int x, const char *kind, int oc, int stride, const char *p, int idx) {
    if (!strcmp(kind, "conv3x3")) return conv_bn(b, x, oc, 3, stride, p, idx);
    if (!strcmp(kind, "shift+conv1x1")) {
        op_desc s = op_simple(OP_SHIFT);
        s.conn = (int)knob_int(b->net, "neighbourhood");
        const char *table = knob_str(b->net, "shift_table");
        char why[256];
        if (table[0] && shift_parse(table, &s, why, sizeof why)) return build_fail(b, "knob 'shift_table': %s", why), x;
        x = build_layer(b, s, x, -1, NULL, "%s.shift%d", p, idx);
    } else if (!strcmp(kind, "dw3x3+conv1x1")) {
        int c = build_channels(b, x);
        x = build_layer(b, op_conv(c, 3, stride, 1, c), x, -1, NULL, "%s.dw%d", p, idx);
        stride = 1;
    }
    return conv_bn(b, x, oc, 1, stride, p, idx);
}

static int block(builder *b, int x, int stage, int idx, int stride) {
    const network *net = b->net;
    int width = scaled((int)knob_int_at(net, "widths", stage - 1), knob_num(net, "width_multiplier"));
    long outl = (long)width * knob_int(net, "expansion");
    if (outl > 100000000L) return build_fail(b, "%s: stage %d is too wide", net->name, stage), x;
    int out = (int)outl, mid = strcmp(knob_str(net, "block"), "flat") ? width : out;
    int pooled = !strcmp(knob_str(net, "downsample"), "avgpool");
    char p[IR_NAME];
    snprintf(p, sizeof p, "layer%d.%d", stage, idx);
    int in_c = build_channels(b, x);

    int y = slot(b, x, knob_str_at(net, "slots", 0), mid, 1, p, 1);
    y = build_layer(b, op_simple(OP_RELU), y, -1, NULL, "%s.relu1", p);
    if (pooled && stride > 1) y = build_layer(b, op_pool(OP_AVGPOOL, stride, stride, 0), y, -1, NULL, "%s.pool", p);
    int a = y;
    y = slot(b, y, knob_str_at(net, "slots", 1), mid, pooled ? 1 : stride, p, 2);
    if (knob_bool(net, "inner_residual")) {
        if (!b->failed && (net->tensors[y].h != net->tensors[a].h || net->tensors[y].c != net->tensors[a].c))
            return build_fail(b, "%s: inner_residual around %s.conv2 needs it to keep its input's shape "
                              "(use downsample=avgpool, and equal widths)", net->name, p), x;
        y = build_layer(b, op_simple(OP_ADD), y, a, NULL, "%s.add2", p);
    }
    y = build_layer(b, op_simple(OP_RELU), y, -1, NULL, "%s.relu2", p);
    y = slot(b, y, knob_str_at(net, "slots", 2), out, 1, p, 3);

    int sc = x;
    if (stride > 1 || in_c != out) {
        char bn[IR_NAME];
        /* downsample = Sequential(conv1x1, BN): `downsample.0`, `.1`, as torchvision and the
         * authors' shift ResNets (docs/networks.md) name it; with avgpool, the pool before it is
         * applied in forward(), outside the Sequential (no parameters, no state_dict name) */
        if (pooled && stride > 1)
            sc = build_layer(b, op_pool(OP_AVGPOOL, stride, stride, 0), sc, -1, NULL, "%s.shortcut_pool", p);
        snprintf(bn, sizeof bn, "%s.downsample.1", p);
        sc = build_layer(b, op_conv(out, 1, pooled ? 1 : stride, 0, 1), sc, -1, bn, "%s.downsample.0", p);
    }
    y = build_layer(b, op_simple(OP_ADD), y, sc, NULL, "%s.add", p);
    return build_layer(b, op_simple(OP_RELU), y, -1, NULL, "%s.relu3", p);
}

static int wire(builder *b) {
    network *net = b->net;
    int nstages = knob_len(net, "blocks"), mult_stem = scaled((int)knob_int(net, "stem_width"),
                                                              knob_num(net, "width_multiplier"));
    if (knob_len(net, "widths") != nstages)
        return build_fail(b, "knob 'widths' has %d entries but 'blocks' has %d stage(s)", knob_len(net, "widths"),
                          nstages);
    net->nstages = nstages;
    /* A tiny multiplier would round every width to 0: an error, not a silent clamp to 1. */
    for (int s = -1; s < nstages; s++) {
        int w = s < 0 ? (int)knob_int(net, "stem_width") : (int)knob_int_at(net, "widths", s);
        if (scaled(w, knob_num(net, "width_multiplier")) < 1)
            return build_fail(b, "knob 'width_multiplier' = %g scales %s width %d to 0 channels",
                              knob_num(net, "width_multiplier"), s < 0 ? "the stem" : "a stage", w);
    }
    int res = (int)knob_int(net, "resolution");
    net->input = build_tensor(b, (int)knob_int(net, "batch"), res, res, 3);

    b->stage = 0;
    build_open_block(b, "stem");
    int x = build_layer(b, op_conv(mult_stem, 7, 2, 3, 1), net->input, -1, "bn1", "conv1");
    x = build_layer(b, op_simple(OP_RELU), x, -1, NULL, "relu");
    x = build_layer(b, op_pool(OP_MAXPOOL, 3, 2, 1), x, -1, NULL, "maxpool");
    build_close_block(b);
    for (int s = 1; s <= nstages; s++) {
        b->stage = s;
        for (int i = 0; i < knob_int_at(net, "blocks", s - 1); i++) {
            char name[IR_NAME];
            snprintf(name, sizeof name, "layer%d.%d", s, i);
            build_open_block(b, name);
            x = block(b, x, s, i, (s > 1 && i == 0) ? 2 : 1);
            build_close_block(b);
        }
    }
    b->stage = nstages + 1;
    build_open_block(b, "head");
    x = build_layer(b, op_simple(OP_GAP), x, -1, NULL, "avgpool");
    op_desc fc = op_simple(OP_FC);
    fc.oc = (int)knob_int(net, "classes");
    x = build_layer(b, fc, x, -1, NULL, "fc");
    build_close_block(b);
    net->output = x;
    return b->failed ? -1 : 0;
}

const family FAMILY_RESNET = {
    "resnet",
    "Residual network: a 7x7/2 stem and 3x3/2 max pool, stages of three-slot blocks, global average pool, FC.",
    KNOBS, (int)(sizeof KNOBS / sizeof *KNOBS), wire,
};
