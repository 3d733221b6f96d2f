/* Where the arch files are, and which named instances exist. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "ir.h"

const char *arch_dir(void) {
    static char dir[4096];
    if (!dir[0]) data_dir("arch", "SHIFTBENCH_ARCH", "resnet50.json", dir, sizeof dir);
    return dir;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int arch_list(char ***names) {
    *names = NULL;
    DIR *d = opendir(arch_dir());
    if (!d) return 0;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **nn = realloc(*names, (size_t)cap * sizeof *nn);
            if (!nn) break;
            *names = nn;
        }
        (*names)[n++] = strndup(e->d_name, len - 5);
    }
    closedir(d);
    if (n) qsort(*names, (size_t)n, sizeof **names, cmp);   /* qsort(NULL, 0): UB */
    return n;
}
