#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "fileio.h"

static const char RECORD_MAGIC[] = "handbook build record 1\n";
#define RECORD_MAGIC_LEN (sizeof RECORD_MAGIC - 1)
#define HEADER_LEN (RECORD_MAGIC_LEN + 16 + 8 + 8)
/* A record holds a few hundred bytes per page; a larger file is not one of
 * ours, and reading it whole would only cost memory. */
#define RECORD_MAX_SIZE (1024u * 1024 * 1024)

record_hash record_hash_of(const void *data, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(data, len);
    return (record_hash){h.low64, h.high64};
}

bool record_hash_equal(record_hash a, record_hash b)
{
    return a.low == b.low && a.high == b.high;
}

struct record_hasher {
    XXH3_state_t *state;
};

record_hasher *record_hasher_new(void)
{
    record_hasher *h = malloc(sizeof *h);
    if (h == NULL || (h->state = XXH3_createState()) == NULL)
        abort();
    XXH3_128bits_reset(h->state);
    return h;
}

void record_hasher_reset(record_hasher *h)
{
    XXH3_128bits_reset(h->state);
}

void record_hasher_add(record_hasher *h, const void *data, size_t len)
{
    XXH3_128bits_update(h->state, data, len);
}

void record_hasher_add_string(record_hasher *h, const char *s, size_t len)
{
    uint64_t n = len;
    XXH3_128bits_update(h->state, &n, sizeof n);
    XXH3_128bits_update(h->state, s, len);
}

record_hash record_hasher_result(const record_hasher *h)
{
    XXH128_hash_t r = XXH3_128bits_digest(h->state);
    return (record_hash){r.low64, r.high64};
}

void record_hasher_free(record_hasher *h)
{
    if (h == NULL)
        return;
    XXH3_freeState(h->state);
    free(h);
}

/* Reads a whole file into a malloc'ed buffer; NULL when it cannot. */
static uint8_t *read_whole(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    uint8_t *data = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= max &&
        (data = malloc((size_t)st.st_size + 1)) != NULL) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got != (size_t)st.st_size) {
            free(data);
            data = NULL;
        }
        *len = got;
    }
    close(fd);
    return data;
}

/* The GNU build id of the program: a digest the linker takes of all of it. */
typedef struct build_id {
    unsigned char bytes[64];
    size_t len;
} build_id;

/* dl_iterate_phdr's callback: the build id of the first object listed, the
 * program, into data (len 0 when it has none). */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    build_id *id = data;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        size_t align = ph->p_align == 8 ? 8 : 4;
        const unsigned char *at = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = at + ph->p_memsz;
        while ((size_t)(end - at) >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)at;
            size_t name = (n->n_namesz + align - 1) & ~(align - 1);
            size_t desc = (n->n_descsz + align - 1) & ~(align - 1);
            const unsigned char *bytes = at + sizeof *n + name;
            if (name > (size_t)(end - at) || desc > (size_t)(end - at) - name ||
                sizeof *n > (size_t)(end - at) - name - desc)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                memcmp(at + sizeof *n, "GNU", 4) == 0 && n->n_descsz <= sizeof id->bytes) {
                memcpy(id->bytes, bytes, n->n_descsz);
                id->len = n->n_descsz;
                return 1;
            }
            at += sizeof *n + name + desc;
        }
    }
    return 1; /* the first object listed is the program: only it counts */
}

record_hash record_generator(void)
{
    static record_hash cached;
    static bool known;
    if (!known) {
        /* The linker's build id where there is one: reading and hashing
         * the whole binary cost a patch build 250 page faults. */
        build_id id = {{0}, 0};
        dl_iterate_phdr(find_build_id, &id);
        if (id.len > 0) {
            cached = record_hash_of(id.bytes, id.len);
        } else {
            size_t len = 0;
            uint8_t *self = read_whole("/proc/self/exe", RECORD_MAX_SIZE, &len);
            /* Unreadable: a hash no record has, so every build is a full one. */
            cached = self ? record_hash_of(self, len) : (record_hash){0, 0};
            free(self);
        }
        known = true;
    }
    return cached;
}

/* ---------- numbers and strings ---------- */

void record_write_number(buf *out, uint64_t n)
{
    /* LEB128: seven bits a byte, the high bit says more follow. Written in
     * place: a record holds millions of them. */
    buf_reserve(out, 10);
    char *p = out->data + out->len;
    do {
        *p++ = (char)((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n >>= 7;
    } while (n != 0);
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
}

void record_write_string(buf *out, const char *s, size_t len)
{
    record_write_number(out, len);
    buf_append(out, s, len);
    buf_append_char(out, '\0'); /* so that a reader can use it in place */
}

static void write_u64(buf *out, uint64_t n)
{
    for (int i = 0; i < 8; i++)
        buf_append_char(out, (char)(n >> (8 * i)));
}

static uint64_t read_u64(const uint8_t *p)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | p[i];
    return n;
}

void record_write_hash(buf *out, record_hash h)
{
    write_u64(out, h.low);
    write_u64(out, h.high);
}

uint64_t record_read_number(record_reader *rr)
{
    uint64_t n = 0;
    for (unsigned shift = 0; !rr->failed; shift += 7) {
        if (rr->at >= rr->end || shift > 63) {
            rr->failed = true;
            break;
        }
        uint8_t byte = *rr->at++;
        n |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return n;
    }
    return 0;
}

const char *record_read_string(record_reader *rr, size_t *len)
{
    uint64_t n = record_read_number(rr);
    if (rr->failed || n >= (uint64_t)(rr->end - rr->at) || rr->at[n] != '\0') {
        rr->failed = true;
        if (len)
            *len = 0;
        return "";
    }
    const char *s = (const char *)rr->at;
    rr->at += n + 1;
    if (len)
        *len = (size_t)n;
    return s;
}

record_hash record_read_hash(record_reader *rr)
{
    if (rr->failed || rr->end - rr->at < 16) {
        rr->failed = true;
        return (record_hash){0, 0};
    }
    record_hash h = {read_u64(rr->at), read_u64(rr->at + 8)};
    rr->at += 16;
    return h;
}

bool record_reader_done(const record_reader *rr)
{
    return rr->failed || rr->at >= rr->end;
}

/* ---------- the file ----------
 *
 * The header (magic, generator, device, inode), then each section as its
 * name, its length, the hash of its bytes and the bytes, then an empty name
 * that ends the file: a file cut short has no end. A reader reads only the
 * sections it asks for, and checks each one's hash then. */

int record_write_file(const char *path, record_hash generator, dev_t dev, ino_t ino,
                      const char *const *names, const buf *const *contents, size_t count)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    buf head = BUF_INIT;
    buf_append(&head, RECORD_MAGIC, RECORD_MAGIC_LEN);
    record_write_hash(&head, generator);
    write_u64(&head, (uint64_t)dev);
    write_u64(&head, (uint64_t)ino);
    bool ok = write_fully(fd, head.data, head.len);
    for (size_t i = 0; ok && i < count; i++) {
        buf_clear(&head);
        record_write_string(&head, names[i], strlen(names[i]));
        record_write_number(&head, contents[i]->len);
        record_write_hash(&head, record_hash_of(contents[i]->data, contents[i]->len));
        ok = write_fully(fd, head.data, head.len) &&
             write_fully(fd, contents[i]->data, contents[i]->len);
    }
    buf_clear(&head);
    record_write_string(&head, "", 0);
    ok = ok && write_fully(fd, head.data, head.len);
    buf_free(&head);
    int saved = errno;
    if (close(fd) < 0)
        ok = false;
    errno = saved;
    return ok ? 0 : -1;
}

typedef struct section {
    const char *name; /* in the mapping */
    const uint8_t *data;
    uint64_t len;
    record_hash hash;
    bool checked, good;
} section;

struct record {
    uint8_t *map; /* the whole file, read-only */
    size_t size;
    section *sections;
    size_t count;
    char *dir;        /* the folder of the file, for its base */
    record_hash generator;
    record *base;     /* its base record, loaded on first need */
    bool base_tried;
};

/* Reads a number of the file's framing at *at (before end); false when
 * there is none. */
static bool frame_number(const uint8_t **at, const uint8_t *end, uint64_t *out)
{
    record_reader rr = {*at, end, false};
    *out = record_read_number(&rr);
    *at = rr.at;
    return !rr.failed;
}

record *record_load(const char *path, record_hash generator, dev_t dev, ino_t ino)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    /* Mapped, not read: a build reads a few parts of a large record, and
     * the page cache's pages need no copy (fresh memory is costly). */
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)HEADER_LEN &&
        (uint64_t)st.st_size <= RECORD_MAX_SIZE)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return NULL;
    record *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    r->map = map;
    r->size = (size_t)st.st_size;
    r->generator = generator;
    const uint8_t *at = r->map, *end = r->map + r->size;
    if (memcmp(at, RECORD_MAGIC, RECORD_MAGIC_LEN) != 0)
        goto invalid;
    record_reader rr = {at + RECORD_MAGIC_LEN, at + HEADER_LEN, false};
    if (!record_hash_equal(record_read_hash(&rr), generator) ||
        read_u64(at + RECORD_MAGIC_LEN + 16) != (uint64_t)dev ||
        read_u64(at + RECORD_MAGIC_LEN + 24) != (uint64_t)ino)
        goto invalid;
    at += HEADER_LEN;
    size_t cap = 0;
    for (;;) {
        uint64_t name_len, len;
        if (!frame_number(&at, end, &name_len) || name_len > 255 ||
            (uint64_t)(end - at) < name_len + 1 || at[name_len] != '\0')
            goto invalid;
        const char *name = (const char *)at;
        at += name_len + 1;
        if (name_len == 0)
            break; /* the end: the file is whole */
        if (!frame_number(&at, end, &len) || (uint64_t)(end - at) < 16 ||
            (uint64_t)(end - at - 16) < len)
            goto invalid;
        record_reader hr = {at, at + 16, false};
        record_hash hash = record_read_hash(&hr);
        at += 16;
        if (r->count == cap) {
            cap = cap ? cap * 2 : 8;
            r->sections = realloc(r->sections, cap * sizeof *r->sections);
            if (r->sections == NULL)
                abort();
        }
        r->sections[r->count++] = (section){name, at, len, hash, false, false};
        at += len;
    }
    /* The end must be the end of the file. */
    if (at != end)
        goto invalid;
    const char *slash = strrchr(path, '/');
    r->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (r->dir == NULL)
        abort();
    return r;
invalid:
    record_free(r);
    return NULL;
}

void record_free(record *r)
{
    if (r == NULL)
        return;
    record_free(r->base);
    free(r->sections);
    free(r->dir);
    if (r->map != NULL)
        munmap(r->map, r->size);
    free(r);
}

/* The section name of r itself (not its base), checked on first use. */
static const section *own_section(const record *r, const char *name)
{
    for (size_t i = 0; r != NULL && i < r->count; i++) {
        section *sec = &r->sections[i];
        if (strcmp(sec->name, name) != 0)
            continue;
        if (!sec->checked) {
            sec->checked = true;
            sec->good = record_hash_equal(record_hash_of(sec->data, sec->len), sec->hash);
        }
        return sec->good ? sec : NULL; /* damaged: as if it were not there */
    }
    return NULL;
}

/* What tells a file that was not written again: size, modification and
 * change times (ns) and inode. */
static bool file_identity(const char *path, uint64_t out[5])
{
    struct stat st;
    if (stat(path, &st) < 0)
        return false;
    out[0] = (uint64_t)st.st_size;
    out[1] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    out[2] = (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec;
    out[3] = (uint64_t)st.st_ino;
    out[4] = (uint64_t)st.st_dev;
    return true;
}

void record_write_base_ref(buf *out, const char *dir, const char *file, record_hash id)
{
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%s", dir, file);
    uint64_t identity[5] = {0};
    file_identity(path.data, identity);
    buf_free(&path);
    record_write_string(out, file, strlen(file));
    record_write_hash(out, id);
    for (int i = 0; i < 5; i++)
        record_write_number(out, identity[i]);
}

/* The base record r names in its "base" section, if any and whole. */
static record *base_of(const record *r)
{
    record *self = (record *)r; /* loaded once, on first need */
    if (!self->base_tried) {
        self->base_tried = true;
        record_reader rr = record_reader_of(r, RECORD_BASE_SECTION);
        const char *file = record_read_string(&rr, NULL);
        record_hash id = record_read_hash(&rr);
        uint64_t written[5];
        for (int i = 0; i < 5; i++)
            written[i] = record_read_number(&rr);
        if (!rr.failed && strchr(file, '/') == NULL && file[0] == '.') {
            buf path = BUF_INIT;
            buf_printf(&path, "%s/%s", r->dir, file);
            record *base = record_load(path.data, r->generator, 0, 0);
            uint64_t now[5];
            bool same = base != NULL && file_identity(path.data, now) &&
                        memcmp(now, written, sizeof now) == 0;
            buf_free(&path);
            if (base != NULL && record_hash_equal(record_base_id(base), id)) {
                self->base = base;
                /* Untouched since it was written and checked: its sections
                 * need no hashing again (as git trusts its index by stat). */
                for (size_t i = 0; same && i < base->count; i++)
                    base->sections[i].checked = base->sections[i].good = true;
            } else {
                record_free(base);
            }
        }
    }
    return self->base;
}

const uint8_t *record_section(const record *r, const char *name, size_t *len)
{
    *len = 0;
    const section *sec = own_section(r, name);
    if (sec == NULL && r != NULL && strcmp(name, RECORD_BASE_SECTION) != 0) {
        const record *base = base_of(r);
        sec = base ? own_section(base, name) : NULL;
    }
    if (sec == NULL)
        return NULL;
    *len = (size_t)sec->len;
    return sec->data;
}

bool record_has_own(const record *r, const char *name)
{
    return own_section(r, name) != NULL;
}

/* A hash of names[i] and hashes[i]: what identifies a base. */
static record_hash id_of(const char *const *names, const record_hash *hashes, size_t count)
{
    record_hasher *h = record_hasher_new();
    for (size_t i = 0; i < count; i++) {
        record_hasher_add_string(h, names[i], strlen(names[i]));
        record_hasher_add(h, &hashes[i].low, sizeof hashes[i].low);
        record_hasher_add(h, &hashes[i].high, sizeof hashes[i].high);
    }
    record_hash id = record_hasher_result(h);
    record_hasher_free(h);
    return id;
}

record_hash record_base_id(const record *r)
{
    const char **names = calloc(r->count + 1, sizeof *names);
    record_hash *hashes = calloc(r->count + 1, sizeof *hashes);
    if (names == NULL || hashes == NULL)
        abort();
    for (size_t i = 0; i < r->count; i++) {
        names[i] = r->sections[i].name;
        hashes[i] = r->sections[i].hash;
    }
    record_hash id = id_of(names, hashes, r->count);
    free(names);
    free(hashes);
    return id;
}

record_hash record_sections_id(const char *const *names, const buf *const *contents, size_t count)
{
    record_hash *hashes = calloc(count + 1, sizeof *hashes);
    if (hashes == NULL)
        abort();
    for (size_t i = 0; i < count; i++)
        hashes[i] = record_hash_of(contents[i]->data, contents[i]->len);
    record_hash id = id_of(names, hashes, count);
    free(hashes);
    return id;
}

record_reader record_reader_of(const record *r, const char *name)
{
    size_t len;
    const uint8_t *data = record_section(r, name, &len);
    return (record_reader){data, data ? data + len : NULL, false};
}
