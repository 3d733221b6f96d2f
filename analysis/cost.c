#include "cost.h"

#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

#define MUL(a, b, r) __builtin_mul_overflow((a), (b), (r))
#define ADD(a, b, r) __builtin_add_overflow((a), (b), (r))

/* Window taps inside the image along one axis, summed over the outputs: sum over o < out
 * of #{k < kn : 0 <= o*stride - pad + k < in}. The taps of a 2-D window inside the image
 * are the product of the two axes' counts. */
static uint64_t taps_inside(int in, int out, int kn, int stride, int pad) {
    uint64_t n = 0;
    for (long o = 0; o < out; o++) {
        long lo = o * stride - pad, hi = lo + kn;   /* [lo, hi) clipped to [0, in) */
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        if (hi > lo) n += (uint64_t)(hi - lo);
    }
    return n;
}

/* MACs a kernel executes: a conv's taps that fall on padding and a shiftconv's rows that
 * read outside the image (zero rows) multiply zeros, and no kernel runs them. */
static int exec_macs(const op_desc *d, uint64_t *m) {
    uint64_t per_img, t;
    if (d->kind == OP_FC) return MUL((uint64_t)d->oc * d->c, (uint64_t)d->n, m) ? -1 : 0;
    if (d->kind == OP_CONV) {
        uint64_t ty = taps_inside(d->h, d->oh, d->kh, d->stride, d->pad);
        uint64_t tx = taps_inside(d->w, d->ow, d->kw, d->stride, d->pad);
        uint64_t cg = (uint64_t)d->c / (uint64_t)(d->groups > 1 ? d->groups : 1);   /* grouped: c/groups inputs */
        return MUL(ty, tx, &t) || MUL(t, cg * d->oc, &t) || MUL(t, (uint64_t)d->n, m) ? -1 : 0;
    }
    if (d->kind != OP_SHIFTCONV) { *m = 0; return 0; }
    per_img = 0;
    for (int j = -1; j < shift_dirs(d); j++) {   /* rows of direction j read input pixel (oy*s - dh, ox*s - dw) */
        int dh = 0, dw = 0;
        if (j >= 0) shift_dir_disp(d, j, &dh, &dw);
        uint64_t k = (uint64_t)shift_dir_channels(d, j);
        uint64_t rows = taps_inside(d->h, d->oh, 1, d->stride, dh) * taps_inside(d->w, d->ow, 1, d->stride, dw);
        if (MUL(rows, k, &t) || ADD(per_img, t, &per_img)) return -1;
    }
    return MUL(per_img, (uint64_t)d->oc, &t) || MUL(t, (uint64_t)d->n, m) ? -1 : 0;
}

int op_cost(const op_desc *d, cost *c) {
    memset(c, 0, sizeof *c);
    uint64_t in, out, pix, w = 0, t;
    if (MUL((uint64_t)d->n * d->h, (uint64_t)d->w * d->c, &in)) return -1;
    if (MUL((uint64_t)d->n * d->oh, (uint64_t)d->ow, &pix) || MUL(pix, (uint64_t)d->oc, &out)) return -1;
    c->in_elems = in;
    c->out_elems = out;
    switch (d->kind) {
    case OP_CONV:
    case OP_SHIFTCONV: {
        uint64_t cg = (uint64_t)d->c / (uint64_t)(d->groups > 1 ? d->groups : 1);   /* inputs per output channel */
        if (MUL((uint64_t)d->oc * cg, (uint64_t)d->kh * d->kw, &w) || MUL(out, cg * d->kh * d->kw, &c->macs))
            return -1;
        c->params = w;
        c->flops = 2 * c->macs;           /* the folded BN's bias add is not counted */
        w += (uint64_t)d->oc;             /* the bias the kernel reads */
        break;
    }
    case OP_FC:
        if (MUL((uint64_t)d->oc, (uint64_t)d->c, &w) || MUL(w, (uint64_t)d->n, &c->macs)) return -1;
        w += (uint64_t)d->oc;
        c->params = w;
        c->flops = 2 * c->macs;           /* the bias add is not counted */
        break;
    case OP_SHIFT:
        break;                            /* zero FLOPs; its cost is the bytes below */
    case OP_ADD:
        c->flops = out;
        in *= 2;
        break;
    case OP_RELU:
        c->flops = d->relu_max ? 2 * out : out;   /* one compare per element (ReLU6: two) */
        break;
    case OP_MAXPOOL:
        if (MUL(out, (uint64_t)d->kh * (uint64_t)d->kw - 1, &c->flops)) return -1;   /* compares */
        break;
    case OP_AVGPOOL:
        if (MUL(out, (uint64_t)d->kh * (uint64_t)d->kw, &c->flops)) return -1;       /* adds + one multiply */
        break;
    case OP_GAP:
        c->flops = in + out;              /* one add per input, one multiply per output */
        break;
    default:
        return -1;
    }
    if (ADD(in, out, &t) || ADD(t, w, &t) || MUL(t, (uint64_t)sizeof(float), &c->bytes)) return -1;
    if (exec_macs(d, &c->exec_macs)) return -1;
    c->exec_flops = c->flops - 2 * (c->macs - c->exec_macs);
    return 0;
}

int layer_cost(const ir_layer *L, cost *c) {
    if (op_cost(&L->d, c)) return -1;
    if (L->bn[0]) c->params += 2 * (uint64_t)L->d.oc;   /* BN weight + bias */
    return 0;
}

int shifted_conv_cost(const ir_layer *S, const ir_layer *L, cost *c) {
    if (layer_cost(L, c)) return -1;
    op_desc d = L->d;
    d.kind = OP_SHIFTCONV;
    d.conn = S->d.conn;
    d.shift = S->d.shift;
    cost f;
    if (op_cost(&d, &f)) return -1;
    c->exec_macs = f.exec_macs;
    c->exec_flops = f.exec_flops;
    return 0;
}

/* The shift whose output L (a 1x1 conv without padding) reads, among layers[0..n) or, with
 * layers NULL, the whole network; NULL when none. */
static const ir_layer *shift_feeding(const network *net, const ir_layer *L, const int *layers, int n) {
    if (L->d.kind != OP_CONV || L->d.kh != 1 || L->d.kw != 1 || L->d.pad) return NULL;
    for (int i = 0; i < (layers ? n : net->nlayers); i++) {
        const ir_layer *S = &net->layers[layers ? layers[i] : i];
        if (S->d.kind == OP_SHIFT && S->out == L->in) return S;
    }
    return NULL;
}

static int layer_cost_in(const network *net, const ir_layer *L, const int *layers, int n, cost *c) {
    const ir_layer *S = shift_feeding(net, L, layers, n);
    return S ? shifted_conv_cost(S, L, c) : layer_cost(L, c);
}

int fused_cost(const network *net, const int *layers, int n, cost *c) {
    memset(c, 0, sizeof *c);
    uint64_t inside = 0;   /* bytes of the intermediates, written and read */
    for (int i = 0; i < n; i++) {
        const ir_layer *L = &net->layers[layers[i]];
        cost one;
        if (layer_cost_in(net, L, layers, n, &one) || cost_add(c, &one)) return -1;
        for (int j = 0; j < n; j++) {   /* an intermediate: written by L, read inside the step */
            const ir_layer *M = &net->layers[layers[j]];
            if (M->in == L->out || M->in2 == L->out) {
                inside += 2 * one.out_elems * sizeof(float);
                break;
            }
        }
    }
    c->bytes -= inside;   /* the sum holds every intermediate's write and read */
    return 0;
}

int cost_add(cost *a, const cost *b) {
    return ADD(a->params, b->params, &a->params) | ADD(a->macs, b->macs, &a->macs) |
           ADD(a->flops, b->flops, &a->flops) | ADD(a->bytes, b->bytes, &a->bytes) |
           ADD(a->exec_macs, b->exec_macs, &a->exec_macs) | ADD(a->exec_flops, b->exec_flops, &a->exec_flops) |
           ADD(a->in_elems, b->in_elems, &a->in_elems) | ADD(a->out_elems, b->out_elems, &a->out_elems)
               ? -1 : 0;
}

double cost_intensity(const cost *c) { return c->bytes ? (double)c->flops / (double)c->bytes : 0.0; }

const char *layer_kind(const op_desc *d) {
    switch (d->kind) {
    case OP_CONV:
        if (d->groups > 1) return d->groups == d->c && d->kh == 3 && d->kw == 3 ? "dw3x3" : "gconv";
        if (d->kh == 1 && d->kw == 1) return "conv1x1";
        if (d->kh == 3 && d->kw == 3) return "conv3x3";
        if (d->kh == 7 && d->kw == 7) return "conv7x7";
        return "conv";
    case OP_SHIFTCONV: return "shiftconv";
    case OP_SHIFT: return "shift";
    case OP_MAXPOOL: case OP_AVGPOOL: case OP_GAP: return "pool";
    default: return op_name(d->kind);
    }
}

int network_cost_of(const network *net, network_cost *nc, char *err, size_t errlen) {
    memset(nc, 0, sizeof *nc);
    nc->layer = calloc((size_t)net->nlayers + 1, sizeof *nc->layer);
    if (!nc->layer) return set_err(err, errlen, "out of memory");
    for (int i = 0; i < net->nlayers; i++) {
        const ir_layer *L = &net->layers[i];
        if (layer_cost_in(net, L, NULL, 0, &nc->layer[i]) || cost_add(&nc->total, &nc->layer[i]) ||
            cost_add(&nc->stage[L->stage], &nc->layer[i])) {
            network_cost_free(nc);
            return set_err(err, errlen, "%s: layer %s: a count overflows 64 bits", net->name, L->name);
        }
    }
    return 0;
}

void network_cost_free(network_cost *nc) {
    free(nc->layer);
    nc->layer = NULL;
}
