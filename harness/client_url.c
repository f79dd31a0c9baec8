/*
 * client_url.c - request-targets of the fuzzingserver URL protocol, as a driver builds
 * them (see client_url.h).
 */
#include "client_url.h"

#include <stdio.h>
#include <string.h>

/* RFC 3986 section 2.3: the characters that never need escaping. */
static bool unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Append one byte at out[*at] if it fits (keeping room for the NUL); count it always. */
static void put(char *out, size_t cap, size_t *at, char ch)
{
    if (*at + 1 < cap)
        out[*at] = ch;
    (*at)++;
}

static void put_str(char *out, size_t cap, size_t *at, const char *s)
{
    for (; *s; s++)
        put(out, cap, at, *s);
}

static void put_encoded(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (unreserved(ch)) {
            put(out, cap, at, (char)ch);
            continue;
        }
        put(out, cap, at, '%');
        put(out, cap, at, hex[ch >> 4]);
        put(out, cap, at, hex[ch & 15]);
    }
}

static size_t finish(char *out, size_t cap, size_t at)
{
    if (cap > 0)
        out[at < cap ? at : cap - 1] = '\0';
    return at;
}

size_t client_url_encode(const char *s, size_t n, char *out, size_t cap)
{
    size_t at = 0;
    put_encoded(out, cap, &at, s, n);
    return finish(out, cap, at);
}

size_t client_url_target(const char *base, enum client_url_cmd cmd, uint32_t case_no,
                         const char *agent, char *out, size_t cap)
{
    size_t at = 0, bn = strlen(base);
    while (bn > 0 && base[bn - 1] == '/')
        bn--;
    for (size_t i = 0; i < bn; i++)
        put(out, cap, &at, base[i]);
    if (cmd == CLIENT_URL_COUNT) {
        put_str(out, cap, &at, "/getCaseCount");
        return finish(out, cap, at);
    }
    if (cmd == CLIENT_URL_RUN_CASE) {
        char num[16];
        snprintf(num, sizeof num, "%u", (unsigned)case_no);
        put_str(out, cap, &at, "/runCase?case=");
        put_str(out, cap, &at, num);
        put_str(out, cap, &at, "&agent=");
    } else {
        put_str(out, cap, &at, "/updateReports?agent=");
    }
    put_encoded(out, cap, &at, agent, strlen(agent));
    return finish(out, cap, at);
}

bool client_url_count(const uint8_t *msg, size_t len, uint32_t *count)
{
    size_t i = 0;
    while (i < len && (msg[i] == ' ' || msg[i] == '\t' || msg[i] == '\r' || msg[i] == '\n'))
        i++;
    if (i == len || msg[i] < '0' || msg[i] > '9')
        return false;
    /* JSON (RFC 8259 section 6): no leading zeros but for 0 itself */
    if (msg[i] == '0' && i + 1 < len && msg[i + 1] >= '0' && msg[i + 1] <= '9')
        return false;
    uint32_t v = 0;
    for (; i < len && msg[i] >= '0' && msg[i] <= '9'; i++) {
        v = v * 10 + (uint32_t)(msg[i] - '0');
        if (v > CLIENT_URL_MAX_COUNT)
            return false;
    }
    while (i < len && (msg[i] == ' ' || msg[i] == '\t' || msg[i] == '\r' || msg[i] == '\n'))
        i++;
    if (i != len)
        return false;
    *count = v;
    return true;
}
