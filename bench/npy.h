/* NumPy .npy files of float32 in C order (https://numpy.org/doc/stable/reference/generated/
 * numpy.lib.format.html): "\x93NUMPY", version 1.0 (2-byte header length), 2.0 or 3.0
 * (4-byte), a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (..), }
 * padded with spaces and a newline, then the data. What other tools read and write:
 * numpy.load/save, torch via numpy. */
#ifndef SHIFTBENCH_NPY_H
#define SHIFTBENCH_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8

typedef struct {
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    size_t n;        /* prod(shape) */
    float *data;     /* malloc'd, n floats (NULL when n == 0) */
} npy_array;

/* Parses an .npy image: descr must be '<f4' (or '|f4'/'=f4' on this little-endian host),
 * fortran_order False, and exactly prod(shape) * 4 bytes of data after the header.
 * Returns 0, or -1 with a one-line error. */
int npy_parse(const uint8_t *buf, size_t len, npy_array *a, char *err, size_t errlen);
/* Reads path; errors start with the path. */
int npy_read(const char *path, npy_array *a, char *err, size_t errlen);
void npy_free(npy_array *a);

/* Writes a version 1.0 file ('<f4', C order), atomically; path "-" = stdout. */
int npy_write(const char *path, const float *data, int ndim, const int64_t *shape, char *err, size_t errlen);

/* "[1, 3, 224, 224]" into buf, for messages. */
const char *npy_shape_str(int ndim, const int64_t *shape, char *buf, size_t len);

#endif
