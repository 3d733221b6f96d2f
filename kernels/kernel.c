/* A prepared kernel: descriptor checked once here, so every create sees a filled,
 * valid descriptor; and the one way a library's failed run is reported. */
#include <stdio.h>
#include <string.h>
#include "kernel.h"
#include "../common/util.h"

int kernel_create(kernel *k, const kernel_impl *impl, const op_desc *d,
                  const float *weight, const float *bias, char *err, size_t errlen) {
    memset(k, 0, sizeof *k);
    if (!impl || !impl->create) return set_err(err, errlen, "no kernel implementation");
    op_desc c = *d;
    if (op_check(&c, err, errlen)) return -1;
    if (impl->op != c.kind)
        return set_err(err, errlen, "kernel %s/%s cannot run op %s", op_name(impl->op), impl->impl,
                       op_name(c.kind));
    if (op_weight_count(&c) && !weight)   /* a NULL bias reads as zeros */
        return set_err(err, errlen, "%s needs weights", op_name(c.kind));
    if (err && errlen) err[0] = '\0';
    void *s = impl->create(&c, weight, bias, err, errlen);
    if (!s) {
        if (err && errlen && !err[0]) set_err(err, errlen, "%s/%s: create failed", op_name(c.kind), impl->impl);
        return -1;
    }
    k->impl = impl;
    k->state = s;
    k->d = c;
    return 0;
}

void kernel_run(const kernel *k, const float *in, const float *in2, float *out) {
    k->impl->run(k->state, in, in2, out);
}

void kernel_bind(const kernel *k, const float *in, const float *in2, float *out) {
    if (k->impl->bind) k->impl->bind(k->state, in, in2, out);
}

void kernel_destroy(kernel *k) {
    if (k->impl && k->state) k->impl->destroy(k->state);
    memset(k, 0, sizeof *k);
}

const char *kernel_info(const kernel *k) {
    const char *s = k->impl && k->impl->info ? k->impl->info(k->state) : NULL;
    return s ? s : k->impl ? k->impl->impl : "?";
}

void kernel_run_failed(int *warned, const char *library, op_kind op, const char *why, float *out, size_t n) {
    if (!*warned) {
        fprintf(stderr, "shiftbench: %s %s run failed (%s)\n", library, op_name(op), why);
        *warned = 1;
    }
    for (size_t i = 0; i < n; i++) out[i] = __builtin_nanf("");
}
