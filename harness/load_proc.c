/*
 * load_proc.c - what `wsspec load` reads of a server on the same machine and of its own
 * side of the network: the server's CPU time (--server-pid) and the source addresses
 * its connections are bound to (--source).
 *
 * CPU: /proc/PID/stat's utime + stime cover every thread of the process; a server that
 * forks its workers (wsspec echo --workers N) has them as children, read from
 * /proc/PID/task/PID/children and added (one level down, at most LOAD_PROC_CHILDREN).
 * Children that come and go between the two samples are not seen: the figure is for
 * servers whose processes live as long as the run.
 *
 * Sources: one address, or an IPv4 range A-B (at most LOAD_MAX_SOURCES); connection i
 * is bound to the (i mod n)-th before connect, with IP_BIND_ADDRESS_NO_PORT so that the
 * port is chosen at connect time from the 4-tuples still free (a bind with port 0 would
 * take a port for the address alone: about 28,000 connections per source address
 * whatever the target). Linux's loopback answers every address of 127.0.0.0/8, so
 * --source 127.0.0.2-127.0.0.9 gives a loopback run 8 times the ports of one address.
 */
#define _GNU_SOURCE
#include "load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOAD_PROC_CHILDREN 256 /* wsspec echo --workers allows 64 */

/* utime + stime of one process, in clock ticks; -1 if it cannot be read. */
static long long proc_ticks(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name is in parentheses and may hold spaces or ')': after the last ')'
     * come field 3 (state) ... field 14 (utime), field 15 (stime) */
    const char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

int load_proc_cpu(int pid, double *seconds)
{
    long long total = proc_ticks(pid);
    if (total < 0)
        return -1;
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
    FILE *f = fopen(path, "r");
    if (f) {
        int child;
        for (int i = 0; i < LOAD_PROC_CHILDREN && fscanf(f, "%d", &child) == 1; i++) {
            long long t = proc_ticks(child);
            if (t > 0)
                total += t;
        }
        fclose(f);
    }
    long hz = sysconf(_SC_CLK_TCK);
    *seconds = (double)total / (double)(hz > 0 ? hz : 100);
    return 0;
}

int load_source_parse(const char *spec, struct load_sources *s, char *err, size_t err_len)
{
    char first[INET6_ADDRSTRLEN + 1], last[INET6_ADDRSTRLEN + 1];
    const char *dash = strchr(spec, '-');
    size_t flen = dash ? (size_t)(dash - spec) : strlen(spec);
    memset(s, 0, sizeof *s);
    if (flen == 0 || flen >= sizeof first || (dash && strlen(dash + 1) >= sizeof last)) {
        snprintf(err, err_len, "--source wants ADDRESS or A.B.C.D-A.B.C.E, not '%s'", spec);
        return -1;
    }
    memcpy(first, spec, flen);
    first[flen] = '\0';
    struct in_addr a4, b4;
    if (inet_pton(AF_INET, first, &a4) == 1) {
        uint32_t a = ntohl(a4.s_addr), b = a;
        if (dash) {
            snprintf(last, sizeof last, "%s", dash + 1);
            if (inet_pton(AF_INET, last, &b4) != 1 || ntohl(b4.s_addr) < a) {
                snprintf(err, err_len, "--source: '%s' is not an IPv4 range A-B with A <= B", spec);
                return -1;
            }
            b = ntohl(b4.s_addr);
        }
        if (b - a >= LOAD_MAX_SOURCES) {
            snprintf(err, err_len, "--source: '%s' has more than %u addresses", spec,
                     LOAD_MAX_SOURCES);
            return -1;
        }
        s->family = AF_INET;
        s->v4_first = a;
        s->count = b - a + 1;
        return 0;
    }
    if (!dash && inet_pton(AF_INET6, first, &s->v6) == 1) {
        s->family = AF_INET6;
        s->count = 1;
        return 0;
    }
    snprintf(err, err_len,
             "--source wants an IP address or an IPv4 range A.B.C.D-A.B.C.E (IPv6: one "
             "address), not '%s'",
             spec);
    return -1;
}

int load_source_bind(int fd, const struct load_sources *s, uint32_t i)
{
    int one = 1;
    /* Linux >= 4.2; where it is missing the bind below takes a port per address */
    (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (s->family == AF_INET) {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(s->v4_first + i % s->count);
        return bind(fd, (struct sockaddr *)&sa, sizeof sa);
    }
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = s->v6};
    return bind(fd, (struct sockaddr *)&sa, sizeof sa);
}
