/* words.h - words as the search index sees them (the index stage).
 *
 * Text is split into words; each word is folded (Unicode case folding and
 * diacritics removed with utf8proc: "Één" -> "een", "geïnteresseerd" ->
 * "geinteresseerd") and then stemmed with the Snowball Dutch stemmer from
 * libstemmer ("arrangementen" -> "arrangement"). The generator writes the
 * folded word -> stem vocabulary next to the index, so the search page turns
 * a query into index terms exactly as the generator did, without a stemmer
 * of its own. */
#ifndef HANDBOOK_WORDS_H
#define HANDBOOK_WORDS_H

#include <stddef.h>

#include "buf.h"

/* Longer words are not indexed: no Dutch word is this long, and the stemmer's
 * work grows with the word. */
#define WORDS_MAX_LENGTH 64

typedef struct words words;

/* Returns a stemmer for Dutch; one per thread (libstemmer keeps state). */
words *words_new(void);
void words_free(words *w);

/* Appends the folded form of len bytes of UTF-8 text to out: case folded,
 * compatibility forms and diacritics removed ("Ĳs" -> "ijs"). Returns 0, or -1
 * when text is not valid UTF-8 (out is then unchanged). */
int words_fold(const char *text, size_t len, buf *out);

/* Returns the index term of a folded word: its Dutch stem, NUL-terminated,
 * valid until the next call with w. *stem_len receives its length. */
const char *words_stem(words *w, const char *folded, size_t len, size_t *stem_len);

/* Calls fn for every word of text, in order: runs of letters, digits and
 * combining marks, with an apostrophe between letters taken into the word
 * and dropped ("IB'er" -> "IBer", "auto's" -> "autos"). word points into
 * text, or into a scratch buffer for a word with an apostrophe dropped; it is
 * not NUL-terminated. offset is where the word starts in text. Invalid UTF-8
 * bytes separate words. */
typedef void (*words_fn)(void *ctx, const char *word, size_t len, size_t offset);
void words_split(const char *text, size_t len, words_fn fn, void *ctx);

#endif
