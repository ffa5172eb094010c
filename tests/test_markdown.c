/* Tests of the Markdown stage: front matter, GFM rendering, safety, heading
 * ids, repository-path links and every error with its position. */
#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "suggest.h"
#include "testlib.h"

/* ---- a tiny handbook for the resolver ---------------------------------- */

static const char *const pages[][2] = {
    {"content/models/startklas.md", "/handboek/modellen/startklas/"},
    {"content/models/doelgroeparrangement.md", "/handboek/modellen/doelgroeparrangement/"},
    {"content/guides/fasen.md", "/handboek/proces/fasen/"},
    {"content/regions/parkstad.yaml", "/handboek/regios/parkstad/"},
    {"practices/b.md", "/handboek/praktijkvoorbeelden/b/"},
    {"practices/café.md", "/handboek/praktijkvoorbeelden/cafe/"},
    {"index.md", "/handboek/"},
};
#define PAGE_COUNT (sizeof pages / sizeof pages[0])

static int resolve_calls;

static int resolve(void *ctx, const char *repo_path, buf *url_out)
{
    (void)ctx;
    resolve_calls++;
    for (size_t i = 0; i < PAGE_COUNT; i++) {
        if (strcmp(pages[i][0], repo_path) == 0) {
            buf_append_str(url_out, pages[i][1]);
            return 0;
        }
    }
    return -1;
}

static int suggest(void *ctx, const char *repo_path, buf *out)
{
    (void)ctx;
    suggestion hint = suggest_begin(repo_path);
    for (size_t i = 0; i < PAGE_COUNT; i++)
        suggest_consider(&hint, pages[i][0]);
    if (hint.best == NULL)
        return -1;
    buf_append_str(out, hint.best);
    return 0;
}

static const markdown_link_resolver resolver = {resolve, NULL, NULL};
static const markdown_link_resolver resolver_with_hints = {resolve, suggest, NULL};

/* ---- helpers ----------------------------------------------------------- */

typedef struct rendered {
    arena arena;
    diag_list diags;
    markdown_result result;
    int status;
    char *messages; /* every diagnostic formatted, one a line */
} rendered;

static void render_as(rendered *r, const char *file, const char *text, uint32_t first_line,
                      const markdown_link_resolver *links)
{
    r->arena = (arena)ARENA_INIT;
    r->diags = (diag_list)DIAG_LIST_INIT;
    r->result = (markdown_result)MARKDOWN_RESULT_INIT;
    r->status = markdown_render(&r->arena, file, text, strlen(text), first_line, links, &r->result,
                                &r->diags);
    buf all = BUF_INIT;
    for (size_t i = 0; i < r->diags.count; i++) {
        char *line = diag_format(&r->diags.items[i]);
        buf_append_str(&all, line);
        buf_append_char(&all, '\n');
        free(line);
    }
    r->messages = buf_detach(&all);
}

static void render(rendered *r, const char *text)
{
    render_as(r, "practices/a.md", text, 1, &resolver);
}

static void done(rendered *r)
{
    markdown_result_free(&r->result);
    diag_list_free(&r->diags);
    arena_free(&r->arena);
    free(r->messages);
}

/* Renders text and compares the whole HTML. */
static void check_html(const char *text, const char *expected)
{
    rendered r;
    render(&r, text);
    CHECK(r.status == 0);
    CHECK_STR(r.messages, "");
    CHECK_STR(r.result.html.data, expected);
    done(&r);
}

/* Renders text that must fail and compares all messages. */
static void check_errors_with(const markdown_link_resolver *links, const char *file,
                              const char *text, uint32_t first_line, const char *expected)
{
    rendered r;
    render_as(&r, file, text, first_line, links);
    CHECK(r.status == -1);
    CHECK_STR(r.messages, expected);
    CHECK(r.result.html.len == 0);
    CHECK(r.result.heading_count == 0);
    done(&r);
}

static void check_errors_as(const char *file, const char *text, uint32_t first_line,
                            const char *expected)
{
    check_errors_with(&resolver, file, text, first_line, expected);
}

static void check_errors(const char *text, const char *expected)
{
    check_errors_as("practices/a.md", text, 1, expected);
}

/* ---- GFM --------------------------------------------------------------- */

static void test_paragraph_and_emphasis(void)
{
    check_html("Een *klein* **stuk** tekst.\n",
               "<p>Een <em>klein</em> <strong>stuk</strong> tekst.</p>\n");
    check_html("\"Aanhalingstekens\" -- zoals geschreven...\n",
               "<p>&quot;Aanhalingstekens&quot; -- zoals geschreven...</p>\n");
    check_html("", "");
}

static void test_table(void)
{
    check_html("| Model | Plaatsen |\n"
               "|:------|--------:|\n"
               "| Startklas | 12 |\n",
               "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\"Tabel\">\n"
               "<table>\n"
               "<thead>\n"
               "<tr>\n"
               "<th style=\"text-align: left\">Model</th>\n"
               "<th style=\"text-align: right\">Plaatsen</th>\n"
               "</tr>\n"
               "</thead>\n"
               "<tbody>\n"
               "<tr>\n"
               "<td style=\"text-align: left\">Startklas</td>\n"
               "<td style=\"text-align: right\">12</td>\n"
               "</tr>\n"
               "</tbody>\n"
               "</table>\n"
               "</div>\n");
}

static void test_autolink(void)
{
    check_html("Zie https://example.nl en www.onderwijs.nl of info@example.nl.\n",
               "<p>Zie <a href=\"https://example.nl\">https://example.nl</a> en "
               "<a href=\"http://www.onderwijs.nl\">www.onderwijs.nl</a> of "
               "<a href=\"mailto:info@example.nl\">info@example.nl</a>.</p>\n");
}

static void test_strikethrough(void)
{
    check_html("~~oud~~ nieuw\n", "<p><del>oud</del> nieuw</p>\n");
    /* One tilde means "about" in Dutch text, not strikethrough. */
    check_html("~5 tot ~10 leerlingen\n", "<p>~5 tot ~10 leerlingen</p>\n");
}

static void test_tasklist(void)
{
    check_html("- [ ] aanmelden\n- [x] intake\n",
               "<ul>\n"
               "<li><input type=\"checkbox\" disabled=\"\" /> aanmelden</li>\n"
               "<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> intake</li>\n"
               "</ul>\n");
}

/* ---- safety ------------------------------------------------------------ */

static void test_raw_html_left_out(void)
{
    check_html("<script>alert(1)</script>\n", "<!-- raw HTML omitted -->\n");
    check_html("Tekst <b onclick=\"x()\">vet</b>.\n",
               "<p>Tekst <!-- raw HTML omitted -->vet<!-- raw HTML omitted -->.</p>\n");
    rendered r;
    render(&r, "<div>\n<script>alert(1)</script>\n</div>\n\n<img src=x onerror=alert(1)>\n");
    CHECK(r.status == 0);
    CHECK(strstr(r.result.html.data, "<script") == NULL);
    CHECK(strstr(r.result.html.data, "onerror") == NULL);
    CHECK(strstr(r.result.html.data, "<div") == NULL);
    done(&r);
}

static void test_dangerous_links(void)
{
    check_html("[x](javascript:alert(1))\n", "<p><a href=\"\">x</a></p>\n");
    check_html("[x](JavaScript:alert(1)) [y](vbscript:x) [z](file:///etc/passwd) "
               "[d](data:text/html;base64,PHNjcmlwdD4=)\n",
               "<p><a href=\"\">x</a> <a href=\"\">y</a> <a href=\"\">z</a> "
               "<a href=\"\">d</a></p>\n");
    /* A scheme makes it no repository path, even when it ends in .md. */
    check_html("[x](javascript:alert(1)//a.md)\n", "<p><a href=\"\">x</a></p>\n");
    check_html(
        "![grafiek](data:image/png;base64,iVBORw0KGgo=) ![x](data:image/svg+xml;base64,PHN2Zz4=)\n",
        "<p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"grafiek\" /> "
        "<img src=\"\" alt=\"x\" /></p>\n");
    check_html("[ok](https://example.nl/a.md) [mail](mailto:a@b.nl)\n",
               "<p><a href=\"https://example.nl/a.md\">ok</a> "
               "<a href=\"mailto:a@b.nl\">mail</a></p>\n");
}

/* ---- headings ---------------------------------------------------------- */

static void test_heading_ids(void)
{
    rendered r;
    render(&r, "## Één ding: geïnteresseerd?\n\n# Één ding: geïnteresseerd?\n\n"
               "### Wat *is* `integraal` [arrangeren](https://example.nl)\n");
    CHECK(r.status == 0);
    CHECK_STR(r.result.html.data,
              "<h2 id=\"een-ding-geinteresseerd\">Één ding: geïnteresseerd?</h2>\n"
              "<h1 id=\"een-ding-geinteresseerd-1\">Één ding: geïnteresseerd?</h1>\n"
              "<h3 id=\"wat-is-integraal-arrangeren\">Wat <em>is</em> <code>integraal</code> "
              "<a href=\"https://example.nl\">arrangeren</a></h3>\n");
    CHECK(r.result.heading_count == 3);
    if (r.result.heading_count == 3) {
        CHECK(r.result.headings[0].level == 2);
        CHECK_STR(r.result.headings[0].id, "een-ding-geinteresseerd");
        CHECK_STR(r.result.headings[0].text, "Één ding: geïnteresseerd?");
        CHECK(r.result.headings[0].line == 1);
        CHECK(r.result.headings[1].level == 1);
        CHECK_STR(r.result.headings[1].id, "een-ding-geinteresseerd-1");
        CHECK(r.result.headings[1].line == 3);
        CHECK_STR(r.result.headings[2].id, "wat-is-integraal-arrangeren");
        CHECK_STR(r.result.headings[2].text, "Wat is integraal arrangeren");
        CHECK(r.result.headings[2].line == 5);
    }
    done(&r);
}

static void test_heading_slugs(void)
{
    rendered r;
    render(&r, "# Auto's & foto’s — Ĳsselmeer, Straße, Æble, Ørsted, Çà, Ñ\n"
               "# ?!\n"
               "#\n"
               "# Foo\n"
               "# Foo\n"
               "# Foo 1\n"
               "# Foo\n"
               "# --Cluster 3/4 onderwijs--\n"
               "# Cafe\xCC\x81 (NFD)\n"
               "# Ελληνικά 2\n");
    CHECK(r.status == 0);
    const char *const want[] = {
        "autos-fotos-ijsselmeer-strasse-aeble-orsted-ca-n",
        "kop",
        "kop-1",
        "foo",
        "foo-1",
        "foo-1-1",
        "foo-2",
        "cluster-3-4-onderwijs",
        "cafe-nfd",
        "2",
    };
    CHECK(r.result.heading_count == sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r.result.heading_count && i < sizeof want / sizeof want[0]; i++)
        CHECK_STR(r.result.headings[i].id, want[i]);
    done(&r);
}

static void test_heading_shapes(void)
{
    check_html("- # In een lijst\n",
               "<ul>\n<li>\n<h1 id=\"in-een-lijst\">In een lijst</h1>\n</li>\n</ul>\n");
    check_html(
        "Setext *kop*\nover twee regels\n---\n",
        "<h2 id=\"setext-kop-over-twee-regels\">Setext <em>kop</em>\nover twee regels</h2>\n");
    check_html("> ### Citaat\n", "<blockquote>\n<h3 id=\"citaat\">Citaat</h3>\n</blockquote>\n");
}

/* ---- repository-path links --------------------------------------------- */

static void test_repo_links(void)
{
    check_html("Zie [startklas](../content/models/startklas.md#fasen) en [b](b.md).\n",
               "<p>Zie <a href=\"/handboek/modellen/startklas/#fasen\">startklas</a> en "
               "<a href=\"/handboek/praktijkvoorbeelden/b/\">b</a>.</p>\n");
    check_html("[r](../content/regions/parkstad.yaml) [q](./b.md?x=1#y) [c](caf%C3%A9.md) "
               "[d](<../content/./guides/../guides/fasen.md>)\n",
               "<p><a href=\"/handboek/regios/parkstad/\">r</a> "
               "<a href=\"/handboek/praktijkvoorbeelden/b/?x=1#y\">q</a> "
               "<a href=\"/handboek/praktijkvoorbeelden/cafe/\">c</a> "
               "<a href=\"/handboek/proces/fasen/\">d</a></p>\n");
    /* Reference links, and links inside headings. */
    check_html("[het model][m]\n\n[m]: ../content/models/startklas.md\n",
               "<p><a href=\"/handboek/modellen/startklas/\">het model</a></p>\n");
    check_html("## Zie [b](b.md)\n",
               "<h2 id=\"zie-b\">Zie <a href=\"/handboek/praktijkvoorbeelden/b/\">b</a></h2>\n");
    /* Not repository paths: left as written, resolver not asked. */
    resolve_calls = 0;
    check_html("[a](/practices/a.md) [b](#kop) [c](foto.png) [d](b.MD) [e](http://x.nl/b.md) "
               "![f](b.md)\n",
               "<p><a href=\"/practices/a.md\">a</a> <a href=\"#kop\">b</a> "
               "<a href=\"foto.png\">c</a> <a href=\"b.MD\">d</a> "
               "<a href=\"http://x.nl/b.md\">e</a> <img src=\"b.md\" alt=\"f\" /></p>\n");
    CHECK(resolve_calls == 0);
}

static void test_repo_links_from_root(void)
{
    rendered r;
    render_as(&r, "index.md", "[m](content/models/startklas.md) [s](./index.md)\n", 1, &resolver);
    CHECK(r.status == 0);
    CHECK_STR(r.result.html.data, "<p><a href=\"/handboek/modellen/startklas/\">m</a> "
                                  "<a href=\"/handboek/\">s</a></p>\n");
    done(&r);
}

static void test_no_resolver(void)
{
    rendered r;
    render_as(&r, "practices/a.md", "[x](../nergens.md)\n", 1, NULL);
    CHECK(r.status == 0);
    CHECK_STR(r.result.html.data, "<p><a href=\"../nergens.md\">x</a></p>\n");
    done(&r);
}

static void test_missing_page(void)
{
    /* The brief's example: the link is at line 12, column 5. */
    check_errors_with(
        &resolver_with_hints, "practices/a.md",
        "1\n\n3\n\n5\n\n7\n\n9\n\n11\nZie [het model](../content/models/startklas2.md).\n", 1,
        "practices/a.md:12:5: error: link to 'content/models/startklas2.md', which is "
        "not a page of the handbook; did you mean 'content/models/startklas.md'?\n");
    check_errors_with(
        &resolver_with_hints, "practices/a.md",
        "Zie [dit](../content/models/onbekend-model-x.md#kop).\n", 1,
        "practices/a.md:1:5: error: link to 'content/models/onbekend-model-x.md', which is "
        "not a page of the handbook; check the path\n");
    /* Without a suggest callback. */
    check_errors("[x](../content/models/startklas2.md)\n",
                 "practices/a.md:1:1: error: link to 'content/models/startklas2.md', which is not "
                 "a page of the handbook; check the path\n");
}

static void test_missing_page_after_front_matter(void)
{
    const char *file = "---\n"
                       "titel: Startklassen Parkstad\n"
                       "regio: parkstad\n"
                       "---\n"
                       "\n"
                       "Zie [model](../content/models/startklas.md) en [x](geen.md).\n";
    markdown_parts parts;
    diag_list diags = DIAG_LIST_INIT;
    CHECK(markdown_split_front_matter("practices/a.md", file, strlen(file), &parts, &diags) == 0);
    CHECK(parts.body_line == 5);
    rendered r;
    r.arena = (arena)ARENA_INIT;
    r.result = (markdown_result)MARKDOWN_RESULT_INIT;
    r.status = markdown_render(&r.arena, "practices/a.md", parts.body, parts.body_len,
                               parts.body_line, &resolver, &r.result, &diags);
    CHECK(r.status == -1);
    CHECK(diags.count == 1);
    if (diags.count == 1) {
        char *m = diag_format(&diags.items[0]);
        CHECK_STR(m, "practices/a.md:6:48: error: link to 'practices/geen.md', which is not a "
                     "page of the handbook; check the path");
        free(m);
    }
    markdown_result_free(&r.result);
    arena_free(&r.arena);
    diag_list_free(&diags);
    /* The same with the body handed over directly, starting on line 6. */
    check_errors_as("practices/a.md",
                    "Zie [model](../content/models/startklas.md) en [x](geen.md).\n", 6,
                    "practices/a.md:6:48: error: link to 'practices/geen.md', which is not a page "
                    "of the handbook; check the path\n");
}

static void test_every_link_error_reported(void)
{
    check_errors(
        "Intro [a](x1.md) en\n"
        "verder [b](x1.md) en [b](x1.md)\n"
        "\n"
        "- item [c](x2.md)\n"
        "  vervolg [d](x3.md)\n"
        "\n"
        "> citaat *met [e](x4.md)*\n"
        "\n"
        "| kop | kop |\n"
        "|-----|-----|\n"
        "| [f](x5.md) | é [g](x6.md) |\n"
        "\n"
        "## Kop [h](x7.md)\n",
        "practices/a.md:1:7: error: link to 'practices/x1.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:2:8: error: link to 'practices/x1.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:2:22: error: link to 'practices/x1.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:4:8: error: link to 'practices/x2.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:5:11: error: link to 'practices/x3.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:7:15: error: link to 'practices/x4.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:11:3: error: link to 'practices/x5.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:11:18: error: link to 'practices/x6.md', which is not a page of "
        "the handbook; check the path\n"
        "practices/a.md:13:8: error: link to 'practices/x7.md', which is not a page of the "
        "handbook; check the path\n");
}

/* Places where cmark-gfm 0.29's own inline positions are wrong. */
static void test_link_positions_hard_cases(void)
{
    check_errors(
        "   ingesprongen\n"
        "regel [a](y1.md)\n"
        "\n"
        "> > citaat\n"
        "lui [b](y2.md)\n"
        "\n"
        "een `code\n"
        "over regels` [c](y3.md)\n"
        "d [d](y4.md)\n"
        "\n"
        "[tekst over\n"
        "twee regels](y5.md)\n"
        "\n"
        "x\\\n"
        "   **[e](y6.md)**\n"
        "\n"
        "[r]: y7.md\n"
        "\ttab [f][r]\n"
        "\n"
        "Één, twee: [g](y8.md)\n",
        "practices/a.md:2:7: error: link to 'practices/y1.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:5:5: error: link to 'practices/y2.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:8:14: error: link to 'practices/y3.md', which is not a page of "
        "the handbook; check the path\n"
        "practices/a.md:9:3: error: link to 'practices/y4.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:11:1: error: link to 'practices/y5.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:15:6: error: link to 'practices/y6.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:18:6: error: link to 'practices/y7.md', which is not a page of the "
        "handbook; check the path\n"
        "practices/a.md:20:12: error: link to 'practices/y8.md', which is not a page of "
        "the handbook; check the path\n");
}

/* A table right after a paragraph: cmark-gfm puts its header row on the
 * paragraph's first line. */
static void test_link_positions_in_tables(void)
{
    check_errors("Intro\n"
                 "tekst\n"
                 "| [a](z1.md) | b |\n"
                 "|---|---|\n"
                 "| c | [e](z1.md) |\n",
                 "practices/a.md:3:3: error: link to 'practices/z1.md', which is not a page of the "
                 "handbook; check the path\n"
                 "practices/a.md:5:7: error: link to 'practices/z1.md', which is not a page of the "
                 "handbook; check the path\n");
}

static void test_link_above_root(void)
{
    check_errors("Zie [x](../../buiten.md) en [y](../content/../../z.md#a).\n",
                 "practices/a.md:1:5: error: link to '../../buiten.md' goes above the root of the "
                 "repository; check the path\n"
                 "practices/a.md:1:29: error: link to '../content/../../z.md' goes above the root "
                 "of the repository; check the path\n");
    check_errors_as("index.md", "[x](../index.md)\n", 1,
                    "index.md:1:1: error: link to '../index.md' goes above the root of the "
                    "repository; check the path\n");
}

static void test_link_error_cap(void)
{
    buf text = BUF_INIT;
    for (int i = 0; i < MARKDOWN_MAX_LINK_ERRORS + 5; i++)
        buf_printf(&text, "[x](nee%d.md)\n", i);
    rendered r;
    render(&r, text.data);
    CHECK(r.status == -1);
    CHECK(r.diags.errors == MARKDOWN_MAX_LINK_ERRORS);
    CHECK(r.diags.count == MARKDOWN_MAX_LINK_ERRORS + 1);
    CHECK_CONTAINS(r.messages, "practices/a.md:100:1: error: link to 'practices/nee99.md'");
    CHECK_CONTAINS(r.messages,
                   "practices/a.md: note: more than 100 bad links; the rest are not shown\n");
    done(&r);
    buf_free(&text);
}

static void test_control_characters_in_messages(void)
{
    check_errors("[x](<a&#27;[31m.md>)\n",
                 "practices/a.md:1:1: error: link to 'practices/a?[31m.md', which is not a page "
                 "of the handbook; check the path\n");
}

/* ---- front matter ------------------------------------------------------ */

static void test_front_matter(void)
{
    diag_list diags = DIAG_LIST_INIT;
    markdown_parts p;
    const char *with = "---\ntitel: Startklas\nregio: parkstad\n---\n# Kop\n";
    CHECK(markdown_split_front_matter("a.md", with, strlen(with), &p, &diags) == 0);
    CHECK(p.has_front_matter == 1);
    CHECK(p.front_matter_len == strlen("titel: Startklas\nregio: parkstad\n"));
    CHECK(strncmp(p.front_matter, "titel: Startklas\nregio: parkstad\n", p.front_matter_len) == 0);
    CHECK(p.front_matter_line == 2);
    CHECK_STR(p.body, "# Kop\n");
    CHECK(p.body_len == 6);
    CHECK(p.body_line == 5);

    const char *without = "# Kop\n\n---\n";
    CHECK(markdown_split_front_matter("a.md", without, strlen(without), &p, &diags) == 0);
    CHECK(p.has_front_matter == 0);
    CHECK(p.front_matter_len == 0);
    CHECK_STR(p.front_matter, "");
    CHECK(p.front_matter_line == 0);
    CHECK(p.body == without);
    CHECK(p.body_len == strlen(without));
    CHECK(p.body_line == 1);

    const char *crlf = "---  \r\ntitel: x\r\n\r\n---\r\nTekst\r\n";
    CHECK(markdown_split_front_matter("a.md", crlf, strlen(crlf), &p, &diags) == 0);
    CHECK(p.has_front_matter == 1);
    CHECK(p.front_matter_len == strlen("titel: x\r\n\r\n"));
    CHECK(strncmp(p.front_matter, "titel: x\r\n\r\n", p.front_matter_len) == 0);
    CHECK_STR(p.body, "Tekst\r\n");
    CHECK(p.body_line == 5);

    const char *empty = "---\n---";
    CHECK(markdown_split_front_matter("a.md", empty, strlen(empty), &p, &diags) == 0);
    CHECK(p.has_front_matter == 1);
    CHECK(p.front_matter_len == 0);
    CHECK(p.body_len == 0);
    CHECK(p.body_line == 3);

    const char *bom = "\xEF\xBB\xBF---\nx: 1\n---\nTekst\n";
    CHECK(markdown_split_front_matter("a.md", bom, strlen(bom), &p, &diags) == 0);
    CHECK(p.has_front_matter == 1);
    CHECK(strncmp(p.front_matter, "x: 1\n", p.front_matter_len) == 0);
    CHECK_STR(p.body, "Tekst\n");

    const char *dashes = "----\nx\n---\n";
    CHECK(markdown_split_front_matter("a.md", dashes, strlen(dashes), &p, &diags) == 0);
    CHECK(p.has_front_matter == 0);
    CHECK(p.body == dashes);
    CHECK(diags.count == 0);

    const char *open = "---\ntitel: Startklas\n\n# Kop\n";
    CHECK(markdown_split_front_matter("practices/a.md", open, strlen(open), &p, &diags) == -1);
    CHECK(diags.count == 1);
    if (diags.count == 1) {
        char *m = diag_format(&diags.items[0]);
        CHECK_STR(m, "practices/a.md:1:1: error: the front matter that starts here is not "
                     "closed; end it with a line '---'");
        free(m);
    }
    const char *only = "---";
    CHECK(markdown_split_front_matter("a.md", only, strlen(only), &p, &diags) == -1);
    diag_list_free(&diags);
}

/* ---- limits and bad input ---------------------------------------------- */

static void test_invalid_utf8(void)
{
    /* Latin-1 é (0xE9) after "Één caf" on line 3: column 8 in characters. */
    check_errors("# Kop\n\nÉén caf\xE9\n", "practices/a.md:3:8: error: invalid UTF-8 (byte 0xE9); "
                                           "save the file as UTF-8\n");
    check_errors_as("practices/a.md", "ok\r\nnog \xC0\x80 overlong\n", 7,
                    "practices/a.md:8:5: error: invalid UTF-8 (byte 0xC0); save the file as "
                    "UTF-8\n");
    check_errors("surrogaat \xED\xA0\x80\n", "practices/a.md:1:11: error: invalid UTF-8 (byte "
                                             "0xED); save the file as UTF-8\n");
    check_errors("afgekapt \xE2\x82", "practices/a.md:1:10: error: invalid UTF-8 (byte 0xE2); "
                                      "save the file as UTF-8\n");
    diag_list diags = DIAG_LIST_INIT;
    CHECK(markdown_check_utf8("a.md", "Één ding", strlen("Één ding"), 1, &diags) == 0);
    CHECK(markdown_check_utf8("a.md", "\xF4\x90\x80\x80", 4, 1, &diags) == -1);
    CHECK(diags.count == 1);
    diag_list_free(&diags);
}

static void test_size_limit(void)
{
    size_t len = MARKDOWN_MAX_SIZE + 1;
    char *text = malloc(len + 1);
    memset(text, 'a', len);
    text[len] = '\0';
    check_errors(text, "practices/a.md: error: the Markdown text is 131073 bytes, more than the "
                       "131072 allowed; split the page\n");
    text[len - 1] = '\0';
    rendered r;
    render(&r, text);
    CHECK(r.status == 0);
    CHECK(r.result.html.len == MARKDOWN_MAX_SIZE + strlen("<p></p>\n"));
    done(&r);
    free(text);
}

static void test_depth_limit(void)
{
    buf text = BUF_INIT;
    buf_append_str(&text, "Begin\n\n");
    for (int i = 0; i < 70; i++)
        buf_append_str(&text, "> ");
    buf_append_str(&text, "diep\n");
    check_errors(text.data, "practices/a.md:3:129: error: lists and quotes are nested more than "
                            "64 levels deep here; use fewer levels\n");
    /* 40 list markers pass the line check but make a tree 80 levels deep. */
    buf_clear(&text);
    for (int i = 0; i < 40; i++)
        buf_append_str(&text, "- ");
    buf_append_str(&text, "diep\n");
    rendered r;
    render(&r, text.data);
    CHECK(r.status == -1);
    CHECK_CONTAINS(r.messages, "practices/a.md:1:");
    CHECK_CONTAINS(r.messages, "nested more than 64 levels deep here (lists, quotes, emphasis, "
                               "links); use fewer levels\n");
    done(&r);
    /* Real nesting is fine. */
    buf_clear(&text);
    buf_append_str(&text, "- a\n  - b\n    - > *c [d](b.md)*\n");
    render(&r, text.data);
    CHECK(r.status == 0);
    done(&r);
    buf_free(&text);
}

static void test_table_limit(void)
{
    /* A wide delimiter row, then many short rows: over the cell limit. */
    buf text = BUF_INIT;
    for (int i = 0; i < 200; i++)
        buf_append_str(&text, "|a");
    buf_append_str(&text, "|\n");
    for (int i = 0; i < 200; i++)
        buf_append_str(&text, "|-");
    buf_append_str(&text, "|\n");
    for (int i = 0; i < 600; i++)
        buf_append_str(&text, "|x|\n");
    check_errors(text.data, "practices/a.md:2:1: error: the tables of this page have more than "
                            "100000 cells; make them smaller or split the page\n");
    /* One row with very many cells: cmark-gfm is quadratic in them. */
    buf_clear(&text);
    buf_append_str(&text, "|a|\n|-|\n");
    for (int i = 0; i < 60000; i++)
        buf_append_str(&text, "a|");
    check_errors(text.data, "practices/a.md:3:1: error: a table row here has more than 256 "
                            "cells; make the table narrower\n");
    buf_free(&text);
}

/* A page near the size limit makes cmark allocate more than the region a
 * page's parse gets, so its blocks also come from malloc: the HTML is that of
 * each part rendered on its own, put together. */
static void test_large_page(void)
{
    const char *part = "Een *klein* stuk met een [link](b.md), `code` en ~~weg~~.\n\n"
                       "| a | b |\n|---|---|\n| x | **y** |\n\n- een\n- twee\n\n";
    rendered one;
    render(&one, part);
    CHECK(one.status == 0);
    buf text = BUF_INIT, expected = BUF_INIT;
    while (text.len + strlen(part) <= MARKDOWN_MAX_SIZE) {
        buf_append_str(&text, part);
        buf_append(&expected, one.result.html.data, one.result.html.len);
    }
    rendered all;
    render(&all, text.data);
    CHECK(all.status == 0);
    CHECK_STR(all.messages, "");
    CHECK(all.result.html.len == expected.len);
    CHECK(all.result.html.len == expected.len &&
          memcmp(all.result.html.data, expected.data, expected.len) == 0);
    done(&one);
    done(&all);
    buf_free(&text);
    buf_free(&expected);
}

static void test_deterministic(void)
{
    const char *text = "# Één\n\n| a | b |\n|---|---|\n| [x](b.md) | ~~y~~ |\n\n- [ ] z\n# Één\n";
    rendered r1, r2;
    render(&r1, text);
    render(&r2, text);
    CHECK(r1.status == 0 && r2.status == 0);
    CHECK(r1.result.html.len == r2.result.html.len);
    CHECK(memcmp(r1.result.html.data, r2.result.html.data, r1.result.html.len) == 0);
    CHECK_CONTAINS(r1.result.html.data, "<h1 id=\"een-1\">Één</h1>");
    done(&r1);
    done(&r2);
}

int main(void)
{
    RUN(test_paragraph_and_emphasis);
    RUN(test_table);
    RUN(test_autolink);
    RUN(test_strikethrough);
    RUN(test_tasklist);
    RUN(test_raw_html_left_out);
    RUN(test_dangerous_links);
    RUN(test_heading_ids);
    RUN(test_heading_slugs);
    RUN(test_heading_shapes);
    RUN(test_repo_links);
    RUN(test_repo_links_from_root);
    RUN(test_no_resolver);
    RUN(test_missing_page);
    RUN(test_missing_page_after_front_matter);
    RUN(test_every_link_error_reported);
    RUN(test_link_positions_hard_cases);
    RUN(test_link_positions_in_tables);
    RUN(test_link_above_root);
    RUN(test_link_error_cap);
    RUN(test_control_characters_in_messages);
    RUN(test_front_matter);
    RUN(test_invalid_utf8);
    RUN(test_size_limit);
    RUN(test_large_page);
    RUN(test_depth_limit);
    RUN(test_table_limit);
    RUN(test_deterministic);
    return test_summary();
}
