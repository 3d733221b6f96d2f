/* libFuzzer target: the sweep spec parser (bench/sweep_spec.c) behind `shiftbench sweep
 * SPEC.json` — JSON keys as options, knob value lists, ranges and bracketed list values.
 *
 * Input: the spec file's bytes. Besides "no crash, no leak, no undefined behaviour": a
 * rejected spec gets a one-line error; an accepted one has at least one network,
 * implementation and thread count, every axis has values, and the point count is within
 * the limit (what cmd_sweep then allocates). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/sweep.h"
#include "../../common/util.h"

/* The spec parser checks --impl names against the kernel registry's families (via
 * bench/exec.c); the registry would link every library, so the fuzzer gets the names. */
const char *kernel_family_at(int i);
const char *kernel_family_at(int i) {
    static const char *const families[] = { "ref", "own", "openblas", "onednn", "xnnpack" };
    return i >= 0 && i < (int)(sizeof families / sizeof *families) ? families[i] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_sweep.%ld.json", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char *argv[] = { "sweep", path, NULL };
    sweep_spec s;
    char err[ERRLEN] = "";
    int rc = sweep_spec_parse(2, argv, &s, err, sizeof err);
    if (rc < 0 && (!err[0] || strchr(err, '\n'))) { fprintf(stderr, "rejected without a one-line error\n"); abort(); }
    if (rc == 0) {
        long n = sweep_spec_points(&s);
        if (!s.nnets || !s.nimpl || !s.nthreads || n < 1 || n > SWEEP_MAX_POINTS) {
            fprintf(stderr, "accepted an empty or oversized grid\n");
            abort();
        }
        for (int a = 0; a < s.naxes; a++)
            if (s.axes[a].nvals < 1) { fprintf(stderr, "accepted an axis without values\n"); abort(); }
    }
    sweep_spec_free(&s);
    unlink(path);
    return 0;
}
