/* OpenBLAS core names and the features their kernels need (openblas_core.h), from
 * OpenBLAS 0.3.21 driver/others/dynamic.c: the test it runs before picking each core. */
#include <stddef.h>
#include <strings.h>
#include "openblas_core.h"

static const struct { const char *name; unsigned needs; } cores[] = {
    { "Prescott", 0 }, { "Core2", 0 }, { "Penryn", 0 }, { "Dunnington", 0 }, { "Nehalem", 0 },
    { "Atom", 0 }, { "Opteron", 0 }, { "Opteron_SSE3", 0 }, { "Barcelona", 0 }, { "Bobcat", 0 },
    { "Nano", 0 }, { "Katmai", 0 }, { "Coppermine", 0 }, { "Northwood", 0 }, { "Banias", 0 },
    /* AVX (Piledriver and later add FMA3 but no AVX2 kernels) */
    { "Sandybridge", OBF_AVX }, { "Bulldozer", OBF_AVX }, { "Piledriver", OBF_AVX },
    { "Steamroller", OBF_AVX }, { "Excavator", OBF_AVX },
    { "Haswell", OBF_AVX | OBF_AVX2 }, { "Zen", OBF_AVX | OBF_AVX2 },
    { "SkylakeX", OBF_AVX | OBF_AVX2 | OBF_AVX512 },
    { "Cooperlake", OBF_AVX | OBF_AVX2 | OBF_AVX512 | OBF_BF16 },
    { "SapphireRapids", OBF_AVX | OBF_AVX2 | OBF_AVX512 | OBF_BF16 | OBF_AMX },
};

int openblas_core_needs(const char *core) {
    for (size_t i = 0; core && i < sizeof cores / sizeof *cores; i++)
        if (strcasecmp(core, cores[i].name) == 0) return (int)cores[i].needs;
    return -1;
}

unsigned openblas_level_allows(isa_level l) {
    switch (l) {
    case ISA_AVX512: return ~0u;
    case ISA_AVX2: return OBF_AVX | OBF_AVX2;
    default: return 0;
    }
}

isa_level openblas_core_level(const char *core) {
    int n = openblas_core_needs(core);
    return n < 0 ? ISA_PORTABLE : (n & OBF_AVX512) ? ISA_AVX512 : (n & OBF_AVX2) ? ISA_AVX2 : ISA_PORTABLE;
}

/* The best core whose needs are within f. */
static const char *best_core(unsigned f) {
    if ((f & OBF_AVX512) && (f & OBF_BF16)) return "COOPERLAKE";
    if (f & OBF_AVX512) return "SKYLAKEX";
    if (f & OBF_AVX2) return "HASWELL";
    if (f & OBF_AVX) return "SANDYBRIDGE";
    return "PRESCOTT";
}

const char *openblas_core_choice(const char *core, unsigned cpu, unsigned allowed, openblas_core_verdict *why) {
    int n = openblas_core_needs(core);
    unsigned need = n < 0 ? 0 : (unsigned)n, may = cpu & allowed;
    *why = need & ~cpu ? OBC_ABOVE_CPU : need & ~allowed ? OBC_ABOVE_LEVEL
         : ((may & OBF_AVX512) && !(need & OBF_AVX512)) || ((may & OBF_AVX2) && !(need & OBF_AVX2)) ? OBC_FALLBACK
         : OBC_KEEP;
    return *why == OBC_KEEP ? NULL : best_core(may);
}
