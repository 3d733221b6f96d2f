/* One operation on NHWC fp32 tensors: the contract between the network IR, the
 * kernel-descriptor parser and every kernel implementation. */
#ifndef SHIFTBENCH_OP_H
#define SHIFTBENCH_OP_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    OP_CONV,      /* kh x kw convolution, stride, symmetric zero pad, groups; folded BN = bias */
    OP_SHIFT,     /* shift by a displacement table (docs/networks.md), zero border, c == oc */
    OP_SHIFTCONV, /* shift followed by a 1x1 conv with stride: the shifted tensor never exists */
    OP_ADD,       /* out = in + in2 (residual) */
    OP_RELU,      /* out = max(in, 0), or min(max(in, 0), relu_max) (ReLU6: relu_max 6) */
    OP_MAXPOOL,   /* kh x kw window, stride, pad (padding never wins) */
    OP_AVGPOOL,   /* kh x kw window, stride, pad = 0 */
    OP_GAP,       /* global average pool: oh = ow = 1 */
    OP_FC,        /* fully connected on n x c (h = w = 1) -> n x oc, with bias */
    OP_COUNT
} op_kind;

/* A shift's neighbourhood (docs/networks.md "The general shift"): displacements (dh, dw)
 * of any magnitude up to SHIFT_MAX_MAG (beyond the image a group reads zeros) and how the
 * channels are allocated to them:
 *   contiguous:  direction j takes channels [j*gs, (j+1)*gs), the rest [n*gs, c) stay
 *                unmoved; gs = size if given, else c / div if given, else c / (n + 1)
 *                (the 4C/8C presets; ShiftViT is div 12 with four directions);
 *   interleaved: channel ch takes direction ch mod n, none stays unmoved (the ShiftNet
 *                CUDA kernel's layout; an unmoved direction is a (0, 0) row of the table).
 * A plain struct held in op_desc, so a descriptor stays a value that is copied around. */
#define SHIFT_MAX_DIRS 48      /* displacements in one table (49 groups with the unmoved one) */
#define SHIFT_MAX_MAG 32767    /* |dh|, |dw| */
typedef enum { SHIFT_CONTIGUOUS, SHIFT_INTERLEAVED } shift_alloc;
typedef struct {
    int n;                     /* displacements; 0: none (conn names a preset) */
    int alloc;                 /* shift_alloc */
    int size, div;             /* contiguous group size, or c / div (at most one given; 0 = none) */
    int16_t dh[SHIFT_MAX_DIRS], dw[SHIFT_MAX_DIRS];
} shift_table;

typedef struct {
    op_kind kind;
    int n, h, w, c;          /* input, NHWC */
    int oh, ow, oc;          /* output (batch is n) */
    int kh, kw, stride, pad; /* conv / pool window; shiftconv: the 1x1's stride */
    int conn;                /* shift, shiftconv: the 4 or 8 preset, or 0 (a general table) */
    shift_table shift;       /* shift, shiftconv: the table (op_check fills a preset's in) */
    int groups;              /* conv: c and oc split into groups (0 = 1); groups = c = oc: depthwise */
    int relu;                /* conv, shiftconv, add, fc: ReLU applied to the output */
    int relu_max;            /* with relu, and relu layers: the output also clamped to at most this
                                (6: ReLU6, torchvision's MobileNetV2); 0 = no upper bound */
} op_desc;

/* The upper clamp of a ReLU (fused or a relu layer): relu_max, or INFINITY when 0. */
float op_relu_hi(const op_desc *d);

const char *op_name(op_kind k);          /* "conv", "shift", ... */
int op_from_name(const char *s);         /* -1 when unknown */

/* Fills oh/ow (and oc where implied) from the input shape and attributes, then checks
 * the whole descriptor. Returns 0, or -1 with a one-line reason in err. */
int op_check(op_desc *d, char *err, size_t errlen);

/* Weight and bias element counts the op takes (0 for ops without). Weights are in
 * PyTorch order: conv / shiftconv OIHW (oc, c / groups, kh, kw), fc (oc, c). */
size_t op_weight_count(const op_desc *d);
size_t op_bias_count(const op_desc *d);
size_t op_in_count(const op_desc *d);    /* n*h*w*c */
size_t op_out_count(const op_desc *d);   /* n*oh*ow*oc */

/* The presets (docs/networks.md): conn 4 -> 5 groups, 8 -> 9; group g < conn holds channels
 * [g*gs, (g+1)*gs) with gs = c / (conn+1), displaced by (dh, dw) = shift_disp(conn, g);
 * the centre group (g == conn) holds the rest, undisplaced. Output pixel (y, x) of group g
 * reads input pixel (y - dh, x - dw), zero outside. */
int shift_group_size(int c, int conn);   /* floor(c / (conn+1)); 0 = invalid */
void shift_disp(int conn, int g, int *dh, int *dw);

/* A checked shift's table (op_check'ed d), whatever its preset or allocation. */
int shift_dirs(const op_desc *d);                             /* n */
void shift_dir_disp(const op_desc *d, int j, int *dh, int *dw);
int shift_gs(const op_desc *d);              /* contiguous: channels per direction; 0: interleaved */
int shift_channel_dir(const op_desc *d, int ch);              /* its direction j, or -1: unmoved */
void shift_channel_disp(const op_desc *d, int ch, int *dh, int *dw);   /* (0, 0) when unmoved */
int shift_dir_channels(const op_desc *d, int j);              /* channel count; j = -1: unmoved */
int shift_max_mag(const op_desc *d);                          /* largest |dh| or |dw| */
/* The extreme displacements over the directions that hold channels (unmoved: (0, 0)). */
void shift_extent(const op_desc *d, int *dh_min, int *dh_max, int *dw_min, int *dw_max);

/* The text form (docs/networks.md): "4", "8", or [ALLOC:]DH,DW:DH,DW:... with ALLOC c
 * (contiguous), c/DIV, c=SIZE or i (interleaved), e.g. "c/12:0,1:0,-1:1,0:-1,0". Sets
 * d's conn and table (checked when the rest of d is, by op_check). */
int shift_parse(const char *s, op_desc *d, char *err, size_t errlen);
void shift_format(const op_desc *d, char *buf, size_t len);   /* "4", "8", or the table */
#define SHIFT_TEXT 800   /* room for the longest table's text */

#endif
