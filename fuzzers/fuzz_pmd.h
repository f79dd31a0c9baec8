/*
 * fuzz_pmd.h - what the targets that negotiate permessage-deflate (conn, script) allow a
 * connection to hold for its compression state.
 *
 * ws_conn.h documents the zlib state of each direction as coming and going with the
 * messages (no context takeover) or staying (context takeover), and ws_conn_memory
 * counts it. The bound here is zlib's own published figure for each direction, with the
 * window the connection actually uses where that is under the peer's control:
 *   - deflate: 2^(windowBits+2) + 2^(memLevel+9) bytes plus a few KiB of state. The
 *     window is taken as 15 whatever was agreed: ws_deflate.c compresses small windows
 *     without context takeover in zlib's 15-bit window (with Z_RLE) and 8 as 9; memLevel
 *     is zlib's default, 8.
 *   - inflate: 2^windowBits plus about 7 KiB of state, with the window the peer agreed
 *     to compress with (a bug that ignores the agreed window shows here), plus
 *     ws_deflate.c's WS_INFLATE_CHUNK output buffer and its copy of the window carried
 *     past a BFINAL block (ws_inflater_memory: "briefly holds one more window's worth").
 * FUZZ_ZLIB_SMALL is the "few KiB": zlib's state structs, ws_deflate.c's z_stream and the
 * size header of each block.
 */
#ifndef FUZZ_PMD_H
#define FUZZ_PMD_H

#include "fuzz_input.h"

#include "ws_deflate.h"
#include "ws_pmd.h"

FUZZ_NOCOV_BEGIN

#define FUZZ_ZLIB_SMALL (12u * 1024)

/* Bytes the zlib state of both directions may hold in a connection of role `role` that
 * agreed on *agreed. */
static inline size_t fuzz_pmd_state_bound(const struct ws_pmd_params *agreed, enum ws_role role)
{
    struct ws_pmd_side_config sc;
    ws_pmd_side_config(agreed, role, &sc);
    size_t deflate = ((size_t)1 << 17) + ((size_t)1 << 17) + FUZZ_ZLIB_SMALL;
    size_t inflate = 2 * ((size_t)1 << sc.recv_window_bits) + WS_INFLATE_CHUNK + FUZZ_ZLIB_SMALL;
    return deflate + inflate;
}

FUZZ_NOCOV_END

#endif
