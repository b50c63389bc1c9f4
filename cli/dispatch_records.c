/*
 * dispatch_records.c — the request handlers of one record: add (a born-digital file),
 * show, history, page, edit, grant and revoke. A file added or a corrected text arrives as
 * a descriptor the client passed; its bytes are decoded here (--encoding, or detected).
 */
#include "dispatch_records.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/hash.h"
#include "../engine/disposal.h"
#include "../engine/loan.h"
#include "../engine/record.h"
#include "../engine/undated.h"
#include "../engine/vocab.h"
#include "../ingest/born.h"

/* Input files are read whole; a text record over this size is refused rather than
 * swallowing the machine's memory. */
#define MAX_TEXT_FILE (64u * 1024 * 1024)

/*
 * A born-digital text record: the file's bytes decoded to UTF-8 from the encoding given
 * with --encoding or detected (textenc.h). *text is the decoded text, malloc'ed.
 */
static dg_status decode_text_file(dg_request *c, const char *name, const char *data, size_t len,
                                  char **text)
{
    *text = NULL;
    if (len == 0)
        return dg_error_set(&c->err, DG_ERR_BAD_INPUT, "%s: empty file", name);
    dg_text_encoding enc;
    dg_status st = dg_arg_encoding(c, &enc);
    dg_decoded_text decoded;
    if (st == DG_OK)
        st = dg_text_decode(data, len, enc, name, &decoded, &c->err);
    if (st == DG_OK)
        *text = decoded.text;
    return st;
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
static void name_input_file(dg_request *c, dg_status st, const char *name)
{
    if (st != DG_OK && name && *name && !strstr(c->err.msg, name))
        dg_error_prefix(&c->err, "%s: ", name);
}

dg_status dg_cmd_add(dg_request *c, json_t **result)
{
    char *data = NULL, *text = NULL;
    size_t len = 0;
    const char *name;
    dg_born_doc *born = NULL;
    dg_status st = dg_arg_file(c, "file", MAX_TEXT_FILE, &data, &len, &name);
    if (st == DG_OK)
        st = dg_born_read(data, len, name, dg_request_soffice(), &born, &c->err);
    if (st == DG_OK && !born)
        st = decode_text_file(c, name, data, len, &text);
    int level = -1;
    if (st == DG_OK)
        st = dg_arg_level(c, "level", &level);
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
        .title = dg_arg_str(c, "title"), .category = dg_arg_str(c, "category"),
        .record_type = dg_arg_str(c, "type"), .doc_number = dg_arg_str(c, "doc_number"),
        .doc_date = dg_arg_str(c, "date"), .year = dg_arg_int(c, "year", 0),
        .department = dg_arg_str(c, "department"), .dept_code = dg_arg_str(c, "dept_code"),
        .level = level, .period = dg_arg_str(c, "period"), .location = dg_arg_str(c, "location"),
        .secrecy = dg_arg_str(c, "secrecy"), .subject = dg_arg_str(c, "subject"), .text = text,
        .pages = &page, .n_pages = 1,
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
        "{s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:s, s:o, s:o, s:o,"
        " s:i, s:o, s:o, s:o}",
        "number", v->number, "created_at", v->created_at, "author", v->author, "reason",
        v->reason, "title", v->title, "category", v->category, "type",
        dg_json_str_or_null(v->record_type), "doc_number", dg_json_str_or_null(v->doc_number), "date",
        dg_json_str_or_null(v->doc_date), "department", dg_json_str_or_null(v->department), "year", dg_json_year(v->year),
        "level", v->level, "period", v->period, "location", dg_json_str_or_null(v->location),
        "secrecy", dg_json_str_or_null(v->secrecy), "subject", dg_json_str_or_null(v->subject),
        "pages", v->page_count, "source_file",
        dg_json_str_or_null(v->source_file), "ocr_confidence",
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
                                               dg_json_str_or_null(rec->pages[i].lang), "confidence",
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
                     version_json(&rec->version), "text", dg_json_str_or_null(rec->text), "pages", pages,
                     "versions", history);
}

/* "sheets" on each page that is an original kept as a file: how many watermarked sheets of
 * its text `page --sheet K` draws (the web record page says "sheet k of n" from it). */
static dg_status page_sheets(dg_request *c, const dg_record *rec, json_t *pages)
{
    dg_status st = DG_OK;
    for (size_t i = 0; st == DG_OK && i < rec->n_pages; i++) {
        const dg_page_info *pg = &rec->pages[i];
        int sheets = 1;
        if (pg->mime && !strncmp(pg->mime, "image/", 6))
            continue;
        st = dg_request_sheet_count(c, rec, pg->seq, &sheets);
        json_t *item = json_array_get(pages, i);
        if (st == DG_OK && item &&
            json_object_set_new(item, "sheets", json_integer(sheets)) != 0)
            st = dg_error_set(&c->err, DG_ERR_NOMEM, "show: out of memory");
    }
    return st;
}

dg_status dg_cmd_show(dg_request *c, json_t **result)
{
    const char *ref;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st != DG_OK)
        return st;
    dg_record *rec;
    st = dg_record_get(c->archive, &c->actor, ref, dg_arg_int(c, "version", 0), &rec, &c->err);
    if (st != DG_OK)
        return st;
    /* "history": every version's details too, as `history` gives them, so that a page
     * showing a record and its versions is one read and one log entry. */
    *result = record_json(rec, dg_arg_bool(c, "history"));
    /* A hold is part of what a record is now: whoever may see the record sees its hold. */
    dg_hold_info *hold = NULL;
    size_t n_holds = 0;
    st = dg_hold_list(c->archive, rec->refcode, &hold, &n_holds, &c->err);
    if (st == DG_OK && n_holds)
        json_object_set_new(*result, "hold",
                            json_pack("{s:s, s:o, s:o}", "reason", hold[0].reason ? hold[0].reason : "",
                                      "placed_by", dg_json_str_or_null(hold[0].placed_by), "placed_at",
                                      dg_json_str_or_null(hold[0].placed_at)));
    dg_hold_infos_free(hold, n_holds);
    /* The paper original out of the room is part of where the record is now. */
    dg_loan lent = {0};
    int out = 0;
    if (st == DG_OK)
        st = dg_loan_paper_out(c->archive, &c->actor, rec->refcode, &lent, &out, &c->err);
    if (st == DG_OK && out)
        json_object_set_new(*result, "paper_out",
                            json_pack("{s:I, s:s, s:o, s:o, s:s, s:s, s:i}", "id",
                                      (json_int_t)lent.id, "borrower", lent.borrower,
                                      "unit", dg_json_str_or_null(lent.unit), "id_number",
                                      dg_json_str_or_null(lent.id_number), "out_at",
                                      lent.out_at ? lent.out_at : "", "due_at",
                                      lent.due_at ? lent.due_at : "", "days_overdue",
                                      lent.days_overdue));
    dg_loan_clear(&lent);
    if (st == DG_OK && dg_arg_bool(c, "sheets"))
        st = page_sheets(c, rec, json_object_get(*result, "pages"));
    dg_record_free(rec);
    if (st != DG_OK) {
        json_decref(*result);
        *result = NULL;
    }
    return st;
}

dg_status dg_cmd_history(dg_request *c, json_t **result)
{
    const char *ref;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
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

dg_status dg_cmd_edit(dg_request *c, json_t **result)
{
    const char *ref;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    int level = -1, year = dg_arg_int(c, "year", 0);
    if (st == DG_OK)
        st = dg_arg_level(c, "level", &level);
    char *text = NULL;
    size_t len = 0;
    const char *name = NULL;
    if (st == DG_OK && dg_arg_has(c, "text")) {
        char *data = NULL;
        st = dg_arg_file(c, "text", MAX_TEXT_FILE, &data, &len, &name);
        if (st == DG_OK)
            st = decode_text_file(c, name, data, len, &text);
        free(data);
    }
    if (st != DG_OK) {
        free(text);
        return st;
    }
    dg_record_change change = {
        .title = dg_arg_str(c, "title"), .category = dg_arg_str(c, "category"),
        .record_type = dg_arg_str(c, "type"), .doc_number = dg_arg_str(c, "doc_number"),
        .doc_date = dg_arg_str(c, "date"), .department = dg_arg_str(c, "department"),
        .period = dg_arg_str(c, "period"), .location = dg_arg_str(c, "location"),
        .secrecy = dg_arg_str(c, "secrecy"), .subject = dg_arg_str(c, "subject"),
        .level = level >= 0 ? &level : NULL,
        .year = year ? &year : NULL, .text = text, .reason = dg_arg_str(c, "reason"),
    };
    int version = 0;
    char final_code[DG_REFCODE_MAX];
    change.final_refcode = final_code;
    st = dg_record_edit(c->archive, &c->actor, ref, &change, &version, &c->err);
    name_input_file(c, st, name);
    free(text);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:i}", "refcode", final_code, "version", version);
    /* A provisional record's year confirmed: its final code, and the one it had. */
    if (st == DG_OK && *result && strcmp(final_code, ref))
        json_object_set_new(*result, "provisional_refcode", json_string(ref));
    if (st == DG_OK && *result && (change.doc_date || change.year))
        note_year(&change, final_code, *result);
    return st;
}

dg_status dg_cmd_page(dg_request *c, json_t **result)
{
    const char *ref;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st != DG_OK)
        return st;
    dg_page_want want = {.seq = dg_arg_int(c, "seq", 1), .sheet = dg_arg_int(c, "sheet", 0),
                         .max_width = dg_arg_int(c, "max_width", 0),
                         .original = dg_arg_bool(c, "original")};
    char detail[48];
    snprintf(detail, sizeof detail, "page %d%s", want.seq, want.original ? " original" : "");
    dg_export ex;
    st = dg_export_begin(c->archive, &c->actor, ref, dg_arg_int(c, "version", 0), "page", detail,
                         want.original ? DG_EXPORT_ORIGINAL : DG_EXPORT_VIEW, &ex, &c->err);
    void *data = NULL;
    size_t len = 0;
    char *mime = NULL;
    int sheets = 1;
    if (st == DG_OK)
        st = dg_request_page(c, &ex, &want, &data, &len, &mime, &sheets);
    if (st != DG_OK)
        return st;
    json_t *b64 = dg_json_base64(data, len);
    if (b64)
        *result = json_pack("{s:s, s:i, s:i, s:i, s:s, s:I, s:o, s:I}", "refcode", ref, "seq",
                            want.seq, "sheet", want.sheet ? want.sheet : 1, "sheets", sheets,
                            "mime", mime, "bytes", (json_int_t)len, "data", b64, "log_entry",
                            (json_int_t)ex.log_entry);
    free(data);
    free(mime);
    return *result ? DG_OK : dg_error_set(&c->err, DG_ERR_NOMEM, "request: out of memory");
}

static dg_status grant_or_revoke(dg_request *c, json_t **result, int grant)
{
    const char *ref, *login;
    dg_status st = dg_arg_require(c, "refcode", "a reference code", &ref);
    if (st == DG_OK)
        st = dg_arg_require(c, "login", "a user", &login);
    if (st == DG_OK)
        st = dg_record_grant(c->archive, &c->actor, ref, login, grant, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:b}", "refcode", ref, "login", login, "granted", grant);
    return st;
}

dg_status dg_cmd_grant(dg_request *c, json_t **result) { return grant_or_revoke(c, result, 1); }
dg_status dg_cmd_revoke(dg_request *c, json_t **result) { return grant_or_revoke(c, result, 0); }

dg_status dg_cmd_undated(dg_request *c, json_t **result)
{
    dg_undated_record *list;
    size_t count;
    dg_status st = dg_undated_list(c->archive, &c->actor, &list, &count, &c->err);
    if (st != DG_OK)
        return st;
    json_t *records = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(
            records, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "refcode", list[i].refcode,
                               "title", list[i].title, "category", list[i].category,
                               "source_file", list[i].source_file, "filed_at",
                               list[i].created_at, "level", list[i].level));
    dg_undated_free(list, count);
    *result = json_pack("{s:o}", "records", records);
    return *result ? DG_OK : dg_error_set(&c->err, DG_ERR_NOMEM, "request: out of memory");
}
