#include "suggest.h"

#include <stdint.h>
#include <string.h>

enum { MAX_WORD = 128 };

/* Optimal string alignment distance: insertions, deletions, substitutions and
 * swaps of two neighbouring characters ("bsae" is one edit from "base"). */
size_t suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAX_WORD || lb > MAX_WORD)
        return SIZE_MAX;
    size_t rows[3][MAX_WORD + 1];
    size_t *before = rows[0], *above = rows[1], *row = rows[2];
    for (size_t j = 0; j <= lb; j++)
        above[j] = j;
    for (size_t i = 1; i <= la; i++) {
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t best = above[j - 1] + (a[i - 1] != b[j - 1]);
            if (above[j] + 1 < best)
                best = above[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            row[j] = best;
        }
        size_t *recycled = before;
        before = above;
        above = row;
        row = recycled;
    }
    return above[lb];
}

suggestion suggest_begin(const char *word)
{
    return (suggestion){word, NULL, SIZE_MAX};
}

void suggest_consider(suggestion *s, const char *candidate)
{
    size_t d = suggest_distance(s->word, candidate);
    size_t len = strlen(s->word);
    size_t allowed = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    if (d == 0 || d > allowed)
        return;
    if (d < s->best_distance || (d == s->best_distance && strcmp(candidate, s->best) < 0)) {
        s->best = candidate;
        s->best_distance = d;
    }
}
