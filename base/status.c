/*
 * status.c — error message buffers and the status-to-name and status-to-exit-code maps.
 */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

dg_status dg_error_set(dg_error *err, dg_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

dg_status dg_error_prefix(dg_error *err, const char *fmt, ...)
{
    if (!err)
        return DG_ERR_INTERNAL;
    char prefix[DG_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Join by hand: a message that no longer fits is cut, never overrun. */
    size_t plen = strnlen(prefix, sizeof prefix);
    size_t mlen = strnlen(err->msg, sizeof err->msg);
    if (plen + mlen >= sizeof err->msg)
        mlen = sizeof err->msg - 1 - plen;
    memmove(err->msg + plen, err->msg, mlen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + mlen] = '\0';
    return err->status;
}

void dg_error_clear(dg_error *err)
{
    if (err) {
        err->status = DG_OK;
        err->msg[0] = '\0';
    }
}

const char *dg_status_name(dg_status status)
{
    switch (status) {
    case DG_OK: return "ok";
    case DG_ERR_USAGE: return "usage";
    case DG_ERR_NOT_FOUND: return "not_found";
    case DG_ERR_DENIED: return "denied";
    case DG_ERR_UNKNOWN_USER: return "unknown_user";
    case DG_ERR_EXISTS: return "exists";
    case DG_ERR_IO: return "io";
    case DG_ERR_CORRUPT: return "corrupt";
    case DG_ERR_DB: return "catalog";
    case DG_ERR_INDEX: return "index";
    case DG_ERR_NOMEM: return "nomem";
    case DG_ERR_BUSY: return "busy";
    case DG_ERR_BAD_INPUT: return "bad_input";
    case DG_ERR_QUERY: return "query";
    case DG_ERR_STATE: return "state";
    case DG_ERR_INTERNAL: return "internal";
    }
    return "internal";
}

/*
 * Exit codes are part of the command line's contract (README, "Exit codes"): scripts
 * branch on them, so they group statuses by what a caller would do next.
 */
int dg_status_exit_code(dg_status status)
{
    switch (status) {
    case DG_OK: return 0;
    case DG_ERR_USAGE: return 2;
    case DG_ERR_NOT_FOUND: return 3;
    case DG_ERR_DENIED:
    case DG_ERR_UNKNOWN_USER: return 4;
    case DG_ERR_EXISTS:
    case DG_ERR_STATE: return 5;
    case DG_ERR_BAD_INPUT:
    case DG_ERR_QUERY: return 6;
    case DG_ERR_BUSY: return 7;
    case DG_ERR_IO:
    case DG_ERR_CORRUPT:
    case DG_ERR_DB:
    case DG_ERR_INDEX:
    case DG_ERR_NOMEM:
    case DG_ERR_INTERNAL: return 8;
    }
    return 8;
}
