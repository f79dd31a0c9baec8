/*
 * fuzz_cov.c - the AFL++ coverage map of `wsspec fuzz --coverage` (fuzz_cov.h).
 */
#define _GNU_SOURCE
#include "fuzz_cov.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHM_ENV "__AFL_SHM_ID"
#define SIZE_ENV "AFL_MAP_SIZE"
/* The marker fuzz_cov_marked looks for (and the variable the runtime reads). */
static const char marker[] = SHM_ENV;

uint8_t fuzz_cov_bucket(uint8_t hits)
{
    if (hits <= 2)
        return hits; /* 0, 1, 2 */
    if (hits == 3)
        return 4;
    if (hits <= 7)
        return 8;
    if (hits <= 15)
        return 16;
    if (hits <= 31)
        return 32;
    if (hits <= 127)
        return 64;
    return 128;
}

void fuzz_cov_classify(uint8_t *trace, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (trace[i])
            trace[i] = fuzz_cov_bucket(trace[i]);
}

int fuzz_cov_merge(const uint8_t *trace, uint8_t *virgin, size_t n, size_t *new_edges)
{
    int ret = 0;
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(trace[i] & virgin[i]))
            continue;
        if (virgin[i] == 0xff) {
            fresh++;
            ret = 2;
        } else if (ret == 0) {
            ret = 1;
        }
        virgin[i] &= (uint8_t)~trace[i];
    }
    if (new_edges)
        *new_edges = fresh;
    return ret;
}

/* The first word of cmd that is not NAME=value, copied into word. */
static bool first_word(const char *cmd, char *word, size_t cap)
{
    const char *p = cmd;
    for (int words = 0; words < 64; words++) {
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t");
        if (n == 0 || n >= cap)
            return false;
        const char *eq = memchr(p, '=', n);
        bool assignment = eq && eq > p &&
                          strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                    "opqrstuvwxyz0123456789_") == (size_t)(eq - p);
        if (!assignment && !(n == 4 && strncmp(p, "exec", 4) == 0)) {
            memcpy(word, p, n);
            word[n] = '\0';
            return true;
        }
        p += n;
    }
    return false;
}

bool fuzz_cov_program(const char *cmd, char *path, size_t cap)
{
    char word[4096];
    if (!first_word(cmd, word, sizeof word))
        return false;
    if (strchr(word, '/'))
        return snprintf(path, cap, "%s", word) < (int)cap && access(path, R_OK) == 0;
    const char *env = getenv("PATH");
    for (const char *dir = env ? env : "/usr/bin:/bin"; *dir;) {
        size_t n = strcspn(dir, ":");
        if (snprintf(path, cap, "%.*s/%s", (int)n, n ? dir : ".", word) < (int)cap &&
            access(path, X_OK) == 0)
            return true;
        dir += n + (dir[n] == ':');
    }
    return false;
}

bool fuzz_cov_marked(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    /* read in blocks that overlap by the marker's length, so none is split unseen */
    static uint8_t buf[1u << 16];
    size_t keep = 0, m = sizeof marker - 1;
    bool found = false;
    for (;;) {
        ssize_t n = read(fd, buf + keep, sizeof buf - keep);
        if (n <= 0)
            break;
        size_t have = keep + (size_t)n;
        if (memmem(buf, have, marker, m)) {
            found = true;
            break;
        }
        keep = have < m ? have : m - 1;
        memmove(buf, buf + have - keep, keep);
    }
    close(fd);
    return found;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read the child's stdout until it closes, the buffer is full or the deadline. */
static size_t read_until(int fd, char *out, size_t cap, double end)
{
    size_t got = 0;
    while (got + 1 < cap) {
        int left_ms = (int)((end - now_s()) * 1000);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left_ms <= 0 || poll(&pfd, 1, left_ms) <= 0)
            break;
        ssize_t n = read(fd, out + got, cap - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    return got;
}

int fuzz_cov_ask_size(const char *cmd, double seconds, size_t *size, char *err, size_t cap)
{
    int fds[2];
    char *line = malloc(strlen(cmd) + 6);
    if (!line || pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, cap, "cannot make a pipe: %s", line ? strerror(errno) : "out of memory");
        free(line);
        return -1;
    }
    memcpy(line, "exec ", 5);
    memcpy(line + 5, cmd, strlen(cmd) + 1);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDWR);
        dup2(fds[1], 1);
        if (null >= 0)
            dup2(null, 2), dup2(null, 0);
        setenv("AFL_DUMP_MAP_SIZE", "1", 1);
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    free(line);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(err, cap, "cannot start --cmd: %s", strerror(errno));
        return -1;
    }
    char out[128];
    read_until(fds[0], out, sizeof out, now_s() + seconds);
    close(fds[0]);
    kill(-pid, SIGKILL); /* it has exited already when it answered */
    waitpid(pid, NULL, 0);
    char *e;
    errno = 0;
    unsigned long v = strtoul(out, &e, 10);
    if (e == out || errno || (*e && *e != '\n')) {
        snprintf(err, cap,
                 "--cmd did not say its coverage map size when started with "
                 "AFL_DUMP_MAP_SIZE=1: not built with afl-clang-fast's default PCGUARD "
                 "instrumentation (it names AFL++'s shared-memory variable, as wsspec "
                 "itself does)");
        return -1;
    }
    if (v > FUZZ_COV_MAP_MAX) {
        snprintf(err, cap, "--cmd asks for a coverage map of %lu bytes, more than %u", v,
                 FUZZ_COV_MAP_MAX);
        return -1;
    }
    *size = v < FUZZ_COV_MAP_MIN ? FUZZ_COV_MAP_MIN : (size_t)v;
    return 0;
}

int fuzz_cov_open(struct fuzz_cov *c, size_t size, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->shm_id = -1;
    c->virgin = malloc(size);
    if (!c->virgin) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    memset(c->virgin, 0xff, size);
    c->shm_id = shmget(IPC_PRIVATE, size, IPC_CREAT | IPC_EXCL | 0600);
    if (c->shm_id < 0) {
        snprintf(err, cap, "cannot make a shared memory segment of %zu bytes: %s", size,
                 strerror(errno));
        fuzz_cov_close(c);
        return -1;
    }
    void *m = shmat(c->shm_id, NULL, 0);
    int rm = shmctl(c->shm_id, IPC_RMID, NULL); /* gone when the last process detaches */
    if (m == (void *)-1 || rm != 0) {
        snprintf(err, cap, "cannot attach the coverage map: %s", strerror(errno));
        if (m != (void *)-1)
            shmdt(m);
        fuzz_cov_close(c);
        return -1;
    }
    c->map = m;
    c->size = size;
    char v[32];
    snprintf(v, sizeof v, "%d", c->shm_id);
    setenv(SHM_ENV, v, 1);
    snprintf(v, sizeof v, "%zu", size);
    setenv(SIZE_ENV, v, 1);
    return 0;
}

void fuzz_cov_reset(struct fuzz_cov *c)
{
    if (c->map)
        memset(c->map, 0, c->size);
}

bool fuzz_cov_touched(const struct fuzz_cov *c)
{
    for (size_t i = 0; c->map && i < c->size; i++)
        if (c->map[i])
            return true;
    return false;
}

int fuzz_cov_take(struct fuzz_cov *c)
{
    if (!c->map)
        return 0;
    fuzz_cov_classify(c->map, c->size);
    size_t fresh = 0;
    int r = fuzz_cov_merge(c->map, c->virgin, c->size, &fresh);
    c->edges += fresh;
    return r;
}

void fuzz_cov_close(struct fuzz_cov *c)
{
    if (c->map) {
        shmdt(c->map);
        unsetenv(SHM_ENV);
        unsetenv(SIZE_ENV);
    }
    free(c->virgin);
    memset(c, 0, sizeof *c);
    c->shm_id = -1;
}
