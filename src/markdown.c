#include "markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parsing: GFM strikethrough only with two tildes, since Dutch text writes
 * "~5 leerlingen" for "about 5". Safe mode is cmark-gfm's default (no
 * CMARK_OPT_UNSAFE): raw HTML and dangerous URLs stay out. */
#define PARSE_OPTIONS (CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE)
/* Rendering: table alignment as style attributes, since HTML5 has no align. */
#define RENDER_OPTIONS (CMARK_OPT_DEFAULT | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES)

static const char *const extension_names[] = {"table", "autolink", "strikethrough", "tasklist"};

static void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "handbook: out of memory (%zu bytes)\n", size);
        abort();
    }
    return p;
}

static void *xrealloc(void *old, size_t count, size_t elem)
{
    if (count != 0 && elem > SIZE_MAX / count) {
        fprintf(stderr, "handbook: out of memory\n");
        abort();
    }
    size_t size = count * elem;
    void *p = realloc(old, size ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "handbook: out of memory (%zu bytes)\n", size);
        abort();
    }
    return p;
}

/* ---- lines and columns ------------------------------------------------- */

/* Length of the line break at text[i] (\n, \r\n or a lone \r, as cmark counts
 * them), or 0. */
static size_t break_len(const char *text, size_t len, size_t i)
{
    if (text[i] == '\n')
        return 1;
    if (text[i] == '\r')
        return i + 1 < len && text[i + 1] == '\n' ? 2 : 1;
    return 0;
}

/* Offsets at which the lines of a text start; line n (1-based) starts at
 * starts[n - 1]. */
typedef struct line_index {
    const char *text;
    size_t len;
    size_t *starts; /* malloc'ed */
    size_t count;
} line_index;

static void lines_build(line_index *li, const char *text, size_t len)
{
    size_t count = 1;
    for (size_t i = 0; i < len; i++) {
        size_t b = break_len(text, len, i);
        if (b) {
            count++;
            i += b - 1;
        }
    }
    li->text = text;
    li->len = len;
    li->count = count;
    li->starts = xmalloc(count * sizeof *li->starts);
    li->starts[0] = 0;
    size_t n = 1;
    for (size_t i = 0; i < len; i++) {
        size_t b = break_len(text, len, i);
        if (b) {
            i += b - 1;
            li->starts[n++] = i + 1;
        }
    }
}

/* The byte range [*start, *end) of line n (1-based), without its break.
 * Returns false when there is no such line. */
static bool line_range(const line_index *li, long n, size_t *start, size_t *end)
{
    if (n < 1 || (size_t)n > li->count)
        return false;
    size_t s = li->starts[n - 1], e = s;
    while (e < li->len && li->text[e] != '\n' && li->text[e] != '\r')
        e++;
    *start = s;
    *end = e;
    return true;
}

/* Number of code points in text[from, to), for columns counted in characters. */
static uint32_t count_chars(const char *text, size_t from, size_t to)
{
    uint32_t n = 0;
    for (size_t i = from; i < to; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid
 * (RFC 3629 table: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t len, size_t i)
{
    unsigned char c = s[i];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (len - i < n)
        return 0;
    if (s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (s[i + k] < 0x80 || s[i + k] > 0xBF)
            return 0;
    return n;
}

/* Decodes the code point at s[*i] of valid UTF-8 and advances *i. */
static uint32_t utf8_decode(const unsigned char *s, size_t len, size_t *i)
{
    size_t n = utf8_sequence(s, len, *i);
    unsigned char c = s[*i];
    uint32_t cp;
    if (n <= 1) {
        (*i)++;
        return n == 1 ? c : 0xFFFD;
    }
    cp = c & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; k++)
        cp = (cp << 6) | (s[*i + k] & 0x3F);
    *i += n;
    return cp;
}

int markdown_check_utf8(const char *file, const char *text, size_t len, uint32_t first_line,
                        diag_list *diags)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t line = first_line ? first_line : 1;
    size_t line_start = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x80 && s[i] != '\n' && s[i] != '\r') {
            i++; /* the common case: plain ASCII */
            continue;
        }
        size_t b = break_len(text, len, i);
        if (b) {
            i += b;
            line++;
            line_start = i;
            continue;
        }
        size_t n = utf8_sequence(s, len, i);
        if (n == 0) {
            diag_add(diags, DIAG_ERROR, file, line, count_chars(text, line_start, i) + 1,
                     "invalid UTF-8 (byte 0x%02X); save the file as UTF-8", s[i]);
            return -1;
        }
        i += n;
    }
    return 0;
}

/* ---- front matter ------------------------------------------------------ */

/* Whether the line at text[i] is "---" plus optional blanks; *next is then the
 * start of the following line (or len). */
static bool is_fence(const char *text, size_t len, size_t i, size_t *next)
{
    if (len - i < 3 || memcmp(text + i, "---", 3) != 0)
        return false;
    i += 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    if (i == len) {
        *next = len;
        return true;
    }
    size_t b = break_len(text, len, i);
    if (b == 0)
        return false;
    *next = i + b;
    return true;
}

int markdown_split_front_matter(const char *file, const char *text, size_t len,
                                markdown_parts *out, diag_list *diags)
{
    size_t start = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    *out = (markdown_parts){0, "", 0, 0, text + start, len - start, 1};
    size_t yaml_start;
    if (!is_fence(text, len, start, &yaml_start))
        return 0;
    uint32_t line = 2;
    for (size_t i = yaml_start; i < len; line++) {
        size_t after;
        if (is_fence(text, len, i, &after)) {
            out->has_front_matter = 1;
            out->front_matter = text + yaml_start;
            out->front_matter_len = i - yaml_start;
            out->front_matter_line = 2;
            out->body = text + after;
            out->body_len = len - after;
            out->body_line = line + 1;
            return 0;
        }
        while (i < len && break_len(text, len, i) == 0)
            i++;
        if (i < len)
            i += break_len(text, len, i);
    }
    diag_add(diags, DIAG_ERROR, file, 1, 1,
             "the front matter that starts here is not closed; end it with a line '---'");
    return -1;
}

/* ---- checks before parsing --------------------------------------------- */

static bool is_blank_line(const char *text, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++)
        if (text[i] != ' ' && text[i] != '\t')
            return false;
    return true;
}

/* Number of columns a table delimiter row on this line could have (its runs of
 * '-'), or 0 when the line cannot be one. '>' and blanks may belong to the
 * prefixes of quotes and list items; cmark-gfm's scanner also takes \v and \f
 * for blanks. */
static size_t delimiter_columns(const char *text, size_t s, size_t e)
{
    size_t runs = 0;
    for (size_t i = s; i < e; i++) {
        char c = text[i];
        if (c == '-') {
            if (i == s || text[i - 1] != '-')
                runs++;
        } else if (c != ':' && c != '|' && c != ' ' && c != '\t' && c != '\v' && c != '\f' &&
                   c != '>') {
            return 0;
        }
    }
    return runs;
}

/* Counts the block quote and list item markers that open a line ("> > - 1. ").
 * Returns the count and, when it goes past the limit, stores the offset of the
 * marker that did in *where. */
static size_t container_markers(const char *text, size_t s, size_t e, size_t *where)
{
    size_t count = 0, i = s;
    for (;;) {
        while (i < e && (text[i] == ' ' || text[i] == '\t'))
            i++;
        if (i == e)
            break;
        size_t j = i;
        if (text[i] == '>') {
            j = i + 1;
        } else if (text[i] == '-' || text[i] == '*' || text[i] == '+') {
            j = i + 1;
            if (j < e && text[j] != ' ' && text[j] != '\t')
                break;
        } else if (text[i] >= '0' && text[i] <= '9') {
            while (j < e && j - i < 9 && text[j] >= '0' && text[j] <= '9')
                j++;
            if (j == e || (text[j] != '.' && text[j] != ')'))
                break;
            j++;
            if (j < e && text[j] != ' ' && text[j] != '\t')
                break;
        } else {
            break;
        }
        count++;
        if (count > MARKDOWN_MAX_DEPTH) {
            *where = i;
            break;
        }
        i = j;
    }
    return count;
}

/* Refuses, before cmark-gfm sees them, the inputs on which it takes too long
 * or too much memory: deep quote/list prefixes and huge tables. */
static int check_shape(const char *file, uint32_t first_line, const line_index *li,
                       diag_list *diags)
{
    size_t cells = 0, table_cols = 0, table_line = 0;
    for (size_t n = 1; n <= li->count; n++) {
        size_t s = 0, e = 0;
        line_range(li, (long)n, &s, &e);
        size_t where = 0;
        if (container_markers(li->text, s, e, &where) > MARKDOWN_MAX_DEPTH) {
            diag_add(diags, DIAG_ERROR, file, first_line + (uint32_t)n - 1,
                     count_chars(li->text, s, where) + 1,
                     "lists and quotes are nested more than %d levels deep here; use fewer levels",
                     MARKDOWN_MAX_DEPTH);
            return -1;
        }
        if (is_blank_line(li->text, s, e)) {
            table_cols = 0;
            continue;
        }
        size_t cols = delimiter_columns(li->text, s, e);
        if (cols > table_cols) {
            table_cols = cols;
            table_line = n;
        }
        if (table_cols > 0) {
            /* A row may hold more cells than the delimiter row says. */
            size_t row_cells = 1;
            for (size_t i = s; i < e; i++)
                if (li->text[i] == '|' && (i == s || li->text[i - 1] != '\\'))
                    row_cells++;
            if (row_cells > MARKDOWN_MAX_TABLE_COLUMNS || table_cols > MARKDOWN_MAX_TABLE_COLUMNS) {
                diag_add(diags, DIAG_ERROR, file, first_line + (uint32_t)n - 1, 1,
                         "a table row here has more than %d cells; make the table narrower",
                         MARKDOWN_MAX_TABLE_COLUMNS);
                return -1;
            }
            cells += row_cells > table_cols ? row_cells : table_cols;
        }
        if (cells > MARKDOWN_MAX_TABLE_CELLS) {
            diag_add(diags, DIAG_ERROR, file, first_line + (uint32_t)table_line - 1, 1,
                     "the tables of this page have more than %d cells; make them smaller "
                     "or split the page",
                     MARKDOWN_MAX_TABLE_CELLS);
            return -1;
        }
    }
    return 0;
}

/* ---- heading ids ------------------------------------------------------- */

/* ASCII for U+00C0..U+017F (Latin-1 Supplement letters and Latin
 * Extended-A); "" for × and ÷, which separate words. */
static const char *const latin_fold[] = {
    /* U+00C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00D0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    /* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    /* U+0100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    /* U+0110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    /* U+0120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    /* U+0130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    /* U+0140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    /* U+0150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    /* U+0160 */ "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    /* U+0170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

void markdown_slugify(buf *out, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t start = out->len;
    bool dash = false;
    for (size_t i = 0; i < len;) {
        uint32_t cp = utf8_decode(s, len, &i);
        char ascii[2] = {0, 0};
        const char *letters = NULL;
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            ascii[0] = (char)cp;
            letters = ascii;
        } else if (cp >= 'A' && cp <= 'Z') {
            ascii[0] = (char)(cp - 'A' + 'a');
            letters = ascii;
        } else if (cp == '\'' || cp == 0x2018 || cp == 0x2019 || cp == 0x02BC ||
                   (cp >= 0x0300 && cp <= 0x036F)) {
            continue; /* apostrophes ("auto's" -> autos) and combining accents */
        } else if (cp >= 0xC0 && cp <= 0x17F) {
            letters = latin_fold[cp - 0xC0];
        }
        if (letters == NULL || letters[0] == '\0') {
            dash = true;
            continue;
        }
        if (dash && out->len > start)
            buf_append_char(out, '-');
        dash = false;
        buf_append_str(out, letters);
    }
}

/* The ids used on a page, for "-1", "-2" suffixes: an open-addressing hash set
 * that also remembers, per id, the next suffix to try. */
typedef struct id_slot {
    const char *id; /* arena-owned; NULL when the slot is free */
    unsigned next;
} id_slot;

typedef struct id_set {
    id_slot *slots; /* malloc'ed */
    size_t cap, count;
} id_set;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static id_slot *id_find(id_set *set, const char *id)
{
    size_t i = (size_t)hash_str(id) & (set->cap - 1);
    while (set->slots[i].id != NULL && strcmp(set->slots[i].id, id) != 0)
        i = (i + 1) & (set->cap - 1);
    return &set->slots[i];
}

static void id_insert(id_set *set, const char *id)
{
    if ((set->count + 1) * 2 > set->cap) {
        id_set bigger = {NULL, set->cap ? set->cap * 2 : 64, 0};
        bigger.slots = xrealloc(NULL, bigger.cap, sizeof *bigger.slots);
        memset(bigger.slots, 0, bigger.cap * sizeof *bigger.slots);
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i].id != NULL)
                *id_find(&bigger, set->slots[i].id) = set->slots[i];
        bigger.count = set->count;
        free(set->slots);
        *set = bigger;
    }
    id_slot *slot = id_find(set, id);
    slot->id = id;
    slot->next = 1;
    set->count++;
}

/* Returns an arena-owned id not used before on the page: base, else base-1,
 * base-2, ... */
static const char *unique_id(arena *a, id_set *set, const char *base)
{
    id_slot *slot = set->cap ? id_find(set, base) : NULL;
    if (slot == NULL || slot->id == NULL) {
        const char *id = arena_strdup(a, base);
        id_insert(set, id);
        return id;
    }
    buf candidate = BUF_INIT;
    unsigned n = slot->next;
    for (;; n++) {
        buf_clear(&candidate);
        buf_printf(&candidate, "%s-%u", base, n);
        id_slot *other = id_find(set, candidate.data);
        if (other->id == NULL)
            break;
    }
    slot->next = n + 1; /* slot stays valid: nothing was inserted since id_find */
    const char *id = arena_strdup(a, candidate.data);
    buf_free(&candidate);
    id_insert(set, id);
    return id;
}

/* Appends the heading's text without markup, whitespace runs made one space. */
static void plain_text(buf *out, cmark_node *heading)
{
    buf raw = BUF_INIT;
    cmark_iter *it = cmark_iter_new(heading);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        if (ev != CMARK_EVENT_ENTER)
            continue;
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type type = cmark_node_get_type(n);
        if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE) {
            const char *literal = cmark_node_get_literal(n);
            if (literal != NULL)
                buf_append_str(&raw, literal);
        } else if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK) {
            buf_append_char(&raw, ' ');
        }
    }
    cmark_iter_free(it);
    bool space = false;
    size_t start = out->len;
    for (size_t i = 0; i < raw.len; i++) {
        char c = raw.data[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = true;
            continue;
        }
        if (space && out->len > start)
            buf_append_char(out, ' ');
        space = false;
        buf_append_char(out, c);
    }
    buf_free(&raw);
}

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "handbook: cmark-gfm refused to %s\n", what);
        abort();
    }
}

/* ---- cmark's memory ----------------------------------------------------- */

/* cmark-gfm allocates each node, string and buffer of a parse on its own and
 * frees them all at the end (malloc and free took 6% of a full build): a
 * region, emptied after each page, takes them instead. Its allocator has no context
 * argument, so the region of the page being rendered is the thread's. A
 * block that does not fit comes from malloc; each block starts with its
 * size and where it came from. */
typedef union block_header {
    struct {
        size_t size;
        bool from_malloc;
    } h;
    max_align_t align;
} block_header;

typedef struct parse_region {
    char *base;
    size_t used, size;
    size_t last; /* where the last block's header is: it can grow in place */
} parse_region;

static _Thread_local parse_region *current_region;

static void *region_alloc(size_t size)
{
    const size_t align = sizeof(block_header);
    if (size > SIZE_MAX / 2) {
        fprintf(stderr, "handbook: cmark asked for %zu bytes\n", size);
        abort();
    }
    size_t rounded = (size + align - 1) & ~(align - 1);
    parse_region *r = current_region;
    block_header *hdr;
    if (r != NULL && r->size - r->used >= rounded + sizeof *hdr) {
        hdr = (block_header *)(r->base + r->used);
        r->last = r->used;
        r->used += rounded + sizeof *hdr;
        hdr->h.from_malloc = false;
    } else {
        hdr = malloc(sizeof *hdr + rounded);
        if (hdr == NULL) {
            fprintf(stderr, "handbook: out of memory (%zu bytes)\n", size);
            abort();
        }
        hdr->h.from_malloc = true;
    }
    hdr->h.size = rounded;
    return hdr + 1;
}

static void *region_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / 2 / size)
        return region_alloc(SIZE_MAX); /* aborts */
    void *p = region_alloc(count * size);
    memset(p, 0, count * size);
    return p;
}

/* Whether hdr is the region's last block (it can grow or be given back). */
static bool is_last_block(const parse_region *r, const block_header *hdr)
{
    return r != NULL && !hdr->h.from_malloc && (const char *)hdr == r->base + r->last;
}

static void region_free(void *p)
{
    if (p == NULL)
        return;
    block_header *hdr = (block_header *)p - 1;
    parse_region *r = current_region;
    if (hdr->h.from_malloc)
        free(hdr);
    else if (is_last_block(r, hdr))
        r->used = r->last; /* the rest is given back with the region */
}

static void *region_realloc(void *p, size_t size)
{
    if (p == NULL)
        return region_alloc(size);
    block_header *hdr = (block_header *)p - 1;
    parse_region *r = current_region;
    const size_t align = sizeof(block_header);
    if (size <= SIZE_MAX / 2 && is_last_block(r, hdr)) {
        size_t rounded = (size + align - 1) & ~(align - 1);
        if (r->size - r->last - sizeof *hdr >= rounded) { /* grows where it is */
            hdr->h.size = rounded;
            r->used = r->last + sizeof *hdr + rounded;
            return p;
        }
    }
    void *fresh = region_alloc(size);
    memcpy(fresh, p, hdr->h.size < size ? hdr->h.size : size);
    region_free(p);
    return fresh;
}

static cmark_mem region_memory = {region_calloc, region_realloc, region_free};

/* Room for a page's parse: most pages need a few hundred KiB. */
enum { PARSE_REGION_SIZE = 2 << 20 };

/* Replaces a heading node by a custom block holding a custom inline that
 * writes <hN id="...">children</hN>; cmark-gfm has no heading attributes. */
static void replace_heading(cmark_node *heading, int level, const char *id)
{
    cmark_mem *mem = &region_memory; /* the document's: cmark links no others */
    cmark_node *block = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_BLOCK, mem);
    cmark_node *tag = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_INLINE, mem);
    buf open = BUF_INIT, close = BUF_INIT;
    buf_printf(&open, "<h%d id=\"%s\">", level, id);
    buf_printf(&close, "</h%d>", level);
    must(cmark_node_set_on_enter(tag, open.data), "set a heading's tag");
    must(cmark_node_set_on_exit(tag, close.data), "set a heading's tag");
    buf_free(&open);
    buf_free(&close);
    cmark_node *child;
    while ((child = cmark_node_first_child(heading)) != NULL) {
        cmark_node_unlink(child);
        must(cmark_node_append_child(tag, child), "move a heading's text");
    }
    must(cmark_node_append_child(block, tag), "build a heading");
    must(cmark_node_replace(heading, block), "replace a heading");
    cmark_node_free(heading);
}

/* ---- links ------------------------------------------------------------- */

/* Whether url starts with a scheme ("https:", "mailto:", "javascript:"). */
static bool has_scheme(const char *url)
{
    if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
        return false;
    for (size_t i = 1; url[i]; i++) {
        char c = url[i];
        if (c == ':')
            return true;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '.' || c == '-'))
            return false;
    }
    return false;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Resolves the link path (len bytes, percent-encoded) against the folder of
 * file into a normalised repository path in out. Returns -1 when ".." climbs
 * above the repository root. */
static int repo_path(const char *file, const char *path, size_t len, buf *out)
{
    buf joined = BUF_INIT;
    const char *slash = strrchr(file, '/');
    if (slash != NULL) {
        buf_append(&joined, file, (size_t)(slash - file));
        buf_append_char(&joined, '/');
    }
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (path[i] == '%' && i + 2 < len && (hi = hex_value(path[i + 1])) >= 0 &&
            (lo = hex_value(path[i + 2])) >= 0 && (hi | lo) != 0) {
            buf_append_char(&joined, (char)(hi * 16 + lo));
            i += 2;
        } else {
            buf_append_char(&joined, path[i]);
        }
    }
    /* Segment ends, as a stack of lengths of out. */
    size_t *marks = xrealloc(NULL, joined.len + 1, sizeof *marks);
    size_t depth = 0;
    int status = 0;
    buf_clear(out);
    for (size_t i = 0; i <= joined.len && status == 0;) {
        size_t j = i;
        while (j < joined.len && joined.data[j] != '/')
            j++;
        size_t n = j - i;
        const char *seg = joined.data + i;
        if (n == 0 || (n == 1 && seg[0] == '.')) {
            /* nothing */
        } else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            if (depth == 0) {
                status = -1;
            } else {
                depth--;
                out->len = depth ? marks[depth - 1] : 0;
                out->data[out->len] = '\0';
            }
        } else {
            if (out->len > 0)
                buf_append_char(out, '/');
            buf_append(out, seg, n);
            marks[depth++] = out->len;
        }
        i = j + 1;
    }
    free(marks);
    buf_free(&joined);
    return status;
}

/* Copies text for a message with control characters shown as '?', so that a
 * hostile link cannot send escape sequences to the terminal. */
static void append_printable(buf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        buf_append_char(out, c < 0x20 || c == 0x7F ? '?' : (char)c);
    }
}

/* ---- the walk ---------------------------------------------------------- */

typedef struct walker {
    arena *arena;
    const char *file;
    uint32_t first_line;
    const line_index *lines;
    const markdown_link_resolver *resolver;
    diag_list *diags;
    bool failed;
    bool too_deep;
    /* Inline positions. cmark-gfm 0.29 counts the columns of a block's later
     * lines from the column of its first line, and does not count the line
     * after a backslash line break. line is the current line of the block
     * (counted by line breaks too), shift the column error on it, measured at
     * the first inline after each line break. */
    cmark_node *block;
    cmark_node *scope; /* where the block's links are searched: block, or its table */
    bool after_break;
    long line; /* 0 until the block's first inline */
    long shift;
    /* Link errors so far, with where the search for their destination
     * stopped, so that the second bad link to the same path in a block is
     * found after the first. */
    struct link_seen {
        cmark_node *block;
        char *url; /* malloc'ed */
        size_t cursor;
    } *seen;
    size_t link_errors;
    /* Headings, replaced after the walk. */
    cmark_node **headings;
    size_t heading_count, heading_cap;
} walker;

static bool is_inline(cmark_node *n)
{
    return ((unsigned)cmark_node_get_type(n) & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_INLINE;
}

/* Depth of n below the document, counted up to limit + 1. */
static int depth_of(cmark_node *n, int limit)
{
    int depth = 0;
    for (cmark_node *p = cmark_node_parent(n); p != NULL && depth <= limit;
         p = cmark_node_parent(p))
        depth++;
    return depth;
}

/* Byte column (1-based) of the first character of line n after blanks and
 * up to `quotes` block quote markers; 0 when there is no line n. */
static long content_column(const walker *w, long n, int quotes)
{
    size_t s, e;
    if (!line_range(w->lines, n, &s, &e))
        return 0;
    const char *t = w->lines->text;
    size_t i = s;
    while (i < e && (t[i] == ' ' || t[i] == '\t'))
        i++;
    for (int q = 0; q < quotes && i < e && t[i] == '>'; q++) {
        i++;
        while (i < e && (t[i] == ' ' || t[i] == '\t'))
            i++;
    }
    return (long)(i - s) + 1;
}

static int quotes_around(cmark_node *n)
{
    int quotes = 0;
    for (cmark_node *p = n; p != NULL; p = cmark_node_parent(p))
        if (cmark_node_get_type(p) == CMARK_NODE_BLOCK_QUOTE)
            quotes++;
    return quotes;
}

static bool char_at(const walker *w, long line, long col, char c)
{
    size_t s, e;
    if (col < 1 || !line_range(w->lines, line, &s, &e))
        return false;
    return (size_t)(col - 1) < e - s && w->lines->text[s + (size_t)col - 1] == c;
}

/* Whether the '[' at text[i], the first character of its line after blanks
 * and quote markers, opens a link reference definition "[label]:". */
static bool opens_definition(const char *t, size_t i, size_t e)
{
    size_t j = i + 1;
    while (j < e && t[j] != ']' && t[j] != '[')
        j++;
    return j + 1 < e && t[j] == ']' && t[j + 1] == ':';
}

/* Finds the '[' that starts a link cmark-gfm placed at (line, col): exact when
 * the place holds a '[', else the nearest '[' on that line, else the first on
 * the block's later lines (after a link reference definition cmark-gfm is a
 * line early). Stores body-relative line and byte column. */
static void link_start(const walker *w, cmark_node *link, long *line, long *col)
{
    long l = w->line ? w->line : cmark_node_get_start_line(link);
    long raw = cmark_node_get_start_column(link);
    long c = raw - w->shift;
    *line = l;
    *col = c;
    if (char_at(w, l, c, '[') || char_at(w, l, raw, '[')) {
        *col = char_at(w, l, c, '[') ? c : raw;
        return;
    }
    long last = w->scope ? cmark_node_get_end_line(w->scope) : l;
    const char *t = w->lines->text;
    for (long n = l; n <= last && n <= l + 1000; n++) {
        size_t s, e;
        if (!line_range(w->lines, n, &s, &e))
            break;
        long best = 0;
        size_t lead = s;
        while (lead < e && (t[lead] == ' ' || t[lead] == '\t' || t[lead] == '>'))
            lead++;
        for (size_t i = s; i < e; i++) {
            if (t[i] != '[' || (i == lead && opens_definition(t, i, e)))
                continue;
            long at = (long)(i - s) + 1;
            if (n != l) {
                best = at;
                break;
            }
            if (best == 0 || labs(at - c) < labs(best - c))
                best = at;
        }
        if (best) {
            *line = n;
            *col = best;
            return;
        }
    }
}

/* Whether text[i] is preceded by an odd number of backslashes. */
static bool escaped(const char *t, size_t from, size_t i)
{
    size_t n = 0;
    while (i > from && t[i - 1] == '\\') {
        n++;
        i--;
    }
    return n % 2 == 1;
}

/* Link text longer than this is not searched for its '[' (the position then
 * comes from cmark-gfm); it keeps the search linear on hostile input. */
#define LINK_TEXT_SEARCH 1000

/* The '[' that opens the link text ending with the ']' at text[close], or
 * SIZE_MAX; brackets inside link text are balanced or escaped. */
static size_t opening_bracket(const char *t, size_t from, size_t close)
{
    if (close - from > LINK_TEXT_SEARCH)
        from = close - LINK_TEXT_SEARCH;
    size_t depth = 0;
    for (size_t k = close; k-- > from;) {
        if ((t[k] != '[' && t[k] != ']') || escaped(t, from, k))
            continue;
        if (t[k] == ']')
            depth++;
        else if (depth == 0)
            return k;
        else
            depth--;
    }
    return SIZE_MAX;
}

/* Finds the next inline link "[...](url" in text[*cursor, to), skipping
 * images; returns the offset of its '[' and moves *cursor past it, or returns
 * SIZE_MAX and moves *cursor to the end. */
static size_t find_inline_link(const char *t, size_t from, size_t to, const char *url,
                               size_t *cursor)
{
    size_t url_len = strlen(url);
    for (size_t i = *cursor; i + 1 < to; i++) {
        if (t[i] != ']' || t[i + 1] != '(' || escaped(t, from, i))
            continue;
        size_t j = i + 2;
        while (j < to && (t[j] == ' ' || t[j] == '\t'))
            j++;
        if (j < to && (t[j] == '\n' || t[j] == '\r')) {
            j += break_len(t, to, j);
            while (j < to && (t[j] == ' ' || t[j] == '\t' || t[j] == '>'))
                j++;
        }
        if (j < to && t[j] == '<')
            j++;
        if (to - j < url_len || memcmp(t + j, url, url_len) != 0)
            continue;
        size_t open = opening_bracket(t, from, i);
        if (open == SIZE_MAX || (open > from && t[open - 1] == '!' && !escaped(t, from, open - 1)))
            continue;
        *cursor = j + url_len;
        return open;
    }
    *cursor = to;
    return SIZE_MAX;
}

/* The body line (1-based) holding byte offset off. */
static long line_of(const line_index *li, size_t off)
{
    size_t lo = 0, hi = li->count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (li->starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo + 1;
}

/* Where a link with an error starts, as body line and byte column. cmark-gfm
 * 0.29's inline positions go wrong after code spans, link destinations and
 * backslash breaks that span lines, so an inline link is looked up by its
 * destination within its block first; cmark-gfm's position, corrected, is
 * the fallback (reference links, destinations written with escapes). */
static void link_position(walker *w, cmark_node *link, long *line, long *col)
{
    const char *url = cmark_node_get_url(link);
    struct link_seen *seen = NULL;
    for (size_t i = 0; i < w->link_errors; i++)
        if (w->seen[i].block == w->scope && strcmp(w->seen[i].url, url) == 0)
            seen = &w->seen[i];
    size_t from = 0, to = w->lines->len, s, e;
    if (w->scope && line_range(w->lines, cmark_node_get_start_line(w->scope), &s, &e))
        from = s;
    if (w->scope && line_range(w->lines, cmark_node_get_end_line(w->scope), &s, &e))
        to = e;
    if (from > to)
        from = 0, to = w->lines->len;
    size_t cursor = seen ? seen->cursor : from;
    size_t open = find_inline_link(w->lines->text, from, to, url, &cursor);
    struct link_seen *entry = &w->seen[w->link_errors];
    entry->block = w->scope;
    entry->url = xmalloc(strlen(url) + 1);
    strcpy(entry->url, url);
    entry->cursor = cursor;
    if (open != SIZE_MAX) {
        *line = line_of(w->lines, open);
        *col = (long)(open - w->lines->starts[*line - 1]) + 1;
    } else {
        link_start(w, link, line, col);
    }
}

/* Adds an error at the link's position: message, then a "did you mean" when
 * there is a suggestion, else advice to check the path. */
static void link_error(walker *w, cmark_node *link, const buf *message, const char *suggestion)
{
    w->failed = true;
    if (w->link_errors == MARKDOWN_MAX_LINK_ERRORS) {
        diag_add(w->diags, DIAG_NOTE, w->file, 0, 0,
                 "more than %d bad links; the rest are not shown", MARKDOWN_MAX_LINK_ERRORS);
    }
    if (w->link_errors >= MARKDOWN_MAX_LINK_ERRORS) {
        w->link_errors++;
        return;
    }
    if (w->seen == NULL)
        w->seen = xrealloc(NULL, MARKDOWN_MAX_LINK_ERRORS, sizeof *w->seen);
    long l, c;
    link_position(w, link, &l, &c);
    w->link_errors++;
    uint32_t line = 0, col = 0;
    size_t s, e;
    if (line_range(w->lines, l, &s, &e)) {
        size_t to = s + (size_t)(c > 0 ? c - 1 : 0);
        line = w->first_line + (uint32_t)l - 1;
        col = count_chars(w->lines->text, s, to < e ? to : e) + 1;
    }
    if (suggestion != NULL)
        diag_add(w->diags, DIAG_ERROR, w->file, line, col, "%s; did you mean '%s'?",
                 message->data, suggestion);
    else
        diag_add(w->diags, DIAG_ERROR, w->file, line, col, "%s; check the path", message->data);
}

static void rewrite_link(walker *w, cmark_node *link)
{
    const char *url = cmark_node_get_url(link);
    if (w->resolver == NULL || url == NULL || url[0] == '\0' || url[0] == '/' ||
        url[0] == '#' || url[0] == '?' || has_scheme(url))
        return;
    size_t path_len = strcspn(url, "?#");
    if (!ends_with(url, path_len, ".md") && !ends_with(url, path_len, ".yaml"))
        return;
    buf path = BUF_INIT, message = BUF_INIT, page = BUF_INIT;
    if (repo_path(w->file, url, path_len, &path) < 0) {
        buf_append_str(&message, "link to '");
        append_printable(&message, url, path_len);
        buf_append_str(&message, "' goes above the root of the repository");
        link_error(w, link, &message, NULL);
    } else if (w->resolver->resolve(w->resolver->ctx, path.data, &page) == 0) {
        buf_append_str(&page, url + path_len);
        must(cmark_node_set_url(link, page.data), "set a link");
    } else {
        buf_append_str(&message, "link to '");
        append_printable(&message, path.data, path.len);
        buf_append_str(&message, "', which is not a page of the handbook");
        buf suggestion = BUF_INIT, shown = BUF_INIT;
        /* Past the shown errors a hint is wasted work: each one compares the
         * path with every page. */
        bool have = w->link_errors < MARKDOWN_MAX_LINK_ERRORS && w->resolver->suggest != NULL &&
                    w->resolver->suggest(w->resolver->ctx, path.data, &suggestion) == 0 &&
                    suggestion.len > 0;
        if (have)
            append_printable(&shown, suggestion.data, suggestion.len);
        link_error(w, link, &message, have ? shown.data : NULL);
        buf_free(&suggestion);
        buf_free(&shown);
    }
    buf_free(&path);
    buf_free(&message);
    buf_free(&page);
}

/* The node whose lines are searched for the links of block: the table for a
 * table cell, since cmark-gfm 0.29 misplaces the header row of a table that
 * interrupts a paragraph; else the block itself. */
static cmark_node *search_scope(cmark_node *block)
{
    const char *type = cmark_node_get_type_string(block);
    if (type == NULL || strcmp(type, "table_cell") != 0)
        return block;
    cmark_node *row = cmark_node_parent(block);
    cmark_node *table = row ? cmark_node_parent(row) : NULL;
    type = table ? cmark_node_get_type_string(table) : NULL;
    return type != NULL && strcmp(type, "table") == 0 ? table : block;
}

static void visit(walker *w, cmark_node *n)
{
    if (!w->too_deep && depth_of(n, MARKDOWN_MAX_DEPTH) > MARKDOWN_MAX_DEPTH) {
        uint32_t line = 0, col = 0;
        size_t s, e;
        long l = cmark_node_get_start_line(n);
        if (line_range(w->lines, l, &s, &e)) {
            long c = cmark_node_get_start_column(n);
            size_t to = s + (size_t)(c > 1 ? c - 1 : 0);
            line = w->first_line + (uint32_t)l - 1;
            col = count_chars(w->lines->text, s, to < e ? to : e) + 1;
        }
        diag_add(w->diags, DIAG_ERROR, w->file, line, col,
                 "the text is nested more than %d levels deep here (lists, quotes, emphasis, "
                 "links); use fewer levels",
                 MARKDOWN_MAX_DEPTH);
        w->too_deep = true;
        w->failed = true;
    }
    if (!is_inline(n)) {
        w->block = n;
        w->scope = search_scope(n);
        w->after_break = false;
        w->line = 0;
        w->shift = 0;
        if (cmark_node_get_type(n) == CMARK_NODE_HEADING) {
            if (w->heading_count == w->heading_cap) {
                w->heading_cap = w->heading_cap ? w->heading_cap * 2 : 16;
                w->headings = xrealloc(w->headings, w->heading_cap, sizeof *w->headings);
            }
            w->headings[w->heading_count++] = n;
        }
        return;
    }
    cmark_node_type type = cmark_node_get_type(n);
    if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK) {
        w->after_break = true;
        if (w->line)
            w->line++;
        return;
    }
    long l = cmark_node_get_start_line(n);
    if (l > 0) {
        if (l > w->line)
            w->line = l; /* a code span or link spanning lines */
        if (w->after_break) {
            long first = content_column(w, w->line, quotes_around(w->block));
            w->shift = first ? cmark_node_get_start_column(n) - first : 0;
            w->after_break = false;
        }
    }
    if (type == CMARK_NODE_LINK)
        rewrite_link(w, n);
}

/* ---- rendering --------------------------------------------------------- */

static void register_extensions(void)
{
    cmark_gfm_core_extensions_ensure_registered();
}

static pthread_once_t extensions_once = PTHREAD_ONCE_INIT;

/* cmark-gfm 0.29.0.gfm.6 (Debian 12's) is not re-entrant while it parses:
 * each parse adds its extensions' characters (':' and 'w' of autolinks, '~'
 * of strikethrough) to one global table and takes them out again at the
 * end, so a parse in another thread misses autolinks. Later releases keep
 * the table per parser; until then, one parse at a time. Rendering the
 * parsed tree, and everything else here, runs in parallel. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

static void collect_headings(walker *w, markdown_result *out)
{
    id_set ids = {NULL, 0, 0};
    buf text = BUF_INIT, slug = BUF_INIT;
    out->heading_count = w->heading_count;
    out->headings = w->heading_count
                        ? arena_alloc(w->arena, w->heading_count * sizeof *out->headings)
                        : NULL;
    for (size_t i = 0; i < w->heading_count; i++) {
        cmark_node *h = w->headings[i];
        buf_clear(&text);
        buf_clear(&slug);
        plain_text(&text, h);
        markdown_slugify(&slug, text.data, text.len);
        if (slug.len == 0)
            buf_append_str(&slug, "kop");
        int level = cmark_node_get_heading_level(h);
        markdown_heading *entry = &out->headings[i];
        entry->level = level;
        entry->id = unique_id(w->arena, &ids, slug.data);
        entry->text = arena_strndup(w->arena, text.data, text.len);
        entry->line = w->first_line + (uint32_t)cmark_node_get_start_line(h) - 1;
        replace_heading(h, level, entry->id);
    }
    buf_free(&text);
    buf_free(&slug);
    free(ids.slots);
}

/* Wide tables scroll inside a focusable region instead of widening the page
 * on a phone (WCAG 1.4.10 reflow; the region is reachable by keyboard).
 * Raw HTML is never passed through, so every "<table>" in the output is a
 * table of the Markdown. */
static void append_wrapping_tables(buf *out, const char *html)
{
    static const char open_tag[] = "<table>", close_tag[] = "</table>";
    const char *p = html, *t;
    while ((t = strstr(p, open_tag)) != NULL) {
        const char *end = strstr(t, close_tag);
        if (end == NULL)
            break;
        end += sizeof close_tag - 1;
        buf_append(out, p, (size_t)(t - p));
        buf_append_str(out, "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" "
                            "aria-label=\"Tabel\">\n");
        buf_append(out, t, (size_t)(end - t));
        buf_append_str(out, "\n</div>");
        p = end;
    }
    buf_append_str(out, p);
}

int markdown_render(arena *a, const char *file, const char *body, size_t len,
                    uint32_t first_line, const markdown_link_resolver *resolver,
                    markdown_result *out, diag_list *diags)
{
    *out = (markdown_result)MARKDOWN_RESULT_INIT;
    if (first_line == 0)
        first_line = 1;
    if (len > MARKDOWN_MAX_SIZE) {
        diag_add(diags, DIAG_ERROR, file, 0, 0,
                 "the Markdown text is %zu bytes, more than the %d allowed; split the page",
                 len, MARKDOWN_MAX_SIZE);
        return -1;
    }
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0 && first_line == 1) {
        body += 3;
        len -= 3;
    }
    if (markdown_check_utf8(file, body, len, first_line, diags) < 0)
        return -1;
    line_index lines;
    lines_build(&lines, body, len);
    if (check_shape(file, first_line, &lines, diags) < 0) {
        free(lines.starts);
        return -1;
    }

    pthread_once(&extensions_once, register_extensions);
    parse_region region = {malloc(PARSE_REGION_SIZE), 0, PARSE_REGION_SIZE, 0};
    if (region.base == NULL)
        region.size = 0;
    current_region = &region;
    cmark_mem *mem = &region_memory;
    cmark_parser *parser = cmark_parser_new_with_mem(PARSE_OPTIONS, mem);
    for (size_t i = 0; i < sizeof extension_names / sizeof extension_names[0]; i++) {
        cmark_syntax_extension *ext = cmark_find_syntax_extension(extension_names[i]);
        if (ext == NULL) {
            fprintf(stderr, "handbook: cmark-gfm has no '%s' extension\n", extension_names[i]);
            abort();
        }
        cmark_parser_attach_syntax_extension(parser, ext);
    }
    pthread_mutex_lock(&parse_lock);
    cmark_parser_feed(parser, body, len);
    cmark_node *doc = cmark_parser_finish(parser);
    pthread_mutex_unlock(&parse_lock);

    walker w = {
        .arena = a,
        .file = file,
        .first_line = first_line,
        .lines = &lines,
        .resolver = resolver,
        .diags = diags,
    };
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
        if (ev == CMARK_EVENT_ENTER)
            visit(&w, cmark_iter_get_node(it));
    cmark_iter_free(it);

    int status = -1;
    if (!w.failed) {
        collect_headings(&w, out);
        char *html = cmark_render_html_with_mem(doc, RENDER_OPTIONS,
                                                cmark_parser_get_syntax_extensions(parser), mem);
        append_wrapping_tables(&out->html, html);
        mem->free(html);
        status = 0;
    }
    size_t kept = w.link_errors < MARKDOWN_MAX_LINK_ERRORS ? w.link_errors
                                                           : MARKDOWN_MAX_LINK_ERRORS;
    for (size_t i = 0; i < kept; i++)
        free(w.seen[i].url);
    free(w.seen);
    free(w.headings);
    free(lines.starts);
    cmark_node_free(doc);
    cmark_parser_free(parser);
    current_region = NULL;
    free(region.base);
    return status;
}

void markdown_result_free(markdown_result *result)
{
    buf_free(&result->html);
    result->headings = NULL;
    result->heading_count = 0;
}
