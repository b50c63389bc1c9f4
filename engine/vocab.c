/*
 * vocab.c — name tables for categories, periods, levels and roles.
 */
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *key, *code, *label;
    const char *aliases[6]; /* other names users type */
} category_names;

static const category_names CATEGORIES[DG_CAT_COUNT] = {
    {"administrative", "XZ", "行政管理类", {"行政", "行政管理", "行政類", "行政管理類", "admin", NULL}},
    {"personnel", "RS", "人事类", {"人事", "人事類", "hr", NULL}},
    {"finance", "CW", "财务类", {"财务", "財務", "財務類", "financial", NULL}},
    {"asset", "ZC", "资产类", {"资产", "資產", "資產類", "assets", NULL}},
    {"activity", "HD", "活动类", {"活动", "活動", "活動類", "activities", "event", NULL}},
};

dg_status dg_category_parse(const char *text, dg_category *out, dg_error *err)
{
    for (int c = 0; c < DG_CAT_COUNT; c++) {
        const category_names *n = &CATEGORIES[c];
        int match = !strcasecmp(text, n->key) || !strcasecmp(text, n->code) ||
                    !strcmp(text, n->label);
        for (int a = 0; !match && a < 6 && n->aliases[a]; a++)
            match = !strcasecmp(text, n->aliases[a]);
        if (match) {
            *out = (dg_category)c;
            return DG_OK;
        }
    }
    return dg_error_set(err, DG_ERR_USAGE,
                        "unknown category '%s' (administrative, personnel, finance, asset, "
                        "activity)",
                        text);
}

const char *dg_category_key(dg_category cat)
{
    return (unsigned)cat < DG_CAT_COUNT ? CATEGORIES[cat].key : "?";
}

const char *dg_category_code(dg_category cat)
{
    return (unsigned)cat < DG_CAT_COUNT ? CATEGORIES[cat].code : "?";
}

const char *dg_category_label(dg_category cat)
{
    return (unsigned)cat < DG_CAT_COUNT ? CATEGORIES[cat].label : "?";
}

typedef struct {
    dg_period period;
    const char *name;
} period_name;

/* Older registers say long-term (长期) and short-term (短期): they map to D30 and D10. */
static const period_name PERIOD_NAMES[] = {
    {DG_PERIOD_PERMANENT, "Y"},     {DG_PERIOD_PERMANENT, "permanent"},
    {DG_PERIOD_PERMANENT, "永久"},  {DG_PERIOD_D30, "D30"},
    {DG_PERIOD_D30, "30"},          {DG_PERIOD_D30, "long-term"},
    {DG_PERIOD_D30, "长期"},        {DG_PERIOD_D30, "長期"},
    {DG_PERIOD_D30, "30年"},        {DG_PERIOD_D10, "D10"},
    {DG_PERIOD_D10, "10"},          {DG_PERIOD_D10, "short-term"},
    {DG_PERIOD_D10, "短期"},        {DG_PERIOD_D10, "10年"},
};

dg_status dg_period_parse(const char *text, dg_period *out, dg_error *err)
{
    for (size_t i = 0; i < sizeof PERIOD_NAMES / sizeof PERIOD_NAMES[0]; i++) {
        if (!strcasecmp(text, PERIOD_NAMES[i].name)) {
            *out = PERIOD_NAMES[i].period;
            return DG_OK;
        }
    }
    return dg_error_set(err, DG_ERR_USAGE, "unknown retention period '%s' (Y, D30, D10)", text);
}

const char *dg_period_code(dg_period period)
{
    static const char *codes[DG_PERIOD_COUNT] = {"Y", "D30", "D10"};
    return (unsigned)period < DG_PERIOD_COUNT ? codes[period] : "?";
}

int dg_period_years(dg_period period)
{
    static const int years[DG_PERIOD_COUNT] = {0, 30, 10};
    return (unsigned)period < DG_PERIOD_COUNT ? years[period] : 0;
}

/*
 * The Chinese names follow the state-secret grades the marks on the pages use, and the
 * English names their usual translation: 秘密 is "confidential" (level 3, leadership), 机密
 * is "secret" (level 4, named persons; 绝密 is filed there too, dangan has no level above).
 * So a page marked 秘密 is filed 秘密级 and one marked 机密 机密级 (extract.h). Before,
 * level 3 was called 机密级 although a 机密 mark files at level 4.
 */
static const char *LEVEL_NAMES[] = {"public", "internal", "restricted", "confidential", "secret"};
static const char *LEVEL_LABELS[] = {"公开", "内部", "限制", "秘密级", "机密级"};
/* Other names an archivist may type for a level: the mark itself, and 涉密 (the old name
 * of level 4). */
static const struct {
    const char *name;
    int level;
} LEVEL_ALIASES[] = {{"秘密", 3}, {"机密", 4}, {"绝密", 4}, {"绝密级", 4}, {"涉密", 4}};

dg_status dg_level_parse(const char *text, int *out, dg_error *err)
{
    if (text[0] >= '0' && text[0] <= '4' && text[1] == '\0') {
        *out = text[0] - '0';
        return DG_OK;
    }
    for (int l = DG_LEVEL_MIN; l <= DG_LEVEL_MAX; l++) {
        if (!strcasecmp(text, LEVEL_NAMES[l]) || !strcmp(text, LEVEL_LABELS[l])) {
            *out = l;
            return DG_OK;
        }
    }
    for (size_t i = 0; i < sizeof LEVEL_ALIASES / sizeof LEVEL_ALIASES[0]; i++) {
        if (!strcmp(text, LEVEL_ALIASES[i].name)) {
            *out = LEVEL_ALIASES[i].level;
            return DG_OK;
        }
    }
    return dg_error_set(err, DG_ERR_USAGE,
                        "unknown access level '%s' (0-4: public, internal, restricted, "
                        "confidential, secret)",
                        text);
}

const char *dg_level_name(int level)
{
    return level >= DG_LEVEL_MIN && level <= DG_LEVEL_MAX ? LEVEL_NAMES[level] : "?";
}

const char *dg_level_label(int level)
{
    return level >= DG_LEVEL_MIN && level <= DG_LEVEL_MAX ? LEVEL_LABELS[level] : "?";
}

static const char *ROLE_NAMES[] = {"staff", "archivist", "auditor", "leader", "admin", "witness"};
enum { ROLE_COUNT = sizeof ROLE_NAMES / sizeof ROLE_NAMES[0] };

dg_status dg_roles_parse(const char *text, unsigned *out, dg_error *err)
{
    unsigned roles = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int r = 0; r < ROLE_COUNT; r++) {
            if (strlen(ROLE_NAMES[r]) == len && !strncasecmp(p, ROLE_NAMES[r], len)) {
                roles |= 1u << r;
                found = 1;
            }
        }
        if (!found && len > 0)
            return dg_error_set(err, DG_ERR_USAGE,
                                "unknown role '%.*s' (staff, archivist, auditor, leader, admin, "
                                "witness)",
                                (int)len, p);
        p += len;
        if (*p == ',')
            p++;
    }
    if (!roles)
        return dg_error_set(err, DG_ERR_USAGE, "no role given");
    *out = roles;
    return DG_OK;
}

void dg_roles_format(unsigned roles, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int r = 0; r < ROLE_COUNT; r++) {
        if (!(roles & (1u << r)))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", ROLE_NAMES[r]);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

int dg_date_valid(const char *text)
{
    int y, m, d;
    char tail;
    if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return 0;
    if (text[4] != '-' || text[7] != '-' || y < 1000 || m < 1 || m > 12 || d < 1)
        return 0;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}
