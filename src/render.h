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
    size_t pages;  /* pages rendered */
    size_t assets; /* asset files copied */
} render_stats;

/* Renders every page of s and writes it, the sitemap, robots.txt and the
 * assets through pub (NULL: render and check, write nothing). Returns 0, or -1
 * with every error in diags. */
int render_site(const site *s, const source_tree *tree, const template_set *layouts,
                publisher *pub, render_stats *stats, diag_list *diags);

#endif
