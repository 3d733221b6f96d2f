/* Every kernel implementation, by table. Each kernels/<impl>.c file exports one table ended
 * by an entry whose create is NULL. A kernels-only build (-DSHIFTBENCH_KERNELS_ONLY, e.g.
 * `make test-aarch64`) lists ours alone: it links neither OpenBLAS, oneDNN nor XNNPACK. */
#include <string.h>
#include "kernel.h"

extern const kernel_impl ref_kernels[];      /* kernels/ref.c: plain loops, the oracle */
extern const kernel_impl own_kernels[];      /* kernels/own_*.c: ours (shift, fused) */
#ifdef SHIFTBENCH_KERNELS_ONLY
static const kernel_impl *const tables[] = { ref_kernels, own_kernels };
#else
extern const kernel_impl openblas_kernels[]; /* kernels/openblas.c */
extern const kernel_impl onednn_kernels[];   /* kernels/onednn.c */
extern const kernel_impl xnnpack_kernels[];  /* kernels/xnnpack.c */

static const kernel_impl *const tables[] = { ref_kernels, own_kernels, openblas_kernels, onednn_kernels, xnnpack_kernels };
#endif

int kernel_count(void) {
    int n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const kernel_impl *k = tables[t]; k->create; k++) n++;
    return n;
}

const kernel_impl *kernel_at(int i) {
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const kernel_impl *k = tables[t]; k->create; k++)
            if (i-- == 0) return k;
    return NULL;
}

const kernel_impl *kernel_find(op_kind op, const char *impl) {
    for (int i = 0, n = kernel_count(); i < n; i++) {
        const kernel_impl *k = kernel_at(i);
        if (k->op == op && strcmp(k->impl, impl) == 0) return k;
    }
    return NULL;
}

const char *kernel_family(const kernel_impl *k) { return k->family ? k->family : k->impl; }

const kernel_impl *kernel_find_in_family(op_kind op, const char *family) {
    const kernel_impl *own = kernel_find(op, family);
    if (own && !strcmp(kernel_family(own), family)) return own;
    for (int i = 0, n = kernel_count(); i < n; i++) {
        const kernel_impl *k = kernel_at(i);
        if (k->op == op && !strcmp(kernel_family(k), family)) return k;
    }
    return NULL;
}

const kernel_impl *kernel_in_family_at(op_kind op, const char *family, int i) {
    const kernel_impl *first = kernel_find_in_family(op, family);
    if (!first || i == 0) return first;
    for (int j = 0, n = kernel_count(); j < n; j++) {
        const kernel_impl *k = kernel_at(j);
        if (k != first && k->op == op && !strcmp(kernel_family(k), family) && --i == 0) return k;
    }
    return NULL;
}

const char *kernel_family_at(int i) {
    for (int j = 0, n = kernel_count(); j < n; j++) {
        const char *f = kernel_family(kernel_at(j));
        int seen = !*f;
        for (int p = 0; p < j && !seen; p++) seen = !strcmp(kernel_family(kernel_at(p)), f);
        if (!seen && i-- == 0) return f;
    }
    return NULL;
}
