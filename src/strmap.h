/* strmap.h - a hash map from strings to pointers, for looking pages up by
 * path or URL. Keys are not copied: they must outlive the map (they usually
 * live in the build's arena). */
#ifndef HANDBOOK_STRMAP_H
#define HANDBOOK_STRMAP_H

#include <stddef.h>

typedef struct strmap_entry {
    const char *key;
    size_t hash;
    void *value;
} strmap_entry;

typedef struct strmap {
    strmap_entry *entries; /* open addressing; power-of-two capacity */
    size_t count, cap;
} strmap;

#define STRMAP_INIT {NULL, 0, 0}

/* Returns the value stored under key, or NULL. */
void *strmap_get(const strmap *map, const char *key);

/* Stores value under key unless the key is present. Returns NULL when stored,
 * or the value already stored under key (which is kept). */
void *strmap_put(strmap *map, const char *key, void *value);

/* Makes room for count keys in all, so that adding them moves nothing. */
void strmap_reserve(strmap *map, size_t count);

void strmap_free(strmap *map);

#endif
