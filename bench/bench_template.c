/* bench_template - renders a realistic page layout (a base layout, three
 * partials, sections over a list of 50 items) 100,000 times and prints renders
 * per second and MB/s; then shows that the time per output byte stays flat as
 * the list grows (rendering is linear in output size). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "template.h"
#include "value.h"

static const char base_layout[] =
    "<!doctype html>\n"
    "<html lang=\"{{site.language}}\">\n"
    "<head>\n"
    "  <meta charset=\"utf-8\">\n"
    "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "  <title>{{page.title}} · {{site.title}}</title>\n"
    "  <link rel=\"stylesheet\" href=\"{{site.base_path}}assets/style.css\">\n"
    "</head>\n"
    "<body>\n"
    "  {{>header}}\n"
    "  {{>nav}}\n"
    "  <main id=\"inhoud\">\n"
    "    {{$content}}\n"
    "    {{/content}}\n"
    "  </main>\n"
    "  {{>footer}}\n"
    "</body>\n"
    "</html>\n";

static const char header_partial[] =
    "<header class=\"site-header\">\n"
    "  <a class=\"skip\" href=\"#inhoud\">Naar de inhoud</a>\n"
    "  <a class=\"brand\" href=\"{{site.base_path}}\">{{site.title}}</a>\n"
    "</header>\n";

static const char nav_partial[] =
    "<nav aria-label=\"Hoofdmenu\">\n"
    "  <ul>\n"
    "  {{#site.menu}}\n"
    "    <li><a href=\"{{site.base_path}}{{url}}\"{{#current}} aria-current=\"page\"{{/current}}>{{title}}</a></li>\n"
    "  {{/site.menu}}\n"
    "  </ul>\n"
    "</nav>\n";

static const char footer_partial[] =
    "<footer>\n"
    "  <p>Laatst gewijzigd op {{page.updated}}.{{#page.edit_url}} <a href=\"{{.}}\">Bewerk deze pagina</a>{{/page.edit_url}}</p>\n"
    "</footer>\n";

static const char list_page[] =
    "{{<base}}\n"
    "{{$content}}\n"
    "<h1>{{page.title}}</h1>\n"
    "{{{page.content}}}\n"
    "<ul class=\"cards\">\n"
    "{{#page.items}}\n"
    "  <li class=\"card\">\n"
    "    <h2><a href=\"{{url}}\">{{title}}</a></h2>\n"
    "    <p>{{summary}}</p>\n"
    "    <p class=\"meta\">{{region}} · {{#models}}<span>{{.}}</span> {{/models}}</p>\n"
    "    {{^summary}}<p>Geen samenvatting.</p>{{/summary}}\n"
    "  </li>\n"
    "{{/page.items}}\n"
    "</ul>\n"
    "{{/content}}\n"
    "{{/base}}\n";

static value *str(arena *a, const char *s)
{
    return value_new_string(a, s, strlen(s), (source_pos){0});
}

static value *make_context(arena *a, int item_count)
{
    source_pos p = {0};
    value *site = value_new_map(a, p);
    value_map_put(a, site, "title", 5, p, str(a, "Handboek Integraal Arrangeren"));
    value_map_put(a, site, "language", 8, p, str(a, "nl"));
    value_map_put(a, site, "base_path", 9, p, str(a, "/handboek/"));
    value *menu = value_new_list(a, p);
    const char *titles[] = {"Start", "Modellen", "Procesgids", "Praktijkvoorbeelden", "Begrippen"};
    for (int i = 0; i < 5; i++) {
        value *item = value_new_map(a, p);
        value_map_put(a, item, "title", 5, p, str(a, titles[i]));
        value_map_put(a, item, "url", 3, p, str(a, "praktijkvoorbeelden/"));
        value_map_put(a, item, "current", 7, p, value_new_bool(a, i == 3, p));
        value_list_push(a, menu, item);
    }
    value_map_put(a, site, "menu", 4, p, menu);

    value *page = value_new_map(a, p);
    value_map_put(a, page, "title", 5, p, str(a, "Praktijkvoorbeelden"));
    value_map_put(a, page, "updated", 7, p, str(a, "26 april 2022"));
    value_map_put(a, page, "edit_url", 8, p, str(a, "https://example.org/edit/practices/"));
    value_map_put(a, page, "content", 7, p,
                  str(a, "<p>Scholen, jeugdhulp en gemeenten laten zien hoe zij samen "
                         "arrangeren.</p>\n"));
    value *items = value_new_list(a, p);
    for (int i = 0; i < item_count; i++) {
        value *item = value_new_map(a, p);
        value_map_put(a, item, "title", 5, p, str(a, "Startklassen in Parkstad & omgeving"));
        value_map_put(a, item, "url", 3, p, str(a, "/handboek/praktijkvoorbeelden/startklassen-parkstad/"));
        value_map_put(a, item, "summary", 7, p,
                      str(a, "Een startklas geeft kinderen met een ondersteuningsvraag een "
                             "zachte start op school, met onderwijs en jeugdhulp in één team."));
        value_map_put(a, item, "region", 6, p, str(a, "Zuid-Limburg"));
        value *models = value_new_list(a, p);
        value_list_push(a, models, str(a, "startklas"));
        value_list_push(a, models, str(a, "doelgroeparrangement"));
        value_map_put(a, item, "models", 6, p, models);
        value_list_push(a, items, item);
    }
    value_map_put(a, page, "items", 5, p, items);
    value *root = value_new_map(a, p);
    value_map_put(a, root, "site", 4, p, site);
    value_map_put(a, root, "page", 4, p, page);
    return root;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Renders count times; returns seconds and stores the bytes of one render. */
static double run(const template_set *set, const template *page, const value *ctx, int count,
                  size_t *bytes)
{
    buf out = BUF_INIT;
    diag_list diags = DIAG_LIST_INIT;
    double start = now();
    for (int i = 0; i < count; i++) {
        buf_clear(&out);
        if (template_render(set, page, ctx, TEMPLATE_MISSING_IS_ERROR, &out, &diags) < 0) {
            diag_print(&diags, stderr, false);
            break;
        }
    }
    double seconds = now() - start;
    *bytes = out.len;
    buf_free(&out);
    diag_list_free(&diags);
    return seconds;
}

int main(void)
{
    template_set *set = template_set_new();
    diag_list diags = DIAG_LIST_INIT;
    template_set_add(set, "base", "base.mustache", base_layout, strlen(base_layout), &diags);
    template_set_add(set, "header", "header.mustache", header_partial, strlen(header_partial), &diags);
    template_set_add(set, "nav", "nav.mustache", nav_partial, strlen(nav_partial), &diags);
    template_set_add(set, "footer", "footer.mustache", footer_partial, strlen(footer_partial), &diags);
    const template *page =
        template_set_add(set, "list", "list.mustache", list_page, strlen(list_page), &diags);
    if (page == NULL || template_set_check_references(set, &diags) < 0) {
        diag_print(&diags, stderr, false);
        return 1;
    }
    arena a = ARENA_INIT;
    const int renders = 100000;
    size_t bytes;
    double seconds = run(set, page, make_context(&a, 50), renders, &bytes);
    printf("template: base layout + 3 partials + 50 list items, %d renders of %zu bytes\n",
           renders, bytes);
    printf("template: %.3f s, %.0f renders/s, %.1f MB/s\n", seconds, renders / seconds,
           (double)bytes * renders / seconds / 1e6);

    printf("template: linearity (time per output byte as the list grows)\n");
    int sizes[] = {50, 500, 5000};
    for (int k = 0; k < 3; k++) {
        int count = 5000000 / (sizes[k] * 10);
        double s = run(set, page, make_context(&a, sizes[k]), count, &bytes);
        printf("template:   %5d items: %8zu bytes/render, %.2f ns/byte\n", sizes[k], bytes,
               s * 1e9 / ((double)bytes * count));
    }
    arena_free(&a);
    diag_list_free(&diags);
    template_set_free(set);
    return 0;
}
