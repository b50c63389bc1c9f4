/*
 * dispatch_retention.c — the request handlers of the retention commands: JSON arguments
 * to retention/ calls (the schedule, holds, the annual review and its destruction, the
 * register), and their results to JSON.
 */
#include "dispatch_retention.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../retention/retention.h"
#include "register_cover.h"

#define MAX_SCHEDULE_FILE (4u * 1024 * 1024)

static dg_status require_year(dg_request *c, const char *key, int *year)
{
    *year = dg_arg_int(c, key, 0);
    if (*year == 0)
        return dg_error_set(&c->err, DG_ERR_USAGE, "which review? give its year, e.g. 2026");
    return DG_OK;
}

/* ---- schedule and holds --------------------------------------------------------------- */

dg_status dg_cmd_schedule_list(dg_request *c, json_t **result)
{
    dg_schedule_row *rows;
    size_t n;
    dg_status st = dg_retention_schedule_list(c->archive, &c->actor, &rows, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "category", rows[i].category,
                                              "type", rows[i].record_type, "period",
                                              rows[i].period));
    dg_schedule_rows_free(rows, n);
    *result = json_pack("{s:o}", "schedule", list);
    return DG_OK;
}

dg_status dg_cmd_schedule_set(dg_request *c, json_t **result)
{
    const char *category, *type, *period;
    dg_status st = dg_arg_require(c, "category", "a category", &category);
    if (st == DG_OK)
        st = dg_arg_require(c, "type", "a record type (or - for the category's default)", &type);
    if (st == DG_OK)
        st = dg_arg_require(c, "period", "a period (Y, D30, D10)", &period);
    size_t changed = 0;
    if (st == DG_OK)
        st = dg_retention_schedule_set(c->archive, &c->actor, category, type, period,
                                       dg_arg_str(c, "approval"), dg_arg_str(c, "reason"), &changed,
                                       &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:s, s:b}", "category", category, "type", type,
                            "period", period, "changed", changed > 0);
    return st;
}

dg_status dg_cmd_schedule_import(dg_request *c, json_t **result)
{
    char *csv = NULL;
    const char *name;
    size_t rows = 0, changed = 0;
    size_t len;
    dg_status st = dg_arg_file(c, "file", MAX_SCHEDULE_FILE, &csv, &len, &name);
    if (st == DG_OK) {
        st = dg_retention_schedule_import(c->archive, &c->actor, csv, dg_arg_str(c, "approval"),
                                          dg_arg_str(c, "reason"), &rows, &changed, &c->err);
        if (st != DG_OK)
            dg_error_prefix(&c->err, "%s: ", name);
    }
    free(csv);
    if (st == DG_OK)
        *result = json_pack("{s:I, s:I}", "rows", (json_int_t)rows, "changed",
                            (json_int_t)changed);
    return st;
}

static dg_status place_or_release_hold(dg_request *c, json_t **result, int place)
{
    const char *ref;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st == DG_OK)
        st = dg_retention_hold(c->archive, &c->actor, ref, dg_arg_str(c, "reason"), place, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:b, s:o}", "refcode", ref, "on_hold", place, "reason",
                            dg_json_str_or_null(dg_arg_str(c, "reason")));
    return st;
}

dg_status dg_cmd_hold_list(dg_request *c, json_t **result)
{
    dg_hold_info *holds;
    size_t count;
    dg_status st = dg_retention_hold_list(c->archive, &c->actor, &holds, &count, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(
            list, json_pack("{s:s, s:o, s:i, s:s, s:o, s:o}", "refcode", holds[i].refcode,
                            "title", dg_json_str_or_null(holds[i].title), "level", holds[i].level,
                            "reason", holds[i].reason ? holds[i].reason : "", "placed_by",
                            dg_json_str_or_null(holds[i].placed_by), "placed_at",
                            dg_json_str_or_null(holds[i].placed_at)));
    dg_hold_infos_free(holds, count);
    *result = json_pack("{s:o}", "holds", list);
    return DG_OK;
}

/* ---- reviews -------------------------------------------------------------------------- */

/* "1y", "5y", "2" (years), "18m" (months, rounded up to years). */
static dg_status parse_within(dg_request *c, int *years)
{
    const char *text = dg_arg_str(c, "within");
    if (!text) {
        *years = 1;
        return DG_OK;
    }
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || v < 0 || v > 1000 || (*end && strcmp(end, "y") && strcmp(end, "m")))
        return dg_error_set(&c->err, DG_ERR_USAGE, "--within '%s': give years like 1y or 5y",
                            text);
    *years = !strcmp(end, "m") ? (int)((v + 11) / 12) : (int)v;
    return DG_OK;
}

dg_status dg_cmd_retention_due(dg_request *c, json_t **result)
{
    int within = 1;
    dg_status st = parse_within(c, &within);
    if (st != DG_OK)
        return st;
    dg_due_record *recs;
    size_t n;
    uint64_t total;
    st = dg_retention_due(c->archive, &c->actor, within, (size_t)dg_arg_int(c, "limit", 1000), &recs,
                          &n, &total, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:b, s:b}", "refcode",
                            recs[i].refcode, "title", recs[i].title, "category",
                            recs[i].category, "period", recs[i].period, "year", recs[i].year,
                            "due", recs[i].due_year, "on_hold", recs[i].on_hold, "queued",
                            recs[i].pending));
    dg_due_records_free(recs, n);
    *result = json_pack("{s:i, s:I, s:o}", "within_years", within, "total", (json_int_t)total,
                        "records", list);
    return DG_OK;
}

dg_status dg_cmd_retention_review(dg_request *c, json_t **result)
{
    int year;
    dg_status st = require_year(c, "year", &year);
    uint64_t queued = 0;
    char state[16];
    if (st == DG_OK)
        st = dg_retention_review(c->archive, &c->actor, year, &queued, state, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:i, s:s, s:I}", "year", year, "state", state, "queued",
                            (json_int_t)queued);
    return st;
}

static json_t *string_list(char *const *items, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        if (items[i])
            json_array_append_new(list, json_string(items[i]));
    return list;
}

static json_t *review_json(const dg_review_info *r)
{
    json_t *counts = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "queued", (json_int_t)r->queued,
        "appraised", (json_int_t)r->appraised, "approved", (json_int_t)r->approved, "retained",
        (json_int_t)r->retained, "witnessed", (json_int_t)r->witnessed, "destroying",
        (json_int_t)r->destroying, "destroyed", (json_int_t)r->destroyed, "on_hold",
        (json_int_t)r->held);
    return json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:o}", "year", r->year,
                     "state", r->state, "created_at", r->created_at, "created_by",
                     r->created_by, "approved_by", dg_json_str_or_null(r->approved_by), "approved_at",
                     dg_json_str_or_null(r->approved_at), "witnesses",
                     string_list(r->witnesses, r->n_witnesses), "appraisers",
                     string_list(r->appraisers, r->n_appraisers), "items",
                     (json_int_t)r->items, "counts", counts);
}

/*
 * One item of a review's list. A review at a million records lists about 376,000 items:
 * built field by field (json_pack read its format string, sixteen fields, for each item),
 * with the keys set unchecked (they are literals and distinct, and the order is that of
 * the calls, as json_pack's). Returns NULL when out of memory, as json_pack did.
 */
static json_t *item_json(const dg_review_item *it, size_t serial)
{
    json_t *o = json_object();
    const struct {
        const char *key;
        json_t *value;
    } fields[] = {
        {"serial", json_integer((json_int_t)serial)},
        {"refcode", json_string(it->refcode)},
        {"title", dg_json_str_or_null(it->title)},
        {"year", json_integer(it->year)},
        {"category", dg_json_str_or_null(it->category)},
        {"type", dg_json_str_or_null(it->record_type)},
        {"period", dg_json_str_or_null(it->period)},
        {"pages", json_integer(it->pages)},
        {"due", json_integer(it->due_year)},
        {"on_hold", json_boolean(it->on_hold)},
        {"state", json_string(it->state)},
        {"decision", dg_json_str_or_null(it->decision)},
        {"extend_years", it->extend_years ? json_integer(it->extend_years) : json_null()},
        {"reason", dg_json_str_or_null(it->reason)},
        {"appraiser", dg_json_str_or_null(it->appraiser)},
        {"appraised_at", dg_json_str_or_null(it->appraised_at)},
    };
    int failed = !o;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!fields[i].value)
            failed = 1;
        if (failed)
            json_decref(fields[i].value);
        else if (json_object_set_new_nocheck(o, fields[i].key, fields[i].value) != 0)
            failed = 1;
    }
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}

dg_status dg_cmd_retention_list(dg_request *c, json_t **result)
{
    int year;
    dg_status st = require_year(c, "review", &year);
    dg_review_info *info = NULL;
    dg_review_item *items = NULL;
    size_t n = 0;
    if (st == DG_OK)
        st = dg_retention_list(c->archive, &c->actor, year, &info, &items, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, item_json(&items[i], i + 1));
    *result = json_pack("{s:o, s:o}", "review", review_json(info), "items", list);
    dg_review_items_free(items, n);
    dg_review_info_free(info);
    return DG_OK;
}

dg_status dg_cmd_retention_appraise(dg_request *c, json_t **result)
{
    const char *ref;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    int chosen = dg_arg_bool(c, "destroy") + dg_arg_bool(c, "permanent") +
                 (dg_arg_has(c, "extend"));
    if (st == DG_OK && chosen != 1)
        st = dg_error_set(&c->err, DG_ERR_USAGE,
                          "appraise: choose exactly one of --destroy, --extend N, --permanent");
    const char *decision = dg_arg_bool(c, "destroy") ? "destroy"
                           : dg_arg_bool(c, "permanent") ? "permanent" : "extend";
    int years = dg_arg_int(c, "extend", 0), year = dg_arg_int(c, "review", 0);
    if (st == DG_OK)
        st = dg_retention_appraise(c->archive, &c->actor, year, ref, decision, years,
                                   dg_arg_str(c, "reason"), &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:o}", "refcode", ref, "decision", decision,
                            "extend_years", years ? json_integer(years) : json_null());
    return st;
}

dg_status dg_cmd_retention_approve(dg_request *c, json_t **result)
{
    int year;
    dg_status st = require_year(c, "review", &year);
    if (st == DG_OK)
        st = dg_retention_approve(c->archive, &c->actor, year, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:i, s:s, s:s}", "review", year, "state", "approved",
                            "approved_by", c->actor.login);
    return st;
}

dg_status dg_cmd_retention_witness(dg_request *c, json_t **result)
{
    int year, signatures = 0;
    dg_status st = require_year(c, "review", &year);
    if (st == DG_OK)
        st = dg_retention_witness(c->archive, &c->actor, year, &signatures, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:i, s:s, s:i}", "review", year, "witness", c->actor.login,
                            "signatures", signatures);
    return st;
}

dg_status dg_cmd_retention_destroy(dg_request *c, json_t **result)
{
    int year;
    dg_status st = require_year(c, "review", &year);
    dg_destroy_result r;
    memset(&r, 0, sizeof r);
    if (st == DG_OK)
        st = dg_retention_destroy(c->archive, &c->actor, year, &r, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:i, s:I, s:I, s:o}", "review", year, "destroyed",
                            (json_int_t)r.destroyed, "objects_removed", (json_int_t)r.objects,
                            "held", string_list(r.held_refcodes, (size_t)r.held));
    dg_destroy_result_free(&r);
    return st;
}

static json_t *register_json(const dg_register_entry *e)
{
    return json_pack("{s:I, s:i, s:s, s:s, s:i, s:s, s:o, s:s, s:i, s:i, s:i, s:s, s:s, s:s,"
                     " s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:b}",
                     "serial", (json_int_t)e->serial, "review", e->review_year, "refcode",
                     e->refcode, "title", e->title, "year", e->year, "category", e->category,
                     "type", dg_json_str_or_null(e->record_type), "period", e->period,
                     "period_served", e->period_served, "pages", e->page_count, "versions",
                     e->versions, "objects", e->objects, "appraiser", e->appraiser,
                     "approver", e->approver, "witness1", e->witness1, "witness2",
                     e->witness2, "destroyed_at", e->destroyed_at, "destroyed_by",
                     e->destroyed_by, "method", e->method, "remarks", dg_json_str_or_null(e->remarks),
                     "hash", e->row_hash, "intact", e->intact);
}

dg_status dg_cmd_register_list(dg_request *c, json_t **result)
{
    dg_register_entry *entries;
    size_t n;
    dg_status st = dg_retention_register(c->archive, &c->actor, dg_arg_int(c, "year", 0), &entries,
                                         &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, register_json(&entries[i]));
        if (!entries[i].intact)
            c->exit_override = 1;
    }
    dg_register_free(entries, n);
    *result = json_pack("{s:o}", "entries", list);
    /* Names, local times and the covering checkpoint, for the printed register. */
    return *result ? dg_register_cover_add(c->archive, &c->actor, *result, &c->err) : DG_OK;
}

dg_status dg_cmd_hold_add(dg_request *c, json_t **result)
{
    return place_or_release_hold(c, result, 1);
}

dg_status dg_cmd_hold_release(dg_request *c, json_t **result)
{
    return place_or_release_hold(c, result, 0);
}
