/*
 * utf8.h — the one UTF-8 validator and decoder every layer shares.
 *
 * dangan keeps text as UTF-8 everywhere: the catalog, the index, the protocol. This module
 * says what "valid UTF-8" means for all of them (RFC 3629: no overlong forms, no UTF-16
 * surrogates, nothing past U+10FFFF), so the engine's guard, the ingest decoders and the
 * command line can never disagree about it. It sits in base/, below every other layer, and
 * depends on nothing but the C library. No allocation, no state: safe from any thread.
 */
#ifndef DG_UTF8_H
#define DG_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the sequence at s (left bytes available, left > 0). Returns its length (1-4)
 * and the code point in *cp, or 0 when the bytes there are not a valid UTF-8 sequence
 * (then *cp is left alone).
 */
size_t dg_utf8_decode(const char *s, size_t left, uint32_t *cp);

/*
 * The same for a reader that goes on past bad bytes (OCR output, text a scanner reads):
 * returns the length of the sequence at s (left > 0) with its code point in *cp, or 1 with
 * *cp = U+FFFD when the bytes there are not valid UTF-8, so that each bad byte reads as
 * one replacement character.
 */
size_t dg_utf8_next(const char *s, size_t left, uint32_t *cp);

/* The byte offset of the first invalid sequence in the len bytes at s, or len when valid. */
size_t dg_utf8_invalid_at(const char *s, size_t len);

/* 1 when the len bytes at s are valid UTF-8, else 0. */
int dg_utf8_valid(const char *s, size_t len);

/*
 * 1 when the NUL-terminated string s is valid UTF-8. NULL counts as valid: it is an
 * absent value, not a bad one.
 */
int dg_utf8_valid_str(const char *s);

/*
 * A copy of the NUL-terminated s in which every byte that is not part of a valid UTF-8
 * sequence is written as the four characters "\xNN": always valid UTF-8, and nothing of
 * the original lost to a reader. malloc'ed; NULL only when memory runs out.
 */
char *dg_utf8_escape_invalid(const char *s);

/* Writes cp (at most U+10FFFF, not a surrogate) as UTF-8 into out; returns the length
 * (1-4), or 0 for a value that has no UTF-8 form. */
size_t dg_utf8_encode(uint32_t cp, char out[4]);

#endif
