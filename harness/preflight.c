/*
 * preflight.c - checks before `wsspec run` sends anything (see preflight.h).
 */
#define _GNU_SOURCE
#include "preflight.h"

#include "ws_core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ the opening request */

/* Header names a -H line may not carry: wsspec sends them itself, from the URL and its
 * own options, on every connection (RFC 6455 section 4.1), or they would give the GET a
 * body the target would read as the first frame. Name, then what to do instead. */
#define PREFLIGHT_RESERVED(X)                                                                      \
    X("Host", "wsspec sends the URL's host[:port]; put the host in the URL")                       \
    X("Upgrade", "wsspec sends 'Upgrade: websocket' itself")                                       \
    X("Connection", "wsspec sends 'Connection: Upgrade' itself")                                   \
    X("Sec-WebSocket-Key", "wsspec sends a fresh key on every connection (RFC 6455 4.1)")          \
    X("Sec-WebSocket-Version", "wsspec speaks version 13 and says so itself")                      \
    X("Sec-WebSocket-Protocol", "use --subprotocol P (repeatable) instead")                        \
    X("Sec-WebSocket-Extensions",                                                                  \
      "wsspec negotiates no extension yet; a target accepting one would fail every case")          \
    X("Origin", "use --origin instead")                                                            \
    X("Content-Length", "the opening handshake is a GET without a body")                           \
    X("Transfer-Encoding", "the opening handshake is a GET without a body")

struct reserved_header {
    const char *name, *instead;
};

static const struct reserved_header reserved[] = {
#define X(name, instead) {name, instead},
    PREFLIGHT_RESERVED(X)
#undef X
};

/* field-value characters (RFC 9110 section 5.5): visible ASCII, obs-text, SP, HTAB */
static bool value_ok(const char *v, size_t *bad)
{
    for (size_t i = 0; v[i]; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            *bad = i;
            return false;
        }
    }
    return true;
}

/* "a CR", "a LF", "byte 0x01": the character a value may not hold */
static void char_name(unsigned char c, char *out, size_t cap)
{
    if (c == '\r')
        snprintf(out, cap, "a CR (line break)");
    else if (c == '\n')
        snprintf(out, cap, "a LF (line break)");
    else if (c == '\t')
        snprintf(out, cap, "a tab");
    else
        snprintf(out, cap, "the control character 0x%02x", c);
}

bool preflight_header(const char *line, char *err, size_t err_len)
{
    size_t name_len = 0;
    while (line[name_len] && ws_is_tchar((unsigned char)line[name_len]))
        name_len++;
    if (name_len == 0 || line[name_len] != ':') {
        snprintf(err, err_len,
                 "-H needs 'Name: value' with a name of letters, digits and !#$%%&'*+-.^_`|~ "
                 "right before the colon, not '%.200s'",
                 line);
        return false;
    }
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i].name) == name_len &&
            strncasecmp(line, reserved[i].name, name_len) == 0) {
            snprintf(err, err_len, "-H '%.*s: ...': %s", (int)name_len, line, reserved[i].instead);
            return false;
        }
    size_t bad;
    if (!value_ok(line + name_len + 1, &bad)) {
        char what[40];
        char_name((unsigned char)line[name_len + 1 + bad], what, sizeof what);
        snprintf(err, err_len, "-H '%.*s: ...': the value holds %s", (int)name_len, line, what);
        return false;
    }
    return true;
}

bool preflight_has_header(const char *const *lines, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncasecmp(lines[i], name, len) == 0 && lines[i][len] == ':')
            return true;
    return false;
}

bool preflight_origin(const char *origin, char *err, size_t err_len)
{
    if (!*origin) {
        snprintf(err, err_len, "--origin needs a value (scheme://host[:port], or null)");
        return false;
    }
    for (size_t i = 0; origin[i]; i++) {
        unsigned char c = (unsigned char)origin[i];
        if (c < 0x20 || c == 0x7f) {
            char what[40];
            char_name(c, what, sizeof what);
            snprintf(err, err_len,
                     "--origin holds %s; an origin is one line (scheme://host[:port])", what);
            return false;
        }
    }
    return true;
}

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!ws_is_tchar((unsigned char)*s))
            return false;
    return true;
}

bool preflight_protocols(const char *const *protocols, size_t n, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_token(protocols[i])) {
            snprintf(err, err_len,
                     "--subprotocol '%.200s' is not a token: RFC 6455 4.1 allows characters "
                     "U+0021-U+007E except ()<>@,;:\\\"/[]?={} (give several with "
                     "--subprotocol each)",
                     protocols[i]);
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(protocols[i], protocols[j]) == 0) {
                snprintf(err, err_len,
                         "--subprotocol '%.200s' given twice (RFC 6455 4.1: the offered "
                         "subprotocols \"MUST all be unique strings\")",
                         protocols[i]);
                return false;
            }
    }
    return true;
}

/* ------------------------------------------------------------ the report directory */

static void remember(struct preflight_dirs *made, const char *path)
{
    if (made->n == PREFLIGHT_MAX_MADE)
        return; /* deeper than that: created, only not removed again on failure */
    made->made[made->n] = strdup(path);
    if (made->made[made->n])
        made->n++;
}

/* mkdir -p, keeping what was made; false with the failing component's reason */
static bool make_path(const char *dir, struct preflight_dirs *made, char *err, size_t err_len)
{
    char *p = strdup(dir);
    if (!p) {
        snprintf(err, err_len, "out of memory");
        return false;
    }
    bool ok = true;
    size_t len = strlen(p);
    for (size_t i = 1; ok && i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char keep = p[i];
        p[i] = '\0';
        struct stat st;
        if (stat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                snprintf(err, err_len,
                         "cannot create the report directory '%s': '%s' is not a "
                         "directory",
                         dir, p);
                ok = false;
            }
        } else if (mkdir(p, 0777) == 0) {
            remember(made, p);
        } else if (errno != EEXIST) {
            bool parent = keep != '\0'; /* a missing parent failed, not dir itself */
            snprintf(err, err_len, "cannot create the report directory '%s': %s%s%s%s", dir,
                     parent ? "creating '" : "", parent ? p : "", parent ? "': " : "",
                     strerror(errno));
            ok = false;
        }
        p[i] = keep;
    }
    free(p);
    return ok;
}

int preflight_report_dir(const char *dir, struct preflight_dirs *made, char *err, size_t err_len)
{
    if (!*dir) {
        snprintf(err, err_len, "--report-dir needs a directory name");
        return -1;
    }
    if (!make_path(dir, made, err, err_len))
        return -1;
    /* a file created and removed again: the same rights the report writer needs */
    char probe[4200];
    int r = snprintf(probe, sizeof probe, "%s/.wsspec-write-test-XXXXXX", dir);
    if (r < 0 || (size_t)r >= sizeof probe) {
        snprintf(err, err_len, "report directory name too long");
        return -1;
    }
    int fd = mkstemp(probe);
    if (fd < 0 || write(fd, "\n", 1) != 1) {
        snprintf(err, err_len, "cannot write to the report directory '%s': %s", dir,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(probe);
        }
        return -1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

void preflight_dirs_undo(struct preflight_dirs *made)
{
    for (size_t i = made->n; i-- > 0;)
        rmdir(made->made[i]); /* fails, harmlessly, when something was written there */
    preflight_dirs_free(made);
}

void preflight_dirs_free(struct preflight_dirs *made)
{
    for (size_t i = 0; i < made->n; i++)
        free(made->made[i]);
    made->n = 0;
}

/* ------------------------------------------------------------ file descriptors */

/* Besides one socket per case at once: the event loop, /dev/urandom, the report files
 * being written, TLS files read at setup, the liveness checks' connections (at most 4,
 * TESTER_CHECK_SESSIONS in tester.h), with room to spare. */
#define PREFLIGHT_FD_RESERVE 20

/* Descriptors open now (inherited ones count against the same limit). */
static unsigned fds_open(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 3;
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n ? n - 1 : 0; /* not the directory's own */
}

int preflight_fds(unsigned jobs, char *err, size_t err_len)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0; /* unknown: the run finds out, and says so */
    unsigned open_now = fds_open();
    uint64_t need = (uint64_t)open_now + jobs + PREFLIGHT_FD_RESERVE;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            return 0;
    }
    uint64_t limit = rl.rlim_max == RLIM_INFINITY ? rl.rlim_cur : rl.rlim_max;
    uint64_t base = (uint64_t)open_now + PREFLIGHT_FD_RESERVE;
    char lower[48] = "";
    if (limit > base)
        snprintf(lower, sizeof lower, " to %llu", (unsigned long long)(limit - base));
    snprintf(err, err_len,
             "-j %u needs %llu file descriptors (one per case at once, %u open now, %d "
             "spare), but the limit is %llu: raise it (ulimit -n %llu) or lower -j%s",
             jobs, (unsigned long long)need, open_now, PREFLIGHT_FD_RESERVE,
             (unsigned long long)limit, (unsigned long long)need, lower);
    return -1;
}
