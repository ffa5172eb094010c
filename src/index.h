/* index.h - the index stage: the search index, written during the build (the
 * format is doc/search-index.md). Pages are added as they are rendered, so
 * the Markdown is read once; index_finish computes the BM25 scores and writes
 * the shards. */
#ifndef HANDBOOK_INDEX_H
#define HANDBOOK_INDEX_H

#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "pages.h"
#include "publish.h"
#include "record.h"

#define INDEX_FOLDER "zoekindex"
/* The version in meta.json; the search page refuses any other. */
#define INDEX_FORMAT 2

typedef struct index_builder index_builder;

/* Starts an index of the site's pages; free it with index_free(). */
index_builder *index_new(const site *s);
void index_free(index_builder *ix);

/* Adds a page: its title, its front matter text, and the HTML of its body
 * (as the Markdown stage made it, headings with ids), and writes the page's
 * document file. url is the page's address with the base path. Returns 0 or -1. */
int index_add_page(index_builder *ix, const page *p, const char *url, const char *html,
                   size_t html_len, publisher *pub, diag_list *diags);

/* Incremental builds: the index keeps, for the build record, what each page
 * added (its words and their counts per field); a later build can add a
 * page whose inputs did not change from that instead of from its HTML.
 *
 * Reads the previous build's index section from r (valid while ix is in use);
 * a missing or damaged section only means no page can be replayed. */
void index_use_previous(index_builder *ix, const record *r);

/* Adds page p as the previous build added its document previous_doc, and
 * publishes that document's file again. Returns 1 when done, 0 when it
 * cannot be (no such document, or its file is gone: add the page with
 * index_add_page then), -1 on error. */
int index_replay_page(index_builder *ix, const page *p, size_t previous_doc, publisher *pub,
                      diag_list *diags);

/* The number the next page added gets (the N of its docs/N.json.gz). */
size_t index_next_document(const index_builder *ix);

/* Parallel builds: pages can be added to parts in threads of their own, each
 * part a consecutive run of pages, and the parts appended in page order.
 *
 * Starts a part whose first page becomes document first_document: the number
 * of documents the pages before it make. Free it with index_free() or give it
 * to index_append(). A part cannot use a previous index. */
index_builder *index_new_part(const site *s, size_t first_document);

/* Adds part's documents to ix, as if its pages had been added to ix, and
 * frees part. Returns 0, or -1 (and ix unchanged) when ix does not end just
 * before part's first document (a page before it failed) or when ix replays
 * a previous index. Not thread-safe: the parts must be done. */
int index_append(index_builder *ix, index_builder *part);

/* Writes meta.json, the vocabulary, the postings and the facets, and the
 * index sections of the build record. Returns 0 or -1. */
int index_finish(index_builder *ix, publisher *pub, diag_list *diags);

/* Patching: an incremental build in which only the Markdown of some pages
 * changed (the same pages, with the same front matter) changes the previous
 * build's index in place of making it anew: only the changed pages' documents
 * and the shards of their terms are made, from the record's "search patch"
 * section. The result is the index a whole build makes; where a patch cannot
 * give that (a word new to the site or gone from it, an average length that
 * moved a step, a term's postings moving in line or out), it says so and the
 * caller builds the whole index. */
typedef struct index_patch index_patch;

/* Reads the file at path (relative to the site) as the published site has
 * it into out; returns 0 or -1. */
typedef int (*index_patch_reader)(void *ctx, const char *path, buf *out);

/* Starts a patch of the index described by the previous build's record r
 * (valid while the patch is in use); read_published reads the published
 * site's postings files (which a patch checks against the record). NULL
 * when r has no usable "search patch" section. Free it with
 * index_patch_free(). */
index_patch *index_patch_begin(const site *s, const record *r, index_patch_reader read_published,
                               void *read_ctx);

/* Adds page p anew as its search document doc of the previous build, from
 * the HTML of its body (as for index_add_page). Publishes nothing yet.
 * Returns 1, or 0 when a patch cannot do it. */
int index_patch_page(index_patch *ip, const page *p, size_t doc, const char *url,
                     const char *html, size_t html_len);

/* Makes the patched files (the pages' documents, the shards of their terms,
 * postings files), handing each to output, and the record's index sections.
 * Every other file of the index is the previous build's: the caller
 * publishes those again. Returns 1, or 0 when the patch cannot be made after
 * all (then output was not called). */
typedef void (*index_patch_output)(void *ctx, const char *path, const char *data, size_t len);
int index_patch_prepare(index_patch *ip, index_patch_output output, void *ctx);

/* Why the patch could not be made (for HANDBOOK_TIMINGS). */
const char *index_patch_declined(const index_patch *ip);

/* Adds the record's index sections (made by index_patch_prepare) to pub. */
void index_patch_record(index_patch *ip, publisher *pub);

void index_patch_free(index_patch *ip);

#endif
