#include "resolve.h"

#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "strmap.h"
#include "suggest.h"

static double weight_of(const page *p)
{
    const value *w = value_map_get_str(p->front_matter, "weight");
    return w && w->kind == VALUE_NUMBER ? w->as.number : 0;
}

static int compare_pages(const void *x, const void *y)
{
    const page *a = *(page *const *)x, *b = *(page *const *)y;
    double wa = weight_of(a), wb = weight_of(b);
    if (wa != wb)
        return wa < wb ? -1 : 1;
    int c = strcasecmp(a->title, b->title);
    return c ? c : strcmp(a->url, b->url);
}

void resolve_sort_pages(page **pages, size_t count)
{
    qsort(pages, count, sizeof *pages, compare_pages);
}

typedef struct resolver {
    arena *arena;
    const config *cfg;
    page_list *pages;
    diag_list *diags;
    strmap ids; /* "collection/slug" -> page */
    int status;
} resolver;

static const char *id_key(arena *a, const char *collection_name, const char *slug)
{
    size_t n = strlen(collection_name), m = strlen(slug);
    char *key = arena_alloc(a, n + m + 2);
    memcpy(key, collection_name, n);
    key[n] = '/';
    memcpy(key + n + 1, slug, m + 1);
    return key;
}


static source_pos no_pos(void)
{
    return (source_pos){0};
}

static void put_text(arena *a, value *map, const char *key, const char *text)
{
    value_map_put(a, map, key, strlen(key), no_pos(), value_new_string(a, text, strlen(text), no_pos()));
}

/* {id, title, url, summary}: what a template needs to show and link a page. */
static value *ref_value(resolver *r, const page *target)
{
    value *v = value_new_map(r->arena, no_pos());
    put_text(r->arena, v, "id", target->slug);
    put_text(r->arena, v, "title", target->title);
    put_text(r->arena, v, "url", config_site_path(r->arena, r->cfg, target->url));
    const value *summary = value_map_get_str(target->front_matter, "summary");
    if (summary != NULL)
        value_map_put(r->arena, v, "summary", 7, no_pos(), (value *)summary);
    return v;
}

static void add_backlink(arena *a, page *target, page *from)
{
    backlink_list *list = NULL;
    for (size_t i = 0; i < target->backlink_count; i++)
        if (target->backlinks[i].from == from->collection)
            list = &target->backlinks[i];
    if (list == NULL) {
        target->backlinks = arena_grow(a, target->backlinks, target->backlink_count,
                                       target->backlink_count + 1, sizeof *target->backlinks);
        list = &target->backlinks[target->backlink_count++];
        list->from = from->collection;
    }
    if (list->count > 0 && list->pages[list->count - 1] == from)
        return; /* named twice by one page (refs are resolved page by page) */
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 4;
        list->pages = arena_grow(a, list->pages, list->count, cap, sizeof *list->pages);
        list->cap = cap;
    }
    list->pages[list->count++] = from;
}

/* Looks the id up in the field's collection; reports an unknown one. */
static page *resolve_id(resolver *r, page *from, const field *f, const value *id)
{
    buf text = BUF_INIT;
    value_append_text(&text, id);
    const collection *target = f->ref_target;
    page *found = strmap_get(&r->ids, id_key(r->arena, target->name, text.data));
    if (found == NULL) {
        suggestion hint = suggest_begin(text.data);
        for (size_t i = 0; i < r->pages->count; i++) {
            const page *p = r->pages->items[i];
            if (p->collection == target && p->source_path && !p->is_list)
                suggest_consider(&hint, p->slug);
        }
        if (hint.best)
            diag_add(r->diags, DIAG_ERROR, from->source_path, id->pos.line, id->pos.col,
                     "unknown %s '%s' in '%s'; did you mean '%s'?", target->name, text.data,
                     f->name, hint.best);
        else
            diag_add(r->diags, DIAG_ERROR, from->source_path, id->pos.line, id->pos.col,
                     "unknown %s '%s' in '%s'; add %s/%s.md or .yaml, or fix the id",
                     target->name, text.data, f->name, target->folder, text.data);
        r->status = -1;
    }
    buf_free(&text);
    return found;
}

static bool is_text(const value *v)
{
    return v->kind == VALUE_STRING || v->kind == VALUE_NUMBER || v->kind == VALUE_DATE;
}

static void resolve_page(resolver *r, page *p)
{
    const collection *c = p->collection;
    value *data = value_new_map(r->arena, p->front_matter->pos);
    const value *fm = p->front_matter;
    for (size_t i = 0; i < fm->as.map.count; i++) {
        const value_entry *e = &fm->as.map.entries[i];
        const field *f = config_field(c, e->key);
        value *v = e->value;
        bool is_ref = f && (f->type == FIELD_REF || (f->type == FIELD_LIST && f->item_type == FIELD_REF));
        /* A reference that is not text, or that names no page, was reported
         * (here or by the schema check) and is left out of the page's data,
         * so it causes no further errors. */
        if (is_ref && f->type == FIELD_REF) {
            page *target = is_text(v) ? resolve_id(r, p, f, v) : NULL;
            if (target == NULL)
                continue;
            add_backlink(r->arena, target, p);
            v = ref_value(r, target);
        } else if (is_ref && v->kind == VALUE_LIST) {
            value *list = value_new_list(r->arena, v->pos);
            for (size_t k = 0; k < v->as.list.count; k++) {
                if (!is_text(v->as.list.items[k]))
                    continue;
                page *target = resolve_id(r, p, f, v->as.list.items[k]);
                if (target) {
                    add_backlink(r->arena, target, p);
                    value_list_push(r->arena, list, ref_value(r, target));
                }
            }
            v = list;
        } else if (is_ref) {
            continue; /* not a list: the schema check reported it */
        }
        value_map_put(r->arena, data, e->key, e->key_len, e->key_pos, v);
    }
    p->data = data;
}

/* ---------- facets ---------- */

typedef struct value_builder {
    facet_value *items;
    size_t count, cap;
} value_builder;

/* Values are told apart by their slug, which is their address: "SO/VSO" and
 * "SO VSO" would be one page, so they are one value. */
static facet_value *find_or_add_value(resolver *r, value_builder *b, const char *title,
                                      const char *slug)
{
    for (size_t i = 0; i < b->count; i++)
        if (strcmp(b->items[i].slug, slug) == 0)
            return &b->items[i];
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        b->items = arena_grow(r->arena, b->items, b->count, cap, sizeof *b->items);
        b->cap = cap;
    }
    facet_value *v = &b->items[b->count++];
    memset(v, 0, sizeof *v);
    v->title = arena_strdup(r->arena, title);
    v->slug = arena_strdup(r->arena, slug);
    return v;
}

static void add_entry(arena *a, facet_value *v, page *p)
{
    if (v->count > 0 && v->entries[v->count - 1] == p)
        return; /* a page with the value twice (pages are added one by one) */
    if (v->count == v->cap) {
        /* Doubling: a value that 10,000 pages share must not cost 10,000 copies. */
        size_t cap = v->cap ? v->cap * 2 : 8;
        v->entries = arena_grow(a, v->entries, v->count, cap, sizeof *v->entries);
        v->cap = cap;
    }
    v->entries[v->count++] = p;
}

/* The value a page has for a facet, as a title and a slug: a reference shows
 * the referenced page's title and uses its id. */
static void facet_item(resolver *r, const field *f, value_builder *b, page *p, const value *item)
{
    buf title = BUF_INIT, slug = BUF_INIT;
    if (item->kind == VALUE_MAP) { /* a resolved reference */
        value_append_text(&title, value_map_get_str(item, "title"));
        value_append_text(&slug, value_map_get_str(item, "id"));
    } else {
        value_append_text(&title, item);
        markdown_slugify(&slug, title.data, title.len);
    }
    (void)f;
    if (title.len > 0 && slug.len > 0)
        add_entry(r->arena, find_or_add_value(r, b, title.data, slug.data), p);
    buf_free(&title);
    buf_free(&slug);
}

static int compare_values(const void *x, const void *y)
{
    const facet_value *a = x, *b = y;
    int c = strcasecmp(a->title, b->title);
    return c ? c : strcmp(a->title, b->title);
}

static void build_facets(resolver *r, page *list)
{
    const collection *c = list->collection;
    list->facet_groups = arena_alloc(r->arena, (c->facet_count + 1) * sizeof *list->facet_groups);
    list->facet_group_count = c->facet_count;
    for (size_t fi = 0; fi < c->facet_count; fi++) {
        const facet *fc = &c->facets[fi];
        facet_group *g = &list->facet_groups[fi];
        g->facet = fc;
        value_builder b = {0};
        size_t page_count = r->pages->count; /* facet pages are appended below */
        for (size_t i = 0; i < page_count; i++) {
            page *p = r->pages->items[i];
            if (p->collection != c || p->is_list || p->data == NULL)
                continue;
            const value *v = value_map_get_str(p->data, fc->field->name);
            if (v == NULL)
                continue;
            if (v->kind == VALUE_LIST)
                for (size_t k = 0; k < v->as.list.count; k++)
                    facet_item(r, fc->field, &b, p, v->as.list.items[k]);
            else
                facet_item(r, fc->field, &b, p, v);
        }
        qsort(b.items, b.count, sizeof *b.items, compare_values);
        g->values = b.items;
        g->value_count = b.count;

        buf url = BUF_INIT;
        buf_printf(&url, "%s%s/", c->list_url, fc->slug);
        g->page = pages_generated(r->arena, arena_strndup(r->arena, url.data, url.len), fc->title,
                                  c->facet_layout, c->layout_pos);
        g->page->collection = c;
        g->page->group = g;
        pages_add(r->arena, r->pages, g->page);
        for (size_t k = 0; k < g->value_count; k++) {
            facet_value *v = &g->values[k];
            buf_clear(&url);
            buf_printf(&url, "%s%s/%s/", c->list_url, fc->slug, v->slug);
            v->page = pages_generated(r->arena, arena_strndup(r->arena, url.data, url.len),
                                      v->title, c->facet_layout, c->layout_pos);
            v->page->collection = c;
            v->page->group = g;
            v->page->facet_value = v;
            resolve_sort_pages(v->entries, v->count);
            v->page->entries = v->entries;
            v->page->entry_count = v->count;
            pages_add(r->arena, r->pages, v->page);
        }
        buf_free(&url);
    }
}

int resolve_site(arena *a, const config *cfg, page_list *pages, diag_list *diags)
{
    resolver r = {a, cfg, pages, diags, STRMAP_INIT, 0};
    for (size_t i = 0; i < pages->count; i++) {
        page *p = pages->items[i];
        if (p->source_path != NULL)
            strmap_put(&r.ids, id_key(a, p->collection->name, p->slug), p);
    }
    for (size_t i = 0; i < pages->count; i++) {
        page *p = pages->items[i];
        if (p->source_path != NULL)
            resolve_page(&r, p);
        else
            p->data = p->front_matter;
    }
    for (size_t i = 0; i < pages->count; i++)
        for (size_t k = 0; k < pages->items[i]->backlink_count; k++)
            resolve_sort_pages(pages->items[i]->backlinks[k].pages,
                               pages->items[i]->backlinks[k].count);
    size_t list_count = pages->count;
    for (size_t i = 0; i < list_count; i++) {
        page *p = pages->items[i];
        if (p->is_list && p->collection->facet_count > 0)
            build_facets(&r, p);
    }
    strmap_free(&r.ids);
    return r.status;
}
