/* build.h - runs the whole pipeline: source -> parse -> render -> publish. */
#ifndef HANDBOOK_BUILD_H
#define HANDBOOK_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef struct build_options {
    const char *repo_dir;   /* the content repository; "." by default */
    const char *ref;        /* NULL: the working tree; else a branch, tag or commit */
    const char *output_dir; /* where the site goes; NULL: check only, write nothing */
    const char *base_url;   /* NULL: handbook.yaml's base_url */
} build_options;

typedef struct build_result {
    size_t pages, assets, files;
    size_t rendered; /* pages made anew; the others were unchanged since the last build */
    size_t changed;  /* files written; the others were kept from the last build */
    bool patched;    /* only the changed pages were read (render_patch) */
    double seconds;
} build_result;

/* Builds (or, without an output folder, checks) the site. Returns 0, or -1
 * with every error found in diags; the published site is then unchanged. */
int build_run(const build_options *opts, build_result *result, diag_list *diags);

#endif
