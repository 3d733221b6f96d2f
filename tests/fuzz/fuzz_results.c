/* libFuzzer target: the results-file reader (bench/results.c: results_load, then
 * results_samples on every record, as compare and the plots read them).
 *
 * results_load takes a path, so each input is written to one temporary file first.
 * Checked besides crashes, leaks and undefined behaviour: a rejected file gets a one-line
 * error that names the file; an accepted one is an object with the schema, version, a
 * known kind and a records array; samples, when a record has them, are all numbers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/results.h"
#include "../../common/util.h"

static char path[64];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    snprintf(path, sizeof path, "/tmp/fuzz_results.%ld.json", (long)getpid());
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);

    char err[ERRLEN] = "";
    json_t *d = results_load(path, err, sizeof err);
    if (!d) {
        if (strncmp(err, path, strlen(path)) || strchr(err, '\n')) {
            fprintf(stderr, "rejected without a one-line error naming the file: '%s'\n", err);
            abort();
        }
    } else {
        json_t *recs = json_object_get(d, "records"), *r;
        if (!json_is_object(d) || !json_is_array(recs) ||
            json_integer_value(json_object_get(d, "version")) != RESULTS_VERSION) {
            fprintf(stderr, "accepted a file without the schema's header\n");
            abort();
        }
        size_t i;
        json_array_foreach(recs, i, r) {
            double *s;
            int n;
            if (results_samples(r, &s, &n) == 0) {
                if (n <= 0 || !s) abort();
                volatile double sum = 0;   /* read every element: ASan checks n against the allocation */
                for (int k = 0; k < n; k++) sum = sum + s[k];
                free(s);
            } else if (s || n) {
                abort();
            }
        }
        json_decref(d);
    }
    return 0;
}
