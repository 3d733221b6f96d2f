/* Library run-time settings: OpenBLAS's core choice (fixed by re-exec, since the
 * library reads OPENBLAS_CORETYPE only when it loads), thread counts, oneDNN facts. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include "isa.h"
#include "openblas_core.h"
#include "runtime.h"

char *openblas_get_corename(void);

/* This CPU's features as OpenBLAS's kernels need them (openblas_core.h). */
static unsigned cpu_features(void) {
    unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx")) f |= OBF_AVX;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f |= OBF_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) f |= OBF_AVX512;
    if (__builtin_cpu_supports("avx512bf16")) f |= OBF_BF16;
    unsigned a, b, c, d;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 22 & 1)) f |= OBF_AMX;   /* AMX-BF16 */
#endif
    return f;
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
    openblas_core_verdict why;
    isa_level cap = isa_active();
    const char *want = openblas_core_choice(core, cpu_features(), openblas_level_allows(cap), &why);
    /* --keep-openblas-core keeps any core but one the CPU cannot run */
    if (!want || !saved_argv || (saved_keep && why != OBC_ABOVE_CPU)) return;
    if (getenv("SHIFTBENCH_REEXEC")) {   /* we already re-ran once: never loop */
        fprintf(stderr, "shiftbench: warning: OpenBLAS still runs core '%s' after a re-run\n", core);
        return;
    }
    const char *env = getenv("OPENBLAS_CORETYPE");
    char from[96], what[96];
    if (env) snprintf(from, sizeof from, "OPENBLAS_CORETYPE=%s in the environment", env);
    else snprintf(from, sizeof from, "OpenBLAS's own detection");
    if (why == OBC_ABOVE_CPU) snprintf(what, sizeof what, "needs ISA features this CPU lacks (it would die with SIGILL)");
    else if (why == OBC_ABOVE_LEVEL) snprintf(what, sizeof what, "is above SHIFTBENCH_ISA=%s", isa_name(cap));
    else snprintf(what, sizeof what, "is a fallback on a CPU with %s", cap == ISA_AVX512 ? "AVX-512" : "AVX2");
    fprintf(stderr, "shiftbench: OpenBLAS core '%s' (%s) %s; re-running with OPENBLAS_CORETYPE=%s%s\n", core, from,
            what, want, why == OBC_FALLBACK ? " (--keep-openblas-core keeps it)" : "");
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

int runtime_cap_onednn(isa_level l, char *err, size_t errlen) {
    static const struct { isa_level l; const char *env; dnnl_cpu_isa_t isa; } caps[] = {
        { ISA_PORTABLE, "SSE41", dnnl_cpu_isa_sse41 }, { ISA_AVX2, "AVX2", dnnl_cpu_isa_avx2 },
        { ISA_AVX512, "AVX512_CORE", dnnl_cpu_isa_avx512_core } };
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
        if (caps[i].l != l) continue;
        /* the environment for a re-run (the OpenBLAS core fix) and for oneDNN's first read;
         * the call for when oneDNN has read it already (it then fails) */
        setenv("ONEDNN_MAX_CPU_ISA", caps[i].env, 1);
        if (dnnl_set_max_cpu_isa(caps[i].isa) != dnnl_success && ((unsigned)dnnl_get_effective_cpu_isa() & ~(unsigned)caps[i].isa))
            return snprintf(err, errlen, "oneDNN already runs %s, above ONEDNN_MAX_CPU_ISA=%s (set it before the run)",
                            runtime_onednn_isa(), caps[i].env), -1;
        return 0;
    }
    return 0;   /* no oneDNN cap for this level (aarch64) */
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

#ifndef SHIFTBENCH_XNNPACK_VERSION
#define SHIFTBENCH_XNNPACK_VERSION "unknown"
#endif
const char *runtime_xnnpack_version(void) { return SHIFTBENCH_XNNPACK_VERSION; }
