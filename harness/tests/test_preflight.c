/*
 * test_preflight.c - unit tests for preflight.c: what `wsspec run` refuses before it
 * sends anything. -H lines (token names, values without control characters, the
 * headers wsspec sends itself), --origin, --subprotocol (tokens, unique), the report
 * directory (created with its parents, written to, the failing component named, what
 * was made removed again), and the file descriptors -j needs (in a child process: the
 * limits it lowers are its own).
 */
#define _GNU_SOURCE
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preflight.h"

static void header_ok(const char *line)
{
    char err[512] = "";
    if (!preflight_header(line, err, sizeof err))
        fail_msg("'%s' refused: %s", line, err);
}

static void header_refused(const char *line, const char *reason)
{
    char err[512] = "";
    assert_false(preflight_header(line, err, sizeof err));
    if (!strstr(err, reason))
        fail_msg("'%s': reason '%s' lacks '%s'", line, err, reason);
}

static void test_headers(void **state)
{
    (void)state;
    header_ok("Authorization: Bearer abc.def");
    header_ok("Cookie:session=1; theme=dark");
    header_ok("X-Empty:");
    header_ok("X-Tab: a\tb");
    header_ok("X-Latin1: caf\xc3\xa9"); /* obs-text is allowed in values */
    header_ok("User-Agent: mine/1.0");  /* replaces wsspec's (run_cmd.c) */
    header_refused("nocolon", "-H needs 'Name: value'");
    header_refused(": value", "-H needs 'Name: value'");
    header_refused("X A: b", "-H needs 'Name: value'");
    header_refused("X-A : b", "-H needs 'Name: value'");
    header_refused("X-A: b\r\nX-B: c", "the value holds a CR (line break)");
    header_refused("X-A: b\nX-B: c", "the value holds a LF (line break)");
    header_refused("X-A: b\x01", "the control character 0x01");
    header_refused("X-A: b\x7f", "the control character 0x7f");
    header_refused("Host: evil", "-H 'Host: ...': wsspec sends the URL's host");
    header_refused("host: evil", "-H 'host: ...'");
    header_refused("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "a fresh key");
    header_refused("Sec-WebSocket-Version: 8", "version 13");
    header_refused("Sec-WebSocket-Protocol: chat", "use --subprotocol");
    header_refused("Sec-WebSocket-Extensions: permessage-deflate", "no extension");
    header_refused("Origin: https://a", "use --origin");
    header_refused("Upgrade: h2c", "Upgrade: websocket");
    header_refused("Connection: close", "Connection: Upgrade");
    header_refused("Content-Length: 5", "without a body");
    header_refused("Transfer-Encoding: chunked", "without a body");
    /* a name that only begins like a reserved one is another name */
    header_ok("Hostname: x");
    header_ok("X-Origin: x");

    const char *lines[] = {"Authorization: x", "user-agent: y"};
    assert_true(preflight_has_header(lines, 2, "User-Agent"));
    assert_true(preflight_has_header(lines, 2, "authorization"));
    assert_false(preflight_has_header(lines, 2, "User"));
    assert_false(preflight_has_header(lines, 0, "Authorization"));
}

static void test_origin(void **state)
{
    (void)state;
    char err[256];
    assert_true(preflight_origin("https://app.example:8443", err, sizeof err));
    assert_true(preflight_origin("null", err, sizeof err));
    assert_false(preflight_origin("", err, sizeof err));
    assert_non_null(strstr(err, "--origin needs a value"));
    assert_false(preflight_origin("http://a\r\nX-Evil: 1", err, sizeof err));
    assert_non_null(strstr(err, "--origin holds a CR (line break)"));
    assert_false(preflight_origin("http://a\tb", err, sizeof err));
    assert_non_null(strstr(err, "--origin holds a tab"));
}

static void test_protocols(void **state)
{
    (void)state;
    char err[512];
    const char *ok[] = {"chat", "v2.chat.example.com", "x-y_z~1", "!#$%&'*+-.^_`|~"};
    assert_true(preflight_protocols(ok, 4, err, sizeof err));
    assert_true(preflight_protocols(NULL, 0, err, sizeof err));
    const char *sep[][1] = {{"a b"},  {"a,b"},         {"a;b"}, {"a/b"}, {"a=b"}, {"\"a\""},
                            {"(a)"},  {"a:b"},         {"[a]"}, {"a?"},  {"{a}"}, {""},
                            {"a\tb"}, {"caf\xc3\xa9"}, {"a@b"}, {"<a>"}, {"a\\b"}};
    for (size_t i = 0; i < sizeof sep / sizeof sep[0]; i++) {
        if (preflight_protocols(sep[i], 1, err, sizeof err))
            fail_msg("'%s' accepted as a token", sep[i][0]);
        assert_non_null(strstr(err, "is not a token"));
    }
    const char *dup[] = {"chat", "superchat", "chat"};
    assert_false(preflight_protocols(dup, 3, err, sizeof err));
    assert_non_null(strstr(err, "--subprotocol 'chat' given twice"));
    const char *cased[] = {"chat", "Chat"}; /* compared byte for byte, as the core does */
    assert_true(preflight_protocols(cased, 2, err, sizeof err));
}

static char *tmp_dir(void)
{
    char *d = strdup("/tmp/wsspec-preflight-XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static void path_of(char *out, size_t cap, const char *dir, const char *rest)
{
    int n = snprintf(out, cap, "%s/%s", dir, rest);
    assert_true(n > 0 && (size_t)n < cap);
}

static void test_report_dir(void **state)
{
    (void)state;
    char *d = tmp_dir(), p[512], q[512], err[4400];
    struct preflight_dirs made = {0};

    /* parents are created, the directory is writable, nothing is left in it */
    path_of(p, sizeof p, d, "a/b/c");
    assert_int_equal(preflight_report_dir(p, &made, err, sizeof err), 0);
    assert_int_equal(made.n, 3);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(rmdir(p), 0); /* empty: the write test left nothing */
    assert_int_equal(mkdir(p, 0777), 0);
    /* undo removes what was made, deepest first */
    preflight_dirs_undo(&made);
    assert_int_equal(made.n, 0);
    path_of(q, sizeof q, d, "a");
    assert_int_not_equal(stat(q, &st), 0);

    /* an existing directory: nothing made, nothing removed */
    assert_int_equal(preflight_report_dir(d, &made, err, sizeof err), 0);
    assert_int_equal(made.n, 0);

    /* a file in the way: named */
    path_of(p, sizeof p, d, "file");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    path_of(q, sizeof q, d, "file/x/y");
    assert_int_equal(preflight_report_dir(q, &made, err, sizeof err), -1);
    if (!strstr(err, "is not a directory") || !strstr(err, p))
        fail_msg("file in the way: %s", err);
    assert_int_equal(preflight_report_dir(p, &made, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a directory"));
    assert_int_equal(unlink(p), 0);

    /* a directory that cannot be written: only meaningful when permissions apply */
    if (geteuid() != 0) {
        path_of(p, sizeof p, d, "ro");
        assert_int_equal(mkdir(p, 0555), 0);
        assert_int_equal(preflight_report_dir(p, &made, err, sizeof err), -1);
        assert_non_null(strstr(err, "cannot write to the report directory"));
        assert_non_null(strstr(err, "Permission denied"));
        path_of(q, sizeof q, d, "ro/sub");
        assert_int_equal(preflight_report_dir(q, &made, err, sizeof err), -1);
        assert_non_null(strstr(err, "Permission denied"));
        assert_int_equal(rmdir(p), 0);
    }
    assert_int_equal(preflight_report_dir("", &made, err, sizeof err), -1);
    preflight_dirs_free(&made);
    assert_int_equal(rmdir(d), 0);
    free(d);
}

/* In a child: the limits it sets are its own. Exit 0 when every check held. */
static int fds_child(void)
{
    char err[512];
    struct rlimit rl = {64, 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 10;
    if (preflight_fds(8, err, sizeof err) != 0)
        return 11; /* 8 at once fit in 64 */
    if (preflight_fds(200, err, sizeof err) != -1)
        return 12;
    if (!strstr(err, "-j 200 needs ") || !strstr(err, "the limit is 64") ||
        !strstr(err, "ulimit -n") || !strstr(err, "or lower -j to "))
        return 13;
    /* a soft limit below a hard one that is enough is raised to what is needed */
    rl = (struct rlimit){32, 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 14;
    if (preflight_fds(30, err, sizeof err) != 0)
        return 15;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur <= 32 || rl.rlim_cur > 64)
        return 16;
    return 0;
}

static void test_fds(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fds_child());
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers),   cmocka_unit_test(test_origin),
        cmocka_unit_test(test_protocols), cmocka_unit_test(test_report_dir),
        cmocka_unit_test(test_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
