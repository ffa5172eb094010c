/* yamlvalue.h - reads YAML (handbook.yaml, front matter, data files) into the
 * value tree with libyaml. The only module that sees yaml_* types.
 *
 * The input is untrusted: nesting is bounded, duplicate keys and aliases are
 * errors, and invalid UTF-8 is reported, each at file:line:col. Plain scalars are
 * typed as in YAML 1.2's core schema (null, true/false, numbers) plus dates
 * (YYYY-MM-DD); quoted scalars are always strings. */
#ifndef HANDBOOK_YAMLVALUE_H
#define HANDBOOK_YAMLVALUE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "value.h"

/* Deeper nesting than this is refused: real front matter and data are a few
 * levels deep, libyaml 0.2.5 has no limit of its own, and later stages walk the
 * tree recursively. */
#define YAMLVALUE_MAX_DEPTH 64

/* Larger YAML is refused: settings and data files are a few KiB, and this
 * bounds the time and memory a hostile file can take. */
#define YAMLVALUE_MAX_SIZE (1024 * 1024)

/* Parses one YAML document of len bytes. file names the source in messages and
 * must outlive the values (the nodes point at it). first_line is the line of
 * file on which text starts (1 for a whole file; later for front matter).
 * On success stores the root (a null value for an empty document) in *out and
 * returns 0; on failure adds errors to diags and returns -1. Values are owned by
 * the arena. */
int yamlvalue_parse(arena *a, const char *file, const char *text, size_t len,
                    uint32_t first_line, diag_list *diags, value **out);

#endif
