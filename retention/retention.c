/*
 * retention.c — the retention rules: when records fall due, who may appraise, approve,
 * witness and destroy, in what order, and what listings may show (see retention.h).
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/log.h"
#include "../engine/vocab.h"

/* ---- the expiry rule ----------------------------------------------------------------- */

int dg_retention_period_years(const char *period)
{
    dg_period p;
    if (!period || dg_period_parse(period, &p, NULL) != DG_OK)
        return -1;
    return dg_period_years(p);
}

int dg_retention_due_year(int formation_year, const char *period)
{
    int years = dg_retention_period_years(period);
    if (years <= 0)
        return years; /* 0: permanent, -1: unknown */
    /* Year 0: a provisional record whose year nobody has confirmed yet — no due year can
     * be counted from a year not known, so it is never due before an archivist gives it. */
    if (formation_year <= 0)
        return -1;
    return formation_year + 1 + years;
}

int dg_retention_is_expired(int formation_year, const char *period, int year, int month,
                            int day)
{
    int due = dg_retention_due_year(formation_year, period);
    (void)month;
    (void)day;
    /* Expiry falls on 1 January, so any day of the due year or later is past it. */
    return due > 0 && year >= due;
}

void dg_retention_review_rules(int review_year, dg_due_rule rules[2])
{
    static const char *const PERIODS[2] = {"D10", "D30"};
    for (int i = 0; i < 2; i++) {
        int years = dg_retention_period_years(PERIODS[i]);
        rules[i].period = PERIODS[i];
        rules[i].due_offset = 1 + years;
        rules[i].last_year = review_year - 1 - years; /* due year <= review year */
    }
}

/* ---- who may do what ----------------------------------------------------------------- */

static int listed(const char *login, const char *const *list, size_t n)
{
    for (size_t i = 0; login && i < n; i++)
        if (list[i] && !strcmp(list[i], login))
            return 1;
    return 0;
}

static dg_status check_appraise(const dg_actor *actor, const dg_review_facts *f, dg_error *err)
{
    if (!(actor->roles & DG_ROLE_ARCHIVIST))
        return dg_error_set(err, DG_ERR_DENIED, "only an archivist may appraise records; %s "
                            "is not an archivist", actor->login);
    if (strcmp(f->state, "open"))
        return dg_error_set(err, DG_ERR_STATE, "the review is %s: appraisals are closed",
                            f->state);
    return DG_OK;
}

static dg_status check_approve(const dg_actor *actor, const dg_review_facts *f, dg_error *err)
{
    if (!(actor->roles & DG_ROLE_LEADER))
        return dg_error_set(err, DG_ERR_DENIED, "only leadership may approve a destruction "
                            "list; %s does not have the leader role", actor->login);
    if (listed(actor->login, f->appraisers, f->n_appraisers))
        return dg_error_set(err, DG_ERR_DENIED, "%s appraised items of this review and so "
                            "may not approve it", actor->login);
    if (strcmp(f->state, "open"))
        return dg_error_set(err, DG_ERR_STATE, "the review is already %s", f->state);
    if (f->items == 0)
        return dg_error_set(err, DG_ERR_STATE, "the review has no items to approve");
    if (f->queued)
        return dg_error_set(err, DG_ERR_STATE, "%llu item%s not appraised yet",
                            (unsigned long long)f->queued, f->queued == 1 ? " is" : "s are");
    return DG_OK;
}

static dg_status check_witness(const dg_actor *actor, const dg_review_facts *f, dg_error *err)
{
    if (!(actor->roles & DG_ROLE_WITNESS))
        return dg_error_set(err, DG_ERR_DENIED, "only a witness (监销人) may sign; %s does "
                            "not have the witness role", actor->login);
    if (f->approver && !strcmp(f->approver, actor->login))
        return dg_error_set(err, DG_ERR_DENIED, "%s approved this review and so may not "
                            "witness it", actor->login);
    if (listed(actor->login, f->appraisers, f->n_appraisers))
        return dg_error_set(err, DG_ERR_DENIED, "%s appraised items of this review and so "
                            "may not witness it", actor->login);
    if (listed(actor->login, f->witnesses, f->n_witnesses))
        return dg_error_set(err, DG_ERR_EXISTS, "%s has already signed; a second witness "
                            "must be someone else", actor->login);
    if (!strcmp(f->state, "open"))
        return dg_error_set(err, DG_ERR_STATE, "the review is not approved yet");
    if (strcmp(f->state, "approved"))
        return dg_error_set(err, DG_ERR_STATE, "the review is already %s", f->state);
    return DG_OK;
}

static dg_status check_destroy(const dg_actor *actor, const dg_review_facts *f, dg_error *err)
{
    if (!(actor->roles & (DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN)))
        return dg_error_set(err, DG_ERR_DENIED, "only an archivist or admin may run a "
                            "destruction; %s is neither", actor->login);
    if (!strcmp(f->state, "open"))
        return dg_error_set(err, DG_ERR_STATE, "the review is not approved yet");
    if (!strcmp(f->state, "approved"))
        return dg_error_set(err, DG_ERR_STATE, "the destruction needs two witnesses; %zu "
                            "signed so far", f->n_witnesses);
    if (!strcmp(f->state, "destroyed") && f->destroying == 0)
        return dg_error_set(err, DG_ERR_STATE, "the review's records are already destroyed");
    return DG_OK;
}

dg_status dg_retention_check(dg_retention_step step, const dg_actor *actor,
                             const dg_review_facts *facts, dg_error *err)
{
    switch (step) {
    case DG_STEP_APPRAISE: return check_appraise(actor, facts, err);
    case DG_STEP_APPROVE: return check_approve(actor, facts, err);
    case DG_STEP_WITNESS: return check_witness(actor, facts, err);
    case DG_STEP_DESTROY: return check_destroy(actor, facts, err);
    }
    return dg_error_set(err, DG_ERR_INTERNAL, "unknown retention step");
}

int dg_retention_may_see(const dg_actor *actor, int level)
{
    return actor->clearance == DG_LEVEL_MAX || level <= (actor->clearance < 3 ? actor->clearance : 3);
}

/* ---- refusals ------------------------------------------------------------------------ */

/* Logs a refusal with its reason (the message already in err) and returns status. */
static dg_status refused(dg_archive *archive, const dg_actor *actor, const char *action,
                         const char *refcode, dg_status status, dg_error *err)
{
    dg_log_event ev = {.action = action, .refcode = refcode, .hits = -1,
                       .outcome = "refused", .detail = err ? err->msg : NULL};
    dg_error ignored;
    dg_log_append(archive, actor, NULL, &ev, &ignored);
    return status;
}

/* Refuses (and logs, with the reason as the entry's detail) unless the actor holds one of
 * roles. */
static dg_status require_role(dg_archive *archive, const dg_actor *actor, unsigned roles,
                              const char *action, const char *who, dg_error *err)
{
    char why[DG_ERROR_MAX];
    snprintf(why, sizeof why, "%s: only %s may do this; %s may not", action, who, actor->login);
    return dg_require_role(archive, actor, roles, &(dg_log_event){.action = action, .detail = why},
                           err, "%s", why);
}

/* ---- the schedule and holds ---------------------------------------------------------- */

dg_status dg_retention_schedule_list(dg_archive *archive, const dg_actor *actor,
                                     dg_schedule_row **rows, size_t *count, dg_error *err)
{
    (void)actor; /* the schedule is no secret: every account may read it */
    return dg_schedule_list(archive, rows, count, err);
}

static int means_default(const char *type)
{
    return !type || !type[0] || !strcmp(type, "-") || !strcmp(type, "*") ||
           !strcmp(type, "default");
}

/* Resolves one row's names into the canonical keys and codes the catalog stores. */
static dg_status resolve_schedule_row(const char *category, const char *type,
                                      const char *period, dg_schedule_change *out,
                                      dg_error *err)
{
    dg_category cat;
    dg_period p;
    dg_status st = dg_category_parse(category, &cat, err);
    if (st == DG_OK)
        st = dg_period_parse(period, &p, err);
    if (st != DG_OK)
        return st;
    out->category = dg_category_key(cat);
    out->record_type = means_default(type) ? "" : type;
    out->period = dg_period_code(p);
    return DG_OK;
}

static const unsigned SCHEDULE_ROLES = DG_ROLE_LEADER | DG_ROLE_ADMIN;

dg_status dg_retention_schedule_set(dg_archive *archive, const dg_actor *actor,
                                    const char *category, const char *record_type,
                                    const char *period, const char *approval,
                                    const char *reason, size_t *changed, dg_error *err)
{
    *changed = 0;
    dg_status st = require_role(archive, actor, SCHEDULE_ROLES, "schedule.set",
                                "leadership or an admin", err);
    dg_schedule_change change;
    if (st == DG_OK)
        st = resolve_schedule_row(category, record_type, period, &change, err);
    if (st == DG_OK)
        st = dg_schedule_apply(archive, actor, &change, 1, approval, reason, changed, err);
    return st;
}

/* Splits one CSV line (quotes allowed) into at most max fields, in place. */
static size_t split_csv(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        while (*p == ' ' || *p == '\t')
            p++;
        int quoted = *p == '"';
        char *start = quoted ? ++p : p, *w = start;
        while (*p && (quoted ? !(*p == '"' && p[1] != '"') : *p != ',')) {
            if (quoted && *p == '"')
                p++; /* a doubled quote */
            *w++ = *p++;
        }
        if (quoted && *p == '"')
            p++;
        while (!quoted && w > start && (w[-1] == ' ' || w[-1] == '\t' || w[-1] == '\r'))
            w--;
        int more = *p == ',';
        while (*p && *p != ',')
            p++;
        *w = '\0';
        fields[n++] = start;
        if (!more)
            break;
        p++;
    }
    return n;
}

static dg_status parse_schedule_csv(char *text, dg_schedule_change **rows, size_t *count,
                                    dg_error *err)
{
    size_t cap = 0, line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char *f[4];
        size_t n = split_csv(line, f, 4);
        if (n == 0 || !f[0][0] || f[0][0] == '#')
            continue;
        if (line_no == 1 && !strcasecmp(f[0], "category"))
            continue; /* the header */
        if (n < 3)
            return dg_error_set(err, DG_ERR_USAGE, "line %zu: expected category,type,period",
                                line_no);
        if (*count == cap) {
            cap = cap ? 2 * cap : 32;
            dg_schedule_change *bigger = realloc(*rows, cap * sizeof *bigger);
            if (!bigger)
                return dg_error_set(err, DG_ERR_NOMEM, "retention: out of memory");
            *rows = bigger;
        }
        dg_status st = resolve_schedule_row(f[0], f[1], f[2], &(*rows)[*count], err);
        if (st != DG_OK)
            return dg_error_prefix(err, "line %zu: ", line_no);
        (*count)++;
    }
    return DG_OK;
}

dg_status dg_retention_schedule_import(dg_archive *archive, const dg_actor *actor,
                                       const char *csv, const char *approval,
                                       const char *reason, size_t *rows, size_t *changed,
                                       dg_error *err)
{
    *rows = *changed = 0;
    dg_status st = require_role(archive, actor, SCHEDULE_ROLES, "schedule.import",
                                "leadership or an admin", err);
    if (st != DG_OK)
        return st;
    char *text = strdup(csv);
    dg_schedule_change *list = NULL;
    size_t n = 0;
    st = text ? parse_schedule_csv(text, &list, &n, err)
              : dg_error_set(err, DG_ERR_NOMEM, "retention: out of memory");
    /* The row types point into text: apply before freeing it. */
    if (st == DG_OK && n == 0)
        st = dg_error_set(err, DG_ERR_USAGE, "the schedule file has no rows");
    if (st == DG_OK)
        st = dg_schedule_apply(archive, actor, list, n, approval,
                               reason ? reason : "schedule imported", changed, err);
    if (st == DG_OK)
        *rows = n;
    free(list);
    free(text);
    return st;
}

dg_status dg_retention_hold(dg_archive *archive, const dg_actor *actor, const char *refcode,
                            const char *reason, int place, dg_error *err)
{
    const char *action = place ? "hold.add" : "hold.release";
    dg_status st = require_role(archive, actor,
                                DG_ROLE_ARCHIVIST | DG_ROLE_AUDITOR | DG_ROLE_LEADER |
                                    DG_ROLE_ADMIN,
                                action, "archivists, auditors, leadership and admins", err);
    if (st != DG_OK)
        return st;
    if (place && (!reason || !reason[0]))
        return dg_error_set(err, DG_ERR_USAGE, "a hold needs a reason (--reason)");
    return place ? dg_hold_place(archive, actor, refcode, reason, err)
                 : dg_hold_release(archive, actor, refcode, reason, err);
}

dg_status dg_retention_hold_list(dg_archive *archive, const dg_actor *actor,
                                 dg_hold_info **out, size_t *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    dg_status st = require_role(archive, actor,
                                DG_ROLE_ARCHIVIST | DG_ROLE_AUDITOR | DG_ROLE_LEADER |
                                    DG_ROLE_ADMIN,
                                "hold.list", "archivists, auditors, leadership and admins", err);
    if (st == DG_OK)
        st = dg_hold_list(archive, NULL, out, count, err);
    for (size_t i = 0; st == DG_OK && i < *count; i++) {
        if (!dg_retention_may_see(actor, (*out)[i].level)) {
            free((*out)[i].title);
            (*out)[i].title = NULL;
        }
    }
    return st;
}

/* ---- reviews ------------------------------------------------------------------------- */

static int current_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return tm.tm_year + 1900;
}

static const unsigned READERS = DG_ROLE_ARCHIVIST | DG_ROLE_LEADER | DG_ROLE_WITNESS |
                                DG_ROLE_AUDITOR | DG_ROLE_ADMIN;

dg_status dg_retention_due(dg_archive *archive, const dg_actor *actor, int within_years,
                           size_t limit, dg_due_record **out, size_t *count, uint64_t *total,
                           dg_error *err)
{
    *out = NULL;
    *count = 0;
    *total = 0;
    dg_status st = require_role(archive, actor,
                                DG_ROLE_ARCHIVIST | DG_ROLE_LEADER | DG_ROLE_ADMIN,
                                "retention.due", "archivists, leadership and admins", err);
    if (st != DG_OK)
        return st;
    if (within_years < 0 || within_years > 1000)
        return dg_error_set(err, DG_ERR_USAGE, "--within must be 0 to 1000 years");
    /* 1 January of year Y is within N years of today exactly when Y <= this year + N. */
    int until = current_year() + within_years;
    dg_due_rule rules[2];
    dg_retention_review_rules(until, rules);
    st = dg_due_list(archive, rules, 2, until, limit, out, count, total, err);
    for (size_t i = 0; st == DG_OK && i < *count; i++) {
        if (!dg_retention_may_see(actor, (*out)[i].level)) {
            free((*out)[i].title);
            (*out)[i].title = strdup(DG_RETENTION_WITHHELD);
        }
    }
    return st;
}

static dg_status valid_year(int year, dg_error *err)
{
    if (year < 1000 || year > 9999)
        return dg_error_set(err, DG_ERR_USAGE, "review year %d is not a four-digit year", year);
    return DG_OK;
}

dg_status dg_retention_review(dg_archive *archive, const dg_actor *actor, int year,
                              uint64_t *queued, char state[16], dg_error *err)
{
    *queued = 0;
    state[0] = '\0';
    dg_status st = require_role(archive, actor, DG_ROLE_ARCHIVIST | DG_ROLE_ADMIN,
                                "retention.review", "archivists and admins", err);
    if (st == DG_OK)
        st = valid_year(year, err);
    if (st != DG_OK)
        return st;
    dg_due_rule rules[2];
    dg_retention_review_rules(year, rules);
    return dg_review_open(archive, actor, year, rules, 2, queued, state, err);
}

static void facts_from_info(const dg_review_info *info, dg_review_facts *f)
{
    memset(f, 0, sizeof *f);
    f->state = info->state;
    f->items = info->items;
    f->queued = info->queued;
    f->witnessed = info->witnessed;
    f->destroying = info->destroying;
    f->approver = info->approved_by;
    f->appraisers = (const char *const *)info->appraisers;
    f->n_appraisers = info->n_appraisers;
    f->witnesses = (const char *const *)info->witnesses;
    f->n_witnesses = info->n_witnesses;
}

/* Loads the review of year and checks that actor may take step on it; logs a refusal. */
static dg_status load_and_check(dg_archive *archive, const dg_actor *actor, int year,
                                dg_retention_step step, const char *action,
                                const char *refcode, dg_review_info **info, dg_error *err)
{
    *info = NULL;
    dg_status st = valid_year(year, err);
    if (st == DG_OK)
        st = dg_review_get(archive, year, info, err);
    if (st != DG_OK)
        return st;
    dg_review_facts facts;
    facts_from_info(*info, &facts);
    st = dg_retention_check(step, actor, &facts, err);
    if (st == DG_OK)
        return DG_OK;
    dg_error_prefix(err, "%s %d: refused: ", action, year);
    dg_review_info_free(*info);
    *info = NULL;
    return refused(archive, actor, action, refcode, st, err);
}

dg_status dg_retention_list(dg_archive *archive, const dg_actor *actor, int year,
                            dg_review_info **info, dg_review_item **items, size_t *count,
                            dg_error *err)
{
    *info = NULL;
    *items = NULL;
    *count = 0;
    dg_status st = require_role(archive, actor, READERS, "retention.list",
                                "archivists, leadership, witnesses, auditors and admins", err);
    if (st == DG_OK)
        st = valid_year(year, err);
    if (st == DG_OK)
        st = dg_review_get(archive, year, info, err);
    if (st == DG_OK)
        st = dg_review_items(archive, (*info)->id, items, count, err);
    for (size_t i = 0; st == DG_OK && i < *count; i++) {
        if (!dg_retention_may_see(actor, (*items)[i].level)) {
            free((*items)[i].title);
            (*items)[i].title = strdup(DG_RETENTION_WITHHELD);
        }
    }
    if (st != DG_OK) {
        dg_review_info_free(*info);
        *info = NULL;
    }
    return st;
}

static dg_status valid_decision(const char *decision, int years, const char *reason,
                                dg_error *err)
{
    if (!decision || (strcmp(decision, "destroy") && strcmp(decision, "extend") &&
                      strcmp(decision, "permanent")))
        return dg_error_set(err, DG_ERR_USAGE,
                            "appraise: choose one of --destroy, --extend N, --permanent");
    if (!strcmp(decision, "extend") && (years < 1 || years > 100))
        return dg_error_set(err, DG_ERR_USAGE, "--extend takes 1 to 100 years");
    if (!reason || !reason[0])
        return dg_error_set(err, DG_ERR_USAGE, "an appraisal needs a reason (--reason)");
    return DG_OK;
}

dg_status dg_retention_appraise(dg_archive *archive, const dg_actor *actor, int year,
                                const char *refcode, const char *decision, int years,
                                const char *reason, dg_error *err)
{
    dg_status st = valid_decision(decision, years, reason, err);
    if (st == DG_OK && year == 0)
        st = dg_review_year_of(archive, refcode, &year, err);
    dg_review_info *info = NULL;
    if (st == DG_OK)
        st = load_and_check(archive, actor, year, DG_STEP_APPRAISE, "retention.appraise",
                            refcode, &info, err);
    dg_review_item *item = NULL;
    if (st == DG_OK)
        st = dg_review_item_get(archive, info->id, refcode, &item, err);
    if (st == DG_OK && strcmp(item->state, "queued") && strcmp(item->state, "appraised")) {
        dg_error_set(err, DG_ERR_STATE, "retention.appraise %d: refused: %s is %s", year,
                     refcode, item->state);
        st = refused(archive, actor, "retention.appraise", refcode, DG_ERR_STATE, err);
    }
    if (st == DG_OK)
        st = dg_review_appraise(archive, actor, info->id, refcode, decision, years, reason, err);
    dg_review_items_free(item, item ? 1 : 0);
    dg_review_info_free(info);
    return st;
}

dg_status dg_retention_approve(dg_archive *archive, const dg_actor *actor, int year,
                               dg_error *err)
{
    dg_review_info *info = NULL;
    dg_status st = load_and_check(archive, actor, year, DG_STEP_APPROVE, "retention.approve",
                                  NULL, &info, err);
    if (st == DG_OK)
        st = dg_review_approve(archive, actor, info->id, err);
    dg_review_info_free(info);
    return st;
}

dg_status dg_retention_witness(dg_archive *archive, const dg_actor *actor, int year,
                               int *signatures, dg_error *err)
{
    *signatures = 0;
    dg_review_info *info = NULL;
    dg_status st = load_and_check(archive, actor, year, DG_STEP_WITNESS, "retention.witness",
                                  NULL, &info, err);
    if (st == DG_OK)
        st = dg_review_sign(archive, actor, info->id, signatures, err);
    dg_review_info_free(info);
    return st;
}

dg_status dg_retention_destroy(dg_archive *archive, const dg_actor *actor, int year,
                               dg_destroy_result *out, dg_error *err)
{
    memset(out, 0, sizeof *out);
    dg_review_info *info = NULL;
    dg_status st = load_and_check(archive, actor, year, DG_STEP_DESTROY, "retention.destroy",
                                  NULL, &info, err);
    if (st == DG_OK)
        st = dg_review_destroy(archive, actor, info->id,
                               "electronic: objects overwritten and unlinked, index compacted, "
                               "catalog secure-deleted and its log truncated",
                               out, err);
    dg_review_info_free(info);
    return st;
}

dg_status dg_retention_register(dg_archive *archive, const dg_actor *actor, int year,
                                dg_register_entry **out, size_t *count, dg_error *err)
{
    *out = NULL;
    *count = 0;
    dg_status st = require_role(archive, actor, READERS, "register.list",
                                "archivists, leadership, witnesses, auditors and admins", err);
    if (st == DG_OK)
        st = dg_register_list(archive, year, out, count, err);
    if (st != DG_OK)
        return st;
    for (size_t i = 0; i < *count; i++) {
        if (!dg_retention_may_see(actor, (*out)[i].level)) {
            free((*out)[i].title);
            (*out)[i].title = strdup(DG_RETENTION_WITHHELD);
        }
    }
    char detail[64];
    snprintf(detail, sizeof detail, "%zu entries", *count);
    dg_log_event ev = {.action = "register.list", .hits = (long)*count, .outcome = "ok",
                       .detail = detail};
    return dg_log_append(archive, actor, NULL, &ev, err);
}

dg_status dg_retention_register_name(dg_archive *archive, const dg_actor *actor,
                                     const char *login, char **name, dg_error *err)
{
    *name = NULL;
    dg_status st = require_role(archive, actor, READERS, "register.list",
                                "archivists, leadership, witnesses, auditors and admins", err);
    return st == DG_OK ? dg_user_name_of(archive, login, name, err) : st;
}

dg_status dg_retention_register_checkpoint(dg_archive *archive, const dg_actor *actor, int year,
                                           char **note, char **at, dg_error *err)
{
    *note = *at = NULL;
    dg_status st = require_role(archive, actor, READERS, "register.list",
                                "archivists, leadership, witnesses, auditors and admins", err);
    int64_t entry = 0;
    if (st == DG_OK)
        st = dg_register_last_log_entry(archive, year, &entry, err);
    if (st == DG_OK)
        st = dg_log_checkpoint_covering(archive, (uint64_t)entry, note, at, err);
    return st;
}
