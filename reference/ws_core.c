/*
 * ws_core.c - lookups into the error table and the default allocator.
 */
#include "ws_core.h"

#include <stdlib.h>
#include <string.h>

struct ws_error_row {
    enum ws_error e;
    uint16_t close_code;
    int http_status;
    const char *name, *section, *text;
};

static const struct ws_error_row ws_error_rows[] = {
#define WS_ERROR(name, value, close_code, http_status, section, text)                              \
    {WS_E_##name, close_code, http_status, #name, section, text},
#include "ws_errors.def"
#undef WS_ERROR
};

static const struct ws_error_row *ws_error_row(enum ws_error e)
{
    for (size_t i = 0; i < sizeof ws_error_rows / sizeof ws_error_rows[0]; i++)
        if (ws_error_rows[i].e == e)
            return &ws_error_rows[i];
    return NULL;
}

const char *ws_error_name(enum ws_error e)
{
    const struct ws_error_row *r = ws_error_row(e);
    return r ? r->name : "UNKNOWN";
}

const char *ws_error_text(enum ws_error e)
{
    const struct ws_error_row *r = ws_error_row(e);
    return r ? r->text : "unknown error";
}

const char *ws_error_section(enum ws_error e)
{
    const struct ws_error_row *r = ws_error_row(e);
    return r ? r->section : "";
}

const char *ws_error_rfc(enum ws_error e)
{
    return e >= 600 && e < 700 ? "RFC 7692" : "RFC 6455";
}

uint16_t ws_error_close_code(enum ws_error e)
{
    const struct ws_error_row *r = ws_error_row(e);
    return r ? r->close_code : 0;
}

int ws_error_http_status(enum ws_error e)
{
    const struct ws_error_row *r = ws_error_row(e);
    return r ? r->http_status : 0;
}

bool ws_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool ws_is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

void *ws_realloc(const struct ws_allocator *a, void *ptr, size_t size)
{
    if (a && a->realloc)
        return a->realloc(a->ud, ptr, size);
    return realloc(ptr, size);
}

void ws_free(const struct ws_allocator *a, void *ptr)
{
    if (!ptr)
        return;
    if (a && a->free)
        a->free(a->ud, ptr);
    else
        free(ptr);
}
