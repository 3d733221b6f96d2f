/* The libraries' run-time settings: which core OpenBLAS runs on, and one thread count
 * for OpenBLAS, oneDNN and our kernels (all on libgomp's one OpenMP pool). */
#ifndef SHIFTBENCH_RUNTIME_H
#define SHIFTBENCH_RUNTIME_H

#include <stddef.h>
#include "isa.h"

/* main() hands over its argv and --keep-openblas-core here, first thing. */
void runtime_init(char **argv, int keep);

/* Commands that measure call this once their arguments are checked (so a bad option
 * gets its one-line error and nothing else). When OpenBLAS runs a core the CPU cannot run
 * (SkylakeX on an AVX2 CPU: SIGILL), one above SHIFTBENCH_ISA, or a fallback core (e.g.
 * "Prescott" or "Haswell") on a CPU with a better one, whether by its own detection or by
 * OPENBLAS_CORETYPE in the environment, re-executes the process with OPENBLAS_CORETYPE
 * set (the library reads it when it loads) and says so in one line on stderr
 * (kernels/openblas_core.h decides). --keep-openblas-core keeps the library's choice
 * unless the CPU cannot run it. Returns when nothing needs changing. */
void runtime_fix_openblas_core(void);

/* Caps oneDNN at our level l (portable: SSE41, avx2: AVX2, avx512: AVX512_CORE) through
 * ONEDNN_MAX_CPU_ISA in the environment and dnnl_set_max_cpu_isa; call it before oneDNN's
 * first use. -1 with a reason when oneDNN already runs above it. */
int runtime_cap_onednn(isa_level l, char *err, size_t errlen);

void runtime_set_threads(int n);         /* n <= 0: all online cores */
int runtime_threads(void);
const char *runtime_openblas_core(void); /* openblas_get_corename() */
int runtime_openblas_threads(void);
const char *runtime_onednn_version(void);/* "2.6.3" */
const char *runtime_onednn_isa(void);    /* the ISA oneDNN dispatches to, e.g. "avx512_core" */
/* The libxnnpack-dev version the build saw ("0.0~git20220216.ae108ef-2"): the library
 * itself exposes none. */
const char *runtime_xnnpack_version(void);

#endif
