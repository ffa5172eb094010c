#include "glossary.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Elements whose text is never marked. */
static const char *const skipped[] = {"a", "abbr", "code", "pre", "h1", "h2", "h3",
                                      "h4", "h5", "h6", NULL};

static bool is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* The tag's name, and whether it closes: "<h2 id=x>" -> "h2". */
static bool skipped_tag(const char *tag, size_t len, bool *closing)
{
    size_t i = 1;
    *closing = i < len && tag[i] == '/';
    if (*closing)
        i++;
    size_t start = i;
    while (i < len && tag[i] != ' ' && tag[i] != '>' && tag[i] != '/')
        i++;
    for (const char *const *s = skipped; *s; s++)
        if (strlen(*s) == i - start && strncasecmp(*s, tag + start, i - start) == 0)
            return true;
    return false;
}

/* Finds the first whole-word use of term in text[0..len). */
static const char *find_term(const glossary_term *t, const char *text, size_t len)
{
    size_t n = strlen(t->text);
    for (size_t i = 0; n > 0 && i + n <= len; i++) {
        bool same = t->is_abbreviation ? memcmp(text + i, t->text, n) == 0
                                       : strncasecmp(text + i, t->text, n) == 0;
        if (!same)
            continue;
        bool starts = i == 0 || !is_word_byte((unsigned char)text[i - 1]);
        bool ends = i + n == len || !is_word_byte((unsigned char)text[i + n]);
        if (starts && ends)
            return text + i;
    }
    return NULL;
}

static void mark_text(const glossary_term *terms, size_t count, bool *done, const char *text,
                      size_t len, buf *out)
{
    while (len > 0) {
        const char *best = NULL;
        size_t best_term = 0;
        for (size_t k = 0; k < count; k++) {
            if (done[k])
                continue;
            const char *at = find_term(&terms[k], text, len);
            if (at && (best == NULL || at < best ||
                       (at == best && strlen(terms[k].text) > strlen(terms[best_term].text)))) {
                best = at;
                best_term = k;
            }
        }
        if (best == NULL)
            break;
        const glossary_term *t = &terms[best_term];
        size_t n = strlen(t->text);
        buf_append(out, text, (size_t)(best - text));
        if (t->is_abbreviation)
            buf_printf(out, "<abbr title=\"%s\">%.*s</abbr>", t->title, (int)n, best);
        else
            buf_printf(out, "<a class=\"term\" href=\"%s\" title=\"%s\">%.*s</a>", t->url, t->title,
                       (int)n, best);
        done[best_term] = true;
        len -= (size_t)(best + n - text);
        text = best + n;
    }
    buf_append(out, text, len);
}

void glossary_mark(const glossary_term *terms, size_t count, const char *page_url,
                   const char *html, size_t len, buf *out)
{
    bool *done = calloc(count + 1, sizeof *done);
    if (done == NULL)
        abort();
    for (size_t k = 0; k < count; k++)
        done[k] = terms[k].page_url != NULL && strcmp(terms[k].page_url, page_url) == 0;
    int skip_depth = 0;
    const char *p = html, *end = html + len;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        const char *text_end = lt ? lt : end;
        if (skip_depth == 0)
            mark_text(terms, count, done, p, (size_t)(text_end - p), out);
        else
            buf_append(out, p, (size_t)(text_end - p));
        if (lt == NULL)
            break;
        const char *gt = memchr(lt, '>', (size_t)(end - lt));
        const char *tag_end = gt ? gt + 1 : end;
        bool closing;
        if (skipped_tag(lt, (size_t)(tag_end - lt), &closing))
            skip_depth += closing ? (skip_depth > 0 ? -1 : 0) : 1;
        buf_append(out, lt, (size_t)(tag_end - lt));
        p = tag_end;
    }
    free(done);
}
