#include "index.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libdeflate.h>

#include "arena.h"
#include "buf.h"
#include "record.h"
#include "strmap.h"
#include "words.h"

/* BM25F: each field's count is normalized by that field's length before the
 * weighted counts are added up, so a title match is not worth less on a long
 * page. A word in the title counts five times, in a heading twice. Titles
 * vary little in length, so their length counts little; bodies range from a
 * two-line glossary term to a long practice example, and the usual b of 0.75
 * would put every short page that mentions a word above the article about it. */
enum field_kind { FIELD_TITLE, FIELD_HEADING, FIELD_BODY, FIELD_KINDS };
static const double FIELD_WEIGHT[FIELD_KINDS] = {5, 2, 1};
static const double FIELD_B[FIELD_KINDS] = {0.2, 0.5, 0.5};
#define BM25_K1 1.2

/* A score is stored as a multiple of its term's largest score / 31, so that
 * it takes one packed digit; 3% steps do not change a ranking anyone sees. */
enum { SCORE_STEPS = 31 };
/* A term whose packed postings are longer than this gets a file of its own,
 * so that a query for a rare word does not download a common word's list. */
enum { OWN_FILE_BYTES = 1024 };
/* The fastest level: level 6 makes the files only 5% smaller. */
enum { DOCUMENT_GZIP_LEVEL = 1 };

typedef struct posting {
    uint32_t doc;
    float tf[FIELD_KINDS];  /* uses in each field */
    uint32_t best_section;  /* the section with the most uses */
} posting;

/* A term's postings are a chain of blocks from the builder's arena, each
 * (up to a limit) twice as large as the one before: adding a posting never
 * moves the others, and the postings of a part built in another thread are
 * appended by linking its chain. */
typedef struct posting_block {
    struct posting_block *next;
    uint32_t count, cap;
    posting items[];
} posting_block;

/* The largest block: 256 KiB of postings. */
enum { POSTING_BLOCK_MAX = 1 << 14 };

typedef struct term {
    const char *stem;
    uint32_t id; /* its place in terms_by_id */
    posting_block *first, *last;
    size_t count;     /* postings in all blocks */
    posting_block *merged; /* malloc'ed by merge_postings: its one block, or NULL */
    /* Its entry in the document being added (see doc_term): */
    uint32_t slot;
    uint32_t slot_doc; /* that document + 1 */
} term;

/* A term's uses in the document being added. They are counted here, in a
 * small array that stays in the cache, and become the term's posting when
 * the document is done (flush_document_terms). */
typedef struct doc_term {
    term *term;
    float tf[FIELD_KINDS];
    uint32_t section;       /* the section being counted now */
    uint32_t section_count; /* uses in it so far */
    uint32_t best_count;    /* uses in the best section so far */
    uint32_t best_section;
} doc_term;

/* Walks a term's postings in order. */
typedef struct posting_cursor {
    const posting_block *block;
    uint32_t at;
} posting_cursor;

static posting_cursor postings_of(const term *t)
{
    return (posting_cursor){t->first, 0};
}

/* The next posting, or NULL after the last. */
static posting *next_posting(posting_cursor *c)
{
    while (c->block != NULL && c->at == c->block->count) {
        c->block = c->block->next;
        c->at = 0;
    }
    return c->block ? (posting *)&c->block->items[c->at++] : NULL;
}

/* A folded word of the content and the term its stem makes. */
typedef struct vocabulary_word {
    term *term;
    uint32_t id;       /* its place in words_by_id */
    uint32_t last_doc; /* the last document that used it, + 1 */
    uint32_t len;
    char folded[];     /* NUL-terminated; here, so a lookup reads one place */
} vocabulary_word;

/* The vocabulary by folded word, for add_word, which looks up every word of
 * every page: the hash and length are checked before the bytes. (The strmap
 * vocabulary serves the rest.) */
typedef struct vocabulary_slot {
    uint64_t hash;
    vocabulary_word *word;
} vocabulary_slot;

/* A growable list of numbers. */
typedef struct number_list {
    uint32_t *items;
    size_t count, cap;
} number_list;

/* A growable list of pointers, each item's index its id. */
typedef struct pointer_list {
    void **items;
    size_t count, cap;
} pointer_list;

/* Appends item; returns its index. */
static uint32_t pointer_push(pointer_list *l, void *item)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (l->items == NULL)
            abort();
    }
    l->items[l->count] = item;
    return (uint32_t)l->count++;
}

static void *zeroed(size_t count, size_t size)
{
    void *p = calloc(count, size);
    if (p == NULL)
        abort();
    return p;
}

static void number_push(number_list *l, uint32_t n)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (l->items == NULL)
            abort();
    }
    l->items[l->count++] = n;
}

typedef struct facet_list {
    const char *name, *title;
    const char **values; /* by position */
    size_t value_count, value_cap;
    strmap positions; /* value title -> position + 1 */
    uint32_t **docs;  /* per value: document ids */
    size_t *doc_counts, *doc_caps;
} facet_list;

typedef struct doc_entry {
    double length[FIELD_KINDS]; /* words in each field */
    /* What the document adds to the index, kept for the build record so that
     * the next build can add it again without the page's HTML: */
    record_hash file;  /* hash of its docs/N.json.gz */
    uint32_t *words;   /* ids of the words it uses */
    uint32_t *uses;    /* ids of the terms it has a posting of, in the order made */
    uint32_t word_count, use_count;
} doc_entry;

/* The index part of the previous build's record (see index_use_previous). */
typedef struct previous_index {
    const record *record;
    const char **words; /* folded words by id */
    uint32_t *word_terms; /* their term ids */
    const char **stems;   /* terms by id */
    uint32_t *term_sizes; /* their postings then: room to make at once */
    record_reader *docs;  /* each document's entry */
    size_t word_count, term_count, doc_count;
    vocabulary_word **word_now; /* previous word id -> this build's word, or NULL */
    term **term_now;            /* previous term id -> this build's term, or NULL */
} previous_index;

struct index_builder {
    const site *site;
    arena arena;
    words *words;
    strmap vocabulary; /* folded word -> vocabulary_word */
    vocabulary_slot *slots; /* the same, for add_word: open addressing */
    size_t slot_cap;        /* a power of two, at least twice the words */
    doc_term *doc_terms;    /* the document being added: its terms */
    size_t doc_term_count, doc_term_cap;
    strmap terms;      /* stem -> term */
    pointer_list words_by_id; /* vocabulary_word* by id */
    pointer_list terms_by_id; /* term* by id */
    number_list doc_words, doc_uses; /* the document being added */
    previous_index previous;
    doc_entry *docs;
    size_t doc_count, doc_cap;
    struct libdeflate_compressor *gzip;
    buf gzipped, packed; /* scratch */
    unsigned own_files;  /* postings files written */
    publisher *pub;      /* while index_finish writes */
    diag_list *diags;
    int status;
    facet_list *facets;
    size_t facet_count;
    buf fold;              /* scratch */
    double average_length[FIELD_KINDS]; /* of the documents, for BM25F */
    size_t first_document; /* a part's first (index_new_part); 0 otherwise */
};

/* ---------- JSON ---------- */

/* A JSON string that is also safe inside HTML and JavaScript source: control
 * characters, U+2028/U+2029 and "</" are escaped. */
static void json_string(buf *out, const char *s, size_t len)
{
    buf_append_char(out, '"');
    size_t run = 0; /* bytes before i that need no escaping, not yet copied */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = c >= 0x20 && c != 0x7F && c != '"' && c != '\\' && c != 0xE2 && c != '/';
        if (plain) {
            run++;
            continue;
        }
        buf_append(out, s + i - run, run);
        run = 0;
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
    buf_append(out, s + len - run, run);
    buf_append_char(out, '"');
}

static void json_cstring(buf *out, const char *s)
{
    json_string(out, s, strlen(s));
}

/* Packed numbers: base-64 digits, five bits each, most significant first;
 * every digit but a number's last has 32 added. Small numbers take one byte
 * and need no separator, unlike JSON arrays of numbers. */
static const char PACK_DIGITS[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

static void pack_number(buf *out, uint32_t n)
{
    char groups[7];
    size_t count = 0;
    do {
        groups[count++] = (char)(n & 31);
        n >>= 5;
    } while (n != 0);
    while (count > 1)
        buf_append_char(out, PACK_DIGITS[groups[--count] | 32]);
    buf_append_char(out, PACK_DIGITS[(int)groups[0]]);
}

/* A sorted list of documents, packed: each number is the gap to the previous
 * document (the first counts from -1), and a 0 is followed by the length of
 * a run of documents that each follow the previous one. */
static void pack_documents(buf *out, const uint32_t *docs, size_t count)
{
    int64_t previous = -1;
    for (size_t i = 0; i < count;) {
        size_t run = 0;
        while (i + run < count && (int64_t)docs[i + run] == previous + 1 + (int64_t)run)
            run++;
        if (run >= 3) {
            pack_number(out, 0);
            pack_number(out, (uint32_t)run);
            previous += (int64_t)run;
            i += run;
        } else {
            pack_number(out, (uint32_t)((int64_t)docs[i] - previous));
            previous = docs[i++];
        }
    }
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
    ix->gzipped = (buf)BUF_INIT;
    ix->packed = (buf)BUF_INIT;
    ix->gzip = libdeflate_alloc_compressor(DOCUMENT_GZIP_LEVEL);
    if (ix->gzip == NULL)
        abort();
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

index_builder *index_new_part(const site *s, size_t first_document)
{
    index_builder *ix = index_new(s);
    /* Entries before first_document stay empty: the part's documents keep
     * the numbers they will have in the whole index. */
    ix->doc_cap = first_document + 256;
    ix->docs = calloc(ix->doc_cap, sizeof *ix->docs);
    if (ix->docs == NULL)
        abort();
    ix->doc_count = first_document;
    ix->first_document = first_document;
    return ix;
}

void index_free(index_builder *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->terms.cap; i++)
        if (ix->terms.entries[i].key != NULL)
            free(((term *)ix->terms.entries[i].value)->merged);
    free(ix->docs);
    free(ix->words_by_id.items);
    free(ix->terms_by_id.items);
    free(ix->doc_words.items);
    free(ix->doc_uses.items);
    free(ix->slots);
    free(ix->doc_terms);
    free(ix->previous.words);
    free(ix->previous.word_terms);
    free(ix->previous.stems);
    free(ix->previous.term_sizes);
    free(ix->previous.docs);
    free(ix->previous.word_now);
    free(ix->previous.term_now);
    libdeflate_free_compressor(ix->gzip);
    buf_free(&ix->gzipped);
    buf_free(&ix->packed);
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
    enum field_kind field;
} adding;

static void add_facets(index_builder *ix, const page *p, uint32_t doc);

/* The term of stem, made when new. */
static term *intern_term(index_builder *ix, const char *stem, size_t len)
{
    buf_clear(&ix->packed);
    buf_append(&ix->packed, stem, len);
    term *t = strmap_get(&ix->terms, ix->packed.data);
    if (t != NULL)
        return t;
    t = arena_alloc(&ix->arena, sizeof *t);
    t->stem = arena_strndup(&ix->arena, stem, len);
    t->id = pointer_push(&ix->terms_by_id, t);
    strmap_put(&ix->terms, t->stem, t);
    return t;
}

/* FNV-1a, 64 bits. */
static uint64_t hash_word(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

/* The slot of the word (folded, len) with hash h: its own, or the empty
 * one where it would go. */
static vocabulary_slot *word_slot(const index_builder *ix, const char *folded, size_t len,
                                  uint64_t h)
{
    for (size_t i = h & (ix->slot_cap - 1);; i = (i + 1) & (ix->slot_cap - 1)) {
        vocabulary_slot *slot = &ix->slots[i];
        if (slot->word == NULL || (slot->hash == h && slot->word->len == len &&
                                   memcmp(slot->word->folded, folded, len) == 0))
            return slot;
    }
}

static void add_slot(index_builder *ix, vocabulary_word *w)
{
    if (2 * (ix->words_by_id.count + 1) > ix->slot_cap) {
        size_t old_cap = ix->slot_cap;
        vocabulary_slot *old = ix->slots;
        ix->slot_cap = old_cap ? 2 * old_cap : 1024;
        ix->slots = zeroed(ix->slot_cap, sizeof *ix->slots);
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].word != NULL)
                *word_slot(ix, old[i].word->folded, old[i].word->len, old[i].hash) = old[i];
        free(old);
    }
    uint64_t h = hash_word(w->folded, w->len);
    *word_slot(ix, w->folded, w->len, h) = (vocabulary_slot){h, w};
}

static vocabulary_word *add_vocabulary_word(index_builder *ix, const char *folded, size_t len,
                                            term *t)
{
    vocabulary_word *w = arena_alloc(&ix->arena, sizeof *w + len + 1);
    memcpy(w->folded, folded, len);
    w->folded[len] = '\0';
    w->len = (uint32_t)len;
    w->term = t;
    add_slot(ix, w);
    w->id = pointer_push(&ix->words_by_id, w);
    strmap_put(&ix->vocabulary, w->folded, w);
    return w;
}

/* Notes that document doc uses word w (once per document). */
static void use_word(index_builder *ix, vocabulary_word *w, uint32_t doc)
{
    if (w->last_doc != doc + 1) {
        w->last_doc = doc + 1;
        number_push(&ix->doc_words, w->id);
    }
}

/* Adds a block for at least room more postings to t's chain. */
static void add_block(index_builder *ix, term *t, size_t room)
{
    size_t cap = t->last ? 2 * (size_t)t->last->cap : 4;
    if (cap > POSTING_BLOCK_MAX)
        cap = POSTING_BLOCK_MAX;
    if (cap < room)
        cap = room;
    posting_block *b = arena_alloc_raw(&ix->arena, sizeof *b + cap * sizeof(posting));
    *b = (posting_block){.cap = (uint32_t)cap};
    if (t->last != NULL)
        t->last->next = b;
    else
        t->first = b;
    t->last = b;
}

/* A new posting of t for document doc, noted as one of doc's uses. */
static posting *add_posting(index_builder *ix, term *t, uint32_t doc)
{
    if (t->last == NULL || t->last->count == t->last->cap)
        add_block(ix, t, 1);
    number_push(&ix->doc_uses, t->id);
    posting *p = &t->last->items[t->last->count++];
    t->count++;
    *p = (posting){.doc = doc};
    return p;
}

/* Starts a document: its entry, and its facets. */
static uint32_t begin_document(index_builder *ix, const page *p)
{
    if (ix->doc_count == ix->doc_cap) {
        ix->doc_cap = ix->doc_cap ? ix->doc_cap * 2 : 256;
        ix->docs = realloc(ix->docs, ix->doc_cap * sizeof *ix->docs);
        if (ix->docs == NULL)
            abort();
    }
    uint32_t doc = (uint32_t)ix->doc_count++;
    ix->docs[doc] = (doc_entry){0};
    ix->doc_words.count = ix->doc_uses.count = 0;
    add_facets(ix, p, doc);
    return doc;
}

/* Keeps the lists of what the document added. */
static void end_document(index_builder *ix, uint32_t doc, record_hash file)
{
    doc_entry *d = &ix->docs[doc];
    d->file = file;
    d->word_count = (uint32_t)ix->doc_words.count;
    d->use_count = (uint32_t)ix->doc_uses.count;
    d->words = arena_alloc_raw(&ix->arena, (d->word_count + 1) * sizeof *d->words);
    memcpy(d->words, ix->doc_words.items, d->word_count * sizeof *d->words);
    d->uses = arena_alloc_raw(&ix->arena, (d->use_count + 1) * sizeof *d->uses);
    memcpy(d->uses, ix->doc_uses.items, d->use_count * sizeof *d->uses);
}

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
    /* One lookup for a word seen before: the vocabulary holds its term. */
    vocabulary_word *w =
        ix->slot_cap ? word_slot(ix, ix->fold.data, ix->fold.len,
                                 hash_word(ix->fold.data, ix->fold.len))->word
                     : NULL;
    if (w == NULL) {
        size_t stem_len;
        const char *stem = words_stem(ix->words, ix->fold.data, ix->fold.len, &stem_len);
        w = add_vocabulary_word(ix, ix->fold.data, ix->fold.len, intern_term(ix, stem, stem_len));
    }
    use_word(ix, w, ad->doc);
    term *t = w->term;
    if (t->slot_doc != ad->doc + 1) {
        if (ix->doc_term_count == ix->doc_term_cap) {
            ix->doc_term_cap = ix->doc_term_cap ? 2 * ix->doc_term_cap : 256;
            ix->doc_terms = realloc(ix->doc_terms, ix->doc_term_cap * sizeof *ix->doc_terms);
            if (ix->doc_terms == NULL)
                abort();
        }
        t->slot_doc = ad->doc + 1;
        t->slot = (uint32_t)ix->doc_term_count;
        ix->doc_terms[ix->doc_term_count++] = (doc_term){.term = t, .section = ad->section};
    }
    doc_term *d = &ix->doc_terms[t->slot];
    d->tf[ad->field] += 1;
    if (d->section != ad->section) {
        d->section = ad->section;
        d->section_count = 0;
    }
    if (++d->section_count > d->best_count) {
        d->best_count = d->section_count;
        d->best_section = d->section;
    }
    ix->docs[ad->doc].length[ad->field] += 1;
}

/* Makes the postings of the document's terms, in the order the terms came. */
static void flush_document_terms(index_builder *ix, uint32_t doc)
{
    for (size_t i = 0; i < ix->doc_term_count; i++) {
        const doc_term *d = &ix->doc_terms[i];
        posting *p = add_posting(ix, d->term, doc);
        memcpy(p->tf, d->tf, sizeof p->tf);
        p->best_section = d->best_section;
    }
    ix->doc_term_count = 0;
}

static void add_text(adding *ad, const char *text, size_t len, uint32_t section,
                     enum field_kind kind)
{
    ad->section = section;
    ad->field = kind;
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
            const char *amp = memchr(s + i, '&', len - i);
            size_t run = amp ? (size_t)(amp - (s + i)) : len - i;
            buf_append(out, s + i, run);
            i += run - 1;
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
static void add_facets(index_builder *ix, const page *p, uint32_t doc)
{
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

enum { MAX_FORMS = 64 };

/* A glossary term's forms: its title, abbreviation (when *has_abbreviation)
 * and synonyms. */
static size_t term_forms(const glossary *g, const page *p, const char *forms[MAX_FORMS],
                         bool *has_abbreviation)
{
    size_t n = 0;
    forms[n++] = p->title;
    const char *abbreviation = page_abbreviation(g, p);
    *has_abbreviation = abbreviation != NULL;
    if (abbreviation != NULL)
        forms[n++] = abbreviation;
    const value *syn = value_map_get_str(p->front_matter, "synonyms");
    for (size_t k = 0; syn && syn->kind == VALUE_LIST && k < syn->as.list.count && n < MAX_FORMS; k++)
        if (syn->as.list.items[k]->kind == VALUE_STRING)
            forms[n++] = syn->as.list.items[k]->as.string.text;
    return n;
}

/* Whether text already has phrase, in any case, as whole words. */
static bool contains_phrase(const buf *text, const char *phrase)
{
    size_t len = strlen(phrase);
    for (const char *at = text->data; (at = strcasestr(at, phrase)) != NULL; at++) {
        bool starts = at == text->data || at[-1] == ' ';
        bool ends = at[len] == ' ' || at[len] == '\0';
        if (starts && ends)
            return true;
    }
    return false;
}

static void document_path(uint32_t doc, char path[64])
{
    snprintf(path, 64, INDEX_FOLDER "/docs/%u.json.gz", (unsigned)doc);
}

int index_add_page(index_builder *ix, const page *p, const char *url, const char *html,
                   size_t html_len, publisher *pub, diag_list *diags)
{
    uint32_t doc = begin_document(ix, p);
    section *sections;
    size_t count = split_sections(html, html_len, &sections);
    /* Front matter text belongs to the top of the page, before the body as
     * on the page: first the prose (a summary, a term's definition), then the
     * short strings (a school's board, a term's abbreviation and synonyms),
     * each once, so that a snippet reads like the page. */
    buf front = BUF_INIT;
    const value *fm = p->front_matter;
    for (int prose = 1; prose >= 0; prose--) {
        for (size_t i = 0; i < fm->as.map.count; i++) {
            const value_entry *e = &fm->as.map.entries[i];
            const field *f = config_field(p->collection, e->key);
            bool text_field = f ? (f->type == FIELD_STRING || f->type == FIELD_TEXT ||
                                   (f->type == FIELD_LIST && f->item_type == FIELD_STRING))
                                : e->value->kind == VALUE_STRING;
            if (!text_field || strcmp(e->key, "title") == 0 || strcmp(e->key, "layout") == 0 ||
                (f && f->type == FIELD_TEXT) != (prose == 1))
                continue;
            const value *v = e->value;
            size_t n = v->kind == VALUE_LIST ? v->as.list.count : 1;
            for (size_t k = 0; k < n; k++) {
                const value *item = v->kind == VALUE_LIST ? v->as.list.items[k] : v;
                if (item->kind == VALUE_STRING && !contains_phrase(&front, item->as.string.text)) {
                    buf_append(&front, item->as.string.text, item->as.string.len);
                    buf_append_char(&front, ' ');
                }
            }
        }
    }
    buf_append(&front, sections[0].text.data, sections[0].text.len);
    buf_free(&sections[0].text);
    sections[0].text = front;
    adding ad = {ix, doc, 0, FIELD_TITLE};
    add_text(&ad, p->title, strlen(p->title), 0, FIELD_TITLE);
    /* A glossary term's abbreviation is its short name: it counts as its
     * title, so that "DGA" puts the term DGA stands for first. (Not the
     * synonyms: "samenwerkingsverband passend onderwijs" is no name.) */
    const glossary *g = &ix->site->config.glossary;
    const char *abbreviation =
        g->terms != NULL && p->collection == g->terms ? page_abbreviation(g, p) : NULL;
    if (abbreviation != NULL)
        add_text(&ad, abbreviation, strlen(abbreviation), 0, FIELD_TITLE);
    buf json = BUF_INIT;
    buf_append_str(&json, "{\"url\":");
    json_cstring(&json, url);
    buf_append_str(&json, ",\"title\":");
    json_cstring(&json, p->title);
    buf_append_str(&json, ",\"sections\":[\n");
    for (size_t i = 0; i < count; i++) {
        squeeze(&sections[i].heading);
        squeeze(&sections[i].text);
        add_text(&ad, sections[i].heading.data, sections[i].heading.len, (uint32_t)i,
                 FIELD_HEADING);
        add_text(&ad, sections[i].text.data, sections[i].text.len, (uint32_t)i, FIELD_BODY);
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
    buf_append_str(&json, "]}\n");
    /* Gzipped, as Pagefind does with its fragments: a result needs the whole
     * text for its snippet, and text shrinks to a third. */
    buf_clear(&ix->gzipped);
    size_t bound = libdeflate_gzip_compress_bound(ix->gzip, json.len);
    buf_reserve(&ix->gzipped, bound);
    ix->gzipped.len =
        libdeflate_gzip_compress(ix->gzip, json.data, json.len, ix->gzipped.data, bound);
    buf_free(&json);
    if (ix->gzipped.len == 0)
        abort(); /* more than the bound libdeflate gave: cannot happen */
    ix->gzipped.data[ix->gzipped.len] = '\0';
    flush_document_terms(ix, doc);
    end_document(ix, doc, record_hash_of(ix->gzipped.data, ix->gzipped.len));
    char path[64];
    document_path(doc, path);
    return publish_write(pub, path, ix->gzipped.data, ix->gzipped.len, diags);
}

/* ---------- writing ---------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes a file of the index while index_finish runs; a failure (in diags)
 * fails the build, but the other files are still written. */
static void write_file(index_builder *ix, const char *path, const buf *content)
{
    if (publish_write(ix->pub, path, content->data, content->len, ix->diags) < 0)
        ix->status = -1;
}

/* Writes one JSON object per shard from keys sorted by shard; write_value
 * appends the value of a key. */
typedef void (*value_writer)(index_builder *ix, buf *out, const char *key);

static void write_shards(index_builder *ix, const char *folder, const char **keys, size_t count,
                         value_writer write_value)
{
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
        write_file(ix, path, &json);
    }
    buf_free(&json);
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
    const vocabulary_word *w = strmap_get(&ix->vocabulary, word);
    json_cstring(out, w->term->stem);
}

/* An average length to two significant digits: BM25 needs no more, and
 * then editing one page of many leaves the average, and so every other
 * page's scores, as they were (the incremental build patches the index). */
static double rounded_average(double average)
{
    char text[32];
    snprintf(text, sizeof text, "%.2g", average);
    return strtod(text, NULL);
}

/* BM25F: the fields' length-normalized, weighted counts, saturated once. */
static double posting_score(const index_builder *ix, const posting *p, double idf)
{
    double tf = 0;
    for (int f = 0; f < FIELD_KINDS; f++) {
        double relative = ix->docs[p->doc].length[f] / ix->average_length[f];
        tf += FIELD_WEIGHT[f] * p->tf[f] / (1 - FIELD_B[f] + FIELD_B[f] * relative);
    }
    return idf * tf * (BM25_K1 + 1) / (tf + BM25_K1);
}

/* [scale, postings]: the postings packed (gap, score steps, section * 2 +
 * title bit), in
 * line or, when long, as the number of their own file. */
static void write_postings(index_builder *ix, buf *out, const char *stem)
{
    const term *t = strmap_get(&ix->terms, stem);
    double n = (double)ix->doc_count, df = (double)t->count;
    double idf = log(1.0 + (n - df + 0.5) / (df + 0.5));
    double best = 0;
    posting_cursor c = postings_of(t);
    for (const posting *p; (p = next_posting(&c)) != NULL;) {
        double score = posting_score(ix, p, idf);
        if (score > best)
            best = score;
    }
    char scale[32];
    snprintf(scale, sizeof scale, "%.6g", best / SCORE_STEPS);
    double step = strtod(scale, NULL); /* the scale as the page reads it */
    buf *packed = &ix->packed;
    buf_clear(packed);
    uint32_t previous = 0;
    c = postings_of(t);
    for (size_t i = 0; i < t->count; i++) {
        const posting *p = next_posting(&c);
        long steps = step > 0 ? lround(posting_score(ix, p, idf) / step) : 1;
        pack_number(packed, i ? p->doc - previous : p->doc + 1);
        pack_number(packed, (uint32_t)(steps < 1 ? 1 : steps > SCORE_STEPS ? SCORE_STEPS : steps));
        /* The title bit lets the page favour documents with every query word
         * in the title. */
        pack_number(packed, p->best_section * 2 + (p->tf[FIELD_TITLE] > 0));
        previous = p->doc;
    }
    buf_printf(out, "[%s,", scale);
    if (packed->len > OWN_FILE_BYTES) {
        unsigned file = ix->own_files++;
        char path[64];
        snprintf(path, sizeof path, INDEX_FOLDER "/postings/%u.txt", file);
        write_file(ix, path, packed);
        buf_printf(out, "%u]", file);
    } else {
        buf_append_char(out, '"');
        buf_append(out, packed->data, packed->len); /* the digits need no escaping */
        buf_append_str(out, "\"]");
    }
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

/* ---------- synonyms ---------- */

typedef struct phrase_builder {
    index_builder *ix;
    buf *out;
    bool stems; /* each word's term, else its folded form */
} phrase_builder;

static void phrase_word(void *ctx, const char *word, size_t len, size_t offset)
{
    (void)offset;
    phrase_builder *pb = ctx;
    buf *folded = &pb->ix->fold;
    buf_clear(folded);
    if (len > WORDS_MAX_LENGTH || words_fold(word, len, folded) < 0 || folded->len == 0)
        return;
    if (pb->stems) {
        size_t stem_len;
        const char *stem = words_stem(pb->ix->words, folded->data, folded->len, &stem_len);
        buf_append_str(pb->out, pb->out->len > 1 ? "," : "");
        json_string(pb->out, stem, stem_len);
    } else {
        buf_append_str(pb->out, pb->out->len ? " " : "");
        buf_append(pb->out, folded->data, folded->len);
    }
}

/* The folded words of text joined by spaces: the key a query's words match. */
static void folded_phrase(index_builder *ix, const char *text, buf *out)
{
    phrase_builder pb = {ix, out, false};
    words_split(text, strlen(text), phrase_word, &pb);
}

/* The terms of text's words as a JSON list: one way to match a synonym. */
static void phrase_terms(index_builder *ix, const char *text, buf *out)
{
    buf_append_char(out, '[');
    phrase_builder pb = {ix, out, true};
    words_split(text, strlen(text), phrase_word, &pb);
    buf_append_char(out, ']');
}


/* Synonyms from the glossary: the abbreviation and each synonym of a term
 * stand for its title, and the title for the abbreviation. (Not every form
 * for every other: a long synonym such as "speciale school voor
 * basisonderwijs" would mark every "voor" in the results of "SBO".) Keys are
 * folded phrases, values lists of alternatives, each the terms of a form. */
static void write_synonyms(index_builder *ix, buf *out)
{
    const glossary *g = &ix->site->config.glossary;
    strmap map = STRMAP_INIT; /* folded form -> buf* of JSON alternatives */
    const char **keys = NULL;
    size_t key_count = 0;
    buf key = BUF_INIT, other = BUF_INIT, alternative = BUF_INIT;
    for (size_t i = 0; g->terms && i < ix->site->page_count; i++) {
        const page *p = ix->site->pages[i];
        if (p->collection != g->terms || p->source_path == NULL)
            continue;
        const char *forms[MAX_FORMS];
        bool has_abbreviation;
        size_t n = term_forms(g, p, forms, &has_abbreviation);
        for (size_t a = 0; a < n; a++) {
            buf_clear(&key);
            folded_phrase(ix, forms[a], &key);
            if (key.len == 0 || (a == 0 && !has_abbreviation))
                continue;
            size_t b = a == 0 ? 1 : 0; /* the other form: title or abbreviation */
            buf_clear(&other);
            folded_phrase(ix, forms[b], &other);
            if (other.len == 0 || strcmp(other.data, key.data) == 0)
                continue;
            buf *alternatives = strmap_get(&map, key.data);
            if (alternatives == NULL) {
                alternatives = arena_alloc(&ix->arena, sizeof *alternatives);
                *alternatives = (buf)BUF_INIT;
                const char *stored = arena_strndup(&ix->arena, key.data, key.len);
                strmap_put(&map, stored, alternatives);
                keys = realloc(keys, (key_count + 1) * sizeof *keys);
                if (keys == NULL)
                    abort();
                keys[key_count++] = stored;
            }
            buf_clear(&alternative);
            phrase_terms(ix, forms[b], &alternative);
            if (strstr(alternatives->data, alternative.data) == NULL)
                buf_printf(alternatives, "%s%s", alternatives->len ? "," : "",
                           alternative.data);
        }
    }
    if (key_count > 0)
        qsort(keys, key_count, sizeof *keys, compare_strings);
    buf_append_str(out, "{");
    for (size_t i = 0; i < key_count; i++) {
        buf *alternatives = strmap_get(&map, keys[i]);
        buf_append_str(out, i ? ",\n" : "\n");
        json_cstring(out, keys[i]);
        buf_printf(out, ":[%s]", alternatives->data);
        buf_free(alternatives);
    }
    buf_append_str(out, "}");
    buf_free(&key);
    buf_free(&other);
    buf_free(&alternative);
    free(keys);
    strmap_free(&map);
}

/* ---------- compound words ---------- */

/* Dutch writes compounds as one word: "subsidieregeling", "doelgroeparrangement",
 * "samenwerkingsverband". A compound whose two parts are both words of the
 * content (the first part possibly with a linking s) also counts, at half
 * weight, as a use of each part, so "subsidie" finds the pages about the
 * subsidieregeling. Parts are at least this long, which keeps "onder" +
 * "wijs" from splitting onderwijs. */
enum { COMPOUND_MIN_HEAD = 4, COMPOUND_MIN_TAIL = 5 };
#define COMPOUND_PART_WEIGHT 0.5f

/* A compound's postings as they were before any merging, so that a part
 * that is itself a compound passes on only its own uses. */
typedef struct compound_pair {
    term *part;
    const posting *postings;
    size_t count;
} compound_pair;

/* Adds the postings of a compound's term to a part's term, scaled. */
static void merge_postings(term *part, const compound_pair *compound)
{
    /* One block, the header and items malloc'ed together (term.merged). */
    size_t most = part->count + compound->count;
    posting_block *block = malloc(sizeof *block + most * sizeof(posting));
    if (block == NULL)
        abort();
    posting *merged = block->items;
    posting_cursor cursor = postings_of(part);
    const posting *own = next_posting(&cursor);
    size_t n = 0, k = 0;
    while (own != NULL || k < compound->count) {
        if (k == compound->count || (own != NULL && own->doc < compound->postings[k].doc)) {
            merged[n++] = *own;
            own = next_posting(&cursor);
            continue;
        }
        const posting *c = &compound->postings[k++];
        posting *m = &merged[n];
        if (own != NULL && own->doc == c->doc) {
            *m = *own;
            own = next_posting(&cursor);
        } else {
            *m = (posting){.doc = c->doc, .best_section = c->best_section};
        }
        for (int f = 0; f < FIELD_KINDS; f++)
            m->tf[f] += COMPOUND_PART_WEIGHT * c->tf[f];
        n++;
    }
    free(part->merged);
    *block = (posting_block){.count = (uint32_t)n, .cap = (uint32_t)n};
    part->merged = block;
    part->first = part->last = block;
    part->count = n;
}

/* The term of a part of a compound, or NULL when the part is no word. */
static term *part_term(index_builder *ix, const char *word, size_t len)
{
    buf *part = &ix->fold;
    buf_clear(part);
    buf_append(part, word, len);
    vocabulary_word *w = strmap_get(&ix->vocabulary, part->data);
    return w ? w->term : NULL;
}

static void split_compounds(index_builder *ix)
{
    strmap done = STRMAP_INIT;      /* "compound-term part-term": found already */
    strmap snapshots = STRMAP_INIT; /* compound term -> its postings, copied */
    compound_pair *pairs = NULL;
    size_t pair_count = 0, pair_cap = 0;
    buf pair = BUF_INIT;
    size_t word_count;
    const char **words_list = sorted_keys(&ix->vocabulary, &word_count);
    for (size_t w = 0; w < word_count; w++) {
        const char *word = words_list[w];
        size_t len = strlen(word);
        const term *whole = ((vocabulary_word *)strmap_get(&ix->vocabulary, word))->term;
        for (size_t cut = COMPOUND_MIN_HEAD; cut + COMPOUND_MIN_TAIL <= len; cut++) {
            if (((unsigned char)word[cut] & 0xC0) == 0x80)
                continue; /* inside a UTF-8 character */
            term *tail = part_term(ix, word + cut, len - cut);
            if (tail == NULL)
                continue;
            term *head = part_term(ix, word, cut);
            if (head == NULL && word[cut - 1] == 's' && cut - 1 >= COMPOUND_MIN_HEAD)
                head = part_term(ix, word, cut - 1);
            if (head == NULL)
                continue;
            term *parts[2] = {head, tail};
            for (int k = 0; k < 2; k++) {
                if (parts[k] == whole)
                    continue;
                buf_clear(&pair);
                buf_printf(&pair, "%s %s", whole->stem, parts[k]->stem);
                if (strmap_get(&done, pair.data) != NULL)
                    continue;
                strmap_put(&done, arena_strndup(&ix->arena, pair.data, pair.len), parts[k]);
                posting *copy = strmap_get(&snapshots, whole->stem);
                if (copy == NULL) {
                    copy = arena_alloc(&ix->arena, (whole->count + 1) * sizeof *copy);
                    posting_cursor c = postings_of(whole);
                    for (size_t n = 0; n < whole->count; n++)
                        copy[n] = *next_posting(&c);
                    strmap_put(&snapshots, whole->stem, copy);
                }
                if (pair_count == pair_cap) {
                    pair_cap = pair_cap ? pair_cap * 2 : 64;
                    pairs = realloc(pairs, pair_cap * sizeof *pairs);
                    if (pairs == NULL)
                        abort();
                }
                pairs[pair_count++] = (compound_pair){parts[k], copy, whole->count};
            }
        }
    }
    for (size_t i = 0; i < pair_count; i++)
        merge_postings(pairs[i].part, &pairs[i]);
    free(pairs);
    free(words_list);
    buf_free(&pair);
    strmap_free(&done);
    strmap_free(&snapshots);
}

/* ---------- incremental builds ---------- */

/* The record section: every word (folded, term id) and term (stem), then
 * per document its file's hash, field lengths, word ids and uses (term id
 * and the posting's counts). Written before compounds are merged, so that
 * it holds what each page itself says: write_record_start writes the words
 * and terms, and notes where each term's postings start; then
 * write_record_documents writes the documents, in a thread of its own
 * while index_finish merges the compounds (which replaces merged terms'
 * chains, never changing the blocks the cursors walk) and writes the
 * files. */
typedef struct record_job {
    const index_builder *ix;
    posting_cursor *cursors; /* each term's first posting, before compounds */
    buf out;
} record_job;

static void write_record_start(const index_builder *ix, record_job *job)
{
    buf *out = &job->out;
    /* Room for it all at once, in this (the main) thread's memory: LEB128
     * numbers below 2^21 take at most 3 bytes; a document's own numbers fit
     * in 64. */
    size_t room = 64;
    for (size_t d = 0; d < ix->doc_count; d++)
        room += 64 + 3 * (size_t)ix->docs[d].word_count + 15 * (size_t)ix->docs[d].use_count;
    buf_reserve(out, room);
    record_write_number(out, ix->words_by_id.count);
    for (size_t i = 0; i < ix->words_by_id.count; i++) {
        const vocabulary_word *w = ix->words_by_id.items[i];
        record_write_string(out, w->folded, w->len);
        record_write_number(out, w->term->id);
    }
    record_write_number(out, ix->terms_by_id.count);
    job->cursors = zeroed(ix->terms_by_id.count + 1, sizeof *job->cursors);
    for (size_t i = 0; i < ix->terms_by_id.count; i++) {
        const term *t = ix->terms_by_id.items[i];
        record_write_string(out, t->stem, strlen(t->stem));
        record_write_number(out, t->count);
        job->cursors[i] = postings_of(t);
    }
    record_write_number(out, ix->doc_count);
}

static void *write_record_documents(void *arg)
{
    record_job *job = arg;
    const index_builder *ix = job->ix;
    buf *out = &job->out;
    /* Each term's postings are in document order: a cursor per term meets
     * them as the documents come. */
    for (size_t d = 0; d < ix->doc_count; d++) {
        const doc_entry *doc = &ix->docs[d];
        record_write_hash(out, doc->file);
        for (int f = 0; f < FIELD_KINDS; f++)
            record_write_number(out, (uint64_t)doc->length[f]);
        record_write_number(out, doc->word_count);
        for (uint32_t i = 0; i < doc->word_count; i++)
            record_write_number(out, doc->words[i]);
        record_write_number(out, doc->use_count);
        for (uint32_t i = 0; i < doc->use_count; i++) {
            const posting *p = next_posting(&job->cursors[doc->uses[i]]);
            record_write_number(out, doc->uses[i]);
            for (int f = 0; f < FIELD_KINDS; f++)
                record_write_number(out, (uint64_t)p->tf[f]);
            record_write_number(out, p->best_section);
        }
    }
    free(job->cursors);
    job->cursors = NULL;
    return NULL;
}

/* Reads past a document's entry, after its hash, failing rr when it names
 * a word or term the section does not have: checked once here, so that a
 * replay can read the entry without checks. */
static void check_document(record_reader *rr, size_t word_count, size_t term_count)
{
    for (int f = 0; f < FIELD_KINDS; f++)
        record_read_number(rr);
    for (uint64_t n = record_read_number(rr); n > 0 && !rr->failed; n--)
        if (record_read_number(rr) >= word_count)
            rr->failed = true;
    for (uint64_t n = record_read_number(rr); n > 0 && !rr->failed; n--) {
        if (record_read_number(rr) >= term_count)
            rr->failed = true;
        for (int k = 0; k < FIELD_KINDS + 1; k++)
            record_read_number(rr);
    }
}

/* A count of entries that follow; each takes a byte at least, so a count
 * beyond the bytes left is damage (and would ask for too much memory). */
static size_t read_count(record_reader *rr)
{
    uint64_t n = record_read_number(rr);
    if (rr->failed || n > (uint64_t)(rr->end - rr->at)) {
        rr->failed = true;
        return 0;
    }
    return (size_t)n;
}

void index_use_previous(index_builder *ix, const record *r)
{
    previous_index *prev = &ix->previous;
    record_reader rr = record_reader_of(r, "index");
    size_t word_count = read_count(&rr);
    prev->words = zeroed(word_count + 1, sizeof *prev->words);
    prev->word_terms = zeroed(word_count + 1, sizeof *prev->word_terms);
    prev->word_now = zeroed(word_count + 1, sizeof *prev->word_now);
    for (size_t i = 0; i < word_count && !rr.failed; i++) {
        prev->words[i] = record_read_string(&rr, NULL);
        prev->word_terms[i] = (uint32_t)record_read_number(&rr);
    }
    size_t terms = read_count(&rr);
    prev->stems = zeroed(terms + 1, sizeof *prev->stems);
    prev->term_now = zeroed(terms + 1, sizeof *prev->term_now);
    prev->term_sizes = zeroed(terms + 1, sizeof *prev->term_sizes);
    for (size_t i = 0; i < terms && !rr.failed; i++) {
        prev->stems[i] = record_read_string(&rr, NULL);
        prev->term_sizes[i] = (uint32_t)record_read_number(&rr);
    }
    size_t docs = read_count(&rr);
    prev->docs = zeroed(docs + 1, sizeof *prev->docs);
    for (size_t d = 0; d < docs && !rr.failed; d++) {
        prev->docs[d] = rr;
        record_read_hash(&rr);
        check_document(&rr, word_count, terms);
    }
    for (size_t i = 0; i < word_count; i++)
        if (prev->word_terms[i] >= terms)
            rr.failed = true;
    if (rr.failed)
        return;
    prev->record = r;
    prev->word_count = (size_t)word_count;
    prev->term_count = (size_t)terms;
    prev->doc_count = (size_t)docs;
}

static term *previous_term(index_builder *ix, uint32_t id)
{
    previous_index *prev = &ix->previous;
    term *t = prev->term_now[id];
    if (t == NULL) {
        t = prev->term_now[id] = intern_term(ix, prev->stems[id], strlen(prev->stems[id]));
        /* Room for as many postings as last time, in one block (no more
         * than one per document the record has: its counts are not
         * trusted beyond that). */
        size_t room = prev->term_sizes[id] < prev->doc_count ? prev->term_sizes[id] : prev->doc_count;
        if (t->last == NULL || t->last->cap - t->last->count < room)
            add_block(ix, t, room + 1);
    }
    return t;
}

int index_replay_page(index_builder *ix, const page *p, size_t previous_doc, publisher *pub,
                      diag_list *diags)
{
    previous_index *prev = &ix->previous;
    if (prev->record == NULL || previous_doc >= prev->doc_count)
        return 0;
    /* index_use_previous checked every entry. */
    record_reader entry = prev->docs[previous_doc];
    record_hash file = record_read_hash(&entry);
    char path[64];
    document_path((uint32_t)ix->doc_count, path);
    int reused = publish_reuse(pub, path, file, diags);
    if (reused <= 0)
        return reused;
    uint32_t doc = begin_document(ix, p);
    for (int f = 0; f < FIELD_KINDS; f++)
        ix->docs[doc].length[f] = (double)record_read_number(&entry);
    for (uint64_t n = record_read_number(&entry); n > 0; n--) {
        uint32_t id = (uint32_t)record_read_number(&entry);
        vocabulary_word *w = prev->word_now[id];
        if (w == NULL) {
            w = strmap_get(&ix->vocabulary, prev->words[id]);
            if (w == NULL)
                w = add_vocabulary_word(ix, prev->words[id], strlen(prev->words[id]),
                                        previous_term(ix, prev->word_terms[id]));
            prev->word_now[id] = w;
        }
        use_word(ix, w, doc);
    }
    for (uint64_t n = record_read_number(&entry); n > 0; n--) {
        posting *use = add_posting(ix, previous_term(ix, (uint32_t)record_read_number(&entry)), doc);
        for (int f = 0; f < FIELD_KINDS; f++)
            use->tf[f] = (float)record_read_number(&entry);
        use->best_section = (uint32_t)record_read_number(&entry);
    }
    end_document(ix, doc, file);
    return 1;
}

size_t index_next_document(const index_builder *ix)
{
    return ix->doc_count;
}

/* ---------- parts built in parallel ---------- */

/* Moves the facet values of part's documents to ix, after its own. */
static void append_facets(index_builder *ix, const index_builder *part)
{
    for (size_t i = 0; i < ix->facet_count; i++) {
        facet_list *to = &ix->facets[i];
        const facet_list *from = &part->facets[i];
        for (size_t v = 0; v < from->value_count; v++) {
            uint32_t pos = facet_value_position(ix, to, from->values[v]);
            size_t need = to->doc_counts[pos] + from->doc_counts[v];
            if (need > to->doc_caps[pos]) {
                to->doc_caps[pos] = need;
                to->docs[pos] = realloc(to->docs[pos], need * sizeof(uint32_t));
                if (to->docs[pos] == NULL)
                    abort();
            }
            memcpy(to->docs[pos] + to->doc_counts[pos], from->docs[v],
                   from->doc_counts[v] * sizeof(uint32_t));
            to->doc_counts[pos] = need;
        }
    }
}

int index_append(index_builder *ix, index_builder *part)
{
    if (ix->doc_count != part->first_document || ix->previous.record != NULL) {
        index_free(part);
        return -1;
    }
    /* The part's terms and words in the order it made them: those new to ix
     * then get the ids one builder adding every page would have given. */
    uint32_t *term_ids = zeroed(part->terms_by_id.count + 1, sizeof *term_ids);
    for (size_t i = 0; i < part->terms_by_id.count; i++) {
        const term *from = part->terms_by_id.items[i];
        term *to = intern_term(ix, from->stem, strlen(from->stem));
        term_ids[i] = to->id;
        /* Its documents all come after ix's: the chain stays sorted. */
        if (from->first != NULL) {
            if (to->last != NULL)
                to->last->next = from->first;
            else
                to->first = from->first;
            to->last = from->last;
            to->count += from->count;
        }
    }
    uint32_t *word_ids = zeroed(part->words_by_id.count + 1, sizeof *word_ids);
    for (size_t i = 0; i < part->words_by_id.count; i++) {
        const vocabulary_word *from = part->words_by_id.items[i];
        vocabulary_word *to = strmap_get(&ix->vocabulary, from->folded);
        if (to == NULL)
            to = add_vocabulary_word(ix, from->folded, strlen(from->folded),
                                     ix->terms_by_id.items[term_ids[from->term->id]]);
        word_ids[i] = to->id;
    }
    for (size_t d = part->first_document; d < part->doc_count; d++) {
        if (ix->doc_count == ix->doc_cap) {
            ix->doc_cap = ix->doc_cap ? ix->doc_cap * 2 : 256;
            ix->docs = realloc(ix->docs, ix->doc_cap * sizeof *ix->docs);
            if (ix->docs == NULL)
                abort();
        }
        /* Its lists stay in the part's arena, which ix takes over, with
         * ix's ids in them. */
        doc_entry *to = &ix->docs[ix->doc_count++];
        *to = part->docs[d];
        for (uint32_t i = 0; i < to->word_count; i++)
            to->words[i] = word_ids[to->words[i]];
        for (uint32_t i = 0; i < to->use_count; i++)
            to->uses[i] = term_ids[to->uses[i]];
    }
    append_facets(ix, part);
    free(term_ids);
    free(word_ids);
    /* The blocks, documents' lists and strings stay where they are. */
    arena_adopt(&ix->arena, &part->arena);
    index_free(part);
    return 0;
}

/* ---------- the files ---------- */

int index_finish(index_builder *ix, publisher *pub, diag_list *diags)
{
    ix->pub = pub;
    ix->diags = diags;
    ix->status = 0;
    record_job job = {.ix = ix, .out = BUF_INIT};
    pthread_t recorder;
    bool recording = false;
    if (pub != NULL) {
        write_record_start(ix, &job);
        recording = pthread_create(&recorder, NULL, write_record_documents, &job) == 0;
        if (!recording)
            write_record_documents(&job);
    }
    split_compounds(ix);
    /* Averages over the documents that have the field: where few pages have
     * headings, a page's one heading is not "many times the average". */
    for (int f = 0; f < FIELD_KINDS; f++) {
        double total = 0, having = 0;
        for (size_t i = 0; i < ix->doc_count; i++) {
            total += ix->docs[i].length[f];
            having += ix->docs[i].length[f] > 0;
        }
        ix->average_length[f] = rounded_average(having > 0 ? total / having : 1);
    }

    size_t count;
    const char **keys = sorted_keys(&ix->vocabulary, &count);
    write_shards(ix, "vocabulary", keys, count, write_stem);
    free(keys);
    keys = sorted_keys(&ix->terms, &count);
    write_shards(ix, "terms", keys, count, write_postings);
    free(keys);

    buf json = BUF_INIT;
    buf_append_char(&json, '{');
    for (size_t i = 0; i < ix->facet_count; i++) {
        const facet_list *f = &ix->facets[i];
        buf_append_str(&json, i ? ",\n" : "");
        json_cstring(&json, f->name);
        buf_append_str(&json, ":[");
        for (size_t v = 0; v < f->value_count; v++) {
            buf_append_str(&json, v ? ",\"" : "\"");
            pack_documents(&json, f->docs[v], f->doc_counts[v]);
            buf_append_char(&json, '"');
        }
        buf_append_char(&json, ']');
    }
    buf_append_str(&json, "}\n");
    write_file(ix, INDEX_FOLDER "/facets.json", &json);

    buf_clear(&json);
    buf_printf(&json, "{\"version\":%d,\"documents\":%zu,\"facets\":[", INDEX_FORMAT, ix->doc_count);
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
    write_file(ix, INDEX_FOLDER "/meta.json", &json);
    buf_free(&json);
    if (recording)
        pthread_join(recorder, NULL);
    if (pub != NULL)
        publish_record(pub, "index", &job.out);
    buf_free(&job.out);
    return ix->status;
}
