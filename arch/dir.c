/* Where the arch files are, and which named instances exist. */
#include <dirent.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir.h"

static const char *keep(char *dir, size_t n, const char *p) {
    snprintf(dir, n, "%s", p);
    return dir;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *arch_dir(void) {
    static char dir[PATH_MAX + 32];
    if (dir[0]) return dir;
    const char *env = getenv("SHIFTBENCH_ARCH");
    if (env && *env) return keep(dir, sizeof dir, env);
    /* arch/ beside the executable (the build tree) wins over an installed copy, so a
     * developer's binary never reads stale installed files; an installed binary finds
     * ../share/shiftbench/arch wherever the tree was installed (PREFIX, DESTDIR). */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            static const char *const rel[] = { "/arch", "/../share/shiftbench/arch" };
            for (int i = 0; i < 2; i++) {
                char cand[PATH_MAX + 32], fam[PATH_MAX + 48];
                snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
                snprintf(fam, sizeof fam, "%s/families", cand);   /* not a build's arch/ objects */
                if (is_dir(fam)) return keep(dir, sizeof dir, cand);
            }
        }
    }
#ifdef SHIFTBENCH_ARCH_DIR
    if (is_dir(SHIFTBENCH_ARCH_DIR)) return keep(dir, sizeof dir, SHIFTBENCH_ARCH_DIR);
#endif
    return keep(dir, sizeof dir, "arch");
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
