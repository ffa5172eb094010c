#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char buf_empty_string[1];

void buf_reserve(buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len) {
        fprintf(stderr, "handbook: buffer of %zu bytes is too large\n", b->len + extra);
        abort();
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *data = b->cap ? realloc(b->data, cap) : malloc(cap);
    if (data == NULL) {
        fprintf(stderr, "handbook: out of memory (%zu bytes)\n", cap);
        abort();
    }
    if (b->cap == 0)
        data[0] = '\0';
    b->data = data;
    b->cap = cap;
}

void buf_append(buf *b, const void *data, size_t len)
{
    if (len == 0)
        return;
    buf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_append_str(buf *b, const char *text)
{
    buf_append(b, text, strlen(text));
}

void buf_append_char(buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void buf_vprintf(buf *b, const char *fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, args);
    b->len += (size_t)n;
}

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    buf_vprintf(b, fmt, args);
    va_end(args);
}

void buf_clear(buf *b)
{
    b->len = 0;
    if (b->cap)
        b->data[0] = '\0';
}

void buf_free(buf *b)
{
    if (b->cap)
        free(b->data);
    b->data = buf_empty_string;
    b->len = b->cap = 0;
}

char *buf_detach(buf *b)
{
    char *out;
    if (b->cap) {
        out = b->data;
    } else {
        out = malloc(1);
        if (out == NULL)
            abort();
        out[0] = '\0';
    }
    b->data = buf_empty_string;
    b->len = b->cap = 0;
    return out;
}
