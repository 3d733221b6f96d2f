/* Loading a network: an explicit IR document (ir_file.c), or an instance of a registered
 * family: the family's knob defaults (its schema, arch/family.h), the instance's values,
 * then the command line's --set overrides, each checked against that schema; the family's
 * wiring then builds the layers. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/text.h"
#include "../common/util.h"
#include "build.h"
#include "family.h"

#define MAX_FILE (64L << 20)

/* The whole file, NUL-terminated (caller frees), or NULL with a one-line error. */
static char *read_text(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) { set_err(err, errlen, "%s: cannot open network file", path); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
        if (n + 1 == cap) {
            if ((long)cap > MAX_FILE) { free(buf); buf = NULL; set_err(err, errlen, "%s: larger than %ld MiB", path, MAX_FILE >> 20); break; }
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; set_err(err, errlen, "out of memory"); break; }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) { free(buf); buf = NULL; set_err(err, errlen, "%s: read error", path); }
    else if (!buf && !err[0]) set_err(err, errlen, "out of memory");
    fclose(f);
    if (buf) { buf[n] = 0; *len = n; }
    return buf;
}

static json_t *parse_json(const char *path, const char *text, size_t len, char *err, size_t errlen) {
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
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

static int unknown_knob(const family *f, const char *where, const char *key, char *err, size_t errlen) {
    char names[512] = "";
    for (int i = 0; i < f->nknobs; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", f->knobs[i].name);
    return set_err(err, errlen, "%s: unknown knob '%s' (knobs: %s)", where, key, names);
}

static int find_instance(const char *name, char *path, size_t n, char *err, size_t errlen) {
    if (strchr(name, '/') || strstr(name, ".json")) {
        snprintf(path, n, "%s", name);
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

/* The family's defaults, the instance's knobs, then --set; every value checked against the
 * schema (the error names the overrides: the value may be theirs). */
static int resolve_knobs(const family *f, json_t *ik, const ir_overrides *ov, network *net, char *err, size_t errlen) {
    json_t *knobs = family_defaults(f);
    if (!knobs) return set_err(err, errlen, "out of memory");
    net->knobs = knobs;
    const char *key;
    json_t *v;
    if (ik) json_object_foreach(ik, key, v) {
        if (!family_knob(f, key)) return unknown_knob(f, net->path, key, err, errlen);
        json_object_set(knobs, key, v);
    }
    for (int i = 0; ov && i < ov->n; i++) {
        const char *eq = strchr(ov->kv[i], '=');
        char k[64];
        if (!eq || eq == ov->kv[i] || (size_t)(eq - ov->kv[i]) >= sizeof k)
            return set_err(err, errlen, "--set '%s': expected key=value", ov->kv[i]);
        snprintf(k, sizeof k, "%.*s", (int)(eq - ov->kv[i]), ov->kv[i]);
        const knob_spec *ks = family_knob(f, k);
        if (!ks) return unknown_knob(f, "--set", k, err, errlen);
        json_t *val = knob_parse(ks, eq + 1);
        if (!val) return set_err(err, errlen, "--set %s: '%s' is not %s", k, eq + 1, knob_type_word(ks->type));
        json_object_set_new(knobs, k, val);
    }
    for (int i = 0; i < f->nknobs; i++) {
        char why[ERRLEN], with[256] = "";
        if (!knob_check(&f->knobs[i], json_object_get(knobs, f->knobs[i].name), why, sizeof why)) continue;
        for (int o = 0; ov && o < ov->n; o++)
            snprintf(with + strlen(with), sizeof with - strlen(with), "%s%s", o ? " " : " (with --set ", ov->kv[o]);
        if (with[0]) snprintf(with + strlen(with), sizeof with - strlen(with), ")");
        return set_err(err, errlen, "%s%s: %s", net->path, with, why);
    }
    return 0;
}

static const char *const INSTANCE_KEYS[] = { "family", "description", "knobs", NULL };

static int load_instance(json_t *inst, const ir_overrides *ov, network *net, char *err, size_t errlen) {
    if (check_keys(inst, net->path, INSTANCE_KEYS, err, errlen)) return -1;
    json_t *famname = json_object_get(inst, "family");
    if (!json_is_string(famname)) return set_err(err, errlen, "%s: missing \"family\" (a string)", net->path);
    const family *f = family_find(json_string_value(famname));
    if (!f) {
        char names[256] = "";
        for (int i = 0; i < family_count(); i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", family_at(i)->name);
        return set_err(err, errlen, "%s: unknown family '%.64s' (families: %s)", net->path, json_string_value(famname), names);
    }
    json_t *desc = json_object_get(inst, "description");
    if (desc && !json_is_string(desc)) return set_err(err, errlen, "%s: \"description\" must be a string", net->path);
    if (desc && text_unsafe(json_string_value(desc)))   /* it reaches terminals, tables, reports */
        return set_err(err, errlen, "%s: \"description\" holds a control character", net->path);
    snprintf(net->description, sizeof net->description, "%s", desc ? json_string_value(desc) : "");
    snprintf(net->family, sizeof net->family, "%s", f->name);
    json_t *ik = json_object_get(inst, "knobs");
    if (ik && !json_is_object(ik)) return set_err(err, errlen, "%s: \"knobs\" must be an object", net->path);
    if (resolve_knobs(f, ik, ov, net, err, errlen)) return -1;
    builder b;
    build_init(&b, net, err, errlen);
    if (f->wire(&b)) {
        if (!err[0] || strncmp(err, net->name, strlen(net->name))) {   /* name the file */
            char tmp[ERRLEN];
            snprintf(tmp, sizeof tmp, "%s", err);
            set_err(err, errlen, "%s: %s", net->path, tmp);
        }
        return -1;
    }
    return 0;
}

int network_load(const char *name_or_path, const ir_overrides *ov, network *net, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    err[0] = 0;
    if (find_instance(name_or_path, net->path, sizeof net->path, err, errlen)) return -1;
    const char *slash = strrchr(net->path, '/'), *stem = slash ? slash + 1 : net->path;
    size_t stem_len = strcspn(stem, ".");
    if (stem_len >= sizeof net->name)   /* an error, not a name silently cut */
        return set_err(err, errlen, "%s: network name (the file name) longer than %zu characters", net->path,
                       sizeof net->name - 1);
    snprintf(net->name, sizeof net->name, "%.*s", (int)stem_len, stem);
    size_t len = 0;
    char *text = read_text(net->path, &len, err, errlen);
    if (!text) return -1;
    json_t *doc = parse_json(net->path, text, len, err, errlen);
    int rc = -1;
    if (doc) {
        rc = json_object_get(doc, "schema") ? ir_read(net->path, text, ov, net, err, errlen)
                                            : load_instance(doc, ov, net, err, errlen);
        json_decref(doc);
    }
    free(text);
    if (!rc) {
        net->batch = net->tensors[net->input].n;
        net->resolution = net->tensors[net->input].h;
    } else {
        network_free(net);
    }
    return rc;
}

void network_free(network *net) {
    free(net->tensors);
    free(net->layers);
    free(net->blocks);
    json_decref(net->knobs);
    net->knobs = NULL;
    net->tensors = NULL;
    net->layers = NULL;
    net->blocks = NULL;
    net->ntensors = net->nlayers = net->nblocks = 0;
}

json_t *network_knobs_json(const network *net) {
    return net->knobs ? json_deep_copy(net->knobs) : json_object();
}
