/* Unit tests of the template engine beyond the spec: escaping, error messages
 * at file:line:col, the limits, and reuse of a compiled template. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "template.h"
#include "testlib.h"
#include "yamlvalue.h"

/* Parses YAML test data into a value. */
static value *data(arena *a, const char *yaml)
{
    diag_list diags = DIAG_LIST_INIT;
    value *v = NULL;
    if (yamlvalue_parse(a, "data.yaml", yaml, strlen(yaml), 1, &diags, &v) < 0)
        v = NULL;
    diag_list_free(&diags);
    return v;
}

/* Compiles the partials (name, source pairs, NULL-terminated) and the page,
 * renders it with missing partials as errors, and returns the output or the
 * first diagnostic, formatted ("page.mustache:1:2: error: ..."). */
static char *render_with(const char *yaml, const char *source, const char *const *partials)
{
    arena a = ARENA_INIT;
    template_set *set = template_set_new();
    diag_list diags = DIAG_LIST_INIT;
    for (size_t i = 0; partials && partials[i]; i += 2) {
        char file[128];
        snprintf(file, sizeof file, "layouts/%s.mustache", partials[i]);
        template_set_add(set, partials[i], file, partials[i + 1], strlen(partials[i + 1]), &diags);
    }
    const template *page =
        template_set_add(set, "page", "page.mustache", source, strlen(source), &diags);
    buf out = BUF_INIT;
    if (page != NULL && diags.errors == 0)
        template_render(set, page, data(&a, yaml), TEMPLATE_MISSING_IS_ERROR, &out, &diags);
    char *result;
    if (diags.count > 0) {
        result = diag_format(&diags.items[0]);
        buf_free(&out);
    } else {
        result = buf_detach(&out);
    }
    diag_list_free(&diags);
    template_set_free(set);
    arena_free(&a);
    return result;
}

static char *render(const char *yaml, const char *source)
{
    return render_with(yaml, source, NULL);
}

#define CHECK_RENDER(yaml, source, expected)                                                       \
    do {                                                                                           \
        char *out_ = render(yaml, source);                                                         \
        CHECK_STR(out_, expected);                                                                 \
        free(out_);                                                                                \
    } while (0)

#define CHECK_RENDER_WITH(yaml, source, partials, expected)                                        \
    do {                                                                                           \
        char *out_ = render_with(yaml, source, partials);                                          \
        CHECK_STR(out_, expected);                                                                 \
        free(out_);                                                                                \
    } while (0)

static void escapes_html_including_single_quote(void)
{
    CHECK_RENDER("x: \"<a href='x' title=\\\"t\\\">&</a>\"", "{{x}}",
                 "&lt;a href=&#39;x&#39; title=&quot;t&quot;&gt;&amp;&lt;/a&gt;");
    CHECK_RENDER("x: \"<b>'&'</b>\"", "{{{x}}}|{{&x}}", "<b>'&'</b>|<b>'&'</b>");
    /* Numbers and dates are escaped text too (nothing to escape, but no crash). */
    CHECK_RENDER("n: 1.210\nd: 2022-04-26\nb: true", "{{n}} {{d}} {{b}}", "1.21 2022-04-26 true");
}

static void looks_up_dotted_names_and_iterates(void)
{
    CHECK_RENDER("site: {title: Handboek}\npage: {title: Startklassen, url: /p/}",
                 "<title>{{page.title}} - {{site.title}}</title>", "<title>Startklassen - Handboek</title>");
    CHECK_RENDER("items: [{name: a}, {name: b}]", "{{#items}}<li>{{name}}</li>{{/items}}",
                 "<li>a</li><li>b</li>");
    CHECK_RENDER("items: []\nempty: ''", "{{^items}}geen{{/items}}{{#empty}}x{{/empty}}", "geen");
}

static void layouts_extend_a_base_page(void)
{
    const char *const partials[] = {
        "base",
        "<html>\n<body>\n  <main>\n    {{$content}}\n    {{/content}}\n  </main>\n</body>\n</html>\n",
        NULL};
    CHECK_RENDER_WITH("page: {title: T}",
                      "{{<base}}\n{{$content}}\n<h1>{{page.title}}</h1>\n<p>x</p>\n{{/content}}\n{{/base}}\n",
                      partials,
                      "<html>\n<body>\n  <main>\n    <h1>T</h1>\n    <p>x</p>\n  </main>\n</body>\n</html>\n");
}

static void renders_a_compiled_template_many_times(void)
{
    arena a = ARENA_INIT;
    template_set *set = template_set_new();
    diag_list diags = DIAG_LIST_INIT;
    const char *src = "{{#items}}{{.}},{{/items}}";
    const template *t = template_set_add(set, "t", "t.mustache", src, strlen(src), &diags);
    CHECK(t != NULL);
    value *one = data(&a, "items: [1, 2]"), *two = data(&a, "items: [x]");
    for (int round = 0; round < 3; round++) {
        buf out = BUF_INIT;
        CHECK(template_render(set, t, round % 2 ? two : one, TEMPLATE_MISSING_IS_ERROR, &out,
                              &diags) == 0);
        CHECK_STR(out.data, round % 2 ? "x," : "1,2,");
        buf_free(&out);
    }
    CHECK(diags.count == 0);
    diag_list_free(&diags);
    template_set_free(set);
    arena_free(&a);
}

static void reports_syntax_errors_at_file_line_col(void)
{
    CHECK_RENDER("{}", "<p>\n  {{#items}}\n  x\n",
                 "page.mustache:2:3: error: {{#items}} is opened here but never closed; "
                 "add {{/items}} where it should end");
    CHECK_RENDER("{}", "{{#a}}{{#b}}{{/a}}{{/b}}",
                 "page.mustache:1:13: error: closing tag {{/a}} does not match {{#b}} opened at "
                 "1:7; close it first with {{/b}}");
    CHECK_RENDER("{}", "x\n{{/a}}",
                 "page.mustache:2:1: error: closing tag {{/a}} has no opening tag; remove it or "
                 "add {{#a}} before it");
    CHECK_RENDER("{}", "Hallo {{name",
                 "page.mustache:1:7: error: unterminated tag: no '}}' closes it; close the tag "
                 "or remove the stray opening delimiter");
    CHECK_RENDER("{}", "{{=<% %>=}}\né <% name",
                 "page.mustache:2:3: error: unterminated tag: no '%>' closes it; close the tag "
                 "or remove the stray opening delimiter");
    CHECK_RENDER("{}", "a {{= <% =}}",
                 "page.mustache:1:3: error: bad delimiter change; write it as {{=<% %>=}}: two "
                 "delimiters of at most 31 characters, separated by a space, without spaces or "
                 "'=' in them");
    CHECK_RENDER("{}", "{{ }}", "page.mustache:1:1: error: empty tag: write a name between {{ and }}");
    CHECK_RENDER("{}", "{{page title}}",
                 "page.mustache:1:1: error: the name of this tag contains a space; names are "
                 "single words like page.title");
    CHECK_RENDER("{}", "{{<base}}{{$content}}x{{/base}}",
                 "page.mustache:1:23: error: closing tag {{/base}} does not match {{$content}} "
                 "opened at 1:10; close it first with {{/content}}");
}

static void reports_unknown_partials_and_parents(void)
{
    arena a = ARENA_INIT;
    template_set *set = template_set_new();
    diag_list diags = DIAG_LIST_INIT;
    const char *base = "<main>{{$content}}{{/content}}</main>";
    const char *page = "{{>heder}}\n{{<bsae}}{{/bsae}}\n{{>footer}}";
    template_set_add(set, "base", "layouts/base.mustache", base, strlen(base), &diags);
    template_set_add(set, "header", "layouts/header.mustache", "h", 1, &diags);
    template_set_add(set, "page", "layouts/page.mustache", page, strlen(page), &diags);
    CHECK(diags.count == 0);
    CHECK(template_set_check_references(set, &diags) == -1);
    CHECK(diags.count == 3);
    if (diags.count == 3) {
        char *m0 = diag_format(&diags.items[0]), *m1 = diag_format(&diags.items[1]),
             *m2 = diag_format(&diags.items[2]);
        CHECK_STR(m0, "layouts/page.mustache:1:1: error: unknown partial 'heder'; did you mean 'header'?");
        CHECK_STR(m1, "layouts/page.mustache:2:1: error: unknown parent 'bsae'; did you mean 'base'?");
        CHECK_STR(m2, "layouts/page.mustache:3:1: error: unknown partial 'footer'; add "
                      "layouts/footer.mustache or fix the name");
        free(m0), free(m1), free(m2);
    }
    /* A dynamic name that finds nothing is an error while rendering. */
    diag_list_free(&diags);
    const char *dyn = "x\n  {{>*kind}}";
    const template *t = template_set_add(set, "dyn", "layouts/dyn.mustache", dyn, strlen(dyn), &diags);
    buf out = BUF_INIT;
    CHECK(template_render(set, t, data(&a, "kind: praktijk"), TEMPLATE_MISSING_IS_ERROR, &out,
                          &diags) == -1);
    CHECK(diags.count == 1);
    if (diags.count == 1) {
        char *m = diag_format(&diags.items[0]);
        CHECK_STR(m, "layouts/dyn.mustache:2:3: error: unknown partial 'praktijk'");
        free(m);
    }
    buf_free(&out);
    diag_list_free(&diags);
    template_set_free(set);
    arena_free(&a);
}

static void self_including_partial_is_an_error(void)
{
    const char *const self[] = {"loop", "a\n{{>loop}}", NULL};
    CHECK_RENDER_WITH("{}", "{{>loop}}", self,
                      "layouts/loop.mustache:2:1: error: templates nested more than 32 deep at "
                      "'loop'; does it include itself?");
    const char *const mutual[] = {"a", "{{>b}}", "b", "{{<a}}{{/a}}", NULL};
    CHECK_RENDER_WITH("{}", "{{>a}}", mutual,
                      "layouts/b.mustache:1:1: error: templates nested more than 32 deep at 'a'; "
                      "does it include itself?");
    /* A block argument that contains its own block again. */
    const char *const base[] = {"base", "{{$a}}{{/a}}", NULL};
    char *out = render_with("{}", "{{<base}}{{$a}}[{{$a}}x{{/a}}]{{/a}}{{/base}}", base);
    CHECK_CONTAINS(out, "error: templates nested more than 32 deep at 'a'");
    free(out);
    /* Recursion that the data ends is fine. */
    const char *const tree[] = {"node", "{{name}}({{#children}}{{>node}}{{/children}})", NULL};
    CHECK_RENDER_WITH("name: a\nchildren: [{name: b, children: [{name: c, children: []}]}]",
                      "{{>node}}", tree,
                      "a(b(c()))");
}

static void limits_output_and_work(void)
{
    /* Ten partials, each including the next ten times: 10^10 copies. */
    const char *const laughs[] = {
        "l0", "{{>l1}}{{>l1}}{{>l1}}{{>l1}}{{>l1}}{{>l1}}{{>l1}}{{>l1}}{{>l1}}{{>l1}}",
        "l1", "{{>l2}}{{>l2}}{{>l2}}{{>l2}}{{>l2}}{{>l2}}{{>l2}}{{>l2}}{{>l2}}{{>l2}}",
        "l2", "{{>l3}}{{>l3}}{{>l3}}{{>l3}}{{>l3}}{{>l3}}{{>l3}}{{>l3}}{{>l3}}{{>l3}}",
        "l3", "{{>l4}}{{>l4}}{{>l4}}{{>l4}}{{>l4}}{{>l4}}{{>l4}}{{>l4}}{{>l4}}{{>l4}}",
        "l4", "{{>l5}}{{>l5}}{{>l5}}{{>l5}}{{>l5}}{{>l5}}{{>l5}}{{>l5}}{{>l5}}{{>l5}}",
        "l5", "{{>l6}}{{>l6}}{{>l6}}{{>l6}}{{>l6}}{{>l6}}{{>l6}}{{>l6}}{{>l6}}{{>l6}}",
        "l6", "{{>l7}}{{>l7}}{{>l7}}{{>l7}}{{>l7}}{{>l7}}{{>l7}}{{>l7}}{{>l7}}{{>l7}}",
        "l7", "0123456789012345678901234567890123456789012345678901234567890123456789", NULL};
    char *out = render_with("{}", "{{>l0}}", laughs);
    CHECK_CONTAINS(out, "error: the rendered page is larger than 64 MiB; is a partial repeating itself?");
    free(out);
    /* Loops inside loops that write nothing still stop. */
    buf list = BUF_INIT;
    buf_append_str(&list, "l: [");
    for (int i = 0; i < 1000; i++)
        buf_append_str(&list, i ? ",1" : "1");
    buf_append_str(&list, "]");
    out = render(list.data, "{{#l}}{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}{{/l}}{{/l}}");
    CHECK_STR(out, "page.mustache:1:19: error: rendering takes more than 50 million steps; "
                   "is a loop nested too deeply?");
    free(out);
    buf_free(&list);
}

static void limits_template_size_and_nesting(void)
{
    buf big = BUF_INIT;
    while (big.len <= TEMPLATE_MAX_SIZE)
        buf_append_str(&big, "<p>{{x}}</p>\n");
    char *out = render("{}", big.data);
    CHECK_CONTAINS(out, "page.mustache: error: template of ");
    CHECK_CONTAINS(out, "bytes is larger than the limit of 1048576 bytes; split it into partials");
    free(out);
    buf_clear(&big);
    for (int i = 0; i <= TEMPLATE_MAX_NESTING; i++)
        buf_append_str(&big, "{{#a}}");
    out = render("{}", big.data);
    CHECK_STR(out, "page.mustache:1:385: error: sections nested more than 64 deep; split the "
                   "template into partials");
    free(out);
    buf_free(&big);
}

int main(void)
{
    RUN(escapes_html_including_single_quote);
    RUN(looks_up_dotted_names_and_iterates);
    RUN(layouts_extend_a_base_page);
    RUN(renders_a_compiled_template_many_times);
    RUN(reports_syntax_errors_at_file_line_col);
    RUN(reports_unknown_partials_and_parents);
    RUN(self_including_partial_is_an_error);
    RUN(limits_output_and_work);
    RUN(limits_template_size_and_nesting);
    return test_summary();
}
