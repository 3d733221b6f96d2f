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

typedef struct {
    char name[IR_NAME];     /* instance name (file stem, or an explicit IR's "name") */
    char family[IR_NAME];   /* the registered family (arch/family.h); "" for a one-off explicit IR */
    char path[512];         /* the instance file */
    char description[256];
    struct json_t *knobs;   /* the family's resolved knobs, in schema order (NULL: none) */
    int nstages;            /* layer stages: 0 = stem, 1..nstages = body, nstages+1 = head */
    int batch, resolution;  /* the input's n and h */
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

/* Load NAME (looked up as <arch dir>/NAME.json) or a path to an instance file or an
 * explicit IR document (docs/ir.md), apply the overrides and build. Returns 0, or -1 with
 * a one-line error in err (file:line:col for bad JSON and bad IR, the key and the allowed
 * keys for an unknown key, ...). */
int network_load(const char *name_or_path, const ir_overrides *ov, network *net,
                 char *err, size_t errlen);
void network_free(network *net);

/* The resolved knobs as a new JSON object (an empty one when there are none), for results
 * and cost files. */
struct json_t *network_knobs_json(const network *net);

/* The explicit IR (docs/ir.md): net as a versioned JSON document (new reference), and a
 * document read back (path names the file in errors, text is its content for line:col). */
struct json_t *ir_document(const network *net);
char *ir_text(const network *net);   /* the document as text, one layer a line (caller frees) */
int ir_read(const char *path, const char *text, const ir_overrides *ov, network *net, char *err, size_t errlen);

/* The directory holding the arch files: $SHIFTBENCH_ARCH, else the installed one, else
 * arch/ beside the executable. */
const char *arch_dir(void);
/* Names of the instances in arch_dir(), sorted; returns the count (caller frees). */
int arch_list(char ***names);

#endif
