/* Families: a registered wiring and the schema of its knobs (names, types, defaults,
 * ranges, allowed values), declared once in C beside the wiring (arch/<family>.c).
 * Loading, --set, validation, the knobs in results and the plot's twin matching all
 * read that one table. */
#ifndef SHIFTBENCH_FAMILY_H
#define SHIFTBENCH_FAMILY_H

#include <stddef.h>

#include "ir.h"

struct builder;

typedef enum { KNOB_INT, KNOB_NUM, KNOB_BOOL, KNOB_STR, KNOB_INTS, KNOB_STRS } knob_type;

typedef struct {
    const char *name;
    knob_type type;
    const char *def;              /* the default, as JSON text */
    double min, max;              /* integers [min, max], numbers (min, max]; min > max = unbounded */
    const char *const *allowed;   /* strings (and integers, as text): NULL-terminated, NULL = any */
    int min_len, max_len;         /* lists: entry count bounds */
    int twin;                     /* the knob whose values tell 4C/8C twins apart */
    const char *about;            /* one line for the README and errors */
} knob_spec;

typedef struct {
    const char *name;
    const char *about;
    const knob_spec *knobs;
    int nknobs;
    /* Builds b->net from b->net->knobs (already checked against the schema) through
     * arch/build.h: the input tensor, stem, stages, head; sets net->nstages, input and
     * output. 0, or -1 with a one-line reason (build_fail). */
    int (*wire)(struct builder *b);
} family;

const family *family_find(const char *name);   /* NULL when none is registered */
int family_count(void);
const family *family_at(int i);
const knob_spec *family_knob(const family *f, const char *name);

/* Every knob's default, as a new JSON object in schema order. */
struct json_t *family_defaults(const family *f);
/* Checks one value against its spec (type, range, allowed values, list length). */
int knob_check(const knob_spec *k, const struct json_t *v, char *err, size_t errlen);
/* A --set value parsed as the knob's type; NULL when it is not one. */
struct json_t *knob_parse(const knob_spec *k, const char *s);
const char *knob_type_word(knob_type t);

/* Twin matching (plots): key = the knobs without the twin knob, canonical JSON; rank = the
 * twin knob's value's index among its allowed values (-1: no twin knob or value). */
int family_twin(const char *family, const struct json_t *knobs, char *key, size_t keylen, int *rank);

/* Reading resolved knobs in a wiring (schema-checked, so they exist and are typed). */
long knob_int(const network *net, const char *name);
double knob_num(const network *net, const char *name);
int knob_bool(const network *net, const char *name);
const char *knob_str(const network *net, const char *name);
int knob_len(const network *net, const char *name);
long knob_int_at(const network *net, const char *name, int i);
const char *knob_str_at(const network *net, const char *name, int i);

#endif
