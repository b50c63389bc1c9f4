/*
 * fault.h — failure injection for the test build, after SQLite's own test harness.
 *
 * The fault suite (tests/e2e/test_faults.sh, bench/faults) must drive every error path
 * the engine has: a SQLite step that fails, an object write that hits a full disk, an
 * index commit that throws, an allocation that returns NULL. Those failures are rare in
 * life and impossible to cause on demand from outside, so the code that can fail asks
 * this module, at each named fault point, whether to fail now:
 *
 *     if (dg_fault("store.fsync") || fsync(fd) != 0)
 *         return io_error(err, path, "cannot sync");
 *
 * dg_fault() returns 0 to go on, or non-zero with errno set to the error to report (EIO,
 * or ENOSPC for a full disk). The points:
 *
 *     catalog.prepare catalog.step catalog.exec   every statement through catalog.h
 *     store.write store.fsync store.rename        every object written (engine/store.c)
 *     store.remove                                every object removed
 *     fileio.read                                 every read of an input file
 *     index.put index.delete index.commit         every index write (index/xapian_shim.cc)
 *     keys.create                                 each step of making keys.db (engine/keys.c)
 *     keys.commit                                 each commit of a group's data keys (keys.c)
 *     batch.commit                                each group's catalog commit, after its keys
 *                                                 and objects are durable (engine/batch.c)
 *     alloc                                       every malloc, calloc, realloc and strdup
 *                                                 in engine/ (base/fault_alloc.h)
 *     log.synchronous                             every change of a handle's synchronous
 *                                                 level by a deferring log group (log.c)
 *     log.pending                                 right after a change's catalog commit,
 *                                                 before its entry goes on to the log's
 *                                                 file (log.c: kill there for the crash)
 *     log.flush                                   each append of pending change entries
 *                                                 to the log's file (log.c)
 *
 * Only the test build has them: `make check` (any build whose MODE_FLAGS sanitize)
 * compiles with -DDG_FAULT_INJECTION. Without it dg_fault() is the constant 0, so the
 * normal build has neither the code nor its cost.
 *
 * In the test build the environment drives it, so unit tests and the real binary alike:
 *
 *     DANGAN_FAULT=store.write:3        the 3rd object write fails (EIO)
 *     DANGAN_FAULT=any:120              the 120th hit of any point fails
 *     DANGAN_FAULT=catalog.step:5:full  the 5th step fails as on a full disk (ENOSPC)
 *     DANGAN_FAULT=store.write:1+       every object write from the 1st on fails
 *     DANGAN_FAULT=any:77:kill          the process kills itself (SIGKILL) at the 77th hit:
 *                                       kill -9 at a chosen point, for the crash trials
 *     DANGAN_FAULT_LOG=FILE             on exit, append "total N" and "<point> N" lines
 *                                       counting the hits; a fault that fires appends
 *                                       "fired <point> <hit>" at once
 *     DANGAN_FAULT_TRACE=1              a fault that fires prints the call stack to stderr
 *
 * A fault fires once (unless "+" follows the count); everything after it runs normally,
 * as after a real transient failure.
 *
 * This module holds the only global mutable state of dangan's library code (the hit
 * counters, and the settings read from the environment once): it exists in the test
 * build only, and its counters are atomic, so ingest's threads may hit points at once.
 */
#ifndef DG_FAULT_H
#define DG_FAULT_H

#ifdef __cplusplus
extern "C" {
#endif

#ifdef DG_FAULT_INJECTION
/* Counts a hit of point; returns non-zero, with errno set, when this hit must fail. */
int dg_fault(const char *point);
#else
#define dg_fault(point) ((void)(point), 0)
#endif

#ifdef __cplusplus
}
#endif

#endif
