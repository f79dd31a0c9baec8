/*
 * target.c - ws:// and wss:// URLs: parsing and resolving (the probe that checks a
 * target before a run is a session: tester.c).
 */
#define _GNU_SOURCE
#include "tester.h"

#include "ws_conn.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int target_parse(const char *url, struct target *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    if (strlen(url) >= sizeof t->url) {
        snprintf(err, err_len, "URL longer than %zu bytes", sizeof t->url - 1);
        return -1;
    }
    snprintf(t->url, sizeof t->url, "%s", url);
    /* the request line is "GET <path> HTTP/1.1": a space or a control character would
     * break it (RFC 3986 has them percent-encoded) */
    for (size_t i = 0; url[i]; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) {
            snprintf(err, err_len,
                     "URL holds a %s at byte %zu; percent-encode it (a space is %%20)",
                     url[i] == ' ' ? "space" : "control character", i + 1);
            return -1;
        }
    const char *p = url;
    /* RFC 3986 section 3.1: schemes are case-insensitive (WS:// is ws://) */
    if (strncasecmp(p, "ws://", 5) == 0) {
        p += 5;
    } else if (strncasecmp(p, "wss://", 6) == 0) {
        p += 6;
        t->secure = true;
    } else {
        const char *colon = strstr(p, "://");
        snprintf(err, err_len,
                 "unsupported scheme '%.*s' (use ws://host[:port][/path] or wss://...)",
                 colon ? (int)(colon - p) : 0, p);
        return -1;
    }
    /* RFC 6455 3: the default port is 80 for ws and 443 for wss */
    uint16_t default_port = t->secure ? 443 : 80;
    /* authority: [v6]:port or host:port, up to the first '/' or '?' */
    const char *end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(end - p))) {
        snprintf(err, err_len, "user information in the URL is not supported");
        return -1;
    }
    const char *host = p, *host_end, *port = NULL;
    if (*p == '[') {
        host = p + 1;
        host_end = memchr(host, ']', (size_t)(end - host));
        if (!host_end) {
            snprintf(err, err_len, "unterminated IPv6 literal in '%s'", url);
            return -1;
        }
        if (host_end + 1 < end) {
            if (host_end[1] != ':') {
                snprintf(err, err_len, "expected ':' after ']' in '%s'", url);
                return -1;
            }
            port = host_end + 2;
        }
    } else {
        host_end = memchr(p, ':', (size_t)(end - p));
        if (host_end)
            port = host_end + 1;
        else
            host_end = end;
    }
    size_t hl = (size_t)(host_end - host);
    if (hl == 0 || hl >= sizeof t->host) {
        snprintf(err, err_len, "missing or overlong host in '%s'", url);
        return -1;
    }
    /* RFC 3986 section 3.2.2: the host is case-insensitive; lower case is what SNI,
     * certificate names and Host comparisons expect */
    for (size_t i = 0; i < hl; i++)
        t->host[i] = (char)tolower((unsigned char)host[i]);
    t->host[hl] = '\0';
    t->port = default_port;
    if (port) {
        char *e;
        errno = 0;
        unsigned long v = strtoul(port, &e, 10);
        if (e == port || e != end || errno || v == 0 || v > 65535) {
            snprintf(err, err_len, "bad port '%.*s' in '%s'", (int)(end - port), port, url);
            return -1;
        }
        t->port = (uint16_t)v;
    }
    if (*end == '#') {
        /* RFC 6455 3: "Fragment identifiers are meaningless in the context of WebSocket
         * URIs and MUST NOT be used on these URIs." */
        snprintf(err, err_len, "fragment identifiers are not allowed in WebSocket URIs");
        return -1;
    }
    if (strchr(end, '#')) {
        snprintf(err, err_len, "fragment identifiers are not allowed in WebSocket URIs");
        return -1;
    }
    /* shorter than the URL, so it fits (with the '/' before a bare query) */
    snprintf(t->resource, sizeof t->resource, "%s%s", *end == '/' ? "" : "/", end);
    bool v6 = strchr(t->host, ':') != NULL;
    if (t->port == default_port)
        snprintf(t->host_header, sizeof t->host_header, v6 ? "[%s]" : "%s", t->host);
    else
        snprintf(t->host_header, sizeof t->host_header, v6 ? "[%s]:%u" : "%s:%u", t->host,
                 (unsigned)t->port);

    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", (unsigned)t->port);
    int rc = getaddrinfo(t->host, portstr, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_len, "cannot resolve '%s': %s", t->host, gai_strerror(rc));
        return -1;
    }
    /* every address the name has (localhost: ::1 and 127.0.0.1, in the resolver's
     * order): the probe takes the first one that answers */
    for (struct addrinfo *ai = res; ai && t->n_addrs < TARGET_MAX_ADDRS; ai = ai->ai_next) {
        memcpy(&t->addrs[t->n_addrs], ai->ai_addr, ai->ai_addrlen);
        t->addr_lens[t->n_addrs++] = ai->ai_addrlen;
    }
    t->addr = t->addrs[0];
    t->addr_len = t->addr_lens[0];
    freeaddrinfo(res);
    return 0;
}
