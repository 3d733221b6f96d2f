#include "context.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../kernels/isa.h"
#include "../kernels/runtime.h"

#ifndef SHIFTBENCH_CFLAGS
#define SHIFTBENCH_CFLAGS "unknown"
#endif
#ifndef SHIFTBENCH_GIT_COMMIT
#define SHIFTBENCH_GIT_COMMIT "unknown"
#endif

char *context_utc_time(char *buf, size_t len, int compact) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* First line of a shell command's output, or "" (never fails the run). */
static void first_line(const char *cmd, char *out, size_t len) {
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (!fgets(out, (int)len, p)) out[0] = 0;
    pclose(p);
    out[strcspn(out, "\r\n")] = 0;
}

/* The commit of the source tree the binary was built in: ./shiftbench sits at the root
 * of the checkout. Checked at run time, since a compiled-in commit goes stale when an
 * object is not rebuilt; "-dirty" when tracked files differ from it. */
int context_threads_above_cores(int threads) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores <= 0 || threads <= cores) return 0;
    fprintf(stderr, "note: --threads %d is more than the %ld online cores: threads share cores, timings are "
                    "oversubscribed (recorded as settings.threads_above_cores)\n", threads, cores);
    return 1;
}

void context_git_commit(char *out, size_t len) {
    char exe[PATH_MAX], cmd[PATH_MAX + 160], dirty[8];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    snprintf(out, len, "%s", SHIFTBENCH_GIT_COMMIT);
    if (n <= 0) return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    strcpy(slash, "/bench/main.c");
    if (access(exe, R_OK) != 0 || strchr(exe, '\'')) return;
    *slash = 0;
    char head[64];
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse --short HEAD 2>/dev/null", exe);
    first_line(cmd, head, sizeof head);
    if (!head[0]) return;
    snprintf(cmd, sizeof cmd, "git -C '%s' status --porcelain --untracked-files=no 2>/dev/null | head -c 1", exe);
    first_line(cmd, dirty, sizeof dirty);
    snprintf(out, len, "%s%s", head, dirty[0] ? "-dirty" : "");
}

static void cpu_model(char *out, size_t len) {
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10)) continue;
        char *v = strchr(line, ':');
        if (!v) break;
        v += 1 + strspn(v + 1, " \t");
        v[strcspn(v, "\n")] = 0;
        snprintf(out, len, "%s", v);
        break;
    }
    fclose(f);
}

/* The ISA extensions that matter for these kernels, in this order, when the CPU has them. */
static json_t *isa_flags(void) {
    static const char *const wanted[] = {
        "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512cd", "avx512bw",
        "avx512vl", "avx512ifma", "avx512vbmi", "avx512_vnni", "avx512_bf16", "avx512_fp16",
        "avx_vnni", "amx_tile", "amx_bf16", "amx_int8" };
    json_t *a = json_array();
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f || !a) { if (f) fclose(f); return a; }
    static char line[1 << 15];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5)) continue;
        for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++) {
            char pat[40];
            snprintf(pat, sizeof pat, " %s ", wanted[i]);
            line[strcspn(line, "\n")] = ' ';
            if (strstr(line, pat)) json_array_append_new(a, json_string(wanted[i]));
        }
        break;
    }
    fclose(f);
    return a;
}

static const char *compiler(void) {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

/* A JSON string that is never NULL (NULL or invalid UTF-8 -> "unknown"). */
static json_t *str(const char *s) {
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_string("unknown");
}

json_t *context_build(void) {
    char date[32], commit[80], host[256], cpu[256];
    context_utc_time(date, sizeof date, 0);
    context_git_commit(commit, sizeof commit);
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = 0;
    cpu_model(cpu, sizeof cpu);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *forced = getenv("OPENBLAS_CORETYPE");
    json_t *c = json_object();
    if (!c) return NULL;
    json_object_set_new(c, "date", str(date));
    json_object_set_new(c, "git_commit", str(commit));
    json_object_set_new(c, "hostname", str(host));
    json_object_set_new(c, "cpu_model", str(cpu));
    json_object_set_new(c, "isa", isa_flags());
    /* our kernels' level (SHIFTBENCH_ISA caps it) beside the CPU's best */
    json_object_set_new(c, "isa_level", str(isa_name(isa_active())));
    json_object_set_new(c, "isa_best", str(isa_name(isa_best())));
    json_object_set_new(c, "cores", json_integer(cores > 0 ? cores : 0));
    json_object_set_new(c, "threads", json_integer(runtime_threads()));
    json_object_set_new(c, "openblas_core", str(runtime_openblas_core()));
    json_object_set_new(c, "openblas_threads", json_integer(runtime_openblas_threads()));
    json_object_set_new(c, "openblas_coretype_forced", json_boolean(forced != NULL));
    if (forced) {
        json_object_set_new(c, "openblas_coretype", str(forced));
        /* runtime_fix_openblas_core marks its own re-run; otherwise the user set it. */
        json_object_set_new(c, "openblas_coretype_by", str(getenv("SHIFTBENCH_REEXEC") ? "shiftbench" : "environment"));
        const char *was = getenv("SHIFTBENCH_OPENBLAS_CORETYPE_WAS");
        if (was) json_object_set_new(c, "openblas_coretype_replaced", str(was));
    }
    json_object_set_new(c, "onednn_version", str(runtime_onednn_version()));
    json_object_set_new(c, "onednn_isa", str(runtime_onednn_isa()));
    json_object_set_new(c, "xnnpack_version", str(runtime_xnnpack_version()));
    json_object_set_new(c, "compiler", str(compiler()));
    json_object_set_new(c, "cflags", str(SHIFTBENCH_CFLAGS));
    return c;
}
