/* fileio - whole reads and writes on a file descriptor, again after a short
 * or interrupted call. */
#ifndef HANDBOOK_FILEIO_H
#define HANDBOOK_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads up to size bytes of fd into data. Returns the bytes read (fewer at
 * the end of the file), or -1 with errno set. */
ssize_t read_fully(int fd, void *data, size_t size);

/* Writes the len bytes of data to fd; false (errno set) when it cannot. */
bool write_fully(int fd, const void *data, size_t len);

#endif
