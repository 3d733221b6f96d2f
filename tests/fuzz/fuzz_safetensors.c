/* libFuzzer target: the safetensors reader (bench/safetensors.c), which reads checkpoints
 * a user downloaded: a hostile file must not read out of bounds.
 *
 * Input: the file's bytes. Besides "no crash, no leak, no undefined behaviour":
 *  - a rejected file gets a one-line error;
 *  - every accepted tensor's bytes lie inside the input, and converting a float tensor
 *    to f32 reads only them (ASan checks the reads: the input is libFuzzer's exact-size copy);
 *  - an accepted file round-trips: serialized again and re-parsed, it has the same
 *    tensors (names, dtypes, shapes, bytes) and metadata. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/safetensors.h"
#include "../../common/util.h"

static void die(const char *what, const char *name) {
    fprintf(stderr, "%s%s%s\n", what, name ? ": " : "", name ? name : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    safetensors s, r;
    char err[ERRLEN] = "";
    if (st_parse(&s, data, size, err, sizeof err)) {
        if (!err[0] || strchr(err, '\n')) die("rejected without a one-line error", NULL);
        return 0;
    }
    st_entry *e = calloc((size_t)s.n + 1, sizeof *e);
    for (int i = 0; i < s.n; i++) {
        const st_tensor *t = &s.t[i];
        size_t bytes = t->nelem * t->elsize;
        if (t->data < data || t->data > data + size || bytes > (size_t)(data + size - t->data))
            die("tensor bytes outside the input", t->name);
        if (st_dtype_is_float(t->dtype) && t->nelem <= (1u << 20)) {
            float *f = malloc((t->nelem ? t->nelem : 1) * sizeof *f);
            if (st_to_f32(t, f, err, sizeof err)) die("float tensor not converted", t->name);
            free(f);
        } else if (!st_dtype_is_float(t->dtype)) {
            float one;
            err[0] = 0;
            if (t->nelem == 1 && (st_to_f32(t, &one, err, sizeof err) == 0 || !err[0])) die("non-float converted", t->name);
        }
        e[i] = (st_entry){ t->name, t->dtype, t->ndim, t->shape, t->data };
    }
    uint8_t *buf;
    size_t len;
    if (st_serialize(e, s.n, s.metadata, &buf, &len, err, sizeof err)) die("accepted file not serializable", err);
    if (st_parse(&r, buf, len, err, sizeof err)) die("serialized file not accepted", err);
    if (r.n != s.n || (!r.metadata) != (!s.metadata) || (s.metadata && strcmp(r.metadata, s.metadata)))
        die("round trip changed the tensor count or metadata", NULL);
    for (int i = 0; i < s.n; i++) {
        const st_tensor *a = &s.t[i], *b = &r.t[i];
        if (strcmp(a->name, b->name) || strcmp(a->dtype, b->dtype) || a->ndim != b->ndim || a->nelem != b->nelem ||
            memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape) ||
            (a->nelem && memcmp(a->data, b->data, a->nelem * a->elsize)))
            die("round trip changed a tensor", a->name);
    }
    st_close(&r);
    free(buf);
    free(e);
    st_close(&s);
    return 0;
}
