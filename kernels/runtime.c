/* Library run-time settings: OpenBLAS's core choice (fixed by re-exec, since the
 * library reads OPENBLAS_CORETYPE only when it loads), thread counts, oneDNN facts. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include "runtime.h"

char *openblas_get_corename(void);

/* Case-insensitive membership in a NULL-terminated list. */
static int in_list(const char *s, const char *const *list) {
    for (; *list; list++)
        if (strcasecmp(s, *list) == 0) return 1;
    return 0;
}

/* The core OpenBLAS should run on this CPU when its own pick is worse, or NULL. */
static const char *better_core(const char *core) {
    static const char *const avx512_cores[] = { "SkylakeX", "Cooperlake", "SapphireRapids", NULL };
    /* OpenBLAS cores without AVX2/FMA kernels: what it falls back to on unknown CPUs. */
    static const char *const old_cores[] = {
        "Prescott", "Core2", "Nehalem", "Penryn", "Dunnington", "Atom", "Sandybridge",
        "Katmai", "Coppermine", "Northwood", "Banias", "Opteron", "Opteron_SSE3", "Barcelona",
        "Bobcat", "Bulldozer", "Piledriver", "Steamroller", "Excavator", "Nano", "unknown", NULL };
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (avx512 && !in_list(core, avx512_cores))
        return __builtin_cpu_supports("avx512bf16") ? "COOPERLAKE" : "SKYLAKEX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && in_list(core, old_cores))
        return "HASWELL";
    return NULL;
}

static char **saved_argv;
static int saved_keep;

void runtime_init(char **argv, int keep) {
    saved_argv = argv;
    saved_keep = keep;
}

void runtime_fix_openblas_core(void) {
    const char *core = openblas_get_corename();
    if (!core) core = "unknown";
    const char *want = better_core(core);
    if (!want || saved_keep || !saved_argv) return;
    if (getenv("SHIFTBENCH_REEXEC")) {   /* we already re-ran once: never loop */
        fprintf(stderr, "shiftbench: warning: OpenBLAS still runs core '%s' after a re-run\n", core);
        return;
    }
    const char *env = getenv("OPENBLAS_CORETYPE");
    char from[96];
    if (env) snprintf(from, sizeof from, "OPENBLAS_CORETYPE=%s in the environment", env);
    else snprintf(from, sizeof from, "OpenBLAS's own detection");
    fprintf(stderr, "shiftbench: OpenBLAS runs core '%s' (%s) on a CPU with %s; re-running with "
            "OPENBLAS_CORETYPE=%s (--keep-openblas-core keeps it)\n",
            core, from, strcmp(want, "HASWELL") == 0 ? "AVX2" : "AVX-512", want);
    fflush(NULL);
    if (env) setenv("SHIFTBENCH_OPENBLAS_CORETYPE_WAS", env, 1);
    setenv("OPENBLAS_CORETYPE", want, 1);
    setenv("SHIFTBENCH_REEXEC", "1", 1);
    execv("/proc/self/exe", saved_argv);
    /* exec failed: carry on with the library's choice; results record the core. */
    fprintf(stderr, "shiftbench: warning: cannot re-run (%s); keeping core '%s'\n", strerror(errno), core);
    if (env) setenv("OPENBLAS_CORETYPE", env, 1);
    else unsetenv("OPENBLAS_CORETYPE");
    unsetenv("SHIFTBENCH_REEXEC");
}

void runtime_set_threads(int n) {
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int runtime_threads(void) { return omp_get_max_threads(); }

const char *runtime_openblas_core(void) {
    const char *s = openblas_get_corename();
    return s ? s : "unknown";
}

int runtime_openblas_threads(void) { return openblas_get_num_threads(); }

const char *runtime_onednn_version(void) {
    static char buf[32];
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
    return buf;
}

const char *runtime_onednn_isa(void) {
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_all: return "all";
    default: return "unknown";
    }
}
