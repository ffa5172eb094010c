/* fuzz_page - libFuzzer target for what a contributor pushes: one Markdown
 * file with YAML front matter, read as the parse and render stages read it
 * (UTF-8 check, front matter split, YAML, schema check, Markdown with link
 * rewriting). Any crash, leak, hang or undefined behaviour is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "markdown.h"
#include "schema.h"
#include "yamlvalue.h"

static const char settings[] =
    "title: Fuzz\n"
    "base_url: https://example.org/\n"
    "collections:\n"
    "  regions: {folder: content/regions, url: /regios/:slug/, layout: page}\n"
    "  practices:\n"
    "    folder: practices\n"
    "    url: /p/:slug/\n"
    "    layout: page\n"
    "    fields:\n"
    "      title: {type: string, required: true}\n"
    "      region: {type: ref, to: regions}\n"
    "      tags: {type: list, of: enum, values: [a, b]}\n"
    "      year: year\n"
    "      date: date\n"
    "      site: url\n"
    "      flag: bool\n"
    "      count: {type: number, default: 3}\n";

static int resolve(void *ctx, const char *path, buf *url)
{
    (void)ctx;
    if (strcmp(path, "practices/b.md") != 0)
        return -1;
    buf_append_str(url, "/p/b/");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    arena a = ARENA_INIT;
    diag_list diags = DIAG_LIST_INIT;
    config cfg;
    if (config_load(&a, settings, sizeof settings - 1, NULL, &cfg, &diags) < 0)
        __builtin_trap(); /* the fixed settings must load */
    const collection *practices = config_collection(&cfg, "practices");
    markdown_parts parts;
    if (markdown_check_utf8("practices/a.md", text, size, 1, &diags) == 0 &&
        markdown_split_front_matter("practices/a.md", text, size, &parts, &diags) == 0) {
        value *fm = NULL;
        if (parts.has_front_matter &&
            yamlvalue_parse(&a, "practices/a.md", parts.front_matter, parts.front_matter_len,
                            parts.front_matter_line, &diags, &fm) == 0 &&
            fm->kind == VALUE_MAP)
            schema_check(&a, practices, "practices/a.md", parts.front_matter_line, fm, &diags);
        markdown_link_resolver resolver = {resolve, NULL, NULL};
        markdown_result md = MARKDOWN_RESULT_INIT;
        markdown_render(&a, "practices/a.md", parts.body, parts.body_len, parts.body_line,
                        &resolver, &md, &diags);
        markdown_result_free(&md);
    }
    diag_list_free(&diags);
    arena_free(&a);
    return 0;
}
