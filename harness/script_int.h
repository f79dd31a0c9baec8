/*
 * script_int.h - what script.c, script_steps.c and script_recv.c share; not for use
 * outside them (the API is script.h).
 */
#ifndef SCRIPT_INT_H
#define SCRIPT_INT_H

#include "script.h"

/* script.c */
void script_random(void *ud, uint8_t *out, size_t n);
double script_scaled(const struct script *sc, double seconds);
double script_ms(const struct script *sc, double now);
void script_sync_core(struct script *sc);
void script_advance(struct script *sc, double now);
void script_drop(struct script *sc, double now);
void script_drop_when_written(struct script *sc, double now);
void script_set_pace(struct script *sc, double now);
void script_conn_config(struct script *sc, struct ws_conn_config *wc);
/* The case's own request (client role) or response (server role) in sc->req_pl onto
 * the send queue, as the case writes it, and the pipelined steps behind it. */
void script_write_own(struct script *sc, double now);
void result_set_offer(struct case_result *r, const struct script_offer *o);

/* script_steps.c */
void script_run_steps(struct script *sc, double now);
void script_start_timers(struct script *sc, double now);
void script_maybe_auto_close(struct script *sc);
void script_close(struct script *sc, uint16_t code, const char *reason);
void script_size_message(struct script *sc, enum ws_opcode op, uint64_t len);
void script_echo_data(struct script *sc, const uint8_t *data, size_t len, uint64_t offset);
void script_rt_free(struct script *sc);

void script_run_pipelined(struct script *sc, double now);

/* script_recv.c */
void script_recv_callbacks(struct ws_conn_callbacks *cb);
/* The target closed TCP (before wsspec did): the observed line's end. */
void script_recv_target_closed(struct script *sc);

/* script_server.c */
/* script_init's part for the server role: the core's server role, waiting for the
 * client's request. False (r->connect_error says why) when the case does not serve or
 * memory is out. */
bool script_server_init(struct script *sc);
/* The client's request block raw[0..len) was answered (result: WS_E_OK = 101, else the
 * rule it broke and a refusal): record both as the reports show a handshake. */
void script_server_handshake(struct script *sc, enum ws_error result, const char *raw, size_t len);
/* A case that writes its own response: where in in[0..len) the client's request block
 * ends (after its empty line; RFC 9112 2.2 lets a line end in a bare LF), len when it
 * does not end there. Resumes across reads (sc->eoh). */
size_t script_server_request_end(struct script *sc, const uint8_t *in, size_t len);
/* `expect refusal`: from now on the case waits for the client to close TCP, until its
 * kill-after (default SCRIPT_DEFAULT_KILL_AFTER); nothing more is written but what is
 * queued. */
void script_server_refusing(struct script *sc, double now);
/* in[0..len), read at stream offset sc->rx_before while refusing: what of it follows
 * the request goes into the record (refusal_rx, refusal_head). */
void script_server_refused_bytes(struct script *sc, const uint8_t *in, size_t len);

/* script_request.c */
/* The case's own request (its edits on the default one) into sc->req / sc->req_pl; a
 * fresh key from the case's generator. False when memory is out. */
bool script_request_build(struct script *sc, const struct ws_request_params *params);
void script_request_free(struct script *sc);
/* Server role, a case that writes its own response: the default 101 for the client's
 * key (the core's builder) with the case's edits, {key} {host} {path} {accept} from the
 * client's request raw[0..n) (sc->offer already read from it), into sc->req /
 * sc->req_pl. False when memory is out. */
bool script_response_build(struct script *sc, const char *raw, size_t n);
/* What req[0..n) offers, read from its header lines. */
void script_offer_read(struct script_offer *o, const uint8_t *req, size_t n);
/* The request as the reports keep it (credentials redacted, the first 16 KiB),
 * NUL-terminated and malloc'ed; NULL when memory is out. */
char *script_request_record(const uint8_t *req, size_t n);

#endif
