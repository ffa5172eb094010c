#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "history.h"
#include "pages.h"
#include "publish.h"
#include "render.h"
#include "source.h"
#include "template.h"

/* What handbook reads from the repository; everything else (the generator's
 * own source, build output) is not content. */
static const char *const content_roots[] = {CONFIG_FILE, "content", "practices", LAYOUTS_FOLDER,
                                            NULL};

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double stage_start;
static void stage(const char *name)
{
    double now = seconds_now();
    if (getenv("HANDBOOK_TIMINGS") && name)
        fprintf(stderr, "timing: %-10s %7.1f ms\n", name, (now - stage_start) * 1000);
    stage_start = now;
}

int build_run(const build_options *opts, build_result *result, diag_list *diags)
{
    double start = seconds_now();
    stage(NULL);
    *result = (build_result){0};
    arena a = ARENA_INIT;
    site s = {0};
    template_set *layouts = template_set_new();
    publisher *pub = NULL;
    int status = -1;

    source_options source = {opts->repo_dir ? opts->repo_dir : ".", opts->ref, content_roots};
    source_tree tree = {0};
    if (source_read(&a, &source, &tree, diags) < 0)
        goto done;
    stage("source");
    const source_file *config_file = source_find(&tree, CONFIG_FILE);
    if (config_file == NULL) {
        diag_add(diags, DIAG_ERROR, CONFIG_FILE, 0, 0,
                 "not found in %s; is this the handbook's repository?", source.repo_dir);
        goto done;
    }
    if (config_load(&a, config_file->data, config_file->len, opts->base_url, &s.config, diags) < 0)
        goto done;
    /* Parse every page and load every layout before rendering, so that one
     * run reports all mistakes. */
    int parsed = pages_collect(&a, &tree, &s, diags);
    stage("parse");
    int loaded = render_load_layouts(&tree, &s, layouts, diags);
    stage("layouts");
    if (loaded < 0)
        goto done;
    if (parsed < 0) {
        /* Render the pages that did parse, writing nothing, to find their
         * mistakes (broken links, template errors) in the same run. */
        render_stats ignored = {0};
        render_site(&s, &tree, layouts, NULL, &ignored, diags);
        goto done;
    }
    /* The lock first: the build record of the published site is read under it. */
    if (opts->output_dir != NULL && (pub = publish_begin(opts->output_dir, diags)) == NULL)
        goto done;
    stage("publish begin");
    /* Only a build shows history; a check (the push hook) needs none. */
    if (opts->output_dir != NULL) {
        buf history_record = BUF_INIT;
        int read = history_read(&a, source.repo_dir, opts->ref, &tree, publish_previous(pub),
                                &history_record, &s.history, diags);
        publish_record(pub, "history", &history_record);
        buf_free(&history_record);
        if (read < 0)
            goto done;
    }
    stage("history");
    render_stats stats = {0};
    if (render_site(&s, &tree, layouts, pub, &stats, diags) < 0)
        goto done;
    stage("render");
    result->pages = stats.pages;
    result->rendered = stats.rendered;
    result->changed = publish_changed_count(pub);
    result->assets = stats.assets;
    result->files = publish_file_count(pub);
    if (pub != NULL) {
        publisher *committing = pub;
        pub = NULL;
        if (publish_commit(committing, diags) < 0)
            goto done;
    }
    stage("commit");
    status = 0;
done:
    publish_abort(pub);
    strmap_free(&s.by_source);
    strmap_free(&s.failed);
    strmap_free(&s.history);
    template_set_free(layouts);
    arena_free(&a);
    result->seconds = seconds_now() - start;
    return status;
}
