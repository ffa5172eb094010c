/* hook.h - push to publish: git hooks that check and publish the handbook.
 *
 * hook_install writes two hooks into a bare repository on the web host:
 *
 *   pre-receive   runs `handbook check --ref NEW` on a push to the published
 *                 branch and refuses the push, with the file:line:col errors,
 *                 when the handbook has mistakes; also refuses deleting that branch.
 *   post-receive  runs `handbook build --ref BRANCH -o OUTPUT` after an accepted
 *                 push to the published branch, so the site follows the branch.
 *
 * Pushes to other branches pass untouched. The scripts name the handbook binary
 * and the output folder by absolute path, so they work whatever the hook's
 * current folder and PATH. Each hook carries the marker line HOOK_MARKER; a hook
 * without it belongs to someone else and is only replaced with force. */
#ifndef HANDBOOK_HOOK_H
#define HANDBOOK_HOOK_H

#include <stdbool.h>

#include "diag.h"

/* The line that marks a hook as written by handbook. */
#define HOOK_MARKER "# handbook-hook: written by 'handbook hook install'"

/* Installs the hooks into the bare repository repo_dir, publishing branch
 * (NULL: "main") to output_dir with the binary at handbook_path (both made
 * absolute here). Each hook is written to a temporary name and renamed into
 * place, so git never runs half a script. Refuses to replace a hook that
 * handbook did not write unless force. Returns 0, or -1 with the reason in
 * diags; nothing is changed when the checks fail. */
int hook_install(const char *repo_dir, const char *output_dir, const char *branch,
                 const char *handbook_path, bool force, diag_list *diags);

#endif
