/* test_source.c - the source stage: working tree, --ref and bare clones read
 * alike, and hostile trees (built object by object with git hash-object
 * --literally, so the bad names really are in the tree objects) are refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "gitindex.h"
#include "source.h"
#include "strmap.h"
#include "testlib.h"

static char tmp[64]; /* the test's own folder under /tmp */

static const char *const ROOTS[] = {"handbook.yaml", "content", "practices", "layouts", NULL};

/* ---- helpers ------------------------------------------------------------ */

/* Runs a shell command in the test folder; returns its exit status. */
static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
    buf cmd = BUF_INIT;
    buf_printf(&cmd, "cd '%s' && (", tmp);
    va_list args;
    va_start(args, fmt);
    buf_vprintf(&cmd, fmt, args);
    va_end(args);
    buf_append_str(&cmd, ") >/dev/null 2>&1");
    int status = system(cmd.data);
    if (status != 0)
        printf("    command failed (%d): %s\n", status, cmd.data);
    buf_free(&cmd);
    return status;
}

#define SH(...) CHECK(sh(__VA_ARGS__) == 0)

/* Runs a shell command in the test folder and stores the first line it prints. */
static void __attribute__((format(printf, 3, 4)))
sh_out(char *out, size_t cap, const char *fmt, ...)
{
    buf cmd = BUF_INIT;
    buf_printf(&cmd, "cd '%s' && (", tmp);
    va_list args;
    va_start(args, fmt);
    buf_vprintf(&cmd, fmt, args);
    va_end(args);
    buf_append_str(&cmd, ") 2>/dev/null");
    out[0] = '\0';
    FILE *p = popen(cmd.data, "r");
    if (p != NULL) {
        if (fgets(out, (int)cap, p) == NULL)
            out[0] = '\0';
        pclose(p);
    }
    out[strcspn(out, "\n")] = '\0';
    if (out[0] == '\0')
        printf("    command printed nothing: %s\n", cmd.data);
    buf_free(&cmd);
}

/* Writes len bytes to rel (under the test folder), creating its folders. */
static void write_bytes(const char *rel, const char *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmp, rel);
    for (char *slash = strchr(path + strlen(tmp) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0777);
        *slash = '/';
    }
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    if (len > 0)
        CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static void write_file(const char *rel, const char *text)
{
    write_bytes(rel, text, strlen(text));
}

static void make_link(const char *target, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmp, rel);
    CHECK(symlink(target, path) == 0);
}

static int read_dir(arena *a, const char *dir, const char *ref, const char *const *roots,
                    source_tree *out, diag_list *d)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmp, dir);
    source_options o = {path, ref, roots, NULL, NULL};
    return source_read(a, &o, out, d);
}

/* Whether d holds a diagnostic of severity sev about file whose message contains
 * needle; prints the list when not. */
static int has_diag(const diag_list *d, diag_severity sev, const char *file, const char *needle)
{
    for (size_t i = 0; i < d->count; i++) {
        const diag *x = &d->items[i];
        if (x->severity == sev && (file == NULL || strcmp(x->file, file) == 0) &&
            strstr(x->message, needle) != NULL && x->line == 0 && x->col == 0)
            return 1;
    }
    printf("    no diagnostic for '%s' containing '%s' among:\n", file ? file : "(any)", needle);
    for (size_t i = 0; i < d->count; i++) {
        char *text = diag_format(&d->items[i]);
        printf("      %s\n", text);
        free(text);
    }
    return 0;
}

static void print_diags(const diag_list *d)
{
    for (size_t i = 0; i < d->count; i++) {
        char *text = diag_format(&d->items[i]);
        printf("    %s\n", text);
        free(text);
    }
}

static const char *data_of(const source_tree *t, const char *path)
{
    const source_file *f = source_find(t, path);
    return f ? f->data : NULL;
}

/* Whether two reads hold the same paths, bytes and blob ids. */
static int same_files(const source_tree *x, const source_tree *y)
{
    if (x->count != y->count) {
        printf("    %zu files against %zu\n", x->count, y->count);
        return 0;
    }
    for (size_t i = 0; i < x->count; i++) {
        const source_file *f = &x->files[i], *g = &y->files[i];
        if (strcmp(f->path, g->path) != 0 || f->len != g->len ||
            memcmp(f->data, g->data, f->len) != 0 || strcmp(f->blob_id, g->blob_id) != 0) {
            printf("    differ at %s / %s\n", f->path, g->path);
            return 0;
        }
    }
    return 1;
}

/* Writes a raw tree object with the given entries (git order) into the
 * repository at repo, without any validation of the names. */
typedef struct raw_entry {
    const char *mode; /* "100644", "40000", "120000", "160000" */
    const char *name;
    const char *hex;
} raw_entry;

static int git_order(const void *x, const void *y)
{
    const raw_entry *a = x, *b = y;
    size_t la = strlen(a->name), lb = strlen(b->name);
    size_t n = la < lb ? la : lb;
    int c = memcmp(a->name, b->name, n);
    if (c != 0)
        return c;
    unsigned char ca = la > n ? (unsigned char)a->name[n] : strcmp(a->mode, "40000") ? 0 : '/';
    unsigned char cb = lb > n ? (unsigned char)b->name[n] : strcmp(b->mode, "40000") ? 0 : '/';
    return ca - cb;
}

static void make_tree(const char *repo, raw_entry *entries, size_t n, char hex[41])
{
    qsort(entries, n, sizeof *entries, git_order);
    buf raw = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        buf_printf(&raw, "%s %s", entries[i].mode, entries[i].name);
        buf_append_char(&raw, '\0');
        for (int j = 0; j < 20; j++) {
            unsigned byte;
            sscanf(entries[i].hex + 2 * j, "%2x", &byte);
            buf_append_char(&raw, (char)byte);
        }
    }
    write_bytes("raw.tree", raw.data, raw.len);
    buf_free(&raw);
    sh_out(hex, 41, "cd %s && git hash-object -w -t tree --literally --stdin < ../raw.tree", repo);
}

static void make_blob(const char *repo, const char *text, char hex[41])
{
    write_file("raw.blob", text);
    sh_out(hex, 41, "cd %s && git hash-object -w ../raw.blob", repo);
}

/* Commits tree (with handbook.yaml beside it as content/) to branch in repo. */
static void commit_content_tree(const char *repo, const char *content_tree, const char *branch)
{
    char yaml[41], top[41], commit[41];
    make_blob(repo, "title: bad\n", yaml);
    raw_entry top_entries[] = {
        {"100644", "handbook.yaml", yaml},
        {"40000", "content", content_tree},
    };
    make_tree(repo, top_entries, 2, top);
    sh_out(commit, sizeof commit, "cd %s && git commit-tree %s -m hostile", repo, top);
    SH("cd %s && git update-ref refs/heads/%s %s", repo, branch, commit);
}

/* ---- the fixture ---------------------------------------------------------- */

static char commit1[41], commit2[41];

/* repo: two commits (v1 on branch 'old' and tag 'v1'/'v1-light'; v2 on main),
 * ignored files in the working tree, a tracked file that is ignored anyway, and
 * a file outside the roots. bare.git: a bare clone of it. */
static void make_fixture(void)
{
    SH("git -c init.defaultBranch=main init -q repo");
    write_file("repo/handbook.yaml", "title: v1\n");
    write_file("repo/content/index.md", "# Index v1\n");
    write_file("repo/practices/p1.md", "---\ntitle: P1\n---\nText.\n");
    SH("cd repo && git add -A && git commit -q -m one && git tag -a v1 -m 'version 1' && "
       "git tag v1-light && git branch old");
    write_file("repo/handbook.yaml", "title: v2\n");
    write_file("repo/content/index.md", "# Index v2\n");
    write_file("repo/content/models/a.md", "# Model A\n\nSamen arrangeren.\n");
    write_file("repo/content/models/b.md", "# Model A\n\nSamen arrangeren.\n"); /* same blob */
    write_file("repo/content/empty.md", "");
    write_file("repo/layouts/base.html", "<html>{{content}}</html>\n");
    write_file("repo/notes.txt", "not a root\n");
    write_file("repo/.gitignore", "*.tmp\ncontent/drafts/\n");
    write_file("repo/content/forced.tmp", "tracked although ignored\n");
    SH("cd repo && git add -A && git add -f content/forced.tmp && git commit -q -m two");
    /* Ignored, never committed. */
    write_file("repo/content/scratch.tmp", "ignored\n");
    write_file("repo/content/drafts/d.md", "draft\n");
    SH("git clone -q --bare repo bare.git");
    sh_out(commit1, sizeof commit1, "cd repo && git rev-parse old");
    sh_out(commit2, sizeof commit2, "cd repo && git rev-parse HEAD");
}

/* ---- tests ---------------------------------------------------------------- */

static void test_worktree_read(void)
{
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    int rc = read_dir(&a, "repo", NULL, ROOTS, &t, &d);
    CHECK(rc == 0);
    CHECK(d.count == 0);
    print_diags(&d);
    static const char *const expected[] = {
        "content/empty.md",    "content/forced.tmp", "content/index.md", "content/models/a.md",
        "content/models/b.md", "handbook.yaml",      "layouts/base.html", "practices/p1.md",
    };
    size_t n = sizeof expected / sizeof *expected;
    CHECK(t.count == n);
    for (size_t i = 0; i < n && i < t.count; i++)
        CHECK_STR(t.files[i].path, expected[i]);
    CHECK_STR(t.commit_id, "");
    CHECK_STR(data_of(&t, "content/index.md"), "# Index v2\n");
    CHECK(source_find(&t, "content/scratch.tmp") == NULL);    /* ignored */
    CHECK(source_find(&t, "content/drafts/d.md") == NULL);    /* ignored folder */
    CHECK(source_find(&t, "notes.txt") == NULL);              /* not a root */
    const source_file *empty = source_find(&t, "content/empty.md");
    CHECK(empty != NULL && empty->len == 0 && empty->data != NULL && empty->data[0] == '\0');
    /* Blob ids are git's own. */
    char id[64];
    sh_out(id, sizeof id, "cd repo && git rev-parse HEAD:content/models/a.md");
    const source_file *f = source_find(&t, "content/models/a.md");
    CHECK(f != NULL && strcmp(f->blob_id, id) == 0);
    CHECK(f != NULL && f->len == strlen("# Model A\n\nSamen arrangeren.\n"));
    CHECK(f != NULL && f->data[f->len] == '\0');
    sh_out(id, sizeof id, "cd repo && git rev-parse HEAD:content/empty.md");
    CHECK(empty != NULL && strcmp(empty->blob_id, id) == 0);
    diag_list_free(&d);
    arena_free(&a);
}

static void test_worktree_head_and_bare_identical(void)
{
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree wt, head, main_ref, bare;
    CHECK(read_dir(&a, "repo", NULL, ROOTS, &wt, &d) == 0);
    CHECK(read_dir(&a, "repo", "HEAD", ROOTS, &head, &d) == 0);
    CHECK(read_dir(&a, "repo", "main", ROOTS, &main_ref, &d) == 0);
    CHECK(read_dir(&a, "bare.git", "HEAD", ROOTS, &bare, &d) == 0);
    CHECK(d.count == 0);
    print_diags(&d);
    CHECK(wt.count == 8);
    CHECK(same_files(&wt, &head));
    CHECK(same_files(&wt, &main_ref));
    CHECK(same_files(&wt, &bare));
    CHECK_STR(head.commit_id, commit2);
    CHECK_STR(bare.commit_id, commit2);
    /* Files with the same blob share one copy in tree mode. */
    const source_file *x = source_find(&head, "content/models/a.md");
    const source_file *y = source_find(&head, "content/models/b.md");
    CHECK(x != NULL && y != NULL && x->data == y->data);
    diag_list_free(&d);
    arena_free(&a);
}

static void check_v1(const source_tree *t, const char *what)
{
    int failed_before = testlib_case_failed;
    testlib_case_failed = 0;
    CHECK(t->count == 3);
    CHECK_STR(data_of(t, "content/index.md"), "# Index v1\n");
    CHECK_STR(data_of(t, "handbook.yaml"), "title: v1\n");
    CHECK(source_find(t, "content/models/a.md") == NULL);
    CHECK_STR(t->commit_id, commit1);
    if (testlib_case_failed)
        printf("    (reading ref %s)\n", what);
    testlib_case_failed |= failed_before;
}

static void test_ref_branch_tag_commit(void)
{
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    char short_id[8];
    memcpy(short_id, commit1, 7);
    short_id[7] = '\0';
    const char *refs[] = {"old", "v1", "v1-light", commit1, short_id, "main~1"};
    for (size_t i = 0; i < sizeof refs / sizeof *refs; i++) {
        CHECK(read_dir(&a, "repo", refs[i], ROOTS, &t, &d) == 0);
        check_v1(&t, refs[i]);
        CHECK(read_dir(&a, "bare.git", refs[i], ROOTS, &t, &d) == 0);
        check_v1(&t, refs[i]);
    }
    CHECK(d.count == 0);
    print_diags(&d);
    diag_list_free(&d);
    arena_free(&a);
}

static void test_ref_ignores_worktree_changes(void)
{
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree wt, head;
    write_file("repo/content/index.md", "# Index, not committed\n");
    write_file("repo/content/new.md", "new, not committed\n");
    CHECK(read_dir(&a, "repo", NULL, ROOTS, &wt, &d) == 0);
    CHECK(read_dir(&a, "repo", "HEAD", ROOTS, &head, &d) == 0);
    CHECK_STR(data_of(&wt, "content/index.md"), "# Index, not committed\n");
    CHECK_STR(data_of(&wt, "content/new.md"), "new, not committed\n");
    CHECK_STR(data_of(&head, "content/index.md"), "# Index v2\n");
    CHECK(source_find(&head, "content/new.md") == NULL);
    SH("cd repo && git checkout -q -- content/index.md && rm content/new.md");
    CHECK(d.count == 0);
    diag_list_free(&d);
    arena_free(&a);
}

static void test_roots(void)
{
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree all, head_all, some, head_some;
    CHECK(read_dir(&a, "repo", NULL, NULL, &all, &d) == 0);
    CHECK(source_find(&all, "notes.txt") != NULL);
    CHECK(source_find(&all, ".gitignore") != NULL);
    for (size_t i = 0; i < all.count; i++)
        CHECK(strncmp(all.files[i].path, ".git/", 5) != 0);
    CHECK(read_dir(&a, "repo", "HEAD", NULL, &head_all, &d) == 0);
    CHECK(same_files(&all, &head_all));

    static const char *const only[] = {"content", "missing-root", NULL};
    CHECK(read_dir(&a, "repo", NULL, only, &some, &d) == 0);
    CHECK(read_dir(&a, "repo", "HEAD", only, &head_some, &d) == 0);
    CHECK(some.count == 5);
    for (size_t i = 0; i < some.count; i++)
        CHECK(strncmp(some.files[i].path, "content/", 8) == 0);
    CHECK(same_files(&some, &head_some));
    CHECK(d.count == 0);
    print_diags(&d);
    diag_list_free(&d);
    arena_free(&a);
}

static void test_plain_folder(void)
{
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    write_file("plain/handbook.yaml", "hello\n");
    write_file("plain/content/x.md", "x\n");
    write_file("plain/content/y.tmp", "not ignored: no git here\n");
    CHECK(read_dir(&a, "plain", NULL, ROOTS, &t, &d) == 0);
    CHECK(d.count == 0);
    CHECK(t.count == 3);
    const source_file *f = source_find(&t, "handbook.yaml");
    CHECK(f != NULL && strcmp(f->blob_id, "ce013625030ba8dba906f756967f9e9ca394464a") == 0);
    CHECK(source_find(&t, "content/y.tmp") != NULL);

    /* --ref needs a repository. */
    CHECK(read_dir(&a, "plain", "HEAD", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "is not a git repository"));
    diag_list_free(&d);
    arena_free(&a);
}

static void test_repository_errors(void)
{
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    CHECK(read_dir(&a, "repo", "mian", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "unknown ref 'mian'; did you mean 'main'?"));
    CHECK(has_diag(&d, DIAG_ERROR, "", "git branch"));
    CHECK(t.count == 0);
    diag_list_free(&d);

    CHECK(read_dir(&a, "bare.git", "no-such-thing-at-all", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "unknown ref 'no-such-thing-at-all': no branch, tag"));
    diag_list_free(&d);

    CHECK(read_dir(&a, "repo", "HEAD:content", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "not a commit"));
    diag_list_free(&d);

    CHECK(read_dir(&a, "does-not-exist", NULL, ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "cannot open the repository folder"));
    diag_list_free(&d);

    CHECK(read_dir(&a, "repo/handbook.yaml", NULL, ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "is not a folder"));
    diag_list_free(&d);

    CHECK(read_dir(&a, "bare.git", NULL, ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "bare repository"));
    CHECK(has_diag(&d, DIAG_ERROR, "", "--ref HEAD"));
    diag_list_free(&d);

    SH("git -c init.defaultBranch=main init -q empty");
    CHECK(read_dir(&a, "empty", "HEAD", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "", "no commits yet"));
    diag_list_free(&d);
    arena_free(&a);
}

/* The id of the file at path in tree, or "". */
static const char *id_of(const source_tree *t, const char *path)
{
    const source_file *f = source_find(t, path);
    return f ? f->blob_id : "";
}

/* Working-tree blob ids come from the index for files it has unchanged, and
 * are hashed from the bytes otherwise: always the id of the bytes on disk
 * (git hash-object --no-filters), also where git converts line ends. */
static void test_index_ids(void)
{
    SH("git -c init.defaultBranch=main init -q ids");
    write_file("ids/handbook.yaml", "title: t\n");
    write_file("ids/content/same.md", "Blijft zo.\n");
    write_file("ids/content/edited.md", "Eerste versie.\n");
    SH("cd ids && git add -A && git commit -q -m one");
    /* Same size, other bytes, right after the commit. */
    write_file("ids/content/edited.md", "Tweede versie.\n");
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    char want[64];
    CHECK(read_dir(&a, "ids", NULL, ROOTS, &t, &d) == 0);
    sh_out(want, sizeof want, "cd ids && git rev-parse HEAD:content/same.md");
    CHECK_STR(id_of(&t, "content/same.md"), want);
    sh_out(want, sizeof want, "cd ids && git hash-object --no-filters content/edited.md");
    CHECK_STR(id_of(&t, "content/edited.md"), want);
    diag_list_free(&d);

    /* core.autocrlf: the working tree has CRLF, the index LF blobs. */
    /* The index written a moment after the files: not "racily clean",
     * so that its ids would be taken if nothing stopped them. */
    SH("cd ids && git checkout -q -- . && git config core.autocrlf true && "
       "rm content/same.md && git checkout -q -- content/same.md && sleep 0.05 && "
       "git update-index -q --really-refresh --force-write-index");
    CHECK(read_dir(&a, "ids", NULL, ROOTS, &t, &d) == 0);
    sh_out(want, sizeof want, "cd ids && git hash-object --no-filters content/same.md");
    CHECK_STR(id_of(&t, "content/same.md"), want);
    CHECK(source_find(&t, "content/same.md") != NULL &&
          strcmp(source_find(&t, "content/same.md")->data, "Blijft zo.\r\n") == 0);
    diag_list_free(&d);

    /* A .gitattributes that asks for CRLF, and no core.autocrlf. */
    SH("cd ids && git config --unset core.autocrlf && printf '*.md text eol=crlf\\n' > "
       ".gitattributes && git add .gitattributes && git commit -q -m attrs && "
       "rm content/edited.md && git checkout -q -- content/edited.md && sleep 0.05 && "
       "git update-index -q --really-refresh --force-write-index");
    CHECK(read_dir(&a, "ids", NULL, ROOTS, &t, &d) == 0);
    sh_out(want, sizeof want, "cd ids && git hash-object --no-filters content/edited.md");
    CHECK_STR(id_of(&t, "content/edited.md"), want);
    diag_list_free(&d);
    arena_free(&a);
}

/* ---- git's index -------------------------------------------------------- */

/* Whether gitindex_read of repo's index gives what libgit2 reads from it:
 * every entry, field by field. */
static bool index_read_as_libgit2(const char *repo)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/.git/index", tmp, repo);
    gitindex own = GITINDEX_INIT, theirs = GITINDEX_INIT;
    git_index *index = NULL;
    bool same = gitindex_read(&own, path) == 0 && git_index_open(&index, path) == 0;
    if (same)
        gitindex_from_libgit2(&theirs, index);
    same = same && own.count == theirs.count && own.count > 0;
    for (size_t i = 0; same && i < own.count; i++) {
        const gitindex_entry *a = &own.entries[i], *b = &theirs.entries[i];
        same = strcmp(a->path, b->path) == 0 && a->ctime_s == b->ctime_s &&
               a->ctime_ns == b->ctime_ns && a->mtime_s == b->mtime_s &&
               a->mtime_ns == b->mtime_ns && a->dev == b->dev && a->ino == b->ino &&
               a->mode == b->mode && a->size == b->size && a->flags == b->flags &&
               a->flags_extended == b->flags_extended && git_oid_equal(&a->id, &b->id);
        if (!same)
            printf("    entry %zu differs: %s / %s\n", i, a->path, b->path);
    }
    git_index_free(index);
    gitindex_free(&own);
    gitindex_free(&theirs);
    return same;
}

/* The version of repo's index file. */
static int index_version(const char *repo)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/.git/index", tmp, repo);
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        if (fread(head, 1, sizeof head, f) != sizeof head)
            head[7] = 0;
        fclose(f);
    }
    return head[7];
}

/* gitindex_read reads the index as libgit2 does in each version git writes
 * (2; 3 with the flags of git add -N and --skip-worktree; 4 with its
 * compressed paths), with a path too long for an entry's length bits and a
 * conflict's stages; it refuses a split index, which holds only changes,
 * and a damaged file. */
static void test_gitindex(void)
{
    SH("git -c init.defaultBranch=main init -q gix && cd gix && mkdir -p content/deep && "
       "for f in a b c; do echo $f > content/$f.md; echo $f > content/deep/$f.md; done && "
       "git add -A && git commit -q -m one && "
       "long=$(printf 'x%%.0s' $(seq 1 5000)) && "
       "git update-index --add --cacheinfo 100644,$(git hash-object -w content/a.md),"
       "content/$long.md");
    CHECK(index_version("gix") == 2 && index_read_as_libgit2("gix"));
    SH("cd gix && git update-index --force-remove content/$(printf 'x%%.0s' $(seq 1 5000)).md && "
       "git update-index --assume-unchanged content/a.md");
    CHECK(index_version("gix") == 2 && index_read_as_libgit2("gix"));

    SH("cd gix && echo n > content/new.md && git add -N content/new.md && "
       "git update-index --skip-worktree content/b.md");
    CHECK(index_version("gix") == 3 && index_read_as_libgit2("gix"));
    char path[1024];
    snprintf(path, sizeof path, "%s/gix/.git/index", tmp);
    gitindex ix = GITINDEX_INIT;
    CHECK(gitindex_read(&ix, path) == 0);
    const gitindex_entry *e = gitindex_find(&ix, "content/new.md");
    CHECK(e != NULL && (e->flags_extended & GITINDEX_INTENT_TO_ADD));
    e = gitindex_find(&ix, "content/b.md");
    CHECK(e != NULL && (e->flags_extended & GITINDEX_SKIP_WORKTREE));
    e = gitindex_find(&ix, "content/a.md");
    CHECK(e != NULL && (e->flags & GITINDEX_ASSUME_VALID));
    CHECK(gitindex_find(&ix, "content/deep/c.md") != NULL && gitindex_find(&ix, "content/d.md") == NULL);
    CHECK(gitindex_has_under(&ix, "content/deep/") && !gitindex_has_under(&ix, "content/dee/"));

    SH("cd gix && git update-index --index-version 4");
    CHECK(index_version("gix") == 4 && index_read_as_libgit2("gix"));
    CHECK(gitindex_read(&ix, path) == 0 && ix.count == 7);
    CHECK(gitindex_find(&ix, "content/deep/b.md") != NULL &&
          strcmp(gitindex_find(&ix, "content/deep/b.md")->path, "content/deep/b.md") == 0);

    /* A conflict: the path has stages 1 to 3, no entry at stage 0. */
    SH("cd gix && git update-index --index-version 2 && git update-index --no-skip-worktree "
       "content/b.md && git rm -q --cached content/new.md && git checkout -q -b other && "
       "echo other > content/c.md && git commit -qam other && git checkout -q main && "
       "echo main > content/c.md && git commit -qam main && "
       "(git merge -q other || true)");
    CHECK(index_read_as_libgit2("gix"));
    CHECK(gitindex_read(&ix, path) == 0);
    CHECK(gitindex_find(&ix, "content/c.md") == NULL && gitindex_find(&ix, "content/b.md") != NULL);

    /* Damaged: cut short, or another signature. */
    SH("cd gix && git merge --abort && cp .git/index index.whole && "
       "head -c 200 index.whole > .git/index");
    CHECK(gitindex_read(&ix, path) == -1 && ix.count == 0 && ix.entries == NULL);
    SH("cd gix && (printf 'DIRX'; tail -c +5 index.whole) > .git/index");
    CHECK(gitindex_read(&ix, path) == -1);
    SH("cd gix && cp index.whole .git/index");
    CHECK(gitindex_read(&ix, path) == 0);
    /* Split: most entries are in another file ("link" extension). */
    SH("cd gix && git update-index --split-index");
    CHECK(gitindex_read(&ix, path) == -1);
    SH("cd gix && git update-index --no-split-index");
    CHECK(gitindex_read(&ix, path) == 0);
    gitindex_free(&ix);
}

/* With the blob ids a build saw (source_options.known), files git's index
 * says are still those blobs are not read; source_fill reads one when
 * needed, and refuses a file that changed since. An edited file is read,
 * also when the lstat were taken ahead (source_prefetch_start). */
static void test_known_files(void)
{
    SH("git -c init.defaultBranch=main init -q known");
    write_file("known/handbook.yaml", "title: t\n");
    write_file("known/content/same.md", "Blijft zo.\n");
    write_file("known/content/edited.md", "Eerste versie.\n");
    SH("cd known && git add -A && git commit -q -m one && sleep 0.05 && "
       "git update-index -q --really-refresh --force-write-index");
    write_file("known/content/edited.md", "Tweede versie, langer.\n");
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    char same[64], edited[64], path[256];
    sh_out(same, sizeof same, "cd known && git rev-parse HEAD:content/same.md");
    sh_out(edited, sizeof edited, "cd known && git rev-parse HEAD:content/edited.md");
    same[40] = edited[40] = '\0';
    source_known files[] = {{.path = "content/edited.md", .blob_id = edited},
                            {.path = "content/same.md", .blob_id = same}};
    strmap known = STRMAP_INIT;
    for (size_t i = 0; i < 2; i++)
        strmap_put(&known, files[i].path, &files[i]);
    snprintf(path, sizeof path, "%s/known", tmp);
    source_options opts = {path, NULL, ROOTS, &known, NULL};
    source_tree t;
    source_file *kept = NULL;
    const source_file *changed = NULL;
    for (int ahead = 0; ahead < 2; ahead++) {
        if (ahead)
            opts.prefetch = source_prefetch_start(path, ROOTS);
        CHECK(source_read(&a, &opts, &t, &d) == 0);
        opts.prefetch = NULL; /* waited for */
        kept = (source_file *)source_find(&t, "content/same.md");
        changed = source_find(&t, "content/edited.md");
        CHECK(kept != NULL && kept->data == NULL && kept->len == strlen("Blijft zo.\n"));
        CHECK_STR(id_of(&t, "content/same.md"), same);
        CHECK(changed != NULL && changed->data != NULL &&
              strcmp(changed->data, "Tweede versie, langer.\n") == 0);
    }
    CHECK(source_find(&t, "handbook.yaml")->data != NULL);
    CHECK(kept != NULL && source_fill(&a, &opts, kept) == 0 && kept->data != NULL &&
          strcmp(kept->data, "Blijft zo.\n") == 0);
    /* From the commit: a known blob is not read, and is filled from it; a
     * file whose blob the caller has not seen is read. */
    source_known seen_files[] = {
        {.path = "content/same.md", .blob_id = same},
        {.path = "content/edited.md", .blob_id = "0000000000000000000000000000000000000000"}};
    strmap seen = STRMAP_INIT;
    for (size_t i = 0; i < 2; i++)
        strmap_put(&seen, seen_files[i].path, &seen_files[i]);
    source_options from_commit = {path, "HEAD", ROOTS, &seen, NULL};
    CHECK(source_read(&a, &from_commit, &t, &d) == 0);
    kept = (source_file *)source_find(&t, "content/same.md");
    changed = source_find(&t, "content/edited.md");
    CHECK(kept != NULL && kept->data == NULL && changed != NULL && changed->data != NULL);
    CHECK(kept != NULL && source_fill(&a, &from_commit, kept) == 0 && kept->data != NULL &&
          strcmp(kept->data, "Blijft zo.\n") == 0 && kept->len == strlen("Blijft zo.\n"));
    strmap_free(&seen);
    /* Changed after the read (same size): refused. */
    CHECK(source_read(&a, &opts, &t, &d) == 0);
    kept = (source_file *)source_find(&t, "content/same.md");
    write_file("known/content/same.md", "Blijft zus\n");
    CHECK(kept != NULL && kept->data == NULL && source_fill(&a, &opts, kept) < 0);
    strmap_free(&known);
    diag_list_free(&d);
    arena_free(&a);
}

/* A blob whose stored contents are another blob's (bit rot, or a hand-made
 * object store) is refused, even with libgit2's own check of objects off, as
 * the history walk has it while the source stage runs. */
static void test_damaged_blob(void)
{
    SH("git -c init.defaultBranch=main init -q dmg");
    write_file("dmg/handbook.yaml", "title: t\n");
    write_file("dmg/content/a.md", "Echte tekst\n");
    SH("cd dmg && git add -A && git commit -q -m one");
    char real[41], fake[41];
    sh_out(real, sizeof real, "cd dmg && git rev-parse HEAD:content/a.md");
    make_blob("dmg", "Valse tekst\n", fake);
    SH("cd dmg/.git/objects && chmod u+w %.2s/%s && cp %.2s/%s %.2s/%s", real, real + 2, fake,
       fake + 2, real, real + 2);
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    CHECK(read_dir(&a, "dmg", "HEAD", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/a.md", "do not match its id"));
    CHECK(source_find(&t, "content/a.md") == NULL);
    diag_list_free(&d);
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
    git_libgit2_shutdown();
    arena_free(&a);
}

/* A content tree full of hostile names and links, committed to branch 'bad'. */
static void test_hostile_tree(void)
{
    SH("git -c init.defaultBranch=main init -q hostile");
    char text[41], a_md[41], tree_models[41], content[41];
    char l_escape[41], l_abs[41], l_alias[41], l_shared[41], l_l1[41], l_l2[41], l_loop[41];
    char l_dotgit[41], l_chain[41], l_missing[41], l_up_loop[41], l_via[41];
    make_blob("hostile", "text\n", text);
    make_blob("hostile", "# A\n", a_md);
    make_blob("hostile", "../../etc/passwd", l_escape);
    make_blob("hostile", "/etc/passwd", l_abs);
    make_blob("hostile", "models/a.md", l_alias);
    make_blob("hostile", "models", l_shared);
    make_blob("hostile", "l2", l_l1);
    make_blob("hostile", "l1", l_l2);
    make_blob("hostile", ".", l_loop);
    make_blob("hostile", "../.git/config", l_dotgit);
    make_blob("hostile", "alias.md", l_chain);
    make_blob("hostile", "models/none.md", l_missing);
    make_blob("hostile", "..", l_up_loop);
    make_blob("hostile", "shared/a.md", l_via);
    raw_entry models[] = {{"100644", "a.md", a_md}};
    make_tree("hostile", models, 1, tree_models);
    char long_name[SOURCE_MAX_NAME_LEN + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    raw_entry entries[] = {
        {"100644", "..", text},
        {"100644", ".", text},
        {"100644", ".GIT", text},
        {"100644", ".Git", text},
        {"100644", ".git.", text},
        {"100644", ".git ", text},
        {"100644", ".git. .", text},
        {"100644", ".git::$INDEX_ALLOCATION", text},
        {"100644", "git~1", text},
        {"100644", "GIT~1", text},
        {"100644", ".g\xe2\x80\x8cit", text},
        {"100644", "\xef\xbb\xbf.git", text},
        {"100644", "a\\b", text},
        {"100644", "a/b", text},
        {"100644", "bad\x01name", text},
        {"100644", "latin\xe9.md", text},
        {"100644", ".github", text},      /* fine */
        {"100644", "ok.md", text},        /* fine */
        {"100644", "git~1x.md", text},    /* fine */
        {"100644", long_name, text},
        {"120000", "escape", l_escape},
        {"120000", "abs", l_abs},
        {"120000", "alias.md", l_alias},  /* fine: followed */
        {"120000", "chain.md", l_chain},  /* fine: link to a link */
        {"120000", "shared", l_shared},   /* fine: link to a folder */
        {"120000", "via.md", l_via},      /* fine: through the link to a folder */
        {"120000", "l1", l_l1},
        {"120000", "l2", l_l2},
        {"120000", "loop", l_loop},
        {"120000", "uploop", l_up_loop},
        {"120000", "dotgit", l_dotgit},
        {"120000", "missing", l_missing},
        {"160000", "sub", commit1},       /* submodule: warning */
        {"40000", "models", tree_models},
    };
    make_tree("hostile", entries, sizeof entries / sizeof *entries, content);
    commit_content_tree("hostile", content, "bad");

    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    CHECK(read_dir(&a, "hostile", "bad", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/..", "'.' and '..' are not allowed"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.", "'.' and '..' are not allowed"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.GIT", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.GIT", "rename it"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.Git", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.git.", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.git ", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.git. .", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.git::$INDEX_ALLOCATION", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/git~1", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/GIT~1", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.g\\u200cit", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/\\ufeff.git", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/a\\b", "backslash"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/a/b", "contains '/'"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/bad\\x01name", "control character"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/latin\\xe9.md", "not valid UTF-8"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/escape", "leads outside the repository"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/abs", "absolute path '/etc/passwd'"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/l1", "more than 40 links"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/l2", "more than 40 links"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/loop", "a loop"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/uploop", "a loop"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/dotgit", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/missing", "does not exist"));
    CHECK(has_diag(&d, DIAG_WARNING, "content/sub", "submodule"));
    CHECK(has_diag(&d, DIAG_ERROR, NULL, "longer than 255 bytes"));
    CHECK(d.errors == 25);
    CHECK(d.warnings == 1);

    /* What is fine is still read. */
    CHECK_STR(data_of(&t, "content/ok.md"), "text\n");
    CHECK_STR(data_of(&t, "content/.github"), "text\n");
    CHECK_STR(data_of(&t, "content/git~1x.md"), "text\n");
    CHECK_STR(data_of(&t, "content/alias.md"), "# A\n");
    CHECK_STR(data_of(&t, "content/chain.md"), "# A\n");
    CHECK_STR(data_of(&t, "content/shared/a.md"), "# A\n");
    CHECK_STR(data_of(&t, "content/via.md"), "# A\n");
    CHECK_STR(data_of(&t, "content/models/a.md"), "# A\n");
    const source_file *alias = source_find(&t, "content/alias.md");
    CHECK(alias != NULL && strcmp(alias->blob_id, a_md) == 0);
    CHECK_STR(data_of(&t, "handbook.yaml"), "title: bad\n");
    CHECK(t.count == 9);
    diag_list_free(&d);

    /* A top-level hostile name outside the roots is neither read nor checked;
     * with all roots it is refused. */
    char top[41], commit[41];
    raw_entry top_entries[] = {{"100644", ".GIT", text}, {"100644", "ok.md", text}};
    make_tree("hostile", top_entries, 2, top);
    sh_out(commit, sizeof commit, "cd hostile && git commit-tree %s -m top", top);
    CHECK(read_dir(&a, "hostile", commit, ROOTS, &t, &d) == 0);
    CHECK(t.count == 0);
    CHECK(read_dir(&a, "hostile", commit, NULL, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, ".GIT", "'.git' in any spelling"));
    CHECK(t.count == 1);
    diag_list_free(&d);

    /* An entry with an empty name: the tree does not parse. */
    raw_entry empty_name[] = {{"100644", "", text}, {"100644", "ok.md", text}};
    make_tree("hostile", empty_name, 2, content);
    commit_content_tree("hostile", content, "empty-name");
    CHECK(read_dir(&a, "hostile", "empty-name", ROOTS, &t, &d) == -1);
    /* libgit2 refuses to parse such a tree at all. */
    CHECK(has_diag(&d, DIAG_ERROR, "content", "cannot read the folder"));
    CHECK(has_diag(&d, DIAG_ERROR, "content", "git fsck"));
    CHECK(source_find(&t, "handbook.yaml") != NULL);
    diag_list_free(&d);

    /* The same path twice. */
    raw_entry twice[] = {{"100644", "ok.md", text}, {"100644", "ok.md", a_md}};
    make_tree("hostile", twice, 2, content);
    commit_content_tree("hostile", content, "twice");
    CHECK(read_dir(&a, "hostile", "twice", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/ok.md", "twice"));
    CHECK(t.count == 2);
    diag_list_free(&d);

    /* Only a submodule: a warning, and success. */
    raw_entry sub[] = {{"160000", "sub", commit1}, {"100644", "ok.md", text}};
    make_tree("hostile", sub, 2, content);
    commit_content_tree("hostile", content, "submodule");
    CHECK(read_dir(&a, "hostile", "submodule", ROOTS, &t, &d) == 0);
    CHECK(d.errors == 0 && d.warnings == 1);
    CHECK(t.count == 2);
    diag_list_free(&d);
    arena_free(&a);
}

/* Names that Linux allows on disk are refused in the working tree too. */
static void test_worktree_hostile_names(void)
{
    write_file("wtbad/content/ok.md", "ok\n");
    write_file("wtbad/content/.GIT", "x\n");
    write_file("wtbad/content/.git.", "x\n");
    write_file("wtbad/content/git~1", "x\n");
    write_file("wtbad/content/.g\xe2\x80\x8dit", "x\n");
    write_file("wtbad/content/a\\b.md", "x\n");
    write_file("wtbad/content/tab\there.md", "x\n");
    write_file("wtbad/content/sub/.git/config", "nested repository\n");
    write_file("wtbad/content/sub/page.md", "x\n");
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    CHECK(read_dir(&a, "wtbad", NULL, ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/.GIT", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.git.", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/git~1", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/.g\\u200dit", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/a\\b.md", "backslash"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/tab\\x09here.md", "control character"));
    CHECK(has_diag(&d, DIAG_WARNING, "content/sub", "own git repository"));
    CHECK(d.errors == 6);
    CHECK(t.count == 1);
    CHECK_STR(data_of(&t, "content/ok.md"), "ok\n");
    diag_list_free(&d);
    arena_free(&a);
}

/* Links in a working tree: followed inside, refused outside; and a committed
 * tree with the same links reads exactly like its working tree. */
static void test_worktree_links(void)
{
    SH("git -c init.defaultBranch=main init -q links");
    write_file("links/handbook.yaml", "title: links\n");
    write_file("links/content/models/a.md", "# A\n");
    write_file("links/shared/footer.html", "<footer></footer>\n"); /* not a root */
    make_link("models/a.md", "links/content/alias.md");
    make_link("alias.md", "links/content/chain.md");
    make_link("../shared", "links/content/shared");
    make_link("shared/footer.html", "links/layouts");
    SH("cd links && git add -A && git commit -q -m links");
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree wt, head;
    CHECK(read_dir(&a, "links", NULL, ROOTS, &wt, &d) == 0);
    CHECK(read_dir(&a, "links", "HEAD", ROOTS, &head, &d) == 0);
    print_diags(&d);
    CHECK(d.count == 0);
    CHECK(wt.count == 6);
    CHECK_STR(data_of(&wt, "content/alias.md"), "# A\n");
    CHECK_STR(data_of(&wt, "content/chain.md"), "# A\n");
    CHECK_STR(data_of(&wt, "content/shared/footer.html"), "<footer></footer>\n");
    CHECK_STR(data_of(&wt, "layouts"), "<footer></footer>\n");
    CHECK(same_files(&wt, &head));

    /* Bad links on disk. */
    make_link("../../etc/passwd", "links/content/escape");
    make_link("/etc/passwd", "links/content/abs");
    make_link("l2", "links/content/l1");
    make_link("l1", "links/content/l2");
    make_link("..", "links/content/up");
    make_link("../.git/config", "links/content/config");
    make_link("../.git", "links/content/repo");
    make_link("nowhere.md", "links/content/dangling");
    write_file("links/content/x/x.md", "x\n");
    write_file("links/content/y/y.md", "y\n");
    make_link("../y", "links/content/x/to_y");
    make_link("../x", "links/content/y/to_x");
    diag_list_free(&d);
    CHECK(read_dir(&a, "links", NULL, ROOTS, &wt, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/escape", "leads outside the repository"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/abs", "absolute path"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/l1", "more than 40 links"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/l2", "more than 40 links"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/up", "a loop"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/config", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/repo", "'.git' in any spelling"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/dangling", "does not exist"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/x/to_y/to_x", "a loop"));
    CHECK(has_diag(&d, DIAG_ERROR, "content/y/to_x/to_y", "a loop"));
    CHECK(d.errors == 10);
    CHECK(wt.count == 10);
    CHECK_STR(data_of(&wt, "content/x/to_y/y.md"), "y\n");
    CHECK_STR(data_of(&wt, "content/y/to_x/x.md"), "x\n");
    diag_list_free(&d);

    /* A link to a file git ignores reads as missing, as it would in a commit. */
    SH("cd links/content && rm -r escape abs l1 l2 up config repo dangling x y");
    write_file("links/.gitignore", "*.secret\n");
    write_file("links/content/key.secret", "secret\n");
    make_link("key.secret", "links/content/key.md");
    CHECK(read_dir(&a, "links", NULL, ROOTS, &wt, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/key.md", "git ignores"));
    CHECK(source_find(&wt, "content/key.secret") == NULL);
    diag_list_free(&d);
    arena_free(&a);
}

static void test_oversized_file(void)
{
    size_t size = SOURCE_MAX_FILE_SIZE + 1;
    char *big = malloc(size);
    CHECK(big != NULL);
    if (big == NULL)
        return;
    memset(big, 'x', size);
    SH("git -c init.defaultBranch=main init -q big");
    write_file("big/content/small.md", "small\n");
    write_bytes("big/content/huge.md", big, size);
    write_bytes("big/content/limit.md", big, size - 1); /* exactly at the limit: fine */
    free(big);
    SH("cd big && git add -A && git commit -q -m big");
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    CHECK(read_dir(&a, "big", NULL, ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/huge.md", "more than the limit of 16.0 MiB"));
    CHECK(d.errors == 1);
    CHECK(t.count == 2);
    diag_list_free(&d);
    CHECK(read_dir(&a, "big", "HEAD", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, "content/huge.md", "more than the limit of 16.0 MiB"));
    CHECK(d.errors == 1);
    CHECK(t.count == 2);
    const source_file *f = source_find(&t, "content/limit.md");
    CHECK(f != NULL && f->len == SOURCE_MAX_FILE_SIZE);
    diag_list_free(&d);
    arena_free(&a);
}

/* One tree of SOURCE_MAX_FILES + 1 entries (all the same blob, so it is cheap). */
static void test_too_many_files(void)
{
    SH("git -c init.defaultBranch=main init -q many");
    char text[41], content[41];
    make_blob("many", "x\n", text);
    size_t n = SOURCE_MAX_FILES + 1;
    raw_entry *entries = malloc(n * sizeof *entries);
    char *names = malloc(n * 16);
    CHECK(entries != NULL && names != NULL);
    if (entries == NULL || names == NULL) {
        free(entries);
        free(names);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(names + 16 * i, 16, "p%06zu.md", i);
        entries[i] = (raw_entry){"100644", names + 16 * i, text};
    }
    make_tree("many", entries, n, content);
    free(entries);
    free(names);
    commit_content_tree("many", content, "many");
    arena a = ARENA_INIT;
    diag_list d = DIAG_LIST_INIT;
    source_tree t;
    CHECK(read_dir(&a, "many", "many", ROOTS, &t, &d) == -1);
    CHECK(has_diag(&d, DIAG_ERROR, NULL, "more than 100000 files and folders"));
    /* The message names where the limit was reached. */
    CHECK(d.count > 0 && strcmp(d.items[0].file, "content/p099999.md") == 0);
    CHECK(d.errors == 1);
    diag_list_free(&d);
    arena_free(&a);
}

static void test_find(void)
{
    source_file files[] = {
        {"a", "", 0, ""}, {"b/c", "", 0, ""}, {"b/d", "", 0, ""}, {"c", "", 0, ""}};
    source_tree t = {files, 4, ""};
    CHECK(source_find(&t, "a") == &files[0]);
    CHECK(source_find(&t, "b/d") == &files[2]);
    CHECK(source_find(&t, "c") == &files[3]);
    CHECK(source_find(&t, "b") == NULL);
    source_tree none = {NULL, 0, ""};
    CHECK(source_find(&none, "a") == NULL);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/handbook-test-source-XXXXXX");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    /* git and libgit2 must not see the user's configuration or a repository
     * around the test (when run from a git hook). */
    static const char *const unset[] = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
                                        "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES",
                                        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "XDG_CONFIG_HOME"};
    for (size_t i = 0; i < sizeof unset / sizeof *unset; i++)
        unsetenv(unset[i]);
    setenv("HOME", tmp, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "Test", 1);
    setenv("GIT_AUTHOR_EMAIL", "test@example.org", 1);
    setenv("GIT_COMMITTER_NAME", "Test", 1);
    setenv("GIT_COMMITTER_EMAIL", "test@example.org", 1);

    make_fixture();
    RUN(test_worktree_read);
    RUN(test_worktree_head_and_bare_identical);
    RUN(test_ref_branch_tag_commit);
    RUN(test_ref_ignores_worktree_changes);
    RUN(test_roots);
    RUN(test_plain_folder);
    RUN(test_repository_errors);
    RUN(test_damaged_blob);
    RUN(test_index_ids);
    RUN(test_gitindex);
    RUN(test_known_files);
    RUN(test_hostile_tree);
    RUN(test_worktree_hostile_names);
    RUN(test_worktree_links);
    RUN(test_oversized_file);
    RUN(test_too_many_files);
    RUN(test_find);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("could not remove %s\n", tmp);
    return test_summary();
}
