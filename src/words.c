#include "words.h"

#include <libstemmer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct words {
    struct sb_stemmer *stemmer;
};

words *words_new(void)
{
    words *w = calloc(1, sizeof *w);
    if (w == NULL)
        abort();
    w->stemmer = sb_stemmer_new("dutch", "UTF_8");
    if (w->stemmer == NULL)
        abort(); /* libstemmer always has Dutch; only memory can fail */
    return w;
}

void words_free(words *w)
{
    if (w == NULL)
        return;
    sb_stemmer_delete(w->stemmer);
    free(w);
}

int words_fold(const char *text, size_t len, buf *out)
{
    /* Plain ASCII folds to lowercase; utf8proc is only needed beyond it. */
    size_t ascii = 0;
    while (ascii < len && (unsigned char)text[ascii] < 0x80)
        ascii++;
    if (ascii == len) {
        buf_reserve(out, len);
        for (size_t i = 0; i < len; i++) {
            char c = text[i];
            out->data[out->len++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        out->data[out->len] = '\0';
        return 0;
    }
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len,
                                      &folded,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
    if (n < 0)
        return -1;
    buf_append(out, folded, (size_t)n);
    free(folded);
    return 0;
}

const char *words_stem(words *w, const char *folded, size_t len, size_t *stem_len)
{
    const sb_symbol *stem =
        sb_stemmer_stem(w->stemmer, (const sb_symbol *)folded, (int)len);
    if (stem == NULL)
        abort(); /* only when out of memory */
    *stem_len = (size_t)sb_stemmer_length(w->stemmer);
    return (const char *)stem;
}

static bool is_word_char(utf8proc_int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return true;
    default: return false;
    }
}

static bool is_apostrophe(utf8proc_int32_t c)
{
    return c == '\'' || c == 0x2019; /* ' and the typographic ’ */
}

void words_split(const char *text, size_t len, words_fn fn, void *ctx)
{
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    /* A word is passed as the run of text it is, unless an apostrophe was
     * dropped from it: then its letters are gathered in joined. */
    buf joined = BUF_INIT;
    bool in_word = false, is_joined = false;
    size_t start = 0, i = 0;
    while (i <= len) {
        /* Inside a word, a run of ASCII letters and digits (most of a Dutch
         * text) only moves on: taken in one go. */
        if (in_word && !is_joined)
            while (i < len && s[i] < 0x80 && is_word_char(s[i]))
                i++;
        utf8proc_int32_t c = -1;
        utf8proc_ssize_t n = 1;
        if (i < len && s[i] < 0x80) {
            c = s[i]; /* ASCII needs no decoding */
        } else if (i < len) {
            n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
            if (n < 0) {
                c = -1;
                n = 1;
            }
        }
        if (c >= 0 && is_word_char(c)) {
            if (!in_word) {
                start = i;
                in_word = true;
                is_joined = false;
            } else if (is_joined) {
                buf_append(&joined, text + i, (size_t)n);
            }
        } else if (in_word && c >= 0 && is_apostrophe(c) && i + (size_t)n < len) {
            /* Keep going when a letter follows: "IB'er" is one word. */
            utf8proc_int32_t next = -1;
            if (utf8proc_iterate(s + i + n, (utf8proc_ssize_t)(len - i - (size_t)n), &next) > 0 &&
                is_word_char(next)) {
                if (!is_joined) {
                    buf_clear(&joined);
                    buf_append(&joined, text + start, i - start);
                    is_joined = true;
                }
                i += (size_t)n;
                continue;
            }
            fn(ctx, is_joined ? joined.data : text + start, is_joined ? joined.len : i - start,
               start);
            in_word = false;
        } else if (in_word) {
            fn(ctx, is_joined ? joined.data : text + start, is_joined ? joined.len : i - start,
               start);
            in_word = false;
        }
        i += (size_t)n;
    }
    buf_free(&joined);
}
