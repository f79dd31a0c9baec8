/* The floor of tests/bench-echo's comparison: the least CPU a WebSocket echo server can
 * spend per echo with the kernel's TCP on this machine. Not a WebSocket server anyone
 * should run - it checks nothing - but the bytes it sends are right for a client that
 * behaves: one thread, level-triggered epoll, and per readable connection one recv()
 * and one sendmsg(), nothing else. The opening handshake is answered from the key alone
 * (no other header is looked at); then every complete frame read is unmasked in place,
 * its 2-10 byte server header written over the end of its client header (which is 4
 * bytes longer: the masking key), and all the frames of one read go back in one
 * sendmsg() straight from the read buffer. Frames are echoed as they come (opcode and
 * FIN kept, so a fragmented message goes back fragmented); a Ping is answered with a
 * Pong, a Close with a Close and then the connection is closed. No UTF-8 check, no
 * close-code check, no limits beyond ECHO_MAX_FRAME. What a send leaves is kept and
 * written on EPOLLOUT, and reading waits for it.
 *
 * What it shows: the server-CPU per echo that no WebSocket server built on recv/send
 * can go below here - the kernel's share (TCP send, loopback delivery, receive, sleep
 * and wake-up) - so the comparison can say how far each server is from it.
 *
 *   floor_server [PORT]     prints "floor: listening on ws://127.0.0.1:PORT/"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define ECHO_MAX_FRAME ((size_t)64 << 20) /* as the other bench servers */
#define ECHO_FIRST_CAP ((size_t)64 << 10)
#define ECHO_MAX_REQUEST 8192u
#define ECHO_IOV 64

struct conn {
    int fd;
    bool open;       /* the 101 went out */
    bool closing;    /* a Close went back: close once it is written */
    uint8_t *in;     /* read buffer: frames are unmasked and sent from here */
    size_t len, cap; /* bytes in it, its size */
    uint8_t *out;    /* what a send left */
    size_t out_len, out_off;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void conn_free(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static void want(int ep, struct conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* Send iov; keep what the socket does not take. False: the connection failed. */
static bool send_all(int ep, struct conn *c, struct iovec *iov, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN)
        return false;
    size_t sent = w < 0 ? 0 : (size_t)w;
    if (sent == total)
        return true;
    size_t left = total - sent;
    c->out = malloc(left);
    if (!c->out)
        return false;
    c->out_len = 0;
    c->out_off = 0;
    for (int i = 0; i < n; i++) {
        size_t l = iov[i].iov_len;
        size_t skip = sent < l ? sent : l;
        sent -= skip;
        memcpy(c->out + c->out_len, (uint8_t *)iov[i].iov_base + skip, l - skip);
        c->out_len += l - skip;
    }
    want(ep, c, EPOLLOUT);
    return true;
}

static bool handshake(int ep, struct conn *c)
{
    uint8_t *end = memmem(c->in, c->len, "\r\n\r\n", 4);
    if (!end)
        return c->len < ECHO_MAX_REQUEST;
    static const char hdr[] = "\r\nsec-websocket-key:";
    const char *key = NULL;
    size_t klen = 0;
    for (uint8_t *p = c->in; p + sizeof hdr - 1 < end; p++) {
        if (strncasecmp((const char *)p, hdr, sizeof hdr - 1) == 0) {
            key = (const char *)p + sizeof hdr - 1;
            while (*key == ' ')
                key++;
            const char *e = key;
            while (e < (const char *)end && *e != '\r' && *e != ' ')
                e++;
            klen = (size_t)(e - key);
            break;
        }
    }
    if (!key || klen == 0 || klen > 64)
        return false;
    char buf[128];
    memcpy(buf, key, klen);
    memcpy(buf + klen, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1((const uint8_t *)buf, klen + 36, digest);
    char accept[32];
    EVP_EncodeBlock((uint8_t *)accept, digest, SHA_DIGEST_LENGTH);
    char resp[256];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    size_t used = (size_t)(end + 4 - c->in);
    memmove(c->in, c->in + used, c->len - used);
    c->len -= used;
    c->open = true;
    struct iovec iov = {.iov_base = resp, .iov_len = (size_t)n};
    return send_all(ep, c, &iov, 1);
}

/* XOR with the 4-byte key, a word at a time. */
static void unmask(uint8_t *p, size_t n, const uint8_t *key)
{
    uint8_t k8[8];
    for (int i = 0; i < 8; i++)
        k8[i] = key[i & 3];
    uint64_t k;
    memcpy(&k, k8, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= k;
        memcpy(p + i, &w, 8);
    }
    for (; i < n; i++)
        p[i] ^= k8[i & 7];
}

/* Every complete frame in c->in goes back in one sendmsg. False: close c. */
static bool echo_frames(int ep, struct conn *c)
{
    struct iovec iov[ECHO_IOV];
    int n = 0;
    size_t pos = 0, need = 0;
    while (n < ECHO_IOV && c->len - pos >= 2) {
        uint8_t *f = c->in + pos;
        if (!(f[1] & 0x80))
            return false; /* a client frame must be masked */
        size_t hlen = 6, plen = f[1] & 0x7f;
        if (plen == 126) {
            hlen = 8;
            if (c->len - pos < hlen)
                break;
            plen = (size_t)f[2] << 8 | f[3];
        } else if (plen == 127) {
            hlen = 14;
            if (c->len - pos < hlen)
                break;
            uint64_t v = 0;
            for (int i = 2; i < 10; i++)
                v = v << 8 | f[i];
            if (v > ECHO_MAX_FRAME)
                return false;
            plen = (size_t)v;
        }
        if (c->len - pos < hlen + plen) {
            need = hlen + plen;
            break;
        }
        uint8_t *payload = f + hlen, op = f[0] & 0x0f;
        unmask(payload, plen, payload - 4);
        /* the server header, ending where the payload starts */
        size_t sh = plen < 126 ? 2 : plen <= 0xffff ? 4 : 10;
        uint8_t *h = payload - sh;
        h[0] = op == 0x9 ? (uint8_t)((f[0] & 0xf0) | 0xA) : f[0];
        if (sh == 2) {
            h[1] = (uint8_t)plen;
        } else if (sh == 4) {
            h[1] = 126;
            h[2] = (uint8_t)(plen >> 8);
            h[3] = (uint8_t)plen;
        } else {
            h[1] = 127;
            for (int i = 0; i < 8; i++)
                h[2 + i] = (uint8_t)((uint64_t)plen >> (56 - 8 * i));
        }
        iov[n].iov_base = h;
        iov[n].iov_len = sh + plen;
        n++;
        pos += hlen + plen;
        if (op == 0x8) {
            c->closing = true;
            break;
        }
    }
    if (n > 0 && !send_all(ep, c, iov, n))
        return false;
    memmove(c->in, c->in + pos, c->len - pos);
    c->len -= pos;
    if (need > c->cap) { /* room for the whole of the frame begun */
        uint8_t *p = realloc(c->in, need);
        if (!p)
            return false;
        c->in = p;
        c->cap = need;
    }
    return true;
}

/* One readiness event. False: close c. */
static bool on_event(int ep, struct conn *c, uint32_t ev)
{
    if (c->out) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return true;
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN;
        c->out_off += (size_t)w;
        if (c->out_off < c->out_len)
            return true;
        free(c->out);
        c->out = NULL;
        if (c->closing)
            return false;
        want(ep, c, EPOLLIN);
        return true;
    }
    if (c->closing)
        return false;
    if (c->len == c->cap) {
        size_t cap = c->cap * 2;
        uint8_t *p = cap > ECHO_MAX_FRAME + 14 ? NULL : realloc(c->in, cap);
        if (!p)
            return false;
        c->in = p;
        c->cap = cap;
    }
    ssize_t r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
    if (r <= 0)
        return r < 0 && errno == EAGAIN;
    c->len += (size_t)r;
    if (!c->open && !handshake(ep, c))
        return false;
    if (c->open && !c->out && !echo_frames(ep, c))
        return false;
    return !(c->closing && !c->out);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("floor: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &le);
    printf("floor: listening on ws://127.0.0.1:%d/\n", ntohs(a.sin_port));
    fflush(stdout);
    struct epoll_event evs[256];
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    if (!c || !(c->in = malloc(ECHO_FIRST_CAP))) {
                        free(c);
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    c->cap = ECHO_FIRST_CAP;
                    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            if (!on_event(ep, c, evs[i].events))
                conn_free(ep, c);
        }
    }
    return 0;
}
