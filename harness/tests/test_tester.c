/*
 * test_tester.c - the reachability probe against a small in-process server (a thread
 * with the core's server role, or a canned HTTP answer): it tries each resolved address
 * until one answers; it sends the run's headers (a server that wants Authorization gets
 * it); a refusal names the status and the first bytes of the body, as curl would.
 */
#include "tests/th.h" /* reference/tests/th.h, found through -Ireference */

#include "tester.h"
#include "ws_conn.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct server {
    int ls;
    uint16_t port;
    const char *need_header; /* answer 401 unless the request has this line */
    pthread_t th;
    int served;
};

static void answer(struct server *sv, int fd)
{
    char req[4096];
    size_t n = 0;
    while (n < sizeof req - 1) {
        ssize_t k = read(fd, req + n, sizeof req - 1 - n);
        if (k <= 0)
            return;
        n += (size_t)k;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    if (sv->need_header && !strstr(req, sv->need_header)) {
        const char *no = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 26\r\n\r\n"
                         "token missing or expired\r\n";
        if (write(fd, no, strlen(no)) < 0)
            return;
        return;
    }
    struct ws_conn c;
    struct ws_conn_config cfg = {.role = WS_ROLE_SERVER};
    assert_int_equal(ws_conn_init(&c, &cfg), WS_E_OK);
    ws_conn_recv(&c, (uint8_t *)req, n);
    const uint8_t *p;
    size_t len = ws_conn_pending(&c, &p);
    if (write(fd, p, len) < 0)
        len = 0;
    ws_conn_free(&c);
}

static void *serve(void *arg)
{
    struct server *sv = arg;
    int fd = accept(sv->ls, NULL, NULL);
    if (fd >= 0) {
        answer(sv, fd);
        sv->served++;
        close(fd);
    }
    return NULL;
}

static void server_start(struct server *sv, const char *need_header)
{
    memset(sv, 0, sizeof *sv);
    sv->need_header = need_header;
    sv->ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(sv->ls, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(sv->ls, 4), 0);
    socklen_t l = sizeof a;
    getsockname(sv->ls, (struct sockaddr *)&a, &l);
    sv->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&sv->th, NULL, serve, sv), 0);
}

static void server_stop(struct server *sv)
{
    shutdown(sv->ls, SHUT_RDWR);
    pthread_join(sv->th, NULL);
    close(sv->ls);
}

/* A target whose first address refuses (port 1: nothing listens) and whose
 * second is the server: as localhost resolving to ::1 first where the server listens on
 * 127.0.0.1 only. */
static void two_addresses(struct target *t, uint16_t port)
{
    char url[64], err[256];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)port);
    assert_int_equal(target_parse(url, t, err, sizeof err), 0);
    t->addrs[1] = t->addrs[0];
    t->addr_lens[1] = t->addr_lens[0];
    struct sockaddr_in *first = (struct sockaddr_in *)&t->addrs[0];
    first->sin_port = htons(1); /* nothing listens there */
    t->n_addrs = 2;
    t->addr = t->addrs[0];
    t->addr_len = t->addr_lens[0];
}

static void test_probe_tries_each_address(void **state)
{
    (void)state;
    struct server sv;
    server_start(&sv, NULL);
    struct target t;
    two_addresses(&t, sv.port);
    struct tester_options o = {.jobs = 1, .timeout_scale = 1};
    char agent[128], err[512];
    int rc = tester_probe(&t, &o, 5.0, agent, sizeof agent, err, sizeof err);
    server_stop(&sv);
    if (rc != 0)
        fail_msg("probe: %s", err);
    assert_int_equal(sv.served, 1);
    /* the run then uses the address that answered */
    assert_int_equal(ntohs(((struct sockaddr_in *)&t.addr)->sin_port), sv.port);
}

/* Probe a server that wants an Authorization header, sending the given headers. */
static int probe_auth(const char *const *headers, size_t n, char *err, size_t cap)
{
    struct server sv;
    server_start(&sv, "Authorization: Bearer s3cret\r\n");
    struct target t;
    char url[64], agent[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)sv.port);
    assert_int_equal(target_parse(url, &t, err, cap), 0);
    struct tester_options o = {.jobs = 1, .timeout_scale = 1, .headers = headers, .n_headers = n};
    int rc = tester_probe(&t, &o, 5.0, agent, sizeof agent, err, cap);
    server_stop(&sv);
    return rc;
}

static void test_probe_sends_headers(void **state)
{
    (void)state;
    char err[512];
    const char *const headers[] = {"Authorization: Bearer s3cret"};
    if (probe_auth(headers, 1, err, sizeof err) != 0)
        fail_msg("probe with the header: %s", err);
}

static void test_probe_refusal_shows_status_and_body(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(probe_auth(NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "got 401 Unauthorized: token missing or expired"));
}

static void test_probe_nothing_listens(void **state)
{
    (void)state;
    struct target t;
    char agent[128], err[512];
    assert_int_equal(target_parse("ws://127.0.0.1:1/", &t, err, sizeof err), 0);
    struct tester_options o = {.jobs = 1, .timeout_scale = 1};
    assert_int_equal(tester_probe(&t, &o, 5.0, agent, sizeof agent, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot connect to 127.0.0.1:1: Connection refused"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_tries_each_address),
        cmocka_unit_test(test_probe_sends_headers),
        cmocka_unit_test(test_probe_refusal_shows_status_and_body),
        cmocka_unit_test(test_probe_nothing_listens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
