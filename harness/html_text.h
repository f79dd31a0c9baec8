/*
 * html_text.h - text from anywhere (a target's bytes, a URL, a command line) into the
 * pages wsspec writes without scripts (the load report, the fuzz findings page).
 */
#ifndef HTML_TEXT_H
#define HTML_TEXT_H

#include <stdio.h>

/* s as HTML text and attribute-safe: < > & " ' as entities, line breaks kept, every
 * other control byte and every byte outside ASCII as '?' (the page stays ASCII, whatever
 * the bytes were). NULL writes nothing. */
void html_text(FILE *f, const char *s);

#endif
