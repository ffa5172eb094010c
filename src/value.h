/* value.h - the project's one value tree.
 *
 * Config, front matter, YAML data, template contexts and search metadata are all
 * values: null, bool, number, string, date, list or map. Every node carries the
 * file:line:col it came from, so any later stage can point a contributor at the
 * exact place of a mistake. Values live in an arena and are never freed one by
 * one. Maps keep their keys in source order. */
#ifndef HANDBOOK_VALUE_H
#define HANDBOOK_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

typedef enum value_kind {
    VALUE_NULL,
    VALUE_BOOL,
    VALUE_NUMBER,
    VALUE_STRING,
    VALUE_DATE, /* a YYYY-MM-DD string, kept as text */
    VALUE_LIST,
    VALUE_MAP,
} value_kind;

typedef struct source_pos {
    const char *file; /* arena- or caller-owned, never NULL for nodes from files */
    uint32_t line, col; /* 1-based; 0 when not from a file */
} source_pos;

typedef struct value value;

typedef struct value_entry {
    const char *key;
    size_t key_len;
    source_pos key_pos;
    value *value;
} value_entry;

struct value {
    value_kind kind;
    source_pos pos;
    union {
        bool boolean;
        double number;
        struct {
            const char *text; /* NUL-terminated; may contain NUL only if len says so */
            size_t len;
        } string; /* VALUE_STRING and VALUE_DATE */
        struct {
            value **items;
            size_t count, cap;
        } list;
        struct {
            value_entry *entries;
            size_t count, cap;
        } map;
    } as;
};

/* Constructors: each returns a new arena-owned node at pos. */
value *value_new_null(arena *a, source_pos pos);
value *value_new_bool(arena *a, bool b, source_pos pos);
value *value_new_number(arena *a, double n, source_pos pos);
/* Copies len bytes of text into the arena. */
value *value_new_string(arena *a, const char *text, size_t len, source_pos pos);
value *value_new_date(arena *a, const char *text, size_t len, source_pos pos);
value *value_new_list(arena *a, source_pos pos);
value *value_new_map(arena *a, source_pos pos);

void value_list_push(arena *a, value *list, value *item);
/* Appends key -> item; the key is copied. Does not check for duplicates. */
void value_map_put(arena *a, value *map, const char *key, size_t key_len, source_pos key_pos,
                   value *item);

/* Returns the value under key, or NULL when map is not a map or has no such key. */
value *value_map_get(const value *map, const char *key, size_t key_len);
/* Same for a NUL-terminated key. */
value *value_map_get_str(const value *map, const char *key);
/* Returns the entry under key (for its position), or NULL. */
const value_entry *value_map_entry(const value *map, const char *key, size_t key_len);

/* Mustache truthiness: null, false, 0, an empty string and an empty list are
 * false (as in mustache.js); everything else is true. A NULL pointer (a missing value) is false. */
bool value_truthy(const value *v);

/* Appends the text form of a scalar: strings and dates as they are, numbers in
 * their shortest exact form (85, 1.21), bools as true/false. Null, lists and maps
 * append nothing. */
void value_append_text(buf *out, const value *v);

/* The kind's name for messages: "a string", "a list", ... */
const char *value_kind_name(value_kind kind);

#endif
