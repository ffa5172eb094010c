/* source.h - the first stage of the pipeline: the files of the content repository.
 *
 * Reads the files under a few top-level names ("roots": handbook.yaml, content/,
 * practices/, layouts/) either from the working tree (the default, for local
 * previews) or straight from a commit's tree with libgit2 (--ref: a branch, tag
 * or commit id; works in a bare repository; nothing is checked out). Both ways
 * give the same list, with the same bytes and the same git blob ids for the same
 * content, so a site built from the working tree, from --ref HEAD and from a bare
 * clone is byte-identical. The only module besides history that sees git_* types.
 *
 * The content is untrusted: contributors push it, and libgit2 does not validate
 * tree entry names when reading. Every path component under the roots, and every
 * component of a link target, is checked: no "", ".",
 * "..", '/', backslash, control character or invalid UTF-8, and no ".git" in any
 * spelling (any case, trailing dots or spaces, an NTFS stream suffix ":...", the
 * NTFS short name "git~1", HFS+-ignorable code points such as U+200C inside it).
 * A symbolic link is followed when its target stays inside the repository (its
 * target's contents are used under the link's own path; a link to a folder reads
 * that folder under the link's path). Targets are resolved component by component
 * within the repository (within the commit for --ref, so a target need not be
 * under a root); an absolute target, a target outside the repository or through
 * .git, a missing target, a chain of more than SOURCE_MAX_LINK_HOPS links and a
 * link to a folder already being read on the way to it (a loop) are errors.
 * Submodules are skipped with a warning. Files, names, paths and the whole read
 * are limited (the SOURCE_MAX_* constants below).
 *
 * Working-tree reads skip the top-level .git, and, when the folder is a git
 * repository, every file git ignores unless it is tracked anyway; a folder inside
 * the tree that holds its own .git (a nested repository or a checked-out
 * submodule) is skipped with a warning, as its submodule entry is in a commit.
 * A folder that is not a git repository reads as it is. Sockets, FIFOs and device
 * files are skipped with a warning (git cannot store them). File contents are
 * taken as they are on disk: no git filters (CRLF conversion, LFS) are applied,
 * in either way of reading. */
#ifndef HANDBOOK_SOURCE_H
#define HANDBOOK_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "strmap.h"

/* A larger file is refused: limits memory per file; handbook pages, data files and
 * templates are a few KiB, and even a photo or PDF in content/ stays under 16 MiB. */
#define SOURCE_MAX_FILE_SIZE (16u * 1024 * 1024)

/* All files read together may hold at most this much: bounds the memory of a
 * whole read of a hostile push (many large files); 64 times the per-file limit. */
#define SOURCE_MAX_TOTAL_SIZE (1024u * 1024 * 1024)

/* More files and folders than this are refused: bounds memory and time (also
 * against links that fan out); the handbook has hundreds of files, the benchmark
 * reads 10,000. */
#define SOURCE_MAX_FILES 100000

/* A longer repository path or link target is refused: PATH_MAX on Linux, and far
 * beyond any sensible page path; also bounds the recursion depth of a read. */
#define SOURCE_MAX_PATH_LEN 4096

/* A longer file or folder name is refused: NAME_MAX of Linux and of most file
 * systems, so a longer name could not be checked out or published. */
#define SOURCE_MAX_NAME_LEN 255

/* Following more links than this while resolving one link is a loop: Linux's
 * own MAXSYMLINKS. */
#define SOURCE_MAX_LINK_HOPS 40

typedef struct source_file {
    const char *path; /* repository-relative, '/'-separated, NUL-terminated, arena-owned;
                         for a link, the link's own path */
    const char *data; /* contents, NUL-terminated (the extra NUL is not counted in len),
                         arena-owned; files with the same blob may share it */
    size_t len;
    char blob_id[41]; /* git blob id in hex, of the contents; for working-tree files
                         computed as git would (git hash-object) */
} source_file;

typedef struct source_tree {
    source_file *files; /* arena-owned array, sorted by path (byte order), paths unique */
    size_t count;
    char commit_id[41]; /* the commit read, in hex; "" for a working-tree read */
} source_tree;

/* A file a previous read saw (source_options.known): its blob id. */
typedef struct source_known {
    const char *path;
    const char *blob_id; /* hex */
} source_known;

/* Git's index and the lstat of the files it has, taken ahead; see
 * source_prefetch_start. */
typedef struct source_prefetch source_prefetch;

typedef struct source_options {
    const char *repo_dir; /* working tree, or with ref also a bare repository; the
                             repository's top folder (parents are not searched);
                             NULL: the current folder */
    const char *ref;      /* NULL: read the working tree; else anything git rev-parse
                             takes that names a commit: branch, tag, (short) commit id,
                             HEAD, main~2 */
    const char *const *roots; /* NULL-terminated list of top-level names to read, e.g.
                                 {"handbook.yaml", "content", "practices", "layouts", NULL};
                                 other top-level entries are neither read nor checked;
                                 a root that does not exist is no error. NULL: read all. */
    const strmap *known;      /* NULL, or repository path -> source_known* of files the
                                 caller has seen, which are then not read: its data is
                                 NULL (len its size in a working tree, 0 in a commit).
                                 In a working-tree read, such a file that git's index
                                 says is still that blob (as git status decides); in a
                                 commit, one whose tree entry names that blob.
                                 source_fill reads it when needed */
    source_prefetch *prefetch; /* NULL, or the lstat of the working tree's files
                                  being taken: waited for and freed by
                                  source_read */
} source_options;

/* Reads git's index of the working tree at repo_dir and starts taking the
 * lstat of the files it has under roots (NULL: all), in two threads: a
 * build of files that are mostly unchanged is mostly these calls, a few
 * microseconds each on a virtual machine, and so they run beside what comes
 * before the walk (as git's preloadIndex does), from the start of a build.
 * source_read uses them for files whose stat the index has (known files
 * git's index says are unchanged are then not read). Returns NULL when
 * repo_dir cannot be opened. */
source_prefetch *source_prefetch_start(const char *repo_dir, const char *const *roots);

/* Waits for the threads and frees p (NULL: nothing to do). */
void source_prefetch_wait(source_prefetch *p);

/* Reads the files of opts->repo_dir into *out. Returns 0, or -1 after adding every
 * problem found to diags (it does not stop at the first); warnings (skipped
 * submodules, ...) may be added either way. Diagnostics about a file name it as
 * "file" (escaped: control characters as \xNN, invisible code points as \uNNNN)
 * with line and col 0. On -1, *out is still valid and holds the files read
 * without error (when a limit of the whole read was hit, only those read before);
 * on 0 it holds all of them. Everything in *out is owned by the
 * arena; nothing else needs freeing. Opens and closes the repository itself;
 * libgit2 is initialized and shut down inside the call. */
int source_read(arena *a, const source_options *opts, source_tree *out, diag_list *diags);

/* Reads the contents of f, a file a read with opts->known left unread, into
 * the arena: from the working tree, or the blob of a commit. Returns 0, or -1
 * when it cannot be read or its bytes are not those of its blob id (it
 * changed since: read everything again). */
int source_fill(arena *a, const source_options *opts, source_file *f);

/* Keeps libgit2 set up from source_hold to source_release, around a build
 * whose threads use it at once: libgit2 frees a thread's error state when
 * the last user lets go, and that must be the main thread, which never
 * exits as threads do. */
void source_hold(void);
void source_release(void);

/* Returns the file at path in tree (binary search), or NULL. */
const source_file *source_find(const source_tree *tree, const char *path);

#endif
