/*
 * echo_transport.c - the plain-TCP transport: recv/send on a non-blocking socket.
 *
 * EAGAIN maps to "wait for the same readiness" (a TCP read waits for readable, a
 * write for writable); the TLS transport (echo_tls.c) differs exactly there. send() uses
 * MSG_NOSIGNAL so a peer that reset the connection gives EPIPE, never SIGPIPE.
 */
#include "echo_transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum echo_io echo_transport_tcp_result(struct echo_transport *t, int64_t res, bool writing,
                                       size_t *n)
{
    *n = res > 0 ? (size_t)res : 0;
    if (res > 0)
        return ECHO_IO_DONE;
    if (res == 0)
        return writing ? ECHO_IO_WANT_WRITE : ECHO_IO_EOF;
    if (res == -EAGAIN || res == -EWOULDBLOCK)
        return writing ? ECHO_IO_WANT_WRITE : ECHO_IO_WANT_READ;
    t->err = (int)-res;
    return ECHO_IO_ERROR;
}

static enum echo_io tcp_read(struct echo_transport *t, uint8_t *buf, size_t cap, size_t *n)
{
    ssize_t r;
    do
        r = recv(t->fd, buf, cap, 0);
    while (r < 0 && errno == EINTR);
    return echo_transport_tcp_result(t, r < 0 ? -(int64_t)errno : (int64_t)r, false, n);
}

static enum echo_io tcp_write(struct echo_transport *t, const uint8_t *buf, size_t len, size_t *n)
{
    ssize_t r;
    do
        r = send(t->fd, buf, len, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return echo_transport_tcp_result(t, r < 0 ? -(int64_t)errno : (int64_t)r, true, n);
}

static enum echo_io tcp_shutdown(struct echo_transport *t)
{
    if (shutdown(t->fd, SHUT_WR) == 0)
        return ECHO_IO_DONE;
    t->err = errno;
    return ECHO_IO_ERROR;
}

static void tcp_close(struct echo_transport *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

static const struct echo_transport_ops echo_transport_tcp_ops = {
    .name = "tcp",
    .handshake = NULL,
    .read = tcp_read,
    .write = tcp_write,
    .buffered = NULL,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .error_text = NULL,
};

const char *echo_transport_error_text(const struct echo_transport *t, char *buf, size_t cap)
{
    if (t->ops->error_text)
        t->ops->error_text(t, buf, cap);
    else
        snprintf(buf, cap, "%s", strerror(t->err));
    return buf;
}

void echo_transport_tcp_init(struct echo_transport *t, int fd)
{
    t->ops = &echo_transport_tcp_ops;
    t->fd = fd;
    t->impl = NULL;
    t->err = 0;
}
