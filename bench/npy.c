#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

const char *npy_shape_str(int ndim, const int64_t *shape, char *buf, size_t len) {
    size_t p = 0;
    p += (size_t)snprintf(buf + p, p < len ? len - p : 0, "[");
    for (int i = 0; i < ndim; i++)
        p += (size_t)snprintf(buf + p, p < len ? len - p : 0, "%s%lld", i ? ", " : "", (long long)shape[i]);
    snprintf(buf + p, p < len ? len - p : 0, "]");
    return buf;
}

/* ---- the header dict: a tiny parser for exactly what numpy writes (and a bit more) ---- */

typedef struct { const char *p, *end; } cur;

static void ws(cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}
static int eat(cur *c, char ch) {
    ws(c);
    if (c->p < c->end && *c->p == ch) { c->p++; return 1; }
    return 0;
}
/* A quoted Python string ('x' or "x", no escapes) into out. */
static int str(cur *c, char *out, size_t outlen) {
    ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= outlen) return -1;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return -1;
    c->p++;
    out[n] = 0;
    return 0;
}
static int word(cur *c, const char *w) {
    ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && !memcmp(c->p, w, n)) { c->p += n; return 1; }
    return 0;
}
/* (d0, d1, ...) with an optional trailing comma; () is a scalar. */
static int tuple(cur *c, npy_array *a) {
    if (!eat(c, '(')) return -1;
    a->ndim = 0;
    for (;;) {
        if (eat(c, ')')) return 0;
        ws(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
        int64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return -1;
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') c->p++;   /* Python 2 longs */
        if (a->ndim >= NPY_MAX_DIMS) return -1;
        a->shape[a->ndim++] = v;
        if (!eat(c, ',')) return eat(c, ')') ? 0 : -1;
    }
}

int npy_parse(const uint8_t *buf, size_t len, npy_array *a, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6)) return set_err(err, errlen, "not a NumPy .npy file (no \\x93NUMPY magic)");
    int major = buf[6];
    size_t hl, start;
    if (major == 1) { hl = (size_t)buf[8] | (size_t)buf[9] << 8; start = 10; }
    else if (major == 2 || major == 3) {
        if (len < 12) return set_err(err, errlen, "truncated .npy header");
        hl = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else return set_err(err, errlen, ".npy format version %d.%d is not supported (1.0, 2.0, 3.0)", major, buf[7]);
    if (hl > len - start) return set_err(err, errlen, "truncated .npy file: header of %zu bytes, file of %zu", hl, len);
    cur c = { (const char *)buf + start, (const char *)buf + start + hl };
    char key[32], descr[32] = "";
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    if (!eat(&c, '{')) return set_err(err, errlen, ".npy header is not a dict");
    for (;;) {
        if (eat(&c, '}')) break;
        if (str(&c, key, sizeof key) || !eat(&c, ':')) return set_err(err, errlen, "malformed .npy header");
        if (!strcmp(key, "descr")) {
            if (str(&c, descr, sizeof descr)) return set_err(err, errlen, ".npy header: 'descr' is not a simple type string");
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (word(&c, "False")) fortran = 0;
            else if (word(&c, "True")) fortran = 1;
            else return set_err(err, errlen, ".npy header: 'fortran_order' is not True or False");
            have_order = 1;
        } else if (!strcmp(key, "shape")) {
            if (tuple(&c, a)) return set_err(err, errlen, ".npy header: 'shape' is not a tuple of at most %d sizes", NPY_MAX_DIMS);
            have_shape = 1;
        } else return set_err(err, errlen, ".npy header: unknown key '%s'", key);
        if (!eat(&c, ',')) {
            if (eat(&c, '}')) break;
            return set_err(err, errlen, "malformed .npy header");
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return set_err(err, errlen, ".npy header lacks '%s'", !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    if (strcmp(descr, "<f4") && strcmp(descr, "|f4") && strcmp(descr, "=f4"))
        return set_err(err, errlen, ".npy dtype '%s' is not float32 '<f4' (convert with x.astype(numpy.float32))", descr);
    if (fortran) return set_err(err, errlen, ".npy array is in Fortran order; C order is required (numpy.ascontiguousarray)");
    size_t n = 1, bytes;
    for (int i = 0; i < a->ndim; i++)
        if ((uint64_t)a->shape[i] > SIZE_MAX || mul_size(n, (size_t)a->shape[i], &n))
            return set_err(err, errlen, ".npy shape overflows");
    if (mul_size(n, 4, &bytes)) return set_err(err, errlen, ".npy shape overflows");
    size_t have = len - start - hl;
    char sh[160];
    if (have != bytes)
        return set_err(err, errlen, ".npy data is %zu bytes; shape %s of float32 needs %zu", have,
                       npy_shape_str(a->ndim, a->shape, sh, sizeof sh), bytes);
    a->n = n;
    if (n) {
        if (!(a->data = malloc(bytes))) return set_err(err, errlen, "out of memory (%zu bytes)", bytes);
        const uint8_t *p = buf + start + hl;
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                         (uint32_t)p[4 * i + 3] << 24;
            memcpy(&a->data[i], &u, sizeof u);
        }
    }
    return 0;
}

int npy_read(const char *path, npy_array *a, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "rb");
    if (!f) return set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return set_err(err, errlen, "%s: out of memory", path); }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return set_err(err, errlen, "cannot read %s", path); }
    char why[ERRLEN];
    int rc = npy_parse(buf, len, a, why, sizeof why);
    free(buf);
    if (rc) return set_err(err, errlen, "%s: %s", path, why);
    return 0;
}

void npy_free(npy_array *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

int npy_write(const char *path, const float *data, int ndim, const int64_t *shape, char *err, size_t errlen) {
    if (ndim < 0 || ndim > NPY_MAX_DIMS) return set_err(err, errlen, "npy: %d dimensions", ndim);
    char dict[512];
    int p = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        /* numpy's repr of the tuple: (5,) and (1, 3) */
        p += snprintf(dict + p, sizeof dict - (size_t)p, "%s%lld%s", i ? ", " : "", (long long)shape[i], ndim == 1 ? "," : "");
        if (shape[i] < 0 || mul_size(n, (size_t)shape[i], &n)) return set_err(err, errlen, "npy: bad shape");
    }
    p += snprintf(dict + p, sizeof dict - (size_t)p, "), }");
    /* numpy pads so that magic + length + header is a multiple of 64, ending in '\n' */
    size_t hl = ((size_t)p + 1 + 10 + 63) / 64 * 64 - 10;
    size_t bytes, total;
    if (mul_size(n, 4, &bytes) || (total = 10 + hl + bytes) < bytes) return set_err(err, errlen, "npy: too large");
    uint8_t *buf = malloc(total);
    if (!buf) return set_err(err, errlen, "out of memory");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)(hl & 0xff);
    buf[9] = (uint8_t)(hl >> 8);
    memcpy(buf + 10, dict, (size_t)p);
    memset(buf + 10 + p, ' ', hl - (size_t)p - 1);
    buf[10 + hl - 1] = '\n';
    uint8_t *d = buf + 10 + hl;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &data[i], sizeof u);
        for (int b = 0; b < 4; b++) d[4 * i + b] = (uint8_t)(u >> (8 * b));
    }
    int rc = write_file_atomic(path, (const char *)buf, total, err, errlen);
    free(buf);
    return rc;
}
