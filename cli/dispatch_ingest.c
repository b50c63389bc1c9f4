/*
 * dispatch_ingest.c — the request handlers of batches: ingest (the files and manifest the
 * client passed, --memory, --unlisted, the report and its exit code), batch list, batch
 * show and quarantine list.
 */
#include "dispatch_ingest.h"

#include <stdlib.h>
#include <string.h>

#include "../engine/batch.h"
#include "../ingest/ingest.h"
#include "../ingest/manifest.h"

/* A manifest is read whole, as a text record is; one over this size is refused. */
#define MAX_TEXT_FILE (64u * 1024 * 1024)

/* ---- ingest ----------------------------------------------------------------------- */

/* The batch's files as the client passed them; their names are relative to the folder. */
static dg_status collect_batch_files(dg_request *c, dg_ingest_file **out, size_t *count)
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

static dg_status read_manifest(dg_request *c, dg_manifest **manifest)
{
    *manifest = NULL;
    if (!dg_arg_has(c, "manifest"))
        return DG_OK;
    char *text;
    size_t len;
    const char *name;
    dg_text_encoding enc;
    dg_status st = dg_arg_encoding(c, &enc);
    if (st != DG_OK)
        return st;
    st = dg_arg_file(c, "manifest", MAX_TEXT_FILE, &text, &len, &name);
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
                     "title", dg_json_str_or_null(o->title), "category", dg_json_str_or_null(o->category),
                     "type", dg_json_str_or_null(o->record_type),
                     "reason", dg_json_str_or_null(o->reason), "pages", o->pages, "confidence",
                     o->confidence >= 0 ? json_real(o->confidence) : json_null(),
                     "class_confidence",
                     o->class_confidence >= 0 ? json_real(o->class_confidence) : json_null(),
                     "lang", dg_json_str_or_null(o->lang));
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
                     rep->seconds, "warning", dg_json_str_or_null(rep->warning), "outcomes", outcomes);
}

/* "800M", "2G", "1.5G", "65536" (bytes): the --memory budget. */
static dg_status parse_memory_arg(dg_request *c, uint64_t *bytes)
{
    *bytes = 0;
    const char *text = dg_arg_str(c, "memory");
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
static dg_status parse_unlisted_arg(dg_request *c, dg_unlisted *unlisted)
{
    const char *text = dg_arg_str(c, "unlisted");
    *unlisted = DG_UNLISTED_QUARANTINE;
    if (text && !dg_arg_has(c, "manifest")) /* said for nothing: the archivist meant something */
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

dg_status dg_cmd_ingest(dg_request *c, json_t **result)
{
    dg_ingest_file *files = NULL;
    size_t n_files = 0;
    dg_manifest *manifest = NULL;
    dg_status st = collect_batch_files(c, &files, &n_files);
    if (st == DG_OK)
        st = read_manifest(c, &manifest);
    dg_ingest_report *rep = NULL;
    if (st == DG_OK) {
        dg_ingest_options opts = {.label = dg_arg_str(c, "label"), .lang = dg_arg_str(c, "lang"),
                                  .jobs = dg_arg_int(c, "jobs", 0), .soffice = dg_request_soffice()};
        st = dg_arg_encoding(c, &opts.encoding);
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
                     "finished_at", dg_json_str_or_null(b->finished_at), "user", b->user, "files",
                     (json_int_t)b->files, "filed", (json_int_t)b->filed, "duplicates",
                     (json_int_t)b->duplicates, "quarantined", (json_int_t)b->quarantined,
                     "pages", (json_int_t)b->pages, "seconds", b->seconds);
}

dg_status dg_cmd_batch_list(dg_request *c, json_t **result)
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

dg_status dg_cmd_batch_show(dg_request *c, json_t **result)
{
    dg_batch_summary b;
    dg_batch_entry *files;
    size_t n;
    dg_status st = dg_batch_show(c->archive, &c->actor, dg_arg_int(c, "id", 0), &b, &files, &n,
                                 &c->err);
    if (st != DG_OK)
        return st;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:s, s:o, s:s, s:o, s:o, s:i, s:o, s:f}", "name", files[i].name,
                            "sha256", dg_json_str_or_null(files[i].sha256), "outcome", files[i].outcome,
                            "refcode", dg_json_str_or_null(files[i].refcode), "reason",
                            dg_json_str_or_null(files[i].reason), "pages", files[i].pages, "confidence",
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

dg_status dg_cmd_quarantine_list(dg_request *c, json_t **result)
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
                                               "stored_as", dg_json_str_or_null(list[i].stored_as),
                                               "at", list[i].at));
    dg_quarantined_free(list, n);
    *result = json_pack("{s:o}", "quarantined", items);
    return DG_OK;
}
