/* safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header size N, N bytes of JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets":
 * [begin, end]}, ..., "__metadata__": {..}} and the raw little-endian data; offsets count
 * from the first byte after the header.
 *
 * The reader trusts nothing in the file: the header size is checked against the file
 * length, the header must be one JSON object, every entry must have a known dtype, a shape
 * of non-negative integers and data_offsets with begin <= end inside the data section, and
 * end - begin must equal prod(shape) * sizeof(dtype) (all products overflow-checked).
 * Entries may share or leave gaps between byte ranges (nothing reads past the file).
 * F32 is read as is; F16, BF16 and F64 are converted to f32. */
#ifndef SHIFTBENCH_SAFETENSORS_H
#define SHIFTBENCH_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER (100u << 20)   /* the format's own limit: 100 MB of JSON */

typedef struct {
    char *name;
    char dtype[8];                  /* "F32", "F16", "BF16", "I64", ... */
    size_t elsize;                  /* bytes per element */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t nelem;                   /* prod(shape); 1 for a scalar (ndim 0) */
    const uint8_t *data;            /* nelem * elsize bytes inside the file */
} st_tensor;

typedef struct {
    int n;
    st_tensor *t;                   /* in header order */
    char *metadata;                 /* "__metadata__" as compact JSON, or NULL */
    const uint8_t *buf;             /* the whole file */
    size_t len;
    void *map;                      /* owned mapping (st_open) or NULL (st_parse borrows) */
    size_t maplen;
} safetensors;

/* Parses a file already in memory; the tensors point into data, which must outlive s.
 * Returns 0, or -1 with a one-line error. */
int st_parse(safetensors *s, const uint8_t *data, size_t len, char *err, size_t errlen);
/* Maps and parses path; errors start with the path. */
int st_open(safetensors *s, const char *path, char *err, size_t errlen);
void st_close(safetensors *s);

const st_tensor *st_find(const safetensors *s, const char *name);   /* NULL when absent */

/* Whether st_to_f32 can convert the dtype (F32, F16, BF16, F64). */
int st_dtype_is_float(const char *dtype);
/* Converts t's elements to f32 into out[0..t->nelem). Returns 0, or -1 when the dtype is
 * not a float type. */
int st_to_f32(const st_tensor *t, float *out, char *err, size_t errlen);

/* IEEE half and bfloat16 bit patterns to float (exact). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);

/* ---- writing (tests, seed corpora) ---------------------------------------------------- */

typedef struct {
    const char *name;
    const char *dtype;              /* any dtype the reader knows */
    int ndim;
    const int64_t *shape;
    const void *data;               /* prod(shape) * elsize bytes, host order = little-endian */
} st_entry;

/* Serializes entries (header padded to a multiple of 8 with spaces, data in entry order)
 * into a malloc'd buffer. metadata: a JSON object text or NULL. Returns 0 or -1. */
int st_serialize(const st_entry *e, int n, const char *metadata, uint8_t **out, size_t *outlen,
                 char *err, size_t errlen);
/* st_serialize + an atomic write to path. */
int st_write(const char *path, const st_entry *e, int n, const char *metadata, char *err, size_t errlen);

#endif
