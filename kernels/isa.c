/* CPU-feature detection for our kernels (isa.h). The only file besides the per-ISA kernel
 * sources that knows which architecture it is built for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"
#include "../common/util.h"

static const char *const names[ISA_COUNT] = { "portable", "avx2", "avx512", "neon" };

#if defined(__x86_64__) || defined(__i386__)
static const isa_level arch_levels[] = { ISA_PORTABLE, ISA_AVX2, ISA_AVX512 };
#elif defined(__aarch64__)
static const isa_level arch_levels[] = { ISA_PORTABLE, ISA_NEON };
#else
static const isa_level arch_levels[] = { ISA_PORTABLE };
#endif
#define NLEVELS ((int)(sizeof arch_levels / sizeof *arch_levels))

const char *isa_name(isa_level l) { return l >= 0 && l < ISA_COUNT ? names[l] : "?"; }

int isa_levels(const isa_level **list) { *list = arch_levels; return NLEVELS; }

int isa_supported(isa_level l) {
    switch (l) {
    case ISA_PORTABLE: return 1;
#if defined(__x86_64__) || defined(__i386__)
    /* Our AVX2 code uses FMA too (every AVX2 CPU but a few 2013 VIA parts has it); the
     * AVX-512 code masked loads/stores of 32-bit lanes only: AVX512F. */
    case ISA_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ISA_AVX512: __builtin_cpu_init(); return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#elif defined(__aarch64__)
    case ISA_NEON: return 1;   /* Advanced SIMD is mandatory in ARMv8-A */
#endif
    default: return 0;
    }
}

isa_level isa_best(void) {
    for (int i = NLEVELS - 1; i > 0; i--)
        if (isa_supported(arch_levels[i])) return arch_levels[i];
    return ISA_PORTABLE;
}

int isa_parse(const char *s, isa_level *out) {
    for (int i = 0; i < NLEVELS; i++)
        if (s && strcmp(s, names[arch_levels[i]]) == 0) { *out = arch_levels[i]; return 0; }
    return -1;
}

isa_level isa_active(void) {
    isa_level cap;
    const char *e = getenv("SHIFTBENCH_ISA");
    int top = NLEVELS - 1;
    if (e && *e && isa_parse(e, &cap) == 0)
        while (top > 0 && arch_levels[top] != cap) top--;
    for (; top > 0; top--)
        if (isa_supported(arch_levels[top])) return arch_levels[top];
    return ISA_PORTABLE;
}

isa_level isa_active_noted(void) {
    static int noted;
    isa_level l = isa_active(), best = isa_best();
    if (l != best && !__atomic_exchange_n(&noted, 1, __ATOMIC_RELAXED))
        fprintf(stderr, "note: our kernels run at %s, below this CPU's best level %s (SHIFTBENCH_ISA=%s)\n",
                isa_name(l), isa_name(best), getenv("SHIFTBENCH_ISA") ? getenv("SHIFTBENCH_ISA") : "");
    return l;
}

int isa_check_env(char *err, size_t errlen) {
    const char *e = getenv("SHIFTBENCH_ISA");
    isa_level l;
    if (!e || !*e || isa_parse(e, &l) == 0) return 0;
    char allowed[64] = "";
    for (int i = 0; i < NLEVELS; i++) {
        strncat(allowed, i ? "|" : "", sizeof allowed - strlen(allowed) - 1);
        strncat(allowed, names[arch_levels[i]], sizeof allowed - strlen(allowed) - 1);
    }
    set_err(err, errlen, "SHIFTBENCH_ISA=%s: not a level of this CPU architecture (%s)", e, allowed);
    return -1;
}
