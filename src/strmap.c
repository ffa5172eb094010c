#include "strmap.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_string(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
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

void *strmap_put(strmap *map, const char *key, void *value)
{
    if (2 * (map->count + 1) > map->cap) {
        strmap grown = {calloc(map->cap ? map->cap * 2 : 64, sizeof(strmap_entry)), map->count,
                        map->cap ? map->cap * 2 : 64};
        if (grown.entries == NULL)
            abort();
        for (size_t i = 0; i < map->cap; i++)
            if (map->entries[i].key != NULL)
                *slot(&grown, map->entries[i].key, map->entries[i].hash) = map->entries[i];
        free(map->entries);
        *map = grown;
    }
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
