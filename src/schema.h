/* schema.h - checks front matter and data files against their collection's
 * typed fields (declared in handbook.yaml), part of the parse stage.
 *
 * Every mistake gets its own message at file:line:col: a missing required
 * field, a wrong type, an unknown field (with "did you mean"), an enum value
 * that is not allowed (listing the allowed ones), a bad date. References are
 * checked later, once every page is known (resolve.h). */
#ifndef HANDBOOK_SCHEMA_H
#define HANDBOOK_SCHEMA_H

#include "arena.h"
#include "config.h"
#include "diag.h"
#include "value.h"

/* Names every page may set besides its collection's fields. */
#define SCHEMA_UNIVERSAL_FIELDS {"layout", "search", NULL}

/* Checks map (the page's front matter) against c's fields and adds the
 * defaults of absent optional fields to it. A collection without fields
 * accepts anything. first_line is where the front matter starts, for the
 * message about a missing field. Returns 0, or -1 with errors in diags. */
int schema_check(arena *a, const collection *c, const char *file, uint32_t first_line, value *map,
                 diag_list *diags);

/* The text a value stands for as an enum value or facet value ("SBO", "2022"). */
void schema_value_text(buf *out, const value *v);

#endif
