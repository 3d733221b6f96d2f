/* Small helpers shared by every part: error strings, strict number parsing, the clock,
 * atomic file writes. */
#ifndef SHIFTBENCH_UTIL_H
#define SHIFTBENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ERRLEN 512

/* Formats a one-line error into err and returns -1 (for `return set_err(...)`). */
int set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints "shiftbench: error: MSG" (one line) on stderr; returns 2, the bad-input exit
 * status. fail_run is the same for a run that failed on good input: returns 1. */
int fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict parsing: the whole string, decimal (no spaces, hex, inf or nan), within [min, max]
 * (parse_double: finite, no overflow or underflow). 0 on success, -1 otherwise. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double *out);

/* The index of the first NaN or infinity in v[0..n), or n when every value is finite. */
size_t first_nonfinite(const float *v, size_t n);

/* Checked size arithmetic: 0 on success, -1 on overflow. */
int mul_size(size_t a, size_t b, size_t *out);

/* Splits s in place at commas into out[0..*n). Every item must be non-empty ("a,,b" and
 * "" are errors, never silently shortened) and at most max items. 0, or -1 with a reason. */
int split_list(char *s, char **out, int max, int *n, char *err, size_t errlen);

double now_sec(void);   /* CLOCK_MONOTONIC */

/* Memory the machine can give now (MemAvailable in /proc/meminfo), in bytes; 0 when unknown. */
uint64_t mem_available(void);

/* Where a write to path lands: path with its symbolic links followed (a link is kept and its
 * target written), into out. 0, or -1 with a reason (a loop, a path too long). */
int output_resolve(const char *path, char *out, size_t len, char *err, size_t errlen);

/* Writes data to path (links followed: output_resolve). A regular file, or none, is
 * replaced atomically (a temporary beside it and rename(2), so a reader never sees half a
 * file; an existing file keeps its mode); a device or FIFO is written in place, never
 * replaced (a FIFO with no reader is an error); anything else is refused. "-" = stdout. */
int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* Where shiftbench's data folder NAME ("arch", "plots") is: $ENV_VAR when set; else NAME
 * beside the executable (the build tree, so a developer's binary never reads stale
 * installed files), else ../share/shiftbench/NAME beside it (an installed tree, wherever
 * PREFIX/DESTDIR put it), else NAME in the current directory. A candidate counts only when
 * it holds PROBE (so a build's object folder of the same name is passed over). */
void data_dir(const char *name, const char *env_var, const char *probe, char *buf, size_t len);

/* mkdir -p: path and every missing directory above it. 0, or -1 with errno set. */
int make_dirs(const char *path);

/* The "DIR/NAME.json" paths of dir's .json files (hidden ones left out), sorted by name;
 * free each and the array with paths_free. Returns the count, or -1 with a one-line error. */
int list_json_files(const char *dir, char ***paths, char *err, size_t errlen);
void paths_free(char **paths, int n);

/* 64-byte aligned allocation (free with free()), with 64 readable bytes past the end
 * for libraries that over-read (XNNPACK); NULL on failure or overflow. */
void *alloc_aligned(size_t bytes);

#endif
