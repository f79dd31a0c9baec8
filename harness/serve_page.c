/*
 * serve_page.c - the page `wsspec serve` answers a plain HTTP GET of "/" with (no
 * Upgrade): a browser that opens it runs every served case through its own WebSocket
 * API, with the URL protocol as Autobahn's client drivers speak it - getCaseCount,
 * runCase for each case echoing every message (text as text, binary as binary),
 * updateReports - and shows where it is. The agent is ?agent=NAME, else "browser".
 * Opened over https:// (wsspec serve --tls-cert) it connects to wss://, the same port.
 * The page is wsspec's own text: nothing a client sent goes into it.
 */
#include "serve_int.h"

#include <stdio.h>
#include <string.h>

static const char serve_page_html[] =
    "<!doctype html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wsspec serve</title></head>\n"
    "<body><h1>wsspec serve</h1><p id=\"status\">starting</p>\n"
    "<script>\n"
    "\"use strict\";\n"
    "const base = (location.protocol === \"https:\" ? \"wss://\" : \"ws://\") + location.host;\n"
    "const agent = new URLSearchParams(location.search).get(\"agent\") || \"browser\";\n"
    "const status = document.getElementById(\"status\");\n"
    "// one connection: resolves with its first message (or null) once it is closed\n"
    "function connect(path, echo) {\n"
    "  return new Promise(done => {\n"
    "    const ws = new WebSocket(base + path);\n"
    "    ws.binaryType = \"arraybuffer\";\n"
    "    let first = null;\n"
    "    ws.onmessage = e => {\n"
    "      if (first === null) first = e.data;\n"
    "      if (echo) { try { ws.send(e.data); } catch (err) { /* closing */ } }\n"
    "    };\n"
    "    ws.onclose = () => done(first);\n"
    "  });\n"
    "}\n"
    "async function main() {\n"
    "  const a = encodeURIComponent(agent);\n"
    "  const n = JSON.parse(await connect(\"/getCaseCount\", false));\n"
    "  for (let i = 1; i <= n; i++) {\n"
    "    status.textContent = \"case \" + i + \" of \" + n;\n"
    "    await connect(\"/runCase?case=\" + i + \"&agent=\" + a, true);\n"
    "  }\n"
    "  await connect(\"/updateReports?agent=\" + a, false);\n"
    "  status.textContent = \"done: \" + n + \" cases, reports written\";\n"
    "}\n"
    "main().catch(e => { status.textContent = \"error: \" + e; });\n"
    "</script></body></html>\n";

size_t serve_page_response(const char **out)
{
    static char resp[sizeof serve_page_html + 256];
    static size_t len;
    if (!len) {
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 200 OK\r\nServer: wsspec\r\nContent-Type: text/html; "
                         "charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: "
                         "%zu\r\nConnection: close\r\n\r\n%s",
                         sizeof serve_page_html - 1, serve_page_html);
        len = n > 0 && (size_t)n < sizeof resp ? (size_t)n : 0;
    }
    *out = resp;
    return len;
}

/* A GET of "/" (a query allowed) without Upgrade: websocket. */
bool serve_page_wanted(const struct ws_http_request *rq)
{
    const char *t = rq->target.ptr;
    size_t n = rq->target.len;
    if (rq->method.len != 3 || memcmp(rq->method.ptr, "GET", 3) != 0)
        return false;
    if (n == 0 || t[0] != '/' || (n > 1 && t[1] != '?'))
        return false;
    return !ws_http_has_token(rq->headers, rq->n_headers, "Upgrade", "websocket");
}
