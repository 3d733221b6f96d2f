/* safetensors reader and writer: round trip, F16/BF16/F64 conversion, and every kind of
 * malformed file (truncated, bad header, offsets past the end, wrong dtype) rejected with a
 * one-line error that says what is wrong. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "../bench/safetensors.h"
#include "../common/util.h"

/* A file image: the 8-byte size of header, the header, then ndata bytes (0x00..). */
static uint8_t *image(const char *header, size_t ndata, size_t *len) {
    size_t hl = strlen(header);
    *len = 8 + hl + ndata;
    uint8_t *b = malloc(*len + 1);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    for (size_t i = 0; i < ndata; i++) b[8 + hl + i] = (uint8_t)i;
    return b;
}

/* Parsing header + ndata bytes fails with an error containing want. */
static void bad(const char *header, size_t ndata, const char *want) {
    size_t len;
    uint8_t *b = image(header, ndata, &len);
    safetensors s;
    char err[ERRLEN] = "";
    int rc = st_parse(&s, b, len, err, sizeof err);
    CHECK(rc == -1 && strstr(err, want) && !strchr(err, '\n'), "%s -> rc %d, '%s' (wanted '%s')", header, rc, err, want);
    if (rc == 0) st_close(&s);
    free(b);
}

static void good(const char *header, size_t ndata, int ntensors) {
    size_t len;
    uint8_t *b = image(header, ndata, &len);
    safetensors s;
    char err[ERRLEN] = "";
    int rc = st_parse(&s, b, len, err, sizeof err);
    CHECK(rc == 0 && s.n == ntensors, "%s -> rc %d n %d, '%s'", header, rc, rc ? -1 : s.n, err);
    if (rc == 0) st_close(&s);
    free(b);
}

static void malformed(void) {
    safetensors s;
    char err[ERRLEN];
    /* truncated below the size field */
    CHECK(st_parse(&s, (const uint8_t *)"", 0, err, sizeof err) == -1 && strstr(err, "too short"), "%s", err);
    CHECK(st_parse(&s, (const uint8_t *)"\x02\0\0\0\0\0\0", 7, err, sizeof err) == -1 && strstr(err, "too short"), "%s", err);
    /* header size past the end, small and huge */
    uint8_t h1[12] = { 100, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ' };
    CHECK(st_parse(&s, h1, sizeof h1, err, sizeof err) == -1 && strstr(err, "exceeds the file"), "%s", err);
    uint8_t h2[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}', ' ', ' ' };
    CHECK(st_parse(&s, h2, sizeof h2, err, sizeof err) == -1 && strstr(err, "exceeds the file"), "%s", err);
    uint8_t h3[8] = { 0 };
    CHECK(st_parse(&s, h3, sizeof h3, err, sizeof err) == -1 && strstr(err, "not a JSON object"), "%s", err);

    /* bad header */
    bad("[1, 2]  ", 0, "not a JSON object");
    bad("{\"a\": ", 0, "not valid JSON");
    bad("{\"a\" \"b\"}", 0, "not valid JSON");
    bad("{}  garbage", 0, "not valid JSON");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "not valid JSON");   /* duplicate */
    bad("{\"a\": 3}", 0, "'a' is not an object");
    bad("{\"__metadata__\": [1]}", 0, "'__metadata__' is not an object");
    bad("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' missing");
    bad("{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' missing or not a string");
    bad("{\"a\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'F7'");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4, "'shape' missing or not an array");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0] is not a non-negative integer");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape[0] is not a non-negative integer");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "9 dimensions");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", 4,
        "shape overflows");
    bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}", 4, "shape overflows");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "'data_offsets' missing");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "'data_offsets' missing or not [begin, end]");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}}", 4, "not non-negative integers");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, "not non-negative integers");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "end before they begin");
    /* offsets past the end: the file was truncated, or the header lies */
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 7, "run past the data section (7 bytes)");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}}", 4,
        "run past the data section");
    bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8, "4 bytes of data for 2 elements of F32");
    bad("{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "8 bytes of data for 3 elements of F16");

    /* allowed: metadata, empty tensors, scalars, shared and unordered ranges, padding */
    good("{}", 0, 0);
    good("{}      ", 0, 0);
    good("{\"__metadata__\":{\"format\":\"pt\"}}", 0, 0);
    good("{\"a\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}", 0, 1);
    good("{\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16, 3);
    good("{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2],\"extra\":1}}", 2, 1);

    /* st_open: the path leads the message */
    CHECK(st_open(&s, "/nonexistent/x.safetensors", err, sizeof err) == -1 && strstr(err, "cannot open /nonexistent/x.safetensors"),
          "%s", err);
    CHECK(st_open(&s, "/", err, sizeof err) == -1 && strstr(err, "/: not a regular file"), "%s", err);
    char path[] = "/tmp/test_safetensors_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "\x10\0\0\0\0\0\0\0{}", 10) == 10, "temp file");
    close(fd);
    CHECK(st_open(&s, path, err, sizeof err) == -1 && !strncmp(err, path, strlen(path)) && strstr(err, "exceeds the file"),
          "%s", err);
    fd = open(path, O_WRONLY | O_TRUNC);
    close(fd);
    CHECK(st_open(&s, path, err, sizeof err) == -1 && strstr(err, "too short"), "empty file: %s", err);
    unlink(path);
}

static void conversions(void) {
    CHECK(st_f16_to_f32(0x3C00) == 1.0f, "f16 1");
    CHECK(st_f16_to_f32(0xC000) == -2.0f, "f16 -2");
    CHECK(st_f16_to_f32(0x3555) == 0x1.554p-2f, "f16 1/3");
    CHECK(st_f16_to_f32(0x7BFF) == 65504.0f, "f16 max");
    CHECK(st_f16_to_f32(0x0400) == 0x1p-14f, "f16 min normal");
    CHECK(st_f16_to_f32(0x0001) == 0x1p-24f, "f16 min subnormal");
    CHECK(st_f16_to_f32(0x03FF) == 0x3FFp-24f, "f16 max subnormal");
    CHECK(st_f16_to_f32(0x8000) == 0.0f && signbit(st_f16_to_f32(0x8000)), "f16 -0");
    CHECK(isinf(st_f16_to_f32(0x7C00)) && st_f16_to_f32(0xFC00) < 0, "f16 inf");
    CHECK(isnan(st_f16_to_f32(0x7E00)), "f16 nan");
    CHECK(st_bf16_to_f32(0x3F80) == 1.0f, "bf16 1");
    CHECK(st_bf16_to_f32(0xC040) == -3.0f, "bf16 -3");
    CHECK(st_bf16_to_f32(0x3EAB) == 0x1.56p-2f, "bf16 1/3");
    CHECK(isinf(st_bf16_to_f32(0x7F80)), "bf16 inf");
    /* every finite f16 converts exactly: back through float rounding gives the same bits */
    int exact = 1;
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = st_f16_to_f32((uint16_t)h);
        if (!isfinite(f)) continue;
        _Float16 g = (_Float16)f;
        uint16_t back;
        memcpy(&back, &g, 2);
        exact &= back == h;
    }
    CHECK(exact, "f16 round trip of all 63488 finite values");
}

static void round_trip(void) {
    float f32[6] = { 1.5f, -2.25f, 0.0f, 1e-30f, 3.4e38f, -7.0f };
    uint16_t f16[4] = { 0x3C00, 0xC000, 0x0001, 0x7BFF };          /* 1, -2, 2^-24, 65504 */
    uint16_t bf16[2] = { 0x3F80, 0xC040 };                         /* 1, -3 */
    double f64[2] = { 0.1, -1e300 };
    int64_t i64 = 42;
    int64_t s23[2] = { 2, 3 }, s4[1] = { 4 }, s2[1] = { 2 }, s0[1] = { 0 };
    st_entry e[] = {
        { "layer1.0.conv1.weight", "F32", 2, s23, f32 },
        { "half", "F16", 1, s4, f16 },
        { "brain", "BF16", 1, s2, bf16 },
        { "double", "F64", 1, s2, f64 },
        { "bn1.num_batches_tracked", "I64", 0, NULL, &i64 },
        { "empty", "F32", 1, s0, NULL },
    };
    uint8_t *buf;
    size_t len;
    char err[ERRLEN];
    CHECK(st_serialize(e, 6, "{\"format\":\"pt\"}", &buf, &len, err, sizeof err) == 0, "serialize: %s", err);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | buf[i];
    CHECK(hl % 8 == 0 && len == 8 + hl + 24 + 8 + 4 + 16 + 8, "layout: header %llu, file %zu", (unsigned long long)hl, len);
    safetensors s;
    CHECK(st_parse(&s, buf, len, err, sizeof err) == 0, "parse: %s", err);
    CHECK(s.n == 6 && s.metadata && !strcmp(s.metadata, "{\"format\":\"pt\"}"), "n %d, metadata %s", s.n, s.metadata);
    CHECK(s.n == 6 && !strcmp(s.t[0].name, "layer1.0.conv1.weight") && !strcmp(s.t[5].name, "empty"), "header order kept");
    const st_tensor *t = st_find(&s, "layer1.0.conv1.weight");
    float out[6];
    CHECK(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && t->nelem == 6 && !strcmp(t->dtype, "F32"), "f32 entry");
    CHECK(t && st_to_f32(t, out, err, sizeof err) == 0 && !memcmp(out, f32, sizeof f32), "f32 values");
    t = st_find(&s, "half");
    CHECK(t && st_to_f32(t, out, err, sizeof err) == 0 && out[0] == 1 && out[1] == -2 && out[2] == 0x1p-24f &&
          out[3] == 65504, "f16 values");
    t = st_find(&s, "brain");
    CHECK(t && st_to_f32(t, out, err, sizeof err) == 0 && out[0] == 1 && out[1] == -3, "bf16 values");
    t = st_find(&s, "double");
    CHECK(t && st_to_f32(t, out, err, sizeof err) == 0 && out[0] == 0.1f && out[1] == -INFINITY, "f64 values (rounded)");
    t = st_find(&s, "bn1.num_batches_tracked");
    CHECK(t && t->ndim == 0 && t->nelem == 1 && !strcmp(t->dtype, "I64"), "scalar i64");
    CHECK(t && st_to_f32(t, out, err, sizeof err) == -1 && strstr(err, "'bn1.num_batches_tracked' has dtype I64; expected F32"),
          "i64 is not converted: %s", err);
    t = st_find(&s, "empty");
    CHECK(t && t->nelem == 0 && st_to_f32(t, out, err, sizeof err) == 0, "empty tensor");
    CHECK(!st_find(&s, "nope"), "absent name");
    st_close(&s);

    /* every truncation of a valid file is an error, never a read past the end */
    int all = 1;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, buf, cut);
        if (st_parse(&s, c, cut, err, sizeof err) == 0) { all = 0; st_close(&s); }
        free(c);
    }
    CHECK(all, "every truncation rejected");

    /* through a file */
    char path[] = "/tmp/test_safetensors_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK(st_write(path, e, 6, NULL, err, sizeof err) == 0, "write: %s", err);
    CHECK(st_open(&s, path, err, sizeof err) == 0 && s.n == 6 && !s.metadata, "open: %s", err);
    t = st_find(&s, "half");
    CHECK(t && st_to_f32(t, out, err, sizeof err) == 0 && out[3] == 65504, "f16 from file");
    st_close(&s);
    unlink(path);
    free(buf);

    CHECK(st_serialize(e, 1, "[1]", &buf, &len, err, sizeof err) == -1 && strstr(err, "metadata"), "bad metadata");
    st_entry u = { "x", "F9", 1, s2, f32 };
    CHECK(st_serialize(&u, 1, NULL, &buf, &len, err, sizeof err) == -1 && strstr(err, "unknown dtype"), "bad dtype");
}

int main(void) {
    malformed();
    conversions();
    round_trip();
    return check_done("test_safetensors");
}
