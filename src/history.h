/* history.h - what git knows about each page: when its file last changed and
 * who changed it.
 *
 * Read in one walk over the history (not one walk per file, as `git log FILE`
 * for every page would be): every commit's tree is compared with its first
 * parent's, skipping the subtrees whose ids did not change, and each changed
 * file of interest gets the commit's date (the first, newest, one seen) and
 * author. Merge commits are skipped: their changes come with the commits they
 * merge. Authors go through the repository's .mailmap, so one person with two
 * addresses or spellings is listed once. A file's history starts where it got
 * its current path (a rename is not followed, as git log without --follow).
 *
 * A folder that is not a git repository (or has no commit yet) has no history:
 * that is no error. */
#ifndef HANDBOOK_HISTORY_H
#define HANDBOOK_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "record.h"
#include "source.h"
#include "strmap.h"

typedef struct file_history {
    int64_t changed;          /* commit time of the newest commit that changed it, in
                                 seconds since 1970; 0 when no commit did */
    int changed_offset;       /* that commit's time zone, in minutes east of UTC */
    const char **authors;     /* names, most commits first, then by name */
    size_t author_count;
    bool uncommitted;         /* a working-tree build: the file differs from HEAD or is new */
    bool as_recorded;         /* all of the above is as the previous build's record has
                                 it: what shows it need not be looked at again */
} file_history;

/* The history is read in three steps, so that it can run in a thread of its
 * own while the publish stage reads the build record and the source stage
 * reads the files: the repository and the commit first, then the walk over
 * the commits (which needs the record), and the files are matched at the
 * end.
 *
 * history_begin opens the repository and finds the folders under roots
 * (top-level names, NULL-terminated, as source_options.roots; NULL: all) of
 * ref's commit, or for a working-tree build (ref NULL) of HEAD. When *stop
 * becomes true (stop may be NULL) the walk gives up soon: the build failed
 * and needs no history. Returns the reader, never NULL; its strings are owned
 * by a, its errors go to diags and make history_finish fail.
 *
 * history_walk_commits then walks the history of the files in those
 * folders. Incremental: with the previous build's record (previous, may be
 * NULL) only the commits since its commit are walked, when that gives what a
 * whole walk would: the same .mailmap, that commit an ancestor of this one
 * through commits with one parent each (no merges, no rewritten history),
 * and every folder walked now walked then. */
typedef struct history_reader history_reader;
history_reader *history_begin(arena *a, const char *repo_dir, const char *ref,
                              const char *const *roots, const _Atomic bool *stop,
                              diag_list *diags);
void history_walk_commits(history_reader *h, const record *previous);

/* Matches the walk to the files of tree: fills out (repository path ->
 * file_history*, arena-owned; free the map with strmap_free) for the files
 * that have any history, marking those that differ from HEAD in a
 * working-tree build; and appends to record_out (when not NULL) the "history"
 * section of the build record: the commit, and every file seen in the folders
 * walked (also those since removed) with its date and authors. Frees h; with
 * tree NULL it only frees h. Returns 0, or -1 when the walk failed (the error
 * is in history_begin's diags) or was stopped, or tree is NULL. */
int history_finish(history_reader *h, const source_tree *tree, buf *record_out, strmap *out);

/* "26 april 2022": the date of a commit time in its own time zone, in Dutch,
 * into out (at least 32 bytes); also "2022-04-26" into iso (11 bytes) when not
 * NULL. */
void history_dutch_date(int64_t time, int offset_minutes, char *out, size_t out_size, char *iso);

#endif
