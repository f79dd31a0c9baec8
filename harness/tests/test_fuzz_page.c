/*
 * test_fuzz_page.c - unit tests for `wsspec fuzz`'s findings page (fuzz_page.c): a
 * summary whose strings carry markup, quotes, control bytes and bytes past ASCII (what a
 * hostile target can put in a finding's text) gives a page where each is escaped or
 * replaced; the findings, their case files and the coverage samples are on it; an empty
 * run says "No finding"; a path that cannot be written is -1.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "fuzz_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *render(json_t *summary)
{
    char path[] = "/tmp/wsspec-test-fuzz-page-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(fuzz_page_write(path, summary), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
    return buf;
}

static void test_escaped(void **state)
{
    (void)state;
    json_t *s = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:f, s:b, s:[{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, "
        "s:f}], s:{s:s, s:I, s:I, s:I, s:[{s:f, s:I, s:I, s:I}]}}",
        "url", "ws://127.0.0.1:1/<x>", "cmd", "./srv '<b>'", "seed", (json_int_t)7, "conversations",
        (json_int_t)12, "replays", (json_int_t)3, "seconds", 4.0, "finished", 1, "findings", "id",
        "90.1", "kind", "protocol", "file", "dir/finding-1-protocol.wsc", "what",
        "sent <script>alert(\"x\")</script> & \x01 \xc3\xa9", "seedCase", "2.3", "conversation",
        (json_int_t)9, "stepsFound", (json_int_t)5, "stepsMinimised", (json_int_t)1,
        "secondsToFind", 1.5, "coverage", "mode", "afl", "edges", (json_int_t)321, "queue",
        (json_int_t)4, "mapSize", (json_int_t)65536, "edgesOverTime", "seconds", 5.0,
        "conversations", (json_int_t)12, "edges", (json_int_t)321, "queue", (json_int_t)4);
    assert_non_null(s);
    const char *page = render(s);
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "<x>"));
    assert_null(strstr(page, "<b>"));
    assert_null(strchr(page, '\x01'));
    assert_null(strchr(page, '\xc3'));
    assert_non_null(
        strstr(page, "sent &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ? ??"));
    assert_non_null(strstr(page, "./srv &#39;&lt;b&gt;&#39;"));
    assert_non_null(strstr(page, "<a href=\"finding-1-protocol.wsc\">"));
    assert_non_null(strstr(page, "321 edges reached, 4 conversations queued"));
    assert_non_null(strstr(page, "<td>1 (from 5)</td>"));
    json_decref(s);
}

static void test_empty_and_unwritable(void **state)
{
    (void)state;
    json_t *s = json_pack("{s:s, s:I, s:I, s:I, s:f, s:b, s:[]}", "url", "ws://h/", "seed",
                          (json_int_t)1, "conversations", (json_int_t)0, "replays", (json_int_t)0,
                          "seconds", 0.0, "finished", 0, "findings");
    assert_non_null(s);
    const char *page = render(s);
    assert_non_null(strstr(page, "No finding."));
    assert_non_null(strstr(page, "(still running)"));
    assert_null(strstr(page, "Coverage"));
    assert_int_equal(fuzz_page_write("/nonexistent-dir/index.html", s), -1);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaped),
        cmocka_unit_test(test_empty_and_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
