/*
 * vocab.h — the archive's fixed vocabularies: categories, retention periods, access
 * levels and user roles, with the names users type (English, Chinese, codes).
 *
 * These are the brief's tables. Category codes are dangan's defaults (XZ RS CW ZC HD);
 * an archive that files after DA/T 13 may rename them in its settings later, so code
 * that stores a category stores the canonical English key ("finance"), and the code
 * letters are looked up when a reference code is made.
 */
#ifndef DG_VOCAB_H
#define DG_VOCAB_H

#include "../base/status.h"

typedef enum {
    DG_CAT_ADMINISTRATIVE = 0,
    DG_CAT_PERSONNEL,
    DG_CAT_FINANCE,
    DG_CAT_ASSET,
    DG_CAT_ACTIVITY,
    DG_CAT_COUNT
} dg_category;

typedef enum { DG_PERIOD_PERMANENT = 0, DG_PERIOD_D30, DG_PERIOD_D10, DG_PERIOD_COUNT } dg_period;

enum { DG_LEVEL_MIN = 0, DG_LEVEL_MAX = 4 };

/* Roles are a bit set: a user may hold several (e.g. archivist and witness). */
typedef enum {
    DG_ROLE_STAFF = 1u << 0,
    DG_ROLE_ARCHIVIST = 1u << 1,
    DG_ROLE_AUDITOR = 1u << 2,
    DG_ROLE_LEADER = 1u << 3,
    DG_ROLE_ADMIN = 1u << 4,
    DG_ROLE_WITNESS = 1u << 5
} dg_role;

/* "finance", "CW", "财务", "財務", "财务类" -> DG_CAT_FINANCE; DG_ERR_USAGE otherwise. */
dg_status dg_category_parse(const char *text, dg_category *out, dg_error *err);
const char *dg_category_key(dg_category cat);   /* "finance" */
const char *dg_category_code(dg_category cat);  /* "CW" */
const char *dg_category_label(dg_category cat); /* "财务类" */

/* "Y", "permanent", "永久", "D30", "30", "长期", "long-term", "D10", "短期"... */
dg_status dg_period_parse(const char *text, dg_period *out, dg_error *err);
const char *dg_period_code(dg_period period); /* "Y", "D30", "D10" */
int dg_period_years(dg_period period);        /* 0 for permanent, else 30 or 10 */

/* "0".."4" or "public", "internal", "restricted", "confidential", "secret", or Chinese. */
dg_status dg_level_parse(const char *text, int *out, dg_error *err);
const char *dg_level_name(int level); /* "internal" */
/* The level's Chinese name: 公开 内部 限制 秘密级 机密级 (a 秘密 mark files at 3, 机密 and
 * 绝密 at 4). dg_level_parse also takes these, and the marks themselves. */
const char *dg_level_label(int level);

/* "staff,archivist" -> bit set; unknown role names are DG_ERR_USAGE. */
dg_status dg_roles_parse(const char *text, unsigned *out, dg_error *err);
/* Writes "staff,archivist" into buf. */
void dg_roles_format(unsigned roles, char *buf, size_t size);

/* Whether text is a date YYYY-MM-DD that exists on the calendar. */
int dg_date_valid(const char *text);

#endif
