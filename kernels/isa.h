/* The one CPU-feature detector of our kernels: which vector level they may use. The levels
 * of an architecture are ordered (x86-64: portable < avx2 < avx512; aarch64: portable <
 * neon); SHIFTBENCH_ISA=LEVEL caps the level, as ONEDNN_MAX_CPU_ISA caps oneDNN's, so
 * a lower level can be measured and tested on a better CPU. Read at create time. */
#ifndef SHIFTBENCH_ISA_H
#define SHIFTBENCH_ISA_H

#include <stddef.h>

typedef enum { ISA_PORTABLE, ISA_AVX2, ISA_AVX512, ISA_NEON, ISA_COUNT } isa_level;

const char *isa_name(isa_level l);        /* "portable", "avx2", "avx512", "neon" */
/* The levels of the architecture this was built for, lowest first; returns how many. */
int isa_levels(const isa_level **list);
int isa_supported(isa_level l);           /* the CPU runs it (portable: always) */
isa_level isa_best(void);                 /* the CPU's best level */
/* The level our kernels use: isa_best(), capped by SHIFTBENCH_ISA when it names a level of
 * this architecture (a level the CPU lacks caps to the best one below it). */
isa_level isa_active(void);
/* isa_active(), and once per process a line on stderr when that is below isa_best() (our
 * kernels' creators call it, so a capped or misread level never goes unnoticed). */
isa_level isa_active_noted(void);
/* 0 when SHIFTBENCH_ISA is unset or names a level of this architecture; else -1 and a
 * one-line reason with the allowed values (commands check it before running). */
int isa_check_env(char *err, size_t errlen);
/* Parses a level name of this architecture; -1 when it is not one. */
int isa_parse(const char *s, isa_level *out);

#endif
