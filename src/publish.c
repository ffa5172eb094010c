#include "publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "fileio.h"
#include "record.h"
#include "strmap.h"

/* A file of the folder being prepared, as the record of the previous site
 * says it is. */
typedef struct staged_file {
    record_hash hash;
    bool handled; /* written, kept or replaced by this build */
} staged_file;

/* A change to the staging folder, made by the writer thread: files are
 * created there while the next pages are rendered. */
typedef struct write_job {
    struct write_job *next;
    char *full;      /* the file in the staging folder */
    char *link_from; /* the published file with the same bytes, to link; or NULL */
    char *data;      /* the bytes to write when there is nothing to link, or NULL */
    size_t len;
    bool replace;    /* the old copy has a file there, to remove first */
} write_job;

/* Rendering may run this far ahead of the writer: bounds the memory. */
#define PUBLISH_MAX_PENDING (8u * 1024 * 1024)
/* A writer with nothing to do sleeps until this many files or bytes wait:
 * waking a thread costs a system call and a task switch, on this kind of
 * virtual machine as much as writing a small file. */
enum { WAKE_BATCH_FILES = 32, WAKE_BATCH_BYTES = 256 * 1024 };

struct publisher {
    char *output_dir; /* as given, without trailing slash */
    char *staging;    /* the new site, beside output_dir */
    char *old_copy;   /* ".NAME.old": the site before the published one */
    char *record_path, *old_record_path, *new_record_path;
    int lock_fd;      /* holds the flock on ".NAME.lock" until commit or abort */
    arena arena;
    record *published; /* the record of output_dir, or NULL: a full build */
    record *previous;  /* the record of the old copy, while its files are staged */
    strmap published_by_hash; /* hash in hex -> a path in output_dir with that content,
                                 made on first need (published_file) */
    bool by_hash_made;
    bool kept_others; /* publish_keep_others ran: no search for contents */
    strmap published_at; /* then: path -> staged_file, the published hash of the
                            paths written anew */
    strmap staged;    /* path -> staged_file: what the staging folder holds now;
                         made from previous by the writer (make_staged), so that
                         the other stages need not wait for it; see wait_staged */
    arena staged_arena;
    bool staged_ready; /* under mutex */
    pthread_cond_t staged_made;
    strmap written;   /* paths of this build's outputs; after publish_keep_others
                         only those written since (writing has the rest) */
    const strmap *writing; /* publish_keep_others': what may still be written */
    buf outputs;      /* the record's "outputs" section: path and hash of each */
    size_t output_count;
    const char *section_names[12]; /* the other stages' record sections */
    struct output_list *collecting; /* publish_keep_others: the published outputs */
    buf sections[12];
    size_t section_count;
    const char *base_names[12]; /* sections for a new base (publish_record_base) */
    buf base_sections[12];
    size_t base_count;
    bool keep_base;   /* the new record names the published record's base */
    char *base_prefix; /* ".NAME.base-": base files, beside output_dir */
    size_t files, changed;
    /* Held while a file is staged: the render stage may publish from two
     * threads at once. */
    pthread_mutex_t stage_lock;
    /* The writer thread and its queue. */
    pthread_t writer;
    bool writer_running, closing, discard;
    strmap known_folders; /* the writer's: folders of the staging folder that exist */
    pthread_mutex_t mutex;
    pthread_cond_t more, room;
    /* Who waits on more and room: waking a thread costs a system call and
     * often a switch, so only one that waits is woken. */
    bool writer_waits;
    unsigned producers_waiting;
    size_t queued; /* jobs in the queue */
    write_job *head, *tail;
    size_t pending;
    char *write_error_file, *write_error; /* the writer's first error, malloc'ed */
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens the lock file and takes an exclusive flock on it, waiting (after
 * saying so once) while another build holds it. The kernel releases the lock
 * when its holder exits, even on SIGKILL, so a killed build leaves nothing to
 * clean up. The file stays: unlinking a lock file races with a waiter that
 * has it open. Returns the descriptor, or -1 with an error in diags. */
static int take_lock(const char *lock_path, const char *output_dir, diag_list *diags)
{
    int fd = open(lock_path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        diag_add(diags, DIAG_ERROR, lock_path, 0, 0,
                 "cannot open the lock file: %s; check that the folder of the output exists "
                 "and is writable",
                 strerror(errno));
        return -1;
    }
    int r;
    while ((r = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
        ;
    if (r < 0 && errno == EWOULDBLOCK) {
        fprintf(stderr,
                "handbook: another build is publishing to %s (lock %s); waiting for it to "
                "finish\n",
                output_dir, lock_path);
        while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
            ;
    }
    if (r < 0) {
        diag_add(diags, DIAG_ERROR, lock_path, 0, 0, "cannot lock the file: %s",
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void free_publisher(publisher *pub);
static void *write_jobs(void *arg);

/* "DIR/.NAME.SUFFIX" for output folder "DIR/NAME". */
static char *beside(const buf *out, const char *suffix)
{
    buf b = BUF_INIT;
    const char *slash = strrchr(out->data, '/');
    if (slash)
        buf_printf(&b, "%.*s/.%s%s", (int)(slash - out->data), out->data, slash + 1, suffix);
    else
        buf_printf(&b, ".%s%s", out->data, suffix);
    return buf_detach(&b);
}

static void hash_hex(record_hash h, char hex[33])
{
    snprintf(hex, 33, "%016llx%016llx", (unsigned long long)h.high, (unsigned long long)h.low);
}

/* The record that describes folder dir, from the first of paths that does. */
static record *load_record(const char *dir, const char *const *paths, size_t count)
{
    struct stat st;
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return NULL;
    for (size_t i = 0; i < count; i++) {
        record *r = record_load(paths[i], record_generator(), st.st_dev, st.st_ino);
        if (r != NULL)
            return r;
    }
    return NULL;
}

/* Reads the "outputs" section of r: calls each(pub, path, hash) per file;
 * false when the section is damaged. */
static void note_staged(publisher *pub, const char *path, record_hash h);

static bool read_outputs(publisher *pub, const record *r,
                         void (*each)(publisher *, const char *, record_hash))
{
    record_reader counted = record_reader_of(r, "output count");
    uint64_t count = record_read_number(&counted);
    record_reader rr = record_reader_of(r, "outputs");
    if (counted.failed || count > (uint64_t)(rr.end - rr.at))
        return false;
    if (each == note_staged)
        strmap_reserve(&pub->staged, (size_t)count);
    for (uint64_t i = 0; i < count && !rr.failed; i++) {
        const char *path = record_read_string(&rr, NULL);
        record_hash h = record_read_hash(&rr);
        if (!rr.failed)
            each(pub, path, h);
    }
    return !rr.failed;
}

static void check_output(publisher *pub, const char *path, record_hash h)
{
    (void)pub, (void)path, (void)h;
}

static void note_published(publisher *pub, const char *path, record_hash h)
{
    char hex[33];
    hash_hex(h, hex);
    strmap_put(&pub->published_by_hash, arena_strdup(&pub->arena, hex), (void *)path);
}

static void note_staged(publisher *pub, const char *path, record_hash h)
{
    staged_file *f = arena_alloc(&pub->staged_arena, sizeof *f);
    f->hash = h;
    strmap_put(&pub->staged, path, f);
}

/* Whether r has its outputs, whole: the sections' hashes are checked when
 * they are read. */
static bool has_outputs(const record *r)
{
    return record_reader_of(r, "output count").at != NULL &&
           record_reader_of(r, "outputs").at != NULL;
}

/* Makes the staging folder: the site before the published one when both
 * records are good, so that only what changed since then is written; else an
 * empty folder. What it holds (staged) is read from its record later, by
 * make_staged. */
static int prepare_staging(publisher *pub, diag_list *diags)
{
    remove_tree(pub->staging); /* left by a killed build */
    const char *old_records[] = {pub->old_record_path};
    if (pub->published != NULL)
        pub->previous = load_record(pub->old_copy, old_records, 1);
    unlink(pub->old_record_path); /* from here on, the old copy changes */
    if (pub->previous != NULL && has_outputs(pub->previous) &&
        rename(pub->old_copy, pub->staging) == 0)
        return 0;
    record_free(pub->previous);
    pub->previous = NULL;
    remove_tree(pub->old_copy);
    if (mkdir(pub->staging, 0755) < 0) {
        diag_add(diags, DIAG_ERROR, pub->staging, 0, 0, "cannot create the folder: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

static void write_failed(publisher *pub, const char *path, const char *doing);

/* Reads what the staging folder holds from the old copy's record (21,000
 * files for the benchmark: milliseconds the source stage need not wait
 * for), then lets wait_staged return. An outputs section that does not
 * decode leaves an empty staging folder. */
static void make_staged(publisher *pub)
{
    if (pub->previous != NULL && !read_outputs(pub, pub->previous, note_staged)) {
        strmap_free(&pub->staged);
        pub->staged = (strmap)STRMAP_INIT;
        remove_tree(pub->staging);
        if (mkdir(pub->staging, 0755) < 0)
            write_failed(pub, pub->staging, "create the folder");
    }
    pthread_mutex_lock(&pub->mutex);
    pub->staged_ready = true;
    pthread_cond_broadcast(&pub->staged_made);
    pthread_mutex_unlock(&pub->mutex);
}

/* Waits until make_staged is done: before staged is read. */
static void wait_staged(publisher *pub)
{
    pthread_mutex_lock(&pub->mutex);
    while (!pub->staged_ready)
        pthread_cond_wait(&pub->staged_made, &pub->mutex);
    pthread_mutex_unlock(&pub->mutex);
}

publisher *publish_begin(const char *output_dir, diag_list *diags)
{
    buf out = BUF_INIT;
    buf_append_str(&out, output_dir);
    while (out.len > 1 && out.data[out.len - 1] == '/')
        out.data[--out.len] = '\0';
    /* Everything lives in the output folder's parent, so the renames stay on
     * one file system: ".NAME.new" (the site being made), ".NAME.old" (the
     * site before the published one, reused as the next ".NAME.new"), their
     * records, and the lock. Only the holder of the lock touches them. */
    publisher *pub = calloc(1, sizeof *pub);
    if (pub == NULL)
        abort();
    *pub = (publisher){.lock_fd = -1, .arena = ARENA_INIT, .staged_arena = ARENA_INIT,
                       .outputs = BUF_INIT};
    pthread_mutex_init(&pub->stage_lock, NULL);
    pthread_cond_init(&pub->staged_made, NULL);
    pthread_mutex_init(&pub->mutex, NULL);
    pthread_cond_init(&pub->more, NULL);
    pthread_cond_init(&pub->room, NULL);
    pub->staging = beside(&out, ".new");
    pub->old_copy = beside(&out, ".old");
    pub->record_path = beside(&out, ".record");
    pub->old_record_path = beside(&out, ".old.record");
    pub->new_record_path = beside(&out, ".record.new");
    pub->base_prefix = beside(&out, ".base-");
    char *lock = beside(&out, ".lock");
    pub->output_dir = buf_detach(&out);
    pub->lock_fd = take_lock(lock, pub->output_dir, diags);
    free(lock);
    if (pub->lock_fd < 0) {
        free_publisher(pub);
        return NULL;
    }
    /* A build killed after its swap but before renaming its record leaves
     * the right one as ".NAME.record.new". */
    const char *records[] = {pub->new_record_path, pub->record_path};
    pub->published = load_record(pub->output_dir, records, 2);
    if (pub->published && !read_outputs(pub, pub->published, check_output)) {
        record_free(pub->published);
        pub->published = NULL;
    }
    if (prepare_staging(pub, diags) < 0) {
        publish_abort(pub);
        return NULL;
    }
    /* Without a thread the files are written at once, which works too. */
    pub->writer_running = pthread_create(&pub->writer, NULL, write_jobs, pub) == 0;
    if (!pub->writer_running)
        make_staged(pub);
    return pub;
}

static bool safe_relative_path(const char *path)
{
    if (path[0] == '\0' || path[0] == '/')
        return false;
    for (const char *p = path; *p;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += len + (end != NULL);
    }
    return true;
}

/* Makes the parent folders of full (a path in the staging folder, whose
 * first len_before bytes are the staging folder), replacing a file of the
 * old copy where a folder must now be. */
/* Makes the parent folders of full, a file in the staging folder, where
 * the writer has not made or seen them yet, replacing a file of the old copy
 * where a folder must now be. Returns 0 or -1 (errno set). */
static int make_parents(publisher *pub, buf *full)
{
    for (char *p = full->data + strlen(pub->staging) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int status = 0;
        if (strmap_get(&pub->known_folders, full->data) == NULL) {
            struct stat st;
            if (mkdir(full->data, 0755) < 0 &&
                (errno != EEXIST || lstat(full->data, &st) < 0 ||
                 (!S_ISDIR(st.st_mode) &&
                  (unlink(full->data) < 0 || mkdir(full->data, 0755) < 0))))
                status = -1;
            else
                strmap_put(&pub->known_folders, strdup(full->data), pub);
        }
        *p = '/';
        if (status < 0)
            return -1;
    }
    return 0;
}

/* Writes a new file (never into an existing one: its inode may be shared
 * with the published site). */
static int write_new_file(const char *path, const char *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    int status = write_fully(fd, bytes, len) ? 0 : -1;
    if (close(fd) < 0)
        status = -1;
    return status;
}

/* Notes the writer's first error (the later ones follow from it, mostly). */
static void write_failed(publisher *pub, const char *path, const char *doing)
{
    int saved = errno;
    pthread_mutex_lock(&pub->mutex);
    if (pub->write_error == NULL) {
        if (asprintf(&pub->write_error, "cannot %s: %s", doing, strerror(saved)) < 0 ||
            (pub->write_error_file = strdup(path)) == NULL)
            abort();
    }
    pthread_mutex_unlock(&pub->mutex);
}

static void run_job(publisher *pub, write_job *job)
{
    buf full = BUF_INIT;
    buf_append_str(&full, job->full);
    if (make_parents(pub, &full) < 0) {
        write_failed(pub, full.data, "create the folder");
    } else {
        if (job->replace && unlink(job->full) < 0 && errno == EISDIR)
            remove_tree(job->full);
        /* Twice, when the old copy has something else there (a folder
         * where a file must now be): that goes first. */
        for (int attempt = 0; attempt < 2; attempt++) {
            bool done;
            const char *doing;
            if (job->link_from != NULL) {
                done = link(job->link_from, job->full) == 0; /* same inode and time */
                doing = "link the file";
            } else {
                done = write_new_file(job->full, job->data, job->len) == 0;
                doing = "write the file";
            }
            if (done)
                break;
            if (attempt == 0 && (errno == EEXIST || errno == EISDIR)) {
                remove_tree(job->full);
                continue;
            }
            write_failed(pub, job->link_from ? job->link_from : job->full, doing);
            break;
        }
    }
    buf_free(&full);
    free(job->full);
    free(job->link_from);
    free(job->data);
    free(job);
}

static void *write_jobs(void *arg)
{
    publisher *pub = arg;
    arena_thread_huge_pages();
    make_staged(pub);
    pthread_mutex_lock(&pub->mutex);
    for (;;) {
        while (pub->head == NULL && !pub->closing) {
            pub->writer_waits = true;
            pthread_cond_wait(&pub->more, &pub->mutex);
            pub->writer_waits = false;
        }
        write_job *job = pub->head;
        if (job == NULL)
            break; /* closing, and nothing left */
        pub->head = job->next;
        if (pub->head == NULL)
            pub->tail = NULL;
        pub->queued--;
        size_t len = job->len;
        bool discard = pub->discard;
        pthread_mutex_unlock(&pub->mutex);
        if (discard) {
            free(job->full);
            free(job->link_from);
            free(job->data);
            free(job);
        } else {
            run_job(pub, job);
        }
        pthread_mutex_lock(&pub->mutex);
        pub->pending -= len;
        if (pub->producers_waiting > 0 && pub->pending <= PUBLISH_MAX_PENDING)
            pthread_cond_broadcast(&pub->room);
    }
    pthread_mutex_unlock(&pub->mutex);
    return NULL;
}

/* Hands job to the writer (or, without one, does it now). */
static void queue_job(publisher *pub, write_job *job)
{
    if (!pub->writer_running) {
        run_job(pub, job);
        return;
    }
    pthread_mutex_lock(&pub->mutex);
    while (pub->pending > PUBLISH_MAX_PENDING) {
        pub->producers_waiting++;
        pthread_cond_wait(&pub->room, &pub->mutex);
        pub->producers_waiting--;
    }
    if (pub->tail)
        pub->tail->next = job;
    else
        pub->head = job;
    pub->tail = job;
    pub->pending += job->len;
    pub->queued++;
    /* A sleeping writer is woken for a batch, not for every file. */
    if (pub->writer_waits &&
        (pub->queued >= WAKE_BATCH_FILES || pub->pending >= WAKE_BATCH_BYTES))
        pthread_cond_signal(&pub->more);
    pthread_mutex_unlock(&pub->mutex);
}

/* Waits until the writer has done every job, and stops it. Returns 0, or -1
 * with its first error in diags. */
static int finish_writes(publisher *pub, diag_list *diags)
{
    if (pub->writer_running) {
        pthread_mutex_lock(&pub->mutex);
        pub->closing = true;
        pthread_cond_signal(&pub->more);
        pthread_mutex_unlock(&pub->mutex);
        pthread_join(pub->writer, NULL);
        pub->writer_running = false;
    }
    if (pub->write_error == NULL)
        return 0;
    diag_add(diags, DIAG_ERROR, pub->write_error_file, 0, 0, "%s", pub->write_error);
    free(pub->write_error);
    free(pub->write_error_file);
    pub->write_error = pub->write_error_file = NULL;
    return -1;
}

static char *copy_bytes(const void *data, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, data, len);
    return copy;
}

/* Puts the file with contents hash at path in the staging folder: keeps it
 * when the old copy has it there already, else links the published site's
 * file with that content (so its modification time stays, and an rsync of
 * the site skips it), else writes data. Returns 1 when done, 0 when only
 * writing would do and data is NULL, -1 on error. */
/* Whether the published site has a file with contents hash (its path into
 * from). */
static bool published_file(publisher *pub, record_hash hash, buf *from)
{
    if (pub->published == NULL)
        return false;
    if (!pub->by_hash_made) {
        pub->by_hash_made = true;
        read_outputs(pub, pub->published, note_published);
    }
    char hex[33];
    hash_hex(hash, hex);
    const char *published = strmap_get(&pub->published_by_hash, hex);
    if (published == NULL)
        return false;
    buf_printf(from, "%s/%s", pub->output_dir, published);
    struct stat st;
    return lstat(from->data, &st) == 0 && S_ISREG(st.st_mode);
}

static int stage(publisher *pub, const char *path, record_hash hash, const void *data,
                 size_t len, diag_list *diags)
{
    /* After publish_keep_others every other path of the site is taken. */
    if (strmap_get(&pub->written, path) != NULL ||
        (pub->writing != NULL && strmap_get(pub->writing, path) == NULL)) {
        diag_add(diags, DIAG_ERROR, path, 0, 0,
                 "two outputs have the same name; check the URL settings");
        return -1;
    }
    wait_staged(pub);
    staged_file *old = strmap_get(&pub->staged, path);
    if (old != NULL && !old->handled && record_hash_equal(old->hash, hash)) {
        old->handled = true; /* the old copy has it already */
    } else {
        buf from = BUF_INIT;
        /* After publish_keep_others, what is written anew is new, unless
         * the published site has those bytes at that very path. */
        bool linkable;
        if (pub->kept_others && data != NULL) {
            const staged_file *at = strmap_get(&pub->published_at, path);
            linkable = at != NULL && record_hash_equal(at->hash, hash);
            if (linkable)
                buf_printf(&from, "%s/%s", pub->output_dir, path);
        } else {
            linkable = published_file(pub, hash, &from);
        }
        if (!linkable && data == NULL) {
            buf_free(&from);
            return 0; /* gone from the published site: the caller makes it again */
        }
        write_job *job = calloc(1, sizeof *job);
        if (job == NULL || asprintf(&job->full, "%s/%s", pub->staging, path) < 0)
            abort();
        job->replace = old != NULL;
        if (old != NULL)
            old->handled = true;
        if (linkable) {
            job->link_from = buf_detach(&from);
        } else {
            job->data = copy_bytes(data, len);
            job->len = len;
            pub->changed++;
        }
        buf_free(&from);
        queue_job(pub, job);
    }
    strmap_put(&pub->written, arena_strdup(&pub->arena, path), pub);
    record_write_string(&pub->outputs, path, strlen(path));
    record_write_hash(&pub->outputs, hash);
    pub->output_count++;
    pub->files++;
    return 1;
}

int publish_write(publisher *pub, const char *path, const void *data, size_t len,
                  diag_list *diags)
{
    if (!safe_relative_path(path)) {
        diag_add(diags, DIAG_ERROR, path, 0, 0,
                 "refusing to write outside the output folder; check the URL settings");
        return -1;
    }
    if (pub == NULL)
        return 0;
    record_hash hash = record_hash_of(data, len);
    pthread_mutex_lock(&pub->stage_lock);
    int staged = stage(pub, path, hash, data, len, diags);
    pthread_mutex_unlock(&pub->stage_lock);
    return staged < 0 ? -1 : 0;
}

int publish_reuse(publisher *pub, const char *path, record_hash hash, diag_list *diags)
{
    if (pub == NULL || pub->published == NULL || !safe_relative_path(path))
        return 0;
    pthread_mutex_lock(&pub->stage_lock);
    int staged = stage(pub, path, hash, NULL, 0, diags);
    pthread_mutex_unlock(&pub->stage_lock);
    return staged;
}

/* The outputs of the published site, for publish_keep_others. */
struct output_list {
    const char **paths;
    record_hash *hashes;
    size_t count, cap;
};
typedef struct output_list output_list;

static void collect_output(publisher *pub, const char *path, record_hash h)
{
    output_list *l = pub->collecting;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->paths = realloc(l->paths, l->cap * sizeof *l->paths);
        l->hashes = realloc(l->hashes, l->cap * sizeof *l->hashes);
        if (l->paths == NULL || l->hashes == NULL)
            abort();
    }
    l->paths[l->count] = path;
    l->hashes[l->count++] = h;
}

int publish_keep_others(publisher *pub, const strmap *writing, diag_list *diags)
{
    (void)diags;
    if (pub == NULL || pub->published == NULL)
        return 0;
    wait_staged(pub);
    output_list outputs = {0};
    pub->collecting = &outputs;
    bool whole = read_outputs(pub, pub->published, collect_output);
    pub->collecting = NULL;
    /* Each one the old copy has, or else the published site's file at the
     * same path (its record says it has those bytes), linked. First
     * whether every one can be, so that nothing is staged when one cannot. */
    staged_file **olds = calloc(outputs.count + 1, sizeof *olds);
    bool *skip = calloc(outputs.count + 1, sizeof *skip);
    if (olds == NULL || skip == NULL)
        abort();
    buf from = BUF_INIT;
    for (size_t i = 0; whole && i < outputs.count; i++) {
        const char *path = outputs.paths[i];
        skip[i] = strmap_get(writing, path) != NULL || strmap_get(&pub->written, path) != NULL;
        if (skip[i]) {
            /* Written anew: a file with the same bytes is linked all the same. */
            staged_file *at = arena_alloc(&pub->arena, sizeof *at);
            at->hash = outputs.hashes[i];
            strmap_put(&pub->published_at, path, at);
            continue;
        }
        olds[i] = strmap_get(&pub->staged, path);
        if (olds[i] != NULL && !olds[i]->handled && record_hash_equal(olds[i]->hash, outputs.hashes[i]))
            continue;
        buf_clear(&from);
        buf_printf(&from, "%s/%s", pub->output_dir, path);
        struct stat st;
        whole = lstat(from.data, &st) == 0 && S_ISREG(st.st_mode);
    }
    pthread_mutex_lock(&pub->stage_lock);
    size_t outputs_len = 0;
    if (whole && record_section(pub->published, "outputs", &outputs_len) != NULL)
        buf_reserve(&pub->outputs, outputs_len + 4096); /* grown once, not copied over */
    for (size_t i = 0; whole && i < outputs.count; i++) {
        const char *path = outputs.paths[i];
        staged_file *old = olds[i];
        if (skip[i])
            continue;
        if (old == NULL || old->handled || !record_hash_equal(old->hash, outputs.hashes[i])) {
            write_job *job = calloc(1, sizeof *job);
            if (job == NULL || asprintf(&job->full, "%s/%s", pub->staging, path) < 0 ||
                asprintf(&job->link_from, "%s/%s", pub->output_dir, path) < 0)
                abort();
            job->replace = old != NULL;
            queue_job(pub, job);
        }
        if (old != NULL)
            old->handled = true;
        record_write_string(&pub->outputs, path, strlen(path));
        record_write_hash(&pub->outputs, outputs.hashes[i]);
        pub->output_count++;
        pub->files++;
    }
    pub->kept_others = whole;
    if (whole)
        pub->writing = writing;
    pthread_mutex_unlock(&pub->stage_lock);
    buf_free(&from);
    free(olds);
    free(skip);
    free(outputs.paths);
    free(outputs.hashes);
    return whole ? 1 : 0;
}

const record *publish_previous(const publisher *pub)
{
    return pub ? pub->published : NULL;
}

void publish_record(publisher *pub, const char *name, buf *content)
{
    if (pub == NULL || pub->section_count == sizeof pub->sections / sizeof pub->sections[0])
        abort(); /* a stage without a publisher has no record to add to */
    pub->section_names[pub->section_count] = name;
    pub->sections[pub->section_count++] = *content;
    *content = (buf)BUF_INIT;
}

void publish_record_base(publisher *pub, const char *name, buf *content)
{
    if (pub == NULL || pub->keep_base ||
        pub->base_count == sizeof pub->base_sections / sizeof pub->base_sections[0])
        abort();
    pub->base_names[pub->base_count] = name;
    pub->base_sections[pub->base_count++] = *content;
    *content = (buf)BUF_INIT;
}

bool publish_keep_base(publisher *pub)
{
    if (pub == NULL || pub->base_count > 0 || pub->published == NULL ||
        !record_has_own(pub->published, RECORD_BASE_SECTION))
        return false;
    pub->keep_base = true;
    return true;
}

/* Frees pub and releases the lock. */
static void free_publisher(publisher *pub)
{
    if (pub->lock_fd >= 0)
        close(pub->lock_fd);
    record_free(pub->published);
    record_free(pub->previous);
    strmap_free(&pub->published_by_hash);
    strmap_free(&pub->staged);
    arena_free(&pub->staged_arena);
    strmap_free(&pub->written);
    strmap_free(&pub->published_at);
    for (size_t i = 0; i < pub->known_folders.cap; i++)
        free((char *)pub->known_folders.entries[i].key);
    strmap_free(&pub->known_folders);
    free(pub->write_error);
    free(pub->write_error_file);
    pthread_mutex_destroy(&pub->stage_lock);
    pthread_mutex_destroy(&pub->mutex);
    pthread_cond_destroy(&pub->more);
    pthread_cond_destroy(&pub->room);
    pthread_cond_destroy(&pub->staged_made);
    buf_free(&pub->outputs);
    for (size_t i = 0; i < pub->section_count; i++)
        buf_free(&pub->sections[i]);
    for (size_t i = 0; i < pub->base_count; i++)
        buf_free(&pub->base_sections[i]);
    free(pub->base_prefix);
    arena_free(&pub->arena);
    free(pub->output_dir);
    free(pub->staging);
    free(pub->old_copy);
    free(pub->record_path);
    free(pub->old_record_path);
    free(pub->new_record_path);
    free(pub);
}

/* Removes the files of the old copy that the new site does not have, and
 * the folders that leaves empty. */
static void remove_stale(publisher *pub)
{
    buf full = BUF_INIT;
    for (size_t i = 0; i < pub->staged.cap; i++) {
        const strmap_entry *e = &pub->staged.entries[i];
        if (e->key == NULL || ((staged_file *)e->value)->handled)
            continue;
        buf_clear(&full);
        buf_printf(&full, "%s/%s", pub->staging, e->key);
        if (unlink(full.data) < 0)
            continue;
        size_t root = strlen(pub->staging);
        for (char *slash; (slash = strrchr(full.data, '/')) != NULL && (size_t)(slash - full.data) > root;) {
            *slash = '\0';
            if (rmdir(full.data) < 0)
                break;
        }
    }
    buf_free(&full);
}

/* The base file name (".NAME.base-ID") for a base with id. */
static char *base_file(const publisher *pub, record_hash id)
{
    char hex[33];
    hash_hex(id, hex);
    const char *slash = strrchr(pub->base_prefix, '/');
    buf b = BUF_INIT;
    buf_printf(&b, "%s%s", slash ? slash + 1 : pub->base_prefix, hex);
    return buf_detach(&b);
}

/* Writes the new base, when there is one, and sets base_ref to the "base"
 * section naming it (or the published record's, kept). Returns 0 or -1. */
static int write_base(publisher *pub, buf *base_ref, diag_list *diags)
{
    if (pub->keep_base) {
        size_t len;
        const uint8_t *bytes = record_section(pub->published, RECORD_BASE_SECTION, &len);
        buf_append(base_ref, (const char *)bytes, len);
        return 0;
    }
    if (pub->base_count == 0)
        return 0;
    const buf *contents[12];
    for (size_t i = 0; i < pub->base_count; i++)
        contents[i] = &pub->base_sections[i];
    record_hash id = record_sections_id(pub->base_names, contents, pub->base_count);
    char *name = base_file(pub, id);
    const char *slash = strrchr(pub->base_prefix, '/');
    buf path = BUF_INIT;
    buf_printf(&path, "%.*s%s", slash ? (int)(slash - pub->base_prefix + 1) : 0, pub->base_prefix,
               name);
    int status = record_write_file(path.data, record_generator(), 0, 0, pub->base_names,
                                   contents, pub->base_count);
    if (status < 0)
        diag_add(diags, DIAG_ERROR, path.data, 0, 0, "cannot write the file: %s",
                 strerror(errno));
    char *dir = slash ? strndup(pub->base_prefix, (size_t)(slash - pub->base_prefix)) : strdup(".");
    if (dir == NULL)
        abort();
    record_write_base_ref(base_ref, dir, name, id);
    free(dir);
    free(name);
    buf_free(&path);
    return status;
}

/* The base file a record's "base" section names, or NULL (caller frees). */
static char *named_base(const record *r)
{
    record_reader rr = record_reader_of(r, RECORD_BASE_SECTION);
    const char *name = record_read_string(&rr, NULL);
    return rr.failed || !record_has_own(r, RECORD_BASE_SECTION) ? NULL : strdup(name);
}

/* Removes the base files that neither record names: the one of the new
 * site and the one of the site before it (the old copy). */
static void remove_unused_bases(publisher *pub, const char *keep1, const char *keep2)
{
    const char *slash = strrchr(pub->base_prefix, '/');
    char *dir = slash ? strndup(pub->base_prefix, (size_t)(slash - pub->base_prefix)) : strdup(".");
    const char *prefix = slash ? slash + 1 : pub->base_prefix;
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
            (keep1 && strcmp(e->d_name, keep1) == 0) || (keep2 && strcmp(e->d_name, keep2) == 0))
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d != NULL)
        closedir(d);
    free(dir);
}

/* Writes the record of the staging folder as ".NAME.record.new". */
static int write_record(publisher *pub, diag_list *diags)
{
    struct stat st;
    if (stat(pub->staging, &st) < 0) {
        diag_add(diags, DIAG_ERROR, pub->staging, 0, 0, "cannot read the folder: %s",
                 strerror(errno));
        return -1;
    }
    buf count = BUF_INIT, base_ref = BUF_INIT;
    if (write_base(pub, &base_ref, diags) < 0) {
        buf_free(&base_ref);
        return -1;
    }
    record_write_number(&count, pub->output_count);
    const char *names[16] = {"output count", "outputs"};
    const buf *contents[16] = {&count, &pub->outputs};
    size_t n = 2;
    if (base_ref.len > 0) {
        names[n] = RECORD_BASE_SECTION;
        contents[n++] = &base_ref;
    }
    for (size_t i = 0; i < pub->section_count; i++) {
        names[n] = pub->section_names[i];
        contents[n++] = &pub->sections[i];
    }
    int status = record_write_file(pub->new_record_path, record_generator(), st.st_dev,
                                   st.st_ino, names, contents, n);
    if (status < 0)
        diag_add(diags, DIAG_ERROR, pub->new_record_path, 0, 0, "cannot write the file: %s",
                 strerror(errno));
    buf_free(&count);
    buf_free(&base_ref);
    return status;
}

int publish_commit(publisher *pub, diag_list *diags)
{
    int status = finish_writes(pub, diags);
    if (status == 0) {
        remove_stale(pub);
        status = write_record(pub, diags);
    }
    struct stat st;
    if (status < 0) {
        remove_tree(pub->staging);
    } else if (lstat(pub->output_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            diag_add(diags, DIAG_ERROR, pub->output_dir, 0, 0,
                     "the output is not a folder; remove it or choose another with -o");
            status = -1;
        } else if (renameat2(AT_FDCWD, pub->staging, AT_FDCWD, pub->output_dir,
                             RENAME_EXCHANGE) < 0) {
            diag_add(diags, DIAG_ERROR, pub->output_dir, 0, 0, "cannot publish the site: %s",
                     strerror(errno));
            status = -1;
        }
        if (status < 0) {
            remove_tree(pub->staging);
        } else {
            /* The site that was published is kept as the old copy, with its
             * record, to become the next build's staging folder. A build
             * killed in between leaves records that describe no folder:
             * the next build is then a full one. */
            rename(pub->staging, pub->old_copy);
            rename(pub->record_path, pub->old_record_path);
        }
    } else if (rename(pub->staging, pub->output_dir) < 0) {
        diag_add(diags, DIAG_ERROR, pub->output_dir, 0, 0, "cannot publish the site: %s",
                 strerror(errno));
        remove_tree(pub->staging);
        status = -1;
    }
    if (status == 0) {
        rename(pub->new_record_path, pub->record_path);
        /* The bases still named: the new record's and the old copy's (the
         * site published until now, whose record is the old one now). */
        record_free(pub->previous);
        pub->previous = NULL;
        char *keep_old = pub->published ? named_base(pub->published) : NULL;
        /* A patch build's record names the published record's base. */
        record *now = NULL;
        if (!pub->keep_base) {
            const char *records[] = {pub->record_path};
            now = load_record(pub->output_dir, records, 1);
        }
        char *keep_new = now ? named_base(now) : NULL;
        remove_unused_bases(pub, pub->keep_base ? keep_old : keep_new, keep_old);
        record_free(now);
        free(keep_new);
        free(keep_old);
    } else {
        unlink(pub->new_record_path);
    }
    free_publisher(pub);
    return status;
}

void publish_abort(publisher *pub)
{
    if (pub == NULL)
        return;
    pthread_mutex_lock(&pub->mutex);
    pub->discard = true;
    pthread_mutex_unlock(&pub->mutex);
    diag_list ignored = DIAG_LIST_INIT;
    finish_writes(pub, &ignored);
    diag_list_free(&ignored);
    remove_tree(pub->staging);
    free_publisher(pub);
}

bool publish_folder_contains(const char *outer, const char *inner)
{
    size_t n = strlen(outer);
    if (n == 1 && outer[0] == '/')
        return true;
    return strncmp(outer, inner, n) == 0 && (inner[n] == '/' || inner[n] == '\0');
}

size_t publish_file_count(const publisher *pub)
{
    return pub ? pub->files : 0;
}

size_t publish_changed_count(const publisher *pub)
{
    return pub ? pub->changed : 0;
}

int publish_read_published(void *ctx, const char *path, buf *out)
{
    publisher *pub = ctx;
    if (pub == NULL || pub->published == NULL || !safe_relative_path(path))
        return -1;
    buf full = BUF_INIT;
    buf_printf(&full, "%s/%s", pub->output_dir, path);
    int fd = open(full.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    buf_free(&full);
    if (fd < 0)
        return -1;
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(out, chunk, (size_t)n);
    close(fd);
    return n < 0 ? -1 : 0;
}
