/*
 * clock.c — now, for loans; the test clock of the test build.
 */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef DG_FAULT_INJECTION
/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC) to a time; -1 when malformed. */
static time_t parse_utc(const char *text)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    if (n != 3 && n != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}
#endif

time_t dg_clock_now(void)
{
#ifdef DG_FAULT_INJECTION
    const char *test_now = getenv("DANGAN_TEST_NOW");
    if (test_now && *test_now) {
        time_t t = parse_utc(test_now);
        if (t != (time_t)-1)
            return t;
    }
#endif
    return time(NULL);
}

void dg_clock_iso(time_t t, char buf[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
