#include "build.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "history.h"
#include "pages.h"
#include "publish.h"
#include "record.h"
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

static void stage(const char *name)
{
    diag_timing(name);
}

/* The history, read in a thread of its own while the files are read and the
 * pages rendered: it has its own arena and diagnostics, and the rest of the
 * build reads its results only after wait_for_history. The walk over the
 * commits needs no files; the thread then waits for the source stage's
 * files (give_files) to match them. */
typedef struct history_job {
    arena arena;
    const char *repo_dir, *ref;
    const record *previous;
    pthread_mutex_t lock;
    pthread_cond_t files_given; /* also: the previous record given */
    bool previous_given, given;
    pthread_cond_t done_cond;
    _Atomic bool done; /* out (the histories) complete: rendering may read it */
    const source_tree *tree; /* NULL when the build failed before it had them */
    _Atomic bool stop;       /* the build failed: the history is not needed */
    buf record;
    strmap *out;
    diag_list diags;
    int status;
    pthread_t thread;
    bool running;
    bool finished; /* finish_history was called */
} history_job;

static void *read_history(void *arg)
{
    history_job *job = arg;
    arena_thread_huge_pages();
    double t0 = seconds_now();
    history_reader *h = history_begin(&job->arena, job->repo_dir, job->ref, content_roots,
                                      &job->stop, &job->diags);
    pthread_mutex_lock(&job->lock);
    while (!job->previous_given)
        pthread_cond_wait(&job->files_given, &job->lock);
    const record *previous = job->previous;
    pthread_mutex_unlock(&job->lock);
    history_walk_commits(h, previous);
    pthread_mutex_lock(&job->lock);
    while (!job->given)
        pthread_cond_wait(&job->files_given, &job->lock);
    const source_tree *tree = job->tree;
    pthread_mutex_unlock(&job->lock);
    job->status = history_finish(h, tree, &job->record, job->out);
    if (getenv("HANDBOOK_TIMINGS"))
        fprintf(stderr, "timing: %-14s %7.1f ms (beside the rendering)\n", "history",
                (seconds_now() - t0) * 1000);
    pthread_mutex_lock(&job->lock);
    atomic_store(&job->done, true);
    pthread_cond_broadcast(&job->done_cond);
    pthread_mutex_unlock(&job->lock);
    return NULL;
}

/* For the render threads (render_wait): whether the histories are read,
 * and waiting until they are. */
static bool history_done(void *arg)
{
    history_job *job = arg;
    return atomic_load(&job->done);
}

static void wait_for_history_done(void *arg)
{
    history_job *job = arg;
    pthread_mutex_lock(&job->lock);
    while (!atomic_load(&job->done))
        pthread_cond_wait(&job->done_cond, &job->lock);
    pthread_mutex_unlock(&job->lock);
}

/* Hands the published site's record to the job (NULL: none, or the build
 * failed), once: the walk can be incremental. */
static void give_previous(history_job *job, const record *previous)
{
    pthread_mutex_lock(&job->lock);
    if (!job->previous_given) {
        job->previous_given = true;
        job->previous = previous;
        pthread_cond_signal(&job->files_given);
    }
    pthread_mutex_unlock(&job->lock);
}

/* Hands the source stage's files to the job (NULL: the build failed). */
static void give_files(history_job *job, const source_tree *tree)
{
    pthread_mutex_lock(&job->lock);
    if (!job->given) {
        job->given = true;
        job->tree = tree;
        pthread_cond_signal(&job->files_given);
    }
    pthread_mutex_unlock(&job->lock);
}

static void start_history(history_job *job)
{
    job->running = pthread_create(&job->thread, NULL, read_history, job) == 0;
}

static void wait_for_history(void *arg)
{
    history_job *job = arg;
    if (job->running) {
        pthread_join(job->thread, NULL);
        job->running = false;
        stage("history (wait)");
    }
}

/* Stops the job, when it runs, of a build that failed. */
static void stop_history(history_job *job)
{
    atomic_store(&job->stop, true);
    give_previous(job, NULL);
    give_files(job, NULL);
    wait_for_history(job);
}

/* Waits for the job, and hands its diagnostics to diags and its record
 * section to pub. Returns the job's status. */
static int finish_history(history_job *job, publisher *pub, diag_list *diags)
{
    wait_for_history(job);
    if (!job->finished) {
        job->finished = true;
        diag_list_append(diags, &job->diags);
        publish_record(pub, "history", &job->record);
    }
    return job->status;
}

/* The "sources" section: the base URL asked for, then every file read (path
 * and blob id). Written only by a build without any message, so that a
 * patch build, which reads only what changed, gives no fewer messages than
 * a whole build would. */
static void record_sources(publisher *pub, const build_options *opts, const source_tree *tree)
{
    buf out = BUF_INIT;
    size_t before = 0; /* about the size it will have: grown once, not copied over */
    if (record_section(publish_previous(pub), "sources", &before) != NULL)
        buf_reserve(&out, before + 4096);
    const char *base_url = opts->base_url ? opts->base_url : "";
    record_write_string(&out, base_url, strlen(base_url));
    record_write_number(&out, tree->count);
    for (size_t i = 0; i < tree->count; i++) {
        record_write_string(&out, tree->files[i].path, strlen(tree->files[i].path));
        record_write_string(&out, tree->files[i].blob_id, strlen(tree->files[i].blob_id));
    }
    publish_record(pub, "sources", &out);
}

/* The files whose contents differ from the previous build's, into changed
 * (paths, sorted; the caller frees the array). False when the previous build
 * read other files or another base URL, or has no "sources". */
static bool changed_sources(const record *previous, const build_options *opts,
                            const source_tree *tree, const char ***changed, size_t *count)
{
    record_reader rr = record_reader_of(previous, "sources");
    const char *base_url = record_read_string(&rr, NULL);
    *changed = calloc(tree->count + 1, sizeof **changed);
    *count = 0;
    if (*changed == NULL)
        abort();
    if (rr.failed || strcmp(base_url, opts->base_url ? opts->base_url : "") != 0 ||
        record_read_number(&rr) != tree->count)
        return false;
    for (size_t i = 0; i < tree->count && !rr.failed; i++) {
        const char *path = record_read_string(&rr, NULL);
        const char *blob = record_read_string(&rr, NULL);
        if (strcmp(path, tree->files[i].path) != 0)
            return false;
        if (strcmp(blob, tree->files[i].blob_id) != 0)
            (*changed)[(*count)++] = tree->files[i].path;
    }
    return !rr.failed && record_reader_done(&rr);
}

/* The content files of the previous build's "sources" (not handbook.yaml or
 * the layouts, which every build reads), with their blob ids, into known
 * (path -> source_known*, in *files, which the caller frees); false when
 * it has none. */
static bool known_sources(const record *previous, strmap *known, source_known **files,
                          size_t *count)
{
    record_reader rr = record_reader_of(previous, "sources");
    *files = NULL;
    *count = 0;
    if (previous == NULL || rr.at == NULL)
        return false;
    record_read_string(&rr, NULL);
    uint64_t recorded = record_read_number(&rr);
    if (recorded > (uint64_t)(rr.end - rr.at))
        return false;
    *files = calloc((size_t)recorded + 1, sizeof **files);
    if (*files == NULL)
        abort();
    strmap_reserve(known, (size_t)recorded);
    for (uint64_t n = recorded; n > 0 && !rr.failed; n--) {
        const char *path = record_read_string(&rr, NULL);
        const char *blob = record_read_string(&rr, NULL);
        if (!rr.failed && strcmp(path, CONFIG_FILE) != 0 &&
            strncmp(path, LAYOUTS_FOLDER "/", strlen(LAYOUTS_FOLDER "/")) != 0) {
            source_known *k = &(*files)[(*count)++];
            k->path = path;
            k->blob_id = blob;
            strmap_put(known, path, k);
        }
    }
    return !rr.failed && known->count > 0;
}

/* Makes the site by patching the previous one (render_patch) when only
 * Markdown bodies, or histories, changed. Returns 1 when done, 0 when the
 * whole build must run (nothing published but the history's section), -1
 * on error. */
static int patch_site(const build_options *opts, const source_options *source,
                      const source_tree *tree, site *s, publisher *pub, history_job *history,
                      render_stats *stats, diag_list *diags)
{
    const record *previous = publish_previous(pub);
    const char **changed = NULL;
    size_t count = 0;
    int result = 0;
    template_set *layouts = template_set_new();
    diag_list quiet = DIAG_LIST_INIT;
    if (previous != NULL && changed_sources(previous, opts, tree, &changed, &count) &&
        render_load_layouts(tree, s, layouts, &quiet) == 0 && quiet.count == 0) {
        result = finish_history(history, pub, diags) < 0
                     ? -1
                     : render_patch(s, source, tree, layouts, pub, changed, count, stats,
                                    diags);
    }
    diag_list_free(&quiet);
    template_set_free(layouts);
    free(changed);
    return result;
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
    history_job history = {.arena = ARENA_INIT, .record = BUF_INIT, .diags = DIAG_LIST_INIT,
                           .lock = PTHREAD_MUTEX_INITIALIZER,
                           .files_given = PTHREAD_COND_INITIALIZER,
                           .done_cond = PTHREAD_COND_INITIALIZER};

    source_options source = {opts->repo_dir ? opts->repo_dir : ".", opts->ref, content_roots,
                             NULL, NULL};
    source_tree tree = {0};
    strmap known = STRMAP_INIT;
    source_known *known_files = NULL;
    size_t known_count = 0;
    bool held = false;
    /* Only a build shows history; a check (the push hook) needs none. It is
     * read beside the publish and source stages, from the start: the walk
     * over the commits waits for the build record of the published site,
     * which is read under the lock. */
    if (opts->output_dir != NULL) {
        history.repo_dir = source.repo_dir;
        history.ref = opts->ref;
        history.out = &s.history;
        start_history(&history);
        /* Whether the files changed is asked of the file system from the
         * start too, as a patch build may follow. */
        if (opts->ref == NULL)
            source.prefetch = source_prefetch_start(source.repo_dir, content_roots);
        if ((pub = publish_begin(opts->output_dir, diags)) == NULL)
            goto done;
        stage("publish begin");
        give_previous(&history, publish_previous(pub));
        /* A patch build may follow: the content files it does not need
         * are then not read (source_options.known). */
        if (known_sources(publish_previous(pub), &known, &known_files, &known_count))
            source.known = &known;
    }
    /* Setting libgit2 up takes milliseconds (it parses the system's TLS
     * certificates): the history thread does it first, beside the publish
     * stage, and this waits for it if need be. */
    source_hold();
    held = true;
    int read = source_read(&a, &source, &tree, diags);
    source.prefetch = NULL; /* waited for */
    if (read < 0)
        goto done;
    stage("source");
    if (opts->output_dir != NULL) {
        give_files(&history, &tree);
        if (!history.running)
            read_history(&history); /* no thread to be had: now, then */
    }
    const source_file *config_file = source_find(&tree, CONFIG_FILE);
    if (config_file == NULL) {
        diag_add(diags, DIAG_ERROR, CONFIG_FILE, 0, 0,
                 "not found in %s; is this the handbook's repository?", source.repo_dir);
        goto done;
    }
    if (config_load(&a, config_file->data, config_file->len, opts->base_url, &s.config, diags) < 0)
        goto done;
    render_stats stats = {0};
    if (pub != NULL) {
        int patched = patch_site(opts, &source, &tree, &s, pub, &history, &stats, diags);
        stage("patch");
        if (patched < 0)
            goto done;
        result->patched = patched == 1;
        if (patched == 1)
            goto rendered;
        if (source.known != NULL) {
            /* The whole build needs every file: read them all. */
            wait_for_history(&history);
            source.known = NULL;
            if (source_read(&a, &source, &tree, diags) < 0)
                goto done;
            stage("source again");
        }
    }
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
        render_site(&s, &tree, layouts, NULL, NULL, &ignored, diags);
        goto done;
    }
    render_wait wait = {history_done, wait_for_history_done, &history};
    int rendered = render_site(&s, &tree, layouts, pub, opts->output_dir ? &wait : NULL, &stats,
                               diags);
    stage("render");
    if (opts->output_dir != NULL && finish_history(&history, pub, diags) < 0)
        goto done;
    if (rendered < 0)
        goto done;
rendered:
    if (pub != NULL && diags->count == 0)
        record_sources(pub, opts, &tree);
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
    stop_history(&history);
    publish_abort(pub);
    strmap_free(&s.by_source);
    strmap_free(&s.failed);
    strmap_free(&s.history);
    source_prefetch_wait(source.prefetch); /* when the build failed before the source stage */
    strmap_free(&known);
    free(known_files);
    template_set_free(layouts);
    arena_free(&history.arena);
    buf_free(&history.record);
    diag_list_free(&history.diags);
    pthread_mutex_destroy(&history.lock);
    pthread_cond_destroy(&history.files_given);
    pthread_cond_destroy(&history.done_cond);
    arena_free(&a);
    if (held)
        source_release();
    result->seconds = seconds_now() - start;
    return status;
}
