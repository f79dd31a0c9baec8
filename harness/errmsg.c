/*
 * errmsg.c - one-line error messages for readers of user files (see errmsg.h).
 */
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int errmsg_fail(char *err, size_t cap, const char *fmt, ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void errmsg_one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}
