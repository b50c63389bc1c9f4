/*
 * log_time.c — the times an auditor types and reads: --since/--until bounds in every form
 * we accept (and nothing else) and the archive's time zone.
 *
 * The log stores UTC (2026-11-03T06:05:09.123Z). People think in the archive's local
 * time, so bounds are read, and times shown, in the process's local zone, which the
 * program sets once at start from the archive's "timezone" setting (see log.h): a server's
 * threads then only read it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive_internal.h"
#include "catalog.h"
#include "log.h"
#include "log_internal.h"
#include "user.h"

static void utc_iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* Local midnight of the day tm names (its fields may be out of range: mktime folds them). */
static time_t local_midnight(struct tm tm)
{
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

/* today, yesterday, this-week, last-month, ... (separators '-', '_' or ' '). */
static int named_moment(const char *word, time_t now, time_t *out)
{
    struct tm tm;
    localtime_r(&now, &tm);
    char w[32];
    size_t n = 0;
    for (const char *p = word; *p && n + 1 < sizeof w; p++)
        w[n++] = *p == '_' || *p == ' ' ? '-' : (char)tolower((unsigned char)*p);
    w[n] = '\0';
    int monday_offset = (tm.tm_wday + 6) % 7;
    if (!strcmp(w, "now")) {
        *out = now;
    } else if (!strcmp(w, "today")) {
        *out = local_midnight(tm);
    } else if (!strcmp(w, "yesterday") || !strcmp(w, "tomorrow")) {
        tm.tm_mday += w[0] == 't' ? 1 : -1;
        *out = local_midnight(tm);
    } else if (!strcmp(w, "this-week") || !strcmp(w, "last-week")) {
        tm.tm_mday -= monday_offset + (w[0] == 'l' ? 7 : 0);
        *out = local_midnight(tm);
    } else if (!strcmp(w, "this-month") || !strcmp(w, "last-month")) {
        tm.tm_mday = 1;
        tm.tm_mon -= w[0] == 'l';
        *out = local_midnight(tm);
    } else if (!strcmp(w, "this-year") || !strcmp(w, "last-year")) {
        tm.tm_mday = 1;
        tm.tm_mon = 0;
        tm.tm_year -= w[0] == 'l';
        *out = local_midnight(tm);
    } else {
        return 0;
    }
    return 1;
}

/* 30d, 2w, 12h, 6mo, 1y, "30 days", "2 weeks ago": that long before now. */
static int relative_moment(const char *text, time_t now, time_t *out)
{
    char *end;
    if (!isdigit((unsigned char)*text))
        return 0;
    long n = strtol(text, &end, 10);
    if (n < 0 || n > 100000)
        return 0;
    while (*end == ' ')
        end++;
    char unit[16];
    size_t len = 0;
    while (isalpha((unsigned char)*end) && len + 1 < sizeof unit)
        unit[len++] = (char)tolower((unsigned char)*end++);
    unit[len] = '\0';
    while (*end == ' ')
        end++;
    if (!strcmp(end, "ago"))
        end += 3;
    if (*end)
        return 0;
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_isdst = -1;
    if (!strcmp(unit, "h") || !strcmp(unit, "hour") || !strcmp(unit, "hours"))
        tm.tm_hour -= (int)n;
    else if (!strcmp(unit, "d") || !strcmp(unit, "day") || !strcmp(unit, "days"))
        tm.tm_mday -= (int)n;
    else if (!strcmp(unit, "w") || !strcmp(unit, "week") || !strcmp(unit, "weeks"))
        tm.tm_mday -= 7 * (int)n;
    else if (!strcmp(unit, "mo") || !strcmp(unit, "month") || !strcmp(unit, "months"))
        tm.tm_mon -= (int)n;
    else if (!strcmp(unit, "y") || !strcmp(unit, "year") || !strcmp(unit, "years"))
        tm.tm_year -= (int)n;
    else
        return 0;
    *out = mktime(&tm);
    return 1;
}

/* Reads exactly `digits` digits into *v; returns the text after them or NULL. */
static const char *read_digits(const char *p, int digits, int *v)
{
    *v = 0;
    for (int i = 0; i < digits; i++, p++) {
        if (!isdigit((unsigned char)*p))
            return NULL;
        *v = *v * 10 + (*p - '0');
    }
    return p;
}

/* A zone suffix: Z, +08:00, +0800, -05:00; *offset in seconds east of UTC. */
static int zone_suffix(const char *p, int *has_zone, long *offset)
{
    *has_zone = 0;
    *offset = 0;
    if (!*p)
        return 1;
    if ((*p == 'Z' || *p == 'z') && !p[1]) {
        *has_zone = 1;
        return 1;
    }
    if (*p != '+' && *p != '-')
        return 0;
    int sign = *p == '-' ? -1 : 1, hh, mm;
    const char *q = read_digits(p + 1, 2, &hh);
    if (q && *q == ':')
        q++;
    q = q ? read_digits(q, 2, &mm) : NULL;
    if (!q || *q || hh > 14 || mm > 59)
        return 0;
    *has_zone = 1;
    *offset = sign * (hh * 3600L + mm * 60L);
    return 1;
}

/* YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS[.fff]][zone]. */
static int absolute_moment(const char *text, time_t *out)
{
    struct tm tm = {.tm_mday = 1, .tm_isdst = -1};
    int year, mon = 1, day = 1, hh = 0, mi = 0, ss = 0;
    const char *p = read_digits(text, 4, &year);
    if (!p || year < 1900 || year > 9999)
        return 0;
    if (*p == '-') {
        p = read_digits(p + 1, 2, &mon);
        if (p && *p == '-')
            p = read_digits(p + 1, 2, &day);
    }
    if (p && (*p == 'T' || *p == 't' || *p == ' ') && isdigit((unsigned char)p[1])) {
        p = read_digits(p + 1, 2, &hh);
        p = p && *p == ':' ? read_digits(p + 1, 2, &mi) : NULL;
        if (p && *p == ':')
            p = read_digits(p + 1, 2, &ss);
        if (p && *p == '.')
            for (p++; isdigit((unsigned char)*p); p++)
                ;
    }
    int has_zone;
    long offset;
    if (!p || !zone_suffix(p, &has_zone, &offset) || mon < 1 || mon > 12 || day < 1 ||
        day > 31 || hh > 23 || mi > 59 || ss > 60)
        return 0;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mi;
    tm.tm_sec = ss;
    struct tm check = tm;
    time_t t = has_zone ? timegm(&tm) - offset : mktime(&tm);
    /* 2026-02-30 is refused, not taken for 2 March. */
    if (tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon)
        return 0;
    *out = t;
    return 1;
}

dg_status dg_log_parse_time(const char *text, time_t now, char out[32], dg_error *err)
{
    char trimmed[64];
    while (text && isspace((unsigned char)*text))
        text++;
    size_t len = text ? strlen(text) : 0;
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (!len || len >= sizeof trimmed)
        return dg_error_set(err, DG_ERR_USAGE, "'%s' is not a date or time", text ? text : "");
    memcpy(trimmed, text, len);
    trimmed[len] = '\0';
    time_t t;
    if (!named_moment(trimmed, now, &t) && !relative_moment(trimmed, now, &t) &&
        !absolute_moment(trimmed, &t))
        return dg_error_set(err, DG_ERR_USAGE,
                            "'%s' is not a date or time: give 2026-11-03, 2026-11-03T14:00, "
                            "2026-11, 30d, 2w, 12h, 6mo, 1y, today, yesterday, tomorrow, "
                            "this-week, last-week, this-month, last-month, this-year or last-year",
                            trimmed);
    utc_iso(t, out);
    return DG_OK;
}

int dg_log_local_time(const char *utc, char *out, size_t size)
{
    struct tm tm = {0};
    int ms = 0;
    if (!utc || sscanf(utc, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                       &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6) {
        snprintf(out, size, "%s", utc ? utc : "");
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    struct tm local;
    localtime_r(&t, &local);
    char zone[8];
    strftime(zone, sizeof zone, "%z", &local); /* +0800 */
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &local);
    snprintf(out, size, "%s %.3s:%.2s", when, zone, zone + 3);
    return 1;
}

dg_status dg_log_timezone(dg_archive *archive, char **zone, dg_error *err)
{
    *zone = NULL;
    dg_status st = dg_setting_get(archive->db, "timezone", zone, err);
    return st == DG_ERR_NOT_FOUND ? DG_OK : st;
}

dg_status dg_log_set_timezone(dg_archive *archive, const dg_actor *actor, const char *zone,
                              dg_error *err)
{
    dg_log_event refusal = {.action = "timezone", .query = zone, .detail = "not an admin"};
    dg_status refused = dg_require_role(archive, actor, DG_ROLE_ADMIN, &refusal, err,
                                        "only an admin sets the archive's time zone");
    if (refused != DG_OK)
        return refused;
    /* An IANA zone name, as tzdata installs it: Asia/Shanghai, Asia/Taipei, Asia/Hong_Kong. */
    char path[256];
    struct stat sb;
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (!*zone || zone[0] == '/' || strstr(zone, "..") || stat(path, &sb) != 0 ||
        !S_ISREG(sb.st_mode))
        return dg_error_set(err, DG_ERR_USAGE,
                            "'%s' is not a time zone (give an IANA name such as Asia/Shanghai)",
                            zone);
    dg_status st = dg_catalog_begin_write(archive->db, err);
    if (st == DG_OK)
        st = dg_setting_set(archive->db, "timezone", zone, err);
    if (st == DG_OK) {
        dg_log_event ev = {.action = "timezone", .query = zone, .hits = -1, .outcome = "ok"};
        st = dg_log_append_in_txn(archive, actor, NULL, &ev, err);
    }
    return dg_catalog_end_write(archive->db, st, err);
}
