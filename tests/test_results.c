/* Results records against the peak: % of peak from executed FLOPs, a rate above the peak
 * flagged (above_peak), the peak of a record's ISA level read from a peak object, the
 * level of a kernel from its impl_info. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "../bench/peak.h"
#include "../bench/results.h"

static json_t *record(double seconds, double peak) {
    double samples[1] = { seconds };
    measure_result m = { .n = 1, .samples = samples, .stats = { .min = seconds, .median = seconds } };
    /* a 3x3 on 7x7 with padding: 2 x 441 x 6 FLOPs by the convention, 2 x 361 x 6 executed */
    cost c = { .macs = 441 * 6, .flops = 2 * 441 * 6, .exec_macs = 361 * 6, .exec_flops = 2 * 361 * 6, .bytes = 100 };
    results_record_in in = { .name = "x", .impl = "own", .cost = &c, .m = &m, .peak_gflops = peak };
    return results_record(&in);
}

static double num(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

int main(void) {
    json_t *r = record(1e-6, 5.0);   /* 4.332 executed GFLOP/s of a 5 GFLOP/s peak */
    CHECK(fabs(num(r, "exec_gflops") - 4.332) < 1e-9 && fabs(num(r, "gflops") - 5.292) < 1e-9,
          "exec_gflops %g, gflops %g", num(r, "exec_gflops"), num(r, "gflops"));
    CHECK(fabs(num(r, "pct_peak") - 86.64) < 1e-9 && !json_object_get(r, "above_peak") && num(r, "peak_gflops") == 5.0,
          "pct_peak %g from executed FLOPs, not flagged", num(r, "pct_peak"));
    CHECK(json_integer_value(json_object_get(json_object_get(r, "cost"), "exec_macs")) == 361 * 6, "cost.exec_macs");
    json_decref(r);
    r = record(1e-6, 4.0);           /* 108 %: flagged */
    CHECK(num(r, "pct_peak") > 100 && json_is_true(json_object_get(r, "above_peak")), "above the peak: above_peak true");
    json_decref(r);
    r = record(1e-6, 0);
    CHECK(!json_object_get(r, "pct_peak") && !json_object_get(r, "above_peak"), "no peak: no pct_peak");
    json_decref(r);
    CHECK(!strcmp(peak_mark(100.5), "!") && !strcmp(peak_mark(99.9), " "), "table mark");

    json_t *p = json_pack("{s:f,s:{s:{s:f},s:{s:f}}}", "gflops", 200.0, "levels", "avx2", "gflops", 100.0,
                          "portable", "gflops", 40.0);
    CHECK(peak_gflops_at(p, ISA_AVX2) == 100.0 && peak_gflops_at(p, ISA_PORTABLE) == 40.0, "peak per level");
    CHECK(peak_gflops_at(p, ISA_AVX512) == 200.0, "a level not measured: the top-level figure");
    json_decref(p);
    p = json_pack("{s:f}", "gflops", 50.0);   /* a file from before levels */
    CHECK(peak_gflops_at(p, ISA_AVX2) == 50.0, "old peak files: the one figure");
    json_decref(p);
    CHECK(peak_gflops_at(NULL, ISA_AVX2) == 0, "no peak object");
    CHECK(peak_run_level("own", "own:conv1x1-avx2") == ISA_AVX2 && peak_run_level("own", "own:conv-portable") == ISA_PORTABLE
          && peak_run_level("ref", "ref") == ISA_PORTABLE, "level from impl_info");
#if defined(__x86_64__)
    CHECK(peak_run_level("onednn", "jit_1x1:avx2") == ISA_AVX2 && peak_run_level("onednn", "brgconv:avx512_core") == ISA_AVX512,
          "oneDNN level from impl_info");
#endif
    return check_done("test_results");
}
