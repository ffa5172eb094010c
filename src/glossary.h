/* glossary.h - marks the first use of each glossary term on a page: an
 * abbreviation becomes <abbr title="...">, a term a link to its explanation.
 * Part of the render stage; works on the HTML that cmark-gfm produced. */
#ifndef HANDBOOK_GLOSSARY_H
#define HANDBOOK_GLOSSARY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct glossary_term {
    const char *text;       /* as it appears in HTML (escaped): "SBO", "passend onderwijs" */
    bool is_abbreviation;   /* matched with case; else matched without */
    const char *title;      /* attribute text, escaped: "Speciaal basisonderwijs: ..." */
    const char *url;        /* the term's page */
    const char *page_url;   /* the page that explains the term, not marked there */
} glossary_term;

/* Appends html to out with the first use of each term marked. Text inside
 * links, code, headings and existing abbreviations is left alone. */
void glossary_mark(const glossary_term *terms, size_t count, const char *page_url,
                   const char *html, size_t len, buf *out);

#endif
