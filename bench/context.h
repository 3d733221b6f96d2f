/* The "context" block of a results file (results/SCHEMA.md): the machine, the libraries
 * and the build, so a number can be traced to where it came from. */
#ifndef SHIFTBENCH_CONTEXT_H
#define SHIFTBENCH_CONTEXT_H

#include <jansson.h>

/* A new object with date, git_commit, hostname, cpu_model, isa, cores, threads,
 * openblas_core, openblas_threads, openblas_coretype_forced, onednn_version, onednn_isa,
 * xnnpack_version (the libxnnpack-dev package the build saw: the library has no version call),
 * compiler and cflags. Call after runtime_set_threads. The caller adds "settings" (every
 * setting of the run) and, when measured, "peak". NULL only when out of memory. */
json_t *context_build(void);

/* "2026-11-28T05:00:00Z" for now (buf >= 21 bytes); compact = "20261128T050000Z" for
 * file names. Returns buf. */
char *context_utc_time(char *buf, size_t len, int compact);

/* threads above the online cores: says so in one line on stderr and returns 1 (the
 * settings record it as threads_above_cores); else 0. */
int context_threads_above_cores(int threads);

/* The commit the binary was built from ("-dirty" with local changes), or "unknown". */
void context_git_commit(char *out, size_t len);

#endif
