/* suggest.h - "did you mean" hints by edit distance. */
#ifndef HANDBOOK_SUGGEST_H
#define HANDBOOK_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b (a swap of neighbours counts as one edit);
 * SIZE_MAX when either is longer than 128 bytes (names that long are never
 * typos worth a hint). */
size_t suggest_distance(const char *a, const char *b);

/* Collects candidates and remembers the closest one to a word. */
typedef struct suggestion {
    const char *word;
    const char *best; /* NULL until a close enough candidate is seen */
    size_t best_distance;
} suggestion;

/* Starts a search for the candidate closest to word. */
suggestion suggest_begin(const char *word);

/* Considers one candidate: kept if it is close (1 edit for words of up to 3
 * characters, 2 up to 6, else 3) and closer than the best so far, ties going to
 * the alphabetically first. */
void suggest_consider(suggestion *s, const char *candidate);

#endif
