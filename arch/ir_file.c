/* The explicit IR (docs/ir.md): a network as a versioned JSON document of layers with
 * their op, attributes, output shape, PyTorch names and named input edges, and back.
 * Reading goes through the same builder as a family's wiring, so every shape is inferred
 * and checked once; errors carry file:line:col of the offending layer where it is found. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/text.h"
#include "../common/util.h"
#include "build.h"
#include "family.h"

#define IR_SCHEMA "shiftbench-ir"
#define IR_VERSION 1
#define MAX_DIM 1000000
#define MAX_LAYERS 1000000

/* The attributes each op takes in the file; the rest of op_desc is inferred. */
enum { A_OC = 1, A_KERNEL = 2, A_STRIDE = 4, A_PAD = 8, A_GROUPS = 16, A_CONN = 32, A_BN = 64, A_TABLE = 128, A_MAX = 256 };
static int op_attrs(op_kind k) {
    switch (k) {
    case OP_CONV: return A_OC | A_KERNEL | A_STRIDE | A_PAD | A_GROUPS | A_BN;
    case OP_SHIFTCONV: return A_OC | A_STRIDE | A_CONN | A_TABLE | A_BN;
    case OP_SHIFT: return A_CONN | A_TABLE;
    case OP_MAXPOOL: case OP_AVGPOOL: return A_KERNEL | A_STRIDE | A_PAD;
    case OP_FC: return A_OC;
    case OP_RELU: return A_MAX;
    default: return 0;
    }
}
static const struct { int bit; const char *key; } ATTR_KEYS[] = {
    { A_OC, "out_channels" }, { A_KERNEL, "kernel" }, { A_STRIDE, "stride" }, { A_PAD, "pad" },
    { A_GROUPS, "groups" }, { A_CONN, "conn" }, { A_TABLE, "displacements" }, { A_TABLE, "allocation" },
    { A_TABLE, "group_size" }, { A_TABLE, "group_div" }, { A_BN, "bn" }, { A_MAX, "max" },
};
static const char *const ALLOCATIONS[] = { [SHIFT_CONTIGUOUS] = "contiguous", [SHIFT_INTERLEAVED] = "interleaved" };
#define NATTR (int)(sizeof ATTR_KEYS / sizeof *ATTR_KEYS)
static const char *const LAYER_KEYS[] = { "name", "op", "inputs", "stage", "block", "shape", NULL };
static const char *const TOP_KEYS[] = { "schema", "version", "name", "family", "description", "knobs", "stages",
                                        "input", "blocks", "layers", "output", NULL };

/* ---- writing ---- */

static const char *producer(const network *net, int tensor) {
    if (tensor == net->input) return "input";
    for (int i = 0; i < net->nlayers; i++)
        if (net->layers[i].out == tensor) return net->layers[i].name;
    return "?";
}

static json_t *shape4(int n, int h, int w, int c) { return json_pack("[i,i,i,i]", n, h, w, c); }

/* A general shift's table (a preset is its "conn" alone). */
static void write_table(json_t *l, const shift_table *t) {
    json_t *disp = json_array();
    for (int j = 0; j < t->n; j++) json_array_append_new(disp, json_pack("[i,i]", t->dh[j], t->dw[j]));
    json_object_set_new(l, "displacements", disp);
    json_object_set_new(l, "allocation", json_string(ALLOCATIONS[t->alloc]));
    if (t->size) json_object_set_new(l, "group_size", json_integer(t->size));
    if (t->div) json_object_set_new(l, "group_div", json_integer(t->div));
}

json_t *ir_document(const network *net) {
    json_t *doc = json_pack("{s:s,s:i,s:s}", "schema", IR_SCHEMA, "version", IR_VERSION, "name", net->name);
    if (!doc) return NULL;
    if (net->family[0]) json_object_set_new(doc, "family", json_string(net->family));
    json_object_set_new(doc, "description", json_string(net->description));
    if (net->knobs) json_object_set_new(doc, "knobs", json_deep_copy(net->knobs));
    json_object_set_new(doc, "stages", json_integer(net->nstages));
    const ir_tensor *in = &net->tensors[net->input];
    json_object_set_new(doc, "input", json_pack("{s:s,s:o}", "name", "input", "shape", shape4(in->n, in->h, in->w, in->c)));
    json_t *blocks = json_array(), *layers = json_array();
    for (int b = 0; b < net->nblocks; b++)
        json_array_append_new(blocks, json_pack("{s:s,s:i}", "name", net->blocks[b].name, "stage", net->blocks[b].stage));
    for (int i = 0; i < net->nlayers; i++) {
        const ir_layer *L = &net->layers[i];
        const op_desc *d = &L->d;
        json_t *inputs = json_array();
        json_array_append_new(inputs, json_string(producer(net, L->in)));
        if (L->in2 >= 0) json_array_append_new(inputs, json_string(producer(net, L->in2)));
        json_t *l = json_pack("{s:s,s:s,s:o}", "name", L->name, "op", op_name(d->kind), "inputs", inputs);
        int a = op_attrs(d->kind);
        if (a & A_OC) json_object_set_new(l, "out_channels", json_integer(d->oc));
        if (a & A_KERNEL) json_object_set_new(l, "kernel", json_pack("[i,i]", d->kh, d->kw));
        if (a & A_STRIDE) json_object_set_new(l, "stride", json_integer(d->stride));
        if (a & A_PAD) json_object_set_new(l, "pad", json_integer(d->pad));
        if ((a & A_GROUPS) && d->groups > 1) json_object_set_new(l, "groups", json_integer(d->groups));
        if ((a & A_CONN) && d->conn) json_object_set_new(l, "conn", json_integer(d->conn));
        if ((a & A_TABLE) && !d->conn) write_table(l, &d->shift);
        if ((a & A_BN) && L->bn[0]) json_object_set_new(l, "bn", json_string(L->bn));
        if ((a & A_MAX) && d->relu_max) json_object_set_new(l, "max", json_integer(d->relu_max));
        json_object_set_new(l, "stage", json_integer(L->stage));
        if (L->block >= 0) json_object_set_new(l, "block", json_string(net->blocks[L->block].name));
        json_object_set_new(l, "shape", shape4(d->n, d->oh, d->ow, d->oc));
        json_array_append_new(layers, l);
    }
    json_object_set_new(doc, "blocks", blocks);
    json_object_set_new(doc, "layers", layers);
    json_object_set_new(doc, "output", json_string(producer(net, net->output)));
    return doc;
}

/* One layer (and block) per line, so that a diff and a file:line:col name a layer. */
char *ir_text(const network *net) {
    json_t *doc = ir_document(net);
    if (!doc) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    int ok = out != NULL;
    const char *key;
    json_t *v;
#define PUT(str) do { const char *s_ = (str); size_t l_ = strlen(s_); \
        while (ok && n + l_ + 1 > cap) { char *nb_ = realloc(out, cap *= 2); if (nb_) out = nb_; else ok = 0; } \
        if (ok) { memcpy(out + n, s_, l_); n += l_; } } while (0)
    PUT("{\n");
    size_t k = 0, nk = json_object_size(doc);
    json_object_foreach(doc, key, v) {
        char head[96];
        snprintf(head, sizeof head, " \"%s\": ", key);
        PUT(head);
        if (json_is_array(v) && (!strcmp(key, "layers") || !strcmp(key, "blocks"))) {
            PUT("[\n");
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                char *s = json_dumps(e, JSON_PRESERVE_ORDER);
                if (!s) { ok = 0; break; }
                PUT("  ");
                PUT(s);
                PUT(i + 1 < json_array_size(v) ? ",\n" : "\n");
                free(s);
            }
            PUT(" ]");
        } else {
            char *s = json_dumps(v, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
            if (!s) ok = 0;
            else { PUT(s); free(s); }
        }
        k++;
        PUT(k < nk ? ",\n" : "\n");
    }
    PUT("}\n");
#undef PUT
    json_decref(doc);
    if (!ok) { free(out); return NULL; }
    out[n] = 0;
    return out;
}

/* ---- reading ---- */

typedef struct {
    const char *path, *text;
    json_t *layers;
    builder b;
    char *err;
    size_t errlen;
    /* layer names -> index (open addressing; the network input is -1) */
    int *slot;
    size_t nslot;
} reader;

static unsigned long hash(const char *s) {
    unsigned long h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

/* Index of the layer named s (-1 = the input), or -2; with add, s is entered as idx. */
static int lookup(reader *r, const char *s, int add_idx) {
    network *net = r->b.net;
    for (size_t i = hash(s) % r->nslot;; i = (i + 1) % r->nslot) {
        int v = r->slot[i];
        if (v == -3) {   /* empty */
            if (add_idx != -3) r->slot[i] = add_idx;
            return -2;
        }
        if (!strcmp(v == -1 ? "input" : net->layers[v].name, s)) return v;
    }
}

/* line:col of the first `"key": "value"` in the text (value NULL: any), or "" */
static void locate(const reader *r, const char *key, const char *value, char *out, size_t n) {
    out[0] = 0;
    char k[80];
    snprintf(k, sizeof k, "\"%s\"", key);
    for (const char *p = strstr(r->text, k); p; p = strstr(p + 1, k)) {
        const char *q = p + strlen(k);
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        if (*q != ':') continue;
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        if (value && (*q != '"' || strncmp(q + 1, value, strlen(value)) || q[1 + strlen(value)] != '"')) continue;
        int line = 1, col = 1;
        for (const char *c = r->text; c < p; c++) {
            if (*c == '\n') { line++; col = 1; }
            else col++;
        }
        snprintf(out, n, ":%d:%d", line, col);
        return;
    }
}

static int fail_at(reader *r, const char *key, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(reader *r, const char *key, const char *value, const char *fmt, ...) {
    char msg[ERRLEN], where[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    locate(r, key, value, where, sizeof where);
    return set_err(r->err, r->errlen, "%s%s: %s", r->path, where, msg);
}

/* PyTorch module paths and the like: letters, digits, '_', '.', '-', '+'; short. */
static int bad_name(const char *s) {
    if (!s || !*s || strlen(s) >= IR_NAME) return 1;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("_.-+", *s)))
            return 1;
    return 0;
}

static int get_int(json_t *o, const char *key, long min, long max, int *out) {
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) return -1;
    *out = (int)json_integer_value(v);
    return 0;
}

static int check_object_keys(reader *r, json_t *o, int attrs, const char *lname, int idx) {
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        int ok = 0;
        for (int i = 0; LAYER_KEYS[i]; i++) ok |= !strcmp(key, LAYER_KEYS[i]);
        for (int i = 0; i < NATTR; i++) ok |= (attrs & ATTR_KEYS[i].bit) && !strcmp(key, ATTR_KEYS[i].key);
        if (ok) continue;
        char list[256] = "";
        for (int i = 0; i < NATTR; i++)
            if (attrs & ATTR_KEYS[i].bit)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "", ATTR_KEYS[i].key);
        return fail_at(r, "name", lname, "layers[%d] (%s): unknown attribute '%.40s' for op %s (attributes: %s)", idx,
                       lname, key, json_string_value(json_object_get(o, "op")), list[0] ? list : "none");
    }
    return 0;
}

/* "displacements": [[dh, dw], ...], "allocation", "group_size" / "group_div" (op_check
 * judges the table as a whole: duplicates, empty groups). */
static int read_table(reader *r, json_t *l, shift_table *t, const char *name, int idx) {
    json_t *disp = json_object_get(l, "displacements"), *e;
    json_t *alloc = json_object_get(l, "allocation");
    int has_size = json_object_get(l, "group_size") != NULL, has_div = json_object_get(l, "group_div") != NULL;
    if (!disp) {
        if (alloc || has_size || has_div)
            return fail_at(r, "name", name, "layers[%d] (%s): \"allocation\" and group sizes go with \"displacements\"",
                           idx, name);
        return 0;
    }
    size_t j;
    if (!json_is_array(disp) || json_array_size(disp) < 1 || json_array_size(disp) > SHIFT_MAX_DIRS)
        return fail_at(r, "name", name, "layers[%d] (%s): \"displacements\" must list 1 to %d [dh, dw] pairs", idx, name,
                       SHIFT_MAX_DIRS);
    json_array_foreach(disp, j, e) {
        json_t *a = json_array_get(e, 0), *b = json_array_get(e, 1);
        if (json_array_size(e) != 2 || !json_is_integer(a) || !json_is_integer(b) ||
            llabs(json_integer_value(a)) > SHIFT_MAX_MAG || llabs(json_integer_value(b)) > SHIFT_MAX_MAG)
            return fail_at(r, "name", name, "layers[%d] (%s): displacements[%zu] must be [dh, dw], integers up to %d in "
                           "magnitude", idx, name, j, SHIFT_MAX_MAG);
        t->dh[j] = (int16_t)json_integer_value(a);
        t->dw[j] = (int16_t)json_integer_value(b);
    }
    t->n = (int)json_array_size(disp);
    const char *as = alloc ? json_string_value(alloc) : "contiguous";
    t->alloc = -1;
    for (int k = 0; as && k < 2; k++)
        if (!strcmp(as, ALLOCATIONS[k])) t->alloc = k;
    if (t->alloc < 0)
        return fail_at(r, "name", name, "layers[%d] (%s): \"allocation\" must be \"contiguous\" or \"interleaved\"", idx,
                       name);
    if ((has_size && get_int(l, "group_size", 1, MAX_DIM, &t->size)) || (has_div && get_int(l, "group_div", 1, MAX_DIM, &t->div)))
        return fail_at(r, "name", name, "layers[%d] (%s): \"group_size\" and \"group_div\" must be integers 1 to %d", idx,
                       name, MAX_DIM);
    return 0;
}

static int read_layer(reader *r, json_t *l, int idx, int nstages, json_t *blocks, int check_shapes, int *closed) {
    network *net = r->b.net;
    if (!json_is_object(l)) return fail_at(r, "layers", NULL, "layers[%d] is not an object", idx);
    const char *name = json_string_value(json_object_get(l, "name"));
    if (bad_name(name))
        return fail_at(r, "layers", NULL, "layers[%d]: \"name\" must be 1-%d of a-z A-Z 0-9 _ . - +", idx, IR_NAME - 1);
    if (!strcmp(name, "input") || lookup(r, name, -3) != -2)
        return fail_at(r, "name", name, "layers[%d]: the name '%s' is taken", idx, name);
    const char *opname = json_string_value(json_object_get(l, "op"));
    int op = op_from_name(opname);
    if (op < 0) {
        char ops[256] = "";
        for (int k = 0; k < OP_COUNT; k++) snprintf(ops + strlen(ops), sizeof ops - strlen(ops), "%s%s", k ? ", " : "", op_name((op_kind)k));
        return fail_at(r, "name", name, "layers[%d] (%s): unknown op '%.40s' (ops: %s)", idx, name, opname ? opname : "", ops);
    }
    int attrs = op_attrs((op_kind)op);
    if (check_object_keys(r, l, attrs, name, idx)) return -1;

    json_t *inputs = json_object_get(l, "inputs");
    int want = op == OP_ADD ? 2 : 1, tid[2] = { -1, -1 };
    if (!json_is_array(inputs) || json_array_size(inputs) != (size_t)want)
        return fail_at(r, "name", name, "layers[%d] (%s): \"inputs\" must list %d tensor name(s)", idx, name, want);
    for (int i = 0; i < want; i++) {
        const char *src = json_string_value(json_array_get(inputs, (size_t)i));
        int j = src ? lookup(r, src, -3) : -2;
        if (j == -2) {
            int later = 0;
            for (size_t k = (size_t)idx; src && k < json_array_size(r->layers); k++)
                later |= !strcmp(src, json_string_value(json_object_get(json_array_get(r->layers, k), "name")) ?: "");
            if (later)
                return fail_at(r, "name", name, "layers[%d] (%s): input '%s' is this or a later layer: a cycle "
                               "(layers follow their inputs)", idx, name, src);
            return fail_at(r, "name", name, "layers[%d] (%s): input '%.64s' names no layer (a dangling edge)", idx,
                           name, src ? src : "(not a string)");
        }
        tid[i] = j == -1 ? net->input : net->layers[j].out;
    }

    op_desc d = { .kind = (op_kind)op, .stride = 1 };
    int ok = 1;
    if (attrs & A_OC) ok &= !get_int(l, "out_channels", 1, MAX_DIM, &d.oc);
    if (attrs & A_KERNEL) {
        json_t *k = json_object_get(l, "kernel");
        long kh = json_integer_value(json_array_get(k, 0)), kw = json_integer_value(json_array_get(k, 1));
        ok &= json_array_size(k) == 2 && kh >= 1 && kh <= MAX_DIM && kw >= 1 && kw <= MAX_DIM;
        d.kh = (int)kh;
        d.kw = (int)kw;
    }
    if (!ok) return fail_at(r, "name", name, "layers[%d] (%s): %s needs %s", idx, name, opname,
                            attrs & A_KERNEL ? "\"kernel\": [kh, kw] (1 to 1000000)" : "\"out_channels\" (1 to 1000000)");
    if ((attrs & A_OC) && (attrs & A_KERNEL) && !json_object_get(l, "out_channels"))
        return fail_at(r, "name", name, "layers[%d] (%s): conv needs \"out_channels\"", idx, name);
    if ((json_object_get(l, "stride") && get_int(l, "stride", 1, MAX_DIM, &d.stride)) ||
        (json_object_get(l, "pad") && get_int(l, "pad", 0, MAX_DIM, &d.pad)) ||
        (json_object_get(l, "groups") && get_int(l, "groups", 1, MAX_DIM, &d.groups)) ||
        ((attrs & A_CONN) && json_object_get(l, "conn") && get_int(l, "conn", 4, 8, &d.conn)))
        return fail_at(r, "name", name, "layers[%d] (%s): stride, pad, groups or conn out of range or not an integer",
                       idx, name);
    if ((attrs & A_TABLE) && read_table(r, l, &d.shift, name, idx)) return -1;
    if ((attrs & A_CONN) && !d.conn && !d.shift.n)
        return fail_at(r, "name", name, "layers[%d] (%s): %s needs \"conn\" (4 or 8) or \"displacements\"", idx, name,
                       opname);
    if (json_object_get(l, "max") && get_int(l, "max", 1, 1000000, &d.relu_max))
        return fail_at(r, "name", name, "layers[%d] (%s): \"max\" (ReLU's upper clamp, 6 for ReLU6) must be an "
                       "integer 1 to 1000000", idx, name);
    json_t *bnv = json_object_get(l, "bn");
    if (bnv && bad_name(json_string_value(bnv)))
        return fail_at(r, "name", name, "layers[%d] (%s): \"bn\" must be a module name", idx, name);

    /* stage and block: contiguous runs of layers per block */
    const char *bname = json_string_value(json_object_get(l, "block"));
    if (json_object_get(l, "block") && !bname)
        return fail_at(r, "name", name, "layers[%d] (%s): \"block\" must be a block's name", idx, name);
    int bi = -1;
    if (bname) {
        for (int k = 0; k < net->nblocks; k++)
            if (!strcmp(net->blocks[k].name, bname)) bi = k;
        if (bi < 0) {
            json_t *B;
            size_t k;
            json_array_foreach(blocks, k, B) if (!strcmp(json_string_value(json_object_get(B, "name")), bname)) bi = (int)k;
            if (bi < 0) return fail_at(r, "name", name, "layers[%d] (%s): no block '%.64s' in \"blocks\"", idx, name, bname);
            if (closed[bi]) return fail_at(r, "name", name, "layers[%d] (%s): block '%s' is not contiguous", idx, name, bname);
            bi = -1;
        } else if (bi != r->b.block) {
            return fail_at(r, "name", name, "layers[%d] (%s): block '%s' is not contiguous", idx, name, bname);
        }
    }
    if (r->b.block >= 0 && bi != r->b.block) {
        closed[r->b.block] = 1;
        build_close_block(&r->b);
    }
    if (bname && bi < 0) {   /* opening the next block: blocks are listed in their order */
        if (net->nblocks >= (int)json_array_size(blocks) ||
            strcmp(json_string_value(json_object_get(json_array_get(blocks, (size_t)net->nblocks), "name")), bname))
            return fail_at(r, "name", name, "layers[%d] (%s): block '%s' out of the order of \"blocks\"", idx, name, bname);
        json_t *B = json_array_get(blocks, (size_t)net->nblocks);
        r->b.stage = (int)json_integer_value(json_object_get(B, "stage"));
        build_open_block(&r->b, bname);
    }
    json_t *st = json_object_get(l, "stage");
    if (st) {
        if (get_int(l, "stage", 0, nstages + 1, &r->b.stage))
            return fail_at(r, "name", name, "layers[%d] (%s): \"stage\" must be 0 to %d", idx, name, nstages + 1);
        if (r->b.block >= 0 && r->b.stage != net->blocks[r->b.block].stage)
            return fail_at(r, "name", name, "layers[%d] (%s): stage %d differs from its block's", idx, name, r->b.stage);
    } else if (r->b.block < 0) {
        return fail_at(r, "name", name, "layers[%d] (%s): a layer outside blocks needs a \"stage\"", idx, name);
    }

    int n0 = net->nlayers;
    build_layer(&r->b, d, tid[0], tid[1], bnv ? json_string_value(bnv) : NULL, "%s", name);
    if (r->b.failed) {
        char why[ERRLEN];
        snprintf(why, sizeof why, "%s", r->err);
        return fail_at(r, "name", name, "layers[%d] (%s): %s", idx, name, why);
    }
    lookup(r, name, n0);
    json_t *shape = json_object_get(l, "shape");
    if (shape) {
        const op_desc *o = &net->layers[n0].d;
        int want4[4] = { o->n, o->oh, o->ow, o->oc }, oks = json_array_size(shape) == 4;
        for (int i = 0; oks && i < 4; i++) oks = json_is_integer(json_array_get(shape, (size_t)i));
        if (!oks) return fail_at(r, "name", name, "layers[%d] (%s): \"shape\" must be [n, h, w, c]", idx, name);
        for (int i = 0; check_shapes && i < 4; i++)
            if (json_integer_value(json_array_get(shape, (size_t)i)) != want4[i])
                return fail_at(r, "name", name, "layers[%d] (%s): \"shape\" says %lldx%lldx%lldx%lld but the layer "
                               "computes %dx%dx%dx%d", idx, name,
                               (long long)json_integer_value(json_array_get(shape, 0)),
                               (long long)json_integer_value(json_array_get(shape, 1)),
                               (long long)json_integer_value(json_array_get(shape, 2)),
                               (long long)json_integer_value(json_array_get(shape, 3)), o->n, o->oh, o->ow, o->oc);
    }
    return 0;
}

/* --set on an explicit IR: only the input's batch and resolution. */
static int overrides(reader *r, const ir_overrides *ov, int *batch, int *res) {
    for (int i = 0; ov && i < ov->n; i++) {
        const char *kv = ov->kv[i];
        long v;
        const char *eq = strchr(kv, '=');
        int isb = !strncmp(kv, "batch=", 6), isr = !strncmp(kv, "resolution=", 11);
        if (!eq || (!isb && !isr))
            return set_err(r->err, r->errlen, "--set %s: an explicit IR takes only batch=N and resolution=N", kv);
        if (parse_long(eq + 1, 1, MAX_DIM, &v))
            return set_err(r->err, r->errlen, "--set %s: expected an integer 1 to %d", kv, MAX_DIM);
        *(isb ? batch : res) = (int)v;
    }
    return 0;
}

static int read_doc(reader *r, json_t *doc, const ir_overrides *ov) {
    network *net = r->b.net;
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        int ok = 0;
        for (int i = 0; TOP_KEYS[i]; i++) ok |= !strcmp(key, TOP_KEYS[i]);
        if (!ok) return fail_at(r, key, NULL, "unknown key '%.40s' (allowed: schema, version, name, family, "
                                "description, knobs, stages, input, blocks, layers, output)", key);
    }
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (!schema || strcmp(schema, IR_SCHEMA)) return fail_at(r, "schema", NULL, "\"schema\" must be \"" IR_SCHEMA "\"");
    if (!json_is_integer(json_object_get(doc, "version")) || json_integer_value(json_object_get(doc, "version")) != IR_VERSION)
        return fail_at(r, "version", NULL, "unsupported \"version\" (this shiftbench reads %d)", IR_VERSION);
    json_t *nm = json_object_get(doc, "name");
    if (nm && bad_name(json_string_value(nm))) return fail_at(r, "name", NULL, "\"name\" must be a network name");
    if (nm) snprintf(net->name, sizeof net->name, "%s", json_string_value(nm));
    json_t *desc = json_object_get(doc, "description");
    if (desc && (!json_is_string(desc) || text_unsafe(json_string_value(desc))))
        return fail_at(r, "description", NULL, "\"description\" must be a string without control characters");
    snprintf(net->description, sizeof net->description, "%s", desc ? json_string_value(desc) : "");

    json_t *fam = json_object_get(doc, "family"), *knobs = json_object_get(doc, "knobs");
    const family *f = NULL;
    if (fam && !(f = family_find(json_string_value(fam))))
        return fail_at(r, "family", NULL, "unknown family (an explicit IR needs none; a named one must be registered)");
    if (knobs && (!f || !json_is_object(knobs)))
        return fail_at(r, "knobs", NULL, "\"knobs\" (an object) describe a registered \"family\"");
    if (knobs) {
        json_object_foreach(knobs, key, v) {
            const knob_spec *k = family_knob(f, key);
            char why[ERRLEN];
            if (!k) return fail_at(r, "knobs", NULL, "unknown knob '%.40s' of family %s", key, f->name);
            if (knob_check(k, v, why, sizeof why)) return fail_at(r, "knobs", NULL, "%s", why);
        }
        net->knobs = json_deep_copy(knobs);
    }
    if (f) snprintf(net->family, sizeof net->family, "%s", f->name);

    int nstages;
    if (get_int(doc, "stages", 0, IR_MAX_STAGES, &nstages))
        return fail_at(r, "stages", NULL, "\"stages\" must be an integer 0 to %d", IR_MAX_STAGES);
    net->nstages = nstages;
    json_t *in = json_object_get(doc, "input"), *shape = json_object_get(in, "shape");
    int dims[4], ok = json_is_object(in) && json_array_size(shape) == 4;
    for (int i = 0; ok && i < 4; i++) {
        json_t *e = json_array_get(shape, (size_t)i);
        ok = json_is_integer(e) && json_integer_value(e) >= 1 && json_integer_value(e) <= MAX_DIM;
        dims[i] = ok ? (int)json_integer_value(e) : 0;
    }
    if (!ok) return fail_at(r, "input", NULL, "\"input\" must be {\"shape\": [n, h, w, c]} (1 to %d each)", MAX_DIM);
    int batch = dims[0], res = dims[1];
    if (overrides(r, ov, &batch, &res)) return -1;
    int check_shapes = !(ov && ov->n);
    if (res != dims[1] && dims[1] != dims[2])
        return set_err(r->err, r->errlen, "%s: --set resolution needs a square input", r->path);
    net->input = build_tensor(&r->b, batch, res, res == dims[1] ? dims[2] : res, dims[3]);
    if (net->knobs) {   /* the knobs the results record follow the overrides */
        if (json_object_get(net->knobs, "batch")) json_object_set_new(net->knobs, "batch", json_integer(batch));
        if (json_object_get(net->knobs, "resolution")) json_object_set_new(net->knobs, "resolution", json_integer(res));
    }

    json_t *blocks = json_object_get(doc, "blocks"), *B;
    size_t i;
    if (blocks && !json_is_array(blocks)) return fail_at(r, "blocks", NULL, "\"blocks\" must be a list");
    json_array_foreach(blocks, i, B) {
        int s;
        if (!json_is_object(B) || bad_name(json_string_value(json_object_get(B, "name"))) ||
            get_int(B, "stage", 0, nstages + 1, &s) || json_object_size(B) != 2)
            return fail_at(r, "blocks", NULL, "blocks[%zu] must be {\"name\": NAME, \"stage\": 0 to %d}", i, nstages + 1);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(blocks, k), "name")),
                        json_string_value(json_object_get(B, "name"))))
                return fail_at(r, "blocks", NULL, "blocks[%zu]: the name '%s' is taken", i,
                               json_string_value(json_object_get(B, "name")));
    }
    json_t *layers = json_object_get(doc, "layers"), *l;
    r->layers = layers;
    size_t nl = json_array_size(layers);
    if (!json_is_array(layers) || nl == 0 || nl > MAX_LAYERS)
        return fail_at(r, "layers", NULL, "\"layers\" must be a non-empty list (at most %d)", MAX_LAYERS);
    r->nslot = 2 * nl + 3;
    r->slot = malloc(r->nslot * sizeof *r->slot);
    int *closed = calloc(json_array_size(blocks) + 1, sizeof *closed);
    if (!r->slot || !closed) { free(closed); return set_err(r->err, r->errlen, "out of memory"); }
    for (size_t k = 0; k < r->nslot; k++) r->slot[k] = -3;
    lookup(r, "input", -1);
    int rc = 0;
    json_array_foreach(layers, i, l)
        if ((rc = read_layer(r, l, (int)i, nstages, blocks, check_shapes, closed))) break;
    free(closed);
    if (rc) return -1;
    build_close_block(&r->b);
    if (net->nblocks != (int)json_array_size(blocks))
        return fail_at(r, "blocks", NULL, "block '%s' holds no layer",
                       json_string_value(json_object_get(json_array_get(blocks, (size_t)net->nblocks), "name")));
    json_t *outv = json_object_get(doc, "output");
    const char *out = outv ? json_string_value(outv) : net->layers[net->nlayers - 1].name;
    int o = out ? lookup(r, out, -3) : -2;
    if (o < 0) return fail_at(r, "output", NULL, "\"output\" must name a layer");
    net->output = net->layers[o].out;
    return 0;
}

int ir_read(const char *path, const char *text, const ir_overrides *ov, network *net, char *err, size_t errlen) {
    reader r = { .path = path, .text = text, .err = err, .errlen = errlen };
    build_init(&r.b, net, err, errlen);
    json_error_t je;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!doc) return set_err(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    int rc = read_doc(&r, doc, ov);
    json_decref(doc);
    free(r.slot);
    return rc;
}
