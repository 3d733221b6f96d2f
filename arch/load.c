/* Loading an arch instance: the family's knob defaults, the instance's values, then the
 * command line's --set overrides, each checked against the family's knob names and the
 * type of its default; then the resolved knobs are expanded into layers (expand.c). */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/text.h"
#include "../common/util.h"
#include "ir.h"

static json_t *load_json(const char *path, char *err, size_t errlen) {
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        if (je.line < 0) set_err(err, errlen, "%s: %s", path, je.text);
        else set_err(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        set_err(err, errlen, "%s: expected a JSON object at the top level", path);
        return NULL;
    }
    return j;
}

/* Only these top-level keys; anything else is a typo worth reporting. */
static int check_keys(json_t *obj, const char *path, const char *const *allowed, char *err, size_t errlen) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (int i = 0; allowed[i]; i++) ok |= !strcmp(key, allowed[i]);
        if (!ok) {
            char list[256] = "";
            for (int i = 0; allowed[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
            return set_err(err, errlen, "%s: unknown key '%s' (allowed: %s)", path, key, list);
        }
    }
    return 0;
}

static void knob_names(json_t *defaults, char *out, size_t n) {
    const char *key;
    json_t *v;
    out[0] = 0;
    json_object_foreach(defaults, key, v)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", out[0] ? ", " : "", key);
}

/* Same JSON kind as the default (integer and real interchange where exact). */
static int same_type(json_t *def, json_t *v) {
    if (json_is_array(def)) {
        if (!json_is_array(v) || json_array_size(v) == 0) return 0;
        json_t *d0 = json_array_get(def, 0), *e;
        size_t i;
        json_array_foreach(v, i, e) if (!same_type(d0, e)) return 0;
        return 1;
    }
    if (json_is_integer(def)) return json_is_integer(v);
    if (json_is_real(def)) return json_is_number(v);
    if (json_is_boolean(def)) return json_is_boolean(v);
    if (json_is_string(def)) return json_is_string(v);
    return 0;
}

static const char *type_word(json_t *def) {
    if (json_is_array(def)) return json_is_string(json_array_get(def, 0)) ? "a list of strings" : "a list of integers";
    if (json_is_integer(def)) return "an integer";
    if (json_is_real(def)) return "a number";
    if (json_is_boolean(def)) return "true or false";
    return "a string";
}

static int set_knob(json_t *knobs, json_t *defaults, const char *where, const char *key, json_t *v,
                    char *err, size_t errlen) {
    json_t *def = json_object_get(defaults, key);
    if (!def) {
        char names[512];
        knob_names(defaults, names, sizeof names);
        json_decref(v);
        return set_err(err, errlen, "%s: unknown knob '%s' (knobs: %s)", where, key, names);
    }
    if (!same_type(def, v)) {
        json_decref(v);
        return set_err(err, errlen, "%s: knob '%s' must be %s", where, key, type_word(def));
    }
    json_object_set_new(knobs, key, v);
    return 0;
}

/* A --set value, parsed as the type of the knob's default. */
static json_t *parse_value(json_t *def, const char *s) {
    if (json_is_array(def)) {
        char buf[512], *items[IR_MAX_STAGES * 8];
        int n;
        if (strlen(s) >= sizeof buf) return NULL;
        strcpy(buf, s);
        if (split_list(buf, items, (int)(sizeof items / sizeof *items), &n, NULL, 0)) return NULL;
        json_t *arr = json_array();
        for (int i = 0; i < n; i++) {
            json_t *e = parse_value(json_array_get(def, 0), items[i]);
            if (!e) { json_decref(arr); return NULL; }
            json_array_append_new(arr, e);
        }
        return arr;
    }
    if (json_is_integer(def)) {
        long v;
        return parse_long(s, LONG_MIN, LONG_MAX, &v) ? NULL : json_integer(v);
    }
    if (json_is_real(def)) {
        double v;
        return parse_double(s, &v) ? NULL : json_real(v);
    }
    if (json_is_boolean(def)) {
        if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "on")) return json_true();
        if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "off")) return json_false();
        return NULL;
    }
    return json_string(s);
}

/* ---- knobs (JSON) -> ir_knobs, with range checks ---- */

static int get_int(json_t *knobs, const char *key, long min, long max, int *out, char *err, size_t errlen) {
    long v = (long)json_integer_value(json_object_get(knobs, key));
    if (v < min || v > max)
        return set_err(err, errlen, "knob '%s' = %ld is out of range [%ld, %ld]", key, v, min, max);
    *out = (int)v;
    return 0;
}

static int get_str(json_t *v, const char *key, const char *const *allowed, char *out, size_t n,
                   char *err, size_t errlen) {
    const char *s = json_string_value(v);
    if (!s) return set_err(err, errlen, "knob '%s' is missing or not a string", key);   /* a broken family file */
    for (int i = 0; allowed[i]; i++)
        if (!strcmp(s, allowed[i])) { snprintf(out, n, "%s", s); return 0; }
    char list[256] = "";
    for (int i = 0; allowed[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
    return set_err(err, errlen, "knob '%s' = '%s' is not one of: %s", key, s, list);
}

static int get_int_list(json_t *knobs, const char *key, long min, long max, int *out, int *n,
                        char *err, size_t errlen) {
    json_t *arr = json_object_get(knobs, key), *e;
    size_t i;
    if (json_array_size(arr) > IR_MAX_STAGES)
        return set_err(err, errlen, "knob '%s' has %zu entries (at most %d stages)", key,
                       json_array_size(arr), IR_MAX_STAGES);
    json_array_foreach(arr, i, e) {
        long v = (long)json_integer_value(e);
        if (v < min || v > max)
            return set_err(err, errlen, "knob '%s' entry %zu = %ld is out of range [%ld, %ld]", key, i + 1, v, min, max);
        out[i] = (int)v;
    }
    *n = (int)json_array_size(arr);
    return 0;
}

static const char *const BLOCK_KINDS[] = { "bottleneck", "flat", NULL };
static const char *const SLOT_KINDS[] = { "conv1x1", "conv3x3", "shift+conv1x1", NULL };
static const char *const DOWNSAMPLE_KINDS[] = { "stride", "avgpool", NULL };

/* Sizes are bounded so that every product of them stays far from overflow before the
 * cost model's own checked arithmetic. */
#define MAX_SIZE 1000000

static int resolve(json_t *kn, ir_knobs *k, char *err, size_t errlen) {
    int nw;
    memset(k, 0, sizeof *k);
    if (get_int_list(kn, "blocks", 1, 10000, k->blocks, &k->nstages, err, errlen) ||
        get_int_list(kn, "widths", 1, MAX_SIZE, k->widths, &nw, err, errlen) ||
        get_int(kn, "expansion", 1, 64, &k->expansion, err, errlen) ||
        get_int(kn, "stem_width", 1, MAX_SIZE, &k->stem_width, err, errlen) ||
        get_int(kn, "resolution", 1, MAX_SIZE, &k->resolution, err, errlen) ||
        get_int(kn, "classes", 1, MAX_SIZE, &k->classes, err, errlen) ||
        get_int(kn, "batch", 1, MAX_SIZE, &k->batch, err, errlen) ||
        get_int(kn, "neighbourhood", 4, 8, &k->neighbourhood, err, errlen) ||
        get_str(json_object_get(kn, "block"), "block", BLOCK_KINDS, k->block, sizeof k->block, err, errlen) ||
        get_str(json_object_get(kn, "downsample"), "downsample", DOWNSAMPLE_KINDS, k->downsample,
                sizeof k->downsample, err, errlen))
        return -1;
    if (nw != k->nstages)
        return set_err(err, errlen, "knob 'widths' has %d entries but 'blocks' has %d stage(s)", nw, k->nstages);
    if (k->neighbourhood != 4 && k->neighbourhood != 8)
        return set_err(err, errlen, "knob 'neighbourhood' = %d must be 4 or 8", k->neighbourhood);
    json_t *slots = json_object_get(kn, "slots"), *e;
    size_t i;
    if (json_array_size(slots) != 3)
        return set_err(err, errlen, "knob 'slots' must list 3 slots (got %zu)", json_array_size(slots));
    json_array_foreach(slots, i, e)
        if (get_str(e, "slots", SLOT_KINDS, k->slots[i], sizeof k->slots[i], err, errlen)) return -1;
    k->width_multiplier = json_number_value(json_object_get(kn, "width_multiplier"));
    if (!(k->width_multiplier > 0 && k->width_multiplier <= 64))
        return set_err(err, errlen, "knob 'width_multiplier' = %g is out of range (0, 64]", k->width_multiplier);
    /* A tiny multiplier would round every width to 0: an error, not a silent clamp to 1. */
    for (int s = -1; s < k->nstages; s++) {
        int w = s < 0 ? k->stem_width : k->widths[s];
        if (floor(w * k->width_multiplier + 0.5) < 1)
            return set_err(err, errlen, "knob 'width_multiplier' = %g scales %s width %d to 0 channels",
                           k->width_multiplier, s < 0 ? "the stem" : "a stage", w);
    }
    k->inner_residual = json_is_true(json_object_get(kn, "inner_residual"));
    return 0;
}

/* Every knob the expander reads, with the JSON type its default must have: a family file
 * is checked against this before anything is merged, so that an instance or --set value
 * is always typed by a sound default. */
static const struct { const char *name; char type; } KNOBS[] = {
    { "blocks", 'L' }, { "widths", 'L' }, { "expansion", 'i' }, { "width_multiplier", 'n' },
    { "stem_width", 'i' }, { "block", 's' }, { "slots", 'S' }, { "neighbourhood", 'i' },
    { "downsample", 's' }, { "inner_residual", 'b' }, { "resolution", 'i' }, { "classes", 'i' },
    { "batch", 'i' },
};

static int typed(json_t *v, char t) {
    switch (t) {
    case 'i': return json_is_integer(v);
    case 'n': return json_is_number(v);
    case 'b': return json_is_boolean(v);
    case 's': return json_is_string(v);
    default: {   /* non-empty list of integers ('L') or strings ('S') */
        json_t *e;
        size_t i;
        if (!json_is_array(v) || json_array_size(v) == 0) return 0;
        json_array_foreach(v, i, e) if (!typed(e, t == 'L' ? 'i' : 's')) return 0;
        return 1;
    }
    }
}

static int check_family(json_t *defaults, const char *path, char *err, size_t errlen) {
    static const char *const words[] = { ['i'] = "an integer", ['n'] = "a number", ['b'] = "true or false",
                                         ['s'] = "a string", ['L'] = "a non-empty list of integers",
                                         ['S'] = "a non-empty list of strings" };
    const char *key;
    json_t *v;
    for (size_t k = 0; k < sizeof KNOBS / sizeof *KNOBS; k++) {
        v = json_object_get(defaults, KNOBS[k].name);
        if (!v) return set_err(err, errlen, "%s: the family lacks knob '%s'", path, KNOBS[k].name);
        if (!typed(v, KNOBS[k].type))
            return set_err(err, errlen, "%s: the default of knob '%s' must be %s", path, KNOBS[k].name,
                           words[(int)KNOBS[k].type]);
    }
    json_object_foreach(defaults, key, v) {
        size_t k = 0;
        while (k < sizeof KNOBS / sizeof *KNOBS && strcmp(key, KNOBS[k].name)) k++;
        if (k == sizeof KNOBS / sizeof *KNOBS)
            return set_err(err, errlen, "%s: knob '%s' is not one the expander knows", path, key);
    }
    return 0;
}

/* The family file: <dir of the instance>/families/NAME.json, else the arch dir's. */
static json_t *load_family(const char *inst_path, const char *family, char *path, size_t pathlen,
                           char *err, size_t errlen) {
    for (const char *c = family; *c; c++)
        if (!(*c == '-' || *c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))) {
            set_err(err, errlen, "%s: family name '%s' may use only a-z, 0-9, '-' and '_'", inst_path, family);
            return NULL;
        }
    const char *slash = strrchr(inst_path, '/');
    int dirlen = slash ? (int)(slash - inst_path) : 1;
    snprintf(path, pathlen, "%.*s/families/%s.json", dirlen, slash ? inst_path : ".", family);
    FILE *f = fopen(path, "r");
    if (!f) snprintf(path, pathlen, "%s/families/%s.json", arch_dir(), family);
    else fclose(f);
    f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "%s: unknown family '%s' (no %s)", inst_path, family, path);
        return NULL;
    }
    fclose(f);
    return load_json(path, err, errlen);
}

static int find_instance(const char *name, char *path, size_t n, char *err, size_t errlen) {
    if (strchr(name, '/') || strstr(name, ".json")) {
        snprintf(path, n, "%s", name);
        FILE *f = fopen(path, "r");
        if (!f) return set_err(err, errlen, "%s: cannot open network file", name);
        fclose(f);
        return 0;
    }
    snprintf(path, n, "%s/%s.json", arch_dir(), name);
    FILE *f = fopen(path, "r");
    if (f) { fclose(f); return 0; }
    char **names;
    int cnt = arch_list(&names);
    char list[2048] = "";
    for (int i = 0; i < cnt; i++) {
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
        free(names[i]);
    }
    free(names);
    if (!cnt) return set_err(err, errlen, "unknown network '%s' (no arch files in %s; set SHIFTBENCH_ARCH?)", name, arch_dir());
    return set_err(err, errlen, "unknown network '%s' (available: %s)", name, list);
}

static const char *const INSTANCE_KEYS[] = { "family", "description", "knobs", NULL };
static const char *const FAMILY_KEYS[] = { "family", "description", "wiring", "knobs", NULL };
/* The wirings arch/expand.c implements: a family file names one of them. */
static const char *const WIRINGS[] = { "resnet", NULL };

int network_load(const char *name_or_path, const ir_overrides *ov, network *net, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    char fampath[1024];
    json_t *inst = NULL, *fam = NULL, *knobs = NULL;
    int rc = -1;
    if (find_instance(name_or_path, net->path, sizeof net->path, err, errlen)) return -1;
    if (!(inst = load_json(net->path, err, errlen))) goto out;
    if (check_keys(inst, net->path, INSTANCE_KEYS, err, errlen)) goto out;
    json_t *famname = json_object_get(inst, "family");
    if (!json_is_string(famname)) { set_err(err, errlen, "%s: missing \"family\" (a string)", net->path); goto out; }
    json_t *desc = json_object_get(inst, "description");
    if (desc && !json_is_string(desc)) { set_err(err, errlen, "%s: \"description\" must be a string", net->path); goto out; }
    if (desc && text_unsafe(json_string_value(desc))) {   /* it reaches terminals, tables, reports */
        set_err(err, errlen, "%s: \"description\" holds a control character", net->path);
        goto out;
    }
    snprintf(net->description, sizeof net->description, "%s", desc ? json_string_value(desc) : "");
    if (!(fam = load_family(net->path, json_string_value(famname), fampath, sizeof fampath, err, errlen))) goto out;
    if (check_keys(fam, fampath, FAMILY_KEYS, err, errlen)) goto out;
    json_t *defaults = json_object_get(fam, "knobs");
    if (!json_is_object(defaults)) { set_err(err, errlen, "%s: missing \"knobs\" (an object)", fampath); goto out; }
    if (check_family(defaults, fampath, err, errlen)) goto out;
    json_t *wiring = json_object_get(fam, "wiring");
    char wbuf[16];
    if (!json_is_string(wiring) || get_str(wiring, "wiring", WIRINGS, wbuf, sizeof wbuf, err, errlen)) {
        char why[ERRLEN];
        snprintf(why, sizeof why, "%s", json_is_string(wiring) ? err : "missing \"wiring\" (a string)");
        set_err(err, errlen, "%s: %s", fampath, why);
        goto out;
    }
    if (strlen(json_string_value(famname)) >= sizeof net->family) {
        set_err(err, errlen, "%s: family name longer than %zu characters", fampath, sizeof net->family - 1);
        goto out;
    }
    snprintf(net->family, sizeof net->family, "%s", json_string_value(famname));

    knobs = json_deep_copy(defaults);
    json_t *ik = json_object_get(inst, "knobs");
    if (ik && !json_is_object(ik)) { set_err(err, errlen, "%s: \"knobs\" must be an object", net->path); goto out; }
    const char *key;
    json_t *v;
    if (ik) json_object_foreach(ik, key, v)
        if (set_knob(knobs, defaults, net->path, key, json_incref(v), err, errlen)) goto out;
    for (int i = 0; ov && i < ov->n; i++) {
        const char *eq = strchr(ov->kv[i], '=');
        char k[64];
        if (!eq || eq == ov->kv[i] || (size_t)(eq - ov->kv[i]) >= sizeof k) {
            set_err(err, errlen, "--set '%s': expected key=value", ov->kv[i]);
            goto out;
        }
        snprintf(k, sizeof k, "%.*s", (int)(eq - ov->kv[i]), ov->kv[i]);
        json_t *def = json_object_get(defaults, k);
        json_t *val = def ? parse_value(def, eq + 1) : json_null();
        if (!val) { set_err(err, errlen, "--set %s: '%s' is not %s", k, eq + 1, type_word(def)); goto out; }
        if (set_knob(knobs, defaults, "--set", k, val, err, errlen)) goto out;
    }
    const char *slash = strrchr(net->path, '/'), *stem = slash ? slash + 1 : net->path;
    size_t stem_len = strcspn(stem, ".");
    if (stem_len >= sizeof net->name) {   /* an error, not a name silently cut */
        set_err(err, errlen, "%s: network name (the file name) longer than %zu characters", net->path,
                sizeof net->name - 1);
        goto out;
    }
    snprintf(net->name, sizeof net->name, "%.*s", (int)stem_len, stem);
    if (resolve(knobs, &net->knobs, err, errlen)) {
        char tmp[ERRLEN], with[256] = "";   /* name the overrides: the value may be theirs */
        snprintf(tmp, sizeof tmp, "%s", err);
        for (int i = 0; ov && i < ov->n; i++)
            snprintf(with + strlen(with), sizeof with - strlen(with), "%s%s", i ? " " : " (with --set ", ov->kv[i]);
        if (with[0]) snprintf(with + strlen(with), sizeof with - strlen(with), ")");
        set_err(err, errlen, "%s%s: %s", net->path, with, tmp);
        goto out;
    }
    rc = network_expand(net, err, errlen);
out:
    json_decref(inst);
    json_decref(fam);
    json_decref(knobs);
    if (rc) network_free(net);
    return rc;
}

void network_free(network *net) {
    free(net->tensors);
    free(net->layers);
    free(net->blocks);
    net->tensors = NULL;
    net->layers = NULL;
    net->blocks = NULL;
    net->ntensors = net->nlayers = net->nblocks = 0;
}

json_t *ir_knobs_json(const ir_knobs *k) {
    json_t *blocks = json_array(), *widths = json_array(), *slots = json_array();
    for (int s = 0; s < k->nstages; s++) {
        json_array_append_new(blocks, json_integer(k->blocks[s]));
        json_array_append_new(widths, json_integer(k->widths[s]));
    }
    for (int s = 0; s < 3; s++) json_array_append_new(slots, json_string(k->slots[s]));
    return json_pack("{s:o,s:o,s:i,s:f,s:i,s:s,s:o,s:i,s:s,s:b,s:i,s:i,s:i}", "blocks", blocks, "widths", widths,
                     "expansion", k->expansion, "width_multiplier", k->width_multiplier, "stem_width", k->stem_width,
                     "block", k->block, "slots", slots, "neighbourhood", k->neighbourhood, "downsample", k->downsample,
                     "inner_residual", k->inner_residual, "resolution", k->resolution, "classes", k->classes,
                     "batch", k->batch);
}
