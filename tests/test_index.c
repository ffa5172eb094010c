/* Unit tests of the search index and its ranking (doc/search-index.md):
 * builds a small handbook into a temporary folder with build_run() and reads
 * zoekindex/ back the way the search page does, with its own decoders. */
#include <ftw.h>
#include <libdeflate.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "testlib.h"
#include "words.h"

/* A term must be in more pages than this for its packed postings (3
 * characters a page here) to pass 1024 characters and get a file of their own. */
enum { FILLERS = 360 };

static char root[] = "/tmp/test_index_XXXXXX";
static char index_dir[128];
static char **docs; /* the decompressed docs/N.json.gz, by document number */
static size_t doc_count;
static int all_docs_gzipped = 1;
static words *stemmer;

/* ---------- the content repository ---------- */

static void write_file(const char *path, const char *fmt, ...)
{
    char full[256];
    snprintf(full, sizeof full, "%s/repo/%s", root, path);
    for (char *slash = strchr(full + strlen(root) + 1, '/'); slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(full, 0755);
        *slash = '/';
    }
    FILE *f = fopen(full, "w");
    if (f == NULL) {
        perror(full);
        exit(1);
    }
    va_list args;
    va_start(args, fmt);
    vfprintf(f, fmt, args);
    va_end(args);
    fclose(f);
}

/* The practice examples with something to find; every page says "gewoon". */
static const struct {
    const char *slug, *title, *region, *body;
} practices[] = {
    {"vouwen", "Vouwen", "parkstad", "Één geïnteresseerde ouder, gewoon.\n"},
    {"stammen", "Stammen", "zuid-limburg", "Arrangementen naast het arrangement, gewoon.\n"},
    /* The same rare word once, in the title, a heading and the body; equal lengths. */
    {"in-titel", "Xylofoon alfa", "parkstad",
     "## Bravo charlie\n\nGewoon delta echo foxtrot golf.\n"},
    {"in-kop", "Hotel india", "parkstad",
     "## Xylofoon juliet\n\nGewoon kilo lima mike november.\n"},
    {"in-tekst", "Oscar papa", "zuid-limburg",
     "## Quebec romeo\n\nGewoon sierra xylofoon tango uniform.\n"},
    {"zeldzaam", "Zeldzaam", "parkstad", "Gewoon kwartel.\n"},
    {"secties", "Secties", "zuid-limburg",
     "Inleiding met kraanvogel, gewoon.\n\n## Eerste deel\n\nDe kraanvogel vliegt en de "
     "kraanvogel landt.\n\n## Tweede deel\n\nLater nog kraanvogel.\n"},
    /* Compounds: both parts are words elsewhere, "samenwerking" with a linking s. */
    {"samenstelling", "Samenstelling", "parkstad",
     "De subsidieregeling, het samenwerkingsverband en het onderwijs, gewoon.\n"},
    {"delen", "Delen", "zuid-limburg",
     "De subsidie, de regeling, samenwerking en het verband. Wijs, gewoon.\n"},
    /* The title is YAML: a raw U+2028 there would be a line break. */
    {"onveilig", "Veilig </script><script> en \\u2028 regel", "parkstad",
     "Code `</script>` en \u2028 scheiding, gewoon.\n"},
};
#define PRACTICE_COUNT (sizeof practices / sizeof *practices)

static const char *filler_region(int i)
{
    return (i / 4) % 2 ? "zuid-limburg" : "parkstad"; /* runs of four */
}

static void write_repository(void)
{
    write_file("handbook.yaml",
               "title: Indextest\n"
               "base_url: https://example.org/handboek/\n"
               "glossary: {collection: terms, abbreviation: abbreviation, definition: definition}\n"
               "collections:\n"
               "  pages: {folder: content, url: /:slug/, layout: page}\n"
               "  regions:\n"
               "    {folder: content/regions, url: /regios/:slug/, layout: page,\n"
               "     fields: {title: {type: string, required: true}, summary: text}}\n"
               "  terms:\n"
               "    folder: content/terms\n"
               "    url: /begrippen/:slug/\n"
               "    layout: page\n"
               "    fields:\n"
               "      title: {type: string, required: true}\n"
               "      abbreviation: string\n"
               "      synonyms: {type: list, of: string}\n"
               "      definition: {type: text, required: true}\n"
               "  practices:\n"
               "    folder: practices\n"
               "    url: /voorbeelden/:slug/\n"
               "    layout: page\n"
               "    list: {url: /voorbeelden/, layout: list, title: Voorbeelden}\n"
               "    facets: [{field: region, title: Regio, slug: regio}]\n"
               "    fields:\n"
               "      title: {type: string, required: true}\n"
               "      region: {type: ref, to: regions, required: true}\n");
    write_file("layouts/base.mustache", "<!doctype html>\n<html lang=\"nl\">\n<title>{{page.title}}"
                                        "</title>\n<main>\n{{$content}}{{/content}}\n</main>\n");
    write_file("layouts/page.mustache",
               "{{<base}}{{$content}}<h1>{{page.title}}</h1>\n{{{page.content}}}\n"
               "{{/content}}{{/base}}\n");
    const char *list = "{{<base}}{{$content}}<h1>{{page.title}}</h1>\n<ul>{{#page.pages}}"
                       "<li><a href=\"{{url}}\">{{title}}</a></li>{{/page.pages}}</ul>\n"
                       "{{/content}}{{/base}}\n";
    write_file("layouts/list.mustache", "%s", list);
    write_file("layouts/facet.mustache", "%s", list);
    write_file("layouts/404.mustache", "{{<base}}{{$content}}<h1>{{page.title}}</h1>"
                                       "{{/content}}{{/base}}\n");
    write_file("content/index.md", "---\ntitle: Welkom\n---\nDe start, gewoon.\n");
    write_file("content/regions/parkstad.yaml", "title: Parkstad\nsummary: Gewoon regio.\n");
    write_file("content/regions/zuid-limburg.yaml", "title: Zuid-Limburg\nsummary: Gewoon zuid.\n");
    write_file("content/terms/sbo.yaml", "title: Speciaal basisonderwijs\nabbreviation: SBO\n"
                                         "definition: Gewoon onderwijs met meer hulp.\n");
    write_file("content/terms/intern-begeleider.yaml",
               "title: Intern begeleider\nsynonyms: [IB'er, Zorgcoördinator]\n"
               "definition: Gewoon de begeleider op school.\n");
    char path[64];
    for (size_t i = 0; i < PRACTICE_COUNT; i++) {
        snprintf(path, sizeof path, "practices/%s.md", practices[i].slug);
        write_file(path, "---\ntitle: \"%s\"\nregion: %s\n---\n%s", practices[i].title,
                   practices[i].region, practices[i].body);
    }
    for (int i = 0; i < FILLERS; i++) {
        snprintf(path, sizeof path, "practices/vulling-%03d.md", i);
        write_file(path, "---\ntitle: Vulling %03d\nregion: %s\n---\nGewoon tekst.\n", i,
                   filler_region(i));
    }
}

/* ---------- reading the index ---------- */

/* A file of zoekindex/, NUL-terminated (free() it), or NULL. */
static char *read_index(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", index_dir, name);
    return testlib_read_file(path, len);
}

static char *gunzip(const char *data, size_t len)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t cap = 1024, out_len = 0;
    char *out = NULL;
    enum libdeflate_result r;
    do {
        cap *= 2;
        out = realloc(out, cap + 1);
        r = libdeflate_gzip_decompress(d, data, len, out, cap, &out_len);
    } while (r == LIBDEFLATE_INSUFFICIENT_SPACE);
    libdeflate_free_decompressor(d);
    if (r != LIBDEFLATE_SUCCESS) {
        free(out);
        return NULL;
    }
    out[out_len] = '\0';
    return out;
}

/* The index term of a folded word, as the generator's stemmer makes it. */
static char *term_of(const char *word)
{
    size_t len;
    const char *s = words_stem(stemmer, word, strlen(word), &len);
    return strndup(s, len);
}

/* A printf-made string (free() it). */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    buf b = BUF_INIT;
    va_list args;
    va_start(args, fmt);
    buf_vprintf(&b, fmt, args);
    va_end(args);
    return buf_detach(&b);
}

/* Packed numbers: digits 0-9 A-Z a-z - _ are 0 to 63; 32 and up means "more
 * digits follow". Reads one number at *p and moves past it; -1 at a
 * character that is not a digit. */
static long unpack(const char **p)
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
    long n = 0;
    for (;;) {
        const char *d = **p ? strchr(digits, **p) : NULL;
        if (d == NULL)
            return -1;
        (*p)++;
        n = n * 32 + ((d - digits) & 31);
        if (d - digits < 32)
            return n;
    }
}

/* A packed document list into in[0..n): returns the count, or -1 when it
 * is malformed or names a document past n. */
static long unpack_documents(const char *p, char *in, size_t n)
{
    long doc = -1, count = 0;
    memset(in, 0, n);
    for (long gap; (gap = unpack(&p)) >= 0;) {
        long run = gap == 0 ? unpack(&p) : 1;
        if (run < 1)
            return -1;
        for (long k = 0; k < run; k++, count++) {
            doc += gap == 0 ? 1 : gap;
            if (doc >= (long)n || in[doc])
                return -1;
            in[doc] = 1;
        }
    }
    return *p == '\0' ? count : -1;
}

/* The shard of a word or term: its first two characters when both are a-z
 * or 0-9, a one-character word's character, else "_". */
static void shard_of(const char *w, char shard[3])
{
    const char *plain = "abcdefghijklmnopqrstuvwxyz0123456789";
    bool a = w[0] && strchr(plain, w[0]), b = w[1] && strchr(plain, w[1]);
    if (a && w[1] == '\0')
        snprintf(shard, 3, "%c", w[0]);
    else if (a && b)
        snprintf(shard, 3, "%c%c", w[0], w[1]);
    else
        snprintf(shard, 3, "_");
}

/* A term's entry in terms/SHARD.json, its postings decoded. */
typedef struct postings {
    double scale;
    long file;      /* the number N of postings/N.txt, or -1 when in line */
    size_t length;  /* of the packed postings */
    long count;     /* postings; -1 when missing or malformed */
    long *steps;    /* by document: score in steps of the scale, 0 when absent */
    long *sections; /* by document: the section with the most uses */
    long *titles;   /* by document: 1 when the term is in the title */
} postings;

/* Postings are triples: gap to the previous document (the first from -1),
 * score steps (1 to 31), section * 2 + title bit. */
static long unpack_postings(const char *p, long *steps, long *sections, long *titles)
{
    long doc = -1, count = 0;
    for (long gap; (gap = unpack(&p)) >= 0; count++) {
        long s = unpack(&p), section = unpack(&p);
        doc += gap;
        if (gap < 1 || s < 1 || s > 31 || section < 0 || doc >= (long)doc_count)
            return -1;
        steps[doc] = s;
        sections[doc] = section / 2;
        titles[doc] = section % 2;
    }
    return *p == '\0' ? count : -1;
}

/* The postings of a folded word's term, in line or from their own file. */
static postings find_postings(const char *word)
{
    postings ps = {
        0, -1, 0, -1, calloc(doc_count + 1, sizeof(long)), calloc(doc_count + 1, sizeof(long)),
        calloc(doc_count + 1, sizeof(long))};
    char *term = term_of(word), path[96], shard[3], *packed = NULL, *end = NULL;
    shard_of(term, shard);
    snprintf(path, sizeof path, "terms/%s.json", shard);
    char *json = read_index(path, NULL), *key = format("\"%s\":[", term);
    const char *at = json ? strstr(json, key) : NULL;
    if (at != NULL)
        ps.scale = strtod(at + strlen(key), &end);
    if (end != NULL && end[0] == ',' && end[1] == '"') {
        packed = strndup(end + 2, strcspn(end + 2, "\""));
    } else if (end != NULL && end[0] == ',') {
        ps.file = strtol(end + 1, NULL, 10);
        snprintf(path, sizeof path, "postings/%ld.txt", ps.file);
        packed = read_index(path, NULL);
    }
    if (packed != NULL) {
        ps.length = strlen(packed);
        ps.count = unpack_postings(packed, ps.steps, ps.sections, ps.titles);
    }
    free(packed), free(key), free(json), free(term);
    return ps;
}

static void free_postings(postings *ps)
{
    free(ps->steps);
    free(ps->sections);
    free(ps->titles);
}

/* The score of a word's term in a document (steps x scale), or -1; its
 * section into *section. */
static double score_of(const char *word, long doc, long *section)
{
    postings ps = find_postings(word);
    double score = -1;
    if (ps.count > 0 && doc >= 0 && ps.steps[doc] > 0) {
        score = (double)ps.steps[doc] * ps.scale;
        if (section)
            *section = ps.sections[doc];
    }
    free_postings(&ps);
    return score;
}

/* The document number of a practice, from the url in its document file. */
static long doc_of(const char *slug)
{
    char url[128];
    snprintf(url, sizeof url, "\"url\":\"/handboek/voorbeelden/%s/\"", slug);
    for (size_t i = 0; i < doc_count; i++)
        if (docs[i] && strstr(docs[i], url))
            return (long)i;
    return -1;
}

/* The JSON of section s of a document, up to the next one (free() it). */
static char *section_of(long doc, long s)
{
    const char *p = doc >= 0 ? strstr(docs[doc], "\"sections\":[") : NULL;
    for (long i = 0; p && i <= s; i++)
        p = strstr(p + 1, "{\"anchor\":");
    if (p == NULL)
        return NULL;
    const char *next = strstr(p + 1, "{\"anchor\":");
    return strndup(p, next ? (size_t)(next - p) : strlen(p));
}

static void load_documents(void)
{
    char *meta = read_index("meta.json", NULL);
    const char *n = meta ? strstr(meta, "\"documents\":") : NULL;
    doc_count = n ? strtoul(n + strlen("\"documents\":"), NULL, 10) : 0;
    free(meta);
    docs = calloc(doc_count + 1, sizeof *docs);
    for (size_t i = 0; i < doc_count; i++) {
        char name[64];
        size_t len = 0;
        snprintf(name, sizeof name, "docs/%zu.json.gz", i);
        char *gz = read_index(name, &len);
        if (gz == NULL || len < 2 || (unsigned char)gz[0] != 0x1F || (unsigned char)gz[1] != 0x8B)
            all_docs_gzipped = 0;
        docs[i] = gz ? gunzip(gz, len) : NULL;
        if (docs[i] == NULL)
            all_docs_gzipped = 0;
        free(gz);
    }
}

/* ---------- the tests ---------- */

static int build_status = -1;

static void builds_the_site(void)
{
    CHECK(build_status == 0);
    CHECK(doc_count == PRACTICE_COUNT + FILLERS + 5); /* + home, 2 regions, 2 terms */
    char *meta = read_index("meta.json", NULL);
    CHECK_CONTAINS(meta, "\"version\":2,");
    free(meta);
}

static void folds_words(void)
{
    char *ee = read_index("vocabulary/ee.json", NULL), *ge = read_index("vocabulary/ge.json", NULL);
    char *een = term_of("een"), *gei = term_of("geinteresseerde");
    char *want_een = format("\"een\":\"%s\"", een);
    char *want_gei = format("\"geinteresseerde\":\"%s\"", gei);
    CHECK_CONTAINS(ee, want_een);
    CHECK_CONTAINS(ge, want_gei);
    CHECK(ee && strstr(ee, "Één") == NULL && ge && strstr(ge, "geïnteresseerde") == NULL);
    /* "een" is only ever written "Één": its term is in that one page. */
    postings ps = find_postings("een");
    long vouwen = doc_of("vouwen");
    CHECK(ps.count == 1 && vouwen >= 0 && ps.steps[vouwen] > 0);
    free_postings(&ps);
    free(ee), free(ge), free(een), free(gei), free(want_een), free(want_gei);
}

static void stems_words(void)
{
    char *ar = read_index("vocabulary/ar.json", NULL);
    char *plural = term_of("arrangementen"), *single = term_of("arrangement");
    CHECK_STR(plural, "arrangement");
    CHECK_STR(single, "arrangement");
    CHECK_CONTAINS(ar, "\"arrangementen\":\"arrangement\"");
    CHECK_CONTAINS(ar, "\"arrangement\":\"arrangement\"");
    /* Both words count for the one term: twice in the body. */
    long doc = doc_of("stammen"), section = -1;
    CHECK(score_of("arrangementen", doc, &section) > 0);
    CHECK(section == 0);
    free(ar), free(plural), free(single);
}

/* Title x5, heading x2, body x1, in pages of equal length. */
static void splits_compounds(void)
{
    long compound = doc_of("samenstelling"), parts = doc_of("delen");
    const char *found[] = {"subsidie", "regeling", "samenwerking", "verband"};
    for (size_t i = 0; i < sizeof found / sizeof *found; i++) {
        double in_compound = score_of(found[i], compound, NULL);
        CHECK(in_compound > 0);
        CHECK(in_compound < score_of(found[i], parts, NULL)); /* half weight */
    }
    /* A part shorter than five letters at the end is no part: onder + wijs. */
    CHECK(score_of("wijs", compound, NULL) < 0);
    CHECK(score_of("wijs", parts, NULL) > 0);
}

static void weighs_fields(void)
{
    long in_title = -1, in_heading = -1, in_body = -1;
    double title = score_of("xylofoon", doc_of("in-titel"), &in_title);
    double heading = score_of("xylofoon", doc_of("in-kop"), &in_heading);
    double body = score_of("xylofoon", doc_of("in-tekst"), &in_body);
    printf("    xylofoon: title %.4f, heading %.4f, body %.4f\n", title, heading, body);
    CHECK(body > 0);
    CHECK(heading > body);
    CHECK(title > heading);
    CHECK(in_title == 0);
    CHECK(in_heading == 1);
    CHECK(in_body == 1);
    /* The scale is the highest score / 31: the title's posting has 31 steps. */
    postings ps = find_postings("xylofoon");
    CHECK(ps.count == 3 && ps.file == -1);
    /* The title bit: only the page with the word in its title has it. */
    CHECK(ps.titles[doc_of("in-titel")] == 1);
    CHECK(ps.titles[doc_of("in-kop")] == 0 && ps.titles[doc_of("in-tekst")] == 0);
    CHECK(ps.scale > 0 && title > 30.5 * ps.scale && title < 31.5 * ps.scale);
    free_postings(&ps);
}

/* BM25: the same count in the same page weighs more for a rare word. */
static void ranks_rare_words_higher(void)
{
    long doc = doc_of("zeldzaam");
    double rare = score_of("kwartel", doc, NULL), common = score_of("gewoon", doc, NULL);
    printf("    kwartel %.4f, gewoon %.6f\n", rare, common);
    CHECK(common > 0);
    CHECK(rare > common);
    CHECK(rare > 2 * common); /* more than the 3% steps of the scores */
}

static void points_at_sections(void)
{
    /* Once at the top, twice under the first heading, once under the
     * second: the section with the most uses is the first heading's. */
    long doc = doc_of("secties"), section = -1;
    CHECK(score_of("kraanvogel", doc, &section) > 0);
    CHECK(section == 1);
    char *s = section_of(doc, section);
    CHECK_CONTAINS(s, "\"anchor\":\"eerste-deel\",\"heading\":\"Eerste deel\"");
    CHECK_CONTAINS(s, "De kraanvogel vliegt");
    free(s);
    s = section_of(doc, 0);
    CHECK_CONTAINS(s, "{\"anchor\":\"\",\"heading\":\"\",\"text\":\"Inleiding met kraanvogel");
    free(s);
    /* In a heading: the section that heading starts. */
    doc = doc_of("in-kop");
    CHECK(score_of("xylofoon", doc, &section) > 0);
    s = section_of(doc, section);
    CHECK_CONTAINS(s, "\"heading\":\"Xylofoon juliet\"");
    free(s);
}

/* "gewoon" is in every page: its postings get a file of their own. */
static void gives_common_terms_a_file(void)
{
    postings ps = find_postings("gewoon");
    CHECK(ps.file >= 0);
    CHECK(ps.length > 1024);
    CHECK(ps.count == (long)doc_count);
    for (size_t i = 0; ps.count > 0 && i < doc_count; i++)
        if (ps.steps[i] == 0) {
            printf("    document %zu is not in the postings of gewoon\n", i);
            CHECK(ps.steps[i] > 0);
            break;
        }
    free_postings(&ps);
    /* A rare term stays in line. */
    ps = find_postings("kwartel");
    CHECK(ps.count == 1 && ps.file == -1 && ps.length <= 1024);
    free_postings(&ps);
}

static void gzips_documents(void)
{
    CHECK(all_docs_gzipped);
    long doc = doc_of("in-titel");
    CHECK(doc >= 0);
    if (doc >= 0) {
        CHECK_CONTAINS(docs[doc], "{\"url\":\"/handboek/voorbeelden/in-titel/\",");
        CHECK_CONTAINS(docs[doc], "\"title\":\"Xylofoon alfa\"");
    }
    char name[64];
    snprintf(name, sizeof name, "docs/%zu.json.gz", doc_count);
    char *past = read_index(name, NULL);
    CHECK(past == NULL);
    free(past);
}

/* The n-th string of the JSON array whose '[' is at list (plain strings
 * only; free() it), or NULL. */
static char *nth_string(const char *list, int n)
{
    const char *end = list ? strchr(list, ']') : NULL, *q = list;
    for (int i = 0; end && (q = strchr(q, '"')) != NULL && q < end; i++) {
        const char *close = strchr(q + 1, '"');
        if (i == n)
            return strndup(q + 1, (size_t)(close - q - 1));
        q = close + 1;
    }
    return NULL;
}

/* The documents of the practices in a region (in[doc] set); returns how many. */
static long expect_region(const char *region, char *in)
{
    long count = 0;
    memset(in, 0, doc_count);
    for (size_t i = 0; i < PRACTICE_COUNT + FILLERS; i++) {
        char slug[32];
        const char *its_region = filler_region((int)(i - PRACTICE_COUNT));
        if (i < PRACTICE_COUNT) {
            snprintf(slug, sizeof slug, "%s", practices[i].slug);
            its_region = practices[i].region;
        } else {
            snprintf(slug, sizeof slug, "vulling-%03d", (int)(i - PRACTICE_COUNT));
        }
        long doc = doc_of(slug);
        if (strcmp(its_region, region) == 0 && doc >= 0) {
            in[doc] = 1;
            count++;
        }
    }
    return count;
}

/* facets.json's packed lists hold exactly the practices of each region. */
static void lists_facet_documents(void)
{
    char *meta = read_index("meta.json", NULL), *facets = read_index("facets.json", NULL);
    const char *facet = meta ? strstr(meta, "{\"name\":\"region\",\"title\":\"Regio\",") : NULL;
    const char *values = facet ? strstr(facet, "\"values\":[") : NULL;
    const char *lists = facets ? strstr(facets, "\"region\":[") : NULL;
    CHECK(values != NULL && lists != NULL);
    values = values ? strchr(values, '[') : NULL;
    lists = lists ? strchr(lists, '[') : NULL;
    char *in = malloc(doc_count + 1), *expected = malloc(doc_count + 1);
    for (int v = 0; v < 3; v++) {
        char *value = nth_string(values, v), *packed = nth_string(lists, v);
        if (v == 2) { /* two regions, two lists */
            CHECK(value == NULL && packed == NULL);
            break;
        }
        CHECK(value != NULL && packed != NULL);
        if (value == NULL || packed == NULL)
            break;
        const char *region = strcmp(value, "Parkstad") == 0       ? "parkstad"
                             : strcmp(value, "Zuid-Limburg") == 0 ? "zuid-limburg"
                                                                  : "";
        long want = expect_region(region, expected),
             count = unpack_documents(packed, in, doc_count);
        printf("    %s: %ld documents in \"%.24s...\"\n", value, count, packed);
        CHECK(want > 100);
        CHECK(count == want);
        CHECK(memcmp(in, expected, doc_count) == 0);
        free(value);
        free(packed);
    }
    free(in);
    free(expected);
    free(meta);
    free(facets);
}

/* The abbreviation and each synonym stand for the title, the title for the
 * abbreviation; a phrase's alternative is its terms. */
static void writes_synonyms(void)
{
    char *meta = read_index("meta.json", NULL);
    const char *words_of[] = {"speciaal", "basisonderwijs", "sbo", "intern", "begeleider"};
    char *t[5];
    for (int i = 0; i < 5; i++)
        t[i] = term_of(words_of[i]);
    char *want[] = {
        format("\"sbo\":[[\"%s\",\"%s\"]]", t[0], t[1]),
        format("\"speciaal basisonderwijs\":[[\"%s\"]]", t[2]),
        format("\"iber\":[[\"%s\",\"%s\"]]", t[3], t[4]),
        format("\"zorgcoordinator\":[[\"%s\",\"%s\"]]", t[3], t[4]),
    };
    for (int i = 0; i < 4; i++) {
        CHECK_CONTAINS(meta, want[i]);
        free(want[i]);
    }
    /* Without an abbreviation, the title stands for nothing. */
    CHECK(meta && strstr(meta, "\"intern begeleider\":") == NULL);
    for (int i = 0; i < 5; i++)
        free(t[i]);
    free(meta);
}

/* No "</script" or U+2028 in any JSON of the index, gzipped or not. */
static int unsafe_files, json_files;

static int check_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    size_t len = strlen(path), size;
    bool gz = len > 8 && strcmp(path + len - 8, ".json.gz") == 0;
    if (type != FTW_F || (!gz && (len < 5 || strcmp(path + len - 5, ".json") != 0)))
        return 0;
    char *data = testlib_read_file(path, &size);
    char *text = gz && data ? gunzip(data, size) : data;
    json_files++;
    if (text == NULL || strcasestr(text, "</script") || strstr(text, "\xE2\x80\xA8")) {
        printf("    unreadable or unsafe: %s\n", path);
        unsafe_files++;
    }
    if (text != data)
        free(text);
    free(data);
    return 0;
}

static void escapes_script_and_line_separators(void)
{
    long doc = doc_of("onveilig");
    CHECK(doc >= 0);
    if (doc >= 0) {
        CHECK_CONTAINS(docs[doc], "\"title\":\"Veilig <\\/script><script> en \\u2028 regel\"");
        CHECK_CONTAINS(docs[doc], "Code <\\/script> en \\u2028 scheiding");
    }
    CHECK(nftw(index_dir, check_file, 16, FTW_PHYS) == 0);
    CHECK(json_files > (int)doc_count);
    CHECK(unsafe_files == 0);
}

static int remove_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

int main(void)
{
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    write_repository();
    char repo[64], site[64];
    snprintf(repo, sizeof repo, "%s/repo", root);
    snprintf(site, sizeof site, "%s/site", root);
    snprintf(index_dir, sizeof index_dir, "%s/zoekindex", site);
    build_options opts = {.repo_dir = repo, .output_dir = site};
    build_result result;
    diag_list diags = DIAG_LIST_INIT;
    build_status = build_run(&opts, &result, &diags);
    diag_print(&diags, stdout, false);
    diag_list_free(&diags);
    stemmer = words_new();
    load_documents();

    RUN(builds_the_site);
    RUN(folds_words);
    RUN(stems_words);
    RUN(splits_compounds);
    RUN(weighs_fields);
    RUN(ranks_rare_words_higher);
    RUN(points_at_sections);
    RUN(gives_common_terms_a_file);
    RUN(gzips_documents);
    RUN(lists_facet_documents);
    RUN(writes_synonyms);
    RUN(escapes_script_and_line_separators);

    for (size_t i = 0; i < doc_count; i++)
        free(docs[i]);
    free(docs);
    words_free(stemmer);
    nftw(root, remove_file, 16, FTW_DEPTH | FTW_PHYS);
    return test_summary();
}
