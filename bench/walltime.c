/* walltime - runs a command and writes its wall time, peak memory and CPU
 * time to a file, as GNU time -f '%e %M %U %S' -o FILE does, but with the
 * wall time in microseconds rather than GNU time's 10 ms steps: an
 * incremental build takes tens of milliseconds. Timing with two calls of
 * date(1) around the command instead would add the start of a second
 * process (8 ms on a virtual machine) to every figure.
 *
 *   walltime FILE COMMAND [ARG...]
 *
 * FILE gets one line: wall seconds (6 decimals), peak resident set size in
 * KiB, user and system seconds. The command's output goes where walltime's
 * goes; walltime exits with the command's status (127 when it cannot be
 * started, 128+N when killed by signal N). */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: walltime FILE COMMAND [ARG...]\n");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
    if (rc != 0) {
        fprintf(stderr, "walltime: cannot run %s: %s\n", argv[2], strerror(rc));
        return 127;
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("walltime: wait4");
            return 127;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    FILE *f = fopen(argv[1], "w");
    if (f == NULL || fprintf(f, "%.6f %ld %.2f %.2f\n", wall, usage.ru_maxrss,
                             seconds(usage.ru_utime), seconds(usage.ru_stime)) < 0 ||
        fclose(f) != 0) {
        fprintf(stderr, "walltime: cannot write %s\n", argv[1]);
        return 127;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
