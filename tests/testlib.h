/* testlib.h - the tiny test harness of the unit tests.
 *
 * Each test binary calls run_test() per case and ends with test_summary(),
 * which prints "N passed, N failed" (the line tests/run-checks adds up) and
 * returns the exit status. Everything is static inline, so that a test may
 * take only what it needs (test_mustache_spec: testlib_read_file). */
#ifndef HANDBOOK_TESTLIB_H
#define HANDBOOK_TESTLIB_H

#include <stdio.h>
#include <string.h>

#include "buf.h"

static int testlib_passed, testlib_failed, testlib_case_failed;

static inline void testlib_fail(const char *file, int line, const char *what)
{
    printf("  %s:%d: check failed: %s\n", file, line, what);
    testlib_case_failed = 1;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            testlib_fail(__FILE__, __LINE__, #cond);                                               \
    } while (0)

/* Compares two strings and shows both when they differ. */
#define CHECK_STR(actual, expected)                                                                \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        if (a_ == NULL || strcmp(a_, e_) != 0) {                                                   \
            testlib_fail(__FILE__, __LINE__, #actual " == " #expected);                            \
            printf("    expected: \"%s\"\n    actual:   \"%s\"\n", e_, a_ ? a_ : "(null)");         \
        }                                                                                          \
    } while (0)

/* Checks that haystack contains needle. */
#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (h_ == NULL || strstr(h_, n_) == NULL) {                                                \
            testlib_fail(__FILE__, __LINE__, #haystack " contains " #needle);                      \
            printf("    looked for: \"%s\"\n    in:         \"%s\"\n", n_, h_ ? h_ : "(null)");    \
        }                                                                                          \
    } while (0)

static inline void run_test(const char *name, void (*fn)(void))
{
    testlib_case_failed = 0;
    fn();
    if (testlib_case_failed) {
        testlib_failed++;
        printf("FAIL %s\n", name);
    } else {
        testlib_passed++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}

#define RUN(fn) run_test(#fn, fn)

/* A whole file, NUL-terminated (free() it), its length into *len when len is
 * not NULL; NULL when it cannot be opened. */
static inline char *testlib_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    buf b = BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    return buf_detach(&b);
}

static inline int test_summary(void)
{
    printf("%d passed, %d failed\n", testlib_passed, testlib_failed);
    return testlib_failed ? 1 : 0;
}

#endif
