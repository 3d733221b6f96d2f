/* A minimal test harness: CHECK records a pass or a failure (with file:line), and
 * check_done() prints "<binary>: N passed, N failed" for tests/run.sh to add up. */
#ifndef SHIFTBENCH_CHECK_H
#define SHIFTBENCH_CHECK_H

#include <stdio.h>

static int check_pass_, check_fail_;

#define CHECK(cond, ...) do { \
    if (cond) check_pass_++; \
    else { check_fail_++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
           fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static inline int check_done(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_pass_, check_fail_);
    return check_fail_ ? 1 : 0;
}

#endif
