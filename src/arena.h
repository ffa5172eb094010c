/* arena.h - one allocation region per build.
 *
 * Page data, parsed values and compiled templates live until the build ends and
 * are freed at once with arena_free(). Allocation never returns NULL: running out
 * of memory aborts the program with a message, because a static site build has
 * no sensible way to continue without memory. */
#ifndef HANDBOOK_ARENA_H
#define HANDBOOK_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *chunks; /* newest first */
    size_t total;        /* bytes handed out, for statistics */
} arena;

/* An empty arena; needs no allocation until the first arena_alloc(). */
#define ARENA_INIT {NULL, 0}

/* Transparent huge pages for malloc's memory, called first thing in main:
 * a build touches hundreds of MiB, and on a virtual machine each 4 KiB page
 * fault costs tens of microseconds (a full build of the benchmark took 5.9 s
 * with 4 KiB pages and 4.5 s with huge ones; a patch build 0.30 s against
 * 0.19 s). Also keeps freed memory for reuse. */
void arena_use_huge_pages(void);

/* The same for the calling thread's malloc heap: each thread that
 * allocates much calls it first (a patch build's history thread took 1,900
 * page faults without). */
void arena_thread_huge_pages(void);

/* Returns size bytes aligned for any type, zero-filled, owned by the arena. */
void *arena_alloc(arena *a, size_t size);

/* Like arena_alloc, but the memory is not zero-filled: for buffers the caller
 * overwrites at once (copies of text, file contents). */
void *arena_alloc_raw(arena *a, size_t size);

/* Returns an arena-owned, NUL-terminated copy of the len bytes at text. */
char *arena_strndup(arena *a, const char *text, size_t len);

/* Returns an arena-owned copy of a NUL-terminated string. */
char *arena_strdup(arena *a, const char *text);

/* Grows an array held in the arena: returns a new array of new_count elements
 * of elem_size bytes holding the old_count elements of old. The old array stays
 * allocated until the arena is freed (arenas never free single blocks). */
void *arena_grow(arena *a, void *old, size_t old_count, size_t new_count, size_t elem_size);

/* Moves every allocation of from into a (they live until a is freed); from
 * is empty after. */
void arena_adopt(arena *a, arena *from);

/* Frees every allocation of the arena; the arena is empty and reusable after. */
void arena_free(arena *a);

#endif
