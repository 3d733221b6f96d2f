/* shiftbench cost: the cost model's tables (people), JSON (machines) and CSV (sheets). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/commands.h"
#include "../common/util.h"
#include "cost.h"
#include "fuse.h"

typedef enum { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_IR } fmt_t;
typedef enum { DETAIL_NETWORK, DETAIL_STAGES, DETAIL_LAYERS } detail_t;

typedef struct {
    network net;
    network_cost cost;
    rf_t *rf;
    fuse_step *steps;        /* the fusion pass's plan for --impl own */
    int nsteps;
    uint64_t bytes_steps;    /* traffic with those steps fused */
    uint64_t bytes_blocks;   /* traffic with each block run depth-first */
} costed;

static void usage(FILE *f) {
    fprintf(f,
        "usage: shiftbench cost [--format table|json|csv|ir] [--layers|--stages] [--batch N]\n"
        "                       [--resolution N] [--set KNOB=VALUE]... [--fused] [--all]\n"
        "                       [--baseline NET] NET...\n\n"
        "Parameters, MACs, FLOPs, bytes moved and receptive field of each network, side by\n"
        "side with ratios to a baseline: --baseline NET, else the first NET named, else\n"
        "(--all alone) resnet50. NET is a name under arch/, a path to an arch file or an\n"
        "explicit IR file (docs/ir.md).\n"
        "MAC = one multiply-add; FLOP = 2 x MAC for conv/fc plus per-element costs of the\n"
        "other ops (README); bytes = compulsory fp32 traffic (inputs + weights + outputs) of\n"
        "each layer apart; fused = what reaches memory when the steps of `net --impl own`\n"
        "run (a fused step's intermediates stay inside); block = each block run depth-first.\n"
        "Executed MACs leave out the taps on padding and a shifted group's zero border rows\n"
        "(multiplies of zeros no kernel runs; a 1x1 after a shift counts as fused).\n\n"
        "  --format F     table (default), json, csv (always one row per layer) or ir: the one\n"
        "                 network as an explicit IR document, readable back as NET (docs/ir.md)\n"
        "  --layers       one row per layer      --stages   one row per stage\n"
        "  --batch N, --resolution N             same as --set batch=N / resolution=N\n"
        "  --set K=V      override a knob of the arch file (e.g. blocks=2,3,4,2)\n"
        "  --fused        list the steps that run (the fusion pass's plan for --impl own)\n"
        "  --all          every named network under arch/\n"
        "  --baseline NET the network the ratio columns divide by (costed too if not listed)\n");
}

/* "25,557,032" */
static const char *grouped(uint64_t v, char *buf) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

/* The tensor the last block writes (the head's input): where the RF column is read. */
static int last_block_out(const network *n) {
    for (int b = n->nblocks - 1; b >= 0; b--)
        if (n->blocks[b].stage <= n->nstages) return n->layers[n->blocks[b].last].out;
    return n->input;
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

static const char *stage_name(const network *n, int s, char *buf) {
    if (s == 0) return "stem";
    if (s > n->nstages) return "head";
    sprintf(buf, "layer%d", s);
    return buf;
}

/* Zero-FLOP and zero-MAC steps are listed, never hidden: counts and bytes per op. */
static void zero_mac_ops(const costed *c, int counts[OP_COUNT], uint64_t bytes[OP_COUNT]) {
    memset(counts, 0, sizeof(int) * OP_COUNT);
    memset(bytes, 0, sizeof(uint64_t) * OP_COUNT);
    for (int i = 0; i < c->net.nlayers; i++) {
        const ir_layer *L = &c->net.layers[i];
        if (c->cost.layer[i].macs == 0) {
            counts[L->d.kind]++;
            bytes[L->d.kind] += c->cost.layer[i].bytes;
        }
    }
}

static void print_table(costed *cs, int n, int b, detail_t detail) {
    char b1[32], b2[32], hp[96], hm[96];
    const costed *base = &cs[b];
    /* Each ratio column is headed with what it divides: "params / resnet50". */
    snprintf(hp, sizeof hp, "params / %s", base->net.name);
    snprintf(hm, sizeof hm, "MACs / %s", base->net.name);
    int wp = (int)strlen(hp), wm = (int)strlen(hm);
    printf("%-22s %13s %*s %10s %*s %10s %10s %10s %9s %9s %8s  %s\n", "network", "params", wp, hp, "GMACs", wm, hm,
           "exec GMACs", "GFLOPs", "MB moved", "MB fused", "MB block", "RF (px)", "RF shape (squareness: 0 diamond, 1 square)");
    for (int i = 0; i < n; i++) {
        const cost *t = &cs[i].cost.total;
        rf_summary s = rf_summarize(&cs[i].rf[last_block_out(&cs[i].net)]);
        printf("%-22s %13s %*.2f %10.3f %*.2f %10.3f %10.3f %10.1f %9.1f %9.1f %8lld  %s (%.2f)\n", cs[i].net.name,
               grouped(t->params, b1), wp, ratio(t->params, base->cost.total.params), t->macs / 1e9, wm,
               ratio(t->macs, base->cost.total.macs), t->exec_macs / 1e9, t->flops / 1e9, t->bytes / 1e6,
               cs[i].bytes_steps / 1e6, cs[i].bytes_blocks / 1e6, (long long)s.height, s.shape, s.squareness);
    }
    printf("(batch %d, %dx%d input; ratios to %s; exec = executed MACs; RF at the last block's output)\n",
           base->net.batch, base->net.resolution, base->net.resolution, base->net.name);
    for (int i = 0; i < n && detail != DETAIL_NETWORK; i++) {
        const costed *c = &cs[i];
        printf("\n%s (%s)\n", c->net.name, c->net.description);
        if (detail == DETAIL_STAGES) {
            printf("  %-8s %13s %10s %7s %10s %10s\n", "stage", "params", "GMACs", "% MACs", "GFLOPs", "MB moved");
            for (int s = 0; s <= c->net.nstages + 1; s++) {
                const cost *t = &c->cost.stage[s];
                printf("  %-8s %13s %10.3f %6.1f%% %10.3f %10.1f\n", stage_name(&c->net, s, b2), grouped(t->params, b1),
                       t->macs / 1e9, 100 * ratio(t->macs, c->cost.total.macs), t->flops / 1e9, t->bytes / 1e6);
            }
        } else {
            printf("  %-26s %-9s %-16s %11s %10s %7s %10s %10s %9s %7s\n", "layer", "kind", "out (HxWxC)", "params",
                   "MMACs", "% MACs", "exec MMACs", "MFLOPs", "KB moved", "FLOP/B");
            for (int l = 0; l < c->net.nlayers; l++) {
                const ir_layer *L = &c->net.layers[l];
                const cost *t = &c->cost.layer[l];
                char shape[32];
                snprintf(shape, sizeof shape, "%dx%dx%d", L->d.oh, L->d.ow, L->d.oc);
                printf("  %-26s %-9s %-16s %11s %10.2f %6.2f%% %10.2f %10.2f %9.1f %7.2f\n", L->name, layer_kind(&L->d),
                       shape, grouped(t->params, b1), t->macs / 1e6, 100 * ratio(t->macs, c->cost.total.macs),
                       t->exec_macs / 1e6, t->flops / 1e6, t->bytes / 1e3, cost_intensity(t));
            }
            printf("  receptive field after each block:");
            for (int b = 0; b < c->net.nblocks; b++) {
                rf_summary s = rf_summarize(&c->rf[c->net.layers[c->net.blocks[b].last].out]);
                if (c->net.blocks[b].stage > c->net.nstages) break;
                printf("%s %s %lldx%lld %s", b ? "," : "", c->net.blocks[b].name, (long long)s.height,
                       (long long)s.width, s.shape);
            }
            printf("\n");
        }
        int counts[OP_COUNT];
        uint64_t bytes[OP_COUNT];
        zero_mac_ops(c, counts, bytes);
        printf("  zero-MAC ops (counted in bytes, never dropped):");
        for (int k = 0; k < OP_COUNT; k++)
            if (counts[k]) printf(" %s x%d (%.1f MB)", op_name((op_kind)k), counts[k], bytes[k] / 1e6);
        printf("\n");
    }
}

/* --fused: the steps the fusion pass plans, each with the layers inside and its traffic. */
static int step_cost(const network *net, const fuse_step *st, cost *c, char *inside, size_t len) {
    int layers[1 + FUSE_MAX], n = fuse_step_layers(st, 1, layers), o = 0;
    inside[0] = 0;
    for (int j = 1; j < n; j++) o += snprintf(inside + o, len - (size_t)o > len ? 0 : len - (size_t)o, "%s%s",
                                              j > 1 ? ", " : "", net->layers[layers[j]].name);
    return fused_cost(net, layers, n, c);
}

static const char *add_mode_name(const fuse_step *st) {
    return st->add < 0 ? "" : st->add_mode == FUSE_ADD_TIMED ? " (add inside if faster)" : "";
}

static void print_steps(const costed *c) {
    printf("\n%s: %d steps for %d layers (fusion pass, --impl own)\n", c->net.name, c->nsteps, c->net.nlayers);
    printf("  %-26s %-10s %10s %9s  %s\n", "step", "kind", "MFLOPs", "KB moved", "layers inside");
    for (int i = 0; i < c->nsteps; i++) {
        const fuse_step *st = &c->steps[i];
        char inside[512];
        cost t;
        step_cost(&c->net, st, &t, inside, sizeof inside);
        printf("  %-26s %-10s %10.2f %9.1f  %s%s\n", c->net.layers[st->layer].name, layer_kind(&st->d), t.flops / 1e6,
               t.bytes / 1e3, inside, add_mode_name(st));
    }
}

static json_t *steps_json(const costed *c) {
    json_t *a = json_array();
    for (int i = 0; i < c->nsteps; i++) {
        const fuse_step *st = &c->steps[i];
        int layers[1 + FUSE_MAX], n = fuse_step_layers(st, 1, layers);
        char inside[512];
        cost t;
        step_cost(&c->net, st, &t, inside, sizeof inside);
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "name", c->net.layers[st->layer].name, "op",
                              op_name(st->d.kind), "kind", layer_kind(&st->d), "macs", (json_int_t)t.macs, "flops",
                              (json_int_t)t.flops, "bytes", (json_int_t)t.bytes);
        json_t *l = json_array();
        for (int j = 0; j < n; j++) json_array_append_new(l, json_string(c->net.layers[layers[j]].name));
        json_object_set_new(o, "layers", l);
        if (st->add >= 0) json_object_set_new(o, "add", json_string(st->add_mode == FUSE_ADD_TIMED ? "timed" : "inside"));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *cost_json(const cost *t) {
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "params", (json_int_t)t->params, "macs", (json_int_t)t->macs,
                     "exec_macs", (json_int_t)t->exec_macs, "flops", (json_int_t)t->flops, "exec_flops",
                     (json_int_t)t->exec_flops, "bytes", (json_int_t)t->bytes, "intensity", cost_intensity(t));
}

static json_t *rf_json(const rf_t *r) {
    rf_summary s = rf_summarize(r);
    return json_pack("{s:I,s:I,s:s,s:f}", "height", (json_int_t)s.height, "width", (json_int_t)s.width,
                     "shape", s.shape, "squareness", s.squareness);
}

static json_t *network_cost_json(const costed *c, int with_layers, int with_steps) {
    const network *net = &c->net;
    const network_cost *nc = &c->cost;
    const rf_t *rf = c->rf;
    json_t *o = cost_json(&nc->total);
    json_object_set_new(o, "bytes_fused", json_integer((json_int_t)c->bytes_steps));
    json_object_set_new(o, "bytes_blocks", json_integer((json_int_t)c->bytes_blocks));
    if (with_steps) json_object_set_new(o, "steps", steps_json(c));
    json_object_set_new(o, "name", json_string(net->name));
    json_object_set_new(o, "family", json_string(net->family));
    json_object_set_new(o, "description", json_string(net->description));
    json_object_set_new(o, "knobs", network_knobs_json(net));
    json_object_set_new(o, "receptive_field", rf_json(&rf[last_block_out(net)]));
    json_t *stages = json_array(), *blocks = json_array(), *layers = json_array();
    char buf[32];
    for (int s = 0; s <= net->nstages + 1; s++) {
        json_t *st = cost_json(&nc->stage[s]);
        json_object_set_new(st, "name", json_string(stage_name(net, s, buf)));
        json_array_append_new(stages, st);
    }
    for (int b = 0; b < net->nblocks; b++)
        json_array_append_new(blocks, json_pack("{s:s,s:i,s:o}", "name", net->blocks[b].name, "stage",
                                                net->blocks[b].stage, "receptive_field",
                                                rf_json(&rf[net->layers[net->blocks[b].last].out])));
    for (int l = 0; with_layers && l < net->nlayers; l++) {
        const ir_layer *L = &net->layers[l];
        json_t *lj = cost_json(&nc->layer[l]);
        json_object_set_new(lj, "name", json_string(L->name));
        json_object_set_new(lj, "op", json_string(op_name(L->d.kind)));
        json_object_set_new(lj, "kind", json_string(layer_kind(&L->d)));
        json_object_set_new(lj, "stage", json_integer(L->stage));
        if (L->bn[0]) json_object_set_new(lj, "bn", json_string(L->bn));
        json_object_set_new(lj, "shape", json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "n", L->d.n,
                                                   "h", L->d.h, "w", L->d.w, "c", L->d.c, "oh", L->d.oh, "ow", L->d.ow,
                                                   "oc", L->d.oc, "kh", L->d.kh, "kw", L->d.kw, "stride", L->d.stride,
                                                   "pad", L->d.pad, "conn", L->d.conn));
        if (!L->d.conn && (L->d.kind == OP_SHIFT || L->d.kind == OP_SHIFTCONV)) {   /* a general table */
            char t[SHIFT_TEXT];
            shift_format(&L->d, t, sizeof t);
            json_object_set_new(json_object_get(lj, "shape"), "shift", json_string(t));
        }
        json_array_append_new(layers, lj);
    }
    json_object_set_new(o, "stages", stages);
    json_object_set_new(o, "blocks", blocks);
    json_object_set_new(o, "layers", layers);
    return o;
}

static int print_json(costed *cs, int n, int b, int with_steps) {
    json_t *nets = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = network_cost_json(&cs[i], 1, with_steps);
        json_object_set_new(o, "ratio_to_baseline", json_pack("{s:s,s:f,s:f,s:f,s:f}", "baseline", cs[b].net.name,
            "params", ratio(cs[i].cost.total.params, cs[b].cost.total.params),
            "macs", ratio(cs[i].cost.total.macs, cs[b].cost.total.macs),
            "flops", ratio(cs[i].cost.total.flops, cs[b].cost.total.flops),
            "bytes", ratio(cs[i].cost.total.bytes, cs[b].cost.total.bytes)));
        json_array_append_new(nets, o);
    }
    json_t *doc = json_pack("{s:s,s:i,s:{s:s,s:s,s:s,s:s,s:s},s:o}", "schema", "shiftbench-cost", "version", 1, "units",
                            "macs", "multiply-adds (the convention: padding taps included)", "exec_macs", "multiply-adds a kernel executes (no padding taps, no shifted zero rows)", "flops", "2 x MACs for conv/fc + per-element costs (README)",
                            "bytes", "compulsory fp32 bytes: inputs + weights + outputs (bytes_fused: of the fused steps; bytes_blocks: of blocks run depth-first)", "params", "count",
                            "networks", nets);
    char *s = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!s) return fail_msg("out of memory");
    puts(s);
    free(s);
    return 0;
}

static int print_ir(const network *net) {
    char *s = ir_text(net);
    if (!s) return fail_msg("out of memory");
    fputs(s, stdout);
    free(s);
    return 0;
}

static void print_csv(costed *cs, int n) {
    printf("network,layer,op,kind,stage,n,h,w,c,oh,ow,oc,kh,kw,stride,pad,conn,params,macs,flops,bytes,exec_macs,exec_flops\n");
    for (int i = 0; i < n; i++)
        for (int l = 0; l < cs[i].net.nlayers; l++) {
            const ir_layer *L = &cs[i].net.layers[l];
            const op_desc *d = &L->d;
            const cost *t = &cs[i].cost.layer[l];
            printf("%s,%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%llu,%llu,%llu,%llu,%llu,%llu\n", cs[i].net.name, L->name,
                   op_name(d->kind), layer_kind(d), L->stage, d->n, d->h, d->w, d->c, d->oh, d->ow, d->oc, d->kh, d->kw,
                   d->stride, d->pad, d->conn, (unsigned long long)t->params, (unsigned long long)t->macs,
                   (unsigned long long)t->flops, (unsigned long long)t->bytes, (unsigned long long)t->exec_macs,
                   (unsigned long long)t->exec_flops);
        }
}

int cmd_cost(int argc, char **argv) {
    fmt_t fmt = FMT_TABLE;
    detail_t detail = DETAIL_NETWORK;
    ir_overrides ov = { 0 };
    char *names[257], setbuf[2][64], **all = NULL;
    const char *baseline = NULL;
    int nnames = 0, nall = 0, with_steps = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--layers")) detail = DETAIL_LAYERS;
        else if (!strcmp(a, "--stages")) detail = DETAIL_STAGES;
        else if (!strcmp(a, "--fused")) with_steps = 1;
        else if (!strcmp(a, "--all")) { if (!all) nall = arch_list(&all); }
        else if (!strcmp(a, "--baseline")) {
            if (i + 1 >= argc) return fail_msg("--baseline needs a network");
            baseline = argv[++i];
        }
        else if (!strcmp(a, "--format") || !strcmp(a, "--set") || !strcmp(a, "--batch") || !strcmp(a, "--resolution")) {
            if (i + 1 >= argc) return fail_msg("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--format")) {
                if (!strcmp(v, "table")) fmt = FMT_TABLE;
                else if (!strcmp(v, "json")) fmt = FMT_JSON;
                else if (!strcmp(v, "csv")) fmt = FMT_CSV;
                else if (!strcmp(v, "ir")) fmt = FMT_IR;
                else return fail_msg("--format '%s': expected table, json, csv or ir", v);
            } else {
                if (ov.n >= (int)(sizeof ov.kv / sizeof *ov.kv)) return fail_msg("too many --set options");
                if (!strcmp(a, "--set")) ov.kv[ov.n++] = v;
                else {
                    char *buf = setbuf[a[2] == 'b' ? 0 : 1];
                    snprintf(buf, 64, "%s=%s", a + 2, v);
                    ov.kv[ov.n++] = buf;
                }
            }
        } else if (a[0] == '-' && a[1]) { return fail_msg("cost: unknown option '%s'", a); }
        else if (nnames < 256) names[nnames++] = argv[i];
        else return fail_msg("too many networks");
    }
    int named = nnames;
    for (int i = 0; i < nall && nnames < 256; i++) names[nnames++] = all[i];
    if (!nnames) return fail_msg("cost: name at least one network (or --all); see shiftbench cost --help");
    if (!baseline && !named && nall) baseline = "resnet50";   /* --all alone: the ResNet they replace */
    if (fmt == FMT_IR && nnames != 1) return fail_msg("cost --format ir: name exactly one network");
    costed *cs = calloc((size_t)nnames + 1, sizeof *cs);   /* + a --baseline not among them */
    int rc = cs ? 0 : fail_msg("out of memory"), done = 0;
    char err[ERRLEN];
    for (; !rc && done < nnames; done++) {
        costed *c = &cs[done];
        if (network_load(names[done], &ov, &c->net, err, sizeof err) ||
            network_cost_of(&c->net, &c->cost, err, sizeof err)) {
            network_free(&c->net);
            rc = fail_msg("%s", err);
            break;
        }
        if (!(c->rf = receptive_fields(&c->net))) { rc = fail_msg("out of memory"); done++; break; }
        fuse_caps caps = fuse_caps_of("own");
        if (!(c->steps = calloc((size_t)c->net.nlayers, sizeof *c->steps)) ||
            (c->nsteps = fuse_plan(&c->net, &caps, c->steps)) < 0) { rc = fail_msg("out of memory"); done++; break; }
        if (fuse_plan_bytes(&c->net, c->steps, c->nsteps, &c->bytes_steps) || fuse_block_bytes(&c->net, &c->bytes_blocks)) {
            rc = fail_msg("%s: fused traffic overflows 64 bits", c->net.name);
            done++;
            break;
        }
    }
    /* The baseline: by name (or path) among the costed, else costed as one more. */
    int b = 0;
    if (!rc && baseline) {
        for (b = 0; b < nnames && strcmp(names[b], baseline) && strcmp(cs[b].net.name, baseline); b++) continue;
        if (b == nnames) {
            costed *c = &cs[b];
            if (network_load(baseline, &ov, &c->net, err, sizeof err) || network_cost_of(&c->net, &c->cost, err, sizeof err) ||
                !(c->rf = receptive_fields(&c->net))) {
                network_free(&c->net);
                network_cost_free(&c->cost);
                rc = fail_msg("--baseline: %s", err);
            } else {
                done++;
            }
        }
    }
    if (!rc) {
        if (fmt == FMT_IR) rc = print_ir(&cs[0].net);
        else if (fmt == FMT_JSON) rc = print_json(cs, nnames, b, with_steps);
        else if (fmt == FMT_CSV) print_csv(cs, nnames);
        else {
            print_table(cs, nnames, b, detail);
            for (int i = 0; i < nnames && with_steps; i++) print_steps(&cs[i]);
        }
    }
    for (int i = 0; i < done; i++) {
        network_free(&cs[i].net);
        network_cost_free(&cs[i].cost);
        free(cs[i].rf);
        free(cs[i].steps);
    }
    free(cs);
    for (int i = 0; i < nall; i++) free(all[i]);
    free(all);
    return rc;
}
