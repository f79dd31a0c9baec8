/*
 * wire_record.h - opt-in recording of the bytes a connection receives, to seed the
 * fuzz corpora from a real run (`make corpus-seed`, fuzzers/README.md).
 *
 * Off unless the environment variable WSSPEC_RECORD_DIR names a directory. Then every
 * connection appends what it reads (after TLS, so WebSocket bytes) to one file of its
 * own, DIR/ROLE-PID-NAME.bin: ROLE says which side received ("server": the echo
 * endpoint, a client's handshake and masked frames; "client": the test peer, a
 * server's 101 and unmasked frames), NAME is the case id or a connection number.
 *
 * Bounded: a connection stops being recorded after WIRE_RECORD_MAX bytes - every
 * handshake and the start of the largest messages fit, and a fuzz corpus wants many
 * small inputs, not 16 MiB ones. The file is opened, appended to and closed at each
 * read, so a connection needs no state beyond a byte count and only a recording run
 * pays anything. Failures are ignored: recording never changes what the endpoint or
 * the peer does. Used by reference/echo/echo_loop.c and harness/peer.c.
 */
#ifndef WIRE_RECORD_H
#define WIRE_RECORD_H

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WIRE_RECORD_MAX (1024u * 1024u)

/* The recording directory, looked up once per process (NULL = off). */
static inline const char *wire_record_dir(void)
{
    static int looked;
    static const char *dir;
    if (!looked) {
        looked = 1;
        dir = getenv("WSSPEC_RECORD_DIR");
        if (dir && !*dir)
            dir = NULL;
    }
    return dir;
}

/* A number for a connection that has no name of its own. */
static inline uint64_t wire_record_next_id(void)
{
    static uint64_t n;
    return ++n;
}

/* Append data[0..len) to the connection's file: named by tag, or by id when tag is
 * NULL. *done counts what this connection has recorded (start it at 0). */
static inline void wire_record(const char *role, const char *tag, uint64_t id, const void *data,
                               size_t len, uint64_t *done)
{
    const char *dir = wire_record_dir();
    if (!dir || len == 0 || *done >= WIRE_RECORD_MAX)
        return;
    char path[4096];
    int k = tag ? snprintf(path, sizeof path, "%s/%s-%ld-%s.bin", dir, role, (long)getpid(), tag)
                : snprintf(path, sizeof path, "%s/%s-%ld-%" PRIu64 ".bin", dir, role,
                           (long)getpid(), id);
    if (k < 0 || (size_t)k >= sizeof path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    size_t n = len < WIRE_RECORD_MAX - *done ? len : (size_t)(WIRE_RECORD_MAX - *done);
    ssize_t w = write(fd, data, n);
    close(fd);
    if (w > 0)
        *done += (uint64_t)w;
}

#endif
