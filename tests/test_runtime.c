/* Runtime settings: one thread count reaches OpenMP and OpenBLAS; library facts are
 * readable. (The OpenBLAS core re-exec needs a misdetected CPU; it is not run here.) */
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../kernels/openblas_core.h"
#include "../kernels/runtime.h"

/* The OpenBLAS core decision on made-up CPUs: a core above the CPU (it would die with
 * SIGILL) or above SHIFTBENCH_ISA is replaced by the best core within both, a fallback
 * by the best core, a fitting core kept. */
static void core_choice(void) {
    const unsigned avx2 = OBF_AVX | OBF_AVX2, avx512 = avx2 | OBF_AVX512, all = ~0u;
    struct { const char *core; unsigned cpu, allowed; const char *want; openblas_core_verdict why; } c[] = {
        { "SkylakeX", avx2, all, "HASWELL", OBC_ABOVE_CPU },    /* the SIGILL of issue 12 */
        { "SKYLAKEX", avx2, all, "HASWELL", OBC_ABOVE_CPU },    /* names are case-insensitive */
        { "Cooperlake", avx512, all, "SKYLAKEX", OBC_ABOVE_CPU },
        { "SapphireRapids", avx512 | OBF_BF16, all, "COOPERLAKE", OBC_ABOVE_CPU },
        { "Haswell", OBF_AVX, all, "SANDYBRIDGE", OBC_ABOVE_CPU },
        { "Zen", 0, all, "PRESCOTT", OBC_ABOVE_CPU },
        { "SkylakeX", avx512, openblas_level_allows(ISA_AVX2), "HASWELL", OBC_ABOVE_LEVEL },
        { "SkylakeX", avx512, openblas_level_allows(ISA_PORTABLE), "PRESCOTT", OBC_ABOVE_LEVEL },
        { "Haswell", avx512, all, "SKYLAKEX", OBC_FALLBACK },   /* seen: OPENBLAS_CORETYPE=Haswell */
        { "Prescott", avx512 | OBF_BF16, all, "COOPERLAKE", OBC_FALLBACK },
        { "Sandybridge", avx2, all, "HASWELL", OBC_FALLBACK },
        { "unknown", avx2, all, "HASWELL", OBC_FALLBACK },
        { "Haswell", avx2, all, NULL, OBC_KEEP },
        { "Zen", avx2, all, NULL, OBC_KEEP },
        { "SkylakeX", avx512, all, NULL, OBC_KEEP },
        { "SkylakeX", avx512 | OBF_BF16, all, NULL, OBC_KEEP },
        { "Haswell", avx512, openblas_level_allows(ISA_AVX2), NULL, OBC_KEEP },
        { "Prescott", 0, all, NULL, OBC_KEEP },
        { "Sandybridge", OBF_AVX, all, NULL, OBC_KEEP },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        openblas_core_verdict why;
        const char *got = openblas_core_choice(c[i].core, c[i].cpu, c[i].allowed, &why);
        CHECK(why == c[i].why && (got && c[i].want ? !strcmp(got, c[i].want) : got == c[i].want),
              "%s on cpu %#x, allowed %#x: %s (verdict %d), want %s (%d)", c[i].core, c[i].cpu, c[i].allowed,
              got ? got : "keep", (int)why, c[i].want ? c[i].want : "keep", (int)c[i].why);
    }
    CHECK(openblas_core_level("SkylakeX") == ISA_AVX512 && openblas_core_level("zen") == ISA_AVX2 &&
          openblas_core_level("Sandybridge") == ISA_PORTABLE && openblas_core_level("nonsense") == ISA_PORTABLE,
          "core levels");
}

int main(void) {
    core_choice();
    runtime_set_threads(1);
    CHECK(runtime_threads() == 1 && runtime_openblas_threads() == 1, "1 thread: omp %d, openblas %d",
          runtime_threads(), runtime_openblas_threads());
    runtime_set_threads(0);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(runtime_threads() == cores, "all cores: omp %d, online %ld", runtime_threads(), cores);
    CHECK(runtime_openblas_threads() >= 1, "openblas threads %d", runtime_openblas_threads());
    runtime_init((char *[]){ "test_runtime", NULL }, 1);
    runtime_fix_openblas_core();   /* keep: returns */
    CHECK(runtime_openblas_core() && *runtime_openblas_core(), "openblas core name");
    const char *v = runtime_onednn_version();
    CHECK(v && strchr(v, '.') && v[0] >= '1' && v[0] <= '9', "onednn version '%s'", v);
    CHECK(strcmp(runtime_onednn_isa(), "unknown") != 0, "onednn isa '%s'", runtime_onednn_isa());
    return check_done("test_runtime");
}
