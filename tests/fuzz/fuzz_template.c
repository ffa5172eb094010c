/* fuzz_template - libFuzzer target for compiling and rendering templates.
 *
 * The input is up to three templates separated by NUL bytes: the page, then
 * partials named "a" and "b". Each is compiled, references are checked, and the
 * page is rendered against a fixed context in both missing-partial modes. Any
 * crash, leak, hang or undefined behaviour is a bug; every input that found one
 * becomes a test in tests/test_template.c. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "template.h"
#include "value.h"

static value *str(arena *a, const char *s)
{
    return value_new_string(a, s, strlen(s), (source_pos){0});
}

static value *context(arena *a)
{
    source_pos p = {0};
    value *root = value_new_map(a, p);
    value *list = value_new_list(a, p);
    for (int i = 0; i < 3; i++) {
        value *item = value_new_map(a, p);
        value_map_put(a, item, "name", 4, p, str(a, i ? "b<&>\"'" : "a"));
        value_map_put(a, item, "n", 1, p, value_new_number(a, i * 1.5, p));
        value_list_push(a, list, item);
    }
    value_map_put(a, root, "list", 4, p, list);
    value_map_put(a, root, "x", 1, p, str(a, "a"));
    value_map_put(a, root, "y", 1, p, str(a, "b"));
    value_map_put(a, root, "t", 1, p, value_new_bool(a, true, p));
    value_map_put(a, root, "f", 1, p, value_new_bool(a, false, p));
    value *nested = value_new_map(a, p);
    value_map_put(a, nested, "x", 1, p, str(a, "inner"));
    value_map_put(a, nested, "list", 4, p, list);
    value_map_put(a, root, "m", 1, p, nested);
    return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *parts[3] = {"", "", ""};
    size_t lens[3] = {0, 0, 0};
    const char *text = (const char *)data;
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= size && k < 3; i++)
        if (i == size || data[i] == '\0') {
            parts[k] = text + start;
            lens[k++] = i - start;
            start = i + 1;
        }
    template_set *set = template_set_new();
    diag_list diags = DIAG_LIST_INIT;
    template_set_add(set, "a", "a.mustache", parts[1], lens[1], &diags);
    template_set_add(set, "b", "b.mustache", parts[2], lens[2], &diags);
    const template *page = template_set_add(set, "page", "page.mustache", parts[0], lens[0], &diags);
    template_set_check_references(set, &diags);
    if (page != NULL) {
        arena a = ARENA_INIT;
        value *ctx = context(&a);
        buf out = BUF_INIT;
        template_render(set, page, ctx, TEMPLATE_MISSING_IS_EMPTY, &out, &diags);
        buf_clear(&out);
        template_render(set, page, ctx, TEMPLATE_MISSING_IS_ERROR, &out, &diags);
        buf_free(&out);
        arena_free(&a);
    }
    diag_list_free(&diags);
    template_set_free(set);
    return 0;
}
