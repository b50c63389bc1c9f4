/*
 * filing.c — manifest values, extracted metadata and the classifier's decision, combined.
 */
#include "filing.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/vocab.h"
#include "classify.h"
#include "extract.h"
#include "learn.h"

struct dg_filer {
    dg_archive *archive;
    dg_classifier *classifier;
    /* The classifier is one, and its folding is not for two threads at once
     * (dg_classifier_prepare); its decision and the rest of a filing decision (metadata
     * extraction, title, level) only read it or the text, so ingest's workers make them
     * side by side and wait for each other only for the folding. No one trains it here. */
    pthread_mutex_t classify_lock;
};

dg_status dg_filer_open(dg_archive *archive, const dg_actor *actor, dg_filer **out,
                        dg_error *err)
{
    *out = NULL;
    dg_filer *f = calloc(1, sizeof *f);
    if (!f)
        return dg_error_set(err, DG_ERR_NOMEM, "filing: out of memory");
    f->archive = archive;
    pthread_mutex_init(&f->classify_lock, NULL);
    /* What the archive has learnt from its archivists, else the starter model. */
    dg_status st = dg_learn_open(archive, actor, &f->classifier, NULL, NULL, err);
    if (st != DG_OK) {
        pthread_mutex_destroy(&f->classify_lock);
        free(f);
        return st;
    }
    *out = f;
    return DG_OK;
}

void dg_filer_close(dg_filer *f)
{
    if (!f)
        return;
    dg_classifier_free(f->classifier);
    pthread_mutex_destroy(&f->classify_lock);
    free(f);
}

static void copy_field(char *dst, size_t size, const char *manifest_value, const dg_field *found)
{
    dst[0] = '\0';
    if (manifest_value)
        snprintf(dst, size, "%s", manifest_value);
    else if (found && found->found)
        snprintf(dst, size, "%s", found->value);
}

/* The first non-blank line, when nothing better names the record. */
static void first_line(const char *text, char *dst, size_t size)
{
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    size_t len = strcspn(p, "\r\n");
    if (len >= size)
        len = size - 1;
    /* Never cut a UTF-8 sequence in half. */
    while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80)
        len--;
    memcpy(dst, p, len);
    dst[len] = '\0';
}

static void decide_title(const char *text, const char *name, const dg_manifest_row *row,
                         const dg_office_props *props, const dg_metadata *md, dg_filing *out)
{
    const char *given = row && row->title ? row->title
                        : props && props->title[0] ? props->title
                                                   : NULL;
    copy_field(out->title, sizeof out->title, given, &md->title);
    if (!out->title[0])
        first_line(text, out->title, 81);
    if (!out->title[0]) {
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        snprintf(out->title, sizeof out->title, "%s", base);
    }
}

/* Manifest category wins (and the classifier's type only if it agrees on the category). */
static dg_status decide_category(dg_filer *f, const char *text, const dg_manifest_row *row,
                                 dg_filing *out, char **folded, dg_error *err)
{
    /* Only the folding changes the classifier; both workers decide at once. Filing uses
     * no explanation (dg_classifier_decide makes none). */
    dg_classification cls;
    char *lowered = NULL;
    pthread_mutex_lock(&f->classify_lock);
    dg_status st = dg_classifier_prepare(f->classifier, text, strlen(text), &lowered, folded, err);
    pthread_mutex_unlock(&f->classify_lock);
    if (st == DG_OK)
        st = dg_classifier_decide(f->classifier, lowered, &cls, err);
    free(lowered);
    if (st != DG_OK)
        return st;
    int class_category = (int)cls.category;
    const char *class_type = cls.type >= 0 ? dg_record_type_name(cls.type) : NULL;
    out->input.class_confidence = cls.confidence;
    if (row && row->category) {
        dg_category given;
        st = dg_category_parse(row->category, &given, err);
        if (st != DG_OK)
            return st;
        snprintf(out->category, sizeof out->category, "%s", dg_category_key(given));
        /* The archivist gave the category but not the type: no type is guessed behind
         * their back. The record keeps the category's default period and waits in the
         * review queue (confidence 0: nothing was decided about its type) until someone
         * gives it a type or accepts it as it is. */
        out->input.class_confidence = row->type ? -1 : 0;
        class_type = NULL;
    } else {
        if (class_category < 0 || class_category >= DG_CAT_COUNT)
            class_category = DG_CAT_ADMINISTRATIVE;
        snprintf(out->category, sizeof out->category, "%s",
                 dg_category_key((dg_category)class_category));
    }
    const char *type = row && row->type ? row->type : class_type;
    snprintf(out->type, sizeof out->type, "%s", type ? type : "");
    return DG_OK;
}

/* The mark as a records room names it (the enum's English names are for scripts). */
static const char *secrecy_word(dg_secrecy_level level)
{
    switch (level) {
    case DG_SECRECY_INTERNAL:
        return "内部";
    case DG_SECRECY_SECRET:
        return "秘密";
    case DG_SECRECY_CONFIDENTIAL:
        return "机密";
    case DG_SECRECY_TOP_SECRET:
        return "绝密";
    default:
        return NULL;
    }
}

/* A secrecy mark raises the level above the category's default; a manifest level wins. */
static dg_status decide_level(const dg_manifest_row *row, const dg_metadata *md, dg_filing *out,
                              dg_error *err)
{
    out->input.level = -1;
    if (row && row->level)
        return dg_level_parse(row->level, &out->input.level, err);
    int marked = dg_secrecy_access_level(md->secrecy_level);
    if (marked > 0) {
        out->level_mark = secrecy_word(md->secrecy_level);
        dg_category cat;
        int base = dg_category_parse(out->category, &cat, NULL) == DG_OK && cat == DG_CAT_PERSONNEL
                       ? 2
                       : 1;
        out->input.level = marked > base ? marked : base;
    }
    return DG_OK;
}

dg_status dg_filer_prepare(dg_filer *f, const char *text, const char *name,
                           const dg_manifest_row *row, dg_filing *out, dg_error *err)
{
    return dg_filer_prepare_document(f, text, name, row, NULL, out, err);
}

dg_status dg_filer_prepare_document(dg_filer *f, const char *text, const char *name,
                                    const dg_manifest_row *row, const dg_office_props *props,
                                    dg_filing *out, dg_error *err)
{
    return dg_filer_prepare_folding(f, text, name, row, props, out, NULL, err);
}

dg_status dg_filer_prepare_folding(dg_filer *f, const char *text, const char *name,
                                   const dg_manifest_row *row, const dg_office_props *props,
                                   dg_filing *out, char **folded, dg_error *err)
{
    memset(out, 0, sizeof *out);
    if (folded)
        *folded = NULL;
    dg_metadata md;
    dg_status st = dg_extract_metadata(text, strlen(text), &md, err);
    if (st != DG_OK)
        return st;
    decide_title(text, name, row, props, &md, out);
    copy_field(out->date, sizeof out->date, row ? row->date : NULL, &md.date);
    if (!out->date[0] && props && props->created[0])
        snprintf(out->date, sizeof out->date, "%s", props->created);
    copy_field(out->doc_number, sizeof out->doc_number, row ? row->doc_number : NULL,
               &md.doc_number);
    copy_field(out->department, sizeof out->department, row ? row->department : NULL,
               &md.department);
    copy_field(out->secrecy, sizeof out->secrecy, row ? row->secrecy : NULL, &md.secrecy);
    /* An extracted date that is not a real date (OCR noise) is dropped, not filed. */
    if (out->date[0] && !dg_date_valid(out->date))
        out->date[0] = '\0';
    st = decide_category(f, text, row, out, folded, err);
    if (st == DG_OK)
        st = decide_level(row, &md, out, err);
    if (st != DG_OK && folded) {
        free(*folded);
        *folded = NULL;
    }
    if (st != DG_OK)
        return st;
    dg_record_input *in = &out->input;
    in->title = out->title;
    in->category = out->category;
    in->record_type = out->type[0] ? out->type : NULL;
    in->doc_date = out->date[0] ? out->date : NULL;
    in->doc_number = out->doc_number[0] ? out->doc_number : NULL;
    in->department = out->department[0] ? out->department : NULL;
    in->secrecy = out->secrecy[0] && md.secrecy_level != DG_SECRECY_NONE ? out->secrecy : NULL;
    in->dept_code = row ? row->dept_code : NULL;
    in->period = row ? row->period : NULL;
    in->location = row ? row->location : NULL;
    in->subject = row ? row->subject : NULL;
    return DG_OK;
}
