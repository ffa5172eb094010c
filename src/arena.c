#include "arena.h"

#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1; glibc 2.36's headers lack it */
#endif
#include <unistd.h>

/* Chunks of 64 KiB keep the per-allocation overhead negligible for small nodes
 * while a build of a few pages stays small. */
enum { ARENA_CHUNK_SIZE = 64 * 1024 };

/* An arena that has grown past BIG_AFTER (the Markdown of half the pages,
 * a search index) takes chunks of BIG_CHUNK bytes, mapped on 2 MiB
 * boundaries and marked for transparent huge pages. Memory is touched
 * 512 times less often that way; where each first touch of a page costs
 * as much as on a virtual machine, that is seconds on a large site. (The
 * main thread's malloc gets huge pages through glibc's hugetlb tunable,
 * main.c; other threads' malloc heaps do not.) Freed big chunks are kept
 * for the next arena that needs one, as malloc would keep them. */
enum { BIG_AFTER = 1 << 20, BIG_CHUNK = 4 << 20, HUGE_PAGE = 2 << 20 };

struct arena_chunk {
    arena_chunk *next;
    size_t used, size;
    bool big; /* a BIG_CHUNK mapping, not malloc'ed */
    max_align_t data[]; /* aligned for any type */
};

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static arena_chunk *spare_chunks; /* big chunks freed, for reuse */

/* A big chunk, or NULL when the system has no mapping to give. */
static arena_chunk *big_chunk(void)
{
    pthread_mutex_lock(&spare_lock);
    arena_chunk *c = spare_chunks;
    if (c != NULL)
        spare_chunks = c->next;
    pthread_mutex_unlock(&spare_lock);
    if (c == NULL) {
        char *p = mmap(NULL, BIG_CHUNK + HUGE_PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        char *start = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
        if (start > p)
            munmap(p, (size_t)(start - p));
        munmap(start + BIG_CHUNK, (size_t)(p + HUGE_PAGE - start));
        madvise(start, BIG_CHUNK, MADV_HUGEPAGE); /* a hint: no matter if refused */
        c = (arena_chunk *)start;
    }
    c->used = 0;
    c->size = BIG_CHUNK - sizeof(arena_chunk);
    c->big = true;
    return c;
}

/* arena_use_huge_pages: kept for the whole run (volatile: a block never
 * read would be optimised away, malloc and all) */
static void *volatile heap_filler;

void arena_use_huge_pages(void)
{
    /* The main heap is grown once, now, by far more than a build uses:
     * address space only, untouched pages cost nothing; and the whole range
     * is marked. glibc's own switch for this (its hugetlb tunable) is read
     * only when a program starts, and starting again cost a patch build
     * 10 ms of loading its libraries twice. When the system refuses so
     * large a heap, malloc maps its memory elsewhere, without the mark. */
    enum { HEAP_RESERVE = 1 << 30, THREAD_TOP_PAD = 32 << 20 };
    /* Never given back, from the first free on: a heap trimmed and grown
     * again by brk has its new part in 4 KiB pages (a mapping of its own,
     * without the mark), which cost a full build 6,700 page faults. */
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_TOP_PAD, HEAP_RESERVE);
    /* Large blocks from the heap too, not from mappings of their own in
     * 4 KiB pages: the history walk and the index allocate and free many
     * buffers of hundreds of KiB (glibc maps those above 128 KiB), and a
     * full build's record is built in one of tens of MiB. Set before the
     * filler below, which is such a block. */
    mallopt(M_MMAP_THRESHOLD, HEAP_RESERVE / 4);
    uintptr_t before = (uintptr_t)sbrk(0);
    void *volatile grow = malloc(64 << 10); /* volatile: not optimised away */
    uintptr_t first = (uintptr_t)grow; /* where the heap's free space starts */
    free(grow);
    uintptr_t after = (uintptr_t)sbrk(0);
    uintptr_t start = (before + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (before != (uintptr_t)-1 && after > start) {
        madvise((void *)start, after - start, MADV_HUGEPAGE); /* a hint: no matter if refused */
        /* The heap below the first 2 MiB boundary has 4 KiB pages: a
         * filler takes it, untouched, for the whole run, so that what the
         * build allocates starts at the boundary. */
        if (first != 0 && start > first + 64)
            heap_filler = malloc(start - first - 32);
    }
    /* A thread's heap starts with the top pad usable, so that the huge
     * pages of arena_thread_huge_pages can be used at once. */
    mallopt(M_TOP_PAD, THREAD_TOP_PAD);
}

void arena_thread_huge_pages(void)
{
    /* A thread's heap is a mapping of glibc's HEAP_MAX_SIZE (64 MiB on 64
     * bits), aligned to that size. A pointer below the program break is in
     * the main heap, marked already. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return; /* the sanitizers' allocators have heaps of their own */
#else
    enum { THREAD_HEAP = 64 << 20 };
    void *p = malloc(1);
    uintptr_t at = (uintptr_t)p;
    free(p);
    if (p == NULL || at < (uintptr_t)sbrk(0))
        return;
    void *heap = (void *)(at & ~(uintptr_t)(THREAD_HEAP - 1));
    madvise(heap, THREAD_HEAP, MADV_HUGEPAGE); /* hints: no matter if refused */
    /* glibc makes a thread's heap usable a few pages at a time as it
     * grows, and a huge page needs its whole 2 MiB usable when first
     * touched: grown now, at once (address space; nothing is touched). */
    void *volatile room = malloc(THREAD_HEAP - 8 * HUGE_PAGE); /* kept */
    free(room);
    /* Its first 2 MiB were touched before the mark (glibc's header and the
     * first chunk), so they would go on in 4 KiB pages: made one huge page
     * now, at once. */
    madvise(heap, HUGE_PAGE, MADV_COLLAPSE);
#endif
}

static void *checked_malloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL) {
        fprintf(stderr, "handbook: out of memory (%zu bytes)\n", size);
        abort();
    }
    return p;
}

void *arena_alloc(arena *a, size_t size)
{
    void *p = arena_alloc_raw(a, size);
    memset(p, 0, size);
    return p;
}

void *arena_alloc_raw(arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    if (size > SIZE_MAX - align - sizeof(arena_chunk)) {
        fprintf(stderr, "handbook: allocation of %zu bytes is too large\n", size);
        abort();
    }
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded == 0)
        rounded = align;
    arena_chunk *c = a->chunks;
    if (c == NULL || c->size - c->used < rounded) {
        size_t chunk_size = rounded > ARENA_CHUNK_SIZE / 4 ? rounded : ARENA_CHUNK_SIZE;
        arena_chunk *fresh = NULL;
        if (a->total >= BIG_AFTER && rounded <= BIG_CHUNK / 4)
            fresh = big_chunk();
        if (fresh == NULL) {
            fresh = checked_malloc(sizeof(arena_chunk) + chunk_size);
            fresh->used = 0;
            fresh->size = chunk_size;
            fresh->big = false;
        }
        chunk_size = fresh->size;
        if (c != NULL && chunk_size != ARENA_CHUNK_SIZE && !fresh->big) {
            /* A big block gets its own chunk behind the current one, so the
             * free space left in the current chunk is not wasted. */
            fresh->next = c->next;
            c->next = fresh;
        } else {
            fresh->next = c;
            a->chunks = fresh;
        }
        c = fresh;
    }
    void *p = (char *)c->data + c->used;
    c->used += rounded;
    a->total += rounded;
    return p;
}

char *arena_strndup(arena *a, const char *text, size_t len)
{
    char *copy = arena_alloc_raw(a, len + 1);
    if (len > 0)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

char *arena_strdup(arena *a, const char *text)
{
    return arena_strndup(a, text, strlen(text));
}

void *arena_grow(arena *a, void *old, size_t old_count, size_t new_count, size_t elem_size)
{
    if (elem_size != 0 && new_count > SIZE_MAX / elem_size) {
        fprintf(stderr, "handbook: array of %zu elements is too large\n", new_count);
        abort();
    }
    /* Only the copied part is overwritten; the rest must read as zero for
     * callers that rely on it. */
    char *fresh = arena_alloc_raw(a, new_count * elem_size);
    if (old_count > 0)
        memcpy(fresh, old, old_count * elem_size);
    memset(fresh + old_count * elem_size, 0, (new_count - old_count) * elem_size);
    return fresh;
}

void arena_adopt(arena *a, arena *from)
{
    if (from->chunks == NULL)
        return;
    arena_chunk *last = from->chunks;
    while (last->next != NULL)
        last = last->next;
    /* Behind a's current chunk, whose free space stays in use. */
    arena_chunk **after = a->chunks ? &a->chunks->next : &a->chunks;
    last->next = *after;
    *after = from->chunks;
    a->total += from->total;
    from->chunks = NULL;
    from->total = 0;
}

void arena_free(arena *a)
{
    arena_chunk *c = a->chunks;
    while (c != NULL) {
        arena_chunk *next = c->next;
        if (c->big) {
            pthread_mutex_lock(&spare_lock);
            c->next = spare_chunks;
            spare_chunks = c;
            pthread_mutex_unlock(&spare_lock);
        } else {
            free(c);
        }
        c = next;
    }
    a->chunks = NULL;
    a->total = 0;
}
