/*
 * test_fuzz_cov.c - unit tests for the coverage map of `wsspec fuzz --coverage`
 * (fuzz_cov.c): AFL's hit-count buckets at every count; classification in place; what
 * counts as new (an edge never reached: 2, a new bucket of a known edge: 1, the same
 * again: 0) and the count of new edges; the program --cmd runs (NAME=value words and
 * `exec` skipped, PATH searched); the AFL++ marker found even across a read boundary;
 * a real segment: attached, already marked for removal (nothing left behind whatever
 * way wsspec ends), its id in the environment, zeroed, read, and gone with close.
 */
#define _GNU_SOURCE
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "fuzz_cov.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

static void test_buckets(void **state)
{
    (void)state;
    /* AFL's count_class_lookup8, written out */
    for (unsigned h = 0; h < 256; h++) {
        uint8_t want = h == 0    ? 0
                       : h == 1  ? 1
                       : h == 2  ? 2
                       : h == 3  ? 4
                       : h < 8   ? 8
                       : h < 16  ? 16
                       : h < 32  ? 32
                       : h < 128 ? 64
                                 : 128;
        assert_int_equal(fuzz_cov_bucket((uint8_t)h), want);
    }
    uint8_t t[] = {0, 1, 3, 5, 9, 20, 100, 255};
    uint8_t want[] = {0, 1, 4, 8, 16, 32, 64, 128};
    fuzz_cov_classify(t, sizeof t);
    assert_memory_equal(t, want, sizeof t);
}

static void test_merge_new_edges_and_buckets(void **state)
{
    (void)state;
    uint8_t virgin[8];
    memset(virgin, 0xff, sizeof virgin);
    size_t fresh = 99;
    uint8_t a[8] = {1, 0, 0, 8, 0, 0, 0, 0};
    assert_int_equal(fuzz_cov_merge(a, virgin, 8, &fresh), 2);
    assert_int_equal(fresh, 2);
    /* the same trace again: nothing new */
    assert_int_equal(fuzz_cov_merge(a, virgin, 8, &fresh), 0);
    assert_int_equal(fresh, 0);
    /* a known edge in another bucket: new, but no new edge */
    uint8_t b[8] = {2, 0, 0, 8, 0, 0, 0, 0};
    assert_int_equal(fuzz_cov_merge(b, virgin, 8, &fresh), 1);
    assert_int_equal(fresh, 0);
    /* a bucket seen before on each edge, mixed: nothing new */
    uint8_t c[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(fuzz_cov_merge(c, virgin, 8, NULL), 0);
    /* a new bucket and a new edge: the new edge decides */
    uint8_t d[8] = {4, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(fuzz_cov_merge(d, virgin, 8, &fresh), 2);
    assert_int_equal(fresh, 1);
    size_t reached = 0;
    for (size_t i = 0; i < 8; i++)
        reached += virgin[i] != 0xff;
    assert_int_equal(reached, 3);
    assert_int_equal(virgin[0], (uint8_t) ~(1 | 2 | 4));
}

static void test_program_of_cmd(void **state)
{
    (void)state;
    char path[4096];
    assert_true(fuzz_cov_program("/bin/sh -c true", path, sizeof path));
    assert_string_equal(path, "/bin/sh");
    assert_true(fuzz_cov_program("  A=1 B_2=x exec /bin/sh --x", path, sizeof path));
    assert_string_equal(path, "/bin/sh");
    setenv("PATH", "/nonexistent:/bin", 1);
    assert_true(fuzz_cov_program("sh -c true", path, sizeof path));
    assert_string_equal(path, "/bin/sh");
    assert_false(fuzz_cov_program("no-such-program-wsspec --listen", path, sizeof path));
    assert_false(fuzz_cov_program("", path, sizeof path));
    assert_false(fuzz_cov_program("A=1 ", path, sizeof path));
}

/* A file of n bytes of 'x' with the marker at offset at (or none when at < 0). */
static void write_file(const char *path, size_t n, long at)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        if (at >= 0 && i == (size_t)at) {
            fputs("__AFL_SHM_ID", f);
            i += strlen("__AFL_SHM_ID") - 1;
            continue;
        }
        fputc('x', f);
    }
    assert_int_equal(fclose(f), 0);
}

static void test_marker(void **state)
{
    (void)state;
    char path[] = "/tmp/wsspec-test-fuzz-cov-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, 200000, -1);
    assert_false(fuzz_cov_marked(path));
    /* across the first 64 KiB block's end, and far in */
    long ats[] = {0, 65536 - 5, 65536 - 12, 65536, 131072 - 1 - 11, 199000};
    for (size_t i = 0; i < sizeof ats / sizeof ats[0]; i++) {
        write_file(path, 200000, ats[i]);
        assert_true(fuzz_cov_marked(path));
    }
    unlink(path);
    assert_false(fuzz_cov_marked(path));
}

static void test_segment(void **state)
{
    (void)state;
    struct fuzz_cov c;
    char err[256];
    assert_int_equal(fuzz_cov_open(&c, FUZZ_COV_MAP_MIN, err, sizeof err), 0);
    assert_non_null(c.map);
    char want[32];
    snprintf(want, sizeof want, "%d", c.shm_id);
    assert_non_null(getenv("__AFL_SHM_ID"));
    assert_string_equal(getenv("__AFL_SHM_ID"), want);
    assert_string_equal(getenv("AFL_MAP_SIZE"), "65536");
    struct shmid_ds ds;
    assert_int_equal(shmctl(c.shm_id, IPC_STAT, &ds), 0);
    assert_true(ds.shm_perm.mode & SHM_DEST); /* marked: gone with the last detach */
    /* what a target attaching by id would write */
    uint8_t *other = shmat(c.shm_id, NULL, 0);
    assert_true(other != (void *)-1);
    fuzz_cov_reset(&c);
    assert_false(fuzz_cov_touched(&c));
    other[0] = 1;
    other[100] = 3;
    other[65535] = 200;
    assert_true(fuzz_cov_touched(&c));
    assert_int_equal(fuzz_cov_take(&c), 2);
    assert_int_equal(c.edges, 3);
    fuzz_cov_reset(&c);
    other[100] = 5; /* 4..7: a bucket not seen for it */
    assert_int_equal(fuzz_cov_take(&c), 1);
    assert_int_equal(c.edges, 3);
    fuzz_cov_reset(&c);
    other[100] = 6;
    assert_int_equal(fuzz_cov_take(&c), 0);
    shmdt(other);
    int id = c.shm_id;
    fuzz_cov_close(&c);
    assert_null(c.map);
    assert_null(getenv("__AFL_SHM_ID"));
    assert_int_equal(shmctl(id, IPC_STAT, &ds), -1); /* removed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),        cmocka_unit_test(test_merge_new_edges_and_buckets),
        cmocka_unit_test(test_program_of_cmd), cmocka_unit_test(test_marker),
        cmocka_unit_test(test_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
