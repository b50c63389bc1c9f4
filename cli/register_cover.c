/*
 * register_cover.c — the names, local times and checkpoints of a printed register, for
 * register_cover.h.
 */
#include "register_cover.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/log.h"
#include "../retention/retention.h"

static const char *const PEOPLE[] = {"appraiser", "approver", "witness1", "witness2"};

static json_t *local_time(const char *utc)
{
    char local[48];
    if (!utc)
        return json_null();
    dg_log_local_time(utc, local, sizeof local);
    return json_string(local);
}

/* Adds "names": the full name of every login the entries name. */
static dg_status add_names(dg_archive *archive, const dg_actor *actor, json_t *result,
                           dg_error *err)
{
    json_t *names = json_object(), *e;
    size_t i;
    dg_status st = names ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "register: out of memory");
    json_array_foreach(json_object_get(result, "entries"), i, e) {
        for (size_t k = 0; st == DG_OK && k < sizeof PEOPLE / sizeof PEOPLE[0]; k++) {
            const char *login = json_string_value(json_object_get(e, PEOPLE[k]));
            if (!login || json_object_get(names, login))
                continue;
            char *name = NULL;
            st = dg_retention_register_name(archive, actor, login, &name, err);
            if (st == DG_OK)
                json_object_set_new(names, login, json_string(name));
            free(name);
        }
    }
    if (st == DG_OK)
        json_object_set_new(result, "names", names);
    else
        json_decref(names);
    return st;
}

/* The review's entry in "reviews", made on first sight of its year. */
static json_t *review_of(json_t *reviews, json_int_t year)
{
    json_t *r;
    size_t i;
    json_array_foreach(reviews, i, r)
        if (json_integer_value(json_object_get(r, "year")) == year)
            return r;
    r = json_pack("{s:I}", "year", year);
    json_array_append_new(reviews, r);
    return r;
}

static dg_status add_checkpoint(dg_archive *archive, const dg_actor *actor, json_t *review,
                                dg_error *err)
{
    char *note = NULL, *at = NULL;
    int year = (int)json_integer_value(json_object_get(review, "year"));
    dg_status st = dg_retention_register_checkpoint(archive, actor, year, &note, &at, err);
    if (st == DG_ERR_NOT_FOUND) { /* none signed since: the printout says so */
        json_object_set_new(review, "checkpoint", json_null());
        return DG_OK;
    }
    if (st == DG_OK) {
        json_object_set_new(review, "checkpoint", json_string(note));
        json_object_set_new(review, "checkpoint_at_local", local_time(at));
    }
    free(note);
    free(at);
    return st;
}

dg_status dg_register_cover_add(dg_archive *archive, const dg_actor *actor, json_t *result,
                                dg_error *err)
{
    json_t *reviews = json_array(), *e;
    size_t i;
    if (!reviews)
        return dg_error_set(err, DG_ERR_NOMEM, "register: out of memory");
    json_object_set_new(result, "reviews", reviews);
    json_object_set_new(result, "archive", json_string(dg_archive_name(archive)));
    json_array_foreach(json_object_get(result, "entries"), i, e) {
        const char *at = json_string_value(json_object_get(e, "destroyed_at"));
        json_object_set_new(e, "destroyed_local", local_time(at));
        json_t *review = review_of(reviews, json_integer_value(json_object_get(e, "review")));
        /* Entries come oldest first: the last one seen is the review's latest destruction. */
        if (review)
            json_object_set_new(review, "destroyed_at_local", local_time(at));
    }
    dg_status st = add_names(archive, actor, result, err);
    json_t *review;
    json_array_foreach(reviews, i, review) {
        if (st == DG_OK)
            st = add_checkpoint(archive, actor, review, err);
    }
    return st;
}
