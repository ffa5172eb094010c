/* resolve.h - the resolve stage: references between pages, the reverse of
 * every reference, and the facet pages.
 *
 * A practice example names its region, schools and models by id (the file name
 * without extension). Each id must exist: an unknown one is an error with a
 * "did you mean". The referenced page gets the referring page in its
 * backlinks, so a school page lists the practice examples that name it without
 * anyone keeping that list by hand. Facets (region, school type, model, theme)
 * get browse pages with counts, like Hugo's taxonomies. */
#ifndef HANDBOOK_RESOLVE_H
#define HANDBOOK_RESOLVE_H

#include "arena.h"
#include "config.h"
#include "diag.h"
#include "pages.h"

/* Resolves the references of every page in pages (setting page->data and the
 * backlinks) and appends the facet index and value pages to pages. Returns 0,
 * or -1 with every unknown reference in diags. */
int resolve_site(arena *a, const config *cfg, page_list *pages, diag_list *diags);

/* Sorts pages as overviews list them: by weight, then by title. */
void resolve_sort_pages(page **pages, size_t count);

#endif
