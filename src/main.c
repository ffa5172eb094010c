/* main.c - the handbook command line. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "build.h"
#include "diag.h"
#include "hook.h"
#include "publish.h"

#define HANDBOOK_VERSION "0.1.0"

/* sysexits.h's EX_USAGE: the command was used wrongly. */
enum { EXIT_USAGE = 64 };

static const char usage_text[] =
    "usage: handbook build [options]   build the handbook into a folder\n"
    "       handbook check [options]   find every mistake, write nothing\n"
    "       handbook hook install --repo BARE.git -o DIR [--branch main] [--force]\n"
    "                                  publish on push: install git hooks that check\n"
    "                                  each push and build the site from it\n"
    "\n"
    "options:\n"
    "  --repo DIR        the handbook's repository (default: the current folder)\n"
    "  --ref REF         read this branch, tag or commit instead of the working tree;\n"
    "                    works in a bare repository too\n"
    "  -o, --output DIR  where build writes the site (default: site)\n"
    "  --base-url URL    the site's address, e.g. https://example.org/handboek/\n"
    "                    (default: base_url in handbook.yaml)\n"
    "  --branch NAME     hook install: the branch that is published (default: main)\n"
    "  --force           hook install: replace hooks that handbook did not write\n"
    "  -h, --help        show this help\n"
    "  --version         show the version\n"
    "\n"
    "Errors are printed as file:line:col: error: message. check exits with 1\n"
    "when there are errors; set NO_COLOR to turn colors off.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "handbook: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage_text);
    return EXIT_USAGE;
}

/* The output folder is replaced as a whole, so it must not be the current
 * folder, a parent of it, the root or the repository itself. */
static const char *unsafe_output(const char *output, const char *repo)
{
    const char *base = strrchr(output, '/');
    base = base ? base + 1 : output;
    if (output[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
        strspn(output, "/") == strlen(output))
        return "is not a folder that can be replaced";
    char out_real[PATH_MAX], repo_real[PATH_MAX], cwd_real[PATH_MAX];
    if (realpath(output, out_real) == NULL)
        return NULL; /* does not exist yet: nothing to replace */
    if (realpath(repo, repo_real) != NULL && strcmp(out_real, repo_real) == 0)
        return "is the repository itself";
    if (realpath(".", cwd_real) != NULL && publish_folder_contains(out_real, cwd_real))
        return "contains the current folder";
    return NULL;
}

/* handbook hook install: sets up push to publish in a bare repository. */
static int hook_command(int argc, char **argv, const build_options *opts, const char *branch,
                        bool force, bool repo_given, bool output_given)
{
    if (argc < 1 || strcmp(argv[0], "install") != 0)
        return usage_error("%s", "say 'handbook hook install'");
    if (argc > 1)
        return usage_error("unexpected argument '%s'", argv[1]);
    if (!repo_given || !output_given)
        return usage_error("%s", "hook install needs --repo BARE.git and -o DIR (the folder "
                                 "the web server serves)");
    if (opts->ref != NULL || opts->base_url != NULL)
        return usage_error("%s", "hook install takes no --ref or --base-url; the hooks read "
                                 "the pushed commit and handbook.yaml's base_url");
    diag_list diags = DIAG_LIST_INIT;
    /* The hooks call this very binary by its absolute path: git runs hooks
     * with a PATH of its own. */
    int status = hook_install(opts->repo_dir, opts->output_dir, branch, "/proc/self/exe", force,
                              &diags);
    diag_print(&diags, stderr, diag_use_color(stderr));
    if (status == 0)
        fprintf(stderr, "handbook: hooks installed in %s; a push to %s now publishes to %s\n",
                opts->repo_dir, branch != NULL ? branch : "main", opts->output_dir);
    diag_list_free(&diags);
    return status < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    arena_use_huge_pages();
    static const struct option options[] = {
        {"repo", required_argument, NULL, 'r'},   {"ref", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'}, {"base-url", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'v'},
        {"branch", required_argument, NULL, 'B'}, {"force", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0}};
    build_options opts = {.repo_dir = ".", .output_dir = "site"};
    const char *branch = NULL;
    bool force = false, repo_given = false, output_given = false;
    opterr = 0;
    int c;
    /* GNU getopt moves the command behind the options, so options may come
     * before or after it. */
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'r': opts.repo_dir = optarg; repo_given = true; break;
        case 'f': opts.ref = optarg; break;
        case 'o': opts.output_dir = optarg; output_given = true; break;
        case 'B': branch = optarg; break;
        case 'F': force = true; break;
        case 'b': opts.base_url = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'v': printf("handbook %s\n", HANDBOOK_VERSION); return 0;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("%s", "say what to do: build, check or hook install");
    const char *command = argv[optind++];
    if (strcmp(command, "hook") == 0)
        return hook_command(argc - optind, argv + optind, &opts, branch, force, repo_given,
                            output_given);
    if (branch != NULL || force)
        return usage_error("%s", "--branch and --force belong to 'hook install'");
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    bool check_only = strcmp(command, "check") == 0;
    if (!check_only && strcmp(command, "build") != 0)
        return usage_error("unknown command '%s'; use build or check", command);
    if (check_only) {
        opts.output_dir = NULL;
    } else {
        const char *why = unsafe_output(opts.output_dir, opts.repo_dir);
        if (why != NULL) {
            fprintf(stderr, "handbook: the output folder '%s' %s; choose another with -o\n",
                    opts.output_dir, why);
            return EXIT_USAGE;
        }
    }

    diag_list diags = DIAG_LIST_INIT;
    build_result result;
    int status = build_run(&opts, &result, &diags);
    bool color = diag_use_color(stderr);
    diag_print(&diags, stderr, color);
    if (status < 0) {
        fprintf(stderr, "handbook: %zu error%s%s\n", diags.errors, diags.errors == 1 ? "" : "s",
                check_only ? "" : "; the site was not changed");
    } else if (check_only) {
        fprintf(stderr, "handbook: %zu pages checked, no errors\n", result.pages);
    } else {
        fprintf(stderr,
                "handbook: %zu pages and %zu assets published to %s in %.2f s "
                "(%zu pages rendered, %zu of %zu files changed%s)\n",
                result.pages, result.assets, opts.output_dir, result.seconds, result.rendered,
                result.changed, result.files,
                result.patched ? "; only the changed pages were read" : "");
    }
    diag_list_free(&diags);
    return status < 0 ? 1 : 0;
}
