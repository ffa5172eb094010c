#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static value *new_node(arena *a, value_kind kind, source_pos pos)
{
    value *v = arena_alloc(a, sizeof *v);
    v->kind = kind;
    v->pos = pos;
    return v;
}

value *value_new_null(arena *a, source_pos pos)
{
    return new_node(a, VALUE_NULL, pos);
}

value *value_new_bool(arena *a, bool b, source_pos pos)
{
    value *v = new_node(a, VALUE_BOOL, pos);
    v->as.boolean = b;
    return v;
}

value *value_new_number(arena *a, double n, source_pos pos)
{
    value *v = new_node(a, VALUE_NUMBER, pos);
    v->as.number = n;
    return v;
}

value *value_new_string(arena *a, const char *text, size_t len, source_pos pos)
{
    value *v = new_node(a, VALUE_STRING, pos);
    v->as.string.text = arena_strndup(a, text, len);
    v->as.string.len = len;
    return v;
}

value *value_new_date(arena *a, const char *text, size_t len, source_pos pos)
{
    value *v = value_new_string(a, text, len, pos);
    v->kind = VALUE_DATE;
    return v;
}

value *value_new_list(arena *a, source_pos pos)
{
    return new_node(a, VALUE_LIST, pos);
}

value *value_new_map(arena *a, source_pos pos)
{
    return new_node(a, VALUE_MAP, pos);
}

void value_list_push(arena *a, value *list, value *item)
{
    if (list->as.list.count == list->as.list.cap) {
        size_t cap = list->as.list.cap ? list->as.list.cap * 2 : 4;
        list->as.list.items =
            arena_grow(a, list->as.list.items, list->as.list.count, cap, sizeof(value *));
        list->as.list.cap = cap;
    }
    list->as.list.items[list->as.list.count++] = item;
}

void value_map_put(arena *a, value *map, const char *key, size_t key_len, source_pos key_pos,
                   value *item)
{
    if (map->as.map.count == map->as.map.cap) {
        size_t cap = map->as.map.cap ? map->as.map.cap * 2 : 4;
        map->as.map.entries =
            arena_grow(a, map->as.map.entries, map->as.map.count, cap, sizeof(value_entry));
        map->as.map.cap = cap;
    }
    map->as.map.entries[map->as.map.count++] = (value_entry){
        .key = arena_strndup(a, key, key_len),
        .key_len = key_len,
        .key_pos = key_pos,
        .value = item,
    };
}

const value_entry *value_map_entry(const value *map, const char *key, size_t key_len)
{
    if (map == NULL || map->kind != VALUE_MAP)
        return NULL;
    for (size_t i = 0; i < map->as.map.count; i++) {
        const value_entry *e = &map->as.map.entries[i];
        if (e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
            return e;
    }
    return NULL;
}

value *value_map_get(const value *map, const char *key, size_t key_len)
{
    const value_entry *e = value_map_entry(map, key, key_len);
    return e ? e->value : NULL;
}

value *value_map_get_str(const value *map, const char *key)
{
    return value_map_get(map, key, strlen(key));
}

bool value_truthy(const value *v)
{
    if (v == NULL)
        return false;
    switch (v->kind) {
    case VALUE_NULL: return false;
    case VALUE_BOOL: return v->as.boolean;
    case VALUE_STRING: return v->as.string.len > 0;
    case VALUE_LIST: return v->as.list.count > 0;
    case VALUE_NUMBER: return v->as.number != 0;
    case VALUE_DATE:
    case VALUE_MAP: return true;
    }
    return false;
}

/* The shortest %g form that reads back as the same double, as JavaScript and
 * Python print numbers: 1.210 prints as 1.21, 85.0 as 85. */
static void append_number(buf *out, double n)
{
    char text[40];
    if (isnan(n)) {
        buf_append_str(out, "NaN");
        return;
    }
    if (isinf(n)) {
        buf_append_str(out, n < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (n == floor(n) && fabs(n) < 1e15) {
        snprintf(text, sizeof text, "%.0f", n);
        buf_append_str(out, strcmp(text, "-0") == 0 ? "0" : text);
        return;
    }
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, n);
        if (strtod(text, NULL) == n)
            break;
    }
    buf_append_str(out, text);
}

void value_append_text(buf *out, const value *v)
{
    if (v == NULL)
        return;
    switch (v->kind) {
    case VALUE_STRING:
    case VALUE_DATE: buf_append(out, v->as.string.text, v->as.string.len); break;
    case VALUE_NUMBER: append_number(out, v->as.number); break;
    case VALUE_BOOL: buf_append_str(out, v->as.boolean ? "true" : "false"); break;
    case VALUE_NULL:
    case VALUE_LIST:
    case VALUE_MAP: break;
    }
}

const char *value_kind_name(value_kind kind)
{
    switch (kind) {
    case VALUE_NULL: return "null";
    case VALUE_BOOL: return "a boolean";
    case VALUE_NUMBER: return "a number";
    case VALUE_STRING: return "a string";
    case VALUE_DATE: return "a date";
    case VALUE_LIST: return "a list";
    case VALUE_MAP: return "a map";
    }
    return "a value";
}
