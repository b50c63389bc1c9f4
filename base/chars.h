/*
 * chars.h — the one definition of the character classes every layer asks about: what is a
 * Han character, and what is CJK punctuation.
 *
 * Ingest counts Han characters to tell a Chinese page from an English one (ingest/ocr/),
 * takes runs of them as the classifier's features (ingest/classify.c) and reads dates,
 * numbers and names out of them (ingest/extract.c); all of them mean the same characters
 * by "Han". Code points, not bytes: decode with dg_utf8_decode() or dg_utf8_next()
 * (utf8.h) first. Pure functions of their argument: safe from any thread.
 *
 * The Xapian shim (index/) keeps its own copy of Xapian's CJK ranges on purpose: it must
 * split text exactly as Xapian's term generator does, whatever Unicode says.
 */
#ifndef DG_CHARS_H
#define DG_CHARS_H

#include <stdint.h>

/*
 * 1 when cp is a Han ideograph: Unicode's CJK Unified Ideographs (U+4E00..U+9FFF) with
 * Extension A (U+3400..U+4DBF), the CJK Compatibility Ideographs (U+F900..U+FAFF), and the
 * Supplementary and Tertiary Ideographic Planes (U+20000..U+3FFFF: Extensions B to H and
 * the compatibility supplement; the planes are set aside for ideographs as a whole, so a
 * character Unicode adds there later already counts). Not 〇 (U+3007), a numeral sign
 * that is Han by script but no unified ideograph, nor the radicals, strokes, kana or
 * punctuation around them: a caller that wants 〇 with Han says so (ingest/extract.c).
 */
int dg_is_han(uint32_t cp);

/*
 * 1 when cp is CJK punctuation or a full-width form: the CJK Symbols and Punctuation block
 * (U+3000..U+303F: 、。「」【】〇 and the ideographic space) and the Halfwidth and
 * Fullwidth Forms (U+FF00..U+FFEF: ，：（）１Ａ). Such characters carry their own width
 * on the page and are neither Chinese nor English to a reader of a script.
 */
int dg_is_cjk_punctuation(uint32_t cp);

#endif
