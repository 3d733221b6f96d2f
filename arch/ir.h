/* The network IR: what an arch file expands into. An ordered list of layers over
 * numbered NHWC tensors. The cost model (analysis/) and the executor (bench/) both walk
 * it; no C code lists the layers of a particular network. */
#ifndef SHIFTBENCH_IR_H
#define SHIFTBENCH_IR_H

#include "../kernels/op.h"

#define IR_NAME 64

typedef struct { int n, h, w, c; } ir_tensor;

typedef struct {
    char name[IR_NAME]; /* PyTorch state_dict module path: conv1, layer1.0.conv2, fc, ...;
                           weightless steps get descriptive names: layer1.0.shift2, layer1.0.add */
    char bn[IR_NAME];   /* conv: the BatchNorm module folded into it ("" = none) */
    op_desc d;          /* op, shapes and attributes (d.relu is 0: ReLU is its own layer) */
    int in, in2;        /* tensor ids; in2 = -1 except for add */
    int out;            /* tensor id */
    int stage;          /* 0 = stem, 1..nstages = layerN, nstages+1 = head */
    int block;          /* index into network.blocks, -1 outside blocks */
} ir_layer;

typedef struct {
    char name[IR_NAME]; /* layer1.0 */
    int stage;
    int first, last;    /* layer index range, inclusive */
} ir_block;

#define IR_MAX_STAGES 8

/* Resolved knob values, after the family defaults, the instance and --set. */
typedef struct {
    int blocks[IR_MAX_STAGES], nstages;
    int widths[IR_MAX_STAGES];   /* bottleneck inner widths per stage */
    int expansion;               /* block output = width * expansion */
    double width_multiplier;
    int stem_width;
    char block[16];              /* "bottleneck" | "flat" (all three convs at width*expansion) */
    char slots[3][16];           /* each of "conv1x1", "conv3x3", "shift+conv1x1" */
    int neighbourhood;           /* 4 | 8 */
    char downsample[16];         /* "stride" | "avgpool" */
    int inner_residual;          /* 0 | 1 */
    int resolution, classes, batch;
} ir_knobs;

typedef struct {
    char name[IR_NAME];     /* instance name (file stem) */
    char family[IR_NAME];
    char path[512];         /* the instance file */
    char description[256];
    ir_knobs knobs;
    int ntensors;
    ir_tensor *tensors;
    int nlayers;
    ir_layer *layers;
    int nblocks;
    ir_block *blocks;
    int input, output;      /* tensor ids */
} network;

/* Knob overrides from the command line: "key=value", applied after the instance. */
typedef struct {
    int n;
    const char *kv[64];
} ir_overrides;

/* Load NAME (looked up as <arch dir>/NAME.json) or a path to an instance file, apply the
 * overrides and expand. Returns 0, or -1 with a one-line error in err (file:line:col for
 * bad JSON, the key and the allowed keys for an unknown key, ...). */
int network_load(const char *name_or_path, const ir_overrides *ov, network *net,
                 char *err, size_t errlen);
void network_free(network *net);

/* The resolved knobs as a JSON object (jansson), for results and cost files. */
struct json_t *ir_knobs_json(const ir_knobs *k);

/* Expand already-resolved knobs into layers (used by network_load). */
int network_expand(network *net, char *err, size_t errlen);

/* The directory holding the arch files: $SHIFTBENCH_ARCH, else the installed one, else
 * arch/ beside the executable. */
const char *arch_dir(void);
/* Names of the instances in arch_dir(), sorted; returns the count (caller frees). */
int arch_list(char ***names);

#endif
