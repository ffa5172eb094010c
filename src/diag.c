#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

void diag_add(diag_list *list, diag_severity severity, const char *file, uint32_t line,
              uint32_t col, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    diag_vadd(list, severity, file, line, col, fmt, args);
    va_end(args);
}

void diag_vadd(diag_list *list, diag_severity severity, const char *file, uint32_t line,
               uint32_t col, const char *fmt, va_list args)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        diag *items = realloc(list->items, cap * sizeof *items);
        if (items == NULL)
            abort();
        list->items = items;
        list->cap = cap;
    }
    buf message = BUF_INIT;
    buf_vprintf(&message, fmt, args);
    buf name = BUF_INIT;
    buf_append_str(&name, file ? file : "");
    list->items[list->count++] = (diag){
        .severity = severity,
        .file = buf_detach(&name),
        .line = line,
        .col = col,
        .message = buf_detach(&message),
    };
    if (severity == DIAG_ERROR)
        list->errors++;
    else if (severity == DIAG_WARNING)
        list->warnings++;
}

static const char *severity_name(diag_severity s)
{
    switch (s) {
    case DIAG_ERROR: return "error";
    case DIAG_WARNING: return "warning";
    case DIAG_NOTE: return "note";
    }
    return "error";
}

static void format_location(buf *out, const diag *d)
{
    if (d->file[0] == '\0')
        return;
    buf_append_str(out, d->file);
    if (d->line > 0) {
        buf_printf(out, ":%u", (unsigned)d->line);
        if (d->col > 0)
            buf_printf(out, ":%u", (unsigned)d->col);
    }
    buf_append_str(out, ": ");
}

char *diag_format(const diag *d)
{
    buf out = BUF_INIT;
    format_location(&out, d);
    buf_printf(&out, "%s: %s", severity_name(d->severity), d->message);
    return buf_detach(&out);
}

void diag_print(const diag_list *list, FILE *out, bool color)
{
    static const char *const colors[] = {"\033[1;31m", "\033[1;35m", "\033[1;36m"};
    for (size_t i = 0; i < list->count; i++) {
        const diag *d = &list->items[i];
        buf line = BUF_INIT;
        if (color)
            buf_append_str(&line, "\033[1m");
        format_location(&line, d);
        if (color)
            buf_printf(&line, "\033[0m%s%s:\033[0m %s\n", colors[d->severity],
                       severity_name(d->severity), d->message);
        else
            buf_printf(&line, "%s: %s\n", severity_name(d->severity), d->message);
        fputs(line.data, out);
        buf_free(&line);
    }
}

bool diag_use_color(FILE *stream)
{
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0')
        return false;
    return isatty(fileno(stream));
}

void diag_list_append(diag_list *list, diag_list *from)
{
    for (size_t i = 0; i < from->count; i++) {
        const diag *d = &from->items[i];
        diag_add(list, d->severity, d->file, d->line, d->col, "%s", d->message);
    }
    diag_list_free(from);
}

void diag_list_free(diag_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].file);
        free(list->items[i].message);
    }
    free(list->items);
    *list = (diag_list)DIAG_LIST_INIT;
}

void diag_timing(const char *name)
{
    static double start;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    if (name != NULL && getenv("HANDBOOK_TIMINGS"))
        fprintf(stderr, "timing: %-14s %7.1f ms\n", name, (now - start) * 1000);
    start = now;
}
