/* hook.c - push to publish: writes the pre-receive and post-receive hooks. */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "fileio.h"
#include "publish.h"

/* A hook larger than this is surely not one of ours; only its start is read
 * when looking for the marker. */
#define HOOK_MAX_READ (64u * 1024)

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e != NULL && e->message != NULL ? e->message : "unknown libgit2 error";
}

/* Appends text as one single-quoted shell word: inside single quotes nothing
 * is special except the quote itself, written as '\''. */
static void append_shell_quoted(buf *out, const char *text)
{
    buf_append_char(out, '\'');
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\'')
            buf_append_str(out, "'\\''");
        else
            buf_append_char(out, *p);
    }
    buf_append_char(out, '\'');
}

/* Makes the output folder absolute without requiring it to exist yet (the first
 * push creates it): its parent must exist, since build creates the new site
 * beside it. Returns a malloc'ed path or NULL after an error. */
static char *absolute_output(const char *output_dir, diag_list *diags)
{
    char real[PATH_MAX];
    if (realpath(output_dir, real) != NULL)
        return strdup(real);
    if (errno != ENOENT) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "cannot use the output folder '%s': %s",
                 output_dir, strerror(errno));
        return NULL;
    }
    char *copy = strdup(output_dir);
    size_t len = strlen(copy);
    while (len > 1 && copy[len - 1] == '/')
        copy[--len] = '\0';
    char *slash = strrchr(copy, '/');
    const char *name = slash != NULL ? slash + 1 : copy;
    const char *parent = slash == NULL ? "." : slash == copy ? "/" : copy;
    if (slash != NULL)
        *slash = '\0';
    char *result = NULL;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '\0') {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0,
                 "the output folder '%s' is not a folder that can be replaced; choose another "
                 "with -o", output_dir);
    } else if (realpath(parent, real) == NULL) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0,
                 "the folder that is to hold the site, '%s', cannot be used: %s; create it "
                 "first", parent, strerror(errno));
    } else {
        buf path = BUF_INIT;
        buf_printf(&path, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", name);
        result = buf_detach(&path);
    }
    free(copy);
    return result;
}

/* Whether the file at path may be replaced: it does not exist, or it carries
 * the marker, or force. Adds an error otherwise. */
static bool may_replace(const char *path, bool force, diag_list *diags)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return true;
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "cannot read '%s': %s", path, strerror(errno));
        return false;
    }
    if (force)
        return true;
    bool ours = false;
    int fd = S_ISREG(st.st_mode) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        char *text = malloc(HOOK_MAX_READ + 1);
        ssize_t got = read(fd, text, HOOK_MAX_READ);
        if (got > 0) {
            text[got] = '\0';
            const char *hit = strstr(text, HOOK_MARKER "\n");
            ours = hit != NULL && (hit == text || hit[-1] == '\n');
        }
        free(text);
        close(fd);
    }
    if (!ours)
        diag_add(diags, DIAG_ERROR, NULL, 0, 0,
                 "'%s' is a hook that handbook did not write; move it away, or pass --force "
                 "to replace it", path);
    return ours;
}

/* Writes text to path with mode 0755 through a temporary file in the same folder
 * and a rename, so git never runs a half-written hook. */
static int write_executable(const char *dir, const char *name, const buf *text,
                            diag_list *diags)
{
    buf tmp = BUF_INIT, path = BUF_INIT;
    buf_printf(&tmp, "%s/.%s.handbook-XXXXXX", dir, name);
    buf_printf(&path, "%s/%s", dir, name);
    int status = -1;
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "cannot write into '%s': %s", dir,
                 strerror(errno));
        goto done;
    }
    bool ok = write_fully(fd, text->data, text->len) && fchmod(fd, 0755) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp.data, path.data) == 0) {
        status = 0;
    } else {
        if (ok)
            saved = errno;
        unlink(tmp.data);
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "cannot write '%s': %s", path.data,
                 strerror(saved));
    }
done:
    buf_free(&tmp);
    buf_free(&path);
    return status;
}

/* The shell variables both hooks start with. */
static void script_header(buf *s, const char *what, const char *handbook, const char *branch)
{
    buf_printf(s, "#!/bin/sh\n%s\n", HOOK_MARKER);
    buf_printf(s, "# %s\n# To change it, run 'handbook hook install' again.\n", what);
    buf_append_str(s, "handbook=");
    append_shell_quoted(s, handbook);
    buf_append_str(s, "\nbranch=");
    append_shell_quoted(s, branch);
    buf_append_str(s, "\n");
}

static void pre_receive_script(buf *s, const char *handbook, const char *branch)
{
    script_header(s, "pre-receive: refuses a push to the published branch when the handbook in "
                     "it has errors.", handbook, branch);
    buf_append_str(
        s,
        "refused=0\n"
        "while read -r old new ref; do\n"
        "    [ \"$ref\" = \"refs/heads/$branch\" ] || continue\n"
        "    case $new in\n"
        "    *[!0]*) ;;\n"
        "    *)\n"
        "        echo \"handbook: push refused: branch '$branch' is the published handbook and "
        "cannot be deleted\" >&2\n"
        "        refused=1\n"
        "        continue ;;\n"
        "    esac\n"
        "    # The pushed objects are still in git's quarantine folder; handbook finds\n"
        "    # them through GIT_QUARANTINE_PATH, which git sets for this hook.\n"
        "    if ! NO_COLOR=1 \"$handbook\" check --repo \"${GIT_DIR:-.}\" --ref \"$new\" >&2; then\n"
        "        echo \"handbook: push refused: the handbook on branch '$branch' has the errors "
        "above; fix them, commit and push again ('handbook check' lists them on your own "
        "computer)\" >&2\n"
        "        refused=1\n"
        "    fi\n"
        "done\n"
        "exit $refused\n");
}

static void post_receive_script(buf *s, const char *handbook, const char *branch,
                                const char *output)
{
    script_header(s, "post-receive: publishes the site after a push to the published branch.",
                  handbook, branch);
    buf_append_str(s, "output=");
    append_shell_quoted(s, output);
    buf_append_str(
        s,
        "\npublish=no\n"
        "while read -r old new ref; do\n"
        "    [ \"$ref\" = \"refs/heads/$branch\" ] || continue\n"
        "    case $new in *[!0]*) publish=yes ;; esac\n"
        "done\n"
        "[ \"$publish\" = yes ] || exit 0\n"
        "# One build at a time. Two pushes close together could otherwise finish in\n"
        "# the wrong order, so the build reads the branch as it is once it has the lock.\n"
        "exec 9>>\"${GIT_DIR:-.}/handbook-publish.lock\"\n"
        "if command -v flock >/dev/null 2>&1; then flock 9; fi\n"
        "commit=$(git rev-parse --verify --quiet \"refs/heads/$branch^{commit}\") || exit 0\n"
        "if ! NO_COLOR=1 \"$handbook\" build --repo \"${GIT_DIR:-.}\" --ref \"$commit\" "
        "-o \"$output\" >&2; then\n"
        "    echo \"handbook: the site was not updated (the push itself went through); fix the "
        "errors above and push again\" >&2\n"
        "fi\n"
        "exit 0\n");
}

int hook_install(const char *repo_dir, const char *output_dir, const char *branch,
                 const char *handbook_path, bool force, diag_list *diags)
{
    if (branch == NULL)
        branch = "main";
    size_t errors_before = diags->errors;
    git_libgit2_init();
    git_repository *repo = NULL;
    git_config *config = NULL;
    char *output = NULL;
    buf hooks = BUF_INIT, refname = BUF_INIT, pre = BUF_INIT, post = BUF_INIT;
    buf pre_path = BUF_INIT, post_path = BUF_INIT;
    char handbook[PATH_MAX], repo_real[PATH_MAX];

    if (git_repository_open_ext(&repo, repo_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0,
                 "'%s' is not a git repository (%s); create one on the web host with "
                 "'git init --bare %s'", repo_dir, git_message(), repo_dir);
        goto done;
    }
    if (!git_repository_is_bare(repo)) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0,
                 "'%s' is not a bare repository: git refuses pushes to a checked-out branch; "
                 "create a bare one with 'git init --bare' and push to that", repo_dir);
        goto done;
    }
    /* git runs the hooks of core.hooksPath instead when it is set: ours would
     * silently never run. */
    const char *hooks_path = NULL;
    if (git_repository_config_snapshot(&config, repo) == 0 &&
        git_config_get_string(&hooks_path, config, "core.hooksPath") == 0) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0,
                 "core.hooksPath is set to '%s', so git would not run hooks from the "
                 "repository; unset it with 'git config --unset core.hooksPath'", hooks_path);
        goto done;
    }
    buf_printf(&refname, "refs/heads/%s", branch);
    int valid = 0;
    if (git_reference_name_is_valid(&valid, refname.data) < 0 || !valid) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "'%s' is not a valid branch name", branch);
        goto done;
    }
    if (realpath(handbook_path, handbook) == NULL || access(handbook, X_OK) != 0) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "cannot find the handbook program at '%s': %s",
                 handbook_path, strerror(errno));
        goto done;
    }
    output = absolute_output(output_dir, diags);
    if (output == NULL)
        goto done;
    if (realpath(git_repository_path(repo), repo_real) == NULL) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "cannot resolve the repository folder '%s': %s",
                 git_repository_path(repo), strerror(errno));
        goto done;
    }
    /* Each build replaces the output folder as a whole. */
    if (publish_folder_contains(output, repo_real) || publish_folder_contains(repo_real, output)) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0,
                 "the output folder '%s' %s the repository '%s'; every push replaces the "
                 "output folder, so choose one outside it with -o", output,
                 publish_folder_contains(output, repo_real) ? "contains" : "is inside", repo_real);
        goto done;
    }

    buf_printf(&hooks, "%s/hooks", repo_real);
    if (mkdir(hooks.data, 0755) < 0 && errno != EEXIST) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "cannot create '%s': %s", hooks.data,
                 strerror(errno));
        goto done;
    }
    buf_printf(&pre_path, "%s/pre-receive", hooks.data);
    buf_printf(&post_path, "%s/post-receive", hooks.data);
    /* Both are checked before either is written, so a refusal changes nothing. */
    bool pre_ok = may_replace(pre_path.data, force, diags);
    bool post_ok = may_replace(post_path.data, force, diags);
    if (!pre_ok || !post_ok)
        goto done;
    pre_receive_script(&pre, handbook, branch);
    post_receive_script(&post, handbook, branch, output);
    if (write_executable(hooks.data, "pre-receive", &pre, diags) < 0)
        goto done;
    write_executable(hooks.data, "post-receive", &post, diags);

done:
    free(output);
    buf_free(&hooks);
    buf_free(&refname);
    buf_free(&pre);
    buf_free(&post);
    buf_free(&pre_path);
    buf_free(&post_path);
    git_config_free(config);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return diags->errors > errors_before ? -1 : 0;
}
