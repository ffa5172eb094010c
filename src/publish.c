#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

struct publisher {
    char *output_dir; /* as given, without trailing slash */
    char *staging;    /* the new site, beside output_dir */
    int lock_fd;      /* holds the flock on ".NAME.lock" until commit or abort */
    size_t files;
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

publisher *publish_begin(const char *output_dir, diag_list *diags)
{
    buf out = BUF_INIT, staging = BUF_INIT, lock = BUF_INIT;
    buf_append_str(&out, output_dir);
    while (out.len > 1 && out.data[out.len - 1] == '/')
        out.data[--out.len] = '\0';
    /* ".NAME.new" in the same parent folder, so the final rename stays on one
     * file system, and ".NAME.lock" beside it. Only the holder of the lock
     * touches the staging folder; a leftover from a killed build is removed
     * first. */
    const char *slash = strrchr(out.data, '/');
    if (slash) {
        buf_printf(&staging, "%.*s/.%s.new", (int)(slash - out.data), out.data, slash + 1);
        buf_printf(&lock, "%.*s/.%s.lock", (int)(slash - out.data), out.data, slash + 1);
    } else {
        buf_printf(&staging, ".%s.new", out.data);
        buf_printf(&lock, ".%s.lock", out.data);
    }
    publisher *pub = NULL;
    int lock_fd = take_lock(lock.data, out.data, diags);
    if (lock_fd < 0)
        goto done;
    remove_tree(staging.data);
    if (mkdir(staging.data, 0755) < 0) {
        diag_add(diags, DIAG_ERROR, staging.data, 0, 0, "cannot create the folder: %s",
                 strerror(errno));
        close(lock_fd);
        goto done;
    }
    pub = calloc(1, sizeof *pub);
    if (pub == NULL)
        abort();
    pub->output_dir = buf_detach(&out);
    pub->staging = buf_detach(&staging);
    pub->lock_fd = lock_fd;
done:
    buf_free(&out);
    buf_free(&staging);
    buf_free(&lock);
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
    buf full = BUF_INIT;
    buf_printf(&full, "%s/%s", pub->staging, path);
    /* Create the parent folders; the staging folder is new, so nothing in
     * it can be a symlink planted by someone else. */
    for (char *p = full.data + strlen(pub->staging) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(full.data, 0755) < 0 && errno != EEXIST) {
            diag_add(diags, DIAG_ERROR, full.data, 0, 0, "cannot create the folder: %s",
                     strerror(errno));
            buf_free(&full);
            return -1;
        }
        *p = '/';
    }
    int fd = open(full.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    int status = fd < 0 ? -1 : 0;
    const char *bytes = data;
    while (status == 0 && len > 0) {
        ssize_t n = write(fd, bytes, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            status = -1;
        else
            bytes += n, len -= (size_t)n;
    }
    if (fd >= 0 && close(fd) < 0)
        status = -1;
    if (status < 0)
        diag_add(diags, DIAG_ERROR, full.data, 0, 0, "cannot write the file: %s",
                 errno == EEXIST ? "two outputs have the same name" : strerror(errno));
    else
        pub->files++;
    buf_free(&full);
    return status;
}

/* Frees pub and releases the lock, after the staging folder is gone. */
static void free_publisher(publisher *pub)
{
    close(pub->lock_fd);
    free(pub->output_dir);
    free(pub->staging);
    free(pub);
}

int publish_commit(publisher *pub, diag_list *diags)
{
    int status = 0;
    struct stat st;
    if (lstat(pub->output_dir, &st) == 0) {
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
        /* Now the old site sits in the staging folder (or, on failure, the
         * unpublished new one): either way it goes. */
        remove_tree(pub->staging);
    } else if (rename(pub->staging, pub->output_dir) < 0) {
        diag_add(diags, DIAG_ERROR, pub->output_dir, 0, 0, "cannot publish the site: %s",
                 strerror(errno));
        remove_tree(pub->staging);
        status = -1;
    }
    free_publisher(pub);
    return status;
}

void publish_abort(publisher *pub)
{
    if (pub == NULL)
        return;
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
