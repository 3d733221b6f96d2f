#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"

static const struct { const char *name; size_t size; } DTYPES[] = {
    { "F32", 4 }, { "F16", 2 }, { "BF16", 2 }, { "F64", 8 }, { "I64", 8 }, { "I32", 4 }, { "I16", 2 },
    { "I8", 1 }, { "U64", 8 }, { "U32", 4 }, { "U16", 2 }, { "U8", 1 }, { "BOOL", 1 },
    { "F8_E5M2", 1 }, { "F8_E4M3", 1 }, { NULL, 0 },
};

static size_t dtype_size(const char *d) {
    for (int i = 0; DTYPES[i].name; i++)
        if (!strcmp(d, DTYPES[i].name)) return DTYPES[i].size;
    return 0;
}

int st_dtype_is_float(const char *d) {
    return !strcmp(d, "F32") || !strcmp(d, "F16") || !strcmp(d, "BF16") || !strcmp(d, "F64");
}

static uint64_t le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

float st_f16_to_f32(uint16_t h) {
    int sign = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    float v;
    if (e == 0) v = ldexpf((float)m, -24);                     /* zero and subnormals */
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexpf((float)(m | 0x400), e - 25);
    return sign ? -v : v;
}

float st_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int st_to_f32(const st_tensor *t, float *out, char *err, size_t errlen) {
    const uint8_t *p = t->data;
    if (!strcmp(t->dtype, "F32")) {
        for (size_t i = 0; i < t->nelem; i++) {
            uint32_t u = (uint32_t)le(p + 4 * i, 4);
            memcpy(&out[i], &u, sizeof u);
        }
    } else if (!strcmp(t->dtype, "F16")) {
        for (size_t i = 0; i < t->nelem; i++) out[i] = st_f16_to_f32((uint16_t)le(p + 2 * i, 2));
    } else if (!strcmp(t->dtype, "BF16")) {
        for (size_t i = 0; i < t->nelem; i++) out[i] = st_bf16_to_f32((uint16_t)le(p + 2 * i, 2));
    } else if (!strcmp(t->dtype, "F64")) {
        for (size_t i = 0; i < t->nelem; i++) {
            uint64_t u = le(p + 8 * i, 8);
            double d;
            memcpy(&d, &u, sizeof d);
            out[i] = (float)d;
        }
    } else {
        return set_err(err, errlen, "tensor '%s' has dtype %s; expected F32 (F16, BF16 and F64 are converted)",
                       t->name, t->dtype);
    }
    return 0;
}

static void free_tensors(safetensors *s) {
    for (int i = 0; i < s->n; i++) free(s->t[i].name);
    free(s->t);
    free(s->metadata);
    s->t = NULL;
    s->metadata = NULL;
    s->n = 0;
}

/* A JSON integer in [0, max], else -1. */
static int64_t nonneg(const json_t *v, int64_t max) {
    if (!json_is_integer(v)) return -1;
    json_int_t x = json_integer_value(v);
    return x < 0 || x > max ? -1 : (int64_t)x;
}

static int parse_entry(safetensors *s, const char *name, json_t *v, size_t data_len, char *err, size_t errlen) {
    st_tensor *t = &s->t[s->n];
    memset(t, 0, sizeof *t);
    if (!json_is_object(v)) return set_err(err, errlen, "header entry '%s' is not an object", name);
    json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape"), *off = json_object_get(v, "data_offsets");
    if (!json_is_string(dt)) return set_err(err, errlen, "header entry '%s': 'dtype' missing or not a string", name);
    const char *d = json_string_value(dt);
    if (!(t->elsize = dtype_size(d))) return set_err(err, errlen, "header entry '%s': unknown dtype '%.16s'", name, d);
    snprintf(t->dtype, sizeof t->dtype, "%s", d);
    if (!json_is_array(sh)) return set_err(err, errlen, "header entry '%s': 'shape' missing or not an array", name);
    if (json_array_size(sh) > ST_MAX_DIMS)
        return set_err(err, errlen, "header entry '%s': %zu dimensions (at most %d)", name, json_array_size(sh), ST_MAX_DIMS);
    t->ndim = (int)json_array_size(sh);
    size_t nelem = 1;
    for (int i = 0; i < t->ndim; i++) {
        int64_t x = nonneg(json_array_get(sh, (size_t)i), INT64_MAX);
        if (x < 0) return set_err(err, errlen, "header entry '%s': shape[%d] is not a non-negative integer", name, i);
        if ((uint64_t)x > SIZE_MAX || mul_size(nelem, (size_t)x, &nelem))
            return set_err(err, errlen, "header entry '%s': shape overflows", name);
        t->shape[i] = x;
    }
    size_t bytes;
    if (mul_size(nelem, t->elsize, &bytes)) return set_err(err, errlen, "header entry '%s': shape overflows", name);
    if (!json_is_array(off) || json_array_size(off) != 2)
        return set_err(err, errlen, "header entry '%s': 'data_offsets' missing or not [begin, end]", name);
    int64_t b = nonneg(json_array_get(off, 0), INT64_MAX), e = nonneg(json_array_get(off, 1), INT64_MAX);
    if (b < 0 || e < 0) return set_err(err, errlen, "header entry '%s': data_offsets are not non-negative integers", name);
    if (b > e) return set_err(err, errlen, "header entry '%s': data_offsets [%lld, %lld) end before they begin", name,
                              (long long)b, (long long)e);
    if ((uint64_t)e > data_len)
        return set_err(err, errlen, "header entry '%s': data_offsets [%lld, %lld) run past the data section (%zu bytes)",
                       name, (long long)b, (long long)e, data_len);
    if ((uint64_t)(e - b) != bytes)
        return set_err(err, errlen, "header entry '%s': %lld bytes of data for %zu elements of %s (%zu bytes)", name,
                       (long long)(e - b), nelem, t->dtype, bytes);
    t->nelem = nelem;
    t->data = s->buf + (s->len - data_len) + b;
    if (!(t->name = strdup(name))) return set_err(err, errlen, "out of memory");
    s->n++;
    return 0;
}

int st_parse(safetensors *s, const uint8_t *data, size_t len, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->buf = data;
    s->len = len;
    if (len < 8) return set_err(err, errlen, "too short for a safetensors file (%zu bytes; the header size alone is 8)", len);
    uint64_t hlen = le(data, 8);
    if (hlen > len - 8)
        return set_err(err, errlen, "header size %llu exceeds the file (%zu bytes after the size): truncated or not safetensors",
                       (unsigned long long)hlen, len - 8);
    if (hlen > ST_MAX_HEADER) return set_err(err, errlen, "header size %llu exceeds the format's limit of %u bytes",
                                             (unsigned long long)hlen, ST_MAX_HEADER);
    if (hlen < 2 || data[8] != '{') return set_err(err, errlen, "header is not a JSON object (it must start with '{')");
    json_error_t je;
    json_t *h = json_loadb((const char *)data + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!h) return set_err(err, errlen, "header is not valid JSON: %s at byte %d", je.text, je.position);
    if (!json_is_object(h)) {
        json_decref(h);
        return set_err(err, errlen, "header is not a JSON object");
    }
    size_t data_len = len - 8 - (size_t)hlen;
    if (!(s->t = calloc(json_object_size(h) + 1, sizeof *s->t))) {
        json_decref(h);
        return set_err(err, errlen, "out of memory");
    }
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(h, key, v) {
        if (!strcmp(key, "__metadata__")) {
            if (!json_is_object(v)) { rc = set_err(err, errlen, "'__metadata__' is not an object"); break; }
            if (!(s->metadata = json_dumps(v, JSON_COMPACT))) { rc = set_err(err, errlen, "out of memory"); break; }
            continue;
        }
        if ((rc = parse_entry(s, key, v, data_len, err, errlen))) break;
    }
    json_decref(h);
    if (rc) free_tensors(s);
    return rc;
}

int st_open(safetensors *s, const char *path, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return set_err(err, errlen, "%s: not a regular file", path);
    }
    size_t len = (size_t)sb.st_size;
    void *map = NULL;
    if (len) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            return set_err(err, errlen, "cannot map %s: %s", path, strerror(e));
        }
    }
    close(fd);
    char why[ERRLEN];
    if (st_parse(s, map ? map : (const uint8_t *)"", len, why, sizeof why)) {
        if (map) munmap(map, len);
        memset(s, 0, sizeof *s);
        return set_err(err, errlen, "%s: %s", path, why);
    }
    s->map = map;
    s->maplen = len;
    return 0;
}

void st_close(safetensors *s) {
    free_tensors(s);
    if (s->map) munmap(s->map, s->maplen);
    memset(s, 0, sizeof *s);
}

const st_tensor *st_find(const safetensors *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->t[i].name, name)) return &s->t[i];
    return NULL;
}

int st_serialize(const st_entry *e, int n, const char *metadata, uint8_t **out, size_t *outlen, char *err,
                 size_t errlen) {
    *out = NULL;
    *outlen = 0;
    json_t *h = json_object();
    size_t off = 0, *sizes = calloc((size_t)n + 1, sizeof *sizes);
    int rc = h && sizes ? 0 : set_err(err, errlen, "out of memory");
    if (!rc && metadata) {
        json_error_t je;
        json_t *m = json_loads(metadata, 0, &je);
        if (!json_is_object(m)) rc = set_err(err, errlen, "metadata is not a JSON object");
        else json_object_set(h, "__metadata__", m);
        json_decref(m);
    }
    for (int i = 0; i < n && !rc; i++) {
        size_t el = dtype_size(e[i].dtype), cnt = 1;
        if (!el) { rc = set_err(err, errlen, "%s: unknown dtype '%s'", e[i].name, e[i].dtype); break; }
        if (e[i].ndim < 0 || e[i].ndim > ST_MAX_DIMS) { rc = set_err(err, errlen, "%s: bad ndim", e[i].name); break; }
        json_t *shape = json_array();
        for (int d = 0; d < e[i].ndim; d++) {
            json_array_append_new(shape, json_integer(e[i].shape[d]));
            if (e[i].shape[d] < 0 || mul_size(cnt, (size_t)e[i].shape[d], &cnt)) rc = -1;
        }
        if (rc || mul_size(cnt, el, &sizes[i])) {
            json_decref(shape);
            rc = set_err(err, errlen, "%s: bad shape", e[i].name);
            break;
        }
        json_object_set_new(h, e[i].name, json_pack("{s:s,s:o,s:[I,I]}", "dtype", e[i].dtype, "shape", shape,
                                                    "data_offsets", (json_int_t)off, (json_int_t)(off + sizes[i])));
        off += sizes[i];
    }
    char *text = rc ? NULL : json_dumps(h, JSON_COMPACT);
    if (!rc && !text) rc = set_err(err, errlen, "out of memory");
    if (!rc) {
        size_t tl = strlen(text), hl = (tl + 7) / 8 * 8, total = 8 + hl + off;
        uint8_t *buf = malloc(total ? total : 1);
        if (!buf) rc = set_err(err, errlen, "out of memory");
        else {
            for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)hl >> (8 * i));
            memcpy(buf + 8, text, tl);
            memset(buf + 8 + tl, ' ', hl - tl);
            size_t p = 8 + hl;
            for (int i = 0; i < n; i++) {
                if (sizes[i]) memcpy(buf + p, e[i].data, sizes[i]);
                p += sizes[i];
            }
            *out = buf;
            *outlen = total;
        }
    }
    free(text);
    free(sizes);
    json_decref(h);
    return rc;
}

int st_write(const char *path, const st_entry *e, int n, const char *metadata, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    if (st_serialize(e, n, metadata, &buf, &len, err, errlen)) return -1;
    int rc = write_file_atomic(path, (const char *)buf, len, err, errlen);
    free(buf);
    return rc;
}
