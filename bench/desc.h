/* benchdnn-style kernel descriptors -> op_desc, e.g. mb1ic64ih56oc256oh56kh1 or
 * mb8ic256ih56iw56oc64kh3sh2ph1_n"layer2.0.conv2".
 *
 * Fields (any order, each at most once, '_' may separate them):
 *   mb ic ih iw oc oh ow kh kw sh sw ph pw, then optionally n"NAME" (or nNAME) last.
 * Defaults as benchdnn: iw = ih, kw = kh, sw = sh, pw = ph, stride 1, pad 0, oh/ow from
 * the floor rule (given ones are checked); oc = ic where the op implies it. Unlike
 * benchdnn (mb 2), mb defaults to 1: batch 1 is this project's case. ih is required but
 * for fc (n x c input); kh for conv, maxpool and avgpool. Strides and pads must be
 * square (sh = sw, ph = pw); windows need not. */
#ifndef SHIFTBENCH_DESC_H
#define SHIFTBENCH_DESC_H

#include <stddef.h>

#include "../kernels/op.h"

#define DESC_MAX_VALUE 1000000   /* any one field; larger is a typo, not a layer */

/* Parses s for op (shift and shiftconv take sh's conn and displacement table, NULL: 4C;
 * relu: fused ReLU) and validates it with op_check. name receives the n"..." name, or the
 * canonical descriptor (desc_format). Returns 0, or -1 with a one-line error naming the
 * descriptor. */
int desc_parse(const char *s, op_kind op, const op_desc *sh, int relu, op_desc *d,
               char *name, size_t namelen, char *err, size_t errlen);

/* The canonical short descriptor of d: fields at their defaults are left out. */
void desc_format(const op_desc *d, char *buf, size_t len);

#endif
