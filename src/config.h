/* config.h - handbook.yaml: the site's settings and its collections.
 *
 * A collection is a folder of Markdown files that become pages under one URL
 * pattern with one layout, and optionally an overview page listing them:
 *
 *   collections:
 *     practices:
 *       folder: practices
 *       url: /praktijkvoorbeelden/:slug/
 *       layout: practice
 *       list: {url: /praktijkvoorbeelden/, layout: list, title: Praktijkvoorbeelden}
 */
#ifndef HANDBOOK_CONFIG_H
#define HANDBOOK_CONFIG_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "value.h"

#define CONFIG_FILE "handbook.yaml"

typedef struct collection {
    const char *name;        /* "practices" */
    const char *folder;      /* repository folder, no trailing slash: "practices" */
    const char *url_pattern; /* "/praktijkvoorbeelden/:slug/" */
    const char *layout;      /* template name */
    source_pos layout_pos;   /* where the layout is named, for messages */
    source_pos pos;          /* where the collection is declared */
    /* The optional overview page. */
    const char *list_url; /* NULL when there is none */
    const char *list_layout;
    source_pos list_layout_pos;
    const char *list_title;
    const char *list_intro; /* may be NULL */
} collection;

typedef struct menu_item {
    const char *title;
    const char *url; /* site-relative, starting with '/' */
} menu_item;

typedef struct config {
    const value *root; /* the whole file */
    const char *title;
    const char *description; /* "" when not given */
    const char *language;    /* "nl" when not given */
    const char *base_url;    /* absolute, ends with '/' */
    const char *base_path;   /* path of base_url: "/" or "/handboek/" */
    collection *collections;
    size_t collection_count;
    menu_item *menu;
    size_t menu_count;
} config;

/* Reads handbook.yaml from text (len bytes). base_url_override, when not NULL,
 * replaces the file's base_url (the --base-url option). Returns 0, or -1 with
 * every mistake in diags at handbook.yaml:line:col. All strings are arena-owned. */
int config_load(arena *a, const char *text, size_t len, const char *base_url_override,
                config *out, diag_list *diags);

#endif
