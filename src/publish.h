/* publish.h - the publish stage: writes the site so that a web server serving
 * the output folder sees the old site or the new one, never a mix.
 *
 * Files are written into a fresh folder beside the output folder; only when the
 * whole build has succeeded is it swapped with the output folder in one atomic
 * rename (renameat2 RENAME_EXCHANGE). A failed build removes its folder and
 * leaves the published site exactly as it was.
 *
 * Incremental: the published site is not thrown away but kept as ".NAME.old",
 * and the next build starts from that copy, so it writes only the files that
 * differ from it. A file whose contents the published site has already is
 * hard-linked from there, not written: unchanged files keep their inode and
 * modification time, and an rsync of the site sends only what changed. Both
 * copies have a build record beside them (record.h): ".NAME.record" and
 * ".NAME.old.record", listing every file with its hash, plus what the other
 * stages add. Without a good record (a first build, another handbook binary,
 * a build killed between its renames) the build writes everything.
 *
 * For output folder NAME the new site is ".NAME.new" and the lock ".NAME.lock",
 * all in NAME's parent folder. publish_begin takes an exclusive flock on the
 * lock before it touches ".NAME.new" (saying once on stderr that it waits when
 * another build holds it) and commit or abort releases it. The kernel drops the
 * lock of a killed build, and the next build removes the ".NAME.new" it left,
 * so recovery needs nothing. The lock file is kept on purpose. */
#ifndef HANDBOOK_PUBLISH_H
#define HANDBOOK_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "record.h"
#include "strmap.h"

typedef struct publisher publisher;

/* Prepares to publish into output_dir, waiting for the lock while another build
 * holds it. Returns a publisher (free it with publish_commit or publish_abort),
 * or NULL with an error in diags. */
publisher *publish_begin(const char *output_dir, diag_list *diags);

/* publish_write and publish_reuse may be called from several threads at once
 * (each with diagnostics of its own); everything else from one thread. */

/* Publishes one file at path, relative to the output folder ('/'-separated, no
 * '..', not absolute: anything else is refused with an error): kept, linked
 * or written as above. pub may be NULL (a check run), in which case nothing
 * is written. Returns 0 or -1. */
int publish_write(publisher *pub, const char *path, const void *data, size_t len,
                  diag_list *diags);

/* Publishes at path the file with contents hash that the published site has
 * (at any path), without the caller making it again. Returns 1 when done, 0
 * when the published site does not have it (or pub is NULL, or this is a
 * full build): the caller must then make it and publish_write it; -1 on
 * error. */
int publish_reuse(publisher *pub, const char *path, record_hash hash, diag_list *diags);

/* Publishes again every file of the published site that is not in writing
 * (paths, as keys) and was not published in this build yet, as publish_reuse
 * does: for a build that makes only what changed and knows the rest is as
 * it was. After it only the paths in writing may be written, so writing
 * must stay until the last publish_write. Returns 1; 0 when one of them
 * cannot be (the published site lost it, or this is a full build), and then
 * none was; -1 on error. */
int publish_keep_others(publisher *pub, const strmap *writing, diag_list *diags);

/* The record of the published site, for the other stages to read their
 * sections from; NULL when this build is a full one. Valid until commit or
 * abort. */
const record *publish_previous(const publisher *pub);

/* Adds a section to the record written with the new site, taking content's
 * bytes (content is left empty). pub must not be NULL. */
void publish_record(publisher *pub, const char *name, buf *content);

/* Adds a section to the new base record instead (record.h): the large
 * sections a patch build leaves as they are. */
void publish_record_base(publisher *pub, const char *name, buf *content);

/* The new record names the published record's base instead of a new one:
 * for a build that changed little and adds what it changed in sections of
 * its own. Returns false (and nothing changes) when the published record has
 * no base, or sections for a new base were added. */
bool publish_keep_base(publisher *pub);

/* Makes the new site the published one and frees pub. Returns 0 or -1. */
int publish_commit(publisher *pub, diag_list *diags);

/* Throws the new files away, leaves the published site as it was, frees pub. */
void publish_abort(publisher *pub);

/* Whether folder outer is folder inner or one of its parents; both are real
 * paths (realpath). An output folder must contain neither the repository nor
 * the current folder, since publishing replaces it whole. */
bool publish_folder_contains(const char *outer, const char *inner);

/* Reads the file at path (relative) of the published site into out, as it
 * is there (the caller checks it against what it expects). ctx is the
 * publisher. Returns 0, or -1 when there is none. */
int publish_read_published(void *ctx, const char *path, buf *out);

/* Number of files in the new site so far, and how many of them had to be
 * written (the rest were kept or linked). */
size_t publish_file_count(const publisher *pub);
size_t publish_changed_count(const publisher *pub);

#endif
