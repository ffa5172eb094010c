/* pages.h - the parse stage: from the repository's files to the site's pages.
 *
 * Each Markdown file in a collection's folder becomes a page: its front matter
 * is read into the value tree, its slug and URL are worked out, and its body
 * is kept for the render stage. Overview pages of collections and the 404
 * page are added here too, so that every URL of the site is known before
 * anything is rendered: links can then be checked, and two sources that want
 * the same URL are reported. */
#ifndef HANDBOOK_PAGES_H
#define HANDBOOK_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "config.h"
#include "diag.h"
#include "source.h"
#include "strmap.h"
#include "value.h"

typedef struct page page;
struct page {
    const char *source_path; /* repository path; NULL for generated pages */
    const collection *collection;
    const char *slug;        /* "" for an index page */
    const char *url;         /* site path without the base path: "/praktijkvoorbeelden/x/" */
    const char *output_path; /* file in the output folder: "praktijkvoorbeelden/x/index.html" */
    const char *layout;
    source_pos layout_pos; /* where the layout is named (handbook.yaml) */
    const char *title;
    const char *intro;  /* overview pages: the collection's intro, or NULL */
    value *front_matter; /* a map; empty for generated pages */
    const char *body;    /* the Markdown after the front matter */
    size_t body_len;
    uint32_t body_line;
    bool is_home, is_list;
    page **entries; /* overview pages: the collection's pages, in order */
    size_t entry_count;
};

typedef struct site {
    config config;
    page **pages; /* every page, sorted by URL */
    size_t page_count;
    strmap by_source; /* repository path -> page */
} site;

/* Builds s->pages from the files of tree, using s->config (already loaded).
 * Returns 0, or -1 with every problem in diags. Pages are arena-owned;
 * s->by_source must be freed with strmap_free(). */
int pages_collect(arena *a, const source_tree *tree, site *s, diag_list *diags);

#endif
