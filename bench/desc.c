#include "desc.h"

#include <stdio.h>
#include <string.h>

#include "../common/text.h"
#include "../common/util.h"

enum { MB, IC, IH, IW, OC, OH, OW, KH, KW, SH, SW, PH, PW, G, NFIELDS };
static const char *const keys[NFIELDS] = { "mb", "ic", "ih", "iw", "oc", "oh", "ow",
                                           "kh", "kw", "sh", "sw", "ph", "pw", "g" };

/* Which fields an op takes: windowed ops all, the rest only the tensor shape. */
static int applies(op_kind op, int f) {
    if (f == G) return op == OP_CONV;   /* groups (benchdnn's g) */
    if (op == OP_CONV || op == OP_SHIFTCONV || op == OP_MAXPOOL || op == OP_AVGPOOL) return 1;
    return f <= OW;
}

/* A field name at s, or -1. */
static int field_at(const char *s) {
    for (int f = 0; f < NFIELDS; f++)
        if (!strncmp(s, keys[f], strlen(keys[f]))) return f;
    return -1;
}

/* The n"NAME" / nNAME tail: the name, which must end the descriptor. */
static int parse_name(const char *p, const char *s, char *name, size_t namelen, char *err, size_t errlen) {
    const char *start = p, *end;
    if (*p == '"') {
        start = ++p;
        end = strchr(p, '"');
        if (!end) return set_err(err, errlen, "bad descriptor '%s': unterminated name after n\"", s);
        if (end[1]) return set_err(err, errlen, "bad descriptor '%s': the name n\"...\" must come last", s);
    } else {
        end = p + strlen(p);
    }
    size_t len = (size_t)(end - start);
    if (!len) return set_err(err, errlen, "bad descriptor '%s': empty name after 'n'", s);
    if (len >= namelen) return set_err(err, errlen, "bad descriptor '%s': name longer than %zu characters", s, namelen - 1);
    memcpy(name, start, len);
    name[len] = 0;
    if (text_unsafe(name))   /* it reaches the table and the results */
        return set_err(err, errlen, "bad descriptor '%s': a control character in the name", s);
    return 0;
}

int desc_parse(const char *s, op_kind op, const op_desc *sh, int relu, op_desc *d,
               char *name, size_t namelen, char *err, size_t errlen) {
    long v[NFIELDS];
    int given[NFIELDS] = { 0 };
    char user_name[256] = "";
    const char *p = s;
    if (!*s) return set_err(err, errlen, "empty descriptor");
    while (*p) {
        if (*p == '_') { p++; continue; }
        if (*p == 'n' && p[1] != 0 && field_at(p) < 0) {
            if (parse_name(p + 1, s, user_name, sizeof user_name, err, errlen)) return -1;
            break;
        }
        int f = field_at(p);
        if (f < 0)
            return set_err(err, errlen, "bad descriptor '%s': unknown field at '%.8s' (fields: g mb ic ih iw oc oh ow kh kw sh sw ph pw, n\"NAME\")", s, p);
        p += strlen(keys[f]);
        char num[16];
        size_t k = 0;
        while (p[k] >= '0' && p[k] <= '9') k++;
        if (!k) return set_err(err, errlen, "bad descriptor '%s': '%s' needs a number", s, keys[f]);
        if (given[f]) return set_err(err, errlen, "bad descriptor '%s': '%s' given twice", s, keys[f]);
        long min = f == PH || f == PW ? 0 : 1;
        if (k >= sizeof num) return set_err(err, errlen, "bad descriptor '%s': %s is too large (at most %d)", s, keys[f], DESC_MAX_VALUE);
        memcpy(num, p, k);
        num[k] = 0;
        if (parse_long(num, 0, DESC_MAX_VALUE, &v[f]))
            return set_err(err, errlen, "bad descriptor '%s': %s%s is too large (at most %d)", s, keys[f], num, DESC_MAX_VALUE);
        if (v[f] < min) return set_err(err, errlen, "bad descriptor '%s': %s must be at least %ld", s, keys[f], min);
        if (!applies(op, f)) return set_err(err, errlen, "bad descriptor '%s': %s does not apply to %s", s, keys[f], op_name(op));
        given[f] = 1;
        p += k;
    }
    if (!given[IC]) return set_err(err, errlen, "bad descriptor '%s': ic (input channels) is required", s);
    if (!given[IH] && op != OP_FC) return set_err(err, errlen, "bad descriptor '%s': ih (input height) is required", s);
    if (!given[KH] && (op == OP_CONV || op == OP_MAXPOOL || op == OP_AVGPOOL))
        return set_err(err, errlen, "bad descriptor '%s': kh (window height) is required for %s", s, op_name(op));
    if (!given[OC] && (op == OP_CONV || op == OP_SHIFTCONV || op == OP_FC))
        return set_err(err, errlen, "bad descriptor '%s': oc (output channels) is required for %s", s, op_name(op));
    /* benchdnn defaults: the w field follows the h field. */
    static const int pairs[][2] = { { IH, IW }, { OH, OW }, { KH, KW }, { SH, SW }, { PH, PW } };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        int h = pairs[i][0], w = pairs[i][1];
        if (!given[w] && given[h]) { v[w] = v[h]; given[w] = 1; }
        if (!given[h] && given[w]) { v[h] = v[w]; given[h] = 1; }
    }
    if (given[SH] && v[SH] != v[SW])
        return set_err(err, errlen, "bad descriptor '%s': sh%ld and sw%ld differ (strides must be square)", s, v[SH], v[SW]);
    if (given[PH] && v[PH] != v[PW])
        return set_err(err, errlen, "bad descriptor '%s': ph%ld and pw%ld differ (padding must be square)", s, v[PH], v[PW]);
    op_desc r = { .kind = op, .n = given[MB] ? (int)v[MB] : 1, .c = (int)v[IC],
                  .h = given[IH] ? (int)v[IH] : 1, .w = given[IW] ? (int)v[IW] : 1,
                  .oc = given[OC] ? (int)v[OC] : 0, .oh = given[OH] ? (int)v[OH] : 0,
                  .ow = given[OW] ? (int)v[OW] : 0, .kh = given[KH] ? (int)v[KH] : 0,
                  .kw = given[KW] ? (int)v[KW] : 0, .stride = given[SH] ? (int)v[SH] : 1,
                  .pad = given[PH] ? (int)v[PH] : 0, .relu = relu ? 1 : 0,
                  .groups = given[G] ? (int)v[G] : 0 };
    if (op == OP_SHIFT || op == OP_SHIFTCONV) {
        r.conn = sh ? sh->conn : 4;
        if (sh) r.shift = sh->shift;
    }
    char why[ERRLEN];
    if (op_check(&r, why, sizeof why)) return set_err(err, errlen, "bad descriptor '%s': %s", s, why);
    *d = r;
    if (user_name[0]) snprintf(name, namelen, "%s", user_name);
    else desc_format(d, name, namelen);
    return 0;
}

void desc_format(const op_desc *d, char *buf, size_t len) {
    int windowed = d->kind == OP_CONV || d->kind == OP_SHIFTCONV || d->kind == OP_MAXPOOL || d->kind == OP_AVGPOOL;
    int has_oc = d->kind == OP_CONV || d->kind == OP_SHIFTCONV || d->kind == OP_FC;
    size_t n = 0;
#define PUT(...) do { int k_ = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__); if (k_ > 0) n += (size_t)k_; } while (0)
    if (len) buf[0] = 0;
    if (d->groups > 1) PUT("g%d", d->groups);
    PUT("mb%dic%d", d->n, d->c);
    if (d->kind != OP_FC) {
        PUT("ih%d", d->h);
        if (d->w != d->h) PUT("iw%d", d->w);
    }
    if (has_oc) PUT("oc%d", d->oc);
    if (windowed) {
        PUT("oh%d", d->oh);
        if (d->ow != d->oh) PUT("ow%d", d->ow);
        if (d->kind != OP_SHIFTCONV) {
            PUT("kh%d", d->kh);
            if (d->kw != d->kh) PUT("kw%d", d->kw);
        }
        if (d->stride != 1) PUT("sh%d", d->stride);
        if (d->pad != 0) PUT("ph%d", d->pad);
    }
#undef PUT
}
