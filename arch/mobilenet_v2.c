/* The mobilenet_v2 family: torchvision's MobileNetV2 (Sandler et al. 2018), layer for layer
 * and name for name (features.N.conv.K...), so torchvision's state_dict loads and gives its
 * logits; and its shift twins, each depthwise 3x3 replaced by a shift with the stride moved
 * to the 1x1 after it (docs/networks.md). Dropout is the identity at inference: no layer. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "family.h"

#define MAX_SIZE 1000000

static const char *const SPATIAL[] = { "dw3x3", "shift", NULL };
static const char *const CONNECTIVITY[] = { "4", "8", NULL };

/* The inverted-residual table (t, c, n, s) of torchvision's mobilenet_v2, one knob a column. */
static const knob_spec KNOBS[] = {
    { "expansions", KNOB_INTS, "[1, 6, 6, 6, 6, 6, 6]", 1, 64, NULL, 1, IR_MAX_STAGES, 0,
      "expansion t of each stage's inverted residuals (hidden = input x t)" },
    { "channels", KNOB_INTS, "[16, 24, 32, 64, 96, 160, 320]", 1, MAX_SIZE, NULL, 1, IR_MAX_STAGES, 0,
      "output channels c per stage (before the width multiplier)" },
    { "repeats", KNOB_INTS, "[1, 2, 3, 4, 3, 3, 1]", 1, 10000, NULL, 1, IR_MAX_STAGES, 0, "blocks n per stage" },
    { "strides", KNOB_INTS, "[1, 2, 2, 2, 1, 2, 1]", 1, 2, NULL, 1, IR_MAX_STAGES, 0,
      "stride s of each stage's first block" },
    { "width_multiplier", KNOB_NUM, "1.0", 0, 64, NULL, 0, 0, 0,
      "scales every width, rounded as torchvision's _make_divisible" },
    { "round_nearest", KNOB_INT, "8", 1, 1024, NULL, 0, 0, 0, "widths are multiples of this" },
    { "stem_width", KNOB_INT, "32", 1, MAX_SIZE, NULL, 0, 0, 0, "channels of the 3x3/2 stem" },
    { "last_width", KNOB_INT, "1280", 1, MAX_SIZE, NULL, 0, 0, 0, "channels of the last 1x1 (not narrowed below 1.0)" },
    { "spatial", KNOB_STR, "\"dw3x3\"", 0, -1, SPATIAL, 0, 0, 0,
      "dw3x3 (torchvision), or shift: each depthwise 3x3 replaced by a shift, its stride on the 1x1 after it" },
    { "neighbourhood", KNOB_INT, "4", 4, 8, CONNECTIVITY, 0, 0, 1, "shift connectivity (spatial = shift)" },
    { "resolution", KNOB_INT, "224", 1, MAX_SIZE, NULL, 0, 0, 0, "input height and width" },
    { "classes", KNOB_INT, "1000", 1, MAX_SIZE, NULL, 0, 0, 0, "classifier outputs" },
    { "batch", KNOB_INT, "1", 1, MAX_SIZE, NULL, 0, 0, 0, "batch size" },
};

/* torchvision's _make_divisible: the nearest multiple of d, at least d, at most 10 % below v. */
static int make_divisible(double v, int d) {
    double nv = floor((v + d / 2.0) / d) * d;
    if (nv < d) nv = d;
    if (nv < 0.9 * v) nv += d;
    return nv > MAX_SIZE ? MAX_SIZE + 1 : (int)nv;
}

/* Conv2dNormActivation: <p>.0 conv, <p>.1 BN, <p>.2 ReLU6. */
static int conv_bn_relu6(builder *b, int x, op_desc d, const char *p) {
    char bn[IR_NAME];
    snprintf(bn, sizeof bn, "%s.1", p);
    x = build_layer(b, d, x, -1, bn, "%s.0", p);
    op_desc r = op_simple(OP_RELU);
    r.relu_max = 6;
    return build_layer(b, r, x, -1, NULL, "%s.2", p);
}

/* The depthwise 3x3 (+ BN + ReLU6) at features.N.conv.K, or the shift in its place: then
 * *stride moves to the 1x1 after it. */
static int spatial(builder *b, int x, int *stride, const char *p, int k) {
    char q[IR_NAME];
    snprintf(q, sizeof q, "%s.conv.%d", p, k);
    if (!strcmp(knob_str(b->net, "spatial"), "shift")) {
        op_desc s = op_simple(OP_SHIFT);
        s.conn = (int)knob_int(b->net, "neighbourhood");
        return build_layer(b, s, x, -1, NULL, "%s", q);
    }
    int c = build_channels(b, x);
    x = conv_bn_relu6(b, x, op_conv(c, 3, *stride, 1, c), q);
    *stride = 1;
    return x;
}

/* InvertedResidual features.N: [1x1 expand + BN + ReLU6], depthwise 3x3 + BN + ReLU6,
 * 1x1 project + BN (linear), and the residual add when stride 1 keeps the channels. */
static int inverted_residual(builder *b, int x, int oc, int t, int stride, int n) {
    char p[IR_NAME], bn[IR_NAME];
    snprintf(p, sizeof p, "features.%d", n);
    int c = build_channels(b, x), k = 0, in = x, res = stride == 1 && c == oc;
    long hidden = (long)c * t;
    if (hidden > MAX_SIZE) return build_fail(b, "%s: %s is too wide (%ld channels)", b->net->name, p, hidden), x;
    if (t != 1) {
        char q[IR_NAME];
        snprintf(q, sizeof q, "%s.conv.%d", p, k++);
        x = conv_bn_relu6(b, x, op_conv((int)hidden, 1, 1, 0, 1), q);
    }
    x = spatial(b, x, &stride, p, k++);
    snprintf(bn, sizeof bn, "%s.conv.%d", p, k + 1);
    x = build_layer(b, op_conv(oc, 1, stride, 0, 1), x, -1, bn, "%s.conv.%d", p, k);
    if (res) x = build_layer(b, op_simple(OP_ADD), x, in, NULL, "%s.add", p);
    return x;
}

static int wire(builder *b) {
    network *net = b->net;
    int nstages = knob_len(net, "repeats"), rn = (int)knob_int(net, "round_nearest");
    double wm = knob_num(net, "width_multiplier");
    const char *cols[] = { "expansions", "channels", "strides" };
    for (int i = 0; i < 3; i++)
        if (knob_len(net, cols[i]) != nstages)
            return build_fail(b, "knob '%s' has %d entries but 'repeats' has %d stage(s)", cols[i],
                              knob_len(net, cols[i]), nstages);
    int stem = make_divisible(knob_int(net, "stem_width") * wm, rn);
    int last = make_divisible(knob_int(net, "last_width") * (wm > 1.0 ? wm : 1.0), rn);
    if (stem > MAX_SIZE || last > MAX_SIZE) return build_fail(b, "knob 'width_multiplier' = %g is too wide", wm);
    net->nstages = nstages;
    int res = (int)knob_int(net, "resolution");
    net->input = build_tensor(b, (int)knob_int(net, "batch"), res, res, 3);

    b->stage = 0;
    build_open_block(b, "stem");
    int x = conv_bn_relu6(b, net->input, op_conv(stem, 3, 2, 1, 1), "features.0");
    build_close_block(b);
    int n = 1;
    for (int s = 1; s <= nstages; s++) {
        b->stage = s;
        int oc = make_divisible(knob_int_at(net, "channels", s - 1) * wm, rn);
        if (oc > MAX_SIZE) return build_fail(b, "knob 'width_multiplier' = %g is too wide", wm);
        for (int i = 0; i < knob_int_at(net, "repeats", s - 1); i++, n++) {
            char name[IR_NAME];
            snprintf(name, sizeof name, "features.%d", n);
            build_open_block(b, name);
            x = inverted_residual(b, x, oc, (int)knob_int_at(net, "expansions", s - 1),
                                  i == 0 ? (int)knob_int_at(net, "strides", s - 1) : 1, n);
            build_close_block(b);
        }
    }
    b->stage = nstages + 1;
    build_open_block(b, "head");
    char p[IR_NAME];
    snprintf(p, sizeof p, "features.%d", n);
    x = conv_bn_relu6(b, x, op_conv(last, 1, 1, 0, 1), p);
    x = build_layer(b, op_simple(OP_GAP), x, -1, NULL, "avgpool");
    op_desc fc = op_simple(OP_FC);
    fc.oc = (int)knob_int(net, "classes");
    x = build_layer(b, fc, x, -1, NULL, "classifier.1");   /* classifier.0 is the dropout */
    build_close_block(b);
    net->output = x;
    return b->failed ? -1 : 0;
}

const family FAMILY_MOBILENET_V2 = {
    "mobilenet_v2",
    "torchvision's MobileNetV2: a 3x3/2 stem, stages of inverted residuals (1x1 expand, depthwise 3x3, linear 1x1), "
    "a 1x1 to 1280, global average pool, classifier; ReLU6 throughout.",
    KNOBS, (int)(sizeof KNOBS / sizeof *KNOBS), wire,
};
