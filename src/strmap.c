#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* XXH3: keys are repository paths of 40 to 80 bytes, looked up by the
 * ten thousand; a byte-at-a-time hash took most of a lookup. */
static size_t hash_string(const char *s)
{
    return (size_t)XXH3_64bits(s, strlen(s));
}

static strmap_entry *slot(const strmap *map, const char *key, size_t h)
{
    for (size_t i = h & (map->cap - 1);; i = (i + 1) & (map->cap - 1)) {
        strmap_entry *e = &map->entries[i];
        if (e->key == NULL || (e->hash == h && strcmp(e->key, key) == 0))
            return e;
    }
}

void *strmap_get(const strmap *map, const char *key)
{
    if (map->cap == 0)
        return NULL;
    strmap_entry *e = slot(map, key, hash_string(key));
    return e->key ? e->value : NULL;
}

/* Moves the entries to a table of cap slots. */
static void regrow(strmap *map, size_t cap)
{
    strmap grown = {calloc(cap, sizeof(strmap_entry)), map->count, cap};
    if (grown.entries == NULL)
        abort();
    for (size_t i = 0; i < map->cap; i++)
        if (map->entries[i].key != NULL)
            *slot(&grown, map->entries[i].key, map->entries[i].hash) = map->entries[i];
    free(map->entries);
    *map = grown;
}

void strmap_reserve(strmap *map, size_t count)
{
    size_t cap = map->cap ? map->cap : 64;
    while (2 * count > cap)
        cap *= 2;
    if (cap > map->cap)
        regrow(map, cap);
}

void *strmap_put(strmap *map, const char *key, void *value)
{
    if (2 * (map->count + 1) > map->cap)
        regrow(map, map->cap ? map->cap * 2 : 64);
    size_t h = hash_string(key);
    strmap_entry *e = slot(map, key, h);
    if (e->key != NULL)
        return e->value;
    *e = (strmap_entry){key, h, value};
    map->count++;
    return NULL;
}

void strmap_free(strmap *map)
{
    free(map->entries);
    *map = (strmap)STRMAP_INIT;
}
