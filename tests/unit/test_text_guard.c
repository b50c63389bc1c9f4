/*
 * test_text_guard.c — invalid UTF-8 handed to the engine through any entry point that
 * writes text is refused with the field named, and nothing of it is stored; the catalog's
 * own triggers refuse what a write path might forget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "engine/batch.h"
#include "engine/catalog.h"
#include "engine/class_review.h"
#include "engine/disposal.h"
#include "engine/log.h"
#include "engine/record.h"
#include "engine/search.h"
#include "engine/verify.h"
#include "ingest/ingest.h"
#include "testutil.h"

/* The GBK bytes of 开学通知: what an Excel manifest once put into a title. */
#define GBK "\xBF\xAA\xD1\xA7\xCD\xA8\xD6\xAA"

static void assert_refused(dg_status st, const dg_error *err, const char *field)
{
    assert_int_equal(st, DG_ERR_BAD_INPUT);
    char want[128];
    snprintf(want, sizeof want, "%s: not valid UTF-8 text", field);
    if (!strstr(err->msg, want))
        fail_msg("expected '%s' in '%s'", want, err->msg);
}

static dg_record_input good_input(dg_page_input *page)
{
    *page = (dg_page_input){.data = "text", .len = 4, .mime = "text/plain", .confidence = -1};
    return (dg_record_input){.title = "开学通知", .category = "administrative",
                             .record_type = "notice", .doc_date = "2024-02-01", .level = 1,
                             .text = "关于开学的通知", .pages = page, .n_pages = 1,
                             .ocr_confidence = -1, .class_confidence = -1, .reason = "test"};
}

static void test_record_add_refuses_invalid_utf8_in_every_text_field(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    dg_error err;
    const char *fields[] = {"title", "type", "doc_number", "department", "location", "secrecy",
                            "text", "source_file", "reason"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        dg_page_input page;
        dg_record_input in = good_input(&page);
        const char **slot[] = {&in.title, &in.record_type, &in.doc_number, &in.department,
                               &in.location, &in.secrecy, &in.text, &in.source_file, &in.reason};
        *slot[i] = GBK;
        assert_refused(dg_record_add(t.archive, &t.admin, &in, ref, &err), &err, fields[i]);
    }
    dg_page_input page;
    dg_record_input in = good_input(&page);
    page.text = "OCR " GBK; /* OCR output goes to the store and the index */
    assert_refused(dg_record_add(t.archive, &t.admin, &in, ref, &err), &err, "page text");
    assert_non_null(strstr(err.msg, "page 1: "));
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM records"), 0);
    /* The refusals left the archive as good as new: a valid record files and verifies. */
    in = good_input(&page);
    assert_int_equal(dg_record_add(t.archive, &t.admin, &in, ref, &err), DG_OK);
    dg_verify_report *report;
    assert_int_equal(dg_verify(t.archive, &t.admin, NULL, &report, &err), DG_OK);
    assert_int_equal(report->n_problems, 0);
    dg_verify_report_free(report);
    test_archive_remove(&t);
}

static void test_record_edit_refuses_invalid_utf8(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    dg_error err;
    dg_page_input page;
    dg_record_input in = good_input(&page);
    assert_int_equal(dg_record_add(t.archive, &t.admin, &in, ref, &err), DG_OK);
    int version = 0;
    dg_record_change title = {.title = GBK, .reason = "fix"};
    assert_refused(dg_record_edit(t.archive, &t.admin, ref, &title, &version, &err), &err, "title");
    dg_record_change reason = {.location = "A柜", .reason = "因为" GBK};
    assert_refused(dg_record_edit(t.archive, &t.admin, ref, &reason, &version, &err), &err,
                   "reason");
    dg_record_change text = {.text = GBK, .reason = "corrected text"};
    assert_refused(dg_record_edit(t.archive, &t.admin, ref, &text, &version, &err), &err, "text");
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM versions"), 1);
    test_archive_remove(&t);
}

static void test_users_log_batches_and_settings_refuse_invalid_utf8(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_error err;
    assert_refused(dg_user_add(t.archive, &t.admin, "li", "李" GBK, 1, DG_ROLE_STAFF, &err), &err,
                   "name");
    assert_refused(dg_user_add(t.archive, &t.admin, "li" GBK, "李", 1, DG_ROLE_STAFF, &err), &err,
                   "login");
    dg_user_change change = {.name = GBK};
    assert_refused(dg_user_update(t.archive, &t.admin, "owner", &change, &err), &err, "name");
    dg_actor who;
    assert_refused(dg_actor_login(t.archive, "owner" GBK, "cli", &who, &err), &err, "login");
    dg_log_event ev = {.action = "note", .hits = -1, .outcome = "ok", .detail = GBK};
    assert_refused(dg_log_append(t.archive, &t.admin, NULL, &ev, &err), &err, "log detail");
    int64_t batch = 0;
    assert_refused(dg_batch_begin(t.archive, &t.admin, "批" GBK, 1, &batch, &err), &err,
                   "batch label");
    assert_int_equal(dg_batch_begin(t.archive, &t.admin, "批次", 1, &batch, &err), DG_OK);
    assert_refused(dg_quarantine_file(t.archive, &t.admin, batch, GBK ".txt", "x", 1, "bad", 0, &err),
                   &err, "quarantined file name");
    dg_index_query q = {.text = GBK, .level = -1, .limit = 10};
    dg_search_result *r = NULL;
    assert_refused(dg_search(t.archive, &t.admin, &q, "[", "]", &r, &err), &err, "query");
    assert_refused(dg_classifier_state_put(t.archive, &t.admin, "classifier.rules", GBK, 0, NULL,
                                           &err),
                   &err, "classifier state");
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM users"), 1);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM quarantine"), 0);
    test_archive_remove(&t);
}

static void test_holds_refuse_invalid_utf8(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char ref[DG_REFCODE_MAX];
    dg_error err;
    dg_page_input page;
    dg_record_input in = good_input(&page);
    assert_int_equal(dg_record_add(t.archive, &t.admin, &in, ref, &err), DG_OK);
    assert_refused(dg_hold_place(t.archive, &t.admin, ref, "审计" GBK, &err), &err, "reason");
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM holds"), 0);
    test_archive_remove(&t);
}

/* Defence in depth: a write path that skipped its check still cannot store the bytes. */
static void test_catalog_triggers_refuse_invalid_utf8_in_any_column(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    char path[160];
    snprintf(path, sizeof path, "%s/catalog.db", t.path);
    sqlite3 *db;
    dg_error err;
    assert_int_equal(dg_catalog_open(path, 0, &db, &err), DG_OK);
    sqlite3_stmt *stmt;
    assert_int_equal(dg_catalog_prepare(db, "UPDATE users SET name = ? WHERE login = 'owner'",
                                        &stmt, &err),
                     DG_OK);
    sqlite3_bind_text(stmt, 1, GBK, -1, SQLITE_STATIC);
    assert_int_equal(dg_catalog_step_done(db, stmt, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "users.name: not valid UTF-8 text"));
    assert_int_equal(dg_catalog_prepare(db, "INSERT INTO settings(key, value) VALUES('k', ?)",
                                        &stmt, &err),
                     DG_OK);
    sqlite3_bind_text(stmt, 1, "x" GBK, -1, SQLITE_STATIC);
    assert_int_equal(dg_catalog_step_done(db, stmt, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "settings.value: not valid UTF-8 text"));
    /* Valid text, numbers and NULL pass. */
    assert_int_equal(dg_catalog_prepare(db, "UPDATE users SET name = ? WHERE login = 'owner'",
                                        &stmt, &err),
                     DG_OK);
    sqlite3_bind_text(stmt, 1, "档案员", -1, SQLITE_STATIC);
    assert_int_equal(dg_catalog_step_done(db, stmt, &err), DG_OK);
    dg_catalog_close(db);
    test_archive_remove(&t);
}

static int text_fd(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    return fd;
}

/*
 * A caller that hands the ingest runner a manifest row it did not decode (the manifest
 * reader always decodes, but dg_ingest takes any dg_manifest): the engine refuses the
 * record, the runner quarantines that file with the reason, and the batch goes on.
 */
static void test_ingest_quarantines_a_record_the_engine_refuses(void **state)
{
    (void)state;
    test_archive t;
    assert_true(test_archive_make(&t));
    dg_ingest_file files[] = {
        {.fd = text_fd(t.dir, "a.txt", "关于开学的通知 2024年2月1日"), .name = "a.txt"},
        {.fd = text_fd(t.dir, "b.txt", "会议纪要 2024年3月1日"), .name = "b.txt"},
    };
    char *a_files[] = {"a.txt"};
    dg_manifest_row row = {.line = 2, .files = a_files, .n_files = 1, .title = GBK};
    dg_manifest manifest = {.rows = &row, .n_rows = 1};
    /* b.txt is not in the manifest: filed as it stands, as `--unlisted file` asks */
    dg_ingest_options opts = {.label = "batch", .jobs = 1, .unlisted = DG_UNLISTED_FILE};
    dg_ingest_report *rep = NULL;
    dg_error err;
    dg_status st = dg_ingest(t.archive, &t.admin, files, 2, &manifest, &opts, &rep, &err);
    if (st != DG_OK)
        fail_msg("ingest: %s", err.msg);
    assert_int_equal(rep->quarantined, 1);
    assert_int_equal(rep->filed, 1);
    assert_string_equal(rep->outcomes[0].name, "a.txt");
    assert_string_equal(rep->outcomes[0].outcome, "quarantined");
    assert_non_null(strstr(rep->outcomes[0].reason, "title: not valid UTF-8 text"));
    dg_ingest_report_free(rep);
    close(files[0].fd);
    close(files[1].fd);
    assert_int_equal(test_archive_count(&t, "SELECT count(*) FROM versions"), 1);
    test_archive_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_add_refuses_invalid_utf8_in_every_text_field),
        cmocka_unit_test(test_record_edit_refuses_invalid_utf8),
        cmocka_unit_test(test_users_log_batches_and_settings_refuse_invalid_utf8),
        cmocka_unit_test(test_holds_refuse_invalid_utf8),
        cmocka_unit_test(test_catalog_triggers_refuse_invalid_utf8_in_any_column),
        cmocka_unit_test(test_ingest_quarantines_a_record_the_engine_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
