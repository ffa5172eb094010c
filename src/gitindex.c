#include "gitindex.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

/* The format: git's Documentation/gitformat-index.txt. A header ("DIRC",
 * version, entry count), the entries, extensions, and a hash of it all. */
enum {
    HEADER_SIZE = 12,
    HASH_SIZE = 20,                   /* SHA-1: libgit2 1.5 reads no other */
    ENTRY_FIXED = 40 + HASH_SIZE + 2, /* ten 32-bit stat fields, the id, flags */
    FLAG_EXTENDED = 0x4000,
    NAME_MASK = 0x0fff,
    MAX_INDEX_FILE = 1 << 30, /* larger: left to libgit2 */
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void *xmalloc(size_t size)
{
    void *p = malloc(size > 0 ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

/* Version 4's path compression: how many bytes of the previous path to
 * drop, in git's variable-length number (the one of offset deltas in packs). */
static bool read_strip(const unsigned char **at, const unsigned char *end, size_t *value)
{
    const unsigned char *p = *at;
    if (p >= end)
        return false;
    size_t v = *p & 0x7f;
    while (*p++ & 0x80) {
        if (p >= end || v > (SIZE_MAX >> 8))
            return false;
        v = ((v + 1) << 7) | (*p & 0x7f);
    }
    *at = p;
    *value = v;
    return true;
}

/* The entries from at to end into ix; false when the file is damaged or
 * holds what this reader leaves to libgit2 (sparse folders). Version 4
 * paths go to ix->paths, their offsets first in path_at. */
static bool read_entries(gitindex *ix, uint32_t version, const unsigned char **at,
                         const unsigned char *end, size_t count)
{
    const unsigned char *p = *at;
    size_t *path_at = NULL, paths_len = 0, paths_cap = 0, previous_len = 0;
    if (version == 4)
        path_at = xmalloc(count * sizeof *path_at);
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        gitindex_entry *e = &ix->entries[i];
        ok = (size_t)(end - p) >= ENTRY_FIXED;
        if (!ok)
            break;
        e->ctime_s = be32(p);
        e->ctime_ns = be32(p + 4);
        e->mtime_s = be32(p + 8);
        e->mtime_ns = be32(p + 12);
        e->dev = be32(p + 16);
        e->ino = be32(p + 20);
        e->mode = be32(p + 24);
        e->size = be32(p + 36);
        memcpy(e->id.id, p + 40, HASH_SIZE);
        e->flags = be16(p + 40 + HASH_SIZE);
        e->flags_extended = 0;
        const unsigned char *name = p + ENTRY_FIXED;
        if (e->flags & FLAG_EXTENDED) {
            ok = version >= 3 && end - name >= 2;
            if (!ok)
                break;
            e->flags_extended = be16(name);
            name += 2;
        }
        if (S_ISDIR(e->mode)) { /* a sparse index's folder */
            ok = false;
            break;
        }
        if (version == 4) {
            size_t strip;
            ok = read_strip(&name, end, &strip) && strip <= previous_len;
            const unsigned char *nul = ok ? memchr(name, '\0', (size_t)(end - name)) : NULL;
            ok = nul != NULL;
            if (!ok)
                break;
            size_t keep = previous_len - strip, suffix = (size_t)(nul - name);
            if (paths_len + keep + suffix + 1 > paths_cap) {
                paths_cap = (paths_len + keep + suffix + 1) * 2;
                ix->paths = realloc(ix->paths, paths_cap);
                if (ix->paths == NULL)
                    abort();
            }
            char *path = ix->paths + paths_len;
            if (keep > 0)
                memmove(path, path - previous_len - 1, keep);
            memcpy(path + keep, name, suffix);
            path[keep + suffix] = '\0';
            path_at[i] = paths_len;
            previous_len = keep + suffix;
            paths_len += previous_len + 1;
            p = nul + 1;
            ok = previous_len > 0;
        } else {
            const unsigned char *nul = memchr(name, '\0', (size_t)(end - name));
            size_t len = nul ? (size_t)(nul - name) : 0;
            /* The name's length, unless too long for its 12 bits; then
             * NUL-padded to a multiple of 8 bytes. */
            ok = nul != NULL && len > 0 &&
                 ((e->flags & NAME_MASK) == NAME_MASK ? len >= NAME_MASK
                                                      : len == (e->flags & NAME_MASK));
            size_t size = (((size_t)(name - p) + len + 8) & ~(size_t)7);
            ok = ok && size <= (size_t)(end - p);
            if (!ok)
                break;
            e->path = (const char *)name;
            p += size;
        }
    }
    for (size_t i = 0; ok && version == 4 && i < count; i++)
        ix->entries[i].path = ix->paths + path_at[i];
    free(path_at);
    *at = p;
    return ok;
}

int gitindex_read(gitindex *ix, const char *path)
{
    gitindex_free(ix);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    bool ok = fstat(fd, &ix->file) == 0 && S_ISREG(ix->file.st_mode) &&
              ix->file.st_size >= HEADER_SIZE + HASH_SIZE && ix->file.st_size <= MAX_INDEX_FILE;
    size_t size = ok ? (size_t)ix->file.st_size : 0;
    if (ok) {
        ix->bytes = xmalloc(size);
        ok = read_fully(fd, ix->bytes, size) == (ssize_t)size;
    }
    close(fd);
    if (!ok) {
        gitindex_free(ix);
        return -1;
    }
    const unsigned char *p = (const unsigned char *)ix->bytes;
    const unsigned char *end = p + size - HASH_SIZE; /* the hash is not checked: see the header */
    uint32_t version = be32(p + 4);
    size_t count = be32(p + 8);
    ok = memcmp(p, "DIRC", 4) == 0 && version >= 2 && version <= 4 &&
         count <= (size - HEADER_SIZE) / (ENTRY_FIXED + 2);
    if (ok) {
        p += HEADER_SIZE;
        ix->entries = calloc(count > 0 ? count : 1, sizeof *ix->entries);
        if (ix->entries == NULL)
            abort();
        ix->count = count;
        ok = read_entries(ix, version, &p, end, count);
    }
    /* Extensions: optional ones (an upper-case first letter) are caches;
     * a split index ("link") keeps most entries in another file, and any
     * other required one is unknown here. */
    while (ok && end - p >= 8) {
        uint32_t len = be32(p + 4);
        ok = p[0] >= 'A' && p[0] <= 'Z' && len <= (size_t)(end - p) - 8;
        p += 8 + (size_t)(ok ? len : 0);
    }
    if (!ok || p != end) {
        gitindex_free(ix);
        return -1;
    }
    return 0;
}

void gitindex_from_libgit2(gitindex *ix, git_index *index)
{
    gitindex_free(ix);
    size_t count = git_index_entrycount(index), paths_len = 0;
    for (size_t i = 0; i < count; i++)
        paths_len += strlen(git_index_get_byindex(index, i)->path) + 1;
    ix->entries = xmalloc(count * sizeof *ix->entries);
    ix->paths = xmalloc(paths_len);
    ix->count = count;
    char *path = ix->paths;
    for (size_t i = 0; i < count; i++) {
        const git_index_entry *from = git_index_get_byindex(index, i);
        size_t len = strlen(from->path) + 1;
        memcpy(path, from->path, len);
        ix->entries[i] = (gitindex_entry){
            path,
            (uint32_t)from->ctime.seconds,
            from->ctime.nanoseconds,
            (uint32_t)from->mtime.seconds,
            from->mtime.nanoseconds,
            from->dev,
            from->ino,
            from->mode,
            from->file_size,
            from->flags,
            from->flags_extended,
            from->id,
        };
        path += len;
    }
}

/* The first entry whose path is not below path (byte order, as git sorts). */
static size_t lower_bound(const gitindex *ix, const char *path)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->entries[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const gitindex_entry *gitindex_find(gitindex *ix, const char *path)
{
    /* The source stage asks for a folder's files in order, each twice. */
    for (size_t i = ix->hint; i < ix->count && i < ix->hint + 2; i++) {
        const gitindex_entry *e = &ix->entries[i];
        if ((e->flags & GITINDEX_STAGE) == 0 && strcmp(e->path, path) == 0) {
            ix->hint = i;
            return e;
        }
    }
    for (size_t i = lower_bound(ix, path); i < ix->count; i++) {
        const gitindex_entry *e = &ix->entries[i];
        if (strcmp(e->path, path) != 0)
            break;
        if ((e->flags & GITINDEX_STAGE) == 0) {
            ix->hint = i;
            return e;
        }
    }
    return NULL;
}

bool gitindex_has_under(const gitindex *ix, const char *prefix)
{
    size_t i = lower_bound(ix, prefix);
    return i < ix->count && strncmp(ix->entries[i].path, prefix, strlen(prefix)) == 0;
}

void gitindex_free(gitindex *ix)
{
    free(ix->entries);
    free(ix->bytes);
    free(ix->paths);
    *ix = (gitindex)GITINDEX_INIT;
}
