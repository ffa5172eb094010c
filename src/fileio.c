#include "fileio.h"

#include <errno.h>
#include <unistd.h>

ssize_t read_fully(int fd, void *data, size_t size)
{
    char *bytes = data;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, bytes + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

bool write_fully(int fd, const void *data, size_t len)
{
    const char *bytes = data;
    while (len > 0) {
        ssize_t n = write(fd, bytes, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO; /* a write of nothing would never end */
        if (n <= 0)
            return false;
        bytes += n, len -= (size_t)n;
    }
    return true;
}
