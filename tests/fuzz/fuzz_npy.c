/* libFuzzer target: the .npy reader (bench/npy.c) behind `shiftbench net --input`.
 *
 * Input: the file's bytes. Besides "no crash, no leak, no undefined behaviour": a rejected
 * file gets a one-line error; an accepted one holds prod(shape) floats, exactly the bytes
 * after its header. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/npy.h"
#include "../../common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    npy_array a;
    char err[ERRLEN] = "";
    if (npy_parse(data, size, &a, err, sizeof err)) {
        if (!err[0] || strchr(err, '\n')) { fprintf(stderr, "rejected without a one-line error\n"); abort(); }
        return 0;
    }
    size_t n = 1;
    for (int i = 0; i < a.ndim; i++) n *= (size_t)a.shape[i];
    if (n != a.n || (n && !a.data) || n * 4 > size) { fprintf(stderr, "accepted with a wrong element count\n"); abort(); }
    if (n && memcmp(a.data, data + size - n * 4, n * 4)) { fprintf(stderr, "data is not the file's tail\n"); abort(); }
    npy_free(&a);
    return 0;
}
