#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/text.h"
#include "../common/util.h"
#include "context.h"

json_t *results_new(const char *kind, json_t *context) {
    json_t *d = json_object();
    json_object_set_new(d, "schema", json_string(RESULTS_SCHEMA));
    json_object_set_new(d, "version", json_integer(RESULTS_VERSION));
    json_object_set_new(d, "kind", json_string(kind));
    json_object_set_new(d, "complete", json_true());
    json_object_set_new(d, "context", context ? context : json_object());
    json_object_set_new(d, "records", json_array());
    return d;
}

void results_set_complete(json_t *doc, int complete) {
    json_object_set_new(doc, "complete", json_boolean(complete));
}

void results_add_record(json_t *doc, json_t *record) {
    json_array_append_new(json_object_get(doc, "records"), record);
}

json_t *results_stats_json(const double *samples, int n, const stats_summary *s) {
    json_t *o = json_object(), *a = json_array();
    json_object_set_new(o, "unit", json_string("s"));
    json_object_set_new(o, "n", json_integer(n));
    if (n > 0) {
        json_object_set_new(o, "min", json_real(s->min));
        json_object_set_new(o, "median", json_real(s->median));
        json_object_set_new(o, "mean", json_real(s->mean));
        json_object_set_new(o, "stddev", json_real(s->stddev));
        json_object_set_new(o, "mad", json_real(s->mad));
        json_object_set_new(o, "p10", json_real(s->p10));
        json_object_set_new(o, "p90", json_real(s->p90));
        json_object_set_new(o, "max", json_real(s->max));
    }
    for (int i = 0; i < n; i++) json_array_append_new(a, json_real(samples[i]));
    json_object_set_new(o, "samples", a);
    return o;
}

json_t *results_counters_json(const counter_stat *s, int n) {
    json_t *o = json_object();
    for (int i = 0; i < n; i++) {
        json_t *e = json_object();
        if (s[i].available) {
            json_object_set_new(e, "value", json_real(s[i].value));
            json_object_set_new(e, "time_enabled", json_real(s[i].enabled));
            json_object_set_new(e, "time_running", json_real(s[i].running));
            json_object_set_new(e, "scaled", json_boolean(s[i].scaled));
            json_object_set_new(e, "reps", json_integer(s[i].reps));
            json_object_set_new(e, "levels", json_string(s[i].levels));
            json_object_set_new(e, "threads", json_integer(s[i].threads));
        } else {
            json_object_set_new(e, "unavailable", json_string(s[i].reason));
        }
        json_object_set_new(o, s[i].name, e);
    }
    return o;
}

static json_t *shape_json(const op_desc *d) {
    json_t *o = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}",
                          "n", d->n, "h", d->h, "w", d->w, "c", d->c, "oh", d->oh, "ow", d->ow,
                          "oc", d->oc, "kh", d->kh, "kw", d->kw, "stride", d->stride, "pad", d->pad,
                          "conn", d->conn);
    if (o && !d->conn && (d->kind == OP_SHIFT || d->kind == OP_SHIFTCONV)) {   /* a general table */
        char t[SHIFT_TEXT];
        shift_format(d, t, sizeof t);
        json_object_set_new(o, "shift", json_string(t));
    }
    return o;
}

json_t *results_record(const results_record_in *in) {
    json_t *r = json_object();
    const measure_result *m = in->m;
    json_object_set_new(r, "name", json_string(in->name));
    if (in->d) {
        json_object_set_new(r, "op", json_string(op_name(in->d->kind)));
        json_object_set_new(r, "kind", json_string(layer_kind(in->d)));
    }
    json_object_set_new(r, "impl", json_string(in->impl ? in->impl : "unknown"));
    json_object_set_new(r, "impl_info", json_string(in->impl_info ? in->impl_info : in->impl ? in->impl : "unknown"));
    if (in->d) json_object_set_new(r, "shape", shape_json(in->d));
    if (in->cost)
        json_object_set_new(r, "cost", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}",
                            "params", (json_int_t)in->cost->params, "macs", (json_int_t)in->cost->macs,
                            "flops", (json_int_t)in->cost->flops, "bytes", (json_int_t)in->cost->bytes,
                            "exec_macs", (json_int_t)in->cost->exec_macs, "exec_flops",
                            (json_int_t)in->cost->exec_flops));
    json_object_set_new(r, "stats", results_stats_json(m->samples, m->n, &m->stats));
    double t = m->n > 0 ? m->stats.median : 0;
    if (in->cost && t > 0) {
        double gflops = (double)in->cost->flops / t / 1e9;
        json_object_set_new(r, "gflops", json_real(gflops));
        json_object_set_new(r, "gbs", json_real((double)in->cost->bytes / t / 1e9));
        double exec = (double)in->cost->exec_flops / t / 1e9;
        json_object_set_new(r, "exec_gflops", json_real(exec));
        if (in->peak_gflops > 0) {
            double pct = results_pct_peak(in->cost, t, in->peak_gflops);
            json_object_set_new(r, "peak_gflops", json_real(in->peak_gflops));
            json_object_set_new(r, "pct_peak", json_real(pct));
            if (pct > 100) json_object_set_new(r, "above_peak", json_true());
        }
    }
    if (m->interrupted) json_object_set_new(r, "interrupted", json_true());
    json_object_set_new(r, "counters", results_counters_json(m->counters, m->ncounters));
    return r;
}

double results_pct_peak(const cost *c, double seconds, double peak_gflops) {
    return seconds > 0 && peak_gflops > 0 ? 100 * (double)c->exec_flops / seconds / 1e9 / peak_gflops : 0;
}

void results_default_path(char *buf, size_t len, const char *kind, const char *name,
                          const char *impl, int threads, int batch) {
    char n[96], im[64], t[32];
    text_filename(name, n, sizeof n, 80);
    text_filename(impl, im, sizeof im, 48);
    context_utc_time(t, sizeof t, 1);
    snprintf(buf, len, "results/%s-%s-%s-t%d-b%d-%s.json", kind, n, im, threads, batch, t);
}

int results_check_writable(const char *path, int create_dir, char *err, size_t errlen) {
    if (!strcmp(path, "-")) return 0;
    char target[4096];
    if (output_resolve(path, target, sizeof target, err, errlen)) return -1;
    struct stat st;
    if (stat(target, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return set_err(err, errlen, "cannot write %s: it is a directory", path);
        /* a device or FIFO is written in place (write_file_atomic): no temporary beside it */
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))
            return access(target, W_OK) ? set_err(err, errlen, "cannot write %s: %s", path, strerror(errno)) : 0;
        if (!S_ISREG(st.st_mode)) return set_err(err, errlen, "cannot write %s: not a regular file, device or FIFO", path);
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", target);
    char *slash = strrchr(dir, '/');
    if (!slash) strcpy(dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    if (stat(dir, &st) != 0) {
        if (!create_dir || mkdir(dir, 0777) != 0)
            return set_err(err, errlen, "cannot write %s: directory %s: %s", path, dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return set_err(err, errlen, "cannot write %s: %s is not a directory", path, dir);
    }
    /* A real probe: access() says yes to root on a read-only file system. */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.shiftbench-probe.%ld", dir, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return set_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    unlink(probe);
    return 0;
}

int results_write(const json_t *doc, const char *path, char *err, size_t errlen) {
    char *s = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(10) | JSON_PRESERVE_ORDER);
    if (!s) return set_err(err, errlen, "cannot serialize the results (out of memory)");
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);   /* end with a newline */
    if (t) { s = t; s[n++] = '\n'; s[n] = 0; }
    int r = write_file_atomic(path, s, n, err, errlen);
    free(s);
    return r;
}

int results_check_text(const json_t *j, const char *path, const char *key, char *err, size_t errlen) {
    const char *k;
    size_t i;
    json_t *v;
    if (json_is_string(j) && text_unsafe(json_string_value(j)))
        return set_err(err, errlen, "%s: \"%s\" holds a control character (refused: the file is not one shiftbench wrote)",
                       path, key);
    if (json_is_object(j))
        json_object_foreach((json_t *)j, k, v) {
            if (text_unsafe(k))
                return set_err(err, errlen, "%s: a key holds a control character (refused: the file is not one "
                               "shiftbench wrote)", path);
            if (results_check_text(v, path, k, err, errlen)) return -1;
        }
    if (json_is_array(j))
        json_array_foreach(j, i, v)
            if (results_check_text(v, path, key, err, errlen)) return -1;
    return 0;
}

json_t *results_load(const char *path, char *err, size_t errlen) {
    json_error_t je;
    json_t *d = json_load_file(path, 0, &je);
    if (!d) {
        if (je.line > 0) set_err(err, errlen, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
        else set_err(err, errlen, "%s: %s", path, je.text);
        return NULL;
    }
    const char *why = NULL;
    json_t *schema = json_object_get(d, "schema"), *ver = json_object_get(d, "version");
    const char *kind = json_string_value(json_object_get(d, "kind"));
    if (!json_is_object(d) || !json_is_string(schema) || strcmp(json_string_value(schema), RESULTS_SCHEMA))
        why = "not a shiftbench results file (no \"schema\": \"" RESULTS_SCHEMA "\")";
    else if (!json_is_integer(ver) || json_integer_value(ver) != RESULTS_VERSION) {
        if (json_is_integer(ver))
            set_err(err, errlen, "%s: results version %lld, this shiftbench reads version %d", path,
                    (long long)json_integer_value(ver), RESULTS_VERSION);
        else
            set_err(err, errlen, "%s: no results \"version\" number", path);
        json_decref(d);
        return NULL;
    } else if (!kind || (strcmp(kind, "net") && strcmp(kind, "kernel") && strcmp(kind, "peak") && strcmp(kind, "ratios")))
        why = "\"kind\" is not one of net, kernel, peak, ratios";
    else if (!json_is_array(json_object_get(d, "records")))
        why = "no \"records\" array";
    if (!why && results_check_text(d, path, "", err, errlen)) {
        json_decref(d);
        return NULL;
    }
    if (why) {
        set_err(err, errlen, "%s: %s", path, why);
        json_decref(d);
        return NULL;
    }
    return d;
}

int results_samples(const json_t *record, double **samples, int *n) {
    json_t *a = json_object_get(json_object_get(record, "stats"), "samples");
    *samples = NULL;
    *n = 0;
    size_t k = json_array_size(a);
    if (!k || k > 100000000) return -1;
    double *v = malloc(k * sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < k; i++) {
        json_t *x = json_array_get(a, i);
        if (!json_is_number(x)) { free(v); return -1; }
        v[i] = json_number_value(x);
    }
    *samples = v;
    *n = (int)k;
    return 0;
}
