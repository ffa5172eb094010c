/* diag.h - diagnostics: every error and warning of a run, printed like a compiler.
 *
 *   practices/x.md:4:9: error: unknown school 'sbo-de-wisel'; did you mean 'sbo-de-wissel'?
 *
 * Functions across the project return 0 on success or a negative value on failure
 * and put the reason into a diag_list; nothing prints on its own. */
#ifndef HANDBOOK_DIAG_H
#define HANDBOOK_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } diag_severity;

typedef struct diag {
    diag_severity severity;
    char *file;    /* owned; "" when the message is not about a file */
    uint32_t line; /* 1-based; 0 when unknown */
    uint32_t col;  /* 1-based; 0 when unknown */
    char *message; /* owned */
} diag;

typedef struct diag_list {
    diag *items;
    size_t count, cap;
    size_t errors, warnings;
} diag_list;

#define DIAG_LIST_INIT {NULL, 0, 0, 0, 0}

/* Adds a diagnostic; file may be NULL. The list copies file and message. */
void diag_add(diag_list *list, diag_severity severity, const char *file, uint32_t line,
              uint32_t col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The same with a va_list, for functions that wrap diag_add. */
void diag_vadd(diag_list *list, diag_severity severity, const char *file, uint32_t line,
               uint32_t col, const char *fmt, va_list args);

/* Writes every diagnostic as "file:line:col: severity: message" lines, in the
 * order they were added; with color, the severity is colored as gcc does. */
void diag_print(const diag_list *list, FILE *out, bool color);

/* Formats one diagnostic into a malloc'ed string without color (free() it). */
char *diag_format(const diag *d);

/* Whether stderr should be colored: a terminal, and NO_COLOR unset or empty. */
bool diag_use_color(FILE *stream);

/* Adds every diagnostic of from to list, in order, and empties from (the
 * diagnostics of a thread, once it is done). */
void diag_list_append(diag_list *list, diag_list *from);

void diag_list_free(diag_list *list);

/* HANDBOOK_TIMINGS=1: writes "timing: NAME  N ms" on stderr, the time since
 * the call before (name NULL: only starts the clock), for finding where a
 * build spends its time. One thread (the build's) calls it. */
void diag_timing(const char *name);

#endif
