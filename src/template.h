/* template.h - Mustache templates: compile once, render many times.
 *
 * Implements the Mustache spec (interpolation, sections, inverted sections,
 * comments, partials, set delimiters) with its optional modules inheritance
 * ({{<parent}} / {{$block}}) and dynamic names ({{>*name}}). Lambdas are not
 * supported: the context is the project's value tree, which holds no code.
 *
 * A template_set holds named templates (layouts and partials). A template is
 * compiled into a tree of operations when added; rendering walks that tree
 * against a value, so it costs time linear in the output.
 *
 * Escaping: {{name}} escapes & < > " and ' (so single-quoted attributes are safe
 * too); {{{name}}} and {{&name}} write the value as it is and are meant only for
 * HTML the generator produced itself. */
#ifndef HANDBOOK_TEMPLATE_H
#define HANDBOOK_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "value.h"

/* Layouts are written by hand; 1 MiB is far beyond any real one and bounds the
 * memory and time a hostile template can take to compile. */
#define TEMPLATE_MAX_SIZE (1024 * 1024)
/* Sections and blocks nested inside one template; compiling and rendering
 * recurse once per level, so this bounds stack use. */
#define TEMPLATE_MAX_NESTING 64
/* Partials and parents rendered inside each other; real layouts need fewer than
 * ten, and this turns a partial that includes itself into an error instead of a
 * stack overflow. */
#define TEMPLATE_MAX_DEPTH 32
/* Bytes one render may produce; stops templates that multiply their output
 * (a partial that includes another ten times, ten levels deep). The fuzzer
 * builds with smaller limits so that it spends its time finding bugs. */
#ifndef TEMPLATE_MAX_OUTPUT
#define TEMPLATE_MAX_OUTPUT (64u * 1024 * 1024)
#endif
/* Operations one render may execute; stops nested loops that write nothing but
 * would run for hours. A page listing 10,000 entries needs about a million. */
#ifndef TEMPLATE_MAX_STEPS
#define TEMPLATE_MAX_STEPS (50u * 1000 * 1000)
#endif

typedef struct template template;
typedef struct template_set template_set;

/* Returns a new, empty set; free it with template_set_free(). */
template_set *template_set_new(void);
void template_set_free(template_set *set);

/* Compiles len bytes of source as the template called name (the name that
 * {{>name}} and {{<name}} use). file names the source in messages. Returns the
 * template, owned by the set, or NULL with errors added to diags. Adding a name
 * twice replaces the earlier template. */
const template *template_set_add(template_set *set, const char *name, const char *file,
                                 const char *source, size_t len, diag_list *diags);

/* Returns the template called name, or NULL. */
const template *template_set_get(const template_set *set, const char *name);

/* Checks that every partial and parent named in the set's templates exists
 * (dynamic names can only be checked while rendering). Returns 0, or -1 with an
 * error at each unknown name's tag, with a "did you mean" hint. */
int template_set_check_references(const template_set *set, diag_list *diags);

typedef enum template_missing {
    TEMPLATE_MISSING_IS_EMPTY, /* as the Mustache spec says: render nothing */
    TEMPLATE_MISSING_IS_ERROR, /* what the generator wants: a typo is an error */
} template_missing;

/* Renders tmpl from set against context, appending to out. A partial or parent
 * that cannot be found renders as empty or is an error, as missing says.
 * Returns 0, or -1 with an error at the template's file:line:col in diags
 * (out then holds a partial result the caller must not publish). */
int template_render(const template_set *set, const template *tmpl, const value *context,
                    template_missing missing, buf *out, diag_list *diags);

/* Incremental builds need to know which templates a page's output depends on.
 * template_closure calls visit(ctx, t) once for tmpl and once for every
 * template it includes (partials and parents, transitively), and sets
 * *mentions when any of their tags has a name with a part equal to part
 * ("collections" in {{#site.collections.models}}; part may be NULL). It
 * returns false when one of them names a partial dynamically ({{>*name}}):
 * then any template of the set may be used. */
typedef void (*template_visitor)(void *ctx, const template *t);
bool template_closure(const template_set *set, const template *tmpl, const char *part,
                      template_visitor visit, void *ctx, bool *mentions);

/* Calls visit(ctx, t) for every template of the set, in no particular order. */
void template_set_each(const template_set *set, template_visitor visit, void *ctx);

/* The file a template was compiled from. */
const char *template_file(const template *tmpl);

#endif
