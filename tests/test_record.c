/* test_record.c - the build record: what one build writes, the next reads
 * back; and a record that is cut short, overwritten, of another generator or
 * of another folder is not used, without crashing the build (run under
 * AddressSanitizer by make check). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "testlib.h"

static char record_path[64];

static const record_hash generator = {0x1234, 0x5678};
enum { DEV = 7, INO = 42 };

/* Writes a record with two sections: "numbers" (0..count-1, a string each
 * tenth) and "empty". */
static void write_sample(size_t count)
{
    buf numbers = BUF_INIT, empty = BUF_INIT;
    record_write_number(&numbers, count);
    for (size_t i = 0; i < count; i++) {
        record_write_number(&numbers, i * 1000003u);
        if (i % 10 == 0)
            record_write_string(&numbers, "praktijkvoorbeelden/x/index.html", 32);
    }
    record_write_hash(&numbers, record_hash_of("x", 1));
    const char *names[] = {"numbers", "empty"};
    const buf *contents[] = {&numbers, &empty};
    CHECK(record_write_file(record_path, generator, DEV, INO, names, contents, 2) == 0);
    buf_free(&numbers);
    buf_free(&empty);
}

/* Reads "numbers" back; returns whether it is all there and right. */
static bool read_sample(const record *r, size_t count)
{
    record_reader rr = record_reader_of(r, "numbers");
    if (record_read_number(&rr) != count)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (record_read_number(&rr) != i * 1000003u)
            return false;
        size_t len;
        if (i % 10 == 0 &&
            strcmp(record_read_string(&rr, &len), "praktijkvoorbeelden/x/index.html") != 0)
            return false;
    }
    record_hash h = record_read_hash(&rr);
    return !rr.failed && record_reader_done(&rr) && record_hash_equal(h, record_hash_of("x", 1));
}

static void test_round_trip(void)
{
    write_sample(5000);
    record *r = record_load(record_path, generator, DEV, INO);
    CHECK(r != NULL);
    CHECK(read_sample(r, 5000));
    size_t len = 99;
    CHECK(record_section(r, "empty", &len) != NULL && len == 0);
    CHECK(record_section(r, "missing", &len) == NULL && len == 0);
    record_reader missing = record_reader_of(r, "missing");
    CHECK(record_read_number(&missing) == 0 && missing.failed);
    record_free(r);
}

static void test_other_generator_or_folder(void)
{
    write_sample(10);
    record_hash other = {0x1234, 0x5679};
    CHECK(record_load(record_path, other, DEV, INO) == NULL);
    CHECK(record_load(record_path, generator, DEV + 1, INO) == NULL);
    CHECK(record_load(record_path, generator, DEV, INO + 1) == NULL);
    CHECK(record_load("/nonexistent/record", generator, DEV, INO) == NULL);
}

static long file_size(void)
{
    struct stat st;
    return stat(record_path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_cut_short(void)
{
    write_sample(2000);
    long size = file_size();
    /* Every length shorter than the whole: never used. */
    for (long cut = 0; cut < size; cut += cut < 200 ? 1 : 997) {
        write_sample(2000);
        CHECK(truncate(record_path, cut) == 0);
        record *r = record_load(record_path, generator, DEV, INO);
        if (r != NULL) {
            printf("    a record cut to %ld of %ld bytes was used\n", cut, size);
            CHECK(r == NULL);
            record_free(r);
            break;
        }
    }
}

static void test_overwritten(void)
{
    write_sample(2000);
    long size = file_size();
    srand(1);
    /* A byte overwritten anywhere: the record is not used, or the section
     * that holds it reads as missing; never a wrong value, never a crash. */
    for (int round = 0; round < 300; round++) {
        write_sample(2000);
        FILE *f = fopen(record_path, "r+b");
        CHECK(f != NULL);
        long at = rand() % size;
        fseek(f, at, SEEK_SET);
        int old = getc(f);
        fseek(f, at, SEEK_SET);
        putc(old ^ (1 + rand() % 255), f);
        fclose(f);
        record *r = record_load(record_path, generator, DEV, INO);
        if (r != NULL) {
            size_t len;
            bool whole = record_section(r, "numbers", &len) != NULL;
            if (whole && !read_sample(r, 2000)) {
                printf("    a byte changed at %ld gave wrong numbers\n", at);
                CHECK(!whole);
            }
            record_free(r);
        }
    }
}

static void test_reader_bounds(void)
{
    /* A reader never reads past its end, whatever the bytes say. */
    uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    record_reader rr = {garbage, garbage + sizeof garbage, false};
    record_read_number(&rr);
    CHECK(rr.failed);
    uint8_t long_string[] = {100, 'a', 'b'};
    rr = (record_reader){long_string, long_string + sizeof long_string, false};
    size_t len = 7;
    CHECK_STR(record_read_string(&rr, &len), "");
    CHECK(rr.failed && len == 0);
    uint8_t short_hash[] = {1, 2, 3};
    rr = (record_reader){short_hash, short_hash + sizeof short_hash, false};
    record_read_hash(&rr);
    CHECK(rr.failed);
}

int main(void)
{
    snprintf(record_path, sizeof record_path, "/tmp/test_record.%d", (int)getpid());
    run_test("a record reads back what was written", test_round_trip);
    run_test("a record of another generator or folder is not used",
             test_other_generator_or_folder);
    run_test("a record cut short is not used", test_cut_short);
    run_test("an overwritten byte never gives wrong values", test_overwritten);
    run_test("a reader stops at its end", test_reader_bounds);
    unlink(record_path);
    return test_summary();
}
