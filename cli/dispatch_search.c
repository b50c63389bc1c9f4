/*
 * dispatch_search.c — the request handlers of full-text search: search (its filters and
 * facets), reindex, and the synonyms searches use (add, remove, list).
 */
#include "dispatch_search.h"

#include <stdio.h>
#include <string.h>

#include "../engine/indexer.h"
#include "../engine/record.h"
#include "../engine/search.h"
#include "../engine/synonyms.h"
#include "../engine/vocab.h"

/* ---- search ----------------------------------------------------------------------- */

static dg_status parse_year_range(dg_request *c, int *from, int *to)
{
    const char *text = dg_arg_str(c, "year");
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

static dg_status parse_search_filters(dg_request *c, dg_index_query *q)
{
    dg_status st = parse_year_range(c, &q->year_from, &q->year_to);
    const char *cat = dg_arg_str(c, "category");
    if (st == DG_OK && cat) {
        dg_category code;
        st = dg_category_parse(cat, &code, &c->err);
        q->category = st == DG_OK ? dg_category_code(code) : NULL;
    }
    const char *period = dg_arg_str(c, "period");
    if (st == DG_OK && period) {
        dg_period p;
        st = dg_period_parse(period, &p, &c->err);
        q->period = st == DG_OK ? dg_period_code(p) : NULL;
    }
    q->level = -1;
    if (st == DG_OK)
        st = dg_arg_level(c, "level", &q->level);
    const char *sort = dg_arg_str(c, "sort");
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
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:i, s:s, s:i, s:b, s:f, s:o}",
                     "refcode", h->refcode, "title", h->title, "category", h->category, "type",
                     dg_json_str_or_null(h->record_type), "doc_number", dg_json_str_or_null(h->doc_number),
                     "date", dg_json_str_or_null(h->doc_date), "year", dg_json_year(h->year), "level", h->level,
                     "period", h->period, "version", h->version, "current", h->is_current,
                     "score", h->score, "snippet", dg_json_str_or_null(h->snippet));
}

dg_status dg_cmd_search(dg_request *c, json_t **result)
{
    dg_index_query q = {
        .text = dg_arg_str(c, "query"), .record_type = dg_arg_str(c, "type"),
        .all_versions = dg_arg_bool(c, "all_versions"),
        .offset = (size_t)dg_arg_int(c, "offset", 0), .limit = (size_t)dg_arg_int(c, "limit", 10),
        .cancelled = c->io->cancelled,
    };
    if (dg_arg_int(c, "offset", 0) < 0 || dg_arg_int(c, "limit", 10) < 0 || q.limit > 10000)
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

dg_status dg_cmd_reindex(dg_request *c, json_t **result)
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

static dg_status change_synonyms(dg_request *c, json_t **result, int add)
{
    const char *word, *synonym;
    dg_status st = dg_arg_require(c, "word", "a word", &word);
    if (st == DG_OK)
        st = dg_arg_require(c, "synonym", "its synonym", &synonym);
    if (st != DG_OK)
        return st;
    st = add ? dg_synonyms_add(c->archive, &c->actor, word, synonym, &c->err)
             : dg_synonyms_remove(c->archive, &c->actor, word, synonym, &c->err);
    if (st == DG_OK)
        *result = json_pack("{s:s, s:s, s:b}", "word", word, "synonym", synonym, "added", add);
    return st;
}

dg_status dg_cmd_synonyms_add(dg_request *c, json_t **result)
{
    return change_synonyms(c, result, 1);
}

dg_status dg_cmd_synonyms_remove(dg_request *c, json_t **result)
{
    return change_synonyms(c, result, 0);
}

dg_status dg_cmd_synonyms_list(dg_request *c, json_t **result)
{
    dg_synonym_pair *pairs = NULL;
    size_t count = 0;
    const char *word = dg_arg_str(c, "word");
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
