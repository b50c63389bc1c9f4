/*
 * fault.c — failure injection for the test build (see fault.h). Compiled to nothing
 * unless DG_FAULT_INJECTION is defined.
 */
#include "fault.h"

#ifdef DG_FAULT_INJECTION

/* This file is the allocator the others' macros call: it must reach the real one. */
#undef malloc
#undef calloc
#undef realloc
#undef strdup

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The points fault.h lists; a hit of a name not here is counted under "other". */
static const char *const POINTS[] = {
    "catalog.prepare", "catalog.step", "catalog.exec", "store.write", "store.fsync",
    "store.rename",    "store.remove", "fileio.read",  "index.put",   "index.delete",
    "index.commit",    "keys.create",  "keys.commit",  "batch.commit", "alloc",
    "log.synchronous", "other"};
enum { N_POINTS = sizeof POINTS / sizeof POINTS[0] };

/* The global state fault.h admits to: settings read once, and the hit counters. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char target[32];      /* the point to fail, "any", or "" for none */
static unsigned long fire_at; /* fail its fire_at'th hit (1-based) */
static int fire_after;        /* "+": fail that hit and every later one */
static int fire_errno = EIO;
static int fire_kills;        /* ":kill": the process dies there, as by kill -9 */
static char log_path[4096];
static atomic_ulong total_hits;
static atomic_ulong point_hits[N_POINTS];

static int point_index(const char *point)
{
    for (int i = 0; i < N_POINTS - 1; i++)
        if (strcmp(POINTS[i], point) == 0)
            return i;
    return N_POINTS - 1;
}

static void append_log(const char *line)
{
    if (!log_path[0])
        return;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    ssize_t n = write(fd, line, strlen(line));
    (void)n; /* a test harness's log: nothing to do if it cannot be written */
    close(fd);
}

static void write_counts(void)
{
    char line[128];
    snprintf(line, sizeof line, "total %lu\n", atomic_load(&total_hits));
    append_log(line);
    for (int i = 0; i < N_POINTS; i++) {
        unsigned long n = atomic_load(&point_hits[i]);
        if (n) {
            snprintf(line, sizeof line, "%s %lu\n", POINTS[i], n);
            append_log(line);
        }
    }
}

/* Reads DANGAN_FAULT=point:N[+][:full] and DANGAN_FAULT_LOG. */
static void read_settings(void)
{
    const char *log = getenv("DANGAN_FAULT_LOG");
    if (log && *log) {
        snprintf(log_path, sizeof log_path, "%s", log);
        atexit(write_counts);
    }
    const char *spec = getenv("DANGAN_FAULT");
    if (!spec || !*spec)
        return;
    const char *colon = strchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof target)
        return;
    char *end = NULL;
    unsigned long n = strtoul(colon + 1, &end, 10);
    if (n == 0)
        return;
    if (*end == '+') {
        fire_after = 1;
        end++;
    }
    if (strcmp(end, ":full") == 0)
        fire_errno = ENOSPC;
    else if (strcmp(end, ":kill") == 0)
        fire_kills = 1;
    memcpy(target, spec, (size_t)(colon - spec));
    target[colon - spec] = '\0';
    fire_at = n;
}

int dg_fault(const char *point)
{
    pthread_once(&once, read_settings);
    int i = point_index(point);
    unsigned long hit_any = atomic_fetch_add(&total_hits, 1) + 1;
    unsigned long hit_point = atomic_fetch_add(&point_hits[i], 1) + 1;
    if (!target[0])
        return 0;
    unsigned long hit;
    if (strcmp(target, "any") == 0)
        hit = hit_any;
    else if (strcmp(target, point) == 0)
        hit = hit_point;
    else
        return 0;
    if (hit != fire_at && !(fire_after && hit > fire_at))
        return 0;
    char line[128];
    snprintf(line, sizeof line, "fired %s %lu\n", point, hit);
    append_log(line);
    if (getenv("DANGAN_FAULT_TRACE")) { /* where it fired, for whoever debugs a trial */
        void *frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), STDERR_FILENO);
    }
    if (fire_kills)
        kill(getpid(), SIGKILL);
    errno = fire_errno;
    return 1;
}

/* An allocation that fails says so the way malloc does. */
static int dg_fault_alloc(void)
{
    if (!dg_fault("alloc"))
        return 0;
    errno = ENOMEM;
    return 1;
}

void *dg_fault_malloc(size_t size)
{
    return dg_fault_alloc() ? NULL : malloc(size);
}

void *dg_fault_calloc(size_t count, size_t size)
{
    return dg_fault_alloc() ? NULL : calloc(count, size);
}

void *dg_fault_realloc(void *ptr, size_t size)
{
    return dg_fault_alloc() ? NULL : realloc(ptr, size);
}

char *dg_fault_strdup(const char *s)
{
    return dg_fault_alloc() ? NULL : strdup(s);
}

#else
/* ISO C wants something in every translation unit. */
typedef int dg_fault_unused;
#endif
