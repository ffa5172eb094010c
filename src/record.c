#include "record.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

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

record_hash record_generator(void)
{
    static record_hash cached;
    static bool known;
    if (!known) {
        size_t len = 0;
        uint8_t *self = read_whole("/proc/self/exe", RECORD_MAX_SIZE, &len);
        /* Unreadable: a hash no record has, so every build is a full one. */
        cached = self ? record_hash_of(self, len) : (record_hash){0, 0};
        free(self);
        known = true;
    }
    return cached;
}

/* ---------- numbers and strings ---------- */

void record_write_number(buf *out, uint64_t n)
{
    /* LEB128: seven bits a byte, the high bit says more follow. */
    char bytes[10];
    size_t len = 0;
    do {
        bytes[len++] = (char)((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n >>= 7;
    } while (n != 0);
    buf_append(out, bytes, len);
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

/* ---------- the file ---------- */

void record_begin(buf *out, record_hash generator, dev_t dev, ino_t ino)
{
    buf_append(out, RECORD_MAGIC, RECORD_MAGIC_LEN);
    record_write_hash(out, generator);
    write_u64(out, (uint64_t)dev);
    write_u64(out, (uint64_t)ino);
}

void record_add_section(buf *out, const char *name, const buf *content)
{
    record_write_string(out, name, strlen(name));
    record_write_number(out, content->len);
    buf_append(out, content->data, content->len);
}

void record_end(buf *out)
{
    record_write_hash(out, record_hash_of(out->data, out->len));
}

typedef struct section {
    const char *name;
    const uint8_t *data;
    size_t len;
} section;

struct record {
    uint8_t *bytes;
    section *sections;
    size_t count;
};

record *record_load(const char *path, record_hash generator, dev_t dev, ino_t ino)
{
    size_t len = 0;
    uint8_t *bytes = read_whole(path, RECORD_MAX_SIZE, &len);
    if (bytes == NULL)
        return NULL;
    record *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    r->bytes = bytes;
    if (len < HEADER_LEN + 16 || memcmp(bytes, RECORD_MAGIC, RECORD_MAGIC_LEN) != 0)
        goto invalid;
    record_reader check = {bytes + len - 16, bytes + len, false};
    if (!record_hash_equal(record_read_hash(&check), record_hash_of(bytes, len - 16)))
        goto invalid;
    record_reader header = {bytes + RECORD_MAGIC_LEN, bytes + HEADER_LEN, false};
    if (!record_hash_equal(record_read_hash(&header), generator) ||
        read_u64(bytes + RECORD_MAGIC_LEN + 16) != (uint64_t)dev ||
        read_u64(bytes + RECORD_MAGIC_LEN + 24) != (uint64_t)ino)
        goto invalid;
    record_reader rr = {bytes + HEADER_LEN, bytes + len - 16, false};
    size_t cap = 0;
    while (!record_reader_done(&rr)) {
        const char *name = record_read_string(&rr, NULL);
        uint64_t n = record_read_number(&rr);
        if (rr.failed || n > (uint64_t)(rr.end - rr.at))
            goto invalid;
        if (r->count == cap) {
            cap = cap ? cap * 2 : 8;
            r->sections = realloc(r->sections, cap * sizeof *r->sections);
            if (r->sections == NULL)
                abort();
        }
        r->sections[r->count++] = (section){name, rr.at, (size_t)n};
        rr.at += n;
    }
    if (!rr.failed)
        return r;
invalid:
    record_free(r);
    return NULL;
}

void record_free(record *r)
{
    if (r == NULL)
        return;
    free(r->bytes);
    free(r->sections);
    free(r);
}

const uint8_t *record_section(const record *r, const char *name, size_t *len)
{
    for (size_t i = 0; r != NULL && i < r->count; i++)
        if (strcmp(r->sections[i].name, name) == 0) {
            *len = r->sections[i].len;
            return r->sections[i].data;
        }
    *len = 0;
    return NULL;
}

record_reader record_reader_of(const record *r, const char *name)
{
    size_t len;
    const uint8_t *data = record_section(r, name, &len);
    return (record_reader){data, data ? data + len : NULL, false};
}
