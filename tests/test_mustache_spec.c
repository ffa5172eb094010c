/* test_mustache_spec - runs the official Mustache spec (tests/mustache-spec/,
 * read with libyaml) against the template engine and reports every test by
 * file and name. Lambdas are out of scope and their file is not included. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "template.h"
#include "testlib.h"
#include "value.h"
#include "yamlvalue.h"

static int passed, failed;

static const char *string_field(const value *test, const char *key)
{
    const value *v = value_map_get_str(test, key);
    return v && v->kind == VALUE_STRING ? v->as.string.text : NULL;
}

static void fail(const char *file, const char *name, const char *why)
{
    failed++;
    printf("FAIL %s: %s\n  %s\n", file, name, why);
}

static void run_case(const char *file, const value *test)
{
    const char *name = string_field(test, "name");
    const char *source = string_field(test, "template");
    const char *expected = string_field(test, "expected");
    if (name == NULL || source == NULL || expected == NULL) {
        fail(file, name ? name : "(unnamed)", "test lacks name, template or expected");
        return;
    }
    template_set *set = template_set_new();
    diag_list diags = DIAG_LIST_INIT;
    const value *partials = value_map_get_str(test, "partials");
    for (size_t i = 0; partials && partials->kind == VALUE_MAP && i < partials->as.map.count; i++) {
        const value_entry *e = &partials->as.map.entries[i];
        if (e->value->kind == VALUE_STRING)
            template_set_add(set, e->key, e->key, e->value->as.string.text,
                             e->value->as.string.len, &diags);
    }
    const template *tmpl =
        template_set_add(set, "\x01spec-template", "template", source, strlen(source), &diags);
    buf out = BUF_INIT;
    const value *data = value_map_get_str(test, "data");
    if (tmpl == NULL || diags.errors > 0 ||
        template_render(set, tmpl, data, TEMPLATE_MISSING_IS_EMPTY, &out, &diags) < 0) {
        char *first = diags.count ? diag_format(&diags.items[0]) : NULL;
        fail(file, name, first ? first : "compile or render failed");
        free(first);
    } else if (strcmp(out.data, expected) != 0) {
        failed++;
        printf("FAIL %s: %s\n  expected: \"%s\"\n  actual:   \"%s\"\n", file, name, expected,
               out.data);
    } else {
        passed++;
        printf("ok   %s: %s\n", file, name);
    }
    buf_free(&out);
    diag_list_free(&diags);
    template_set_free(set);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/mustache-spec";
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "%s: cannot open the spec folder\n", dir);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    char *names[64];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL && count < 64) {
        size_t len = strlen(entry->d_name);
        if (len > 4 && strcmp(entry->d_name + len - 4, ".yml") == 0 &&
            strstr(entry->d_name, "lambdas") == NULL)
            names[count++] = strdup(entry->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof *names, compare_names);

    for (size_t i = 0; i < count; i++) {
        buf path = BUF_INIT;
        buf_printf(&path, "%s/%s", dir, names[i]);
        size_t len;
        char *text = testlib_read_file(path.data, &len);
        arena a = ARENA_INIT;
        diag_list diags = DIAG_LIST_INIT;
        value *root = NULL;
        if (text == NULL || yamlvalue_parse(&a, names[i], text, len, 1, &diags, &root) < 0) {
            diag_print(&diags, stdout, false);
            fail(names[i], "(file)", "cannot read or parse the spec file");
        } else {
            const value *tests = value_map_get_str(root, "tests");
            for (size_t k = 0; tests && tests->kind == VALUE_LIST && k < tests->as.list.count; k++)
                run_case(names[i], tests->as.list.items[k]);
        }
        diag_list_free(&diags);
        arena_free(&a);
        free(text);
        buf_free(&path);
        free(names[i]);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
