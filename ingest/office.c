/*
 * office.c — OOXML, ODF and OFD packages read with libzip and libxml2; LibreOffice runs
 * (see office.h).
 *
 * Every XML part is parsed by xmlTextReader straight from the zip entry through a counting
 * read callback: nothing is inflated whole into memory, and the caps on an entry's and the
 * package's uncompressed bytes hold even when an entry's header lies about its size. Each
 * format is a small "visitor" that sees the reader's nodes one by one and appends to the
 * text buffer (or fills a property).
 */
#include "office.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libxml/xmlreader.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

extern char **environ;

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_S "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_A "http://schemas.openxmlformats.org/drawingml/2006/main"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_CP "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_META "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define NS_MANIFEST "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

void dg_office_options_init(dg_office_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_entry_bytes = (size_t)256 << 20;
    o->max_total_bytes = (size_t)1 << 30;
    o->max_text_bytes = (size_t)64 << 20;
    o->max_parts = 10000;
    o->soffice = NULL;
    o->timeout_seconds = 120;
}

const char *dg_office_format_name(dg_office_format format)
{
    switch (format) {
    case DG_OFFICE_DOCX: return "docx";
    case DG_OFFICE_XLSX: return "xlsx";
    case DG_OFFICE_PPTX: return "pptx";
    case DG_OFFICE_ODT: return "odt";
    case DG_OFFICE_ODS: return "ods";
    case DG_OFFICE_ODP: return "odp";
    case DG_OFFICE_OFD: return "ofd";
    case DG_OFFICE_NONE: break;
    }
    return "none";
}

static const char *mime_of(dg_office_format format)
{
    switch (format) {
    case DG_OFFICE_DOCX:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    case DG_OFFICE_XLSX: return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case DG_OFFICE_PPTX:
        return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    case DG_OFFICE_ODT: return "application/vnd.oasis.opendocument.text";
    case DG_OFFICE_ODS: return "application/vnd.oasis.opendocument.spreadsheet";
    case DG_OFFICE_ODP: return "application/vnd.oasis.opendocument.presentation";
    case DG_OFFICE_OFD: return "application/ofd";
    case DG_OFFICE_NONE: break;
    }
    return "application/octet-stream";
}

void dg_office_doc_free(dg_office_doc *doc)
{
    if (!doc)
        return;
    free(doc->text);
    free(doc);
}

/* ---- a growing text buffer with a cap ------------------------------------------------ */

typedef struct textbuf {
    char *data;
    size_t len, cap, max;
    int over;
} textbuf;

static int tb_append(textbuf *b, const char *s, size_t n)
{
    if (b->over)
        return -1;
    if (b->len + n > b->max) {
        b->over = 1;
        return -1;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            return -2;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int tb_puts(textbuf *b, const char *s)
{
    return tb_append(b, s, strlen(s));
}

/* The last byte written, or '\n' at the start (so no separator opens the text). */
static char tb_last(const textbuf *b)
{
    return b->len ? b->data[b->len - 1] : '\n';
}

/* Drops trailing spaces and tabs (a cell's last paragraph end before its tab). */
static void tb_trim(textbuf *b)
{
    while (b->len && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
        b->data[--b->len] = '\0';
}

/* A line break, never two blank lines in a row. */
static int tb_newline(textbuf *b)
{
    if (b->len >= 2 && b->data[b->len - 1] == '\n' && b->data[b->len - 2] == '\n')
        return 0;
    return tb_append(b, "\n", 1);
}

/* ---- the package ------------------------------------------------------------------- */

typedef struct package {
    zip_t *zip;
    const char *name;
    const dg_office_options *opt;
    size_t total_read;
    textbuf text;
    dg_error *err;
    dg_status failed; /* set by a visitor */
} package;

static dg_status package_open(package *pkg, const void *data, size_t len, dg_error *err)
{
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
    if (src)
        pkg->zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!pkg->zip) {
        dg_status st = dg_error_set(err, src ? DG_ERR_BAD_INPUT : DG_ERR_NOMEM,
                                    "%s: damaged zip package (%s)", pkg->name,
                                    zip_error_strerror(&zerr));
        zip_source_free(src);
        zip_error_fini(&zerr);
        return st;
    }
    zip_error_fini(&zerr);
    return DG_OK;
}

static int has_entry(package *pkg, const char *entry)
{
    return zip_name_locate(pkg->zip, entry, 0) >= 0;
}

/* The counting stream libxml2 reads an entry through. */
typedef struct entry_stream {
    package *pkg;
    zip_file_t *file;
    size_t read;
    int over_entry, over_total, damaged;
    char why[256];
} entry_stream;

static int entry_read(void *ctx, char *buf, int len)
{
    entry_stream *s = ctx;
    const dg_office_options *o = s->pkg->opt;
    size_t room = o->max_entry_bytes - s->read;
    size_t total_room = o->max_total_bytes - s->pkg->total_read;
    if (total_room < room)
        room = total_room;
    if (room == 0) {
        /* At the cap: one more byte means the entry is over it. */
        char probe;
        zip_int64_t n = zip_fread(s->file, &probe, 1);
        if (n == 0)
            return 0;
        if (n > 0) {
            if (s->read >= o->max_entry_bytes)
                s->over_entry = 1;
            else
                s->over_total = 1;
        } else {
            s->damaged = 1;
            snprintf(s->why, sizeof s->why, "%s", zip_file_strerror(s->file));
        }
        return -1;
    }
    size_t ask = (size_t)len < room ? (size_t)len : room;
    zip_int64_t n = zip_fread(s->file, buf, ask);
    if (n < 0) {
        s->damaged = 1;
        snprintf(s->why, sizeof s->why, "%s", zip_file_strerror(s->file));
        return -1;
    }
    s->read += (size_t)n;
    s->pkg->total_read += (size_t)n;
    return (int)n;
}

typedef struct xml_error {
    char msg[200];
    int line;
} xml_error;

/* libxml2 reports here instead of printing on stderr; the first error is kept. */
static void xml_error_keep(void *ctx, xmlErrorPtr error)
{
    xml_error *e = ctx;
    if (e->msg[0] || !error || error->level < XML_ERR_ERROR)
        return;
    snprintf(e->msg, sizeof e->msg, "%s", error->message ? error->message : "malformed XML");
    e->msg[strcspn(e->msg, "\n")] = '\0'; /* one line: the detail lines show raw bytes */
    size_t n = strlen(e->msg);
    while (n && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
        e->msg[--n] = '\0';
    e->line = error->line;
}

/* A visitor sees every node; it returns 0 to go on, -1 to stop (pkg->failed says why). */
typedef int (*visit_fn)(package *pkg, xmlTextReaderPtr r, void *ctx);

static dg_status stream_error(package *pkg, const char *entry, const entry_stream *s,
                              const xml_error *xe)
{
    const dg_office_options *o = pkg->opt;
    if (s->over_entry)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                            "%s: %s inflates to more than %zu bytes (refused as a zip bomb)",
                            pkg->name, entry, o->max_entry_bytes);
    if (s->over_total)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                            "%s: the package inflates to more than %zu bytes (refused as a "
                            "zip bomb)", pkg->name, o->max_total_bytes);
    if (s->damaged)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: damaged zip package: %s: %s",
                            pkg->name, entry, s->why);
    return dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: damaged document: %s: line %d: %s",
                        pkg->name, entry, xe->line, xe->msg[0] ? xe->msg : "malformed XML");
}

static dg_status open_entry(package *pkg, const char *entry, zip_file_t **file)
{
    *file = NULL;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(pkg->zip, entry, 0, &st) != 0)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: damaged document: %s is missing",
                            pkg->name, entry);
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                            "%s: encrypted document (needs a password)", pkg->name);
    /* The header's size is checked first (cheap); the stream counts the real bytes. */
    if ((st.valid & ZIP_STAT_SIZE) && st.size > pkg->opt->max_entry_bytes)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                            "%s: %s inflates to %llu bytes, over the limit of %zu (refused "
                            "as a zip bomb)", pkg->name, entry, (unsigned long long)st.size,
                            pkg->opt->max_entry_bytes);
    *file = zip_fopen(pkg->zip, entry, 0);
    if (!*file) {
        zip_error_t *ze = zip_get_error(pkg->zip);
        int code = zip_error_code_zip(ze);
        if (code == ZIP_ER_NOPASSWD || code == ZIP_ER_WRONGPASSWD)
            return dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                                "%s: encrypted document (needs a password)", pkg->name);
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: damaged zip package: %s: %s",
                            pkg->name, entry, zip_error_strerror(ze));
    }
    return DG_OK;
}

/* Parses one XML entry of the package, node by node, through visit. */
static dg_status read_xml(package *pkg, const char *entry, visit_fn visit, void *ctx)
{
    entry_stream s = {.pkg = pkg};
    dg_status st = open_entry(pkg, entry, &s.file);
    if (st != DG_OK)
        return st;
    xml_error xe = {0};
    /* No DTD loading, no entity substitution, no network: the defaults plus NONET. */
    xmlTextReaderPtr r = xmlReaderForIO(entry_read, NULL, &s, entry, NULL,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                                            XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!r) {
        zip_fclose(s.file);
        if (s.over_entry || s.over_total || s.damaged)
            return stream_error(pkg, entry, &s, &xe);
        return dg_error_set(pkg->err, DG_ERR_NOMEM, "%s: %s: cannot start the XML reader",
                            pkg->name, entry);
    }
    xmlTextReaderSetStructuredErrorHandler(r, xml_error_keep, &xe);
    int ret;
    pkg->failed = DG_OK;
    while ((ret = xmlTextReaderRead(r)) == 1) {
        if (visit(pkg, r, ctx) != 0) {
            ret = 2;
            break;
        }
    }
    xmlFreeTextReader(r);
    zip_fclose(s.file);
    if (ret == 2)
        return pkg->failed;
    if (ret < 0)
        return stream_error(pkg, entry, &s, &xe);
    return DG_OK;
}

/* Fails the visit for a full text buffer (or memory). */
static int text_failed(package *pkg, int rc)
{
    if (rc == -2)
        pkg->failed = dg_error_set(pkg->err, DG_ERR_NOMEM, "%s: out of memory", pkg->name);
    else
        pkg->failed = dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                                   "%s: its text is over the limit of %zu bytes", pkg->name,
                                   pkg->opt->max_text_bytes);
    return -1;
}

#define EMIT(pkg, call)                                                                        \
    do {                                                                                       \
        int rc_ = (call);                                                                      \
        if (rc_ != 0)                                                                          \
            return text_failed((pkg), rc_);                                                    \
    } while (0)

/* ---- node helpers ------------------------------------------------------------------ */

/* Whether namespace uri is ns, or the ISO "Strict" OOXML namespace of the same part. */
static int ns_is(const xmlChar *uri, const char *ns)
{
    static const struct {
        const char *transitional, *strict;
    } strict[] = {
        {NS_W, "http://purl.oclc.org/ooxml/wordprocessingml/main"},
        {NS_S, "http://purl.oclc.org/ooxml/spreadsheetml/main"},
        {NS_A, "http://purl.oclc.org/ooxml/drawingml/main"},
    };
    if (!uri)
        return 0;
    if (!strcmp((const char *)uri, ns))
        return 1;
    for (size_t i = 0; i < sizeof strict / sizeof strict[0]; i++)
        if (!strcmp(ns, strict[i].transitional) && !strcmp((const char *)uri, strict[i].strict))
            return 1;
    return 0;
}

static int node_is(xmlTextReaderPtr r, const char *ns, const char *local)
{
    const xmlChar *l = xmlTextReaderConstLocalName(r);
    if (!l || strcmp((const char *)l, local) != 0)
        return 0;
    return !ns || ns_is(xmlTextReaderConstNamespaceUri(r), ns);
}

static int is_start(xmlTextReaderPtr r)
{
    return xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT;
}

/* The end of an element: its end tag, or an empty element <x/>. */
static int is_end(xmlTextReaderPtr r)
{
    int t = xmlTextReaderNodeType(r);
    return t == XML_READER_TYPE_END_ELEMENT ||
           (t == XML_READER_TYPE_ELEMENT && xmlTextReaderIsEmptyElement(r) == 1);
}

static int is_text(xmlTextReaderPtr r)
{
    int t = xmlTextReaderNodeType(r);
    return t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
           t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || t == XML_READER_TYPE_WHITESPACE;
}

static const char *node_value(xmlTextReaderPtr r)
{
    const xmlChar *v = xmlTextReaderConstValue(r);
    return v ? (const char *)v : "";
}

/* An attribute by local name (any namespace); the caller frees it with xmlFree. */
static char *attr(xmlTextReaderPtr r, const char *local)
{
    if (xmlTextReaderHasAttributes(r) != 1)
        return NULL;
    char *found = NULL;
    if (xmlTextReaderMoveToFirstAttribute(r) == 1) {
        do {
            const xmlChar *l = xmlTextReaderConstLocalName(r);
            if (l && !strcmp((const char *)l, local)) {
                found = (char *)xmlTextReaderValue(r);
                break;
            }
        } while (xmlTextReaderMoveToNextAttribute(r) == 1);
    }
    xmlTextReaderMoveToElement(r);
    return found;
}

/* ---- properties -------------------------------------------------------------------- */

/* Appends XML text to a property, spaces for line breaks, never cutting a character. */
static void prop_append(char *dst, size_t size, const char *s)
{
    size_t len = strlen(dst);
    for (; *s && len + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x80) {
            char out = c == '\n' || c == '\r' || c == '\t' ? ' ' : (char)c;
            if (out == ' ' && (len == 0 || dst[len - 1] == ' '))
                continue;
            dst[len++] = out;
            continue;
        }
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (len + n >= size)
            break;
        memcpy(dst + len, s, n);
        len += n;
        s += n - 1;
    }
    dst[len] = '\0';
}

static void prop_trim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
}

/* Keeps YYYY-MM-DD from an ISO date or date-time. */
static void prop_date(char dst[11], const char *value)
{
    while (*value == ' ')
        value++;
    dst[0] = '\0';
    for (int i = 0; i < 10; i++) {
        int digit = value[i] >= '0' && value[i] <= '9';
        if ((i == 4 || i == 7) ? value[i] != '-' : !digit)
            return;
    }
    memcpy(dst, value, 10);
    dst[10] = '\0';
}

typedef struct prop_rule {
    const char *ns, *local;
    size_t offset, size;
} prop_rule;

#define PROP(ns, local, field)                                                                 \
    {ns, local, offsetof(dg_office_props, field), sizeof(((dg_office_props *)0)->field)}

typedef struct prop_walk {
    const prop_rule *rules;
    size_t n_rules;
    dg_office_props *props;
    char date[64];
    const prop_rule *current;
    int depth;
} prop_walk;

static int visit_props(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    (void)pkg;
    prop_walk *w = ctx;
    if (is_start(r) && !w->current && xmlTextReaderIsEmptyElement(r) != 1) {
        for (size_t i = 0; i < w->n_rules && !w->current; i++) {
            if (!node_is(r, w->rules[i].ns, w->rules[i].local))
                continue;
            char *field = (char *)w->props + w->rules[i].offset;
            int is_keywords = w->rules[i].offset == offsetof(dg_office_props, keywords);
            /* The first of two fields for one property wins (ODF's initial creator and
             * creator); several keywords (ODF meta:keyword, OFD Keyword) join. */
            if (field[0] && !is_keywords)
                continue;
            if (field[0])
                prop_append(field, w->rules[i].size, ", ");
            w->current = &w->rules[i];
            w->depth = xmlTextReaderDepth(r);
        }
    } else if (w->current && is_text(r)) {
        if (w->current->offset == offsetof(dg_office_props, created))
            prop_append(w->date, sizeof w->date, node_value(r));
        else
            prop_append((char *)w->props + w->current->offset, w->current->size, node_value(r));
    } else if (w->current && xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT &&
               xmlTextReaderDepth(r) == w->depth) {
        if (w->current->offset == offsetof(dg_office_props, created))
            prop_date(w->props->created, w->date);
        w->date[0] = '\0';
        w->current = NULL;
    }
    return 0;
}

static dg_status read_props(package *pkg, const char *entry, const prop_rule *rules,
                            size_t n_rules, dg_office_props *props)
{
    prop_walk w = {.rules = rules, .n_rules = n_rules, .props = props};
    dg_status st = read_xml(pkg, entry, visit_props, &w);
    prop_trim(props->title);
    prop_trim(props->author);
    prop_trim(props->subject);
    prop_trim(props->keywords);
    prop_trim(props->doc_id);
    return st;
}

/* ---- OOXML --------------------------------------------------------------------------- */

typedef struct part {
    char *name;
    char *type;
} part;

typedef struct part_list {
    part *parts;
    size_t n, cap;
} part_list;

static void parts_free(part_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->parts[i].name);
        free(l->parts[i].type);
    }
    free(l->parts);
}

static int parts_add(part_list *l, const char *name, const char *type)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        part *grown = realloc(l->parts, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->parts = grown;
        l->cap = cap;
    }
    while (*name == '/') /* part names are absolute; zip entries are not */
        name++;
    l->parts[l->n].name = strdup(name);
    l->parts[l->n].type = strdup(type ? type : "");
    if (!l->parts[l->n].name || !l->parts[l->n].type) {
        free(l->parts[l->n].name);
        free(l->parts[l->n].type);
        return -1;
    }
    l->n++;
    return 0;
}

static int visit_content_types(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    part_list *l = ctx;
    if (!is_start(r) || !node_is(r, NULL, "Override"))
        return 0;
    if (l->n >= pkg->opt->max_parts * 4) {
        pkg->failed = dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: too many parts",
                                   pkg->name);
        return -1;
    }
    char *name = attr(r, "PartName"), *type = attr(r, "ContentType");
    int rc = name && type ? parts_add(l, name, type) : 0;
    xmlFree(name);
    xmlFree(type);
    if (rc != 0) {
        pkg->failed = dg_error_set(pkg->err, DG_ERR_NOMEM, "%s: out of memory", pkg->name);
        return -1;
    }
    return 0;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcmp(s + n - t, tail);
}

/* "sheet2.xml" before "sheet10.xml": the number in the name, then the name. */
static int natural_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    while (*x && *y) {
        if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
            unsigned long long nx = strtoull(x, (char **)&x, 10);
            unsigned long long ny = strtoull(y, (char **)&y, 10);
            if (nx != ny)
                return nx < ny ? -1 : 1;
            continue;
        }
        if (*x != *y)
            return (unsigned char)*x - (unsigned char)*y;
        x++, y++;
    }
    return (unsigned char)*x - (unsigned char)*y;
}

/* The names of the parts whose content type ends with tail, in natural order. */
static const char **parts_of_type(const part_list *l, const char *tail, size_t *n)
{
    const char **names = calloc(l->n + 1, sizeof *names);
    *n = 0;
    if (!names)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        if (ends_with(l->parts[i].type, tail))
            names[(*n)++] = l->parts[i].name;
    qsort(names, *n, sizeof *names, natural_cmp);
    return names;
}

static dg_office_format ooxml_format(const part_list *l, const char **main_part)
{
    static const struct {
        const char *family;
        dg_office_format format;
    } families[] = {
        {"wordprocessingml.", DG_OFFICE_DOCX}, {"ms-word.", DG_OFFICE_DOCX},
        {"spreadsheetml.", DG_OFFICE_XLSX},    {"ms-excel.", DG_OFFICE_XLSX},
        {"presentationml.", DG_OFFICE_PPTX},   {"ms-powerpoint.", DG_OFFICE_PPTX},
    };
    for (size_t i = 0; i < l->n; i++) {
        if (!ends_with(l->parts[i].type, ".main+xml"))
            continue;
        for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
            if (strstr(l->parts[i].type, families[f].family)) {
                *main_part = l->parts[i].name;
                return families[f].format;
            }
    }
    return DG_OFFICE_NONE;
}

/* Word: w:t runs, tabs and breaks; a paragraph ends a line, except inside a table cell,
 * where cells are kept apart by tabs and rows by lines. */
typedef struct word_walk {
    int in_t, in_cell;
} word_walk;

static int visit_word(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    word_walk *w = ctx;
    textbuf *b = &pkg->text;
    const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
    if (is_text(r)) {
        if (w->in_t)
            EMIT(pkg, tb_puts(b, node_value(r)));
        return 0;
    }
    if (!ns_is(ns, NS_W))
        return 0;
    if (is_start(r)) {
        if (node_is(r, NULL, "t") && xmlTextReaderIsEmptyElement(r) != 1)
            w->in_t = 1;
        else if (node_is(r, NULL, "tc") && xmlTextReaderIsEmptyElement(r) != 1)
            w->in_cell++;
        else if (node_is(r, NULL, "tab"))
            EMIT(pkg, tb_puts(b, "\t"));
        else if (node_is(r, NULL, "br") || node_is(r, NULL, "cr"))
            EMIT(pkg, tb_puts(b, w->in_cell ? " " : "\n"));
    }
    if (!is_end(r))
        return 0;
    if (node_is(r, NULL, "t"))
        w->in_t = 0;
    else if (node_is(r, NULL, "p"))
        EMIT(pkg, tb_puts(b, w->in_cell ? " " : "\n"));
    else if (node_is(r, NULL, "tc") && xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT) {
        w->in_cell--;
        tb_trim(b);
        EMIT(pkg, tb_puts(b, "\t"));
    } else if (node_is(r, NULL, "tr")) {
        tb_trim(b);
        EMIT(pkg, tb_newline(b));
    }
    return 0;
}

/* Excel's shared strings: one string per si, from its t elements (not the phonetic rPh). */
typedef struct string_table {
    char **strings;
    size_t n, cap;
    textbuf current;
    int in_si, in_t, in_rph;
} string_table;

static void strings_free(string_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->strings[i]);
    free(t->strings);
    free(t->current.data);
}

static int visit_shared_strings(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    string_table *t = ctx;
    if (is_text(r)) {
        if (t->in_si && t->in_t && !t->in_rph)
            EMIT(pkg, tb_puts(&t->current, node_value(r)));
        return 0;
    }
    if (is_start(r) && xmlTextReaderIsEmptyElement(r) != 1) {
        if (node_is(r, NS_S, "si")) {
            t->in_si = 1;
            t->current.len = 0;
        } else if (node_is(r, NS_S, "t"))
            t->in_t = 1;
        else if (node_is(r, NS_S, "rPh"))
            t->in_rph = 1;
    }
    if (!is_end(r))
        return 0;
    if (node_is(r, NS_S, "t"))
        t->in_t = 0;
    else if (node_is(r, NS_S, "rPh"))
        t->in_rph = 0;
    else if (node_is(r, NS_S, "si")) {
        t->in_si = 0;
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 256;
            char **grown = realloc(t->strings, cap * sizeof *grown);
            if (!grown)
                return text_failed(pkg, -2);
            t->strings = grown;
            t->cap = cap;
        }
        t->strings[t->n] = strndup(t->current.data ? t->current.data : "", t->current.len);
        if (!t->strings[t->n])
            return text_failed(pkg, -2);
        t->n++;
    }
    return 0;
}

/* A worksheet: cells by tabs, rows by lines; shared strings looked up by index. */
typedef struct sheet_walk {
    const string_table *strings;
    textbuf value;
    char type[16];
    int in_v, in_is_t;
} sheet_walk;

static int emit_cell(package *pkg, sheet_walk *w)
{
    textbuf *b = &pkg->text;
    const char *v = w->value.data ? w->value.data : "";
    if (!*v)
        return 0;
    if (!strcmp(w->type, "s")) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (*end || i >= w->strings->n)
            return 0; /* an index past the table: nothing to show */
        v = w->strings->strings[i];
    } else if (!strcmp(w->type, "b")) {
        v = !strcmp(v, "1") ? "TRUE" : "FALSE";
    }
    if (tb_last(b) != '\n' && tb_last(b) != '\t')
        EMIT(pkg, tb_puts(b, "\t"));
    EMIT(pkg, tb_puts(b, v));
    return 0;
}

static int visit_sheet(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    sheet_walk *w = ctx;
    if (is_text(r)) {
        if (w->in_v || w->in_is_t)
            EMIT(pkg, tb_puts(&w->value, node_value(r)));
        return 0;
    }
    if (is_start(r)) {
        if (node_is(r, NS_S, "c")) {
            char *t = attr(r, "t");
            snprintf(w->type, sizeof w->type, "%s", t ? t : "n");
            xmlFree(t);
            w->value.len = 0;
            if (w->value.data)
                w->value.data[0] = '\0';
        } else if (xmlTextReaderIsEmptyElement(r) != 1) {
            if (node_is(r, NS_S, "v"))
                w->in_v = 1;
            else if (node_is(r, NS_S, "t"))
                w->in_is_t = 1;
        }
    }
    if (!is_end(r))
        return 0;
    if (node_is(r, NS_S, "v"))
        w->in_v = 0;
    else if (node_is(r, NS_S, "t"))
        w->in_is_t = 0;
    else if (node_is(r, NS_S, "c"))
        return emit_cell(pkg, w);
    else if (node_is(r, NS_S, "row") && tb_last(&pkg->text) != '\n')
        EMIT(pkg, tb_puts(&pkg->text, "\n"));
    return 0;
}

/* PowerPoint (and DrawingML text anywhere): a:t runs, a paragraph a line. */
typedef struct slide_walk {
    int in_t;
} slide_walk;

static int visit_slide(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    slide_walk *w = ctx;
    if (is_text(r)) {
        if (w->in_t)
            EMIT(pkg, tb_puts(&pkg->text, node_value(r)));
        return 0;
    }
    if (is_start(r) && node_is(r, NS_A, "t") && xmlTextReaderIsEmptyElement(r) != 1)
        w->in_t = 1;
    else if (is_start(r) && node_is(r, NS_A, "br"))
        EMIT(pkg, tb_puts(&pkg->text, "\n"));
    if (is_end(r) && node_is(r, NS_A, "t"))
        w->in_t = 0;
    else if (is_end(r) && node_is(r, NS_A, "p") && tb_last(&pkg->text) != '\n')
        EMIT(pkg, tb_puts(&pkg->text, "\n"));
    return 0;
}

static dg_status read_parts(package *pkg, const char **names, size_t n, visit_fn visit,
                            void *ctx, size_t ctx_size)
{
    if (n > pkg->opt->max_parts)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: %zu parts is over the limit of %zu",
                            pkg->name, n, pkg->opt->max_parts);
    for (size_t i = 0; i < n; i++) {
        memset(ctx, 0, ctx_size);
        dg_status st = read_xml(pkg, names[i], visit, ctx);
        if (st != DG_OK)
            return st;
        int rc = tb_newline(&pkg->text);
        if (rc != 0) {
            text_failed(pkg, rc);
            return pkg->failed;
        }
    }
    return DG_OK;
}

static dg_status read_xlsx(package *pkg, const part_list *l)
{
    string_table strings = {0};
    strings.current.max = pkg->opt->max_text_bytes;
    size_t n_shared;
    const char **shared = parts_of_type(l, "spreadsheetml.sharedStrings+xml", &n_shared);
    size_t n_sheets;
    const char **sheets = parts_of_type(l, "spreadsheetml.worksheet+xml", &n_sheets);
    if (!shared || !sheets) {
        free(shared);
        free(sheets);
        return dg_error_set(pkg->err, DG_ERR_NOMEM, "%s: out of memory", pkg->name);
    }
    dg_status st = DG_OK;
    for (size_t i = 0; st == DG_OK && i < n_shared; i++)
        st = read_xml(pkg, shared[i], visit_shared_strings, &strings);
    for (size_t i = 0; st == DG_OK && i < n_sheets; i++) {
        if (i >= pkg->opt->max_parts) {
            st = dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: more than %zu sheets",
                              pkg->name, pkg->opt->max_parts);
            break;
        }
        sheet_walk w = {.strings = &strings};
        w.value.max = pkg->opt->max_text_bytes;
        st = read_xml(pkg, sheets[i], visit_sheet, &w);
        free(w.value.data);
        if (st == DG_OK && tb_newline(&pkg->text) != 0)
            st = (text_failed(pkg, -1), pkg->failed);
    }
    free(shared);
    free(sheets);
    strings_free(&strings);
    return st;
}

static const prop_rule ooxml_props[] = {
    PROP(NS_DC, "title", title),     PROP(NS_DC, "creator", author),
    PROP(NS_DCTERMS, "created", created), PROP(NS_DC, "subject", subject),
    PROP(NS_CP, "keywords", keywords),
};

static dg_status read_ooxml(package *pkg, dg_office_doc *doc)
{
    part_list l = {0};
    dg_status st = read_xml(pkg, "[Content_Types].xml", visit_content_types, &l);
    const char *main_part = NULL;
    if (st == DG_OK)
        doc->format = ooxml_format(&l, &main_part);
    if (st == DG_OK && doc->format == DG_OFFICE_NONE)
        st = dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                          "%s: not an Office or OFD document (a zip package with no Word, "
                          "Excel or PowerPoint main part)", pkg->name);
    if (st == DG_OK && doc->format == DG_OFFICE_DOCX) {
        word_walk w = {0};
        st = read_xml(pkg, main_part, visit_word, &w);
    } else if (st == DG_OK && doc->format == DG_OFFICE_XLSX) {
        st = read_xlsx(pkg, &l);
    } else if (st == DG_OK && doc->format == DG_OFFICE_PPTX) {
        size_t n;
        const char **slides = parts_of_type(&l, "presentationml.slide+xml", &n);
        slide_walk w;
        st = slides ? read_parts(pkg, slides, n, visit_slide, &w, sizeof w)
                    : dg_error_set(pkg->err, DG_ERR_NOMEM, "%s: out of memory", pkg->name);
        free(slides);
    }
    size_t n_core = 0;
    const char **core = st == DG_OK ? parts_of_type(&l, "package.core-properties+xml", &n_core)
                                    : NULL;
    if (core && n_core && has_entry(pkg, core[0]))
        st = read_props(pkg, core[0], ooxml_props, sizeof ooxml_props / sizeof ooxml_props[0],
                        &doc->props);
    free(core);
    parts_free(&l);
    return st;
}

/* ---- ODF ------------------------------------------------------------------------------- */

/* content.xml: all text inside office:body; paragraphs and headings end lines, table
 * cells are kept apart by tabs and rows by lines; tracked deletions are not content. */
typedef struct odf_walk {
    int in_body, in_cell, skip;
} odf_walk;

static int visit_odf(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    odf_walk *w = ctx;
    textbuf *b = &pkg->text;
    if (is_text(r)) {
        if (w->in_body && !w->skip)
            EMIT(pkg, tb_puts(b, node_value(r)));
        return 0;
    }
    int empty = xmlTextReaderIsEmptyElement(r) == 1;
    if (is_start(r)) {
        if (node_is(r, NS_OFFICE, "body") && !empty)
            w->in_body = 1;
        else if (node_is(r, NS_TEXT, "tracked-changes") && !empty)
            w->skip++;
        else if (node_is(r, NS_TABLE, "table-cell") && !empty)
            w->in_cell++;
        else if (node_is(r, NS_TEXT, "s"))
            EMIT(pkg, tb_puts(b, " "));
        else if (node_is(r, NS_TEXT, "tab"))
            EMIT(pkg, tb_puts(b, "\t"));
        else if (node_is(r, NS_TEXT, "line-break"))
            EMIT(pkg, tb_puts(b, w->in_cell ? " " : "\n"));
    }
    if (!is_end(r) || !w->in_body || w->skip > (node_is(r, NS_TEXT, "tracked-changes") ? 1 : 0))
        return 0;
    if (node_is(r, NS_OFFICE, "body"))
        w->in_body = 0;
    else if (node_is(r, NS_TEXT, "tracked-changes") && !empty)
        w->skip--;
    else if (node_is(r, NS_TEXT, "p") || node_is(r, NS_TEXT, "h"))
        EMIT(pkg, tb_puts(b, w->in_cell ? " " : "\n"));
    else if (node_is(r, NS_TABLE, "table-cell")) {
        if (!empty)
            w->in_cell--;
        tb_trim(b);
        if (tb_last(b) != '\n')
            EMIT(pkg, tb_puts(b, "\t"));
    } else if (node_is(r, NS_TABLE, "table-row")) {
        tb_trim(b);
        if (tb_last(b) != '\n')
            EMIT(pkg, tb_puts(b, "\n"));
    }
    return 0;
}

static int visit_odf_manifest(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    (void)pkg;
    if (is_start(r) && node_is(r, NS_MANIFEST, "encryption-data"))
        *(int *)ctx = 1;
    return 0;
}

/* The "mimetype" entry: short, stored first in the package, read through the same cap. */
static dg_status read_small_entry(package *pkg, const char *entry, char *buf, size_t size)
{
    zip_file_t *f;
    dg_status st = open_entry(pkg, entry, &f);
    if (st != DG_OK)
        return st;
    zip_int64_t n = zip_fread(f, buf, size - 1);
    zip_fclose(f);
    if (n < 0)
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: damaged zip package: %s",
                            pkg->name, entry);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n ")] = '\0';
    return DG_OK;
}

static const prop_rule odf_props[] = {
    PROP(NS_DC, "title", title),
    PROP(NS_META, "initial-creator", author),
    PROP(NS_DC, "creator", author),
    PROP(NS_META, "creation-date", created),
    PROP(NS_DC, "subject", subject),
    PROP(NS_META, "keyword", keywords),
};

static dg_status read_odf(package *pkg, dg_office_doc *doc)
{
    char mimetype[128];
    dg_status st = read_small_entry(pkg, "mimetype", mimetype, sizeof mimetype);
    if (st != DG_OK)
        return st;
    if (!strcmp(mimetype, "application/vnd.oasis.opendocument.text"))
        doc->format = DG_OFFICE_ODT;
    else if (!strcmp(mimetype, "application/vnd.oasis.opendocument.spreadsheet"))
        doc->format = DG_OFFICE_ODS;
    else if (!strcmp(mimetype, "application/vnd.oasis.opendocument.presentation"))
        doc->format = DG_OFFICE_ODP;
    else
        return dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                            "%s: not an Office or OFD document (OpenDocument type %s)",
                            pkg->name, mimetype[0] ? mimetype : "(none)");
    int encrypted = 0;
    if (has_entry(pkg, "META-INF/manifest.xml"))
        st = read_xml(pkg, "META-INF/manifest.xml", visit_odf_manifest, &encrypted);
    if (st == DG_OK && encrypted)
        st = dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: encrypted document (needs a password)",
                          pkg->name);
    odf_walk w = {0};
    if (st == DG_OK)
        st = read_xml(pkg, "content.xml", visit_odf, &w);
    /* A lone author field fills author once: the initial creator wins over the last. */
    if (st == DG_OK && has_entry(pkg, "meta.xml"))
        st = read_props(pkg, "meta.xml", odf_props, sizeof odf_props / sizeof odf_props[0],
                        &doc->props);
    return st;
}

/* ---- OFD (GB/T 33190) ---------------------------------------------------------------- */

/* OFD names parts by path, relative to the file that names them or absolute from the
 * package root; producers differ on which, so the first one that exists is taken. */
static int ofd_locate(package *pkg, const char *base_dir, const char *doc_dir, const char *loc,
                      char *out, size_t size)
{
    while (*loc == ' ' || *loc == '\n' || *loc == '\t')
        loc++;
    if (!strncmp(loc, "./", 2))
        loc += 2;
    if (*loc == '/') {
        snprintf(out, size, "%s", loc + 1);
        return has_entry(pkg, out);
    }
    const char *dirs[] = {base_dir, doc_dir, ""};
    for (size_t i = 0; i < 3; i++) {
        if (!dirs[i])
            continue;
        int n = snprintf(out, size, "%s%s", dirs[i], loc);
        if (n > 0 && (size_t)n < size && has_entry(pkg, out))
            return 1;
    }
    return 0;
}

static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) + 1 : 0;
    if (n >= size)
        n = 0;
    memcpy(dir, path, n);
    dir[n] = '\0';
}

static void trim_copy(char *dst, size_t size, const char *src)
{
    dst[0] = '\0';
    prop_append(dst, size, src);
    prop_trim(dst);
}

/* OFD.xml: the first DocBody's DocRoot (the rest of its DocInfo is read as properties). */
typedef struct ofd_root {
    char doc_root[512];
    int in_root, bodies;
} ofd_root;

static int visit_ofd_root(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    (void)pkg;
    ofd_root *w = ctx;
    if (is_start(r) && node_is(r, NULL, "DocBody"))
        w->bodies++;
    else if (is_start(r) && node_is(r, NULL, "DocRoot") && w->bodies == 1 &&
             xmlTextReaderIsEmptyElement(r) != 1)
        w->in_root = 1;
    else if (w->in_root && is_text(r))
        prop_append(w->doc_root, sizeof w->doc_root, node_value(r));
    else if (xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && node_is(r, NULL, "DocRoot"))
        w->in_root = 0;
    return 0;
}

/* Document.xml: the pages in order, their templates (where an e-invoice keeps the printed
 * form's labels), the CustomTags and Attachments files. */
typedef struct ofd_list {
    char **locs;
    size_t n, cap;
} ofd_list;

typedef struct ofd_document {
    ofd_list pages, templates;
    char tags[512], attachments[512];
    int in_tags, in_attachments;
} ofd_document;

static int ofd_list_add(package *pkg, ofd_list *l, const char *loc)
{
    if (l->n >= pkg->opt->max_parts) {
        pkg->failed = dg_error_set(pkg->err, DG_ERR_BAD_INPUT, "%s: more than %zu pages",
                                   pkg->name, pkg->opt->max_parts);
        return -1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **grown = realloc(l->locs, cap * sizeof *grown);
        if (!grown)
            return text_failed(pkg, -2);
        l->locs = grown;
        l->cap = cap;
    }
    l->locs[l->n] = strdup(loc);
    if (!l->locs[l->n])
        return text_failed(pkg, -2);
    l->n++;
    return 0;
}

static void ofd_list_free(ofd_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->locs[i]);
    free(l->locs);
}

static int visit_ofd_document(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    ofd_document *d = ctx;
    int page = is_start(r) && node_is(r, NULL, "Page");
    if (page || (is_start(r) && node_is(r, NULL, "TemplatePage"))) {
        char *loc = attr(r, "BaseLoc");
        int rc = loc ? ofd_list_add(pkg, page ? &d->pages : &d->templates, loc) : 0;
        xmlFree(loc);
        return rc;
    }
    int empty = xmlTextReaderIsEmptyElement(r) == 1;
    if (is_start(r) && !empty && node_is(r, NULL, "CustomTags"))
        d->in_tags = 1;
    else if (is_start(r) && !empty && node_is(r, NULL, "Attachments"))
        d->in_attachments = 1;
    else if (is_text(r) && d->in_tags)
        prop_append(d->tags, sizeof d->tags, node_value(r));
    else if (is_text(r) && d->in_attachments)
        prop_append(d->attachments, sizeof d->attachments, node_value(r));
    else if (xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT)
        d->in_tags = d->in_attachments = 0;
    return 0;
}

/* The text of each TextObject by its ID, so that custom tags can refer to it. */
typedef struct ofd_object {
    char id[32];
    size_t start, end; /* in the text buffer */
} ofd_object;

typedef struct ofd_content {
    ofd_object *objects;
    size_t n_objects, cap;
    double last_y;
    int in_code, have_y;
    double object_y;
    size_t object_start;
    char object_id[32];
} ofd_content;

/* The second number of "x y w h". */
static double boundary_y(const char *boundary)
{
    double x = 0, y = 0;
    if (!boundary || sscanf(boundary, "%lf %lf", &x, &y) != 2)
        return 0;
    return y;
}

static int visit_ofd_page(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    ofd_content *c = ctx;
    textbuf *b = &pkg->text;
    if (is_start(r) && node_is(r, NULL, "TextObject")) {
        char *boundary = attr(r, "Boundary"), *id = attr(r, "ID");
        c->object_y = boundary_y(boundary);
        snprintf(c->object_id, sizeof c->object_id, "%s", id ? id : "");
        xmlFree(boundary);
        xmlFree(id);
        c->object_start = b->len;
        return 0;
    }
    if (is_start(r) && node_is(r, NULL, "TextCode") && xmlTextReaderIsEmptyElement(r) != 1) {
        char *y = attr(r, "Y");
        double line = c->object_y + (y ? atof(y) : 0);
        xmlFree(y);
        /* A new line where the baseline moves; objects on one line are kept apart. */
        if (c->have_y && (line > c->last_y + 1 || line < c->last_y - 1))
            EMIT(pkg, tb_puts(b, "\n"));
        else if (c->have_y && b->len == c->object_start && tb_last(b) != '\n')
            EMIT(pkg, tb_puts(b, " "));
        c->last_y = line;
        c->have_y = 1;
        c->in_code = 1;
        return 0;
    }
    if (is_text(r) && c->in_code) {
        EMIT(pkg, tb_puts(b, node_value(r)));
        return 0;
    }
    if (xmlTextReaderNodeType(r) != XML_READER_TYPE_END_ELEMENT)
        return 0;
    if (node_is(r, NULL, "TextCode"))
        c->in_code = 0;
    else if (node_is(r, NULL, "TextObject") && c->object_id[0]) {
        if (c->n_objects == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            ofd_object *grown = realloc(c->objects, cap * sizeof *grown);
            if (!grown)
                return text_failed(pkg, -2);
            c->objects = grown;
            c->cap = cap;
        }
        ofd_object *o = &c->objects[c->n_objects++];
        snprintf(o->id, sizeof o->id, "%s", c->object_id);
        o->start = c->object_start;
        /* the separator written before the object's first code is not its text */
        while (o->start < b->len && (b->data[o->start] == ' ' || b->data[o->start] == '\n'))
            o->start++;
        o->end = b->len;
    }
    return 0;
}

/* CustomTags.xml: the tag files. */
typedef struct ofd_tag_list {
    char files[16][512];
    size_t n;
    int in_loc;
} ofd_tag_list;

static int visit_ofd_tag_list(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    (void)pkg;
    ofd_tag_list *t = ctx;
    if (is_start(r) && node_is(r, NULL, "FileLoc") && xmlTextReaderIsEmptyElement(r) != 1 &&
        t->n < 16) {
        t->in_loc = 1;
        t->files[t->n++][0] = '\0';
    } else if (t->in_loc && is_text(r))
        prop_append(t->files[t->n - 1], sizeof t->files[0], node_value(r));
    else if (xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && node_is(r, NULL, "FileLoc"))
        t->in_loc = 0;
    return 0;
}

/* A tag file: every element holding text or ObjectRefs is a field, written "name: value"
 * (an e-invoice's InvoiceNo, IssueDate, BuyerName... point at text objects by ID). */
typedef struct ofd_tags {
    const ofd_content *content;
    char field[128];
    textbuf value;
    int depth, in_ref;
    char *text_copy; /* the page text as it was before tags were appended */
} ofd_tags;

static const char *object_text(const ofd_tags *t, const char *id, size_t *len)
{
    for (size_t i = 0; i < t->content->n_objects; i++)
        if (!strcmp(t->content->objects[i].id, id)) {
            *len = t->content->objects[i].end - t->content->objects[i].start;
            return t->text_copy + t->content->objects[i].start;
        }
    return NULL;
}

static int flush_field(package *pkg, ofd_tags *t)
{
    if (!t->field[0] || !t->value.len)
        return 0;
    char *v = t->value.data;
    while (*v == ' ')
        v++;
    if (*v) {
        if (tb_last(&pkg->text) != '\n')
            EMIT(pkg, tb_puts(&pkg->text, "\n"));
        EMIT(pkg, tb_puts(&pkg->text, t->field));
        EMIT(pkg, tb_puts(&pkg->text, ": "));
        EMIT(pkg, tb_puts(&pkg->text, v));
    }
    t->value.len = 0;
    t->value.data[0] = '\0';
    return 0;
}

static int visit_ofd_tags(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    ofd_tags *t = ctx;
    int type = xmlTextReaderNodeType(r);
    if (type == XML_READER_TYPE_ELEMENT) {
        if (node_is(r, NULL, "ObjectRef")) {
            t->in_ref = xmlTextReaderIsEmptyElement(r) != 1;
            return 0;
        }
        if (flush_field(pkg, t) != 0)
            return -1;
        const xmlChar *l = xmlTextReaderConstLocalName(r);
        snprintf(t->field, sizeof t->field, "%s", l ? (const char *)l : "");
        return 0;
    }
    if (is_text(r)) {
        const char *v = node_value(r);
        if (t->in_ref) {
            char id[32];
            trim_copy(id, sizeof id, v);
            size_t len = 0;
            const char *text = object_text(t, id, &len);
            if (text) {
                if (t->value.len)
                    EMIT(pkg, tb_puts(&t->value, " "));
                size_t from = t->value.len;
                EMIT(pkg, tb_append(&t->value, text, len));
                /* a field is one line: an object's own line breaks become spaces */
                for (size_t i = from; i < t->value.len; i++)
                    if (t->value.data[i] == '\n')
                        t->value.data[i] = ' ';
            }
        } else if (strspn(v, " \t\r\n") < strlen(v)) {
            char clean[512];
            trim_copy(clean, sizeof clean, v);
            EMIT(pkg, tb_puts(&t->value, clean));
        }
        return 0;
    }
    if (type == XML_READER_TYPE_END_ELEMENT) {
        if (node_is(r, NULL, "ObjectRef")) {
            t->in_ref = 0;
            return 0;
        }
        if (flush_field(pkg, t) != 0)
            return -1;
        t->field[0] = '\0';
    }
    return 0;
}

/* Attachments.xml: each attachment's name, so a search for it finds the record. */
static int visit_ofd_attachments(package *pkg, xmlTextReaderPtr r, void *ctx)
{
    (void)ctx;
    if (!is_start(r) || !node_is(r, NULL, "Attachment"))
        return 0;
    char *name = attr(r, "Name");
    if (name && *name) {
        if (tb_last(&pkg->text) != '\n')
            EMIT(pkg, tb_puts(&pkg->text, "\n"));
        char clean[512];
        trim_copy(clean, sizeof clean, name);
        int rc = tb_puts(&pkg->text, "附件: ");
        if (rc == 0)
            rc = tb_puts(&pkg->text, clean);
        xmlFree(name);
        if (rc != 0)
            return text_failed(pkg, rc);
        return 0;
    }
    xmlFree(name);
    return 0;
}

static const prop_rule ofd_props[] = {
    PROP(NULL, "Title", title),       PROP(NULL, "Author", author),
    PROP(NULL, "CreationDate", created), PROP(NULL, "Subject", subject),
    PROP(NULL, "Keyword", keywords),  PROP(NULL, "DocID", doc_id),
};

static dg_status read_ofd_tags(package *pkg, const char *doc_dir, const char *list_loc,
                               const ofd_content *content)
{
    char path[1024], dir[1024];
    if (!ofd_locate(pkg, doc_dir, doc_dir, list_loc, path, sizeof path))
        return DG_OK; /* tags are an extra: a package that names a missing file still reads */
    ofd_tag_list list = {0};
    dg_status st = read_xml(pkg, path, visit_ofd_tag_list, &list);
    dir_of(path, dir, sizeof dir);
    ofd_tags t = {.content = content};
    t.value.max = pkg->opt->max_text_bytes;
    t.text_copy = st == DG_OK ? strndup(pkg->text.data ? pkg->text.data : "", pkg->text.len)
                              : NULL;
    if (st == DG_OK && !t.text_copy)
        st = dg_error_set(pkg->err, DG_ERR_NOMEM, "%s: out of memory", pkg->name);
    for (size_t i = 0; st == DG_OK && i < list.n; i++) {
        char tag_path[1024];
        if (!ofd_locate(pkg, dir, doc_dir, list.files[i], tag_path, sizeof tag_path))
            continue;
        if (tb_puts(&t.value, "") != 0) /* make sure value.data exists */
            st = (text_failed(pkg, -2), pkg->failed);
        if (st == DG_OK)
            st = read_xml(pkg, tag_path, visit_ofd_tags, &t);
    }
    free(t.value.data);
    free(t.text_copy);
    return st;
}

static dg_status read_ofd_pages(package *pkg, const char *doc_dir, const ofd_list *pages,
                                ofd_content *content)
{
    for (size_t i = 0; i < pages->n; i++) {
        char path[1024];
        if (!ofd_locate(pkg, doc_dir, doc_dir, pages->locs[i], path, sizeof path))
            return dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                                "%s: damaged document: page %zu (%s) is missing", pkg->name,
                                i + 1, pages->locs[i]);
        content->have_y = 0;
        dg_status st = read_xml(pkg, path, visit_ofd_page, content);
        /* pages are kept apart by a blank line, as sheets and slides are */
        int rc = st == DG_OK ? tb_newline(&pkg->text) : 0;
        if (rc == 0 && st == DG_OK)
            rc = tb_newline(&pkg->text);
        if (rc != 0) {
            text_failed(pkg, rc);
            st = pkg->failed;
        }
        if (st != DG_OK)
            return st;
    }
    return DG_OK;
}

static dg_status read_ofd(package *pkg, dg_office_doc *doc)
{
    doc->format = DG_OFFICE_OFD;
    ofd_root root = {0};
    dg_status st = read_xml(pkg, "OFD.xml", visit_ofd_root, &root);
    if (st == DG_OK)
        st = read_props(pkg, "OFD.xml", ofd_props, sizeof ofd_props / sizeof ofd_props[0],
                        &doc->props);
    prop_trim(root.doc_root);
    char document[1024], doc_dir[1024];
    if (st == DG_OK && !ofd_locate(pkg, "", "", root.doc_root, document, sizeof document))
        st = dg_error_set(pkg->err, DG_ERR_BAD_INPUT,
                          "%s: damaged document: OFD.xml names no DocRoot that exists (%s)",
                          pkg->name, root.doc_root[0] ? root.doc_root : "none");
    if (st != DG_OK)
        return st;
    dir_of(document, doc_dir, sizeof doc_dir);
    ofd_document d = {0};
    ofd_content content = {0};
    st = read_xml(pkg, document, visit_ofd_document, &d);
    if (st == DG_OK)
        st = read_ofd_pages(pkg, doc_dir, &d.pages, &content);
    if (st == DG_OK) /* the templates' text (a form's printed labels) after the pages' */
        st = read_ofd_pages(pkg, doc_dir, &d.templates, &content);
    if (st == DG_OK && d.tags[0])
        st = read_ofd_tags(pkg, doc_dir, d.tags, &content);
    char path[1024];
    if (st == DG_OK && d.attachments[0] &&
        ofd_locate(pkg, doc_dir, doc_dir, d.attachments, path, sizeof path))
        st = read_xml(pkg, path, visit_ofd_attachments, NULL);
    ofd_list_free(&d.pages);
    ofd_list_free(&d.templates);
    free(content.objects);
    return st;
}

/* ---- reading a package ------------------------------------------------------------------ */

dg_status dg_office_read(const void *data, size_t len, const char *name,
                         const dg_office_options *options, dg_office_doc **out, dg_error *err)
{
    *out = NULL;
    dg_office_options defaults;
    if (!options) {
        dg_office_options_init(&defaults);
        options = &defaults;
    }
    xmlInitParser(); /* once per process, guarded by libxml2 itself */
    dg_office_doc *doc = calloc(1, sizeof *doc);
    if (!doc)
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
    package pkg = {.name = name, .opt = options, .err = err};
    pkg.text.max = options->max_text_bytes;
    dg_status st = package_open(&pkg, data, len, err);
    if (st == DG_OK) {
        /* What the package is, from what is inside it: OFD.xml, an ODF mimetype, or an
         * OOXML content-types part. */
        if (has_entry(&pkg, "OFD.xml"))
            st = read_ofd(&pkg, doc);
        else if (has_entry(&pkg, "mimetype"))
            st = read_odf(&pkg, doc);
        else if (has_entry(&pkg, "[Content_Types].xml"))
            st = read_ooxml(&pkg, doc);
        else
            st = dg_error_set(err, DG_ERR_BAD_INPUT,
                              "%s: not an Office or OFD document (a zip package of other files)",
                              name);
    }
    if (pkg.zip)
        zip_discard(pkg.zip);
    if (st == DG_OK && pkg.text.data && !xmlCheckUTF8((const unsigned char *)pkg.text.data))
        st = dg_error_set(err, DG_ERR_BAD_INPUT, "%s: its text is not valid UTF-8", name);
    if (st != DG_OK) {
        free(pkg.text.data);
        dg_office_doc_free(doc);
        return st;
    }
    /* No trailing blank lines or tabs of the last row. */
    while (pkg.text.data && pkg.text.len && strchr(" \t\r\n", pkg.text.data[pkg.text.len - 1]))
        pkg.text.data[--pkg.text.len] = '\0';
    doc->mime = mime_of(doc->format);
    doc->text = pkg.text.data ? pkg.text.data : strdup("");
    doc->text_len = pkg.text.len;
    if (!doc->text) {
        dg_office_doc_free(doc);
        return dg_error_set(err, DG_ERR_NOMEM, "%s: out of memory", name);
    }
    *out = doc;
    return DG_OK;
}

/* ---- LibreOffice ------------------------------------------------------------------------ */

dg_status dg_office_find_soffice(const dg_office_options *options, char *path, size_t size,
                                 dg_error *err)
{
    const char *want = options && options->soffice ? options->soffice : "soffice";
    if (!*want)
        return dg_error_set(err, DG_ERR_NOT_FOUND, "it is switched off");
    if (strchr(want, '/')) {
        if (access(want, X_OK) != 0)
            return dg_error_set(err, DG_ERR_NOT_FOUND, "no LibreOffice at %s", want);
        snprintf(path, size, "%s", want);
        return DG_OK;
    }
    const char *dirs = getenv("PATH");
    if (!dirs || !*dirs)
        dirs = "/usr/local/bin:/usr/bin:/bin";
    while (*dirs) {
        size_t n = strcspn(dirs, ":");
        int w = snprintf(path, size, "%.*s/%s", (int)n, dirs, want);
        if (n && w > 0 && (size_t)w < size && access(path, X_OK) == 0)
            return DG_OK;
        dirs += n;
        if (*dirs == ':')
            dirs++;
    }
    path[0] = '\0';
    return dg_error_set(err, DG_ERR_NOT_FOUND, "no %s on PATH", want);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static dg_status write_file(const char *path, const void *data, size_t len, dg_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(saved));
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0)
        return dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
    return DG_OK;
}

static dg_status read_file(const char *path, size_t max, unsigned char **out, size_t *out_len,
                           dg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) /* no output: LibreOffice could not convert the file */
        return dg_error_set(err, DG_ERR_NOT_FOUND, "%s", strerror(errno));
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    dg_status st = buf ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "office document: out of memory");
    while (st == DG_OK) {
        if (len == cap && cap > max) {
            st = dg_error_set(err, DG_ERR_BAD_INPUT, "its PDF is over %zu bytes", max);
            break;
        }
        if (len == cap) {
            unsigned char *grown = realloc(buf, cap * 2);
            if (!grown) {
                st = dg_error_set(err, DG_ERR_NOMEM, "office document: out of memory");
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0 && ferror(f))
            st = dg_error_set(err, DG_ERR_IO, "%s: read error", path);
        if (n == 0)
            break;
    }
    fclose(f);
    if (st != DG_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *out_len = len;
    return DG_OK;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Runs argv in a process group of its own with no input or output, and waits at most
 * timeout seconds (polling: the library sets no signal handlers or timers). On timeout the
 * whole group is killed: soffice is a script that starts soffice.bin.
 */
static dg_status run_with_timeout(char *const argv[], int timeout, int *exit_code, int *timed_out,
                                  dg_error *err)
{
    *timed_out = 0;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attrs;
    if (posix_spawn_file_actions_init(&actions) != 0)
        return dg_error_set(err, DG_ERR_NOMEM, "cannot start LibreOffice: out of memory");
    posix_spawnattr_init(&attrs);
    posix_spawnattr_setpgroup(&attrs, 0);
    posix_spawnattr_setflags(&attrs, POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, &attrs, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attrs);
    if (rc != 0)
        return dg_error_set(err, DG_ERR_NOT_FOUND, "cannot start LibreOffice (%s): %s", argv[0],
                            strerror(rc));
    double deadline = now_seconds() + timeout;
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR) {
            kill(-pid, SIGKILL);
            return dg_error_set(err, DG_ERR_INTERNAL, "waiting for LibreOffice: %s",
                                strerror(errno));
        }
        if (now_seconds() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            *timed_out = 1;
            break;
        }
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    kill(-pid, SIGKILL); /* anything it left running in its group */
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return DG_OK;
}

static int safe_token(const char *s)
{
    if (!s || !*s || strlen(s) > 16)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

dg_status dg_office_convert(const dg_office_options *options, const void *data, size_t len,
                            const char *name, const char *ext, const char *to,
                            unsigned char **out, size_t *out_len, dg_error *err)
{
    *out = NULL;
    *out_len = 0;
    dg_office_options defaults;
    if (!options) {
        dg_office_options_init(&defaults);
        options = &defaults;
    }
    if (!safe_token(ext) || !safe_token(to))
        return dg_error_set(err, DG_ERR_USAGE, "%s: bad conversion %s to %s", name,
                            ext ? ext : "?", to ? to : "?");
    char soffice[4096];
    dg_error why;
    if (dg_office_find_soffice(options, soffice, sizeof soffice, &why) != DG_OK)
        return dg_error_set(err, DG_ERR_NOT_FOUND,
                            "%s: LibreOffice is needed to read a .%s file, and there is none "
                            "(%s): install it (Debian: libreoffice-core-nogui, "
                            "libreoffice-writer-nogui, libreoffice-calc-nogui)", name, ext,
                            why.msg);
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/dangan-office-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return dg_error_set(err, DG_ERR_IO, "%s: cannot make a temporary folder: %s", name,
                            strerror(errno));
    char input[4200], outdir[4200], profile[4300], output[4300];
    snprintf(input, sizeof input, "%s/input.%s", dir, ext);
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    snprintf(profile, sizeof profile, "-env:UserInstallation=file://%s/profile", dir);
    snprintf(output, sizeof output, "%s/input.%s", outdir, to);
    dg_status st = write_file(input, data, len, err);
    if (st == DG_OK && mkdir(outdir, 0700) != 0)
        st = dg_error_set(err, DG_ERR_IO, "%s: %s", outdir, strerror(errno));
    int code = 0, timed_out = 0;
    if (st == DG_OK) {
        char *argv[] = {soffice, "--headless", "--invisible", "--nologo", "--norestore",
                        "--nolockcheck", "--nodefault", profile, "--convert-to", (char *)to,
                        "--outdir", outdir, input, NULL};
        st = run_with_timeout(argv, options->timeout_seconds, &code, &timed_out, err);
    }
    if (st == DG_OK && timed_out)
        st = dg_error_set(err, DG_ERR_BAD_INPUT,
                          "%s: LibreOffice did not convert it within %d seconds", name,
                          options->timeout_seconds);
    if (st == DG_OK) {
        dg_error read_err;
        st = read_file(output, options->max_total_bytes, out, out_len, &read_err);
        if (st == DG_ERR_NOT_FOUND || (st == DG_OK && *out_len == 0))
            st = dg_error_set(err, DG_ERR_BAD_INPUT,
                              "%s: LibreOffice could not convert it to %s (damaged or "
                              "encrypted? exit status %d)", name, to, code);
        else if (st != DG_OK)
            st = dg_error_set(err, st, "%s: %s", name, read_err.msg);
        if (st != DG_OK) {
            free(*out);
            *out = NULL;
            *out_len = 0;
        }
    }
    remove_tree(dir);
    return st;
}
