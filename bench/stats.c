#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double *sorted_copy(const double *x, int n) {
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) return NULL;
    memcpy(s, x, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return s;
}

double stats_quantile_sorted(const double *sorted, int n, double q) {
    if (n < 1) return NAN;
    if (q <= 0) return sorted[0];
    if (q >= 1) return sorted[n - 1];
    double pos = q * (n - 1);
    int i = (int)pos;
    double f = pos - i;
    return i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
}

double stats_median(const double *x, int n) {
    if (n < 1) return NAN;
    double *s = sorted_copy(x, n);
    if (!s) return NAN;
    double m = stats_quantile_sorted(s, n, 0.5);
    free(s);
    return m;
}

int stats_compute(const double *x, int n, stats_summary *out) {
    memset(out, 0, sizeof *out);
    if (n < 1) return -1;
    double *s = sorted_copy(x, n);
    if (!s) return -1;
    stats_summary r = { .n = n, .min = s[0], .max = s[n - 1] };
    r.median = stats_quantile_sorted(s, n, 0.5);
    r.p10 = stats_quantile_sorted(s, n, 0.10);
    r.p90 = stats_quantile_sorted(s, n, 0.90);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += s[i];
    r.mean = sum / n;
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (s[i] - r.mean) * (s[i] - r.mean);
    r.stddev = n > 1 ? sqrt(ss / (n - 1)) : 0;
    for (int i = 0; i < n; i++) s[i] = fabs(s[i] - r.median);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    r.mad = stats_quantile_sorted(s, n, 0.5);
    free(s);
    *out = r;
    return 0;
}

typedef struct { double v; int from_a; } mw_item;

static int cmp_item(const void *a, const void *b) {
    return cmp_double(&((const mw_item *)a)->v, &((const mw_item *)b)->v);
}

int stats_mann_whitney(const double *a, int na, const double *b, int nb, stats_mw *r) {
    memset(r, 0, sizeof *r);
    if (na < 1 || nb < 1) return -1;
    int n = na + nb;
    mw_item *it = malloc((size_t)n * sizeof *it);
    if (!it) return -1;
    for (int i = 0; i < na; i++) it[i] = (mw_item){ a[i], 1 };
    for (int i = 0; i < nb; i++) it[na + i] = (mw_item){ b[i], 0 };
    qsort(it, (size_t)n, sizeof *it, cmp_item);
    /* Midranks over runs of ties; the tie term sum(t^3 - t) corrects the variance. */
    double rank_a = 0, ties = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && it[j].v == it[i].v) j++;
        double t = j - i, mid = (i + 1 + j) / 2.0;
        for (int k = i; k < j; k++) if (it[k].from_a) rank_a += mid;
        ties += t * t * t - t;
        i = j;
    }
    free(it);
    double u = rank_a - na * (na + 1.0) / 2;
    double mu = (double)na * nb / 2;
    double var = (double)na * nb / 12.0 * ((n + 1) - ties / ((double)n * (n - 1)));
    r->u = u;
    if (var <= 0) { r->z = 0; r->p = 1; return 0; }
    double d = fabs(u - mu) - 0.5;
    if (d < 0) d = 0;
    r->z = d / sqrt(var) * (u < mu ? -1 : 1);
    r->p = erfc(fabs(r->z) / sqrt(2.0));
    if (r->p > 1) r->p = 1;
    return 0;
}
