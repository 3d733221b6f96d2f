/* libFuzzer target: the benchdnn-style kernel descriptor parser (bench/desc.c).
 *
 * Input: byte 0 picks the op (mod OP_COUNT), byte 1 bit 0 the shift connectivity (4 or 8)
 * and bit 1 a fused ReLU; the rest is the descriptor text (up to the first NUL).
 * Besides "no crash, no leak, no undefined behaviour", every accepted descriptor must
 * round-trip: its canonical form parses back to the same op_desc and formats the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/desc.h"
#include "../../common/util.h"

static int same(const op_desc *a, const op_desc *b) {
    return a->kind == b->kind && a->n == b->n && a->h == b->h && a->w == b->w && a->c == b->c &&
           a->oh == b->oh && a->ow == b->ow && a->oc == b->oc && a->kh == b->kh && a->kw == b->kw &&
           a->stride == b->stride && a->pad == b->pad && a->conn == b->conn && a->relu == b->relu;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    op_kind op = (op_kind)(data[0] % OP_COUNT);
    int relu = (data[1] >> 1) & 1;
    op_desc sh = { .conn = data[1] & 1 ? 8 : 4 };
    char *s = malloc(size - 1);
    if (!s) return 0;
    memcpy(s, data + 2, size - 2);
    s[size - 2] = 0;

    op_desc d, d2;
    char name[64], name2[64], canon[256], canon2[256], err[ERRLEN], err2[ERRLEN];
    if (desc_parse(s, op, &sh, relu, &d, name, sizeof name, err, sizeof err) == 0) {
        desc_format(&d, canon, sizeof canon);
        if (desc_parse(canon, op, &sh, relu, &d2, name2, sizeof name2, err2, sizeof err2)) {
            fprintf(stderr, "'%s' parsed, but its canonical form '%s' does not: %s\n", s, canon, err2);
            abort();
        }
        desc_format(&d2, canon2, sizeof canon2);
        if (!same(&d, &d2) || strcmp(canon, canon2)) {
            fprintf(stderr, "'%s' -> '%s' -> '%s': not the same descriptor\n", s, canon, canon2);
            abort();
        }
    } else if (!err[0] || strchr(err, '\n')) {
        fprintf(stderr, "'%s': rejected without a one-line error\n", s);
        abort();
    }
    free(s);
    return 0;
}
