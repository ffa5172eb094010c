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

/* One value of a facet (a region, a school type) and the pages that have it. */
typedef struct facet_value {
    const char *title; /* "Parkstad", "SBO" */
    const char *slug;  /* "parkstad", "sbo" */
    page *page;        /* its browse page */
    page **entries;
    size_t count, cap;
} facet_value;

/* A facet of a collection with all its values, in title order. */
typedef struct facet_group {
    const facet *facet;
    page *page; /* the facet's index page */
    facet_value *values;
    size_t value_count;
} facet_group;

/* The pages of one collection that refer to a page. */
typedef struct backlink_list {
    const collection *from;
    page **pages;
    size_t count, cap;
} backlink_list;

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
    uint32_t front_matter_line; /* where the front matter starts, for messages */
    bool is_home, is_list, is_data;
    page **entries; /* overview and facet value pages: their pages, in order */
    size_t entry_count;
    value *data; /* front matter with references resolved to {id, title, url} maps */
    backlink_list *backlinks; /* pages that refer to this one, per collection */
    size_t backlink_count;
    facet_group *facet_groups; /* overview pages: the collection's facets */
    size_t facet_group_count;
    const facet_group *group;        /* facet index and value pages */
    const facet_value *facet_value;  /* facet value pages */
};

typedef struct site {
    config config;
    page **pages; /* every page, sorted by URL */
    size_t page_count;
    strmap by_source; /* repository path -> page */
    strmap failed;    /* repository paths of pages that could not be read */
    strmap history;   /* repository path -> file_history* (history.h); empty for a
                         check, or a folder that is not a git repository */
} site;

/* A growable list of pages (arena-owned). */
typedef struct page_list {
    page **items;
    size_t count, cap;
} page_list;

void pages_add(arena *a, page_list *list, page *p);

/* The abbreviation a glossary term's page gives (g's abbreviation field),
 * or NULL. */
const char *page_abbreviation(const glossary *g, const page *p);

/* Creates a page that comes from no file (overviews, facet pages). */
page *pages_generated(arena *a, const char *url, const char *title, const char *layout,
                      source_pos layout_pos);

/* Builds s->pages from the files of tree, using s->config (already loaded).
 * Returns 0, or -1 with every problem in diags. Pages are arena-owned;
 * s->by_source and s->failed must be freed with strmap_free(). */
int pages_collect(arena *a, const source_tree *tree, site *s, diag_list *diags);

/* Reads the one page file f as pages_collect would, without the rest of the
 * site: no references resolved, no backlinks. NULL when f is no page of a
 * collection of cfg, or has errors (in diags). For a build that remakes only
 * pages whose front matter did not change (render_patch). */
page *pages_read_one(arena *a, const config *cfg, const source_file *f, diag_list *diags);

#endif
