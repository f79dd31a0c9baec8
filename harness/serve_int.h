/*
 * serve_int.h - what serve_cmd.c (options, agents, reports, exit status) and
 * serve_loop.c (the listener and the connections) share; not for use outside them.
 * The command's API is serve_cmd.h.
 */
#ifndef SERVE_INT_H
#define SERVE_INT_H

#include "baseline.h"
#include "case.h"
#include "config.h"
#include "datastore.h"
#include "loop.h"
#include "preflight.h"
#include "result.h"
#include "serve_url.h"
#include "session.h"
#include "transport.h"
#include "ws_conn.h"
#include "ws_handshake.h"

#include <signal.h>

/* Connections at once: the cases of a few agents plus their status and report
 * requests. A client opening more is answered 503 and closed at once. */
#define SERVE_MAX_CONNS 64
/* Agents (report columns) one server keeps: `wsspec run`'s bound of targets. */
#define SERVE_MAX_AGENTS 16
/* A request head: the core's bound of a header block (8 KiB, what servers allow). */
#define SERVE_HEAD_MAX WS_HTTP_DEFAULT_MAX_BLOCK
/* The whole head must arrive within this (scaled): Autobahn's opening handshake
 * timeout. A client that dribbles or never ends its head is closed then. Over wss://
 * the TLS handshake runs within the same time. */
#define SERVE_HEAD_TIMEOUT 5.0
/* A command's answer (101, one message, Close) and the client's Close reply: at most
 * this long (scaled), then TCP is closed anyway. */
#define SERVE_ANSWER_TIMEOUT 5.0
/* getCaseStatus of a case still running waits at most this long (scaled) for it: more
 * than any case runs (section 9's largest take about a minute on slow clients). */
#define SERVE_STATUS_WAIT 300.0
/* --once: how long wsspec waits, after an agent's last case, for its updateReports (the
 * last step of Autobahn's driver loop) before it ends anyway (scaled). */
#define SERVE_ONCE_LINGER 5.0
/* The longest JSON answer: getCaseInfo with a long description. */
#define SERVE_ANSWER_MAX 2048
#define SERVE_MAX_CASE_DIRS 16
/* After an HTTP refusal, what wsspec still reads (and drops) before it closes: the rest
 * of a request it refused, so that closing does not reset the connection. */
#define SERVE_DRAIN_MAX (64 * 1024)

enum serve_phase {
    SERVE_FREE = 0,
    SERVE_TLS,    /* wss://: the TLS handshake (SSL_accept), within the head's deadline */
    SERVE_HEAD,   /* reading the request head (bounded: size, SERVE_HEAD_TIMEOUT) */
    SERVE_CASE,   /* a case runs: the session owns the socket */
    SERVE_WAIT,   /* getCaseStatus waits for a running case; the socket is not read */
    SERVE_ANSWER, /* a command's WebSocket answer over the core (server role) */
    SERVE_HTTP,   /* an HTTP refusal being written; then TCP closes */
};

struct serve_conn {
    enum serve_phase phase;
    struct transport io;   /* every byte of the connection, TLS or not (session: s.io) */
    bool read_wants_write; /* TLS: a read waits for writable */
    bool write_wants_read; /* TLS: a write waits for readable */
    double deadline;
    uint8_t head[SERVE_HEAD_MAX];
    size_t head_len;
    struct serve_url_request req;
    size_t agent, pos; /* CASE, WAIT: the agent and the case's position in the selection */
    struct session s;  /* CASE */
    struct case_result r;
    struct ws_conn wc; /* ANSWER */
    bool wc_ready;
    bool then_end; /* ANSWER: the server ends once this answer is done (stopServer) */
    char answer[SERVE_ANSWER_MAX];
    size_t answer_len; /* 0: no message, just the Close */
    char http[1024];   /* HTTP: a refusal */
    const char *out;   /* HTTP: what is written: http, or the page (serve_page.c) */
    size_t http_len, http_off;
    size_t drained; /* HTTP: bytes read and dropped after the refusal */
};

struct serve_agent {
    char name[SERVE_URL_MAX_AGENT + 1];
    struct case_result *res; /* n slots, in selection order */
    bool *have;
    bool *excluded; /* exclude-agent-cases */
    size_t n_have, n_todo;
    double done_at; /* monotonic time n_have reached n_todo; 0 = not yet */
};

struct serve_args {
    const char *listen, *include, *exclude, *report_dir, *config, *baseline;
    const char *tls_cert, *tls_key; /* wss://: PEM files (key NULL: in the cert file) */
    const char *cert_opt, *key_opt; /* where they came from, for errors */
    const char *dirs[SERVE_MAX_CASE_DIRS];
    size_t n_dirs;
    bool help, once, strict, quiet, fail_on_regression, scale_given, seed_given;
    enum verdict_mode verdict;
    unsigned formats;
    double timeout, scale; /* timeout 0: none */
    uint64_t seed;
};

struct serve {
    struct serve_args a;
    int argc;
    char **argv;
    struct run_config cfg;
    struct case_catalogue cat;
    size_t *idx, n;    /* the selection: cases that serve, in id order */
    size_t n_left_out; /* selected cases that do not serve (script_case_serves) */
    const char *const *protocols;
    size_t n_protocols;
    struct loop loop;
    bool loop_ready;
    int lfd;                   /* the listener */
    struct transport_tls *tls; /* wss://: the server's certificate and key; NULL = ws:// */
    char url[320];             /* "ws://127.0.0.1:9001/" (or wss://) as bound */
    struct session_bufs bufs;
    struct datastore *data;
    struct serve_conn *conns; /* SERVE_MAX_CONNS */
    struct serve_agent agents[SERVE_MAX_AGENTS];
    size_t n_agents;
    bool ending;       /* stopServer, shutdownOnComplete, --once: end when answers are out */
    bool timed_out;    /* --timeout ended it */
    size_t n_cut;      /* cases --timeout ended while they ran */
    bool compare_now;  /* --baseline: the next full report write compares (the last one) */
    long regressions;  /* what that comparison found, -1 = it failed */
    double t_end;      /* --timeout: monotonic deadline, 0 = none */
    size_t once_agent; /* --once: the agent that completed (SIZE_MAX = none yet) */
    bool dirty;        /* results since the last full report */
    bool written;      /* a full report was written */
    bool reports_failed;
    char trouble[600]; /* wsspec's own trouble that ended it ("" = none) */
    size_t passed, failed;
    double wall0;
    struct preflight_dirs made;
    struct baseline_run old_run; /* --baseline */
};

/* serve_loop.c */
int serve_listen(struct serve *S);
/* Runs until stopped; returns 0, or -1 with S->trouble set (wsspec's own trouble). */
int serve_loop_run(struct serve *S, volatile sig_atomic_t *stop);
void serve_loop_free(struct serve *S);

/* serve_page.c */
/* The whole HTTP response that carries the browser page (static storage). */
size_t serve_page_response(const char **out);
/* Whether a request asks for the page: GET of "/" without Upgrade: websocket. */
bool serve_page_wanted(const struct ws_http_request *rq);

/* serve_cmd.c, for the loop */
/* The agent named name, added when new. Returns its index, or -1 with a refusal line in
 * why (too many agents, a name whose report files would clash). */
int serve_agent_find(struct serve *S, const char *name, char *why, size_t cap);
/* A case ended (judged): its result moves into the agent's slot. */
void serve_case_done(struct serve *S, size_t agent, size_t pos, struct case_result *r);
/* --timeout ended the server while this case ran: FAILED, "the client did not finish
 * it within --timeout" (not "not run": it was started; its events are lost with the
 * connection). */
void serve_case_cut(struct serve *S, size_t agent, size_t pos);
/* updateReports: write every format. Returns 0, or -1 (S->trouble set). */
int serve_write_reports(struct serve *S);
/* The script configuration for one case of one agent (r zeroed by the caller). */
void serve_script_config(const struct serve *S, size_t agent, size_t pos, struct case_result *r,
                         struct script_config *cfg, double now);

#endif
