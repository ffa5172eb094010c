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
    /* What index_finish keeps for the record's "search patch" section: */
    buf patch_entries;     /* each term's entry (see write_patch_section), in shard order */
    uint32_t *term_entry;  /* term id -> offset of its entry in patch_entries */
    uint32_t *pairs;       /* compounds: whole and part term ids, in merge order */
    size_t pair_count;
    uint64_t total_length[FIELD_KINDS]; /* of the documents that have the field */
    uint32_t having_field[FIELD_KINDS]; /* documents that have it */
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
    free(ix->term_entry);
    free(ix->pairs);
    buf_free(&ix->patch_entries);
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

/* The average length of a field over the documents that have it (where few
 * pages have headings, a page's one heading is not "many times the
 * average"), to three significant digits: then editing one page of many
 * seldom moves the average, and so every other page's scores, and an
 * incremental build can patch the index. (Two digits moved scores enough to
 * swap two results of the relevance set, tests/browser/relevance.json.) */
static double average_length(uint64_t total, uint32_t having)
{
    char text[32];
    snprintf(text, sizeof text, "%.3g", having > 0 ? (double)total / having : 1.0);
    return strtod(text, NULL);
}

/* BM25F: the fields' length-normalized, weighted counts, saturated once;
 * for posting p of a document with these field lengths. */
static double length_score(const double length[FIELD_KINDS], const double average[FIELD_KINDS],
                           const posting *p, double idf)
{
    double tf = 0;
    for (int f = 0; f < FIELD_KINDS; f++) {
        double relative = length[f] / average[f];
        tf += FIELD_WEIGHT[f] * p->tf[f] / (1 - FIELD_B[f] + FIELD_B[f] * relative);
    }
    return idf * tf * (BM25_K1 + 1) / (tf + BM25_K1);
}

static double posting_score(const doc_entry *docs, const double average[FIELD_KINDS],
                            const posting *p, double idf)
{
    return length_score(docs[p->doc].length, average, p, idf);
}

/* A term's two best scores, the higher first (a tie: the lower document
 * first): a patch that changes neither, nor beats the first, leaves the
 * term's scale and every other score as they were. */
typedef struct score_top {
    double score[2];
    uint32_t doc[2]; /* + 1; 0: none */
} score_top;

/* Puts document doc's score into top. */
static void note_score(score_top *top, uint32_t doc, double score)
{
    for (int k = 0; k < 2; k++) {
        if (top->doc[k] == 0 || score > top->score[k] ||
            (score == top->score[k] && doc + 1 < top->doc[k])) {
            if (k == 0) {
                top->score[1] = top->score[0];
                top->doc[1] = top->doc[0];
            }
            top->score[k] = score;
            top->doc[k] = doc + 1;
            return;
        }
    }
}

static double idf_of(size_t doc_count, size_t count)
{
    double n = (double)doc_count, df = (double)count;
    return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

/* The score steps of a score, as the page reads them. */
static uint32_t score_steps(double score, double step)
{
    long steps = step > 0 ? lround(score / step) : 1;
    return (uint32_t)(steps < 1 ? 1 : steps > SCORE_STEPS ? SCORE_STEPS : steps);
}

/* A term's count postings from c, scored among doc_count documents (docs:
 * their lengths): its scale into scale, the postings packed (gap, score
 * steps, section * 2 + title bit) into packed, its two best into top. */
static void pack_postings(const doc_entry *docs, const double average[FIELD_KINDS],
                          size_t doc_count, posting_cursor c, size_t count, char scale[32],
                          buf *packed, score_top *top)
{
    double idf = idf_of(doc_count, count);
    *top = (score_top){{0, 0}, {0, 0}};
    posting_cursor first = c;
    for (size_t i = 0; i < count; i++) {
        const posting *p = next_posting(&c);
        note_score(top, p->doc, posting_score(docs, average, p, idf));
    }
    double best = top->score[0];
    snprintf(scale, 32, "%.6g", best / SCORE_STEPS);
    double step = strtod(scale, NULL); /* the scale as the page reads it */
    buf_clear(packed);
    uint32_t previous = 0;
    c = first;
    for (size_t i = 0; i < count; i++) {
        const posting *p = next_posting(&c);
        pack_number(packed, i ? p->doc - previous : p->doc + 1);
        pack_number(packed, score_steps(posting_score(docs, average, p, idf), step));
        /* The title bit lets the page favour documents with every query word
         * in the title. */
        pack_number(packed, p->best_section * 2 + (p->tf[FIELD_TITLE] > 0));
        previous = p->doc;
    }
}

/* A term's value in its shard: [scale, postings], the postings in line or,
 * when long, as the number of their own file (file). */
static void append_term_value(buf *out, const char *scale, const buf *packed, unsigned file)
{
    buf_printf(out, "[%s,", scale);
    if (packed->len > OWN_FILE_BYTES) {
        buf_printf(out, "%u]", file);
    } else {
        buf_append_char(out, '"');
        buf_append(out, packed->data, packed->len); /* the digits need no escaping */
        buf_append_str(out, "\"]");
    }
}

static void own_file_path(unsigned file, char path[64])
{
    snprintf(path, 64, INDEX_FOLDER "/postings/%u.txt", file);
}

static void write_patch_entry(index_builder *ix, const term *t, unsigned file, const char *text,
                              size_t text_len, const score_top *top, record_hash own);

static void write_postings(index_builder *ix, buf *out, const char *stem)
{
    const term *t = strmap_get(&ix->terms, stem);
    char scale[32];
    buf *packed = &ix->packed;
    score_top top;
    pack_postings(ix->docs, ix->average_length, ix->doc_count, postings_of(t), t->count, scale,
                  packed, &top);
    unsigned file = 0;
    if (packed->len > OWN_FILE_BYTES) {
        file = ix->own_files++;
        char path[64];
        own_file_path(file, path);
        write_file(ix, path, packed);
    }
    size_t start = out->len;
    append_term_value(out, scale, packed, file);
    if (ix->term_entry != NULL)
        write_patch_entry(ix, t, packed->len > OWN_FILE_BYTES ? file + 1 : 0, out->data + start,
                          out->len - start, &top,
                          packed->len > OWN_FILE_BYTES ? record_hash_of(packed->data, packed->len)
                                                       : (record_hash){0, 0});
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
    const term *whole;
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
                pairs[pair_count++] = (compound_pair){parts[k], whole, copy, whole->count};
            }
        }
    }
    for (size_t i = 0; i < pair_count; i++)
        merge_postings(pairs[i].part, &pairs[i]);
    /* For the record: a patch merges one document's postings the same way. */
    ix->pairs = zeroed(2 * pair_count + 1, sizeof *ix->pairs);
    for (size_t i = 0; i < pair_count; i++) {
        ix->pairs[2 * i] = pairs[i].whole->id;
        ix->pairs[2 * i + 1] = pairs[i].part->id;
    }
    ix->pair_count = pair_count;
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
    /* Where things are in out, and how many documents use each word, for
     * the "search patch" section: */
    uint32_t *word_offset, *stem_offset, *doc_offset, *word_df;
} record_job;

/* A document's entry in the "index" section up to its uses: its file's hash,
 * field lengths and word ids. */
static void write_document_head(buf *out, record_hash file, const double length[FIELD_KINDS],
                                const uint32_t *word_ids, size_t word_count)
{
    record_write_hash(out, file);
    for (int f = 0; f < FIELD_KINDS; f++)
        record_write_number(out, (uint64_t)length[f]);
    record_write_number(out, word_count);
    for (size_t i = 0; i < word_count; i++)
        record_write_number(out, word_ids[i]);
}

/* One use: a term id and the counts of its posting in the document. */
static void write_use(buf *out, uint32_t term_id, const posting *p)
{
    record_write_number(out, term_id);
    for (int f = 0; f < FIELD_KINDS; f++)
        record_write_number(out, (uint64_t)p->tf[f]);
    record_write_number(out, p->best_section);
}

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
    job->word_offset = zeroed(ix->words_by_id.count + 1, sizeof *job->word_offset);
    job->word_df = zeroed(ix->words_by_id.count + 1, sizeof *job->word_df);
    job->stem_offset = zeroed(ix->terms_by_id.count + 1, sizeof *job->stem_offset);
    job->doc_offset = zeroed(ix->doc_count + 1, sizeof *job->doc_offset);
    record_write_number(out, ix->words_by_id.count);
    for (size_t i = 0; i < ix->words_by_id.count; i++) {
        const vocabulary_word *w = ix->words_by_id.items[i];
        job->word_offset[i] = (uint32_t)out->len;
        record_write_string(out, w->folded, w->len);
        record_write_number(out, w->term->id);
    }
    record_write_number(out, ix->terms_by_id.count);
    job->cursors = zeroed(ix->terms_by_id.count + 1, sizeof *job->cursors);
    for (size_t i = 0; i < ix->terms_by_id.count; i++) {
        const term *t = ix->terms_by_id.items[i];
        job->stem_offset[i] = (uint32_t)out->len;
        record_write_string(out, t->stem, strlen(t->stem));
        record_write_number(out, t->count);
        job->cursors[i] = postings_of(t);
    }
    record_write_number(out, ix->doc_count);
}

static void *write_record_documents(void *arg)
{
    record_job *job = arg;
    arena_thread_huge_pages();
    const index_builder *ix = job->ix;
    buf *out = &job->out;
    /* Each term's postings are in document order: a cursor per term meets
     * them as the documents come. */
    for (size_t d = 0; d < ix->doc_count; d++) {
        const doc_entry *doc = &ix->docs[d];
        job->doc_offset[d] = (uint32_t)out->len;
        write_document_head(out, doc->file, doc->length, doc->words, doc->word_count);
        for (uint32_t i = 0; i < doc->word_count; i++)
            job->word_df[doc->words[i]]++;
        record_write_number(out, doc->use_count);
        for (uint32_t i = 0; i < doc->use_count; i++)
            write_use(out, doc->uses[i], next_posting(&job->cursors[doc->uses[i]]));
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
    /* The documents patch builds changed since (see write_delta) replace
     * theirs: the pages record them as they are now. */
    size_t delta_len;
    const uint8_t *delta = record_section(r, "search delta", &delta_len);
    size_t fixed = 4 * (1 + 3 * FIELD_KINDS + word_count);
    if (delta != NULL && delta_len >= fixed) {
        record_reader dr = {delta + fixed, delta + delta_len, false};
        for (uint64_t n = record_read_number(&dr); n > 0 && !dr.failed && !rr.failed; n--) {
            uint64_t doc = record_read_number(&dr);
            for (int f = 0; f < FIELD_KINDS; f++)
                record_read_number(&dr);
            size_t len;
            const uint8_t *entry = (const uint8_t *)record_read_string(&dr, &len);
            record_reader er = {entry, entry + len, false};
            record_read_hash(&er);
            check_document(&er, word_count, terms);
            if (dr.failed || er.failed || doc >= docs)
                rr.failed = true; /* damaged: no replays */
            else
                prev->docs[doc] = (record_reader){entry, entry + len, false};
        }
    }
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

/* ---------- the "search patch" section ----------
 *
 * What an incremental build needs to patch the index for a changed page
 * without the other pages (index_patch_*): numbers as 4-byte little-endian
 * words, so that any entry can be found at once:
 *
 *   version, documents, words, terms, compound pairs, postings files;
 *   per field: the total length (two words, low first) and the number of
 *   documents that have it;
 *   per document: where its entry starts in the "index" section;
 *   per document: its length in each field;
 *   per word: where its folded form is in "index", how many documents use it;
 *   the word ids in the order of the vocabulary shards;
 *   per term: where its stem is in "index";
 *   the term ids in the order of the term shards; per term its place there;
 *   per term: where its entry starts in "search entries";
 *   the compound pairs (whole and part term ids) in merge order.
 *
 * "search entries" (a section of its own, so that its 10 MB are not copied
 * into this one): per term, in shard order, its state (write_term_state: its count of postings, its postings file
 *   + 1 (0: in line), its value in the shard, its two best scores, the hash
 *   of its postings file) and its postings after compounds (record
 *   numbers: per posting the gap to the previous document, twice each
 *   field's count, and the best section).
 *
 * A patch build leaves this section and "index" as they are (in the
 * record's base) and writes what it changed into "search delta" (see
 * write_delta). */
enum { PATCH_VERSION = 1 };
/* The words before the tables: six numbers, then three per field. */
enum { HEAD_WORDS = 6 + 3 * FIELD_KINDS };

static void put_u32(buf *out, uint32_t n)
{
    char bytes[4] = {(char)n, (char)(n >> 8), (char)(n >> 16), (char)(n >> 24)};
    buf_append(out, bytes, 4);
}

static void put_u32s(buf *out, const uint32_t *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        put_u32(out, items[i]);
}

/* A term's state: what a patch needs besides its postings. */
typedef struct term_state {
    uint64_t count;    /* its postings */
    uint64_t file;     /* its postings file + 1, or 0: in line */
    const char *value; /* in its shard */
    size_t value_len;
    score_top top;
    record_hash own;   /* the hash of its postings file */
} term_state;

static void write_term_state(buf *out, const term_state *st)
{
    record_write_number(out, st->count);
    record_write_number(out, st->file);
    record_write_string(out, st->value, st->value_len);
    for (int k = 0; k < 2; k++) {
        uint64_t bits;
        memcpy(&bits, &st->top.score[k], sizeof bits);
        record_write_number(out, st->top.doc[k]);
        record_write_number(out, bits);
    }
    record_write_hash(out, st->own);
}

static bool read_term_state(record_reader *rr, term_state *st)
{
    st->count = record_read_number(rr);
    st->file = record_read_number(rr);
    st->value = record_read_string(rr, &st->value_len);
    for (int k = 0; k < 2; k++) {
        st->top.doc[k] = (uint32_t)record_read_number(rr);
        uint64_t bits = record_read_number(rr);
        memcpy(&st->top.score[k], &bits, sizeof bits);
    }
    st->own = record_read_hash(rr);
    return !rr->failed;
}

static void write_patch_entry(index_builder *ix, const term *t, unsigned file, const char *text,
                              size_t text_len, const score_top *top, record_hash own)
{
    buf *out = &ix->patch_entries;
    ix->term_entry[t->id] = (uint32_t)out->len;
    term_state st = {t->count, file, text, text_len, *top, own};
    write_term_state(out, &st);
    uint32_t previous = 0;
    posting_cursor c = postings_of(t);
    for (const posting *p; (p = next_posting(&c)) != NULL;) {
        record_write_number(out, p->doc - previous);
        previous = p->doc;
        for (int f = 0; f < FIELD_KINDS; f++)
            record_write_number(out, (uint64_t)(p->tf[f] * 2));
        record_write_number(out, p->best_section);
    }
}

static void write_patch_section(const index_builder *ix, const record_job *job,
                                const char **word_keys, size_t word_count,
                                const char **term_keys, size_t term_count, buf *out)
{
    if (word_count != ix->words_by_id.count || term_count != ix->terms_by_id.count)
        abort(); /* every word and term is in both */
    buf_reserve(out, 4 * (HEAD_WORDS + ix->doc_count * (1 + FIELD_KINDS) + 4 * word_count +
                          5 * term_count + 2 * ix->pair_count));
    uint32_t head[] = {PATCH_VERSION,           (uint32_t)ix->doc_count, (uint32_t)word_count,
                       (uint32_t)term_count,    (uint32_t)ix->pair_count, ix->own_files};
    put_u32s(out, head, sizeof head / sizeof head[0]);
    for (int f = 0; f < FIELD_KINDS; f++) {
        put_u32(out, (uint32_t)ix->total_length[f]);
        put_u32(out, (uint32_t)(ix->total_length[f] >> 32));
        put_u32(out, ix->having_field[f]);
    }
    put_u32s(out, job->doc_offset, ix->doc_count);
    for (size_t d = 0; d < ix->doc_count; d++)
        for (int f = 0; f < FIELD_KINDS; f++)
            put_u32(out, (uint32_t)ix->docs[d].length[f]);
    put_u32s(out, job->word_offset, word_count);
    put_u32s(out, job->word_df, word_count);
    for (size_t i = 0; i < word_count; i++)
        put_u32(out, ((const vocabulary_word *)strmap_get(&ix->vocabulary, word_keys[i]))->id);
    put_u32s(out, job->stem_offset, term_count);
    uint32_t *position = zeroed(term_count + 1, sizeof *position);
    for (size_t i = 0; i < term_count; i++) {
        uint32_t id = ((const term *)strmap_get(&ix->terms, term_keys[i]))->id;
        position[id] = (uint32_t)i;
        put_u32(out, id);
    }
    put_u32s(out, position, term_count);
    free(position);
    put_u32s(out, ix->term_entry, term_count);
    put_u32s(out, ix->pairs, 2 * ix->pair_count);
}

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
    for (int f = 0; f < FIELD_KINDS; f++) {
        uint64_t total = 0;
        uint32_t having = 0;
        for (size_t i = 0; i < ix->doc_count; i++) {
            total += (uint64_t)ix->docs[i].length[f];
            having += ix->docs[i].length[f] > 0;
        }
        ix->total_length[f] = total;
        ix->having_field[f] = having;
        ix->average_length[f] = average_length(total, having);
    }

    if (pub != NULL) {
        ix->term_entry = zeroed(ix->terms_by_id.count + 1, sizeof *ix->term_entry);
        /* Room for every term's entry at once: 6 bytes a posting do. */
        size_t postings = 0;
        for (size_t i = 0; i < ix->terms_by_id.count; i++)
            postings += ((const term *)ix->terms_by_id.items[i])->count;
        buf_reserve(&ix->patch_entries, 6 * postings + 96 * ix->terms_by_id.count);
    }
    size_t word_count, term_count;
    const char **word_keys = sorted_keys(&ix->vocabulary, &word_count);
    write_shards(ix, "vocabulary", word_keys, word_count, write_stem);
    const char **term_keys = sorted_keys(&ix->terms, &term_count);
    write_shards(ix, "terms", term_keys, term_count, write_postings);

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
    if (pub != NULL) {
        buf patch = BUF_INIT;
        write_patch_section(ix, &job, word_keys, word_count, term_keys, term_count, &patch);
        publish_record_base(pub, "index", &job.out);
        publish_record_base(pub, "search patch", &patch);
        publish_record_base(pub, "search entries", &ix->patch_entries);
    }
    free(word_keys);
    free(term_keys);
    free(job.word_offset);
    free(job.word_df);
    free(job.stem_offset);
    free(job.doc_offset);
    buf_free(&job.out);
    return ix->status;
}

/* ---------- patching ---------- */

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A term's postings after a patch: a block of its own, so that a cursor
 * walks it (pack_postings). */
typedef struct touched_term {
    uint32_t id;
    posting_block *postings; /* malloc'ed; NULL: spliced */
    buf packed;              /* spliced: its postings packed anew */
} touched_term;

/* A use of a term in one document: its posting there. */
typedef struct document_use {
    uint32_t term;
    posting posting;
} document_use;

/* What replaces the base's: a document's entry in "index", a term's value
 * in its shard. */
typedef struct replaced_entry {
    const uint8_t *bytes; /* in the previous record, or in owned */
    size_t len;
    buf owned;            /* made by this patch */
} replaced_entry;

struct index_patch {
    const site *site;
    const uint8_t *index; /* the base's "index" section */
    size_t index_len;
    uint32_t doc_count, word_count, term_count, pair_count, own_files;
    uint64_t total_length[FIELD_KINDS];
    uint32_t having_field[FIELD_KINDS];
    double average_length[FIELD_KINDS];
    /* The tables of "search patch", in place (4-byte words), and "search
     * entries": */
    const uint8_t *doc_offset, *doc_lengths, *word_offset, *word_df_table, *word_order,
        *stem_offset, *term_order, *term_position, *term_entry, *pairs, *entries;
    size_t entries_len;
    /* The index as it is now: the base, with the entries of the documents
     * and terms changed since (by earlier patch builds, from "search
     * delta", and by this one). */
    doc_entry *docs;     /* every document's lengths (for scoring) */
    uint32_t *word_df;   /* documents per word */
    replaced_entry *doc_now, *term_now; /* by document its entry, by term its state;
                                           bytes NULL: the base's */
    /* How the documents changed since the base change their terms'
     * postings: the edits by term (edit_start[t] to edit_start[t + 1]). */
    struct posting_edit *edits;
    uint32_t *edit_start;
    uint32_t *touched_at; /* per term: its place in touched + 1, or 0 */
    touched_term *touched;
    size_t touched_count, touched_cap;
    /* Scratch for merge_document: per term, the stamp of the document whose
     * use is at own_at[term] (own uses) or merged_at[term]. */
    uint32_t *own_stamp, *own_at, *merged_stamp, *merged_at, stamp;
    uint32_t *word_stamp;
    uint32_t *old_stamp, *old_at; /* index_patch_page: the page's postings before */
    buf delta; /* the record's "search delta", after index_patch_prepare */
    index_patch_reader read_published;
    void *read_ctx;
    const char *declined; /* why the last page could not be patched */
    struct posting_edit *page_edits; /* this patch's pages' changes to postings, in order */
    size_t page_edit_count, page_edit_cap;
};

static uint32_t table(const uint8_t *t, size_t i)
{
    return get_u32(t + 4 * i);
}

/* A reader of the "index" section from offset on. */
static record_reader index_reader(const index_patch *ip, uint32_t offset)
{
    return (record_reader){ip->index + offset, ip->index + ip->index_len, false};
}

/* A reader of document doc's entry in "index", as it is now. */
static record_reader document_reader(const index_patch *ip, uint32_t doc)
{
    const replaced_entry *e = &ip->doc_now[doc];
    if (e->bytes != NULL)
        return (record_reader){e->bytes, e->bytes + e->len, false};
    return index_reader(ip, table(ip->doc_offset, doc));
}

/* A reader of term id's entry in the base. */
static record_reader term_reader(const index_patch *ip, uint32_t id)
{
    return (record_reader){ip->entries + table(ip->term_entry, id), ip->entries + ip->entries_len,
                           false};
}

/* A change to a term's postings: one document's posting out, or in. */
typedef struct posting_edit {
    uint32_t term;
    bool remove;
    posting posting;
} posting_edit;

static const char *word_text(const index_patch *ip, uint32_t id)
{
    record_reader rr = index_reader(ip, table(ip->word_offset, id));
    return record_read_string(&rr, NULL);
}

static const char *stem_text(const index_patch *ip, uint32_t id)
{
    record_reader rr = index_reader(ip, table(ip->stem_offset, id));
    return record_read_string(&rr, NULL);
}

/* The id (in order, a table of ids sorted as the shards are) whose text is
 * key, or -1. */
static int64_t find_sorted(const index_patch *ip, const uint8_t *order, size_t count,
                           const char *(*text)(const index_patch *, uint32_t), const char *key)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t id = table(order, mid);
        const char *at = text(ip, id);
        int c = compare_by_shard(&key, &at);
        if (c == 0)
            return id;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* Whether every number of a table is below limit. */
static bool table_below(const uint8_t *t, size_t count, uint64_t limit)
{
    for (size_t i = 0; i < count; i++)
        if (table(t, i) >= limit)
            return false;
    return true;
}


/* The totals and havings of the fields, from words at t. */
static void read_totals(index_patch *ip, const uint8_t *t)
{
    for (int f = 0; f < FIELD_KINDS; f++) {
        ip->total_length[f] = table(t, 3 * f) | (uint64_t)table(t, 3 * f + 1) << 32;
        ip->having_field[f] = table(t, 3 * f + 2);
        ip->average_length[f] = average_length(ip->total_length[f], ip->having_field[f]);
    }
}

/* Takes the changes of earlier patch builds from the record's "search
 * delta" (see write_delta). False when it is damaged. */
static bool read_delta(index_patch *ip, const record *r)
{
    size_t len;
    const uint8_t *delta = record_section(r, "search delta", &len);
    if (delta == NULL)
        return true; /* none: the base is the index */
    size_t fixed = 4 * (1 + 3 * FIELD_KINDS + (size_t)ip->word_count);
    if (len < fixed || get_u32(delta) != PATCH_VERSION)
        return false;
    read_totals(ip, delta + 4);
    for (size_t i = 0; i < ip->word_count; i++)
        ip->word_df[i] = table(delta + 4 * (1 + 3 * FIELD_KINDS), i);
    record_reader rr = {delta + fixed, delta + len, false};
    for (uint64_t n = record_read_number(&rr); n > 0 && !rr.failed; n--) {
        uint64_t doc = record_read_number(&rr);
        if (doc >= ip->doc_count)
            return false;
        for (int f = 0; f < FIELD_KINDS; f++)
            ip->docs[doc].length[f] = (double)record_read_number(&rr);
        size_t entry_len;
        const char *entry = record_read_string(&rr, &entry_len);
        ip->doc_now[doc] = (replaced_entry){(const uint8_t *)entry, entry_len, BUF_INIT};
    }
    for (uint64_t n = record_read_number(&rr); n > 0 && !rr.failed; n--) {
        uint64_t id = record_read_number(&rr);
        if (id >= ip->term_count)
            return false;
        const uint8_t *start = rr.at;
        term_state st;
        read_term_state(&rr, &st);
        ip->term_now[id] = (replaced_entry){start, (size_t)(rr.at - start), BUF_INIT};
    }
    return !rr.failed && record_reader_done(&rr);
}

static bool collect_edits(index_patch *ip);

index_patch *index_patch_begin(const site *s, const record *r, index_patch_reader read_published,
                               void *read_ctx)
{
    size_t index_len, patch_len, entries_len;
    const uint8_t *index = record_section(r, "index", &index_len);
    const uint8_t *patch = record_section(r, "search patch", &patch_len);
    const uint8_t *entries = record_section(r, "search entries", &entries_len);
    if (index == NULL || patch == NULL || entries == NULL || patch_len < 4 * HEAD_WORDS ||
        get_u32(patch) != PATCH_VERSION)
        return NULL;
    index_patch *ip = zeroed(1, sizeof *ip);
    *ip = (index_patch){.site = s, .index = index, .index_len = index_len, .delta = BUF_INIT,
                        .read_published = read_published, .read_ctx = read_ctx};
    ip->doc_count = table(patch, 1);
    ip->word_count = table(patch, 2);
    ip->term_count = table(patch, 3);
    ip->pair_count = table(patch, 4);
    ip->own_files = table(patch, 5);
    read_totals(ip, patch + 24);
    /* The tables, each checked against what it points into. */
    uint64_t word_total = ip->word_count, terms = ip->term_count, docs = ip->doc_count;
    const uint8_t **tables[] = {&ip->doc_offset,  &ip->doc_lengths,   &ip->word_offset,
                                &ip->word_df_table, &ip->word_order,  &ip->stem_offset,
                                &ip->term_order,  &ip->term_position, &ip->term_entry,
                                &ip->pairs};
    const uint64_t sizes[] = {docs,  FIELD_KINDS * docs, word_total, word_total, word_total,
                              terms, terms,              terms,      terms,
                              2 * (uint64_t)ip->pair_count};
    uint64_t need = 4 * HEAD_WORDS;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        need += 4 * sizes[i];
    if (need != patch_len || terms == 0 || docs == 0) {
        free(ip);
        return NULL;
    }
    const uint8_t *at = patch + 4 * HEAD_WORDS;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *tables[i] = at;
        at += 4 * sizes[i];
    }
    ip->entries_len = entries_len;
    ip->entries = entries;
    bool good = table_below(ip->doc_offset, docs, index_len) &&
                table_below(ip->word_offset, word_total, index_len) &&
                table_below(ip->word_order, word_total, word_total) &&
                table_below(ip->stem_offset, terms, index_len) &&
                table_below(ip->term_order, terms, terms) &&
                table_below(ip->term_position, terms, terms) &&
                table_below(ip->term_entry, terms, ip->entries_len) &&
                table_below(ip->pairs, 2 * (uint64_t)ip->pair_count, terms);
    ip->docs = zeroed(docs + 1, sizeof *ip->docs);
    for (size_t d = 0; d < docs; d++)
        for (int f = 0; f < FIELD_KINDS; f++)
            ip->docs[d].length[f] = (double)table(ip->doc_lengths, FIELD_KINDS * d + (size_t)f);
    ip->word_df = zeroed(word_total + 1, sizeof *ip->word_df);
    for (size_t i = 0; i < word_total; i++)
        ip->word_df[i] = table(ip->word_df_table, i);
    ip->doc_now = zeroed(docs + 1, sizeof *ip->doc_now);
    ip->term_now = zeroed(terms + 1, sizeof *ip->term_now);
    ip->touched_at = zeroed(terms + 1, sizeof *ip->touched_at);
    ip->own_stamp = zeroed(terms + 1, sizeof *ip->own_stamp);
    ip->own_at = zeroed(terms + 1, sizeof *ip->own_at);
    ip->merged_stamp = zeroed(terms + 1, sizeof *ip->merged_stamp);
    ip->merged_at = zeroed(terms + 1, sizeof *ip->merged_at);
    ip->word_stamp = zeroed(word_total + 1, sizeof *ip->word_stamp);
    ip->old_stamp = zeroed(terms + 1, sizeof *ip->old_stamp);
    ip->old_at = zeroed(terms + 1, sizeof *ip->old_at);
    if (!good || !read_delta(ip, r) || !collect_edits(ip)) {
        index_patch_free(ip);
        return NULL;
    }
    return ip;
}

void index_patch_free(index_patch *ip)
{
    if (ip == NULL)
        return;
    for (size_t i = 0; i < ip->touched_count; i++) {
        free(ip->touched[i].postings);
        buf_free(&ip->touched[i].packed);
    }
    free(ip->touched);
    for (size_t d = 0; ip->doc_now != NULL && d < ip->doc_count; d++)
        buf_free(&ip->doc_now[d].owned);
    for (size_t t = 0; ip->term_now != NULL && t < ip->term_count; t++)
        buf_free(&ip->term_now[t].owned);
    free(ip->doc_now);
    free(ip->term_now);
    free(ip->edits);
    free(ip->edit_start);
    free(ip->docs);
    free(ip->word_df);
    free(ip->touched_at);
    free(ip->own_stamp);
    free(ip->own_at);
    free(ip->merged_stamp);
    free(ip->merged_at);
    free(ip->word_stamp);
    free(ip->old_stamp);
    free(ip->old_at);
    free(ip->page_edits);
    buf_free(&ip->delta);
    free(ip);
}

/* A growable list of document uses. */
typedef struct use_list {
    document_use *items;
    size_t count, cap;
} use_list;

static document_use *push_use(use_list *l)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (l->items == NULL)
            abort();
    }
    document_use *u = &l->items[l->count++];
    *u = (document_use){0};
    return u;
}

/* The postings a document has after compounds are merged (split_compounds,
 * merge_postings), from its own uses: the same sums in the same order. */
static void merge_document(index_patch *ip, const use_list *own, use_list *merged)
{
    uint32_t stamp = ++ip->stamp;
    merged->count = 0;
    for (size_t i = 0; i < own->count; i++) {
        ip->own_stamp[own->items[i].term] = stamp;
        ip->own_at[own->items[i].term] = (uint32_t)i;
        ip->merged_stamp[own->items[i].term] = stamp;
        ip->merged_at[own->items[i].term] = (uint32_t)merged->count;
        *push_use(merged) = own->items[i];
    }
    for (size_t i = 0; i < ip->pair_count; i++) {
        uint32_t whole = table(ip->pairs, 2 * i), part = table(ip->pairs, 2 * i + 1);
        if (ip->own_stamp[whole] != stamp)
            continue;
        const posting *c = &own->items[ip->own_at[whole]].posting;
        if (ip->merged_stamp[part] != stamp) {
            ip->merged_stamp[part] = stamp;
            ip->merged_at[part] = (uint32_t)merged->count;
            document_use *u = push_use(merged);
            u->term = part;
            u->posting = (posting){.doc = c->doc, .best_section = c->best_section};
        }
        posting *m = &merged->items[ip->merged_at[part]].posting;
        for (int f = 0; f < FIELD_KINDS; f++)
            m->tf[f] += COMPOUND_PART_WEIGHT * c->tf[f];
    }
}

/* Where doc's posting is, or would be, in the block. */
static size_t posting_place(const posting_block *b, uint32_t doc)
{
    size_t lo = 0, hi = b->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->items[mid].doc < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Takes posting p out of *block (remove) or puts it in. False when the
 * record disagrees (a posting to take out is not there, or one to put in
 * is). */
static bool edit_postings(posting_block **block, const posting *p, bool remove)
{
    posting_block *b = *block;
    size_t at = posting_place(b, p->doc);
    bool there = at < b->count && b->items[at].doc == p->doc;
    if (remove != there)
        return false;
    if (remove) {
        memmove(&b->items[at], &b->items[at + 1], (b->count - at - 1) * sizeof *p);
        b->count--;
        return true;
    }
    if (b->count == b->cap) {
        b->cap *= 2;
        b = realloc(b, sizeof *b + b->cap * sizeof *p);
        if (b == NULL)
            abort();
        *block = b;
    }
    memmove(&b->items[at + 1], &b->items[at], (b->count - at) * sizeof *p);
    b->items[at] = *p;
    b->count++;
    return true;
}

/* Notes term id as touched by this patch, with its postings (NULL: it is
 * spliced). */
static touched_term *add_touched(index_patch *ip, uint32_t id, posting_block *postings)
{
    if (ip->touched_count == ip->touched_cap) {
        ip->touched_cap = ip->touched_cap ? 2 * ip->touched_cap : 256;
        ip->touched = realloc(ip->touched, ip->touched_cap * sizeof *ip->touched);
        if (ip->touched == NULL)
            abort();
    }
    ip->touched[ip->touched_count++] = (touched_term){id, postings, BUF_INIT};
    ip->touched_at[id] = (uint32_t)ip->touched_count;
    return &ip->touched[ip->touched_count - 1];
}

/* The term's postings, decoded from its entry on first use. NULL when the
 * entry is damaged. */
static touched_term *touch_term(index_patch *ip, uint32_t id)
{
    touched_term *spliced = NULL;
    if (ip->touched_at[id] != 0) {
        spliced = &ip->touched[ip->touched_at[id] - 1];
        if (spliced->postings != NULL)
            return spliced;
    }
    record_reader rr = term_reader(ip, id);
    term_state base;
    if (!read_term_state(&rr, &base) || base.count > ip->doc_count)
        return NULL;
    uint64_t count = base.count;
    posting_block *block = malloc(sizeof *block + (count + 1) * sizeof(posting));
    if (block == NULL)
        abort();
    *block = (posting_block){.count = (uint32_t)count, .cap = (uint32_t)count + 1};
    uint64_t doc = 0;
    for (uint64_t i = 0; i < count; i++) {
        posting *p = &block->items[i];
        doc += record_read_number(&rr);
        p->doc = (uint32_t)doc;
        for (int f = 0; f < FIELD_KINDS; f++)
            p->tf[f] = (float)record_read_number(&rr) / 2;
        p->best_section = (uint32_t)record_read_number(&rr);
        if (doc >= ip->doc_count || (i > 0 && p->doc <= block->items[i - 1].doc))
            rr.failed = true;
    }
    /* Then as the documents changed since the base have it, and, when the
     * term was spliced by pages before in this patch, as those have it. */
    for (uint32_t e = ip->edit_start[id]; e < ip->edit_start[id + 1] && !rr.failed; e++)
        rr.failed = !edit_postings(&block, &ip->edits[e].posting, ip->edits[e].remove);
    for (size_t e = 0; spliced != NULL && e < ip->page_edit_count && !rr.failed; e++)
        if (ip->page_edits[e].term == id)
            rr.failed = !edit_postings(&block, &ip->page_edits[e].posting, ip->page_edits[e].remove);
    if (rr.failed) {
        free(block);
        return NULL;
    }
    if (spliced != NULL) {
        spliced->postings = block; /* scored whole from here on */
        return spliced;
    }
    return add_touched(ip, id, block);
}

/* Reads document doc's entry from rr: its word ids and own uses. False
 * when it is damaged. */
static bool read_document(const index_patch *ip, record_reader rr, uint32_t doc,
                          number_list *word_ids, use_list *own)
{
    record_read_hash(&rr);
    for (int f = 0; f < FIELD_KINDS; f++)
        record_read_number(&rr);
    for (uint64_t n = record_read_number(&rr); n > 0 && !rr.failed; n--) {
        uint64_t id = record_read_number(&rr);
        if (id >= ip->word_count)
            return false;
        number_push(word_ids, (uint32_t)id);
    }
    for (uint64_t n = record_read_number(&rr); n > 0 && !rr.failed; n--) {
        document_use *u = push_use(own);
        uint64_t id = record_read_number(&rr);
        if (id >= ip->term_count)
            return false;
        u->term = (uint32_t)id;
        u->posting.doc = doc;
        for (int f = 0; f < FIELD_KINDS; f++)
            u->posting.tf[f] = (float)record_read_number(&rr);
        u->posting.best_section = (uint32_t)record_read_number(&rr);
    }
    return !rr.failed;
}

/* More documents changed since the base than this, and a whole build makes
 * a new base: the changes are applied to the base at every patch build. */
enum { MAX_PATCHED_DOCUMENTS = 256 };

/* The edits the documents changed since the base make to the postings:
 * each one's postings in the base out, its postings now in; by term, in
 * that order. */
static bool collect_edits(index_patch *ip)
{
    ip->edit_start = zeroed((size_t)ip->term_count + 2, sizeof *ip->edit_start);
    posting_edit *made = NULL;
    size_t count = 0, cap = 0, documents = 0;
    use_list own = {0}, merged = {0};
    number_list word_ids = {0};
    bool good = true;
    for (uint32_t d = 0; d < ip->doc_count && good; d++) {
        if (ip->doc_now[d].bytes == NULL)
            continue;
        good = ++documents <= MAX_PATCHED_DOCUMENTS;
        for (int now = 0; now < 2 && good; now++) {
            own.count = word_ids.count = 0;
            record_reader rr = now ? document_reader(ip, d) : index_reader(ip, table(ip->doc_offset, d));
            good = read_document(ip, rr, d, &word_ids, &own);
            merge_document(ip, &own, &merged);
            for (size_t i = 0; i < merged.count && good; i++) {
                if (count == cap) {
                    cap = cap ? 2 * cap : 256;
                    made = realloc(made, cap * sizeof *made);
                    if (made == NULL)
                        abort();
                }
                made[count++] = (posting_edit){merged.items[i].term, !now, merged.items[i].posting};
                ip->edit_start[merged.items[i].term + 1]++;
            }
        }
    }
    /* By term, keeping their order (a counting sort). */
    for (size_t t = 0; t < ip->term_count; t++)
        ip->edit_start[t + 1] += ip->edit_start[t];
    uint32_t *next = zeroed((size_t)ip->term_count + 1, sizeof *next);
    memcpy(next, ip->edit_start, ip->term_count * sizeof *next);
    ip->edits = zeroed(count + 1, sizeof *ip->edits);
    for (size_t i = 0; i < count && good; i++)
        ip->edits[next[made[i].term]++] = made[i];
    free(next);
    free(made);
    free(own.items);
    free(merged.items);
    free(word_ids.items);
    return good;
}

/* A term's state as it is now; false when its entry is damaged. */
static bool current_state(const index_patch *ip, uint32_t id, term_state *st)
{
    const replaced_entry *now = &ip->term_now[id];
    record_reader rr = now->bytes ? (record_reader){now->bytes, now->bytes + now->len, false}
                                  : term_reader(ip, id);
    return read_term_state(&rr, st) && st->file <= ip->own_files && st->count <= ip->doc_count;
}

/* Makes st the state of term id now. */
static void set_state(index_patch *ip, uint32_t id, const term_state *st)
{
    replaced_entry *e = &ip->term_now[id];
    buf made = BUF_INIT; /* st may point into e's bytes */
    write_term_state(&made, st);
    buf_free(&e->owned);
    e->owned = made;
    e->bytes = (const uint8_t *)made.data;
    e->len = made.len;
}

/* PACK_DIGITS backwards: each byte's digit value plus one, 0 for a byte
 * that is no digit. A splice walks a common word's postings, tens of KiB,
 * a byte at a time. */
static uint8_t digit_values[256];
static pthread_once_t digit_values_made = PTHREAD_ONCE_INIT;

static void make_digit_values(void)
{
    for (size_t i = 0; PACK_DIGITS[i] != '\0'; i++)
        digit_values[(unsigned char)PACK_DIGITS[i]] = (uint8_t)(i + 1);
}

/* Reads a packed number at *at (before end); false when there is none. */
static bool unpack_number(const char *packed, size_t len, size_t *at, uint32_t *n)
{
    pthread_once(&digit_values_made, make_digit_values);
    *n = 0;
    while (*at < len) {
        uint32_t v = digit_values[(unsigned char)packed[(*at)++]];
        if (v == 0)
            return false;
        v--;
        *n = *n << 5 | (v & 31);
        if (v < 32)
            return true;
    }
    return false;
}

/* The postings of a term in line, from its value [scale,"digits"]. */
static bool inline_postings(const term_state *st, buf *out)
{
    const char *quote = memchr(st->value, '"', st->value_len);
    const char *end = st->value + st->value_len;
    if (quote == NULL || end - quote < 3 || end[-2] != '"')
        return false;
    buf_append(out, quote + 1, (size_t)(end - 2 - (quote + 1)));
    return true;
}

/* Changes only document p->doc's score and section in term id's packed
 * postings, in place of scoring them all again: when the document keeps
 * the term (the same count, so the same idf), is not one of its two best
 * before, and does not become its best (so the scale stays). Returns false
 * when that does not hold: the caller scores the term whole. */
static bool splice_term(index_patch *ip, uint32_t id, const posting *p, const posting *old,
                        const double old_length[FIELD_KINDS])
{
    term_state st;
    uint32_t d = p->doc;
    if (!current_state(ip, id, &st) || st.top.doc[0] == d + 1 || st.top.doc[1] == d + 1 ||
        st.top.doc[1] == 0)
        return false;
    double idf = idf_of(ip->doc_count, st.count);
    double score = posting_score(ip->docs, ip->average_length, p, idf);
    if (score > st.top.score[0] || (score == st.top.score[0] && d + 1 < st.top.doc[0]))
        return false;
    touched_term *t = ip->touched_at[id] ? &ip->touched[ip->touched_at[id] - 1] : NULL;
    /* Most of a page's terms keep their triple: the same score steps (the
     * page grew a little), section and title bit, and the page does not
     * enter the two best. Then nothing of the term changes, and its
     * postings, often a file of tens of KiB, need not be read. */
    score_top top = st.top;
    note_score(&top, d, score);
    double scale = strtod(st.value + 1, NULL); /* [scale,... */
    if (t == NULL && memcmp(&top, &st.top, sizeof top) == 0 &&
        score_steps(score, scale) ==
            score_steps(length_score(old_length, ip->average_length, old, idf), scale) &&
        p->best_section == old->best_section &&
        (p->tf[FIELD_TITLE] > 0) == (old->tf[FIELD_TITLE] > 0))
        return true;
    buf current = BUF_INIT;
    bool have;
    if (t != NULL) {
        have = true; /* spliced before in this build */
        buf_append(&current, t->packed.data, t->packed.len);
    } else if (st.file > 0) {
        char path[64];
        own_file_path((unsigned)st.file - 1, path);
        have = ip->read_published != NULL &&
               ip->read_published(ip->read_ctx, path, &current) == 0 &&
               record_hash_equal(record_hash_of(current.data, current.len), st.own);
    } else {
        have = inline_postings(&st, &current);
    }
    /* Its triple: the gap stays, the steps and section change. */
    size_t at = 0, steps_at = 0, end_at = 0;
    int64_t doc = -1;
    uint32_t gap, number;
    while (have && doc < (int64_t)d && unpack_number(current.data, current.len, &at, &gap)) {
        doc += gap;
        steps_at = at;
        have = unpack_number(current.data, current.len, &at, &number) &&
               unpack_number(current.data, current.len, &at, &number);
        end_at = at;
    }
    bool done = false;
    if (have && doc == (int64_t)d) {
        buf packed = BUF_INIT;
        buf_append(&packed, current.data, steps_at);
        pack_number(&packed, score_steps(score, scale));
        pack_number(&packed, p->best_section * 2 + (p->tf[FIELD_TITLE] > 0));
        buf_append(&packed, current.data + end_at, current.len - end_at);
        if ((packed.len > OWN_FILE_BYTES) == (st.file > 0)) {
            term_state now = st;
            note_score(&now.top, d, score);
            buf term_value = BUF_INIT;
            if (st.file > 0) {
                buf_append(&term_value, st.value, st.value_len);
                now.own = record_hash_of(packed.data, packed.len);
            } else {
                const char *comma = memchr(st.value, ',', st.value_len);
                buf_append(&term_value, st.value, comma ? (size_t)(comma - st.value) + 1 : 0);
                buf_append_char(&term_value, '"');
                buf_append(&term_value, packed.data, packed.len);
                buf_append_str(&term_value, "\"]");
            }
            now.value = term_value.data;
            now.value_len = term_value.len;
            set_state(ip, id, &now);
            buf_free(&term_value);
            if (t == NULL)
                t = add_touched(ip, id, NULL);
            buf_free(&t->packed);
            t->packed = packed;
            done = true;
        } else {
            buf_free(&packed);
        }
    }
    buf_free(&current);
    return done;
}

int index_patch_page(index_patch *ip, const page *p, size_t doc, const char *url,
                     const char *html, size_t html_len)
{
    if (doc >= ip->doc_count || ip->doc_now[doc].owned.len > 0)
        return 0; /* one page, one document */
    int result = 0;
    double old_length[FIELD_KINDS];
    number_list old_words = {0}, new_words = {0};
    use_list old_own = {0}, new_own = {0}, merged = {0}, old_merged = {0};
    index_builder *b = index_new_part(ip->site, doc);
    diag_list ignored = DIAG_LIST_INIT;
    for (int f = 0; f < FIELD_KINDS; f++)
        old_length[f] = ip->docs[doc].length[f];
    if (!read_document(ip, document_reader(ip, (uint32_t)doc), (uint32_t)doc, &old_words,
                       &old_own) ||
        index_add_page(b, p, url, html, html_len, NULL, &ignored) < 0)
        {
            ip->declined = "the page's old document or its HTML";
            goto done;
        }
    /* The page's words and terms as the previous build numbered them: a
     * word new to the site changes the vocabulary (and maybe compounds). */
    const doc_entry *made = &b->docs[doc];
    uint32_t stamp = ++ip->stamp;
    for (uint32_t i = 0; i < made->word_count; i++) {
        const vocabulary_word *w = b->words_by_id.items[made->words[i]];
        int64_t id = find_sorted(ip, ip->word_order, ip->word_count, word_text, w->folded);
        if (id < 0)
            {
                ip->declined = "a word new to the site";
                goto done;
            }
        number_push(&new_words, (uint32_t)id);
        ip->word_stamp[id] = stamp;
    }
    for (uint32_t i = 0; i < made->use_count; i++) {
        const term *t = b->terms_by_id.items[made->uses[i]];
        int64_t id = find_sorted(ip, ip->term_order, ip->term_count, stem_text, t->stem);
        if (id < 0)
            {
                ip->declined = "a term new to the site";
                goto done;
            }
        document_use *u = push_use(&new_own);
        u->term = (uint32_t)id;
        u->posting = t->first->items[0]; /* the part has this one document */
    }
    /* A word only this page had, and has no more, leaves the vocabulary. */
    for (size_t i = 0; i < old_words.count; i++)
        if (ip->word_stamp[old_words.items[i]] != stamp && ip->word_df[old_words.items[i]] <= 1)
            {
                ip->declined = "a word that leaves the site";
                goto done;
            }
    uint64_t total[FIELD_KINDS];
    uint32_t having[FIELD_KINDS];
    for (int f = 0; f < FIELD_KINDS; f++) {
        total[f] = ip->total_length[f] - (uint64_t)old_length[f] + (uint64_t)made->length[f];
        having[f] = ip->having_field[f] - (old_length[f] > 0) + (made->length[f] > 0);
        if (average_length(total[f], having[f]) != ip->average_length[f])
            {
                ip->declined = "an average length that moves a step";
                goto done;
            }
    }
    /* Out with the old postings, in with the new: a term the page keeps is
     * spliced where it can be (splice_term, with the page's new lengths),
     * else it is scored whole in index_patch_prepare. */
    for (int f = 0; f < FIELD_KINDS; f++)
        ip->docs[doc].length[f] = made->length[f];
    merge_document(ip, &old_own, &old_merged);
    merge_document(ip, &new_own, &merged);
    uint32_t old_stamp = stamp;
    for (size_t i = 0; i < old_merged.count; i++) {
        ip->old_stamp[old_merged.items[i].term] = old_stamp;
        ip->old_at[old_merged.items[i].term] = (uint32_t)i;
    }
    for (size_t i = 0; i < merged.count; i++) {
        const document_use *u = &merged.items[i];
        bool kept = ip->old_stamp[u->term] == old_stamp;
        const touched_term *t = ip->touched_at[u->term] ? &ip->touched[ip->touched_at[u->term] - 1] : NULL;
        if (kept && (t == NULL || t->postings == NULL) &&
            splice_term(ip, u->term, &u->posting,
                        &old_merged.items[ip->old_at[u->term]].posting, old_length))
            continue;
        touched_term *whole = touch_term(ip, u->term);
        if (whole == NULL ||
            (kept && !edit_postings(&whole->postings, &old_merged.items[ip->old_at[u->term]].posting, true)) ||
            !edit_postings(&whole->postings, &u->posting, false))
            {
                ip->declined = "the record's postings";
                goto done;
            }
    }
    for (size_t i = 0; i < merged.count; i++)
        ip->old_stamp[merged.items[i].term] = 0; /* done above */
    for (size_t i = 0; i < old_merged.count; i++) {
        const document_use *u = &old_merged.items[i];
        if (ip->old_stamp[u->term] != old_stamp)
            continue;
        touched_term *whole = touch_term(ip, u->term);
        if (whole == NULL || !edit_postings(&whole->postings, &u->posting, true))
            {
                ip->declined = "the record's postings";
                goto done;
            }
    }
    /* This page's changes, for a term spliced now and needed whole later. */
    for (int now = 0; now < 2; now++) {
        const use_list *l = now ? &merged : &old_merged;
        for (size_t i = 0; i < l->count; i++) {
            if (ip->page_edit_count == ip->page_edit_cap) {
                ip->page_edit_cap = ip->page_edit_cap ? 2 * ip->page_edit_cap : 256;
                ip->page_edits = realloc(ip->page_edits, ip->page_edit_cap * sizeof *ip->page_edits);
                if (ip->page_edits == NULL)
                    abort();
            }
            ip->page_edits[ip->page_edit_count++] =
                (posting_edit){l->items[i].term, !now, l->items[i].posting};
        }
    }
    for (size_t i = 0; i < old_words.count; i++)
        ip->word_df[old_words.items[i]]--;
    for (size_t i = 0; i < new_words.count; i++)
        ip->word_df[new_words.items[i]]++;
    for (int f = 0; f < FIELD_KINDS; f++) {
        ip->total_length[f] = total[f];
        ip->having_field[f] = having[f];
    }
    /* Its entry now, and its file (which follows the entry, for
     * index_patch_prepare). */
    replaced_entry *e = &ip->doc_now[doc];
    buf_clear(&e->owned);
    write_document_head(&e->owned, record_hash_of(b->gzipped.data, b->gzipped.len), made->length,
                        new_words.items, new_words.count);
    record_write_number(&e->owned, new_own.count);
    for (size_t i = 0; i < new_own.count; i++)
        write_use(&e->owned, new_own.items[i].term, &new_own.items[i].posting);
    e->bytes = (const uint8_t *)e->owned.data;
    e->len = e->owned.len;
    buf_append(&e->owned, b->gzipped.data, b->gzipped.len);
    e->bytes = (const uint8_t *)e->owned.data; /* moved by the append */
    result = 1;
done:
    diag_list_free(&ignored);
    index_free(b);
    free(old_words.items);
    free(new_words.items);
    free(old_own.items);
    free(new_own.items);
    free(merged.items);
    free(old_merged.items);
    return result;
}

/* "search delta": what patch builds changed since the base was made, so
 * that the base stays as it is:
 *
 *   the version, then per field the total length (two words) and the
 *   documents that have it, then per word the documents that use it (all
 *   4-byte words); the documents changed (record numbers: how many; per
 *   document its number, lengths and entry as in "index", a record
 *   string); the terms whose state changed (how many; per term its id and
 *   state, as write_term_state). Their postings follow from the base's
 *   and the documents' changes (collect_edits). */
static void write_delta(const index_patch *ip, buf *out)
{
    put_u32(out, PATCH_VERSION);
    for (int f = 0; f < FIELD_KINDS; f++) {
        put_u32(out, (uint32_t)ip->total_length[f]);
        put_u32(out, (uint32_t)(ip->total_length[f] >> 32));
        put_u32(out, ip->having_field[f]);
    }
    put_u32s(out, ip->word_df, ip->word_count);
    size_t docs = 0, terms = 0;
    for (size_t d = 0; d < ip->doc_count; d++)
        docs += ip->doc_now[d].bytes != NULL;
    record_write_number(out, docs);
    for (size_t d = 0; d < ip->doc_count; d++) {
        const replaced_entry *e = &ip->doc_now[d];
        if (e->bytes == NULL)
            continue;
        record_write_number(out, d);
        for (int f = 0; f < FIELD_KINDS; f++)
            record_write_number(out, (uint64_t)ip->docs[d].length[f]);
        record_write_string(out, (const char *)e->bytes, e->len);
    }
    for (size_t t = 0; t < ip->term_count; t++)
        terms += ip->term_now[t].bytes != NULL;
    record_write_number(out, terms);
    for (size_t t = 0; t < ip->term_count; t++) {
        const replaced_entry *e = &ip->term_now[t];
        if (e->bytes == NULL)
            continue;
        record_write_number(out, t);
        buf_append(out, (const char *)e->bytes, e->len);
    }
}

static int compare_places(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Writes the shard (by its place in shard order, any of its terms') whole
 * into json: its terms are a run in shard order. */
static void write_patched_shard(const index_patch *ip, uint32_t place, const char shard[3],
                                buf *json)
{
    char other[3];
    uint32_t first = place;
    while (first > 0 &&
           (shard_of(stem_text(ip, table(ip->term_order, first - 1)), other), strcmp(other, shard) == 0))
        first--;
    buf_clear(json);
    buf_append_char(json, '{');
    for (uint32_t pos = first; pos < ip->term_count; pos++) {
        uint32_t id = table(ip->term_order, pos);
        const char *stem = stem_text(ip, id);
        shard_of(stem, other);
        if (strcmp(other, shard) != 0)
            break;
        term_state st;
        if (!current_state(ip, id, &st))
            st.value_len = 0;
        buf_append_str(json, pos > first ? ",\n" : "");
        json_cstring(json, stem);
        buf_append_char(json, ':');
        buf_append(json, st.value, st.value_len);
    }
    buf_append_str(json, "}\n");
}

int index_patch_prepare(index_patch *ip, index_patch_output output, void *ctx)
{
    size_t n = ip->touched_count, place_count = 0;
    uint32_t *places = zeroed(n + 1, sizeof *places);
    buf packed = BUF_INIT, json = BUF_INIT, term_value = BUF_INIT;
    bool good = true;
    for (size_t i = 0; i < n && good; i++) {
        const touched_term *t = &ip->touched[i];
        term_state st;
        good = current_state(ip, t->id, &st);
        if (!good)
            break;
        char path[64];
        own_file_path(st.file > 0 ? (unsigned)st.file - 1 : 0, path);
        if (t->postings == NULL) {
            /* Spliced (splice_term): only its own file, or its value, changed. */
            if (st.file > 0)
                output(ctx, path, t->packed.data, t->packed.len);
            else
                places[place_count++] = table(ip->term_position, t->id);
            continue;
        }
        /* Scored again, as index_finish would. */
        good = t->postings->count > 0;
        if (!good)
            break;
        char scale[32];
        score_top top;
        pack_postings(ip->docs, ip->average_length, ip->doc_count,
                      (posting_cursor){t->postings, 0}, t->postings->count, scale, &packed, &top);
        /* A term moving in line or out would renumber the postings files. */
        good = (packed.len > OWN_FILE_BYTES) == (st.file > 0);
        if (!good)
            break;
        if (st.file > 0)
            output(ctx, path, packed.data, packed.len);
        buf_clear(&term_value);
        append_term_value(&term_value, scale, &packed, st.file > 0 ? (unsigned)st.file - 1 : 0);
        term_state now = {t->postings->count, st.file, term_value.data, term_value.len, top,
                          st.file > 0 ? record_hash_of(packed.data, packed.len)
                                      : (record_hash){0, 0}};
        set_state(ip, t->id, &now);
        places[place_count++] = table(ip->term_position, t->id);
    }
    if (good) {
        for (size_t d = 0; d < ip->doc_count; d++) {
            const replaced_entry *e = &ip->doc_now[d];
            if (e->owned.len == 0)
                continue;
            char path[64];
            document_path((uint32_t)d, path);
            output(ctx, path, e->owned.data + e->len, e->owned.len - e->len);
        }
        qsort(places, place_count, sizeof *places, compare_places);
        for (size_t i = 0; i < place_count; i++) {
            char shard[3], before[3];
            shard_of(stem_text(ip, table(ip->term_order, places[i])), shard);
            if (i > 0 && (shard_of(stem_text(ip, table(ip->term_order, places[i - 1])), before),
                          strcmp(shard, before) == 0))
                continue; /* written with the one before */
            write_patched_shard(ip, places[i], shard, &json);
            char path[96];
            snprintf(path, sizeof path, INDEX_FOLDER "/terms/%s.json", shard);
            output(ctx, path, json.data, json.len);
        }
        buf_clear(&ip->delta);
        write_delta(ip, &ip->delta);
    }
    free(places);
    buf_free(&packed);
    buf_free(&json);
    buf_free(&term_value);
    return good ? 1 : 0;
}

const char *index_patch_declined(const index_patch *ip)
{
    return ip->declined ? ip->declined : "a term moving in line or out of its own file";
}

void index_patch_record(index_patch *ip, publisher *pub)
{
    publish_record(pub, "search delta", &ip->delta);
}
