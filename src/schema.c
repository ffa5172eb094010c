#include "schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

typedef struct checker {
    const char *file;
    diag_list *diags;
    bool failed;
} checker;

static void error_at(checker *k, source_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(checker *k, source_pos pos, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    diag_vadd(k->diags, DIAG_ERROR, k->file, pos.line, pos.col, fmt, args);
    va_end(args);
    k->failed = true;
}

void schema_value_text(buf *out, const value *v)
{
    value_append_text(out, v);
}

static bool is_scalar(const value *v)
{
    return v->kind == VALUE_STRING || v->kind == VALUE_NUMBER || v->kind == VALUE_DATE ||
           v->kind == VALUE_BOOL;
}

static bool valid_date(const char *s)
{
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

static bool valid_url(const char *s)
{
    if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
        return false;
    const char *host = strstr(s, "//") + 2;
    if (*host == '\0' || *host == '/')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == '"' || *s == '<' || *s == '>' || *s == '\\')
            return false;
    return true;
}

/* Checks one value (or list item) of type t for field f. */
static void check_value(checker *k, const field *f, field_type t, const value *v)
{
    buf text = BUF_INIT;
    value_append_text(&text, v);
    switch (t) {
    case FIELD_STRING:
    case FIELD_TEXT:
    case FIELD_REF:
        if (!is_scalar(v))
            error_at(k, v->pos, "'%s' must be %s, not %s", f->name,
                     t == FIELD_REF ? "the id of a page (its file name without extension)" : "text",
                     value_kind_name(v->kind));
        else if (t == FIELD_STRING && strchr(text.data, '\n') != NULL)
            error_at(k, v->pos, "'%s' must be one line of text", f->name);
        break;
    case FIELD_NUMBER:
        if (v->kind == VALUE_NUMBER && !isfinite(v->as.number))
            error_at(k, v->pos, "'%s' must be an ordinary number, not %s", f->name, text.data);
        else if (v->kind != VALUE_NUMBER)
            error_at(k, v->pos, "'%s' must be a number, not %s", f->name,
                     value_kind_name(v->kind));
        break;
    case FIELD_BOOL:
        if (v->kind != VALUE_BOOL)
            error_at(k, v->pos, "'%s' must be true or false, not %s", f->name,
                     value_kind_name(v->kind));
        break;
    case FIELD_DATE:
        if (v->kind != VALUE_DATE)
            error_at(k, v->pos, "'%s' must be a date written as YYYY-MM-DD, like 2022-04-26, not %s",
                     f->name, is_scalar(v) ? text.data : value_kind_name(v->kind));
        else if (!valid_date(v->as.string.text))
            error_at(k, v->pos, "'%s' is not a date that exists; check the day and month of '%s'",
                     f->name, v->as.string.text);
        break;
    case FIELD_YEAR:
        if (v->kind != VALUE_NUMBER || v->as.number != floor(v->as.number) ||
            v->as.number < 1900 || v->as.number > 2100)
            error_at(k, v->pos, "'%s' must be a year like 2022, not %s", f->name,
                     is_scalar(v) ? text.data : value_kind_name(v->kind));
        break;
    case FIELD_URL:
        if (v->kind != VALUE_STRING || !valid_url(v->as.string.text))
            error_at(k, v->pos, "'%s' must be a web address starting with https://, not '%s'",
                     f->name, text.data);
        break;
    case FIELD_ENUM: {
        bool allowed = false;
        for (size_t i = 0; is_scalar(v) && i < f->value_count; i++)
            allowed |= strcmp(f->values[i], text.data) == 0;
        if (!allowed) {
            buf list = BUF_INIT;
            for (size_t i = 0; i < f->value_count; i++)
                buf_printf(&list, "%s%s", i ? ", " : "", f->values[i]);
            error_at(k, v->pos, "'%s' is not an allowed value of '%s'; allowed are: %s",
                     is_scalar(v) ? text.data : value_kind_name(v->kind), f->name, list.data);
            buf_free(&list);
        }
        break;
    }
    case FIELD_LIST: break;
    }
    buf_free(&text);
}

int schema_check(arena *a, const collection *c, const char *file, uint32_t first_line, value *map,
                 diag_list *diags)
{
    if (c->field_count == 0)
        return 0;
    static const char *const universal[] = SCHEMA_UNIVERSAL_FIELDS;
    checker k = {file, diags, false};
    for (size_t i = 0; i < map->as.map.count; i++) {
        const value_entry *e = &map->as.map.entries[i];
        const field *f = config_field(c, e->key);
        if (f == NULL) {
            bool is_universal = false;
            for (const char *const *u = universal; *u; u++)
                is_universal |= strcmp(*u, e->key) == 0;
            if (is_universal && strcmp(e->key, "search") == 0 && e->value->kind != VALUE_BOOL) {
                diag_add(diags, DIAG_ERROR, file, e->value->pos.line, e->value->pos.col,
                         "'search' is true or false (false keeps the page out of the search "
                         "index)");
                k.failed = true;
            }
            if (is_universal)
                continue;
            suggestion hint = suggest_begin(e->key);
            for (size_t j = 0; j < c->field_count; j++)
                suggest_consider(&hint, c->fields[j].name);
            if (hint.best)
                diag_add(diags, DIAG_ERROR, file, e->key_pos.line, e->key_pos.col,
                         "unknown field '%s'; did you mean '%s'?", e->key, hint.best);
            else
                diag_add(diags, DIAG_ERROR, file, e->key_pos.line, e->key_pos.col,
                         "unknown field '%s'; the fields of %s are listed in handbook.yaml",
                         e->key, c->name);
            k.failed = true;
            continue;
        }
        const value *v = e->value;
        if (f->type == FIELD_LIST) {
            if (v->kind != VALUE_LIST) {
                error_at(&k, v->pos, "'%s' must be a list, written [a, b] or as lines starting "
                                     "with '- '", f->name);
                continue;
            }
            for (size_t j = 0; j < v->as.list.count; j++)
                check_value(&k, f, f->item_type, v->as.list.items[j]);
        } else {
            check_value(&k, f, f->type, v);
        }
    }
    for (size_t i = 0; i < c->field_count; i++) {
        const field *f = &c->fields[i];
        if (value_map_get_str(map, f->name) != NULL)
            continue;
        if (f->required) {
            const char *hint = f->type == FIELD_REF    ? "the id of a page"
                               : f->type == FIELD_LIST ? "a list"
                                                       : config_type_name(f->type);
            diag_add(diags, DIAG_ERROR, file, first_line, 1,
                     "missing required field '%s'; add a line '%s: ...' (%s)", f->name, f->name,
                     hint);
            k.failed = true;
        } else if (f->default_value != NULL) {
            value_map_put(a, map, f->name, strlen(f->name), f->pos, (value *)f->default_value);
        }
    }
    return k.failed ? -1 : 0;
}
