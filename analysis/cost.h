/* The analytic cost model (README "Conventions"): a layer's cost is a function of the
 * layer alone, so stage and network totals are sums. All counts are checked 64-bit. */
#ifndef SHIFTBENCH_COST_H
#define SHIFTBENCH_COST_H

#include <stdint.h>

#include "../arch/ir.h"

typedef struct {
    uint64_t params;    /* weights + bias + BN affine (not BN running stats) */
    uint64_t macs;      /* multiply-adds of conv / fc, by the convention (the headline count) */
    uint64_t flops;     /* 2 x MACs for conv / fc; per-element costs for the rest */
    uint64_t exec_macs; /* executed: less the taps on padding and a shifted group's zero rows */
    uint64_t exec_flops;/* flops with exec_macs in place of macs (% of peak, roofline) */
    uint64_t bytes;     /* compulsory fp32 traffic: inputs + weights + outputs */
    uint64_t in_elems, out_elems;
} cost;

/* The cost of one op (a kernel descriptor): params exclude any BN. -1 on overflow. */
int op_cost(const op_desc *d, cost *c);
/* The cost of an IR layer: op_cost plus its folded BN's affine parameters. */
int layer_cost(const ir_layer *L, cost *c);
/* A 1x1 conv L reading the output of shift S, as one fused shift+1x1 runs it: L's cost
 * with the executed MACs of the shiftconv (the shifted groups' border rows are zero rows,
 * never multiplied). -1 on overflow. */
int shifted_conv_cost(const ir_layer *S, const ir_layer *L, cost *c);
/* The cost of IR layers executed as one fused step (a shift inside its 1x1, a ReLU or a
 * residual add inside a conv): their sum, less the traffic of every tensor one of them
 * writes and another of them reads, which never reaches memory. -1 on overflow. */
int fused_cost(const network *net, const int *layers, int n, cost *c);
/* a += b, -1 on overflow. */
int cost_add(cost *a, const cost *b);
double cost_intensity(const cost *c);   /* FLOP per byte */

/* Receptive field, tracked exactly through the layers as the support function of the
 * footprint of one output pixel in input pixels, in 8 directions (axes and diagonals):
 * convex shapes add under stacking (Minkowski sum) and take the max at a residual add. */
typedef struct {
    int64_t h[8];       /* support in directions +y -y +x -x +y+x +y-x -y+x -y-x */
    int64_t jump;       /* input pixels between neighbouring pixels of this tensor */
} rf_t;

typedef struct {
    int64_t height, width;   /* extent in input pixels */
    double squareness;       /* 0 = diamond (L1 ball), 1 = square (L-inf ball) */
    const char *shape;       /* "point", "diamond", "square", "octagon" */
} rf_summary;

/* Receptive field of every tensor of net (array of net->ntensors, caller frees). */
rf_t *receptive_fields(const network *net);
rf_summary rf_summarize(const rf_t *r);

typedef struct {
    cost total;
    cost stage[IR_MAX_STAGES + 2];
    cost *layer;             /* per layer (net->nlayers) */
} network_cost;

/* Costs every layer and the totals. A 1x1 conv that reads a shift's output counts its
 * executed MACs as fused (shifted_conv_cost), as every shift+1x1 kernel runs it. -1 with a
 * message when a count overflows. */
int network_cost_of(const network *net, network_cost *nc, char *err, size_t errlen);
void network_cost_free(network_cost *nc);

/* Short human label for the kind of a layer: conv7x7, conv3x3, conv1x1, shift, pool, add, relu, fc. */
const char *layer_kind(const op_desc *d);

#endif
