/*
 * prose_magic.h — libmagic's binary tests, cut down to those that can match prose.
 *
 * detect.c asks libmagic about prose that none of its text tests can match with its binary
 * tests only (detect.c, prose_type). file 5.44's database holds about 3,150 top-level binary
 * tests, and libmagic walks every one of them, in order, for every text: 1.7 M instructions
 * a record of a born-digital batch, though almost none of them can match a text at all. A
 * test that wants the byte 0x00, 0x03 or '<' at some offset, or "PK\3\4" at offset 0, fails
 * on every text that opens with a Chinese character and holds no such byte.
 *
 * This module reads the compiled database that libmagic loads by default, copies it
 * without the top-level tests that provably fail on every prose buffer (defined below; the
 * proof rules are in prose_magic.c) and loads the copy into a cookie of its own. Everything
 * else is kept byte for byte and in its order: every other binary test with all its
 * continuations, and every named test ("name", reached by "use"). A removed test fails at
 * its first level on a prose buffer, so it prints nothing, sets nothing that libmagic reads
 * later and raises no error; on a prose buffer the cut database gives the answer of the
 * whole one. tests/unit/test_prose_magic.c checks the rules on a database of its own and
 * the answers against the whole database on every fixture, the bench corpus and texts made
 * to trip the tests that are kept.
 *
 * A prose buffer (dg_prose_magic_admits) is valid UTF-8 that opens with a non-ASCII
 * character and whose ASCII bytes are only tab, line feed, carriage return, space, letters,
 * digits and !"'(),-./:? (no NUL, no other control, none of the signs code is written with).
 *
 * A dg_prose_magic is one libmagic cookie: one per thread.
 */
#ifndef DG_PROSE_MAGIC_H
#define DG_PROSE_MAGIC_H

#include <stddef.h>

#include "../base/status.h"

typedef struct dg_prose_magic dg_prose_magic;

/* What a cut kept, for tests and the README. */
typedef struct dg_prose_magic_stats {
    size_t binary_tests;  /* top-level binary tests in the whole database */
    size_t kept;          /* of those, kept: they may match some prose buffer */
    int suffixes;         /* 1 when the cut had to hold for every suffix of a prose buffer
                           * too (a kept test reaches an "indirect" test) */
} dg_prose_magic_stats;

/*
 * Opens a libmagic cookie with flags and MAGIC_NO_CHECK_TEXT (the cut keeps no text test)
 * over the cut database. *out is NULL (with DG_OK) when
 * the database libmagic loads by default (magic_getpath) is not one this module can cut:
 * anything but one compiled file of format 18 (file 5.x's), beside text files that hold
 * only comments or nothing. The caller then asks the whole database, as before.
 */
dg_status dg_prose_magic_open(int flags, dg_prose_magic **out, dg_error *err);

/* Closes it; NULL is allowed. */
void dg_prose_magic_close(dg_prose_magic *prose);

/* 1 when the len bytes at data are a prose buffer (above), else 0. */
int dg_prose_magic_admits(const void *data, size_t len);

/*
 * libmagic's answer for the len bytes at data, as magic_buffer() gives it with the whole
 * database and the same flags (MAGIC_NO_CHECK_TEXT among them); NULL when data is not a prose buffer (ask the whole
 * database) or libmagic failed. The string lives until the next call.
 */
const char *dg_prose_magic_buffer(dg_prose_magic *prose, const void *data, size_t len);

/*
 * The cut itself: from the compiled database db (len bytes), a copy without the top-level
 * tests that cannot match a prose buffer, in *out (malloc'd, *out_len bytes), loadable with
 * magic_load_buffers(). DG_ERR_BAD_INPUT when db is not a compiled database of format 18
 * in this machine's byte order.
 */
dg_status dg_prose_magic_cut(const unsigned char *db, size_t len, unsigned char **out,
                             size_t *out_len, dg_prose_magic_stats *stats, dg_error *err);

/*
 * Reads the compiled database libmagic loads by default into *db (malloc'd, *len bytes);
 * *db is NULL (with DG_OK) when the default is not one compiled file beside comment-only
 * files (see dg_prose_magic_open).
 */
dg_status dg_prose_magic_read_default(unsigned char **db, size_t *len, dg_error *err);

#endif
