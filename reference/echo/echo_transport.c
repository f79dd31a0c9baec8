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

static enum echo_io tcp_read(struct echo_transport *t, uint8_t *buf, size_t cap, size_t *n)
{
    *n = 0;
    for (;;) {
        ssize_t r = recv(t->fd, buf, cap, 0);
        if (r > 0) {
            *n = (size_t)r;
            return ECHO_IO_DONE;
        }
        if (r == 0)
            return ECHO_IO_EOF;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return ECHO_IO_WANT_READ;
        t->err = errno;
        return ECHO_IO_ERROR;
    }
}

static enum echo_io tcp_write(struct echo_transport *t, const uint8_t *buf, size_t len, size_t *n)
{
    *n = 0;
    for (;;) {
        ssize_t r = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (r >= 0) {
            *n = (size_t)r;
            return r > 0 ? ECHO_IO_DONE : ECHO_IO_WANT_WRITE;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return ECHO_IO_WANT_WRITE;
        t->err = errno;
        return ECHO_IO_ERROR;
    }
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
