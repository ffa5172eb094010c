#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "suggest.h"
#include "yamlvalue.h"

typedef struct reader {
    arena *arena;
    diag_list *diags;
    bool failed;
} reader;

static void error_at(reader *r, source_pos pos, const char *fmt, const char *a, const char *b)
{
    diag_add(r->diags, DIAG_ERROR, CONFIG_FILE, pos.line, pos.col, fmt, a, b);
    r->failed = true;
}

/* Reports keys of map that are not in allowed, with a hint for typos. */
static void check_keys(reader *r, const value *map, const char *const *allowed, const char *where)
{
    for (size_t i = 0; i < map->as.map.count; i++) {
        const value_entry *e = &map->as.map.entries[i];
        bool known = false;
        suggestion hint = suggest_begin(e->key);
        for (const char *const *k = allowed; *k; k++) {
            if (strcmp(*k, e->key) == 0)
                known = true;
            suggest_consider(&hint, *k);
        }
        if (known)
            continue;
        if (hint.best)
            diag_add(r->diags, DIAG_ERROR, CONFIG_FILE, e->key_pos.line, e->key_pos.col,
                     "unknown setting '%s' in %s; did you mean '%s'?", e->key, where, hint.best);
        else
            diag_add(r->diags, DIAG_ERROR, CONFIG_FILE, e->key_pos.line, e->key_pos.col,
                     "unknown setting '%s' in %s; remove it", e->key, where);
        r->failed = true;
    }
}

/* Returns the string under key, or NULL (with an error when required). */
static const char *get_string(reader *r, const value *map, const char *key, bool required,
                              const char *where)
{
    const value *v = value_map_get_str(map, key);
    if (v == NULL) {
        /* A misspelt key already got a "did you mean" for this one. */
        bool misspelt = false;
        for (size_t i = 0; i < map->as.map.count; i++) {
            suggestion hint = suggest_begin(map->as.map.entries[i].key);
            suggest_consider(&hint, key);
            misspelt |= hint.best != NULL;
        }
        if (required && !misspelt)
            error_at(r, map->pos, "%s needs a setting '%s'", where, key);
        return NULL;
    }
    if (v->kind != VALUE_STRING) {
        diag_add(r->diags, DIAG_ERROR, CONFIG_FILE, v->pos.line, v->pos.col,
                 "'%s' must be text, not %s", key, value_kind_name(v->kind));
        r->failed = true;
        return NULL;
    }
    return v->as.string.text;
}

static bool is_site_path(const char *url)
{
    if (url[0] != '/')
        return false;
    for (const char *p = url; *p; p++) {
        if (*p == '\\' || (unsigned char)*p < 0x20 || *p == '?' || *p == '#')
            return false;
        if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
            return false;
    }
    return true;
}

static const char *check_site_path(reader *r, const value *map, const char *key,
                                   const char *where)
{
    const char *url = get_string(r, map, key, true, where);
    if (url == NULL)
        return NULL;
    if (!is_site_path(url) || strstr(url, "//") != NULL) {
        const value *v = value_map_get_str(map, key);
        error_at(r, v->pos, "'%s' must be a path on the site starting with '/', like %s", url,
                 "/praktijkvoorbeelden/:slug/");
        return NULL;
    }
    return url;
}

static void read_collection(reader *r, const value_entry *e, collection *c)
{
    static const char *const keys[] = {"folder", "url", "layout", "list", NULL};
    static const char *const list_keys[] = {"url", "layout", "title", "intro", NULL};
    c->name = e->key;
    c->pos = e->key_pos;
    const value *map = e->value;
    if (map->kind != VALUE_MAP) {
        error_at(r, map->pos, "collection '%s' must be a map with folder, url and layout%s",
                 e->key, "");
        return;
    }
    char where[160];
    snprintf(where, sizeof where, "collection '%s'", e->key);
    check_keys(r, map, keys, where);
    const char *folder = get_string(r, map, "folder", true, where);
    if (folder != NULL) {
        size_t len = strlen(folder);
        while (len > 0 && folder[len - 1] == '/')
            len--;
        c->folder = arena_strndup(r->arena, folder, len);
        if (len == 0 || folder[0] == '/' || strstr(c->folder, "..") != NULL)
            error_at(r, value_map_get_str(map, "folder")->pos,
                     "folder '%s' must be a folder inside the repository, like '%s'", folder,
                     "practices");
    }
    c->url_pattern = check_site_path(r, map, "url", where);
    if (c->url_pattern != NULL && strstr(c->url_pattern, ":slug") == NULL)
        error_at(r, value_map_get_str(map, "url")->pos,
                 "url '%s' must contain :slug, the file name of each page, like %s",
                 c->url_pattern, "/praktijkvoorbeelden/:slug/");
    c->layout = get_string(r, map, "layout", true, where);
    if (c->layout)
        c->layout_pos = value_map_get_str(map, "layout")->pos;
    const value *list = value_map_get_str(map, "list");
    if (list == NULL)
        return;
    if (list->kind != VALUE_MAP) {
        error_at(r, list->pos, "'list' of collection '%s' must be a map with url, layout and %s",
                 e->key, "title");
        return;
    }
    snprintf(where, sizeof where, "the list of collection '%s'", e->key);
    check_keys(r, list, list_keys, where);
    c->list_url = check_site_path(r, list, "url", where);
    c->list_layout = get_string(r, list, "layout", true, where);
    if (c->list_layout)
        c->list_layout_pos = value_map_get_str(list, "layout")->pos;
    c->list_title = get_string(r, list, "title", true, where);
    c->list_intro = get_string(r, list, "intro", false, where);
}

static void read_menu(reader *r, const value *menu, config *out)
{
    static const char *const keys[] = {"title", "url", NULL};
    if (menu->kind != VALUE_LIST) {
        error_at(r, menu->pos, "'menu' must be a list of {title, url} entries%s%s", "", "");
        return;
    }
    out->menu = arena_alloc(r->arena, (menu->as.list.count + 1) * sizeof *out->menu);
    for (size_t i = 0; i < menu->as.list.count; i++) {
        const value *item = menu->as.list.items[i];
        if (item->kind != VALUE_MAP) {
            error_at(r, item->pos, "a menu entry must be {title: ..., url: ...}%s%s", "", "");
            continue;
        }
        check_keys(r, item, keys, "a menu entry");
        const char *title = get_string(r, item, "title", true, "a menu entry");
        const char *url = check_site_path(r, item, "url", "a menu entry");
        if (title && url)
            out->menu[out->menu_count++] = (menu_item){title, url};
    }
}

/* base_url must be an absolute http(s) address; it is stored with a trailing
 * slash, and its path becomes base_path. */
static void set_base_url(reader *r, const char *url, source_pos pos, config *out)
{
    const char *rest = NULL;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    bool ok = rest != NULL && rest[0] != '\0' && rest[0] != '/';
    for (const char *p = url; ok && *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '<' || *p == '>' || *p == '\\' ||
            *p == '?' || *p == '#')
            ok = false;
    if (!ok) {
        diag_add(r->diags, DIAG_ERROR, pos.file ? CONFIG_FILE : "--base-url", pos.line, pos.col,
                 "base_url '%s' must be an absolute address like https://example.org/handboek/",
                 url);
        r->failed = true;
        return;
    }
    size_t len = strlen(url);
    buf b = BUF_INIT;
    buf_append(&b, url, len);
    if (len == 0 || url[len - 1] != '/')
        buf_append_char(&b, '/');
    out->base_url = arena_strndup(r->arena, b.data, b.len);
    buf_free(&b);
    const char *path = strchr(out->base_url + (rest - url), '/');
    out->base_path = path;
}

int config_load(arena *a, const char *text, size_t len, const char *base_url_override,
                config *out, diag_list *diags)
{
    static const char *const keys[] = {"title", "description", "language", "base_url",
                                       "menu", "collections", NULL};
    memset(out, 0, sizeof *out);
    reader r = {a, diags, false};
    value *root;
    if (yamlvalue_parse(a, CONFIG_FILE, text, len, 1, diags, &root) < 0)
        return -1;
    out->root = root;
    if (root->kind != VALUE_MAP) {
        diag_add(diags, DIAG_ERROR, CONFIG_FILE, root->pos.line, root->pos.col,
                 "handbook.yaml must hold settings as 'name: value' lines");
        return -1;
    }
    check_keys(&r, root, keys, "handbook.yaml");
    out->title = get_string(&r, root, "title", true, "handbook.yaml");
    out->description = get_string(&r, root, "description", false, "handbook.yaml");
    if (out->description == NULL)
        out->description = "";
    out->language = get_string(&r, root, "language", false, "handbook.yaml");
    if (out->language == NULL)
        out->language = "nl";
    if (base_url_override != NULL) {
        set_base_url(&r, base_url_override, (source_pos){0}, out);
    } else {
        const char *base_url = get_string(&r, root, "base_url", true, "handbook.yaml");
        if (base_url)
            set_base_url(&r, base_url, value_map_get_str(root, "base_url")->pos, out);
    }
    const value *menu = value_map_get_str(root, "menu");
    if (menu)
        read_menu(&r, menu, out);
    const value *collections = value_map_get_str(root, "collections");
    if (collections == NULL || collections->kind != VALUE_MAP ||
        collections->as.map.count == 0) {
        error_at(&r, collections ? collections->pos : root->pos,
                 "handbook.yaml needs 'collections': the folders of pages, each with %s%s",
                 "folder, url and layout", "");
        return -1;
    }
    out->collection_count = collections->as.map.count;
    out->collections = arena_alloc(a, out->collection_count * sizeof *out->collections);
    for (size_t i = 0; i < out->collection_count; i++)
        read_collection(&r, &collections->as.map.entries[i], &out->collections[i]);
    return r.failed ? -1 : 0;
}
