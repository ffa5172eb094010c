/* gen_repo - writes the synthetic content repository of the site benchmark.
 *
 *   gen_repo OUTDIR [PAGES] [COMMITS]       defaults: 10000 pages, 3000 commits
 *
 * Writes a git repository at OUTDIR in the handbook's format (handbook.yaml,
 * layouts/ with a base layout, three partials, page/practice/list layouts and
 * assets/style.css, a few content/ pages, PAGES practice examples in practices/)
 * whose history of COMMITS commits adds the practice examples in batches and
 * edits existing ones, then checks out the working tree. It also writes the same
 * pages as a Hugo site at OUTDIR-hugo/ (hugo.toml, content/, layouts/ doing the
 * same work, static/) with the same history (the same commits, authors and
 * times, each with the Hugo version of the same files), so that Hugo's
 * enableGitInfo has the history handbook reads, for a like-for-like comparison.
 *
 * Everything comes from one fixed-seed PRNG (splitmix64), never from the clock,
 * the locale or the environment: the same arguments give the same files, the
 * same fast-import stream and so the same commit ids on every run and machine,
 * whatever the compiler. (C leaves the order in which a call's arguments are
 * evaluated open, so no call takes two arguments that draw from the PRNG.)
 * Needs only libc and git (git init, git fast-import, git reset). Neither OUTDIR
 * nor OUTDIR-hugo may exist yet.
 *
 * Every practice links only to practices with a lower number, which are added in
 * the same or an earlier commit, so every commit of the history is a valid site,
 * not only the last one. Links are repository paths ("p00042-....md",
 * "../content/bijdragen.md"); in the Hugo copy the same links point at Hugo's
 * content paths ("p00042-....md", "/bijdragen.md") and a render hook resolves
 * them with .GetPage, failing the build on a missing page, as handbook does. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rng_below((r), (uint32_t)COUNT(a))])

/* Page numbers are written with five digits (p00001-...). */
#define MAX_PAGES 99999
/* Sections of a practice: the intro plus at most this many headed sections. */
#define MAX_SECTIONS 16
/* Words of the slug after the number: keeps file names short. */
#define SLUG_MAX 60
/* 2021-01-01 09:00 +0100: the first commit. */
#define START_TIME 1609488000LL

static const uint64_t SEED = 0x68616e64626f6f6bULL; /* "handbook" */

/* ---- helpers ------------------------------------------------------------ */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gen_repo: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_reserve(sb *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        die("out of memory");
    b->p = p;
    b->cap = cap;
}

static void sb_addn(sb *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_add(sb *b, const char *s) { sb_addn(b, s, strlen(s)); }

/* GCC 12 with -fsanitize=undefined at -O1/-O2 warns "null format string" here,
 * though no caller passes NULL. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
static void sb_vaddf(sb *b, const char *fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        die("vsnprintf failed");
    sb_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, args);
    b->len += (size_t)n;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static void sb_addf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(b, fmt, ap);
    va_end(ap);
}

/* Appends s with its first letter (ASCII) in upper case. */
static void sb_add_cap(sb *b, const char *s)
{
    size_t start = b->len;
    sb_add(b, s);
    if (b->p[start] >= 'a' && b->p[start] <= 'z')
        b->p[start] = (char)(b->p[start] - 'a' + 'A');
}

static void sb_clear(sb *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        die("out of memory");
    return d;
}

/* Words in s[0..n): runs of non-blanks that hold a letter (so "|", "-", "1."
 * and "##" do not count). */
static size_t count_words(const char *s, size_t n)
{
    size_t words = 0;
    int in_word = 0, letter = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : ' ';
        if (c == ' ' || c == '\n') {
            if (in_word && letter)
                words++;
            in_word = letter = 0;
        } else {
            in_word = 1;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80)
                letter = 1;
        }
    }
    return words;
}

/* ---- PRNG: splitmix64 ----------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_u64(rng *r) { return splitmix(&r->s); }

/* A number in [0, n), n > 0. */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

static int rng_chance(rng *r, uint32_t percent) { return rng_below(r, 100) < percent; }

/* An independent stream for (a, b, c): what a page's section looks like depends
 * only on the page, the section and its revision, not on what came before. */
static rng rng_for(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t s = SEED;
    s ^= splitmix(&s) ^ a;
    s ^= splitmix(&s) ^ b;
    s ^= splitmix(&s) ^ c;
    rng r = {s};
    rng_u64(&r);
    return r;
}

/* ---- vocabulary ------------------------------------------------------------ */

static const char *const subjects[] = {
    "de leerkracht", "de intern begeleider", "de zorgcoördinator", "de jeugdconsulent",
    "de gemeente", "het samenwerkingsverband", "de jeugdhulpaanbieder", "het schoolbestuur",
    "de ambulant begeleider", "de orthopedagoog", "de schoolmaatschappelijk werker",
    "het ondersteuningsteam", "de directeur", "de gedragswetenschapper", "de wijkcoach",
    "de leerplichtambtenaar", "de jeugdverpleegkundige", "de coördinator passend onderwijs",
    "het wijkteam", "de mentor", "de jeugdarts", "de onderwijsassistent", "de casusregisseur",
    "de beleidsmedewerker onderwijs", "de pedagogisch medewerker", "de trajectbegeleider",
};

typedef struct np {
    const char *article, *noun;
} np;

static const np objects[] = {
    {"het", "arrangement"}, {"de", "ondersteuning"}, {"het", "groepsplan"},
    {"het", "ontwikkelingsperspectief"}, {"de", "hulpvraag"}, {"de", "begeleiding"},
    {"de", "overdracht"}, {"de", "zorgstructuur"}, {"het", "aanbod"}, {"de", "financiering"},
    {"de", "aanmelding"}, {"de", "inzet van jeugdhulp"}, {"het", "plan van aanpak"},
    {"de", "evaluatie"}, {"het", "knooppuntoverleg"}, {"de", "beschikking"},
    {"de", "samenwerking"}, {"de", "afspraak"}, {"het", "ondersteuningsplan"},
    {"de", "intake"}, {"de", "observatie"}, {"het", "handelingsplan"}, {"de", "dagstructuur"},
    {"het", "thuiszittersprotocol"}, {"de", "toeleiding"}, {"de", "verwijzing"},
    {"de", "werkwijze"}, {"het", "convenant"}, {"de", "verantwoording"},
    {"de", "subsidieaanvraag"}, {"de", "leerlijn"}, {"het", "gezinsplan"}, {"de", "enquête"},
    {"de", "rapportage"}, {"de", "signalering"}, {"het", "rooster"}, {"de", "privacyafspraak"},
    {"het", "budget"}, {"de", "uitstroom"}, {"de", "terugkeer naar school"},
};

static const char *const adjectives[] = {
    "passende", "integrale", "gezamenlijke", "structurele", "preventieve", "intensieve",
    "vroegtijdige", "extra", "flexibele", "thuisnabije", "duidelijke", "nieuwe", "financiële",
    "geïntegreerde", "interprofessionele", "tijdelijke", "kortdurende", "wekelijkse",
    "individuele", "collectieve", "beknopte", "praktische", "regionale", "heldere",
};

typedef struct verb {
    const char *third, *plural; /* "ondersteunt", "ondersteunen" */
} verb;

static const verb verbs[] = {
    {"ondersteunt", "ondersteunen"}, {"organiseert", "organiseren"}, {"bespreekt", "bespreken"},
    {"begeleidt", "begeleiden"}, {"financiert", "financieren"}, {"versterkt", "versterken"},
    {"coördineert", "coördineren"}, {"evalueert", "evalueren"}, {"signaleert", "signaleren"},
    {"bewaakt", "bewaken"}, {"plant", "plannen"}, {"verbetert", "verbeteren"},
    {"borgt", "borgen"}, {"regelt", "regelen"}, {"onderzoekt", "onderzoeken"},
    {"beoordeelt", "beoordelen"}, {"herijkt", "herijken"}, {"creëert", "creëren"},
    {"bekostigt", "bekostigen"}, {"verantwoordt", "verantwoorden"},
    {"verduidelijkt", "verduidelijken"}, {"vereenvoudigt", "vereenvoudigen"},
    {"monitort", "monitoren"}, {"documenteert", "documenteren"}, {"verdeelt", "verdelen"},
    {"bundelt", "bundelen"}, {"vernieuwt", "vernieuwen"}, {"deelt", "delen"},
    {"begroot", "begroten"}, {"actualiseert", "actualiseren"},
};

static const char *const adverbials[] = {
    "elke week", "binnen zes weken", "na de herfstvakantie", "samen met de ouders",
    "in het knooppuntoverleg", "vanaf de eerste schooldag", "op de vindplaats", "thuisnabij",
    "zonder lange wachtlijst", "in overleg met het wijkteam", "twee keer per jaar",
    "tijdens de lunchpauze", "op school en thuis", "met één vast aanspreekpunt",
    "sinds het schooljaar 2021-2022", "onder één dak", "in de klas", "voor de hele groep",
    "snel en zonder papierwerk", "volgens een vast stappenplan", "aan het begin van elk blok",
    "na overleg met de leerling", "in de eigen wijk", "per periode van twaalf weken",
    "vóór de zomervakantie", "met hulp van de coördinator", "tijdens het multidisciplinair overleg",
};

static const char *const connectors[] = {
    "Daarnaast", "Bovendien", "In de praktijk", "Tegelijkertijd", "Sinds de start",
    "In het begin", "Na een half jaar", "Op dit moment", "Vanaf groep 3", "Gelukkig",
    "Uiteindelijk", "Inmiddels", "Soms", "Vooral in de onderbouw", "Binnen de pilot",
    "Elk voorjaar", "Na de evaluatie", "In de bovenbouw",
};

static const char *const subordinators[] = {
    "We merken dat", "Belangrijk is dat", "Ouders geven aan dat", "De evaluatie laat zien dat",
    "Het werkt beter wanneer", "Het helpt als", "Het doel is dat",
    "Geïnteresseerde scholen vragen vaak of", "Niemand had verwacht dat", "Uit de enquête blijkt dat",
    "Het team is tevreden omdat", "Het duurt langer wanneer",
};

static const char *const groups[] = {
    "leerlingen met autisme", "kinderen met een extra ondersteuningsbehoefte", "thuiszitters",
    "nieuwkomers", "jonge kinderen", "leerlingen met gedragsvragen",
    "leerlingen die dreigen uit te vallen", "kleuters met een taalachterstand",
    "jongeren met angstklachten", "leerlingen in cluster 3", "leerlingen in cluster 4",
    "hoogbegaafde leerlingen", "leerlingen met een taalontwikkelingsstoornis",
    "kinderen in de voorschoolse periode", "leerlingen na een lange ziekteperiode",
};

static const char *const speakers[] = {
    "de intern begeleider", "een moeder", "een vader", "de directeur", "de jeugdconsulent",
    "een leerling uit groep 8", "de zorgcoördinator", "de wethouder", "een leerkracht",
    "de orthopedagoog", "de coördinator van de startklas",
};

static const char *const tips[] = {
    "Begin klein en breid pas uit na de eerste evaluatie",
    "Zorg voor één vast aanspreekpunt voor ouders",
    "Plan het knooppuntoverleg al vóór de zomervakantie",
    "Leg afspraken over privacy vast in een convenant",
    "Betrek de leerplichtambtenaar vroeg bij thuiszitters",
    "Maak de financiële afspraken voor minstens drie jaar",
    "Geef de jeugdhulpmedewerker een eigen plek in de school",
    "Evalueer met leerlingen, niet alleen over hen",
    "Houd het ontwikkelingsperspectief kort en concreet",
    "Vier successen met het hele team",
    "Laat geïnteresseerde scholen een dag meekijken",
    "Vraag de coördinator om een vast moment per week",
    "Bespreek de ideeën van ouders in elk overleg",
    "Gebruik één plan voor school en thuis",
    "Spreek af wie de regie heeft als het misgaat",
    "Schrijf de werkwijze op, zodat nieuwe collega's snel kunnen aansluiten",
    "Reserveer tijd voor scholing van het hele team",
    "Houd de lijnen met de gemeente kort",
};

static const char *const phases[] = {
    "Signaleren", "Aanmelden", "Intake", "Plan maken", "Uitvoeren", "Evalueren", "Afschalen",
    "Overdracht", "Nazorg",
};

static const char *const cost_items[] = {
    "Inzet jeugdhulp in de klas", "Extra onderwijsassistent", "Scholing van het team",
    "Coördinatie en overleg", "Vervoer", "Materialen en inrichting", "Ambulante begeleiding",
    "Observatie en diagnostiek",
};

static const char *const payers[] = {
    "de gemeente", "het samenwerkingsverband", "het schoolbestuur", "de regio", "de subsidie",
};

static const char *const models[] = {
    "Startklas", "Doelgroeparrangement", "Schoolarrangement", "Collectieve ondersteuning",
    "Onderwijs-zorgarrangement", "Zorgklas", "Time-outvoorziening", "Observatieklas",
    "Schakelklas", "Overgangsklas", "Flexibele leerroute", "Jeugdhulp in de klas",
    "Thuisnabij arrangement", "Hybride arrangement", "Kortdurende plaatsing",
};

static const char *const regions[] = {
    "Parkstad", "Westelijke Mijnstreek", "Maastricht-Heuvelland", "Noord-Limburg", "Twente",
    "Achterhoek", "Fryslân", "Groningen", "West-Brabant", "Haaglanden", "Rijnmond", "Utrecht",
};

static const struct place {
    const char *name;
    int region;
} places[] = {
    {"Heerlen", 0}, {"Kerkrade", 0}, {"Landgraaf", 0}, {"Brunssum", 0},
    {"Sittard-Geleen", 1}, {"Stein", 1}, {"Beek", 1}, {"Maastricht", 2},
    {"Valkenburg aan de Geul", 2}, {"Eijsden-Margraten", 2}, {"Venlo", 3}, {"Venray", 3},
    {"Horst aan de Maas", 3}, {"Enschede", 4}, {"Hengelo", 4}, {"Almelo", 4},
    {"Doetinchem", 5}, {"Winterswijk", 5}, {"Oude IJsselstreek", 5}, {"Leeuwarden", 6},
    {"Súdwest-Fryslân", 6}, {"Smallingerland", 6}, {"Groningen", 7}, {"Het Hogeland", 7},
    {"Westerkwartier", 7}, {"Breda", 8}, {"Roosendaal", 8}, {"Bergen op Zoom", 8},
    {"Den Haag", 9}, {"Delft", 9}, {"Zoetermeer", 9}, {"Rotterdam", 10}, {"Schiedam", 10},
    {"Vlaardingen", 10}, {"Utrecht", 11}, {"Nieuwegein", 11}, {"Zeist", 11},
};

static const char *const school_types[] = {"SO", "SBO", "VSO", "PO", "VO"};

static const char *const school_names[] = {
    "De Wissel", "De Ark", "Het Kompas", "De Regenboog", "Het Palet", "De Wegwijzer",
    "De Sprong", "Het Baken", "De Zevensprong", "Sint Jan Baptist", "De Vlieger",
    "Het Mozaïek", "De Brug", "Het Anker", "De Kameleon", "Het Startpunt",
};

static const struct author {
    const char *name, *email;
} authors[] = {
    {"Anouk de Vries", "anouk.devries@example.org"},
    {"Bram Jansen", "bram.jansen@example.org"},
    {"Fatima El Amrani", "fatima.elamrani@example.org"},
    {"Sven Hoekstra", "sven.hoekstra@example.org"},
    {"Marieke Smeets", "marieke.smeets@example.org"},
    {"Joris van Dijk", "joris.vandijk@example.org"},
    {"Ilse Bakker", "ilse.bakker@example.org"},
    {"Esra Yılmaz", "esra.yilmaz@example.org"},
    {"Noah Peeters", "noah.peeters@example.org"},
    {"Lieke Kuipers", "lieke.kuipers@example.org"},
};

/* ---- slugs ----------------------------------------------------------------- */

/* Latin-1 letters U+00C0..U+00FF (UTF-8 C3 80..C3 BF) folded to ASCII; '-' for
 * the two signs and the thorns. */
static const char fold_c3[64 + 1] = "aaaaaaaceeeeiiiidnooooo-ouuuuy-saaaaaaaceeeeiiiidnooooo-ouuuuy-y";

/* Appends the slug of s: lower case, diacritics folded, apostrophes dropped,
 * other runs of non-alphanumerics as one '-', at most max bytes, cut at a '-'. */
static void sb_add_slug(sb *b, const char *s, size_t max)
{
    size_t start = b->len;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
        char c;
        if (*p < 0x80) {
            c = (char)*p++;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
        } else if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
            c = fold_c3[p[1] - 0x80];
            p += 2;
        } else if (p[0] == 0xC4 && p[1] == 0xB1) { /* dotless i */
            c = 'i';
            p += 2;
        } else {
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
            c = '-';
        }
        if (c == '\'')
            continue;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && b->len > start)
                sb_addn(b, "-", 1);
            dash = 0;
            sb_addn(b, &c, 1);
        } else {
            dash = 1;
        }
    }
    if (b->len - start > max) {
        size_t cut = start + max;
        while (cut > start && b->p[cut] != '-')
            cut--;
        b->len = cut > start ? cut : start + max;
        b->p[b->len] = '\0';
    }
}

/* ---- the pages ------------------------------------------------------------- */

typedef struct section_kind {
    const char *heading;
    int level;
    uint32_t percent; /* chance that a practice has this section */
} section_kind;

enum {
    S_AANLEIDING, S_DOELGROEP, S_AANPAK, S_ROL_SCHOOL, S_ROL_GEMEENTE, S_ROL_JEUGDHULP,
    S_OUDERS, S_FINANCIERING, S_RESULTATEN, S_LEERLINGEN, S_ANDERS, S_TIPS, S_CONTACT,
};

static const section_kind practice_sections[] = {
    [S_AANLEIDING] = {"Aanleiding", 2, 100},
    [S_DOELGROEP] = {"Doelgroep", 2, 70},
    [S_AANPAK] = {"Aanpak", 2, 100}, /* always there: the ### sections below need it */
    [S_ROL_SCHOOL] = {"Rol van de school", 3, 60},
    [S_ROL_GEMEENTE] = {"Rol van de gemeente", 3, 50},
    [S_ROL_JEUGDHULP] = {"Rol van de jeugdhulp", 3, 50},
    [S_OUDERS] = {"Samenwerking met ouders", 2, 60},
    [S_FINANCIERING] = {"Financiering", 2, 60},
    [S_RESULTATEN] = {"Resultaten", 2, 90},
    [S_LEERLINGEN] = {"Wat vonden de leerlingen?", 2, 30},
    [S_ANDERS] = {"Één ding dat we anders zouden doen", 2, 25},
    [S_TIPS] = {"Lessen en tips", 2, 80},
    [S_CONTACT] = {"Contact", 2, 70},
};

typedef struct page {
    char *title;
    char *slug; /* "p00042-startklas-voor-thuiszitters-in-heerlen" */
    char *summary;
    int region, school_type, weight;
    int models[3], model_count;
    int section_count;              /* headed sections; section 0 is the intro */
    unsigned char sections[MAX_SECTIONS];
    uint16_t rev[MAX_SECTIONS + 1]; /* edits so far, per section (0 = intro) */
    int words;                      /* the body's length aimed at */
} page;

static void make_page(page *pg, int i)
{
    rng r = rng_for((uint64_t)i, 1, 0);
    sb t = {0};
    const char *model = PICK(&r, models);
    const struct place *pl = &PICK(&r, places);
    pg->region = pl->region;
    pg->school_type = (int)rng_below(&r, COUNT(school_types));
    switch (rng_below(&r, 4)) {
    case 0:
        sb_addf(&t, "%s voor %s in %s", model, PICK(&r, groups), pl->name);
        break;
    case 1:
        sb_addf(&t, "%s in %s", model, pl->name);
        break;
    case 2:
        sb_addf(&t, "%s op %s %s in %s", model, school_types[pg->school_type],
                PICK(&r, school_names), pl->name);
        break;
    default:
        sb_addf(&t, "%s voor %s", model, PICK(&r, groups));
        pg->region = (int)rng_below(&r, COUNT(regions));
        break;
    }
    pg->title = xstrdup(t.p);

    sb_clear(&t);
    sb_addf(&t, "p%05d-", i + 1);
    sb_add_slug(&t, pg->title, SLUG_MAX);
    pg->slug = xstrdup(t.p);

    sb_clear(&t);
    const char *s1 = PICK(&r, subjects), *s2;
    do
        s2 = PICK(&r, subjects);
    while (s2 == s1);
    const np *o = &PICK(&r, objects);
    sb_add(&t, "Hoe ");
    const char *v = PICK(&r, verbs).plural;
    sb_addf(&t, "%s en %s samen %s %s %s voor %s.", s1, s2, o->article, o->noun, v,
            PICK(&r, groups));
    pg->summary = xstrdup(t.p);
    free(t.p);

    pg->models[0] = 0;
    for (size_t m = 0; m < COUNT(models); m++)
        if (models[m] == model)
            pg->models[0] = (int)m;
    pg->model_count = 1 + (int)rng_below(&r, 3);
    for (int m = 1; m < pg->model_count; m++) {
        int pick, dup;
        do {
            pick = (int)rng_below(&r, COUNT(models));
            dup = 0;
            for (int k = 0; k < m; k++)
                dup |= pg->models[k] == pick;
        } while (dup);
        pg->models[m] = pick;
    }
    pg->weight = 1 + (int)rng_below(&r, 100);

    pg->section_count = 0;
    for (size_t s = 0; s < COUNT(practice_sections); s++)
        if (rng_chance(&r, practice_sections[s].percent))
            pg->sections[pg->section_count++] = (unsigned char)s;
    memset(pg->rev, 0, sizeof pg->rev);
    pg->words = 360 + (int)rng_below(&r, 481); /* about 400-900 words in the end */
}

/* Where links point: in the handbook repository they are repository paths
 * relative to the file; in the Hugo copy they are Hugo content paths. */
typedef struct ctx {
    const page *pages;
    int hugo;
} ctx;

/* ---- text ------------------------------------------------------------------ */

/* An object phrase, sometimes with an adjective, sometimes emphasised. */
static void add_object(sb *b, rng *r)
{
    const np *o = &PICK(r, objects);
    uint32_t e = rng_below(r, 100);
    const char *mark = e < 5 ? "*" : e < 8 ? "**" : "";
    if (rng_chance(r, 30))
        sb_addf(b, "%s%s %s %s%s", mark, o->article, PICK(r, adjectives), o->noun, mark);
    else
        sb_addf(b, "%s%s %s%s", mark, o->article, o->noun, mark);
}

/* One sentence, followed by a space. */
static void add_sentence(sb *b, rng *r)
{
    const char *subj = PICK(r, subjects);
    const verb *v = &PICK(r, verbs);
    switch (rng_below(r, 10)) {
    case 0:
    case 1:
        sb_add_cap(b, subj);
        sb_addf(b, " %s ", v->third);
        add_object(b, r);
        sb_addf(b, " %s. ", PICK(r, adverbials));
        break;
    case 2:
    case 3:
        sb_addf(b, "%s %s %s ", PICK(r, connectors), v->third, subj);
        add_object(b, r);
        sb_addf(b, " %s. ", PICK(r, adverbials));
        break;
    case 4:
    case 5:
        sb_addf(b, "%s %s ", PICK(r, subordinators), subj);
        add_object(b, r);
        sb_addf(b, " %s %s. ", PICK(r, adverbials), v->third);
        break;
    case 6: {
        const char *other;
        do
            other = PICK(r, subjects);
        while (other == subj);
        sb_add_cap(b, subj);
        sb_addf(b, " en %s %s samen ", other, v->plural);
        add_object(b, r);
        sb_addf(b, " %s. ", PICK(r, adverbials));
        break;
    }
    case 7:
        sb_addf(b, "Voor %s %s %s ", PICK(r, groups), v->third, subj);
        add_object(b, r);
        sb_addf(b, " %s. ", PICK(r, adverbials));
        break;
    case 8:
        sb_add(b, "\xe2\x80\x9c"); /* left double quotation mark */
        sb_add_cap(b, subj);
        sb_addf(b, " %s ", v->third);
        add_object(b, r);
        const char *adv = PICK(r, adverbials);
        sb_addf(b, " nu %s,\xe2\x80\x9d zegt %s. ", adv, PICK(r, speakers));
        break;
    default:
        sb_addf(b, "In %d %s %s ", 2019 + (int)rng_below(r, 6), v->third, subj);
        add_object(b, r);
        int count = 4 + (int)rng_below(r, 57);
        sb_addf(b, " voor %d %s. ", count, PICK(r, groups));
        break;
    }
}

/* A link from practice `from` to a practice added no later than it. */
static void add_practice_link(sb *b, rng *r, const ctx *c, int from)
{
    int to;
    if (rng_chance(r, 50) || from < 2) {
        to = (int)rng_below(r, (uint32_t)from);
    } else {
        uint32_t near = from < 50 ? (uint32_t)from : 50;
        to = from - 1 - (int)rng_below(r, near);
    }
    const page *t = &c->pages[to];
    switch (rng_below(r, 3)) {
    case 0:
        sb_addf(b, "Zie ook [%s](%s.md). ", t->title, t->slug);
        break;
    case 1:
        sb_addf(b, "Een vergelijkbare aanpak staat in [%s](%s.md). ", t->title, t->slug);
        break;
    default:
        sb_addf(b, "Meer over %s lees je in het voorbeeld uit %s ([zie ook](%s.md)). ",
                models[t->models[0]], regions[t->region], t->slug);
        break;
    }
}

/* A paragraph of 2-6 sentences; practice links when from >= 1. */
static void add_paragraph(sb *b, rng *r, const ctx *c, int from)
{
    int n = 2 + (int)rng_below(r, 5);
    for (int i = 0; i < n; i++)
        add_sentence(b, r);
    if (from >= 1 && rng_chance(r, 15))
        add_practice_link(b, r, c, from);
    b->len--; /* the last space */
    sb_add(b, "\n\n");
}

static void add_bullets(sb *b, rng *r)
{
    int n = 3 + (int)rng_below(r, 4);
    for (int i = 0; i < n; i++) {
        sb_add(b, "- ");
        if (rng_chance(r, 50)) {
            sb_add_cap(b, PICK(r, subjects));
            sb_addf(b, " %s ", PICK(r, verbs).third);
            add_object(b, r);
            sb_add(b, "\n");
        } else {
            const np *o;
            do /* without an article the -e only fits de-words */
                o = &PICK(r, objects);
            while (strcmp(o->article, "de") != 0);
            sb_add_cap(b, PICK(r, adjectives));
            sb_addf(b, " %s voor %s\n", o->noun, PICK(r, groups));
            if (rng_chance(r, 10))
                sb_addf(b, "  - %s\n", PICK(r, adverbials));
        }
    }
    sb_add(b, "\n");
}

static void add_steps(sb *b, rng *r)
{
    int n = 3 + (int)rng_below(r, 4);
    uint32_t first = rng_below(r, (uint32_t)COUNT(phases) - (uint32_t)n + 1);
    for (int i = 0; i < n; i++) {
        const char *who = PICK(r, subjects);
        sb_addf(b, "%d. **%s**: %s %s ", i + 1, phases[first + (uint32_t)i], who,
                PICK(r, verbs).third);
        add_object(b, r);
        sb_addf(b, " %s.\n", PICK(r, adverbials));
    }
    sb_add(b, "\n");
}

static void add_tips(sb *b, rng *r)
{
    int n = 3 + (int)rng_below(r, 4);
    uint32_t first = rng_below(r, (uint32_t)COUNT(tips));
    for (int i = 0; i < n; i++)
        sb_addf(b, "- %s.\n", tips[(first + (uint32_t)i * 5) % COUNT(tips)]);
    sb_add(b, "\n");
}

static void add_phase_table(sb *b, rng *r)
{
    sb_add(b, "| Fase | Wie | Wanneer |\n| --- | --- | --- |\n");
    int n = 3 + (int)rng_below(r, 3);
    uint32_t first = rng_below(r, (uint32_t)COUNT(phases) - (uint32_t)n + 1);
    for (int i = 0; i < n; i++) {
        const char *who = PICK(r, subjects);
        sb_addf(b, "| %s | %s | %s |\n", phases[first + (uint32_t)i], who, PICK(r, adverbials));
    }
    sb_add(b, "\n");
}

static void add_cost_table(sb *b, rng *r)
{
    sb_add(b, "| Post | Bedrag per jaar | Betaald door |\n| --- | ---: | --- |\n");
    int n = 2 + (int)rng_below(r, 4);
    uint32_t first = rng_below(r, (uint32_t)COUNT(cost_items));
    for (int i = 0; i < n; i++) {
        int thousands = 2 + (int)rng_below(r, 80);
        int rest = 50 * (int)rng_below(r, 20);
        sb_addf(b, "| %s | \xe2\x82\xac %d.%03d | %s |\n",
                cost_items[(first + (uint32_t)i) % COUNT(cost_items)], thousands, rest,
                PICK(r, payers));
    }
    sb_add(b, "\n");
}

static const char *content_link(const ctx *c, const char *name, sb *tmp)
{
    sb_clear(tmp);
    sb_addf(tmp, c->hugo ? "/%s.md" : "../content/%s.md", name);
    return tmp->p;
}

/* The body of one section of practice i, about `budget` words. */
static void add_practice_section(sb *b, const ctx *c, int i, int s, int budget)
{
    const page *pg = &c->pages[i];
    rng r = rng_for((uint64_t)i, 2 + (uint64_t)s, pg->rev[s]);
    int kind = s == 0 ? -1 : pg->sections[s - 1];
    size_t start = b->len;
    sb tmp = {0};

    switch (kind) {
    case S_AANPAK:
        add_paragraph(b, &r, c, i);
        if (rng_chance(&r, 70))
            add_steps(b, &r);
        if (rng_chance(&r, 15))
            add_phase_table(b, &r);
        break;
    case S_FINANCIERING:
        add_paragraph(b, &r, c, i);
        if (rng_chance(&r, 35))
            add_cost_table(b, &r);
        break;
    case S_TIPS:
        sb_add(b, "Wat we andere scholen en gemeenten willen meegeven:\n\n");
        add_tips(b, &r);
        break;
    case S_CONTACT: {
        const struct author *a = &PICK(&r, authors);
        sb_addf(b, "Wil je meer weten over dit voorbeeld? Neem contact op met %s via "
                   "[%s](mailto:%s).",
                a->name, a->email, a->email);
        if (rng_chance(&r, 50))
            sb_addf(b, " Zelf een voorbeeld delen? Lees [hoe je een praktijkvoorbeeld "
                       "toevoegt](%s).",
                    content_link(c, "bijdragen", &tmp));
        if (rng_chance(&r, 20))
            sb_addf(b, " Meer informatie staat op https://www.example.org/%s.", pg->slug + 7);
        sb_add(b, "\n\n");
        break;
    }
    case S_RESULTATEN:
        add_paragraph(b, &r, c, i);
        if (rng_chance(&r, 40)) {
            int before = 8 + (int)rng_below(&r, 20);
            sb_addf(b, "- Het aantal thuiszitters daalde van %d naar %d.\n", before,
                    (int)rng_below(&r, 8));
            sb_addf(b, "- %d%% van de ouders is tevreden over de samenwerking.\n",
                    60 + (int)rng_below(&r, 40));
            sb_addf(b, "- De wachttijd voor jeugdhulp is nu %d weken.\n\n",
                    1 + (int)rng_below(&r, 8));
        }
        break;
    case S_DOELGROEP:
        add_paragraph(b, &r, c, i);
        if (rng_chance(&r, 30))
            add_bullets(b, &r);
        break;
    default:
        add_paragraph(b, &r, c, i);
        if (kind >= 0 && rng_chance(&r, 15))
            add_bullets(b, &r);
        break;
    }
    while ((long)count_words(b->p + start, b->len - start) < (long)budget)
        add_paragraph(b, &r, c, i);
    free(tmp.p);
}

/* Villages, each named by a few practices only (every 50th, in turn): the
 * rare words of the search benchmark, about 5 pages each of 10,000. */
static const char *const villages[] = {
    "Epen",       "Slenaken",  "Wahlwiller", "Noorbeek",   "Ulestraten", "Schimmert",
    "Bingelrade", "Jabeek",    "Schinveld",  "Merkelbeek", "Oirsbeek",   "Amstenrade",
    "Hulsberg",   "Wijlre",    "Ingber",     "Nijswiller", "Vijlen",     "Holset",
    "Lemiers",    "Bemelen",   "Gronsveld",  "Eckelrade",  "Banholt",    "Reijmerstok",
    "Terlinden",  "Elkenrade", "Sibbe",      "Scheulder",  "Ransdaal",   "Klimmen",
    "Usquert",    "Warffum",   "Eenrum",     "Pieterburen", "Kloosterburen", "Zoutkamp",
    "Ezinge",     "Garnwerd",  "Winsum",     "Baflo",
};

/* Front matter and body of practice i, as it is after its edits so far. */
static void write_practice(sb *b, const ctx *c, int i)
{
    const page *pg = &c->pages[i];
    sb_clear(b);
    sb_addf(b, "---\ntitle: \"%s\"\nsummary: \"%s\"\nregion: %s\nschool_type: %s\nmodels:\n",
            pg->title, pg->summary, regions[pg->region], school_types[pg->school_type]);
    for (int m = 0; m < pg->model_count; m++)
        sb_addf(b, "  - %s\n", models[pg->models[m]]);
    sb_addf(b, "weight: %d\n---\n\n", pg->weight);
    /* A section ends with the paragraph that reaches its budget, half a
     * paragraph (~25 words) over it on average. */
    int budget = pg->words / (pg->section_count + 1) - 25;
    add_practice_section(b, c, i, 0, budget);
    if (i % 50 == 0)
        sb_addf(b, "Het begon op een school in %s.\n\n",
                villages[(i / 50) % (int)(sizeof villages / sizeof *villages)]);
    for (int s = 1; s <= pg->section_count; s++) {
        const section_kind *k = &practice_sections[pg->sections[s - 1]];
        sb_addf(b, "%s %s\n\n", k->level == 2 ? "##" : "###", k->heading);
        add_practice_section(b, c, i, s, budget);
    }
    b->len--; /* one newline at the end */
    b->p[b->len] = '\0';
}

/* ---- handbook pages (content/) -------------------------------------------- */

enum { C_INDEX, C_OVER, C_MODELLEN, C_WOORDENLIJST, C_BIJDRAGEN, C_COUNT };

static const struct content_page {
    const char *name, *title, *summary;
    const char *headings[6];
} content_pages[C_COUNT] = {
    [C_INDEX] = {"index", "Start",
                 "Hoe scholen, jeugdhulp en gemeenten samen ondersteuning arrangeren.",
                 {"Wat is integraal arrangeren?", "Voor wie is dit handboek?",
                  "Zo gebruik je het handboek"}},
    [C_OVER] = {"over", "Over integraal arrangeren",
                "Onderwijs en jeugdhulp onder één dak: waarom en hoe.",
                {"Onderwijs en jeugdhulp onder één dak", "Het wettelijk kader", "Rollen",
                 "Geschiedenis van het handboek"}},
    [C_MODELLEN] = {"modellen", "Modellen naast elkaar",
                    "De arrangementen die scholen en gemeenten gebruiken, vergeleken.", {NULL}},
    [C_WOORDENLIJST] = {"woordenlijst", "Woordenlijst",
                        "De begrippen van passend onderwijs en jeugdhulp in gewone taal.",
                        {NULL}},
    [C_BIJDRAGEN] = {"bijdragen", "Een praktijkvoorbeeld bijdragen",
                     "Zo voeg je een praktijkvoorbeeld toe aan het handboek.",
                     {"Wat je nodig hebt", "Het bestand", "Insturen en nakijken"}},
};

static const char *const glossary[] = {
    "Arrangement", "Ambulante begeleiding", "Basisondersteuning", "Beschikking", "Cluster 3",
    "Cluster 4", "Doelgroeparrangement", "Extra ondersteuning", "Gemeente", "Handelingsplan",
    "Intern begeleider", "Jeugdhulp", "Jeugdwet", "Knooppuntoverleg", "Leerplicht",
    "Ontwikkelingsperspectief", "Passend onderwijs", "Samenwerkingsverband",
    "Schoolondersteuningsprofiel", "Startklas", "Thuiszitter", "Toelaatbaarheidsverklaring",
    "Vindplaats", "Zorgcoördinator",
};

/* content/NAME.md; `featured` adds the practices of the last commit to the home
 * page; rev is the page's number of edits. */
static void write_content(sb *b, const ctx *c, int which, int rev, int page_count, int featured)
{
    const struct content_page *cp = &content_pages[which];
    rng r = rng_for(1000000 + (uint64_t)which, 0, (uint64_t)rev);
    sb_clear(b);
    sb_addf(b, "---\ntitle: \"%s\"\nsummary: \"%s\"\n---\n\n", cp->title, cp->summary);
    add_paragraph(b, &r, c, 0);
    const char *ext = ".md", *pre = c->hugo ? "/" : "";
    switch (which) {
    case C_INDEX:
        sb_addf(b, "Lees eerst [wat integraal arrangeren is](%sover%s), bekijk [de modellen "
                   "naast elkaar](%smodellen%s) of zoek een begrip op in [de woordenlijst]"
                   "(%swoordenlijst%s).\n\n",
                pre, ext, pre, ext, pre, ext);
        break;
    case C_MODELLEN:
        sb_add(b, "| Model | Voor wie | Betaald door | Duur |\n| --- | --- | --- | --- |\n");
        for (size_t m = 0; m < COUNT(models); m++) {
            const char *group = PICK(&r, groups);
            const char *payer = PICK(&r, payers);
            sb_addf(b, "| %s | %s | %s | %d maanden |\n", models[m], group, payer,
                    3 + (int)rng_below(&r, 22));
        }
        sb_add(b, "\n");
        for (size_t m = 0; m < COUNT(models); m++) {
            sb_addf(b, "## %s\n\n", models[m]);
            add_paragraph(b, &r, c, 0);
        }
        break;
    case C_WOORDENLIJST:
        for (size_t g = 0; g < COUNT(glossary); g++) {
            if (g == 0 || glossary[g][0] != glossary[g - 1][0])
                sb_addf(b, "## %c\n\n", glossary[g][0]);
            sb_addf(b, "**%s**\n: ", glossary[g]);
            add_sentence(b, &r);
            b->len--;
            sb_add(b, "\n\n");
        }
        break;
    case C_BIJDRAGEN:
        sb_add(b, "Een praktijkvoorbeeld is één Markdown-bestand in de map `practices/`. "
                  "Bovenaan staan de gegevens van het voorbeeld:\n\n"
                  "```yaml\n---\ntitle: \"Startklas voor jonge leerlingen in Heerlen\"\n"
                  "summary: \"Hoe de school en de gemeente samen de startklas organiseren.\"\n"
                  "region: Parkstad\nschool_type: SBO\nmodels:\n  - Startklas\nweight: 10\n"
                  "---\n```\n\n");
        break;
    default:
        break;
    }
    for (int h = 0; h < 6 && cp->headings[h] != NULL; h++) {
        sb_addf(b, "## %s\n\n", cp->headings[h]);
        int n = 1 + (int)rng_below(&r, 3);
        for (int p = 0; p < n; p++)
            add_paragraph(b, &r, c, 0);
        if (rng_chance(&r, 30))
            add_bullets(b, &r);
    }
    if (which == C_INDEX && featured && page_count > 0) {
        sb_add(b, "## Uitgelichte praktijkvoorbeelden\n\n");
        int n = page_count < 6 ? page_count : 6;
        for (int k = 0; k < n; k++) {
            const page *pg = &c->pages[page_count - 1 - k * (page_count / n)];
            sb_addf(b, "- [%s](%s%s.md)\n", pg->title,
                    c->hugo ? "/praktijkvoorbeelden/" : "../practices/", pg->slug);
        }
        sb_add(b, "\n");
    }
    b->len--;
    b->p[b->len] = '\0';
}

/* ---- layouts ----------------------------------------------------------------- */

#define LIST_INTRO                                                                          \
    "Hier vertellen scholen, jeugdhulp en gemeenten hoe zij het samen hebben aangepakt en wat " \
    "zij daarvan leerden."

static const char handbook_yaml[] =
    "title: Bench\n"
    "description: Synthetic benchmark site\n"
    "language: nl\n"
    "base_url: https://bench.example.org/\n"
    "menu:\n"
    "  - {title: Start, url: /}\n"
    "  - {title: Praktijkvoorbeelden, url: /praktijkvoorbeelden/}\n"
    "collections:\n"
    "  pages:\n"
    "    folder: content\n"
    "    url: /:slug/\n"
    "    layout: page\n"
    "  practices:\n"
    "    folder: practices\n"
    "    url: /praktijkvoorbeelden/:slug/\n"
    "    layout: practice\n"
    "    list: {url: /praktijkvoorbeelden/, layout: list, title: Praktijkvoorbeelden,\n"
    "           intro: \"" LIST_INTRO "\"}\n";

/* The handbook's layouts (shaped like the real handbook's layouts/) and Hugo's
 * below do the same work, element for element: head with title, description,
 * canonical link and Open Graph tags, header, menu with the current entry
 * marked, breadcrumbs, a facts box with fallbacks, a table of contents of the
 * level-2 headings, the body, a footer naming the page's file, a list of every
 * practice with its facts, and a 404 page. */

static const char mu_base[] =
    "<!doctype html>\n"
    "<html lang=\"{{site.language}}\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>{{$title}}{{#page.is_home}}{{site.title}}{{/page.is_home}}{{^page.is_home}}{{page.title}} · {{site.title}}{{/page.is_home}}{{/title}}</title>\n"
    "<meta name=\"description\" content=\"{{$description}}{{#page.summary}}{{.}}{{/page.summary}}{{^page.summary}}{{site.description}}{{/page.summary}}{{/description}}\">\n"
    "<link rel=\"stylesheet\" href=\"{{site.base_path}}assets/style.css\">\n"
    "{{#page.permalink}}\n"
    "<link rel=\"canonical\" href=\"{{page.permalink}}\">\n"
    "<meta property=\"og:type\" content=\"article\">\n"
    "<meta property=\"og:title\" content=\"{{page.title}}\">\n"
    "<meta property=\"og:url\" content=\"{{page.permalink}}\">\n"
    "<meta property=\"og:site_name\" content=\"{{site.title}}\">\n"
    "{{/page.permalink}}\n"
    "</head>\n"
    "<body>\n"
    "<a class=\"skip-link\" href=\"#inhoud\">Naar de inhoud</a>\n"
    "{{>partials/header}}\n"
    "<main id=\"inhoud\" tabindex=\"-1\">\n"
    "{{$content}}\n"
    "{{/content}}\n"
    "</main>\n"
    "{{>partials/footer}}\n"
    "</body>\n"
    "</html>\n";

static const char mu_header[] =
    "<header class=\"site-header\">\n"
    "<div class=\"wrap\">\n"
    "<p class=\"site-title\"><a href=\"{{site.base_path}}\">{{site.title}}</a></p>\n"
    "<p class=\"tagline\">{{site.description}}</p>\n"
    "{{>partials/nav}}\n"
    "</div>\n"
    "</header>\n";

static const char mu_nav[] =
    "<nav class=\"site-nav\" aria-label=\"Hoofdmenu\">\n"
    "<ul>\n"
    "{{#site.menu}}\n"
    "<li><a href=\"{{url}}\"{{#current}} aria-current=\"page\"{{/current}}>{{title}}</a></li>\n"
    "{{/site.menu}}\n"
    "</ul>\n"
    "</nav>\n";

static const char mu_footer[] =
    "<footer class=\"site-footer\">\n"
    "<div class=\"wrap\">\n"
    "<p><strong>{{site.title}}</strong></p>\n"
    "{{#site.description}}\n"
    "<p>{{site.description}}</p>\n"
    "{{/site.description}}\n"
    "{{#page.file}}\n"
    "<p class=\"source\">Bron van deze pagina: <code>{{page.file}}</code></p>\n"
    "{{/page.file}}\n"
    "<p>Dit handboek wordt geschreven door een community of practice van scholen, jeugdhulp en gemeenten. Iedereen uit de praktijk kan een voorbeeld toevoegen: lees <a href=\"{{site.base_path}}bijdragen/\">hoe je bijdraagt</a>.</p>\n"
    "<p><a href=\"#inhoud\">Terug naar boven</a></p>\n"
    "</div>\n"
    "</footer>\n";

static const char mu_page[] =
    "{{<base}}\n"
    "{{$content}}\n"
    "<article class=\"page{{#page.is_home}} page-home{{/page.is_home}}\">\n"
    "<header class=\"page-header\">\n"
    "<h1>{{page.title}}</h1>\n"
    "{{#page.summary}}\n"
    "<p class=\"lead\">{{.}}</p>\n"
    "{{/page.summary}}\n"
    "</header>\n"
    "{{#page.has_toc}}\n"
    "<nav class=\"toc\" aria-labelledby=\"toc_title\">\n"
    "<h2 id=\"toc_title\">Op deze pagina</h2>\n"
    "<ol>\n"
    "{{#page.toc}}\n"
    "<li><a href=\"#{{id}}\">{{text}}</a></li>\n"
    "{{/page.toc}}\n"
    "</ol>\n"
    "</nav>\n"
    "{{/page.has_toc}}\n"
    "<div class=\"prose\">\n"
    "{{{page.content}}}\n"
    "</div>\n"
    "</article>\n"
    "{{/content}}\n"
    "{{/base}}\n";

static const char mu_practice[] =
    "{{<base}}\n"
    "{{$content}}\n"
    "<nav class=\"breadcrumbs\" aria-label=\"Kruimelpad\">\n"
    "<a href=\"{{site.base_path}}\">Start</a> ›\n"
    "<a href=\"{{site.base_path}}praktijkvoorbeelden/\">Praktijkvoorbeelden</a> ›\n"
    "<span aria-current=\"page\">{{page.title}}</span>\n"
    "</nav>\n"
    "<article class=\"page practice\">\n"
    "<header class=\"page-header\">\n"
    "<p class=\"kicker\">Praktijkvoorbeeld</p>\n"
    "<h1>{{page.title}}</h1>\n"
    "{{#page.summary}}\n"
    "<p class=\"lead\">{{.}}</p>\n"
    "{{/page.summary}}\n"
    "{{#page.last_changed}}\n"
    "<p class=\"changed\">Laatst gewijzigd op <time datetime=\"{{iso}}\">{{text}}</time>"
    " door{{#page.contributors}} {{.}}{{/page.contributors}}</p>\n"
    "{{/page.last_changed}}\n"
    "</header>\n"
    "<section class=\"facts\" aria-labelledby=\"facts_title\">\n"
    "<h2 id=\"facts_title\">In het kort</h2>\n"
    "<dl>\n"
    "<div>\n"
    "<dt>Regio</dt>\n"
    "{{#page.region}}\n"
    "<dd>{{.}}</dd>\n"
    "{{/page.region}}\n"
    "{{^page.region}}\n"
    "<dd>niet vermeld</dd>\n"
    "{{/page.region}}\n"
    "</div>\n"
    "<div>\n"
    "<dt>Soort school</dt>\n"
    "{{#page.school_type}}\n"
    "<dd>{{.}}</dd>\n"
    "{{/page.school_type}}\n"
    "{{^page.school_type}}\n"
    "<dd>niet vermeld</dd>\n"
    "{{/page.school_type}}\n"
    "</div>\n"
    "<div>\n"
    "<dt>Model</dt>\n"
    "{{#page.models}}\n"
    "<dd>{{.}}</dd>\n"
    "{{/page.models}}\n"
    "{{^page.models}}\n"
    "<dd>niet vermeld</dd>\n"
    "{{/page.models}}\n"
    "</div>\n"
    "</dl>\n"
    "</section>\n"
    "{{#page.has_toc}}\n"
    "<nav class=\"toc\" aria-labelledby=\"toc_title\">\n"
    "<h2 id=\"toc_title\">Op deze pagina</h2>\n"
    "<ol>\n"
    "{{#page.toc}}\n"
    "<li><a href=\"#{{id}}\">{{text}}</a></li>\n"
    "{{/page.toc}}\n"
    "</ol>\n"
    "</nav>\n"
    "{{/page.has_toc}}\n"
    "<div class=\"prose\">\n"
    "{{{page.content}}}\n"
    "</div>\n"
    "</article>\n"
    "{{/content}}\n"
    "{{/base}}\n";

static const char mu_list[] =
    "{{<base}}\n"
    "{{$content}}\n"
    "<header class=\"page-header\">\n"
    "<h1>{{page.title}}</h1>\n"
    "{{#page.intro}}\n"
    "<p class=\"lead\">{{.}}</p>\n"
    "{{/page.intro}}\n"
    "</header>\n"
    "<ul class=\"cards\">\n"
    "{{#page.pages}}\n"
    "<li class=\"card\">\n"
    "<h2 class=\"card-title\"><a href=\"{{url}}\">{{title}}</a></h2>\n"
    "{{#summary}}\n"
    "<p>{{.}}</p>\n"
    "{{/summary}}\n"
    "<p class=\"meta\">{{region}} · {{school_type}}{{#models}} · <span>{{.}}</span>{{/models}}</p>\n"
    "</li>\n"
    "{{/page.pages}}\n"
    "</ul>\n"
    "{{^page.pages}}\n"
    "<p>Hier staan nog geen pagina's. Ze komen er binnenkort bij.</p>\n"
    "{{/page.pages}}\n"
    "{{/content}}\n"
    "{{/base}}\n";

static const char mu_notfound[] =
    "{{<base}}\n"
    "{{$title}}Pagina niet gevonden · {{site.title}}{{/title}}\n"
    "{{$description}}Deze pagina bestaat niet (meer).{{/description}}\n"
    "{{$content}}\n"
    "<article class=\"page\">\n"
    "<header class=\"page-header\">\n"
    "<h1>Pagina niet gevonden</h1>\n"
    "<p class=\"lead\">Deze pagina bestaat niet (meer). Misschien is ze verhuisd, of zit er een typfout in het adres.</p>\n"
    "</header>\n"
    "<div class=\"prose\">\n"
    "<p><a href=\"{{site.base_path}}\">Naar de startpagina van het handboek</a></p>\n"
    "<h2>Of kies een onderdeel</h2>\n"
    "<ul>\n"
    "{{#site.menu}}\n"
    "<li><a href=\"{{url}}\">{{title}}</a></li>\n"
    "{{/site.menu}}\n"
    "</ul>\n"
    "</div>\n"
    "</article>\n"
    "{{/content}}\n"
    "{{/base}}\n";

static const char style_css[] =
    "/* Bench: the stylesheet of the synthetic handbook. */\n"
    ":root {\n"
    "  --ink: #1b1b1f;\n"
    "  --muted: #5a5a66;\n"
    "  --accent: #00607a;\n"
    "  --accent-soft: #e3f1f5;\n"
    "  --line: #d6d6de;\n"
    "  --paper: #ffffff;\n"
    "  --measure: 42rem;\n"
    "  font-family: system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif;\n"
    "  line-height: 1.6;\n"
    "  color: var(--ink);\n"
    "  background: var(--paper);\n"
    "}\n"
    "*, *::before, *::after { box-sizing: border-box; }\n"
    "body { margin: 0; }\n"
    "a { color: var(--accent); text-underline-offset: 0.15em; }\n"
    "a:hover { text-decoration-thickness: 2px; }\n"
    ":focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }\n"
    ".skip-link { position: absolute; left: -999px; top: 0; background: var(--ink); color: #fff; padding: 0.5rem 1rem; }\n"
    ".skip-link:focus { left: 0.5rem; }\n"
    ".site-header { border-bottom: 4px solid var(--accent); background: var(--accent-soft); }\n"
    ".site-header__inner, .site-footer__inner, .layout { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem; }\n"
    ".brand { font-weight: 700; font-size: 1.4rem; text-decoration: none; color: var(--ink); }\n"
    ".tagline { margin: 0.25rem 0 0.75rem; color: var(--muted); }\n"
    ".site-nav ul { display: flex; flex-wrap: wrap; gap: 1.25rem; list-style: none; margin: 0; padding: 0; }\n"
    ".site-nav a { text-decoration: none; font-weight: 600; }\n"
    ".site-nav a[aria-current=\"page\"] { border-bottom: 3px solid var(--accent); }\n"
    ".layout { display: block; }\n"
    "main { max-width: var(--measure); }\n"
    "h1 { font-size: 2.1rem; line-height: 1.2; margin: 1.5rem 0 0.75rem; }\n"
    "h2 { font-size: 1.45rem; margin: 2rem 0 0.5rem; }\n"
    "h3 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }\n"
    ".lead { font-size: 1.15rem; color: var(--muted); }\n"
    ".breadcrumbs { font-size: 0.9rem; color: var(--muted); margin-top: 1rem; }\n"
    ".facts { border: 1px solid var(--line); border-left: 4px solid var(--accent); padding: 0.75rem 1rem; margin: 1.5rem 0; background: #fafafc; }\n"
    ".facts dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }\n"
    ".facts dt { font-weight: 600; }\n"
    ".facts dd { margin: 0; }\n"
    ".tags { display: flex; flex-wrap: wrap; gap: 0.4rem; list-style: none; margin: 0; padding: 0; }\n"
    ".tags li { background: var(--accent-soft); border-radius: 999px; padding: 0 0.6rem; font-size: 0.9rem; }\n"
    ".toc { border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); margin: 1.5rem 0; padding: 0.5rem 0; }\n"
    ".toc h2 { font-size: 1rem; margin: 0.5rem 0; }\n"
    ".toc ul { margin: 0; padding-left: 1.25rem; }\n"
    ".toc .toc-3 { margin-left: 1rem; }\n"
    ".prose table { border-collapse: collapse; width: 100%; margin: 1rem 0; }\n"
    ".prose th, .prose td { border: 1px solid var(--line); padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }\n"
    ".prose th { background: var(--accent-soft); }\n"
    ".prose code { font-size: 0.9em; background: #f2f2f5; padding: 0.1em 0.3em; border-radius: 3px; }\n"
    ".prose pre { overflow-x: auto; background: #f2f2f5; padding: 0.75rem 1rem; }\n"
    ".prose blockquote { border-left: 4px solid var(--line); margin: 1rem 0; padding: 0 1rem; color: var(--muted); }\n"
    ".cards { list-style: none; padding: 0; display: grid; gap: 1rem; }\n"
    ".card { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem 1rem; }\n"
    ".card h2 { font-size: 1.15rem; margin: 0 0 0.25rem; }\n"
    ".card p { margin: 0.25rem 0; }\n"
    ".meta { font-size: 0.9rem; color: var(--muted); }\n"
    ".site-footer { margin-top: 3rem; border-top: 1px solid var(--line); background: #f6f6f8; font-size: 0.95rem; }\n"
    ".source code { font-size: 0.85rem; }\n"
    "@media (min-width: 60rem) {\n"
    "  .practice { display: grid; grid-template-columns: minmax(0, 1fr); }\n"
    "  h1 { font-size: 2.4rem; }\n"
    "}\n"
    "@media print {\n"
    "  .site-header, .site-footer, .toc, .skip-link, .breadcrumbs { display: none; }\n"
    "  a { color: inherit; }\n"
    "}\n";

static const char hugo_toml[] =
    "# The Hugo twin of the synthetic handbook: the same pages, the same work.\n"
    "baseURL = \"https://bench.example.org/\"\n"
    "languageCode = \"nl\"\n"
    "defaultContentLanguage = \"nl\"\n"
    "title = \"Bench\"\n"
    "# handbook writes the pages, a 404 page, sitemap.xml and robots.txt, and no\n"
    "# taxonomies or feeds: Hugo does the same.\n"
    "disableKinds = [\"taxonomy\", \"term\", \"RSS\"]\n"
    "enableRobotsTXT = true\n"
    "enableGitInfo = false\n"
    "enableEmoji = false\n"
    "disableHugoGeneratorInject = true\n"
    "\n"
    "[params]\n"
    "  description = \"Synthetic benchmark site\"\n"
    "\n"
    "[[menu.main]]\n"
    "  name = \"Start\"\n"
    "  url = \"/\"\n"
    "  weight = 1\n"
    "[[menu.main]]\n"
    "  name = \"Praktijkvoorbeelden\"\n"
    "  url = \"/praktijkvoorbeelden/\"\n"
    "  weight = 2\n"
    "\n"
    "# The Markdown handbook renders: GitHub-flavoured (tables, autolinks,\n"
    "# strikethrough, task lists), raw HTML left out, ids on headings; the table of\n"
    "# contents lists the level-2 headings (page.toc).\n"
    "[markup]\n"
    "  defaultMarkdownHandler = \"goldmark\"\n"
    "  [markup.goldmark.renderer]\n"
    "    unsafe = false\n"
    "  [markup.goldmark.extensions]\n"
    "    definitionList = false\n"
    "    footnote = false\n"
    "    linkify = true\n"
    "    strikethrough = true\n"
    "    table = true\n"
    "    taskList = true\n"
    "    typographer = false\n"
    "  [markup.goldmark.parser]\n"
    "    autoHeadingID = true\n"
    "    autoHeadingIDType = \"github\"\n"
    "  [markup.tableOfContents]\n"
    "    startLevel = 2\n"
    "    endLevel = 2\n"
    "    ordered = true\n";

static const char hu_baseof[] =
    "<!doctype html>\n"
    "<html lang=\"{{ site.LanguageCode }}\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>{{ block \"title\" . }}{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} · {{ site.Title }}{{ end }}{{ end }}</title>\n"
    "<meta name=\"description\" content=\"{{ block \"description\" . }}{{ with .Params.summary }}{{ . }}{{ else }}{{ site.Params.description }}{{ end }}{{ end }}\">\n"
    "<link rel=\"stylesheet\" href=\"{{ \"assets/style.css\" | relURL }}\">\n"
    "<link rel=\"canonical\" href=\"{{ .Permalink }}\">\n"
    "<meta property=\"og:type\" content=\"article\">\n"
    "<meta property=\"og:title\" content=\"{{ .Title }}\">\n"
    "<meta property=\"og:url\" content=\"{{ .Permalink }}\">\n"
    "<meta property=\"og:site_name\" content=\"{{ site.Title }}\">\n"
    "</head>\n"
    "<body>\n"
    "<a class=\"skip-link\" href=\"#inhoud\">Naar de inhoud</a>\n"
    "{{ partial \"header.html\" . }}\n"
    "<main id=\"inhoud\" tabindex=\"-1\">\n"
    "{{ block \"main\" . }}{{ end }}\n"
    "</main>\n"
    "{{ partial \"footer.html\" . }}\n"
    "</body>\n"
    "</html>\n";

static const char hu_header[] =
    "<header class=\"site-header\">\n"
    "<div class=\"wrap\">\n"
    "<p class=\"site-title\"><a href=\"{{ \"/\" | relURL }}\">{{ site.Title }}</a></p>\n"
    "<p class=\"tagline\">{{ site.Params.description }}</p>\n"
    "{{ partial \"nav.html\" . }}\n"
    "</div>\n"
    "</header>\n";

static const char hu_nav[] =
    "{{- $here := .RelPermalink -}}\n"
    "<nav class=\"site-nav\" aria-label=\"Hoofdmenu\">\n"
    "<ul>\n"
    "{{- range site.Menus.main }}\n"
    "<li><a href=\"{{ .URL | relURL }}\"{{ if or (eq .URL $here) (and (ne .URL \"/\") (hasPrefix $here .URL)) }} aria-current=\"page\"{{ end }}>{{ .Name }}</a></li>\n"
    "{{- end }}\n"
    "</ul>\n"
    "</nav>\n";

static const char hu_footer[] =
    "<footer class=\"site-footer\">\n"
    "<div class=\"wrap\">\n"
    "<p><strong>{{ site.Title }}</strong></p>\n"
    "{{ with site.Params.description }}\n"
    "<p>{{ . }}</p>\n"
    "{{ end }}\n"
    "{{ with .File }}\n"
    "<p class=\"source\">Bron van deze pagina: <code>{{ .Path }}</code></p>\n"
    "{{ end }}\n"
    "<p>Dit handboek wordt geschreven door een community of practice van scholen, jeugdhulp en gemeenten. Iedereen uit de praktijk kan een voorbeeld toevoegen: lees <a href=\"{{ \"bijdragen/\" | relURL }}\">hoe je bijdraagt</a>.</p>\n"
    "<p><a href=\"#inhoud\">Terug naar boven</a></p>\n"
    "</div>\n"
    "</footer>\n";

static const char hu_single[] =
    "{{ define \"main\" }}\n"
    "<article class=\"page{{ if .IsHome }} page-home{{ end }}\">\n"
    "<header class=\"page-header\">\n"
    "<h1>{{ .Title }}</h1>\n"
    "{{ with .Params.summary }}\n"
    "<p class=\"lead\">{{ . }}</p>\n"
    "{{ end }}\n"
    "</header>\n"
    "{{ with .TableOfContents }}\n"
    "<nav class=\"toc\" aria-labelledby=\"toc_title\">\n"
    "<h2 id=\"toc_title\">Op deze pagina</h2>\n"
    "{{ . }}\n"
    "</nav>\n"
    "{{ end }}\n"
    "<div class=\"prose\">\n"
    "{{ .Content }}\n"
    "</div>\n"
    "</article>\n"
    "{{ end }}\n";

static const char hu_practice[] =
    "{{ define \"main\" }}\n"
    "<nav class=\"breadcrumbs\" aria-label=\"Kruimelpad\">\n"
    "<a href=\"{{ \"/\" | relURL }}\">Start</a> ›\n"
    "<a href=\"{{ \"praktijkvoorbeelden/\" | relURL }}\">Praktijkvoorbeelden</a> ›\n"
    "<span aria-current=\"page\">{{ .Title }}</span>\n"
    "</nav>\n"
    "<article class=\"page practice\">\n"
    "<header class=\"page-header\">\n"
    "<p class=\"kicker\">Praktijkvoorbeeld</p>\n"
    "<h1>{{ .Title }}</h1>\n"
    "{{ with .Params.summary }}\n"
    "<p class=\"lead\">{{ . }}</p>\n"
    "{{ end }}\n"
    "{{ with .GitInfo }}\n"
    "<p class=\"changed\">Laatst gewijzigd op <time datetime=\"{{ .AuthorDate.Format \"2006-01-02\" }}\">"
    "{{ .AuthorDate.Format \"2 January 2006\" }}</time> door {{ .AuthorName }}</p>\n"
    "{{ end }}\n"
    "</header>\n"
    "<section class=\"facts\" aria-labelledby=\"facts_title\">\n"
    "<h2 id=\"facts_title\">In het kort</h2>\n"
    "<dl>\n"
    "<div>\n"
    "<dt>Regio</dt>\n"
    "{{ with .Params.region }}\n"
    "<dd>{{ . }}</dd>\n"
    "{{ else }}\n"
    "<dd>niet vermeld</dd>\n"
    "{{ end }}\n"
    "</div>\n"
    "<div>\n"
    "<dt>Soort school</dt>\n"
    "{{ with .Params.school_type }}\n"
    "<dd>{{ . }}</dd>\n"
    "{{ else }}\n"
    "<dd>niet vermeld</dd>\n"
    "{{ end }}\n"
    "</div>\n"
    "<div>\n"
    "<dt>Model</dt>\n"
    "{{ range .Params.models }}\n"
    "<dd>{{ . }}</dd>\n"
    "{{ else }}\n"
    "<dd>niet vermeld</dd>\n"
    "{{ end }}\n"
    "</div>\n"
    "</dl>\n"
    "</section>\n"
    "{{ with .TableOfContents }}\n"
    "<nav class=\"toc\" aria-labelledby=\"toc_title\">\n"
    "<h2 id=\"toc_title\">Op deze pagina</h2>\n"
    "{{ . }}\n"
    "</nav>\n"
    "{{ end }}\n"
    "<div class=\"prose\">\n"
    "{{ .Content }}\n"
    "</div>\n"
    "</article>\n"
    "{{ end }}\n";

static const char hu_list[] =
    "{{ define \"main\" }}\n"
    "<header class=\"page-header\">\n"
    "<h1>{{ .Title }}</h1>\n"
    "{{ with .Params.intro }}\n"
    "<p class=\"lead\">{{ . }}</p>\n"
    "{{ end }}\n"
    "</header>\n"
    "<ul class=\"cards\">\n"
    "{{ range .Pages }}\n"
    "<li class=\"card\">\n"
    "<h2 class=\"card-title\"><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></h2>\n"
    "{{ with .Params.summary }}\n"
    "<p>{{ . }}</p>\n"
    "{{ end }}\n"
    "<p class=\"meta\">{{ .Params.region }} · {{ .Params.school_type }}{{ range .Params.models }} · <span>{{ . }}</span>{{ end }}</p>\n"
    "</li>\n"
    "{{ end }}\n"
    "</ul>\n"
    "{{ if not .Pages }}\n"
    "<p>Hier staan nog geen pagina's. Ze komen er binnenkort bij.</p>\n"
    "{{ end }}\n"
    "{{ end }}\n";

static const char hu_notfound[] =
    "{{ define \"title\" }}Pagina niet gevonden · {{ site.Title }}{{ end }}\n"
    "{{ define \"description\" }}Deze pagina bestaat niet (meer).{{ end }}\n"
    "{{ define \"main\" }}\n"
    "<article class=\"page\">\n"
    "<header class=\"page-header\">\n"
    "<h1>Pagina niet gevonden</h1>\n"
    "<p class=\"lead\">Deze pagina bestaat niet (meer). Misschien is ze verhuisd, of zit er een typfout in het adres.</p>\n"
    "</header>\n"
    "<div class=\"prose\">\n"
    "<p><a href=\"{{ \"/\" | relURL }}\">Naar de startpagina van het handboek</a></p>\n"
    "<h2>Of kies een onderdeel</h2>\n"
    "<ul>\n"
    "{{ range site.Menus.main }}\n"
    "<li><a href=\"{{ .URL | relURL }}\">{{ .Name }}</a></li>\n"
    "{{ end }}\n"
    "</ul>\n"
    "</div>\n"
    "</article>\n"
    "{{ end }}\n";

/* handbook turns links written as repository paths into page URLs and reports
 * a link to a missing page as an error; this hook does the same in Hugo. */
static const char hu_render_link[] =
    "{{- $dest := .Destination -}}\n"
    "{{- $u := urls.Parse $dest -}}\n"
    "{{- if and (not $u.Scheme) (strings.HasSuffix $u.Path \".md\") -}}\n"
    "  {{- with $.Page.GetPage $u.Path -}}\n"
    "    {{- $dest = .RelPermalink -}}\n"
    "    {{- with $u.Fragment }}{{ $dest = printf \"%s#%s\" $dest . }}{{ end -}}\n"
    "  {{- else -}}\n"
    "    {{- errorf \"%s: link to %q: no such page\" $.Page.File.Path $u.Path -}}\n"
    "  {{- end -}}\n"
    "{{- end -}}\n"
    "<a href=\"{{ $dest }}\"{{ with .Title }} title=\"{{ . }}\"{{ end }}>{{ .Text | safeHTML }}</a>\n"
    "{{- /* no newline after the link */ -}}\n";

/* ---- files and processes -------------------------------------------------------- */

static void run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "gen_repo: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("%s %s failed", argv[0], argv[1]);
}

/* Starts argv with a pipe to its standard input. */
static FILE *start_writer(char *const argv[], pid_t *pid)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe: %s", strerror(errno));
    *pid = fork();
    if (*pid < 0)
        die("fork: %s", strerror(errno));
    if (*pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "gen_repo: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[0]);
    FILE *f = fdopen(fds[1], "wb");
    if (f == NULL)
        die("fdopen: %s", strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

/* ---- history ----------------------------------------------------------------- */

typedef struct history {
    FILE *out;
    FILE *twin; /* the Hugo twin's fast-import: the same commits, its own files */
    int mark;
    long long when;
    size_t bytes; /* file data written */
} history;

static void begin_commit(history *h, rng *r, const char *message)
{
    const struct author *a = &PICK(r, authors);
    h->mark++;
    h->when += 1800 + rng_below(r, 64800); /* half an hour to 18.5 hours later */
    FILE *outs[2] = {h->out, h->twin};
    for (int i = 0; i < 2; i++) {
        fprintf(outs[i], "commit refs/heads/main\nmark :%d\n", h->mark);
        fprintf(outs[i], "author %s <%s> %lld +0100\n", a->name, a->email, h->when);
        fprintf(outs[i], "committer %s <%s> %lld +0100\n", a->name, a->email, h->when);
        fprintf(outs[i], "data %zu\n%s\n", strlen(message), message);
        if (h->mark > 1)
            fprintf(outs[i], "from :%d\n", h->mark - 1);
    }
}

static void add_to(FILE *out, const char *path, const char *data, size_t len)
{
    fprintf(out, "M 100644 inline %s\ndata %zu\n", path, len);
    fwrite(data, 1, len, out);
    fputc('\n', out);
}

/* A file whose contents are fixed (settings, layouts). */
typedef struct fixed_file {
    const char *path, *data;
    size_t len;
} fixed_file;

static void add_file(history *h, const char *path, const char *data, size_t len)
{
    add_to(h->out, path, data, len);
    h->bytes += len;
}

/* The practice in both repositories, each in its own format and place. */
static void add_practice_file(history *h, const ctx *c, const ctx *twin, int i, sb *buf)
{
    char path[128];
    snprintf(path, sizeof path, "practices/%s.md", c->pages[i].slug);
    write_practice(buf, c, i);
    add_file(h, path, buf->p, buf->len);
    snprintf(path, sizeof path, "content/praktijkvoorbeelden/%s.md", c->pages[i].slug);
    write_practice(buf, twin, i);
    add_to(h->twin, path, buf->p, buf->len);
}

static void add_content_file(history *h, const ctx *c, const ctx *twin, int which, int rev,
                             int page_count, int featured, sb *buf)
{
    char path[128];
    snprintf(path, sizeof path, "content/%s.md", content_pages[which].name);
    write_content(buf, c, which, rev, page_count, featured);
    add_file(h, path, buf->p, buf->len);
    snprintf(path, sizeof path, "content/%s.md",
             which == C_INDEX ? "_index" : content_pages[which].name);
    write_content(buf, twin, which, rev, page_count, featured);
    add_to(h->twin, path, buf->p, buf->len);
}

static long parse_count(const char *s, const char *what, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
        die("%s must be a number from %ld to %ld, not '%s'", what, min, max, s);
    return v;
}

/* The Hugo twin's list page: its title and intro, as handbook.yaml gives them. */
static const char list_index[] =
    "---\ntitle: \"Praktijkvoorbeelden\"\nintro: \"" LIST_INTRO "\"\n---\n";

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4 || argv[1][0] == '\0' || argv[1][0] == '-') {
        fprintf(stderr, "usage: gen_repo OUTDIR [PAGES] [COMMITS]   (defaults 10000 3000)\n"
                        "writes a git repository at OUTDIR and a Hugo site at OUTDIR-hugo\n");
        return 64;
    }
    char *outdir = xstrdup(argv[1]);
    for (size_t n = strlen(outdir); n > 1 && outdir[n - 1] == '/'; n--)
        outdir[n - 1] = '\0';
    int page_count = argc > 2 ? (int)parse_count(argv[2], "PAGES", 1, MAX_PAGES) : 10000;
    int commit_count = argc > 3 ? (int)parse_count(argv[3], "COMMITS", 3, 1000000) : 3000;
    sb hugodir = {0};
    sb_addf(&hugodir, "%s-hugo", outdir);
    struct stat st;
    if (stat(outdir, &st) == 0 || stat(hugodir.p, &st) == 0)
        die("%s or %s exists already; remove it first", outdir, hugodir.p);

    page *pages = calloc((size_t)page_count, sizeof *pages);
    if (pages == NULL)
        die("out of memory");
    for (int i = 0; i < page_count; i++)
        make_page(&pages[i], i);
    ctx repo = {pages, 0}, hugo = {pages, 1};

    /* How many practices each middle commit adds: 45% add none (they only
     * edit), the others 1-12, and one in a hundred is a bulk import of 50-200. */
    int middle = commit_count - 2;
    rng hr = rng_for(0x686973746f7279ULL, 0, 0);
    uint32_t *w = calloc((size_t)middle, sizeof *w);
    if (w == NULL)
        die("out of memory");
    uint64_t total = 0;
    for (int k = 0; k < middle; k++) {
        uint32_t x = rng_below(&hr, 100);
        w[k] = x < 45 ? 0 : x < 99 ? 1 + rng_below(&hr, 12) : 50 + rng_below(&hr, 151);
        total += w[k];
    }
    if (total == 0) {
        w[middle - 1] = 1;
        total = 1;
    }

    char *init_argv[] = {"git", "init", "-q", "--initial-branch=main", outdir, NULL};
    run(init_argv);
    char *twin_init_argv[] = {"git", "init", "-q", "--initial-branch=main", hugodir.p, NULL};
    run(twin_init_argv);
    pid_t fi_pid, twin_pid;
    char *fi_argv[] = {"git", "-C", outdir, "fast-import", "--quiet", "--done", NULL};
    char *twin_argv[] = {"git", "-C", hugodir.p, "fast-import", "--quiet", "--done", NULL};
    history h = {start_writer(fi_argv, &fi_pid), start_writer(twin_argv, &twin_pid), 0,
                 START_TIME - 3600, 0};
    sb buf = {0}, msg = {0};
    int content_rev[C_COUNT] = {0};

    /* 1: settings, layouts, the handbook's own pages. */
    begin_commit(&h, &hr, "Begin het handboek: instellingen, layouts en eerste pagina's\n");
    static const fixed_file files[] = {
        {"handbook.yaml", handbook_yaml, sizeof handbook_yaml - 1},
        {"layouts/base.mustache", mu_base, sizeof mu_base - 1},
        {"layouts/partials/header.mustache", mu_header, sizeof mu_header - 1},
        {"layouts/partials/nav.mustache", mu_nav, sizeof mu_nav - 1},
        {"layouts/partials/footer.mustache", mu_footer, sizeof mu_footer - 1},
        {"layouts/page.mustache", mu_page, sizeof mu_page - 1},
        {"layouts/practice.mustache", mu_practice, sizeof mu_practice - 1},
        {"layouts/list.mustache", mu_list, sizeof mu_list - 1},
        {"layouts/404.mustache", mu_notfound, sizeof mu_notfound - 1},
        {"layouts/assets/style.css", style_css, sizeof style_css - 1},
    };
    for (size_t i = 0; i < COUNT(files); i++)
        add_file(&h, files[i].path, files[i].data, files[i].len);
    /* The Hugo twin's settings and layouts: the same work (see hu_*). */
    static const fixed_file twin_files[] = {
        {"hugo.toml", hugo_toml, sizeof hugo_toml - 1},
        {"layouts/_default/baseof.html", hu_baseof, sizeof hu_baseof - 1},
        {"layouts/partials/header.html", hu_header, sizeof hu_header - 1},
        {"layouts/partials/nav.html", hu_nav, sizeof hu_nav - 1},
        {"layouts/partials/footer.html", hu_footer, sizeof hu_footer - 1},
        {"layouts/_default/single.html", hu_single, sizeof hu_single - 1},
        {"layouts/index.html", hu_single, sizeof hu_single - 1},
        {"layouts/praktijkvoorbeelden/single.html", hu_practice, sizeof hu_practice - 1},
        {"layouts/_default/list.html", hu_list, sizeof hu_list - 1},
        {"layouts/404.html", hu_notfound, sizeof hu_notfound - 1},
        {"layouts/_default/_markup/render-link.html", hu_render_link, sizeof hu_render_link - 1},
        {"static/assets/style.css", style_css, sizeof style_css - 1},
        {"content/praktijkvoorbeelden/_index.md", list_index, sizeof list_index - 1},
    };
    for (size_t i = 0; i < COUNT(twin_files); i++)
        add_to(h.twin, twin_files[i].path, twin_files[i].data, twin_files[i].len);
    for (int cp = 0; cp < C_COUNT; cp++)
        add_content_file(&h, &repo, &hugo, cp, 0, 0, 0, &buf);

    /* 2 .. COMMITS-1: practices added in batches, existing pages edited. */
    static const struct {
        const char *before, *after; /* around the page's title */
    } edit_messages[] = {
        {"Werk ", " bij"}, {"Corrigeer tikfouten in ", ""}, {"Vul de resultaten aan in ", ""},
        {"Verduidelijk de aanpak in ", ""}, {"Actualiseer de contactgegevens in ", ""},
        {"Verwerk feedback van de redactie op ", ""},
    };
    int added = 0;
    uint64_t cum = 0;
    for (int k = 0; k < middle; k++) {
        cum += w[k];
        int target = (int)((uint64_t)page_count * cum / total);
        int adds = target - added;
        int edits = adds == 0 ? 1 + (int)rng_below(&hr, 3) : rng_chance(&hr, 30) ? 1 : 0;
        int edit_pages[3], edit_content = -1;
        for (int e = 0; e < edits; e++) {
            if (added == 0 || rng_chance(&hr, 1)) {
                edit_content = 1 + (int)rng_below(&hr, C_COUNT - 1);
                edits = e;
                break;
            }
            int q;
            if (rng_chance(&hr, 50)) {
                q = (int)rng_below(&hr, (uint32_t)added);
            } else {
                uint32_t recent = added < 200 ? (uint32_t)added : 200;
                q = added - 1 - (int)rng_below(&hr, recent);
            }
            page *pg = &pages[q];
            pg->rev[rng_below(&hr, (uint32_t)pg->section_count + 1)]++;
            edit_pages[e] = q;
        }

        sb_clear(&msg);
        if (adds == 1) {
            sb_addf(&msg, "Voeg praktijkvoorbeeld toe: %s\n", pages[added].title);
        } else if (adds > 1) {
            sb_addf(&msg, "Voeg %d praktijkvoorbeelden toe\n\n", adds);
            for (int i = added; i < target; i++)
                sb_addf(&msg, "- %s\n", pages[i].title);
        } else if (edits > 0) {
            uint32_t m = rng_below(&hr, COUNT(edit_messages));
            sb_addf(&msg, "%s%s%s\n", edit_messages[m].before, pages[edit_pages[0]].title,
                    edit_messages[m].after);
        } else {
            sb_addf(&msg, "Werk de pagina '%s' bij\n", content_pages[edit_content].title);
        }
        begin_commit(&h, &hr, msg.p);
        for (int i = added; i < target; i++)
            add_practice_file(&h, &repo, &hugo, i, &buf);
        added = target;
        for (int e = 0; e < edits; e++)
            add_practice_file(&h, &repo, &hugo, edit_pages[e], &buf);
        if (edit_content >= 0)
            add_content_file(&h, &repo, &hugo, edit_content, ++content_rev[edit_content], added,
                             0, &buf);
    }
    if (added != page_count)
        die("internal error: %d of %d pages added", added, page_count);

    /* COMMITS: featured practices on the home page. */
    begin_commit(&h, &hr, "Zet uitgelichte praktijkvoorbeelden op de startpagina\n");
    add_content_file(&h, &repo, &hugo, C_INDEX, content_rev[C_INDEX], page_count, 1, &buf);
    FILE *outs[2] = {h.out, h.twin};
    pid_t pids[2] = {fi_pid, twin_pid};
    for (int i = 0; i < 2; i++) {
        fputs("done\n", outs[i]);
        if (fflush(outs[i]) != 0 || ferror(outs[i]) || fclose(outs[i]) != 0)
            die("writing to git fast-import failed");
        int status;
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("git fast-import failed");
    }
    /* Both work trees checked out: Hugo's GitInfo needs the twin's history. */
    char *dirs[2] = {outdir, hugodir.p};
    for (int i = 0; i < 2; i++) {
        char *reset_argv[] = {"git", "-C", dirs[i], "-c", "core.hooksPath=/dev/null",
                              "reset", "-q", "--hard", NULL};
        run(reset_argv);
    }
    const char *hd = hugodir.p;

    printf("gen_repo: %d practices and %d pages in %d commits (%.1f MB of files written to "
           "git) in %s, the Hugo twin in %s\n",
           page_count, C_COUNT, h.mark, (double)h.bytes / 1e6, outdir, hd);

    for (int i = 0; i < page_count; i++) {
        free(pages[i].title);
        free(pages[i].slug);
        free(pages[i].summary);
    }
    free(pages);
    free(w);
    free(buf.p);
    free(msg.p);
    free(hugodir.p);
    free(outdir);
    return 0;
}
