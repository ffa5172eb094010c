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

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "value.h"

#define CONFIG_FILE "handbook.yaml"

typedef enum field_type {
    FIELD_STRING, /* one line of text */
    FIELD_TEXT,   /* text that may span lines */
    FIELD_NUMBER,
    FIELD_BOOL,
    FIELD_DATE, /* YYYY-MM-DD */
    FIELD_YEAR, /* 1900..2100 */
    FIELD_URL,  /* http:// or https:// */
    FIELD_ENUM, /* one of a list of values */
    FIELD_REF,  /* the id (file name) of a page in another collection */
    FIELD_LIST, /* a list of items of one of the types above */
} field_type;

typedef struct field {
    const char *name;
    source_pos pos;
    field_type type;
    field_type item_type; /* lists: the type of their items */
    bool required;
    const value *default_value; /* NULL when none */
    const char *const *values;  /* enums: allowed values, NULL-terminated */
    size_t value_count;
    const char *ref_name;                /* refs: the collection's name */
    const struct collection *ref_target; /* refs: resolved after loading */
} field;

/* A field whose values get browse pages: /praktijkvoorbeelden/regio/parkstad/. */
typedef struct facet {
    const field *field;
    const char *title; /* "Regio" */
    const char *slug;  /* "regio": its pages live under the overview's URL */
} facet;

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
    /* The typed schema of the pages' front matter (or data files); when a
     * collection declares no fields, any front matter is accepted. */
    field *fields;
    size_t field_count;
    facet *facets;
    size_t facet_count;
    const char *facet_layout;
} collection;

/* The glossary: a collection of terms whose first use on each page is
 * marked, as <abbr> for an abbreviation or a link to the term. */
typedef struct glossary {
    const collection *terms; /* NULL when there is no glossary */
    const char *abbreviation_field;
    const char *definition_field;
} glossary;

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
    glossary glossary;
    /* Addresses of a page's source on the git host, with {path} for its
     * repository path (GitLab, GitHub, Gitea, Forgejo); NULL when not set. */
    const char *edit_url;
    const char *history_url;
} config;

/* url_pattern with {path} replaced by path, percent-encoded but for '/'
 * (arena-owned). */
const char *config_source_url(arena *a, const char *url_pattern, const char *path);

/* Returns path (a site path like "/modellen/x/") under the base path
 * ("/handboek/modellen/x/"), arena-owned: the address links use. */
const char *config_site_path(arena *a, const config *cfg, const char *path);

/* Returns the collection called name, or NULL. */
const collection *config_collection(const config *cfg, const char *name);

/* Returns the field of c called name, or NULL. */
const field *config_field(const collection *c, const char *name);

/* The type's name as handbook.yaml spells it: "string", "ref", ... */
const char *config_type_name(field_type type);

/* Reads handbook.yaml from text (len bytes). base_url_override, when not NULL,
 * replaces the file's base_url (the --base-url option). Returns 0, or -1 with
 * every mistake in diags at handbook.yaml:line:col. All strings are arena-owned. */
int config_load(arena *a, const char *text, size_t len, const char *base_url_override,
                config *out, diag_list *diags);

#endif
