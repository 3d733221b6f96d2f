/* Test helpers over the loader and the cost model: load and cost a network (its error on
 * stderr), and find a layer by name. */
#ifndef SHIFTBENCH_TESTS_NET_LOAD_H
#define SHIFTBENCH_TESTS_NET_LOAD_H
#include <stdio.h>
#include <string.h>
#include "../analysis/cost.h"
#include "../common/util.h"

static inline int load(const char *name, network *net, network_cost *nc, const ir_overrides *ov) {
    char err[ERRLEN];
    if (network_load(name, ov, net, err, sizeof err) || network_cost_of(net, nc, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", name, err);
        return -1;
    }
    return 0;
}

static inline const ir_layer *find(const network *net, const char *name) {
    for (int i = 0; i < net->nlayers; i++)
        if (!strcmp(net->layers[i].name, name)) return &net->layers[i];
    return NULL;
}
#endif
