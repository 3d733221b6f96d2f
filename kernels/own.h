/* Our own kernels (kernels/own*.c): what the table in own.c needs from the other files,
 * and the NCHW shift, which is not an NHWC op and so not in any table. */
#ifndef SHIFTBENCH_OWN_H
#define SHIFTBENCH_OWN_H

#include <stddef.h>
#include "op.h"

/* NCHW shift: the same groups and displacements as OP_SHIFT, on planes. Returns 0, or -1
 * when the shape is invalid (sizes <= 0, conn not 4/8, c < conn+1). */
int shift_nchw(const float *in, float *out, int n, int c, int h, int w, int conn);

/* kernels/own_shift.c: NHWC shift. */
void *own_shift_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen);
void own_shift_run(void *state, const float *in, const float *in2, float *out);
void own_shift_destroy(void *state);
const char *own_shift_info(const void *state);   /* "own:shift-avx2": the level it runs at */

/* kernels/own_fused.c: shift + 1x1 conv as one GEMM reading shifted pixels; the same
 * micro-kernel runs conv (1x1 = one group, kh x kw = one group per window position) and fc.
 * Residual: unlike the other conv kernels (which ignore in2), own_fused_run adds a
 * non-NULL in2 (NHWC, the output's shape) to the result before the ReLU, so that
 * out = relu(conv(in) + bias + in2): the executor fuses a block's residual add into the
 * conv with it (its table entries say so: kernel_impl.residual). */
void *own_fused_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen);
void own_fused_run(void *state, const float *in, const float *in2, float *out);
void own_fused_run_rows(void *state, const float *in, const float *in2, float *out, int r0, int r1);   /* kernel.h */
void own_fused_destroy(void *state);
const char *own_fused_info(const void *state);

/* kernels/own_dw.c: depthwise convolution on NHWC (groups = c = oc). */
void *own_dw_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen);
void own_dw_run(void *state, const float *in, const float *in2, float *out);
void own_dw_run_rows(void *state, const float *in, const float *in2, float *out, int r0, int r1);
void own_dw_destroy(void *state);
const char *own_dw_info(const void *state);     /* "own:dwconv-avx2" */

/* kernels/own_pool.c: max / average / global average pooling on NHWC. */
void *own_pool_create(const op_desc *d, const float *w, const float *b, char *err, size_t errlen);
void own_pool_run(void *state, const float *in, const float *in2, float *out);
void own_pool_run_rows(void *state, const float *in, const float *in2, float *out, int r0, int r1);   /* max, avg */
const char *own_pool_info(const void *state);    /* "own:maxpool-neon" */

#endif
