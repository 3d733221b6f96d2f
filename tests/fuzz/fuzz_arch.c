/* libFuzzer target: the arch loader (arch/load.c, the families' wirings, the explicit IR
 * reader ir_file.c) and what walks its IR (the cost model and the receptive field, analysis/).
 *
 * Input format, so that plain arch files and explicit IR documents are seeds as they are:
 *   [--set KEY=VALUE\n]...      command-line overrides, one per line, first
 *   JSON                        an instance or an IR document, written to <tmp>/fz.json and
 *                               loaded by path
 * Checked besides crashes, leaks and undefined behaviour: a rejected network gets a one-line
 * error; an accepted one has consistent tensor ids and its cost either computes or is
 * refused with an error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../analysis/cost.h"
#include "../../arch/ir.h"
#include "../../common/util.h"

static char dir[64], inst[96];

static void cleanup(void) {
    unlink(inst);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    /* Named instances come from the source tree's arch/, whatever the cwd. */
    setenv("SHIFTBENCH_ARCH", FUZZ_ARCH_DIR, 0);
    snprintf(dir, sizeof dir, "/tmp/fuzz_arch.%ld", (long)getpid());
    snprintf(inst, sizeof inst, "%s/fz.json", dir);
    mkdir(dir, 0700);
    atexit(cleanup);
    return 0;
}

static void put(const char *path, const char *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    fclose(f);
}

static void check_ir(const network *net) {
    if (net->nlayers <= 0 || net->ntensors <= 0) abort();
    if (net->input < 0 || net->input >= net->ntensors || net->output < 0 || net->output >= net->ntensors) abort();
    for (int i = 0; i < net->nlayers; i++) {
        const ir_layer *L = &net->layers[i];
        if (L->in < 0 || L->in >= net->ntensors || L->out < 0 || L->out >= net->ntensors ||
            L->in2 < -1 || L->in2 >= net->ntensors || L->block < -1 || L->block >= net->nblocks) {
            fprintf(stderr, "layer %d (%s): tensor or block id out of range\n", i, L->name);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;

    /* --set lines */
    ir_overrides ov = { 0 };
    char *p = buf;
    while (!strncmp(p, "--set ", 6) && ov.n < 64) {
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = 0;
        ov.kv[ov.n++] = p + 6;
        p = nl + 1;
    }
    put(inst, p, size - (size_t)(p - buf));

    network net;
    char err[ERRLEN] = "";
    if (network_load(inst, &ov, &net, err, sizeof err) == 0) {
        check_ir(&net);
        network_cost nc;
        char cerr[ERRLEN] = "";
        if (network_cost_of(&net, &nc, cerr, sizeof cerr) == 0) network_cost_free(&nc);
        else if (!cerr[0]) abort();
        rf_t *rf = receptive_fields(&net);
        if (rf) {
            rf_summary s = rf_summarize(&rf[net.output]);
            if (s.height < 1 || s.width < 1) abort();
            free(rf);
        }
        network_free(&net);
    } else if (!err[0] || strchr(err, '\n')) {
        fprintf(stderr, "rejected without a one-line error: '%s'\n", err);
        abort();
    }
    free(buf);
    return 0;
}
