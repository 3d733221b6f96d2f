/* ./shiftbench: dispatch to a subcommand. Global options come before it. */
#include <stdio.h>
#include <string.h>

#include "../kernels/isa.h"
#include "../common/util.h"
#include "../kernels/runtime.h"
#include "commands.h"
#include "context.h"
#include "results.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *about;
} commands[] = {
    { "cost", cmd_cost, "parameters, MACs, FLOPs, bytes and receptive field of networks" },
    { "net", cmd_net, "time a whole network layer by layer (results JSON)" },
    { "kernel", cmd_kernel, "time kernel implementations on benchdnn-style descriptors (results JSON)" },
    { "peak", cmd_peak, "measure the FMA peak and copy bandwidth of this machine (results JSON)" },
    { "ratios", cmd_ratios, "the performance goals P1-P5, each side by side in one process (results JSON)" },
    { "sweep", cmd_sweep, "cost a grid of networks x knobs x settings, measure it point by point (resumable)" },
    { "compare", cmd_compare, "compare two results files: ratios of medians, Mann-Whitney p-values" },
    { "plot", cmd_plot, "charts (SVG, PNG) and results/report.md from results, costs and accuracies" },
};

static void usage(FILE *f) {
    fprintf(f, "usage: shiftbench [--keep-openblas-core] COMMAND [ARGS]  (COMMAND --help for more)\n\n"
               "Cost and speed of shift-based ResNets (see README.md).\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].about);
    fprintf(f, "\n  --keep-openblas-core  keep OpenBLAS's own core choice even when it is a fallback\n"
               "  --version             the commit this binary was built from and the results version\n");
}

int main(int argc, char **argv) {
    int i = 1, keep = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        if (!strcmp(argv[i], "--version")) {
            char commit[80];
            context_git_commit(commit, sizeof commit);
            printf("shiftbench commit %s (writes %s version %d)\n", commit, RESULTS_SCHEMA, RESULTS_VERSION);
            return 0;
        }
        else if (!strcmp(argv[i], "--keep-openblas-core")) keep = 1;
        else return fail_msg("unknown option '%s' (see shiftbench --help)", argv[i]);
    }
    if (i >= argc) return fail_msg("name a command (see shiftbench --help)");
    char err[256];
    if (isa_check_env(err, sizeof err)) return fail_msg("%s", err);
    runtime_init(argv, keep);
    for (size_t c = 0; c < sizeof commands / sizeof *commands; c++)
        if (!strcmp(argv[i], commands[c].name)) return commands[c].fn(argc - i, argv + i);
    return fail_msg("unknown command '%s' (try: shiftbench --help)", argv[i]);
}
