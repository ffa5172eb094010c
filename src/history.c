#include "history.h"

#include <git2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "record.h"

typedef struct author_commits {
    const char *name; /* arena-owned */
    size_t commits;
} author_commits;

/* What the walk learns about one file. */
typedef struct file_record {
    file_history history;
    author_commits *authors; /* malloc'ed while walking */
    size_t author_count, author_cap;
    bool changed_in_walk; /* history.changed is from this walk, not the record */
    bool finished;        /* history.authors made (finish_authors) */
    bool recorded;        /* in the previous build's record (use_previous) */
    bool recorded_uncommitted;
} file_record;

typedef struct history_walk {
    git_repository *repo;
    arena *arena;
    strmap files;   /* path -> file_record*: the files of interest */
    strmap folders; /* every folder on the way to them: the subtrees worth comparing */
    strmap names;   /* author name -> the arena copy, so each is stored once */
    /* A working-tree build's HEAD files: path -> raw blob id (arena), or
     * &link_entry for a link (read_head_tree). */
    strmap head_files;
    bool head_files_read;
    bool incremental; /* the walk went on from the previous build's record */
    git_odb *odb;
    git_mailmap *mailmap;
    /* Tree objects read for this commit and for the one before (see
     * read_tree): oid hex -> cached_tree*. */
    strmap trees_now, trees_before;
    /* the commit being compared */
    int64_t time;
    int offset;
    const char *author;
    const _Atomic bool *stop; /* set when the build no longer needs the walk */
} history_walk;

static void git_failed(diag_list *diags, const char *repo_dir, const char *doing)
{
    const git_error *e = git_error_last();
    diag_add(diags, DIAG_ERROR, repo_dir, 0, 0, "cannot read the history (%s): %s", doing,
             e && e->message ? e->message : "unknown libgit2 error");
}

/* The record of path, made when new. */
static file_record *file_named(history_walk *w, const char *path)
{
    file_record *r = strmap_get(&w->files, path);
    if (r == NULL) {
        r = arena_alloc(w->arena, sizeof *r);
        memset(r, 0, sizeof *r);
        strmap_put(&w->files, arena_strdup(w->arena, path), r);
    }
    return r;
}

static void add_commits(file_record *r, const char *author, size_t commits)
{
    for (size_t i = 0; i < r->author_count; i++) {
        if (r->authors[i].name == author) { /* interned: one pointer per name */
            r->authors[i].commits += commits;
            return;
        }
    }
    if (r->author_count == r->author_cap) {
        r->author_cap = r->author_cap ? r->author_cap * 2 : 4;
        r->authors = realloc(r->authors, r->author_cap * sizeof *r->authors);
        if (r->authors == NULL)
            abort();
    }
    r->authors[r->author_count++] = (author_commits){author, commits};
}

static void note_change(history_walk *w, file_record *r)
{
    if (!r->changed_in_walk) { /* the walk goes from new to old */
        r->changed_in_walk = true;
        r->history.changed = w->time;
        r->history.changed_offset = w->offset;
    }
    add_commits(r, w->author, 1);
}

/* A tree object as git stores it: entries "MODE NAME\0" and 20 bytes of id,
 * sorted in git's order. Read raw, without libgit2's parsing into an entry
 * array, because a folder of 10,000 practices is parsed 3,000 times in a
 * history of 3,000 commits. */
typedef struct cached_tree {
    git_odb_object *object;
    bool kept; /* moved on to the next generation, with its starts */
    /* For a large tree, where each of its count entries starts, and its size
     * last (count + 1 offsets), once known (index_tree, derive_starts);
     * malloc'ed. */
    uint32_t *starts;
    size_t count;
} cached_tree;

/* Trees from this size on get their entry starts: the folder of practices,
 * whose first difference from its parent's is thousands of entries in. */
enum { INDEXED_TREE_MIN = 16 * 1024 };

typedef struct tree_entry {
    const char *name; /* followed by '\0' in the object */
    size_t name_len;
    bool is_tree, is_file; /* a file: a blob or a link; neither: a submodule */
    bool is_link;
    const unsigned char *id;
} tree_entry;

/* Reads the entry at *pos of a tree object and moves past it; false at the
 * end, or where the object is malformed. */
static bool next_entry(const unsigned char *data, size_t size, size_t *pos, tree_entry *e)
{
    const unsigned char *p = data + *pos, *end = data + size;
    const unsigned char *space = *pos < size ? memchr(p, ' ', (size_t)(end - p)) : NULL;
    const unsigned char *nul = space ? memchr(space + 1, '\0', (size_t)(end - space - 1)) : NULL;
    if (nul == NULL || end - nul - 1 < GIT_OID_RAWSZ)
        return false;
    unsigned mode = 0;
    for (const unsigned char *m = p; m < space; m++)
        mode = mode * 8 + (unsigned)(*m - '0');
    e->name = (const char *)space + 1;
    e->name_len = (size_t)(nul - space - 1);
    e->is_tree = mode == 040000;
    e->is_link = mode == 0120000;
    e->is_file = (mode & 0170000) == 0100000 || e->is_link;
    e->id = nul + 1;
    *pos = (size_t)(nul + 1 + GIT_OID_RAWSZ - data);
    return true;
}

/* git's order of tree entries: by name, a folder's name as if it ended in '/'. */
static int entry_order(const tree_entry *a, const tree_entry *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    if (c != 0)
        return c;
    unsigned char ca = a->name_len > n ? (unsigned char)a->name[n] : a->is_tree ? '/' : '\0';
    unsigned char cb = b->name_len > n ? (unsigned char)b->name[n] : b->is_tree ? '/' : '\0';
    return (int)ca - (int)cb;
}

/* Reads the object with id, which must be a tree, raw into *out. */
static int read_tree_object(history_walk *w, const git_oid *id, git_odb_object **out)
{
    if (git_odb_read(out, w->odb, id) < 0)
        return -1;
    if (git_odb_object_type(*out) != GIT_OBJECT_TREE) {
        git_odb_object_free(*out);
        *out = NULL;
        git_error_set_str(GIT_ERROR_INVALID, "a tree entry names an object that is no tree");
        return -1;
    }
    return 0;
}

/* A tree object, from this commit's or the last one's reads, else read: the
 * walk goes from child to parent, so the parent's trees read now are the
 * next commit's own. */
static int read_tree(history_walk *w, const git_oid *id, cached_tree **out)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, id);
    cached_tree *c = strmap_get(&w->trees_now, hex);
    if (c != NULL) {
        *out = c;
        return 0;
    }
    cached_tree moved = {0};
    c = strmap_get(&w->trees_before, hex);
    if (c != NULL && !c->kept) {
        moved = *c; /* its object and starts, now this generation's */
        c->kept = true;
    } else if (read_tree_object(w, id, &moved.object) < 0) {
        return -1;
    }
    c = arena_alloc(w->arena, sizeof *c);
    *c = moved;
    strmap_put(&w->trees_now, arena_strdup(w->arena, hex), c);
    *out = c;
    return 0;
}

/* Frees the trees of a generation that did not move on. */
static void free_trees(strmap *trees)
{
    for (size_t i = 0; i < trees->cap; i++) {
        cached_tree *c = trees->entries[i].value;
        if (trees->entries[i].key != NULL && !c->kept) {
            git_odb_object_free(c->object);
            free(c->starts);
        }
    }
    strmap_free(trees);
    *trees = (strmap)STRMAP_INIT;
}

/* Compares the tree of a commit with its parent's (NULL for a first commit)
 * below prefix, noting every file of interest whose blob changed. Subtrees
 * with the same id are skipped whole, so a commit costs what it changed. */
/* How many bytes a and b have in common at their start (of n at most). */
static size_t common_prefix(const unsigned char *a, const unsigned char *b, size_t n)
{
    enum { BLOCK = 4096 }; /* memcmp a block at a time, then byte by byte */
    size_t i = 0;
    while (i + BLOCK <= n && memcmp(a + i, b + i, BLOCK) == 0)
        i += BLOCK;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* How many bytes the two runs that end at a_end and b_end have in common at
 * their ends (of n at most). */
static size_t common_suffix(const unsigned char *a_end, const unsigned char *b_end, size_t n)
{
    enum { BLOCK = 4096 };
    size_t i = 0;
    while (i + BLOCK <= n && memcmp(a_end - i - BLOCK, b_end - i - BLOCK, BLOCK) == 0)
        i += BLOCK;
    while (i < n && a_end[-1 - (ptrdiff_t)i] == b_end[-1 - (ptrdiff_t)i])
        i++;
    return i;
}

/* The most entries a tree of size bytes can have, plus one: an entry
 * takes a space, a NUL and an id at least. */
static size_t most_entries(size_t size)
{
    return size / (2 + GIT_OID_RAWSZ) + 2;
}

/* Notes where each entry of c starts by parsing it whole (nothing when it
 * is malformed or too large for 32-bit offsets). */
static void index_tree(cached_tree *c)
{
    const unsigned char *data = git_odb_object_data(c->object);
    size_t size = git_odb_object_size(c->object);
    if (size > UINT32_MAX)
        return;
    uint32_t *starts = malloc(most_entries(size) * sizeof *starts);
    if (starts == NULL)
        abort();
    size_t count = 0, pos = 0;
    tree_entry e;
    starts[0] = 0;
    while (pos < size) {
        if (!next_entry(data, size, &pos, &e)) {
            free(starts);
            return;
        }
        starts[++count] = (uint32_t)pos;
    }
    c->starts = starts;
    c->count = count;
}

/* Notes where each entry of old starts from new's starts, where the two
 * trees have the same first bytes up to new's entry start number first and
 * the same last tail bytes: new's starts up to there, then old's own
 * entries, parsed until one ends where one of new's does at the same
 * distance from the end, within the common tail; from there on new's,
 * shifted. A commit then costs the entries it changed, not a parse of the
 * tree up to them. */
static void derive_starts(cached_tree *old, const cached_tree *new, size_t first, size_t tail)
{
    const unsigned char *data = git_odb_object_data(old->object);
    size_t size = git_odb_object_size(old->object);
    size_t new_size = new->starts[new->count];
    if (size > UINT32_MAX)
        return;
    size_t cap = most_entries(size);
    uint32_t *starts = malloc(cap * sizeof *starts);
    if (starts == NULL)
        abort();
    memcpy(starts, new->starts, (first + 1) * sizeof *starts);
    size_t count = first, pos = new->starts[first], j = first;
    tree_entry e;
    while (pos < size) {
        if (!next_entry(data, size, &pos, &e) || count + 1 >= cap) {
            free(starts);
            return;
        }
        starts[++count] = (uint32_t)pos;
        if (size - pos > tail)
            continue;
        size_t in_new = new_size - (size - pos);
        while (j < new->count && new->starts[j] < in_new)
            j++;
        if (new->starts[j] == in_new) {
            if (count + (new->count - j) >= cap) {
                free(starts);
                return;
            }
            for (size_t k = j + 1; k <= new->count; k++)
                starts[++count] = (uint32_t)(new->starts[k] - new_size + size);
            break;
        }
    }
    old->starts = starts;
    old->count = count;
}

/* The number of the last entry start of c at or before at (its size
 * counting as one). */
static size_t start_before(const cached_tree *c, size_t at)
{
    size_t low = 0, high = c->count;
    while (low < high) {
        size_t middle = low + (high - low + 1) / 2;
        if (c->starts[middle] <= at)
            low = middle;
        else
            high = middle - 1;
    }
    return low;
}

static int compare_trees(history_walk *w, cached_tree *old_tree, cached_tree *new_tree,
                         buf *prefix)
{
    git_odb_object *new = new_tree->object, *old = old_tree ? old_tree->object : NULL;
    const unsigned char *data = git_odb_object_data(new);
    const unsigned char *old_data = old ? git_odb_object_data(old) : NULL;
    size_t size = git_odb_object_size(new), old_size = old ? git_odb_object_size(old) : 0;
    size_t pos = 0, old_pos = 0;
    /* A commit changes a few entries of a large folder (one of 10,000
     * practices, 3,000 times over): only the bytes between the first and
     * the last difference need comparing entry by entry. The entries before
     * the first differing byte are the same in both trees, and from where
     * both are at the same distance from their ends within the common tail,
     * so is the rest. */
    size_t same_end = size; /* new's bytes from here on end as old's do */
    if (old != NULL) {
        size_t shorter = size < old_size ? size : old_size;
        size_t differ = common_prefix(data, old_data, shorter);
        if (new_tree->starts == NULL && size >= INDEXED_TREE_MIN)
            index_tree(new_tree);
        size_t first = 0;
        if (new_tree->starts != NULL) {
            first = start_before(new_tree, differ);
            pos = new_tree->starts[first];
        } else {
            tree_entry skipped;
            for (size_t next = 0; next_entry(data, size, &next, &skipped) && next <= differ;)
                pos = next;
        }
        old_pos = pos;
        size_t tail = common_suffix(data + size, old_data + old_size, shorter - pos);
        same_end = size - tail;
        if (new_tree->starts != NULL && old_tree->starts == NULL && old_size >= INDEXED_TREE_MIN)
            derive_starts(old_tree, new_tree, first, tail);
    }
    tree_entry entry, candidate;
    size_t candidate_at = old_pos;
    bool have_candidate = old && next_entry(old_data, old_size, &old_pos, &candidate);
    /* Both trees are sorted in git's order: walk them side by side. */
    for (size_t entry_at = pos; next_entry(data, size, &pos, &entry); entry_at = pos) {
        while (have_candidate && entry_order(&candidate, &entry) < 0) {
            candidate_at = old_pos;
            have_candidate = next_entry(old_data, old_size, &old_pos, &candidate);
        }
        if (entry_at >= same_end && have_candidate && size - entry_at == old_size - candidate_at)
            break; /* the rest of both is the same bytes */
        bool same_name = have_candidate && entry_order(&candidate, &entry) == 0;
        if (same_name && candidate.is_tree == entry.is_tree &&
            memcmp(candidate.id, entry.id, GIT_OID_RAWSZ) == 0)
            continue;
        size_t mark = prefix->len;
        if (prefix->len > 0)
            buf_append_char(prefix, '/');
        buf_append(prefix, entry.name, entry.name_len);
        int status = 0;
        if (entry.is_tree && strmap_get(&w->folders, prefix->data) != NULL) {
            cached_tree *subtree = NULL, *old_subtree = NULL;
            git_oid id;
            git_oid_fromraw(&id, entry.id);
            status = read_tree(w, &id, &subtree);
            if (status == 0 && same_name && candidate.is_tree) {
                git_oid_fromraw(&id, candidate.id);
                status = read_tree(w, &id, &old_subtree);
            }
            if (status == 0)
                status = compare_trees(w, old_subtree, subtree, prefix);
        } else if (entry.is_file) {
            /* Also the files of these folders that the tree no longer has:
             * the build record keeps them, so that a later build that
             * brings one back knows its history without a full walk. */
            note_change(w, file_named(w, prefix->data));
        }
        prefix->len = mark;
        prefix->data[mark] = '\0';
        if (status < 0)
            return status;
    }
    return 0;
}

/* The author's name as .mailmap has it, stored once. */
static const char *author_name(history_walk *w, const git_signature *sig)
{
    const char *name = sig->name, *email = sig->email;
    const char *real_name = NULL, *real_email = NULL;
    if (w->mailmap && git_mailmap_resolve(&real_name, &real_email, w->mailmap, name, email) == 0)
        name = real_name;
    const char *stored = strmap_get(&w->names, name);
    if (stored == NULL) {
        stored = arena_strdup(w->arena, name);
        strmap_put(&w->names, stored, (void *)stored);
    }
    return stored;
}

/* Walks the commits from start back, but not those of hide (NULL: all). */
static int walk_commits(history_walk *w, const git_oid *start, const git_oid *hide)
{
    git_revwalk *walk = NULL;
    int status = git_revwalk_new(&walk, w->repo);
    if (status == 0)
        status = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    if (status == 0)
        status = git_revwalk_push(walk, start);
    if (status == 0 && hide != NULL)
        status = git_revwalk_hide(walk, hide);
    buf prefix = BUF_INIT;
    git_oid id;
    while (status == 0 && git_revwalk_next(&id, walk) == 0) {
        if (w->stop != NULL && atomic_load_explicit(w->stop, memory_order_relaxed)) {
            git_error_set_str(GIT_ERROR_NONE, "stopped");
            status = -1;
            break;
        }
        git_commit *commit = NULL, *parent = NULL;
        cached_tree *tree = NULL, *parent_tree = NULL;
        status = git_commit_lookup(&commit, w->repo, &id);
        unsigned parents = status == 0 ? git_commit_parentcount(commit) : 0;
        if (status == 0 && parents <= 1) {
            status = read_tree(w, git_commit_tree_id(commit), &tree);
            if (status == 0 && parents == 1) {
                status = git_commit_parent(&parent, commit, 0);
                if (status == 0)
                    status = read_tree(w, git_commit_tree_id(parent), &parent_tree);
            }
            if (status == 0) {
                const git_signature *sig = git_commit_author(commit);
                w->time = sig->when.time;
                w->offset = sig->when.offset;
                w->author = author_name(w, sig);
                buf_clear(&prefix);
                status = compare_trees(w, parent_tree, tree, &prefix);
            }
            free_trees(&w->trees_before);
            w->trees_before = w->trees_now;
            w->trees_now = (strmap)STRMAP_INIT;
        }
        git_commit_free(parent);
        git_commit_free(commit);
    }
    free_trees(&w->trees_before);
    free_trees(&w->trees_now);
    buf_free(&prefix);
    git_revwalk_free(walk);
    return status;
}

/* What head_files holds for a link: its blob is its target's name, and its
 * contents were read from the target. */
static const unsigned char link_entry[1];

/* Whether file f differs from HEAD's, or HEAD lacks it. */
static bool uncommitted(const history_walk *w, const source_file *f)
{
    const unsigned char *head = strmap_get(&w->head_files, f->path);
    if (head == NULL)
        return true;
    git_oid id;
    return head != link_entry &&
           (git_oid_fromstr(&id, f->blob_id) < 0 || memcmp(id.id, head, GIT_OID_RAWSZ) != 0);
}

static int compare_authors(const void *a, const void *b)
{
    const author_commits *x = a, *y = b;
    if (x->commits != y->commits)
        return x->commits > y->commits ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Puts r's authors in order (most commits first) into its history. */
static void finish_authors(arena *a, file_record *r)
{
    qsort(r->authors, r->author_count, sizeof *r->authors, compare_authors);
    r->history.authors = arena_alloc(a, (r->author_count + 1) * sizeof(char *));
    for (size_t k = 0; k < r->author_count; k++)
        r->history.authors[k] = r->authors[k].name;
    r->history.author_count = r->author_count;
    r->finished = true;
}

/* ---------- the build record ---------- */

/* What the names in the walk go through: .mailmap in the working tree and
 * in HEAD, and the settings that name other mailmaps. */
static record_hash mailmap_inputs(git_repository *repo)
{
    buf text = BUF_INIT;
    const char *workdir = git_repository_workdir(repo);
    if (workdir != NULL) {
        buf path = BUF_INIT;
        buf_printf(&path, "%s.mailmap", workdir);
        FILE *f = fopen(path.data, "rb");
        char chunk[4096];
        size_t n;
        while (f != NULL && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            buf_append(&text, chunk, n);
        if (f != NULL)
            fclose(f);
        buf_free(&path);
    }
    git_object *blob = NULL;
    if (git_revparse_single(&blob, repo, "HEAD:.mailmap") == 0) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, git_object_id(blob));
        buf_printf(&text, "\nHEAD:.mailmap %s", hex);
        git_object_free(blob);
    }
    git_config *config = NULL;
    if (git_repository_config_snapshot(&config, repo) == 0) {
        const char *value = NULL;
        if (git_config_get_string(&value, config, "mailmap.file") == 0)
            buf_printf(&text, "\nmailmap.file %s", value);
        if (git_config_get_string(&value, config, "mailmap.blob") == 0)
            buf_printf(&text, "\nmailmap.blob %s", value);
        git_config_free(config);
    }
    record_hash h = record_hash_of(text.data, text.len);
    buf_free(&text);
    return h;
}

/* The "history" section: the commit walked from, the mailmap's inputs, the
 * folders walked, and every file seen in them with its date, whether it
 * differed from HEAD, and its authors (commits each). */
static void write_record(history_walk *w, const git_oid *commit, record_hash mailmap, buf *out)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, commit);
    record_write_string(out, hex, strlen(hex));
    record_write_hash(out, mailmap);
    record_write_number(out, w->folders.count);
    for (size_t i = 0; i < w->folders.cap; i++)
        if (w->folders.entries[i].key != NULL)
            record_write_string(out, w->folders.entries[i].key, strlen(w->folders.entries[i].key));
    record_write_number(out, w->files.count);
    for (size_t i = 0; i < w->files.cap; i++) {
        const char *path = w->files.entries[i].key;
        const file_record *r = w->files.entries[i].value;
        if (path == NULL)
            continue;
        record_write_string(out, path, strlen(path));
        record_write_number(out, (uint64_t)r->history.changed);
        record_write_number(out, (uint64_t)(int64_t)r->history.changed_offset);
        record_write_number(out, r->history.uncommitted);
        record_write_number(out, r->author_count);
        for (size_t k = 0; k < r->author_count; k++) {
            record_write_string(out, r->authors[k].name, strlen(r->authors[k].name));
            record_write_number(out, r->authors[k].commits);
        }
    }
}

/* Whether every commit after old up to new has at most one parent: then
 * they all come before old's in the walk, and a walk of them alone adds to
 * the recorded history exactly what a whole walk would find. */
static bool linear_since(git_repository *repo, const git_oid *old, const git_oid *new)
{
    if (git_oid_equal(old, new))
        return true;
    if (git_graph_descendant_of(repo, new, old) != 1)
        return false;
    git_revwalk *walk = NULL;
    bool linear = git_revwalk_new(&walk, repo) == 0 && git_revwalk_push(walk, new) == 0 &&
                  git_revwalk_hide(walk, old) == 0;
    git_oid id;
    while (linear && git_revwalk_next(&id, walk) == 0) {
        git_commit *c = NULL;
        linear = git_commit_lookup(&c, repo, &id) == 0 && git_commit_parentcount(c) <= 1;
        git_commit_free(c);
    }
    git_revwalk_free(walk);
    return linear;
}

/* Takes the previous build's history as the start of this one when it can:
 * same mailmap, its commit an ancestor of this one by commits with one
 * parent, and every folder of the tree walked then. Sets *since to the
 * commit it describes and returns true; false leaves w as it was. */
static bool use_previous(history_walk *w, const record *previous, const git_oid *commit,
                         record_hash mailmap, git_oid *since)
{
    record_reader rr = record_reader_of(previous, "history");
    const char *hex = record_read_string(&rr, NULL);
    if (rr.failed || git_oid_fromstr(since, hex) < 0 ||
        !record_hash_equal(record_read_hash(&rr), mailmap))
        return false;
    strmap folders = STRMAP_INIT;
    for (uint64_t n = record_read_number(&rr); n > 0 && !rr.failed; n--) {
        const char *folder = record_read_string(&rr, NULL);
        strmap_put(&folders, folder, (void *)folder);
    }
    bool covered = !rr.failed;
    for (size_t i = 0; covered && i < w->folders.cap; i++)
        if (w->folders.entries[i].key != NULL &&
            strmap_get(&folders, w->folders.entries[i].key) == NULL)
            covered = false;
    if (!covered || !linear_since(w->repo, since, commit)) {
        strmap_free(&folders);
        return false;
    }
    record_reader files = rr;
    for (uint64_t n = record_read_number(&files); n > 0 && !files.failed; n--) {
        record_read_string(&files, NULL);
        record_read_number(&files);
        record_read_number(&files);
        record_read_number(&files);
        for (uint64_t k = record_read_number(&files); k > 0 && !files.failed; k--) {
            record_read_string(&files, NULL);
            record_read_number(&files);
        }
    }
    if (files.failed) {
        strmap_free(&folders);
        return false;
    }
    /* Whole and usable: take it. The walk then descends into the folders
     * walked before as well, so that the record stays whole. */
    for (size_t i = 0; i < folders.cap; i++)
        if (folders.entries[i].key != NULL && strmap_get(&w->folders, folders.entries[i].key) == NULL)
            strmap_put(&w->folders, arena_strdup(w->arena, folders.entries[i].key), w);
    strmap_free(&folders);
    uint64_t recorded = record_read_number(&rr);
    /* Checked above: each of them was read. */
    if (recorded <= (uint64_t)(rr.end - rr.at))
        strmap_reserve(&w->files, (size_t)recorded + 64);
    for (uint64_t n = recorded; n > 0; n--) {
        file_record *r = file_named(w, record_read_string(&rr, NULL));
        r->history.changed = (int64_t)record_read_number(&rr);
        r->history.changed_offset = (int)(int64_t)record_read_number(&rr);
        r->recorded = true;
        r->recorded_uncommitted = record_read_number(&rr) != 0;
        for (uint64_t k = record_read_number(&rr); k > 0; k--) {
            const char *name = record_read_string(&rr, NULL);
            const char *stored = strmap_get(&w->names, name);
            if (stored == NULL) {
                stored = arena_strdup(w->arena, name);
                strmap_put(&w->names, stored, (void *)stored);
            }
            add_commits(r, stored, (size_t)record_read_number(&rr));
        }
    }
    return true;
}

struct history_reader {
    history_walk w;
    arena *arena;
    diag_list *diags;
    const char *repo_dir, *ref;
    git_commit *commit;     /* NULL: no history (no repository, no commit yet) */
    record_hash mailmap;
    int status;
};

/* Reads the tree with id (at path prefix; at the top, only the roots) of the
 * commit built: every folder into folders, so that the walk descends only
 * there, and with files also every file into head_files. Read raw, as the
 * walk reads trees: the walk then finds them in libgit2's cache, where a
 * parsed tree would not do. */
static int read_head_tree(history_walk *w, const git_oid *id, buf *prefix,
                          const char *const *roots, bool files)
{
    git_odb_object *tree = NULL;
    if (read_tree_object(w, id, &tree) < 0)
        return -1;
    const unsigned char *data = git_odb_object_data(tree);
    size_t size = git_odb_object_size(tree), pos = 0;
    tree_entry e;
    int status = 0;
    while (status == 0 && next_entry(data, size, &pos, &e)) {
        if (!e.is_tree && !(files && e.is_file))
            continue;
        bool wanted = roots == NULL || prefix->len > 0;
        for (const char *const *r = roots; !wanted && *r; r++)
            wanted = strlen(*r) == e.name_len && memcmp(*r, e.name, e.name_len) == 0;
        if (!wanted)
            continue;
        size_t mark = prefix->len;
        if (prefix->len > 0)
            buf_append_char(prefix, '/');
        buf_append(prefix, e.name, e.name_len);
        const char *path = arena_strndup(w->arena, prefix->data, prefix->len);
        if (e.is_tree) {
            strmap_put(&w->folders, path, w);
            git_oid sub;
            git_oid_fromraw(&sub, e.id);
            status = read_head_tree(w, &sub, prefix, NULL, files);
        } else {
            const unsigned char *blob = link_entry;
            if (!e.is_link) {
                unsigned char *copy = arena_alloc_raw(w->arena, GIT_OID_RAWSZ);
                memcpy(copy, e.id, GIT_OID_RAWSZ);
                blob = copy;
            }
            strmap_put(&w->head_files, path, (void *)blob);
        }
        prefix->len = mark;
        prefix->data[mark] = '\0';
    }
    git_odb_object_free(tree);
    return status;
}

history_reader *history_begin(arena *a, const char *repo_dir, const char *ref,
                              const char *const *roots, const _Atomic bool *stop,
                              diag_list *diags)
{
    git_libgit2_init();
    /* Trees of up to 1 MiB in libgit2's cache: each version of a large
     * folder's tree is stored as a delta against another version, which
     * then need not be rebuilt (the walk of 3,000 commits of 10,000
     * practices: 20 s without, 2 s with). 4 MiB in all (the 8 latest versions
     * of such a tree) did as well as 512, and less memory is less time. */
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)(1 << 20));
    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(4 << 20));
    /* Not the SHA-1 of every object read again: the walk reads each
     * version of every folder's tree (3,000 times 500 KB for the benchmark's
     * practices), and hashing them took more time than all else. git checked
     * the objects when they came in (index-pack), the walk reads trees
     * defensively (next_entry), and a damaged tree can only give a wrong
     * date. The source stage checks the contents it reads itself. */
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    history_reader *h = calloc(1, sizeof *h);
    if (h == NULL)
        abort();
    h->arena = a;
    h->repo_dir = repo_dir;
    h->ref = ref;
    history_walk *w = &h->w;
    *w = (history_walk){.arena = a,
                        .files = STRMAP_INIT,
                        .folders = STRMAP_INIT,
                        .names = STRMAP_INIT,
                        .head_files = STRMAP_INIT,
                        .trees_now = STRMAP_INIT,
                        .trees_before = STRMAP_INIT,
                        .stop = stop};
    git_object *target = NULL;
    buf prefix = BUF_INIT;
    if (git_repository_open_ext(&w->repo, repo_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
        goto done; /* not a repository: no history */
    if (git_revparse_single(&target, w->repo, ref ? ref : "HEAD") < 0) {
        if (ref != NULL) { /* source_read found it; a failure now is the repository's */
            git_failed(diags, repo_dir, ref);
            h->status = -1;
        }
        goto done; /* a repository without commits yet */
    }
    if (git_repository_odb(&w->odb, w->repo) < 0) {
        git_failed(diags, repo_dir, "the object database");
        h->status = -1;
        goto done;
    }
    /* A working-tree build also needs HEAD's files: which files differ. */
    if (git_object_peel((git_object **)&h->commit, target, GIT_OBJECT_COMMIT) < 0 ||
        read_head_tree(w, git_commit_tree_id(h->commit), &prefix, roots, ref == NULL) < 0) {
        git_failed(diags, repo_dir, "the commit");
        h->status = -1;
        goto done;
    }
    w->head_files_read = ref == NULL;
    git_mailmap_from_repository(&w->mailmap, w->repo); /* none is fine */
    h->mailmap = mailmap_inputs(w->repo);
done:
    buf_free(&prefix);
    git_object_free(target);
    h->diags = diags;
    return h;
}

static void walk_new_commits(history_reader *h, const record *previous)
{
    history_walk *w = &h->w;
    git_oid since;
    bool incremental = previous != NULL &&
                       use_previous(w, previous, git_commit_id(h->commit), h->mailmap, &since);
    w->incremental = incremental;
    if (incremental && git_oid_equal(&since, git_commit_id(h->commit)))
        return; /* nothing new */
    if (walk_commits(w, git_commit_id(h->commit), incremental ? &since : NULL) < 0) {
        if (w->stop == NULL || !atomic_load(w->stop))
            git_failed(h->diags, h->repo_dir, "walking the commits");
        h->status = -1;
    }
}

void history_walk_commits(history_reader *h, const record *previous)
{
    history_walk *w = &h->w;
    if (h->commit == NULL || h->status < 0)
        return;
    walk_new_commits(h, previous);
    if (h->status < 0)
        return;
    /* What history_finish needs besides the files, made while the source
     * stage reads them: the authors in order. */
    for (size_t i = 0; i < w->files.cap; i++)
        if (w->files.entries[i].key != NULL)
            finish_authors(h->arena, w->files.entries[i].value);
}

int history_finish(history_reader *h, const source_tree *tree, buf *record_out, strmap *out)
{
    history_walk *w = &h->w;
    int status = h->status;
    if (tree == NULL)
        status = -1;
    if (status == 0 && h->commit != NULL) {
        strmap_reserve(out, tree->count);
        for (size_t i = 0; i < tree->count; i++) {
            const source_file *f = &tree->files[i];
            file_record *r = file_named(w, f->path);
            if (!r->finished)
                finish_authors(h->arena, r); /* a file new since the walk's record */
            if (h->ref == NULL && w->head_files_read)
                r->history.uncommitted = uncommitted(w, f);
            r->history.as_recorded = w->incremental && r->recorded && !r->changed_in_walk &&
                                     r->history.uncommitted == r->recorded_uncommitted;
            if (r->history.changed != 0 || r->history.uncommitted)
                strmap_put(out, f->path, &r->history);
        }
        if (record_out != NULL)
            write_record(w, git_commit_id(h->commit), h->mailmap, record_out);
    }
    for (size_t i = 0; i < w->files.cap; i++)
        if (w->files.entries[i].key != NULL)
            free(((file_record *)w->files.entries[i].value)->authors);
    git_commit_free(h->commit);
    git_mailmap_free(w->mailmap);
    git_odb_free(w->odb);
    git_repository_free(w->repo);
    strmap_free(&w->files);
    strmap_free(&w->folders);
    strmap_free(&w->names);
    strmap_free(&w->head_files);
    free(h);
    git_libgit2_shutdown();
    return status;
}

void history_dutch_date(int64_t time, int offset_minutes, char *out, size_t out_size, char *iso)
{
    static const char *const months[] = {"januari",   "februari", "maart",    "april",
                                         "mei",       "juni",     "juli",     "augustus",
                                         "september", "oktober",  "november", "december"};
    time_t local = (time_t)(time + (int64_t)offset_minutes * 60);
    struct tm tm;
    if (gmtime_r(&local, &tm) == NULL)
        memset(&tm, 0, sizeof tm);
    snprintf(out, out_size, "%d %s %d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
    if (iso) {
        char full[48];
        snprintf(full, sizeof full, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        memcpy(iso, full, 10);
        iso[10] = '\0';
    }
}
