/* Real weights: a safetensors checkpoint whose tensor names are PyTorch state_dict names,
 * mapped onto the IR by the layers' own names (arch/ir.h):
 *   conv  <name>.weight [oc, c, kh, kw]; its BatchNorm <bn>.weight, .bias, .running_mean,
 *         .running_var [oc] (<bn>.num_batches_tracked is allowed and ignored); a conv
 *         without a BN may carry <name>.bias [oc];
 *   fc    fc.weight [classes, c], fc.bias [classes].
 * A shortcut is downsample.0 (conv) / downsample.1 (BN), also after an average pool (the
 * authors' layout, docs/networks.md); files of the older layout (pool at .0, conv and BN at
 * .1 and .2) load too.
 * BN is folded into the conv at load: s = gamma / sqrt(var + eps), w' = w * s,
 * b' = beta + (bias - mean) * s, computed in double (eps as PyTorch's default 1e-5). */
#ifndef SHIFTBENCH_CHECKPOINT_H
#define SHIFTBENCH_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "../arch/ir.h"
#include "safetensors.h"

#define CKPT_BN_EPS 1e-5

typedef struct {
    safetensors st;
    char path[512];
    double eps;
    int legacy_pool_shortcut;   /* avgpool shortcuts at downsample.1 / .2 (older exports) */
} checkpoint;

/* One tensor the network needs. */
typedef struct {
    char name[IR_NAME + 24];
    int ndim;
    int64_t shape[4];
    int optional;       /* a conv's own .bias when it has no BN */
    int layer;          /* IR layer index */
} ckpt_tensor;

/* The tensors net needs, in layer order (conv weight, then its BN's four). Returns the
 * count (caller frees *out), or -1 when out of memory. */
int checkpoint_expected(const network *net, ckpt_tensor **out);

int checkpoint_open(checkpoint *c, const char *path, double eps, char *err, size_t errlen);
void checkpoint_close(checkpoint *c);

/* Every tensor net needs is present with its shape and a float dtype, and nothing else is
 * there. Otherwise -1 and one line naming the missing, unexpected and mis-shaped tensors
 * (long lists end in "... and N more"). */
int checkpoint_check(const checkpoint *c, const network *net, char *err, size_t errlen);

/* Every tensor net needs (after checkpoint_check) holds finite values once converted to
 * f32 (an F64 beyond f32's range becomes infinite). Otherwise -1 naming the tensor, the
 * element and the value. (The README's promise: a NaN never runs, whatever the kernels do
 * with it; oneDNN's fused ReLU maps NaN to 0.) */
int checkpoint_check_finite(const checkpoint *c, const network *net, char *err, size_t errlen);

/* exec_opts.weights (ctx = checkpoint *): fills the step named after IR layer `layer`
 * with its weights and bias, BN folded. */
int checkpoint_weights(void *ctx, const network *net, int layer, const op_desc *d, float *w, float *b, char *err,
                       size_t errlen);

/* Folds BN into oc output channels of per_oc weights each: w[o*per_oc ..] *= s[o],
 * b[o] = beta[o] + (b[o] - mean[o]) * s[o] (b holds the conv's own bias, zeros if none). */
void checkpoint_fold_bn(int oc, size_t per_oc, float *w, float *b, const float *gamma, const float *beta,
                        const float *mean, const float *var, double eps);

/* NCHW -> NHWC (the network input as PyTorch and numpy hold it -> as the executor does). */
void checkpoint_nchw_to_nhwc(const float *in, float *out, int n, int c, int h, int w);

#endif
