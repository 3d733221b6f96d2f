/* Statistics on samples worked out by hand (see the comments for the arithmetic). */
#include <math.h>

#include "../bench/stats.h"
#include "check.h"

static int near(double a, double b) { return fabs(a - b) <= 1e-9 * (1 + fabs(b)); }
#define NEAR(a, b) near(a, b)
#define CHECK_NEAR(a, b) CHECK(NEAR(a, b), "%s = %.12g, want %.12g", #a, (double)(a), (double)(b))

int main(void) {
    /* Sorted: 1 1 2 3 4 5 6 9; n 8, sum 31. */
    double x[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
    stats_summary s;
    CHECK(stats_compute(x, 8, &s) == 0, "compute");
    CHECK(s.n == 8, "n");
    CHECK_NEAR(s.min, 1);
    CHECK_NEAR(s.max, 9);
    CHECK_NEAR(s.median, 3.5);          /* position 3.5: 3 + 0.5 * (4 - 3) */
    CHECK_NEAR(s.mean, 3.875);
    CHECK_NEAR(s.stddev, 2.748376143938713);  /* sqrt(52.875 / 7) */
    CHECK_NEAR(s.p10, 1);               /* position 0.7 between 1 and 1 */
    CHECK_NEAR(s.p90, 6.9);             /* position 6.3: 6 + 0.3 * (9 - 6) */
    CHECK_NEAR(s.mad, 2.0);             /* |x - 3.5| sorted .5 .5 1.5 1.5 2.5 2.5 2.5 5.5 */
    CHECK(x[0] == 3 && x[5] == 9, "input not modified");

    /* Odd n, quantile interpolation. */
    double y[] = { 10, 20, 30, 40, 50 };
    CHECK_NEAR(stats_quantile_sorted(y, 5, 0.5), 30);
    CHECK_NEAR(stats_quantile_sorted(y, 5, 0.1), 14);   /* position 0.4 */
    CHECK_NEAR(stats_quantile_sorted(y, 5, 0.9), 46);   /* position 3.6 */
    CHECK_NEAR(stats_quantile_sorted(y, 5, 0), 10);
    CHECK_NEAR(stats_quantile_sorted(y, 5, 1), 50);
    CHECK_NEAR(stats_median(y, 5), 30);

    /* One sample: everything is that sample, spread 0. */
    double one[] = { 7 };
    CHECK(stats_compute(one, 1, &s) == 0 && NEAR(s.median, 7) && s.stddev == 0 && s.mad == 0 &&
          NEAR(s.p10, 7) && NEAR(s.p90, 7), "one sample");
    CHECK(stats_compute(one, 0, &s) == -1 && s.n == 0, "no samples");
    CHECK(isnan(stats_median(one, 0)), "median of nothing");

    /* Mann-Whitney, no ties: U_a = 0, mean 12.5, var 25/12*11; z = (12.5-0.5)/sd. Exact p:
     * the two fully separated splits of C(10, 5) = 252 (the normal approximation, 0.0122,
     * could never go below 0.01 at 5 vs 5). */
    double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
    stats_mw m;
    CHECK(stats_mann_whitney(a, 5, b, 5, &m) == 0, "mw");
    CHECK_NEAR(m.u, 0);
    CHECK_NEAR(m.p, 2.0 / 252);
    CHECK(m.exact, "exact at 5 vs 5");
    CHECK(m.z < 0, "a below b: z %g", m.z);
    CHECK(stats_mann_whitney(b, 5, a, 5, &m) == 0 && NEAR(m.u, 25) && NEAR(m.p, 2.0 / 252), "symmetric");

    /* Ties: ranks 1 | 2 2 2 -> 3 | 3 3 3 -> 6 | 8; R_a = 13, U_a = 3, mean 8;
     * var = 16/12 * (9 - 48/56) = 10.857142857; z = 4.5 / sqrt(var). Exact: 20 of the 70
     * splits of the midranks have |R - 18| >= 5. */
    double ta[] = { 1, 2, 2, 3 }, tb[] = { 2, 3, 3, 4 };
    CHECK(stats_mann_whitney(ta, 4, tb, 4, &m) == 0, "mw ties");
    CHECK_NEAR(m.u, 3);
    CHECK_NEAR(m.z, -1.365698202000489);
    CHECK_NEAR(m.p, 20.0 / 70);

    /* Interleaved: U_a = 3, mean 4.5: 14 of the 20 splits are as far out, not significant. */
    double ia[] = { 1, 3, 5 }, ib[] = { 2, 4, 6 };
    CHECK(stats_mann_whitney(ia, 3, ib, 3, &m) == 0 && NEAR(m.p, 0.7), "interleaved p %g", m.p);

    /* Everything tied: no evidence of a difference. */
    double same[] = { 1, 1 };
    CHECK(stats_mann_whitney(same, 2, same, 2, &m) == 0 && m.p == 1, "all tied p %g", m.p);
    CHECK(stats_mann_whitney(same, 0, same, 2, &m) == -1, "empty sample");

    /* The floor of p: 3 vs 3 can never reach 0.01 (2/20), 5 vs 5 can (2/252); beyond the
     * exact range the normal approximation takes over and still separates. */
    CHECK_NEAR(stats_mw_min_p(3, 3), 0.1);
    CHECK_NEAR(stats_mw_min_p(5, 5), 2.0 / 252);
    CHECK(stats_mw_min_p(30, 30) < 1e-6, "min p 30 vs 30 %g", stats_mw_min_p(30, 30));
    double big_a[30], big_b[30];
    for (int i = 0; i < 30; i++) { big_a[i] = i; big_b[i] = i + 0.5; }
    CHECK(stats_separate(big_a, 30, big_b, 30, 0.01, &m) == 0 && !m.exact, "interleaved 30 vs 30 within noise");
    CHECK(stats_separate(big_a, 5, big_a + 10, 5, 0.01, &m) == 1, "separated 5 vs 5");
    return check_done("test_stats");
}
