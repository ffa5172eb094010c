/* gitindex - git's index file (.git/index), as the source stage needs it:
 * per tracked path, the stat data git saw when it last hashed the file,
 * and the blob id. Read here rather than with libgit2: a build that finds
 * nothing changed is mostly this read and the lstat of every file, and
 * libgit2 first checks the hash of the whole file and builds maps of its
 * own, and can only start once it is set up (milliseconds: it parses the
 * system's TLS certificates). Forms this reader leaves alone (a split or
 * sparse index, a version other than 2 to 4) are read with libgit2. */
#ifndef HANDBOOK_GITINDEX_H
#define HANDBOOK_GITINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <git2.h>

enum {
    GITINDEX_ASSUME_VALID = 0x8000,  /* flags: git update-index --assume-unchanged */
    GITINDEX_STAGE = 0x3000,         /* flags: the stage of a conflict, 0 when none */
    GITINDEX_SKIP_WORKTREE = 0x4000, /* flags_extended */
    GITINDEX_INTENT_TO_ADD = 0x2000, /* flags_extended: git add -N */
};

typedef struct gitindex_entry {
    const char *path;
    uint32_t ctime_s, ctime_ns, mtime_s, mtime_ns, dev, ino, mode, size; /* as git keeps them:
                                                                            the low 32 bits */
    uint16_t flags, flags_extended;
    git_oid id;
} gitindex_entry;

typedef struct gitindex {
    gitindex_entry *entries; /* in the index's order: by path, then stage */
    size_t count;
    struct stat file; /* of the index file when it was read */
    char *bytes;      /* the file (paths of versions 2 and 3 point into it) */
    char *paths;      /* paths of version 4, or copied from libgit2 */
    size_t hint;      /* where the last lookup found its entry */
} gitindex;

#define GITINDEX_INIT {0}

/* Reads the index file at path into ix (freed first). Returns 0, or -1 when
 * it is missing, unreadable, damaged or in a form left to libgit2 (ix is
 * then empty). A damaged entry cannot pass for a file's blob: the stat data
 * and the id must both match what the build saw before. */
int gitindex_read(gitindex *ix, const char *path);

/* The entries of libgit2's index into ix (freed first). */
void gitindex_from_libgit2(gitindex *ix, git_index *index);

/* The entry of path at stage 0, or NULL. Fastest when asked for the paths
 * in order, or for the same path again. */
const gitindex_entry *gitindex_find(gitindex *ix, const char *path);

/* Whether any entry is under the folder prefix (ending in '/'). */
bool gitindex_has_under(const gitindex *ix, const char *prefix);

void gitindex_free(gitindex *ix);

#endif
