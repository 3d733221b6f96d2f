/* The shift as people implement it in a conv library (issue 14), for the libraries that
 * have no shift op: weights that make a k x k convolution (k = 2M+1, zero pad M, M the
 * table's largest displacement: 3x3 for the 4C/8C presets) compute it.
 *   dw:        shift = depthwise k x k whose channel ch is one-hot at the tap that reads its
 *              source pixel, (ky, kx) = (M - dh, M - dw) [shift_channel_disp].
 *   masked3x3: shift + 1x1 (stride s) = dense k x k (stride s) whose weight w[o][ci] sits at
 *              input channel ci's tap, zero at the others.
 * Tables that reach further than SHIFT_AS_CONV_MAX_MAG are refused: the window would be
 * almost all zeros (a 7x7 already multiplies 49 taps for one).
 * Both are exact: every output is one product by 1 (dw), or the 1x1's own terms plus
 * products by 0. */
#ifndef SHIFTBENCH_SHIFT_AS_CONV_H
#define SHIFTBENCH_SHIFT_AS_CONV_H

#include <stddef.h>
#include "op.h"

#define SHIFT_AS_CONV_MAX_MAG 3   /* a 7x7 window */

/* A library's convolution create: on d's tensors, with g's window (kh, kw, stride, pad;
 * oc) in `groups` groups, weights in PyTorch order (oc, c / groups, kh, kw), bias may be
 * NULL. Returns its state, or NULL with a one-line reason. */
typedef void *(*conv_make_fn)(const op_desc *d, const op_desc *g, int groups, const float *weight,
                              const float *bias, char *err, size_t errlen);

/* Kernel creates for shift d (dw) and shiftconv d (masked 3x3, 1x1 weights w, bias b)
 * on a library's conv. */
void *shift_dw_create_with(conv_make_fn make, const op_desc *d, char *err, size_t errlen);
void *shift_masked3x3_create_with(conv_make_fn make, const op_desc *d, const float *w, const float *b,
                                  char *err, size_t errlen);

#endif
