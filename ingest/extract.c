/*
 * extract.c — metadata extraction by hand-written scanners over code points.
 *
 * The text is first decoded into code points with their byte offsets (so every span points
 * back into the caller's bytes; base/utf8.h, a bad byte reads as U+FFFD), width-folded on
 * the way (base/fold.h: full-width ASCII to ASCII, ideographic and no-break spaces to
 * spaces). Each field then has a small scanner: candidates are collected with a score and
 * the best one wins. What the whole record says about its dates (Taiwan's Minguo years, day
 * or month first, the latest plausible year) is read once, in read_locale(), before any
 * scanner runs. No regular expressions: the forms are few, and OCR noise (spaces anywhere,
 * O for 0) is easier to tolerate in a scanner than in a pattern.
 */
#include "extract.h"

#include "../base/chars.h"
#include "../base/fold.h"
#include "../base/utf8.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- decoded text ---------------------------------------------------------------------- */

typedef struct line_span {
    size_t start, end; /* code point indexes, end exclusive, trimmed of spaces */
} line_span;

typedef struct cp_text {
    uint32_t *cp;
    size_t *off; /* byte offset of each code point; off[n] == byte length */
    size_t n;
    line_span *lines;
    size_t n_lines;
    const char *src; /* the caller's bytes, for what folding lost (see emit_title()) */
    /* What the whole record says about how its dates are written (see read_locale()). */
    int taiwan;      /* a bare 112年 or 112.6.21 is a Minguo year (year + 1911) */
    int month_first; /* 6/21/23 is June 21 (United States); otherwise 21/06/2023 */
    int max_year;    /* no plausible document date lies after this year */
} cp_text;

static int is_space(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void split_lines(cp_text *t)
{
    size_t i = 0;
    while (i <= t->n) {
        size_t s = i;
        while (i < t->n && t->cp[i] != '\n')
            i++;
        size_t e = i;
        while (s < e && is_space(t->cp[s]))
            s++;
        while (e > s && is_space(t->cp[e - 1]))
            e--;
        t->lines[t->n_lines++] = (line_span){s, e};
        i++;
    }
}

static void read_locale(cp_text *t);

static int cp_text_init(cp_text *t, const char *text, size_t len)
{
    memset(t, 0, sizeof *t);
    t->src = text;
    t->cp = malloc((len + 1) * sizeof *t->cp);
    t->off = malloc((len + 1) * sizeof *t->off);
    t->lines = malloc((len + 2) * sizeof *t->lines);
    if (!t->cp || !t->off || !t->lines) {
        free(t->cp);
        free(t->off);
        free(t->lines);
        return 0;
    }
    size_t i = 0;
    while (i < len) {
        uint32_t c;
        t->off[t->n] = i;
        i += dg_utf8_next(text + i, len - i, &c);
        t->cp[t->n++] = dg_fold_width_cp(c);
    }
    t->off[t->n] = len;
    t->cp[t->n] = 0;
    split_lines(t);
    read_locale(t);
    return 1;
}

static void cp_text_free(cp_text *t)
{
    free(t->cp);
    free(t->off);
    free(t->lines);
}

static size_t line_of(const cp_text *t, size_t pos)
{
    size_t lo = 0, hi = t->n_lines;
    while (hi - lo > 1) { /* lines are in order; find the last line starting at or before pos */
        size_t mid = (lo + hi) / 2;
        size_t raw_start = mid == 0 ? 0 : t->lines[mid].start;
        if (raw_start <= pos)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ---- small character helpers ----------------------------------------------------------- */

/* A Han character (base/chars.h), or 〇: in Chinese numerals (二〇二四年) it is one of the
 * digits, and every scanner that walks a run of Han characters walks over it too. */
static int is_han(uint32_t c)
{
    return dg_is_han(c) || c == 0x3007;
}

/* 号, or 號 in traditional text. */
static int is_hao(uint32_t c)
{
    return c == 0x53F7 || c == 0x865F;
}

static int digit_of(uint32_t c)
{
    return c >= '0' && c <= '9' ? (int)(c - '0') : -1;
}

/* A year digit: OCR reads 0 as the letter O (or o) often enough to forgive it. */
static int year_digit_of(uint32_t c)
{
    if (c == 'O' || c == 'o')
        return 0;
    return digit_of(c);
}

/* 〇 ○ 零 O 0 一 … 九 as used in written-out years. */
static int cn_digit_of(uint32_t c)
{
    static const uint32_t digits[] = {0x3007, 0x4E00, 0x4E8C, 0x4E09, 0x56DB,
                                      0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D};
    for (int i = 0; i < 10; i++)
        if (c == digits[i])
            return i;
    if (c == 0x25CB || c == 0x96F6 || c == 'O' || c == 'o' || c == '0' || c == 0x25EF)
        return 0; /* ○ 零 O o 0 ◯ */
    return -1;
}

static size_t skip_spaces(const cp_text *t, size_t i)
{
    while (i < t->n && is_space(t->cp[i]))
        i++;
    return i;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

static int valid_date(int y, int m, int d)
{
    return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* A date a record can carry: a real calendar date, not before 1900 and not after next year
 * (a plan for next year is dated late this year; anything later is a misread or a deadline
 * far off, never the record's own date). */
static int plausible_date(const cp_text *t, int y, int m, int d)
{
    return valid_date(y, m, d) && y <= t->max_year;
}

static void append_utf8(char *buf, size_t cap, size_t *n, uint32_t c)
{
    char tmp[4];
    size_t k = dg_utf8_encode(c, tmp);
    if (*n + k >= cap)
        return; /* cut at a character boundary rather than overrun */
    memcpy(buf + *n, tmp, k);
    *n += k;
    buf[*n] = '\0';
}

/* Does the text at i spell the ASCII/UTF-8 word w (compared as code points)? The text's
 * code points are encoded and compared with w's bytes, which is the same for a valid w
 * (all are literals here) and spares decoding w at every position of a scan. */
/* The first byte of cp's UTF-8 encoding (for a valid code point; any byte otherwise). */
static unsigned char lead_byte(uint32_t cp)
{
    return (unsigned char)(cp < 0x80      ? cp
                           : cp < 0x800   ? 0xC0 | (cp >> 6)
                           : cp < 0x10000 ? 0xE0 | (cp >> 12)
                                          : 0xF0 | (cp >> 18));
}

static size_t match_str(const cp_text *t, size_t i, const char *w)
{
    /* Most positions of a scan fail at the first byte: found without encoding (a fifth of
     * a record's extraction went to encoding code points that were then compared once). */
    if (!*w || i >= t->n || lead_byte(t->cp[i]) != (unsigned char)*w)
        return 0;
    /* Then at the first character, decoded from w: a Chinese text's characters share a
     * few lead bytes. w is a valid literal, so its first character ends before its NUL. */
    uint32_t first;
    size_t used = dg_utf8_decode(w, 4, &first);
    if (!used || first != t->cp[i])
        return 0;
    w += used;
    size_t k = i + 1;
    while (*w) {
        char enc[4];
        size_t n = k < t->n ? dg_utf8_encode(t->cp[k], enc) : 0;
        if (!n)
            return 0;
        for (size_t b = 0; b < n; b++) /* w's NUL never equals a byte of enc: stops there */
            if (w[b] != enc[b])
                return 0;
        w += n;
        k++;
    }
    return k - i;
}

static int starts_with_any(const cp_text *t, size_t i, const char *const *words, size_t *used)
{
    for (size_t w = 0; words[w]; w++) {
        size_t k = match_str(t, i, words[w]);
        if (k) {
            *used = k;
            return 1;
        }
    }
    return 0;
}

/* The number of code points in a UTF-8 word. */
static size_t utf8_chars(const char *w)
{
    size_t len = 0;
    for (; *w; w++)
        len += ((unsigned char)*w & 0xC0) != 0x80;
    return len;
}

static int ends_with_any(const cp_text *t, size_t start, size_t end, const char *const *words)
{
    for (size_t w = 0; words[w]; w++) {
        size_t len = utf8_chars(words[w]);
        if (end - start >= len && match_str(t, end - len, words[w]) == len)
            return 1;
    }
    return 0;
}

static void field_set(dg_field *f, const cp_text *t, size_t start, size_t end, double conf)
{
    f->found = 1;
    f->confidence = conf;
    f->source = "text";
    f->start = t->off[start];
    f->end = t->off[end];
}

static void field_clear(dg_field *f)
{
    memset(f, 0, sizeof *f);
}

/* Is c full-width punctuation, U+FF01-FF5E minus its letters and digits? */
static int is_fullwidth_punct(uint32_t c)
{
    return (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
           (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF5E);
}

/* Emits the range as UTF-8, dropping OCR's stray spaces next to Han characters. With
 * keep_punct, full-width punctuation the scanners read folded (，（）：) is written as the
 * record has it: a title "修正「…」，自即日起生效" stays as written; numbers are normalised. */
static void emit_range(const cp_text *t, size_t s, size_t e, char *buf, size_t cap, size_t *n,
                       int keep_punct)
{
    for (size_t i = s; i < e; i++) {
        uint32_t c = t->cp[i];
        if (is_space(c)) {
            if (i + 1 >= e || is_han(t->cp[i + 1]) || (*n > 0 && i > s && is_han(t->cp[i - 1])) ||
                is_space(t->cp[i + 1]))
                continue;
            c = ' ';
        } else if (keep_punct && c < 0x80) {
            uint32_t raw;
            dg_utf8_next(t->src + t->off[i], t->off[i + 1] - t->off[i], &raw);
            if (is_fullwidth_punct(raw))
                c = raw;
        }
        append_utf8(buf, cap, n, c);
    }
}

static void emit_compact(const cp_text *t, size_t s, size_t e, char *buf, size_t cap, size_t *n)
{
    emit_range(t, s, e, buf, cap, n, 0);
}

static void emit_title(const cp_text *t, size_t s, size_t e, char *buf, size_t cap, size_t *n)
{
    emit_range(t, s, e, buf, cap, n, 1);
}

static int line_is_empty(const line_span *l)
{
    return l->end <= l->start;
}

static int line_ends_sentence(const cp_text *t, const line_span *l)
{
    uint32_t c = t->cp[l->end - 1];
    return c == 0x3002 || c == '.' || c == 0xFF1B || c == ';' || c == ',' || c == 0xFF0C ||
           c == 0xFF1A || c == ':';
}

/* ---- dates ----------------------------------------------------------------------------- */

typedef struct date_match {
    int y, m, d;
    size_t start, end; /* code point range */
} date_match;

/*
 * A month or day digit between 年, 月 and 日, where nothing else can stand: OCR reads 1 as
 * ] | l I ! and 0 as O or o often enough (Tesseract's chi_sim read 2024年1月10日 as
 * 2024年]月10日 on the README's sample notice) to forgive them there.
 */
static int date_digit_of(uint32_t c)
{
    if (c == ']' || c == '|' || c == 'l' || c == 'I' || c == '!')
        return 1;
    return year_digit_of(c);
}

/* Reads up to max ASCII digits (spaces between them are OCR noise only for years), or
 * with forgiving set, digits as date_digit_of() reads them. */
static size_t read_number(const cp_text *t, size_t i, int max_digits, int forgiving,
                          int *value)
{
    int v = 0, k = 0, dg;
    while (i < t->n && k < max_digits &&
           (dg = forgiving ? date_digit_of(t->cp[i]) : digit_of(t->cp[i])) >= 0) {
        v = v * 10 + dg;
        i++;
        k++;
    }
    *value = v;
    return (size_t)k;
}

static size_t read_year(const cp_text *t, size_t i, int *year)
{
    int v = 0, real = 0;
    size_t k = i;
    for (int n = 0; n < 4; n++, k++) {
        int dg = k < t->n ? year_digit_of(t->cp[k]) : -1;
        if (dg < 0)
            return 0;
        real += digit_of(t->cp[k]) >= 0;
        v = v * 10 + dg;
    }
    if (real < 2 || (k < t->n && digit_of(t->cp[k]) >= 0))
        return 0;
    *year = v;
    return k - i;
}

/* A month or day after 年 or 月: digits (forgiving OCR's ] | l for 1) or, with chinese set,
 * a written-out number (三, 十二, 二十一) as in 中華民國一一二年四月十一日. */
static size_t read_cjk_part(const cp_text *t, size_t k, int chinese, int *value);

/*
 * The part of a date after its year, k just past the year's last digit: 年3月12日 (年 月 日
 * or 號), or -03-12, .3.12, /3/12 with the same separator twice. Writes the end (exclusive)
 * to *end; 0 when the text is not a month and day.
 */
static int parse_month_day(const cp_text *t, size_t k, int chinese, size_t *end, int *m, int *d)
{
    k = skip_spaces(t, k);
    if (k >= t->n)
        return 0;
    uint32_t sep = t->cp[k];
    int cjk = sep == 0x5E74; /* 年 */
    if (!cjk && (chinese || (sep != '-' && sep != '.' && sep != '/')))
        return 0;
    k = skip_spaces(t, k + 1);
    size_t got = cjk ? read_cjk_part(t, k, chinese, m) : read_number(t, k, 2, 0, m);
    if (!got)
        return 0;
    k = skip_spaces(t, k + got);
    if (k >= t->n || t->cp[k] != (cjk ? 0x6708u : sep)) /* 月 */
        return 0;
    k = skip_spaces(t, k + 1);
    got = cjk ? read_cjk_part(t, k, chinese, d) : read_number(t, k, 2, 0, d);
    if (!got)
        return 0;
    k += got;
    if (cjk) {
        size_t e = skip_spaces(t, k);
        if (e < t->n && (t->cp[e] == 0x65E5 || is_hao(t->cp[e]))) /* 日 号 */
            k = e + 1;
        else
            return 0;
    } else if (k < t->n && digit_of(t->cp[k]) >= 0) {
        return 0;
    }
    *end = k;
    return 1;
}

/* 2024年3月12日, 2024-03-12, 2024.3.12, 2024/3/12 (spaces tolerated around separators). */
static int parse_numeric_date(const cp_text *t, size_t i, date_match *out)
{
    if (i > 0 && (digit_of(t->cp[i - 1]) >= 0 || t->cp[i - 1] == '.'))
        return 0;
    int y, m, d;
    size_t k = i + read_year(t, i, &y), end;
    if (k == i || !parse_month_day(t, k, 0, &end, &m, &d) || !plausible_date(t, y, m, d))
        return 0;
    *out = (date_match){y, m, d, i, end};
    return 1;
}

/* 三, 十, 十二, 二十, 二十三, 三十一 (and 廿 卅), 1..39; returns code points used. */
static size_t read_cn_number(const cp_text *t, size_t i, int *value)
{
    size_t k = i;
    int tens = 0, units = 0;
    if (k < t->n && (t->cp[k] == 0x5EFF || t->cp[k] == 0x5345)) { /* 廿 卅 */
        tens = t->cp[k] == 0x5EFF ? 2 : 3;
        k++;
    } else {
        int dg = k < t->n ? cn_digit_of(t->cp[k]) : -1;
        if (dg > 0 && k + 1 < t->n && t->cp[k + 1] == 0x5341) { /* x十 */
            tens = dg;
            k += 2;
        } else if (k < t->n && t->cp[k] == 0x5341) { /* 十 */
            tens = 1;
            k++;
        }
    }
    int dg = k < t->n ? cn_digit_of(t->cp[k]) : -1;
    if (dg > 0) {
        units = dg;
        k++;
    }
    *value = tens * 10 + units;
    return *value > 0 ? k - i : 0;
}

static size_t read_cjk_part(const cp_text *t, size_t k, int chinese, int *value)
{
    size_t got = chinese ? read_cn_number(t, k, value) : 0;
    return got ? got : read_number(t, k, 2, 1, value);
}

/* 二〇二四年三月十二日 */
static int parse_cn_date(const cp_text *t, size_t i, date_match *out)
{
    int y = 0, chinese = 0;
    size_t k = i;
    for (int n = 0; n < 4; n++) {
        k = skip_spaces(t, k);
        int dg = k < t->n ? cn_digit_of(t->cp[k]) : -1;
        if (dg < 0)
            return 0;
        chinese += t->cp[k] > 0x7F;
        y = y * 10 + dg;
        k++;
    }
    int m, d;
    size_t end;
    if (chinese < 2 || !parse_month_day(t, k, 1, &end, &m, &d) || !plausible_date(t, y, m, d))
        return 0;
    *out = (date_match){y, m, d, i, end};
    return 1;
}

/* ---- Minguo (Republic of China) years: year 1 is 1912, so 112 is 2023 ------------------- */

#define MINGUO_OFFSET 1911
/* A bare year without 民國 is read as Minguo only from 40 (1951) on: Taiwan's school
 * records of interest are later, and smaller numbers are far likelier a day or a count. */
#define MINGUO_BARE_MIN 40

static const char *const minguo_eras[] = {"中華民國", "中华民国", "民國", "民国", NULL};

/* 112, or written out: 一一二, 一百一十二, 一百十二, 九十八. Returns code points used. */
static size_t read_minguo_year(const cp_text *t, size_t i, int *year)
{
    size_t k = i;
    if (digit_of(t->cp[k]) >= 0) {
        size_t got = read_number(t, k, 3, 0, year);
        return k + got < t->n && digit_of(t->cp[k + got]) >= 0 ? 0 : got;
    }
    int dg = cn_digit_of(t->cp[k]);
    if (dg > 0 && t->cp[k] > 0x7F && k + 1 < t->n && t->cp[k + 1] == 0x767E) { /* x百 */
        int rest = 0;
        k += 2;
        if (k < t->n && (t->cp[k] == 0x96F6 || t->cp[k] == 0x3007)) /* 零 〇 */
            k++;
        k += read_cn_number(t, k, &rest);
        *year = dg * 100 + rest;
        return k - i;
    }
    int v = 0, n = 0;
    while (k < t->n && n < 3 && t->cp[k] > 0x7F && (dg = cn_digit_of(t->cp[k])) >= 0) {
        v = v * 10 + dg;
        k++;
        n++;
    }
    if (n >= 2) {
        *year = v;
        return k - i;
    }
    return read_cn_number(t, i, year); /* 九十八 */
}

/*
 * 中華民國112年6月21日, 民國112年6月21日, 中華民國一一二年四月十一日; and in a record whose
 * other evidence points to Taiwan (cp_text.taiwan) a bare 112年6月21日, 112.6.21, 112/6/21.
 */
static int parse_minguo_date(const cp_text *t, size_t i, date_match *out)
{
    size_t k = i, used;
    int era = starts_with_any(t, i, minguo_eras, &used);
    if (era)
        k = skip_spaces(t, i + used);
    else if (!t->taiwan || digit_of(t->cp[i]) < 0 ||
             (i > 0 && (digit_of(t->cp[i - 1]) >= 0 || t->cp[i - 1] == '.' ||
                        t->cp[i - 1] == '/')))
        return 0;
    if (k >= t->n)
        return 0;
    int year, m, d;
    size_t got = read_minguo_year(t, k, &year);
    if (!got || year < (era ? 1 : MINGUO_BARE_MIN))
        return 0;
    int chinese = t->cp[k] > 0x7F;
    size_t end;
    if (!parse_month_day(t, k + got, chinese, &end, &m, &d) ||
        !plausible_date(t, year + MINGUO_OFFSET, m, d))
        return 0;
    *out = (date_match){year + MINGUO_OFFSET, m, d, i, end};
    return 1;
}

static const char *const month_names[] = {"january", "february", "march",     "april",
                                          "may",     "june",     "july",      "august",
                                          "september", "october", "november", "december"};

/* A month name or its abbreviation (three letters, or "sept"), any case; 0 if none. */
static int read_month_name(const cp_text *t, size_t i, size_t *used)
{
    if (i > 0 && t->cp[i - 1] < 0x80 && isalpha((int)t->cp[i - 1]))
        return 0;
    char word[16];
    size_t k = 0;
    while (i + k < t->n && k < sizeof word - 1 && t->cp[i + k] < 0x80 &&
           isalpha((int)t->cp[i + k])) {
        word[k] = (char)tolower((int)t->cp[i + k]);
        k++;
    }
    word[k] = '\0';
    if (k < 3)
        return 0;
    for (int mth = 0; mth < 12; mth++) {
        const char *name = month_names[mth];
        if (strcmp(word, name) == 0 || (k == 3 && strncmp(word, name, 3) == 0) ||
            (mth == 8 && strcmp(word, "sept") == 0)) {
            *used = k;
            if (i + k < t->n && t->cp[i + k] == '.')
                (*used)++;
            return mth + 1;
        }
    }
    return 0;
}

static size_t read_day_suffix(const cp_text *t, size_t k)
{
    static const char *const suffixes[] = {"st", "nd", "rd", "th", NULL};
    size_t used;
    if (starts_with_any(t, k, suffixes, &used))
        return k + used;
    return k;
}

/* 12 March 2024, 12th Mar. 2024, March 12, 2024, Mar 12 2024 */
static int parse_english_date(const cp_text *t, size_t i, date_match *out)
{
    int y, m, d;
    size_t k = i, used;
    if (digit_of(t->cp[i]) >= 0) {
        if (i > 0 && digit_of(t->cp[i - 1]) >= 0)
            return 0;
        size_t got = read_number(t, k, 2, 0, &d);
        k = skip_spaces(t, read_day_suffix(t, k + got));
        m = read_month_name(t, k, &used);
        if (!m)
            return 0;
        k = skip_spaces(t, k + used);
        if (k < t->n && t->cp[k] == ',')
            k = skip_spaces(t, k + 1);
    } else {
        m = read_month_name(t, k, &used);
        if (!m)
            return 0;
        k = skip_spaces(t, k + used);
        size_t got = read_number(t, k, 2, 0, &d);
        if (!got)
            return 0;
        k = skip_spaces(t, read_day_suffix(t, k + got));
        if (k < t->n && t->cp[k] == ',')
            k = skip_spaces(t, k + 1);
    }
    size_t got = read_year(t, k, &y);
    if (!got || !plausible_date(t, y, m, d))
        return 0;
    *out = (date_match){y, m, d, i, k + got};
    return 1;
}

/*
 * The numbers of 21/06/2023, 21.6.2023, 21-06-2023 or 6/21/23: first, second and year (a
 * two-digit year only with slashes). Returns the end, or 0 when the text is not one.
 */
static size_t read_two_part_date(const cp_text *t, size_t i, int *first, int *second, int *year)
{
    if (i > 0 && (digit_of(t->cp[i - 1]) >= 0 || t->cp[i - 1] == '.' || t->cp[i - 1] == '/' ||
                  t->cp[i - 1] == '-'))
        return 0;
    size_t k = i + read_number(t, i, 2, 0, first);
    if (k == i || k >= t->n)
        return 0;
    uint32_t sep = t->cp[k];
    if (sep != '/' && sep != '.' && sep != '-')
        return 0;
    size_t got = read_number(t, k + 1, 2, 0, second);
    k += 1 + got;
    if (!got || k >= t->n || t->cp[k] != sep)
        return 0;
    k++;
    int y = 0, digits = 0;
    while (k < t->n && digits < 5 && digit_of(t->cp[k]) >= 0) {
        y = y * 10 + digit_of(t->cp[k++]);
        digits++;
    }
    if (digits == 2 && sep == '/')
        y += 2000 + y > t->max_year ? 1900 : 2000; /* 6/21/23; 12/31/98 */
    else if (digits != 4)
        return 0;
    *year = y;
    return k;
}

/*
 * 21/06/2023 (Hong Kong, Britain and most of the world: day first) or 6/21/23 (United
 * States: month first). A first number over 12 must be the day and a second over 12 the
 * month; otherwise the record's locale (cp_text.month_first) decides.
 */
static int parse_day_month_year(const cp_text *t, size_t i, date_match *out)
{
    int a, b, y;
    size_t end = read_two_part_date(t, i, &a, &b, &y);
    if (!end)
        return 0;
    int month_first = a <= 12 && (b > 12 || t->month_first);
    int m = month_first ? a : b, d = month_first ? b : a;
    if (!plausible_date(t, y, m, d))
        return 0;
    *out = (date_match){y, m, d, i, end};
    return 1;
}

static int parse_date_at(const cp_text *t, size_t i, date_match *out)
{
    uint32_t c = t->cp[i];
    if (digit_of(c) >= 0 && parse_numeric_date(t, i, out))
        return 1;
    if ((c == 0x4E2D || c == 0x6C11 || (t->taiwan && digit_of(c) >= 0)) && /* 中 民 */
        parse_minguo_date(t, i, out))
        return 1;
    if (digit_of(c) >= 0 && parse_day_month_year(t, i, out))
        return 1;
    if (cn_digit_of(c) >= 0 && parse_cn_date(t, i, out))
        return 1;
    if ((digit_of(c) >= 0 || (c < 0x80 && isalpha((int)c))) && parse_english_date(t, i, out))
        return 1;
    return 0;
}

/* ---- what the record says about its dates ----------------------------------------------- */

/* The locale is read from a record's first 20,000 characters (about ten pages): its header
 * and first pages say how it writes dates. Measured on a 1 MB text in the sanitizer build,
 * scanning all of it took extraction from 0.6 s (before locales) to 4.4 s; with this bound
 * 1.4 s. */
#define LOCALE_SCAN_MAX 20000

/* The current year + 1 (see plausible_date()). */
static int latest_plausible_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    if (now == (time_t)-1 || !gmtime_r(&now, &tm))
        return 2100;
    return tm.tm_year + 1900 + 1;
}

/* Characters written differently in the two scripts, frequent in school and office text:
 * traditional 學國會說實為與於時間們這過開關發區縣號辦處當經議點總級務師員條體證劃報導論
 * simplified  学国会说实为与于时间们这过开关发区县号办处当经议点总级务师员条体证划报导论
 * as sorted code points, for a binary search at every character of a scan. */
static const uint32_t traditional_only[] = {
    0x5011, 0x5283, 0x52D9, 0x5340, 0x54E1, 0x570B, 0x5831, 0x5B78, 0x5BE6, 0x5C0E, 0x5E2B,
    0x65BC, 0x6642, 0x6703, 0x689D, 0x70BA, 0x7576, 0x767C, 0x7D1A, 0x7D93, 0x7E23, 0x7E3D,
    0x8207, 0x8655, 0x865F, 0x8AAA, 0x8AD6, 0x8B49, 0x8B70, 0x8FA6, 0x9019, 0x904E, 0x958B,
    0x9593, 0x95DC, 0x9AD4, 0x9EDE,
};
static const uint32_t simplified_only[] = {
    0x4E0E, 0x4E3A, 0x4E8E, 0x4EEC, 0x4F1A, 0x4F53, 0x5173, 0x5212, 0x529E, 0x52A1, 0x533A,
    0x53BF, 0x53D1, 0x53F7, 0x5458, 0x56FD, 0x5904, 0x5B66, 0x5B9E, 0x5BFC, 0x5E08, 0x5F00,
    0x5F53, 0x603B, 0x62A5, 0x65F6, 0x6761, 0x70B9, 0x7EA7, 0x7ECF, 0x8BAE, 0x8BBA, 0x8BC1,
    0x8BF4, 0x8FC7, 0x8FD9, 0x95F4,
};

static int cmp_cp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

#define IN_SORTED(set, c) \
    (bsearch(&(uint32_t){c}, set, sizeof set / sizeof set[0], sizeof set[0], cmp_cp) != NULL)

/* Is c one of set's characters? Its UTF-8 bytes are looked for in set: in valid UTF-8 a
 * character's bytes can only be found where a character starts. */
static int in_set(const char *set, uint32_t c)
{
    char enc[4];
    size_t n = dg_utf8_encode(c, enc);
    return n && c && memmem(set, strlen(set), enc, n) != NULL;
}

/* 臺北市, 新北市, 高雄市 …: Taiwan's cities and counties, as school records name them. */
static const char *const taiwan_places[] = {
    "臺北", "台北", "新北市", "臺中", "台中", "臺南", "台南", "高雄", "桃園", "新竹", "苗栗",
    "彰化", "南投", "雲林", "嘉義", "屏東", "宜蘭", "花蓮", "臺東", "台東", "澎湖", "金門",
    "連江", "基隆", NULL};

/* 府教學字第1120001234號: the Taiwan document-number form (see parse_zidi_number_at()). */
static int zidi_number_at(const cp_text *t, size_t i)
{
    if (t->cp[i] != 0x5B57) /* 字 */
        return 0;
    size_t k = skip_spaces(t, i + 1);
    if (k >= t->n || t->cp[k] != 0x7B2C) /* 第 */
        return 0;
    k = skip_spaces(t, k + 1);
    size_t digits = 0;
    while (k < t->n && digit_of(t->cp[k]) >= 0) {
        k++;
        digits++;
    }
    k = skip_spaces(t, k);
    return digits > 0 && k < t->n && is_hao(t->cp[k]);
}

/*
 * Does the record point to Taiwan, so that a bare 112年 is a Minguo year? 民國 anywhere
 * says so; otherwise a record in traditional script (more traditional-only than
 * simplified-only characters) with a Taiwan document number (…字第…號), a Taiwan city or
 * county, or a school year written 112學年度. Hong Kong records are traditional too, but
 * write four-digit years and have none of the three.
 */
/* The first characters of the words a scan looks for, so that a position opening with
 * none of them is passed over before two dozen comparisons (match_str() fails there). */
typedef struct first_chars {
    uint32_t c[32];
    size_t n;
    uint64_t low_bits; /* bit c % 64 of each: most positions are rejected by it alone */
    int every;         /* a word could not be added: every position may open one */
} first_chars;

static void add_first_char(first_chars *f, const char *w)
{
    uint32_t c;
    if (!dg_utf8_decode(w, 4, &c) || f->n == sizeof f->c / sizeof f->c[0]) {
        f->every = 1; /* not with the literals here, but then nothing is passed over */
        return;
    }
    for (size_t k = 0; k < f->n; k++)
        if (f->c[k] == c)
            return;
    f->c[f->n++] = c;
    f->low_bits |= (uint64_t)1 << (c % 64);
}

static int opens_a_word(const first_chars *f, uint32_t c)
{
    if (f->every)
        return 1;
    if (!(f->low_bits & ((uint64_t)1 << (c % 64))))
        return 0;
    for (size_t k = 0; k < f->n; k++)
        if (f->c[k] == c)
            return 1;
    return 0;
}

static int points_to_taiwan(const cp_text *t)
{
    int traditional = 0, simplified = 0, evidence = 0;
    first_chars words = {.n = 0};
    add_first_char(&words, "民國");
    add_first_char(&words, "民国");
    add_first_char(&words, "學年度");
    for (size_t w = 0; taiwan_places[w]; w++)
        add_first_char(&words, taiwan_places[w]);
    for (size_t i = 0; i < t->n && i < LOCALE_SCAN_MAX; i++) {
        uint32_t c = t->cp[i];
        size_t used;
        int opens = opens_a_word(&words, c);
        if (opens && (match_str(t, i, "民國") || match_str(t, i, "民国")))
            return 1;
        if (c < 0x4E00)
            continue;
        traditional += IN_SORTED(traditional_only, c);
        simplified += IN_SORTED(simplified_only, c);
        if (zidi_number_at(t, i) || (opens && starts_with_any(t, i, taiwan_places, &used)))
            evidence = 1;
        if (opens && match_str(t, i, "學年度") && i >= 3 && digit_of(t->cp[i - 3]) >= 0 &&
            (i < 4 || digit_of(t->cp[i - 4]) < 0))
            evidence = 1; /* 112學年度, not 2023學年度 */
    }
    return evidence && traditional > simplified;
}

/* Which order a record writes 6/7/2023 in: day first unless the record shows otherwise
 * (a 6/21/23 that can only be month first, or "June 21, 2023" more often than "21 June"). */
static int reads_month_first(const cp_text *t)
{
    int day_first = 0, month_first = 0, month_name_first = 0, day_name_first = 0;
    for (size_t i = 0; i < t->n && i < LOCALE_SCAN_MAX; i++) {
        uint32_t c = t->cp[i];
        int a, b, y;
        date_match dm;
        if (digit_of(c) >= 0 && read_two_part_date(t, i, &a, &b, &y)) {
            day_first += a > 12 && b <= 12;
            month_first += b > 12 && a <= 12;
        }
        if ((digit_of(c) >= 0 || (c < 0x80 && isalpha((int)c))) && parse_english_date(t, i, &dm)) {
            if (digit_of(c) >= 0)
                day_name_first++;
            else
                month_name_first++;
        }
    }
    if (day_first || month_first)
        return month_first > day_first;
    return month_name_first > day_name_first;
}

static void read_locale(cp_text *t)
{
    t->max_year = latest_plausible_year();
    t->taiwan = points_to_taiwan(t);
    t->month_first = reads_month_first(t);
}

static const char *const date_labels[] = {
    "日期", "时间", "時間", "印发", "成文", "Date", "DATE", "date", "Dated", NULL};

/*
 * Is the date the value of a labelled field ("Date: …", "發文日期：…", "开会时间：…")? The
 * label must open its line (after at most a few characters such as 發文, 開會) and only
 * spaces or a colon may stand between it and the date: "申請截止日期為113年1月12日" and "your
 * letter dated 12 June" mention a date in a sentence.
 */
static int has_label(const cp_text *t, size_t start, size_t end)
{
    for (size_t i = start; i < end && i <= start + 4; i++) {
        size_t used;
        if (!starts_with_any(t, i, date_labels, &used))
            continue;
        size_t k = i + used, colon = k;
        while (colon < end && colon < k + 12 && t->cp[colon] != ':')
            colon++; /* "Date of issue:", "日期(Date):" */
        if (colon < end && t->cp[colon] == ':')
            k = colon + 1;
        while (k < end && is_space(t->cp[k]))
            k++;
        if (k == end)
            return 1;
    }
    return 0;
}

static int only_punctuation(const cp_text *t, size_t start, size_t end)
{
    for (size_t i = start; i < end; i++) {
        uint32_t c = t->cp[i];
        if (!is_space(c) && c != '.' && c != ')' && c != 0x3002 && c != 0xFF09 && c != ',' &&
            c != 0xFF0C)
            return 0;
    }
    return 1;
}

static size_t nonempty_lines_before(const cp_text *t, size_t li)
{
    size_t n = 0;
    for (size_t j = 0; j < li; j++)
        n += !line_is_empty(&t->lines[j]);
    return n;
}

/*
 * How much a date looks like the document's own date (see extract.h): alone on its line
 * (the 成文日期 under the signature) > after a label or a short department name > in the
 * closing third of the text > inside a sentence.
 */
static double date_candidate_score(const cp_text *t, const date_match *dm)
{
    size_t li = line_of(t, dm->start);
    const line_span *ln = &t->lines[li];
    size_t prefix_len = dm->start > ln->start ? dm->start - ln->start : 0;
    int suffix_empty = only_punctuation(t, dm->end, ln->end > dm->end ? ln->end : dm->end);
    int labelled = has_label(t, ln->start, dm->start);
    double score = 0.4;
    if (suffix_empty && prefix_len == 0)
        score += 0.45;
    else if (suffix_empty && labelled)
        score += 0.4;
    else if (suffix_empty && prefix_len <= 16)
        score += 0.3;
    else if (labelled)
        score += 0.25;
    else if (match_str(t, dm->end, "印发"))
        score += 0.2;
    /* Position among the non-empty lines: the closing third holds the signature; the
     * first lines of a longer text its header ("held on Monday 6th November 2023"). */
    size_t at = nonempty_lines_before(t, li), lines = nonempty_lines_before(t, t->n_lines);
    if (lines > 3 && at * 3 >= lines * 2)
        score += 0.1;
    else if (at < 3 && at * 3 < lines)
        score += 0.1;
    return score > 0.97 ? 0.97 : score;
}

static void date_in(const cp_text *t, dg_field *out, int *year, int *month, int *day)
{
    double best = -1;
    date_match win = {0};
    for (size_t i = 0; i < t->n; i++) {
        date_match dm;
        if (!parse_date_at(t, i, &dm))
            continue;
        double score = date_candidate_score(t, &dm);
        if (score >= best) { /* ties go to the later date: the signature */
            best = score;
            win = dm;
        }
        i = dm.end - 1;
    }
    if (best >= 0) {
        field_set(out, t, win.start, win.end, best);
        snprintf(out->value, sizeof out->value, "%04d-%02d-%02d", win.y, win.m, win.d);
        *year = win.y;
        *month = win.m;
        *day = win.d;
    }
}

void dg_extract_date(const char *text, size_t len, dg_field *out, int *year, int *month, int *day)
{
    field_clear(out);
    *year = *month = *day = 0;
    cp_text t;
    if (!text || !cp_text_init(&t, text, len))
        return;
    date_in(&t, out, year, month, day);
    cp_text_free(&t);
}

int dg_parse_date(const char *s, size_t len, int *year, int *month, int *day)
{
    cp_text t;
    if (!s || !cp_text_init(&t, s, len))
        return 0;
    size_t i = skip_spaces(&t, 0);
    date_match dm;
    int ok = i < t.n && parse_date_at(&t, i, &dm) && skip_spaces(&t, dm.end) == t.n;
    if (ok) {
        *year = dm.y;
        *month = dm.m;
        *day = dm.d;
    }
    cp_text_free(&t);
    return ok;
}

int dg_formation_year(const char *iso_date)
{
    if (!iso_date || strlen(iso_date) < 10 || iso_date[4] != '-' || iso_date[7] != '-')
        return 0;
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)iso_date[i]))
            return 0;
        y = y * 10 + (iso_date[i] - '0');
    }
    int m = atoi(iso_date + 5), d = atoi(iso_date + 8);
    return valid_date(y, m, d) ? y : 0;
}

/* ---- document numbers ------------------------------------------------------------------ */

static int is_open_bracket(uint32_t c)
{
    return c == 0x3014 || c == '[' || c == '(' || c == 0xFF08 || c == 0x3010 || c == 0x3016 ||
           c == 0xFF3B;
}

static int is_close_bracket(uint32_t c)
{
    return c == 0x3015 || c == ']' || c == ')' || c == 0xFF09 || c == 0x3011 || c == 0x3017 ||
           c == 0xFF3D;
}

typedef enum number_kind {
    NUMBER_BRACKET, /* mainland: 校办〔2024〕12号, normalised to 〔〕 */
    NUMBER_ZIDI,    /* Taiwan: 府教學字第1120001234號, kept as written */
    NUMBER_REF      /* Hong Kong and English: the value of "Our Ref.:" or "檔號：" */
} number_kind;

typedef struct number_match {
    size_t start, end;      /* whole match, prefix included */
    size_t prefix_start;    /* first code point of the issuer's prefix */
    int year, serial;
    uint32_t hao; /* 号 or 號, kept in the record's own script */
    number_kind kind;
} number_match;

/* Words before a number that make it a citation: 根据《…》, 依據教育部…函, 見…. */
static const char *const citation_verbs[] = {"根据", "按照", "依据", "依照", "依據", "根據",
                                             "遵照", "参照", "參照", "转发", "轉發", "見",
                                             "见", "依", "據", "据", "復", "复", "按", NULL};

/* Walks back over the issuer prefix (Han characters, e.g. 校办, 浙教办) before the bracket. */
static size_t prefix_start_before(const cp_text *t, size_t bracket)
{
    size_t s = bracket;
    while (s > 0 && is_space(t->cp[s - 1]) && bracket - s < 2)
        s--;
    size_t e = s;
    while (s > 0 && is_han(t->cp[s - 1]) && e - s < 10)
        s--;
    size_t used;
    if (s < e && starts_with_any(t, s, citation_verbs, &used) && s + used < e)
        s += used;
    return s < e ? s : bracket;
}

static int parse_bracket_number_at(const cp_text *t, size_t i, number_match *out)
{
    if (!is_open_bracket(t->cp[i]))
        return 0;
    int year, serial;
    size_t k = skip_spaces(t, i + 1);
    size_t got = read_year(t, k, &year);
    if (!got || year < 1949 || year > 2100)
        return 0;
    k = skip_spaces(t, k + got);
    if (k >= t->n || !is_close_bracket(t->cp[k]))
        return 0;
    k = skip_spaces(t, k + 1);
    if (k < t->n && t->cp[k] == 0x7B2C) /* 第 */
        k = skip_spaces(t, k + 1);
    got = read_number(t, k, 5, 0, &serial);
    if (!got)
        return 0;
    k = skip_spaces(t, k + got);
    if (k >= t->n || !is_hao(t->cp[k]))
        return 0;
    size_t ps = prefix_start_before(t, i);
    if (ps == i)
        return 0; /* a bare 〔2024〕12号 has no issuer: most likely a fragment */
    *out = (number_match){ps, k + 1, ps, year, serial, t->cp[k], NUMBER_BRACKET};
    return 1;
}

/* Labels a Taiwan number may carry glued to its prefix when the colon is lost. */
static const char *const zidi_labels[] = {"發文字號", "发文字号", "字號", "字号", "文號", "文号",
                                          NULL};

/*
 * The issuer prefix of a Taiwan number, walking back from 字: Han characters and at most one
 * bracketed division, as in 臺教高(二)字. A date just before it (…112年5月1日臺教…) ends
 * the walk at its 日.
 */
static size_t zidi_prefix_start(const cp_text *t, size_t zi)
{
    size_t s = zi, han = 0;
    int group = 0;
    while (s > 0 && han < 12) {
        uint32_t c = t->cp[s - 1];
        if (is_space(c) && s > 1 && s == zi) {
            s--;
            continue;
        }
        if (c == ')' && !group && s >= 3) { /* (二), (三) */
            size_t o = s - 1;
            while (o > 0 && s - o <= 4 && is_han(t->cp[o - 1]))
                o--;
            if (o == 0 || o == s - 1 || t->cp[o - 1] != '(')
                break;
            group = 1;
            s = o - 1;
            continue;
        }
        if (!is_han(c) || (c == 0x65E5 && s > 1 && digit_of(t->cp[s - 2]) >= 0)) /* 日 */
            break;
        s--;
        han++;
    }
    size_t used;
    if (s < zi && starts_with_any(t, s, zidi_labels, &used) && s + used < zi)
        s = skip_spaces(t, s + used);
    return s;
}

/* 府教學字第1120001234號, 北市教中字第11230012341號, 臺教高(二)字第1120012345號. */
static int parse_zidi_number_at(const cp_text *t, size_t i, number_match *out)
{
    if (!zidi_number_at(t, i))
        return 0;
    size_t ps = zidi_prefix_start(t, i);
    if (ps == i)
        return 0;
    size_t k = i;
    while (!is_hao(t->cp[k]))
        k++;
    *out = (number_match){ps, k + 1, ps, 0, 0, t->cp[k], NUMBER_ZIDI};
    return 1;
}

static int parse_doc_number_at(const cp_text *t, size_t i, number_match *out)
{
    return parse_bracket_number_at(t, i, out) || parse_zidi_number_at(t, i, out);
}

/* "Our Ref.:", "Ref. No.:", "File Ref:" open a line; "Your Ref." is the addressee's. */
static const char *const ref_labels_en[] = {"Our Ref", "Our ref", "OUR REF", "File Ref",
                                            "File ref", "Ref", "REF", NULL};
/* 本局檔號：, 教育局檔號：, 檔號：, 档号： within a line's first characters. */
static const char *const ref_labels_zh[] = {"檔號", "档号", "檔案編號", "档案编号", NULL};
static const char *const ref_not_ours[] = {"來函", "来函", "貴", "贵", "你", NULL};

/* Where the value of a reference label on line li starts; 0 when the line has none. */
static size_t ref_value_start(const cp_text *t, const line_span *l)
{
    size_t used, k;
    if (starts_with_any(t, l->start, ref_labels_en, &used)) {
        k = l->start + used;
        if (k < l->end && isalpha((int)(t->cp[k] < 0x80 ? t->cp[k] : 0)))
            return 0; /* "Reference", "Refund" */
        if (k < l->end && t->cp[k] == '.')
            k++;
        k = skip_spaces(t, k);
        if (match_str(t, k, "No") && k + 2 < l->end && !isalpha((int)(t->cp[k + 2] & 0x7F)))
            k = skip_spaces(t, k + 2 + (t->cp[k + 2] == '.'));
    } else {
        size_t i = l->start, scratch = 0;
        used = 0;
        while (i < l->end && i < l->start + 6 && !starts_with_any(t, i, ref_labels_zh, &used))
            i++;
        if (i >= l->end || i >= l->start + 6)
            return 0;
        for (size_t j = l->start; j < i; j++)
            if (starts_with_any(t, j, ref_not_ours, &scratch) || !is_han(t->cp[j]))
                return 0;
        k = skip_spaces(t, i + used);
    }
    if (k >= l->end || t->cp[k] != ':')
        return 0;
    return skip_spaces(t, k + 1);
}

/* The value of a reference label up to two spaces (a "Tel." beside it) or the line's end. */
static int parse_ref_line(const cp_text *t, const line_span *l, number_match *out)
{
    size_t s = ref_value_start(t, l);
    if (!s || s >= l->end)
        return 0;
    size_t e = s, digits = 0;
    while (e < l->end && !(is_space(t->cp[e]) && e + 1 < l->end && is_space(t->cp[e + 1]))) {
        digits += digit_of(t->cp[e]) >= 0;
        e++;
    }
    while (e > s && (is_space(t->cp[e - 1]) || t->cp[e - 1] == ',' || t->cp[e - 1] == ';' ||
                     t->cp[e - 1] == '.'))
        e--;
    if (!digits || e - s > 60)
        return 0;
    *out = (number_match){s, e, s, 0, 0, 0, NUMBER_REF};
    return 1;
}

/* Is the number the value of a label opening its line ("发文字号：", "發文字號：")? */
static int number_labelled(const cp_text *t, const number_match *nm)
{
    if (nm->kind == NUMBER_REF)
        return 1;
    const line_span *l = &t->lines[line_of(t, nm->prefix_start)];
    size_t e = nm->prefix_start;
    while (e > l->start && is_space(t->cp[e - 1]))
        e--;
    return e > l->start && e - l->start <= 8 && t->cp[e - 1] == ':';
}

/*
 * Does the record cite this number rather than carry it? In brackets or 《》 (根据《…》
 * (某教发〔2023〕5号)), right after 根据/依據/見, or inside a running sentence: a number with
 * text before it and after it on its line. The record's own number opens its line, stands
 * after a label, or has only 签发人 beside it (that case opens the line).
 */
static int looks_cited(const cp_text *t, const number_match *nm)
{
    size_t s = nm->prefix_start;
    if (nm->kind == NUMBER_REF || number_labelled(t, nm))
        return 0;
    if (s > 0 && (t->cp[s - 1] == '(' || t->cp[s - 1] == 0x300A || t->cp[s - 1] == 0x300B ||
                  t->cp[s - 1] == 0x300C))
        return 1;
    for (size_t back = 1; back <= 2 && back <= s; back++) {
        size_t used;
        if (starts_with_any(t, s - back, citation_verbs, &used) && used == back)
            return 1;
    }
    size_t li = line_of(t, s);
    const line_span *l = &t->lines[li];
    if (s > l->start) {
        /* 依據…112年5月1日…字第…號函, 根据…〔2023〕40号文件: the letter or document cited. */
        size_t after = skip_spaces(t, nm->end);
        if (after < t->n && (t->cp[after] == 0x51FD || t->cp[after] == 0x4EE4 ||
                             t->cp[after] == 0x6587)) /* 函 令 文 */
            return 1;
        for (size_t i = l->start; i < s; i++) {
            size_t used;
            if (starts_with_any(t, i, citation_verbs, &used) && used >= 2)
                return 1;
        }
    }
    return l->end > nm->end + 2 && s > l->start + 2;
}

static void doc_number_value(const cp_text *t, const number_match *win, dg_field *out)
{
    size_t n = 0;
    if (win->kind != NUMBER_BRACKET) {
        emit_compact(t, win->prefix_start, win->end, out->value, sizeof out->value, &n);
        return;
    }
    for (size_t i = win->prefix_start; i < win->end && t->cp[i] && is_han(t->cp[i]); i++)
        append_utf8(out->value, sizeof out->value, &n, t->cp[i]);
    char tail[64];
    snprintf(tail, sizeof tail, "\xe3\x80\x94%d\xe3\x80\x95%d", win->year,
             win->serial); /* 〔year〕serial */
    if (n + strlen(tail) < sizeof out->value) {
        memcpy(out->value + n, tail, strlen(tail) + 1);
        n += strlen(tail);
    }
    append_utf8(out->value, sizeof out->value, &n, win->hao);
}

/*
 * The record's own number: a labelled one (发文字号：, 發文字號：, Our Ref.:, 檔號：) first,
 * then one standing in the header, then one lower down; a cited number never (issue 16: a
 * citation filed as the record's number is worse than none).
 */
static void doc_number_in(const cp_text *t, dg_field *out)
{
    double best = 0;
    number_match win = {0};
    for (size_t i = 0; i < t->n; i++) {
        number_match nm;
        if (!parse_doc_number_at(t, i, &nm) || looks_cited(t, &nm))
            continue;
        double score = number_labelled(t, &nm) ? 0.97 : line_of(t, nm.start) < 10 ? 0.95 : 0.8;
        if (score > best) { /* ties go to the earlier: the header precedes citations */
            best = score;
            win = nm;
        }
    }
    for (size_t li = 0; li < t->n_lines && li < 15 && best < 0.97; li++) {
        number_match nm;
        if (!line_is_empty(&t->lines[li]) && parse_ref_line(t, &t->lines[li], &nm)) {
            best = 0.97;
            win = nm;
        }
    }
    if (best > 0) {
        field_set(out, t, win.start, win.end, best);
        doc_number_value(t, &win, out);
    }
}

void dg_extract_doc_number(const char *text, size_t len, dg_field *out)
{
    field_clear(out);
    cp_text t;
    if (!text || !cp_text_init(&t, text, len))
        return;
    doc_number_in(&t, out);
    cp_text_free(&t);
}

/* ---- title ----------------------------------------------------------------------------- */

static const char *const doc_kinds[] = {
    "通知", "决定", "报告", "请示", "批复", "纪要", "方案", "意见", "办法", "规定", "制度",
    "细则", "总结", "计划", "通报", "公告", "通告", "函", "预算", "决算", "合同", "协议",
    "协议书", "清单", "记录", "登记表", "审批表", "申请表", "报销单", "汇总表", "明细表",
    "简报", "章程", "安排", "规划", "要点", "名单", "说明", "公示", "报告单", "验收单",
    "紀要", "決定", "報告", "請示", "批覆", "意見", "辦法", "規定", "細則", "總結", "計劃",
    "預算", "決算", "協議", "協議書", "清單", "記錄", "審批表", "申請表", "報銷單", "匯總表",
    "簡報", "規劃", "名單", "說明", "驗收單", "紀錄", "计画", "計畫", "規則", "规则", "要點",
    "須知", "须知", "簡章", "简章", "通報", "實施計畫", NULL};

static void title_from_lines(const cp_text *t, size_t first, size_t last, dg_field *out,
                             double conf)
{
    size_t n = 0;
    out->value[0] = '\0';
    for (size_t li = first; li <= last; li++)
        emit_title(t, t->lines[li].start, t->lines[li].end, out->value, sizeof out->value, &n);
    field_set(out, t, t->lines[first].start, t->lines[last].end, conf);
}

/* 关于……的通知, possibly wrapped over up to three lines. */
static int title_about(const cp_text *t, dg_field *out)
{
    size_t limit = t->n_lines < 15 ? t->n_lines : 15;
    for (size_t li = 0; li < limit; li++) {
        const line_span *l = &t->lines[li];
        if (line_is_empty(l) || (!match_str(t, l->start, "关于") && !match_str(t, l->start, "關於")))
            continue;
        size_t last = li;
        /* Join the next line while the title is unfinished, or when the next line is the
         * tail of a wrapped title: "关于寒假放假安排" + "的通知". */
        while (last + 1 < t->n_lines && last < li + 2 && !line_is_empty(&t->lines[last + 1]) &&
               t->lines[last + 1].end - t->lines[last + 1].start < 30 &&
               (!ends_with_any(t, t->lines[li].start, t->lines[last].end, doc_kinds) ||
                t->cp[t->lines[last + 1].start] == 0x7684)) /* 的 */
            last++;
        int complete = ends_with_any(t, t->lines[li].start, t->lines[last].end, doc_kinds);
        if (!complete)
            last = li;
        if (line_ends_sentence(t, &t->lines[last]))
            continue;
        title_from_lines(t, li, last, out, complete ? 0.92 : 0.6);
        return 1;
    }
    return 0;
}

static int has_han(const cp_text *t, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++)
        if (is_han(t->cp[i]))
            return 1;
    return 0;
}

/* Labels whose value is the title: 主旨：(a Taiwan 函), 事由：, 標題：, 有關：(a Hong Kong
 * letter's or circular's subject line, the Chinese of "Re:"), Subject:, Re:. A label needs
 * its colon (label_end), so a 主旨 that opens "有關本縣…" is not mistaken for one. */
static const char *const subject_labels[] = {
    "主旨", "開會事由", "开会事由", "事由", "標題", "标题", "主題", "主题", "題目", "题目",
    "有關", "有关",
    "Subject", "SUBJECT", "Title", "TITLE", "Re", "RE", NULL};

/* Where a label opening line l ends, its colon included; 0 when it has none. */
static size_t label_end(const cp_text *t, const line_span *l, const char *const *labels)
{
    size_t used;
    if (!starts_with_any(t, l->start, labels, &used))
        return 0;
    size_t k = skip_spaces(t, l->start + used);
    if (k < l->end && t->cp[k] == ':')
        return k + 1;
    /* OCR drops the colon of a 公文's 主旨 ("主旨 本校…"): the label alone at the head of its
     * line, a space, then Chinese text, is still the label. */
    if (match_str(t, l->start, "主旨") && k > l->start + used && k < l->end && is_han(t->cp[k]))
        return k;
    return 0;
}

/* A "field: value" line (受文者：, 地址：, To:, Date:): a colon within its first few
 * characters. Such a line is a header field, never the title. */
static int is_field_line(const cp_text *t, const line_span *l)
{
    for (size_t i = l->start; i < l->end && i <= l->start + 10; i++)
        if (t->cp[i] == ':')
            return i > l->start;
    return 0;
}

/* 一、 (一) 1. 1、 第一章 第三條 壹、 Section 2: numbered headings inside the body. */
static int is_section_heading(const cp_text *t, const line_span *l)
{
    static const char *const ordinals = "一二三四五六七八九十壹貳參肆伍陸柒捌玖拾贰叁";
    size_t k = l->start;
    if (k < l->end && t->cp[k] == '(')
        k++;
    size_t first = k;
    while (k < l->end && (digit_of(t->cp[k]) >= 0 || in_set(ordinals, t->cp[k])))
        k++;
    if (k > first && k < l->end) {
        uint32_t c = t->cp[k];
        if (c == 0x3001 || c == ')' || (c == '.' && digit_of(t->cp[first]) >= 0 &&
                                        (k + 1 >= l->end || digit_of(t->cp[k + 1]) < 0)))
            return 1;
    }
    if (t->cp[l->start] == 0x7B2C) { /* 第…章/條/条/节/節 */
        k = l->start + 1;
        while (k < l->end && (digit_of(t->cp[k]) >= 0 || in_set(ordinals, t->cp[k])))
            k++;
        return k > l->start + 1 && k < l->end && in_set("章條条節节款", t->cp[k]);
    }
    return match_str(t, l->start, "Section ") > 0;
}

/*
 * The issuer's name alone, as a letterhead prints it, possibly with the kind of document
 * beside it: 臺北市政府教育局　函, 臺北市立建國高級中學　公告, 江城一中文件, Education Bureau,
 * Greenfield English School. A kind of document alone (公告, 家長通告, MEMO) is no title
 * either.
 */
static int is_letterhead(const cp_text *t, const line_span *l)
{
    static const char *const kinds[] = {"家長通告", "家长通告", "開會通知單", "书函", "書函",
                                        "公告", "通告", "通知", "文件", "函", "簽", "签", "令",
                                        "MEMORANDUM", "Memorandum", "MEMO", "Memo", NULL};
    static const char *const org_suffixes[] = {
        "政府", "局", "部", "處", "处", "署", "室", "中心", "學校", "学校", "中學", "中学",
        "小學", "小学", "大學", "大学", "學院", "学院", "附中", "幼兒園", "幼儿园", "委員會",
        "委员会", "書院", "书院", "School", "College", "Bureau", "University", "Academy",
        "Elementary", "Office", "Department", "Institute", NULL};
    size_t s = l->start, e = l->end;
    int kind = 0;
    for (size_t w = 0; kinds[w]; w++)
        if (ends_with_any(t, s, e, (const char *const[]){kinds[w], NULL})) {
            e -= utf8_chars(kinds[w]);
            kind = 1;
            break;
        }
    while (e > s && is_space(t->cp[e - 1]))
        e--;
    if (e == s)
        return kind; /* the kind alone */
    if (e - s > 40 || line_ends_sentence(t, &(line_span){s, e}))
        return 0;
    return ends_with_any(t, s, e, org_suffixes) || match_str(t, s, "The Government of");
}

/* Ends a Taiwan 主旨 before its closing formula: "…事宜，請查照。" → "…事宜". Each trailing
 * clause that begins with a request (請, 敬請, 希, 簽請, 詳如…) is dropped, then the full
 * stop. */
static size_t strip_formulae(const cp_text *t, size_t s, size_t e)
{
    static const char *const requests[] = {
        "請", "请", "敬請", "敬请", "惠請", "惠请", "希", "簽請", "签请", "詳如", "详如",
        "報請", "报请", "並請", "并请", "檢請", "检请", "陳請", "陈请", "函請", "函请", "特此",
        "懇請", "恳请", "呈請", "呈请", "恭請", "恭请", "敬祈", "敬陳", "敬陈", "謹陳", "谨陈",
        NULL};
    for (;;) {
        while (e > s && (is_space(t->cp[e - 1]) || t->cp[e - 1] == 0x3002 || t->cp[e - 1] == '.'))
            e--;
        size_t comma = e;
        while (comma > s && t->cp[comma - 1] != ',' && t->cp[comma - 1] != 0x3001)
            comma--;
        size_t used;
        size_t clause = comma;
        while (clause < e && (is_space(t->cp[clause]) || t->cp[clause] == '\n'))
            clause++; /* "…要點」，" + "請查照。" wrapped */
        if (comma <= s + 1 || !starts_with_any(t, clause, requests, &used))
            return e;
        e = comma - 1;
    }
}

/* Where the first clause of s..e ends: its first comma outside 「」『』《》() and quotation
 * marks, or e. */
static size_t first_clause_end(const cp_text *t, size_t s, size_t e)
{
    int depth = 0;
    for (size_t i = s; i < e; i++) {
        uint32_t c = t->cp[i];
        if (in_set("「『《〈(“", c))
            depth++;
        else if (in_set("」』》〉)”", c) && depth > 0)
            depth--;
        else if (depth == 0 && (c == ',' || c == ';'))
            return i;
    }
    return e;
}

/* A 簽's 主旨 proposes: "擬辦理本校教師節感恩茶會，所需經費新臺幣2萬元，簽請 核示。" The
 * proposal is the first clause; what follows are its terms (cost, dates, who pays), which
 * no title carries. */
static size_t proposal_end(const cp_text *t, size_t s, size_t e)
{
    if (!match_str(t, s, "擬") && !match_str(t, s, "拟"))
        return e;
    return first_clause_end(t, s, e);
}

static int could_be_title(const cp_text *t, const line_span *l, size_t max_len);

/* Does a heading-like line come before line li (差旅费报销凭证 above its 事由： field)? */
static int heading_before(const cp_text *t, size_t li)
{
    for (size_t j = 0; j < li; j++)
        if (could_be_title(t, &t->lines[j], 40))
            return 1;
    return 0;
}

static int title_labelled(const cp_text *t, dg_field *out)
{
    size_t limit = t->n_lines < 20 ? t->n_lines : 20;
    for (size_t li = 0; li < limit; li++) {
        const line_span *l = &t->lines[li];
        size_t k = line_is_empty(l) ? 0 : label_end(t, l, subject_labels);
        if (!k)
            continue;
        size_t s = skip_spaces(t, k), last = li;
        if (s >= l->end)
            continue;
        /* 事由： heads a memo or a 簽 (the subject) but is also a field of a form: on a
         * 报销单 or 请假单 it is the trip's or the leave's reason, under the form's own
         * heading. After a heading it is a field. */
        if (match_str(t, l->start, "事由") && heading_before(t, li))
            continue;
        int chinese = has_han(t, s, l->end);
        /* A 主旨 is a sentence ending in 。 (…，請查照。) and a long one wraps: join lines up
         * to one ending in 。 when no blank line or next field (說明：) comes first. Other
         * labels (事由：, 標題：) carry a title, which does not wrap into the body. */
        int sentence = match_str(t, l->start, "主旨") > 0;
        for (size_t j = li; sentence && j < t->n_lines && j <= li + 3; j++) {
            const line_span *lj = &t->lines[j];
            if (line_is_empty(lj) ||
                (j > li && (is_field_line(t, lj) || is_section_heading(t, lj))))
                break;
            if (t->cp[lj->end - 1] == 0x3002) {
                last = j;
                break;
            }
        }
        size_t e = chinese ? proposal_end(t, s, strip_formulae(t, s, t->lines[last].end))
                           : l->end;
        if (e <= s)
            continue;
        size_t n = 0;
        out->value[0] = '\0';
        for (size_t j = li; j <= last; j++) {
            size_t from = j == li ? s : t->lines[j].start;
            size_t to = t->lines[j].end < e ? t->lines[j].end : e;
            if (from < to)
                emit_title(t, from, to, out->value, sizeof out->value, &n);
        }
        field_set(out, t, s, e, 0.9);
        return 1;
    }
    return 0;
}

/*
 * The header fields of a Taiwan 公文 (函, 書函, 令, 公告, 開會通知單), which OCR may read
 * without their colon ("速別 普通件") or which run past is_field_line()'s reach
 * ("密等及解密條件或保密期限："): none is ever the title.
 */
static int is_gongwen_field(const cp_text *t, const line_span *l)
{
    static const char *const labels[] = {
        "受文者", "發文日期", "发文日期", "發文字號", "发文字号", "速別", "速别", "密等",
        "解密條件", "檔號", "档号", "保存年限", "正本", "副本", "地址", "聯絡人", "联络人",
        "聯絡電話", "联络电话", "電話", "电话", "傳真", "传真", "電子信箱", "电子信箱",
        "電子郵件", "承辦人", "承办人", "決行", "决行", "裝訂線", "装订线", "附件",
        "密等及解密條件或保密期限", "密等及解密条件或保密期限", NULL};
    /* The label stands alone: a colon, a space, a digit or nothing follows it ("電話費報銷單"
     * is a title, "電話 (02)2345" a field). */
    for (size_t w = 0; labels[w]; w++) {
        size_t used = match_str(t, l->start, labels[w]);
        if (used && (l->start + used >= l->end || !is_han(t->cp[l->start + used])))
            return 1;
    }
    return 0;
}

/* An attachment line under a 令 or 函: "附修正「…準則」", "附件：…", "附表一", "附錄". (附 alone
 * is not enough: 附中 begins many a school's name.) */
static int is_attachment_line(const cp_text *t, const line_span *l)
{
    static const char *const heads[] = {
        "附件", "附表", "附錄", "附录", "附圖", "附图", "附修正", "附訂定", "附订定", "附廢止",
        "附废止", "附「", "附《", "附:", "Attachment", "Enclosure", "Encl.", NULL};
    size_t used;
    return starts_with_any(t, l->start, heads, &used);
}

static int is_header_noise(const cp_text *t, const line_span *l)
{
    if (is_gongwen_field(t, l) || is_attachment_line(t, l))
        return 1;
    static const char *const noise[] = {"To:", "From:", "Date:", "Ref", "CC:", "Cc:",
                                        "No.", "Memo", "MEMO", "签发人", "編號", "编号", NULL};
    size_t used;
    if (starts_with_any(t, l->start, noise, &used) || is_field_line(t, l) ||
        is_section_heading(t, l) || is_letterhead(t, l))
        return 1;
    if (ends_with_any(t, l->start, l->end, (const char *const[]){"文件", NULL}))
        return 1; /* 红头 "XX中学文件" is the issuer, not the title */
    for (size_t i = l->start; i < l->end; i++) {
        date_match dm;
        number_match nm;
        if (parse_date_at(t, i, &dm) || parse_doc_number_at(t, i, &nm))
            return 1;
    }
    for (size_t i = l->start; i < l->end; i++)
        if (match_str(t, i, "秘密") || match_str(t, i, "机密") || match_str(t, i, "绝密") ||
            t->cp[i] == 0x2605)
            return 1;
    return 0;
}

/* A salutation or addressee line: "Dear Parents,", "各位家長：", "敬啟者：", "致各中學校長：". */
static int is_salutation(const cp_text *t, const line_span *l)
{
    if (match_str(t, l->start, "Dear ") || match_str(t, l->start, "DEAR "))
        return 1;
    uint32_t last = t->cp[l->end - 1];
    return last == ':' && l->end - l->start <= 24 && is_han(t->cp[l->start]) &&
           !is_field_line(t, &(line_span){l->start, l->end - 1});
}

/* A line that could be a title: short, not a sentence, not a header field, letterhead,
 * section number, date or addressee. */
static int could_be_title(const cp_text *t, const line_span *l, size_t max_len)
{
    return !line_is_empty(l) && l->end - l->start <= max_len && !line_ends_sentence(t, l) &&
           !is_header_noise(t, l) && !is_salutation(t, l);
}

/* Under a salutation the letterhead is past: "Welcome Back to School" is a subject there. */
static int could_be_subject(const cp_text *t, const line_span *l)
{
    if (line_is_empty(l) || l->end - l->start > 100 || line_ends_sentence(t, l) ||
        is_salutation(t, l) || is_field_line(t, l) || is_section_heading(t, l))
        return 0;
    for (size_t i = l->start; i < l->end; i++) {
        date_match dm;
        if (parse_date_at(t, i, &dm))
            return 0;
    }
    return 1;
}

static int title_heading(const cp_text *t, dg_field *out)
{
    size_t limit = t->n_lines < 12 ? t->n_lines : 12;
    /* A short line naming a kind of document (会议纪要, 实施方案, 报销单) first. */
    for (size_t li = 0; li < limit; li++) {
        const line_span *l = &t->lines[li];
        if (could_be_title(t, l, 40) && ends_with_any(t, l->start, l->end, doc_kinds)) {
            title_from_lines(t, li, li, out, 0.75);
            return 1;
        }
    }
    /* A letter's subject stands right under its salutation ("Dear Parents," then
     * "Swimming Gala"), unlabelled in many English and Hong Kong letters. */
    for (size_t li = 0; li + 1 < t->n_lines && li < 20; li++) {
        if (line_is_empty(&t->lines[li]) || !is_salutation(t, &t->lines[li]))
            continue;
        size_t next = li + 1;
        while (next < t->n_lines && line_is_empty(&t->lines[next]))
            next++;
        if (next < t->n_lines && could_be_subject(t, &t->lines[next])) {
            title_from_lines(t, next, next, out, 0.7);
            return 1;
        }
        break;
    }
    for (size_t li = 0, seen = 0; li < t->n_lines && seen < 8; li++) {
        const line_span *l = &t->lines[li];
        if (line_is_empty(l))
            continue;
        seen++;
        if (!could_be_title(t, l, 80))
            continue;
        title_from_lines(t, li, li, out, 0.5);
        return 1;
    }
    return 0;
}

/*
 * A 令 (教育部　令, 臺北市政府　令, a school's 人事令) has no 主旨: under its letterhead and
 * header fields stands one sentence saying what it decrees ("修正「國民小學及國民中學學生成
 * 績評量準則」。", "核定王○○自113年8月1日起聘任為本校專任教師。"), then the 附… lines and
 * the signature. That sentence, its full stop and closing formulae cut, is the title.
 */
static int title_decree(const cp_text *t, dg_field *out)
{
    size_t li = 0, seen = 0;
    int found = 0;
    for (; li < t->n_lines && seen < 3 && !found; li++) {
        const line_span *l = &t->lines[li];
        if (line_is_empty(l))
            continue;
        seen++;
        found = ends_with_any(t, l->start, l->end, (const char *const[]){"令", NULL}) &&
                is_letterhead(t, l);
    }
    if (!found)
        return 0;
    li--; /* the letterhead */
    for (size_t j = li + 1; j < t->n_lines && j <= li + 12; j++) {
        const line_span *l = &t->lines[j];
        if (line_is_empty(l) || is_field_line(t, l) || is_gongwen_field(t, l))
            continue;
        if (is_attachment_line(t, l) || is_section_heading(t, l) || !has_han(t, l->start, l->end))
            return 0;
        size_t last = j; /* a long sentence wraps: up to the line ending in 。 */
        while (last < j + 2 && last + 1 < t->n_lines && t->cp[t->lines[last].end - 1] != 0x3002 &&
               !line_is_empty(&t->lines[last + 1]) && !is_attachment_line(t, &t->lines[last + 1]))
            last++;
        if (t->cp[t->lines[last].end - 1] != 0x3002)
            last = j;
        size_t e = strip_formulae(t, l->start, t->lines[last].end);
        if (e <= l->start || e - l->start > 150)
            return 0;
        size_t n = 0;
        out->value[0] = '\0';
        for (size_t k = j; k <= last; k++) {
            size_t to = t->lines[k].end < e ? t->lines[k].end : e;
            if (t->lines[k].start < to)
                emit_title(t, t->lines[k].start, to, out->value, sizeof out->value, &n);
        }
        field_set(out, t, l->start, e, 0.75);
        return 1;
    }
    return 0;
}

static void title_in(const cp_text *t, dg_field *out)
{
    if (!title_labelled(t, out) && !title_decree(t, out) && !title_about(t, out))
        title_heading(t, out);
}

void dg_extract_title(const char *text, size_t len, dg_field *out)
{
    field_clear(out);
    cp_text t;
    if (!text || !cp_text_init(&t, text, len))
        return;
    title_in(&t, out);
    cp_text_free(&t);
}

/* ---- issuing department ---------------------------------------------------------------- */

static const char *const dept_suffixes[] = {
    "办公室", "处", "科", "部", "室", "中心", "委员会", "工会", "团委", "党委", "党支部",
    "教研组", "年级组", "组", "图书馆", "学校", "中学", "小学", "大学", "学院", "幼儿园",
    "辦公室", "處", "委員會", "組", "團委", "黨委", "圖書館", "學校", "學院", "中學", "小學",
    "大學", "教育局", "政府", "署", NULL};

static const char *const dept_suffixes_en[] = {
    "Office", "Department", "Dept.", "Committee", "Division", "Centre", "Center", "Board",
    "Bureau", "Union", "Council", "School", "College", "Library", "Team", "Section", NULL};

/* With ASCII colons: the scanners read the text with full-width forms folded (：→:). */
static const char *const dept_labels[] = {
    "From:", "Issued by:", "Department:", "Prepared by:", "发文单位:", "發文單位:",
    "发文机关:", "發文機關:", "部门:", "申请部门:", "经办部门:", "单位:", "單位:", "部門:",
    "报送单位:", "承办部门:", NULL};

static int looks_like_department(const cp_text *t, size_t s, size_t e)
{
    if (e <= s || e - s > 30)
        return 0;
    if (is_han(t->cp[s]))
        return ends_with_any(t, s, e, dept_suffixes) && e - s <= 20;
    if (t->cp[s] < 0x80 && isupper((int)t->cp[s]) && !line_ends_sentence(t, &(line_span){s, e}))
        return ends_with_any(t, s, e, dept_suffixes_en) || match_str(t, s, "Office of");
    return 0;
}

static void department_set(const cp_text *t, size_t s, size_t e, dg_field *out, double conf)
{
    size_t n = 0;
    out->value[0] = '\0';
    emit_compact(t, s, e, out->value, sizeof out->value, &n);
    field_set(out, t, s, e, conf);
}

static int has_colon(const cp_text *t, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++)
        if (t->cp[i] == ':' || t->cp[i] == 0xFF1A)
            return 1;
    return 0;
}

/* The signature block: the last lines, a department alone or just before the date. */
static int department_signature(const cp_text *t, dg_field *out)
{
    size_t seen = 0;
    for (size_t li = t->n_lines; li-- > 0 && seen < 4;) {
        const line_span *l = &t->lines[li];
        if (line_is_empty(l))
            continue;
        seen++;
        size_t e = l->end;
        for (size_t i = l->start; i < l->end; i++) {
            date_match dm;
            if (parse_date_at(t, i, &dm)) {
                e = i;
                break;
            }
        }
        while (e > l->start && is_space(t->cp[e - 1]))
            e--;
        if (has_colon(t, l->start, e))
            continue; /* "From: …", "Date: …": labelled lines are handled by label */
        if (looks_like_department(t, l->start, e)) {
            department_set(t, l->start, e, out, 0.85);
            return 1;
        }
    }
    return 0;
}

/* A labelled department: at the start of a line, or after a space on a form's line of
 * several fields ("报销人：王老师  部门：教务处"). */
static int department_labelled(const cp_text *t, dg_field *out)
{
    for (size_t li = 0; li < t->n_lines; li++) {
        const line_span *l = &t->lines[li];
        size_t used = 0, at = l->start;
        for (; at < l->end; at++)
            if ((at == l->start || is_space(t->cp[at - 1])) &&
                starts_with_any(t, at, dept_labels, &used))
                break;
        if (at >= l->end)
            continue;
        size_t s = skip_spaces(t, at + used), e = l->end;
        for (size_t i = s; i < e; i++) /* "From: Finance Office, Room 201" keeps the name */
            if (t->cp[i] == ',' || t->cp[i] == 0xFF0C || t->cp[i] == ';' || t->cp[i] == 0xFF1B ||
                t->cp[i] == 0x3001 || (is_space(t->cp[i]) && is_han(t->cp[s]))) {
                e = i;
                break;
            }
        if (e > s && e - s <= 30) {
            department_set(t, s, e, out, 0.8);
            return 1;
        }
    }
    return 0;
}

static int department_header(const cp_text *t, dg_field *out)
{
    for (size_t li = 0, seen = 0; li < t->n_lines && seen < 3; li++) {
        const line_span *l = &t->lines[li];
        if (line_is_empty(l))
            continue;
        seen++;
        if (has_colon(t, l->start, l->end))
            continue; /* 受文者：… names the addressee, not the issuer */
        size_t e = l->end;
        /* The issuer with the kind of document beside it: XX中学文件, 臺北市政府教育局　函,
         * 臺北市立建國高級中學　公告. */
        static const char *const kinds[] = {"文件", "書函", "函", "公告", NULL};
        for (size_t w = 0; kinds[w]; w++)
            if (ends_with_any(t, l->start, e, (const char *const[]){kinds[w], NULL})) {
                e -= utf8_chars(kinds[w]);
                break;
            }
        while (e > l->start && is_space(t->cp[e - 1]))
            e--;
        if (looks_like_department(t, l->start, e)) {
            department_set(t, l->start, e, out, 0.7);
            return 1;
        }
    }
    return 0;
}

static void department_in(const cp_text *t, dg_field *out)
{
    if (!department_labelled(t, out) && !department_signature(t, out))
        department_header(t, out);
}

void dg_extract_department(const char *text, size_t len, dg_field *out)
{
    field_clear(out);
    cp_text t;
    if (!text || !cp_text_init(&t, text, len))
        return;
    department_in(&t, out);
    cp_text_free(&t);
}

/* ---- secrecy --------------------------------------------------------------------------- */

static int is_star(uint32_t c)
{
    return c == 0x2605 || c == 0x2606 || c == '*' || c == 0x2736 || c == 0x272A;
}

static dg_secrecy_level secrecy_word_at(const cp_text *t, size_t i)
{
    /* Every mark below is two characters ending in 密: a position whose next character is
     * not 密 opens none of them, and the scan asks at every position of a record. */
    if (i + 1 >= t->n || t->cp[i + 1] != 0x5BC6)
        return DG_SECRECY_NONE;
    if (match_str(t, i, "绝密") || match_str(t, i, "絕密"))
        return DG_SECRECY_TOP_SECRET;
    if (match_str(t, i, "机密") || match_str(t, i, "機密"))
        return DG_SECRECY_CONFIDENTIAL;
    if (match_str(t, i, "秘密"))
        return DG_SECRECY_SECRET;
    return DG_SECRECY_NONE;
}

/* "5年", "10 年", "五年", "十年" after the star; returns code points used. */
static size_t read_period(const cp_text *t, size_t k, int *years)
{
    size_t s = skip_spaces(t, k);
    size_t got = read_number(t, s, 2, 0, years);
    if (!got)
        got = read_cn_number(t, s, years);
    if (!got)
        return 0;
    size_t e = skip_spaces(t, s + got);
    if (e < t->n && t->cp[e] == 0x5E74)
        return e + 1 - k;
    return 0;
}

typedef struct secrecy_match {
    dg_secrecy_level level;
    int years;
    size_t start, end;
    double confidence;
} secrecy_match;

static int secrecy_at(const cp_text *t, size_t i, size_t li, secrecy_match *out)
{
    dg_secrecy_level level = secrecy_word_at(t, i);
    if (level == DG_SECRECY_NONE)
        return 0;
    size_t k = skip_spaces(t, i + 2);
    int star = k < t->n && is_star(t->cp[k]);
    int years = 0;
    if (star) {
        k++;
        size_t used = read_period(t, k, &years);
        k += used;
    }
    const line_span *l = &t->lines[li];
    /* Without a star, only a short header line that is just the mark counts: 秘密 in a
     * sentence ("保守国家秘密") is not a marking. */
    if (!star && (li >= 8 || l->end - l->start > 12 || i > l->start + 2))
        return 0;
    *out = (secrecy_match){level, years, i, star ? k : i + 2, star ? 0.95 : 0.8};
    return 1;
}

/* "保密期限：5年" or "期限：10年" on a nearby header line gives the period separately. */
static int period_nearby(const cp_text *t, size_t li, int *years)
{
    for (size_t j = li; j < t->n_lines && j < li + 3; j++) {
        const line_span *l = &t->lines[j];
        for (size_t i = l->start; i + 2 < l->end; i++) {
            if (!match_str(t, i, "期限"))
                continue;
            size_t k = skip_spaces(t, i + 2);
            if (k < l->end && (t->cp[k] == ':' || t->cp[k] == 0xFF1A))
                k++;
            if (read_period(t, k, years))
                return 1;
        }
    }
    return 0;
}

static int internal_mark(const cp_text *t, secrecy_match *out)
{
    static const char *const marks[] = {"内部资料", "内部文件", "内部", "內部",
                                        "For internal use only", "FOR INTERNAL USE ONLY",
                                        "Internal", "INTERNAL", NULL};
    for (size_t li = 0; li < t->n_lines && li < 8; li++) {
        const line_span *l = &t->lines[li];
        size_t used;
        if (line_is_empty(l) || !starts_with_any(t, l->start, marks, &used))
            continue;
        size_t rest = skip_spaces(t, l->start + used);
        if (rest < l->end && is_star(t->cp[rest]))
            rest = l->end;
        if (l->end - l->start <= 24 && (rest >= l->end || l->end - rest < 8)) {
            *out = (secrecy_match){DG_SECRECY_INTERNAL, 0, l->start, l->start + used, 0.7};
            return 1;
        }
    }
    return 0;
}

static void secrecy_in(const cp_text *t, dg_field *out, dg_secrecy_level *level, int *years)
{
    secrecy_match best = {0};
    for (size_t i = 0; i < t->n; i++) {
        secrecy_match sm;
        if (secrecy_word_at(t, i) == DG_SECRECY_NONE)
            continue; /* before the line's search: most positions hold no mark */
        size_t li = line_of(t, i);
        if (!secrecy_at(t, i, li, &sm))
            continue;
        if (!sm.years)
            period_nearby(t, li, &sm.years);
        if (sm.level > best.level || (sm.level == best.level && sm.confidence > best.confidence))
            best = sm;
    }
    if (best.level == DG_SECRECY_NONE)
        internal_mark(t, &best);
    if (best.level != DG_SECRECY_NONE) {
        static const char *const words[] = {"", "内部", "秘密", "机密", "绝密"};
        field_set(out, t, best.start, best.end, best.confidence);
        if (best.years)
            snprintf(out->value, sizeof out->value, "%s\xe2\x98\x85%d\xe5\xb9\xb4",
                     words[best.level], best.years); /* ★ N 年 */
        else
            snprintf(out->value, sizeof out->value, "%s", words[best.level]);
        *level = best.level;
        *years = best.years;
    }
}

void dg_extract_secrecy(const char *text, size_t len, dg_field *out, dg_secrecy_level *level,
                        int *years)
{
    field_clear(out);
    *level = DG_SECRECY_NONE;
    *years = 0;
    cp_text t;
    if (!text || !cp_text_init(&t, text, len))
        return;
    secrecy_in(&t, out, level, years);
    cp_text_free(&t);
}

int dg_secrecy_access_level(dg_secrecy_level level)
{
    switch (level) {
    case DG_SECRECY_INTERNAL:
        return 1;
    case DG_SECRECY_SECRET:
        return 3;
    case DG_SECRECY_CONFIDENTIAL:
    case DG_SECRECY_TOP_SECRET:
        return 4;
    default:
        return 0;
    }
}

int dg_secrecy_default_years(dg_secrecy_level level)
{
    switch (level) {
    case DG_SECRECY_SECRET:
        return 10;
    case DG_SECRECY_CONFIDENTIAL:
        return 20;
    case DG_SECRECY_TOP_SECRET:
        return 30;
    default:
        return 0;
    }
}

const char *dg_secrecy_name(dg_secrecy_level level)
{
    static const char *const names[] = {"none", "internal", "secret", "confidential",
                                        "top_secret"};
    return (unsigned)level <= DG_SECRECY_TOP_SECRET ? names[level] : "none";
}

/* ---- everything ------------------------------------------------------------------------ */

dg_status dg_extract_metadata(const char *text, size_t len, dg_metadata *out, dg_error *err)
{
    if (!out || (!text && len))
        return dg_error_set(err, DG_ERR_USAGE, "metadata extraction: no text or no output");
    memset(out, 0, sizeof *out);
    if (!text)
        return DG_OK;
    /* One decoding of the text for all five fields (each public extractor decodes its own:
     * the decoding and its locale scan were a fifth of a born-digital record's filing). */
    cp_text t;
    if (!cp_text_init(&t, text, len))
        return dg_error_set(err, DG_ERR_NOMEM, "metadata extraction: out of memory");
    date_in(&t, &out->date, &out->year, &out->month, &out->day);
    doc_number_in(&t, &out->doc_number);
    title_in(&t, &out->title);
    department_in(&t, &out->department);
    secrecy_in(&t, &out->secrecy, &out->secrecy_level, &out->secrecy_years);
    cp_text_free(&t);
    return DG_OK;
}
