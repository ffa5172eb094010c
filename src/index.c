#include "index.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "strmap.h"
#include "words.h"

/* Field weights of BM25F: a word in the title counts five times, in a heading
 * twice. */
enum { WEIGHT_TITLE = 5, WEIGHT_HEADING = 2, WEIGHT_BODY = 1 };
#define BM25_K1 1.2
#define BM25_B 0.75

typedef struct posting {
    uint32_t doc;
    float tf;               /* field-weighted count */
    uint32_t best_section;  /* the section with the most uses */
    uint32_t best_count;
    uint32_t section;       /* the section being counted now */
    uint32_t section_count;
} posting;

typedef struct term {
    const char *stem;
    posting *postings;
    size_t count, cap;
} term;

typedef struct facet_list {
    const char *name, *title;
    const char **values; /* by position */
    size_t value_count, value_cap;
    strmap positions; /* value title -> position + 1 */
    uint32_t **docs;  /* per value: document ids */
    size_t *doc_counts, *doc_caps;
} facet_list;

typedef struct doc_entry {
    const char *url, *title;
    uint32_t (*facets)[2];
    size_t facet_count;
    double length; /* field-weighted words */
} doc_entry;

struct index_builder {
    const site *site;
    arena arena;
    words *words;
    strmap vocabulary; /* folded word -> stem */
    strmap terms;      /* stem -> term */
    term **term_list;
    size_t term_count, term_cap;
    doc_entry *docs;
    size_t doc_count, doc_cap;
    facet_list *facets;
    size_t facet_count;
    buf fold;              /* scratch */
    double average_length; /* of the documents, for BM25 */
};

/* ---------- JSON ---------- */

/* A JSON string that is also safe inside HTML and JavaScript source: control
 * characters, U+2028/U+2029 and "</" are escaped. */
static void json_string(buf *out, const char *s, size_t len)
{
    buf_append_char(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_append_char(out, '\\');
            buf_append_char(out, (char)c);
        } else if (c < 0x20 || c == 0x7F) {
            buf_printf(out, "\\u%04x", c);
        } else if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            buf_printf(out, "\\u%04x", (unsigned char)s[i + 2] == 0xA8 ? 0x2028 : 0x2029);
            i += 2;
        } else if (c == '/' && i > 0 && s[i - 1] == '<') {
            buf_append_str(out, "\\/");
        } else {
            buf_append_char(out, (char)c);
        }
    }
    buf_append_char(out, '"');
}

static void json_cstring(buf *out, const char *s)
{
    json_string(out, s, strlen(s));
}

/* The shard of a word or term: its first two characters when both are a-z or
 * 0-9, the one character of a one-character word, else "_". */
static void shard_of(const char *word, char shard[3])
{
    bool a = (word[0] >= 'a' && word[0] <= 'z') || (word[0] >= '0' && word[0] <= '9');
    bool b = (word[1] >= 'a' && word[1] <= 'z') || (word[1] >= '0' && word[1] <= '9');
    if (a && word[1] == '\0') {
        shard[0] = word[0];
        shard[1] = '\0';
    } else if (a && b) {
        shard[0] = word[0];
        shard[1] = word[1];
        shard[2] = '\0';
    } else {
        shard[0] = '_';
        shard[1] = '\0';
    }
}

/* ---------- building ---------- */

static uint32_t facet_value_position(index_builder *ix, facet_list *f, const char *title)
{
    uintptr_t known = (uintptr_t)strmap_get(&f->positions, title);
    if (known != 0)
        return (uint32_t)(known - 1);
    if (f->value_count == f->value_cap) {
        size_t cap = f->value_cap ? f->value_cap * 2 : 8;
        f->values = arena_grow(&ix->arena, f->values, f->value_count, cap, sizeof *f->values);
        f->docs = arena_grow(&ix->arena, f->docs, f->value_count, cap, sizeof *f->docs);
        f->doc_counts = arena_grow(&ix->arena, f->doc_counts, f->value_count, cap, sizeof(size_t));
        f->doc_caps = arena_grow(&ix->arena, f->doc_caps, f->value_count, cap, sizeof(size_t));
        f->value_cap = cap;
    }
    const char *copy = arena_strdup(&ix->arena, title);
    f->values[f->value_count] = copy;
    strmap_put(&f->positions, copy, (void *)(uintptr_t)(f->value_count + 1));
    return (uint32_t)f->value_count++;
}

static facet_list *facet_named(index_builder *ix, const char *name)
{
    for (size_t i = 0; i < ix->facet_count; i++)
        if (strcmp(ix->facets[i].name, name) == 0)
            return &ix->facets[i];
    return NULL;
}

index_builder *index_new(const site *s)
{
    index_builder *ix = calloc(1, sizeof *ix);
    if (ix == NULL)
        abort();
    ix->site = s;
    ix->words = words_new();
    ix->fold = (buf)BUF_INIT;
    /* The kind of page first, then every facet of the collections. */
    size_t most = 1;
    for (size_t i = 0; i < s->config.collection_count; i++)
        most += s->config.collections[i].facet_count;
    ix->facets = arena_alloc(&ix->arena, most * sizeof *ix->facets);
    ix->facets[ix->facet_count++] = (facet_list){.name = "kind", .title = "Soort pagina"};
    for (size_t i = 0; i < s->config.collection_count; i++) {
        const collection *c = &s->config.collections[i];
        for (size_t k = 0; k < c->facet_count; k++)
            if (facet_named(ix, c->facets[k].field->name) == NULL)
                ix->facets[ix->facet_count++] =
                    (facet_list){.name = c->facets[k].field->name, .title = c->facets[k].title};
    }
    return ix;
}

void index_free(index_builder *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->term_count; i++)
        free(ix->term_list[i]->postings);
    free(ix->term_list);
    for (size_t i = 0; i < ix->doc_count; i++)
        free(ix->docs[i].facets);
    free(ix->docs);
    for (size_t i = 0; i < ix->facet_count; i++) {
        for (size_t v = 0; v < ix->facets[i].value_count; v++)
            free(ix->facets[i].docs[v]);
        strmap_free(&ix->facets[i].positions);
    }
    strmap_free(&ix->vocabulary);
    strmap_free(&ix->terms);
    words_free(ix->words);
    buf_free(&ix->fold);
    arena_free(&ix->arena);
    free(ix);
}

typedef struct adding {
    index_builder *ix;
    uint32_t doc;
    uint32_t section;
    int weight;
} adding;

/* One word of the current document: fold, stem, count. */
static void add_word(void *ctx, const char *word, size_t len, size_t offset)
{
    (void)offset;
    adding *ad = ctx;
    index_builder *ix = ad->ix;
    if (len > WORDS_MAX_LENGTH)
        return;
    buf_clear(&ix->fold);
    if (words_fold(word, len, &ix->fold) < 0 || ix->fold.len == 0)
        return;
    const char *stem = strmap_get(&ix->vocabulary, ix->fold.data);
    if (stem == NULL) {
        size_t stem_len;
        const char *s = words_stem(ix->words, ix->fold.data, ix->fold.len, &stem_len);
        stem = arena_strndup(&ix->arena, s, stem_len);
        strmap_put(&ix->vocabulary, arena_strndup(&ix->arena, ix->fold.data, ix->fold.len),
                   (void *)stem);
    }
    term *t = strmap_get(&ix->terms, stem);
    if (t == NULL) {
        t = arena_alloc(&ix->arena, sizeof *t);
        t->stem = stem;
        strmap_put(&ix->terms, stem, t);
        if (ix->term_count == ix->term_cap) {
            ix->term_cap = ix->term_cap ? ix->term_cap * 2 : 1024;
            ix->term_list = realloc(ix->term_list, ix->term_cap * sizeof *ix->term_list);
            if (ix->term_list == NULL)
                abort();
        }
        ix->term_list[ix->term_count++] = t;
    }
    posting *p = t->count ? &t->postings[t->count - 1] : NULL;
    if (p == NULL || p->doc != ad->doc) {
        if (t->count == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 4;
            t->postings = realloc(t->postings, t->cap * sizeof *t->postings);
            if (t->postings == NULL)
                abort();
        }
        p = &t->postings[t->count++];
        *p = (posting){.doc = ad->doc, .section = ad->section};
    }
    p->tf += (float)ad->weight;
    if (p->section != ad->section) {
        p->section = ad->section;
        p->section_count = 0;
    }
    if (++p->section_count > p->best_count) {
        p->best_count = p->section_count;
        p->best_section = p->section;
    }
    ix->docs[ad->doc].length += ad->weight;
}

static void add_text(adding *ad, const char *text, size_t len, uint32_t section, int weight)
{
    ad->section = section;
    ad->weight = weight;
    words_split(text, len, add_word, ad);
}

/* ---------- plain text from the Markdown's HTML ---------- */

typedef struct section {
    buf anchor, heading, text;
} section;

static void append_decoded(buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '&') {
            buf_append_char(out, s[i]);
            continue;
        }
        static const struct {
            const char *name, *text;
        } entities[] = {{"&amp;", "&"}, {"&lt;", "<"},  {"&gt;", ">"},
                        {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}};
        bool done = false;
        for (size_t k = 0; k < sizeof entities / sizeof *entities && !done; k++) {
            size_t n = strlen(entities[k].name);
            if (i + n <= len && strncmp(s + i, entities[k].name, n) == 0) {
                buf_append_str(out, entities[k].text);
                i += n - 1;
                done = true;
            }
        }
        if (!done)
            buf_append_char(out, '&');
    }
}

/* Inline elements join their text to the words around them; every other tag
 * separates words. */
static bool is_inline_tag(const char *tag, size_t len)
{
    static const char *const inline_tags[] = {"a", "em", "strong", "code", "del", "abbr",
                                              "span", "sup", "sub", "mark", NULL};
    size_t i = tag[1] == '/' ? 2 : 1, start = i;
    while (i < len && tag[i] != ' ' && tag[i] != '>' && tag[i] != '/')
        i++;
    for (const char *const *t = inline_tags; *t; t++)
        if (strlen(*t) == i - start && strncasecmp(*t, tag + start, i - start) == 0)
            return true;
    return false;
}

/* Splits the HTML into sections at headings with an id. Returns the count;
 * the caller frees the sections. */
static size_t split_sections(const char *html, size_t len, section **out)
{
    size_t count = 1, cap = 8;
    section *sections = calloc(cap, sizeof *sections);
    if (sections == NULL)
        abort();
    bool in_heading = false;
    const char *p = html, *end = html + len;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        const char *text_end = lt ? lt : end;
        section *cur = &sections[count - 1];
        append_decoded(in_heading ? &cur->heading : &cur->text, p, (size_t)(text_end - p));
        if (lt == NULL)
            break;
        const char *gt = memchr(lt, '>', (size_t)(end - lt));
        const char *tag_end = gt ? gt + 1 : end;
        size_t tag_len = (size_t)(tag_end - lt);
        if (tag_len > 4 && lt[1] == 'h' && lt[2] >= '1' && lt[2] <= '6' &&
            strncmp(lt + 3, " id=\"", 5) == 0) {
            const char *id = lt + 8, *id_end = memchr(id, '"', (size_t)(tag_end - id));
            if (count == cap) {
                cap *= 2;
                sections = realloc(sections, cap * sizeof *sections);
                if (sections == NULL)
                    abort();
            }
            cur = &sections[count++];
            memset(cur, 0, sizeof *cur);
            if (id_end)
                buf_append(&cur->anchor, id, (size_t)(id_end - id));
            in_heading = true;
        } else if (tag_len > 4 && lt[1] == '/' && lt[2] == 'h' && lt[3] >= '1' && lt[3] <= '6') {
            in_heading = false;
        } else if (!is_inline_tag(lt, tag_len)) {
            buf_append_char(in_heading ? &cur->heading : &cur->text, ' ');
        }
        p = tag_end;
    }
    *out = sections;
    return count;
}

/* Runs of white space become one space; the ends are trimmed. */
static void squeeze(buf *b)
{
    size_t w = 0;
    bool space = true;
    for (size_t r = 0; r < b->len; r++) {
        char c = b->data[r];
        bool is_space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (is_space) {
            if (!space)
                b->data[w++] = ' ';
            space = true;
        } else {
            b->data[w++] = c;
            space = false;
        }
    }
    if (w > 0 && b->data[w - 1] == ' ')
        w--;
    b->len = w;
    if (b->cap)
        b->data[w] = '\0';
}

/* The facet values of a page: its kind, then each facet field. */
static void add_facets(index_builder *ix, const page *p, doc_entry *d, uint32_t doc)
{
    size_t cap = 4;
    d->facets = malloc(cap * sizeof *d->facets);
    if (d->facets == NULL)
        abort();
    for (size_t i = 0; i < ix->facet_count; i++) {
        facet_list *f = &ix->facets[i];
        const value *v = NULL;
        const char *kind = NULL;
        if (i == 0)
            kind = p->collection->list_title ? p->collection->list_title : "Pagina's";
        else if (config_field(p->collection, f->name) != NULL)
            v = value_map_get_str(p->data ? p->data : p->front_matter, f->name);
        size_t n = kind ? 1 : v == NULL ? 0 : v->kind == VALUE_LIST ? v->as.list.count : 1;
        for (size_t k = 0; k < n; k++) {
            const value *item = v && v->kind == VALUE_LIST ? v->as.list.items[k] : v;
            buf title = BUF_INIT;
            if (kind)
                buf_append_str(&title, kind);
            else if (item->kind == VALUE_MAP) /* a reference */
                value_append_text(&title, value_map_get_str(item, "title"));
            else
                value_append_text(&title, item);
            if (title.len > 0) {
                uint32_t pos = facet_value_position(ix, f, title.data);
                if (d->facet_count == cap) {
                    cap *= 2;
                    d->facets = realloc(d->facets, cap * sizeof *d->facets);
                    if (d->facets == NULL)
                        abort();
                }
                d->facets[d->facet_count][0] = (uint32_t)i;
                d->facets[d->facet_count++][1] = pos;
                if (f->doc_counts[pos] == f->doc_caps[pos]) {
                    f->doc_caps[pos] = f->doc_caps[pos] ? f->doc_caps[pos] * 2 : 8;
                    f->docs[pos] = realloc(f->docs[pos], f->doc_caps[pos] * sizeof(uint32_t));
                    if (f->docs[pos] == NULL)
                        abort();
                }
                if (f->doc_counts[pos] == 0 || f->docs[pos][f->doc_counts[pos] - 1] != doc)
                    f->docs[pos][f->doc_counts[pos]++] = doc;
            }
            buf_free(&title);
        }
    }
}

int index_add_page(index_builder *ix, const page *p, const char *url, const char *html,
                   size_t html_len, publisher *pub, diag_list *diags)
{
    if (ix->doc_count == ix->doc_cap) {
        ix->doc_cap = ix->doc_cap ? ix->doc_cap * 2 : 256;
        ix->docs = realloc(ix->docs, ix->doc_cap * sizeof *ix->docs);
        if (ix->docs == NULL)
            abort();
    }
    uint32_t doc = (uint32_t)ix->doc_count++;
    doc_entry *d = &ix->docs[doc];
    *d = (doc_entry){.url = arena_strdup(&ix->arena, url),
                     .title = arena_strdup(&ix->arena, p->title)};
    add_facets(ix, p, d, doc);

    section *sections;
    size_t count = split_sections(html, html_len, &sections);
    /* Front matter text (a summary, a school's board, a term's definition)
     * belongs to the top of the page. */
    const value *fm = p->front_matter;
    for (size_t i = 0; i < fm->as.map.count; i++) {
        const value_entry *e = &fm->as.map.entries[i];
        const field *f = config_field(p->collection, e->key);
        bool text_field = f ? (f->type == FIELD_STRING || f->type == FIELD_TEXT ||
                               (f->type == FIELD_LIST && f->item_type == FIELD_STRING))
                            : e->value->kind == VALUE_STRING;
        if (!text_field || strcmp(e->key, "title") == 0 || strcmp(e->key, "layout") == 0)
            continue;
        const value *v = e->value;
        size_t n = v->kind == VALUE_LIST ? v->as.list.count : 1;
        for (size_t k = 0; k < n; k++) {
            const value *item = v->kind == VALUE_LIST ? v->as.list.items[k] : v;
            if (item->kind == VALUE_STRING) {
                buf_append_char(&sections[0].text, ' ');
                buf_append(&sections[0].text, item->as.string.text, item->as.string.len);
            }
        }
    }
    adding ad = {ix, doc, 0, WEIGHT_TITLE};
    add_text(&ad, p->title, strlen(p->title), 0, WEIGHT_TITLE);
    buf json = BUF_INIT;
    buf_append_char(&json, '[');
    for (size_t i = 0; i < count; i++) {
        squeeze(&sections[i].heading);
        squeeze(&sections[i].text);
        add_text(&ad, sections[i].heading.data, sections[i].heading.len, (uint32_t)i,
                 WEIGHT_HEADING);
        add_text(&ad, sections[i].text.data, sections[i].text.len, (uint32_t)i, WEIGHT_BODY);
        buf_append_str(&json, i ? ",\n{\"anchor\":" : "{\"anchor\":");
        json_string(&json, sections[i].anchor.data, sections[i].anchor.len);
        buf_append_str(&json, ",\"heading\":");
        json_string(&json, sections[i].heading.data, sections[i].heading.len);
        buf_append_str(&json, ",\"text\":");
        json_string(&json, sections[i].text.data, sections[i].text.len);
        buf_append_char(&json, '}');
        buf_free(&sections[i].anchor);
        buf_free(&sections[i].heading);
        buf_free(&sections[i].text);
    }
    free(sections);
    buf_append_str(&json, "]\n");
    char path[64];
    snprintf(path, sizeof path, INDEX_FOLDER "/text/%u.json", (unsigned)doc);
    int status = publish_write(pub, path, json.data, json.len, diags);
    buf_free(&json);
    return status;
}

/* ---------- writing ---------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes one JSON object per shard from sorted keys; value_fn appends the
 * value of a key. */
typedef void (*value_writer)(index_builder *ix, buf *out, const char *key);

static int write_shards(index_builder *ix, const char *folder, const char **keys, size_t count,
                        value_writer write_value, publisher *pub, diag_list *diags)
{
    int status = 0;
    buf json = BUF_INIT;
    size_t i = 0;
    while (i < count) {
        char shard[3];
        shard_of(keys[i], shard);
        buf_clear(&json);
        buf_append_char(&json, '{');
        for (size_t first = i; i < count; i++) {
            char other[3];
            shard_of(keys[i], other);
            if (strcmp(other, shard) != 0)
                break;
            buf_append_str(&json, i > first ? ",\n" : "");
            json_cstring(&json, keys[i]);
            buf_append_char(&json, ':');
            write_value(ix, &json, keys[i]);
        }
        buf_append_str(&json, "}\n");
        char path[96];
        snprintf(path, sizeof path, INDEX_FOLDER "/%s/%s.json", folder, shard);
        if (publish_write(pub, path, json.data, json.len, diags) < 0)
            status = -1;
    }
    buf_free(&json);
    return status;
}

/* Keys grouped by shard: sorting by shard name first keeps each shard's keys
 * together ("_" holds every key that starts with something else). */
static int compare_by_shard(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    char sx[3], sy[3];
    shard_of(x, sx);
    shard_of(y, sy);
    int c = strcmp(sx, sy);
    return c ? c : strcmp(x, y);
}

static void write_stem(index_builder *ix, buf *out, const char *word)
{
    json_cstring(out, strmap_get(&ix->vocabulary, word));
}

static void write_postings(index_builder *ix, buf *out, const char *stem)
{
    const term *t = strmap_get(&ix->terms, stem);
    double n = (double)ix->doc_count, df = (double)t->count;
    double idf = log(1.0 + (n - df + 0.5) / (df + 0.5));
    buf_append_char(out, '[');
    for (size_t i = 0; i < t->count; i++) {
        const posting *p = &t->postings[i];
        double dl = ix->docs[p->doc].length;
        double tf = p->tf;
        double score =
            idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / ix->average_length));
        buf_printf(out, "%s[%u,%.3f,%u]", i ? "," : "", (unsigned)p->doc, score,
                   (unsigned)p->best_section);
    }
    buf_append_char(out, ']');
}

static const char **sorted_keys(const strmap *map, size_t *count)
{
    const char **keys = malloc((map->count + 1) * sizeof *keys);
    if (keys == NULL)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < map->cap; i++)
        if (map->entries[i].key != NULL)
            keys[n++] = map->entries[i].key;
    qsort(keys, n, sizeof *keys, compare_by_shard);
    *count = n;
    return keys;
}

typedef struct word_count {
    size_t count;
    buf first; /* the first word */
} word_count;

static void count_word(void *ctx, const char *word, size_t len, size_t offset)
{
    (void)offset;
    word_count *wc = ctx;
    if (wc->count++ == 0)
        buf_append(&wc->first, word, len);
}

/* The folded form of text when it is one word ("IB'er" -> "iber"); -1 for a
 * phrase, which the search finds by its words. */
static int single_word_folded(const char *text, buf *out)
{
    word_count wc = {0, BUF_INIT};
    words_split(text, strlen(text), count_word, &wc);
    int status =
        wc.count == 1 && words_fold(wc.first.data, wc.first.len, out) == 0 && out->len > 0 ? 0 : -1;
    buf_free(&wc.first);
    return status;
}

typedef struct stem_collector {
    index_builder *ix;
    buf *terms; /* JSON strings, comma-separated */
} stem_collector;

static void collect_stem(void *ctx, const char *word, size_t len, size_t offset)
{
    (void)offset;
    stem_collector *sc = ctx;
    buf folded = BUF_INIT, quoted = BUF_INIT;
    if (words_fold(word, len, &folded) == 0 && folded.len > 0) {
        size_t stem_len;
        const char *stem = words_stem(sc->ix->words, folded.data, folded.len, &stem_len);
        json_string(&quoted, stem, stem_len);
        if (strstr(sc->terms->data, quoted.data) == NULL)
            buf_printf(sc->terms, "%s%s", sc->terms->len ? "," : "", quoted.data);
    }
    buf_free(&folded);
    buf_free(&quoted);
}

/* Synonyms from the glossary: each term's abbreviation and synonyms stand for
 * its title, and the title for its abbreviation. Keys are folded words (the
 * first word of a phrase), values the terms of the other forms. */
static void write_synonyms(index_builder *ix, buf *out)
{
    const glossary *g = &ix->site->config.glossary;
    strmap map = STRMAP_INIT; /* folded form -> buf* of JSON terms */
    const char **forms = NULL;
    size_t form_count = 0;
    buf_append_str(out, "{");
    for (size_t i = 0; g->terms && i < ix->site->page_count; i++) {
        const page *p = ix->site->pages[i];
        if (p->collection != g->terms || p->source_path == NULL)
            continue;
        /* All surface forms of the term: title, abbreviation, synonyms. */
        const char *list[64];
        size_t n = 0;
        list[n++] = p->title;
        const value *abbr =
            g->abbreviation_field ? value_map_get_str(p->front_matter, g->abbreviation_field) : NULL;
        if (abbr && abbr->kind == VALUE_STRING)
            list[n++] = abbr->as.string.text;
        const value *syn = value_map_get_str(p->front_matter, "synonyms");
        for (size_t k = 0; syn && syn->kind == VALUE_LIST && k < syn->as.list.count && n < 64; k++)
            if (syn->as.list.items[k]->kind == VALUE_STRING)
                list[n++] = syn->as.list.items[k]->as.string.text;
        /* list[0] is the title, list[1] the abbreviation when has_abbr. Each
         * other form stands for the title; the title for the abbreviation. */
        bool has_abbr = abbr && abbr->kind == VALUE_STRING;
        for (size_t a = 0; a < n; a++) {
            size_t b = a == 0 ? 1 : 0;
            if (a == 0 && !has_abbr)
                continue;
            buf key = BUF_INIT;
            if (single_word_folded(list[a], &key) < 0) {
                buf_free(&key); /* phrases are found by their words */
                continue;
            }
            buf *terms = strmap_get(&map, key.data);
            if (terms == NULL) {
                terms = arena_alloc(&ix->arena, sizeof *terms);
                *terms = (buf)BUF_INIT;
                const char *stored = arena_strndup(&ix->arena, key.data, key.len);
                strmap_put(&map, stored, terms);
                forms = realloc(forms, (form_count + 1) * sizeof *forms);
                if (forms == NULL)
                    abort();
                forms[form_count++] = stored;
            }
            /* Each word of the other form, as a term. */
            stem_collector sc = {ix, terms};
            words_split(list[b], strlen(list[b]), collect_stem, &sc);
            buf_free(&key);
        }
    }
    if (form_count > 0)
        qsort(forms, form_count, sizeof *forms, compare_strings);
    for (size_t i = 0; i < form_count; i++) {
        buf *terms = strmap_get(&map, forms[i]);
        buf_append_str(out, i ? ",\n" : "\n");
        json_cstring(out, forms[i]);
        buf_printf(out, ":[%s]", terms->data);
        buf_free(terms);
    }
    buf_append_str(out, "}");
    free(forms);
    strmap_free(&map);
}

int index_finish(index_builder *ix, publisher *pub, diag_list *diags)
{
    int status = 0;
    double total = 0;
    for (size_t i = 0; i < ix->doc_count; i++)
        total += ix->docs[i].length;
    ix->average_length = ix->doc_count && total > 0 ? total / (double)ix->doc_count : 1;

    size_t count;
    const char **keys = sorted_keys(&ix->vocabulary, &count);
    if (write_shards(ix, "vocabulary", keys, count, write_stem, pub, diags) < 0)
        status = -1;
    free(keys);
    keys = sorted_keys(&ix->terms, &count);
    if (write_shards(ix, "terms", keys, count, write_postings, pub, diags) < 0)
        status = -1;
    free(keys);

    buf json = BUF_INIT;
    for (size_t chunk = 0; chunk * 64 < ix->doc_count; chunk++) {
        buf_clear(&json);
        buf_append_char(&json, '[');
        for (size_t d = chunk * 64; d < ix->doc_count && d < chunk * 64 + 64; d++) {
            const doc_entry *e = &ix->docs[d];
            buf_append_str(&json, d > chunk * 64 ? ",\n{\"url\":" : "{\"url\":");
            json_cstring(&json, e->url);
            buf_append_str(&json, ",\"title\":");
            json_cstring(&json, e->title);
            buf_append_str(&json, ",\"facets\":[");
            for (size_t k = 0; k < e->facet_count; k++)
                buf_printf(&json, "%s[%u,%u]", k ? "," : "", (unsigned)e->facets[k][0],
                           (unsigned)e->facets[k][1]);
            buf_append_str(&json, "]}");
        }
        buf_append_str(&json, "]\n");
        char path[64];
        snprintf(path, sizeof path, INDEX_FOLDER "/documents/%zu.json", chunk);
        if (publish_write(pub, path, json.data, json.len, diags) < 0)
            status = -1;
    }

    buf_clear(&json);
    buf_append_char(&json, '{');
    for (size_t i = 0; i < ix->facet_count; i++) {
        const facet_list *f = &ix->facets[i];
        buf_append_str(&json, i ? ",\n" : "");
        json_cstring(&json, f->name);
        buf_append_str(&json, ":[");
        for (size_t v = 0; v < f->value_count; v++) {
            buf_append_str(&json, v ? ",[" : "[");
            for (size_t k = 0; k < f->doc_counts[v]; k++)
                buf_printf(&json, "%s%u", k ? "," : "", (unsigned)f->docs[v][k]);
            buf_append_char(&json, ']');
        }
        buf_append_char(&json, ']');
    }
    buf_append_str(&json, "}\n");
    if (publish_write(pub, INDEX_FOLDER "/facets.json", json.data, json.len, diags) < 0)
        status = -1;

    buf_clear(&json);
    buf_printf(&json, "{\"version\":1,\"documents\":%zu,\"facets\":[", ix->doc_count);
    for (size_t i = 0; i < ix->facet_count; i++) {
        const facet_list *f = &ix->facets[i];
        buf_append_str(&json, i ? ",\n{\"name\":" : "\n{\"name\":");
        json_cstring(&json, f->name);
        buf_append_str(&json, ",\"title\":");
        json_cstring(&json, f->title);
        buf_append_str(&json, ",\"values\":[");
        for (size_t v = 0; v < f->value_count; v++) {
            buf_append_str(&json, v ? "," : "");
            json_cstring(&json, f->values[v]);
        }
        buf_append_str(&json, "]}");
    }
    buf_append_str(&json, "],\n\"synonyms\":");
    write_synonyms(ix, &json);
    buf_append_str(&json, "}\n");
    if (publish_write(pub, INDEX_FOLDER "/meta.json", json.data, json.len, diags) < 0)
        status = -1;
    buf_free(&json);
    return status;
}
