#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "fileio.h"
#include "gitindex.h"
#include "suggest.h"

/* ---- memory ------------------------------------------------------------- */

static void *xrealloc(void *p, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        fprintf(stderr, "handbook: array of %zu elements is too large\n", count);
        abort();
    }
    size_t bytes = count * size;
    void *fresh = realloc(p, bytes > 0 ? bytes : 1);
    if (fresh == NULL) {
        fprintf(stderr, "handbook: out of memory (%zu bytes)\n", bytes);
        abort();
    }
    return fresh;
}

static void buf_truncate(buf *b, size_t len)
{
    if (b->cap > 0) {
        b->len = len;
        b->data[len] = '\0';
    }
}

/* ---- UTF-8 and names ---------------------------------------------------- */

/* Decodes the UTF-8 sequence at s (n bytes available) into *cp; returns its
 * length, or 0 when it is not valid UTF-8 (overlong, surrogate, > U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Code points HFS+ leaves out when it compares names, so ".g\u200cit" is ".git"
 * there (the list of git's is_hfs_dotgit and libgit2's path validation). */
static bool hfs_ignorable(uint32_t cp)
{
    return (cp >= 0x200c && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff;
}

/* Returns the next code point of a valid UTF-8 name that HFS+ does not ignore,
 * or 0 at the end. */
static uint32_t next_significant(const unsigned char *s, size_t len, size_t *pos)
{
    while (*pos < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(s + *pos, len - *pos, &cp);
        if (n == 0)
            return 0xfffd; /* not reached: names are validated first */
        *pos += n;
        if (!hfs_ignorable(cp))
            return cp;
    }
    return 0;
}

static uint32_t ascii_lower(uint32_t c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether a valid UTF-8 name is ".git" to some file system: ".git" or its NTFS
 * short name "git~1" in any ASCII case, with HFS+-ignorable code points anywhere,
 * followed only by dots and spaces (which NTFS drops) and optionally by ':' and
 * an NTFS stream name (".git::$INDEX_ALLOCATION"). Checking both file systems'
 * rules together is stricter than git, never looser. */
static bool is_dotgit(const char *name, size_t len)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t pos = 0;
    uint32_t c = next_significant(s, len, &pos);
    const char *rest;
    if (c == '.')
        rest = "git";
    else if (ascii_lower(c) == 'g')
        rest = "it~1";
    else
        return false;
    for (; *rest; rest++) {
        c = next_significant(s, len, &pos);
        if (ascii_lower(c) != (unsigned char)*rest)
            return false;
    }
    for (;;) {
        c = next_significant(s, len, &pos);
        if (c == 0 || c == ':')
            return true;
        if (c != '.' && c != ' ')
            return false;
    }
}

/* Returns why a path component is refused, with what to do, or NULL when it is
 * fine. A component comes from a directory listing, a git tree entry or a link
 * target. */
static const char *name_problem(const char *name, size_t len)
{
    if (len == 0)
        return "a file or folder in this path has an empty name (only a broken or hostile "
               "tool writes that into a git tree); rewrite the commit with a regular git client";
    if (len > SOURCE_MAX_NAME_LEN)
        return "the name is longer than 255 bytes, more than file systems allow; shorten it";
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return "'.' and '..' are not allowed as file or folder names (they would point "
               "outside their folder); rewrite the commit with a regular git client";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/')
            return "a file or folder name contains '/' (only a broken or hostile tool writes "
                   "that into a git tree); rewrite the commit with a regular git client";
        if (c == '\\')
            return "the name contains a backslash, which Windows reads as a folder "
                   "separator; rename it (folders are separated by '/')";
        if (c < 0x20 || c == 0x7f)
            return "the name contains a control character (shown as \\xNN); rename it using "
                   "letters, digits, '-' and '_'";
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)name + i, len - i, &cp);
        if (n == 0)
            return "the name is not valid UTF-8 (shown as \\xNN); rename it, saving the "
                   "name as UTF-8";
        i += n;
    }
    if (is_dotgit(name, len))
        return "'.git' in any spelling (any case, trailing dots or spaces, 'git~1', invisible "
               "characters) is reserved: Windows or macOS would take it for the repository's "
               "own .git folder; rename it";
    return NULL;
}

/* Appends path for a message: control characters and invalid UTF-8 as \xNN,
 * invisible code points as \uNNNN, so a reader sees what is wrong with it. */
static void append_escaped(buf *out, const char *path, size_t len)
{
    const unsigned char *s = (const unsigned char *)path;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f) {
            buf_printf(out, "\\x%02x", s[i]);
            i++;
        } else if (hfs_ignorable(cp) || cp == 0x200b || cp == 0x00ad || cp == 0x2060) {
            buf_printf(out, "\\u%04x", (unsigned)cp);
            i += n;
        } else {
            buf_append(out, s + i, n);
            i += n;
        }
    }
}

/* ---- the reader --------------------------------------------------------- */

typedef enum node_kind {
    NODE_MISSING,
    NODE_FILE,
    NODE_DIR,
    NODE_LINK,
    NODE_SUBMODULE, /* a commit entry in a tree */
    NODE_SPECIAL,   /* socket, FIFO, device: git cannot store them */
    NODE_IGNORED,   /* working tree: exists, but git ignores it (lookup() only) */
} node_kind;

typedef struct node {
    node_kind kind;
    git_oid id; /* tree mode: the blob or tree; unused for the working tree */
} node;

/* One blob read in tree mode, so a blob shared by several paths (or reached
 * through a link) is read and copied once. */
typedef struct blob_slot {
    git_oid id;
    const char *data; /* NULL: free slot */
    size_t len;
} blob_slot;

/* What an lstat taken ahead (source_prefetch_start) found, per entry of
 * git's index. */
enum { STAT_NOT_TAKEN, STAT_MATCHES, STAT_DIFFERS };

typedef struct reader {
    arena *a;
    diag_list *diags;
    const char *const *roots;
    const char *repo_dir;
    git_repository *repo; /* NULL for a folder that is not a git repository */

    /* Working tree (tree_mode false). */
    int root_fd;
    gitindex index; /* what git tracks (also files it would ignore), with blob ids */
    uint8_t *verdicts; /* NULL, or for each of index's entries: STAT_... */
    /* Whether the index's blob ids may stand for the files whose stat it
     * has (index_blob_id); off where a git filter could change bytes. */
    bool index_ids;
    struct timespec index_time; /* when the index was written */
    const strmap *known; /* source_options.known */

    /* Commit (tree_mode true). */
    bool tree_mode;
    git_odb *odb;
    git_tree *root_tree;
    blob_slot *blobs;
    size_t blob_count, blob_cap; /* cap is a power of two */

    source_file *files; /* malloc'ed while reading, copied into the arena at the end */
    size_t file_count, file_cap;
    size_t visited; /* files and folders, against SOURCE_MAX_FILES */
    size_t total;   /* bytes read, against SOURCE_MAX_TOTAL_SIZE */
    bool stop;      /* a limit of the whole read was hit: read no more */

    /* Canonical (link-free) paths of the folders being walked, outermost first,
     * to find links that lead back into them. */
    char **walking;
    size_t walking_count, walking_cap;
} reader;

static void vdiag(reader *r, diag_severity sev, const char *path, size_t path_len,
                  const char *fmt, va_list args)
{
    buf file = BUF_INIT, message = BUF_INIT;
    if (path != NULL)
        append_escaped(&file, path, path_len);
    buf_vprintf(&message, fmt, args);
    diag_add(r->diags, sev, path != NULL ? file.data : NULL, 0, 0, "%s", message.data);
    buf_free(&file);
    buf_free(&message);
}

/* Adds an error about the file at path (NULL: about the repository). */
static void __attribute__((format(printf, 3, 4)))
path_error(reader *r, const char *path, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vdiag(r, DIAG_ERROR, path, path ? strlen(path) : 0, fmt, args);
    va_end(args);
}

static void __attribute__((format(printf, 3, 4)))
path_warning(reader *r, const char *path, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vdiag(r, DIAG_WARNING, path, path ? strlen(path) : 0, fmt, args);
    va_end(args);
}

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e != NULL && e->message != NULL ? e->message : "unknown libgit2 error";
}

/* Formats a size for messages: "20.0 MiB". */
static void format_size(char *out, size_t cap, size_t size)
{
    if (size >= 1024 * 1024)
        snprintf(out, cap, "%.1f MiB", (double)size / (1024.0 * 1024.0));
    else
        snprintf(out, cap, "%zu bytes", size);
}

/* Checks the per-file and total size limits for a file of size bytes at path;
 * adds an error and returns false when it may not be read. */
static bool size_allowed(reader *r, const char *path, size_t size)
{
    char have[32], limit[32];
    if (size > SOURCE_MAX_FILE_SIZE) {
        format_size(have, sizeof have, size);
        format_size(limit, sizeof limit, SOURCE_MAX_FILE_SIZE);
        path_error(r, path,
                   "file is %s, more than the limit of %s per file; make it smaller "
                   "(compress the image or PDF) or publish it elsewhere and link to it",
                   have, limit);
        return false;
    }
    if (size > SOURCE_MAX_TOTAL_SIZE - r->total) {
        format_size(limit, sizeof limit, SOURCE_MAX_TOTAL_SIZE);
        path_error(r, path,
                   "with this file, the files read add up to more than %s, the limit for one "
                   "build; remove large files from the content",
                   limit);
        r->stop = true;
        return false;
    }
    r->total += size;
    return true;
}

static void add_file(reader *r, const char *path, size_t path_len, const char *data, size_t len,
                     const git_oid *id)
{
    if (r->file_count == r->file_cap) {
        r->file_cap = r->file_cap ? r->file_cap * 2 : 256;
        r->files = xrealloc(r->files, r->file_cap, sizeof *r->files);
    }
    source_file *f = &r->files[r->file_count++];
    f->path = arena_strndup(r->a, path, path_len);
    f->data = data;
    f->len = len;
    git_oid_tostr(f->blob_id, sizeof f->blob_id, id);
}

/* ---- blobs (tree mode) -------------------------------------------------- */

static size_t blob_hash(const git_oid *id)
{
    uint64_t h;
    memcpy(&h, id->id, sizeof h); /* an object id is already uniformly random */
    return (size_t)h;
}

static blob_slot *blob_find(reader *r, const git_oid *id)
{
    if (r->blob_cap == 0)
        return NULL;
    size_t mask = r->blob_cap - 1;
    for (size_t i = blob_hash(id) & mask;; i = (i + 1) & mask) {
        blob_slot *s = &r->blobs[i];
        if (s->data == NULL || git_oid_equal(&s->id, id))
            return s;
    }
}

static void blob_insert(reader *r, const git_oid *id, const char *data, size_t len)
{
    if ((r->blob_count + 1) * 2 > r->blob_cap) {
        size_t old_cap = r->blob_cap;
        blob_slot *old = r->blobs;
        r->blob_cap = old_cap ? old_cap * 2 : 1024;
        r->blobs = xrealloc(NULL, r->blob_cap, sizeof *r->blobs);
        memset(r->blobs, 0, r->blob_cap * sizeof *r->blobs);
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].data != NULL)
                *blob_find(r, &old[i].id) = old[i];
        free(old);
    }
    blob_slot *s = blob_find(r, id);
    if (s->data == NULL) {
        s->id = *id;
        s->data = data;
        s->len = len;
        r->blob_count++;
    }
}

/* Reads the blob id for the file at path into the arena (once per blob), at most
 * limit bytes; for_link reads a link's target, which counts toward no limit of
 * the whole read. Returns 0, or -1 after an error. */
static int read_blob(reader *r, const char *path, const git_oid *id, size_t limit, bool for_link,
                     const char **data, size_t *len)
{
    blob_slot *cached = blob_find(r, id);
    if (cached != NULL && cached->data != NULL && (!for_link || cached->len <= limit)) {
        *data = cached->data;
        *len = cached->len;
        return 0;
    }
    size_t size;
    git_object_t type;
    if (git_odb_read_header(&size, &type, r->odb, id) < 0) {
        path_error(r, path, "cannot read the file's blob: %s; is the repository complete "
                            "(git fsck)?", git_message());
        return -1;
    }
    if (type != GIT_OBJECT_BLOB) {
        path_error(r, path, "the tree says this is a file, but its object is a %s (a broken or "
                            "hostile commit); rewrite the commit with a regular git client",
                   git_object_type2string(type));
        return -1;
    }
    if (for_link) {
        if (size > limit) {
            path_error(r, path, "link target is longer than %d bytes; point the link at a "
                                "nearer file", SOURCE_MAX_PATH_LEN);
            return -1;
        }
    } else if (!size_allowed(r, path, size)) {
        return -1;
    }
    git_odb_object *obj;
    if (git_odb_read(&obj, r->odb, id) < 0) {
        path_error(r, path, "cannot read the file's blob: %s; is the repository complete "
                            "(git fsck)?", git_message());
        return -1;
    }
    size_t n = git_odb_object_size(obj);
    if (n > size)
        n = size; /* the header is what the limits were checked against */
    char *copy = arena_alloc_raw(r->a, n + 1);
    memcpy(copy, git_odb_object_data(obj), n);
    copy[n] = '\0';
    git_odb_object_free(obj);
    /* The contents must be what the id says: checked here rather than by
     * libgit2's own check of every object read, which the history walk
     * turns off for the whole process (history.c) while this runs. */
    git_oid check;
    if (git_odb_hash(&check, copy, n, GIT_OBJECT_BLOB) < 0 || !git_oid_equal(&check, id)) {
        path_error(r, path, "the file's blob is damaged: its contents do not match its id; "
                            "check the repository with git fsck");
        return -1;
    }
    if (!for_link)
        blob_insert(r, id, copy, n);
    *data = copy;
    *len = n;
    return 0;
}

/* Whether a commit's file is a blob the caller has seen (source_options.
 * known): then it is not read (data NULL, len 0). Returns 0 when so. */
static int known_blob(reader *r, const char *path, const git_oid *id, const char **data,
                      size_t *len)
{
    const source_known *known = r->known ? strmap_get(r->known, path) : NULL;
    char hex[GIT_OID_HEXSZ + 1];
    if (known == NULL || strcmp(git_oid_tostr(hex, sizeof hex, id), known->blob_id) != 0)
        return 1;
    *data = NULL;
    *len = 0;
    return 0;
}

/* ---- working tree ------------------------------------------------------- */

/* Whether the working-tree path (dir: a folder) is left out, as git add -A would
 * leave it out: it is not tracked (for a folder: nothing under it is) and git
 * ignores it. Ignore rules only apply to untracked paths, so the cheap lookup
 * in the index comes first: most files of a working tree are tracked, and
 * asking git_ignore_path_is_ignored costs several stat calls per path. */
static bool wt_ignored(reader *r, const char *path, bool dir)
{
    if (r->repo == NULL)
        return false;
    if (!dir && gitindex_find(&r->index, path) != NULL)
        return false; /* tracked */
    buf p = BUF_INIT;
    buf_append_str(&p, path);
    if (dir)
        buf_append_char(&p, '/'); /* also tells libgit2 it is a folder */
    int ignored = 0;
    if (dir && gitindex_has_under(&r->index, p.data))
        ignored = 0; /* something under it is tracked */
    else if (git_ignore_path_is_ignored(&ignored, r->repo, p.data) < 0)
        ignored = 0; /* a broken .gitignore must not hide content */
    buf_free(&p);
    return ignored != 0;
}

/* Whether no git filter can apply to any file (end-of-line conversion,
 * ident, a clean filter): no core.autocrlf or core.eol, and no attributes
 * file besides those in the working tree, which walk_worktree watches for.
 * Then the blob id the index has for a file is the hash of its bytes, as
 * this module computes it. */
static bool no_filters(reader *r)
{
    git_config *config = NULL;
    if (git_repository_config_snapshot(&config, r->repo) < 0)
        return false;
    int autocrlf = 0;
    int found = git_config_get_bool(&autocrlf, config, "core.autocrlf"); /* "input": an error */
    const char *value = NULL;
    bool clear = (found == GIT_ENOTFOUND || (found == 0 && !autocrlf)) &&
                 git_config_get_string(&value, config, "core.eol") == GIT_ENOTFOUND &&
                 git_config_get_string(&value, config, "core.attributesfile") == GIT_ENOTFOUND;
    git_config_free(config);
    buf path = BUF_INIT;
    buf_printf(&path, "%sinfo/attributes", git_repository_path(r->repo));
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    struct stat st;
    clear = clear && stat(path.data, &st) < 0 && stat("/etc/gitattributes", &st) < 0;
    buf_clear(&path);
    if (xdg != NULL && xdg[0] != '\0')
        buf_printf(&path, "%s/git/attributes", xdg);
    else if (home != NULL)
        buf_printf(&path, "%s/.config/git/attributes", home);
    clear = clear && (path.len == 0 || stat(path.data, &st) < 0);
    buf_free(&path);
    /* A tracked attributes file anywhere applied when its neighbours were added. */
    for (size_t i = 0; clear && i < r->index.count; i++) {
        const char *name = r->index.entries[i].path;
        const char *slash = strrchr(name, '/');
        clear = strcmp(slash ? slash + 1 : name, ".gitattributes") != 0;
    }
    return clear;
}

/* Whether the regular file with stat st is as the index entry e saw it, as
 * git status decides: the same size, times, inode and device, and not
 * changed in the same instant as the index was written at index_time (git's
 * "racily clean" files). */
static bool stat_matches(const gitindex_entry *e, const struct stat *st,
                         struct timespec index_time)
{
    bool same = S_ISREG(st->st_mode) && e->size == (uint32_t)st->st_size &&
                e->mtime_s == (uint32_t)st->st_mtim.tv_sec &&
                e->mtime_ns == (uint32_t)st->st_mtim.tv_nsec &&
                e->ctime_s == (uint32_t)st->st_ctim.tv_sec &&
                e->ctime_ns == (uint32_t)st->st_ctim.tv_nsec &&
                e->ino == (uint32_t)st->st_ino && e->dev == (uint32_t)st->st_dev;
    bool racy = st->st_mtim.tv_sec > index_time.tv_sec ||
                (st->st_mtim.tv_sec == index_time.tv_sec &&
                 st->st_mtim.tv_nsec >= index_time.tv_nsec);
    return same && !racy;
}

/* Whether the blob id of index entry e may stand for its file when the
 * file's stat matches the entry's. */
static bool entry_trusted(const reader *r, const gitindex_entry *e)
{
    if (!r->index_ids || e == NULL ||
        (e->mode != GIT_FILEMODE_BLOB && e->mode != GIT_FILEMODE_BLOB_EXECUTABLE))
        return false;
    /* Entries whose stat git does not keep up to date: assumed unchanged,
     * skipped in the working tree, or only announced (git add -N). */
    return !(e->flags & GITINDEX_ASSUME_VALID) &&
           !(e->flags_extended & (GITINDEX_SKIP_WORKTREE | GITINDEX_INTENT_TO_ADD));
}

/* The blob id of the working-tree file with stat st and index entry e (of
 * its canonical path), from the index, as git status takes it. Returns
 * false when the file's bytes must be hashed. */
static bool index_blob_id(const reader *r, const gitindex_entry *e, const struct stat *st,
                          git_oid *id)
{
    if (!entry_trusted(r, e) || !stat_matches(e, st, r->index_time))
        return false;
    git_oid_cpy(id, &e->id);
    return true;
}

static node_kind kind_of_mode(mode_t mode)
{
    if (S_ISREG(mode))
        return NODE_FILE;
    if (S_ISDIR(mode))
        return NODE_DIR;
    if (S_ISLNK(mode))
        return NODE_LINK;
    return NODE_SPECIAL;
}

/* Reads the regular file name in the folder dfd (path: its repository path for
 * messages, canon: the path of the file itself, past links) into the arena,
 * with its blob id: from the index when it may stand (index_blob_id), else
 * hashed. Returns 0, 1 when it turned out not to be a regular file (skipped
 * with a warning), or -1 after an error. */
static int wt_read_file(reader *r, int dfd, const char *name, const char *path,
                        const char *canon, const char **data_out, size_t *len_out, git_oid *id)
{
    const source_known *known = r->known ? strmap_get(r->known, path) : NULL;
    const gitindex_entry *entry = r->index_ids ? gitindex_find(&r->index, canon) : NULL;
    if (known != NULL && entry_trusted(r, entry)) {
        uint8_t ahead = r->verdicts ? r->verdicts[entry - r->index.entries] : STAT_NOT_TAKEN;
        struct stat st;
        bool unchanged = ahead != STAT_NOT_TAKEN
                             ? ahead == STAT_MATCHES
                             : fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                   stat_matches(entry, &st, r->index_time);
        char hex[GIT_OID_HEXSZ + 1];
        /* The entry's size is the file's: its blob is the one a build read. */
        if (unchanged && strcmp(git_oid_tostr(hex, sizeof hex, &entry->id), known->blob_id) == 0 &&
            size_allowed(r, path, entry->size)) {
            git_oid_cpy(id, &entry->id);
            *data_out = NULL; /* as the caller has it: not read */
            *len_out = entry->size;
            return 0;
        }
    }
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        path_error(r, path, "cannot open the file: %s; check its permissions", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        path_error(r, path, "cannot read the file: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        path_warning(r, path, "not a regular file, folder or link (a socket, FIFO or device); "
                              "skipped");
        close(fd);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    if ((uint64_t)st.st_size > SIZE_MAX / 2 || !size_allowed(r, path, size)) {
        close(fd);
        return -1;
    }
    char *data = arena_alloc_raw(r->a, size + 1);
    ssize_t read_bytes = read_fully(fd, data, size);
    if (read_bytes < 0) {
        path_error(r, path, "cannot read the file: %s", strerror(errno));
        close(fd);
        return -1;
    }
    size_t got = (size_t)read_bytes; /* less when it shrank while reading: take what is there */
    close(fd);
    data[got] = '\0';
    if (got == size && index_blob_id(r, entry, &st, id)) {
        *data_out = data;
        *len_out = got;
        return 0;
    }
    if (git_odb_hash(id, data, got, GIT_OBJECT_BLOB) < 0) {
        path_error(r, path, "cannot hash the file: %s", git_message());
        return -1;
    }
    *data_out = data;
    *len_out = got;
    return 0;
}

/* Reads the target of the link name in folder dfd into target. Returns 0 or -1
 * after an error. */
static int wt_read_link(reader *r, int dfd, const char *name, const char *path, buf *target)
{
    char text[SOURCE_MAX_PATH_LEN + 1];
    ssize_t n = readlinkat(dfd, name, text, sizeof text);
    if (n < 0) {
        path_error(r, path, "cannot read the link: %s", strerror(errno));
        return -1;
    }
    if ((size_t)n > SOURCE_MAX_PATH_LEN) {
        path_error(r, path, "link target is longer than %d bytes; point the link at a nearer "
                            "file", SOURCE_MAX_PATH_LEN);
        return -1;
    }
    buf_clear(target);
    buf_append(target, text, (size_t)n);
    return 0;
}

/* ---- looking paths up (both modes) -------------------------------------- */

/* Looks up the canonical (link-free) path; "" is the top folder. In the working
 * tree, what git ignores is NODE_IGNORED: as good as missing, as in a commit. */
static node lookup(reader *r, const char *path)
{
    node n = {NODE_MISSING, {{0}}};
    if (path[0] == '\0') {
        n.kind = NODE_DIR;
        if (r->tree_mode)
            n.id = *git_tree_id(r->root_tree);
        return n;
    }
    if (r->tree_mode) {
        git_tree_entry *e;
        if (git_tree_entry_bypath(&e, r->root_tree, path) < 0)
            return n;
        n.id = *git_tree_entry_id(e);
        switch (git_tree_entry_type(e)) {
        case GIT_OBJECT_TREE: n.kind = NODE_DIR; break;
        case GIT_OBJECT_COMMIT: n.kind = NODE_SUBMODULE; break;
        case GIT_OBJECT_BLOB:
            n.kind = git_tree_entry_filemode(e) == GIT_FILEMODE_LINK ? NODE_LINK : NODE_FILE;
            break;
        default: n.kind = NODE_SPECIAL; break;
        }
        git_tree_entry_free(e);
        return n;
    }
    struct stat st;
    if (fstatat(r->root_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return n;
    node_kind kind = kind_of_mode(st.st_mode);
    n.kind = wt_ignored(r, path, kind == NODE_DIR) ? NODE_IGNORED : kind;
    return n;
}

/* Reads the target of the link at the canonical path (node n) into target. */
static int read_link_at(reader *r, const char *path, const node *n, const char *display,
                        buf *target)
{
    if (!r->tree_mode)
        return wt_read_link(r, r->root_fd, path, display, target);
    const char *data;
    size_t len;
    if (read_blob(r, display, &n->id, SOURCE_MAX_PATH_LEN, true, &data, &len) < 0)
        return -1;
    buf_clear(target);
    buf_append(target, data, len);
    return 0;
}

/* Resolves the link at display, whose target text is in target and which lies in
 * the canonical folder link_dir, to the canonical path of what it finally points
 * at (in out), following further links. Returns the final node, or a node of kind
 * NODE_MISSING after an error. */
static node resolve_link(reader *r, const char *display, const char *link_dir, buf *target,
                         buf *out)
{
    node none = {NODE_MISSING, {{0}}};
    buf pending = BUF_INIT, next = BUF_INIT, shown = BUF_INIT;
    append_escaped(&shown, target->data, target->len);
    buf_clear(out);
    buf_append_str(out, link_dir);
    buf_append(&pending, target->data, target->len);
    size_t pos = 0;
    int hops = 0;
    node n = lookup(r, out->data);
    bool failed = false;

    if (pending.len == 0) {
        path_error(r, display, "link has an empty target; remove it or point it at a file");
        failed = true;
    } else if (memchr(pending.data, '\0', pending.len) != NULL) {
        path_error(r, display, "link target contains a NUL byte (a broken or hostile commit); "
                               "point the link at a file in the repository");
        failed = true;
    } else if (pending.data[0] == '/') {
        path_error(r, display,
                   "link points at the absolute path '%s'; links must stay inside the "
                   "repository: make it relative (like ../layouts/x.html) or copy the file in",
                   shown.data);
        failed = true;
    }
    while (!failed && pos < pending.len) {
        const char *comp = pending.data + pos;
        const char *slash = memchr(comp, '/', pending.len - pos);
        size_t len = slash ? (size_t)(slash - comp) : pending.len - pos;
        pos += len + (slash != NULL);
        if (len == 0 || (len == 1 && comp[0] == '.'))
            continue;
        if (len == 2 && comp[0] == '.' && comp[1] == '.') {
            if (out->len == 0) {
                path_error(r, display,
                           "link points at '%s', which leads outside the repository; links "
                           "must stay inside it: point it at a file in the repository or copy "
                           "the file in",
                           shown.data);
                failed = true;
                break;
            }
            char *last = strrchr(out->data, '/');
            buf_truncate(out, last ? (size_t)(last - out->data) : 0);
            n = lookup(r, out->data);
            continue;
        }
        if (n.kind != NODE_DIR) {
            path_error(r, display, "link points at '%s', but a part of it is a file, not a "
                                   "folder; fix the link's target", shown.data);
            failed = true;
            break;
        }
        const char *problem = name_problem(comp, len);
        if (problem != NULL) {
            path_error(r, display, "link points at '%s': %s", shown.data, problem);
            failed = true;
            break;
        }
        size_t dir_len = out->len;
        if (out->len > 0)
            buf_append_char(out, '/');
        buf_append(out, comp, len);
        if (out->len > SOURCE_MAX_PATH_LEN) {
            path_error(r, display, "link target is longer than %d bytes; point the link at a "
                                   "nearer file", SOURCE_MAX_PATH_LEN);
            failed = true;
            break;
        }
        n = lookup(r, out->data);
        if (n.kind == NODE_MISSING) {
            path_error(r, display, "link points at '%s', which does not exist%s; fix the "
                                   "link's target or add the file",
                       shown.data, r->tree_mode ? " in this commit" : "");
            failed = true;
        } else if (n.kind == NODE_IGNORED) {
            path_error(r, display, "link points at '%s', which git ignores (.gitignore), so a "
                                   "commit would not hold it; fix the link's target or stop "
                                   "ignoring the file", shown.data);
            failed = true;
        } else if (n.kind == NODE_SUBMODULE || n.kind == NODE_SPECIAL) {
            path_error(r, display, "link points at '%s', which is a %s, not a file or folder; "
                                   "point it at a file",
                       shown.data, n.kind == NODE_SUBMODULE ? "submodule" : "special file");
            failed = true;
        } else if (n.kind == NODE_LINK) {
            if (++hops > SOURCE_MAX_LINK_HOPS) {
                path_error(r, display, "link leads through more than %d links (a loop of "
                                       "links?); point it straight at a file",
                           SOURCE_MAX_LINK_HOPS);
                failed = true;
                break;
            }
            buf link_target = BUF_INIT;
            if (read_link_at(r, out->data, &n, display, &link_target) < 0) {
                buf_free(&link_target);
                failed = true;
                break;
            }
            if (link_target.len == 0 || link_target.data[0] == '/' ||
                memchr(link_target.data, '\0', link_target.len) != NULL) {
                buf inner = BUF_INIT;
                append_escaped(&inner, out->data, out->len);
                path_error(r, display, "link points at '%s', which leads through the link "
                                       "'%s' to an absolute or empty target; links must stay "
                                       "inside the repository",
                           shown.data, inner.data);
                buf_free(&inner);
                buf_free(&link_target);
                failed = true;
                break;
            }
            /* Continue with the inner link's target, then the rest of this one. */
            buf_clear(&next);
            buf_append(&next, link_target.data, link_target.len);
            if (pos < pending.len) {
                buf_append_char(&next, '/');
                buf_append(&next, pending.data + pos, pending.len - pos);
            }
            buf_free(&link_target);
            buf tmp = pending;
            pending = next;
            next = tmp;
            pos = 0;
            buf_truncate(out, dir_len);
            n = lookup(r, out->data);
        }
    }
    buf_free(&pending);
    buf_free(&next);
    buf_free(&shown);
    return failed ? none : n;
}

/* ---- walking ------------------------------------------------------------ */

static bool is_root(const reader *r, const char *name)
{
    if (r->roots == NULL)
        return true;
    for (const char *const *root = r->roots; *root != NULL; root++)
        if (strcmp(*root, name) == 0)
            return true;
    return false;
}

/* Whether walking the canonical folder path would walk a folder being walked
 * again: it is one of them or holds one. */
static bool would_loop(const reader *r, const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < r->walking_count; i++) {
        const char *w = r->walking[i];
        if (len == 0 || (strncmp(w, path, len) == 0 && (w[len] == '\0' || w[len] == '/')))
            return true;
    }
    return false;
}

/* Counts one file or folder against SOURCE_MAX_FILES; false when over. The
 * message names where the limit was reached, so the folder that grew is found. */
static bool count_visit(reader *r, const char *path)
{
    if (++r->visited <= SOURCE_MAX_FILES)
        return true;
    path_error(r, path,
               "more than %d files and folders to read, the most a handbook may have; "
               "remove files that do not belong in the handbook, such as copies or exports",
               SOURCE_MAX_FILES);
    r->stop = true;
    return false;
}

typedef struct dir_entry {
    char *name;
    unsigned char type; /* d_type */
} dir_entry;

static int compare_entries(const void *x, const void *y)
{
    return strcmp(((const dir_entry *)x)->name, ((const dir_entry *)y)->name);
}

static void walk_dir(reader *r, buf *display, buf *canon, const node *dir, int dfd);

/* Reads the file, folder or link at display (canonical path canon, kind n); in the
 * working tree, dfd and name locate it (dfd -1: by canon from the top). */
static void visit(reader *r, buf *display, buf *canon, node n, int dfd, const char *name)
{
    if (display->len > SOURCE_MAX_PATH_LEN) {
        path_error(r, display->data, "path is longer than %d bytes; use shorter folder and "
                                     "file names", SOURCE_MAX_PATH_LEN);
        return;
    }
    if (dfd < 0) {
        dfd = r->root_fd;
        name = canon->data;
    }
    switch (n.kind) {
    case NODE_FILE: {
        if (!count_visit(r, display->data))
            return;
        const char *data;
        size_t len;
        int rc = r->tree_mode ? (known_blob(r, display->data, &n.id, &data, &len) == 0
                                     ? 0
                                     : read_blob(r, display->data, &n.id, 0, false, &data, &len))
                              : wt_read_file(r, dfd, name, display->data, canon->data, &data,
                                             &len, &n.id);
        if (rc == 0)
            add_file(r, display->data, display->len, data, len, &n.id);
        return;
    }
    case NODE_DIR: {
        if (!count_visit(r, display->data))
            return;
        int sub = -1;
        if (!r->tree_mode) {
            sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                path_error(r, display->data, "cannot open the folder: %s; check its "
                                             "permissions", strerror(errno));
                return;
            }
        }
        walk_dir(r, display, canon, &n, sub);
        return;
    }
    case NODE_LINK: {
        buf target = BUF_INIT, resolved = BUF_INIT;
        int rc = r->tree_mode ? read_link_at(r, canon->data, &n, display->data, &target)
                              : wt_read_link(r, dfd, name, display->data, &target);
        if (rc == 0) {
            const char *slash = strrchr(canon->data, '/');
            buf link_dir = BUF_INIT;
            buf_append(&link_dir, canon->data, slash ? (size_t)(slash - canon->data) : 0);
            node t = resolve_link(r, display->data, link_dir.data, &target, &resolved);
            buf_free(&link_dir);
            if (t.kind == NODE_DIR && would_loop(r, resolved.data)) {
                path_error(r, display->data,
                           "link points at the folder '%s', which is already being read on "
                           "the way here (a loop); point it at a file or a folder elsewhere",
                           resolved.data[0] ? resolved.data : ".");
            } else if (t.kind == NODE_FILE || t.kind == NODE_DIR) {
                visit(r, display, &resolved, t, -1, NULL);
            }
        }
        buf_free(&target);
        buf_free(&resolved);
        return;
    }
    case NODE_SUBMODULE:
        path_warning(r, display->data, "submodule skipped: handbook does not read "
                                       "submodules (copy the files in to publish them)");
        return;
    case NODE_SPECIAL:
        path_warning(r, display->data, "not a regular file, folder or link (a socket, FIFO or "
                                       "device); skipped");
        return;
    case NODE_MISSING:
    case NODE_IGNORED:
        return;
    }
}

/* Appends "/name" (or "name" at the top) to both paths; returns the old lengths
 * through the pointers so the caller can cut them back. */
static void push_name(buf *display, buf *canon, const char *name, size_t *dlen, size_t *clen)
{
    *dlen = display->len;
    *clen = canon->len;
    if (display->len > 0)
        buf_append_char(display, '/');
    buf_append_str(display, name);
    if (canon->len > 0)
        buf_append_char(canon, '/');
    buf_append_str(canon, name);
}

static void walk_tree(reader *r, buf *display, buf *canon, const node *dir)
{
    git_tree *tree;
    if (git_tree_lookup(&tree, r->repo, &dir->id) < 0) {
        path_error(r, display->len ? display->data : NULL,
                   "cannot read the folder's tree: %s; the repository is damaged or the commit "
                   "was made by a broken or hostile tool: check it with 'git fsck'",
                   git_message());
        return;
    }
    bool top = display->len == 0;
    size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count && !r->stop; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(e);
        if (top && !is_root(r, name))
            continue;
        size_t dlen, clen;
        push_name(display, canon, name, &dlen, &clen);
        const char *problem = name_problem(name, strlen(name));
        if (problem != NULL) {
            path_error(r, display->data, "%s", problem);
        } else {
            node n = {NODE_SPECIAL, *git_tree_entry_id(e)};
            switch (git_tree_entry_type(e)) {
            case GIT_OBJECT_TREE: n.kind = NODE_DIR; break;
            case GIT_OBJECT_COMMIT: n.kind = NODE_SUBMODULE; break;
            case GIT_OBJECT_BLOB:
                n.kind = git_tree_entry_filemode(e) == GIT_FILEMODE_LINK ? NODE_LINK : NODE_FILE;
                break;
            default: break;
            }
            visit(r, display, canon, n, -1, NULL);
        }
        buf_truncate(display, dlen);
        buf_truncate(canon, clen);
    }
    git_tree_free(tree);
}

/* ---- taking the lstat ahead --------------------------------------------- */

typedef struct stat_batch {
    int root_fd;
    const char *const *roots;
    const gitindex_entry *entries;
    struct timespec index_time;
    uint8_t *verdicts;
    size_t from, to;
    pthread_t thread;
    bool running;
} stat_batch;

struct source_prefetch {
    int root_fd;
    gitindex index;     /* .git/index, or empty when it could not be read */
    uint8_t *verdicts;  /* per entry of index: STAT_... */
    stat_batch batches[2];
};

/* Whether path is under one of roots (NULL: all are). */
static bool under_roots(const char *const *roots, const char *path)
{
    if (roots == NULL)
        return true;
    size_t len = strcspn(path, "/");
    for (const char *const *root = roots; *root != NULL; root++)
        if (strlen(*root) == len && memcmp(*root, path, len) == 0)
            return true;
    return false;
}

/* Takes the lstat of the files of entries [from, to) under the roots, each
 * from its folder's descriptor (entries are sorted, so a folder's files
 * come together): a lookup of one name, not of the whole path. Keeps only
 * whether each matches its entry. */
static void *stat_batch_files(void *arg)
{
    stat_batch *b = arg;
    int dfd = -1;
    size_t dir_len = 0;
    const char *dir = NULL;
    for (size_t i = b->from; i < b->to; i++) {
        const gitindex_entry *e = &b->entries[i];
        b->verdicts[i] = STAT_NOT_TAKEN;
        const char *slash = strrchr(e->path, '/');
        size_t len = slash ? (size_t)(slash - e->path) : 0;
        if ((e->flags & GITINDEX_STAGE) != 0 || !S_ISREG(e->mode) ||
            len > SOURCE_MAX_PATH_LEN || !under_roots(b->roots, e->path))
            continue; /* not a file source_read reads by its entry */
        if (dir == NULL || len != dir_len || memcmp(dir, e->path, len) != 0) {
            if (dfd >= 0 && dfd != b->root_fd)
                close(dfd);
            char folder[SOURCE_MAX_PATH_LEN + 1];
            memcpy(folder, e->path, len);
            folder[len] = '\0';
            dfd = len == 0 ? b->root_fd
                           : openat(b->root_fd, folder,
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            dir = e->path;
            dir_len = len;
        }
        struct stat st;
        if (dfd >= 0 && fstatat(dfd, slash ? slash + 1 : e->path, &st, AT_SYMLINK_NOFOLLOW) == 0)
            b->verdicts[i] = stat_matches(e, &st, b->index_time) ? STAT_MATCHES : STAT_DIFFERS;
    }
    if (dfd >= 0 && dfd != b->root_fd)
        close(dfd);
    return NULL;
}

source_prefetch *source_prefetch_start(const char *repo_dir, const char *const *roots)
{
    int root_fd = open(repo_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return NULL; /* source_read says why */
    source_prefetch *p = xrealloc(NULL, 1, sizeof *p);
    *p = (source_prefetch){.root_fd = root_fd, .index = GITINDEX_INIT};
    buf path = BUF_INIT;
    buf_printf(&path, "%s/.git/index", repo_dir);
    gitindex_read(&p->index, path.data); /* most likely the one source_read will need */
    buf_free(&path);
    size_t count = p->index.count;
    p->verdicts = xrealloc(NULL, count > 0 ? count : 1, sizeof *p->verdicts);
    for (int i = 0; i < 2; i++) {
        stat_batch *b = &p->batches[i];
        *b = (stat_batch){root_fd, roots, p->index.entries, p->index.file.st_mtim, p->verdicts,
                          i == 0 ? 0 : count / 2, i == 0 ? count / 2 : count, 0, false};
        b->running = pthread_create(&b->thread, NULL, stat_batch_files, b) == 0;
        if (!b->running)
            stat_batch_files(b);
    }
    return p;
}

void source_prefetch_wait(source_prefetch *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < 2; i++)
        if (p->batches[i].running)
            pthread_join(p->batches[i].thread, NULL);
    close(p->root_fd);
    gitindex_free(&p->index);
    free(p->verdicts);
    free(p);
}

static void walk_worktree(reader *r, buf *display, buf *canon, int dfd)
{
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        path_error(r, display->len ? display->data : r->repo_dir, "cannot read the folder: %s",
                   strerror(errno));
        close(dfd);
        return;
    }
    bool top = display->len == 0;
    dir_entry *entries = NULL;
    size_t count = 0, cap = 0;
    bool nested_repo = false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (strcmp(name, ".git") == 0) {
            if (!top)
                nested_repo = true;
            continue;
        }
        if (strcmp(name, ".gitattributes") == 0)
            r->index_ids = false; /* for this folder and all after: hash the files */
        if (top && !is_root(r, name))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 32;
            entries = xrealloc(entries, cap, sizeof *entries);
        }
        entries[count].name = strdup(name);
        if (entries[count].name == NULL)
            abort();
        entries[count].type = de->d_type;
        count++;
    }
    size_t walk_count = count;
    if (nested_repo) {
        path_warning(r, display->data, "folder holds its own git repository (.git): a nested "
                                       "repository or submodule; skipped, as a commit would "
                                       "skip it (copy the files in to publish them)");
        walk_count = 0;
    }
    if (count > 1)
        qsort(entries, count, sizeof *entries, compare_entries);
    int fd = dirfd(d);
    for (size_t i = 0; i < walk_count && !r->stop; i++) {
        const char *name = entries[i].name;
        size_t dlen, clen;
        push_name(display, canon, name, &dlen, &clen);
        const char *problem = name_problem(name, strlen(name));
        if (problem != NULL) {
            path_error(r, display->data, "%s", problem);
        } else {
            node n = {NODE_MISSING, {{0}}};
            switch (entries[i].type) {
            case DT_REG: n.kind = NODE_FILE; break;
            case DT_DIR: n.kind = NODE_DIR; break;
            case DT_LNK: n.kind = NODE_LINK; break;
            case DT_UNKNOWN: {
                struct stat st;
                if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    n.kind = kind_of_mode(st.st_mode);
                break;
            }
            default: n.kind = NODE_SPECIAL; break;
            }
            if (n.kind != NODE_MISSING && !wt_ignored(r, canon->data, n.kind == NODE_DIR))
                visit(r, display, canon, n, fd, name);
        }
        buf_truncate(display, dlen);
        buf_truncate(canon, clen);
    }
    closedir(d);
    for (size_t i = 0; i < count; i++)
        free(entries[i].name);
    free(entries);
}

/* Walks the folder dir at display (canonical path canon); in the working tree,
 * dfd is the folder, opened, and closed here. */
static void walk_dir(reader *r, buf *display, buf *canon, const node *dir, int dfd)
{
    if (r->walking_count == r->walking_cap) {
        r->walking_cap = r->walking_cap ? r->walking_cap * 2 : 16;
        r->walking = xrealloc(r->walking, r->walking_cap, sizeof *r->walking);
    }
    r->walking[r->walking_count++] = arena_strndup(r->a, canon->data, canon->len);
    if (r->tree_mode)
        walk_tree(r, display, canon, dir);
    else
        walk_worktree(r, display, canon, dfd);
    r->walking_count--;
}

/* ---- opening ------------------------------------------------------------ */

/* Edit distance between a and b (short strings), for "did you mean". */
/* Adds "unknown ref" with the nearest branch or tag name as a suggestion. */
static void unknown_ref(reader *r, const char *ref)
{
    buf best = BUF_INIT;
    suggestion hint = suggest_begin(ref);
    size_t refs = 0;
    git_reference_iterator *it;
    if (git_reference_iterator_new(&it, r->repo) == 0) {
        git_reference *ref_obj;
        while (git_reference_next(&ref_obj, it) == 0) {
            const char *full = git_reference_name(ref_obj);
            if (strncmp(full, "refs/heads/", 11) == 0 || strncmp(full, "refs/tags/", 10) == 0 ||
                strncmp(full, "refs/remotes/", 13) == 0) {
                const char *name = git_reference_shorthand(ref_obj);
                refs++;
                suggest_consider(&hint, name);
                if (hint.best == name) {
                    /* name is freed with its reference: keep a copy. */
                    buf_clear(&best);
                    buf_append_str(&best, name);
                    hint.best = best.data;
                }
            }
            git_reference_free(ref_obj);
        }
        git_reference_iterator_free(it);
    }
    size_t len = strlen(ref);
    buf shown = BUF_INIT;
    append_escaped(&shown, ref, len);
    if (refs == 0) {
        path_error(r, NULL, "unknown ref '%s': the repository '%s' has no commits yet; commit "
                            "the content first", shown.data, r->repo_dir);
    } else if (hint.best != NULL) {
        path_error(r, NULL, "unknown ref '%s'; did you mean '%s'? (list branches with 'git "
                            "branch -a' and tags with 'git tag')", shown.data, best.data);
    } else {
        path_error(r, NULL, "unknown ref '%s': no branch, tag or commit has that name; list "
                            "branches with 'git branch -a' and tags with 'git tag'", shown.data);
    }
    buf_free(&shown);
    buf_free(&best);
}

/* In a pre-receive hook the pushed objects are still in git's quarantine folder,
 * named by GIT_QUARANTINE_PATH, until the hook accepts the push. libgit2 does not
 * read git's environment, so the folder is added as an alternate object store:
 * the hook's `handbook check --ref NEW` then finds the pushed commit. */
static int add_quarantine_objects(reader *r)
{
    const char *quarantine = getenv("GIT_QUARANTINE_PATH");
    if (quarantine == NULL || quarantine[0] == '\0')
        return 0;
    git_odb *odb = NULL;
    int rc = git_repository_odb(&odb, r->repo);
    if (rc == 0)
        rc = git_odb_add_disk_alternate(odb, quarantine);
    git_odb_free(odb);
    if (rc < 0)
        path_error(r, NULL, "cannot read the pushed objects in '%s': %s", quarantine,
                   git_message());
    return rc < 0 ? -1 : 0;
}

/* Finds the commit of opts->ref and its tree; returns 0 or -1 after an error. */
static int open_commit(reader *r, const char *ref, char commit_id[41])
{
    if (add_quarantine_objects(r) < 0)
        return -1;
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, r->repo, ref);
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EUNBORNBRANCH) {
        unknown_ref(r, ref);
        return -1;
    }
    if (rc == GIT_EAMBIGUOUS) {
        path_error(r, NULL, "ref '%s' is ambiguous: several objects have ids starting with it; "
                            "give more digits of the commit id", ref);
        return -1;
    }
    if (rc < 0) {
        path_error(r, NULL, "cannot read ref '%s': %s", ref, git_message());
        return -1;
    }
    git_object *commit = NULL;
    if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
        path_error(r, NULL, "ref '%s' names a %s, not a commit; give a branch, tag or commit id",
                   ref, git_object_type2string(git_object_type(obj)));
        git_object_free(obj);
        return -1;
    }
    git_object_free(obj);
    git_oid_tostr(commit_id, 41, git_object_id(commit));
    rc = git_commit_tree(&r->root_tree, (git_commit *)commit);
    git_object_free(commit);
    if (rc < 0) {
        path_error(r, NULL, "cannot read the tree of ref '%s': %s; is the repository complete "
                            "(git fsck)?", ref, git_message());
        return -1;
    }
    if (git_repository_odb(&r->odb, r->repo) < 0) {
        path_error(r, NULL, "cannot open the objects of '%s': %s", r->repo_dir, git_message());
        return -1;
    }
    return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The repository's index into r->index: the one prefetch read when it is
 * that file as it is now, else read now, with libgit2 where gitindex_read
 * cannot. Returns whether r->index.file is the index file's stat (false
 * when there is none: nothing is tracked). */
static bool load_index(reader *r, source_prefetch *prefetch)
{
    buf path = BUF_INIT;
    buf_printf(&path, "%sindex", git_repository_path(r->repo));
    struct stat now;
    bool found = false;
    if (prefetch != NULL && prefetch->index.bytes != NULL && stat(path.data, &now) == 0 &&
        same_file(&now, &prefetch->index.file)) {
        r->index = prefetch->index; /* its threads are waited for before the walk */
        r->verdicts = prefetch->verdicts;
        prefetch->index = (gitindex)GITINDEX_INIT;
        prefetch->verdicts = NULL;
        found = true;
    } else if (gitindex_read(&r->index, path.data) == 0) {
        found = true;
    } else {
        git_index *index = NULL;
        if (git_repository_index(&index, r->repo) == 0) {
            gitindex_from_libgit2(&r->index, index);
            found = stat(git_index_path(index), &r->index.file) == 0;
        }
        git_index_free(index);
    }
    buf_free(&path);
    return found;
}

static int compare_files(const void *x, const void *y)
{
    return strcmp(((const source_file *)x)->path, ((const source_file *)y)->path);
}

int source_read(arena *a, const source_options *opts, source_tree *out, diag_list *diags)
{
    *out = (source_tree){NULL, 0, ""};
    size_t errors_before = diags->errors;
    reader r = {
        .a = a,
        .diags = diags,
        .roots = opts->roots,
        .repo_dir = opts->repo_dir != NULL ? opts->repo_dir : ".",
        .root_fd = -1,
        .known = opts->known,
    };
    buf display = BUF_INIT, canon = BUF_INIT;
    bool prefetched = false;
    git_libgit2_init();

    struct stat st;
    if (stat(r.repo_dir, &st) < 0) {
        path_error(&r, NULL, "cannot open the repository folder '%s': %s; check the folder name",
                   r.repo_dir, strerror(errno));
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        path_error(&r, NULL, "'%s' is not a folder; give the folder of the content repository",
                   r.repo_dir);
        goto done;
    }
    int rc = git_repository_open_ext(&r.repo, r.repo_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (rc < 0 && rc != GIT_ENOTFOUND) {
        path_error(&r, NULL, "cannot open the git repository '%s': %s", r.repo_dir,
                   git_message());
        goto done;
    }
    if (rc < 0)
        r.repo = NULL; /* a plain folder */

    if (opts->ref != NULL) {
        if (r.repo == NULL) {
            path_error(&r, NULL, "'%s' is not a git repository, so --ref %s cannot be read; "
                                 "leave out --ref to read the folder as it is",
                       r.repo_dir, opts->ref);
            goto done;
        }
        r.tree_mode = true;
        if (open_commit(&r, opts->ref, out->commit_id) < 0)
            goto done;
        node top = {NODE_DIR, *git_tree_id(r.root_tree)};
        walk_dir(&r, &display, &canon, &top, -1);
    } else {
        if (r.repo != NULL && git_repository_is_bare(r.repo)) {
            path_error(&r, NULL, "'%s' is a bare repository: it has no working tree to read; "
                                 "pass --ref (for example --ref HEAD)", r.repo_dir);
            goto done;
        }
        /* Without an index nothing is tracked; ignores still apply. */
        if (r.repo != NULL && load_index(&r, opts->prefetch) && no_filters(&r)) {
            r.index_ids = true;
            r.index_time = r.index.file.st_mtim;
        }
        r.root_fd = open(r.repo_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int top_fd = r.root_fd >= 0 ? dup(r.root_fd) : -1;
        if (top_fd < 0) {
            path_error(&r, NULL, "cannot open the repository folder '%s': %s", r.repo_dir,
                       strerror(errno));
            goto done;
        }
        node top = {NODE_DIR, {{0}}};
        source_prefetch_wait(opts->prefetch); /* its lstat are taken */
        prefetched = true;
        walk_dir(&r, &display, &canon, &top, top_fd);
    }

    /* Sorted by path; a hostile tree can name one path twice. */
    if (r.file_count > 1)
        qsort(r.files, r.file_count, sizeof *r.files, compare_files);
    size_t kept = 0;
    for (size_t i = 0; i < r.file_count; i++) {
        if (kept > 0 && strcmp(r.files[kept - 1].path, r.files[i].path) == 0) {
            path_error(&r, r.files[i].path, "the commit holds this path twice (a broken or "
                                            "hostile commit); rewrite it with a regular git "
                                            "client");
            continue;
        }
        r.files[kept++] = r.files[i];
    }
    if (kept > 0) {
        out->files = arena_alloc(a, kept * sizeof *out->files);
        memcpy(out->files, r.files, kept * sizeof *out->files);
    }
    out->count = kept;

done:
    if (!prefetched) /* its threads may use r.index's entries */
        source_prefetch_wait(opts->prefetch);
    buf_free(&display);
    buf_free(&canon);
    free(r.files);
    free(r.blobs);
    free(r.walking);
    if (r.root_fd >= 0)
        close(r.root_fd);
    git_tree_free(r.root_tree);
    git_odb_free(r.odb);
    gitindex_free(&r.index);
    free(r.verdicts);
    git_repository_free(r.repo);
    git_libgit2_shutdown();
    return diags->errors > errors_before ? -1 : 0;
}

const source_file *source_find(const source_tree *tree, const char *path)
{
    size_t lo = 0, hi = tree->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(tree->files[mid].path, path);
        if (c == 0)
            return &tree->files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* source_fill for a file of a commit: its blob, read and checked as the
 * read of the commit does (read_blob), by a reader of this one file. */
static int fill_from_blob(arena *a, const source_options *opts, source_file *f)
{
    diag_list ignored = DIAG_LIST_INIT; /* a failure makes the build read everything */
    reader r = {.a = a, .diags = &ignored};
    git_repository *repo = NULL;
    git_oid id;
    const char *data = NULL;
    size_t len = 0;
    int status = -1;
    git_libgit2_init();
    if (git_oid_fromstr(&id, f->blob_id) == 0 &&
        git_repository_open_ext(&repo, opts->repo_dir ? opts->repo_dir : ".",
                                GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 &&
        git_repository_odb(&r.odb, repo) == 0 &&
        read_blob(&r, f->path, &id, 0, false, &data, &len) == 0) {
        f->data = data;
        f->len = len;
        status = 0;
    }
    free(r.blobs);
    git_odb_free(r.odb);
    git_repository_free(repo);
    git_libgit2_shutdown();
    diag_list_free(&ignored);
    return status;
}

int source_fill(arena *a, const source_options *opts, source_file *f)
{
    if (f->data != NULL)
        return 0;
    if (opts->ref != NULL)
        return fill_from_blob(a, opts, f);
    /* The path was checked when it was read (names, links inside the
     * repository); the bytes must still be those of its blob. */
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%s", opts->repo_dir ? opts->repo_dir : ".", f->path);
    int fd = open(path.data, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    buf_free(&path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != f->len) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char *data = arena_alloc_raw(a, f->len + 1);
    ssize_t got = read_fully(fd, data, f->len);
    close(fd);
    data[got > 0 ? got : 0] = '\0';
    git_oid id;
    char hex[GIT_OID_HEXSZ + 1];
    git_libgit2_init();
    bool same = got == (ssize_t)f->len && git_odb_hash(&id, data, f->len, GIT_OBJECT_BLOB) == 0 &&
                strcmp(git_oid_tostr(hex, sizeof hex, &id), f->blob_id) == 0;
    git_libgit2_shutdown();
    if (!same)
        return -1;
    f->data = data;
    return 0;
}

void source_hold(void)
{
    git_libgit2_init();
}

void source_release(void)
{
    git_libgit2_shutdown();
}
