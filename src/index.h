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
 * index section of the build record. Returns 0 or -1. */
int index_finish(index_builder *ix, publisher *pub, diag_list *diags);

#endif
