#include "yamlvalue.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct reader {
    arena *arena;
    const char *file;
    const char *text;
    size_t len;
    uint32_t first_line;
    diag_list *diags;
    yaml_parser_t parser;
    bool failed;
} reader;

static source_pos pos_of(const reader *r, yaml_mark_t mark)
{
    return (source_pos){r->file, (uint32_t)mark.line + r->first_line, (uint32_t)mark.column + 1};
}

static void error_at(reader *r, yaml_mark_t mark, const char *message, const char *detail)
{
    source_pos p = pos_of(r, mark);
    if (detail != NULL)
        diag_add(r->diags, DIAG_ERROR, r->file, p.line, p.col, "%s %s", message, detail);
    else
        diag_add(r->diags, DIAG_ERROR, r->file, p.line, p.col, "%s", message);
    r->failed = true;
}

/* libyaml's messages speak of flow sequences and scalars; the common mistakes
 * get plain words and point at where they start (an unclosed '[' or quote is
 * found only at the end). */
typedef struct yaml_advice {
    const char *problem, *context; /* as libyaml says them; context may be NULL */
    bool at_context;               /* point at the context mark, not the problem */
    const char *advice;
} yaml_advice;

static const yaml_advice advice_table[] = {
    {"did not find expected ',' or ']'", "while parsing a flow sequence", true,
     "this list, opened with '[', is not closed with ']'; close it, or put text that contains "
     "commas or brackets in quotes"},
    {"did not find expected ',' or '}'", "while parsing a flow mapping", true,
     "this map, opened with '{', is not closed with '}'; close it, or put the text in quotes"},
    {"found unexpected end of stream", "while scanning a quoted scalar", true,
     "this quoted text is never closed; add the closing quote"},
    {"mapping values are not allowed in this context", NULL, false,
     "a ': ' inside a value starts a new 'name: value'; put the whole value in quotes"},
    {"could not find expected ':'", "while scanning a simple key", true,
     "this line has no ':'; write it as 'name: value', or indent it to continue the line above"},
    {"found character that cannot start any token", NULL, false,
     "this character cannot start a value; put the value in quotes, and indent with spaces, "
     "not tabs"},
    {"did not find expected key", NULL, false,
     "the indentation here does not match the lines above; line it up with the other names"},
};

static void report_syntax_error(reader *r, const char *problem, source_pos at)
{
    const char *context = r->parser.context;
    for (size_t i = 0; i < sizeof advice_table / sizeof *advice_table; i++) {
        const yaml_advice *a = &advice_table[i];
        if (strcmp(a->problem, problem) != 0 ||
            (a->context != NULL && (context == NULL || strcmp(a->context, context) != 0)))
            continue;
        source_pos where = a->at_context ? pos_of(r, r->parser.context_mark) : at;
        diag_add(r->diags, DIAG_ERROR, r->file, where.line, where.col, "%s", a->advice);
        return;
    }
    if (context != NULL)
        diag_add(r->diags, DIAG_ERROR, r->file, at.line, at.col, "YAML: %s %s", problem, context);
    else
        diag_add(r->diags, DIAG_ERROR, r->file, at.line, at.col, "YAML: %s", problem);
}

static bool next_event(reader *r, yaml_event_t *event)
{
    if (yaml_parser_parse(&r->parser, event))
        return true;
    const char *problem = r->parser.problem ? r->parser.problem : "malformed YAML";
    source_pos p = pos_of(r, r->parser.problem_mark);
    if (r->parser.error == YAML_READER_ERROR) {
        /* The reader knows only a byte offset; count lines and characters
         * up to it. */
        size_t offset = r->parser.problem_offset < r->len ? r->parser.problem_offset : r->len;
        uint32_t line = r->first_line, col = 1;
        for (size_t i = 0; i < offset; i++) {
            if (r->text[i] == '\n')
                line++, col = 1;
            else if (((unsigned char)r->text[i] & 0xC0) != 0x80)
                col++;
        }
        diag_add(r->diags, DIAG_ERROR, r->file, line, col, "%s; save the file as UTF-8", problem);
    } else {
        report_syntax_error(r, problem, p);
    }
    r->failed = true;
    return false;
}

static bool all_digits(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool is_date(const char *s, size_t len)
{
    return len == 10 && all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) &&
           s[7] == '-' && all_digits(s + 8, 2);
}

static bool equals_any(const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && memcmp(s, *words, len) == 0)
            return true;
    return false;
}

/* YAML 1.2 core schema numbers: decimal ints, 0x/0o ints, floats, .inf, .nan. */
static bool parse_number(const char *s, size_t len, double *out)
{
    static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
    static const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};
    if (equals_any(s, len, inf)) {
        *out = HUGE_VAL;
        return true;
    }
    if (equals_any(s, len, ninf)) {
        *out = -HUGE_VAL;
        return true;
    }
    if (equals_any(s, len, nan)) {
        *out = strtod("nan", NULL);
        return true;
    }
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        for (size_t i = 2; i < len; i++) {
            bool ok = s[1] == 'x' ? strchr("0123456789abcdefABCDEF", s[i]) != NULL
                                  : (s[i] >= '0' && s[i] <= '7');
            if (!ok || s[i] == '\0')
                return false;
        }
        char *end;
        errno = 0;
        unsigned long long n = strtoull(s + 2, &end, s[1] == 'x' ? 16 : 8);
        *out = (double)n;
        return errno == 0;
    }
    /* [-+]? ( \.[0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        if (!all_digits(s + i, len - i))
            return false;
        i = len;
    }
    if (i != len)
        return false;
    char copy[64];
    if (len >= sizeof copy)
        return false;
    memcpy(copy, s, len);
    copy[len] = '\0';
    *out = strtod(copy, NULL);
    return true;
}

static value *scalar_value(reader *r, const yaml_event_t *event)
{
    const char *s = (const char *)event->data.scalar.value;
    size_t len = event->data.scalar.length;
    source_pos pos = pos_of(r, event->start_mark);
    if (memchr(s, '\0', len) != NULL) {
        /* "\0" in a quoted string: later checks and C strings would stop
         * there and miss what follows. */
        diag_add(r->diags, DIAG_ERROR, r->file, pos.line, pos.col,
                 "this text contains a NUL character (\\0); remove it");
        r->failed = true;
        return NULL;
    }
    if (event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && event->data.scalar.tag == NULL) {
        static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
        static const char *const trues[] = {"true", "True", "TRUE", NULL};
        static const char *const falses[] = {"false", "False", "FALSE", NULL};
        double n;
        if (len == 0 || equals_any(s, len, nulls))
            return value_new_null(r->arena, pos);
        if (equals_any(s, len, trues))
            return value_new_bool(r->arena, true, pos);
        if (equals_any(s, len, falses))
            return value_new_bool(r->arena, false, pos);
        if (is_date(s, len))
            return value_new_date(r->arena, s, len, pos);
        if (parse_number(s, len, &n))
            return value_new_number(r->arena, n, pos);
    }
    return value_new_string(r->arena, s, len, pos);
}

static int compare_entries(const void *a, const void *b)
{
    const value_entry *x = *(const value_entry *const *)a, *y = *(const value_entry *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    /* Equal keys: the earlier one first, so the later one is reported. */
    if (x->key_pos.line != y->key_pos.line)
        return x->key_pos.line < y->key_pos.line ? -1 : 1;
    return x->key_pos.col < y->key_pos.col ? -1 : (x->key_pos.col > y->key_pos.col);
}

static void report_duplicate(reader *r, const value_entry *first, const value_entry *again)
{
    diag_add(r->diags, DIAG_ERROR, r->file, again->key_pos.line, again->key_pos.col,
             "duplicate key '%s' (first given on line %u); remove one of them", again->key,
             (unsigned)first->key_pos.line);
    r->failed = true;
}

/* Small maps are checked pairwise; large ones by sorting, so a hostile file
 * with many keys cannot make the check quadratic. */
static void check_duplicate_keys(reader *r, const value *map)
{
    size_t n = map->as.map.count;
    const value_entry *entries = map->as.map.entries;
    if (n <= 16) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (entries[i].key_len == entries[j].key_len &&
                    memcmp(entries[i].key, entries[j].key, entries[i].key_len) == 0) {
                    report_duplicate(r, &entries[j], &entries[i]);
                    break;
                }
        return;
    }
    const value_entry **sorted = malloc(n * sizeof *sorted);
    if (sorted == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        sorted[i] = &entries[i];
    qsort(sorted, n, sizeof *sorted, compare_entries);
    for (size_t i = 1; i < n; i++)
        if (sorted[i]->key_len == sorted[i - 1]->key_len &&
            memcmp(sorted[i]->key, sorted[i - 1]->key, sorted[i]->key_len) == 0) {
            size_t first = i - 1;
            while (first > 0 && sorted[first - 1]->key_len == sorted[i]->key_len &&
                   memcmp(sorted[first - 1]->key, sorted[i]->key, sorted[i]->key_len) == 0)
                first--;
            report_duplicate(r, sorted[first], sorted[i]);
        }
    free(sorted);
}

static value *parse_node(reader *r, yaml_event_t *event, int depth);

/* Reads the node that follows; returns NULL on error or at a closing event
 * (*closed is set then). */
static value *parse_next(reader *r, int depth, yaml_event_type_t closing, bool *closed)
{
    yaml_event_t event;
    *closed = false;
    if (!next_event(r, &event))
        return NULL;
    if (event.type == closing) {
        *closed = true;
        yaml_event_delete(&event);
        return NULL;
    }
    value *v = parse_node(r, &event, depth);
    yaml_event_delete(&event);
    return v;
}

static value *parse_node(reader *r, yaml_event_t *event, int depth)
{
    source_pos pos = pos_of(r, event->start_mark);
    bool closed;
    switch (event->type) {
    case YAML_SCALAR_EVENT: return scalar_value(r, event);
    case YAML_ALIAS_EVENT:
        error_at(r, event->start_mark, "aliases (*name) are not supported;",
                 "write the value out in full");
        return NULL;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (depth >= YAMLVALUE_MAX_DEPTH) {
            diag_add(r->diags, DIAG_ERROR, r->file, pos.line, pos.col,
                     "nesting deeper than %d levels; flatten this data", YAMLVALUE_MAX_DEPTH);
            r->failed = true;
            return NULL;
        }
        break;
    default:
        error_at(r, event->start_mark, "unexpected YAML structure", NULL);
        return NULL;
    }
    if (event->type == YAML_SEQUENCE_START_EVENT) {
        value *list = value_new_list(r->arena, pos);
        for (;;) {
            value *item = parse_next(r, depth + 1, YAML_SEQUENCE_END_EVENT, &closed);
            if (closed)
                return list;
            if (item == NULL)
                return NULL;
            value_list_push(r->arena, list, item);
        }
    }
    value *map = value_new_map(r->arena, pos);
    for (;;) {
        yaml_event_t key;
        if (!next_event(r, &key))
            return NULL;
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            check_duplicate_keys(r, map);
            return map;
        }
        if (key.type != YAML_SCALAR_EVENT) {
            error_at(r, key.start_mark, "a key must be plain text, not a list or map", NULL);
            yaml_event_delete(&key);
            return NULL;
        }
        source_pos key_pos = pos_of(r, key.start_mark);
        if (memchr(key.data.scalar.value, '\0', key.data.scalar.length) != NULL) {
            error_at(r, key.start_mark, "this name contains a NUL character (\\0);", "remove it");
            yaml_event_delete(&key);
            return NULL;
        }
        value *item = parse_next(r, depth + 1, YAML_MAPPING_END_EVENT, &closed);
        if (item == NULL) {
            yaml_event_delete(&key);
            return NULL;
        }
        value_map_put(r->arena, map, (const char *)key.data.scalar.value, key.data.scalar.length,
                      key_pos, item);
        yaml_event_delete(&key);
    }
}

int yamlvalue_parse(arena *a, const char *file, const char *text, size_t len,
                    uint32_t first_line, diag_list *diags, value **out)
{
    reader r = {.arena = a, .file = file, .text = text, .len = len, .first_line = first_line,
                .diags = diags};
    *out = NULL;
    if (len > YAMLVALUE_MAX_SIZE) {
        diag_add(diags, DIAG_ERROR, file, 0, 0,
                 "the YAML here is %zu bytes, more than the limit of %d bytes; split it up",
                 len, YAMLVALUE_MAX_SIZE);
        return -1;
    }
    if (!yaml_parser_initialize(&r.parser)) {
        diag_add(diags, DIAG_ERROR, file, 0, 0, "cannot start the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING);

    value *root = NULL;
    bool done = false, closed;
    yaml_event_t event;
    while (!done && !r.failed && next_event(&r, &event)) {
        switch (event.type) {
        case YAML_STREAM_START_EVENT: break;
        case YAML_DOCUMENT_START_EVENT:
            if (root != NULL) {
                error_at(&r, event.start_mark,
                         "a second YAML document starts here; only one is allowed", NULL);
                break;
            }
            root = parse_next(&r, 0, YAML_DOCUMENT_END_EVENT, &closed);
            if (closed)
                root = value_new_null(a, (source_pos){file, first_line, 1});
            else if (root != NULL) {
                yaml_event_t end;
                if (next_event(&r, &end))
                    yaml_event_delete(&end);
            }
            break;
        case YAML_STREAM_END_EVENT: done = true; break;
        default: error_at(&r, event.start_mark, "unexpected YAML structure", NULL); break;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&r.parser);
    if (r.failed)
        return -1;
    *out = root ? root : value_new_null(a, (source_pos){file, first_line, 1});
    return 0;
}
