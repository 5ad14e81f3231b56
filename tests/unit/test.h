/* test.h — the one tiny test harness every C test binary uses.
 *
 *   TEST(name) { CHECK(cond); CHECK_NEAR(a, b, abs, rel); SKIP("no GPU"); }
 *   int main(void) { RUN(name); ...; return test_summary(); }
 *
 * Each binary ends with exactly one line "N passed, N failed[, N skipped]"
 * that tests/run_all.sh adds up. A test passes when it ran at least one
 * CHECK and none failed; SKIP prints "skipped: <why>" and counts a skip
 * (a "no GPU" skip is a failure under CGPU_EXPECT_GPUS, see below).
 */
#ifndef CGPU_TEST_H
#define CGPU_TEST_H

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int test_passed, test_failed, test_skipped;
static int test_cur_failed, test_cur_checks, test_cur_skipped;
static const char *test_cur_name;

#define TEST(name) static void name(void)

#define CHECK(cond) do { test_cur_checks++; if (!(cond)) { test_cur_failed++; \
    fprintf(stderr, "  FAIL %s: %s:%d: %s\n", test_cur_name, __FILE__, __LINE__, #cond); } } while (0)

/* |a - b| <= abs + rel * |b|, b being the reference. NaN never passes. */
#define CHECK_NEAR(a, b, abs_tol, rel_tol) do { double _a = (a), _b = (b); test_cur_checks++; \
    if (!(fabs(_a - _b) <= (abs_tol) + (rel_tol) * fabs(_b))) { test_cur_failed++; \
    fprintf(stderr, "  FAIL %s: %s:%d: %s = %.9g, expected %.9g\n", test_cur_name, __FILE__, __LINE__, #a, _a, _b); } } while (0)

#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); test_cur_checks++; \
    if (!_a || !_b || strcmp(_a, _b) != 0) { test_cur_failed++; \
    fprintf(stderr, "  FAIL %s: %s:%d: %s\n    got:      \"%s\"\n    expected: \"%s\"\n", test_cur_name, \
            __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)

/* CGPU_EXPECT_GPUS=N (N > 0) says the machine has GPUs: a test that would
 * skip for want of one ("no GPU...") fails instead, so a GPU run whose
 * discovery failed cannot end "0 failed". */
static inline int test_gpus_expected(void) {
    const char *e = getenv("CGPU_EXPECT_GPUS");
    return e && *e ? atoi(e) : 0;
}
#define SKIP(why) do { const char *_why = (why); \
    if (test_gpus_expected() > 0 && strncmp(_why, "no GPU", 6) == 0) { test_cur_checks++; test_cur_failed++; \
        fprintf(stderr, "  FAIL %s: %s, but CGPU_EXPECT_GPUS=%d\n", test_cur_name, _why, test_gpus_expected()); \
        return; } \
    test_cur_skipped = 1; printf("  %s: skipped: %s\n", test_cur_name, _why); return; } while (0)

#define RUN(name) do { test_cur_name = #name; test_cur_failed = test_cur_checks = test_cur_skipped = 0; \
    name(); \
    if (test_cur_skipped) test_skipped++; \
    else if (test_cur_failed || !test_cur_checks) { test_failed++; \
        if (!test_cur_checks) fprintf(stderr, "  FAIL %s: no checks ran\n", #name); \
        printf("  %s: FAILED\n", #name); } \
    else { test_passed++; if (getenv("TEST_VERBOSE")) printf("  %s: ok\n", #name); } } while (0)

/* out = the directory of this test binary + "/" + rel (files the Makefile
 * builds beside the tests, e.g. "stub/libnvidia-ml.so.1"); 1 when that
 * file exists. */
static inline int test_file_beside_self(const char *rel, char *out, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return 0;
    *slash = '\0';
    int w = snprintf(out, cap, "%s/%s", exe, rel);
    return w > 0 && (size_t)w < cap && access(out, R_OK) == 0;
}

static inline int test_summary(void) {
    if (test_skipped) printf("%d passed, %d failed, %d skipped\n", test_passed, test_failed, test_skipped);
    else printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

#endif
