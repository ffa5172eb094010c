/* template.c - the Mustache engine: tokenize, find standalone lines, build an
 * operation tree, render it.
 *
 * Compiling happens in three passes over the source:
 *   1. tokenize: text (split after each newline) and tags, following {{=| |=}}
 *      delimiter changes; syntax errors are reported here;
 *   2. match sections and find standalone lines (a tag alone on its line, or one
 *      of the tag pairs the inheritance spec treats as standalone), whose
 *      surrounding whitespace and newline disappear from the output;
 *   3. build the operation tree, with block contents dedented as the
 *      inheritance spec describes.
 * Indentation of standalone partials, parents and blocks is applied while
 * rendering: operations that begin a template line carry a flag, and the
 * renderer writes the current indentation before them. */
#include "template.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "suggest.h"

typedef enum token_kind {
    TOKEN_TEXT,
    TOKEN_VARIABLE,
    TOKEN_RAW,
    TOKEN_SECTION,
    TOKEN_INVERTED,
    TOKEN_CLOSE,
    TOKEN_PARTIAL,
    TOKEN_PARENT,
    TOKEN_BLOCK,
    TOKEN_COMMENT,
    TOKEN_DELIMITER,
} token_kind;

typedef struct token {
    token_kind kind;
    uint32_t start, end;       /* source span of the text or the whole tag */
    uint32_t name_start, name_len;
    uint32_t line, col;        /* of start */
    uint32_t line_begin;       /* source offset where start's line begins */
    uint32_t match;            /* opener <-> its close tag */
    uint32_t indent_len;       /* standalone tags: whitespace before them */
    bool removed;              /* whitespace of a standalone line */
    bool newline_only;         /* text that keeps only its line ending */
    bool line_start;           /* first surviving token of its line */
    bool standalone;           /* the tag's line is standalone */
    bool dedent;               /* a block whose content is dedented */
} token;

typedef enum op_kind {
    OP_TEXT,
    OP_VARIABLE,
    OP_RAW,
    OP_SECTION,
    OP_INVERTED,
    OP_PARTIAL,
    OP_PARENT,
    OP_BLOCK,
} op_kind;

typedef struct name_part {
    const char *text;
    uint32_t len;
} name_part;

/* A tag's name, split at dots once at compile time. */
typedef struct tag_name {
    const char *raw; /* NUL-terminated, as written (without a leading '*') */
    uint32_t raw_len;
    uint32_t part_count; /* 0 for the implicit iterator "." */
    name_part *parts;
    bool dynamic; /* {{>*name}}: the partial's name is looked up in the context */
} tag_name;

typedef struct op op;
struct op {
    op_kind kind;
    bool line_start; /* writes the current indentation first */
    bool standalone; /* partial/parent/block on a line of its own */
    uint32_t line, col;
    const char *file;
    const char *text; /* OP_TEXT */
    uint32_t len;
    tag_name name;
    const char *indent; /* partial/parent/block: indentation its lines get */
    uint32_t indent_len;
    op *children; /* section, inverted, block content; parent arguments */
    uint32_t child_count;
};

struct template {
    const char *name;
    const char *file;
    op *ops;
    uint32_t op_count;
};

typedef struct template_entry {
    const char *name;
    uint64_t hash;
    template *tmpl;
} template_entry;

struct template_set {
    arena arena;
    template_entry *entries; /* open addressing, power-of-two size */
    size_t count, cap;
};

/* ---------- the set ---------- */

static uint64_t hash_name(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

template_set *template_set_new(void)
{
    template_set *set = calloc(1, sizeof *set);
    if (set == NULL)
        abort();
    return set;
}

void template_set_free(template_set *set)
{
    if (set == NULL)
        return;
    arena_free(&set->arena);
    free(set->entries);
    free(set);
}

static template_entry *find_entry(const template_set *set, const char *name, size_t len)
{
    if (set->cap == 0)
        return NULL;
    uint64_t h = hash_name(name, len);
    for (size_t i = h & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
        template_entry *e = &set->entries[i];
        if (e->name == NULL)
            return e;
        if (e->hash == h && strlen(e->name) == len && memcmp(e->name, name, len) == 0)
            return e;
    }
}

static void grow_set(template_set *set)
{
    size_t old_cap = set->cap;
    template_entry *old = set->entries;
    set->cap = old_cap ? old_cap * 2 : 16;
    set->entries = calloc(set->cap, sizeof *set->entries);
    if (set->entries == NULL)
        abort();
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].name != NULL)
            *find_entry(set, old[i].name, strlen(old[i].name)) = old[i];
    free(old);
}

static const template *lookup_template(const template_set *set, const char *name, size_t len)
{
    template_entry *e = find_entry(set, name, len);
    return e && e->name ? e->tmpl : NULL;
}

const template *template_set_get(const template_set *set, const char *name)
{
    return lookup_template(set, name, strlen(name));
}

const char *template_file(const template *tmpl)
{
    return tmpl->file;
}

/* ---------- compiling ---------- */

typedef struct compiler {
    arena *arena;
    const char *file;
    const char *src; /* arena copy of the source */
    uint32_t len;
    diag_list *diags;
    token *tokens;
    uint32_t token_count, token_cap;
    bool failed;
} compiler;

static void compile_error(compiler *c, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void compile_error(compiler *c, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    diag_vadd(c->diags, DIAG_ERROR, c->file, line, col, fmt, args);
    va_end(args);
    c->failed = true;
}

static token *push_token(compiler *c, token t)
{
    if (c->token_count == c->token_cap) {
        uint32_t cap = c->token_cap ? c->token_cap * 2 : 64;
        token *grown = realloc(c->tokens, cap * sizeof *grown);
        if (grown == NULL)
            abort();
        c->tokens = grown;
        c->token_cap = cap;
    }
    c->tokens[c->token_count] = t;
    return &c->tokens[c->token_count++];
}

/* Columns count characters, not bytes, as an editor shows them. The cursor
 * remembers the last position asked for, so that a long line with many tags
 * is scanned once, not once per tag. */
typedef struct column_cursor {
    uint32_t line_begin, at, col;
} column_cursor;

static uint32_t column_of(const char *src, column_cursor *cur, uint32_t line_begin, uint32_t at)
{
    if (cur->line_begin != line_begin || cur->at > at) {
        cur->line_begin = line_begin;
        cur->at = line_begin;
        cur->col = 1;
    }
    for (; cur->at < at; cur->at++)
        if (((unsigned char)src[cur->at] & 0xC0) != 0x80)
            cur->col++;
    return cur->col;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Text is split after every newline, so each text token lies on one line. */
static void push_text(compiler *c, column_cursor *cur, uint32_t from, uint32_t to, uint32_t *line,
                      uint32_t *line_begin)
{
    while (from < to) {
        const char *nl = memchr(c->src + from, '\n', to - from);
        uint32_t end = nl ? (uint32_t)(nl - c->src) + 1 : to;
        push_token(c, (token){.kind = TOKEN_TEXT,
                              .start = from,
                              .end = end,
                              .line = *line,
                              .col = column_of(c->src, cur, *line_begin, from),
                              .line_begin = *line_begin});
        if (nl) {
            (*line)++;
            *line_begin = end;
        }
        from = end;
    }
}

static const char *find_bytes(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    return memmem(hay, hay_len, needle, n);
}

static const char *tag_kind_name(char sigil)
{
    switch (sigil) {
    case '#': return "section";
    case '^': return "inverted section";
    case '$': return "block";
    case '<': return "parent";
    case '>': return "partial";
    default: return "tag";
    }
}

static void tokenize(compiler *c)
{
    char open[32] = "{{", close[32] = "}}";
    size_t open_len = 2, close_len = 2;
    uint32_t pos = 0, line = 1, line_begin = 0;
    column_cursor cur = {0, 0, 1};
    while (pos < c->len && !c->failed) {
        const char *tag = find_bytes(c->src + pos, c->len - pos, open, open_len);
        uint32_t tag_start = tag ? (uint32_t)(tag - c->src) : c->len;
        push_text(c, &cur, pos, tag_start, &line, &line_begin);
        if (tag == NULL)
            break;

        uint32_t tag_line = line, tag_line_begin = line_begin;
        uint32_t tag_col = column_of(c->src, &cur, line_begin, tag_start);
        uint32_t p = tag_start + (uint32_t)open_len;
        char sigil = p < c->len ? c->src[p] : '\0';
        token_kind kind = TOKEN_VARIABLE;
        switch (sigil) {
        case '{': kind = TOKEN_RAW; break;
        case '&': kind = TOKEN_RAW; break;
        case '#': kind = TOKEN_SECTION; break;
        case '^': kind = TOKEN_INVERTED; break;
        case '/': kind = TOKEN_CLOSE; break;
        case '>': kind = TOKEN_PARTIAL; break;
        case '<': kind = TOKEN_PARENT; break;
        case '$': kind = TOKEN_BLOCK; break;
        case '!': kind = TOKEN_COMMENT; break;
        case '=': kind = TOKEN_DELIMITER; break;
        default: sigil = '\0'; break;
        }
        if (sigil != '\0')
            p++;

        /* {{{name}}} and {{=a b=}} end with their own character before the
         * closing delimiter. */
        char closer[33];
        size_t closer_len = 0;
        if (sigil == '{' || sigil == '=')
            closer[closer_len++] = sigil == '{' ? '}' : '=';
        memcpy(closer + closer_len, close, close_len);
        closer_len += close_len;
        const char *end = find_bytes(c->src + p, c->len - p, closer, closer_len);
        if (end == NULL) {
            closer[closer_len] = '\0';
            compile_error(c, tag_line, tag_col, "unterminated tag: no '%s' closes it; close the tag or remove the "
                          "stray opening delimiter", closer);
            return;
        }
        uint32_t content_end = (uint32_t)(end - c->src);
        uint32_t tag_end = content_end + (uint32_t)closer_len;

        /* Tags may span lines (comments do); keep the line count right. */
        for (uint32_t i = tag_start; i < tag_end; i++)
            if (c->src[i] == '\n') {
                line++;
                line_begin = i + 1;
            }

        uint32_t name_start = p, name_end = content_end;
        while (name_start < name_end && is_space(c->src[name_start]))
            name_start++;
        while (name_end > name_start && is_space(c->src[name_end - 1]))
            name_end--;

        if (kind == TOKEN_DELIMITER) {
            /* Two delimiters separated by whitespace, neither containing
             * whitespace or '='. */
            uint32_t a = name_start, a_end = a;
            while (a_end < name_end && !is_space(c->src[a_end]))
                a_end++;
            uint32_t b = a_end;
            while (b < name_end && is_space(c->src[b]))
                b++;
            bool ok = a_end > a && b < name_end && a_end < b && a_end - a < sizeof open &&
                      name_end - b < sizeof close;
            for (uint32_t i = a; ok && i < name_end; i++)
                if (c->src[i] == '=' || (i >= b && is_space(c->src[i])))
                    ok = false;
            if (!ok) {
                compile_error(c, tag_line, tag_col,
                              "bad delimiter change; write it as {{=<%% %%>=}}: two delimiters "
                              "of at most 31 characters, separated by a space, without spaces "
                              "or '=' in them");
                return;
            }
            memcpy(open, c->src + a, a_end - a);
            open_len = a_end - a;
            open[open_len] = '\0';
            memcpy(close, c->src + b, name_end - b);
            close_len = name_end - b;
            close[close_len] = '\0';
        } else if (kind != TOKEN_COMMENT) {
            if (name_start == name_end) {
                compile_error(c, tag_line, tag_col, "empty tag: write a name between %s and %s",
                              open, close);
                return;
            }
            uint32_t check_from = name_start;
            if (c->src[check_from] == '*') /* {{> * name}}: a dynamic name may be padded */
                for (check_from++; check_from < name_end && is_space(c->src[check_from]);)
                    check_from++;
            for (uint32_t i = check_from; i < name_end; i++)
                if (is_space(c->src[i]) || (unsigned char)c->src[i] < 0x20) {
                    compile_error(c, tag_line, tag_col,
                                  "the name of this %s contains a space; names are single "
                                  "words like page.title", tag_kind_name(sigil));
                    return;
                }
        }
        push_token(c, (token){.kind = kind,
                              .start = tag_start,
                              .end = tag_end,
                              .name_start = name_start,
                              .name_len = name_end - name_start,
                              .line = tag_line,
                              .col = tag_col,
                              .line_begin = tag_line_begin});
        pos = tag_end;
    }
}

static bool is_opener(token_kind k)
{
    return k == TOKEN_SECTION || k == TOKEN_INVERTED || k == TOKEN_PARENT || k == TOKEN_BLOCK;
}

static bool same_name(const compiler *c, const token *a, const token *b)
{
    return a->name_len == b->name_len &&
           memcmp(c->src + a->name_start, c->src + b->name_start, a->name_len) == 0;
}

static const char *token_name(compiler *c, const token *t)
{
    return arena_strndup(c->arena, c->src + t->name_start, t->name_len);
}

static char opener_sigil(token_kind k)
{
    switch (k) {
    case TOKEN_INVERTED: return '^';
    case TOKEN_PARENT: return '<';
    case TOKEN_BLOCK: return '$';
    default: return '#';
    }
}

/* Pairs every opener with its close tag; reports unclosed, stray and
 * mismatched tags and nesting beyond the limit. */
static void match_sections(compiler *c)
{
    uint32_t stack[TEMPLATE_MAX_NESTING];
    uint32_t depth = 0;
    for (uint32_t i = 0; i < c->token_count && !c->failed; i++) {
        token *t = &c->tokens[i];
        if (is_opener(t->kind)) {
            if (depth == TEMPLATE_MAX_NESTING) {
                diag_add(c->diags, DIAG_ERROR, c->file, t->line, t->col,
                         "sections nested more than %d deep; split the template into partials",
                         TEMPLATE_MAX_NESTING);
                c->failed = true;
                return;
            }
            stack[depth++] = i;
        } else if (t->kind == TOKEN_CLOSE) {
            if (depth == 0) {
                diag_add(c->diags, DIAG_ERROR, c->file, t->line, t->col,
                         "closing tag {{/%s}} has no opening tag; remove it or add {{#%s}} before it",
                         token_name(c, t), token_name(c, t));
                c->failed = true;
                return;
            }
            token *opener = &c->tokens[stack[depth - 1]];
            if (!same_name(c, opener, t)) {
                const char *open_name = token_name(c, opener);
                diag_add(c->diags, DIAG_ERROR, c->file, t->line, t->col,
                         "closing tag {{/%s}} does not match {{%c%s}} opened at %u:%u; "
                         "close it first with {{/%s}}",
                         token_name(c, t), opener_sigil(opener->kind), open_name,
                         (unsigned)opener->line, (unsigned)opener->col, open_name);
                c->failed = true;
                return;
            }
            opener->match = i;
            t->match = stack[--depth];
        }
    }
    if (!c->failed && depth > 0) {
        token *opener = &c->tokens[stack[depth - 1]];
        const char *open_name = token_name(c, opener);
        diag_add(c->diags, DIAG_ERROR, c->file, opener->line, opener->col,
                 "{{%c%s}} is opened here but never closed; add {{/%s}} where it should end",
                 opener_sigil(opener->kind), open_name, open_name);
        c->failed = true;
    }
}

static bool is_blank_text(const compiler *c, const token *t)
{
    for (uint32_t i = t->start; i < t->end; i++) {
        char ch = c->src[i];
        if (ch == ' ' || ch == '\t')
            continue;
        if (ch == '\n' && i + 1 == t->end)
            continue;
        if (ch == '\r' && i + 2 == t->end && c->src[i + 1] == '\n')
            continue;
        return false;
    }
    return true;
}

static bool can_stand_alone(token_kind k)
{
    return k != TOKEN_TEXT && k != TOKEN_VARIABLE && k != TOKEN_RAW;
}

/* Marks one line [first, last] of tokens: which whitespace disappears and
 * which tags are standalone. */
static void mark_line(compiler *c, uint32_t first, uint32_t last)
{
    uint32_t tags[3], tag_count = 0;
    for (uint32_t i = first; i <= last; i++) {
        token *t = &c->tokens[i];
        if (t->kind == TOKEN_TEXT) {
            if (!is_blank_text(c, t))
                return;
        } else {
            if (!can_stand_alone(t->kind) || tag_count == 2)
                return;
            tags[tag_count++] = i;
        }
    }
    if (tag_count == 0)
        return;
    token *a = &c->tokens[tags[0]];
    bool keep_newline = false;
    if (tag_count == 2) {
        token *b = &c->tokens[tags[1]];
        if (tags[1] != tags[0] + 1)
            return;
        if (a->kind == TOKEN_PARENT && b->kind == TOKEN_CLOSE && b->match == tags[0]) {
            /* {{<parent}}{{/parent}} */
        } else if (a->kind == TOKEN_BLOCK && b->kind == TOKEN_CLOSE && b->match == tags[0]) {
            /* {{$block}}{{/block}}: the spec keeps the line's newline. */
            keep_newline = true;
        } else if (a->kind == TOKEN_PARENT && b->kind == TOKEN_BLOCK) {
            /* {{<parent}}{{$block}}: the block's content starts on the next line. */
            b->dedent = true;
        } else if (a->kind == TOKEN_CLOSE && b->kind == TOKEN_CLOSE &&
                   c->tokens[a->match].kind == TOKEN_BLOCK &&
                   c->tokens[b->match].kind == TOKEN_PARENT) {
            /* {{/block}}{{/parent}} */
        } else {
            return;
        }
    } else if (a->kind == TOKEN_BLOCK) {
        a->dedent = true;
    }
    a->standalone = true;
    a->indent_len = a->start - a->line_begin;
    for (uint32_t i = first; i <= last; i++) {
        token *t = &c->tokens[i];
        if (t->kind != TOKEN_TEXT)
            continue;
        if (keep_newline && i > tags[tag_count - 1])
            t->newline_only = true;
        else
            t->removed = true;
    }
}

static void mark_standalone_lines(compiler *c)
{
    uint32_t first = 0;
    for (uint32_t i = 0; i < c->token_count; i++) {
        token *t = &c->tokens[i];
        bool ends_line = t->kind == TOKEN_TEXT && c->src[t->end - 1] == '\n';
        if (ends_line || i + 1 == c->token_count) {
            mark_line(c, first, i);
            for (uint32_t j = first; j <= i; j++)
                if (!c->tokens[j].removed) {
                    c->tokens[j].line_start = true;
                    break;
                }
            first = i + 1;
        }
    }
}

/* ---------- building the operation tree ---------- */

typedef struct op_list {
    op *items;
    uint32_t count, cap;
} op_list;

static op *push_op(compiler *c, op_list *list)
{
    if (list->count == list->cap) {
        uint32_t cap = list->cap ? list->cap * 2 : 8;
        list->items = arena_grow(c->arena, list->items, list->count, cap, sizeof(op));
        list->cap = cap;
    }
    op *o = &list->items[list->count++];
    memset(o, 0, sizeof *o);
    o->file = c->file;
    return o;
}

static tag_name make_name(compiler *c, const token *t, bool allow_dynamic)
{
    tag_name n = {0};
    const char *s = c->src + t->name_start;
    uint32_t len = t->name_len;
    if (allow_dynamic && len > 1 && s[0] == '*') {
        n.dynamic = true;
        do {
            s++;
            len--;
        } while (len > 0 && is_space(s[0]));
    }
    n.raw = arena_strndup(c->arena, s, len);
    n.raw_len = len;
    if (len == 1 && s[0] == '.')
        return n; /* the implicit iterator */
    uint32_t parts = 1;
    for (uint32_t i = 0; i < len; i++)
        parts += s[i] == '.';
    n.parts = arena_alloc(c->arena, parts * sizeof *n.parts);
    uint32_t from = 0;
    for (uint32_t i = 0; i <= len; i++)
        if (i == len || s[i] == '.') {
            n.parts[n.part_count++] = (name_part){n.raw + from, i - from};
            from = i + 1;
        }
    return n;
}

/* The common leading whitespace of the non-blank lines in [from, to): what
 * the inheritance spec removes from a block's content before re-indenting it
 * where the block is used. */
static uint32_t margin_of(const compiler *c, uint32_t from, uint32_t to, uint32_t *margin_start)
{
    bool found = false;
    uint32_t best_start = 0, best_len = 0;
    uint32_t p = from;
    while (p < to) {
        uint32_t ws = p;
        while (ws < to && (c->src[ws] == ' ' || c->src[ws] == '\t'))
            ws++;
        uint32_t eol = ws;
        while (eol < to && c->src[eol] != '\n')
            eol++;
        bool blank = ws == eol || (eol == ws + 1 && c->src[ws] == '\r');
        if (!blank) {
            uint32_t len = ws - p;
            if (!found) {
                best_start = p;
                best_len = len;
                found = true;
            } else {
                uint32_t k = 0;
                while (k < best_len && k < len && c->src[best_start + k] == c->src[p + k])
                    k++;
                best_len = k;
            }
        }
        p = eol < to ? eol + 1 : to;
    }
    *margin_start = best_start;
    return best_len;
}

/* How building a list of tokens treats line-start whitespace. */
typedef struct dedent {
    uint32_t strip;       /* characters of leading whitespace removed per line */
    uint32_t margin_start; /* where that whitespace can be read in the source */
} dedent;

static void build_ops(compiler *c, uint32_t from, uint32_t to, dedent dd, op_list *out);

static void add_text(compiler *c, op_list *out, const token *t, uint32_t from, bool line_start)
{
    uint32_t len = t->end - from;
    op *prev = out->count ? &out->items[out->count - 1] : NULL;
    /* Text that continues the previous text in the source joins it: the
     * renderer finds line starts inside it again by their newlines. */
    if (prev && prev->kind == OP_TEXT && prev->text + prev->len == c->src + from) {
        prev->len += len;
        return;
    }
    op *o = push_op(c, out);
    o->kind = OP_TEXT;
    o->line_start = line_start;
    o->line = t->line;
    o->col = t->col;
    o->text = c->src + from;
    o->len = len;
}

static void build_ops(compiler *c, uint32_t from, uint32_t to, dedent dd, op_list *out)
{
    bool pending_line_start = false;
    for (uint32_t i = from; i < to; i++) {
        token *t = &c->tokens[i];
        bool line_start = t->line_start || pending_line_start;
        pending_line_start = false;
        if (t->removed)
            continue;
        if (t->kind == TOKEN_TEXT) {
            uint32_t start = t->start;
            if (t->newline_only) {
                start = t->end - 1;
                if (start > t->start && c->src[start - 1] == '\r')
                    start--;
            } else if (t->line_start && dd.strip > 0) {
                uint32_t ws = start;
                while (ws < t->end && (c->src[ws] == ' ' || c->src[ws] == '\t'))
                    ws++;
                bool blank = is_blank_text(c, t) && c->src[t->end - 1] == '\n';
                start = blank ? ws : start + (ws - start < dd.strip ? ws - start : dd.strip);
            }
            if (start == t->end) {
                pending_line_start = line_start;
                continue;
            }
            add_text(c, out, t, start, line_start);
            continue;
        }
        if (t->kind == TOKEN_COMMENT || t->kind == TOKEN_DELIMITER || t->kind == TOKEN_CLOSE) {
            pending_line_start = line_start && !t->standalone;
            continue;
        }
        op *o = push_op(c, out);
        o->line = t->line;
        o->col = t->col;
        o->line_start = line_start && !t->standalone;
        o->standalone = t->standalone;
        if (t->standalone) {
            uint32_t skip = t->indent_len < dd.strip ? t->indent_len : dd.strip;
            o->indent = c->src + t->line_begin + skip;
            o->indent_len = t->indent_len - skip;
        }
        switch (t->kind) {
        case TOKEN_VARIABLE: o->kind = OP_VARIABLE; break;
        case TOKEN_RAW: o->kind = OP_RAW; break;
        case TOKEN_PARTIAL: o->kind = OP_PARTIAL; break;
        case TOKEN_SECTION: o->kind = OP_SECTION; break;
        case TOKEN_INVERTED: o->kind = OP_INVERTED; break;
        case TOKEN_PARENT: o->kind = OP_PARENT; break;
        case TOKEN_BLOCK: o->kind = OP_BLOCK; break;
        default: break;
        }
        o->name = make_name(c, t, t->kind == TOKEN_PARTIAL || t->kind == TOKEN_PARENT);
        if (!is_opener(t->kind))
            continue;

        uint32_t close = t->match;
        dedent inner = dd;
        if (t->kind == TOKEN_BLOCK && t->dedent) {
            /* The content runs from the line after the opening tag to the
             * start of the closing tag's line (or the tag, if it shares its
             * line with content). */
            uint32_t content_start = t->end;
            while (content_start < c->len && c->src[content_start] != '\n')
                content_start++;
            if (content_start < c->len)
                content_start++;
            const token *closing = &c->tokens[close];
            uint32_t content_end = closing->standalone ? closing->line_begin : closing->start;
            if (content_end < content_start)
                content_end = content_start;
            inner.strip = margin_of(c, content_start, content_end, &inner.margin_start);
            if (inner.strip < dd.strip)
                inner.strip = dd.strip;
            /* Intrinsic indentation: the content's own margin beyond the
             * enclosing one is where the block puts its lines. */
            if (inner.strip > dd.strip) {
                o->indent = c->src + inner.margin_start + dd.strip;
                o->indent_len = inner.strip - dd.strip;
            }
        }
        op_list children = {0};
        build_ops(c, i + 1, close, inner, &children);
        const token *closing = &c->tokens[close];
        if (closing->line_start && !closing->standalone) {
            /* "  {{/section}} more": the indentation before the close tag
             * belongs to the section's content. */
            op *mark = push_op(c, &children);
            mark->kind = OP_TEXT;
            mark->line_start = true;
            mark->text = "";
            mark->line = closing->line;
            mark->col = closing->col;
        }
        if (t->kind == TOKEN_PARENT) {
            /* A parent keeps only its block arguments; other content inside
             * it is ignored, as the spec says. */
            op_list blocks = {0};
            for (uint32_t k = 0; k < children.count; k++)
                if (children.items[k].kind == OP_BLOCK)
                    *push_op(c, &blocks) = children.items[k];
            children = blocks;
        }
        o = &out->items[out->count - 1]; /* children may not move it, but be safe */
        o->children = children.items;
        o->child_count = children.count;
        i = close;
    }
}

const template *template_set_add(template_set *set, const char *name, const char *file,
                                 const char *source, size_t len, diag_list *diags)
{
    if (len > TEMPLATE_MAX_SIZE) {
        diag_add(diags, DIAG_ERROR, file, 0, 0,
                 "template of %zu bytes is larger than the limit of %d bytes; split it into partials",
                 len, TEMPLATE_MAX_SIZE);
        return NULL;
    }
    compiler c = {
        .arena = &set->arena,
        .file = arena_strdup(&set->arena, file),
        .src = arena_strndup(&set->arena, source, len),
        .len = (uint32_t)len,
        .diags = diags,
    };
    tokenize(&c);
    if (!c.failed)
        match_sections(&c);
    template *tmpl = NULL;
    if (!c.failed) {
        mark_standalone_lines(&c);
        op_list ops = {0};
        build_ops(&c, 0, c.token_count, (dedent){0, 0}, &ops);
        tmpl = arena_alloc(&set->arena, sizeof *tmpl);
        tmpl->name = arena_strdup(&set->arena, name);
        tmpl->file = c.file;
        tmpl->ops = ops.items;
        tmpl->op_count = ops.count;
        if (set->count + 1 > set->cap / 2)
            grow_set(set);
        template_entry *e = find_entry(set, name, strlen(name));
        if (e->name == NULL)
            set->count++;
        *e = (template_entry){tmpl->name, hash_name(name, strlen(name)), tmpl};
    }
    free(c.tokens);
    return tmpl;
}

/* ---------- checking references ---------- */

static int check_ops(const template_set *set, const op *ops, uint32_t count, diag_list *diags)
{
    int status = 0;
    for (uint32_t i = 0; i < count; i++) {
        const op *o = &ops[i];
        if ((o->kind == OP_PARTIAL || o->kind == OP_PARENT) && !o->name.dynamic &&
            lookup_template(set, o->name.raw, o->name.raw_len) == NULL) {
            suggestion hint = suggest_begin(o->name.raw);
            for (size_t k = 0; k < set->cap; k++)
                if (set->entries[k].name != NULL)
                    suggest_consider(&hint, set->entries[k].name);
            const char *best = hint.best;
            const char *what = o->kind == OP_PARTIAL ? "partial" : "parent";
            if (best)
                diag_add(diags, DIAG_ERROR, o->file, o->line, o->col,
                         "unknown %s '%s'; did you mean '%s'?", what, o->name.raw, best);
            else
                diag_add(diags, DIAG_ERROR, o->file, o->line, o->col,
                         "unknown %s '%s'; add layouts/%s.mustache or fix the name", what,
                         o->name.raw, o->name.raw);
            status = -1;
        }
        if (check_ops(set, o->children, o->child_count, diags) < 0)
            status = -1;
    }
    return status;
}

int template_set_check_references(const template_set *set, diag_list *diags)
{
    int status = 0;
    /* Walk in name order so messages come out in a stable order. */
    const template **all = malloc((set->count ? set->count : 1) * sizeof *all);
    if (all == NULL)
        abort();
    size_t n = 0;
    for (size_t k = 0; k < set->cap; k++)
        if (set->entries[k].name != NULL)
            all[n++] = set->entries[k].tmpl;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(all[j - 1]->name, all[j]->name) > 0; j--) {
            const template *tmp = all[j];
            all[j] = all[j - 1];
            all[j - 1] = tmp;
        }
    for (size_t i = 0; i < n; i++)
        if (check_ops(set, all[i]->ops, all[i]->op_count, diags) < 0)
            status = -1;
    free(all);
    return status;
}

/* ---------- what a template uses ---------- */

typedef struct closure_walk {
    const template_set *set;
    const char *part; /* the name part looked for */
    template_visitor visit;
    void *ctx;
    const template **seen;
    size_t seen_count;
    bool dynamic, mentions;
} closure_walk;

static void walk_template(closure_walk *w, const template *t);

static void walk_ops(closure_walk *w, const op *ops, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        const op *o = &ops[i];
        for (uint32_t k = 0; k < o->name.part_count && w->part; k++)
            if (o->name.parts[k].len == strlen(w->part) &&
                memcmp(o->name.parts[k].text, w->part, o->name.parts[k].len) == 0)
                w->mentions = true;
        if ((o->kind == OP_PARTIAL || o->kind == OP_PARENT) && o->name.dynamic)
            w->dynamic = true;
        else if (o->kind == OP_PARTIAL || o->kind == OP_PARENT) {
            const template *t = lookup_template(w->set, o->name.raw, o->name.raw_len);
            if (t != NULL)
                walk_template(w, t);
        }
        walk_ops(w, o->children, o->child_count);
    }
}

static void walk_template(closure_walk *w, const template *t)
{
    for (size_t i = 0; i < w->seen_count; i++)
        if (w->seen[i] == t)
            return;
    w->seen[w->seen_count++] = t; /* each template once: at most set->count */
    w->visit(w->ctx, t);
    walk_ops(w, t->ops, t->op_count);
}

bool template_closure(const template_set *set, const template *tmpl, const char *part,
                      template_visitor visit, void *ctx, bool *mentions)
{
    closure_walk w = {set, part, visit, ctx, NULL, 0, false, false};
    w.seen = malloc((set->count + 1) * sizeof *w.seen);
    if (w.seen == NULL)
        abort();
    walk_template(&w, tmpl);
    free(w.seen);
    *mentions = w.mentions;
    return !w.dynamic;
}

void template_set_each(const template_set *set, template_visitor visit, void *ctx)
{
    for (size_t k = 0; k < set->cap; k++)
        if (set->entries[k].name != NULL)
            visit(ctx, set->entries[k].tmpl);
}

/* ---------- rendering ---------- */

/* The limits as the messages name them. */
#define TEMPLATE_STRINGIFY(x) #x
#define TEMPLATE_TEXT(x) TEMPLATE_STRINGIFY(x)
#if TEMPLATE_MAX_OUTPUT == 64u * 1024 * 1024
#define TEMPLATE_MAX_OUTPUT_TEXT "64 MiB"
#else
#define TEMPLATE_MAX_OUTPUT_TEXT TEMPLATE_TEXT(TEMPLATE_MAX_OUTPUT) " bytes"
#endif
#if TEMPLATE_MAX_STEPS == 50u * 1000 * 1000
#define TEMPLATE_MAX_STEPS_TEXT "50 million"
#else
#define TEMPLATE_MAX_STEPS_TEXT TEMPLATE_TEXT(TEMPLATE_MAX_STEPS)
#endif

typedef struct renderer {
    const template_set *set;
    template_missing missing;
    buf *out;
    diag_list *diags;
    const value **stack; /* the context stack; the innermost value last */
    size_t depth, stack_cap;
    const op **frames; /* parents being rendered, outermost first */
    size_t frame_count;
    buf indents; /* the current indentation is always its tail */
    uint32_t steps;
    int nesting; /* partials and parents inside each other */
    bool failed;
} renderer;

static void render_error(renderer *r, const op *o, const char *fmt, const char *a)
{
    if (r->failed)
        return;
    diag_add(r->diags, DIAG_ERROR, o->file, o->line, o->col, fmt, a);
    r->failed = true;
}

static void push_context(renderer *r, const value *v)
{
    if (r->depth == r->stack_cap) {
        size_t cap = r->stack_cap ? r->stack_cap * 2 : 16;
        const value **grown = realloc(r->stack, cap * sizeof *grown);
        if (grown == NULL)
            abort();
        r->stack = grown;
        r->stack_cap = cap;
    }
    r->stack[r->depth++] = v;
}

static const value *lookup(const renderer *r, const tag_name *n)
{
    if (r->depth == 0)
        return NULL;
    if (n->part_count == 0)
        return r->stack[r->depth - 1];
    const value *v = NULL;
    for (size_t d = r->depth; d-- > 0;) {
        v = value_map_get(r->stack[d], n->parts[0].text, n->parts[0].len);
        if (v != NULL)
            break;
    }
    /* Later parts resolve only inside what the first part found. */
    for (uint32_t k = 1; v != NULL && k < n->part_count; k++)
        v = value_map_get(v, n->parts[k].text, n->parts[k].len);
    return v;
}

static void write_escaped(buf *out, const char *s, size_t len)
{
    buf_reserve(out, len);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *entity;
        switch (s[i]) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        buf_append(out, s + run, i - run);
        buf_append_str(out, entity);
        run = i + 1;
    }
    buf_append(out, s + run, len - run);
}

static void write_indent(renderer *r, uint32_t indent_start)
{
    buf_append(r->out, r->indents.data + indent_start, r->indents.len - indent_start);
}

static bool starts_blank_line(const char *s, size_t len)
{
    return len == 0 ? false : (s[0] == '\n' || (s[0] == '\r' && len > 1 && s[1] == '\n'));
}

/* Text with the indentation written after each newline that starts another
 * non-empty line of the same operation. */
static void write_text(renderer *r, const op *o, uint32_t indent_start)
{
    if (indent_start == r->indents.len) {
        buf_append(r->out, o->text, o->len);
        return;
    }
    const char *s = o->text, *end = o->text + o->len;
    if (o->line_start && !starts_blank_line(s, o->len))
        write_indent(r, indent_start);
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (nl == NULL || nl + 1 == end) {
            buf_append(r->out, s, (size_t)(end - s));
            return;
        }
        buf_append(r->out, s, (size_t)(nl + 1 - s));
        s = nl + 1;
        if (!starts_blank_line(s, (size_t)(end - s)))
            write_indent(r, indent_start);
    }
}

static void render_ops(renderer *r, const op *ops, uint32_t count, uint32_t indent_start);

/* Counts one unit of work: an operation, or one pass of a section's loop
 * (which may have no operations at all). Returns false once over the limit. */
static bool take_step(renderer *r, const op *o)
{
    if (++r->steps <= TEMPLATE_MAX_STEPS)
        return true;
    render_error(r, o, "rendering takes more than %s steps; is a loop nested too deeply?",
                 TEMPLATE_MAX_STEPS_TEXT);
    return false;
}

/* Renders ops with the current indentation extended by extra (a standalone
 * tag's whitespace), or replaced by nothing when reset is set. */
static void render_indented(renderer *r, const op *ops, uint32_t count, uint32_t indent_start,
                            bool reset, const char *extra, uint32_t extra_len)
{
    size_t saved = r->indents.len;
    uint32_t start = reset ? (uint32_t)saved : indent_start;
    buf_append(&r->indents, extra, extra_len);
    render_ops(r, ops, count, start);
    r->indents.len = saved;
    r->indents.data[saved] = '\0';
}

static const template *resolve_template(renderer *r, const op *o)
{
    const char *name = o->name.raw;
    size_t len = o->name.raw_len;
    if (o->name.dynamic) {
        tag_name inner = o->name;
        inner.dynamic = false;
        const value *v = lookup(r, &inner);
        if (v == NULL || (v->kind != VALUE_STRING && v->kind != VALUE_DATE))
            return NULL;
        name = v->as.string.text;
        len = v->as.string.len;
    }
    const template *t = lookup_template(r->set, name, len);
    if (t == NULL && r->missing == TEMPLATE_MISSING_IS_ERROR) {
        char *copy = strndup(name, len);
        if (copy == NULL)
            abort();
        render_error(r, o,
                     o->kind == OP_PARTIAL ? "unknown partial '%s'" : "unknown parent '%s'", copy);
        free(copy);
    }
    return t;
}

static bool enter_nested(renderer *r, const op *o, const char *name)
{
    if (r->nesting >= TEMPLATE_MAX_DEPTH) {
        diag_add(r->diags, DIAG_ERROR, o->file, o->line, o->col,
                 "templates nested more than %d deep at '%s'; does it include itself?",
                 TEMPLATE_MAX_DEPTH, name);
        r->failed = true;
        return false;
    }
    r->nesting++;
    return true;
}

static const op *find_override(const renderer *r, const tag_name *name)
{
    /* The outermost argument wins: the page overrides its layout, which
     * overrides the base layout. */
    for (size_t f = 0; f < r->frame_count; f++) {
        const op *parent = r->frames[f];
        for (uint32_t k = 0; k < parent->child_count; k++) {
            const op *b = &parent->children[k];
            if (b->name.raw_len == name->raw_len &&
                memcmp(b->name.raw, name->raw, name->raw_len) == 0)
                return b;
        }
    }
    return NULL;
}

static void render_op(renderer *r, const op *o, uint32_t indent_start)
{
    if (o->line_start && o->kind != OP_TEXT && indent_start != r->indents.len)
        write_indent(r, indent_start);
    switch (o->kind) {
    case OP_TEXT: write_text(r, o, indent_start); break;
    case OP_VARIABLE:
    case OP_RAW: {
        const value *v = lookup(r, &o->name);
        if (v == NULL)
            break;
        if (o->kind == OP_RAW) {
            value_append_text(r->out, v);
        } else if (v->kind == VALUE_STRING || v->kind == VALUE_DATE) {
            write_escaped(r->out, v->as.string.text, v->as.string.len);
        } else {
            buf text = BUF_INIT;
            value_append_text(&text, v);
            write_escaped(r->out, text.data, text.len);
            buf_free(&text);
        }
        break;
    }
    case OP_SECTION: {
        const value *v = lookup(r, &o->name);
        if (!value_truthy(v))
            break;
        if (v->kind == VALUE_LIST) {
            for (size_t k = 0; k < v->as.list.count && !r->failed && take_step(r, o); k++) {
                push_context(r, v->as.list.items[k]);
                render_ops(r, o->children, o->child_count, indent_start);
                r->depth--;
            }
        } else {
            push_context(r, v);
            render_ops(r, o->children, o->child_count, indent_start);
            r->depth--;
        }
        break;
    }
    case OP_INVERTED:
        if (!value_truthy(lookup(r, &o->name)))
            render_ops(r, o->children, o->child_count, indent_start);
        break;
    case OP_PARTIAL:
    case OP_PARENT: {
        const template *t = resolve_template(r, o);
        if (t == NULL || !enter_nested(r, o, t->name))
            break;
        if (o->kind == OP_PARENT) {
            const op **frames = realloc(r->frames, (r->frame_count + 1) * sizeof *frames);
            if (frames == NULL)
                abort();
            r->frames = frames;
            r->frames[r->frame_count++] = o;
        }
        render_indented(r, t->ops, t->op_count, indent_start, !o->standalone, o->indent,
                        o->indent_len);
        if (o->kind == OP_PARENT)
            r->frame_count--;
        r->nesting--;
        break;
    }
    case OP_BLOCK: {
        const op *arg = find_override(r, &o->name);
        const op *content = arg ? arg : o;
        /* An argument placed where its block stands inline is not indented;
         * default content keeps the indentation it was written with. */
        bool reset = arg != NULL && !o->standalone;
        /* An argument may contain its own block again; count it as nesting
         * so that cannot recurse forever. */
        if (arg != NULL && !enter_nested(r, o, o->name.raw))
            break;
        render_indented(r, content->children, content->child_count, indent_start, reset,
                        o->standalone ? o->indent : NULL, o->standalone ? o->indent_len : 0);
        if (arg != NULL)
            r->nesting--;
        break;
    }
    }
}

static void render_ops(renderer *r, const op *ops, uint32_t count, uint32_t indent_start)
{
    for (uint32_t i = 0; i < count && !r->failed; i++) {
        if (!take_step(r, &ops[i]))
            return;
        render_op(r, &ops[i], indent_start);
        if (r->out->len > TEMPLATE_MAX_OUTPUT) {
            render_error(r, &ops[i], "the rendered page is larger than %s; is a partial "
                                     "repeating itself?", TEMPLATE_MAX_OUTPUT_TEXT);
            return;
        }
    }
}

int template_render(const template_set *set, const template *tmpl, const value *context,
                    template_missing missing, buf *out, diag_list *diags)
{
    renderer r = {.set = set, .missing = missing, .out = out, .diags = diags};
    r.indents = (buf)BUF_INIT;
    buf_reserve(&r.indents, 64);
    push_context(&r, context);
    render_ops(&r, tmpl->ops, tmpl->op_count, 0);
    free(r.stack);
    free(r.frames);
    buf_free(&r.indents);
    return r.failed ? -1 : 0;
}
