#include "pages.h"

#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "resolve.h"
#include "schema.h"
#include "yamlvalue.h"

/* Names the generator sets on every page; front matter may not use them. */
static const char *const computed_fields[] = {"url",     "permalink",  "content", "headings",
                                              "toc",     "has_toc",    "file",    "slug",
                                              "collection", "is_home", "pages",   NULL};

const char *page_abbreviation(const glossary *g, const page *p)
{
    const value *v =
        g->abbreviation_field ? value_map_get_str(p->front_matter, g->abbreviation_field) : NULL;
    return v && v->kind == VALUE_STRING ? v->as.string.text : NULL;
}

void pages_add(arena *a, page_list *list, page *p)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        list->items = arena_grow(a, list->items, list->count, cap, sizeof *list->items);
        list->cap = cap;
    }
    list->items[list->count++] = p;
}

static bool is_slug(const char *s, size_t len)
{
    if (len == 0 || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && s[i + 1] != '-');
        if (!ok)
            return false;
    }
    return true;
}

/* "/praktijkvoorbeelden/:slug/" with "x" gives "/praktijkvoorbeelden/x/";
 * an empty slug (index.md) leaves no double slash. */
static const char *expand_url(arena *a, const char *pattern, const char *slug)
{
    buf b = BUF_INIT;
    for (const char *p = pattern; *p;) {
        if (strncmp(p, ":slug", 5) == 0) {
            buf_append_str(&b, slug);
            p += 5;
        } else {
            if (!(*p == '/' && b.len > 0 && b.data[b.len - 1] == '/'))
                buf_append_char(&b, *p);
            p++;
        }
    }
    const char *url = arena_strndup(a, b.data, b.len);
    buf_free(&b);
    return url;
}

static const char *output_path_of(arena *a, const char *url)
{
    buf b = BUF_INIT;
    buf_append_str(&b, url + 1);
    if (b.len == 0 || b.data[b.len - 1] == '/')
        buf_append_str(&b, "index.html");
    const char *path = arena_strndup(a, b.data, b.len);
    buf_free(&b);
    return path;
}

static const collection *collection_of(const config *cfg, const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    *name = slash ? slash + 1 : path;
    for (size_t i = 0; i < cfg->collection_count; i++) {
        const collection *c = &cfg->collections[i];
        if (c->folder && strlen(c->folder) == dir_len && strncmp(c->folder, path, dir_len) == 0)
            return c;
    }
    return NULL;
}

/* A Markdown page: front matter between '---' lines, then the body. A data
 * page (.yaml): the whole file is its front matter, and there is no body. */
static page *read_page(arena *a, const source_file *f, const collection *c, const char *name,
                       size_t extension_len, diag_list *diags)
{
    size_t errors_before = diags->errors;
    bool is_data = extension_len == strlen(".yaml");
    if (markdown_check_utf8(f->path, f->data, f->len, 1, diags) < 0)
        return NULL;
    markdown_parts parts = {0};
    if (is_data) {
        parts = (markdown_parts){.has_front_matter = 1, .front_matter = f->data,
                                 .front_matter_len = f->len, .front_matter_line = 1, .body = "",
                                 .body_line = 1};
    } else if (markdown_split_front_matter(f->path, f->data, f->len, &parts, diags) < 0) {
        return NULL;
    }
    value *fm = NULL;
    if (parts.has_front_matter &&
        yamlvalue_parse(a, f->path, parts.front_matter, parts.front_matter_len,
                        parts.front_matter_line, diags, &fm) < 0)
        return NULL;
    if (fm == NULL || fm->kind == VALUE_NULL)
        fm = value_new_map(a, (source_pos){f->path, 1, 1});
    if (fm->kind != VALUE_MAP) {
        diag_add(diags, DIAG_ERROR, f->path, fm->pos.line, fm->pos.col,
                 "%s must be 'name: value' lines, not %s", is_data ? "the file" : "front matter",
                 value_kind_name(fm->kind));
        return NULL;
    }
    page *p = arena_alloc(a, sizeof *p);
    p->source_path = f->path;
    p->collection = c;
    p->front_matter = fm;
    p->front_matter_line = parts.has_front_matter ? parts.front_matter_line : 1;
    p->is_data = is_data;
    p->body = parts.body;
    p->body_len = parts.body_len;
    p->body_line = parts.body_line;
    p->layout = c->layout;
    p->layout_pos = c->layout_pos;
    const value *layout = value_map_get_str(fm, "layout");
    if (layout != NULL && layout->kind == VALUE_STRING) {
        p->layout = layout->as.string.text;
        p->layout_pos = layout->pos;
    }

    size_t slug_len = strlen(name) - extension_len;
    if (slug_len == 5 && strncmp(name, "index", 5) == 0) {
        p->slug = "";
    } else if (is_slug(name, slug_len)) {
        p->slug = arena_strndup(a, name, slug_len);
    } else {
        buf better = BUF_INIT;
        markdown_slugify(&better, name, slug_len);
        if (better.len == 0)
            buf_append_str(&better, "pagina");
        diag_add(diags, DIAG_ERROR, f->path, 0, 0,
                 "the file name '%s' cannot be part of a web address; rename the file to "
                 "'%s%s' (lowercase letters, digits and dashes)",
                 name, better.data, name + slug_len);
        buf_free(&better);
    }

    const value *title = value_map_get_str(fm, "title");
    if (title == NULL) {
        diag_add(diags, DIAG_ERROR, f->path, parts.has_front_matter ? parts.front_matter_line : 1,
                 1, "the page has no title; add a line 'title: ...' %s",
                 is_data                   ? "to the file"
                 : parts.has_front_matter ? "to its front matter"
                                          : "to its front matter (between two '---' lines at the top)");
    } else if (title->kind != VALUE_STRING || title->as.string.len == 0) {
        diag_add(diags, DIAG_ERROR, f->path, title->pos.line, title->pos.col,
                 "'title' must be text, not %s", value_kind_name(title->kind));
    } else {
        p->title = title->as.string.text;
    }
    for (size_t i = 0; i < fm->as.map.count; i++) {
        const value_entry *e = &fm->as.map.entries[i];
        for (const char *const *k = computed_fields; *k; k++)
            if (strcmp(*k, e->key) == 0)
                diag_add(diags, DIAG_ERROR, f->path, e->key_pos.line, e->key_pos.col,
                         "'%s' is set by handbook itself; remove it from the front matter", e->key);
    }
    if (diags->errors > errors_before)
        return NULL;
    /* Schema mistakes leave the page in, so that its references and links
     * are checked in the same run. */
    schema_check(a, c, f->path, p->front_matter_line, fm, diags);
    p->url = expand_url(a, c->url_pattern, p->slug);
    p->output_path = output_path_of(a, p->url);
    p->is_home = strcmp(p->url, "/") == 0;
    return p;
}

static int compare_urls(const void *x, const void *y)
{
    return strcmp((*(page *const *)x)->url, (*(page *const *)y)->url);
}

page *pages_generated(arena *a, const char *url, const char *title, const char *layout,
                            source_pos layout_pos)
{
    page *p = arena_alloc(a, sizeof *p);
    p->url = url;
    p->output_path = output_path_of(a, url);
    p->title = title;
    p->layout = layout;
    p->layout_pos = layout_pos;
    p->front_matter = value_new_map(a, (source_pos){0});
    p->slug = "";
    p->body = "";
    return p;
}

static void describe(buf *out, const page *p)
{
    if (p->source_path)
        buf_append_str(out, p->source_path);
    else if (p->is_list)
        buf_printf(out, "the overview of collection '%s' (handbook.yaml:%u:%u)", p->collection->name,
                   (unsigned)p->collection->pos.line, (unsigned)p->collection->pos.col);
    else if (p->group)
        buf_printf(out, "the %s page '%s'", p->group->facet->title, p->title);
    else
        buf_append_str(out, "the 404 page");
}

/* The collection whose page file f is (and the file's name and extension
 * length), or NULL when f is no page. */
static const collection *page_file(const config *cfg, const source_file *f, const char **name,
                                   size_t *extension_len)
{
    size_t len = strlen(f->path);
    const collection *c = collection_of(cfg, f->path, name);
    *extension_len = 0;
    if (len > 3 && strcmp(f->path + len - 3, ".md") == 0)
        *extension_len = 3;
    else if (len > 5 && strcmp(f->path + len - 5, ".yaml") == 0)
        *extension_len = 5;
    return *extension_len > 0 ? c : NULL;
}

page *pages_read_one(arena *a, const config *cfg, const source_file *f, diag_list *diags)
{
    const char *name;
    size_t extension_len;
    const collection *c = page_file(cfg, f, &name, &extension_len);
    return c ? read_page(a, f, c, name, extension_len, diags) : NULL;
}

int pages_collect(arena *a, const source_tree *tree, site *s, diag_list *diags)
{
    size_t errors_before = diags->errors;
    const config *cfg = &s->config;
    page_list all = {0};
    for (size_t i = 0; i < tree->count; i++) {
        const source_file *f = &tree->files[i];
        const char *name;
        size_t extension_len;
        const collection *c = page_file(cfg, f, &name, &extension_len);
        if (c == NULL)
            continue;
        page *p = read_page(a, f, c, name, extension_len, diags);
        if (p != NULL)
            pages_add(a, &all, p);
        else
            strmap_put(&s->failed, f->path, (void *)f->path);
    }
    for (size_t i = 0; i < cfg->collection_count; i++) {
        const collection *c = &cfg->collections[i];
        if (c->list_url == NULL)
            continue;
        page *list = pages_generated(a, c->list_url, c->list_title, c->list_layout, c->list_layout_pos);
        list->collection = c;
        list->is_list = true;
        list->intro = c->list_intro;
        for (size_t k = 0; k < all.count; k++)
            if (all.items[k]->collection == c && !all.items[k]->is_list)
                list->entry_count++;
        list->entries = arena_alloc(a, (list->entry_count + 1) * sizeof *list->entries);
        size_t n = 0;
        for (size_t k = 0; k < all.count; k++)
            if (all.items[k]->collection == c && !all.items[k]->is_list)
                list->entries[n++] = all.items[k];
        resolve_sort_pages(list->entries, n);
        pages_add(a, &all, list);
    }
    /* Its errors are counted below with the rest; URL clashes are still
     * looked for in the same run. */
    resolve_site(a, cfg, &all, diags);
    pages_add(a, &all, pages_generated(a, "/404.html", "Pagina niet gevonden", "404", (source_pos){0}));

    /* Two sources may not share a URL. */
    strmap by_url = STRMAP_INIT;
    for (size_t i = 0; i < all.count; i++) {
        page *p = all.items[i];
        page *other = strmap_put(&by_url, p->url, p);
        if (other != NULL) {
            /* Name a contributor's file first: that is the one to rename. */
            const page *mine = p->source_path || !other->source_path ? p : other;
            const page *theirs = mine == p ? other : p;
            buf first = BUF_INIT, second = BUF_INIT;
            describe(&first, mine);
            describe(&second, theirs);
            diag_add(diags, DIAG_ERROR, mine->source_path ? mine->source_path : "handbook.yaml", 0,
                     0, "%s and %s both want the address %s; rename one of them", first.data,
                     second.data, p->url);
            buf_free(&first);
            buf_free(&second);
        }
        if (p->source_path)
            strmap_put(&s->by_source, p->source_path, p);
    }
    strmap_free(&by_url);
    qsort(all.items, all.count, sizeof *all.items, compare_urls);
    s->pages = all.items;
    s->page_count = all.count;
    return diags->errors > errors_before ? -1 : 0;
}
