/* The networks the shift competes with and their twins: torchvision's MobileNetV2 (counts,
 * names, ReLU6, width multiplier and resolution against torchvision 0.14), its 4C/8C shift
 * twins, and the depthwise twins of the seed shift networks (single-, multi-dw-50, flat-dw-35). */
#include <stdlib.h>
#include <string.h>

#include "../analysis/cost.h"
#include "../common/util.h"
#include "check.h"
#include "net_load.h"

static int load_kv(const char *name, int nkv, const char *const *kv, network *net, network_cost *nc) {
    ir_overrides ov = { .n = nkv };
    for (int i = 0; i < nkv; i++) ov.kv[i] = kv[i];
    return load(name, net, nc, &ov);
}

/* params and MACs of NAME with overrides, against the reference figures */
static void counts(const char *name, int nkv, const char *const *kv, uint64_t params, uint64_t macs) {
    network net;
    network_cost nc;
    if (load_kv(name, nkv, kv, &net, &nc)) { CHECK(0, "%s loads", name); return; }
    CHECK(nc.total.params == params && nc.total.macs == macs, "%s%s%s: %llu params, %llu MACs (want %llu, %llu)", name,
          nkv ? " " : "", nkv ? kv[0] : "", (unsigned long long)nc.total.params, (unsigned long long)nc.total.macs,
          (unsigned long long)params, (unsigned long long)macs);
    network_free(&net);
    network_cost_free(&nc);
}

/* torchvision 0.14 mobilenet_v2(width_mult=...) at these resolutions, counted with forward
 * hooks on every Conv2d and Linear (parameters: sum of numel over parameters()). */
static void mobilenet_counts(void) {
    counts("mobilenet_v2", 0, NULL, 3504872, 300774272ull);
    const char *half[] = { "width_multiplier=0.5", "resolution=160" };
    counts("mobilenet_v2", 2, half, 1968680, 50184000ull);
    const char *wide[] = { "width_multiplier=1.4" };
    counts("mobilenet_v2", 1, wide, 6108776, 582195824ull);
    const char *small[] = { "width_multiplier=0.35", "resolution=96" };
    counts("mobilenet_v2", 2, small, 1677128, 11934128ull);
    /* the depthwise twin of single-shift-50 */
    counts("single-dw-50", 0, NULL, 15531240, 2457435648ull);
}

static void mobilenet_names(void) {
    network net;
    network_cost nc;
    if (load_kv("mobilenet_v2", 0, NULL, &net, &nc)) { CHECK(0, "mobilenet_v2 loads"); return; }
    const ir_layer *stem = find(&net, "features.0.0"), *r = find(&net, "features.0.2");
    CHECK(stem && !strcmp(stem->bn, "features.0.1") && stem->d.kh == 3 && stem->d.stride == 2 && stem->d.oc == 32,
          "stem features.0.0 (BN features.0.1), 3x3/2 to 32");
    CHECK(r && r->d.kind == OP_RELU && r->d.relu_max == 6, "features.0.2 is a ReLU6");
    const ir_layer *dw1 = find(&net, "features.1.conv.0.0"), *pw1 = find(&net, "features.1.conv.1");
    CHECK(dw1 && dw1->d.groups == 32 && !strcmp(dw1->bn, "features.1.conv.0.1") && pw1 && !strcmp(pw1->bn, "features.1.conv.2"),
          "features.1 (t = 1): depthwise conv.0.0, project conv.1 with BN conv.2");
    const ir_layer *ex = find(&net, "features.2.conv.0.0"), *dw = find(&net, "features.2.conv.1.0"),
                   *pj = find(&net, "features.2.conv.2");
    CHECK(ex && ex->d.oc == 96 && dw && dw->d.groups == 96 && dw->d.stride == 2 && !strcmp(dw->bn, "features.2.conv.1.1") &&
          pj && pj->d.oc == 24 && pj->d.stride == 1 && !strcmp(pj->bn, "features.2.conv.3"),
          "features.2: expand 96, depthwise 3x3/2, project to 24 (BN conv.3)");
    CHECK(!find(&net, "features.2.add") && find(&net, "features.3.add") && find(&net, "features.17.conv.2") &&
          !find(&net, "features.17.add"), "residuals where stride 1 keeps the channels");
    const ir_layer *last = find(&net, "features.18.0"), *fc = find(&net, "classifier.1");
    CHECK(last && last->d.oc == 1280 && !strcmp(last->bn, "features.18.1") && fc && fc->d.kind == OP_FC && fc->d.oc == 1000 &&
          net.output == fc->out, "head: features.18.0 to 1280, classifier.1 (the dropout is no layer)");
    int relu6 = 0;
    for (int i = 0; i < net.nlayers; i++) relu6 += net.layers[i].d.kind == OP_RELU && net.layers[i].d.relu_max == 6;
    CHECK(relu6 == 35 && net.nstages == 7 && net.nblocks == 19, "35 ReLU6 (1 stem, 33 in blocks, 1 head), 7 stages: %d",
          relu6);
    network_free(&net);
    network_cost_free(&nc);
}

/* The shift twins: every depthwise conv (+ BN + ReLU6) is a shift, its stride on the 1x1. */
static void mobilenet_shift(const char *name, int conn) {
    network net, dw;
    network_cost nc, ndw;
    if (load_kv(name, 0, NULL, &net, &nc) || load_kv("mobilenet_v2", 0, NULL, &dw, &ndw)) { CHECK(0, "%s loads", name); return; }
    const ir_layer *s = find(&net, "features.2.conv.1"), *pj = find(&net, "features.2.conv.2"),
                   *s1 = find(&net, "features.1.conv.0");
    CHECK(s && s->d.kind == OP_SHIFT && s->d.conn == conn && pj && pj->d.stride == 2 && pj->d.kh == 1 && s1 &&
          s1->d.kind == OP_SHIFT, "%s: features.N.conv.1 (features.1.conv.0) a shift, the stride on the 1x1 after", name);
    int dws = 0, shifts = 0;
    uint64_t dw_params = 0;
    for (int i = 0; i < dw.nlayers; i++)
        if (dw.layers[i].d.groups > 1) { dws++; dw_params += ndw.layer[i].params; }
    for (int i = 0; i < net.nlayers; i++) {
        shifts += net.layers[i].d.kind == OP_SHIFT;
        CHECK(net.layers[i].d.groups <= 1, "%s: no depthwise conv left (%s)", name, net.layers[i].name);
    }
    CHECK(dws == 17 && shifts == 17 && nc.total.params == ndw.total.params - dw_params,
          "%s: 17 shifts for 17 depthwise convs, their params (weights + BN) gone: %llu", name,
          (unsigned long long)nc.total.params);
    network_free(&net);
    network_cost_free(&nc);
    network_free(&dw);
    network_cost_free(&ndw);
}

/* Depthwise twins: a depthwise 3x3 (groups = channels, pad 1, no BN) named dwN wherever the
 * shift twin has shiftN, directly before the 1x1 convN; single-dw's takes the stride. */
static void dw_twin(const char *dwname, const char *shiftname) {
    network a, b;
    network_cost na, nb;
    if (load_kv(dwname, 0, NULL, &a, &na) || load_kv(shiftname, 0, NULL, &b, &nb)) { CHECK(0, "%s loads", dwname); return; }
    int pairs = 0, ok = a.nlayers == b.nlayers;
    for (int i = 0; ok && i < b.nlayers; i++) {
        const ir_layer *S = &b.layers[i], *D = &a.layers[i];
        if (S->d.kind != OP_SHIFT) { ok = !strcmp(S->name, D->name) && S->d.oc == D->d.oc; continue; }
        const char *k = strstr(S->name, ".shift");
        char want[IR_NAME];
        snprintf(want, sizeof want, "%.*s.dw%s", (int)(k - S->name), S->name, k + 6);
        const ir_layer *C = &a.layers[i + 1];
        ok = !strcmp(D->name, want) && D->d.kind == OP_CONV && D->d.groups == D->d.c && D->d.oc == D->d.c &&
             D->d.kh == 3 && D->d.pad == 1 && !D->bn[0] && C->in == D->out && C->d.kh == 1 &&
             C->d.stride * D->d.stride == b.layers[i + 1].d.stride && C->d.stride == 1;
        if (!ok) fprintf(stderr, "  %s: %s vs %s\n", dwname, D->name, S->name);
        pairs++;
    }
    CHECK(ok && pairs > 0, "%s: a depthwise 3x3 dwN (no BN, the stride on it) for each of %s's %d shifts", dwname,
          shiftname, pairs);
    CHECK(find(&a, "layer1.0.dw2") != NULL, "%s: layer1.0.dw2 named", dwname);
    network_free(&a);
    network_cost_free(&na);
    network_free(&b);
    network_cost_free(&nb);
}

int main(void) {
    mobilenet_counts();
    mobilenet_names();
    mobilenet_shift("mobilenet_v2-shift-4c", 4);
    mobilenet_shift("mobilenet_v2-shift-8c", 8);
    dw_twin("single-dw-50", "single-shift-4c-50");
    dw_twin("multi-dw-50", "multi-shift-4c-50");
    dw_twin("flat-dw-35", "flat-shift-4c-35");
    return check_done("test_twins");
}
