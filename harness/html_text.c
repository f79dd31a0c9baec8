/*
 * html_text.c - see html_text.h.
 */
#include "html_text.h"

void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == '\'')
            fputs("&#39;", f);
        else if ((c < 0x20 && c != '\n') || c >= 0x7f)
            fputc('?', f);
        else
            fputc(c, f);
    }
}
