/* Robust statistics of timing samples, and the Mann-Whitney U test that `compare` uses
 * to say whether two sets of samples differ. */
#ifndef SHIFTBENCH_STATS_H
#define SHIFTBENCH_STATS_H

typedef struct {
    int n;
    double min, max, median, mean;
    double stddev;  /* sample standard deviation (n - 1); 0 when n < 2 */
    double mad;     /* median absolute deviation from the median, unscaled (no 1.4826) */
    double p10, p90;
} stats_summary;

/* Quantile q in [0, 1] of sorted x[0..n-1]: linear interpolation between order statistics
 * at position q*(n-1) (Hyndman & Fan type 7, numpy's and R's default). n >= 1. */
double stats_quantile_sorted(const double *sorted, int n, double q);

/* Summary of x[0..n-1] (x is not modified). Returns 0, or -1 when n < 1 or out of memory
 * (s is then all zero). */
int stats_compute(const double *x, int n, stats_summary *s);

/* Median of x[0..n-1] (not modified); NaN when n < 1. */
double stats_median(const double *x, int n);

typedef struct {
    double u;   /* U statistic of sample a: pairs (a_i, b_j) with a_i > b_j, ties count 1/2 */
    double z;   /* normal approximation, with tie and continuity correction */
    double p;   /* two-sided p-value */
    int exact;  /* p is from the exact distribution (n <= STATS_MW_EXACT_MAX) */
} stats_mw;

/* Up to this many samples in all, p comes from the exact distribution of the rank sum
 * (conditional on ties, as a permutation test): the normal approximation cannot reach
 * p < 0.01 at 5 vs 5 (0.012) where the exact test gives 2/252 = 0.0079. Above it the
 * approximation is close (20 vs 20) and the exact count's cost grows as n^4. */
#define STATS_MW_EXACT_MAX 40

/* Two-sided Mann-Whitney U test of a against b: exact for small n, else the normal
 * approximation with tie correction and a 0.5 continuity correction (as scipy's
 * method="asymptotic"). p = 1 when every value is tied. Returns 0, or -1 when na or nb < 1
 * or out of memory. */
int stats_mann_whitney(const double *a, int na, const double *b, int nb, stats_mw *r);

/* The smallest p the test can give for na vs nb samples (fully separated, no ties): when
 * it is >= alpha no difference can ever be called significant. */
double stats_mw_min_p(int na, int nb);

/* Do a and b separate at level alpha? 1 yes, 0 no ("within noise"), -1 no test possible.
 * r gets the test. The one decision `compare` and the report's headlines share. */
int stats_separate(const double *a, int na, const double *b, int nb, double alpha, stats_mw *r);

#endif
