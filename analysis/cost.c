#include "cost.h"

#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

#define MUL(a, b, r) __builtin_mul_overflow((a), (b), (r))
#define ADD(a, b, r) __builtin_add_overflow((a), (b), (r))

int op_cost(const op_desc *d, cost *c) {
    memset(c, 0, sizeof *c);
    uint64_t in, out, pix, w = 0, t;
    if (MUL((uint64_t)d->n * d->h, (uint64_t)d->w * d->c, &in)) return -1;
    if (MUL((uint64_t)d->n * d->oh, (uint64_t)d->ow, &pix) || MUL(pix, (uint64_t)d->oc, &out)) return -1;
    c->in_elems = in;
    c->out_elems = out;
    switch (d->kind) {
    case OP_CONV:
    case OP_SHIFTCONV:
        if (MUL((uint64_t)d->oc * d->c, (uint64_t)d->kh * d->kw, &w) || MUL(out, (uint64_t)d->c * d->kh * d->kw, &c->macs))
            return -1;
        c->params = w;
        c->flops = 2 * c->macs;           /* the folded BN's bias add is not counted */
        w += (uint64_t)d->oc;             /* the bias the kernel reads */
        break;
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
        c->flops = out;                   /* one compare per element */
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
    return 0;
}

int layer_cost(const ir_layer *L, cost *c) {
    if (op_cost(&L->d, c)) return -1;
    if (L->bn[0]) c->params += 2 * (uint64_t)L->d.oc;   /* BN weight + bias */
    return 0;
}

int fused_cost(const network *net, const int *layers, int n, cost *c) {
    memset(c, 0, sizeof *c);
    uint64_t inside = 0;   /* bytes of the intermediates, written and read */
    for (int i = 0; i < n; i++) {
        const ir_layer *L = &net->layers[layers[i]];
        cost one;
        if (layer_cost(L, &one) || cost_add(c, &one)) return -1;
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
           ADD(a->in_elems, b->in_elems, &a->in_elems) | ADD(a->out_elems, b->out_elems, &a->out_elems)
               ? -1 : 0;
}

double cost_intensity(const cost *c) { return c->bytes ? (double)c->flops / (double)c->bytes : 0.0; }

const char *layer_kind(const op_desc *d) {
    switch (d->kind) {
    case OP_CONV:
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
        if (layer_cost(L, &nc->layer[i]) || cost_add(&nc->total, &nc->layer[i]) ||
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
