/*
 * born.c — an office document's pages, text and properties for `dangan add` (see born.h).
 */
#include "born.h"

#include <leptonica/allheaders.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "pages.h"

typedef struct born_owned {
    dg_document *doc;
    dg_page **pages;
    size_t n_pages;
} born_owned;

void dg_born_free(dg_born_doc *born)
{
    if (!born)
        return;
    born_owned *o = born->owned;
    if (o) {
        for (size_t i = 0; i < o->n_pages; i++)
            dg_page_free(o->pages[i]);
        free(o->pages);
        dg_document_close(o->doc);
        free(o);
    }
    free(born->pages);
    free(born->text);
    free(born);
}

/* Whether the bytes are an office document at all: any other kind is the caller's. */
static dg_status is_office(dg_detector *detector, const void *data, size_t len,
                           const char *name, int *office, dg_error *err)
{
    *office = 0;
    dg_file_type type;
    dg_error why;
    if (dg_detect_buffer(detector, data, len, name, &type, &why) == DG_OK)
        *office = type == DG_FILE_OFFICE || type == DG_FILE_LEGACY_OFFICE;
    else if (strstr(why.msg, "encrypted Office document"))
        return dg_error_set(err, DG_ERR_BAD_INPUT, "%s", why.msg);
    return DG_OK;
}

static dg_status join_text(dg_born_doc *born, dg_error *err)
{
    born_owned *o = born->owned;
    size_t total = 1;
    for (size_t i = 0; i < o->n_pages; i++)
        total += o->pages[i]->text ? strlen(o->pages[i]->text) + 2 : 0;
    born->text = malloc(total);
    if (!born->text)
        return dg_error_set(err, DG_ERR_NOMEM, "born-digital file: out of memory");
    size_t used = 0;
    for (size_t i = 0; i < o->n_pages; i++) {
        const char *t = o->pages[i]->text;
        if (!t)
            continue;
        if (used)
            memcpy(born->text + used, "\n\n", 2), used += 2;
        memcpy(born->text + used, t, strlen(t));
        used += strlen(t);
    }
    born->text[used] = '\0';
    return DG_OK;
}

static dg_status read_pages(dg_born_doc *born, dg_error *err)
{
    born_owned *o = born->owned;
    int count = dg_document_page_count(o->doc);
    o->pages = calloc((size_t)count, sizeof *o->pages);
    born->pages = calloc((size_t)count, sizeof *born->pages);
    if (!o->pages || !born->pages)
        return dg_error_set(err, DG_ERR_NOMEM, "born-digital file: out of memory");
    for (int p = 0; p < count; p++) {
        dg_page *page = NULL;
        dg_status st = dg_document_read_page(o->doc, p, &page, err);
        if (st != DG_OK || !page)
            return st != DG_OK ? st : dg_error_set(err, DG_ERR_INTERNAL, "no page %d", p + 1);
        o->pages[o->n_pages++] = page;
        if (page->pix) /* an image-only page of a legacy file: kept, not OCR'd here */
            pixDestroy(&page->pix);
        born->pages[born->n_pages++] = (dg_page_input){
            .data = page->image, .len = page->image_len, .mime = page->image_mime,
            .text = page->text, .confidence = -1};
    }
    return join_text(born, err);
}

dg_status dg_born_read(const void *data, size_t len, const char *name, const char *soffice,
                       dg_born_doc **out, dg_error *err)
{
    *out = NULL;
    dg_detector *detector;
    dg_status st = dg_detector_open(&detector, err);
    int office = 0;
    if (st == DG_OK)
        st = is_office(detector, data, len, name, &office, err);
    if (st != DG_OK || !office) {
        dg_detector_close(detector);
        return st;
    }
    dg_born_doc *born = calloc(1, sizeof *born);
    born_owned *o = calloc(1, sizeof *o);
    if (!born || !o) {
        free(born);
        free(o);
        dg_detector_close(detector);
        return dg_error_set(err, DG_ERR_NOMEM, "born-digital file: out of memory");
    }
    born->owned = o;
    dg_page_limits limits;
    dg_page_limits_init(&limits);
    limits.office.soffice = soffice;
    st = dg_document_open_memory(detector, data, len, name, &limits, &o->doc, err);
    dg_detector_close(detector);
    if (st == DG_OK)
        st = read_pages(born, err);
    if (st != DG_OK) {
        dg_born_free(born);
        return st;
    }
    born->props = dg_document_props(o->doc);
    *out = born;
    return DG_OK;
}
