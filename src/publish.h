/* publish.h - the publish stage: writes the site so that a web server serving
 * the output folder sees the old site or the new one, never a mix.
 *
 * Files are written into a fresh folder beside the output folder; only when the
 * whole build has succeeded is it swapped with the output folder in one atomic
 * rename (renameat2 RENAME_EXCHANGE). A failed build removes its folder and
 * leaves the published site exactly as it was.
 *
 * For output folder NAME the new site is ".NAME.new" and the lock ".NAME.lock",
 * both in NAME's parent folder. publish_begin takes an exclusive flock on the
 * lock before it touches ".NAME.new" (saying once on stderr that it waits when
 * another build holds it) and commit or abort releases it. The kernel drops the
 * lock of a killed build, and the next build removes the ".NAME.new" it left,
 * so recovery needs nothing. The lock file is kept on purpose. */
#ifndef HANDBOOK_PUBLISH_H
#define HANDBOOK_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef struct publisher publisher;

/* Prepares to publish into output_dir, waiting for the lock while another build
 * holds it. Returns a publisher (free it with publish_commit or publish_abort),
 * or NULL with an error in diags. */
publisher *publish_begin(const char *output_dir, diag_list *diags);

/* Writes one file at path, relative to the output folder ('/'-separated, no
 * '..', not absolute: anything else is refused with an error). pub may be NULL
 * (a check run), in which case nothing is written. Returns 0 or -1. */
int publish_write(publisher *pub, const char *path, const void *data, size_t len,
                  diag_list *diags);

/* Makes the new site the published one and frees pub. Returns 0 or -1. */
int publish_commit(publisher *pub, diag_list *diags);

/* Throws the new files away, leaves the published site as it was, frees pub. */
void publish_abort(publisher *pub);

/* Whether folder outer is folder inner or one of its parents; both are real
 * paths (realpath). An output folder must contain neither the repository nor
 * the current folder, since publishing replaces it whole. */
bool publish_folder_contains(const char *outer, const char *inner);

/* Number of files written so far. */
size_t publish_file_count(const publisher *pub);

#endif
