/* Unit tests of the word splitting, folding and stemming the search index
 * and the search page share. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "words.h"

static char *fold(const char *text)
{
    buf out = BUF_INIT;
    if (words_fold(text, strlen(text), &out) < 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_detach(&out);
}

#define CHECK_FOLD(text, expected)                                                                 \
    do {                                                                                           \
        char *f_ = fold(text);                                                                     \
        CHECK_STR(f_, expected);                                                                   \
        free(f_);                                                                                  \
    } while (0)

static void folds_case_and_diacritics(void)
{
    CHECK_FOLD("Één", "een");
    CHECK_FOLD("geïnteresseerd", "geinteresseerd");
    CHECK_FOLD("CAFÉ coördinator", "cafe coordinator");
    CHECK_FOLD("Ĳsselmeer", "ijsselmeer"); /* the Dutch ĳ ligature */
    CHECK_FOLD("ﬁets", "fiets");
    CHECK_FOLD("Straße", "strasse");
    CHECK(fold("caf\xC3") == NULL); /* cut-off UTF-8 */
}

/* Whether two folded words get the same index term. */
static int same_stem(words *w, const char *a, const char *b)
{
    size_t len;
    const char *s = words_stem(w, a, strlen(a), &len);
    buf first = BUF_INIT;
    buf_append(&first, s, len);
    s = words_stem(w, b, strlen(b), &len);
    int same = first.len > 0 && len == first.len && memcmp(s, first.data, len) == 0;
    buf_free(&first);
    return same;
}

static void stems_dutch(void)
{
    words *w = words_new();
    CHECK(same_stem(w, "arrangementen", "arrangement"));
    CHECK(same_stem(w, "leerlingen", "leerling"));
    CHECK(same_stem(w, "gemeenten", "gemeente"));
    CHECK(same_stem(w, "samenwerkingsverbanden", "samenwerkingsverband"));
    /* Different words keep different terms. */
    CHECK(!same_stem(w, "jeugdhulp", "onderwijs"));
    CHECK(!same_stem(w, "school", "scholing"));
    words_free(w);
}

typedef struct collected {
    buf list;
} collected;

static void collect(void *ctx, const char *word, size_t len, size_t offset)
{
    collected *c = ctx;
    buf_printf(&c->list, "%s%.*s@%zu", c->list.len ? " " : "", (int)len, word, offset);
}

static void splits_words(void)
{
    collected c = {BUF_INIT};
    const char *text = "De IB'er van Zuid-Limburg: één auto’s, 3,5 jaar (cluster 3).";
    words_split(text, strlen(text), collect, &c);
    CHECK_STR(c.list.data, "De@0 IBer@3 van@9 Zuid@13 Limburg@18 één@27 autos@33 3@43 5@45 "
                           "jaar@47 cluster@53 3@61");
    buf_clear(&c.list);
    const char *bad = "goed\xFFslecht 'los' eind'";
    words_split(bad, strlen(bad), collect, &c);
    CHECK_STR(c.list.data, "goed@0 slecht@5 los@13 eind@18");
    /* Letters beyond ASCII within and at the ends of words, an apostrophe
     * after them, a word at the very end. */
    buf_clear(&c.list);
    const char *mixed = "naïef café's Ærø ökonomie2 x";
    words_split(mixed, strlen(mixed), collect, &c);
    CHECK_STR(c.list.data, "naïef@0 cafés@7 Ærø@15 ökonomie2@21 x@32");
    buf_free(&c.list);
}

int main(void)
{
    RUN(folds_case_and_diacritics);
    RUN(stems_dutch);
    RUN(splits_words);
    return test_summary();
}
