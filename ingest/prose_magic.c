/*
 * prose_magic.c — libmagic's binary tests, cut down to those that can match prose (see
 * prose_magic.h).
 *
 * The compiled database (file 5.44: src/apprentice.c writes it, check_buffer() reads it) is
 * an array of 376-byte entries (struct magic of src/file.h, format 18). The first is a
 * header (magic number, format, the number of entries of each of the two sets), then set 0
 * (every test but the named ones, in the order libmagic tries them) and set 1 (the named
 * tests). An entry at continuation level 0 opens a test; the entries after it at higher
 * levels are its continuations, run only when it matched.
 *
 * Why a removed test cannot change an answer. With MAGIC_NO_CHECK_TEXT libmagic runs set 0
 * only through file_softmagic(..., BINTEST, ...), whose match() skips every top-level test
 * without BINTEST in its flags: those are removed. For any other test match() computes the
 * offset, fetches the bytes there (mget) and compares them (magiccheck); when that fails it
 * skips the test's continuations and goes on with the next test, with nothing printed and
 * nothing kept. So a test whose first level fails on every prose buffer may go: the first
 * test that matches, and all that it prints, stay the same.
 *
 * When a test's first level provably fails on a prose buffer (anything else is kept):
 *   - its offset is a plain number from the start (not indirect, relative or from the end);
 *   - it fetches fixed bytes there: a byte or a 16, 32 or 64-bit number or date in one byte
 *     order, with no mask or an AND mask (DO_CVT in softmagic.c), or a string ("string",
 *     or a "search" anywhere in its range);
 *   - its relation is '=' (for numbers also '&', and '<' or '>' when unsigned);
 *   - so each byte from the offset on has a set of values the test accepts. For a string
 *     that is what file_strncmp() accepts: the byte itself, or under /c and /C whatever this
 *     process's locale folds to it (libmagic compares with the locale too), and only up to
 *     the first space of a pattern compared with /w or /W (past it the positions shift);
 *   - and no prose buffer has bytes there in those sets: each must be a byte a prose buffer
 *     may hold, in a sequence valid UTF-8 allows (an automaton of how many continuation
 *     bytes are due), and at offset 0 a lead byte. Past the end of the buffer libmagic
 *     fails a number or string that does not fit (mget's OFFSET_OOB) for every type above
 *     but the 64-bit ones, whose missing bytes it reads as zeros: for those, only the bytes
 *     up to the last one that cannot be zero must be in the buffer.
 * A "search" may match anywhere in its range, so its pattern is checked as a sequence at any
 * place of a buffer. '<' and '>' are checked on the least and greatest number a prose
 * buffer can hold there.
 *
 * An "indirect" test runs all of set 0 again on the buffer from some offset on: a suffix of
 * the prose buffer, which may open with any byte a prose buffer holds. So if a kept test, or
 * a named test it uses, holds one, the cut is made again with no rule for offset 0. With
 * file 5.44's database none is reached.
 */
#include "prose_magic.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/utf8.h"

/* ---- the compiled format (file 5.44, src/file.h) ---------------------------------------- */

#define MGC_MAGIC 0xF11E041Cu
#define MGC_FORMAT 18u
#define MGC_ENTRY 376
#define MGC_STRING_MAX 128 /* MAXstring */

/* Offsets of struct magic's fields. */
enum {
    AT_CONT_LEVEL = 0, /* uint16_t */
    AT_FLAG = 2,
    AT_RELN = 4,
    AT_VALLEN = 5,
    AT_TYPE = 6,
    AT_MASK_OP = 9,
    AT_OFFSET = 12,    /* int32_t */
    AT_MASK = 24,      /* uint64_t num_mask; for strings: uint32_t range, uint32_t flags */
    AT_STR_FLAGS = 28,
    AT_VALUE = 32,     /* a number (uint64_t) or MGC_STRING_MAX bytes */
};

/* struct magic's flag bits. */
enum { F_INDIR = 0x01, F_OFFADD = 0x02, F_INDIROFFADD = 0x04, F_UNSIGNED = 0x08,
       F_BINTEST = 0x20, F_OFFNEGATIVE = 0x80 };

/* Types (FILE_*). */
enum {
    T_BYTE = 1, T_SHORT = 2, T_LONG = 4, T_STRING = 5, T_DATE = 6, T_BESHORT = 7,
    T_BELONG = 8, T_BEDATE = 9, T_LESHORT = 10, T_LELONG = 11, T_LEDATE = 12, T_LDATE = 14,
    T_BELDATE = 15, T_LELDATE = 16, T_SEARCH = 20, T_QUAD = 24, T_LEQUAD = 25,
    T_BEQUAD = 26, T_QDATE = 27, T_LEQDATE = 28, T_BEQDATE = 29, T_QLDATE = 30,
    T_LEQLDATE = 31, T_BEQLDATE = 32, T_INDIRECT = 41, T_QWDATE = 42, T_LEQWDATE = 43,
    T_BEQWDATE = 44, T_NAME = 45, T_USE = 46,
};

/* String flags (str_flags). */
enum { S_COMPACT_WHITESPACE = 1 << 0, S_COMPACT_OPTIONAL_WHITESPACE = 1 << 1,
       S_IGNORE_LOWERCASE = 1 << 2, S_IGNORE_UPPERCASE = 1 << 3, S_REGEX_OFFSET_START = 1 << 4,
       S_TEXTTEST = 1 << 5, S_BINTEST = 1 << 6, S_FULL_WORD = 1 << 14 };

/* Mask operators (mask_op): only a plain AND is modelled. */
enum { OP_MASK = 0x07, OP_AND = 0, OP_INVERSE = 0x40, OP_INDIRECT = 0x80 };

static const unsigned char *entry_at(const unsigned char *db, size_t i)
{
    return db + (size_t)MGC_ENTRY * (i + 1);
}

static unsigned u8_at(const unsigned char *e, size_t at) { return e[at]; }

static unsigned u16_at(const unsigned char *e, size_t at)
{
    uint16_t v;
    memcpy(&v, e + at, sizeof v);
    return v;
}

static uint32_t u32_at(const unsigned char *e, size_t at)
{
    uint32_t v;
    memcpy(&v, e + at, sizeof v);
    return v;
}

static uint64_t u64_at(const unsigned char *e, size_t at)
{
    uint64_t v;
    memcpy(&v, e + at, sizeof v);
    return v;
}

static int32_t offset_of(const unsigned char *e)
{
    int32_t v;
    memcpy(&v, e + AT_OFFSET, sizeof v);
    return v;
}

/* ---- prose buffers ---------------------------------------------------------------------- */

/* The ASCII a prose buffer may hold besides letters and digits (detect.c's prose admits no
 * more: it refuses its code signs and every control but these). */
static const char prose_ascii[] = "\t\n\r !\"'(),-./:?";

static int prose_byte(unsigned b)
{
    if (b >= 0x80)
        return b <= 0xBF || (b >= 0xC2 && b <= 0xF4);
    if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))
        return 1;
    return b != 0 && strchr(prose_ascii, (int)b) != NULL;
}

int dg_prose_magic_admits(const void *data, size_t len)
{
    const unsigned char *s = data;
    if (len < 2 || s[0] < 0xC2 || dg_utf8_invalid_at(data, len) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x80 && !prose_byte(s[i]))
            return 0;
    return 1;
}

/* ---- byte sets and the automaton -------------------------------------------------------- */

typedef struct byteset {
    uint64_t w[4];
} byteset;

static void set_add(byteset *s, unsigned b) { s->w[b >> 6] |= (uint64_t)1 << (b & 63); }
static int set_has(const byteset *s, unsigned b) { return (s->w[b >> 6] >> (b & 63)) & 1; }

/* Up to this offset the automaton starts at the buffer's first byte (see lead_in). */
#define LEAD_IN_MAX 8

/* What a test accepts at offset, offset+1, ...: n sets (and room to put a lead-in before). */
typedef struct pattern {
    size_t n;
    byteset at[LEAD_IN_MAX + MGC_STRING_MAX];
} pattern;

/* The prose bytes of each kind: ASCII (nothing due after it), continuation bytes, and lead
 * bytes that leave 1, 2 or 3 continuation bytes due. */
enum { K_ASCII, K_CONT, K_LEAD2, K_LEAD3, K_LEAD4, KINDS };

static void prose_kinds(byteset kinds[KINDS])
{
    memset(kinds, 0, KINDS * sizeof *kinds);
    for (unsigned b = 0; b < 256; b++) {
        if (!prose_byte(b))
            continue;
        int kind = b < 0x80 ? K_ASCII : b <= 0xBF ? K_CONT : b <= 0xDF ? K_LEAD2
                 : b <= 0xEF ? K_LEAD3 : K_LEAD4;
        set_add(&kinds[kind], b);
    }
}

static int sets_meet(const byteset *a, const byteset *b)
{
    return ((a->w[0] & b->w[0]) | (a->w[1] & b->w[1]) | (a->w[2] & b->w[2]) |
            (a->w[3] & b->w[3])) != 0;
}

/*
 * 1 when some prose buffer holds, at n consecutive places, bytes in the n sets. at_start:
 * the first place is the buffer's first byte (a lead byte, nothing due); otherwise any
 * number of continuation bytes may be due there.
 */
static int sequence_possible(const byteset kinds[KINDS], const pattern *p, size_t n,
                             int at_start)
{
    unsigned states = at_start ? 1u : 0xFu; /* bit k: k continuation bytes due */
    for (size_t i = 0; i < n && states; i++) {
        unsigned next = 0;
        if (sets_meet(&p->at[i], &kinds[K_ASCII]) && !(at_start && i == 0) && (states & 1u))
            next |= 1u;                       /* a new character: nothing may be due */
        if (sets_meet(&p->at[i], &kinds[K_CONT]))
            next |= (states >> 1) & 0x7u;     /* one continuation byte less due */
        for (int lead = K_LEAD2; lead <= K_LEAD4; lead++)
            if (sets_meet(&p->at[i], &kinds[lead]) && (states & 1u))
                next |= 1u << (lead - K_LEAD2 + 1);
        states = next;
    }
    return states != 0;
}

/* ---- what a test accepts ---------------------------------------------------------------- */

/* A numeric type's width and byte order: 'L' little, 'B' big, 'N' this machine's. */
static int numeric_shape(unsigned type, unsigned *width, char *order)
{
    switch (type) {
    case T_BYTE: *width = 1, *order = 'L'; return 1;
    case T_SHORT: *width = 2, *order = 'N'; return 1;
    case T_BESHORT: *width = 2, *order = 'B'; return 1;
    case T_LESHORT: *width = 2, *order = 'L'; return 1;
    case T_LONG: case T_DATE: case T_LDATE: *width = 4, *order = 'N'; return 1;
    case T_BELONG: case T_BEDATE: case T_BELDATE: *width = 4, *order = 'B'; return 1;
    case T_LELONG: case T_LEDATE: case T_LELDATE: *width = 4, *order = 'L'; return 1;
    case T_QUAD: case T_QDATE: case T_QLDATE: case T_QWDATE: *width = 8, *order = 'N'; return 1;
    case T_BEQUAD: case T_BEQDATE: case T_BEQLDATE: case T_BEQWDATE:
        *width = 8, *order = 'B'; return 1;
    case T_LEQUAD: case T_LEQDATE: case T_LEQLDATE: case T_LEQWDATE:
        *width = 8, *order = 'L'; return 1;
    default: return 0;
    }
}

static int host_little_endian(void)
{
    uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* The bit shift of the byte at place i of a number of width bytes in order. */
static unsigned shift_of(unsigned i, unsigned width, char order)
{
    int little = order == 'L' || (order == 'N' && host_little_endian());
    return 8 * (little ? i : width - 1 - i);
}

/* The least and greatest value a prose buffer's bytes give a masked number. */
static void numeric_range(const byteset kinds[KINDS], const uint64_t mask, unsigned width,
                          char order, int at_start, uint64_t *least, uint64_t *most)
{
    *least = *most = 0;
    for (unsigned i = 0; i < width; i++) {
        unsigned sh = shift_of(i, width, order), mb = (unsigned)(mask >> sh) & 0xFF;
        unsigned lo = 0xFF, hi = 0;
        for (unsigned b = 0; b < 256; b++) {
            int prose = 0;
            for (int k = at_start && i == 0 ? K_LEAD2 : K_ASCII; k < KINDS; k++)
                prose |= set_has(&kinds[k], b);
            if (!prose)
                continue;
            unsigned v = b & mb;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        *least |= (uint64_t)lo << sh;
        *most |= (uint64_t)hi << sh;
    }
}

/*
 * What a numeric test accepts, byte by byte. 0 when nothing can be said (another relation
 * or mask operator), -1 when no prose buffer can hold a match (shown by its range).
 */
static int numeric_pattern(const byteset kinds[KINDS], const unsigned char *e, int at_start,
                           pattern *p)
{
    unsigned width, type = u8_at(e, AT_TYPE), reln = u8_at(e, AT_RELN), op = u8_at(e, AT_MASK_OP);
    char order;
    if (!numeric_shape(type, &width, &order) || (op & (OP_INVERSE | OP_INDIRECT)))
        return 0;
    uint64_t mask = u64_at(e, AT_MASK), value = u64_at(e, AT_VALUE);
    if (mask && (op & OP_MASK) != OP_AND)
        return 0;
    if (!mask) /* DO_CVT masks only when there is a mask */
        mask = ~(uint64_t)0;
    if (width < 8)
        mask &= ((uint64_t)1 << (8 * width)) - 1;
    if ((reln == '<' || reln == '>') && (u8_at(e, AT_FLAG) & F_UNSIGNED)) {
        uint64_t least, most;
        numeric_range(kinds, mask, width, order, at_start, &least, &most);
        return (reln == '<' ? least < value : most > value) ? 0 : -1;
    }
    if (reln != '=' && reln != '&')
        return 0;
    p->n = width;
    for (unsigned i = 0; i < width; i++) {
        unsigned sh = shift_of(i, width, order);
        unsigned mb = (unsigned)(mask >> sh) & 0xFF, vb = (unsigned)(value >> sh) & 0xFF;
        memset(&p->at[i], 0, sizeof p->at[i]);
        if (reln == '=' && mb == 0xFF) {
            set_add(&p->at[i], vb);
            continue;
        }
        for (unsigned b = 0; b < 256; b++)
            if (reln == '=' ? (b & mb) == vb : (b & mb & vb) == vb)
                set_add(&p->at[i], b);
    }
    return 1;
}

/* What file_strncmp() accepts for one pattern byte a under flags; 0 past alignment. */
static int string_place(unsigned a, uint32_t flags, byteset *s)
{
    memset(s, 0, sizeof *s);
    if ((flags & S_IGNORE_LOWERCASE) && islower((int)a)) {
        for (unsigned b = 0; b < 256; b++)
            if ((unsigned)tolower((int)b) == a)
                set_add(s, b);
    } else if ((flags & S_IGNORE_UPPERCASE) && isupper((int)a)) {
        for (unsigned b = 0; b < 256; b++)
            if ((unsigned)toupper((int)b) == a)
                set_add(s, b);
    } else if ((flags & (S_COMPACT_WHITESPACE | S_COMPACT_OPTIONAL_WHITESPACE)) &&
               isspace((int)a)) {
        return 0; /* one space of the pattern may take many of the data, or none */
    } else {
        set_add(s, a);
    }
    return 1;
}

/* What a string or search test accepts; 0 when nothing can be said. */
static int string_pattern(const unsigned char *e, pattern *p)
{
    uint32_t flags = u32_at(e, AT_STR_FLAGS);
    const uint32_t known = S_COMPACT_WHITESPACE | S_COMPACT_OPTIONAL_WHITESPACE |
                           S_IGNORE_LOWERCASE | S_IGNORE_UPPERCASE | S_TEXTTEST | S_BINTEST |
                           S_FULL_WORD | (u8_at(e, AT_TYPE) == T_SEARCH ? S_REGEX_OFFSET_START : 0);
    if (u8_at(e, AT_RELN) != '=' || (flags & ~known))
        return 0;
    size_t len = u8_at(e, AT_VALLEN);
    if (u8_at(e, AT_TYPE) == T_STRING) {
        /* mcopy() copies at most the string's range (when it has one) and mconvert() ends
         * the copy with a NUL at its last byte: the pattern meets data only before both. */
        uint32_t range = u32_at(e, AT_MASK);
        if (range != 0 && range < len)
            len = range;
        if (len > MGC_STRING_MAX - 1)
            len = MGC_STRING_MAX - 1;
    }
    if (len > MGC_STRING_MAX)
        return 0;
    p->n = 0;
    while (p->n < len && string_place(u8_at(e, AT_VALUE + p->n), flags, &p->at[p->n]))
        p->n++;
    return 1;
}

/*
 * sequence_possible() for the first n places of p at offset. Near the start the automaton
 * runs from the buffer's first byte over any prose bytes up to offset: the byte at offset 1
 * of a prose buffer is a continuation byte, whatever a test wants there.
 */
static int lead_in(const byteset kinds[KINDS], pattern *p, size_t n, int32_t offset,
                   int suffixes)
{
    if (suffixes || offset > LEAD_IN_MAX)
        return sequence_possible(kinds, p, n, 0);
    memmove(&p->at[offset], &p->at[0], n * sizeof p->at[0]);
    for (int32_t i = 0; i < offset; i++)
        for (int k = 0; k < 4; k++)
            p->at[i].w[k] = kinds[K_ASCII].w[k] | kinds[K_CONT].w[k] | kinds[K_LEAD2].w[k] |
                            kinds[K_LEAD3].w[k] | kinds[K_LEAD4].w[k];
    return sequence_possible(kinds, p, n + (size_t)offset, 1);
}

/* 1 when the top-level test e may match some prose buffer (or a suffix of one). */
static int may_match(const byteset kinds[KINDS], const unsigned char *e, int suffixes)
{
    if (!(u8_at(e, AT_FLAG) & F_BINTEST))
        return 0; /* never run with MAGIC_NO_CHECK_TEXT */
    if (u8_at(e, AT_FLAG) & (F_INDIR | F_OFFADD | F_INDIROFFADD | F_OFFNEGATIVE))
        return 1;
    int32_t offset = offset_of(e);
    if (offset < 0)
        return 1;
    int at_start = offset == 0 && !suffixes;
    pattern p;
    p.n = 0;
    unsigned type = u8_at(e, AT_TYPE), width;
    char order;
    if (type == T_STRING || type == T_SEARCH) {
        if (!string_pattern(e, &p))
            return 1;
        if (type == T_SEARCH)
            return sequence_possible(kinds, &p, p.n, 0);
        return lead_in(kinds, &p, p.n, offset, suffixes);
    }
    int known = numeric_pattern(kinds, e, at_start, &p);
    if (known <= 0)
        return known == 0;
    size_t real = p.n;
    if (numeric_shape(type, &width, &order) && width == 8) {
        /* A 64-bit number past the end reads zeros: only up to the last place that
         * cannot be zero is surely in the buffer. */
        while (real > 0 && set_has(&p.at[real - 1], 0))
            real--;
    }
    return lead_in(kinds, &p, real, offset, suffixes);
}

/* ---- the cut ---------------------------------------------------------------------------- */

/* The end of the test that opens at entry i (the next entry at level 0, or end). */
static size_t test_end(const unsigned char *db, size_t i, size_t end)
{
    for (i++; i < end && u16_at(entry_at(db, i), AT_CONT_LEVEL) != 0; i++)
        ;
    return i;
}

typedef struct cut {
    const unsigned char *db;
    size_t n0, n1;
    unsigned char *keep;  /* per set-0 entry opening a test: 1 kept */
    unsigned char *seen;  /* per set-1 entry opening a named test: visited */
    byteset kinds[KINDS]; /* the prose bytes of each kind */
} cut;

/* The named test called name (a "use" strips a leading '^'); n0 + n1 when none. */
static size_t named_test(const cut *c, const char *name)
{
    if (*name == '^')
        name++;
    for (size_t i = c->n0; i < c->n0 + c->n1; i++) {
        const unsigned char *e = entry_at(c->db, i);
        if (u16_at(e, AT_CONT_LEVEL) == 0 && u8_at(e, AT_TYPE) == T_NAME &&
            strncmp((const char *)e + AT_VALUE, name, MGC_STRING_MAX) == 0)
            return i;
    }
    return c->n0 + c->n1;
}

/* 1 when the test opening at entry i, or a named test it uses, holds an "indirect" test. */
static int reaches_indirect(cut *c, size_t i, int depth)
{
    size_t total = c->n0 + c->n1;
    if (depth > 64)
        return 1; /* deeper than libmagic's own name limit: assume the worst */
    size_t end = test_end(c->db, i, i < c->n0 ? c->n0 : total);
    for (size_t k = i; k < end; k++) {
        const unsigned char *e = entry_at(c->db, k);
        if (u8_at(e, AT_TYPE) == T_INDIRECT)
            return 1;
        if (u8_at(e, AT_TYPE) != T_USE)
            continue;
        char name[MGC_STRING_MAX + 1];
        memcpy(name, e + AT_VALUE, MGC_STRING_MAX);
        name[MGC_STRING_MAX] = '\0';
        size_t named = named_test(c, name);
        if (named == total || c->seen[named - c->n0])
            continue; /* none: libmagic fails the use at run time, as with the whole one */
        c->seen[named - c->n0] = 1;
        if (reaches_indirect(c, named, depth + 1))
            return 1;
    }
    return 0;
}

/* Marks the tests to keep; 1 when a kept one reaches an indirect test. */
static int choose(cut *c, int suffixes, dg_prose_magic_stats *stats)
{
    stats->binary_tests = stats->kept = 0;
    memset(c->seen, 0, c->n1);
    for (size_t i = 0; i < c->n0; i = test_end(c->db, i, c->n0)) {
        const unsigned char *e = entry_at(c->db, i);
        stats->binary_tests += (u8_at(e, AT_FLAG) & F_BINTEST) != 0;
        c->keep[i] = (unsigned char)may_match(c->kinds, e, suffixes);
        stats->kept += c->keep[i];
    }
    int reaches = 0;
    for (size_t i = 0; i < c->n0 && !reaches; i = test_end(c->db, i, c->n0))
        reaches = c->keep[i] && reaches_indirect(c, i, 0);
    return reaches;
}

static unsigned char *write_cut(const cut *c, size_t *out_len)
{
    size_t kept = 0;
    for (size_t i = 0; i < c->n0; i++)
        kept += c->keep[i] ? test_end(c->db, i, c->n0) - i : 0;
    *out_len = (size_t)MGC_ENTRY * (1 + kept + c->n1);
    unsigned char *out = malloc(*out_len);
    if (!out)
        return NULL;
    unsigned char *to = out + MGC_ENTRY;
    memcpy(out, c->db, MGC_ENTRY);
    uint32_t counts[2] = {(uint32_t)kept, (uint32_t)c->n1};
    memcpy(out + 8, counts, sizeof counts);
    for (size_t i = 0; i < c->n0; i = test_end(c->db, i, c->n0)) {
        size_t n = test_end(c->db, i, c->n0) - i;
        if (c->keep[i])
            memcpy(to, entry_at(c->db, i), n * MGC_ENTRY), to += n * MGC_ENTRY;
    }
    memcpy(to, entry_at(c->db, c->n0), c->n1 * MGC_ENTRY);
    return out;
}

dg_status dg_prose_magic_cut(const unsigned char *db, size_t len, unsigned char **out,
                             size_t *out_len, dg_prose_magic_stats *stats, dg_error *err)
{
    *out = NULL;
    *out_len = 0;
    uint32_t head[4];
    if (len < MGC_ENTRY || len % MGC_ENTRY)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "magic database: not a compiled one");
    memcpy(head, db, sizeof head);
    if (head[0] != MGC_MAGIC || head[1] != MGC_FORMAT ||
        (uint64_t)head[2] + head[3] + 1 != len / MGC_ENTRY)
        return dg_error_set(err, DG_ERR_BAD_INPUT, "magic database: not of format %u",
                            MGC_FORMAT);
    cut c = {.db = db, .n0 = head[2], .n1 = head[3]};
    c.keep = calloc(c.n0 + 1, 1);
    c.seen = calloc(c.n1 + 1, 1);
    dg_status status = DG_OK;
    if (!c.keep || !c.seen) {
        status = dg_error_set(err, DG_ERR_NOMEM, "magic database: out of memory");
    } else {
        prose_kinds(c.kinds);
        stats->suffixes = choose(&c, 0, stats);
        if (stats->suffixes)
            choose(&c, 1, stats); /* sound for suffixes too, so for indirect tests */
        *out = write_cut(&c, out_len);
        if (!*out)
            status = dg_error_set(err, DG_ERR_NOMEM, "magic database: out of memory");
    }
    free(c.keep);
    free(c.seen);
    return status;
}

/* ---- the database libmagic loads by default --------------------------------------------- */

/* 1 when the file at path is absent or holds only blank and comment lines (load_1 skips
 * them); 0 when it is anything else (then it may hold tests, and nothing is cut). */
static int holds_no_tests(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT;
    if (!S_ISREG(st.st_mode))
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int only_comments = 1, line_start = 1;
    while (only_comments && fgets(line, sizeof line, f)) {
        if (line_start && line[0] != '#' && line[0] != '\n')
            only_comments = 0;
        line_start = strchr(line, '\n') != NULL;
    }
    only_comments = only_comments && !ferror(f);
    fclose(f);
    return only_comments;
}

static dg_status read_whole(const char *path, unsigned char **out, size_t *len, dg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        dg_status status = dg_error_set(err, DG_ERR_IO, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return status;
    }
    unsigned char *buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    size_t have = 0;
    while (buf && have < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    close(fd);
    if (!buf || have != (size_t)st.st_size) {
        free(buf);
        return dg_error_set(err, buf ? DG_ERR_IO : DG_ERR_NOMEM, "%s: cannot read", path);
    }
    *out = buf;
    *len = have;
    return DG_OK;
}

/*
 * The one compiled file among the default path's parts, as libmagic's apprentice_1 and
 * mkdbname find them: a part ending in ".mgc" is one; otherwise "PART.mgc" is, if it opens,
 * else PART is read as magic source. "PART.mime.mgc" (an old name libmagic still prefers in
 * MIME mode) and anything that may hold tests of its own make the default one this module
 * does not cut (found 0).
 */
static int find_compiled(char *found, size_t size)
{
    const char *path = magic_getpath(NULL, 0);
    char *parts = path ? strdup(path) : NULL;
    int compiled = 0, plain = parts != NULL;
    for (char *part = parts, *next; plain && part && *part; part = next) {
        next = strchr(part, ':');
        if (next)
            *next++ = '\0';
        size_t n = strlen(part);
        char db[4096], mime[4096];
        int has_ext = n >= 4 && !strcmp(part + n - 4, ".mgc");
        snprintf(db, sizeof db, "%s%s", part, has_ext ? "" : ".mgc");
        snprintf(mime, sizeof mime, "%.*s.mime.mgc", (int)(has_ext ? n - 4 : n), part);
        if (n + 10 >= sizeof db || access(mime, F_OK) == 0)
            plain = 0;
        else if (access(db, R_OK) == 0)
            plain = ++compiled == 1 && snprintf(found, size, "%s", db) < (int)size;
        else
            plain = !has_ext && holds_no_tests(part);
    }
    free(parts);
    return plain && compiled == 1;
}

dg_status dg_prose_magic_read_default(unsigned char **db, size_t *len, dg_error *err)
{
    *db = NULL;
    *len = 0;
    char path[4096];
    if (!find_compiled(path, sizeof path))
        return DG_OK;
    return read_whole(path, db, len, err);
}

/* ---- the cookie ------------------------------------------------------------------------- */

struct dg_prose_magic {
    magic_t cookie;
    unsigned char *db; /* the cut database: libmagic reads it in place while the cookie lives */
};

void dg_prose_magic_close(dg_prose_magic *prose)
{
    if (!prose)
        return;
    if (prose->cookie)
        magic_close(prose->cookie);
    free(prose->db);
    free(prose);
}

dg_status dg_prose_magic_open(int flags, dg_prose_magic **out, dg_error *err)
{
    *out = NULL;
    unsigned char *whole;
    size_t len;
    dg_status status = dg_prose_magic_read_default(&whole, &len, err);
    if (status != DG_OK || !whole)
        return status;
    dg_prose_magic *prose = calloc(1, sizeof *prose);
    dg_prose_magic_stats stats;
    size_t cut_len = 0;
    if (!prose)
        status = dg_error_set(err, DG_ERR_NOMEM, "magic database: out of memory");
    else
        status = dg_prose_magic_cut(whole, len, &prose->db, &cut_len, &stats, err);
    free(whole);
    if (status == DG_ERR_BAD_INPUT) { /* another format: not one to cut */
        dg_prose_magic_close(prose);
        return DG_OK;
    }
    if (status == DG_OK && !(prose->cookie = magic_open(flags | MAGIC_NO_CHECK_TEXT)))
        status = dg_error_set(err, DG_ERR_INTERNAL, "magic database: magic_open: %s",
                              strerror(errno));
    void *buffers[1] = {prose ? prose->db : NULL};
    size_t sizes[1] = {cut_len};
    if (status == DG_OK && magic_load_buffers(prose->cookie, buffers, sizes, 1) != 0)
        status = dg_error_set(err, DG_ERR_INTERNAL, "magic database: cannot load the cut: %s",
                              magic_error(prose->cookie));
    if (status != DG_OK) {
        dg_prose_magic_close(prose);
        return status;
    }
    *out = prose;
    return DG_OK;
}

const char *dg_prose_magic_buffer(dg_prose_magic *prose, const void *data, size_t len)
{
    if (!dg_prose_magic_admits(data, len))
        return NULL;
    return magic_buffer(prose->cookie, data, len);
}
