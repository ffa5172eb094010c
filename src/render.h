/* render.h - the render stage: Markdown bodies through cmark-gfm, pages
 * through their Mustache layouts, plus sitemap.xml, robots.txt and the assets.
 * Every output goes to the publisher as soon as it is made, so memory stays
 * flat however large the site. */
#ifndef HANDBOOK_RENDER_H
#define HANDBOOK_RENDER_H

#include <stddef.h>

#include "diag.h"
#include "pages.h"
#include "publish.h"
#include "source.h"
#include "template.h"

#define LAYOUTS_FOLDER "layouts"
#define ASSETS_FOLDER "layouts/assets"

/* Compiles every layouts/NAME.mustache of tree into set under NAME and checks
 * that partials, parents and each page's layout exist. Returns 0 or -1. */
int render_load_layouts(const source_tree *tree, const site *s, template_set *set,
                        diag_list *diags);

typedef struct render_stats {
    size_t pages;    /* pages published */
    size_t rendered; /* of those, made anew: the rest were reused from the last build */
    size_t assets; /* asset files copied */
} render_stats;

/* Renders every page of s and writes it, the sitemap, robots.txt and the
 * assets through pub (NULL: render and check, write nothing). Returns 0, or -1
 * with every error in diags.
 *
 * Incremental: each page's fingerprint (a hash of its layout's templates, its
 * context, its Markdown, the addresses of the pages it links to, and of what
 * every page uses: handbook.yaml and the glossary) goes into the build record
 * ("pages"). When the previous build's record has the same fingerprint for a
 * page, its file is published again as it was and its search document comes
 * from the record: nothing is rendered. So a changed school re-renders the
 * pages that show it (their context holds its title), a changed layout the
 * pages that use it, a new practice example the overviews and facet pages
 * that list it; the sitemap and the search index are made whole every time
 * and publish keeps the files whose bytes did not change. */
typedef struct render_wait {
    bool (*ready)(void *ctx); /* whether wait would return at once */
    void (*wait)(void *ctx);  /* called from any of the render threads */
    void *ctx;
} render_wait;

/* history, when not NULL, says whether the pages' histories (s->history) are
 * read, and waits until they are, before a page's history is read: they may
 * be read in another thread meanwhile. A full build renders the Markdown of
 * the pages until then, and each page whole after. */
int render_site(const site *s, const source_tree *tree, const template_set *layouts,
                publisher *pub, const render_wait *history, render_stats *stats,
                diag_list *diags);

/* A patch build: when only the files changed (repository paths, sorted)
 * differ from the previous build's, each the Markdown file of a page whose
 * front matter is the same, and pages whose history changed, remakes just
 * those pages from the record (their context but for the history is as the
 * previous build made it), patches the search index (index_patch_*), and
 * publishes every other file again as it was: the site a whole build would
 * make. s needs its config and history, not its pages; tree may lack the
 * contents of unchanged files (source_options.known): they are read from
 * source when needed. Returns 1; 0 when a
 * patch build cannot give that (another file changed, a link to a new
 * address, any message about the pages: build the whole site then; nothing
 * was published); -1 on an error in diags. */
int render_patch(const site *s, const source_options *source, const source_tree *tree,
                 const template_set *layouts, publisher *pub, const char *const *changed,
                 size_t changed_count, render_stats *stats, diag_list *diags);

#endif
