/*
 * fuzz_proc.h - the target as a process `wsspec fuzz --cmd` runs: started through
 * /bin/sh (`exec CMD`, so the process wsspec watches is the target itself, in a process
 * group of its own), waited for until it accepts a TCP connection, watched for its exit
 * status or signal, its stderr scanned for sanitizer reports (AddressSanitizer,
 * LeakSanitizer, UndefinedBehaviorSanitizer's "runtime error:"), its resident memory
 * read from /proc, and stopped (SIGTERM, then SIGKILL after a grace period).
 *
 * Its stderr goes through a pipe wsspec reads between conversations (fuzz_proc_poll);
 * the last FUZZ_PROC_TAIL bytes are kept for the finding's record, and every line is
 * also copied to the log file the caller names (or dropped when none).
 */
#ifndef FUZZ_PROC_H
#define FUZZ_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#define FUZZ_PROC_TAIL 4096
/* The log keeps this much of a chatty target's stderr; the rest is still scanned. */
#define FUZZ_PROC_LOG_MAX (64u << 20)

struct fuzz_proc {
    const char *cmd;  /* not owned */
    pid_t pid;        /* 0: not running */
    int err_fd;       /* read end of its stderr, -1 when none */
    FILE *log;        /* its stderr copied here, or NULL; not owned */
    size_t log_bytes; /* written to log, at most FUZZ_PROC_LOG_MAX */
    char tail[FUZZ_PROC_TAIL];
    size_t tail_len;
    /* what was seen since fuzz_proc_clear */
    bool exited;        /* it ended on its own */
    int exit_code;      /* exited normally: its status, else -1 */
    int signal;         /* killed by this signal, else 0 */
    bool sanitizer;     /* a sanitizer report on its stderr */
    char san_line[256]; /* its first line */
    size_t restarts;
};

/* Start cmd and wait (at most `seconds`) until addr accepts a connection. Returns 0, or
 * -1 with the reason in err (it exited first, with its status; or the deadline). */
int fuzz_proc_start(struct fuzz_proc *p, const struct sockaddr *addr, socklen_t addr_len,
                    double seconds, char *err, size_t err_len);

/* Read what it wrote to stderr (without waiting) and whether it has ended. */
void fuzz_proc_poll(struct fuzz_proc *p);

/* Wait at most `seconds` for it to end (a crash may take a moment: a core dump is being
 * written). Returns true when it has ended. */
bool fuzz_proc_wait_exit(struct fuzz_proc *p, double seconds);

/* Forget what was seen (exit, sanitizer report): the next conversation starts clean. */
void fuzz_proc_clear(struct fuzz_proc *p);

/* Its resident set in KiB (VmRSS), 0 when unknown or not running. */
size_t fuzz_proc_rss_kib(const struct fuzz_proc *p);

/* SIGTERM to its process group, SIGKILL after `grace` seconds, then reap it and read
 * the rest of its stderr (a LeakSanitizer report comes at exit). */
void fuzz_proc_stop(struct fuzz_proc *p, double grace);

/* "exit status 3", "signal 11 (Segmentation fault)" of what was seen. */
void fuzz_proc_describe(const struct fuzz_proc *p, char *out, size_t cap);

#endif
