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

/* Exact two-sided p of a's doubled rank sum r2 among all C(n, na) equally likely splits of
 * the pooled ranks (conditional on the ties: midranks doubled stay integers). cnt[k][s]
 * counts the subsets of k of the ranks seen so far with doubled sum s. -1 out of memory. */
static double exact_p(const int *rank2, int n, int na, long r2) {
    long total = (long)n * (n + 1), mean2 = (long)na * (n + 1);
    double *cnt = calloc((size_t)(na + 1) * (size_t)(total + 1), sizeof *cnt);
    if (!cnt) return -1;
    cnt[0] = 1;
    long seen = 0;   /* no subset of the ranks so far sums to more */
    for (int i = 0; i < n; i++) {
        seen += rank2[i];
        for (int k = i + 1 < na ? i + 1 : na; k >= 1; k--)
            for (long s = seen; s >= rank2[i]; s--)
                cnt[k * (total + 1) + s] += cnt[(k - 1) * (total + 1) + s - rank2[i]];
    }
    double all = 0, tail = 0, dev = labs(r2 - mean2);
    for (long s = 0; s <= total; s++) {
        double c = cnt[na * (total + 1) + s];
        all += c;
        if (labs(s - mean2) >= dev) tail += c;
    }
    free(cnt);
    return tail / all;
}

int stats_mann_whitney(const double *a, int na, const double *b, int nb, stats_mw *r) {
    memset(r, 0, sizeof *r);
    if (na < 1 || nb < 1) return -1;
    int n = na + nb;
    mw_item *it = malloc((size_t)n * sizeof *it);
    int *rank2 = malloc((size_t)n * sizeof *rank2);
    if (!it || !rank2) { free(it); free(rank2); return -1; }
    for (int i = 0; i < na; i++) it[i] = (mw_item){ a[i], 1 };
    for (int i = 0; i < nb; i++) it[na + i] = (mw_item){ b[i], 0 };
    qsort(it, (size_t)n, sizeof *it, cmp_item);
    /* Midranks over runs of ties; the tie term sum(t^3 - t) corrects the variance. */
    double ties = 0;
    long r2 = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && it[j].v == it[i].v) j++;
        double t = j - i;
        for (int k = i; k < j; k++) {
            rank2[k] = i + 1 + j;   /* twice the midrank (i+1 + j) / 2 */
            if (it[k].from_a) r2 += rank2[k];
        }
        ties += t * t * t - t;
        i = j;
    }
    free(it);
    double u = r2 / 2.0 - na * (na + 1.0) / 2;
    double mu = (double)na * nb / 2;
    double var = (double)na * nb / 12.0 * ((n + 1) - ties / ((double)n * (n - 1)));
    r->u = u;
    if (var <= 0) { r->z = 0; r->p = 1; free(rank2); return 0; }
    double d = fabs(u - mu) - 0.5;
    if (d < 0) d = 0;
    r->z = d / sqrt(var) * (u < mu ? -1 : 1);
    if (n <= STATS_MW_EXACT_MAX) {
        r->p = exact_p(rank2, n, na, r2);
        r->exact = 1;
    }
    free(rank2);
    if (!r->exact) r->p = erfc(fabs(r->z) / sqrt(2.0));
    if (r->p < 0) return -1;
    if (r->p > 1) r->p = 1;
    return 0;
}

double stats_mw_min_p(int na, int nb) {
    if (na < 1 || nb < 1) return 1;
    double *x = malloc((size_t)(na + nb) * sizeof *x);
    if (!x) return 1;
    for (int i = 0; i < na + nb; i++) x[i] = i;
    stats_mw m;
    double p = stats_mann_whitney(x, na, x + na, nb, &m) ? 1 : m.p;
    free(x);
    return p;
}

int stats_separate(const double *a, int na, const double *b, int nb, double alpha, stats_mw *r) {
    if (stats_mann_whitney(a, na, b, nb, r)) return -1;
    return r->p < alpha;
}
