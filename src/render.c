#include "render.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "glossary.h"
#include "history.h"
#include "index.h"
#include "markdown.h"
#include "record.h"
#include "resolve.h"
#include "suggest.h"

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int render_load_layouts(const source_tree *tree, const site *s, template_set *set,
                        diag_list *diags)
{
    int status = 0;
    size_t prefix = strlen(LAYOUTS_FOLDER "/");
    for (size_t i = 0; i < tree->count; i++) {
        const source_file *f = &tree->files[i];
        if (!has_prefix(f->path, LAYOUTS_FOLDER "/") || !has_suffix(f->path, ".mustache"))
            continue;
        size_t name_len = strlen(f->path) - prefix - strlen(".mustache");
        char *name = strndup(f->path + prefix, name_len);
        if (name == NULL)
            abort();
        if (template_set_add(set, name, f->path, f->data, f->len, diags) == NULL)
            status = -1;
        free(name);
    }
    /* Check the layouts that did compile too, so one run reports everything. */
    if (template_set_check_references(set, diags) < 0)
        status = -1;
    /* Each layout a page needs must exist: one error per place that names
     * it (a collection in handbook.yaml, or a page's own front matter). */
    strmap reported = STRMAP_INIT; /* its keys are malloc'ed, freed below */
    for (size_t i = 0; i < s->page_count; i++) {
        const page *p = s->pages[i];
        if (template_set_get(set, p->layout) != NULL)
            continue;
        const char *file = p->layout_pos.file ? p->layout_pos.file : LAYOUTS_FOLDER;
        char *key = NULL;
        if (asprintf(&key, "%s:%u:%u:%s", file, (unsigned)p->layout_pos.line,
                     (unsigned)p->layout_pos.col, p->layout) < 0)
            abort();
        if (strmap_put(&reported, key, key) != NULL) {
            free(key);
            continue;
        }
        diag_add(diags, DIAG_ERROR, file, p->layout_pos.line, p->layout_pos.col,
                 "layout '%s' does not exist; add layouts/%s.mustache", p->layout, p->layout);
        status = -1;
    }
    for (size_t k = 0; k < reported.cap; k++)
        free((char *)reported.entries[k].key);
    strmap_free(&reported);
    return status;
}

/* ---------- page context ---------- */

typedef struct renderer {
    const site *site;
    const source_tree *tree;
    const template_set *layouts;
    publisher *pub;
    diag_list *diags;
    arena persistent; /* what lasts the whole render: the site value, the terms */
    arena scratch; /* one page's context and Markdown results; emptied per page */
    value *site_value; /* site without its menu, which differs per page */
    glossary_term *terms; /* marked on first use in each page */
    size_t term_count;
    index_builder *index; /* the search index, fed page by page */
    /* Incremental builds (see render_site): */
    strmap previous;         /* output path -> previous_page, from the last build */
    strmap layout_inputs;    /* layout name -> layout_inputs */
    record_hasher *hasher;   /* a page's inputs */
    record_hasher *layout_hasher;
    record_hash site_inputs; /* handbook.yaml and the glossary: what every page uses */
    record_hash collections; /* site.collections */
    const char **links;      /* the pages the page being rendered links to */
    size_t link_count, link_cap;
    buf pages_record;        /* the record's "pages" section, but for its count */
    size_t pages_recorded;
    buf contexts_record;     /* the record's "page contexts" section (see record_context): */
    buf context_values;      /* its entries, and its values */
    size_t contexts_recorded;
    /* A patch build (render_patch): */
    index_patch *patch;      /* the index, patched in place of made */
    size_t patch_document;   /* the search document of the page being made */
    bool patch_failed;       /* the patch cannot give what a whole build would */
    const uint8_t *page_urls; /* the previous build's "page urls" section */
    size_t page_urls_len;
    size_t rendered;         /* pages made, not reused */
    size_t built;            /* pages made or reused */
} renderer;

/* A page as the previous build made it (its entry in the "pages" section). */
typedef struct previous_page {
    record_hash inputs; /* the fingerprint of everything it was made from */
    record_hash output; /* the hash of the file made */
    uint64_t document;  /* its search document + 1, or 0 */
    record_reader links;
} previous_page;

/* The templates a layout uses, hashed. */
typedef struct layout_inputs {
    record_hash hash;
    bool uses_collections; /* site.collections: every page of the site */
} layout_inputs;

static source_pos no_pos(void)
{
    return (source_pos){0};
}

static value *text_value(arena *a, const char *s)
{
    return value_new_string(a, s, strlen(s), no_pos());
}

static void put(arena *a, value *map, const char *key, value *v)
{
    value_map_put(a, map, key, strlen(key), no_pos(), v);
}

static value *page_summary_value(arena *a, const site *s, const page *p);
static void put_backlinks(arena *a, const site *s, const page *p, value *page_value);

/* The site value; with collections, site.collections too (see below). */
static value *make_site_value(arena *a, const site *s, bool collections_too)
{
    const config *c = &s->config;
    value *v = value_new_map(a, no_pos());
    /* Settings first, so layouts can use any extra ones; computed ones last. */
    put(a, v, "title", text_value(a, c->title));
    put(a, v, "description", text_value(a, c->description));
    put(a, v, "language", text_value(a, c->language));
    put(a, v, "base_url", text_value(a, c->base_url));
    put(a, v, "base_path", text_value(a, c->base_path));
    if (!collections_too)
        return v;
    /* site.collections.models: every page of each collection, with its
     * backlinks, for pages that show a whole collection (the comparison of
     * the models). Built once and shared by every page's context. */
    value *collections = value_new_map(a, no_pos());
    page **members = arena_alloc(a, (s->page_count + 1) * sizeof *members);
    for (size_t i = 0; i < c->collection_count; i++) {
        size_t n = 0;
        for (size_t k = 0; k < s->page_count; k++)
            if (s->pages[k]->collection == &c->collections[i] && s->pages[k]->source_path)
                members[n++] = s->pages[k];
        resolve_sort_pages(members, n); /* as overviews list them */
        value *list = value_new_list(a, no_pos());
        for (size_t k = 0; k < n; k++) {
            value *item = page_summary_value(a, s, members[k]);
            put_backlinks(a, s, members[k], item);
            value_list_push(a, list, item);
        }
        put(a, collections, c->collections[i].name, list);
    }
    put(a, v, "collections", collections);
    return v;
}

static bool menu_is_current(const char *menu_url, const char *page_url)
{
    if (strcmp(menu_url, "/") == 0)
        return strcmp(page_url, "/") == 0;
    return has_prefix(page_url, menu_url);
}

/* site with a menu whose "current" flags fit this page. */
static value *site_for_page(renderer *r, const page *p)
{
    arena *a = &r->scratch;
    const config *c = &r->site->config;
    value *v = value_new_map(a, no_pos());
    for (size_t i = 0; i < r->site_value->as.map.count; i++) {
        const value_entry *e = &r->site_value->as.map.entries[i];
        value_map_put(a, v, e->key, e->key_len, e->key_pos, e->value);
    }
    value *menu = value_new_list(a, no_pos());
    for (size_t i = 0; i < c->menu_count; i++) {
        value *item = value_new_map(a, no_pos());
        put(a, item, "title", text_value(a, c->menu[i].title));
        put(a, item, "url", text_value(a, config_site_path(a, &r->site->config, c->menu[i].url)));
        put(a, item, "current", value_new_bool(a, menu_is_current(c->menu[i].url, p->url), no_pos()));
        value_list_push(a, menu, item);
    }
    put(a, v, "menu", menu);
    return v;
}

/* The fields every page has, plus its front matter. */
static value *page_summary_value(arena *a, const site *s, const page *p)
{
    value *v = value_new_map(a, no_pos());
    const value *fm = p->data ? p->data : p->front_matter;
    for (size_t i = 0; i < fm->as.map.count; i++) {
        const value_entry *e = &fm->as.map.entries[i];
        value_map_put(a, v, e->key, e->key_len, e->key_pos, e->value);
        if (e->value->kind == VALUE_LIST) {
            /* NAME_count: a section on it shows a heading only when the list
             * has entries (Mustache cannot test a list for emptiness). */
            buf key = BUF_INIT;
            buf_printf(&key, "%s_count", e->key);
            put(a, v, key.data, value_new_number(a, (double)e->value->as.list.count, no_pos()));
            buf_free(&key);
        }
    }
    if (value_map_get_str(v, "title") == NULL)
        put(a, v, "title", text_value(a, p->title));
    const char *url = config_site_path(a, &s->config, p->url);
    put(a, v, "url", text_value(a, url));
    buf permalink = BUF_INIT;
    buf_printf(&permalink, "%.*s%s", (int)(strlen(s->config.base_url) - strlen(s->config.base_path)),
               s->config.base_url, url);
    put(a, v, "permalink", value_new_string(a, permalink.data, permalink.len, no_pos()));
    buf_free(&permalink);
    put(a, v, "slug", text_value(a, p->slug));
    if (p->collection)
        put(a, v, "collection", text_value(a, p->collection->name));
    if (p->source_path)
        put(a, v, "file", text_value(a, p->source_path));
    put(a, v, "is_home", value_new_bool(a, p->is_home, no_pos()));
    return v;
}

/* ---------- links in Markdown ---------- */

static void note_link(renderer *r, const char *repo_path)
{
    if (r->link_count == r->link_cap) {
        size_t cap = r->link_cap ? r->link_cap * 2 : 16;
        r->links = arena_grow(&r->scratch, r->links, r->link_count, cap, sizeof *r->links);
        r->link_cap = cap;
    }
    r->links[r->link_count++] = arena_strdup(&r->scratch, repo_path);
}

/* The address (without the base path) of the page made from repo_path, or
 * NULL. A patch build has only the previous build's list of them. */
static const char *target_url(const renderer *r, const char *repo_path)
{
    if (r->page_urls != NULL) {
        record_reader rr = {r->page_urls, r->page_urls + r->page_urls_len, false};
        while (!record_reader_done(&rr)) {
            const char *path = record_read_string(&rr, NULL);
            const char *url = record_read_string(&rr, NULL);
            if (!rr.failed && strcmp(path, repo_path) == 0)
                return url;
        }
        return NULL;
    }
    const page *target = strmap_get(&r->site->by_source, repo_path);
    return target ? target->url : NULL;
}

static int resolve_link(void *ctx, const char *repo_path, buf *url_out)
{
    renderer *r = ctx;
    note_link(r, repo_path);
    const char *url = target_url(r, repo_path);
    if (url == NULL && strmap_get(&r->site->failed, repo_path) != NULL) {
        /* The page exists but has its own error, already reported; nothing
         * is published in this run, so any address will do. */
        buf_append_char(url_out, '#');
        return 0;
    }
    if (url == NULL)
        return -1;
    buf_append_str(url_out, config_site_path(&r->scratch, &r->site->config, url));
    return 0;
}

static int suggest_link(void *ctx, const char *repo_path, buf *suggestion_out)
{
    renderer *r = ctx;
    suggestion hint = suggest_begin(repo_path);
    for (size_t i = 0; i < r->site->page_count; i++)
        if (r->site->pages[i]->source_path)
            suggest_consider(&hint, r->site->pages[i]->source_path);
    if (hint.best == NULL)
        return -1;
    buf_append_str(suggestion_out, hint.best);
    return 0;
}

/* ---------- rendering ---------- */

/* The headings of the body; with level > 0 only those of that level. */
static value *headings_value(arena *a, const markdown_heading *headings, size_t count,
                             int level)
{
    value *list = value_new_list(a, no_pos());
    for (size_t i = 0; i < count; i++) {
        if (level > 0 && headings[i].level != level)
            continue;
        value *h = value_new_map(a, no_pos());
        put(a, h, "level", value_new_number(a, headings[i].level, no_pos()));
        put(a, h, "id", text_value(a, headings[i].id));
        put(a, h, "text", text_value(a, headings[i].text));
        value_list_push(a, list, h);
    }
    return list;
}

static value *summaries_value(arena *a, const site *s, page *const *pages, size_t count)
{
    value *list = value_new_list(a, no_pos());
    for (size_t i = 0; i < count; i++)
        value_list_push(a, list, page_summary_value(a, s, pages[i]));
    return list;
}

/* page.backlinks.practices: the pages of a collection that refer to this
 * page, and page.backlinks.practices_count (0 is false in a section). */
static void put_backlinks(arena *a, const site *s, const page *p, value *page_value)
{
    value *backlinks = value_new_map(a, no_pos());
    for (size_t i = 0; i < p->backlink_count; i++) {
        const backlink_list *b = &p->backlinks[i];
        put(a, backlinks, b->from->name, summaries_value(a, s, b->pages, b->count));
        buf key = BUF_INIT;
        buf_printf(&key, "%s_count", b->from->name);
        put(a, backlinks, key.data, value_new_number(a, (double)b->count, no_pos()));
        buf_free(&key);
    }
    put(a, page_value, "backlinks", backlinks);
}

/* The page's file on the git host by url_pattern, or false. */
static value *source_url_value(arena *a, const char *url_pattern, const page *p)
{
    if (url_pattern == NULL || p->source_path == NULL)
        return value_new_bool(a, false, no_pos());
    return text_value(a, config_source_url(a, url_pattern, p->source_path));
}

/* What git knows of the page, and the links to its source on the git host.
 * Always set, false when unknown, because a missing name is an error. */
static void put_history(arena *a, const site *s, const page *p, value *page_value)
{
    const file_history *h = p->source_path ? strmap_get(&s->history, p->source_path) : NULL;
    value *changed = value_new_bool(a, false, no_pos());
    value *authors = value_new_list(a, no_pos());
    if (h != NULL && h->changed != 0) {
        char text[64], iso[11];
        history_dutch_date(h->changed, h->changed_offset, text, sizeof text, iso);
        changed = value_new_map(a, no_pos());
        put(a, changed, "text", text_value(a, text));
        put(a, changed, "iso", text_value(a, iso));
    }
    for (size_t i = 0; h != NULL && i < h->author_count; i++)
        value_list_push(a, authors, text_value(a, h->authors[i]));
    put(a, page_value, "last_changed", changed);
    put(a, page_value, "contributors", authors);
    put(a, page_value, "contributors_count",
        value_new_number(a, h ? (double)h->author_count : 0, no_pos()));
    put(a, page_value, "uncommitted", value_new_bool(a, h != NULL && h->uncommitted, no_pos()));
    const config *c = &s->config;
    bool linked = p->source_path && (c->edit_url || c->history_url);
    put(a, page_value, "has_source_info", value_new_bool(a, h != NULL || linked, no_pos()));
    put(a, page_value, "edit_url", source_url_value(a, c->edit_url, p));
    put(a, page_value, "history_url", source_url_value(a, c->history_url, p));
}

static value *facet_values_value(arena *a, const site *s, const facet_group *g)
{
    value *values = value_new_list(a, no_pos());
    for (size_t k = 0; k < g->value_count; k++) {
        value *item = value_new_map(a, no_pos());
        put(a, item, "title", text_value(a, g->values[k].title));
        put(a, item, "url", text_value(a, config_site_path(a, &s->config, g->values[k].page->url)));
        put(a, item, "count", value_new_number(a, (double)g->values[k].count, no_pos()));
        value_list_push(a, values, item);
    }
    return values;
}

/* Overview pages: page.facets, each {title, url, values: [{title, url, count}]},
 * the filters that work without JavaScript. Facet pages: page.facet, and
 * page.values on a facet's index page. */
static void put_facets(arena *a, const site *s, const page *p, value *page_value)
{
    if (p->facet_group_count > 0) {
        value *facets = value_new_list(a, no_pos());
        for (size_t i = 0; i < p->facet_group_count; i++) {
            const facet_group *g = &p->facet_groups[i];
            value *item = value_new_map(a, no_pos());
            put(a, item, "title", text_value(a, g->facet->title));
            put(a, item, "url", text_value(a, config_site_path(a, &s->config, g->page->url)));
            put(a, item, "values", facet_values_value(a, s, g));
            value_list_push(a, facets, item);
        }
        put(a, page_value, "facets", facets);
    }
    put(a, page_value, "facets_count", value_new_number(a, (double)p->facet_group_count, no_pos()));
    if (p->group != NULL) {
        value *which = value_new_map(a, no_pos());
        put(a, which, "title", text_value(a, p->group->facet->title));
        put(a, which, "url", text_value(a, config_site_path(a, &s->config, p->group->page->url)));
        put(a, page_value, "facet", which);
        put(a, page_value, "is_facet_index", value_new_bool(a, p->facet_value == NULL, no_pos()));
        if (p->facet_value == NULL)
            put(a, page_value, "values", facet_values_value(a, s, p->group));
        else
            put(a, page_value, "count", value_new_number(a, (double)p->entry_count, no_pos()));
    }
}

/* The context of a page but for what its Markdown gives (content,
 * headings): everything else it shows. */
/* page: everything but its history (put_history), which comes last. */
static value *page_context_without_history(renderer *r, const page *p)
{
    arena *a = &r->scratch;
    value *page_value = page_summary_value(a, r->site, p);
    if (p->intro)
        put(a, page_value, "intro", text_value(a, p->intro));
    if (p->is_list || p->facet_value != NULL)
        put(a, page_value, "pages", summaries_value(a, r->site, p->entries, p->entry_count));
    put_backlinks(a, r->site, p, page_value);
    put_facets(a, r->site, p, page_value);
    return page_value;
}

/* "search: false" keeps a page out of the index (the search page itself). */
static bool is_searchable(const page *p)
{
    const value *searchable = value_map_get_str(p->front_matter, "search");
    return p->source_path != NULL && (searchable == NULL || value_truthy(searchable));
}

/* What a page's Markdown gives: its HTML with the glossary's terms marked,
 * its headings, the pages it links to, and its search document. */
typedef struct page_markdown {
    bool made;
    const char *content;
    size_t content_len;
    const markdown_heading *headings;
    size_t heading_count;
    const char **links;
    size_t link_count;
    size_t document; /* its search document + 1, or 0 */
} page_markdown;

/* Renders the Markdown of p into out (its strings in arena a), adding the
 * page to the search index when index says so. Returns 0 or -1. */
static int render_markdown(renderer *r, const page *p, bool index, arena *a, page_markdown *out)
{
    markdown_result md = MARKDOWN_RESULT_INIT;
    markdown_link_resolver resolver = {resolve_link, suggest_link, r};
    r->link_count = 0;
    *out = (page_markdown){0};
    if (p->source_path &&
        markdown_render(a, p->source_path, p->body, p->body_len, p->body_line, &resolver, &md,
                        r->diags) < 0)
        return -1;
    if (r->patch != NULL) {
        out->document = r->patch_document + 1;
        if (index_patch_page(r->patch, p, r->patch_document,
                             config_site_path(&r->scratch, &r->site->config, p->url),
                             md.html.data, md.html.len) == 0)
            r->patch_failed = true;
        index = false;
    }
    if (index)
        out->document = index_next_document(r->index) + 1;
    if (index && index_add_page(r->index, p, config_site_path(&r->scratch, &r->site->config, p->url),
                                md.html.data, md.html.len, r->pub, r->diags) < 0) {
        markdown_result_free(&md);
        return -1;
    }
    if (r->term_count > 0) {
        buf marked = BUF_INIT;
        glossary_mark(r->terms, r->term_count, p->url, md.html.data, md.html.len, &marked);
        out->content = arena_strndup(a, marked.data, marked.len);
        out->content_len = marked.len;
        buf_free(&marked);
    } else {
        out->content = arena_strndup(a, md.html.data, md.html.len);
        out->content_len = md.html.len;
    }
    out->headings = md.headings;
    out->heading_count = md.heading_count;
    markdown_result_free(&md);
    out->links = r->links;
    out->link_count = r->link_count;
    if (a != &r->scratch) { /* keep the links beyond this page */
        out->links = arena_alloc(a, (r->link_count + 1) * sizeof *out->links);
        for (size_t i = 0; i < r->link_count; i++)
            out->links[i] = arena_strdup(a, r->links[i]);
    }
    out->made = true;
    return 0;
}

/* Renders page p through its layout into out, with its site and page
 * context (site_for_page, page_context) and its Markdown md. */
static int render_layout(renderer *r, const page *p, value *site_value, value *page_value,
                         const page_markdown *md, buf *out)
{
    arena *a = &r->scratch;
    put(a, page_value, "content", value_new_string(a, md->content, md->content_len, no_pos()));
    put(a, page_value, "headings", headings_value(a, md->headings, md->heading_count, 0));
    /* Mustache cannot filter or test a list for emptiness, so the table of
     * contents (the level-2 headings) comes ready-made. */
    value *toc = headings_value(a, md->headings, md->heading_count, 2);
    put(a, page_value, "toc", toc);
    put(a, page_value, "has_toc", value_new_bool(a, toc->as.list.count > 0, no_pos()));
    value *root = value_new_map(a, no_pos());
    put(a, root, "site", site_value);
    put(a, root, "page", page_value);
    const template *layout = template_set_get(r->layouts, p->layout);
    return template_render(r->layouts, layout, root, TEMPLATE_MISSING_IS_ERROR, out, r->diags);
}

/* ---------- incremental builds ---------- */

/* Adds a value tree to h: kinds, keys and contents (not where they came
 * from, which no output shows). */
static void hash_value(record_hasher *h, const value *v)
{
    unsigned char kind = (unsigned char)v->kind;
    record_hasher_add(h, &kind, 1);
    switch (v->kind) {
    case VALUE_NULL: break;
    case VALUE_BOOL: record_hasher_add(h, &v->as.boolean, sizeof v->as.boolean); break;
    case VALUE_NUMBER: record_hasher_add(h, &v->as.number, sizeof v->as.number); break;
    case VALUE_STRING:
    case VALUE_DATE: record_hasher_add_string(h, v->as.string.text, v->as.string.len); break;
    case VALUE_LIST:
        record_hasher_add(h, &v->as.list.count, sizeof v->as.list.count);
        for (size_t i = 0; i < v->as.list.count; i++)
            hash_value(h, v->as.list.items[i]);
        break;
    case VALUE_MAP:
        record_hasher_add(h, &v->as.map.count, sizeof v->as.map.count);
        for (size_t i = 0; i < v->as.map.count; i++) {
            record_hasher_add_string(h, v->as.map.entries[i].key, v->as.map.entries[i].key_len);
            hash_value(h, v->as.map.entries[i].value);
        }
        break;
    }
}

static void hash_text(record_hasher *h, const char *s)
{
    record_hasher_add_string(h, s, strlen(s));
}

static void hash_template_file(void *ctx, const template *t)
{
    renderer *r = ctx;
    const source_file *f = source_find(r->tree, template_file(t));
    hash_text(r->layout_hasher, template_file(t));
    hash_text(r->layout_hasher, f ? f->blob_id : "");
}

/* What a layout is made of: its template and every one it includes; all
 * layouts when it names a partial dynamically. */
static const layout_inputs *layout_inputs_of(renderer *r, const char *name)
{
    layout_inputs *li = strmap_get(&r->layout_inputs, name);
    if (li != NULL)
        return li;
    li = calloc(1, sizeof *li);
    if (li == NULL)
        abort();
    record_hasher_reset(r->layout_hasher);
    const template *t = template_set_get(r->layouts, name);
    if (!template_closure(r->layouts, t, "collections", hash_template_file, r,
                          &li->uses_collections)) {
        record_hasher_reset(r->layout_hasher);
        for (size_t i = 0; i < r->tree->count; i++)
            if (has_prefix(r->tree->files[i].path, LAYOUTS_FOLDER "/")) {
                hash_text(r->layout_hasher, r->tree->files[i].path);
                hash_text(r->layout_hasher, r->tree->files[i].blob_id);
            }
        li->uses_collections = true;
    }
    li->hash = record_hasher_result(r->layout_hasher);
    strmap_put(&r->layout_inputs, name, li);
    return li;
}

/* The fingerprint of what page p is made from: what every page uses, its
 * layout's templates, its site and page context, and its Markdown. With the
 * same addresses for the pages it links to (links_unchanged), equal
 * fingerprints make equal pages. */
static record_hash page_inputs(renderer *r, const page *p, const value *site_value,
                               const value *page_value)
{
    const layout_inputs *li = layout_inputs_of(r, p->layout);
    record_hasher *h = r->hasher;
    record_hasher_reset(h);
    record_hasher_add(h, &r->site_inputs, sizeof r->site_inputs);
    record_hasher_add(h, &li->hash, sizeof li->hash);
    if (li->uses_collections)
        record_hasher_add(h, &r->collections, sizeof r->collections);
    for (size_t i = 0; i < site_value->as.map.count; i++) {
        const value_entry *e = &site_value->as.map.entries[i];
        if (strcmp(e->key, "collections") != 0) {
            hash_text(h, e->key);
            hash_value(h, e->value);
        }
    }
    hash_value(h, page_value);
    hash_text(h, p->source_path ? p->source_path : "");
    record_hasher_add_string(h, p->body ? p->body : "", p->body ? p->body_len : 0);
    record_hasher_add(h, &p->body_line, sizeof p->body_line);
    return record_hasher_result(h);
}

/* Whether every page the previous build's page linked to is still there,
 * at the same address. */
static bool links_unchanged(renderer *r, const previous_page *prev)
{
    record_reader links = prev->links;
    for (uint64_t n = record_read_number(&links); n > 0 && !links.failed; n--) {
        const page *target = strmap_get(&r->site->by_source, record_read_string(&links, NULL));
        const char *url = record_read_string(&links, NULL);
        if (target == NULL || strcmp(target->url, url) != 0)
            return false;
    }
    return !links.failed;
}

/* Reads the "pages" section of the previous build's record. */
/* Reads one entry of "pages" (or "pages delta"); its output path into
 * *path. */
static void read_page_entry(record_reader *rr, const char **path, previous_page *prev)
{
    *path = record_read_string(rr, NULL);
    prev->inputs = record_read_hash(rr);
    prev->output = record_read_hash(rr);
    prev->document = record_read_number(rr);
    prev->links = *rr;
    for (uint64_t n = record_read_number(rr); n > 0 && !rr->failed; n--) {
        record_read_string(rr, NULL);
        record_read_string(rr, NULL);
    }
}

/* Reads "pages", and "pages delta": the entries of the pages patch builds
 * remade since, which replace theirs. */
static void load_previous_pages(renderer *r, const record *rec)
{
    record_reader counted = record_reader_of(rec, "page count");
    uint64_t count = record_read_number(&counted);
    record_reader rr = record_reader_of(rec, "pages");
    for (uint64_t i = 0; i < count && !rr.failed; i++) {
        const char *path;
        previous_page *prev = arena_alloc(&r->persistent, sizeof *prev);
        read_page_entry(&rr, &path, prev);
        if (!rr.failed)
            strmap_put(&r->previous, path, prev);
    }
    record_reader delta = record_reader_of(rec, "pages delta");
    for (uint64_t n = delta.at ? record_read_number(&delta) : 0; n > 0 && !delta.failed; n--) {
        const char *path;
        previous_page now;
        read_page_entry(&delta, &path, &now);
        previous_page *prev = delta.failed ? NULL : strmap_get(&r->previous, path);
        if (prev != NULL)
            *prev = now;
    }
}

static void record_page(renderer *r, const page *p, record_hash inputs, record_hash output,
                        uint64_t document)
{
    buf *out = &r->pages_record;
    record_write_string(out, p->output_path, strlen(p->output_path));
    record_write_hash(out, inputs);
    record_write_hash(out, output);
    record_write_number(out, document);
    record_write_number(out, r->link_count);
    for (size_t i = 0; i < r->link_count; i++) {
        /* The target's address as it is now; the link resolved, so it exists. */
        const char *url = target_url(r, r->links[i]);
        if (url == NULL)
            url = "";
        record_write_string(out, r->links[i], strlen(r->links[i]));
        record_write_string(out, url, strlen(url));
    }
    r->pages_recorded++;
}

/* ---------- what a patch build needs ----------
 *
 * A build in which only the Markdown of some pages changed, or only their
 * history, makes just those pages (render_patch). For that the record keeps,
 * per page made from a file, whatever else its context holds, as the
 * previous build made it ("page contexts"), and the address of every such
 * page ("page urls"). */

/* A value tree in the record: its kind, then its contents (not where it
 * came from, which no output shows). */
static void write_value(buf *out, const value *v)
{
    record_write_number(out, v->kind);
    switch (v->kind) {
    case VALUE_NULL: break;
    case VALUE_BOOL: record_write_number(out, v->as.boolean); break;
    case VALUE_NUMBER: {
        uint64_t bits;
        memcpy(&bits, &v->as.number, sizeof bits);
        record_write_number(out, bits);
        break;
    }
    case VALUE_STRING:
    case VALUE_DATE: record_write_string(out, v->as.string.text, v->as.string.len); break;
    case VALUE_LIST:
        record_write_number(out, v->as.list.count);
        for (size_t i = 0; i < v->as.list.count; i++)
            write_value(out, v->as.list.items[i]);
        break;
    case VALUE_MAP:
        record_write_number(out, v->as.map.count);
        for (size_t i = 0; i < v->as.map.count; i++) {
            record_write_string(out, v->as.map.entries[i].key, v->as.map.entries[i].key_len);
            write_value(out, v->as.map.entries[i].value);
        }
        break;
    }
}

/* Deeper than this is a damaged record: contexts are a few levels deep. */
enum { MAX_RECORDED_DEPTH = 64 };

/* Reads a value written by write_value into a; NULL (rr failed) when the
 * record is damaged. */
static value *read_value(arena *a, record_reader *rr, int depth)
{
    uint64_t kind = record_read_number(rr);
    if (rr->failed || depth > MAX_RECORDED_DEPTH)
        return NULL;
    switch (kind) {
    case VALUE_NULL: return value_new_null(a, no_pos());
    case VALUE_BOOL: return value_new_bool(a, record_read_number(rr) != 0, no_pos());
    case VALUE_NUMBER: {
        uint64_t bits = record_read_number(rr);
        double n;
        memcpy(&n, &bits, sizeof n);
        return value_new_number(a, n, no_pos());
    }
    case VALUE_STRING:
    case VALUE_DATE: {
        size_t len;
        const char *text = record_read_string(rr, &len);
        return kind == VALUE_STRING ? value_new_string(a, text, len, no_pos())
                                    : value_new_date(a, text, len, no_pos());
    }
    case VALUE_LIST: {
        value *list = value_new_list(a, no_pos());
        for (uint64_t n = record_read_number(rr); n > 0 && !rr->failed; n--) {
            value *item = read_value(a, rr, depth + 1);
            if (item == NULL)
                return NULL;
            value_list_push(a, list, item);
        }
        return rr->failed ? NULL : list;
    }
    case VALUE_MAP: {
        value *map = value_new_map(a, no_pos());
        for (uint64_t n = record_read_number(rr); n > 0 && !rr->failed; n--) {
            size_t len;
            const char *key = record_read_string(rr, &len);
            value *item = read_value(a, rr, depth + 1);
            if (item == NULL)
                return NULL;
            value_map_put(a, map, key, len, no_pos(), item);
        }
        return rr->failed ? NULL : map;
    }
    default: rr->failed = true; return NULL;
    }
}

/* The hash of what put_history shows of p's file. */
static record_hash history_hash(renderer *r, const file_history *h)
{
    record_hasher *hasher = r->layout_hasher;
    record_hasher_reset(hasher);
    if (h != NULL) {
        record_hasher_add(hasher, &h->changed, sizeof h->changed);
        record_hasher_add(hasher, &h->changed_offset, sizeof h->changed_offset);
        record_hasher_add(hasher, &h->uncommitted, sizeof h->uncommitted);
        for (size_t i = 0; i < h->author_count; i++)
            hash_text(hasher, h->authors[i]);
    }
    return record_hasher_result(hasher);
}

/* The hash of the start of p's file up to its body: its front matter, or
 * all of a data file. A patch build remakes a page only when this did not
 * change. */
static record_hash front_hash(const renderer *r, const page *p)
{
    const source_file *f = source_find(r->tree, p->source_path);
    if (f == NULL)
        return (record_hash){0, 0};
    size_t len = p->body >= f->data && p->body <= f->data + f->len ? (size_t)(p->body - f->data)
                                                                    : f->len;
    record_hash h = record_hash_of(f->data, len);
    h.low ^= p->body_line;
    return h;
}

/* Whether a patch build can make p alone: a page from a file, not an
 * overview or facet page, whose layout does not show every page. */
static bool patchable(renderer *r, const page *p)
{
    return p->source_path != NULL && !p->is_list && p->group == NULL && p->facet_group_count == 0 &&
           !layout_inputs_of(r, p->layout)->uses_collections;
}

/* The entry of p in "page contexts": its file, output, front matter hash,
 * history hash and the length of its context without history, which
 * follows all entries (so that a patch build reads the entries alone). */
static void record_context(renderer *r, const page *p, const value *context)
{
    if (r->pub == NULL || !patchable(r, p))
        return;
    buf *out = &r->contexts_record;
    record_write_string(out, p->source_path, strlen(p->source_path));
    record_write_string(out, p->output_path, strlen(p->output_path));
    record_write_hash(out, front_hash(r, p));
    record_write_hash(out, history_hash(r, strmap_get(&r->site->history, p->source_path)));
    size_t start = r->context_values.len;
    write_value(&r->context_values, context);
    record_write_number(out, r->context_values.len - start);
    r->contexts_recorded++;
}

/* Makes and publishes page p, or, when nothing it is made from changed
 * since the previous build, publishes that build's file again and adds its
 * search document from the record. made is p's Markdown when a first pass
 * rendered it already (a full build), else NULL. Returns 0 or -1. */
static int build_page(renderer *r, const page *p, const page_markdown *made, buf *out)
{
    value *site_value = site_for_page(r, p);
    value *page_value = page_context_without_history(r, p);
    record_context(r, p, page_value);
    put_history(&r->scratch, r->site, p, page_value);
    bool searchable = is_searchable(p);
    const previous_page *prev = made ? NULL : strmap_get(&r->previous, p->output_path);
    record_hash inputs = page_inputs(r, p, site_value, page_value);
    r->link_count = 0;
    bool indexed = false;
    size_t document = 0; /* its search document + 1, when replayed */
    if (prev != NULL && record_hash_equal(prev->inputs, inputs) &&
        (prev->document != 0) == searchable && links_unchanged(r, prev)) {
        document = searchable ? index_next_document(r->index) + 1 : 0;
        int replayed = searchable ? index_replay_page(r->index, p, prev->document - 1, r->pub,
                                                      r->diags)
                                  : 1;
        if (replayed < 0)
            return -1;
        indexed = searchable && replayed == 1;
        int reused = replayed == 1 ? publish_reuse(r->pub, p->output_path, prev->output, r->diags)
                                   : 0;
        if (reused < 0)
            return -1;
        if (reused == 1) {
            record_reader links = prev->links;
            for (uint64_t n = record_read_number(&links); n > 0 && !links.failed; n--) {
                note_link(r, record_read_string(&links, NULL));
                record_read_string(&links, NULL);
            }
            record_page(r, p, inputs, prev->output, document);
            return 0;
        }
        /* Replayed into the index, but the file is gone: render it. */
    }
    page_markdown md;
    if (made != NULL) {
        md = *made;
    } else {
        if (render_markdown(r, p, searchable && !indexed, &r->scratch, &md) < 0)
            return -1;
        if (indexed)
            md.document = document;
    }
    r->links = md.links;
    r->link_count = r->link_cap = md.link_count;
    buf_clear(out);
    if (render_layout(r, p, site_value, page_value, &md, out) < 0 ||
        publish_write(r->pub, p->output_path, out->data, out->len, r->diags) < 0)
        return -1;
    r->rendered++;
    record_page(r, p, inputs, record_hash_of(out->data, out->len), md.document);
    r->links = NULL;
    r->link_count = r->link_cap = 0;
    return 0;
}

static void append_xml_escaped(buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': buf_append_str(out, "&amp;"); break;
        case '<': buf_append_str(out, "&lt;"); break;
        case '>': buf_append_str(out, "&gt;"); break;
        case '"': buf_append_str(out, "&quot;"); break;
        case '\'': buf_append_str(out, "&apos;"); break;
        default: buf_append_char(out, *s); break;
        }
    }
}

static int write_sitemap_and_robots(renderer *r)
{
    const config *c = &r->site->config;
    buf xml = BUF_INIT;
    buf_append_str(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (size_t i = 0; i < r->site->page_count; i++) {
        const page *p = r->site->pages[i];
        if (!has_suffix(p->url, "/"))
            continue; /* the 404 page is not a page to find */
        buf loc = BUF_INIT;
        buf_printf(&loc, "%s%s", c->base_url, p->url + 1);
        buf_append_str(&xml, "  <url><loc>");
        append_xml_escaped(&xml, loc.data);
        buf_append_str(&xml, "</loc></url>\n");
        buf_free(&loc);
    }
    buf_append_str(&xml, "</urlset>\n");
    int status = publish_write(r->pub, "sitemap.xml", xml.data, xml.len, r->diags);
    buf robots = BUF_INIT;
    buf_printf(&robots, "User-agent: *\nAllow: /\n\nSitemap: %ssitemap.xml\n", c->base_url);
    if (publish_write(r->pub, "robots.txt", robots.data, robots.len, r->diags) < 0)
        status = -1;
    buf_free(&xml);
    buf_free(&robots);
    return status;
}

static const char *escaped(arena *a, const char *text)
{
    buf b = BUF_INIT;
    append_xml_escaped(&b, text);
    const char *result = arena_strndup(a, b.data, b.len);
    buf_free(&b);
    return result;
}

/* Text as cmark-gfm writes it in HTML (it escapes & < > " but not '), so that
 * a term can be found in the rendered page. */
static const char *escaped_like_cmark(arena *a, const char *text)
{
    buf b = BUF_INIT;
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '&': buf_append_str(&b, "&amp;"); break;
        case '<': buf_append_str(&b, "&lt;"); break;
        case '>': buf_append_str(&b, "&gt;"); break;
        case '"': buf_append_str(&b, "&quot;"); break;
        default: buf_append_char(&b, *c); break;
        }
    }
    const char *result = arena_strndup(a, b.data, b.len);
    buf_free(&b);
    return result;
}

/* The glossary's terms: each term's title, and its abbreviation if any. */
static void load_terms(renderer *r, arena *a)
{
    const glossary *g = &r->site->config.glossary;
    if (g->terms == NULL)
        return;
    r->terms = arena_alloc(a, (2 * r->site->page_count + 1) * sizeof *r->terms);
    for (size_t i = 0; i < r->site->page_count; i++) {
        const page *p = r->site->pages[i];
        if (p->collection != g->terms || p->source_path == NULL)
            continue;
        const value *definition = value_map_get_str(p->front_matter, g->definition_field);
        const char *abbreviation = page_abbreviation(g, p);
        buf text = BUF_INIT;
        value_append_text(&text, definition);
        const char *url = config_site_path(a, &r->site->config, p->url);
        r->terms[r->term_count++] = (glossary_term){escaped_like_cmark(a, p->title), false,
                                                    escaped(a, text.data), url, p->url};
        if (abbreviation != NULL) {
            buf title = BUF_INIT;
            buf_printf(&title, "%s: %s", p->title, text.data);
            r->terms[r->term_count++] = (glossary_term){
                escaped_like_cmark(a, abbreviation), true, escaped(a, title.data), url, p->url};
            buf_free(&title);
        }
        buf_free(&text);
    }
}

/* What every page is made from: handbook.yaml (the collections, fields,
 * facets) and the glossary's terms (marked in every page). */
static record_hash hash_site_inputs(renderer *r)
{
    record_hasher *h = r->hasher;
    record_hasher_reset(h);
    const source_file *settings = source_find(r->tree, CONFIG_FILE);
    hash_text(h, settings ? settings->blob_id : "");
    for (size_t i = 0; i < r->term_count; i++) {
        const glossary_term *t = &r->terms[i];
        hash_text(h, t->text);
        record_hasher_add(h, &t->is_abbreviation, sizeof t->is_abbreviation);
        hash_text(h, t->title);
        hash_text(h, t->url);
        hash_text(h, t->page_url);
    }
    return record_hasher_result(h);
}

/* Fewer pages than this are rendered in one thread: starting another costs
 * more than it saves. */
enum { PARALLEL_MIN_PAGES = 64 };
/* The work of listing one page on an overview, against a byte of Markdown:
 * sets where the second thread of the layout pass starts. Measured on the
 * benchmark: its overview of 10,000 practices takes as long as 30 MB of
 * practices. */
enum { LISTED_PAGE_WEIGHT = 3000 };

/* Whether this process may run on two cores or more (taskset and cgroup
 * cpusets limit it, as they do nproc). */
static bool can_run_two_threads(void)
{
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
        return CPU_COUNT(&cpus) > 1;
    return sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

/* ---------- two threads ---------- */

/* Work on the pages [from, to) with renderer r; ctx is the caller's. Returns
 * 0 or -1. */
typedef int (*page_range_work)(renderer *r, size_t from, size_t to, void *ctx);

/* The second thread of a pass: its pages, and a renderer that shares the
 * build's read-only parts (second_renderer) and has its own scratch arena,
 * hashers, record section and diagnostics. */
typedef struct second_half {
    renderer r;
    diag_list diags;
    size_t from, to;
    page_range_work work;
    void *ctx;
    int status;
} second_half;

static void *run_second_half(void *arg)
{
    second_half *h = arg;
    arena_thread_huge_pages();
    h->status = h->work(&h->r, h->from, h->to, h->ctx);
    return NULL;
}

static void second_renderer(second_half *h, const renderer *r)
{
    h->diags = (diag_list)DIAG_LIST_INIT;
    h->r = (renderer){.site = r->site, .tree = r->tree, .layouts = r->layouts, .pub = r->pub,
                      .diags = &h->diags, .site_value = r->site_value, .terms = r->terms,
                      .term_count = r->term_count, .site_inputs = r->site_inputs,
                      .collections = r->collections, .hasher = record_hasher_new(),
                      .layout_hasher = record_hasher_new(), .pages_record = BUF_INIT,
                      .contexts_record = BUF_INIT, .context_values = BUF_INIT};
}

static void free_layout_inputs(strmap *map)
{
    for (size_t i = 0; i < map->cap; i++)
        free(map->entries[i].value);
    strmap_free(map);
}

/* Frees what a renderer made for itself (not its index). */
static void free_renderer(renderer *r)
{
    record_hasher_free(r->hasher);
    record_hasher_free(r->layout_hasher);
    free_layout_inputs(&r->layout_inputs);
    strmap_free(&r->previous);
    buf_free(&r->pages_record);
    buf_free(&r->contexts_record);
    buf_free(&r->context_values);
    arena_free(&r->scratch);
    arena_free(&r->persistent);
}

/* Frees what second_renderer made, once its results are taken. */
static void free_second_renderer(second_half *h)
{
    free_renderer(&h->r);
    diag_list_free(&h->diags);
}

/* Does work over pages [0, h->from) with r and ctx in this thread while
 * another does it over [h->from, h->to) with h's renderer and h->ctx; then
 * adds h's diagnostics to r's, so that they come in page order. Returns 0 or
 * -1. */
static int work_in_two_threads(renderer *r, void *ctx, second_half *h)
{
    pthread_t thread;
    bool threaded = pthread_create(&thread, NULL, run_second_half, h) == 0;
    if (!threaded)
        run_second_half(h);
    int status = h->work(r, 0, h->from, ctx);
    if (threaded)
        pthread_join(thread, NULL);
    diag_list_append(r->diags, &h->diags);
    return status < 0 || h->status < 0 ? -1 : 0;
}

/* Where the second thread starts: the first page after half of the total
 * weight, each page weighing weight(p) + 1. */
static size_t middle_page(const site *s, size_t (*weight)(const page *))
{
    size_t total = 0, sofar = 0, mid = 0;
    for (size_t i = 0; i < s->page_count; i++)
        total += weight(s->pages[i]) + 1;
    for (; mid < s->page_count && sofar < total / 2; mid++)
        sofar += weight(s->pages[mid]) + 1;
    return mid;
}

/* ---------- the pages ---------- */

/* Forgets what the page done last left in r: its scratch arena and links. */
static void page_done(renderer *r)
{
    arena_free(&r->scratch);
    r->links = NULL;
    r->link_count = r->link_cap = 0;
}

/* Builds page i (build_page), with made[] from the Markdown of a full build
 * or NULL, unless its Markdown has errors (reported already); then empties
 * the scratch arena. Returns 0 or -1. */
static int build_at(renderer *r, size_t i, const page_markdown *made, buf *out)
{
    int status = 0;
    if (made == NULL || made[i].made) {
        if (build_page(r, r->site->pages[i], made ? &made[i] : NULL, out) < 0)
            status = -1;
        else
            r->built++;
    }
    page_done(r);
    return status;
}

/* Builds pages [from, to), reading each page's Markdown as it goes. Returns
 * 0 or -1. */
static int build_pages(renderer *r, size_t from, size_t to)
{
    int status = 0;
    buf out = BUF_INIT;
    for (size_t i = from; i < to; i++)
        if (build_at(r, i, NULL, &out) < 0)
            status = -1;
    buf_free(&out);
    return status;
}

/* ---------- a full build: Markdown and layouts in one pass ---------- */

/* One thread's share of a full build (render_whole_site). A layout shows
 * the page's history, read in another thread meanwhile: the Markdown of
 * the pages done before it is read waits in made[] (shared; its strings in
 * arena), and their layouts follow as soon as it is; after that each page
 * is done whole, its Markdown in the scratch arena. Messages of the
 * Markdown and of the layouts are kept apart, to come out as they would
 * from one pass after the other, whenever the history came. */
typedef struct whole_share {
    page_markdown *made;
    arena *arena;
    const render_wait *history;
    diag_list markdown_diags, layout_diags;
} whole_share;

static int render_and_build(renderer *r, size_t from, size_t to, void *ctx)
{
    whole_share *w = ctx;
    int status = 0;
    size_t waiting = from; /* pages [waiting, i) wait for their layouts */
    buf out = BUF_INIT;
    for (size_t i = from; i < to; i++) {
        const page *p = r->site->pages[i];
        bool whole = w->history->ready(w->history->ctx);
        r->diags = &w->layout_diags;
        for (; whole && waiting < i; waiting++)
            if (build_at(r, waiting, w->made, &out) < 0)
                status = -1;
        r->diags = &w->markdown_diags;
        if (render_markdown(r, p, is_searchable(p), whole ? &r->scratch : w->arena,
                            &w->made[i]) < 0)
            status = -1;
        if (whole) {
            r->diags = &w->layout_diags;
            if (build_at(r, i, w->made, &out) < 0)
                status = -1;
            waiting = i + 1;
        } else {
            page_done(r);
        }
    }
    if (waiting < to)
        w->history->wait(w->history->ctx);
    r->diags = &w->layout_diags;
    for (; waiting < to; waiting++)
        if (build_at(r, waiting, w->made, &out) < 0)
            status = -1;
    buf_free(&out);
    return status;
}

/* A page's share of a full build: its Markdown and search document cost
 * about three times what its layout does, and an overview's layout lists
 * pages (each a summary). */
static size_t whole_weight(const page *p)
{
    return 4 * p->body_len + LISTED_PAGE_WEIGHT * p->entry_count;
}

/* Renders every page of a full build (render_and_build), the Markdown of
 * those whose layouts wait for the history into made[] with its strings in
 * arenas[0] and arenas[1]. With two cores, a second thread takes the pages
 * after the middle of the work, with a search index part of its own that
 * is appended to r's after, and record entries that follow this thread's.
 * Returns 0 or -1. */
static int render_whole_site(renderer *r, page_markdown *made, arena arenas[2],
                             const render_wait *history)
{
    const site *s = r->site;
    diag_list *diags = r->diags;
    whole_share first = {made, &arenas[0], history, DIAG_LIST_INIT, DIAG_LIST_INIT};
    whole_share rest = {made, &arenas[1], history, DIAG_LIST_INIT, DIAG_LIST_INIT};
    int status;
    if (s->page_count < PARALLEL_MIN_PAGES || !can_run_two_threads()) {
        status = render_and_build(r, 0, s->page_count, &first);
        r->diags = diags;
    } else {
        second_half h = {.from = middle_page(s, whole_weight), .to = s->page_count,
                         .work = render_and_build, .ctx = &rest};
        second_renderer(&h, r);
        size_t documents = 0;
        for (size_t i = 0; i < h.from; i++)
            documents += is_searchable(s->pages[i]);
        h.r.index = index_new_part(s, documents);
        status = work_in_two_threads(r, &first, &h);
        r->diags = diags;
        /* -1 when a page before the part failed, which is reported already. */
        if (index_append(r->index, h.r.index) < 0)
            status = -1;
        buf_append(&r->pages_record, h.r.pages_record.data, h.r.pages_record.len);
        r->pages_recorded += h.r.pages_recorded;
        buf_append(&r->contexts_record, h.r.contexts_record.data, h.r.contexts_record.len);
        buf_append(&r->context_values, h.r.context_values.data, h.r.context_values.len);
        r->contexts_recorded += h.r.contexts_recorded;
        r->rendered += h.r.rendered;
        r->built += h.r.built;
        free_second_renderer(&h);
    }
    diag_list_append(diags, &first.markdown_diags);
    diag_list_append(diags, &rest.markdown_diags);
    diag_list_append(diags, &first.layout_diags);
    diag_list_append(diags, &rest.layout_diags);
    return status;
}

static void write_terms(const renderer *r, buf *out);

int render_site(const site *s, const source_tree *tree, const template_set *layouts,
                publisher *pub, const render_wait *history, render_stats *stats,
                diag_list *diags)
{
    renderer r = {.site = s, .tree = tree, .layouts = layouts, .pub = pub, .diags = diags,
                  .pages_record = BUF_INIT, .contexts_record = BUF_INIT,
                  .context_values = BUF_INIT};
    r.hasher = record_hasher_new();
    r.layout_hasher = record_hasher_new();
    /* site.collections holds every page of the site: made only when a
     * layout can show it (no template can reach it otherwise). */
    bool collections_used = false;
    for (size_t i = 0; i < s->page_count && !collections_used; i++)
        collections_used = layout_inputs_of(&r, s->pages[i]->layout)->uses_collections;
    r.site_value = make_site_value(&r.persistent, s, collections_used);
    load_terms(&r, &r.persistent);
    r.index = index_new(s);
    r.site_inputs = hash_site_inputs(&r);
    if (collections_used) {
        record_hasher_reset(r.hasher);
        hash_value(r.hasher, value_map_get_str(r.site_value, "collections"));
        r.collections = record_hasher_result(r.hasher);
    }
    const record *previous = publish_previous(pub);
    if (previous != NULL) {
        load_previous_pages(&r, previous);
        index_use_previous(r.index, previous);
    }
    int status = 0;
    /* A full build renders every page: the Markdown (and the search index,
     * the larger part of the work) needs no history, so it starts while
     * another thread reads the history. */
    page_markdown *made = NULL;
    arena made_arenas[2] = {ARENA_INIT, ARENA_INIT};
    if (previous == NULL && history != NULL) {
        made = calloc(s->page_count + 1, sizeof *made);
        if (made == NULL)
            abort();
        if (render_whole_site(&r, made, made_arenas, history) < 0)
            status = -1;
    } else {
        if (history != NULL)
            history->wait(history->ctx);
        if (build_pages(&r, 0, s->page_count) < 0)
            status = -1;
    }
    stats->pages = r.built;
    free(made);
    arena_free(&made_arenas[0]);
    arena_free(&made_arenas[1]);
    if (write_sitemap_and_robots(&r) < 0 || index_finish(r.index, pub, diags) < 0)
        status = -1;
    size_t prefix = strlen(LAYOUTS_FOLDER "/");
    for (size_t i = 0; i < tree->count; i++) {
        const source_file *f = &tree->files[i];
        if (!has_prefix(f->path, ASSETS_FOLDER "/"))
            continue;
        if (publish_write(pub, f->path + prefix, f->data, f->len, diags) < 0)
            status = -1;
        else
            stats->assets++;
    }
    if (pub != NULL) {
        buf count = BUF_INIT;
        record_write_number(&count, r.pages_recorded);
        publish_record_base(pub, "page count", &count);
        publish_record_base(pub, "pages", &r.pages_record);
        buf contexts = BUF_INIT, urls = BUF_INIT;
        record_write_number(&contexts, r.contexts_recorded);
        buf_append(&contexts, r.contexts_record.data, r.contexts_record.len);
        buf_append(&contexts, r.context_values.data, r.context_values.len);
        publish_record_base(pub, "page contexts", &contexts);
        for (size_t i = 0; i < s->page_count; i++) {
            const page *p = s->pages[i];
            if (p->source_path != NULL) {
                record_write_string(&urls, p->source_path, strlen(p->source_path));
                record_write_string(&urls, p->url, strlen(p->url));
            }
        }
        publish_record_base(pub, "page urls", &urls);
        buf terms = BUF_INIT;
        write_terms(&r, &terms);
        publish_record_base(pub, "glossary terms", &terms);
    }
    stats->rendered = r.rendered;
    index_free(r.index);
    free_renderer(&r);
    return status;
}

/* ---------- patch builds ---------- */

/* The glossary's terms as load_terms made them, for "glossary terms". */
static void write_terms(const renderer *r, buf *out)
{
    record_write_number(out, r->term_count);
    for (size_t i = 0; i < r->term_count; i++) {
        const glossary_term *t = &r->terms[i];
        record_write_string(out, t->text, strlen(t->text));
        record_write_number(out, t->is_abbreviation);
        record_write_string(out, t->title, strlen(t->title));
        record_write_string(out, t->url, strlen(t->url));
        record_write_string(out, t->page_url, strlen(t->page_url));
    }
}

static bool read_terms(renderer *r, record_reader *rr)
{
    uint64_t count = record_read_number(rr);
    if (rr->failed || count > (uint64_t)(rr->end - rr->at))
        return false;
    r->terms = arena_alloc(&r->persistent, (count + 1) * sizeof *r->terms);
    for (uint64_t i = 0; i < count && !rr->failed; i++) {
        glossary_term *t = &r->terms[r->term_count++];
        t->text = record_read_string(rr, NULL);
        t->is_abbreviation = record_read_number(rr) != 0;
        t->title = record_read_string(rr, NULL);
        t->url = record_read_string(rr, NULL);
        t->page_url = record_read_string(rr, NULL);
    }
    return !rr->failed;
}

/* A page to remake: its entry in "page contexts" and, once made, its file
 * and its entry in "pages". */
typedef struct dirty_page {
    const char *source, *output;
    record_hash front, history; /* history: as it is now */
    uint64_t context_at, context_len; /* where its context is among the values */
    record_reader context;
    previous_page previous;
    buf file, entry; /* its file, and its entry in "pages delta" */
} dirty_page;

typedef struct dirty_list {
    dirty_page *items;
    size_t count, cap;
} dirty_list;

/* An output made by the patch build, to publish once all are made. */
typedef struct made_output {
    char *path;
    buf data;
} made_output;

typedef struct made_list {
    made_output *items;
    size_t count, cap;
} made_list;

static void add_made(void *ctx, const char *path, const char *data, size_t len)
{
    made_list *l = ctx;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (l->items == NULL)
            abort();
    }
    made_output *m = &l->items[l->count++];
    m->path = strdup(path);
    if (m->path == NULL)
        abort();
    m->data = (buf)BUF_INIT;
    buf_append(&m->data, data, len);
}

/* Reads "page contexts" (in the base) and "context delta" (the histories of
 * the pages patch builds remade since): the pages to remake (in changed, or
 * with another history now) into dirty, and the new "context delta" into
 * out. False when the record is damaged or lacks a changed file. */
static bool find_dirty_pages(renderer *r, const record *rec, const strmap *changed,
                             size_t changed_count, dirty_list *dirty, buf *out)
{
    strmap remade = STRMAP_INIT; /* source path -> its history hash since */
    record_reader delta = record_reader_of(rec, "context delta");
    for (uint64_t n = delta.at ? record_read_number(&delta) : 0; n > 0 && !delta.failed; n--) {
        const char *source = record_read_string(&delta, NULL);
        strmap_put(&remade, source, (void *)delta.at);
        record_read_hash(&delta);
    }
    record_reader rr = record_reader_of(rec, "page contexts");
    uint64_t count = record_read_number(&rr);
    buf entries = BUF_INIT;
    size_t found = 0, remade_now = 0;
    /* The values follow the entries: where each starts is known once the
     * entries are read. */
    uint64_t value_at = 0;
    for (uint64_t i = 0; i < count && !rr.failed && !delta.failed; i++) {
        dirty_page d = {0};
        d.source = record_read_string(&rr, NULL);
        d.output = record_read_string(&rr, NULL);
        d.front = record_read_hash(&rr);
        record_hash history = record_read_hash(&rr);
        d.context_at = value_at;
        d.context_len = record_read_number(&rr);
        value_at += d.context_len;
        const uint8_t *since = strmap_get(&remade, d.source);
        if (since != NULL) {
            record_reader hr = {since, since + 16, false};
            history = record_read_hash(&hr);
        }
        /* A history as the record has it needs no hashing: it is the one
         * the record's hash was taken of. */
        const file_history *h = strmap_get(&r->site->history, d.source);
        d.history = h != NULL && h->as_recorded ? history : history_hash(r, h);
        bool is_changed = strmap_get(changed, d.source) != NULL;
        found += is_changed;
        bool is_dirty = is_changed || !record_hash_equal(history, d.history);
        if (is_dirty || since != NULL) {
            record_write_string(&entries, d.source, strlen(d.source));
            record_write_hash(&entries, d.history);
            remade_now++;
        }
        if (!is_dirty)
            continue;
        if (dirty->count == dirty->cap) {
            dirty->cap = dirty->cap ? 2 * dirty->cap : 16;
            dirty->items = realloc(dirty->items, dirty->cap * sizeof *dirty->items);
            if (dirty->items == NULL)
                abort();
        }
        dirty->items[dirty->count++] = d;
    }
    /* Now where the values are. */
    for (size_t i = 0; i < dirty->count && !rr.failed; i++) {
        dirty_page *d = &dirty->items[i];
        if (d->context_at + d->context_len > (uint64_t)(rr.end - rr.at))
            rr.failed = true;
        else
            d->context = (record_reader){rr.at + d->context_at,
                                         rr.at + d->context_at + d->context_len, false};
    }
    if (value_at != (uint64_t)(rr.end - rr.at))
        rr.failed = true;
    record_write_number(out, remade_now);
    buf_append(out, entries.data, entries.len);
    buf_free(&entries);
    strmap_free(&remade);
    return !rr.failed && !delta.failed && found == changed_count;
}

/* Finds each dirty page's entry in "pages" (in the base: its search
 * document is as it was); false when one is missing. */
static bool find_previous_pages(const record *rec, dirty_list *dirty, const strmap *by_output)
{
    record_reader counted = record_reader_of(rec, "page count");
    uint64_t count = record_read_number(&counted);
    record_reader rr = record_reader_of(rec, "pages");
    size_t found = 0;
    for (uint64_t i = 0; i < count && !rr.failed && !counted.failed; i++) {
        const char *path = record_read_string(&rr, NULL);
        previous_page prev;
        prev.inputs = record_read_hash(&rr);
        prev.output = record_read_hash(&rr);
        prev.document = record_read_number(&rr);
        prev.links = rr;
        for (uint64_t n = record_read_number(&rr); n > 0 && !rr.failed; n--) {
            record_read_string(&rr, NULL);
            record_read_string(&rr, NULL);
        }
        dirty_page *d = rr.failed ? NULL : strmap_get(by_output, path);
        if (d != NULL) {
            found++;
            d->previous = prev;
        }
    }
    return !rr.failed && !counted.failed && found == dirty->count;
}

/* "pages delta": the entries of the pages patch builds remade since the
 * base, the ones remade now replacing theirs. */
static void write_pages_delta(const record *rec, const dirty_list *dirty, const strmap *by_output,
                              buf *out)
{
    buf entries = BUF_INIT;
    size_t count = dirty->count;
    for (size_t i = 0; i < dirty->count; i++)
        buf_append(&entries, dirty->items[i].entry.data, dirty->items[i].entry.len);
    record_reader rr = record_reader_of(rec, "pages delta");
    for (uint64_t n = rr.at ? record_read_number(&rr) : 0; n > 0 && !rr.failed; n--) {
        const uint8_t *start = rr.at;
        const char *path;
        previous_page ignored;
        read_page_entry(&rr, &path, &ignored);
        if (!rr.failed && strmap_get(by_output, path) == NULL) {
            buf_append(&entries, (const char *)start, (size_t)(rr.at - start));
            count++;
        }
    }
    record_write_number(out, count);
    buf_append(out, entries.data, entries.len);
    buf_free(&entries);
}

/* Remakes dirty page d. Returns 1, or 0 when a patch build cannot. */
static int remake_page(renderer *r, const source_options *source, dirty_page *d, arena *a)
{
    source_file *f = (source_file *)source_find(r->tree, d->source);
    if (f == NULL || source_fill(a, source, f) < 0) /* not read: its history changed */
        return 0;
    page *p = pages_read_one(a, &r->site->config, f, r->diags);
    if (p == NULL || r->diags->count > 0 || strcmp(p->output_path, d->output) != 0 ||
        !record_hash_equal(front_hash(r, p), d->front) || !patchable(r, p) ||
        (d->previous.document != 0) != is_searchable(p))
        return 0;
    value *page_value = read_value(&r->scratch, &d->context, 0);
    if (page_value == NULL)
        return 0;
    put_history(&r->scratch, r->site, p, page_value);
    value *site_value = site_for_page(r, p);
    record_hash inputs = page_inputs(r, p, site_value, page_value);
    r->patch_document = d->previous.document != 0 ? (size_t)d->previous.document - 1 : 0;
    index_patch *patch = r->patch;
    if (d->previous.document == 0)
        r->patch = NULL;
    page_markdown md;
    int made = render_markdown(r, p, false, &r->scratch, &md);
    r->patch = patch;
    if (made < 0 || r->patch_failed || r->diags->count > 0)
        return 0;
    r->links = md.links;
    r->link_count = r->link_cap = md.link_count;
    if (render_layout(r, p, site_value, page_value, &md, &d->file) < 0 || r->diags->count > 0)
        return 0;
    /* Its entry for "pages delta", so that a whole build after this one
     * knows the page as it is now. */
    buf saved = r->pages_record;
    r->pages_record = d->entry;
    record_page(r, p, inputs, record_hash_of(d->file.data, d->file.len), md.document);
    d->entry = r->pages_record;
    r->pages_record = saved;
    r->rendered++;
    return 1;
}

int render_patch(const site *s, const source_options *source, const source_tree *tree,
                 const template_set *layouts, publisher *pub, const char *const *changed,
                 size_t changed_count, render_stats *stats, diag_list *diags)
{
    const record *rec = publish_previous(pub);
    if (rec == NULL)
        return 0;
    diag_list quiet = DIAG_LIST_INIT; /* any message: the whole build gives it */
    size_t urls_len;
    const uint8_t *urls = record_section(rec, "page urls", &urls_len);
    renderer r = {.site = s, .tree = tree, .layouts = layouts, .pub = pub, .diags = &quiet,
                  .pages_record = BUF_INIT, .contexts_record = BUF_INIT, .page_urls = urls,
                  .page_urls_len = urls_len};
    r.hasher = record_hasher_new();
    r.layout_hasher = record_hasher_new();
    strmap changed_set = STRMAP_INIT, by_output = STRMAP_INIT, writing = STRMAP_INIT;
    dirty_list dirty = {0};
    made_list made = {0};
    buf contexts = BUF_INIT;
    arena pages_arena = ARENA_INIT;
    int result = 0;
    record_reader terms = record_reader_of(rec, "glossary terms");
    r.patch = index_patch_begin(s, rec, publish_read_published, pub);
    diag_timing("  index begin");
    const char *why = "the previous build's record";
    if (urls == NULL || r.patch == NULL || !read_terms(&r, &terms) ||
        !record_has_own(rec, RECORD_BASE_SECTION))
        goto done;
    r.site_value = make_site_value(&r.persistent, s, false);
    r.site_inputs = hash_site_inputs(&r);
    for (size_t i = 0; i < changed_count; i++)
        strmap_put(&changed_set, changed[i], (void *)changed[i]);
    why = "a file changed that is not a page's Markdown";
    if (!find_dirty_pages(&r, rec, &changed_set, changed_count, &dirty, &contexts))
        goto done;
    diag_timing("  dirty pages");
    for (size_t i = 0; i < dirty.count; i++)
        if (strmap_put(&by_output, dirty.items[i].output, &dirty.items[i]) != NULL)
            goto done;
    if (!find_previous_pages(rec, &dirty, &by_output))
        goto done;
    diag_timing("  previous pages");
    for (size_t i = 0; i < dirty.count; i++) {
        int remade = remake_page(&r, source, &dirty.items[i], &pages_arena);
        arena_free(&r.scratch);
        r.links = NULL;
        r.link_count = r.link_cap = 0;
        why = remade == 0 && r.patch_failed ? index_patch_declined(r.patch)
                                             : "a page's front matter, links or messages";
        if (remade == 0)
            goto done;
        add_made(&made, dirty.items[i].output, dirty.items[i].file.data, dirty.items[i].file.len);
    }
    diag_timing("  remake pages");
    why = "the search index";
    if (index_patch_prepare(r.patch, add_made, &made) != 1) {
        why = index_patch_declined(r.patch);
        goto done;
    }
    diag_timing("  index patch");
    for (size_t i = 0; i < made.count; i++)
        strmap_put(&writing, made.items[i].path, &made.items[i]);
    result = publish_keep_others(pub, &writing, diags);
    diag_timing("  keep others");
    why = "a file the published site lost";
    if (result != 1)
        goto done;
    for (size_t i = 0; i < made.count; i++)
        if (publish_write(pub, made.items[i].path, made.items[i].data.data,
                          made.items[i].data.len, diags) < 0)
            result = -1;
    /* The large sections stay in the base; what changed goes beside. */
    publish_keep_base(pub);
    index_patch_record(r.patch, pub);
    publish_record(pub, "context delta", &contexts);
    buf pages_delta = BUF_INIT;
    write_pages_delta(rec, &dirty, &by_output, &pages_delta);
    publish_record(pub, "pages delta", &pages_delta);
    record_reader counted = record_reader_of(rec, "page count");
    stats->pages = (size_t)record_read_number(&counted);
    stats->rendered = r.rendered;
    size_t prefix = strlen(ASSETS_FOLDER "/");
    for (size_t i = 0; i < tree->count; i++)
        stats->assets += strncmp(tree->files[i].path, ASSETS_FOLDER "/", prefix) == 0;
done:
    if (result == 0 && getenv("HANDBOOK_TIMINGS"))
        fprintf(stderr, "timing: no patch build: %s\n", why);
    for (size_t i = 0; i < dirty.count; i++) {
        buf_free(&dirty.items[i].file);
        buf_free(&dirty.items[i].entry);
    }
    free(dirty.items);
    for (size_t i = 0; i < made.count; i++) {
        free(made.items[i].path);
        buf_free(&made.items[i].data);
    }
    free(made.items);
    strmap_free(&changed_set);
    strmap_free(&by_output);
    strmap_free(&writing);
    buf_free(&contexts);
    arena_free(&pages_arena);
    index_patch_free(r.patch);
    free_renderer(&r);
    diag_list_free(&quiet);
    return result;
}
