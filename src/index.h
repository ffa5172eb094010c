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

/* Writes meta.json, the vocabulary, the postings and the facets. Returns 0 or -1. */
int index_finish(index_builder *ix, publisher *pub, diag_list *diags);

#endif
