/* record.h - the build record: what a build leaves beside the output folder so
 * that the next build can redo only what changed (incremental builds).
 *
 * A record is one file of named sections; each stage writes and reads its
 * own (publish: the output files and their hashes; history: what the walk
 * learned; render: each page's fingerprint; index: each page's words). The
 * file starts with the generator that wrote it and the folder it describes
 * (device and inode number), and each section carries the hash of its bytes:
 * a record of another handbook binary, of another folder (a build killed
 * between its steps), or cut short is not used, and a damaged section reads
 * as missing; the build then does that part in full. Sections are read only
 * when asked for. Nothing in a record is trusted beyond that: readers check
 * every length.
 *
 * Hashes are XXH3 128-bit: fast enough to hash every output of a full build,
 * and content changes are not crafted against them (a contributor cannot make
 * the generator skip a page that the record does not describe). */
#ifndef HANDBOOK_RECORD_H
#define HANDBOOK_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

typedef struct record_hash {
    uint64_t low, high;
} record_hash;

record_hash record_hash_of(const void *data, size_t len);
bool record_hash_equal(record_hash a, record_hash b);

/* A running hash over many pieces (a fingerprint of a page's inputs). */
typedef struct record_hasher record_hasher;
record_hasher *record_hasher_new(void);
void record_hasher_reset(record_hasher *h);
void record_hasher_add(record_hasher *h, const void *data, size_t len);
/* Adds a string with its length, so that "ab"+"c" and "a"+"bc" differ. */
void record_hasher_add_string(record_hasher *h, const char *s, size_t len);
record_hash record_hasher_result(const record_hasher *h);
void record_hasher_free(record_hasher *h);

/* The identity of the running handbook binary (its build id, else the hash of
 * the file): a record written by another build of the generator describes
 * outputs it might make differently. */
record_hash record_generator(void);

/* ---------- reading ---------- */

typedef struct record record;

/* Opens the record at path if it exists, is whole, was written by generator
 * and describes the folder with device dev and inode ino; else NULL. */
record *record_load(const char *path, record_hash generator, dev_t dev, ino_t ino);
void record_free(record *r);

/* The bytes of section name, or NULL (*len 0) when the record has none or it
 * is damaged. Checked on the first call. A section the record does not have
 * itself comes from its base, if it has one. */
const uint8_t *record_section(const record *r, const char *name, size_t *len);

/* Base records: a build that changes little can leave the large sections of
 * the record before it where they are, in a file of their own, and write only
 * what changed. A record's base is named in its section RECORD_BASE_SECTION
 * (the base file's name, in the same folder, and the base's id); a base is a
 * record file describing no folder (device and inode 0), loaded on first
 * need, and used only when its id matches. Its sections are hashed when
 * read, as any record's, unless the file is as it was when it was written
 * (record_write_base_ref). */
#define RECORD_BASE_SECTION "base"

/* Writes a "base" section naming the base file (in folder dir) with id,
 * and what tells whether it was changed since (size, times, inode): a base
 * found unchanged is not hashed again when read. */
void record_write_base_ref(buf *out, const char *dir, const char *file, record_hash id);

/* The id of a loaded base (a hash of its sections' names and hashes). */
record_hash record_base_id(const record *r);

/* The id a base with these sections has (as record_base_id). */
record_hash record_sections_id(const char *const *names, const buf *const *contents, size_t count);

/* Whether r itself (not its base) has section name, whole. */
bool record_has_own(const record *r, const char *name);

/* Reads the numbers and strings of a section in order. After any read past
 * the end or of a malformed value, failed is set and every read returns 0 or
 * "". */
typedef struct record_reader {
    const uint8_t *at, *end;
    bool failed;
} record_reader;

record_reader record_reader_of(const record *r, const char *name);
uint64_t record_read_number(record_reader *rr);
/* A string written by record_write_string: NUL-terminated in place, valid as
 * long as the record is. */
const char *record_read_string(record_reader *rr, size_t *len);
record_hash record_read_hash(record_reader *rr);
bool record_reader_done(const record_reader *rr);

/* ---------- writing ---------- */

void record_write_number(buf *out, uint64_t n);
void record_write_string(buf *out, const char *s, size_t len);
void record_write_hash(buf *out, record_hash h);

/* Writes the record file at path (replacing it): the header, the sections
 * names[i] with contents[i], and the end. Returns 0, or -1 with errno set. */
int record_write_file(const char *path, record_hash generator, dev_t dev, ino_t ino,
                      const char *const *names, const buf *const *contents, size_t count);

#endif
