/*
 * case_man.h - wsspec-cases(5), the man page of the case-file format: a short overview
 * that points at the installed cases/README.md (the format's one full description), and
 * the vocabulary tables generated from case_vocab.def, so the page lists exactly the
 * words the parser reads.
 */
#ifndef CASE_MAN_H
#define CASE_MAN_H

#include <stdio.h>

/* The roff text of wsspec-cases(5); date and version go to its .TH line. */
void case_man(FILE *f, const char *date, const char *version);

#endif
