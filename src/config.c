#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "suggest.h"
#include "yamlvalue.h"

typedef struct reader {
    arena *arena;
    diag_list *diags;
    bool failed;
} reader;

static void error_at(reader *r, source_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(reader *r, source_pos pos, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    diag_vadd(r->diags, DIAG_ERROR, CONFIG_FILE, pos.line, pos.col, fmt, args);
    va_end(args);
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

static const char *const type_names[] = {"string", "text", "number", "bool", "date",
                                         "year",   "url",  "enum",   "ref",  "list", NULL};

const char *config_type_name(field_type type)
{
    return type_names[type];
}

static int parse_type(reader *r, const value *v, field_type *out)
{
    if (v == NULL || v->kind != VALUE_STRING) {
        error_at(r, v ? v->pos : (source_pos){0}, "a field needs a type: one of %s",
                 "string, text, number, bool, date, year, url, enum, ref, list");
        return -1;
    }
    suggestion hint = suggest_begin(v->as.string.text);
    for (int i = 0; type_names[i]; i++) {
        if (strcmp(type_names[i], v->as.string.text) == 0) {
            *out = (field_type)i;
            return 0;
        }
        suggest_consider(&hint, type_names[i]);
    }
    if (hint.best)
        error_at(r, v->pos, "unknown type '%s'; did you mean '%s'?", v->as.string.text, hint.best);
    else
        error_at(r, v->pos, "unknown type '%s'; use one of %s", v->as.string.text,
                 "string, text, number, bool, date, year, url, enum, ref, list");
    return -1;
}

/* A field is written "name: type" or "name: {type: ..., required: true, ...}". */
static void read_field(reader *r, const value_entry *e, field *f, const char *collection_name)
{
    static const char *const keys[] = {"type", "of", "required", "default", "values", "to", NULL};
    f->name = e->key;
    f->pos = e->key_pos;
    const value *spec = e->value;
    if (spec->kind == VALUE_STRING) {
        parse_type(r, spec, &f->type);
        if (f->type == FIELD_ENUM || f->type == FIELD_REF || f->type == FIELD_LIST)
            error_at(r, spec->pos, "field '%s' of type %s needs more settings; write it as a map "
                                   "like {type: ref, to: schools}", e->key,
                     type_names[f->type]);
        return;
    }
    if (spec->kind != VALUE_MAP) {
        error_at(r, spec->pos, "field '%s' must be a type or a map like %s", e->key,
                 "{type: string, required: true}");
        return;
    }
    char where[200];
    snprintf(where, sizeof where, "field '%s' of collection '%s'", e->key, collection_name);
    check_keys(r, spec, keys, where);
    if (parse_type(r, value_map_get_str(spec, "type"), &f->type) < 0)
        return;
    field_type item = f->type;
    if (f->type == FIELD_LIST) {
        if (parse_type(r, value_map_get_str(spec, "of"), &f->item_type) < 0)
            return;
        item = f->item_type;
        if (item == FIELD_LIST)
            error_at(r, value_map_get_str(spec, "of")->pos, "lists of lists are not supported");
    }
    const value *required = value_map_get_str(spec, "required");
    if (required != NULL) {
        if (required->kind != VALUE_BOOL)
            error_at(r, required->pos, "'required' must be true or false");
        else
            f->required = required->as.boolean;
    }
    f->default_value = value_map_get_str(spec, "default");
    if (item == FIELD_ENUM) {
        const value *values = value_map_get_str(spec, "values");
        if (values == NULL || values->kind != VALUE_LIST || values->as.list.count == 0) {
            error_at(r, values ? values->pos : spec->pos,
                     "enum field '%s' needs 'values': the list of allowed values", e->key);
            return;
        }
        const char **list = arena_alloc(r->arena, (values->as.list.count + 1) * sizeof *list);
        for (size_t i = 0; i < values->as.list.count; i++) {
            const value *v = values->as.list.items[i];
            buf text = BUF_INIT;
            value_append_text(&text, v);
            list[i] = arena_strndup(r->arena, text.data, text.len);
            buf_free(&text);
        }
        f->values = list;
        f->value_count = values->as.list.count;
    }
    if (item == FIELD_REF)
        f->ref_name = get_string(r, spec, "to", true, where);
}

static void read_facets(reader *r, const value *facets, collection *c)
{
    static const char *const keys[] = {"field", "title", "slug", NULL};
    if (facets->kind != VALUE_LIST) {
        error_at(r, facets->pos, "'facets' of collection '%s' must be a list of %s", c->name,
                 "{field, title, slug}");
        return;
    }
    c->facets = arena_alloc(r->arena, (facets->as.list.count + 1) * sizeof *c->facets);
    for (size_t i = 0; i < facets->as.list.count; i++) {
        const value *item = facets->as.list.items[i];
        if (item->kind != VALUE_MAP) {
            error_at(r, item->pos, "a facet must be {field: ..., title: ..., slug: ...}");
            continue;
        }
        check_keys(r, item, keys, "a facet");
        const char *name = get_string(r, item, "field", true, "a facet");
        facet *f = &c->facets[c->facet_count];
        f->title = get_string(r, item, "title", true, "a facet");
        f->slug = get_string(r, item, "slug", true, "a facet");
        if (name == NULL || f->title == NULL || f->slug == NULL)
            continue;
        bool slug_ok = f->slug[0] != '\0';
        for (const char *ch = f->slug; *ch; ch++)
            slug_ok &= (*ch >= 'a' && *ch <= 'z') || (*ch >= '0' && *ch <= '9') || *ch == '-';
        if (!slug_ok) {
            error_at(r, value_map_get_str(item, "slug")->pos,
                     "the slug '%s' of a facet becomes part of its address; use lowercase letters, "
                     "digits and dashes, like 'regio'", f->slug);
            continue;
        }
        f->field = config_field(c, name);
        if (f->field == NULL) {
            suggestion hint = suggest_begin(name);
            for (size_t k = 0; k < c->field_count; k++)
                suggest_consider(&hint, c->fields[k].name);
            const value *v = value_map_get_str(item, "field");
            error_at(r, v->pos, "facet on '%s', which is not a field of this collection%s", name,
                     hint.best ? "; check the spelling" : "");
            continue;
        }
        field_type t = f->field->type == FIELD_LIST ? f->field->item_type : f->field->type;
        if (t != FIELD_ENUM && t != FIELD_REF && t != FIELD_STRING && t != FIELD_YEAR) {
            error_at(r, value_map_get_str(item, "field")->pos,
                     "facet on '%s': only string, year, enum and ref fields can be facets%s", name,
                     "");
            continue;
        }
        if (c->list_url == NULL) {
            error_at(r, item->pos, "facets of collection '%s' need its 'list' overview page",
                     c->name);
            continue;
        }
        c->facet_count++;
    }
}

const char *config_site_path(arena *a, const config *cfg, const char *path)
{
    size_t n = strlen(cfg->base_path), m = strlen(path + 1);
    char *full = arena_alloc_raw(a, n + m + 1);
    memcpy(full, cfg->base_path, n);
    memcpy(full + n, path + 1, m + 1);
    return full;
}

const collection *config_collection(const config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->collection_count; i++)
        if (strcmp(cfg->collections[i].name, name) == 0)
            return &cfg->collections[i];
    return NULL;
}

const field *config_field(const collection *c, const char *name)
{
    for (size_t i = 0; i < c->field_count; i++)
        if (strcmp(c->fields[i].name, name) == 0)
            return &c->fields[i];
    return NULL;
}

static void read_collection(reader *r, const value_entry *e, collection *c)
{
    static const char *const keys[] = {"folder", "url",    "layout",       "list",
                                       "fields", "facets", "facet_layout", NULL};
    static const char *const list_keys[] = {"url", "layout", "title", "intro", NULL};
    c->name = e->key;
    c->pos = e->key_pos;
    const value *map = e->value;
    if (map->kind != VALUE_MAP) {
        error_at(r, map->pos, "collection '%s' must be a map with folder, url and layout",
                 e->key);
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
    const value *fields = value_map_get_str(map, "fields");
    if (fields != NULL && fields->kind != VALUE_MAP) {
        error_at(r, fields->pos, "'fields' of collection '%s' must map names to types, like %s",
                 e->key, "title: {type: string, required: true}");
    } else if (fields != NULL) {
        c->field_count = fields->as.map.count;
        c->fields = arena_alloc(r->arena, (c->field_count + 1) * sizeof *c->fields);
        for (size_t i = 0; i < c->field_count; i++)
            read_field(r, &fields->as.map.entries[i], &c->fields[i], e->key);
    }
    c->facet_layout = get_string(r, map, "facet_layout", false, where);
    if (c->facet_layout == NULL)
        c->facet_layout = "facet";
    const value *list = value_map_get_str(map, "list");
    const value *facets = value_map_get_str(map, "facets");
    if (list == NULL) {
        if (facets != NULL)
            read_facets(r, facets, c);
        return;
    }
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
    if (facets != NULL)
        read_facets(r, facets, c);
}

/* Refs name collections, which may be declared in any order. */
static void resolve_refs(reader *r, config *cfg)
{
    for (size_t i = 0; i < cfg->collection_count; i++) {
        collection *c = &cfg->collections[i];
        for (size_t k = 0; k < c->field_count; k++) {
            field *f = &c->fields[k];
            if (f->ref_name == NULL)
                continue;
            f->ref_target = config_collection(cfg, f->ref_name);
            if (f->ref_target != NULL)
                continue;
            suggestion hint = suggest_begin(f->ref_name);
            for (size_t j = 0; j < cfg->collection_count; j++)
                suggest_consider(&hint, cfg->collections[j].name);
            if (hint.best)
                diag_add(r->diags, DIAG_ERROR, CONFIG_FILE, f->pos.line, f->pos.col,
                         "field '%s' refers to collection '%s', which does not exist; did you "
                         "mean '%s'?", f->name, f->ref_name, hint.best);
            else
                diag_add(r->diags, DIAG_ERROR, CONFIG_FILE, f->pos.line, f->pos.col,
                         "field '%s' refers to collection '%s', which does not exist", f->name,
                         f->ref_name);
            r->failed = true;
        }
    }
}

static void read_glossary(reader *r, const value *g, config *cfg)
{
    static const char *const keys[] = {"collection", "abbreviation", "definition", NULL};
    if (g->kind != VALUE_MAP) {
        error_at(r, g->pos, "'glossary' must be a map like %s",
                 "{collection: terms, abbreviation: abbreviation, definition: definition}");
        return;
    }
    check_keys(r, g, keys, "glossary");
    const char *name = get_string(r, g, "collection", true, "glossary");
    cfg->glossary.abbreviation_field = get_string(r, g, "abbreviation", false, "glossary");
    cfg->glossary.definition_field = get_string(r, g, "definition", true, "glossary");
    if (name == NULL)
        return;
    cfg->glossary.terms = config_collection(cfg, name);
    if (cfg->glossary.terms == NULL)
        error_at(r, value_map_get_str(g, "collection")->pos,
                 "the glossary's collection '%s' does not exist", name);
}

static void read_menu(reader *r, const value *menu, config *out)
{
    static const char *const keys[] = {"title", "url", NULL};
    if (menu->kind != VALUE_LIST) {
        error_at(r, menu->pos, "'menu' must be a list of {title, url} entries");
        return;
    }
    out->menu = arena_alloc(r->arena, (menu->as.list.count + 1) * sizeof *out->menu);
    for (size_t i = 0; i < menu->as.list.count; i++) {
        const value *item = menu->as.list.items[i];
        if (item->kind != VALUE_MAP) {
            error_at(r, item->pos, "a menu entry must be {title: ..., url: ...}");
            continue;
        }
        check_keys(r, item, keys, "a menu entry");
        const char *title = get_string(r, item, "title", true, "a menu entry");
        const char *url = check_site_path(r, item, "url", "a menu entry");
        if (title && url)
            out->menu[out->menu_count++] = (menu_item){title, url};
    }
}

/* edit_url and history_url: an http(s) address with {path} in it, once. */
static const char *read_source_url(reader *r, const value *root, const char *key,
                                   const char *example_tail)
{
    const char *url = get_string(r, root, key, false, "handbook.yaml");
    if (url == NULL)
        return NULL;
    const char *path = strstr(url, "{path}");
    bool ok = (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) &&
              path != NULL && strstr(path + 1, "{path}") == NULL;
    for (const char *p = url; ok && *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            ok = false;
    if (!ok) {
        source_pos pos = value_map_get_str(root, key)->pos;
        diag_add(r->diags, DIAG_ERROR, CONFIG_FILE, pos.line, pos.col,
                 "%s '%s' must be an address with {path} in it, like "
                 "https://git.example.org/handboek/%s",
                 key, url, example_tail);
        r->failed = true;
        return NULL;
    }
    return url;
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
    static const char *const keys[] = {"title",       "description", "language",
                                       "base_url",    "menu",        "collections",
                                       "glossary",    "edit_url",    "history_url", NULL};
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
                 "handbook.yaml needs 'collections': the folders of pages, each with %s",
                 "folder, url and layout");
        return -1;
    }
    out->collection_count = collections->as.map.count;
    out->collections = arena_alloc(a, out->collection_count * sizeof *out->collections);
    for (size_t i = 0; i < out->collection_count; i++)
        read_collection(&r, &collections->as.map.entries[i], &out->collections[i]);
    resolve_refs(&r, out);
    const value *glossary_settings = value_map_get_str(root, "glossary");
    if (glossary_settings != NULL)
        read_glossary(&r, glossary_settings, out);
    out->edit_url = read_source_url(&r, root, "edit_url", "-/edit/main/{path}");
    out->history_url = read_source_url(&r, root, "history_url", "-/commits/main/{path}");
    return r.failed ? -1 : 0;
}

const char *config_source_url(arena *a, const char *url_pattern, const char *path)
{
    static const char unreserved[] = "-._~/";
    buf b = BUF_INIT;
    const char *at = strstr(url_pattern, "{path}");
    buf_append(&b, url_pattern, (size_t)(at - url_pattern));
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr(unreserved, *p))
            buf_append_char(&b, (char)*p);
        else
            buf_printf(&b, "%%%02X", *p);
    }
    buf_append_str(&b, at + strlen("{path}"));
    const char *url = arena_strndup(a, b.data, b.len);
    buf_free(&b);
    return url;
}
