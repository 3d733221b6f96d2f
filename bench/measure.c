#include "measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "signals.h"

void measure_opts_default(measure_opts *o) {
    *o = (measure_opts){ .warmup = 2, .min_time = 0.2, .min_reps = 5, .max_reps = 1000, .cold = 0 };
}

int measure_opts_check(const measure_opts *o, char *err, size_t errlen) {
    if (o->warmup < 0) return set_err(err, errlen, "warm-up runs must be >= 0 (got %d)", o->warmup);
    if (!(o->min_time >= 0 && o->min_time <= 3600))
        return set_err(err, errlen, "minimum time must be in [0, 3600] s (got %g)", o->min_time);
    if (o->min_reps < 1) return set_err(err, errlen, "minimum repetitions must be >= 1 (got %d)", o->min_reps);
    if (o->max_reps < o->min_reps)
        return set_err(err, errlen, "maximum repetitions %d below the minimum %d", o->max_reps, o->min_reps);
    return 0;
}

/* The largest unified/data cache of cpu0 in sysfs at `level` (0: any level) (sysconf's L3
 * figure on some AMD parts is the sum over all core complexes, far more than one core sees). */
static size_t cache_sysfs(int level) {
    size_t best = 0;
    for (int i = 0; i < 16; i++) {
        char path[128], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        char *ok = fgets(buf, sizeof buf, f);
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        int lv = 0;
        if (level && (f = fopen(path, "r"))) {
            if (fscanf(f, "%d", &lv) != 1) lv = 0;
            fclose(f);
        }
        if (!ok || (level && lv != level)) continue;
        char *end;
        unsigned long long v = strtoull(buf, &end, 10);
        if (*end == 'K') v <<= 10;
        else if (*end == 'M') v <<= 20;
        if (v > best) best = (size_t)v;
    }
    return best;
}

size_t measure_llc_bytes(void) {
    size_t b = cache_sysfs(0);
    if (!b) {
        long v = sysconf(_SC_LEVEL3_CACHE_SIZE);
        if (v <= 0) v = sysconf(_SC_LEVEL2_CACHE_SIZE);
        b = v > 0 ? (size_t)v : 0;
    }
    return b;
}

size_t measure_l2_bytes(void) {
    long v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return v > 0 ? (size_t)v : cache_sysfs(2);
}

/* The flush buffer, kept for the life of the process (cold runs repeat often). */
static unsigned char *flush_buf;
static size_t flush_len;

int measure_flush_caches(void) {
    if (!flush_buf) {
        size_t want = 2 * measure_llc_bytes();
        if (want < ((size_t)64 << 20)) want = (size_t)64 << 20;
        if (want > ((size_t)1 << 30)) want = (size_t)1 << 30;
        flush_buf = alloc_aligned(want);
        if (!flush_buf) return -1;
        flush_len = want;
    }
    static unsigned char v;
    memset(flush_buf, ++v, flush_len);   /* writes evict every line the work left behind */
    __asm__ __volatile__("" ::: "memory");
    return 0;
}

int measure(measure_fn fn, void *ctx, const measure_opts *opts, counters *c,
            measure_result *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    measure_opts o;
    if (opts) o = *opts; else measure_opts_default(&o);
    if (measure_opts_check(&o, err, errlen)) return -1;
    int ne = counters_count(c);
    int cap = o.min_reps < 64 ? 64 : o.min_reps;
    out->samples = malloc((size_t)cap * sizeof *out->samples);
    counter_reading *rd = ne ? malloc((size_t)cap * ne * sizeof *rd) : NULL;
    out->counters = ne ? calloc((size_t)ne, sizeof *out->counters) : NULL;
    out->ncounters = ne;
    if (!out->samples || (ne && (!rd || !out->counters))) {
        free(rd);
        return set_err(err, errlen, "out of memory for samples");
    }
    for (int i = 0; i < o.warmup && !interrupted(); i++) fn(ctx);
    /* Cold runs count the flushes too towards min_time: a flush (~ms) can dwarf a small
     * kernel, and timed time alone would take thousands of flushes to reach it. */
    double total = 0, start = now_sec();
    int n = 0;
    while (n < o.max_reps && (n < o.min_reps || (o.cold ? now_sec() - start : total) < o.min_time)) {
        if (interrupted()) { out->interrupted = 1; break; }
        if (n == cap) {
            int ncap = cap * 2 > o.max_reps ? o.max_reps : cap * 2;
            double *s = realloc(out->samples, (size_t)ncap * sizeof *s);
            counter_reading *r = ne ? realloc(rd, (size_t)ncap * ne * sizeof *r) : NULL;
            if (s) out->samples = s;
            if (r) rd = r;
            if (!s || (ne && !r)) break;   /* keep what we have */
            cap = ncap;
        }
        if (o.cold && measure_flush_caches()) { free(rd); out->n = n; return set_err(err, errlen, "out of memory for the cache flush"); }
        counters_begin(c);
        double t0 = now_sec();
        fn(ctx);
        double t1 = now_sec();
        counters_end(c, rd ? rd + (size_t)n * ne : NULL);
        out->samples[n++] = t1 - t0;
        total += t1 - t0;
    }
    if (interrupted() && n < o.min_reps) out->interrupted = 1;
    out->n = n;
    if (n) stats_compute(out->samples, n, &out->stats);
    if (ne) counters_summarize(c, rd, n, out->counters);
    free(rd);
    return 0;
}

void measure_result_free(measure_result *r) {
    free(r->samples);
    free(r->counters);
    memset(r, 0, sizeof *r);
}
