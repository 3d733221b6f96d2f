#include "util.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every message is one line and safe for a terminal: it may quote other people's files. */
int set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        char raw[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        text_terminal(raw, err, errlen);
    }
    return -1;
}

static void vfail(const char *fmt, va_list ap) {
    char raw[1024], buf[2048];
    vsnprintf(raw, sizeof raw, fmt, ap);
    fprintf(stderr, "shiftbench: error: %s\n", text_terminal(raw, buf, sizeof buf));
}

int fail_msg(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(fmt, ap);
    va_end(ap);
    return 2;
}

int fail_run(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(fmt, ap);
    va_end(ap);
    return 1;
}

/* Decimal only: strtol/strtod also take leading spaces, hex (0x10), inf and nan, which a
 * typo should not turn into a number. */
static int plain_number(const char *s, const char *allowed) {
    if (!s || !*s) return 0;
    const char *p = s + (*s == '+' || *s == '-');
    if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))) return 0;
    for (; *p; p++)
        if (!((*p >= '0' && *p <= '9') || strchr(allowed, *p))) return 0;
    return 1;
}

int parse_long(const char *s, long min, long max, long *out) {
    if (!plain_number(s, "")) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int parse_double(const char *s, double *out) {
    if (!plain_number(s, ".eE+-")) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE: overflow, and underflow to 0 or a denormal (1e-300 is fine, 1e-400 is not) */
    if (errno || *end || v != v) return -1;
    *out = v;
    return 0;
}

size_t first_nonfinite(const float *v, size_t n) {
    size_t i = 0;
    while (i < n && isfinite(v[i])) i++;
    return i;
}

int mul_size(size_t a, size_t b, size_t *out) {
    if (a && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

int split_list(char *s, char **out, int max, int *n, char *err, size_t errlen) {
    *n = 0;
    for (char *item = s;; item++) {
        char *comma = strchr(item, ',');
        if (comma) *comma = 0;
        if (!*item) return set_err(err, errlen, "empty item in the list");
        if (*n >= max) return set_err(err, errlen, "at most %d items in the list", max);
        out[(*n)++] = item;
        if (!comma) return 0;
        item = comma;
    }
}

double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    if (f) fclose(f);
    return (uint64_t)kb * 1024;
}

int output_resolve(const char *path, char *out, size_t len, char *err, size_t errlen) {
    if ((size_t)snprintf(out, len, "%s", path) >= len) return set_err(err, errlen, "%s: path too long", path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode)) return 0;   /* absent: created there */
        char link[4096];
        ssize_t n = readlink(out, link, sizeof link - 1);
        if (n < 0) return set_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
        link[n] = 0;
        char *slash = strrchr(out, '/');
        size_t keep = link[0] == '/' || !slash ? 0 : (size_t)(slash - out) + 1;   /* relative: beside the link */
        if (keep + (size_t)n >= len) return set_err(err, errlen, "cannot write %s: path too long", path);
        memmove(out + keep, link, (size_t)n + 1);
    }
    return set_err(err, errlen, "cannot write %s: %s", path, strerror(ELOOP));
}

/* A device or FIFO: written in place, never replaced. A FIFO without a reader is an error,
 * not a hang. */
static int write_in_place(const char *path, const char *target, int fifo, const char *data, size_t len, char *err,
                          size_t errlen) {
    int fd = open(target, O_WRONLY | O_CLOEXEC | O_NOCTTY | (fifo ? O_NONBLOCK : 0));
    if (fd < 0 && fifo && errno == ENXIO) return set_err(err, errlen, "cannot write %s: a FIFO with no reader", path);
    if (fd < 0) return set_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
    if (fifo) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    /* a reader that goes away: EPIPE and one line, not death by SIGPIPE */
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    int e = 0;
    for (size_t done = 0; done < len && !e;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) e = w < 0 ? errno : EIO;
        else done += (size_t)w;
    }
    sigaction(SIGPIPE, &old, NULL);
    if (close(fd) != 0 && !e) e = errno;
    return e ? set_err(err, errlen, "cannot write %s: %s", path, strerror(e)) : 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen) {
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout))
            return set_err(err, errlen, "cannot write to stdout: %s", strerror(errno));
        return 0;
    }
    char target[4096], tmp[4200];
    if (output_resolve(path, target, sizeof target, err, errlen)) return -1;
    struct stat st;
    int exists = stat(target, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) return set_err(err, errlen, "cannot write %s: it is a directory", path);
    if (exists && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)))
        return write_in_place(path, target, S_ISFIFO(st.st_mode), data, len, err, errlen);
    if (exists && !S_ISREG(st.st_mode))
        return set_err(err, errlen, "cannot write %s: not a regular file, device or FIFO", path);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", target, (long)getpid()) >= sizeof tmp)
        return set_err(err, errlen, "%s: path too long", path);
    /* O_EXCL | O_NOFOLLOW: never through something planted at the temporary's name */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) return set_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
    int ok = !exists || fchmod(fd, st.st_mode & 07777) == 0;   /* a replaced file keeps its mode */
    for (size_t done = 0; ok && done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        ok = w > 0;
        if (ok) done += (size_t)w;
    }
    ok = ok && fsync(fd) == 0;
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp, target) != 0) {
        int e = errno ? errno : EIO;
        unlink(tmp);
        return set_err(err, errlen, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

void data_dir(const char *name, const char *env_var, const char *probe, char *buf, size_t len) {
    const char *env = getenv(env_var);
    if (env && *env) { snprintf(buf, len, "%s", env); return; }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = 0;
        static const char *const rel[] = { "%s/%s", "%s/../share/shiftbench/%s" };
        for (int i = 0; i < 2; i++) {
            char cand[4200], p[4400];
            snprintf(cand, sizeof cand, rel[i], exe, name);
            snprintf(p, sizeof p, "%s/%s", cand, probe);
            if (access(p, R_OK) == 0) { snprintf(buf, len, "%s", cand); return; }
        }
    }
    snprintf(buf, len, "%s", name);
}

void *alloc_aligned(size_t bytes) {
    if (bytes == 0) bytes = 64;
    /* Rounded up to the alignment, plus one line: vector code may read past the end
     * (XNNPACK up to XNN_EXTRA_BYTES = 16 bytes, and documents it), never into another block. */
    size_t rounded = ((bytes + 63) & ~(size_t)63) + 64;
    if (rounded < bytes) return NULL;
    return aligned_alloc(64, rounded);
}

int make_dirs(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return errno = ENAMETOOLONG, -1;
    for (char *s = buf + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            *s = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static int cmp_paths(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void paths_free(char **paths, int n) {
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

int list_json_files(const char *dir, char ***paths, char *err, size_t errlen) {
    *paths = NULL;
    DIR *d = opendir(dir);
    if (!d) return set_err(err, errlen, "%s: %s", dir, strerror(errno));
    char **files = NULL;
    int nf = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.') continue;
        char **grown = realloc(files, (size_t)(nf + 1) * sizeof *files);
        size_t plen = strlen(dir) + len + 2;
        if (grown) files = grown;
        if (!grown || !(files[nf] = malloc(plen))) {
            closedir(d);
            paths_free(files, nf);
            return set_err(err, errlen, "%s: out of memory", dir);
        }
        snprintf(files[nf++], plen, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (nf) qsort(files, (size_t)nf, sizeof *files, cmp_paths);   /* qsort(NULL, 0): UB */
    *paths = files;
    return nf;
}
