/* The family registry and the schema-driven knob checks (family.h). */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "family.h"

extern const family FAMILY_RESNET, FAMILY_MOBILENET_V2;
static const family *const FAMILIES[] = { &FAMILY_RESNET, &FAMILY_MOBILENET_V2 };
#define NFAM (int)(sizeof FAMILIES / sizeof *FAMILIES)

int family_count(void) { return NFAM; }
const family *family_at(int i) { return i >= 0 && i < NFAM ? FAMILIES[i] : NULL; }

const family *family_find(const char *name) {
    for (int i = 0; name && i < NFAM; i++)
        if (!strcmp(FAMILIES[i]->name, name)) return FAMILIES[i];
    return NULL;
}

const knob_spec *family_knob(const family *f, const char *name) {
    for (int i = 0; i < f->nknobs; i++)
        if (!strcmp(f->knobs[i].name, name)) return &f->knobs[i];
    return NULL;
}

json_t *family_defaults(const family *f) {
    json_t *o = json_object();
    for (int i = 0; o && i < f->nknobs; i++) {
        json_t *v = json_loads(f->knobs[i].def, JSON_DECODE_ANY, NULL);
        if (!v || json_object_set_new(o, f->knobs[i].name, v)) { json_decref(o); return NULL; }
    }
    return o;
}

const char *knob_type_word(knob_type t) {
    static const char *const w[] = { [KNOB_INT] = "an integer", [KNOB_NUM] = "a number", [KNOB_BOOL] = "true or false",
                                     [KNOB_STR] = "a string", [KNOB_INTS] = "a list of integers",
                                     [KNOB_STRS] = "a list of strings" };
    return w[t];
}

static void allowed_list(const char *const *a, char *out, size_t n) {
    out[0] = 0;
    for (int i = 0; a[i]; i++) snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? ", " : "", a[i]);
}

/* One scalar: its type, range and allowed values; entry > 0 names a list entry. */
static int check_scalar(const knob_spec *k, knob_type t, const json_t *v, size_t entry, char *err, size_t errlen) {
    char what[96], list[256];
    if (entry) snprintf(what, sizeof what, "knob '%s' entry %zu", k->name, entry);
    else snprintf(what, sizeof what, "knob '%s'", k->name);
    int ok = t == KNOB_INT ? json_is_integer(v) : t == KNOB_NUM ? json_is_number(v)
           : t == KNOB_BOOL ? json_is_boolean(v) : json_is_string(v);
    if (!ok) return set_err(err, errlen, "knob '%s' must be %s", k->name, knob_type_word(k->type));
    char text[64] = "";
    if (t == KNOB_INT || t == KNOB_NUM) {
        double x = json_number_value(v);
        if (k->min <= k->max && (t == KNOB_INT ? !(x >= k->min && x <= k->max) : !(x > k->min && x <= k->max))) {
            if (t == KNOB_INT) return set_err(err, errlen, "%s = %lld is out of range [%.0f, %.0f]", what,
                                              (long long)json_integer_value(v), k->min, k->max);
            return set_err(err, errlen, "%s = %g is out of range (%g, %g]", what, x, k->min, k->max);
        }
        if (t == KNOB_INT) snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    } else if (t == KNOB_STR) {
        if (strlen(json_string_value(v)) >= sizeof text) text[0] = 0;   /* never an allowed value */
        else snprintf(text, sizeof text, "%s", json_string_value(v));
    }
    if (k->allowed && t != KNOB_NUM && t != KNOB_BOOL) {
        for (int i = 0; k->allowed[i]; i++)
            if (!strcmp(text, k->allowed[i])) return 0;
        allowed_list(k->allowed, list, sizeof list);
        if (t == KNOB_STR) return set_err(err, errlen, "%s = '%s' is not one of: %s", what, json_string_value(v), list);
        return set_err(err, errlen, "%s = %s is not one of: %s", what, text, list);
    }
    return 0;
}

int knob_check(const knob_spec *k, const json_t *v, char *err, size_t errlen) {
    if (k->type != KNOB_INTS && k->type != KNOB_STRS) return check_scalar(k, k->type, v, 0, err, errlen);
    if (!json_is_array(v) || json_array_size(v) == 0) return set_err(err, errlen, "knob '%s' must be %s", k->name,
                                                                     knob_type_word(k->type));
    size_t n = json_array_size(v), i;
    if ((k->min_len && n < (size_t)k->min_len) || (k->max_len && n > (size_t)k->max_len)) {
        if (k->min_len == k->max_len)
            return set_err(err, errlen, "knob '%s' must list %d entries (got %zu)", k->name, k->min_len, n);
        return set_err(err, errlen, "knob '%s' has %zu entries (%d to %d)", k->name, n, k->min_len ? k->min_len : 1,
                       k->max_len);
    }
    json_t *e;
    json_array_foreach(v, i, e)
        if (check_scalar(k, k->type == KNOB_INTS ? KNOB_INT : KNOB_STR, e, i + 1, err, errlen)) return -1;
    return 0;
}

static json_t *parse_scalar(knob_type t, const char *s) {
    if (t == KNOB_INT) {
        long v;
        return parse_long(s, LONG_MIN, LONG_MAX, &v) ? NULL : json_integer(v);
    }
    if (t == KNOB_NUM) {
        double v;
        return parse_double(s, &v) ? NULL : json_real(v);
    }
    if (t == KNOB_BOOL) {
        if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "on")) return json_true();
        if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "off")) return json_false();
        return NULL;
    }
    return json_string(s);
}

json_t *knob_parse(const knob_spec *k, const char *s) {
    if (k->type != KNOB_INTS && k->type != KNOB_STRS) return parse_scalar(k->type, s);
    char buf[512], *items[64];
    int n;
    if (strlen(s) >= sizeof buf) return NULL;
    strcpy(buf, s);
    if (split_list(buf, items, (int)(sizeof items / sizeof *items), &n, NULL, 0)) return NULL;
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++) {
        json_t *e = parse_scalar(k->type == KNOB_INTS ? KNOB_INT : KNOB_STR, items[i]);
        if (!e) { json_decref(arr); return NULL; }
        json_array_append_new(arr, e);
    }
    return arr;
}

int family_twin(const char *fname, const json_t *knobs, char *key, size_t keylen, int *rank) {
    *rank = -1;
    key[0] = 0;
    const family *f = family_find(fname);
    if (!f || !json_is_object(knobs)) return -1;
    json_t *rest = json_deep_copy(knobs);
    if (!rest) return -1;
    for (int i = 0; i < f->nknobs; i++) {
        const knob_spec *k = &f->knobs[i];
        if (!k->twin) continue;
        json_t *v = json_object_get(rest, k->name);
        char text[64];
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        for (int a = 0; k->allowed && k->allowed[a] && json_is_integer(v); a++)
            if (!strcmp(text, k->allowed[a])) *rank = a;
        json_object_del(rest, k->name);
    }
    char *s = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rest);
    if (!s) return -1;
    snprintf(key, keylen, "%s", s);
    int too_long = strlen(s) >= keylen;
    free(s);
    return too_long ? -1 : 0;
}

/* ---- reading resolved knobs ---- */

static const json_t *get(const network *net, const char *name) { return json_object_get(net->knobs, name); }
long knob_int(const network *net, const char *name) { return (long)json_integer_value(get(net, name)); }
double knob_num(const network *net, const char *name) { return json_number_value(get(net, name)); }
int knob_bool(const network *net, const char *name) { return json_is_true(get(net, name)); }
const char *knob_str(const network *net, const char *name) {
    const char *s = json_string_value(get(net, name));
    return s ? s : "";
}
int knob_len(const network *net, const char *name) { return (int)json_array_size(get(net, name)); }
long knob_int_at(const network *net, const char *name, int i) {
    return (long)json_integer_value(json_array_get(get(net, name), (size_t)i));
}
const char *knob_str_at(const network *net, const char *name, int i) {
    const char *s = json_string_value(json_array_get(get(net, name), (size_t)i));
    return s ? s : "";
}
