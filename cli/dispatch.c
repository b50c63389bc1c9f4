/*
 * dispatch.c — the request API: JSON requests to engine calls, engine results to JSON.
 *
 * Each handler reads its arguments from the request, calls the engine as the actor and
 * builds its result. Handlers never print and never decide exit codes beyond the status
 * mapping in status.h (and exit 1 for a check that found problems).
 */
#include "dispatch.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/batch.h"
#include "../base/fileio.h"
#include "../base/hash.h"
#include "../engine/log.h"
#include "../engine/record.h"
#include "../engine/synonyms.h"
#include "../engine/user.h"
#include "../engine/verify.h"
#include "../engine/vocab.h"
#include "../ingest/born.h"
#include "../ingest/ingest.h"
#include "../ingest/manifest.h"
#include "../base/utf8.h"
#include "../ingest/textenc.h"
#include "dispatch_classify.h"
#include "../engine/disposal.h"
#include "dispatch_log.h"
#include "dispatch_retention.h"

/* Input files are read whole; a text record over this size is refused rather than
 * swallowing the machine's memory. */
#define MAX_TEXT_FILE (64u * 1024 * 1024)

typedef struct call {
    const char *cmd;
    dg_archive *archive;
    dg_actor actor;
    json_t *args;
    const dg_dispatch_io *io;
    dg_error err;
    int exit_override; /* >= 0: a check that found problems sets 1 */
} call;

typedef dg_status (*handler_fn)(call *c, json_t **result);

/*
 * A message may quote bytes that came from outside (a title stored before dangan checked
 * its encoding, a file name): JSON strings must be UTF-8, and jansson refuses anything
 * else, which used to leave no response at all and the user reading "(null)" with exit 0.
 * Each byte that does not begin a valid sequence becomes '?', so the message still names
 * the record and the reason.
 */
static char *printable_message(const char *message)
{
    const char *m = message && *message ? message : "failed without a message (a bug)";
    size_t len = strlen(m);
    char *out = strdup(m);
    if (!out)
        return NULL;
    size_t at = 0;
    while (at < len) {
        at += dg_utf8_invalid_at(out + at, len - at);
        if (at < len)
            out[at++] = '?';
    }
    return out;
}

json_t *dg_response_error(dg_status status, const char *message)
{
    if (status == DG_OK) /* a failure reported with no status is still a failure */
        status = DG_ERR_INTERNAL;
    char *text = printable_message(message);
    json_t *response = json_pack("{s:b, s:i, s:s, s:s}", "ok", 0, "exit",
                                 dg_status_exit_code(status), "status", dg_status_name(status),
                                 "error", text ? text : "out of memory");
    free(text);
    return response;
}

/* ---- argument access -------------------------------------------------------------- */

static const char *arg_str(call *c, const char *key)
{
    json_t *v = json_object_get(c->args, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int arg_has(call *c, const char *key)
{
    return json_object_get(c->args, key) != NULL;
}

static int arg_int(call *c, const char *key, int fallback)
{
    json_t *v = json_object_get(c->args, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

static int arg_bool(call *c, const char *key)
{
    return json_is_true(json_object_get(c->args, key));
}

static dg_status require_str(call *c, const char *key, const char *what, const char **out)
{
    *out = arg_str(c, key);
    if (!*out || !**out)
        return dg_error_set(&c->err, DG_ERR_USAGE, "%s is required", what);
    return DG_OK;
}

static dg_status parse_level_arg(call *c, const char *key, int *level)
{
    const char *text = arg_str(c, key);
    if (!text)
        return DG_OK;
    return dg_level_parse(text, level, &c->err);
}

dg_status dg_dispatch_read_file(json_t *args, const char *key, const dg_dispatch_io *io,
                                size_t max_bytes, char **data, size_t *len, const char **name,
                                dg_error *err)
{
    json_t *f = json_object_get(args, key);
    json_t *fdv = json_object_get(f, "fd");
    *data = NULL;
    *name = json_string_value(json_object_get(f, "name"));
    if (!*name)
        *name = "(file)";
    if (!json_is_integer(fdv) || json_integer_value(fdv) < 0 ||
        (size_t)json_integer_value(fdv) >= io->n_fds)
        return dg_error_set(err, DG_ERR_USAGE, "%s: file was not passed with the request", *name);
    return dg_read_fd_whole(io->fds[json_integer_value(fdv)], *name, max_bytes, data, len, err);
}

static dg_status read_passed_file(call *c, const char *key, char **data, size_t *len,
                                  const char **name)
{
    return dg_dispatch_read_file(c->args, key, c->io, MAX_TEXT_FILE, data, len, name, &c->err);
}

static dg_status parse_encoding_arg(call *c, dg_text_encoding *enc)
{
    const char *name = arg_str(c, "encoding");
    *enc = DG_ENC_AUTO;
    return name ? dg_text_encoding_parse(name, enc, &c->err) : DG_OK;
}

/*
 * A born-digital text record: the file's bytes decoded to UTF-8 from the encoding given
 * with --encoding or detected (textenc.h). *text is the decoded text, malloc'ed.
 */
static dg_status decode_text_file(call *c, const char *name, const char *data, size_t len,
                                  char **text)
{
    *text = NULL;
    if (len == 0)
        return dg_error_set(&c->err, DG_ERR_BAD_INPUT, "%s: empty file", name);
    dg_text_encoding enc;
    dg_status st = parse_encoding_arg(c, &enc);
    dg_decoded_text decoded;
    if (st == DG_OK)
        st = dg_text_decode(data, len, enc, name, &decoded, &c->err);
    if (st == DG_OK)
        *text = decoded.text;
    return st;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* ---- users ------------------------------------------------------------------------ */

static dg_status parse_roles_arg(call *c, const char *key, unsigned *roles, int *given)
{
    const char *text = arg_str(c, key);
    *given = text != NULL;
    return text ? dg_roles_parse(text, roles, &c->err) : DG_OK;
}

static dg_status h_user_add(call *c, json_t **result)
{
    const char *login;
    int clearance = -1, roles_given;
    unsigned roles = DG_ROLE_STAFF;
    dg_status st = require_str(c, "login", "a login name", &login);
    if (st == DG_OK)
        st = parse_level_arg(c, "clearance", &clearance);
    if (st == DG_OK && clearance < 0)
        st = dg_error_set(&c->err, DG_ERR_USAGE, "--clearance is required (0-4)");
    if (st == DG_OK)
        st = parse_roles_arg(c, "role", &roles, &roles_given);
    if (st == DG_OK)
        st = dg_user_add(c->archive, &c->actor, login, arg_str(c, "name"), clearance, roles,
                         &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s}", "login", login);
    return st;
}

static dg_status h_user_set(call *c, json_t **result)
{
    const char *login;
    int clearance = -1, roles_given, active = arg_bool(c, "disable") ? 0 : 1;
    unsigned roles = 0;
    dg_status st = require_str(c, "login", "a login name", &login);
    if (st == DG_OK)
        st = parse_level_arg(c, "clearance", &clearance);
    if (st == DG_OK)
        st = parse_roles_arg(c, "role", &roles, &roles_given);
    if (st != DG_OK)
        return st;
    dg_user_change change = {
        .name = arg_str(c, "name"),
        .clearance = clearance >= 0 ? &clearance : NULL,
        .roles = roles_given ? &roles : NULL,
        .active = arg_bool(c, "disable") || arg_bool(c, "enable") ? &active : NULL,
    };
    if (!change.name && !change.clearance && !change.roles && !change.active)
        return dg_error_set(&c->err, DG_ERR_USAGE, "user set %s: nothing to change", login);
    st = dg_user_update(c->archive, &c->actor, login, &change, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s}", "login", login);
    return st;
}

static json_t *roles_json(unsigned roles)
{
    char buf[128];
    dg_roles_format(roles, buf, sizeof buf);
    return json_string(buf);
}

static dg_status h_user_list(call *c, json_t **result)
{
    dg_user *users;
    size_t n;
    dg_status st = dg_user_list(c->archive, &c->actor, &users, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:o, s:b, s:s}", "login",
                                              users[i].login, "name", users[i].name,
                                              "clearance", users[i].clearance, "roles",
                                              roles_json(users[i].roles), "active",
                                              users[i].active, "created_at",
                                              users[i].created_at));
    dg_users_free(users, n);
    *result = json_pack("{s:o}", "users", list);
    return DG_OK;
}

/* ---- records ---------------------------------------------------------------------- */

/* The LibreOffice program for legacy office files and page views: $DANGAN_SOFFICE (the
 * server's own environment in server mode), else soffice on PATH; "" turns it off. */
static const char *soffice_setting(void)
{
    return getenv("DANGAN_SOFFICE");
}

/* An office document is filed as its pages (page 1 the original), with its own title and
 * creation date where the archivist gave none. */
static void take_born_document(const dg_born_doc *born, dg_record_input *in)
{
    in->pages = born->pages;
    in->n_pages = born->n_pages;
    in->text = born->text;
    if (!in->title && born->props && born->props->title[0])
        in->title = born->props->title;
    if (!in->doc_date && born->props && born->props->created[0])
        in->doc_date = born->props->created;
}

/*
 * A failure while taking in a file (a full disk, a damaged object) names that file first,
 * so the archivist knows which input to bring back; the engine's message says the rest.
 */
static void name_input_file(call *c, dg_status st, const char *name)
{
    if (st != DG_OK && name && *name && !strstr(c->err.msg, name))
        dg_error_prefix(&c->err, "%s: ", name);
}

static dg_status h_add(call *c, json_t **result)
{
    char *data = NULL, *text = NULL;
    size_t len = 0;
    const char *name;
    dg_born_doc *born = NULL;
    dg_status st = read_passed_file(c, "file", &data, &len, &name);
    if (st == DG_OK)
        st = dg_born_read(data, len, name, soffice_setting(), &born, &c->err);
    if (st == DG_OK && !born)
        st = decode_text_file(c, name, data, len, &text);
    int level = -1;
    if (st == DG_OK)
        st = parse_level_arg(c, "level", &level);
    if (st != DG_OK) {
        dg_born_free(born);
        free(data);
        free(text);
        return st;
    }
    char source_sha[65], reason[512];
    dg_sha256_hex(data, len, source_sha);
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    snprintf(reason, sizeof reason, "added from %s", base);
    /* The page keeps the file as it came, in its own encoding; the text is UTF-8. */
    dg_page_input page = {.data = data, .len = len, .mime = "text/plain", .text = NULL,
                          .confidence = -1};
    dg_record_input in = {
        .title = arg_str(c, "title"), .category = arg_str(c, "category"),
        .record_type = arg_str(c, "type"), .doc_number = arg_str(c, "doc_number"),
        .doc_date = arg_str(c, "date"), .year = arg_int(c, "year", 0),
        .department = arg_str(c, "department"), .dept_code = arg_str(c, "dept_code"),
        .level = level, .period = arg_str(c, "period"), .location = arg_str(c, "location"),
        .secrecy = arg_str(c, "secrecy"), .text = text, .pages = &page, .n_pages = 1,
        .ocr_confidence = -1, .class_confidence = -1, .source_file = base,
        .source_sha256 = source_sha, .reason = reason,
    };
    if (born)
        take_born_document(born, &in);
    char refcode[DG_REFCODE_MAX];
    st = dg_record_add(c->archive, &c->actor, &in, refcode, &c->err);
    name_input_file(c, st, name);
    dg_born_free(born);
    free(text);
    free(data);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:i}", "refcode", refcode, "version", 1);
    return st;
}

static json_t *version_json(const dg_version_info *v)
{
    return json_pack(
        "{s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:i, s:i, s:s, s:o, s:o, s:i,"
        " s:o, s:o, s:o}",
        "number", v->number, "created_at", v->created_at, "author", v->author, "reason",
        v->reason, "title", v->title, "category", v->category, "type",
        str_or_null(v->record_type), "doc_number", str_or_null(v->doc_number), "date",
        str_or_null(v->doc_date), "department", str_or_null(v->department), "year", v->year,
        "level", v->level, "period", v->period, "location", str_or_null(v->location),
        "secrecy", str_or_null(v->secrecy), "pages", v->page_count, "source_file",
        str_or_null(v->source_file), "ocr_confidence",
        v->ocr_confidence >= 0 ? json_real(v->ocr_confidence) : json_null(),
        "class_confidence", v->class_confidence >= 0 ? json_real(v->class_confidence) : json_null());
}

static json_t *record_json(const dg_record *rec, int with_history_details)
{
    json_t *pages = json_array();
    for (size_t i = 0; i < rec->n_pages; i++)
        json_array_append_new(pages, json_pack("{s:i, s:s, s:s, s:o, s:o}", "seq",
                                               rec->pages[i].seq, "sha256", rec->pages[i].sha256,
                                               "mime", rec->pages[i].mime, "lang",
                                               str_or_null(rec->pages[i].lang), "confidence",
                                               rec->pages[i].confidence >= 0
                                                   ? json_real(rec->pages[i].confidence)
                                                   : json_null()));
    json_t *history = json_array();
    for (size_t i = 0; i < rec->n_history; i++) {
        const dg_version_info *v = &rec->history[i];
        json_array_append_new(history,
                              with_history_details
                                  ? version_json(v)
                                  : json_pack("{s:i, s:s, s:s, s:s}", "number", v->number,
                                              "created_at", v->created_at, "author", v->author,
                                              "reason", v->reason));
    }
    return json_pack("{s:s, s:i, s:s, s:i, s:o, s:o, s:o, s:o}", "refcode", rec->refcode,
                     "level", rec->level, "level_name", dg_level_name(rec->level),
                     "current_version", rec->current_version, "version",
                     version_json(&rec->version), "text", str_or_null(rec->text), "pages", pages,
                     "versions", history);
}

static dg_status h_show(call *c, json_t **result)
{
    const char *ref;
    dg_status st = require_str(c, "refcode", "a reference code", &ref);
    if (st != DG_OK)
        return st;
    dg_record *rec;
    st = dg_record_get(c->archive, &c->actor, ref, arg_int(c, "version", 0), &rec, &c->err);
    if (st != DG_OK)
        return st;
    *result = record_json(rec, 0);
    /* A hold is part of what a record is now: whoever may see the record sees its hold. */
    dg_hold_info *hold = NULL;
    size_t n_holds = 0;
    st = dg_hold_list(c->archive, rec->refcode, &hold, &n_holds, &c->err);
    if (st == DG_OK && n_holds)
        json_object_set_new(*result, "hold",
                            json_pack("{s:s, s:o, s:o}", "reason", hold[0].reason ? hold[0].reason : "",
                                      "placed_by", str_or_null(hold[0].placed_by), "placed_at",
                                      str_or_null(hold[0].placed_at)));
    dg_hold_infos_free(hold, n_holds);
    dg_record_free(rec);
    if (st != DG_OK) {
        json_decref(*result);
        *result = NULL;
    }
    return st;
}

static dg_status h_history(call *c, json_t **result)
{
    const char *ref;
    dg_status st = require_str(c, "refcode", "a reference code", &ref);
    if (st != DG_OK)
        return st;
    dg_record *rec;
    st = dg_record_get(c->archive, &c->actor, ref, 0, &rec, &c->err);
    if (st != DG_OK)
        return st;
    json_t *versions = json_array();
    for (size_t i = 0; i < rec->n_history; i++)
        json_array_append_new(versions, version_json(&rec->history[i]));
    *result = json_pack("{s:s, s:i, s:o}", "refcode", rec->refcode, "current_version",
                        rec->current_version, "versions", versions);
    dg_record_free(rec);
    return DG_OK;
}

/*
 * After a date or year change: the record's year as it is now, and whether its reference
 * code still shows another (codes are stable, so it keeps the year it was filed under).
 */
static void note_year(const dg_record_change *change, const char *ref, json_t *result)
{
    int year = change->year ? *change->year : atoi(change->doc_date);
    dg_refcode_parts parts;
    json_object_set_new(result, "year", json_integer(year));
    if (dg_refcode_parse(ref, &parts, NULL) == DG_OK && parts.year != year)
        json_object_set_new(result, "refcode_year", json_integer(parts.year));
}

static dg_status h_edit(call *c, json_t **result)
{
    const char *ref;
    dg_status st = require_str(c, "refcode", "a reference code", &ref);
    int level = -1, year = arg_int(c, "year", 0);
    if (st == DG_OK)
        st = parse_level_arg(c, "level", &level);
    char *text = NULL;
    size_t len = 0;
    const char *name = NULL;
    if (st == DG_OK && arg_has(c, "text")) {
        char *data = NULL;
        st = read_passed_file(c, "text", &data, &len, &name);
        if (st == DG_OK)
            st = decode_text_file(c, name, data, len, &text);
        free(data);
    }
    if (st != DG_OK) {
        free(text);
        return st;
    }
    dg_record_change change = {
        .title = arg_str(c, "title"), .category = arg_str(c, "category"),
        .record_type = arg_str(c, "type"), .doc_number = arg_str(c, "doc_number"),
        .doc_date = arg_str(c, "date"), .department = arg_str(c, "department"),
        .period = arg_str(c, "period"), .location = arg_str(c, "location"),
        .secrecy = arg_str(c, "secrecy"), .level = level >= 0 ? &level : NULL,
        .year = year ? &year : NULL, .text = text, .reason = arg_str(c, "reason"),
    };
    int version = 0;
    st = dg_record_edit(c->archive, &c->actor, ref, &change, &version, &c->err);
    name_input_file(c, st, name);
    free(text);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:i}", "refcode", ref, "version", version);
    if (st == DG_OK && *result && (change.doc_date || change.year))
        note_year(&change, ref, *result);
    return st;
}

static dg_status h_page(call *c, json_t **result)
{
    const char *ref;
    dg_status st = require_str(c, "refcode", "a reference code", &ref);
    if (st != DG_OK)
        return st;
    void *data;
    size_t len;
    char *mime;
    st = dg_record_page(c->archive, &c->actor, ref, arg_int(c, "version", 0), arg_int(c, "seq", 1),
                        &data, &len, &mime, &c->err);
    if (st != DG_OK)
        return st;
    size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64_len);
    if (b64) {
        sodium_bin2base64(b64, b64_len, data, len, sodium_base64_VARIANT_ORIGINAL);
        *result = json_pack("{s:s, s:i, s:s, s:I, s:s}", "refcode", ref, "seq",
                            arg_int(c, "seq", 1), "mime", mime, "bytes", (json_int_t)len,
                            "data", b64);
    }
    free(b64);
    free(data);
    free(mime);
    return b64 ? DG_OK : dg_error_set(&c->err, DG_ERR_NOMEM, "request: out of memory");
}

static dg_status h_grant(call *c, json_t **result, int grant)
{
    const char *ref, *login;
    dg_status st = require_str(c, "refcode", "a reference code", &ref);
    if (st == DG_OK)
        st = require_str(c, "login", "a user", &login);
    if (st == DG_OK)
        st = dg_record_grant(c->archive, &c->actor, ref, login, grant, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:b}", "refcode", ref, "login", login, "granted", grant);
    return st;
}

static dg_status h_grant_add(call *c, json_t **result) { return h_grant(c, result, 1); }
static dg_status h_grant_revoke(call *c, json_t **result) { return h_grant(c, result, 0); }

/* ---- search ----------------------------------------------------------------------- */

static dg_status parse_year_range(call *c, int *from, int *to)
{
    const char *text = arg_str(c, "year");
    *from = *to = 0;
    if (!text)
        return DG_OK;
    char tail;
    if (sscanf(text, "%d..%d%c", from, to, &tail) == 2 ||
        (sscanf(text, "%d%c", from, &tail) == 1 && (*to = *from)))
        if (*from >= 1000 && *to <= 9999 && *from <= *to)
            return DG_OK;
    return dg_error_set(&c->err, DG_ERR_USAGE, "--year '%s': give a year (2023) or a range "
                                               "(2019..2023)", text);
}

static dg_status parse_search_filters(call *c, dg_index_query *q)
{
    dg_status st = parse_year_range(c, &q->year_from, &q->year_to);
    const char *cat = arg_str(c, "category");
    if (st == DG_OK && cat) {
        dg_category code;
        st = dg_category_parse(cat, &code, &c->err);
        q->category = st == DG_OK ? dg_category_code(code) : NULL;
    }
    const char *period = arg_str(c, "period");
    if (st == DG_OK && period) {
        dg_period p;
        st = dg_period_parse(period, &p, &c->err);
        q->period = st == DG_OK ? dg_period_code(p) : NULL;
    }
    q->level = -1;
    if (st == DG_OK)
        st = parse_level_arg(c, "level", &q->level);
    const char *sort = arg_str(c, "sort");
    if (st == DG_OK && sort) {
        if (!strcmp(sort, "relevance"))
            q->sort = DG_SORT_RELEVANCE;
        else if (!strcmp(sort, "date"))
            q->sort = DG_SORT_DATE_DESC;
        else if (!strcmp(sort, "date-asc"))
            q->sort = DG_SORT_DATE_ASC;
        else
            st = dg_error_set(&c->err, DG_ERR_USAGE, "--sort '%s': relevance, date or date-asc", sort);
    }
    return st;
}

static json_t *facets_json(const dg_facet_count *f, size_t n)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(obj, f[i].value, json_integer((json_int_t)f[i].count));
    return obj;
}

static json_t *hit_json(const dg_search_hit *h)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:s, s:i, s:b, s:f, s:o}",
                     "refcode", h->refcode, "title", h->title, "category", h->category, "type",
                     str_or_null(h->record_type), "doc_number", str_or_null(h->doc_number),
                     "date", str_or_null(h->doc_date), "year", h->year, "level", h->level,
                     "period", h->period, "version", h->version, "current", h->is_current,
                     "score", h->score, "snippet", str_or_null(h->snippet));
}

static dg_status h_search(call *c, json_t **result)
{
    dg_index_query q = {
        .text = arg_str(c, "query"), .record_type = arg_str(c, "type"),
        .all_versions = arg_bool(c, "all_versions"),
        .offset = (size_t)arg_int(c, "offset", 0), .limit = (size_t)arg_int(c, "limit", 10),
        .cancelled = c->io->cancelled,
    };
    if (arg_int(c, "offset", 0) < 0 || arg_int(c, "limit", 10) < 0 || q.limit > 10000)
        return dg_error_set(&c->err, DG_ERR_USAGE, "--limit must be 0-10000 and --offset >= 0");
    dg_status st = parse_search_filters(c, &q);
    if (st != DG_OK)
        return st;
    /* Highlight markers: the renderer turns them into bold or brackets. */
    dg_search_result *r;
    st = dg_search(c->archive, &c->actor, &q, "\x02", "\x03", &r, &c->err);
    if (st != DG_OK)
        return st;
    json_t *hits = json_array();
    for (size_t i = 0; i < r->n_hits; i++)
        json_array_append_new(hits, hit_json(&r->hits[i]));
    *result = json_pack("{s:s, s:I, s:i, s:o, s:{s:o, s:o, s:o}}", "query", q.text ? q.text : "",
                        "total", (json_int_t)r->total, "offset", (int)q.offset, "hits", hits,
                        "facets", "category", facets_json(r->by_category, r->n_category),
                        "year", facets_json(r->by_year, r->n_year), "period",
                        facets_json(r->by_period, r->n_period));
    dg_search_result_free(r);
    return DG_OK;
}

static dg_status h_reindex(call *c, json_t **result)
{
    dg_reindex_report r;
    dg_status st = dg_reindex(c->archive, &c->actor, &r, &c->err);
    if (st != DG_OK)
        return st;
    json_t *failed = json_array();
    for (size_t i = 0; i < r.n_failed; i++)
        json_array_append_new(failed, json_string(r.failed[i]));
    *result = json_pack("{s:I, s:o}", "versions", (json_int_t)r.versions, "not_indexed", failed);
    if (r.n_failed) /* the index is whole but for these: a finding, as verify's */
        c->exit_override = 1;
    dg_reindex_report_clear(&r);
    return DG_OK;
}

/* ---- synonyms ------------------------------------------------------------------- */

static dg_status h_synonyms_change(call *c, json_t **result)
{
    const char *word, *synonym;
    dg_status st = require_str(c, "word", "a word", &word);
    if (st == DG_OK)
        st = require_str(c, "synonym", "its synonym", &synonym);
    if (st != DG_OK)
        return st;
    int add = !strcmp(c->cmd, "synonyms add");
    st = add ? dg_synonyms_add(c->archive, &c->actor, word, synonym, &c->err)
             : dg_synonyms_remove(c->archive, &c->actor, word, synonym, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:b}", "word", word, "synonym", synonym, "added", add);
    return st;
}

static dg_status h_synonyms_list(call *c, json_t **result)
{
    dg_synonym_pair *pairs = NULL;
    size_t count = 0;
    const char *word = arg_str(c, "word");
    dg_status st = dg_synonyms_list(c->archive, &c->actor, word && *word ? word : NULL, &pairs,
                                    &count, &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "word", pairs[i].word,
                                              "synonym", pairs[i].synonym, "shipped",
                                              pairs[i].shipped));
    dg_synonym_pairs_free(pairs, count);
    *result = json_pack("{s:I, s:o}", "total", (json_int_t)count, "pairs", list);
    return DG_OK;
}

/* ---- log and verify --------------------------------------------------------------- */

/* Reading, verifying, checkpoints, proofs, cosigning, the time zone: see dispatch_log.c. */
static dg_status h_log_tree(call *c, json_t **result)
{
    return dg_dispatch_log(c->cmd, c->archive, &c->actor, c->args, c->io, result,
                           &c->exit_override, &c->err);
}

static dg_status h_verify(call *c, json_t **result)
{
    dg_verify_options opts = {.quick = arg_bool(c, "quick"), .repair = arg_bool(c, "repair")};
    dg_verify_report *r;
    dg_status st = dg_verify(c->archive, &c->actor, &opts, &r, &c->err);
    if (st != DG_OK)
        return st;
    json_t *problems = json_array(), *repairs = json_array();
    for (size_t i = 0; i < r->n_problems; i++)
        json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "kind",
                                                  dg_problem_kind_name(r->problems[i].kind),
                                                  "object", r->problems[i].object, "detail",
                                                  r->problems[i].detail));
    for (size_t i = 0; i < r->n_repairs; i++)
        json_array_append_new(repairs, json_string(r->repairs[i]));
    *result = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "objects_checked",
                        (json_int_t)r->objects_checked, "versions_checked",
                        (json_int_t)r->versions_checked, "index_documents",
                        (json_int_t)r->index_documents, "log",
                        r->log_checked ? json_pack("{s:I, s:s}", "entries",
                                                   (json_int_t)r->log_entries, "head", r->log_head)
                                       : json_null(),
                        "problems", problems, "repairs", repairs, "quick", json_boolean(opts.quick));
    if (r->n_problems) /* search could answer wrongly, or something stored is damaged */
        c->exit_override = 1;
    dg_verify_report_free(r);
    return DG_OK;
}

static dg_status h_whoami(call *c, json_t **result)
{
    *result = json_pack("{s:s, s:s, s:i, s:o, s:s, s:s}", "login", c->actor.login, "name",
                        c->actor.name, "clearance", c->actor.clearance, "roles",
                        roles_json(c->actor.roles), "archive", dg_archive_name(c->archive),
                        "fonds", dg_archive_fonds(c->archive));
    return DG_OK;
}

/* ---- ingest ----------------------------------------------------------------------- */

/* The batch's files as the client passed them; their names are relative to the folder. */
static dg_status collect_batch_files(call *c, dg_ingest_file **out, size_t *count)
{
    json_t *files = json_object_get(c->args, "files"), *f;
    *out = NULL;
    *count = 0;
    if (!json_is_array(files) || !json_array_size(files))
        return dg_error_set(&c->err, DG_ERR_USAGE, "ingest: no files in the batch");
    dg_ingest_file *list = calloc(json_array_size(files), sizeof *list);
    if (!list)
        return dg_error_set(&c->err, DG_ERR_NOMEM, "request: out of memory");
    size_t i;
    json_array_foreach(files, i, f) {
        json_int_t fd = json_integer_value(json_object_get(f, "fd"));
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!name || fd < -1 || (fd >= 0 && (size_t)fd >= c->io->n_fds)) {
            free(list);
            return dg_error_set(&c->err, DG_ERR_USAGE, "ingest: file %zu was not passed", i + 1);
        }
        list[i].fd = fd >= 0 ? c->io->fds[fd] : -1;
        list[i].name = name;
        list[i].open_error = json_string_value(json_object_get(f, "error"));
    }
    *out = list;
    *count = json_array_size(files);
    return DG_OK;
}

static dg_status read_manifest(call *c, dg_manifest **manifest)
{
    *manifest = NULL;
    if (!arg_has(c, "manifest"))
        return DG_OK;
    char *text;
    size_t len;
    const char *name;
    dg_text_encoding enc;
    dg_status st = parse_encoding_arg(c, &enc);
    if (st != DG_OK)
        return st;
    st = read_passed_file(c, "manifest", &text, &len, &name);
    if (st == DG_OK)
        st = dg_manifest_parse_encoded(text, len, enc, name, manifest, &c->err);
    free(text);
    return st;
}

static json_t *outcome_json(const dg_ingest_outcome *o)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o}", "name", o->name,
                     "outcome", o->outcome, "refcode", o->refcode[0] ? json_string(o->refcode)
                                                                     : json_null(),
                     "title", str_or_null(o->title), "category", str_or_null(o->category),
                     "type", str_or_null(o->record_type),
                     "reason", str_or_null(o->reason), "pages", o->pages, "confidence",
                     o->confidence >= 0 ? json_real(o->confidence) : json_null(),
                     "class_confidence",
                     o->class_confidence >= 0 ? json_real(o->class_confidence) : json_null(),
                     "lang", str_or_null(o->lang));
}

static json_t *ingest_report_json(const dg_ingest_report *rep)
{
    json_t *outcomes = json_array();
    for (size_t i = 0; i < rep->n_outcomes; i++)
        json_array_append_new(outcomes, outcome_json(&rep->outcomes[i]));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:o}", "batch",
                     (json_int_t)rep->batch_id, "files", (json_int_t)rep->files, "filed",
                     (json_int_t)rep->filed, "filed_files", (json_int_t)rep->filed_files,
                     "duplicates", (json_int_t)rep->duplicates,
                     "quarantined", (json_int_t)rep->quarantined, "skipped",
                     (json_int_t)rep->skipped, "unlisted", (json_int_t)rep->unlisted, "pages", (json_int_t)rep->pages, "seconds",
                     rep->seconds, "warning", str_or_null(rep->warning), "outcomes", outcomes);
}

/* "800M", "2G", "1.5G", "65536" (bytes): the --memory budget. */
static dg_status parse_memory_arg(call *c, uint64_t *bytes)
{
    *bytes = 0;
    const char *text = arg_str(c, "memory");
    if (!text)
        return DG_OK;
    char *end;
    double v = strtod(text, &end);
    double unit = 1;
    if (*end == 'K' || *end == 'k')
        unit = 1024.0, end++;
    else if (*end == 'M' || *end == 'm')
        unit = 1024.0 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        unit = 1024.0 * 1024 * 1024, end++;
    if (*end == 'B' || *end == 'b' || (*end == 'i' && (end[1] == 'B' || end[1] == 'b')))
        end += *end == 'i' ? 2 : 1;
    if (end == text || *end || !(v * unit >= 16.0 * 1024 * 1024) || v * unit > 1e15)
        return dg_error_set(&c->err, DG_ERR_USAGE,
                            "--memory: '%s' is not a size of at least 16M (e.g. 800M, 2G)", text);
    *bytes = (uint64_t)(v * unit);
    return DG_OK;
}

/* --unlisted file|skip|quarantine: what becomes of files the manifest does not list. */
static dg_status parse_unlisted_arg(call *c, dg_unlisted *unlisted)
{
    const char *text = arg_str(c, "unlisted");
    *unlisted = DG_UNLISTED_QUARANTINE;
    if (text && !arg_has(c, "manifest")) /* said for nothing: the archivist meant something */
        return dg_error_set(&c->err, DG_ERR_USAGE, "--unlisted: only with --manifest");
    if (!text || !strcmp(text, "quarantine"))
        return DG_OK;
    if (!strcmp(text, "skip"))
        *unlisted = DG_UNLISTED_SKIP;
    else if (!strcmp(text, "file"))
        *unlisted = DG_UNLISTED_FILE;
    else
        return dg_error_set(&c->err, DG_ERR_USAGE,
                            "--unlisted: '%s' is not one of file, skip, quarantine", text);
    return DG_OK;
}

static dg_status h_ingest(call *c, json_t **result)
{
    dg_ingest_file *files = NULL;
    size_t n_files = 0;
    dg_manifest *manifest = NULL;
    dg_status st = collect_batch_files(c, &files, &n_files);
    if (st == DG_OK)
        st = read_manifest(c, &manifest);
    dg_ingest_report *rep = NULL;
    if (st == DG_OK) {
        dg_ingest_options opts = {.label = arg_str(c, "label"), .lang = arg_str(c, "lang"),
                                  .jobs = arg_int(c, "jobs", 0), .soffice = soffice_setting()};
        st = parse_encoding_arg(c, &opts.encoding);
        if (st == DG_OK)
            st = parse_memory_arg(c, &opts.memory);
        if (st == DG_OK)
            st = parse_unlisted_arg(c, &opts.unlisted);
        opts.manifest_name = json_string_value(
            json_object_get(json_object_get(c->args, "manifest"), "name"));
        if (st == DG_OK && (opts.jobs < 0 || opts.jobs > 64))
            st = dg_error_set(&c->err, DG_ERR_USAGE, "--jobs must be 1-64");
        if (st == DG_OK)
            st = dg_ingest(c->archive, &c->actor, files, n_files, manifest, &opts, &rep, &c->err);
    }
    if (st == DG_OK) {
        *result = ingest_report_json(rep);
        /* The exit code tells a script whether anything needs the archivist's attention. */
        if (rep->quarantined || rep->skipped)
            c->exit_override = 1;
        for (size_t i = 0; i < rep->n_outcomes; i++)
            if ((!strcmp(rep->outcomes[i].outcome, "filed") && rep->outcomes[i].reason) ||
                !strcmp(rep->outcomes[i].outcome, "skipped"))
                c->exit_override = 1; /* filed, but not searchable (see ingest.h), or held back */
    }
    dg_ingest_report_free(rep);
    dg_manifest_free(manifest);
    free(files);
    return st;
}

static json_t *batch_json(const dg_batch_summary *b)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:f}", "id",
                     (json_int_t)b->id, "label", b->label, "started_at", b->started_at,
                     "finished_at", str_or_null(b->finished_at), "user", b->user, "files",
                     (json_int_t)b->files, "filed", (json_int_t)b->filed, "duplicates",
                     (json_int_t)b->duplicates, "quarantined", (json_int_t)b->quarantined,
                     "pages", (json_int_t)b->pages, "seconds", b->seconds);
}

static dg_status h_batch_list(call *c, json_t **result)
{
    dg_batch_summary *list;
    size_t n;
    dg_status st = dg_batch_list(c->archive, &c->actor, &list, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *batches = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(batches, batch_json(&list[i]));
    dg_batch_summaries_free(list, n);
    *result = json_pack("{s:o}", "batches", batches);
    return DG_OK;
}

static dg_status h_batch_show(call *c, json_t **result)
{
    dg_batch_summary b;
    dg_batch_entry *files;
    size_t n;
    dg_status st = dg_batch_show(c->archive, &c->actor, arg_int(c, "id", 0), &b, &files, &n,
                                 &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:s, s:o, s:s, s:o, s:o, s:i, s:o, s:f}", "name", files[i].name,
                            "sha256", str_or_null(files[i].sha256), "outcome", files[i].outcome,
                            "refcode", str_or_null(files[i].refcode), "reason",
                            str_or_null(files[i].reason), "pages", files[i].pages, "confidence",
                            files[i].confidence >= 0 ? json_real(files[i].confidence) : json_null(),
                            "seconds", files[i].seconds));
    *result = json_pack("{s:o, s:o}", "batch", batch_json(&b), "files", list);
    dg_batch_entries_free(files, n);
    free(b.label);
    free(b.started_at);
    free(b.finished_at);
    free(b.user);
    return DG_OK;
}

static dg_status h_quarantine_list(call *c, json_t **result)
{
    dg_quarantined *list;
    size_t n;
    dg_status st = dg_quarantine_list(c->archive, &c->actor, &list, &n, &c->err);
    if (st != DG_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:I, s:I, s:s, s:s, s:o, s:s}", "id",
                                               (json_int_t)list[i].id, "batch",
                                               (json_int_t)list[i].batch_id, "name",
                                               list[i].name, "reason", list[i].reason,
                                               "stored_as", str_or_null(list[i].stored_as),
                                               "at", list[i].at));
    dg_quarantined_free(list, n);
    *result = json_pack("{s:o}", "quarantined", items);
    return DG_OK;
}

/* The schedule, holds, reviews and the register: see dispatch_retention.c. */
static dg_status h_retention(call *c, json_t **result)
{
    return dg_dispatch_retention(c->cmd, c->archive, &c->actor, c->args, c->io, result,
                                 &c->exit_override, &c->err);
}

/* The review queue, corrections, the classifier's rules: see dispatch_classify.c. */
static dg_status h_classification(call *c, json_t **result)
{
    return dg_dispatch_classify(c->cmd, c->archive, &c->actor, c->args, c->io, result, &c->err);
}

/* ---- the table -------------------------------------------------------------------- */

typedef struct route {
    const char *cmd;
    handler_fn handler;
    int read_only;
} route;

static const route ROUTES[] = {
    {"whoami", h_whoami, 1},
    {"user add", h_user_add, 0},
    {"user set", h_user_set, 0},
    {"user list", h_user_list, 1},
    {"add", h_add, 0},
    {"show", h_show, 1},
    {"history", h_history, 1},
    {"page", h_page, 1},
    {"edit", h_edit, 0},
    {"grant", h_grant_add, 0},
    {"revoke", h_grant_revoke, 0},
    {"search", h_search, 1},
    {"reindex", h_reindex, 0},
    {"log", h_log_tree, 1},
    {"log timezone", h_log_tree, 0},
    {"log report", h_log_tree, 1},
    {"log verify", h_log_tree, 1},
    {"log checkpoint", h_log_tree, 0},
    {"log prove", h_log_tree, 1},
    {"log cosign", h_log_tree, 0},
    {"verify", h_verify, 1}, /* --repair takes the write lock itself */
    {"ingest", h_ingest, 0},
    {"batch list", h_batch_list, 1},
    {"batch show", h_batch_show, 1},
    {"quarantine list", h_quarantine_list, 1},
    {"schedule list", h_retention, 1},
    {"schedule set", h_retention, 0},
    {"schedule import", h_retention, 0},
    {"hold add", h_retention, 0},
    {"hold release", h_retention, 0},
    {"hold list", h_retention, 1},
    {"retention due", h_retention, 1},
    {"retention review", h_retention, 0},
    {"retention list", h_retention, 1},
    {"retention appraise", h_retention, 0},
    {"retention approve", h_retention, 0},
    {"retention witness", h_retention, 0},
    {"retention destroy", h_retention, 0},
    {"register list", h_retention, 1},
    {"review list", h_classification, 1},
    {"review accept", h_classification, 0},
    {"review threshold", h_classification, 0},
    {"classify", h_classification, 0},
    {"classify --eval", h_classification, 1},
    {"classify --explain", h_classification, 1},
    {"rules list", h_classification, 1},
    {"rules add", h_classification, 0},
    {"rules remove", h_classification, 0},
    {"rules reset", h_classification, 0},
    {"synonyms add", h_synonyms_change, 0},
    {"synonyms remove", h_synonyms_change, 0},
    {"synonyms list", h_synonyms_list, 1},
};

static const route *find_route(const char *cmd)
{
    for (size_t i = 0; cmd && i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        if (!strcmp(ROUTES[i].cmd, cmd))
            return &ROUTES[i];
    return NULL;
}

int dg_dispatch_is_read_only(const char *cmd)
{
    const route *r = find_route(cmd);
    return r && r->read_only;
}

/* A reference code is accepted as people type it (X001-CW.2023-D30-0001): every argument
 * that names a record is brought to the stored form before any handler sees it. */
static void normalize_refcodes(json_t *args)
{
    static const char *const keys[] = {"refcode", "record"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *typed = json_string_value(json_object_get(args, keys[i]));
        if (!typed)
            continue;
        char code[DG_REFCODE_MAX];
        dg_refcode_normalize(typed, code);
        json_object_set_new(args, keys[i], json_string(code));
    }
}

json_t *dg_dispatch(dg_archive *archive, const char *os_login, const char *origin,
                    json_t *request, const dg_dispatch_io *io)
{
    const char *cmd = json_string_value(json_object_get(request, "cmd"));
    json_t *args = json_object_get(request, "args");
    const route *r = find_route(cmd);
    if (!r || (args && !json_is_object(args))) {
        char msg[128];
        snprintf(msg, sizeof msg, "%.60s: unknown request", cmd ? cmd : "(none)");
        return dg_response_error(DG_ERR_USAGE, msg);
    }
    normalize_refcodes(args);
    static const dg_dispatch_io no_io = {0};
    call c = {.cmd = cmd, .archive = archive, .args = args, .io = io ? io : &no_io, .exit_override = -1};
    dg_error_clear(&c.err);
    if (c.io->progress)
        dg_archive_set_progress_handler(archive, c.io->progress, c.io->progress_ctx);
    json_t *result = NULL;
    dg_status st = dg_actor_login(archive, os_login, origin, &c.actor, &c.err);
    if (st == DG_OK)
        st = r->handler(&c, &result);
    dg_archive_set_progress_handler(archive, NULL, NULL);
    if (st != DG_OK) {
        json_decref(result);
        return dg_response_error(st, c.err.msg);
    }
    /* Every destruction is followed by a signed checkpoint, when this process holds the
     * log's key: the register can then cite a log head nobody can later rewrite. */
    if (result && c.io->log_key && !strcmp(cmd, "retention destroy")) {
        char *note = NULL;
        dg_error sign_err;
        if (dg_dispatch_log_sign(archive, c.io, &note, &sign_err) == DG_OK && note)
            json_object_set_new(result, "checkpoint", json_string(note));
        else
            json_object_set_new(result, "checkpoint_error", json_string(sign_err.msg));
        free(note);
    }
    if (!result) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "%.60s: could not build the response: out of memory, or text in the catalog "
                 "that is not valid UTF-8 (run 'dangan verify')",
                 cmd);
        return dg_response_error(DG_ERR_INTERNAL, msg);
    }
    int exit_code = c.exit_override >= 0 ? c.exit_override : 0;
    return json_pack("{s:b, s:i, s:o}", "ok", 1, "exit", exit_code, "result", result);
}
