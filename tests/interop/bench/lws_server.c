/* Echo server on libwebsockets (Debian's libwebsockets-dev, 4.1), for the comparison of
 * tests/bench-echo: lws's own event loop (one service thread), one vhost on 127.0.0.1,
 * one protocol - the default, chosen when the client names none - that sends each text
 * or binary message back whole and with its type. lws hands a message over in pieces
 * (its rx buffer's worth, and frame by frame); they are put together in one buffer per
 * connection, with LWS_PRE bytes of headroom so lws_write() can put the frame header in
 * front of the payload without a copy, and the whole message goes back in one frame from
 * the WRITEABLE callback. Until then the connection's reads are paused
 * (lws_rx_flow_control), so one buffer is enough; what the socket does not take at once
 * lws keeps and sends itself. Messages up to 64 MiB (1009 above, as beast_server.cpp),
 * text checked as UTF-8 (LWS_SERVER_OPTION_VALIDATE_UTF8, as the other servers do), no
 * extensions; lws answers pings and closes itself. Built by tests/bench-echo with
 * cc -O2 when <libwebsockets.h> is there. Prints "listening on PORT" once bound; stops
 * on SIGTERM/SIGINT.
 *
 *   lws_server [PORT]
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_MAX_MESSAGE (64u << 20) /* as the other bench servers */
#define ECHO_FIRST_CAP 4096u
/* lws reads at most this much per read() (the service buffer) and hands the protocol
 * at most rx_buffer_size per RECEIVE callback; lws's own advice for throughput is a
 * bigger service buffer than its 4 KiB default (lws-context-vhost.h). Measured here
 * (echoes per server-CPU-second, 4 x 1 MiB, one of the 2 cores busy with another
 * process): 4 KiB 145, 64 KiB 214, 256 KiB 332 - while
 * each send() was also cut to this size (tx_packet_size 0); with sends not cut, 64 KiB
 * and 256 KiB gave the same within the noise (1,600-2,600), so 64 KiB */
#define ECHO_IO_SIZE (64u * 1024u)
/* tx_packet_size: the most one send() may take. 0 would cut every send() to
 * rx_buffer_size and have lws keep and resend the rest in such pieces, copying it each
 * time (lws-protocols-plugins.h: "that is expensive"): the largest frame we write
 * (payload and a 10-byte header) goes in one send() as the kernel takes it */
#define ECHO_TX_MAX (ECHO_MAX_MESSAGE + 16u)

/* one connection's state, zero-filled by lws; buf is ours (malloc'ed, freed at
 * LWS_CALLBACK_CLOSED), LWS_PRE + cap bytes */
struct echo_conn {
    unsigned char *buf;
    size_t cap, len;
    int binary;
    int complete; /* a whole message waits for WRITEABLE; reads paused */
};

static volatile sig_atomic_t stop_requested;
static struct lws_context *echo_context;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    lws_cancel_service(echo_context); /* documented as safe from a signal handler */
}

/* echo_append: adds one piece of the message; -1 when over the limit or out of memory */
static int echo_append(struct echo_conn *c, const void *in, size_t len)
{
    if (len > ECHO_MAX_MESSAGE - c->len)
        return -1;
    if (!c->buf || c->len + len > c->cap) { /* an empty message needs the headroom too */
        size_t cap = c->cap ? c->cap : ECHO_FIRST_CAP;
        while (cap < c->len + len)
            cap *= 2;
        if (cap > ECHO_MAX_MESSAGE)
            cap = ECHO_MAX_MESSAGE;
        unsigned char *nb = realloc(c->buf, LWS_PRE + cap);
        if (!nb)
            return -1;
        c->buf = nb;
        c->cap = cap;
    }
    if (len)
        memcpy(c->buf + LWS_PRE + c->len, in, len);
    c->len += len;
    return 0;
}

static int echo_receive(struct lws *wsi, struct echo_conn *c, void *in, size_t len)
{
    if (c->complete) { /* lws said no reads would come while paused */
        lwsl_err("lws_server: data while a message waits to be sent\n");
        return -1;
    }
    if (lws_is_first_fragment(wsi)) {
        c->len = 0;
        c->binary = lws_frame_is_binary(wsi);
    }
    if (echo_append(c, in, len) < 0) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    if (!lws_is_final_fragment(wsi))
        return 0;
    c->complete = 1;
    lws_rx_flow_control(wsi, 0);
    lws_callback_on_writable(wsi);
    return 0;
}

static int echo_writeable(struct lws *wsi, struct echo_conn *c)
{
    if (!c->complete)
        return 0;
    enum lws_write_protocol type = c->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
    if (lws_write(wsi, c->buf + LWS_PRE, c->len, type) < (int)c->len)
        return -1;
    c->complete = 0;
    c->len = 0;
    lws_rx_flow_control(wsi, 1);
    return 0;
}

static int echo_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    struct echo_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_RECEIVE:
        return echo_receive(wsi, c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return echo_writeable(wsi, c);
    case LWS_CALLBACK_CLOSED:
        free(c->buf);
        c->buf = NULL;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols echo_protocols[] = {
    {"echo", echo_callback, sizeof(struct echo_conn), ECHO_IO_SIZE, 0, NULL, ECHO_TX_MAX},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static int parse_port(int argc, char **argv)
{
    if (argc < 2)
        return 0;
    char *end;
    long p = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || p < 0 || p > 65535) {
        fprintf(stderr, "usage: lws_server [PORT]\n");
        exit(2);
    }
    return (int)p;
}

int main(int argc, char **argv)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = parse_port(argc, argv);
    info.iface = "127.0.0.1";
    info.protocols = echo_protocols;
    info.pt_serv_buf_size = ECHO_IO_SIZE;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

    echo_context = lws_create_context(&info);
    if (!echo_context) {
        fprintf(stderr, "lws_server: lws_create_context failed\n");
        return 1;
    }
    struct lws_vhost *vh = lws_create_vhost(echo_context, &info);
    if (!vh) {
        fprintf(stderr, "lws_server: cannot listen on 127.0.0.1:%d\n", info.port);
        lws_context_destroy(echo_context);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("listening on %d\n", lws_get_vhost_listen_port(vh));
    fflush(stdout);
    while (!stop_requested && lws_service(echo_context, 0) >= 0)
        ;
    lws_context_destroy(echo_context);
    return 0;
}
