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

/* Finds the first whole-word use of term in text[from..len), never starting
 * inside a character reference such as &amp;. Returns its offset or len. */
static size_t find_term(const glossary_term *t, const char *text, size_t from, size_t len)
{
    size_t n = strlen(t->text);
    for (size_t i = from; n > 0 && i + n <= len; i++) {
        if (text[i] == '&') {
            const char *semi = memchr(text + i, ';', len - i < 12 ? len - i : 12);
            if (semi != NULL && !(t->text[0] == '&' && strncmp(text + i, t->text, n) == 0)) {
                i = (size_t)(semi - text);
                continue;
            }
        }
        bool same = t->is_abbreviation ? memcmp(text + i, t->text, n) == 0
                                       : strncasecmp(text + i, t->text, n) == 0;
        if (!same)
            continue;
        bool starts = i == 0 || !is_word_byte((unsigned char)text[i - 1]);
        bool ends = i + n == len || !is_word_byte((unsigned char)text[i + n]);
        if (starts && ends)
            return i;
    }
    return len;
}

/* Marks the first use of each term not yet done in one run of text. Each
 * term's next use is found once and found again only when a mark passed it,
 * so a long text with many terms is not scanned over and over. */
static void mark_text(const glossary_term *terms, size_t count, bool *done, size_t *next,
                      const char *text, size_t len, buf *out)
{
    for (size_t k = 0; k < count; k++)
        next[k] = done[k] ? len : find_term(&terms[k], text, 0, len);
    size_t at = 0;
    for (;;) {
        size_t best = len, best_term = 0;
        for (size_t k = 0; k < count; k++) {
            if (done[k])
                continue;
            if (next[k] < at) /* passed by an earlier mark: look again */
                next[k] = find_term(&terms[k], text, at, len);
            if (next[k] < best ||
                (next[k] == best && best < len &&
                 strlen(terms[k].text) > strlen(terms[best_term].text))) {
                best = next[k];
                best_term = k;
            }
        }
        if (best == len)
            break;
        const glossary_term *t = &terms[best_term];
        size_t n = strlen(t->text);
        buf_append(out, text + at, best - at);
        if (t->is_abbreviation)
            buf_printf(out, "<abbr title=\"%s\">%.*s</abbr>", t->title, (int)n, text + best);
        else
            buf_printf(out, "<a class=\"term\" href=\"%s\" title=\"%s\">%.*s</a>", t->url,
                       t->title, (int)n, text + best);
        done[best_term] = true;
        at = best + n;
    }
    buf_append(out, text + at, len - at);
}

void glossary_mark(const glossary_term *terms, size_t count, const char *page_url,
                   const char *html, size_t len, buf *out)
{
    bool *done = calloc(count + 1, sizeof *done);
    size_t *next = calloc(count + 1, sizeof *next);
    if (done == NULL || next == NULL)
        abort();
    for (size_t k = 0; k < count; k++)
        done[k] = terms[k].page_url != NULL && strcmp(terms[k].page_url, page_url) == 0;
    int skip_depth = 0;
    const char *p = html, *end = html + len;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        const char *text_end = lt ? lt : end;
        if (skip_depth == 0)
            mark_text(terms, count, done, next, p, (size_t)(text_end - p), out);
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
    free(next);
}
