/* The libraries' run-time settings: which core OpenBLAS runs on, and one thread count
 * for OpenBLAS, oneDNN and our kernels (all on libgomp's one OpenMP pool). */
#ifndef SHIFTBENCH_RUNTIME_H
#define SHIFTBENCH_RUNTIME_H

/* Call first thing in main. When OpenBLAS picked a fallback core (e.g. "Prescott" or
 * "Haswell") on a CPU with a better one (AVX-512), re-executes the process with
 * OPENBLAS_CORETYPE set (it is read when the library loads) and says so on stderr.
 * keep != 0 (--keep-openblas-core) keeps the library's own choice. Returns normally
 * when nothing needs changing. */
void runtime_fix_openblas_core(char **argv, int keep);

void runtime_set_threads(int n);         /* n <= 0: all online cores */
int runtime_threads(void);
const char *runtime_openblas_core(void); /* openblas_get_corename() */
int runtime_openblas_threads(void);
const char *runtime_onednn_version(void);/* "2.6.3" */
const char *runtime_onednn_isa(void);    /* the ISA oneDNN dispatches to, e.g. "avx512_core" */

#endif
