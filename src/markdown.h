/* markdown.h - the Markdown stage: front matter split and Markdown -> HTML.
 *
 * Renders GitHub-flavoured Markdown (tables, autolinks, ~~strikethrough~~ and
 * task lists) with cmark-gfm, the only module that sees cmark_* types. Input is
 * untrusted: raw HTML is left out, javascript:/vbscript:/file:/data: links get an
 * empty href (data:image/png|gif|jpeg|webp images excepted), and size, nesting
 * and table size are bounded. Every heading gets a stable id, and links written
 * as repository paths ("../content/models/startklas.md#fasen") become page URLs.
 *
 * Positions in messages are file:line:col with 1-based lines of the whole file
 * and columns counted in characters (code points), as in the YAML reader. */
#ifndef HANDBOOK_MARKDOWN_H
#define HANDBOOK_MARKDOWN_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"

/* Larger Markdown bodies are refused: Debian 12's cmark-gfm 0.29.0.gfm.6 has
 * known quadratic inputs (CVE-2023-22486: "![[]()" repeated takes ~1 s at this
 * size, ~5 s at twice it), so the size bounds the time a hostile file can take;
 * real pages are a few KB. */
#define MARKDOWN_MAX_SIZE (128 * 1024)

/* Deeper nesting (block quotes, lists, emphasis, links; counted as levels of
 * the syntax tree, two per list: list and item) is refused: real pages need fewer than 15 levels, cmark-gfm
 * 0.29 takes quadratic time on deeply nested quotes, and later walks may
 * recurse. */
#define MARKDOWN_MAX_DEPTH 64

/* A page whose tables have more cells in all is refused: cmark-gfm 0.29.0.gfm.6
 * pads every row to the header's width, so a 128 KB file with a wide header and
 * many short rows needs gigabytes. The count is an upper bound taken before
 * parsing (columns of the delimiter row times the lines up to the next blank
 * line); real tables have a few hundred cells. */
#define MARKDOWN_MAX_TABLE_CELLS 100000

/* A table row with more cells is refused: cmark-gfm 0.29 parses a row in time
 * quadratic in its cells (64,000 cells in one row take seconds); a readable
 * table has a handful of columns. */
#define MARKDOWN_MAX_TABLE_COLUMNS 256

/* After this many bad links in one file the rest are not reported (a note
 * says so): a file with more is broken as a whole, and each report searches
 * the link's block. */
#define MARKDOWN_MAX_LINK_ERRORS 100

/* A file cut into front matter and body. The pointers point into the text given
 * to markdown_split_front_matter (nothing is copied or allocated). */
typedef struct markdown_parts {
    int has_front_matter;       /* 1 when the file starts with a '---' line */
    const char *front_matter;   /* the YAML between the '---' lines; "" when none */
    size_t front_matter_len;
    uint32_t front_matter_line; /* 1-based line on which the YAML starts (2), 0 when none */
    const char *body;           /* the Markdown after the closing '---' (or the whole file) */
    size_t body_len;
    uint32_t body_line;         /* 1-based line on which the body starts */
} markdown_parts;

/* Splits a file into YAML front matter and Markdown body. Front matter is a
 * first line '---' (after an optional UTF-8 byte order mark, which is skipped),
 * then YAML, then a line '---'; trailing blanks after the dashes and \r\n line
 * ends are allowed. A file without such a first line is all body. Returns 0 and
 * fills *out; when the front matter is never closed, adds an error at file:1:1
 * and returns -1. file is only used in messages. */
int markdown_split_front_matter(const char *file, const char *text, size_t len,
                                markdown_parts *out, diag_list *diags);

/* Checks that text is valid UTF-8 (RFC 3629: no overlong forms, surrogates or
 * code points above U+10FFFF). Returns 0, or adds an error at the line and
 * column of the first bad byte ("save the file as UTF-8") and returns -1.
 * first_line is the file's line on which text starts. markdown_render calls it;
 * it is public so the caller can check a whole file before splitting it. */
int markdown_check_utf8(const char *file, const char *text, size_t len, uint32_t first_line,
                        diag_list *diags);

/* Turns a repository path into a page URL. The module only calls it.
 *
 * resolve: given a normalised repository path ("content/models/startklas.md",
 *   no "./" or "../", no leading "/"), appends the URL of the page made from
 *   that file (already including the site's base path, e.g.
 *   "/handboek/modellen/startklas/") to url_out and returns 0; returns -1 when
 *   no page comes from that path (url_out is then ignored).
 * suggest: may be NULL. Called after resolve failed; appends the existing
 *   repository path closest to repo_path (for "did you mean") to
 *   suggestion_out and returns 0, or returns -1 when nothing is close.
 * ctx is passed to both unchanged. */
typedef struct markdown_link_resolver {
    int (*resolve)(void *ctx, const char *repo_path, buf *url_out);
    int (*suggest)(void *ctx, const char *repo_path, buf *suggestion_out);
    void *ctx;
} markdown_link_resolver;

typedef struct markdown_heading {
    int level;         /* 1..6 */
    const char *id;    /* the id attribute, unique within the page: "een-ding-geinteresseerd" */
    const char *text;  /* plain text, markup removed: "Één ding: geïnteresseerd?" */
    uint32_t line;     /* 1-based line of the file */
} markdown_heading;

typedef struct markdown_result {
    buf html;                   /* owned by the result; free with markdown_result_free() */
    markdown_heading *headings; /* in document order; array and strings owned by the arena */
    size_t heading_count;
} markdown_result;

#define MARKDOWN_RESULT_INIT {BUF_INIT, NULL, 0}

/* Appends the slug of text to out: lowercase, Latin diacritics folded
 * (é->e, ĳ->ij, ß->ss, ...), apostrophes dropped ("auto's" -> "autos"), every
 * other run of characters outside a-z0-9 one '-', trimmed. Appends nothing
 * when no letter or digit is left. Used for heading ids, facet values and
 * file-name hints alike, so all addresses are made one way. */
void markdown_slugify(buf *out, const char *text, size_t len);

/* Renders the Markdown body (len bytes, need not be NUL-terminated) to HTML.
 *
 * file is the page's path relative to the repository root ("practices/a.md"):
 * it names the file in messages and is the folder relative links are resolved
 * from; it is not retained. first_line is the file's line on which body starts
 * (markdown_parts.body_line), so messages point into the whole file.
 *
 * Headings are written as <hN id="slug">: the plain text lowercased, Latin
 * diacritics folded (é->e, ĳ->ij, ß->ss, ...), apostrophes dropped, every other
 * run of characters outside a-z0-9 turned into one '-', trimmed; "kop" when
 * nothing is left; repeated ids get "-1", "-2", ... as on GitHub.
 *
 * Links (not images) whose destination has no scheme, does not start with '/',
 * '#' or '?', and whose path part ends in ".md" or ".yaml" are repository
 * paths: the path is percent-decoded and resolved against the folder of file,
 * looked up with resolver->resolve, and replaced by the URL it returns, with
 * the link's "?query#fragment" kept after it. With resolver NULL links are left
 * as written. A path above the repository root and a path that is no page are
 * errors at the link's position.
 *
 * Returns 0 with out filled (out must be MARKDOWN_RESULT_INIT or freed before);
 * on failure adds every error found to diags, leaves out empty and returns -1.
 * Errors: body larger than MARKDOWN_MAX_SIZE, invalid UTF-8, nesting deeper
 * than MARKDOWN_MAX_DEPTH, tables larger than MARKDOWN_MAX_TABLE_CELLS, and
 * the link errors above. The same input always gives the same bytes. */
int markdown_render(arena *a, const char *file, const char *body, size_t len,
                    uint32_t first_line, const markdown_link_resolver *resolver,
                    markdown_result *out, diag_list *diags);

/* Frees the HTML of a result; headings stay with the arena. The result is
 * empty and reusable afterwards. */
void markdown_result_free(markdown_result *result);

#endif
