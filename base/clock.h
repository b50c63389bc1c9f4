/*
 * clock.h — the moment loans are measured against (engine/loan.h), and its test setting.
 *
 * A loan ends by itself at its due time: every visibility check compares the due time
 * with "now", so nobody has to act for access to end. The e2e tests must see a loan end
 * without waiting days, so the test build (compiled with -DDG_FAULT_INJECTION, as `make
 * check` is; see fault.h) reads DANGAN_TEST_NOW from the environment of the process that
 * opens the archive: "2027-01-20T10:00:00Z" or "2027-01-20" (UTC). The normal build
 * ignores it entirely (no code reads the variable), so a deployed dangan cannot be given
 * a false clock; in the test build only the archive's owner, who starts the process that
 * opens the archive (direct mode, or the server), sets it. Log times never use it: the
 * log records when things really happened.
 */
#ifndef DG_CLOCK_H
#define DG_CLOCK_H

#include <time.h>

/* Now (the test clock in the test build, when set and well formed; else the real time). */
time_t dg_clock_now(void);

/* dg_clock_now() as the catalog stores times: "2026-11-03T14:05:09Z" (UTC). */
void dg_clock_iso(time_t t, char buf[32]);

#endif
