/* buf.h - the one growable byte buffer used for all output.
 *
 * A buf's data is never NULL and always NUL-terminated, so it can be handed to
 * any C string function at any time. Running out of memory aborts. */
#ifndef HANDBOOK_BUF_H
#define HANDBOOK_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *data; /* never NULL; data[len] == '\0' */
    size_t len;
    size_t cap; /* 0 while data points at the shared empty string */
} buf;

/* An empty buffer that owns no memory yet. */
#define BUF_INIT {buf_empty_string, 0, 0}
extern char buf_empty_string[1];

void buf_append(buf *b, const void *data, size_t len);
void buf_append_str(buf *b, const char *text);
void buf_append_char(buf *b, char c);
/* printf-style append. */
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list args);
/* Makes room for at least extra more bytes without changing the contents. */
void buf_reserve(buf *b, size_t extra);
/* Empties the buffer but keeps its memory for reuse. */
void buf_clear(buf *b);
/* Releases the memory; the buffer is empty and usable afterwards. */
void buf_free(buf *b);
/* Hands the contents to the caller as a malloc'ed string (free() it) and
 * leaves the buffer empty. */
char *buf_detach(buf *b);

#endif
